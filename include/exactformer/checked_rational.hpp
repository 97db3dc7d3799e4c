// CheckedRational<Int>: an exact rational with machine-integer numerator and denominator. The checker's
// second tier evaluates in Checked128 (after Scaled<int64> overflowed, before GMP); the audit evaluates
// in Checked64, then GMP.
//
// Every operation is overflow-checked; on overflow it throws Overflow and the caller redoes that
// evaluation one tier up. Values are kept canonical (reduced, den > 0) so that a result equals the
// corresponding Q result exactly when their (num, den) pairs are equal. The most negative Int is never
// produced, so negation and abs cannot overflow.
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "exactformer/rational.hpp"

namespace exactformer {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

// Thrown by every tier of the fast path when a value does not fit.
struct Overflow {};

namespace detail {
template <class Int>
constexpr Int int_min() {
  if constexpr (sizeof(Int) == 16) return static_cast<Int>(static_cast<u128>(1) << 127);
  else return std::numeric_limits<Int>::min();
}
template <class U>
int ctz(U x) {  // x != 0
  if constexpr (sizeof(U) == 16) {
    const auto lo = static_cast<std::uint64_t>(x);
    return lo ? __builtin_ctzll(lo) : 64 + __builtin_ctzll(static_cast<std::uint64_t>(x >> 64));
  } else {
    return __builtin_ctzll(x);
  }
}
// Binary gcd of unsigned magnitudes (no division: __int128 division is a library call).
template <class U>
U binary_gcd(U a, U b) {
  if (a == 0) return b;
  if (b == 0) return a;
  if (a == 1 || b == 1) return 1;
  const int shift = ctz<U>(a | b);
  a >>= ctz<U>(a);
  do {
    b >>= ctz<U>(b);
    if (a > b) std::swap(a, b);
    b -= a;
  } while (b != 0);
  return a << shift;
}
template <class Int>
Int gcd(Int a, Int b) {  // of magnitudes; never called with the most negative Int
  using U = std::conditional_t<sizeof(Int) == 16, u128, std::uint64_t>;
  return static_cast<Int>(binary_gcd<U>(static_cast<U>(a < 0 ? -a : a), static_cast<U>(b < 0 ? -b : b)));
}
// Bits of an unsigned magnitude: 0 for 0.
template <class U>
int bit_length_of_magnitude(U m) {
  if constexpr (sizeof(U) == 16) {
    const auto hi = static_cast<std::uint64_t>(m >> 64);
    if (hi) return 128 - __builtin_clzll(hi);
  }
  const auto lo = static_cast<std::uint64_t>(m);
  return lo ? 64 - __builtin_clzll(lo) : 0;
}
template <class Int>
int bit_length(Int v) {
  using U = std::conditional_t<sizeof(Int) == 16, u128, std::uint64_t>;
  return bit_length_of_magnitude<U>(static_cast<U>(v < 0 ? -v : v));
}
}  // namespace detail

template <class Int>
class CheckedRational {
 public:
  using Overflow = exactformer::Overflow;

  constexpr CheckedRational() = default;
  CheckedRational(Int n) : num_(check(n)) {}  // NOLINT: integers convert implicitly
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, Int>, int> = 0>
  CheckedRational(I n) : num_(check(static_cast<Int>(n))) {}  // NOLINT
  static CheckedRational fraction(Int n, Int d) {
    if (d == 0) throw internal_error("CheckedRational: zero denominator");
    if (d < 0) { n = neg(n); d = neg(d); }
    CheckedRational r;
    r.num_ = n;
    r.den_ = d;
    r.reduce();
    return r;
  }
  // Exact conversion from Q; throws Overflow when it does not fit.
  static CheckedRational from(const Q& x) {
    CheckedRational r;
    r.num_ = check(from_mpz(mpq_numref(x.backend().data())));
    r.den_ = from_mpz(mpq_denref(x.backend().data()));
    return r;
  }
  static CheckedRational from(const Frac64& f) { return fraction(f.num, f.den); }
  // n / d already reduced with d > 0 (not checked beyond the range).
  static CheckedRational reduced(Int n, Int d) {
    CheckedRational r;
    r.num_ = check(n);
    r.den_ = check(d);
    return r;
  }
  Q to_q() const { return Q(to_z(num_), to_z(den_)); }

  Int num() const { return num_; }
  Int den() const { return den_; }
  bool is_integer() const { return den_ == 1; }
  int bit_size() const {
    const int a = detail::bit_length(num_), b = detail::bit_length(den_);
    return a > b ? a : b;
  }
  // floor(x), exact.
  Int floor() const {
    Int f = num_ / den_;
    if (num_ % den_ != 0 && num_ < 0) f -= 1;
    return f;
  }

  // 2^-e, e >= 0.
  static CheckedRational pow2_neg(long e) {
    if (e < 0 || e > static_cast<long>(sizeof(Int)) * 8 - 3) throw Overflow{};
    return fraction(1, Int{1} << e);
  }

  friend CheckedRational operator+(const CheckedRational& a, const CheckedRational& b) {
    if (a.den_ == 1 && b.den_ == 1) return CheckedRational(add(a.num_, b.num_));
    const Int g = detail::gcd(a.den_, b.den_);
    const Int t = add(mul(a.num_, b.den_ / g), mul(b.num_, a.den_ / g));
    const Int g2 = detail::gcd(t, g);
    CheckedRational r;
    r.num_ = t / g2;
    r.den_ = mul(a.den_ / g, b.den_ / g2);
    return r;
  }
  friend CheckedRational operator-(const CheckedRational& a) {
    CheckedRational r = a;
    r.num_ = -a.num_;
    return r;
  }
  friend CheckedRational operator-(const CheckedRational& a, const CheckedRational& b) { return a + (-b); }
  friend CheckedRational operator*(const CheckedRational& a, const CheckedRational& b) {
    if (a.den_ == 1 && b.den_ == 1) return CheckedRational(mul(a.num_, b.num_));
    const Int g1 = detail::gcd(a.num_, b.den_);
    const Int g2 = detail::gcd(b.num_, a.den_);
    CheckedRational r;
    r.num_ = mul(a.num_ / (g1 ? g1 : 1), b.num_ / (g2 ? g2 : 1));
    r.den_ = mul(a.den_ / (g2 ? g2 : 1), b.den_ / (g1 ? g1 : 1));
    if (r.num_ == 0) r.den_ = 1;
    return r;
  }
  friend CheckedRational operator/(const CheckedRational& a, const CheckedRational& b) {
    if (b.num_ == 0) throw internal_error("CheckedRational: division by zero");
    CheckedRational inv;
    inv.num_ = b.num_ < 0 ? -b.den_ : b.den_;
    inv.den_ = b.num_ < 0 ? -b.num_ : b.num_;
    return a * inv;
  }
  CheckedRational& operator+=(const CheckedRational& b) { return *this = *this + b; }

  friend bool operator==(const CheckedRational& a, const CheckedRational& b) { return a.num_ == b.num_ && a.den_ == b.den_; }
  friend bool operator<(const CheckedRational& a, const CheckedRational& b) {
    if (a.den_ == b.den_) return a.num_ < b.num_;
    if constexpr (sizeof(Int) == 8) {
      return static_cast<i128>(a.num_) * b.den_ < static_cast<i128>(b.num_) * a.den_;
    } else {
      return (a - b).num_ < 0;  // may throw Overflow
    }
  }
  friend bool operator>(const CheckedRational& a, const CheckedRational& b) { return b < a; }
  friend bool operator<=(const CheckedRational& a, const CheckedRational& b) { return !(b < a); }
  friend bool operator>=(const CheckedRational& a, const CheckedRational& b) { return !(a < b); }

 private:
  static constexpr Int check(Int v) {
    if (v == detail::int_min<Int>()) throw Overflow{};
    return v;
  }
  static Int from_mpz(mpz_srcptr z) {
    if (mpz_sizeinbase(z, 2) > sizeof(Int) * 8 - 2) throw Overflow{};
    if constexpr (sizeof(Int) == 8) {
      return mpz_get_si(z);
    } else {
      const size_t limbs = mpz_size(z);
      u128 u = 0;
      for (size_t i = limbs; i-- > 0;) u = (u << 64) | static_cast<std::uint64_t>(mpz_getlimbn(z, static_cast<mp_size_t>(i)));
      const auto v = static_cast<Int>(u);
      return mpz_sgn(z) < 0 ? -v : v;
    }
  }
  static Z to_z(Int v) {
    if constexpr (sizeof(Int) == 8) {
      return Z(static_cast<long>(v));
    } else {
      const bool negative = v < 0;
      auto u = static_cast<u128>(negative ? -v : v);
      Z z = Z(static_cast<unsigned long>(static_cast<std::uint64_t>(u >> 64)));
      z <<= 64;
      z += Z(static_cast<unsigned long>(static_cast<std::uint64_t>(u)));
      return negative ? Z(-z) : z;
    }
  }
  static Int add(Int a, Int b) {
    Int r;
    if (__builtin_add_overflow(a, b, &r)) throw Overflow{};
    return check(r);
  }
  static Int mul(Int a, Int b) {
    Int r;
    if (__builtin_mul_overflow(a, b, &r)) throw Overflow{};
    return check(r);
  }
  static Int neg(Int a) { return -check(a); }
  void reduce() {
    check(num_);
    check(den_);
    const Int g = detail::gcd(num_, den_);
    if (g > 1) { num_ /= g; den_ /= g; }
    if (num_ == 0) den_ = 1;
  }

  Int num_ = 0;
  Int den_ = 1;
};

using Checked64 = CheckedRational<std::int64_t>;
using Checked128 = CheckedRational<i128>;

}  // namespace exactformer
