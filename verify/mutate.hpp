// Mutation testing of the harness: does the checker notice a wrong weight? For a construction's hard model
// at n, every single-entry mutant of every W_Q, W_K, W_V, W_O, MLP weight and bias (a non-zero entry
// zeroed, negated, +1, -1; duplicates of the original or of an earlier mutant of the same entry skipped) and
// every swap of two adjacent components of one slot in the rows of a matrix that reads the residual stream
// is run through the sweep over every labelled graph with at most n vertices and every query: the whole
// domain of the model built for n. A mutant is killed when the check fails: some answer is wrong, or a right
// answer is read off a value the construction's readout claim (Built::readout_claim) does not allow, or the
// evaluation stops with an error. A survivor is classified:
//   dead         the mutated row reads a residual column that is 0 on every row of every input at that
//                layer, so the mutant computes exactly what the original does (provably equivalent);
//   equivalent   not dead, but the decoder's inputs equal the original's on every input of the domain: with a
//                readout claim, because the mutant passed it on every input (as the original does); without
//                one, compared input by input. The same function on the whole domain, by exhaustion;
//   answer-preserving  the decoder's inputs differ somewhere, yet the check passes: a gap in the check
//                (only possible for a construction without a readout claim). Reported, not excused.
// The original must pass the check first (usage_error otherwise).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

struct Survivor {
  std::string where;     // "layer 2 head square W_K"
  std::string change;    // "[R[1], 0]: 1 -> 0", "rows R[0] and [1] swapped"
  std::string kind;      // dead, equivalent, answer-preserving
};

struct MutationReport {
  std::string construction;
  int n = 0;
  long mutants = 0, killed = 0;
  std::vector<Survivor> survivors;
  long count(const std::string& kind) const;
  // Killed among the mutants that are not provably or observably equivalent.
  double kill_rate() const;
  double seconds = 0;
};

// progress (optional): called after each mutant with (done, total).
MutationReport mutate(const Construction& c, int n, int jobs, const std::function<void(long, long)>& progress = {});

}  // namespace exactformer
