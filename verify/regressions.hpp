// The regression corpus (tests/regressions/*.tsv): witnesses and counterexamples, each with the model that
// failed on it, replayed by ctest forever. One tab-separated line per case:
//   construction  n  mode  value  code_bits_offset  layers_offset  graph6  query  expected
// mode: hard | softmax2 (value b) | softmax (value beta, "p/q") | fp (value p: FP_p, hard); value "-" for hard;
// query: vertices joined by commas ("-" for none); expected: the ground truth's answer. Replaying checks that
// the solver still says `expected` and the model still answers wrongly.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"
#include "sweep.hpp"

namespace exactformer {

struct RegressionCase {
  std::string construction;
  int n = 0;
  std::string mode = "hard";  // hard, softmax2, softmax, fp
  std::string value = "-";    // b, beta or p
  int code_bits_offset = 0, layers_offset = 0;
  std::string graph6;
  Query query;
  long expected = 0;
  bool causal = false;  // Variant::mask = causal (a tenth field "causal")

  std::string line() const;
  static RegressionCase parse(const std::string& line);  // usage_error on a malformed line
};

// The case for a counterexample found with `variant` (and FP_p if fixed_point).
RegressionCase regression_case(const Construction& c, int n, const Variant& variant, std::optional<long> fixed_point,
                               const Counterexample& cx);

struct ReplayOutcome {
  bool still_fails = false;
  long truth = 0;
  Answer answer;
};
ReplayOutcome replay(const Registry& registry, const RegressionCase& rc);

}  // namespace exactformer
