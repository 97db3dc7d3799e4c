// Imported models: the enclosure arithmetics against MPFR, the GELU brackets, the safetensors reader's dtypes, the
// prompt, a hand-worked one-layer model (LN, GELU, causal) whose activations and logits are written out, and the round
// trip of every construction through `export` (weights, embeddings, decoder, rational residual traces).
// Hostile files are tested end to end by python/tests/test_import.py (bad) and fuzzed by tests/fuzz/fuzz_import.cpp.
#include <doctest/doctest.h>
#include <mpfr.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "exactformer/construction.hpp"
#include "exactformer/tl_model.hpp"
#include "export.hpp"
#include "imported/exported.hpp"
#include "imported/import.hpp"
#include "imported/imported_sweep.hpp"
#include "sources.hpp"
#include "sweep.hpp"
#include "tasks.hpp"

using namespace exactformer;

namespace {

// f(x) at 256 bits, rounded to nearest (the reference the enclosures must contain).
template <class F>
double ref(F f, double x) {
  mpfr_t m;
  mpfr_init2(m, 256);
  mpfr_set_d(m, x, MPFR_RNDN);
  f(m, m, MPFR_RNDN);
  const double d = mpfr_get_d(m, MPFR_RNDN);
  mpfr_clear(m);
  return d;
}

// The exact real a op b, compared with an enclosure through MPFR at 2200 bits (holds every sum, product and
// quotient of doubles exactly enough to compare).
bool contains_exact(const DoubleInterval& r, double a, double b, char op) {
  mpfr_t x, y;
  mpfr_inits2(2200, x, y, static_cast<mpfr_ptr>(nullptr));
  mpfr_set_d(x, a, MPFR_RNDN);
  mpfr_set_d(y, b, MPFR_RNDN);
  if (op == '+') mpfr_add(x, x, y, MPFR_RNDN);
  if (op == '*') mpfr_mul(x, x, y, MPFR_RNDN);
  if (op == '/') mpfr_div(x, x, y, MPFR_RNDN);
  if (op == 's') mpfr_sqrt(x, x, MPFR_RNDN);
  const bool ok = mpfr_cmp_d(x, r.lo) >= 0 && mpfr_cmp_d(x, r.hi) <= 0;
  const bool exact = mpfr_cmp_d(x, r.lo) == 0;
  mpfr_clears(x, y, static_cast<mpfr_ptr>(nullptr));
  return ok && (!r.point() || exact);
}

DenseMatrix dense(int rows, int cols, std::vector<double> w) {
  DenseMatrix d;
  d.rows = rows;
  d.cols = cols;
  d.w = std::move(w);
  d.index();
  return d;
}

}  // namespace

TEST_CASE("double intervals enclose the exact sum, product, quotient and root, and stay points when exact") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-4, 4);
  for (int i = 0; i < 20000; ++i) {
    const double a = u(rng) * std::ldexp(1.0, static_cast<int>(rng() % 40) - 20), b = u(rng);
    const DoubleInterval A(a), B(b);
    CHECK(contains_exact(A + B, a, b, '+'));
    CHECK(contains_exact(A * B, a, b, '*'));
    CHECK(contains_exact(A / B, a, b, '/'));
    CHECK(contains_exact(sqrt(DoubleInterval(std::fabs(a))), std::fabs(a), 0, 's'));
  }
  CHECK((DoubleInterval(0.5) + DoubleInterval(0.25)).point());
  CHECK((DoubleInterval(3.0) * 0.125).point());
  CHECK((DoubleInterval(1.0) / DoubleInterval(4.0)).point());
  CHECK(sqrt(DoubleInterval(2.25)).point());
  CHECK_FALSE((DoubleInterval(1.0) / DoubleInterval(3.0)).point());
}

TEST_CASE("exp, 2^x, erf and tanh from their tables contain MPFR's directed bounds, within 16 ulps") {
  // MPFR's RNDD / RNDU results bound the exact value; the tables' enclosure must contain both and stay within 16 ulps
  // (plus a 2^-1074 floor). Points: uniform over each function's fast range and beyond it (MPFR's fallback), the
  // erf grid k/32 and its midpoints, integers for 2^x, and the range ends.
  std::mt19937_64 rng(5);
  std::vector<double> points = {0.0, -0.0, 1.0, -1.0, 6.0, next_down(6.0), next_up(6.0), 19.1, next_down(19.1), 600, next_up(600.0), -600,
                                900, 0.5, 1e-300, -1e-300, 5e-324, 1e-20, 0.0055, 710, -745, 1000};
  for (int k = 0; k <= 200; ++k) points.push_back(k / 32.0), points.push_back((k + 0.5) / 32.0), points.push_back(next_up(k / 32.0));
  for (int i = 0; i < 20000; ++i) {
    const double scale = std::ldexp(1.0, static_cast<int>(rng() % 40) - 30);
    points.push_back(std::uniform_real_distribution<double>(-7, 7)(rng));
    points.push_back(std::uniform_real_distribution<double>(-1000, 1000)(rng) * (i % 2 ? 1 : scale));
  }
  // (tanh: 16 ulps of 1 — it is used as 1 + tanh; its enclosure near 0 is absolute)
  const auto contains = [](const DoubleInterval& fast, const DoubleInterval& mpfr, double floor = 0x1p-1074) {
    const double width = fast.hi - fast.lo, ulp = std::max(std::fabs(mpfr.hi) * 0x1p-52, floor);
    return fast.lo <= mpfr.lo && mpfr.hi <= fast.hi && (std::isinf(mpfr.hi) || width <= 16 * ulp);
  };
  for (const double x : points)
    for (const double y : {x, -x}) {
      const DoubleInterval X(y);
      INFO("x = " << y);
      CHECK(contains(exp(X), exp_by_mpfr(X)));
      CHECK(contains(exp2(X), exp2_by_mpfr(X)));
      CHECK(contains(erf(X), erf_by_mpfr(X), 0x1p-1050));  // (the remainder bound's underflow floor 2^-1060)
      CHECK(contains(tanh(X), tanh_by_mpfr(X), 0x1p-52));
      // a narrow interval (one evaluation and the Lipschitz bound): both ends' MPFR bounds inside
      const DoubleInterval narrow(y, next_up(next_up(next_up(y))));
      CHECK(erf(narrow).lo <= erf_by_mpfr(DoubleInterval(narrow.lo)).lo);
      CHECK(erf(narrow).hi >= erf_by_mpfr(DoubleInterval(narrow.hi)).hi);
      CHECK(tanh(narrow).hi >= tanh_by_mpfr(DoubleInterval(narrow.hi)).hi);
    }
  CHECK(exp(DoubleInterval(0.0)).point());
  CHECK(exp2(DoubleInterval(-3.0)) == DoubleInterval(0.125));
  CHECK(erf(DoubleInterval(0.0)).point());
  const DoubleInterval wide(-0.75, 2.5);  // an interval: the hull of its ends (the functions increase)
  CHECK(exp(wide).lo == exp(DoubleInterval(-0.75)).lo);
  CHECK(erf(wide).hi == erf(DoubleInterval(2.5)).hi);
}

TEST_CASE("midpoint-radius kernels contain the exact range of x W + b, a . b and sum_j w_j v_j over their boxes") {
  // The exact range over a box of independent intervals is the sum of each term's exact range (its corners), in
  // rationals; the kernels' enclosure must contain it and stay within 1e-12 relative of its scale. Inputs mix points
  // and intervals, signs and magnitudes 2^-60 .. 2^60, zeros, subnormal radii, and a non-finite entry.
  std::mt19937_64 rng(21);
  const auto value = [&](int spread) {
    const double m = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % (2 * spread + 1)) - spread);
    switch (rng() % 5) {
      case 0: return DoubleInterval(m);
      case 1: return DoubleInterval(0.0);
      case 2: return DoubleInterval(m, next_up(next_up(m)));
      case 3: return DoubleInterval(std::min(m, 0.0), std::max(m, 0.0) + 0x1p-1070);
      default: return DoubleInterval(m, m + std::fabs(m) * 1e-9);
    }
  };
  const auto range = [](const DoubleInterval& a, const DoubleInterval& b) {  // the exact range of a b: corner products
    const Q c[4] = {Q(a.lo) * Q(b.lo), Q(a.lo) * Q(b.hi), Q(a.hi) * Q(b.lo), Q(a.hi) * Q(b.hi)};
    return std::pair{std::min({c[0], c[1], c[2], c[3]}), std::max({c[0], c[1], c[2], c[3]})};
  };
  // (width: midpoint-radius products of two intervals overestimate the range's width by at most 1.5 (Rump))
  const auto contains = [](const DoubleInterval& e, const Q& lo, const Q& hi, const Q& scale) {
    return Q(e.lo) <= lo && hi <= Q(e.hi) && Q(e.hi - e.lo) <= (hi - lo) * Q(3, 2) + scale * Q(1e-12) + Q(0x1p-1000);
  };
  for (int trial = 0; trial < 300; ++trial) {
    const int spread = trial % 3 == 0 ? 60 : 4;
    const std::size_t rows = 1 + rng() % 40, cols = 1 + rng() % 12;
    std::vector<DoubleInterval> x(rows);
    std::vector<double> w(rows * cols), bias(cols);
    for (auto& v : x) v = value(spread);
    for (auto& v : w) v = rng() % 4 ? value(spread).lo : 0.0;
    for (auto& v : bias) v = value(spread).lo;
    std::vector<DoubleInterval> out;
    mid_rad_vec_mat(x, w.data(), rows, cols, trial % 2 ? &bias : nullptr, out);
    REQUIRE(out.size() == cols);
    for (std::size_t c = 0; c < cols; ++c) {
      Q lo = trial % 2 ? Q(bias[c]) : Q(0), hi = lo, scale = abs(lo);
      for (std::size_t r = 0; r < rows; ++r) {
        const auto [l, h] = range(x[r], DoubleInterval(w[r * cols + c]));
        lo += l, hi += h, scale += std::max(abs(l), abs(h));
      }
      CHECK(contains(out[c], lo, hi, scale));
    }
    std::vector<DoubleInterval> a(rows), b(rows);
    for (std::size_t c = 0; c < rows; ++c) a[c] = value(spread), b[c] = value(spread);
    Q lo(0), hi(0), scale(0);
    for (std::size_t c = 0; c < rows; ++c) {
      const auto [l, h] = range(a[c], b[c]);
      lo += l, hi += h, scale += std::max(abs(l), abs(h));
    }
    CHECK(contains(mid_rad_dot(a, b), lo, hi, scale));
    std::vector<std::vector<DoubleInterval>> values(rows, std::vector<DoubleInterval>(cols));
    for (auto& row : values)
      for (auto& v : row) v = value(spread);
    std::vector<DoubleInterval> z;
    mid_rad_weighted_sum(a, values, z);
    for (std::size_t c = 0; c < cols; ++c) {
      Q zl(0), zh(0), zs(0);
      for (std::size_t j = 0; j < rows; ++j) {
        const auto [l, h] = range(a[j], values[j][c]);
        zl += l, zh += h, zs += std::max(abs(l), abs(h));
      }
      CHECK(contains(z[c], zl, zh, zs));
    }
  }
  // Never a point; a non-finite input becomes the whole line; a sum that overflows too.
  std::vector<DoubleInterval> out;
  mid_rad_vec_mat({DoubleInterval(0.5)}, std::vector<double>{2.0}.data(), 1, 1, nullptr, out);
  CHECK_FALSE(out[0].point());
  CHECK((out[0].lo < 1 && out[0].hi > 1));
  const double inf = std::numeric_limits<double>::infinity(), big = std::numeric_limits<double>::max();
  mid_rad_vec_mat({DoubleInterval(1.0), DoubleInterval(-inf, 0.0)}, std::vector<double>{1.0, 1.0}.data(), 2, 1, nullptr, out);
  CHECK(out[0] == DoubleInterval(-inf, inf));
  CHECK(mid_rad_dot({DoubleInterval(big), DoubleInterval(big)}, {DoubleInterval(2.0), DoubleInterval(2.0)}) == DoubleInterval(-inf, inf));
}

TEST_CASE("the GELUs enclose 256-bit references; the GELU brackets hold the minimisers") {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-6, 6);
  for (int i = 0; i < 3000; ++i) {
    const double x = u(rng);
    const DoubleInterval X(x);
    const double g = x * (1 + ref(mpfr_erf, x / std::sqrt(2.0))) / 2;  // within ~1e-16 of gelu(x)
    // erf within 16 ulps, of x / sqrt 2 (a few ulps wide: one evaluation plus 1.1284 times its width), then 3 operations
    CHECK(gelu(X).hi - gelu(X).lo <= 2e-14 * (1 + std::fabs(g)));
    CHECK(gelu(X).lo <= g + 1e-15);
    CHECK(gelu(X).hi >= g - 1e-15);
  }
  // f' changes sign inside each bracket: gelu'(x) = Φ(x) + x φ(x); gelu_new' from its tanh form.
  const auto gelu_d = [](double x) { return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI); };
  const auto gelu_new_d = [](double x) {
    const double c = std::sqrt(2 / M_PI), t = std::tanh(c * (x + 0.044715 * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
  };
  CHECK(gelu_d(kGeluBracketLo) < -1e-9);
  CHECK(gelu_d(kGeluBracketHi) > 1e-9);
  CHECK(gelu_new_d(kGeluNewBracketLo) < -1e-9);
  CHECK(gelu_new_d(kGeluNewBracketHi) > 1e-9);
  // An interval straddling the minimiser: its lower end reaches the minimum (-0.16997...), not f at an endpoint.
  const DoubleInterval around(-0.9, -0.6);
  CHECK(gelu(around).lo <= -0.169971);
  CHECK(gelu(around).lo >= -0.169972);
  CHECK(gelu(around).hi >= std::max(gelu(DoubleInterval(-0.9)).hi, gelu(DoubleInterval(-0.6)).hi));
  CHECK(gelu_new(around).lo <= -0.16997);
}

TEST_CASE("MPFI and exact rungs agree with the double rung where it is exact") {
  MpfiInterval::set_precision(128);
  const MpfiInterval third = MpfiInterval(1.0) / MpfiInterval(3.0);
  CHECK_FALSE(third.point());
  CHECK(third.lower() <= 1.0 / 3 + 1e-17);
  CHECK((MpfiInterval(0.5) * 3.0).point());
  CHECK(ExactValue(1.0) / ExactValue(3.0) == ExactValue(Q(Z(1), Z(3))));
  CHECK(sqrt(ExactValue(Q(Z(9), Z(4)))) == ExactValue(1.5));
  CHECK_THROWS_AS(sqrt(ExactValue(2.0)), not_exact);
  CHECK(exp2(ExactValue(-3.0)) == ExactValue(0.125));
  CHECK_THROWS_AS(exp(ExactValue(1.0)), not_exact);
}

TEST_CASE("safetensors: F32, BF16 and F16 values are read exactly; subnormal halves too") {
  // One tensor of each dtype, built by hand: 1.5, -2^-24 (the smallest F16 subnormal), 65504 (F16's largest).
  const auto file = [](const char* dtype, std::vector<unsigned char> bytes, int count) {
    const std::string header = std::string("{\"t\":{\"dtype\":\"") + dtype + "\",\"shape\":[" + std::to_string(count) +
                               "],\"data_offsets\":[0," + std::to_string(bytes.size()) + "]}}";
    std::string out(8, '\0');
    const std::uint64_t n = header.size();
    std::memcpy(out.data(), &n, 8);
    return out + header + std::string(bytes.begin(), bytes.end());
  };
  const auto f16 = SafetensorsReader::from_bytes(file("F16", {0x00, 0x3e, 0x01, 0x80, 0xff, 0x7b}, 3), "f16").read("t").values;
  CHECK(f16 == std::vector<double>{1.5, -std::ldexp(1.0, -24), 65504.0});
  const auto bf16 = SafetensorsReader::from_bytes(file("BF16", {0xc0, 0x3f, 0x80, 0xbf}, 2), "bf16").read("t").values;
  CHECK(bf16 == std::vector<double>{1.5, -1.0});
  float x = 0.1f;
  std::vector<unsigned char> b(4);
  std::memcpy(b.data(), &x, 4);
  CHECK(SafetensorsReader::from_bytes(file("F32", b, 1), "f32").read("t").values[0] == static_cast<double>(0.1f));
  CHECK_THROWS_WITH_AS(SafetensorsReader::from_bytes(file("F16", {0x00, 0x7c}, 1), "inf16").read("t"), "inf16: tensor \"t\": an infinity at flat index 0",
                       usage_error);
}

TEST_CASE("every task's answers on small graphs lie in its declared answer range") {
  for (const Task& t : all_tasks()) {
    const auto source = labelled_source(1, 5);
    std::vector<Graph> batch;
    while (source->next_batch(batch))
      for (const Graph& g : batch) {
        const auto [lo, hi] = t.answer_range(5);
        for (const Query& q : all_queries(t, g.n())) {
          const long a = t.solve(g, q);
          CHECK_MESSAGE((lo <= a && a <= hi), t.name);
        }
      }
  }
}

TEST_CASE("prompt: the edge-list template, both orientations, composite tokens") {
  const Prompt p = parse_prompt(R"({"format": "exactformer-prompt/1", "vocabulary": ["<bos>", "0", "1", "2", "<e>", "<q>", "<p>", "no", "yes"],
    "template": ["<bos>", {"each": "edge", "tokens": ["{u}", "{v}"], "between": ["<e>"]}, "<q>", "{s}", "{t}", "<p>"],
    "orientation": "both", "answers": {"no": 0, "yes": 1}})", "p");
  Graph g(3);
  g.add_edge(0, 2);
  g.add_edge(1, 2);
  CHECK(p.tokenize(g, {{1, 2}, {0, 2}}, Query{{2, 0}}) == std::vector<int>{0, 2, 3, 4, 3, 2, 4, 1, 3, 4, 3, 1, 5, 3, 1, 6});
  const Prompt c = parse_prompt(R"({"format": "exactformer-prompt/1", "vocabulary": ["v0", "v1", "e0_1", "task_0_1", "task_1_0", "a0", "a1"],
    "template": [{"each": "vertex", "tokens": ["v{i}"]}, {"each": "edge", "tokens": ["e{u}_{v}"]}, "task_{s}_{t}"],
    "answers": {"a0": 0, "a1": 1}})", "c");
  Graph h(2);
  h.add_edge(0, 1);
  CHECK(c.tokenize(h, h.edges(), Query{{1, 0}}) == std::vector<int>{0, 1, 2, 4});
  CHECK_THROWS_WITH_AS(c.tokenize(Graph(3), {}, Query{{0, 1}}), "prompt: token \"v2\" is not in the vocabulary", usage_error);
}

// One layer, d = 2, one head of width 1, LN (eps = 0, w = 1, b = 0), GELU, causal; tokens A = (1, 0), B = (0, 1).
//   row 0 (A): LN1 = (1, -1); q = k = v = 1; it sees itself only: r_0 = (1, 0) + (1, 0) = (2, 0), all exact;
//              LN2(r_0) = (1, -1), the MLP reads column 1: gelu(-1) = -Φ(-1), so x_0 = (2 - Φ(-1), 0).
//   row 1 (B): LN1 = (-1, 1); q = k_1 = v_1 = -1; scores (-1, 1) on rows 0, 1: weights (1, e^2) / (1 + e^2),
//              z = (1 - e^2) / (1 + e^2) = -tanh 1, so r_1 = (-tanh 1, 1); LN2(r_1) = (-1, 1) (as 1 + tanh 1 > 0);
//              the MLP reads column 1: gelu(1) = Φ(1), written to column 0: x_1 = (Φ(1) - tanh 1, 1).
//   readout row 1: LN_final(x_1) = (-1, 1) (Φ(1) - tanh 1 < 1); W_U = [[1, 2], [3, 5]], b_U = (1/2, 0): logits (2.5, 3).
// Φ(-1) = 0.158655253931457051..., Φ(1) = 0.841344746068542948..., tanh 1 = 0.761594155955764888..., Φ(1) - tanh 1 = 0.079750590112778060...
TEST_CASE("a hand-worked one-layer model: LN, GELU, causal softmax") {
  TlModel m;
  m.n_layers = 1, m.d_model = 2, m.d_head = 1, m.n_heads = 1, m.d_mlp = 1, m.d_vocab = 2, m.d_vocab_out = 2, m.n_ctx = 2;
  m.norm = TlNorm::ln, m.act = TlActivation::gelu, m.causal = true, m.eps = 0;
  m.w_e = dense(2, 2, {1, 0, 0, 1});
  TlLayer l;
  l.ln1 = l.ln2 = {{1, 1}, {0, 0}};
  TlHead h{dense(2, 1, {1, 0}), dense(2, 1, {1, 0}), dense(2, 1, {1, 0}), dense(1, 2, {1, 0}), {0}, {0}, {0}};
  l.heads.push_back(h);
  l.b_o = {0, 0};
  l.w_in = dense(2, 1, {0, 1});
  l.b_in = {0};
  l.w_out = dense(1, 2, {1, 0});
  l.b_out = {0, 0};
  m.layers.push_back(l);
  m.ln_final = {{1, 1}, {0, 0}};
  m.w_u = dense(2, 2, {1, 2, 3, 5});
  m.b_u = {0.5, 0};
  TlForward<DoubleInterval> f(m);
  TlRecord rec;
  const auto logits = f.logits({0, 1}, 1, {0, 1}, &rec);
  const auto near = [](std::pair<double, double> e, double x) { return e.first <= x + 1e-15 && x - 1e-15 <= e.second && e.second - e.first < 1e-13; };
  // LN_final divides by an enclosure of |c|: the logits are not points, but within ~1e-12 of (2.5, 3).
  for (int k = 0; k < 2; ++k) {
    CHECK(logits[static_cast<std::size_t>(k)].lo <= 2.5 + 0.5 * k);
    CHECK(logits[static_cast<std::size_t>(k)].hi >= 2.5 + 0.5 * k);
    CHECK(logits[static_cast<std::size_t>(k)].hi - logits[static_cast<std::size_t>(k)].lo < 4e-12);
  }
  REQUIRE(rec.stages.size() == 2);
  CHECK(near(rec.stages[1][0][0], 1.841344746068542949));
  CHECK(near(rec.stages[1][0][1], 0.0));  // exact values, enclosed (midpoint-radius sums never give points)
  CHECK(near(rec.stages[1][1][0], 0.07975059011277806));
  CHECK(near(rec.stages[1][1][1], 1.0));
  // The same at 128 bits, and exactly where exact rationals cannot go (e^2).
  MpfiInterval::set_precision(128);
  TlForward<MpfiInterval> g(m);
  const MpfiInterval l1 = g.logits({0, 1}, 1, {0, 1})[1];
  CHECK(l1.lower() <= 3.0);
  CHECK(l1.upper() >= 3.0);
  CHECK(l1.upper() - l1.lower() < 1e-15);  // 128-bit bounds, seen through doubles rounded outward
  TlForward<ExactValue> e(m);
  CHECK_THROWS_AS(e.logits({0, 1}, 1, {0, 1}), not_exact);
  // The causal prefix cache: the same sequence twice, then a shorter one whose every token repeats, equal fresh passes.
  TlForward<DoubleInterval> cached(m);
  const auto first = cached.logits({0, 1}, 1, {0, 1});
  CHECK(cached.logits({0, 1}, 1, {0, 1}) == first);
  CHECK(cached.logits({0}, 0, {0, 1}) == TlForward<DoubleInterval>(m).logits({0}, 0, {0, 1}));
}

TEST_CASE("every construction round-trips through export: the same weights, embeddings, decoder and rational residual traces") {
  const auto dir = std::filesystem::temp_directory_path() / ("exactformer-roundtrip-" + std::to_string(::getpid()));
  int compared = 0;
  for (const auto& c : builtin_registry().constructions()) {
    std::vector<Variant> variants = c->modes();
    if (c->name() == "node_count" || c->name() == "edge_existence") variants.push_back(Variant::softmax(Q(16)));  // natural softmax too
    for (const Variant& v : variants) {
      const int n = 3;
      const Built built = c->build(n, v);
      write_export(dir.string(), export_model(*c, n, v, built, {}));
      const LoadedExport loaded = load_exported(dir.string());
      CAPTURE(c->name());
      CAPTURE(built.variant);
      REQUIRE(loaded.n == n);
      CHECK(loaded.format == "exactformer-model/2");
      const Construction& back = *loaded.construction;
      CHECK(back.name() == c->name());
      CHECK(back.task() == c->task());
      CHECK(back.order_invariant() == c->order_invariant());
      CHECK(back.claimed(n, v) == c->claimed(n, v));
      const Built b = back.build(n, v);
      const Model &m1 = built.model, &m2 = b.model;
      CHECK(b.variant == built.variant);
      REQUIRE(m2.layout.slots().size() == m1.layout.slots().size());
      for (std::size_t i = 0; i < m1.layout.slots().size(); ++i) {
        CHECK(m2.layout.slots()[i].name == m1.layout.slots()[i].name);
        CHECK(m2.layout.slots()[i].offset == m1.layout.slots()[i].offset);
        CHECK(m2.layout.slots()[i].dim == m1.layout.slots()[i].dim);
      }
      CHECK(m2.pause_tokens == m1.pause_tokens);
      REQUIRE(m2.layers.size() == m1.layers.size());
      for (std::size_t l = 0; l < m1.layers.size(); ++l) {
        const Layer &a = m1.layers[l], &z = m2.layers[l];
        REQUIRE(z.heads.size() == a.heads.size());
        for (std::size_t h = 0; h < a.heads.size(); ++h) {
          CHECK(z.heads[h].name == a.heads[h].name);
          CHECK(z.heads[h].mode == a.heads[h].mode);
          CHECK(z.heads[h].mask == a.heads[h].mask);
          CHECK(z.heads[h].wq == a.heads[h].wq);
          CHECK(z.heads[h].wk == a.heads[h].wk);
          CHECK(z.heads[h].wv == a.heads[h].wv);
          CHECK(z.heads[h].wo == a.heads[h].wo);
        }
        REQUIRE(z.mlp.layers.size() == a.mlp.layers.size());
        for (std::size_t k = 0; k < a.mlp.layers.size(); ++k) {
          CHECK(z.mlp.layers[k].w == a.mlp.layers[k].w);
          CHECK(z.mlp.layers[k].bias == a.mlp.layers[k].bias);
        }
      }
      CHECK(b.decoder.kind == built.decoder.kind);
      REQUIRE(b.decoder.slots.size() == built.decoder.slots.size());
      for (std::size_t i = 0; i < built.decoder.slots.size(); ++i) CHECK(b.decoder.slots[i].col(0) == built.decoder.slots[i].col(0));
      // Every labelled graph n <= 3, its first and last query: the same input rows and the same residual stream after every sublayer.
      const Task& task = find_task(c->task());
      const auto source = labelled_source(1, n);
      std::vector<Graph> graphs;
      while (source->next_batch(graphs))
        for (const Graph& g : graphs)
          for (const Query& q : std::vector<Query>{all_queries(task, g.n()).front(), all_queries(task, g.n()).back()}) {  // both ends
            const auto tokens = tokenize(g, g.edges(), q, m1.pause_tokens);
            const MatQ x1 = embed_tokens(built, tokens).to_q(), x2 = embed_tokens(b, tokens).to_q();
            REQUIRE(x2 == x1);
            ++compared;
            if (v.kind == AttentionKind::softmax) continue;  // no exact trace (e^x is irrational); the weights are equal above
            Record r1, r2;
            forward(m1, x1, &r1);
            forward(m2, x2, &r2);
            CHECK(r2.labels == r1.labels);
            REQUIRE(r2.residuals.size() == r1.residuals.size());
            for (std::size_t k = 0; k < r1.residuals.size(); ++k) CHECK(r2.residuals[k] == r1.residuals[k]);
          }
    }
  }
  std::filesystem::remove_all(dir);
  CHECK(compared > 500);
}
