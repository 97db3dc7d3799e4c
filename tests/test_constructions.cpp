// Generic conformance over the registry: claimed shape = measured shape, every graph with n <= 5 in both
// modes, and the variant one step below the bound fails. A new construction is picked up automatically.
#include <doctest/doctest.h>

#include "check.hpp"
#include "enumerate.hpp"

using namespace exactformer;

TEST_CASE("every construction's proven hard model states its readout claim, and only that model does") {
  for (const auto& c : all_constructions()) {
    CAPTURE(c->name());
    const Built hard = c->build(4, Variant::hard());
    REQUIRE(hard.readout_claim);
    CHECK(hard.readout_claim(Graph(1), Query{std::vector<int>(static_cast<std::size_t>(find_task(c->task()).arity), 0)}).size() ==
          hard.decoder.slots.size());
    Variant fewer;
    fewer.layers_offset = -1;
    std::vector<Variant> others{fewer};
    for (const Variant& m : c->modes())
      if (m.kind != AttentionKind::hard) others.push_back(m);
    for (const Variant& v : others) try {
        CHECK(!c->build(4, v).readout_claim);
      } catch (const usage_error&) {  // no such model (e.g. too few layers left)
      }
  }
}

TEST_CASE("claimed shape equals the measured shape for n = 1..12, 15..17, 31..33 (and 64, 1024 for small one-layer models)") {
  for (const auto& c : all_constructions()) {
    // Every small n (where the formulas have their edge cases), then powers of two and their neighbours.
    std::vector<int> ns;
    for (int n = 1; n <= 12; ++n) ns.push_back(n);
    for (int n : {15, 16, 17, 31, 32, 33, 64, 1024}) ns.push_back(n);
    for (int n : ns)
      for (const auto& spec : c->checks()) {
        // Past 33 only one-layer models under a million parameters (O(log n) wide): `bounds` covers the rest.
        if (n > 33 && (c->build(2, Variant::hard()).model.layers.size() > 1 || c->claimed(n, Variant::hard()).params > 1'000'000)) continue;
        std::vector<Variant> vs = spec.variants;
        if (spec.witness && n >= spec.witness_min_n) vs.push_back(*spec.witness);
        for (const Variant& v : vs) {
          CAPTURE(c->name());
          CAPTURE(n);
          CAPTURE(v.str());
          const Built b = c->build(n, v);
          REQUIRE(shape_differences(measure(b.model), c->claimed(n, v)).empty());
        }
      }
  }
}

TEST_CASE("every check holds on every labelled graph with n <= 5, and its witness is found") {
  CheckOptions opt;
  opt.n_max = 5;
  opt.family_n_max = 8;
  opt.spec_families = false;
  for (const auto& [c, spec] : builtin_registry().checks()) {
    if (spec.id.rfind("precision.", 0) == 0) continue;  // searches: the next test, at n <= 4
    CAPTURE(spec.id);
    const CheckResult r = run_check(*c, spec, opt);
    for (const auto& v : r.variants) {
      CHECK(v.shape_mismatch.empty());
      CHECK(!v.labelled.failure);
      CHECK(!v.families.failure);
      CHECK(v.labelled.graphs == 1099);
    }
    if (spec.witness) {
      REQUIRE(r.witness);
      REQUIRE(r.witness_shrunk);
      CHECK(r.witness_shrunk->got != r.witness_shrunk->expected);
      CHECK(r.witness_shrunk->graph.n() <= r.witness->graph.n());
    }
    CHECK(r.holds);
  }
}

TEST_CASE("every precision check holds at n <= 4: the searched p*, b*, beta* as derived, and a witness one step below") {
  CheckOptions opt;
  opt.n_max = 4;
  int checks = 0;
  for (const auto& [c, spec] : builtin_registry().checks()) {
    if (spec.id.rfind("precision.", 0) != 0) continue;
    CAPTURE(spec.id);
    ++checks;
    const CheckResult r = run_check(*c, spec, opt);
    REQUIRE(r.predictions.size() == 1);
    CAPTURE(r.predictions[0].measured);
    CHECK(r.predictions[0].measured.find("(match)") != std::string::npos);
    CHECK(r.holds);
  }
  CHECK(checks == 16);
}

TEST_CASE("a precision claim that is off by one fails its check") {
  // node count, with its FP_p claim moved one bit up: the search still finds p* = 4 at n = 4.
  struct OffByOne final : Construction {
    const Construction& base = find_construction("node_count");
    std::string name() const override { return "node_count_claim_off"; }
    std::string task() const override { return base.task(); }
    std::string summary() const override { return base.summary(); }
    std::string regime() const override { return base.regime(); }
    Built build(int n, const Variant& v) const override { return base.build(n, v); }
    Shape claimed(int n, const Variant& v) const override { return base.claimed(n, v); }
    std::vector<CheckSpec> checks() const override { return {}; }
    std::optional<PrecisionClaim> precision_claim(int n) const override {
      PrecisionClaim c = *base.precision_claim(n);
      *c.fp_p += 1;
      c.softmax2_b.reset();
      c.softmax_exp_beta.reset();
      return c;
    }
  };
  Registry r;
  r.add(std::make_shared<OffByOne>());
  const auto checks = r.checks();
  REQUIRE(checks.size() == 1);
  CheckOptions opt;
  opt.n_max = 4;
  const CheckResult res = run_check(*checks[0].first, checks[0].second, opt);
  CHECK(!res.holds);
  CHECK(res.predictions.at(0).measured.find("p* = 4, predicted p* = 5 (MISMATCH)") != std::string::npos);
}

TEST_CASE("retrieval witnesses are the predicted ones (theory.md §10.5 rows 1-2)") {
  CheckOptions opt;
  opt.n_max = 6;
  opt.family_n_max = 6;
  const auto witness_of = [&](const std::string& id) {
    for (const auto& [c, spec] : builtin_registry().checks())
      if (spec.id == id) {
        CheckSpec only_witness = spec;
        only_witness.variants.clear();
        return *run_check(*c, only_witness, opt).witness_shrunk;
      }
    FAIL("no check " << id);
    return Counterexample{};
  };
  // node count, b(6) - 1 = 4: wrong iff |E| >= 2^(b-1) = 8; shrinking leaves exactly 8 edges.
  const Counterexample nc = witness_of("retrieval.node_count.depth1");
  CHECK(nc.graph.edges().size() == 8);
  CHECK(nc.got == nc.expected + 1);
  // edge count, b(6) - 1 = 3: wrong iff n >= 4; shrinking leaves 4 isolated vertices.
  const Counterexample ec = witness_of("retrieval.edge_count.depth1");
  CHECK(ec.graph.n() == 4);
  CHECK(ec.graph.edges().empty());
  // edge existence with k - 1 = 2 bits: u and u + 4 share a code; a single edge makes a false "yes".
  const Counterexample ee = witness_of("retrieval.edge_existence.depth1");
  CHECK(ee.expected == 0);
  CHECK(ee.got == 1);
  CHECK(ee.graph.edges().size() == 1);
  const Counterexample nd = witness_of("retrieval.node_degree.depth1");
  CHECK(nd.got > nd.expected);
}

TEST_CASE("softmax2 one below b(n) fails exactly where the proof says (node count: |E| >= 2^(b-1))") {
  const Construction& c = find_construction("node_count");
  for (int b = 2; b <= 4; ++b) {
    Variant v = Variant::softmax2();
    v.b = b;
    const Built built = c.build(6, v);
    for (std::uint64_t i = 0; i < labelled_count(6); i += 97) {
      const Graph g = labelled_graph(6, i);
      const bool predicted_ok = static_cast<long>(g.edges().size()) < (1L << (b - 1));
      CHECK((evaluate(built, g, g.edges(), Query{}).value == 6L) == predicted_ok);
    }
  }
}
