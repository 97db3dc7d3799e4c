// Labelled enumeration and families (verify/enumerate.hpp).
#include "enumerate.hpp"

#include <algorithm>

#include "exactformer/errors.hpp"

namespace exactformer {

std::uint64_t labelled_count(int n) {
  EXACTFORMER_REQUIRE(n >= 0 && n <= 11, "labelled enumeration supports n <= 11, got " + std::to_string(n));
  return std::uint64_t{1} << (n * (n - 1) / 2);
}

Graph labelled_graph(int n, std::uint64_t index) {
  Graph g(n);
  int k = 0;
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b, ++k)
      if ((index >> k) & 1U) g.add_edge(a, b);
  return g;
}

Graph path_graph(int n) {
  Graph g(n);
  for (int v = 0; v + 1 < n; ++v) g.add_edge(v, v + 1);
  return g;
}

Graph cycle_graph(int n) {
  EXACTFORMER_REQUIRE(n >= 3, "a cycle needs n >= 3");
  Graph g = path_graph(n);
  g.add_edge(0, n - 1);
  return g;
}

Graph star_graph(int n) {
  Graph g(n);
  for (int v = 1; v < n; ++v) g.add_edge(0, v);
  return g;
}

Graph complete_graph(int n) {
  Graph g(n);
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) g.add_edge(a, b);
  return g;
}

Graph empty_graph(int n) { return Graph(n); }

Graph two_cliques(int n) {
  Graph g(n);
  const int h = (n + 1) / 2;
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b)
      if ((a < h) == (b < h)) g.add_edge(a, b);
  return g;
}

Graph cliques_joined_by_path(int n) {
  EXACTFORMER_REQUIRE(n >= 8, "cliques_joined_by_path needs n >= 8");
  Graph g = path_graph(n);
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b) {
      if (!g.has_edge(a, b)) g.add_edge(a, b);
      if (!g.has_edge(n - 4 + a, n - 4 + b)) g.add_edge(n - 4 + a, n - 4 + b);
    }
  return g;
}

std::vector<Graph> labelled_graphs(int n_min, int n_max) {
  EXACTFORMER_REQUIRE(n_min >= 1 && n_max <= 7, "labelled_graphs holds at most n = 7 in memory");
  std::vector<Graph> out;
  for (int n = n_min; n <= n_max; ++n)
    for (std::uint64_t i = 0; i < labelled_count(n); ++i) out.push_back(labelled_graph(n, i));
  return out;
}

Graph binomial_tree(int k) {
  EXACTFORMER_REQUIRE(k >= 0 && (1 << k) <= kMaxVertices, "binomial_tree needs 2^k <= " + std::to_string(kMaxVertices));
  Graph g(1 << k);
  for (int j = 1; j <= k; ++j) {
    // G_j on the top 2^j labels: G_(j-1) on the top 2^(j-1) of them, and a leaf v under each v + 2^(j-1).
    const int half = 1 << (j - 1), base = (1 << k) - (1 << j);
    for (int v = 0; v < half; ++v) g.add_edge(base + v, base + v + half);
  }
  return g;
}

std::vector<NamedGraph> families(int n, bool dense) {
  std::vector<NamedGraph> out{{"path", path_graph(n)}, {"star", star_graph(n)}, {"empty", empty_graph(n)}};
  if (dense) {
    out.push_back({"clique", complete_graph(n)});
    out.push_back({"two_cliques", two_cliques(n)});
  }
  if (n >= 3) out.push_back({"cycle", cycle_graph(n)});
  if (n >= 6 && n % 2 == 0) {
    Graph g = cycle_graph(n / 2 >= 3 ? n / 2 : 3);  // two disjoint n/2-cycles (Conjecture 13's instance)
    Graph two(n);
    for (const auto& [a, b] : g.edges()) {
      two.add_edge(a, b);
      two.add_edge(a + n / 2, b + n / 2);
    }
    out.push_back({"two_cycles", two});
  }
  if (n >= 8) out.push_back({"cliques_joined_by_path", cliques_joined_by_path(n)});
  for (int k = 1; (1 << k) <= n; ++k)
    if ((1 << k) == n) out.push_back({"binomial_tree", binomial_tree(k)});
  return out;
}

std::vector<int> family_sizes(int n_max, int up_to) {
  std::vector<int> out;
  for (int n = n_max + 1; n <= std::min(16, up_to); ++n) out.push_back(n);
  for (int p = 16; p <= up_to; p *= 2)
    for (int n : {p, p + 1, p + 2})
      if (n > n_max && n <= up_to && (out.empty() || n > out.back())) out.push_back(n);
  if (up_to > n_max && (out.empty() || out.back() < up_to)) out.push_back(up_to);
  return out;
}

}  // namespace exactformer
