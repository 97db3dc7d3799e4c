// Predictions: what a check claims beyond "every answer is right", computed by the checker from the
// built models and independent references, never typed in. A CheckSpec lists the ones it makes
// (enum Prediction in construction.hpp: a misspelt one is a compile error); run_prediction() dispatches
// on it with a switch, so a new one without its code does not compile cleanly either.
//
//   exactness             the construction's ExactnessClaim, audited on every hard forward pass
//                         (verify/audit.hpp): integer scores / activations / hidden pre-activations,
//                         value-homogeneous argmax sets, magnitude bounds (and whether they are attained)
//   hook_shortcut_rounds  docs/constructions/connectivity_hook_shortcut.md, "Predictions": per-round pointer
//                         state (Built::pointer_rounds) against the reference S1-S7 (verify/hook_shortcut.hpp),
//                         the one-round failing counts, one-sided errors at every depth below the bound
//   hook_shortcut_cycles  every labelling of C_m and 2·C_(m/2) (m <= min(10, n_max + 4); 300 sampled per m up
//                         to 16 when n_max >= 6): the least number of rounds that counts them all right vs the
//                         reference's
#pragma once
#include <string>
#include <vector>

#include "sweep.hpp"

namespace exactformer {

// One prediction's outcome (verify/predictions.hpp).
struct Finding {
  std::string id;        // "hook_shortcut.one_round_counts"
  std::string claim;     // one line
  bool holds = false;
  std::string measured;  // what was computed, with numbers
  // What the computation covered, where it sweeps graphs of its own (the precision search): the check table
  // shows these for a check that has no variants.
  long graphs = 0, queries = 0, evaluations = 0;
};

struct PredictionOptions {
  int n_max = 6;           // the check's models are built for n_max
  int labelled_n_max = 6;  // labelled sweeps cover every graph with n <= min(n_max, labelled_n_max)
  int family_n_max = 16;   // families up to this n
  RunOptions run;
};

std::vector<Finding> run_prediction(Prediction p, const Construction& c, const CheckSpec& spec, const PredictionOptions& opt);

}  // namespace exactformer
