#include "exactformer/enclosure.hpp"

#include <algorithm>
#include <vector>

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
  if (b.point()) {  // the quotient by one positive or negative double: two quotients
    if (b.lo > 0) return {DoubleInterval::quot_down(a.lo, b.lo), DoubleInterval::quot_up(a.hi, b.lo)};
    return {DoubleInterval::quot_down(a.hi, b.lo), DoubleInterval::quot_up(a.lo, b.lo)};
  }
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

// ---------------------------------------------------------------------------------------------------
// e^x and erf x at a double x in double-interval operations, with tables enclosed once by MPFR (docs/import.md,
// "Fast enclosures of e^x and erf"): every step below is an interval operation (so it encloses its exact real
// value), and each truncated series carries its proven remainder bound. Outside their ranges, MPFR.

namespace {

DoubleInterval mpfr_enclosure(mpfr_t v) {  // v exact at its precision: outward to doubles
  return {mpfr_get_d(v, MPFR_RNDD), mpfr_get_d(v, MPFR_RNDU)};
}

// sum_{j<N} c_j h^j, c_j = [mid_j ± rad_j], at a double |h| <= 1: Horner in round-to-nearest on the mids, on
// (2j + 1) |mid_j| and on rad_j (at |h|). The term c_j h^j passes through 2j + 1 roundings of the mids' Horner, so its
// error is at most gamma_(2j+1) |c_j h^j| <= 2 u (2j + 1) |c_j h^j| (Higham, Accuracy and Stability, (5.3) term by
// term; u = 2^-53): the mids' error is at most 2u E + 2N 2^-1074, E = sum (2j + 1) |mid_j| |h|^j (underflow errors
// only shrink under |h| <= 1). The computed E^ and rad^ (terms >= 0, at most 2N + 1 roundings each) are below the
// exact ones by at most a factor 1 + G, G = 2 (2N + 1) u, and N 2^-1074 each; so
//   |exact - mid^| <= (1 + G) (rad^ + 2u E^) + 6N 2^-1074,
// each operation of that bound rounded upward.
template <int N>
DoubleInterval horner(const MidRad (&c)[N], double h) {
  const double a = std::fabs(h);
  double mid = c[N - 1].mid, weighted = (2 * N - 1) * std::fabs(c[N - 1].mid), rad = c[N - 1].rad;
  for (int j = N - 2; j >= 0; --j) {
    mid = mid * h + c[j].mid;
    weighted = weighted * a + (2 * j + 1) * std::fabs(c[j].mid);
    rad = rad * a + c[j].rad;
  }
  constexpr double inf = std::numeric_limits<double>::infinity(), G = 2 * (2 * N + 1) * 0x1p-53;  // 1 + G exact
  const auto up = [](double v) { return std::bit_cast<double>(std::bit_cast<std::uint64_t>(v) + 1); };  // v >= 0
  const double radius = up(up((1 + G) * up(rad + up(0x1p-52 * weighted))) + 6 * N * 0x1p-1074);
  if (!std::isfinite(radius) || !std::isfinite(mid)) return {-inf, inf};
  return {next_down(mid - radius), next_up(mid + radius)};
}

// e^x = 2^M 2^(j/64) e^h, x = N ln2/64 + h, N = 64 M + j, 0 <= j < 64, |h| <= 0.0055 (in fact <= ln2/128 + 2^-40).
// ln2/64 = C1 + C2 with C1 of 32 significant bits, so N C1 is exact for |N| < 2^20.
// e^h = sum_{i<=6} h^i/i! + R, |R| <= e^|h| |h|^7/7! <= 1.0056 * 0.0055^7 / 5040 < 3.1e-20 < 2^-64.
struct ExpTables {
  double c1 = 0;
  DoubleInterval c2, two_to[64];
  MidRad inverse_factorial[7];
  ExpTables() {
    mpfr_t v, w;
    mpfr_init2(v, 256);
    mpfr_init2(w, 32);
    mpfr_const_log2(v, MPFR_RNDN);
    mpfr_div_ui(v, v, 64, MPFR_RNDN);  // exact: a power of 2
    mpfr_set(w, v, MPFR_RNDN);
    c1 = mpfr_get_d(w, MPFR_RNDN);  // exact: 32 bits
    mpfr_sub_d(v, v, c1, MPFR_RNDN);  // exact at 256 bits: (ln2/64 rounded to 256 bits) - c1; the 256-bit rounding is
    c2 = mpfr_enclosure(v);           // below 2^-262, far inside the one-ulp widening below
    c2 = {next_down(c2.lo), next_up(c2.hi)};
    mpfr_set_prec(w, 53);
    for (int j = 0; j < 64; ++j) {
      mpfr_set_si(v, j, MPFR_RNDN);
      mpfr_div_ui(v, v, 64, MPFR_RNDN);  // exact
      mpfr_exp2(w, v, MPFR_RNDD);
      two_to[j].lo = mpfr_get_d(w, MPFR_RNDD);
      mpfr_exp2(w, v, MPFR_RNDU);
      two_to[j].hi = mpfr_get_d(w, MPFR_RNDU);
    }
    DoubleInterval f(1.0);
    for (int i = 0; i < 7; ++i) {
      inverse_factorial[i] = to_mid_rad(DoubleInterval(1.0) / f);
      f = f * static_cast<double>(i + 1);
    }
    mpfr_clear(v);
    mpfr_clear(w);
  }
};

// 2^M 2^(j/64) e^h for N = 64 M + j, |h| <= 0.0055, |N| <= 64 * 900.
DoubleInterval scaled_exp(const ExpTables& t, const DoubleInterval& h, long n) {
  // the polynomial increases on |h| <= 0.0055 (its derivative is the degree-5 one, > 0 there): its ends bound it
  constexpr double remainder = 0x1p-64;
  const double lo = horner(t.inverse_factorial, h.lo).lo, hi = horner(t.inverse_factorial, h.hi).hi;
  const DoubleInterval p(DoubleInterval::sum_down(lo, -remainder), DoubleInterval::sum_up(hi, remainder));
  const long j = ((n % 64) + 64) % 64, m = (n - j) / 64;
  const DoubleInterval& b = t.two_to[j];  // both factors positive
  const DoubleInterval r(DoubleInterval::prod_down(b.lo, p.lo), DoubleInterval::prod_up(b.hi, p.hi));
  // r in [0.99, 2.02): 2^M r stays normal for |M| <= 900, so ldexp is exact
  return {std::ldexp(r.lo, static_cast<int>(m)), std::ldexp(r.hi, static_cast<int>(m))};
}

DoubleInterval exp_at(double x) {
  if (x == 0) return DoubleInterval(1.0);
  if (!(std::fabs(x) <= 600)) return increasing(mpfr_exp, DoubleInterval(x));  // NaN too
  static const ExpTables t;
  const double n = std::nearbyint(x * (64 / 0.6931471805599453));
  const DoubleInterval h = (DoubleInterval(x) - DoubleInterval(n) * t.c1) - t.c2 * n;
  EXACTFORMER_ASSERT(h.lo >= -0.0055 && h.hi <= 0.0055, "exp: argument reduction out of range");
  return scaled_exp(t, h, static_cast<long>(n));
}

// 2^x = 2^M 2^(j/64) e^h, 64 x = N + 64 f, N = 64 M + j, |f| <= 1/128, h = f ln2 (|h| <= 0.0055): the series above.
// An integer x is exact.
DoubleInterval exp2_at(double x) {
  if (!(std::fabs(x) <= 900)) return increasing(mpfr_exp2, DoubleInterval(x));  // NaN too
  if (x == std::nearbyint(x)) return DoubleInterval(std::ldexp(1.0, static_cast<int>(x)));
  static const ExpTables t;
  const double n = std::nearbyint(x * 64);
  const DoubleInterval h = (DoubleInterval(x) - DoubleInterval(n / 64)) * (t.c2 + DoubleInterval(t.c1)) * 64.0;
  EXACTFORMER_ASSERT(h.lo >= -0.0055 && h.hi <= 0.0055, "exp2: argument reduction out of range");
  return scaled_exp(t, h, static_cast<long>(n));
}

// erf(x0 + h) = erf(x0) + sum_{j=1}^{9} e_j h^j + R at the grid points x0 = k/32, 0 <= k <= 192, |h| <= 1/32:
// e_j = erf^(j)(x0)/j! = (2/sqrt(pi)) (-1)^(j-1) H_{j-1}(x0) e^(-x0^2) / j! (H the physicists' Hermite polynomials,
// H_{n+1} = 2x H_n - 2n H_{n-1}), enclosed in MPFI at 192 bits. By Cramer's inequality |H_n(x)| e^(-x^2/2) <=
// 1.0865 2^(n/2) sqrt(n!) (Abramowitz & Stegun 22.14.17), |erf^(10)| <= 1.1284 * 1.0865 * 2^4.5 * sqrt(9!) < 16714,
// so |R| <= 16714 |h|^10 / 10! (< 4.2e-18 at |h| = 1/32, where erf > 0.035). Beyond 6: 1 - erf x = erfc x <= erfc 6 < 2.2e-17 < 2^-53.
constexpr int kErfGrid = 32, kErfPoints = 6 * kErfGrid + 1, kErfTerms = 10;
struct ErfTables {
  MidRad c[kErfPoints][kErfTerms];  // [k][j]: e_j at k/32 (e_0 = erf)
  ErfTables() {
    mpfi_t x, e, h0, h1, h2, t;
    for (auto* p : {&x, &e, &h0, &h1, &h2, &t}) mpfi_init2(*p, 192);
    mpfr_t lo;
    mpfr_init2(lo, 192);
    for (int k = 0; k < kErfPoints; ++k) {
      mpfi_set_si(x, k);
      mpfi_div_ui(x, x, kErfGrid);  // exact
      DoubleInterval e0;
      mpfr_erf(lo, &x->left, MPFR_RNDD);
      e0.lo = mpfr_get_d(lo, MPFR_RNDD);
      mpfr_erf(lo, &x->left, MPFR_RNDU);
      e0.hi = mpfr_get_d(lo, MPFR_RNDU);
      c[k][0] = to_mid_rad(e0);
      mpfi_sqr(e, x);
      mpfi_neg(e, e);
      mpfi_exp(e, e);
      mpfi_const_pi(t);
      mpfi_sqrt(t, t);
      mpfi_div(e, e, t);
      mpfi_mul_ui(e, e, 2);  // (2/sqrt(pi)) e^(-x^2)
      mpfi_set_ui(h0, 1);    // H_0
      mpfi_mul_ui(h1, x, 2); // H_1
      for (int j = 1; j < kErfTerms; ++j) {  // h0 = H_{j-1}, h1 = H_j
        mpfi_mul(t, e, h0);
        if ((j - 1) % 2 == 1) mpfi_neg(t, t);
        for (int f = 2; f <= j; ++f) mpfi_div_ui(t, t, static_cast<unsigned long>(f));
        c[k][j] = to_mid_rad({mpfr_get_d(&t->left, MPFR_RNDD), mpfr_get_d(&t->right, MPFR_RNDU)});
        mpfi_mul(h2, x, h1);
        mpfi_mul_ui(h2, h2, 2);
        mpfi_mul_ui(t, h0, static_cast<unsigned long>(2 * j));
        mpfi_sub(h2, h2, t);  // H_{j+1} = 2x H_j - 2j H_{j-1}
        mpfi_swap(h0, h1);
        mpfi_swap(h1, h2);
      }
    }
    for (auto* p : {&x, &e, &h0, &h1, &h2, &t}) mpfi_clear(*p);
    mpfr_clear(lo);
  }
};

DoubleInterval erf_at(double x) {
  if (x == 0) return DoubleInterval(0.0);
  if (std::isnan(x)) return increasing(mpfr_erf, DoubleInterval(x));
  const double a = std::fabs(x);
  DoubleInterval r;
  if (a >= 6) {
    r = {next_down(1.0), 1.0};
  } else {
    static const ErfTables t;
    // the nearest grid point, but 0 below 1/32 (from 1/32 the series would cancel: erf(1/32) - c h); |h| <= 1/32
    const int k = a < 1.0 / kErfGrid ? 0 : static_cast<int>(std::nearbyint(a * kErfGrid));
    const double h = a - static_cast<double>(k) / kErfGrid;  // exact (Sterbenz: a and k/32 within a factor 2, or k = 0)
    EXACTFORMER_ASSERT(h >= -1.0 / 64 && h <= 1.0 / 32, "erf: grid step out of range");
    const DoubleInterval p = horner(t.c[k], h);
    // |R| <= 16714 |h|^10 / 10! < 0.0047 |h|^10: its rounded value is an upper bound (2% headroom for the eleven
    // roundings) plus 2^-1060 for an underflow.
    const double m = std::fabs(h), m2 = m * m, m4 = m2 * m2, remainder = 0.0047 * (m4 * m4 * m2) + 0x1p-1060;
    r = {DoubleInterval::sum_down(p.lo, -remainder), std::min(1.0, DoubleInterval::sum_up(p.hi, remainder))};
  }
  return x > 0 ? r : -r;
}

// tanh x = 1 - 2 / (e^(2x) + 1) for x > 0 (odd); beyond 19.1, 1 - tanh x < 2 e^-38.2 < 2^-53. Within a few 2^-53
// absolutely (not relatively near 0): gelu_new uses 1 + tanh.
DoubleInterval tanh_at(double x) {
  if (x == 0) return DoubleInterval(0.0);
  if (std::isnan(x)) return increasing(mpfr_tanh, DoubleInterval(x));
  const double a = std::fabs(x);
  DoubleInterval r;
  if (a >= 19.1) {
    r = {next_down(1.0), 1.0};
  } else {
    const DoubleInterval e = exp_at(2 * a);  // 2a exact
    r = DoubleInterval(1.0) - DoubleInterval(2.0) / (e + DoubleInterval(1.0));
    r = {std::max(0.0, r.lo), std::min(1.0, r.hi)};
  }
  return x > 0 ? r : -r;
}

// An increasing f on [a, b]: [f(a).lo, f(b).hi]. With a Lipschitz bound L >= sup f' (erf: 2/sqrt(pi) < 1.1284;
// tanh: 1), an interval of width at most 2^-30 (most are a few ulps: a point's product with an enclosed constant)
// takes one evaluation: f(b) <= f(a) + L (b - a), rounded upward.
template <class F>
DoubleInterval increasing_at(F f, const DoubleInterval& x, double lipschitz = 0) {
  const DoubleInterval lo = f(x.lo);
  if (x.point()) return lo;
  if (lipschitz > 0 && x.hi - x.lo <= 0x1p-30)
    return {lo.lo, DoubleInterval::sum_up(lo.hi, DoubleInterval::prod_up(lipschitz, DoubleInterval::sum_up(x.hi, -x.lo)))};
  return {lo.lo, f(x.hi).hi};
}

}  // namespace

DoubleInterval exp(const DoubleInterval& x) { return increasing_at(exp_at, x); }
DoubleInterval exp2(const DoubleInterval& x) { return increasing_at(exp2_at, x); }
DoubleInterval erf(const DoubleInterval& x) { return increasing_at(erf_at, x, 1.1284); }
DoubleInterval tanh(const DoubleInterval& x) { return increasing_at(tanh_at, x, 1.0); }
// MPFR's, for the tests' comparison
DoubleInterval exp_by_mpfr(const DoubleInterval& x) { return increasing(mpfr_exp, x); }
DoubleInterval exp2_by_mpfr(const DoubleInterval& x) { return increasing(mpfr_exp2, x); }
DoubleInterval erf_by_mpfr(const DoubleInterval& x) { return increasing(mpfr_erf, x); }
DoubleInterval tanh_by_mpfr(const DoubleInterval& x) { return increasing(mpfr_tanh, x); }

// ---------------------------------------------------------------------------------------------------
// Midpoint-radius kernels (enclosure.hpp). Over k terms a term passes through its product and at most k sums (the
// bias, exact, starts the sums): k + 1 roundings, in the mids, the magnitudes and (x W) the radii; for two interval
// factors the radius term |m1| r2 + r1 (|m2| + r2) takes 4 roundings before its k sums: k + 4.

void mid_rad_vec_mat(const std::vector<DoubleInterval>& x, const double* w_rows, std::size_t rows, std::size_t cols,
                     const std::vector<double>* bias, std::vector<DoubleInterval>& out) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  thread_local std::vector<double> mid, mag, rad;
  mid.assign(cols, 0);
  mag.assign(cols, 0);
  rad.assign(cols, 0);
  if (bias)
    for (std::size_t c = 0; c < cols; ++c) mid[c] = (*bias)[c], mag[c] = std::fabs((*bias)[c]);
  double* __restrict pm = mid.data();
  double* __restrict pa = mag.data();
  double* __restrict pr = rad.data();
  for (std::size_t r = 0; r < rows; ++r) {
    if (!x[r].finite()) {
      out.assign(cols, DoubleInterval(-kInf, kInf));
      return;
    }
    const MidRad v = to_mid_rad(x[r]);
    if (v.mid == 0 && v.rad == 0) continue;
    const double* __restrict w = w_rows + r * cols;
    const double a = std::fabs(v.mid), e = v.rad;
    for (std::size_t c = 0; c < cols; ++c) {
      pm[c] += v.mid * w[c];
      pa[c] += a * std::fabs(w[c]);
    }
    if (e > 0)
      for (std::size_t c = 0; c < cols; ++c) pr[c] += e * std::fabs(w[c]);
  }
  out.resize(cols);
  const double ops = static_cast<double>(rows + 1);
  for (std::size_t c = 0; c < cols; ++c) out[c] = from_mid_rad_sums(mid[c], mag[c], rad[c], ops);
}

DoubleInterval mid_rad_dot(const std::vector<DoubleInterval>& a, const std::vector<DoubleInterval>& b) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double mid = 0, mag = 0, rad = 0;
  for (std::size_t c = 0; c < a.size(); ++c) {
    if (!a[c].finite() || !b[c].finite()) return {-kInf, kInf};
    const MidRad x = to_mid_rad(a[c]), y = to_mid_rad(b[c]);
    mid += x.mid * y.mid;
    mag += std::fabs(x.mid * y.mid);
    rad += std::fabs(x.mid) * y.rad + x.rad * (std::fabs(y.mid) + y.rad);
  }
  return from_mid_rad_sums(mid, mag, rad, static_cast<double>(a.size() + 4));
}

void mid_rad_weighted_sum(const std::vector<DoubleInterval>& w, const std::vector<std::vector<DoubleInterval>>& values,
                          std::vector<DoubleInterval>& z) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::size_t cols = values.empty() ? 0 : values[0].size();
  thread_local std::vector<double> mid, mag, rad;
  mid.assign(cols, 0);
  mag.assign(cols, 0);
  rad.assign(cols, 0);
  for (std::size_t j = 0; j < w.size(); ++j) {
    if (w[j].zero()) continue;
    if (!w[j].finite()) {
      z.assign(cols, DoubleInterval(-kInf, kInf));
      return;
    }
    const MidRad x = to_mid_rad(w[j]);
    for (std::size_t c = 0; c < cols; ++c) {
      if (!values[j][c].finite()) {
        z.assign(cols, DoubleInterval(-kInf, kInf));
        return;
      }
      const MidRad y = to_mid_rad(values[j][c]);
      mid[c] += x.mid * y.mid;
      mag[c] += std::fabs(x.mid * y.mid);
      rad[c] += std::fabs(x.mid) * y.rad + x.rad * (std::fabs(y.mid) + y.rad);
    }
  }
  z.resize(cols);
  const double ops = static_cast<double>(w.size() + 4);
  for (std::size_t c = 0; c < cols; ++c) z[c] = from_mid_rad_sums(mid[c], mag[c], rad[c], ops);
}

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
