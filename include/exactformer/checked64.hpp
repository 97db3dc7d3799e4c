// Checked64: an exact rational with 64-bit numerator and denominator for the fast exact path.
//
// Every operation is overflow-checked; on overflow it throws Checked64::Overflow and the caller redoes
// that evaluation in GMP (Q). Values are kept canonical (reduced, den > 0) so that a Checked64 result and
// the corresponding Q result are equal exactly when their (num, den) pairs are equal. INT64_MIN is never
// produced, so negation and abs cannot overflow.
#pragma once
#include <cstdint>
#include <numeric>

#include "exactformer/rational.hpp"

namespace exactformer {

class Checked64 {
 public:
  struct Overflow {};

  constexpr Checked64() = default;
  Checked64(std::int64_t n) : num_(check(n)) {}  // NOLINT: integers convert implicitly
  static Checked64 fraction(std::int64_t n, std::int64_t d) {
    if (d == 0) throw internal_error("Checked64: zero denominator");
    if (d < 0) { n = neg(n); d = neg(d); }
    Checked64 r;
    r.num_ = n;
    r.den_ = d;
    r.reduce();
    return r;
  }
  // Exact conversion from Q; throws Overflow when it does not fit.
  static Checked64 from(const Q& x) {
    const auto* nu = mpq_numref(x.backend().data());
    const auto* de = mpq_denref(x.backend().data());
    if (!mpz_fits_slong_p(nu) || !mpz_fits_slong_p(de)) throw Overflow{};
    Checked64 r;
    r.num_ = check(mpz_get_si(nu));
    r.den_ = mpz_get_si(de);
    return r;
  }
  static Checked64 from(const Frac64& f) { return fraction(f.num, f.den); }
  Q to_q() const { return q(num_, den_); }

  std::int64_t num() const { return num_; }
  std::int64_t den() const { return den_; }
  bool is_integer() const { return den_ == 1; }
  int bit_size() const {
    const auto bits = [](std::int64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(static_cast<std::uint64_t>(v < 0 ? -v : v)); };
    const int a = bits(num_), b = bits(den_);
    return a > b ? a : b;
  }

  // 2^-e, e >= 0.
  static Checked64 pow2_neg(long e) {
    if (e < 0 || e > 61) throw Overflow{};
    return fraction(1, std::int64_t{1} << e);
  }

  friend Checked64 operator+(const Checked64& a, const Checked64& b) {
    if (a.den_ == 1 && b.den_ == 1) return Checked64(add(a.num_, b.num_));
    const std::int64_t g = std::gcd(a.den_, b.den_);
    const std::int64_t t = add(mul(a.num_, b.den_ / g), mul(b.num_, a.den_ / g));
    const std::int64_t g2 = std::gcd(t, g);
    Checked64 r;
    r.num_ = t / g2;
    r.den_ = mul(a.den_ / g, b.den_ / g2);
    return r;
  }
  friend Checked64 operator-(const Checked64& a) {
    Checked64 r = a;
    r.num_ = -a.num_;
    return r;
  }
  friend Checked64 operator-(const Checked64& a, const Checked64& b) { return a + (-b); }
  friend Checked64 operator*(const Checked64& a, const Checked64& b) {
    if (a.den_ == 1 && b.den_ == 1) return Checked64(mul(a.num_, b.num_));
    const std::int64_t g1 = std::gcd(a.num_, b.den_);
    const std::int64_t g2 = std::gcd(b.num_, a.den_);
    Checked64 r;
    r.num_ = mul(a.num_ / (g1 ? g1 : 1), b.num_ / (g2 ? g2 : 1));
    r.den_ = mul(a.den_ / (g2 ? g2 : 1), b.den_ / (g1 ? g1 : 1));
    if (r.num_ == 0) r.den_ = 1;
    return r;
  }
  friend Checked64 operator/(const Checked64& a, const Checked64& b) {
    if (b.num_ == 0) throw internal_error("Checked64: division by zero");
    Checked64 inv;
    inv.num_ = b.num_ < 0 ? -b.den_ : b.den_;
    inv.den_ = b.num_ < 0 ? -b.num_ : b.num_;
    return a * inv;
  }
  Checked64& operator+=(const Checked64& b) { return *this = *this + b; }

  friend bool operator==(const Checked64& a, const Checked64& b) { return a.num_ == b.num_ && a.den_ == b.den_; }
  friend bool operator<(const Checked64& a, const Checked64& b) {
    if (a.den_ == b.den_) return a.num_ < b.num_;
    return static_cast<__int128>(a.num_) * b.den_ < static_cast<__int128>(b.num_) * a.den_;
  }
  friend bool operator>(const Checked64& a, const Checked64& b) { return b < a; }
  friend bool operator<=(const Checked64& a, const Checked64& b) { return !(b < a); }
  friend bool operator>=(const Checked64& a, const Checked64& b) { return !(a < b); }

 private:
  static constexpr std::int64_t check(std::int64_t v) {
    if (v == INT64_MIN) throw Overflow{};
    return v;
  }
  static std::int64_t add(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r)) throw Overflow{};
    return check(r);
  }
  static std::int64_t mul(std::int64_t a, std::int64_t b) {
    std::int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) throw Overflow{};
    return check(r);
  }
  static std::int64_t neg(std::int64_t a) { return -check(a); }
  void reduce() {
    check(num_);
    check(den_);
    const std::int64_t g = std::gcd(num_, den_);
    if (g > 1) { num_ /= g; den_ /= g; }
    if (num_ == 0) den_ = 1;
  }

  std::int64_t num_ = 0;
  std::int64_t den_ = 1;
};

}  // namespace exactformer
