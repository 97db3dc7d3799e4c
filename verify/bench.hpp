// Benchmark: one stream of (graph, query) pairs through the double path (the floor), the fast exact
// path (int64 -> int128 -> GMP) and the pure-GMP path, single-threaded, side by side.

#pragma once
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

struct BenchResult {
  long pairs = 0;
  double seconds_double = 0, seconds_fast = 0, seconds_gmp = 0;
  long int64_overflows = 0, int128_overflows = 0;
  long double_disagreements = 0;  // answers where double differs from the exact answer
};

BenchResult bench(const Construction& c, const Built& built, const std::vector<Graph>& graphs);

}  // namespace exactformer
