// Transformers against message-passing GNNs (verify/contrast.hpp).
#include "contrast.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "enumerate.hpp"
#include "sweep.hpp"
#include "tasks.hpp"

namespace exactformer::contrast {
namespace {

using Colours = std::vector<int>;

// One round for both graphs with one shared dictionary: colour' = (colour, sorted neighbour colours).
std::pair<Colours, Colours> refine(const Graph& a, const Colours& ca, const Graph& b, const Colours& cb) {
  std::map<std::pair<int, std::vector<int>>, int> names;
  const auto round = [&names](const Graph& g, const Colours& c) {
    Colours out(static_cast<std::size_t>(g.n()));
    for (int v = 0; v < g.n(); ++v) {
      std::vector<int> around;
      for (int u = 0; u < g.n(); ++u)
        if (g.has_edge(v, u)) around.push_back(c[static_cast<std::size_t>(u)]);
      std::sort(around.begin(), around.end());
      const auto key = std::make_pair(c[static_cast<std::size_t>(v)], std::move(around));
      const auto it = names.emplace(key, static_cast<int>(names.size())).first;
      out[static_cast<std::size_t>(v)] = it->second;
    }
    return out;
  };
  Colours na = round(a, ca);
  Colours nb = round(b, cb);
  return {std::move(na), std::move(nb)};
}

std::vector<int> histogram(const Colours& c) {
  std::vector<int> h = c;
  std::sort(h.begin(), h.end());
  return h;
}

int classes(const Colours& c) {
  std::vector<int> h = histogram(c);
  return static_cast<int>(std::unique(h.begin(), h.end()) - h.begin());
}

Graph disjoint_cycles(int k, int m) {  // k disjoint m-cycles on 0..km-1
  Graph g(k * m);
  for (int c = 0; c < k; ++c)
    for (int i = 0; i < m; ++i) g.add_edge(c * m + i, c * m + (i + 1) % m);
  return g;
}

// The transformer's answers on one graph and on the other ("a vs b"), hard attention, built for n.
std::string answers(const Construction& c, int n, const Graph& one, const Graph& other) {
  const Built built = c.build(n, Variant::hard());
  const auto on = [&](const Graph& g) {
    const Answer a = evaluate(built, g, g.edges(), Query{}, true, std::nullopt);
    return a.value ? std::to_string(*a.value) : "undefined";
  };
  return on(one) + " vs " + on(other);
}

}  // namespace

bool wl_equivalent(const Graph& a, const Graph& b, int rounds) {
  Colours ca(static_cast<std::size_t>(a.n()), 0), cb(static_cast<std::size_t>(b.n()), 0);
  for (int r = 0;; ++r) {
    if (histogram(ca) != histogram(cb)) return false;
    if (r == rounds) return true;
    std::tie(ca, cb) = refine(a, ca, b, cb);
  }
}

int wl_stable_rounds(const Graph& g) {
  Colours c(static_cast<std::size_t>(g.n()), 0);
  for (int r = 0;; ++r) {
    const Colours next = refine(g, c, Graph(0), {}).first;
    if (classes(next) == classes(c)) return r;
    c = next;
  }
}

void write_markdown(const Registry& registry, std::ostream& out) {
  const auto find = [&](const std::string& name) -> const Construction& { return registry.find(name); };
  out << "## The 1-WL barrier: one cycle or two\n\n"
      << "An anonymous message-passing GNN (no vertex ids; every vertex starts alike) can tell two graphs apart at "
      << "most as well as colour refinement (1-WL). C_m and 2·C_{m/2} are 2-regular: refinement never splits their "
      << "one colour class, so every such GNN, at every depth, gives both the same readout — yet one is connected "
      << "and the other is not. The transformers below get vertex ids as tokens and answer both right "
      << "(computed now, hard attention, exact).\n\n"
      << "| pair | vertices | same 1-WL colours at every depth (checked to depth n) | components (truth) | "
      << "`components` (row squaring) | `components_hook_shortcut` (d = 39) | cycle check: `cycle_check_hook_shortcut` |\n"
      << "|---|---:|---|---|---|---|---|\n";
  for (int m : {6, 8, 10}) {
    const Graph one = cycle_graph(m), two = disjoint_cycles(2, m / 2);
    const Task& count = find_task("component_count");
    out << "| C_" << m << " vs 2·C_" << m / 2 << " | " << m << " | " << (wl_equivalent(one, two, m) ? "yes" : "**no**") << " | "
        << count.solve(one, Query{}) << " vs " << count.solve(two, Query{}) << " | " << answers(find("components"), m, one, two) << " | "
        << answers(find("components_hook_shortcut"), m, one, two) << " | " << answers(find("cycle_check_hook_shortcut"), m, one, two)
        << " |\n";
  }
  out << "\nWith vertex ids a message-passing GNN escapes 1-WL, but it still moves information one hop per layer.\n\n"
      << "## Depth: one hop per layer against squaring, lifting and hook-and-shortcut\n\n"
      << "*Message passing* is the least depth L at which a one-hop-per-layer computation (with ids) is right on every graph "
      << "with n vertices: s–t connectivity and shortest path need L ≥ dist(s, t), and the path P_n has distance n − 1 "
      << "(computed by BFS on P_n); the built baseline `connectivity_message_passing` has exactly that depth. Components have "
      << "no anonymous message-passing solution at any depth (above). The other columns are the transformer constructions' depths L "
      << "(claimed formulas, equal to the built models' by the checks).\n\n"
      << "| n | P_n: max distance (BFS on P_n; n − 1 past 64 vertices) | message passing (connectivity, shortest path) | `connectivity_squaring` | "
      << "`connectivity_pause` (causal) | `connectivity_hook_shortcut` | `shortest_path` | `components` | `components_hook_shortcut` |\n"
      << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  const auto depth = [&](const std::string& name, int n) { return std::to_string(find(name).claimed(n, Variant::hard()).layers); };
  for (int n : {4, 8, 16, 32, 64, 256, 1024, 4096}) {
    const Task& dist = find_task("shortest_path");
    const long farthest = n <= 64 ? dist.solve(path_graph(n), Query{{0, n - 1}}) : n - 1;  // graphs stop at 64 vertices
    out << "| " << n << " | " << farthest << " | " << depth("connectivity_message_passing", n) << " | " << depth("connectivity_squaring", n)
        << " | " << depth("connectivity_pause", n) << " | " << depth("connectivity_hook_shortcut", n) << " | " << depth("shortest_path", n)
        << " | " << depth("components", n) << " | " << depth("components_hook_shortcut", n) << " |\n";
  }
}

}  // namespace exactformer::contrast
