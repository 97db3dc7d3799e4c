// The task table (verify/tasks.hpp).
#include "tasks.hpp"

#include "exactformer/errors.hpp"
#include "solvers.hpp"

namespace exactformer {

const std::vector<Task>& all_tasks() {
  static const std::vector<Task> tasks = {
      {"node_count", "number of vertices", 0, [](const Graph& g, const Query&) { return solvers::node_count(g); }},
      {"edge_count", "number of edges", 0, [](const Graph& g, const Query&) { return solvers::edge_count(g); }},
      {"edge_existence", "is {u, v} an edge? (1/0)", 2,
       [](const Graph& g, const Query& q) { return solvers::edge_exists(g, q.args[0], q.args[1]) ? 1L : 0L; }},
      {"node_degree", "degree of v", 1, [](const Graph& g, const Query& q) { return solvers::node_degree(g, q.args[0]); }},
      {"connectivity", "are s and t connected? (1/0)", 2,
       [](const Graph& g, const Query& q) { return solvers::connected(g, q.args[0], q.args[1]) ? 1L : 0L; }},
      {"component_count", "number of connected components", 0, [](const Graph& g, const Query&) { return solvers::component_count(g); }},
      {"cycle_check", "does the graph contain a cycle? (1/0)", 0,
       [](const Graph& g, const Query&) { return solvers::has_cycle(g) ? 1L : 0L; }},
      {"bipartite", "is the graph bipartite? (1/0)", 0, [](const Graph& g, const Query&) { return solvers::bipartite(g) ? 1L : 0L; }},
  };
  return tasks;
}

const Task& find_task(std::string_view name) {
  for (const auto& t : all_tasks())
    if (t.name == name) return t;
  throw usage_error("unknown task \"" + std::string(name) + "\"");
}

std::vector<Query> all_queries(const Task& task, int n) {
  std::vector<Query> out;
  if (task.arity == 0) {
    out.push_back(Query{});
  } else if (task.arity == 1) {
    for (int v = 0; v < n; ++v) out.push_back(Query{{v}});
  } else {
    for (int u = 0; u < n; ++u)
      for (int v = 0; v < n; ++v) out.push_back(Query{{u, v}});
  }
  return out;
}

}  // namespace exactformer
