// Ground truth: the dumbest correct algorithm for each task. Nothing here is shared with constructions/.
#pragma once
#include "exactformer/graph.hpp"

namespace exactformer::solvers {

long node_count(const Graph& g);
long edge_count(const Graph& g);             // every pair a < b tested
bool edge_exists(const Graph& g, int u, int v);  // false when u == v (simple graphs)
long node_degree(const Graph& g, int v);
bool connected(const Graph& g, int s, int t);    // breadth-first search from s
long component_count(const Graph& g);            // union-find over the edges
bool has_cycle(const Graph& g);                  // depth-first search for an edge to a visited non-parent
bool bipartite(const Graph& g);                  // breadth-first 2-colouring of every component
long distance(const Graph& g, int s, int t);     // breadth-first search from s: edges on a shortest path, -1 if none
long triangle_count(const Graph& g);             // every triple a < b < c tested
long neighbour_set(const Graph& g, int v);       // sum of 2^u over the neighbours u of v (one test per u)
long non_neighbour_set(const Graph& g, int v);   // sum of 2^u over the u != v not adjacent to v

}  // namespace exactformer::solvers
