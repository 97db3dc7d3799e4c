// Ground truth: the dumbest correct algorithm for each task. Nothing here is shared with constructions/.
#pragma once
#include "exactformer/graph.hpp"

namespace exactformer::solvers {

long node_count(const Graph& g);
long edge_count(const Graph& g);             // every pair a < b tested
bool edge_exists(const Graph& g, int u, int v);  // false when u == v (simple graphs)
long node_degree(const Graph& g, int v);
bool connected(const Graph& g, int s, int t);    // breadth-first search from s

}  // namespace exactformer::solvers
