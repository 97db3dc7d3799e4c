// The task table (verify/tasks.hpp).
#include "tasks.hpp"

#include <algorithm>
#include <set>

#include "exactformer/errors.hpp"
#include "solvers.hpp"
#include "splitmix.hpp"

namespace exactformer {

const std::vector<Task>& all_tasks() {
  // Examples by hand on DQc (edges 0-2 0-4 1-3 3-4: the path 2-0-4-3-1), "Bw" (the triangle), "B?" (three
  // isolated vertices), "C~" (K4) and "@" (one vertex).
  static const std::vector<Task> tasks = {
      {"node_count", "number of vertices", 0, [](const Graph& g, const Query&) { return solvers::node_count(g); },
       {{"DQc", {}, 5}, {"@", {}, 1}},
       [](int n) { return std::pair{1L, long{n}}; }},
      {"edge_count", "number of edges", 0, [](const Graph& g, const Query&) { return solvers::edge_count(g); },
       {{"DQc", {}, 4}, {"Bw", {}, 3}},
       [](int n) { return std::pair{0L, long{n} * (n - 1) / 2}; }},
      {"edge_existence", "is {u, v} an edge? (1/0)", 2,
       [](const Graph& g, const Query& q) { return solvers::edge_exists(g, q.args[0], q.args[1]) ? 1L : 0L; },
       {{"DQc", {0, 2}, 1}, {"DQc", {2, 0}, 1}, {"DQc", {0, 1}, 0}, {"DQc", {3, 3}, 0}},
       [](int) { return std::pair{0L, 1L}; }},
      {"node_degree", "degree of v", 1, [](const Graph& g, const Query& q) { return solvers::node_degree(g, q.args[0]); },
       {{"DQc", {0}, 2}, {"DQc", {1}, 1}, {"Bw", {2}, 2}},
       [](int n) { return std::pair{0L, long{n} - 1}; }},
      {"connectivity", "are s and t connected? (1/0)", 2,
       [](const Graph& g, const Query& q) { return solvers::connected(g, q.args[0], q.args[1]) ? 1L : 0L; },
       {{"DQc", {2, 1}, 1}, {"DQc", {1, 1}, 1}, {"B?", {0, 2}, 0}},
       [](int) { return std::pair{0L, 1L}; }},
      {"component_count", "number of connected components", 0, [](const Graph& g, const Query&) { return solvers::component_count(g); },
       {{"DQc", {}, 1}, {"B?", {}, 3}, {"@", {}, 1}},
       [](int n) { return std::pair{1L, long{n}}; }},
      {"cycle_check", "does the graph contain a cycle? (1/0)", 0,
       [](const Graph& g, const Query&) { return solvers::has_cycle(g) ? 1L : 0L; }, {{"DQc", {}, 0}, {"Bw", {}, 1}},
       [](int) { return std::pair{0L, 1L}; }},
      {"bipartite", "is the graph bipartite? (1/0)", 0, [](const Graph& g, const Query&) { return solvers::bipartite(g) ? 1L : 0L; },
       {{"DQc", {}, 1}, {"Bw", {}, 0}, {"B?", {}, 1}},
       [](int) { return std::pair{0L, 1L}; }},
      {"shortest_path", "edges on a shortest s-t path; -1 if there is none", 2,
       [](const Graph& g, const Query& q) { return solvers::distance(g, q.args[0], q.args[1]); },
       {{"DQc", {2, 1}, 4}, {"DQc", {0, 3}, 2}, {"DQc", {1, 1}, 0}, {"B?", {0, 2}, -1}},
       [](int n) { return std::pair{-1L, long{n} - 1}; }},
      {"triangle_count", "number of triangles", 0, [](const Graph& g, const Query&) { return solvers::triangle_count(g); },
       {{"DQc", {}, 0}, {"Bw", {}, 1}, {"C~", {}, 4}},
       [](int n) { return std::pair{0L, long{n} * (n - 1) * (n - 2) / 6}; }},
      {"connected_nodes", "the neighbours of v, as the set sum of 2^u", 1,
       [](const Graph& g, const Query& q) { return solvers::neighbour_set(g, q.args[0]); },
       {{"DQc", {0}, 4 + 16}, {"DQc", {3}, 2 + 16}, {"Bw", {1}, 1 + 4}, {"B?", {1}, 0}},
       [](int n) { return std::pair{0L, (1L << std::min(n, 62)) - 1}; }},
      {"disconnected_nodes", "the vertices u != v not adjacent to v, as the set sum of 2^u", 1,
       [](const Graph& g, const Query& q) { return solvers::non_neighbour_set(g, q.args[0]); },
       {{"DQc", {0}, 2 + 8}, {"DQc", {3}, 1 + 4}, {"Bw", {1}, 0}, {"B?", {1}, 1 + 4}},
       [](int n) { return std::pair{0L, (1L << std::min(n, 62)) - 1}; }},
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

std::uint64_t query_count(const Task& task, int n) {
  const auto m = static_cast<std::uint64_t>(n);
  return task.arity == 0 ? 1 : task.arity == 1 ? m : m * m;
}

std::vector<Query> sample_queries(const Task& task, int n, std::uint64_t k, std::uint64_t seed) {
  const std::uint64_t total = query_count(task, n);
  if (k >= total) return all_queries(task, n);
  std::set<std::uint64_t> chosen;  // indices into all_queries order
  SplitMix64 rng{seed};
  while (chosen.size() < k) chosen.insert(rng.next() % total);
  std::vector<Query> out;
  const auto m = static_cast<std::uint64_t>(n);
  for (const std::uint64_t i : chosen)
    out.push_back(task.arity == 1 ? Query{{static_cast<int>(i)}} : Query{{static_cast<int>(i / m), static_cast<int>(i % m)}});
  return out;
}

}  // namespace exactformer
