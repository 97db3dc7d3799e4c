// Benchmark: one stream of (graph, query) pairs through the double path (the floor), the fast exact
// path (int64 -> int128 -> GMP) and the pure-GMP path, single-threaded, side by side; for a softmax2(b)
// model also the certified path on the natural softmax(β = b) model at the first rung (68 bits).

#pragma once
#include <optional>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

struct BenchResult {
  long pairs = 0;
  double seconds_double = 0, seconds_fast = 0, seconds_gmp = 0;
  long int64_overflows = 0, int128_overflows = 0;
  long double_disagreements = 0;  // answers where double differs from the exact answer
  // softmax2(b) models: the certified softmax(β = b) pass at 68 bits over the same stream.
  std::optional<double> seconds_certified;
  long certified_undecided = 0;  // items the first rung did not decide (they would escalate)
};

BenchResult bench(const Construction& c, const Built& built, const std::vector<Graph>& graphs);

}  // namespace exactformer
