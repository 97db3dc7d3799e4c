// The smallest precision a construction needs (docs/precision.md): over every labelled graph with at most
// n vertices and every query,
//   fp        the fewest fractional bits p* of the fixed-point model FP_p (hard attention), scanned p = 0, 1, ...;
//             with the integer bits p_int measured at p* (p_total = 1 + p_int + p*);
//   softmax2  the smallest b* of softmax2(b), scanned b = 0, 1, ... (items off the integrality invariant certified);
//   softmax   the smallest β* of the natural softmax(β) on the grid j * step, certified, by bisection between a
//             failing β (0: uniform attention) and the first passing power of two (0 itself if uniform passes).
// A pass counts only if p* + 1, + 2, + 3 (β* + step, ...) pass as well; a later failure is reported as a
// non-monotone pair and the scan resumes above it. The witness is the lowest-index failing (graph, query)
// one step below, shrunk in the same model.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"
#include "regressions.hpp"
#include "sweep.hpp"

namespace exactformer {

enum class PrecisionModel { fp, softmax2, softmax };
const char* model_name(PrecisionModel m);                 // "fp", "softmax2", "softmax"
PrecisionModel parse_precision_model(const std::string&);  // usage_error if unknown

struct PrecisionOptions {
  int n = 4;
  PrecisionModel model = PrecisionModel::fp;
  int jobs = 1;
  Q step = Q(1) / 64;   // softmax: the grid of β
  long max_value = 64;  // fp, softmax2: the largest p or b tried; softmax: the largest β bracket tried
  int max_rung = kDefaultMaxRung;
  SweepRunner* sharding = nullptr;           // RunOptions::sharding of every probe's sweep
  const std::atomic<bool>* stop = nullptr;  // RunOptions::stop of every probe's sweep
};

struct PrecisionProbe {
  Q value;
  bool holds = false;
  long undetermined = 0;
  std::optional<Counterexample> failure;  // the lowest-index failing item (not shrunk)
};

struct PrecisionResult {
  std::string construction;
  PrecisionModel model = PrecisionModel::fp;
  int n = 0;
  long graphs = 0, queries = 0;  // of the family
  std::optional<Q> first_pass;   // the first passing value of the scan
  std::optional<Q> stable;       // p*, b* or β*: passes, and so do the next three grid values
  std::vector<std::pair<Q, Q>> non_monotone;  // (passing value, a larger failing value)
  std::optional<Q> below;                     // the value one step below `stable`
  std::optional<Counterexample> witness;      // failing there, shrunk
  std::optional<RegressionCase> witness_case; // the same, with its model, for tests/regressions/
  int integer_bits = 0;                       // fp: p_int at p*
  long probes = 0, undetermined_probes = 0;
  long evaluations = 0;  // forward passes of every probe's sweep
  double seconds = 0;
  int tokens() const { return n + n * (n - 1) / 2 + 1; }  // T, the longest input of the family
};

PrecisionResult search_precision(const Construction& c, const PrecisionOptions& opt);

}  // namespace exactformer
