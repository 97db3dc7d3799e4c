// splitmix64: a small, well-mixed stream of 64-bit values from a seed. Every seeded choice the tool makes (edge
// shuffles, sampled queries, random graphs) and the fuzz driver's mutator draw from it, so a run is a function
// of its seeds.
#pragma once
#include <cstdint>

namespace exactformer {

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

}  // namespace exactformer
