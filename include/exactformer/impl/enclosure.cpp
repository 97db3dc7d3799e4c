#include "exactformer/enclosure.hpp"

#include <algorithm>

#include <mpfr.h>

#include "exactformer/errors.hpp"

namespace exactformer {
namespace {

// One MPFR scratch value per thread at 53 bits: the transcendental functions of DoubleInterval.
struct Scratch53 {
  mpfr_t v;
  Scratch53() { mpfr_init2(v, 53); }
  ~Scratch53() { mpfr_clear(v); }
};

template <class F>  // F: int(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t)
double mpfr53(F f, double x, mpfr_rnd_t rnd) {
  thread_local Scratch53 s;
  mpfr_set_d(s.v, x, MPFR_RNDN);  // exact: 53 bits hold a double
  f(s.v, s.v, rnd);
  return mpfr_get_d(s.v, rnd);  // exact or rounded in the same direction
}

// f(x) rounded to nearest at 53 bits, and its ternary sign (MPFR: > 0 when the rounded value is above f(x)):
// both bounds of f(x) from one evaluation. Where the value is below 2^-1000 (a double's subnormals round again),
// the two directed evaluations instead.
template <class F>
std::pair<double, double> mpfr53_bounds(F f, double x) {
  thread_local Scratch53 s;
  mpfr_set_d(s.v, x, MPFR_RNDN);
  const int t = f(s.v, s.v, MPFR_RNDN);
  if (mpfr_zero_p(s.v) || mpfr_get_exp(s.v) < -1000 || mpfr_get_exp(s.v) > 1000) return {mpfr53(f, x, MPFR_RNDD), mpfr53(f, x, MPFR_RNDU)};
  const double r = mpfr_get_d(s.v, MPFR_RNDN);  // exact: 53 bits in the normal range
  return {t > 0 ? next_down(r) : r, t < 0 ? next_up(r) : r};
}

template <class F>
DoubleInterval increasing(F f, const DoubleInterval& x) {
  const auto lo = mpfr53_bounds(f, x.lo);
  if (x.point()) return {lo.first, lo.second};
  return {lo.first, mpfr53_bounds(f, x.hi).second};
}

thread_local long mpfi_bits = 128;

}  // namespace

DoubleInterval operator*(const DoubleInterval& a, const DoubleInterval& b) {
  if (a.point()) return b * a.lo;
  if (b.point()) return a * b.lo;
  const double c[4][2] = {{a.lo, b.lo}, {a.lo, b.hi}, {a.hi, b.lo}, {a.hi, b.hi}};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& p : c) {
    lo = std::min(lo, DoubleInterval::prod_down(p[0], p[1]));
    hi = std::max(hi, DoubleInterval::prod_up(p[0], p[1]));
  }
  return {lo, hi};
}

DoubleInterval operator/(const DoubleInterval& a, const DoubleInterval& b) {
  EXACTFORMER_ASSERT(b.lo > 0 || b.hi < 0, "interval division by an interval containing 0");
  const double c[4][2] = {{a.lo, b.lo}, {a.lo, b.hi}, {a.hi, b.lo}, {a.hi, b.hi}};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& p : c) {
    lo = std::min(lo, DoubleInterval::quot_down(p[0], p[1]));
    hi = std::max(hi, DoubleInterval::quot_up(p[0], p[1]));
  }
  return {lo, hi};
}

DoubleInterval sqrt(const DoubleInterval& x) {
  EXACTFORMER_ASSERT(x.lo >= 0, "interval square root of a negative interval");
  const auto down = [](double v) {
    const double s = std::sqrt(v);
    if (DoubleInterval::tiny_or_inf(s)) return s == 0 ? 0.0 : next_down(s);
    return std::fma(-s, s, v) < 0 ? next_down(s) : s;  // v - s^2 < 0: sqrt(v) < s
  };
  const auto up = [](double v) {
    const double s = std::sqrt(v);
    if (DoubleInterval::tiny_or_inf(s)) return next_up(s);
    return std::fma(-s, s, v) > 0 ? next_up(s) : s;
  };
  return {down(x.lo), up(x.hi)};
}

DoubleInterval square(const DoubleInterval& x) {
  const double a = std::fabs(x.lo), b = std::fabs(x.hi);
  const double lo = (x.lo <= 0 && x.hi >= 0) ? 0 : std::min(a, b), hi = std::max(a, b);
  return {DoubleInterval::prod_down(lo, lo), DoubleInterval::prod_up(hi, hi)};
}

DoubleInterval exp(const DoubleInterval& x) { return increasing(mpfr_exp, x); }
DoubleInterval exp2(const DoubleInterval& x) { return increasing(mpfr_exp2, x); }
DoubleInterval erf(const DoubleInterval& x) { return increasing(mpfr_erf, x); }
DoubleInterval tanh(const DoubleInterval& x) { return increasing(mpfr_tanh, x); }

DoubleInterval pi_enclosure(const DoubleInterval&) {
  thread_local Scratch53 s;
  mpfr_const_pi(s.v, MPFR_RNDD);
  const double lo = mpfr_get_d(s.v, MPFR_RNDD);
  mpfr_const_pi(s.v, MPFR_RNDU);
  return {lo, mpfr_get_d(s.v, MPFR_RNDU)};
}

// ---------------------------------------------------------------------------------------------------

double ExactValue::lower() const { return to_double(v, -1); }
double ExactValue::upper() const { return to_double(v, 1); }

ExactValue sqrt(const ExactValue& x) {
  EXACTFORMER_ASSERT(x.v >= 0, "exact square root of a negative number");
  const mpz_srcptr num = mpq_numref(x.v.backend().data()), den = mpq_denref(x.v.backend().data());
  if (!mpz_perfect_square_p(num) || !mpz_perfect_square_p(den)) throw not_exact("the square root of a non-square rational");
  Z a, b;
  mpz_sqrt(a.backend().data(), num);
  mpz_sqrt(b.backend().data(), den);
  return ExactValue(Q(a, b));
}
ExactValue exp(const ExactValue& x) {
  if (x.v == 0) return ExactValue(1.0);
  throw not_exact("e^x");
}
ExactValue exp2(const ExactValue& x) {
  if (!is_integer(x.v) || x.v > 4096 || x.v < -4096) throw not_exact("2^x off the integers");
  const long e = static_cast<long>(x.v.convert_to<double>());
  Q r(1);
  if (e >= 0) mpq_mul_2exp(r.backend().data(), r.backend().data(), static_cast<mp_bitcnt_t>(e));
  else mpq_div_2exp(r.backend().data(), r.backend().data(), static_cast<mp_bitcnt_t>(-e));
  return ExactValue(r);
}
ExactValue erf(const ExactValue& x) {
  if (x.v == 0) return x;
  throw not_exact("erf");
}
ExactValue tanh(const ExactValue& x) {
  if (x.v == 0) return x;
  throw not_exact("tanh");
}
ExactValue hull(const ExactValue& a, const ExactValue& b) {
  if (a.v != b.v) throw not_exact("the hull of two different rationals");
  return a;
}
ExactValue pi_enclosure(const ExactValue&) { throw not_exact("pi"); }

// ---------------------------------------------------------------------------------------------------

void MpfiInterval::set_precision(long bits) { mpfi_bits = bits; }
long MpfiInterval::precision() { return mpfi_bits; }

double MpfiInterval::mid() const {
  mpfr_t m;
  mpfr_init2(m, 64);
  mpfi_mid(m, v_);
  const double d = mpfr_get_d(m, MPFR_RNDN);
  mpfr_clear(m);
  return d;
}
MpfiInterval MpfiInterval::lower_point() const {
  MpfiInterval r;
  mpfi_set_fr(r.v_, &v_->left);
  return r;
}
MpfiInterval MpfiInterval::upper_point() const {
  MpfiInterval r;
  mpfi_set_fr(r.v_, &v_->right);
  return r;
}

#define EXACTFORMER_MPFI_BINARY(op, fn)                                    \
  MpfiInterval operator op(const MpfiInterval& a, const MpfiInterval& b) { \
    MpfiInterval r;                                                        \
    fn(r.get(), a.get(), b.get());                                         \
    return r;                                                              \
  }
EXACTFORMER_MPFI_BINARY(+, mpfi_add)
EXACTFORMER_MPFI_BINARY(-, mpfi_sub)
EXACTFORMER_MPFI_BINARY(*, mpfi_mul)
#undef EXACTFORMER_MPFI_BINARY

MpfiInterval operator/(const MpfiInterval& a, const MpfiInterval& b) {
  EXACTFORMER_ASSERT(mpfi_has_zero(b.get()) == 0, "interval division by an interval containing 0");
  MpfiInterval r;
  mpfi_div(r.get(), a.get(), b.get());
  return r;
}
MpfiInterval operator-(const MpfiInterval& a) {
  MpfiInterval r;
  mpfi_neg(r.get(), a.get());
  return r;
}
MpfiInterval operator*(const MpfiInterval& a, double w) {
  MpfiInterval r;
  mpfi_mul_d(r.get(), a.get(), w);
  return r;
}

#define EXACTFORMER_MPFI_UNARY(name, fn)       \
  MpfiInterval name(const MpfiInterval& x) { \
    MpfiInterval r;                            \
    fn(r.get(), x.get());                      \
    return r;                                  \
  }
EXACTFORMER_MPFI_UNARY(square, mpfi_sqr)
EXACTFORMER_MPFI_UNARY(exp, mpfi_exp)
EXACTFORMER_MPFI_UNARY(exp2, mpfi_exp2)
EXACTFORMER_MPFI_UNARY(tanh, mpfi_tanh)
#undef EXACTFORMER_MPFI_UNARY

MpfiInterval sqrt(const MpfiInterval& x) {
  EXACTFORMER_ASSERT(mpfr_sgn(&x.get()->left) >= 0, "interval square root of a negative interval");
  MpfiInterval r;
  mpfi_sqrt(r.get(), x.get());
  return r;
}

MpfiInterval erf(const MpfiInterval& x) {  // MPFI has no erf; erf increases, so its endpoints bound it
  MpfiInterval r;
  mpfr_erf(&r.get()->left, &x.get()->left, MPFR_RNDD);
  mpfr_erf(&r.get()->right, &x.get()->right, MPFR_RNDU);
  return r;
}

MpfiInterval relu(const MpfiInterval& x) {
  MpfiInterval r(x);
  if (mpfr_sgn(&r.get()->left) < 0) mpfr_set_zero(&r.get()->left, 1);
  if (mpfr_sgn(&r.get()->right) <= 0) mpfr_set_zero(&r.get()->right, -1);  // MPFI keeps a right endpoint 0 as -0
  return r;
}

MpfiInterval hull(const MpfiInterval& a, const MpfiInterval& b) {
  MpfiInterval r;
  mpfi_union(r.get(), a.get(), b.get());
  return r;
}

MpfiInterval pi_enclosure(const MpfiInterval&) {
  MpfiInterval r;
  mpfi_const_pi(r.get());
  return r;
}

}  // namespace exactformer
