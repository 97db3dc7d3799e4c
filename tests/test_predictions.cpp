// The audited forward pass and the predictions of the constant-width connectivity check.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "audit.hpp"
#include "check.hpp"
#include "enumerate.hpp"
#include "hook_shortcut.hpp"

using namespace exactformer;

TEST_CASE("audit: a tie between different values is an average, and is reported") {
  Model m;
  const Slot x = m.layout.add("x", 1), y = m.layout.add("y", 1);
  Head h = Head::zeros("tie", m.layout, 1, 1);  // every score 0: both tokens tie
  h.value(x, 0, 0, q(1));
  h.output(0, y, 0, q(1));
  m.layers.push_back(Layer{{h}, Mlp{}});
  Input x0(2, 2);
  x0.at(1, 0) = Frac64{1, 1};  // values 0 and 1
  AuditStats st;
  std::vector<MatQ> after;
  Auditor(m).run(x0, st, &after);
  CHECK(st.gmp_passes == 0);
  CHECK(st.inhomogeneous == 2);  // both rows
  CHECK(st.non_integers == 2);   // y = 1/2 on both rows
  CHECK(after.back()(0, 1) == q(1, 2));
  CHECK(st.max_activation == q(1));
  CHECK_FALSE(st.first_problem.empty());
}

TEST_CASE("audit: residuals equal the reference forward pass; P after each round is the reference pointer") {
  const Construction& c = find_construction("connectivity_hook_shortcut");
  const Built b = c.build(8, Variant::hard());
  const Graph g = binomial_tree(3);
  const Input x0 = embed_tokens(b, tokenize(g, g.edges(), Query{{0, 1}}));
  Record rec;
  forward(b.model, x0.to_q(), &rec);
  AuditStats st;
  std::vector<MatQ> after;
  Auditor(b.model).run(x0, st, &after);
  REQUIRE(after.size() == b.model.layers.size());
  for (std::size_t l = 0; l < after.size(); ++l) CHECK(after[l] == rec.residuals[2 * l + 1]);
  CHECK(st.non_integers == 0);
  CHECK(st.inhomogeneous == 0);
  const int P = b.model.layout.at("P").col();
  const auto p = hook_shortcut::rounds(g, 3);
  for (int k = 1; k <= 3; ++k)
    for (int v = 0; v < 8; ++v) CHECK(after[static_cast<std::size_t>(5 * k - 1)](v, P) == Q(p[static_cast<std::size_t>(k)][static_cast<std::size_t>(v)] + 1));
  // G_3 needs 3 rounds: after round 2, 0 and 1 are still in different stars.
  CHECK(p[2][0] == 0);
  CHECK(p[2][1] == 1);
}

TEST_CASE("audit: the int64 pass equals the GMP pass, and huge weights fall back to GMP") {
  const Construction& c = find_construction("connectivity_hook_shortcut");
  const Built b = c.build(8, Variant::hard());
  for (const Graph& g : {binomial_tree(3), cycle_graph(7), complete_graph(5)}) {
    const Input x0 = embed_tokens(b, tokenize(g, g.edges(), Query{{0, g.n() - 1}}));
    AuditStats fast, gmp;
    std::vector<MatQ> a, e;
    Auditor(b.model).run(x0, fast, &a);
    Auditor(b.model, false).run(x0, gmp, &e);
    CHECK(fast.gmp_passes == 0);
    CHECK(gmp.gmp_passes == 1);
    CHECK(a == e);
    CHECK(fast.max_score == gmp.max_score);
    CHECK(fast.max_activation == gmp.max_activation);
    CHECK(fast.max_hidden == gmp.max_hidden);
  }
  // An input of 2^40 times a weight of 2^30 does not fit int64: the pass is redone in GMP, with the same result.
  Model m;
  const Slot x = m.layout.add("x", 1), y = m.layout.add("y", 1);
  Head h = Head::zeros("copy", m.layout, 1, 1);
  h.value(x, 0, 0, Q(1) / pow2_neg(30));
  h.output(0, y, 0, q(1));
  m.layers.push_back(Layer{{h}, Mlp{}});
  Input x0(1, 2);
  x0.at(0, 0) = Frac64{std::int64_t{1} << 40, 1};
  AuditStats st;
  std::vector<MatQ> after;
  Auditor(m).run(x0, st, &after);
  CHECK(st.gmp_passes == 1);
  CHECK(after.back()(0, 1) == Q(1) / pow2_neg(70));
}

TEST_CASE("constant-width connectivity: predictions computed at n <= 4") {
  const auto checks = builtin_registry().checks();
  const auto it = std::find_if(checks.begin(), checks.end(), [](const auto& cs) { return cs.second.id == "parallel.connectivity.constant_width"; });
  REQUIRE(it != checks.end());
  CheckOptions opt;
  opt.n_max = 4;
  opt.family_n_max = 8;
  opt.spec_families = false;
  const CheckResult r = run_check(*it->first, it->second, opt);
  CHECK(r.holds);
  REQUIRE(r.witness_shrunk);
  CHECK(to_graph6(r.witness_shrunk->graph) == "CR");  // G_2, the path 0-2-3-1
  CHECK(r.witness_shrunk->query == Query{{0, 1}});
  std::map<std::string, Finding> f;
  for (const Finding& x : r.predictions) f[x.id] = x;
  for (const char* id : {"exactness.integers", "exactness.homogeneous_argmax", "exactness.magnitudes", "hook_shortcut.one_round_counts",
                         "hook_shortcut.one_sided", "hook_shortcut.round_state"}) {
    CAPTURE(id);
    REQUIRE(f.count(id));
    CHECK(f[id].holds);
  }
  CHECK(f["hook_shortcut.one_round_counts"].measured.find("n = 4: 6 = 6") != std::string::npos);
  // σ = 5, M = 12 at n = 4: |score| <= Mσ² - 2σ = 290, activation <= σ² = 25, hidden <= 2σ² - 1 = 49, all attained.
  CHECK(f["exactness.magnitudes"].measured.find("|score| 290 ≤ 290 (attained), activation 25 ≤ 25 (attained), hidden 49 ≤ 49 (attained)") !=
        std::string::npos);
}

TEST_CASE("constant-width connectivity: smallwidth.md's parameter count 7297 R + 795 once the MLP output biases are set aside") {
  const Construction& c = find_construction("connectivity_hook_shortcut");
  for (int n : {2, 4, 7, 8, 16, 64, 1024}) {
    const Built b = c.build(n, Variant::hard());
    const long R = floor_log2(n);
    long output_biases = 0;
    for (const Layer& l : b.model.layers) output_biases += l.mlp.layers.back().bias.size();
    CAPTURE(n);
    CHECK(static_cast<long>(b.model.layers.size()) == 5 * R + 1);
    CHECK(b.model.layout.width() == 36);
    CHECK(measure(b.model).params - output_biases == 7297 * R + 795);
  }
}
