// Simple undirected graphs on vertices 0..n-1 (n <= kMaxVertices), graph6 I/O, and the token sequence.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "exactformer/errors.hpp"

namespace exactformer {

// The largest graph: an adjacency bit matrix of n^2 bits (2 MiB at 4096). Exhaustive sources stop far below;
// families and random graphs reach it, for models affordable there (verify --n).
inline constexpr int kMaxVertices = 4096;

class Graph {
 public:
  Graph() = default;
  explicit Graph(int n);
  int n() const { return n_; }
  bool has_edge(int a, int b) const { return a != b && ((adj_[word(a, b)] >> (b & 63)) & 1U) != 0; }
  void add_edge(int a, int b);
  void remove_edge(int a, int b);
  // Undirected edges (a, b), a < b, in lexicographic order: the default edge-token order.
  std::vector<std::pair<int, int>> edges() const;
  // The graph with vertex v deleted and vertices above it renumbered down by one.
  Graph without_vertex(int v) const;
  friend bool operator==(const Graph&, const Graph&) = default;

 private:
  std::size_t word(int a, int b) const { return static_cast<std::size_t>(a) * words_ + static_cast<std::size_t>(b >> 6); }
  int n_ = 0;
  std::size_t words_ = 0;            // 64-bit words per adjacency row
  std::vector<std::uint64_t> adj_;   // row a, bit b: {a, b} is an edge
};

// graph6 (nauty's formats.txt): N(n) then the upper triangle column by column, (0,1),(0,2),(1,2),(0,3),...
// in 6-bit groups plus 63. Decoding accepts an optional ">>graph6<<" header and n <= kMaxVertices;
// anything else is a usage_error naming the problem and the byte offset.
std::string to_graph6(const Graph& g);
Graph from_graph6(const std::string& line);

// ---------------------------------------------------------------------------------------------------
// Tokens (design.md §2): vertex tokens 0..n-1, edge tokens, the task token, then pause tokens.

enum class TokenKind { vertex, edge, task, pause };

struct Token {
  TokenKind kind = TokenKind::pause;
  int a = -1;  // vertex: its id; edge: endpoint a (< b); task: first argument (or -1); pause: its index 0..N'-1
  int b = -1;  // edge: endpoint b; task: second argument (or -1)
};

// The query of a task token: 0, 1 or 2 vertex arguments.
struct Query {
  std::vector<int> args;
  std::string str() const;  // "(3, 5)", "(2)", "()"
  friend bool operator==(const Query&, const Query&) = default;
};

// Token sequence for g with the edges in `edge_order` (a permutation of g.edges()) and the given query,
// then `pause` pause tokens (pause token i has a = i).
std::vector<Token> tokenize(const Graph& g, const std::vector<std::pair<int, int>>& edge_order, const Query& query, int pause = 0);

}  // namespace exactformer
