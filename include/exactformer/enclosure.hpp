// Enclosures of real numbers, the scalars of the certified forward pass of imported models (tl_forward.hpp).
//
//   DoubleInterval  [lo, hi] in doubles. Each + − × ÷ √ is done in round-to-nearest and its exact error is
//                   found by an error-free transformation (TwoSum; the fma residual of a product, quotient or
//                   root): an exact result stays a point, an inexact one moves one ulp outward on the side the
//                   error lies. e^x, 2^x and erf come from tables enclosed once by MPFR / MPFI plus a Taylor
//                   polynomial with a proven remainder, tanh from e^x (docs/import.md, "Fast enclosures of e^x
//                   and erf"; MPFR's directed rounding outside their ranges). Results below 2^-900 in
//                   magnitude (where residuals may underflow) and overflows widen one ulp each way without the
//                   residual test, or become ±inf (the caller escalates). The matrix products and attention
//                   sums use the midpoint-radius kernels below.
//   ExactValue      a GMP rational, a point: the exact rung for rational models (hard attention's ties, exact
//                   logit ties). e^x, erf, tanh, pi, and sqrt or 2^x off perfect squares / integers throw not_exact.
//   MpfiInterval    MPFI at a run-time precision (set_precision, per thread): the escalation rungs.
//
// Both satisfy the invariant: an interval encloses the exact real value of what it stands for. Operations
// needed by tl_forward.hpp: + − × (interval × interval and × double), ÷ (divisor excluding 0), sqrt of a
// non-negative interval, exp / exp2 (increasing), erf and tanh (increasing), max(0, x), hull, and the
// endpoint points (lower_point, upper_point) for the non-monotone GELUs (gelu_enclosure below).
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <mpfi.h>

#include "exactformer/errors.hpp"
#include "exactformer/rational.hpp"

namespace exactformer {

// The neighbouring doubles (std::nextafter toward ±inf, inline: the fast path calls them for every inexact step).
inline double next_up(double x) {
  if (std::isnan(x) || x == std::numeric_limits<double>::infinity()) return x;
  if (x == 0) return std::numeric_limits<double>::denorm_min();
  const auto bits = std::bit_cast<std::uint64_t>(x);
  return std::bit_cast<double>(x > 0 ? bits + 1 : bits - 1);
}
inline double next_down(double x) { return -next_up(-x); }

class DoubleInterval {
 public:
  double lo = 0, hi = 0;
  DoubleInterval() = default;
  explicit DoubleInterval(double x) : lo(x), hi(x) {}
  DoubleInterval(double l, double h) : lo(l), hi(h) {}
  static constexpr const char* name() { return "double"; }
  bool point() const { return lo == hi; }
  bool zero() const { return lo == 0 && hi == 0; }
  bool finite() const { return std::isfinite(lo) && std::isfinite(hi); }
  double lower() const { return lo; }
  double upper() const { return hi; }
  double mid() const { return lo + (hi - lo) / 2; }
  DoubleInterval lower_point() const { return DoubleInterval(lo); }
  DoubleInterval upper_point() const { return DoubleInterval(hi); }
  bool certainly_less(const DoubleInterval& o) const { return hi < o.lo; }
  bool certainly_positive() const { return lo > 0; }
  bool same_point(const DoubleInterval& o) const { return point() && o.point() && lo == o.lo; }
  bool operator==(const DoubleInterval& o) const { return lo == o.lo && hi == o.hi; }

  // s + e == a + b exactly (TwoSum); the bounds of the exact sum. (A sum that lands among the subnormals is
  // exact, so only an overflow needs care.)
  static double sum_down(double a, double b) {
    const double s = a + b;
    if (std::isinf(s)) return next_down(s);
    const double bb = s - a, e = (a - (s - bb)) + (b - bb);
    return e < 0 ? next_down(s) : s;
  }
  static double sum_up(double a, double b) {
    const double s = a + b;
    if (std::isinf(s)) return next_up(s);
    const double bb = s - a, e = (a - (s - bb)) + (b - bb);
    return e > 0 ? next_up(s) : s;
  }
  static double prod_down(double a, double b) {
    const double p = a * b;
    if (p == 0 && (a == 0 || b == 0)) return 0;
    if (tiny_or_inf(p)) return next_down(p);
    return std::fma(a, b, -p) < 0 ? next_down(p) : p;
  }
  static double prod_up(double a, double b) {
    const double p = a * b;
    if (p == 0 && (a == 0 || b == 0)) return 0;
    if (tiny_or_inf(p)) return next_up(p);
    return std::fma(a, b, -p) > 0 ? next_up(p) : p;
  }
  static double quot_down(double a, double b) {  // b != 0
    const double q = a / b;
    if (a == 0) return 0;
    if (tiny_or_inf(q)) return next_down(q);
    const double r = std::fma(-q, b, a);  // a - q b exactly; a / b - q = r / b
    return (r != 0 && ((r < 0) != (b < 0))) ? next_down(q) : q;
  }
  static double quot_up(double a, double b) {
    const double q = a / b;
    if (a == 0) return 0;
    if (tiny_or_inf(q)) return next_up(q);
    const double r = std::fma(-q, b, a);
    return (r != 0 && ((r < 0) == (b < 0))) ? next_up(q) : q;
  }
  static bool tiny_or_inf(double x) { return !(std::fabs(x) >= 0x1p-900) || std::isinf(x); }
};

inline DoubleInterval operator+(const DoubleInterval& a, const DoubleInterval& b) {
  return {DoubleInterval::sum_down(a.lo, b.lo), DoubleInterval::sum_up(a.hi, b.hi)};
}
inline DoubleInterval operator-(const DoubleInterval& a, const DoubleInterval& b) {
  return {DoubleInterval::sum_down(a.lo, -b.hi), DoubleInterval::sum_up(a.hi, -b.lo)};
}
inline DoubleInterval operator-(const DoubleInterval& a) { return {-a.hi, -a.lo}; }
inline DoubleInterval operator*(const DoubleInterval& a, double w) {
  if (w >= 0) return {DoubleInterval::prod_down(a.lo, w), DoubleInterval::prod_up(a.hi, w)};
  return {DoubleInterval::prod_down(a.hi, w), DoubleInterval::prod_up(a.lo, w)};
}
DoubleInterval operator*(const DoubleInterval& a, const DoubleInterval& b);
DoubleInterval operator/(const DoubleInterval& a, const DoubleInterval& b);  // b must exclude 0 (internal_error)
DoubleInterval sqrt(const DoubleInterval& x);                                // x.lo >= 0
DoubleInterval square(const DoubleInterval& x);                              // x^2 >= 0, tighter than x * x
DoubleInterval exp(const DoubleInterval& x);
DoubleInterval exp2(const DoubleInterval& x);
DoubleInterval erf(const DoubleInterval& x);
DoubleInterval tanh(const DoubleInterval& x);
// The same functions by MPFR at 53 bits (the tests compare them with the tables' enclosures above).
DoubleInterval exp_by_mpfr(const DoubleInterval& x);
DoubleInterval exp2_by_mpfr(const DoubleInterval& x);
DoubleInterval erf_by_mpfr(const DoubleInterval& x);
DoubleInterval tanh_by_mpfr(const DoubleInterval& x);
inline DoubleInterval relu(const DoubleInterval& x) { return {std::max(0.0, x.lo), std::max(0.0, x.hi)}; }
inline DoubleInterval hull(const DoubleInterval& a, const DoubleInterval& b) { return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)}; }
DoubleInterval pi_enclosure(const DoubleInterval& like);

// Sums of products in midpoint-radius form (docs/import.md, "Midpoint-radius sums"): the fast path's matrix
// products and attention sums, in plain round-to-nearest double loops that the compiler vectorises. An interval is
// [mid - rad, mid + rad]; a sum over k terms of products of such intervals (or of an interval and an exact double)
// is accumulated as three plain sums — mid^ = sum of mid products, mag^ = sum of |mid products|, rad^ = sum of the
// radius terms — and from_mid_rad_sums turns them into a proven enclosure: with ops the roundings any one term
// passes through (at most 2^40) and g = ops u (1 + 2^-12) >= gamma_ops = ops u / (1 - ops u), u = 2^-53,
//   |exact - mid^| <= (1 + g) (rad^ + g mag^) + 3 ops 2^-1074,
// each operation of that bound rounded upward. (Proof: docs/import.md, "Midpoint-radius sums".)
// The result is never a point (hard attention, which needs exact ties, keeps the operation-by-operation path).
struct MidRad {
  double mid = 0, rad = 0;
};
inline MidRad to_mid_rad(const DoubleInterval& x) {
  if (x.lo == x.hi) return {x.lo, 0};
  const double m = 0.5 * x.lo + 0.5 * x.hi;
  return {m, next_up(std::max(x.hi - m, m - x.lo))};  // next_up of a rounded difference bounds the exact one
}
// (ops: every caller passes a count of its loop's terms, far below 2^40)
inline DoubleInterval from_mid_rad_sums(double mid, double mag, double rad, double ops) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const double g = ops * (0x1p-53 + 0x1p-65);  // exact (ops has at most 40 bits); so is 1 + g
  // up(v): the next double above a finite v >= 0, so above the exact value that v rounds (every term here is >= 0);
  // an infinity or NaN anywhere fails the finiteness test below
  const auto up = [](double v) { return std::bit_cast<double>(std::bit_cast<std::uint64_t>(v) + 1); };
  const double radius = up(up((1 + g) * up(rad + up(g * mag))) + 3 * ops * 0x1p-1074);
  if (!(std::fabs(mid) + radius <= std::numeric_limits<double>::max())) return {-inf, inf};  // (NaN: false)
  // the neighbours of the finite rounded ends, outward: below mid - radius and above mid + radius
  const double lo = mid - radius, hi = mid + radius;
  const auto step = [](double v, bool upward) {
    if (v == 0) return upward ? std::numeric_limits<double>::denorm_min() : -std::numeric_limits<double>::denorm_min();
    const auto bits = std::bit_cast<std::uint64_t>(v);
    return std::bit_cast<double>((v > 0) == upward ? bits + 1 : bits - 1);
  };
  return {step(lo, false), step(hi, true)};
}

// The kernels: out = x W + bias (W: rows x cols, row-major; bias: cols or null); a . b; z = sum_j w_j values_j
// (z: values' row length). A non-finite input gives [-inf, inf] where it reaches.
void mid_rad_vec_mat(const std::vector<DoubleInterval>& x, const double* w_rows, std::size_t rows, std::size_t cols,
                     const std::vector<double>* bias, std::vector<DoubleInterval>& out);
DoubleInterval mid_rad_dot(const std::vector<DoubleInterval>& a, const std::vector<DoubleInterval>& b);
void mid_rad_weighted_sum(const std::vector<DoubleInterval>& w, const std::vector<std::vector<DoubleInterval>>& values,
                          std::vector<DoubleInterval>& z);

// An exact rational as a (point) enclosure.
class ExactValue {
 public:
  Q v;
  ExactValue() = default;
  explicit ExactValue(double x) : v(x) {}  // exact: a double is a dyadic rational
  explicit ExactValue(Q x) : v(std::move(x)) {}
  static constexpr const char* name() { return "exact"; }
  bool point() const { return true; }
  bool zero() const { return v == 0; }
  bool finite() const { return true; }
  double lower() const;  // the double nearest below / above (reports and heuristics only)
  double upper() const;
  ExactValue lower_point() const { return *this; }
  ExactValue upper_point() const { return *this; }
  bool certainly_less(const ExactValue& o) const { return v < o.v; }
  bool certainly_positive() const { return v > 0; }
  bool same_point(const ExactValue& o) const { return v == o.v; }
  bool operator==(const ExactValue& o) const { return v == o.v; }
};
inline ExactValue operator+(const ExactValue& a, const ExactValue& b) { return ExactValue(a.v + b.v); }
inline ExactValue operator-(const ExactValue& a, const ExactValue& b) { return ExactValue(a.v - b.v); }
inline ExactValue operator-(const ExactValue& a) { return ExactValue(-a.v); }
inline ExactValue operator*(const ExactValue& a, const ExactValue& b) { return ExactValue(a.v * b.v); }
inline ExactValue operator*(const ExactValue& a, double w) { return ExactValue(a.v * Q(w)); }
inline ExactValue operator/(const ExactValue& a, const ExactValue& b) {
  EXACTFORMER_ASSERT(b.v != 0, "exact division by 0");
  return ExactValue(a.v / b.v);
}
ExactValue sqrt(const ExactValue& x);  // a perfect square of rationals, else not_exact
inline ExactValue square(const ExactValue& x) { return ExactValue(x.v * x.v); }
ExactValue exp(const ExactValue& x);   // not_exact (except e^0)
ExactValue exp2(const ExactValue& x);  // an integer exponent in [-4096, 4096], else not_exact
ExactValue erf(const ExactValue& x);   // not_exact (except erf 0)
ExactValue tanh(const ExactValue& x);  // not_exact (except tanh 0)
inline ExactValue relu(const ExactValue& x) { return x.v > 0 ? x : ExactValue(0.0); }
ExactValue hull(const ExactValue& a, const ExactValue& b);  // a == b, else not_exact
ExactValue pi_enclosure(const ExactValue& like);           // not_exact

// MPFI at the calling thread's precision (MpfiInterval::set_precision).
class MpfiInterval {
 public:
  MpfiInterval() { mpfi_init2(v_, precision()); mpfi_set_si(v_, 0); }
  explicit MpfiInterval(double x) { mpfi_init2(v_, precision()); mpfi_set_d(v_, x); }
  MpfiInterval(const MpfiInterval& o) { mpfi_init2(v_, precision()); mpfi_set(v_, o.v_); }
  MpfiInterval& operator=(const MpfiInterval& o) { if (this != &o) mpfi_set(v_, o.v_); return *this; }
  ~MpfiInterval() { mpfi_clear(v_); }
  static constexpr const char* name() { return "mpfi"; }
  static void set_precision(long bits);
  static long precision();
  mpfi_ptr get() { return v_; }
  mpfi_srcptr get() const { return v_; }
  bool point() const { return mpfr_equal_p(&v_->left, &v_->right) != 0; }
  bool zero() const { return mpfi_is_zero(v_) != 0; }
  bool finite() const { return mpfr_number_p(&v_->left) && mpfr_number_p(&v_->right); }
  double lower() const { return mpfr_get_d(&v_->left, MPFR_RNDD); }
  double upper() const { return mpfr_get_d(&v_->right, MPFR_RNDU); }
  double mid() const;
  MpfiInterval lower_point() const;
  MpfiInterval upper_point() const;
  bool certainly_less(const MpfiInterval& o) const { return mpfr_less_p(&v_->right, &o.v_->left) != 0; }
  bool certainly_positive() const { return mpfr_sgn(&v_->left) > 0; }
  bool same_point(const MpfiInterval& o) const { return point() && o.point() && mpfr_equal_p(&v_->left, &o.v_->left); }
  bool operator==(const MpfiInterval& o) const { return mpfr_equal_p(&v_->left, &o.v_->left) && mpfr_equal_p(&v_->right, &o.v_->right); }

 private:
  mpfi_t v_;
};

MpfiInterval operator+(const MpfiInterval& a, const MpfiInterval& b);
MpfiInterval operator-(const MpfiInterval& a, const MpfiInterval& b);
MpfiInterval operator-(const MpfiInterval& a);
MpfiInterval operator*(const MpfiInterval& a, double w);
MpfiInterval operator*(const MpfiInterval& a, const MpfiInterval& b);
MpfiInterval operator/(const MpfiInterval& a, const MpfiInterval& b);
MpfiInterval sqrt(const MpfiInterval& x);
MpfiInterval square(const MpfiInterval& x);
MpfiInterval exp(const MpfiInterval& x);
MpfiInterval exp2(const MpfiInterval& x);
MpfiInterval erf(const MpfiInterval& x);
MpfiInterval tanh(const MpfiInterval& x);
MpfiInterval relu(const MpfiInterval& x);
MpfiInterval hull(const MpfiInterval& a, const MpfiInterval& b);
MpfiInterval pi_enclosure(const MpfiInterval& like);

// The GELUs on an interval. Both are decreasing left of one minimiser x* and increasing right of it; x* lies in
// a dyadic bracket [x1, x2] of width w = 2^-26 (the signs of f' at x1 and x2 are checked in the tests), and
// |f''| <= 1 on the bracket, so min f = f(x*) >= min(f(x1), f(x2)) - w^2/2 (Taylor at x*, where f' = 0).
// The range on [a, b] is therefore enclosed by the hull of f(a), f(b) and, when [a, b] meets the bracket, the
// bound [min(f(x1), f(x2)) - w^2, f(a) or f(b)]. Point values use the interval operations above.
//   gelu(x)     = x Φ(x) = x (1 + erf(x / √2)) / 2
//   gelu_new(x) = x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2   (0.044715: the double nearest it, as in PyTorch)
inline constexpr double kGeluBracketLo = -50451876.0 / 67108864.0, kGeluBracketHi = -50451875.0 / 67108864.0;
inline constexpr double kGeluNewBracketLo = -50496832.0 / 67108864.0, kGeluNewBracketHi = -50496831.0 / 67108864.0;

template <class I>
I gelu_point(const I& x) {
  const I phi = (I(1.0) + erf(x * sqrt(I(0.5)))) * 0.5;  // (x / sqrt 2 as x sqrt(1/2): a product, not a quotient)
  return x * phi;
}
template <class I>
I gelu_new_point(const I& x) {
  const I two(2.0);
  const I c = sqrt(two / pi_enclosure(x));
  const I inner = c * (x + x * x * x * 0.044715);
  return x * (I(1.0) + tanh(inner)) / two;
}
template <class I, class F>
I unimodal_enclosure(const I& x, double bracket_lo, double bracket_hi, const F& f) {
  I r = x.point() ? f(x) : hull(f(x.lower_point()), f(x.upper_point()));
  if (I(bracket_hi).certainly_less(x) || x.certainly_less(I(bracket_lo))) return r;  // monotone on [a, b]
  const double w = bracket_hi - bracket_lo;
  const I floor_value = hull(f(I(bracket_lo)), f(I(bracket_hi))) - I(w * w);
  return hull(r, floor_value.lower_point());
}
template <class I>
I gelu(const I& x) { return unimodal_enclosure(x, kGeluBracketLo, kGeluBracketHi, [](const I& p) { return gelu_point(p); }); }
template <class I>
I gelu_new(const I& x) { return unimodal_enclosure(x, kGeluNewBracketLo, kGeluNewBracketHi, [](const I& p) { return gelu_new_point(p); }); }

}  // namespace exactformer
