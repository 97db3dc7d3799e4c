// A check: a construction's claim run end to end — every variant swept over every labelled graph and the
// families, the measured shape against the claimed formula, the variant one step below the bound searched
// for a failing graph (shrunk), and the check's predictions.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "predictions.hpp"
#include "sweep.hpp"

namespace exactformer {

struct CheckOptions {
  int n_max = 6;
  int family_n_max = 16;        // families (paths, cycles, ...) for n_max < n <= family_n_max
  bool spec_families = true;    // a check's CheckSpec::families_up_to may raise family_n_max (off: exactly as given)
  bool witness_only = false;    // skip the passing variants: only search (and shrink) the witness
  int prediction_n_max = 6;     // predictions sweep every labelled graph with n <= min(n_max, this)
  RunOptions run;
};

struct VariantResult {
  std::string variant;
  Shape measured, claimed;
  std::vector<std::string> shape_mismatch;
  RunStats labelled;  // exhaustive (or the graph6 stream)
  RunStats families;
  bool holds() const { return shape_mismatch.empty() && !labelled.failure && !families.failure; }
};

struct CheckResult {
  CheckSpec spec;
  std::string construction, task, coverage;
  int n_max = 0;
  std::vector<VariantResult> variants;
  std::optional<std::string> witness_variant;
  std::optional<Counterexample> witness;         // as found
  std::optional<Counterexample> witness_shrunk;
  long witness_graphs_searched = 0;
  std::vector<Finding> predictions;
  double seconds = 0;
  bool holds = false;
};

CheckResult run_check(const Construction& c, const CheckSpec& spec, const CheckOptions& opt);

}  // namespace exactformer
