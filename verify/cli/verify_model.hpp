// verify --model DIR (verify/cli/verify_model.cpp): the options cmd_verify.cpp hands over.
#pragma once
#include <string>

#include "cli/commands.hpp"

namespace exactformer::cli {

struct VerifyModelOptions {
  std::string model, task, graphs = "labelled", edge_orders, json;
  std::string enclosures;  // JSONL: every input's residual enclosures at every stage (double intervals; a test oracle)
  int n = 0, jobs = 1;
  long max_bits = 1024, queries = 0, query_seed = 1;
  bool quiet = false;
  StateOptions resume;  // --state, --shard-graphs: resumable, and shared over the ranks under mpirun
};

int run_verify_model(const VerifyModelOptions& o, const Context& ctx);

}  // namespace exactformer::cli
