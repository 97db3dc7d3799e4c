// What the constructions' readout claims are computed from (Built::readout_claim): a few graph quantities,
// written here directly from their definitions (own code: verify/solvers.cpp, the ground truth, shares none).
#pragma once
#include <utility>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer::claims {

// Tokens of g's sequence with `pause` pause tokens: n vertices, |E| edges, the task token, the pause tokens.
inline long sequence_length(const Graph& g, long pause) { return g.n() + static_cast<long>(g.edges().size()) + 1 + pause; }

// BFS distances from s in g (-1: unreachable). parity_cover: over the bipartite double cover instead, whose
// state v + p n is (vertex v, walk length parity p); an edge steps (v, p) to (u, 1 - p), and s is (s, 0).
inline std::vector<int> walk_distances(const Graph& g, int s, bool parity_cover) {
  const int states = parity_cover ? 2 * g.n() : g.n();
  std::vector<int> dist(static_cast<std::size_t>(states), -1), frontier{s};
  dist[static_cast<std::size_t>(s)] = 0;
  for (std::size_t head = 0; head < frontier.size(); ++head) {
    const int x = frontier[head], v = x % g.n(), p = x / g.n();
    for (int u = 0; u < g.n(); ++u) {
      if (!g.has_edge(v, u)) continue;
      const int y = parity_cover ? u + (1 - p) * g.n() : u;
      if (dist[static_cast<std::size_t>(y)] >= 0) continue;
      dist[static_cast<std::size_t>(y)] = dist[static_cast<std::size_t>(x)] + 1;
      frontier.push_back(y);
    }
  }
  return dist;
}
inline int distance(const Graph& g, int s, int t) { return walk_distances(g, s, false)[static_cast<std::size_t>(t)]; }
inline bool connected(const Graph& g, int s, int t) { return distance(g, s, t) >= 0; }
// The length of the shortest closed walk of odd length through v (-1: none, v's component is bipartite).
inline int shortest_odd_closed_walk(const Graph& g, int v) {
  return walk_distances(g, v, true)[static_cast<std::size_t>(v + g.n())];
}
// Number of connected components (isolated vertices count).
inline long components(const Graph& g) {
  std::vector<char> seen(static_cast<std::size_t>(g.n()), 0);
  long c = 0;
  for (int v = 0; v < g.n(); ++v) {
    if (seen[static_cast<std::size_t>(v)]) continue;
    ++c;
    const std::vector<int> d = walk_distances(g, v, false);
    for (int u = 0; u < g.n(); ++u) seen[static_cast<std::size_t>(u)] |= d[static_cast<std::size_t>(u)] >= 0;
  }
  return c;
}
inline long triangles(const Graph& g) {
  long t = 0;
  for (int a = 0; a < g.n(); ++a)
    for (int b = a + 1; b < g.n(); ++b)
      for (int c = b + 1; c < g.n(); ++c) t += g.has_edge(a, b) && g.has_edge(b, c) && g.has_edge(a, c);
  return t;
}
// Neighbours of v with a larger id (the edge tokens (v, u), a = v) and with a smaller one (b = v).
inline std::pair<long, long> degree_split(const Graph& g, int v) {
  long above = 0, below = 0;
  for (int u = 0; u < g.n(); ++u)
    if (g.has_edge(v, u)) ++(u > v ? above : below);
  return {above, below};
}
inline Q ratio(long p, long q) { return Q(p) / Q(q); }

// Claims more than one construction makes, to assign to Built::readout_claim.
// [s and t are connected], exactly 0 or 1 (an s-t connectivity answer slot).
inline std::vector<Q> st_connected(const Graph& g, const Query& q) { return {Q(connected(g, q.args[0], q.args[1]) ? 1 : 0)}; }
// (|E|, n', c)/T: a uniform head's averages of is_edge, is_vertex and the per-component weights (cycle checks).
// (match_ab, match_ba) = ([the edge token (u, v) exists], [(v, u) exists]) for the query (u, v); edge tokens
// carry a < b (both edge-existence forms).
inline std::vector<Q> edge_token_matches(const Graph& g, const Query& q) {
  const int u = q.args[0], w = q.args[1];
  return {Q(u < w && g.has_edge(u, w) ? 1 : 0), Q(w < u && g.has_edge(u, w) ? 1 : 0)};
}
inline std::vector<Q> edges_vertices_components(const Graph& g, const Query&) {
  const long T = sequence_length(g, 0);
  return {ratio(static_cast<long>(g.edges().size()), T), ratio(g.n(), T), ratio(components(g), T)};
}

}  // namespace exactformer::claims
