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

long component_count(const Graph& g) {
  std::vector<int> parent(static_cast<std::size_t>(g.n()));
  for (int v = 0; v < g.n(); ++v) parent[static_cast<std::size_t>(v)] = v;
  const auto find = [&](int v) {
    while (parent[static_cast<std::size_t>(v)] != v) v = parent[static_cast<std::size_t>(v)];
    return v;
  };
  long components = g.n();
  for (int a = 0; a < g.n(); ++a)
    for (int b = a + 1; b < g.n(); ++b)
      if (g.has_edge(a, b) && find(a) != find(b)) {
        parent[static_cast<std::size_t>(find(a))] = find(b);
        --components;
      }
  return components;
}

namespace {
bool dfs_finds_cycle(const Graph& g, int v, int parent, std::vector<bool>& seen) {
  seen[static_cast<std::size_t>(v)] = true;
  for (int u = 0; u < g.n(); ++u) {
    if (!g.has_edge(v, u) || u == parent) continue;
    if (seen[static_cast<std::size_t>(u)] || dfs_finds_cycle(g, u, v, seen)) return true;
  }
  return false;
}
}  // namespace

bool has_cycle(const Graph& g) {
  std::vector<bool> seen(static_cast<std::size_t>(g.n()), false);
  for (int v = 0; v < g.n(); ++v)
    if (!seen[static_cast<std::size_t>(v)] && dfs_finds_cycle(g, v, -1, seen)) return true;
  return false;
}

bool bipartite(const Graph& g) {
  std::vector<int> colour(static_cast<std::size_t>(g.n()), -1);
  for (int start = 0; start < g.n(); ++start) {
    if (colour[static_cast<std::size_t>(start)] != -1) continue;
    colour[static_cast<std::size_t>(start)] = 0;
    std::deque<int> frontier{start};
    while (!frontier.empty()) {
      const int v = frontier.front();
      frontier.pop_front();
      for (int u = 0; u < g.n(); ++u) {
        if (!g.has_edge(v, u)) continue;
        if (colour[static_cast<std::size_t>(u)] == -1) {
          colour[static_cast<std::size_t>(u)] = 1 - colour[static_cast<std::size_t>(v)];
          frontier.push_back(u);
        } else if (colour[static_cast<std::size_t>(u)] == colour[static_cast<std::size_t>(v)]) {
          return false;
        }
      }
    }
  }
  return true;
}

long distance(const Graph& g, int s, int t) {
  std::vector<long> dist(static_cast<std::size_t>(g.n()), -1);
  std::deque<int> frontier{s};
  dist[static_cast<std::size_t>(s)] = 0;
  while (!frontier.empty()) {
    const int v = frontier.front();
    frontier.pop_front();
    for (int u = 0; u < g.n(); ++u)
      if (g.has_edge(v, u) && dist[static_cast<std::size_t>(u)] == -1) {
        dist[static_cast<std::size_t>(u)] = dist[static_cast<std::size_t>(v)] + 1;
        frontier.push_back(u);
      }
  }
  return dist[static_cast<std::size_t>(t)];
}

long triangle_count(const Graph& g) {
  long count = 0;
  for (int a = 0; a < g.n(); ++a)
    for (int b = a + 1; b < g.n(); ++b)
      for (int c = b + 1; c < g.n(); ++c)
        if (g.has_edge(a, b) && g.has_edge(b, c) && g.has_edge(a, c)) ++count;
  return count;
}

long neighbour_set(const Graph& g, int v) {
  long set = 0;
  for (int u = 0; u < g.n(); ++u)
    if (g.has_edge(v, u)) set += 1L << u;
  return set;
}

long non_neighbour_set(const Graph& g, int v) {
  long set = 0;
  for (int u = 0; u < g.n(); ++u)
    if (u != v && !g.has_edge(v, u)) set += 1L << u;
  return set;
}

}  // namespace exactformer::solvers
