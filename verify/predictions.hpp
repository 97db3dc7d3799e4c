// Predictions: what a check claims beyond "every answer is right", computed by the checker from the
// built models and independent references, never typed in. A CheckSpec names the ones it makes. Their
// labelled sweeps cover n <= min(n_max, 6) (the models are built for n_max); families follow the check's.
//
//   exactness      the construction's ExactnessClaim, audited on every hard forward pass (verify/audit.hpp):
//                  integer scores / activations / hidden pre-activations, value-homogeneous argmax sets,
//                  magnitude bounds (and whether they are attained)
//   hook_shortcut  smallwidth.md §9 for connectivity_hook_shortcut, against the S1-S7 reference
//                  (verify/hook_shortcut.hpp): per-round pointer state after layer 5k, the one-round failing
//                  counts, one-sided errors at every depth below the bound
//   hook_shortcut_cycles  smallwidth.md §8 for components_hook_shortcut: every labelling of C_m and
//                  2·C_(m/2) (m <= min(10, n_max + 4); 300 sampled per m up to 16 when n_max >= 6), the least
//                  number of rounds that counts them all right vs the reference's
#pragma once
#include <string>
#include <vector>

#include "checker.hpp"

namespace exactformer {

std::vector<Finding> run_prediction(const std::string& name, const Construction& c, const CheckSpec& spec, const CheckOptions& opt);

}  // namespace exactformer
