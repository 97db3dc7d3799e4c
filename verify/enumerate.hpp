// Graph sources: every labelled graph on n vertices, named families, graph6 streams.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "exactformer/graph.hpp"

namespace exactformer {

// 2^(n(n-1)/2): the number of labelled graphs on {0..n-1} (n <= 11).
std::uint64_t labelled_count(int n);
// Labelled graph number `index`: bit k of index is the k-th vertex pair in the order of Graph::edges().
Graph labelled_graph(int n, std::uint64_t index);
// Every labelled graph with n_min <= n <= n_max, in index order (n_max <= 7: they are held in memory).
std::vector<Graph> labelled_graphs(int n_min, int n_max);

// Families (design.md §5), on n vertices; binomial trees when n is a power of two.
Graph path_graph(int n);
Graph cycle_graph(int n);        // n >= 3
Graph star_graph(int n);         // centre 0
Graph complete_graph(int n);
Graph empty_graph(int n);
Graph two_cliques(int n);        // K_{ceil(n/2)} and K_{floor(n/2)}, disjoint
Graph cliques_joined_by_path(int n);  // K_4 on 0..3, K_4 on n-4..n-1, path 3-4-...-(n-4); n >= 8
// The binomial tree G_k on 2^k vertices, labelled as in smallwidth.md §3.3: G_1 = {01}; G_k is G_(k-1)
// shifted up by 2^(k-1) with a leaf v attached to v + 2^(k-1). G_2 is the path 0-2-3-1.
Graph binomial_tree(int k);

struct NamedGraph {
  std::string family;  // "path", "cycle", ...
  Graph graph;
};
// Every family member on exactly n vertices (those defined for n). Dense members (clique, two cliques)
// only when `dense`.
std::vector<NamedGraph> families(int n, bool dense = true);

// Family sizes beyond an exhaustive n_max: every n in (n_max, min(16, up_to)], then n = 2^k, 2^k + 1 and
// 2^k + 2 (binomial trees; paths exactly at and one past a power-of-two distance) and up_to itself.
std::vector<int> family_sizes(int n_max, int up_to);

}  // namespace exactformer
