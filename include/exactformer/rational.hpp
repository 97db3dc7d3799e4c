// The exact scalar: GMP rationals through Boost.Multiprecision, expression templates off, usable in Eigen.
//
// Build values only as q(p) or q(p, d) from integers; never from a double literal (Q(0.1) silently has
// a 2^55 denominator, and Eigen does not reject `A * 0.1`).
#pragma once
#include <boost/multiprecision/gmp.hpp>
#include <boost/multiprecision/eigen.hpp>
#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

#include "exactformer/errors.hpp"

namespace exactformer {

using Q = boost::multiprecision::number<boost::multiprecision::gmp_rational, boost::multiprecision::et_off>;
using Z = boost::multiprecision::number<boost::multiprecision::gmp_int, boost::multiprecision::et_off>;

using MatQ = Eigen::Matrix<Q, Eigen::Dynamic, Eigen::Dynamic>;
using RowQ = Eigen::Matrix<Q, 1, Eigen::Dynamic>;

inline Q q(std::int64_t p) { return Q(p); }
inline Q q(std::int64_t p, std::int64_t d) {
  EXACTFORMER_ASSERT(d != 0, "q(p, 0)");
  return Q(Z(p), Z(d));  // Boost canonicalises (reduced, positive denominator)
}

// Bits of |x|: 0 for 0, else floor(log2|x|) + 1.
inline int bit_length(const Z& x) {
  if (x == 0) return 0;
  return static_cast<int>(mpz_sizeinbase(x.backend().data(), 2));
}
// Largest bit length of the (reduced) numerator and denominator.
inline int bit_size(const Q& x) {
  const int a = static_cast<int>(x == 0 ? 0 : mpz_sizeinbase(mpq_numref(x.backend().data()), 2));
  const int b = static_cast<int>(mpz_sizeinbase(mpq_denref(x.backend().data()), 2));
  return a > b ? a : b;
}
inline bool is_integer(const Q& x) { return mpz_cmp_ui(mpq_denref(x.backend().data()), 1) == 0; }

// 2^-e (e >= 0), exactly.
inline Q pow2_neg(unsigned long e) {
  Q r(1);
  mpq_div_2exp(r.backend().data(), r.backend().data(), e);
  return r;
}

// rho_p(x) = 2^-p RNE(2^p x): x rounded to the grid 2^-p Z, ties to even (p >= 0), exactly. Underflow is
// built in: |x| < 2^-p-1 gives 0, and so does |x| = 2^-p-1 (the tie goes to the even value 0).
inline Q round_to_grid(const Q& x, long p) {
  Q t = x;
  mpq_mul_2exp(t.backend().data(), t.backend().data(), static_cast<mp_bitcnt_t>(p));
  Z f;
  mpz_fdiv_q(f.backend().data(), mpq_numref(t.backend().data()), mpq_denref(t.backend().data()));  // floor
  const Q frac = t - Q(f);
  const Q half(Z(1), Z(2));
  if (frac > half || (frac == half && mpz_odd_p(f.backend().data()))) f += 1;
  Q r(f);
  mpq_div_2exp(r.backend().data(), r.backend().data(), static_cast<mp_bitcnt_t>(p));
  return r;
}

// Canonical "p/q" or "p".
inline std::string to_string(const Q& x) { return x.str(); }

// Parses a whole token as a decimal integer in [lo, hi] ("-3", "12"; not "1.9", "0x", "4x", ""): usage_error
// naming `what` otherwise.
long parse_integer(const std::string& s, long lo, long hi, const std::string& what);
// x as a double, rounded toward -inf (direction < 0), to nearest with ties to even (0) or toward +inf (> 0), through
// MPFR (boost's conversion truncates).
double to_double(const Q& x, int direction);
// Splits at commas, keeping empty items ("1," -> {"1", ""}), so that a caller can refuse them.
std::vector<std::string> split_commas(const std::string& s);

// Parses "p", "p/q" or a decimal "d.ddd" (optional sign), exactly; throws usage_error on anything else.
Q parse_rational(const std::string& s);

// A small exact rational p/d (d > 0) given by a construction for its embedding; converts exactly to
// every scalar (Q, Checked64, double for the benchmark floor).
struct Frac64 {
  std::int64_t num = 0;
  std::int64_t den = 1;
  friend bool operator==(const Frac64&, const Frac64&) = default;
};

}  // namespace exactformer
