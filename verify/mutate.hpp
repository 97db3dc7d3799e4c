// Mutation testing of the harness: does the checker notice a wrong weight? For a construction's hard model
// at n, every single-entry mutant of every W_Q, W_K, W_V, W_O, MLP weight and bias (a non-zero entry
// zeroed, negated, +1, -1; duplicates of the original or of an earlier mutant of the same entry skipped) and
// every swap of two adjacent components of one slot in the rows of a matrix that reads the residual stream
// is run through the sweep over every labelled graph with at most n vertices and every query. A mutant is
// killed when some answer is wrong (or its evaluation fails). A survivor is classified:
//   dead         the mutated row reads a residual column that is 0 on every row of every input at that
//                layer, so the mutant computes exactly what the original does (provably equivalent);
//   equivalent   not dead, but every readout row equals the original's on the whole family (equivalent on
//                every input the check sees; the reason is stated per construction in docs/results/mutation.md);
//   answer-preserving  the decoder's inputs differ from the original's somewhere, yet every answer is right:
//                a correct variant of the model (a value scaled by 2 under a threshold decoder), or a gap that
//                only a larger family or a check of more than answers would expose. Reported, not excused.
#pragma once
#include <string>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

struct Survivor {
  std::string mutation;  // "layer 2 head square W_K[R[1], 0]: 1 -> 0"
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

MutationReport mutate(const Construction& c, int n, int jobs);

}  // namespace exactformer
