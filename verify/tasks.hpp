// Tasks: a name, the shape of its query, its ground truth (a solver: the dumbest correct algorithm, in
// solvers.cpp or beside its row in tasks.cpp), and hand-worked examples its solver must reproduce (tested
// for every task by tests/test_solvers.cpp). A new task is one row in tasks.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exactformer/graph.hpp"

namespace exactformer {

struct Task {
  std::string name;     // "edge_existence"
  std::string summary;  // one line
  int arity = 0;        // vertex arguments of the task token: 0, 1 (every vertex) or 2 (every ordered pair)
  std::function<long(const Graph&, const Query&)> solve;
  struct Example {
    std::string graph6;
    std::vector<int> args;
    long answer;
  };
  std::vector<Example> examples;  // worked by hand, not by the solver
  // The answers the task can give on graphs with at most n vertices: every integer in [lo, hi] (an imported
  // model's answer map must name each of them).
  std::function<std::pair<long, long>(int n)> answer_range;
};

const std::vector<Task>& all_tasks();
const Task& find_task(std::string_view name);  // usage_error if unknown

// Every query of the task on a graph with n vertices: (), (v) for each v, or (u, v) for each ordered pair.
std::vector<Query> all_queries(const Task& task, int n);
// The number of those queries (1, n or n^2).
std::uint64_t query_count(const Task& task, int n);
// k of them, distinct, chosen by `seed` (splitmix64) and listed in all_queries order; all of them if k >= their number.
std::vector<Query> sample_queries(const Task& task, int n, std::uint64_t k, std::uint64_t seed);

}  // namespace exactformer
