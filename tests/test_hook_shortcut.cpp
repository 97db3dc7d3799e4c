// The hook-and-shortcut reference algorithm (verify/hook_shortcut.hpp) on hand-worked graphs, and the
// facts of smallwidth.md §3 it must reproduce.
#include <doctest/doctest.h>

#include "enumerate.hpp"
#include "hook_shortcut.hpp"
#include "solvers.hpp"

using namespace exactformer;
namespace hs = exactformer::hook_shortcut;

namespace {
Graph graph_of(int n, std::vector<std::pair<int, int>> edges) {
  Graph g(n);
  for (auto [a, b] : edges) g.add_edge(a, b);
  return g;
}
int parent(const hs::Pointer& p, int v) { return p[static_cast<std::size_t>(v)]; }
bool is_forest(const hs::Pointer& p) {
  const int n = static_cast<int>(p.size());
  for (int v = 0; v < n; ++v) {
    int x = v;
    for (int step = 0; step < n && parent(p, x) != x; ++step) x = parent(p, x);
    if (parent(p, x) != x) return false;  // no root within n steps: a cycle
  }
  return true;
}
}  // namespace

TEST_CASE("reference: the worked example of smallwidth.md §7, path 0-3-1-4-2") {
  const Graph g = graph_of(5, {{0, 3}, {3, 1}, {1, 4}, {4, 2}});
  const auto p = hs::rounds(g, 2);
  // Round 1: 3 hooks onto 0, 4 onto 1, 2 is stagnant and hooks onto 4; shortcuts give stars {0,3}, {1,2,4}.
  CHECK(p[1] == hs::Pointer{0, 1, 1, 0, 1});
  CHECK_FALSE(hs::finished(g, p[1]));
  // Round 2: root 1 hooks onto 0 through the edge 1-3; everything points to 0.
  CHECK(p[2] == hs::Pointer{0, 0, 0, 0, 0});
  CHECK(hs::finished(g, p[2]));
  CHECK(hs::rounds_needed(g) == 2);
}

TEST_CASE("reference: the path 3-5-0 does not close a cycle (smallwidth.md §2.3)") {
  const Graph g = graph_of(6, {{3, 5}, {5, 0}});
  const auto p = hs::rounds(g, 3);
  for (const auto& pk : p) CHECK(is_forest(pk));
  // Round 1: 5 hooks onto 0; 3 is stagnant (u = 5 > 3, nobody hooks onto 3) and moves onto p(5) = 5.
  CHECK(p[1][5] == 0);
  CHECK(p[1][3] == 0);  // 3 -> 5 -> 0, flattened by the shortcuts
  CHECK(hs::rounds_needed(g) == 1);
}

TEST_CASE("reference: binomial trees G_k need exactly k rounds (smallwidth.md Theorem 2)") {
  CHECK(binomial_tree(2).edges() == std::vector<std::pair<int, int>>{{0, 2}, {1, 3}, {2, 3}});
  CHECK(binomial_tree(3).edges() == std::vector<std::pair<int, int>>{{0, 4}, {1, 5}, {2, 6}, {3, 7}, {4, 6}, {5, 7}, {6, 7}});
  for (int k = 1; k <= 6; ++k) {
    const Graph g = binomial_tree(k);
    CHECK(g.edges().size() == (1U << k) - 1);
    CHECK(hs::rounds_needed(g) == k);
    const auto p = hs::rounds(g, k - 1);
    CHECK(p.back()[0] == 0);
    CHECK(p.back()[1] == 1);  // 0 and 1 connected, still in different stars: the witness for k - 1 rounds
  }
}

TEST_CASE("reference: exhaustive worst case and the graphs that need 2 rounds (smallwidth.md §3.3, §10)") {
  const std::vector<int> worst{0, 1, 1, 2, 2, 2};
  const std::vector<long> need_two{0, 0, 0, 6, 246, 12038};
  for (int n = 1; n <= 6; ++n) {
    int most = 0;
    long two = 0;
    for (std::uint64_t i = 0; i < labelled_count(n); ++i) {
      const Graph g = labelled_graph(n, i);
      const int r = hs::rounds_needed(g);
      most = std::max(most, r);
      two += r >= 2;
      // Soundness at every depth: p(s) = p(t) only for connected s, t.
      const auto p = hs::rounds(g, r);
      for (const auto& pk : p) {
        REQUIRE(is_forest(pk));
        for (int s = 0; s < n; ++s)
          for (int t = 0; t < n; ++t)
            if (parent(pk, s) == parent(pk, t)) REQUIRE(solvers::connected(g, s, t));
      }
    }
    CHECK(most == worst[static_cast<std::size_t>(n - 1)]);
    CHECK(two == need_two[static_cast<std::size_t>(n - 1)]);
  }
}
