// Exact scalars: Q helpers, and Checked64 / Checked128 against GMP on every operation.
#include <doctest/doctest.h>

#include <random>

#include "exactformer/checked_rational.hpp"

using namespace exactformer;

TEST_CASE_TEMPLATE("checked rationals agree with GMP on + - * / < ==", S, Checked64, Checked128) {
  std::mt19937_64 rng(7);
  const auto pick = [&]() {
    const long n = static_cast<long>(rng() % 2001) - 1000;
    const long d = static_cast<long>(rng() % 60) + 1;
    return std::pair{n, d};
  };
  for (int i = 0; i < 20000; ++i) {
    const auto [an, ad] = pick();
    const auto [bn, bd] = pick();
    const S a = S::fraction(an, ad), b = S::fraction(bn, bd);
    const Q qa = q(an, ad), qb = q(bn, bd);
    CAPTURE(an); CAPTURE(ad); CAPTURE(bn); CAPTURE(bd);
    REQUIRE(a.to_q() == qa);
    REQUIRE((a + b).to_q() == qa + qb);
    REQUIRE((a - b).to_q() == qa - qb);
    REQUIRE((a * b).to_q() == qa * qb);
    if (bn != 0) REQUIRE((a / b).to_q() == qa / qb);
    REQUIRE((a < b) == (qa < qb));
    REQUIRE((a == b) == (qa == qb));
    REQUIRE(S::from(qa) == a);
  }
}

TEST_CASE("Checked64 detects overflow instead of wrapping") {
  const Checked64 big = Checked64(std::int64_t{1} << 40);
  CHECK_THROWS_AS(big * big, Overflow);
  CHECK_THROWS_AS(Checked64(INT64_MAX) + Checked64(1), Overflow);
  CHECK_THROWS_AS(Checked64::pow2_neg(70), Overflow);
  CHECK_THROWS_AS(Checked64::from(Q(Z(1) << 70)), Overflow);
  CHECK_THROWS_AS(Checked64::fraction(1, INT64_MAX) + Checked64::fraction(1, INT64_MAX - 1), Overflow);
}

TEST_CASE("Checked128 holds what Checked64 cannot, exactly") {
  const Checked128 big = Checked128(std::int64_t{1} << 40);
  CHECK((big * big).to_q() == Q(Z(1) << 80));
  CHECK(Checked128::pow2_neg(100).to_q() == pow2_neg(100));
  CHECK(Checked128::from(Q(Z(-3) << 90, Z(7))).to_q() == Q(Z(-3) << 90, Z(7)));
  CHECK_THROWS_AS(big * big * big * big, Overflow);
}

TEST_CASE("q(), bit_size, parse_rational") {
  CHECK(q(-2, 6) == q(-1, 3));
  CHECK(to_string(q(-2, 6)) == "-1/3");
  CHECK(bit_size(q(5, 8)) == 4);
  CHECK(bit_size(Q(0)) == 1);
  CHECK(parse_rational("-21/6") == q(-7, 2));
  CHECK(parse_rational("12") == q(12));
  CHECK_THROWS_AS(parse_rational("1/0"), usage_error);
  CHECK(parse_rational("0.1") == q(1, 10));
  CHECK(parse_rational("010") == q(10));  // decimal, not octal (found by tests/fuzz/fuzz_numbers)
  CHECK(parse_rational("08") == q(8));
  CHECK(parse_rational("0.08") == q(2, 25));
  CHECK(parse_rational("-010/08") == q(-5, 4));  // a decimal, exactly (not the double 0.1)
  CHECK(parse_rational("-1.25") == q(-5, 4));
  CHECK(parse_rational("-0.5") == q(-1, 2));
  CHECK_THROWS_AS(parse_rational("1."), usage_error);
  CHECK_THROWS_AS(parse_rational(".5"), usage_error);
  CHECK_THROWS_AS(parse_rational("1.5/2"), usage_error);
  CHECK_THROWS_AS(parse_rational(""), usage_error);
}
