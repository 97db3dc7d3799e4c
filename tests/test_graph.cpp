// graph6, enumeration, families and tokens.
#include <doctest/doctest.h>

#include "tasks.hpp"
#include "sources.hpp"
#include "enumerate.hpp"
#include "exactformer/errors.hpp"
#include "exactformer/graph.hpp"

using namespace exactformer;

TEST_CASE("graph6: the formats.txt example DQc is 0-2 0-4 1-3 3-4") {
  const Graph g = from_graph6("DQc");
  CHECK(g.n() == 5);
  CHECK(g.edges() == std::vector<std::pair<int, int>>{{0, 2}, {0, 4}, {1, 3}, {3, 4}});
  CHECK(to_graph6(g) == "DQc");
  CHECK(from_graph6(">>graph6<<DQc") == g);
}

TEST_CASE("graph6 round-trips every labelled graph with n <= 6") {
  long count = 0;
  for (int n = 0; n <= 6; ++n)
    for (std::uint64_t i = 0; i < labelled_count(n); ++i, ++count) {
      const Graph g = labelled_graph(n, i);
      REQUIRE(from_graph6(to_graph6(g)) == g);
    }
  CHECK(count == 1 + 1 + 2 + 8 + 64 + 1024 + 32768);
}

TEST_CASE("graph6 long form from 63 vertices to kMaxVertices") {
  for (int n : {62, 63, 64, 65, 130, 4096}) {
    Graph g = path_graph(n);
    g.add_edge(0, n - 1);
    const std::string s = to_graph6(g);
    CHECK((n <= 62) == (s[0] != '~'));
    CHECK(from_graph6(s) == g);
  }
}

TEST_CASE("graphs past 64 vertices: edges across adjacency words, in lexicographic order") {
  Graph g(200);
  const std::vector<std::pair<int, int>> want{{0, 1}, {0, 199}, {3, 64}, {63, 64}, {64, 127}, {128, 199}};
  for (const auto& [a, b] : want) g.add_edge(b, a);  // either orientation
  CHECK(g.edges() == want);
  CHECK(g.has_edge(199, 0));
  CHECK(!g.has_edge(64, 64));
  CHECK(!g.has_edge(1, 199));
  g.remove_edge(64, 63);
  CHECK(!g.has_edge(63, 64));
  CHECK(g.without_vertex(0).edges() == std::vector<std::pair<int, int>>{{2, 63}, {63, 126}, {127, 198}});
  CHECK(binomial_tree(12).edges().size() == 4095);
  CHECK_THROWS_AS(Graph(kMaxVertices + 1), usage_error);
}

TEST_CASE("generated sources: families and seeded random graphs at any n") {
  std::vector<Graph> batch;
  const auto first = [&](const std::string& spec) {
    auto s = generated_source(spec);
    REQUIRE(s->next_batch(batch));
    return batch.front();
  };
  CHECK(first("family:binomial:10") == binomial_tree(10));
  CHECK(first("family:path:1000").edges().size() == 999);
  CHECK(first("family:two_cycles:300").edges().size() == 300);
  const Graph a = first("random:gnm:1024:1500:3:7"), b = first("random:gnm:1024:1500:3:7");
  CHECK(a == b);  // a function of the spec
  CHECK(a.edges().size() == 1500);
  CHECK(a != first("random:gnm:1024:1500:3:8"));
  CHECK(first("random:gnp:50:1:1:0").edges().size() == 50 * 49 / 2);
  CHECK(first("random:gnp:50:0:1:0").edges().empty());
  auto counted = generated_source("random:gnp:100:0.05:3:1");
  long graphs = 0;
  while (counted->next_batch(batch)) graphs += static_cast<long>(batch.size());
  CHECK(graphs == 3);
  for (const char* bad : {"family:binomial:13", "family:path:0", "family:path:5000", "random:gnp:10:1.5:1:1", "random:gnm:10:46:1:1",
                          "random:gnm:10:3:0:1", "family:petersen:10", "random:gnp:10:0.5:1"})
    CHECK_THROWS_AS(generated_source(bad), usage_error);
}

TEST_CASE("sampled queries: distinct, in all_queries order, a function of the seed") {
  const Task& pairs = find_task("connectivity");
  const std::vector<Query> q = sample_queries(pairs, 4096, 16, 5);
  CHECK(q.size() == 16);
  for (std::size_t i = 1; i < q.size(); ++i) CHECK(std::pair(q[i - 1].args[0], q[i - 1].args[1]) < std::pair(q[i].args[0], q[i].args[1]));
  CHECK(q == sample_queries(pairs, 4096, 16, 5));
  CHECK(q != sample_queries(pairs, 4096, 16, 6));
  CHECK(sample_queries(pairs, 3, 100, 5) == all_queries(pairs, 3));
  CHECK(query_count(find_task("node_degree"), 4096) == 4096);
}

TEST_CASE("graph6 rejects malformed input with a message") {
  CHECK_THROWS_WITH_AS(from_graph6("DQ"), doctest::Contains("expected 2"), usage_error);   // bad length
  CHECK_THROWS_WITH_AS(from_graph6("DQcc"), doctest::Contains("expected 2"), usage_error);
  CHECK_THROWS_WITH_AS(from_graph6("D Qc"), doctest::Contains("byte 1"), usage_error);     // bad character
  CHECK_THROWS_WITH_AS(from_graph6("Dé"), doctest::Contains("outside"), usage_error);
  CHECK_THROWS_WITH_AS(from_graph6("~@?@"), doctest::Contains("too large"), usage_error); // n = 4097
  CHECK_THROWS_WITH_AS(from_graph6("~~??????"), doctest::Contains("too large"), usage_error);
  CHECK_THROWS_WITH_AS(from_graph6(""), doctest::Contains("empty"), usage_error);
  CHECK_THROWS_WITH_AS(from_graph6("Bx"), doctest::Contains("padding"), usage_error);     // n=3 uses 3 of 6 bits
}

TEST_CASE("labelled enumeration: counts and edge order") {
  CHECK(labelled_count(7) == 2097152);
  const Graph g = labelled_graph(4, 0b100001);  // pairs (0,1),(0,2),(1,2),(0,3),(1,3),(2,3)
  CHECK(g.edges() == std::vector<std::pair<int, int>>{{0, 1}, {2, 3}});
  CHECK_THROWS_AS(labelled_count(12), usage_error);
}

TEST_CASE("families") {
  CHECK(path_graph(5).edges().size() == 4);
  CHECK(cycle_graph(5).has_edge(0, 4));
  CHECK(star_graph(6).edges().size() == 5);
  CHECK(complete_graph(6).edges().size() == 15);
  CHECK(empty_graph(6).edges().empty());
  const Graph t = two_cliques(7);  // K4 + K3
  CHECK(t.edges().size() == 6 + 3);
  CHECK(!t.has_edge(3, 4));
  CHECK(families(2).size() == 6);  // with the binomial tree G_1
  CHECK(families(3).size() == 6);
  CHECK(families(8).size() == 9);  // with G_3
  CHECK(families(8).back().graph == binomial_tree(3));
  CHECK(binomial_tree(2).edges() == std::vector<std::pair<int, int>>{{0, 2}, {1, 3}, {2, 3}});
  CHECK(families(40, false).size() == 6);
  const Graph j = cliques_joined_by_path(10);  // K4 0..3, path 3-4-5-6, K4 6..9
  CHECK(j.edges().size() == 6 + 3 + 6);
  CHECK(j.has_edge(4, 5));
  CHECK(!j.has_edge(0, 9));
  CHECK(family_sizes(6, 16) == std::vector<int>{7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  CHECK(family_sizes(6, 64) == std::vector<int>{7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 32, 33, 34, 64});
  CHECK(family_sizes(6, 6).empty());
}

TEST_CASE("tokens: vertices, edges in the given order, task last; vertex deletion renumbers") {
  const Graph g = from_graph6("DQc");
  const auto t = tokenize(g, {{3, 4}, {0, 2}, {1, 3}, {0, 4}}, Query{{1, 4}});
  REQUIRE(t.size() == 5 + 4 + 1);
  CHECK(t[5].kind == TokenKind::edge);
  CHECK((t[5].a == 3 && t[5].b == 4));
  CHECK((t[9].kind == TokenKind::task && t[9].a == 1 && t[9].b == 4));
  const Graph h = g.without_vertex(2);  // 0-3 1-2 2-3 after renumbering
  CHECK(h.edges() == std::vector<std::pair<int, int>>{{0, 3}, {1, 2}, {2, 3}});
}
