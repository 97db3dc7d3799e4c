// Labelled enumeration and families (verify/enumerate.hpp).
#include "enumerate.hpp"

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

std::vector<NamedGraph> families(int n) {
  std::vector<NamedGraph> out{{"path", path_graph(n)}, {"star", star_graph(n)}, {"clique", complete_graph(n)},
                              {"empty", empty_graph(n)}, {"two_cliques", two_cliques(n)}};
  if (n >= 3) out.push_back({"cycle", cycle_graph(n)});
  return out;
}

}  // namespace exactformer
