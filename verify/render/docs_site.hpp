// The generated docs tree (docs/results): the checks summary, one bounds table and plot per
// construction, one side-by-side table and plot per task with several constructions.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "check.hpp"

namespace exactformer {

struct DocsHeader {
  std::string command;  // the command that generated the tree, quoted in every file's header
  std::string commit;   // the commit the binary was built from
  int n_max = 6;
  int edge_orders = 2;
};

// Writes every file of the tree into `dir`: the staging copy of an OutputFiles directory (verify/outputs.hpp),
// so that the tree on disk is one run's, never a mix.
void write_docs_site(const Registry& registry, const std::vector<CheckResult>& results, const std::string& dir,
                     const DocsHeader& header, std::ostream& err);

}  // namespace exactformer
