// ScalarTraits<S>: what the decoders and the Fractions<S> arithmetic need of a scalar S beyond
// + - * / == <, for the scalars an evaluation runs in: Q (GMP), CheckedRational<Int> (machine fractions
// that throw Overflow), double (tests and the benchmark's floor; never a verdict).
#pragma once
#include <cmath>
#include <optional>

#include "exactformer/checked_rational.hpp"
#include "exactformer/rational.hpp"

namespace exactformer {

template <class S>
struct ScalarTraits;

template <>
struct ScalarTraits<Q> {
  static Q from(const Q& x) { return x; }
  static Q from(const Frac64& f) { return q(f.num, f.den); }
  static Q to_q(const Q& x) { return x; }
  static bool is_integer(const Q& x) { return exactformer::is_integer(x); }
  static long to_long(const Q& x) {  // x an integer
    EXACTFORMER_REQUIRE(abs(x) < Q(1L << 61), "softmax2: b*score too large to represent");
    return x.convert_to<long>();
  }
  static Q pow2_neg(long e) { return exactformer::pow2_neg(static_cast<unsigned long>(e)); }
  static int bits(const Q& x) { return bit_size(x); }
  static std::optional<long> floor_to_long(const Q& x) {
    Z f = numerator(x) / denominator(x);  // truncates toward zero
    if (x < 0 && Q(f) != x) f -= 1;
    if (abs(f) > Z(1L << 62)) return std::nullopt;
    return f.convert_to<long>();
  }
};

template <class Int>
struct ScalarTraits<CheckedRational<Int>> {
  using S = CheckedRational<Int>;
  static S from(const Q& x) { return S::from(x); }
  static S from(const Frac64& f) { return S::from(f); }
  static Q to_q(const S& x) { return x.to_q(); }
  static bool is_integer(const S& x) { return x.is_integer(); }
  static long to_long(const S& x) {  // x an integer
    if (x.num() > (Int{1} << 61) || x.num() < -(Int{1} << 61)) throw Overflow{};
    return static_cast<long>(x.num());
  }
  static S pow2_neg(long e) { return S::pow2_neg(e); }
  static int bits(const S& x) { return x.bit_size(); }
  static std::optional<long> floor_to_long(const S& x) {
    const Int f = x.floor();
    if (f > (Int{1} << 62) || f < -(Int{1} << 62)) return std::nullopt;
    return static_cast<long>(f);
  }
};

template <>
struct ScalarTraits<double> {
  static double from(const Q& x) { return x.convert_to<double>(); }
  static double from(const Frac64& f) { return static_cast<double>(f.num) / static_cast<double>(f.den); }
  static Q to_q(double) { throw internal_error("the double path has no exact value"); }
  static bool is_integer(double) { return true; }
  static long to_long(double x) { return std::lround(x); }
  static double pow2_neg(long e) { return std::ldexp(1.0, static_cast<int>(-e)); }
  static int bits(double) { return 0; }
  static std::optional<long> floor_to_long(double x) { return static_cast<long>(std::floor(x)); }
};

}  // namespace exactformer
