// Graph, tokens and queries (include/exactformer/graph.hpp).
#include "exactformer/graph.hpp"
#include <algorithm>
#include <bit>

#include "exactformer/errors.hpp"

namespace exactformer {

Graph::Graph(int n) : n_(n) {
  EXACTFORMER_REQUIRE(n >= 0 && n <= kMaxVertices, "n = " + std::to_string(n) + " is outside 0.." + std::to_string(kMaxVertices));
  words_ = static_cast<std::size_t>((n + 63) / 64);
  adj_.assign(static_cast<std::size_t>(n) * words_, 0);
}

void Graph::add_edge(int a, int b) {
  EXACTFORMER_ASSERT(a != b && a >= 0 && b >= 0 && a < n_ && b < n_, "bad edge");
  adj_[word(a, b)] |= std::uint64_t{1} << (b & 63);
  adj_[word(b, a)] |= std::uint64_t{1} << (a & 63);
}

void Graph::remove_edge(int a, int b) {
  EXACTFORMER_ASSERT(a != b && a >= 0 && b >= 0 && a < n_ && b < n_, "bad edge");
  adj_[word(a, b)] &= ~(std::uint64_t{1} << (b & 63));
  adj_[word(b, a)] &= ~(std::uint64_t{1} << (a & 63));
}

std::vector<std::pair<int, int>> Graph::edges() const {
  std::vector<std::pair<int, int>> out;
  for (int a = 0; a < n_; ++a)
    for (std::size_t w = static_cast<std::size_t>(a + 1) >> 6; w < words_; ++w)  // set bits only: sparse graphs at large n
      for (std::uint64_t bits = adj_[static_cast<std::size_t>(a) * words_ + w]; bits != 0; bits &= bits - 1) {
        const int b = static_cast<int>(w * 64) + std::countr_zero(bits);
        if (b > a) out.emplace_back(a, b);
      }
  return out;
}

Graph Graph::without_vertex(int v) const {
  EXACTFORMER_ASSERT(v >= 0 && v < n_, "bad vertex");
  Graph g(n_ - 1);
  const auto map = [v](int u) { return u < v ? u : u - 1; };
  for (const auto& [a, b] : edges())
    if (a != v && b != v) g.add_edge(map(a), map(b));
  return g;
}

std::string Query::str() const {
  std::string s = "(";
  for (std::size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + std::to_string(args[i]);
  return s + ")";
}

std::vector<Token> tokenize(const Graph& g, const std::vector<std::pair<int, int>>& edge_order, const Query& query, int pause) {
  std::vector<Token> t;
  t.reserve(static_cast<std::size_t>(g.n()) + edge_order.size() + 1 + static_cast<std::size_t>(std::max(pause, 0)));
  for (int v = 0; v < g.n(); ++v) t.push_back(Token{TokenKind::vertex, v, -1});
  for (const auto& [a, b] : edge_order) t.push_back(Token{TokenKind::edge, a < b ? a : b, a < b ? b : a});
  Token task{TokenKind::task, -1, -1};
  if (!query.args.empty()) task.a = query.args[0];
  if (query.args.size() > 1) task.b = query.args[1];
  t.push_back(task);
  for (int i = 0; i < pause; ++i) t.push_back(Token{TokenKind::pause, i, -1});
  return t;
}

}  // namespace exactformer
