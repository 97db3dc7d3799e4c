// Bound: a closed interval [lo, hi] with exact rational endpoints, the scalar of the certified path.
//
// Why rational endpoints (and not Boost's mpfi_float): a point [a, a] is then an exact value of any size
// (1/3 included), so exact scores, exact value sums and clamps that sign-pattern evaluation decides stay
// exact with no conversion; interval endpoints are rounded outward to a run-time number of bits
// (`round_outward`), which keeps them small and is where the precision ladder acts; and there is no
// comparison operator on Bound at all, so no ambiguous interval comparison can be written. MPFI (through
// its C API, at run-time precision) encloses the only transcendental values, e^x and 2^x; MPFR rounds.
//
// Soundness invariant: every Bound encloses the exact real value of the quantity it stands for.
#pragma once
#include <string>
#include <utility>

#include "exactformer/rational.hpp"

namespace exactformer {

struct Bound {
  Q lo, hi;  // lo <= hi; lo == hi: the exact value
  Bound() = default;
  explicit Bound(const Q& x) : lo(x), hi(x) {}
  Bound(Q l, Q h) : lo(std::move(l)), hi(std::move(h)) {}
  bool point() const { return lo == hi; }
  bool contains(const Q& x) const { return lo <= x && x <= hi; }
  Q width() const { return hi - lo; }
  // Identical enclosures (the evaluator's cache test), not a comparison of the values enclosed.
  friend bool operator==(const Bound& a, const Bound& b) { return a.lo == b.lo && a.hi == b.hi; }
};

inline Bound operator+(const Bound& a, const Bound& b) {
  if (a.point() && b.point()) return Bound(a.lo + b.lo);
  return {a.lo + b.lo, a.hi + b.hi};
}
inline Bound operator-(const Bound& a, const Bound& b) {
  if (a.point() && b.point()) return Bound(a.lo - b.lo);
  return {a.lo - b.hi, a.hi - b.lo};
}
inline Bound operator*(const Bound& a, const Q& w) {
  if (a.point()) return Bound(a.lo * w);
  if (w >= 0) return {a.lo * w, a.hi * w};
  return {a.hi * w, a.lo * w};
}
Bound operator*(const Bound& a, const Bound& b);
// acc += x * w
void add_scaled(Bound& acc, const Bound& x, const Q& w);
// 1 / x for an x that excludes 0 (internal_error otherwise).
Bound reciprocal(const Bound& x);

// Rounds the endpoints of a proper interval outward to `bits` significant bits (points stay exact).
void round_outward(Bound& x, long bits);

enum class ExpBase { e, two };
// An enclosure of base^x for an exact x, to `bits` bits: MPFI's mpfi_exp / mpfi_exp2 on mpfi_set_q(x).
// A point when the value is a dyadic rational that fits (2^k for an integer k).
Bound exp_enclosure(const Q& x, ExpBase base, long bits);
// The same for x anywhere in [lo, hi] (base^x increases in x).
Bound exp_enclosure(const Bound& x, ExpBase base, long bits);

// The precision ladder of the certified path: the bits of each rung (precision.md's 68 ... 2128).
inline constexpr long kRungBits[] = {68, 134, 267, 533, 1065, 2128};
inline constexpr int kRungs = 6;
inline constexpr int kDefaultMaxRung = 4;  // 1065 bits
// The highest rung with at most `bits` bits (rung 0 if none).
inline int rung_for_bits(long bits) {
  int r = 0;
  while (r + 1 < kRungs && kRungBits[r + 1] <= bits) ++r;
  return r;
}

// x in decimal scientific notation with 3 significant digits ("2.13e-21"; any magnitude), for reports.
std::string approx(const Q& x);

// Call at the end of a thread that used MPFR (frees its thread-local caches; LeakSanitizer quiet).
void release_thread_caches();

}  // namespace exactformer
