// The one-layer fooling-set count: the gadget by hand, the built model's messages, and the narrower model's failure.
#include <doctest/doctest.h>

#include "fooling.hpp"
#include "solvers.hpp"

using namespace exactformer;

TEST_CASE("the DISJ gadget by hand: s and t are connected iff some middle vertex has both edges") {
  const Graph g = fooling::gadget_graph(3, 0b011, 0b110);  // a = (1,1,0), b = (0,1,1): x_1 has both
  CHECK(g.n() == 5);
  CHECK(g.has_edge(0, 2));
  CHECK(g.has_edge(0, 3));
  CHECK_FALSE(g.has_edge(0, 4));
  CHECK(g.has_edge(3, 1));
  CHECK(g.has_edge(4, 1));
  CHECK(solvers::connected(g, 0, 1));
  CHECK_FALSE(solvers::connected(fooling::gadget_graph(3, 0b011, 0b100), 0, 1));  // disjoint
}

TEST_CASE("the gadget model: correct on every (a, b), exactly 2^q distinct Alice messages, width q + 6") {
  for (int q = 1; q <= 5; ++q) {
    CAPTURE(q);
    const fooling::Measurement m = fooling::measure(fooling::gadget_model(q), q, true);
    CHECK(m.shape.layers == 1);
    CHECK(m.shape.width == q + 6);
    CHECK(m.inputs_checked == (1L << (2 * q)));
    CHECK_FALSE(m.first_wrong.has_value());
    CHECK(m.distinct_messages == (1L << q));
    CHECK(m.message_bits == std::max(1, 32 - __builtin_clz(static_cast<unsigned>(q))));  // the denominator |a| <= q
  }
}

TEST_CASE("one slot fewer: fewer messages than the fooling set needs, and a wrong answer on a fooling pair") {
  for (int q = 2; q <= 5; ++q) {
    CAPTURE(q);
    const fooling::Measurement m = fooling::measure(fooling::gadget_model(q, true), q, true);
    CHECK(m.shape.width == q + 5);
    CHECK(m.distinct_messages < (1L << q));
    REQUIRE(m.first_wrong.has_value());
    CHECK(m.first_wrong->find("expected 0, got 1") != std::string::npos);
  }
}
