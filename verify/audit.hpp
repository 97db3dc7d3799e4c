// An audited forward pass: every row, every sublayer, exact, recording what the exactness claims of a
// construction (Construction::exactness) speak about: the largest |score|, |residual entry| and |hidden
// pre-activation|, every non-integer among them, and every `hard` argmax set whose tokens carry different
// value vectors (so that the head's output is an average, not one token's value).
//
// The audit is an observer (PassObserver) of the Evaluator's full pass (Evaluator::run_all): the one
// forward pass, the one attention rule. Each pass runs in overflow-checked int64 fractions
// (Fractions<Checked64>) and is redone in GMP if anything overflows.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exactformer/checked_rational.hpp"
#include "exactformer/evaluator.hpp"

namespace exactformer {

struct AuditStats {
  long passes = 0;
  long gmp_passes = 0;     // passes redone in GMP after an int64 overflow
  long non_integers = 0;   // scores, residual entries, hidden pre-activations
  long inhomogeneous = 0;  // hard argmax sets with more than one value vector
  Q max_score{0}, max_activation{0}, max_hidden{0};
  std::string first_problem;  // "layer 3 head ON, row 7: tokens 2 and 5 tie for the argmax with different values"
  void merge(const AuditStats& o);
};

class Auditor {
 public:
  // fast_path = false: every pass in GMP (the tests hold the two paths equal).
  explicit Auditor(const Model& model, bool fast_path = true);
  ~Auditor();
  // The residual stream after each layer (index l = after layer l + 1) if `after` is given.
  void run(const Input& x0, AuditStats& stats, std::vector<MatQ>* after = nullptr) const;

 private:
  template <class S>
  class Pass;  // defined in audit.cpp: an observer and the evaluator it watches (stateful: one per thread)
  struct Passes;  // a fast and an exact pass
  std::unique_ptr<Passes> take() const;
  void give_back(std::unique_ptr<Passes> p) const;
  const Model& model_;
  bool fast_path_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Passes>> idle_;  // run() may be called from many threads at once
};

}  // namespace exactformer
