// Ground-truth solvers on hand-worked graphs.
#include <doctest/doctest.h>

#include "exactformer/graph.hpp"
#include "solvers.hpp"
#include "tasks.hpp"

using namespace exactformer;

TEST_CASE("solvers on DQc (edges 0-2 0-4 1-3 3-4)") {
  const Graph g = from_graph6("DQc");
  CHECK(solvers::node_count(g) == 5);
  CHECK(solvers::edge_count(g) == 4);
  CHECK(solvers::edge_exists(g, 0, 2));
  CHECK(solvers::edge_exists(g, 2, 0));
  CHECK_FALSE(solvers::edge_exists(g, 0, 1));
  CHECK_FALSE(solvers::edge_exists(g, 3, 3));
  CHECK(solvers::node_degree(g, 0) == 2);
  CHECK(solvers::node_degree(g, 1) == 1);
  CHECK(solvers::node_degree(g, 3) == 2);
  CHECK(solvers::connected(g, 2, 1));  // 2-0-4-3-1: a path through everything
  CHECK(solvers::connected(g, 1, 1));
}

TEST_CASE("connectivity: two components, an isolated vertex") {
  Graph g(6);  // 0-1-2 and 3-4, 5 alone
  g.add_edge(0, 1);
  g.add_edge(1, 2);
  g.add_edge(3, 4);
  CHECK(solvers::connected(g, 0, 2));
  CHECK(solvers::connected(g, 4, 3));
  CHECK_FALSE(solvers::connected(g, 2, 3));
  CHECK_FALSE(solvers::connected(g, 5, 0));
  CHECK(solvers::connected(g, 5, 5));
  CHECK(solvers::edge_count(g) == 3);
  CHECK(solvers::node_degree(g, 1) == 2);
  CHECK(solvers::node_degree(g, 5) == 0);
}

TEST_CASE("components, cycles, bipartiteness on hand-worked graphs") {
  Graph g(6);  // 0-1-2 and 3-4, 5 alone: a forest, bipartite, 3 components
  g.add_edge(0, 1);
  g.add_edge(1, 2);
  g.add_edge(3, 4);
  CHECK(solvers::component_count(g) == 3);
  CHECK_FALSE(solvers::has_cycle(g));
  CHECK(solvers::bipartite(g));
  g.add_edge(0, 2);  // triangle 0-1-2: a cycle, odd
  CHECK(solvers::component_count(g) == 3);
  CHECK(solvers::has_cycle(g));
  CHECK_FALSE(solvers::bipartite(g));
  Graph c4(4);  // the 4-cycle: a cycle, even
  c4.add_edge(0, 1);
  c4.add_edge(1, 2);
  c4.add_edge(2, 3);
  c4.add_edge(3, 0);
  CHECK(solvers::has_cycle(c4));
  CHECK(solvers::bipartite(c4));
  CHECK(solvers::component_count(c4) == 1);
  CHECK(solvers::component_count(Graph(5)) == 5);
  CHECK_FALSE(solvers::has_cycle(from_graph6("DQc")));  // the path 2-0-4-3-1
  CHECK(solvers::bipartite(from_graph6("DQc")));
}

TEST_CASE("every task's solver reproduces its hand-worked examples (each task has at least two)") {
  for (const Task& t : all_tasks()) {
    CAPTURE(t.name);
    CHECK(t.examples.size() >= 2);
    for (const Task::Example& e : t.examples) {
      CAPTURE(e.graph6);
      CHECK(static_cast<int>(e.args.size()) == t.arity);
      CHECK(t.solve(from_graph6(e.graph6), Query{e.args}) == e.answer);
    }
  }
}

TEST_CASE("distance, triangles and neighbour sets on hand-worked graphs") {
  Graph c6(6);  // the cycle 0-1-2-3-4-5-0
  for (int v = 0; v < 6; ++v) c6.add_edge(v, (v + 1) % 6);
  CHECK(solvers::distance(c6, 0, 3) == 3);
  CHECK(solvers::distance(c6, 0, 5) == 1);
  CHECK(solvers::distance(c6, 4, 4) == 0);
  CHECK(solvers::triangle_count(c6) == 0);
  CHECK(solvers::neighbour_set(c6, 0) == 2 + 32);
  CHECK(solvers::non_neighbour_set(c6, 0) == 4 + 8 + 16);
  Graph k5(5);  // C(5, 3) = 10 triangles
  for (int a = 0; a < 5; ++a)
    for (int b = a + 1; b < 5; ++b) k5.add_edge(a, b);
  CHECK(solvers::triangle_count(k5) == 10);
  Graph two(5);  // 0-1, 2-3-4: no path from 0 to 4
  two.add_edge(0, 1);
  two.add_edge(2, 3);
  two.add_edge(3, 4);
  CHECK(solvers::distance(two, 0, 4) == -1);
  CHECK(solvers::distance(two, 2, 4) == 2);
}
