// The certified path: Bound arithmetic and enclosures, the grouped softmax, sign-pattern MLPs, decoding on
// endpoints, escalation, and its verdicts through the sweep.
#include <doctest/doctest.h>
#include <mpfr.h>

#include "exactformer/certified_arith.hpp"
#include "exactformer/construction.hpp"
#include "precision.hpp"
#include "sources.hpp"
#include "sweep.hpp"

using namespace exactformer;

namespace {
// ln x to `bits` bits, as an exact rational (the test's own reference through MPFR).
Q ln_q(long x, long bits) {
  mpfr_t m;
  mpfr_init2(m, bits);
  mpfr_set_si(m, x, MPFR_RNDN);
  mpfr_log(m, m, MPFR_RNDN);
  Q r;
  mpfr_get_q(r.backend().data(), m);
  mpfr_clear(m);
  return r;
}
}  // namespace

TEST_CASE("outward rounding encloses, keeps points exact, and exp enclosures are tight") {
  Bound third(q(1, 3), q(1, 3));
  round_outward(third, 68);
  CHECK(third.point());  // a point is an exact value and stays one
  CHECK(third.lo == q(1, 3));
  Bound b(q(1, 3), q(2, 3));
  round_outward(b, 68);
  CHECK(b.lo <= q(1, 3));
  CHECK(b.hi >= q(2, 3));
  CHECK(b.lo != q(1, 3));  // 1/3 is not dyadic: rounded strictly down
  CHECK(q(1, 3) - b.lo < pow2_neg(68));
  // 2^k for an integer k is exact; e^0 = 1 exactly; e^(1/3) is a thin proper interval around the cube root of e.
  CHECK(exp_enclosure(q(-7), ExpBase::two, 68) == Bound(pow2_neg(7)));
  CHECK(exp_enclosure(q(0), ExpBase::e, 68) == Bound(q(1)));
  const Bound c = exp_enclosure(q(1, 3), ExpBase::e, 68);
  const Bound e = exp_enclosure(q(1), ExpBase::e, 200);
  CHECK(!c.point());
  CHECK(c.lo * c.lo * c.lo < e.lo);
  CHECK(c.hi * c.hi * c.hi > e.hi);
  CHECK(c.width() < pow2_neg(60));
  // 2^(1/2) encloses sqrt 2 (the softmax2 path off its integrality invariant).
  const Bound r2 = exp_enclosure(q(1, 2), ExpBase::two, 68);
  CHECK(r2.lo * r2.lo < 2);
  CHECK(r2.hi * r2.hi > 2);
  CHECK(approx(q(-1, 3)) == "-3.33e-01");
}

namespace {
// Two tokens; one softmax(3) head: the readout row (token 1) attends token 0 (score `favour`) and itself
// (score 0); token 0 carries value 1 in S. Then S is clamped: R = clamp01(3nS - 1) (n = 4) and S reset to 0.
Model clamp_model(int favour) {
  Model m;
  const Slot one = m.layout.add("one", 1), first = m.layout.add("first", 1), s = m.layout.add("S", 1), r = m.layout.add("R", 1);
  Head h = Head::zeros("h", m.layout, 1, 1);
  h.mode = AttentionMode::softmax(q(3));
  h.query(one, 0, 0, q(1));
  h.key(first, 0, 0, q(favour));
  h.value(first, 0, 0, q(1));
  h.output(0, s, 0, q(1));
  Mlp mlp;
  Affine a = Affine::zeros(4, 3), b = Affine::zeros(3, 4);
  a.w(s.col(), 0) = 12;  // y = 12 S - 1, y - 1 = 12 S - 2, and S for the reset
  a.bias(0) = -1;
  a.w(s.col(), 1) = 12;
  a.bias(1) = -2;
  a.w(s.col(), 2) = 1;
  b.w(0, r.col()) = 1;  // R += relu(y) - relu(y - 1)
  b.w(1, r.col()) = -1;
  b.w(2, s.col()) = -1;  // S -= relu(S)  (S >= 0 here)
  mlp.layers = {a, b};
  m.layers.push_back(Layer{{h}, mlp});
  return m;
}
Input two_tokens() {
  Input x(2, 4);
  x.at(0, 0) = {1, 1};
  x.at(0, 1) = {1, 1};
  x.at(1, 0) = {1, 1};
  return x;
}
}  // namespace

TEST_CASE("sign-pattern MLPs: a saturated clamp and a scratch reset return exact points from interval inputs") {
  for (const int favour : {1, -1}) {
    CAPTURE(favour);
    const Model m = clamp_model(favour);
    Evaluator<Certified> ev(m, 68);
    const auto& row = ev.readout(two_tokens(), 1).v;
    // S = e^(3f)/(e^(3f) + 1): 0.95 (f = 1, inside [2/12, 1]) or 0.047 (f = -1, inside [0, 1/12]).
    CHECK(row[3].point());
    CHECK(row[3].lo == (favour == 1 ? 1 : 0));
    CHECK(row[2].point());
    CHECK(row[2].lo == 0);
  }
}

TEST_CASE("the certified pass equals the exact pass where every weight is rational (softmax2 on its invariant)") {
  for (const auto& c : all_constructions()) {
    if (c->modes().size() < 2) continue;
    CAPTURE(c->name());
    const Built built = c->build(4, Variant::softmax2());
    const Graph g = from_graph6("Ch");  // a path on 4 vertices
    for (const Query& query : all_queries(find_task(c->task()), g.n())) {
      const Input x = embed_tokens(built, tokenize(g, g.edges(), query));
      Evaluator<Fractions<Q>> exact(built.model);
      Evaluator<Certified> certified(built.model, 68);
      const std::vector<Q>& e = exact.readout(x, x.rows - 1);
      const std::vector<Bound>& b = certified.readout(x, x.rows - 1).v;
      for (std::size_t col = 0; col < e.size(); ++col) CHECK(b[col] == Bound(e[col]));
    }
  }
}

TEST_CASE("node count at beta within 1e-20 of ln 30 (n = 6, 15 edges): the right side certified, one rung up, margin ~ delta/2") {
  const Construction& c = find_construction("node_count");
  const Graph k6 = from_graph6("E~~w");
  const Q delta = Q(1) / Q(Z("100000000000000000000"));
  for (const int side : {1, -1}) {
    CAPTURE(side);
    const Built built = c.build(6, Variant::softmax(ln_q(30, 300) + side * delta));
    const Answer a = evaluate(built, k6, k6.edges(), Query{});
    REQUIRE(a.certified);
    CHECK(a.certified->decision.status == CertifiedDecision::Status::decided);
    CHECK(a.certified->bits > 68);  // 68 bits cannot see 1e-20 in a value near 6.5
    CHECK(a.value == (side == 1 ? 6L : 7L));
    REQUIRE(a.certified->decision.margin);
    const Q ratio = *a.certified->decision.margin / (delta / 2);
    CHECK(ratio > q(1, 2));
    CHECK(ratio < 2);
  }
}

TEST_CASE("natural softmax at beta = 64 answers as hard attention on every labelled graph with n <= 4") {
  for (const auto& c : all_constructions()) {
    if (c->modes().size() < 2) continue;
    CAPTURE(c->name());
    const Built built = c->build(4, Variant::softmax(q(64)));
    auto src = labelled_source(1, 4);
    RunOptions opt;
    opt.edge_orders = 1;
    const RunStats s = run_sweep(*c, built, 4, *src, opt);
    CHECK(s.graphs == 75);
    CHECK(s.certified == s.evaluations);
    CHECK(s.undetermined == 0);
    CHECK(!s.failure);
  }
}

TEST_CASE("softmax2 below its invariant: the items it breaks go to the certified path, one verdict whatever the jobs") {
  const Construction& c = find_construction("connectivity_squaring");
  Variant v = Variant::softmax2();
  v.b = 6;
  const Built built = c.build(6, v);
  std::string first;
  for (int run = 0; run < 6; ++run) {
    auto src = labelled_source(1, 6);
    RunOptions opt;
    opt.jobs = 1 + run % 2;
    const RunStats s = run_sweep(c, built, 6, *src, opt);
    REQUIRE(s.failure);
    CHECK(s.integrality_broken > 0);
    CHECK(s.failure->certificate.rfind("certified_wrong", 0) == 0);
    if (run == 0) first = s.failure->describe();
    CHECK(s.failure->describe() == first);
  }
}

TEST_CASE("FP_p rounding: to nearest on the grid 2^-p, ties to even, underflow to 0") {
  CHECK(round_to_grid(q(1, 3), 2) == q(1, 4));    // 4/3 -> 1
  CHECK(round_to_grid(q(2, 3), 2) == q(3, 4));    // 8/3 -> 3
  CHECK(round_to_grid(q(3, 8), 2) == q(2, 4));    // 3/2: a tie -> 2 (even)
  CHECK(round_to_grid(q(5, 8), 2) == q(2, 4));    // 5/2: a tie -> 2 (even)
  CHECK(round_to_grid(q(-3, 8), 2) == q(-2, 4));  // -3/2 -> -2 (even)
  CHECK(round_to_grid(q(1, 8), 2) == 0);          // 2^-p-1: the tie goes to 0
  CHECK(round_to_grid(q(1, 9), 2) == 0);          // below half a step: 0
  CHECK(round_to_grid(q(7, 2), 0) == 4);          // p = 0: integers, 7/2 -> 4 (even)
  CHECK(round_to_grid(q(5, 2), 0) == 2);
  CHECK(round_to_grid(q(12345, 7), 30) - q(12345, 7) <= pow2_neg(31));
}

TEST_CASE("node count at n = 4 needs p* = 4 fractional bits (by hand), and p = 3 fails on the edgeless 4-vertex graph") {
  // p = 3: rho_3(1/5) = 2/8 = 1/4, decoded 1/(1/4) - 1 = 3 on n' = 4 vertices. p = 4: rho_4(1/K) for K = 2..5 is
  // 8/16, 5/16, 4/16, 3/16, decoded 1, 2.2, 3, 4.33: all round right, and so for every p >= 4.
  PrecisionOptions po;
  po.n = 4;
  po.model = PrecisionModel::fp;
  const PrecisionResult r = search_precision(find_construction("node_count"), po);
  REQUIRE(r.stable);
  CHECK(*r.stable == 4);
  CHECK(r.non_monotone.empty());
  REQUIRE(r.witness);
  CHECK(to_graph6(r.witness->graph) == "C?");
  CHECK(r.witness->got == 3L);
  CHECK(r.graphs == 75);
}
