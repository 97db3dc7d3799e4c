// Ground-truth solvers (verify/solvers.hpp).
#include "solvers.hpp"

#include <deque>
#include <vector>

namespace exactformer::solvers {

long node_count(const Graph& g) { return g.n(); }

long edge_count(const Graph& g) {
  long m = 0;
  for (int a = 0; a < g.n(); ++a)
    for (int b = a + 1; b < g.n(); ++b)
      if (g.has_edge(a, b)) ++m;
  return m;
}

bool edge_exists(const Graph& g, int u, int v) { return u != v && g.has_edge(u, v); }

long node_degree(const Graph& g, int v) {
  long d = 0;
  for (int u = 0; u < g.n(); ++u)
    if (g.has_edge(v, u)) ++d;
  return d;
}

bool connected(const Graph& g, int s, int t) {
  std::vector<bool> seen(static_cast<std::size_t>(g.n()), false);
  std::deque<int> frontier{s};
  seen[static_cast<std::size_t>(s)] = true;
  while (!frontier.empty()) {
    const int v = frontier.front();
    frontier.pop_front();
    if (v == t) return true;
    for (int u = 0; u < g.n(); ++u)
      if (g.has_edge(v, u) && !seen[static_cast<std::size_t>(u)]) {
        seen[static_cast<std::size_t>(u)] = true;
        frontier.push_back(u);
      }
  }
  return false;
}

}  // namespace exactformer::solvers
