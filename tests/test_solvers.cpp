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
