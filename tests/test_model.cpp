// The model: attention weight rules by hand, the reference forward pass, and every evaluator tier
// (int64, int128, GMP) against it, including forced overflow.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <tuple>

#include "bench.hpp"
#include "check.hpp"
#include "distributed.hpp"
#include "enumerate.hpp"
#include "exactformer/fraction_arith.hpp"
#include "exactformer/scaled_arith.hpp"

using namespace exactformer;

namespace {
Q exact(const Q& x) { return x; }
template <class Int>
Q exact(const CheckedRational<Int>& x) { return x.to_q(); }
Q exact(const scaled::Entry& x) { return x.to_q(); }
double exact_or_double(double x) { return x; }
template <class T>
Q exact_or_double(const T& x) { return exact(x); }
}  // namespace

TEST_CASE("hard attention averages the argmax set exactly") {
  RowQ s(4);
  s << q(1), q(3), q(3), q(-2);
  const RowQ w = attention_weights(s, AttentionMode::hard());
  CHECK(w(0) == 0);
  CHECK(w(1) == q(1, 2));
  CHECK(w(2) == q(1, 2));
  CHECK(w(3) == 0);
}

TEST_CASE("softmax2(b) weights are 2^(b s) normalised, exactly") {
  RowQ s(3);
  s << q(0), q(-1), q(1);
  const RowQ w = attention_weights(s, AttentionMode::softmax2(2));  // 1, 1/4, 4 over 21/4
  CHECK(w(0) == q(4, 21));
  CHECK(w(1) == q(1, 21));
  CHECK(w(2) == q(16, 21));
  RowQ half(2);
  half << q(1, 2), q(0);
  CHECK_THROWS_WITH_AS(attention_weights(half, AttentionMode::softmax2(1)), doctest::Contains("not an integer"), not_exact);
  CHECK(attention_weights(half, AttentionMode::softmax2(2))(0) == q(2, 3));
}

namespace {
// One layer, two heads over 4 tokens with equal scores: a causal hard head writes the mean of x over
// tokens 0..i to slot "mean", a causal softmax2(1) head with score = x_j writes to "soft". By hand, for
// x = (1, 3, 0, 4): mean = 1, 2, 4/3, 2; soft_i = sum_{j<=i} 2^x_j x_j / sum_{j<=i} 2^x_j
//   = 1, 26/10 = 13/5, 26/11, 90/27 = 10/3.
Model causal_model(Input& x) {
  Model m;
  const Slot one = m.layout.add("one", 1), xs = m.layout.add("x", 1), mean = m.layout.add("mean", 1), soft = m.layout.add("soft", 1);
  Head avg = Head::zeros("avg", m.layout, 1, 1);
  avg.mask = Mask::causal;
  avg.value(xs, 0, 0, q(1));
  avg.output(0, mean, 0, q(1));
  Head sm = Head::zeros("sm", m.layout, 1, 1);
  sm.mask = Mask::causal;
  sm.mode = AttentionMode::softmax2(1);
  sm.query(one, 0, 0, q(1));
  sm.key(xs, 0, 0, q(1));
  sm.value(xs, 0, 0, q(1));
  sm.output(0, soft, 0, q(1));
  m.layers.push_back(Layer{{avg, sm}, Mlp{}});
  x = Input(4, m.layout.width());
  const std::int64_t values[] = {1, 3, 0, 4};
  for (int i = 0; i < 4; ++i) {
    x.at(i, one.col()) = Frac64{1, 1};
    x.at(i, xs.col()) = Frac64{values[i], 1};
  }
  return m;
}
}  // namespace

TEST_CASE_TEMPLATE("causal masks: row i sees tokens 0..i, by hand, in the reference and every evaluator tier", E,
                   Evaluator<Fractions<Q>>, Evaluator<Fractions<Checked128>>, Evaluator<Scaled<std::int64_t>>) {
  Input x;
  const Model m = causal_model(x);
  const Q mean[] = {q(1), q(2), q(4, 3), q(2)}, soft[] = {q(1), q(13, 5), q(26, 11), q(10, 3)};
  const MatQ reference = forward(m, x.to_q());
  E eval(m);
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK(reference(i, 2) == mean[i]);
    CHECK(reference(i, 3) == soft[i]);
    const auto& row = eval.readout(x, i);
    CHECK(exact(row[2]) == mean[i]);
    CHECK(exact(row[3]) == soft[i]);
  }
}

namespace {

Input embed_input(const Built& built, const Graph& g, const Query& query) {
  return embed_tokens(built, tokenize(g, g.edges(), query, built.model.pause_tokens));
}

// Every residual row of the reference forward pass vs the evaluator's readout for every row.
template <class E>
void require_rows_match(const Model& model, const Input& x, const MatQ& reference) {
  E eval(model);
  for (int r = 0; r < x.rows; ++r) {
    const auto row = eval.readout(x, r);
    for (int c = 0; c < x.cols; ++c) REQUIRE(exact(row[static_cast<std::size_t>(c)]) == reference(r, c));
  }
}
template <class E>
void require_evaluator_matches_reference(const Built& built, const Graph& g, const Query& query) {
  const Input x = embed_input(built, g, query);
  require_rows_match<E>(built.model, x, forward(built.model, x.to_q()));
}

// The three exact tiers against one reference pass (int64 may overflow: the only tier narrower than its data).
void require_tiers_match_reference(const Built& built, const Graph& g, const Query& query) {
  const Input x = embed_input(built, g, query);
  const MatQ reference = forward(built.model, x.to_q());
  require_rows_match<Evaluator<Fractions<Q>>>(built.model, x, reference);
  require_rows_match<Evaluator<Fractions<Checked128>>>(built.model, x, reference);
  try {
    require_rows_match<Evaluator<Scaled<std::int64_t>>>(built.model, x, reference);
  } catch (const Overflow&) {
  }
}

}  // namespace

TEST_CASE("every evaluator tier (GMP, int128, int64) equals the reference forward pass on every construction") {
  for (const auto& c : all_constructions()) {
    for (const Variant& v : c->modes()) {
      const Built built = c->build(4, v);
      const Task& task = find_task(c->task());
      // Every row is compared against a GMP reference pass (~T^2 per head and layer), so each model and mode
      // gets about 60 (graph, query) items: every labelled graph n <= 4 with every query, in that order, taken
      // at an odd stride (all graphs of a no-argument task; every 19th pair of an ordered-pair task); a model
      // with many pause tokens (connectivity_padding: N' = 81 at n = 4) about 60 / (1 + N'/16) items.
      std::vector<std::pair<Graph, Query>> items;
      for (int n = 1; n <= 4; ++n)
        for (std::uint64_t i = 0; i < labelled_count(n); ++i)
          for (const Query& q : all_queries(task, n)) items.emplace_back(labelled_graph(n, i), q);
      const std::size_t cost = 1 + static_cast<std::size_t>(built.model.pause_tokens) / 16;
      const std::size_t stride = (items.size() * cost / 60) | 1U;
      for (std::size_t k = 0; k < items.size(); k += stride) {
        CAPTURE(c->name());
        CAPTURE(to_graph6(items[k].first));
        CAPTURE(items[k].second.str());
        require_tiers_match_reference(built, items[k].first, items[k].second);
      }
    }
  }
}

namespace {

// One evaluator kept across consecutive inputs, with a GMP twin fed the same calls (the same
// activation-bit maximum); an int64 overflow resets both, as the checker does.
template <class E>
struct Lane {
  static constexpr bool approximate = std::is_same_v<E, Evaluator<Fractions<double>>> || std::is_same_v<E, Evaluator<Scaled<double>>>;
  E eval;
  Evaluator<Fractions<Q>> twin;
  long compared = 0, overflows = 0;
  explicit Lane(const Model& m) : eval(m), twin(m) {}
  void step(const Input& x, int only_changed, const MatQ& reference) {
    std::vector<std::conditional_t<approximate, double, Q>> row;
    try {
      for (const auto& entry : eval.readout(x, x.rows - 1, only_changed)) row.push_back(exact_or_double(entry));
    } catch (const Overflow&) {
      REQUIRE(std::is_same_v<E, Evaluator<Scaled<std::int64_t>>>);
      ++overflows;
      eval.reset();
      twin.reset();
      return;
    }
    twin.readout(x, x.rows - 1);
    ++compared;
    if constexpr (approximate) {
      for (int col = 0; col < x.cols; ++col)
        REQUIRE(std::abs(row[static_cast<std::size_t>(col)] - reference(x.rows - 1, col).template convert_to<double>()) < 1e-6);
    } else {
      for (int col = 0; col < x.cols; ++col) REQUIRE(row[static_cast<std::size_t>(col)] == reference(x.rows - 1, col));
      REQUIRE(eval.max_activation_bits() == twin.max_activation_bits());
    }
  }
};

}  // namespace

TEST_CASE("one evaluator of each tier across consecutive queries and graphs (cached rows, pass-through, memo) equals the reference") {
  long compared = 0, overflows = 0;
  for (const auto& c : all_constructions()) {
    for (const Variant& v : c->modes()) {
      // The reference pass costs ~T^2 per head: a model with N' > 64 pause tokens at n = 5 (connectivity_padding,
      // N' = 151) is built for n = 4 and runs the 4-vertex graphs of the list.
      const int n = c->claimed(5, v).pause_tokens > 64 ? 4 : 5;
      const Built built = c->build(n, v);
      const Task& task = find_task(c->task());
      std::tuple<Lane<Evaluator<Fractions<Q>>>, Lane<Evaluator<Fractions<Checked128>>>, Lane<Evaluator<Fractions<double>>>,
                 Lane<Evaluator<Scaled<std::int64_t>>>, Lane<Evaluator<Scaled<double>>>>
          lanes{Lane<Evaluator<Fractions<Q>>>(built.model), Lane<Evaluator<Fractions<Checked128>>>(built.model),
                Lane<Evaluator<Fractions<double>>>(built.model), Lane<Evaluator<Scaled<std::int64_t>>>(built.model),
                Lane<Evaluator<Scaled<double>>>(built.model)};
      for (const char* g6 : {"DQc", "D~{", "Ch", "D?C", "DEW", "C~"}) {
        const Graph g = from_graph6(g6);
        if (g.n() > n) continue;
        // At most 10 consecutive queries of each graph, spread over all of them (a stride of 3 over 25 pairs).
        std::vector<Query> queries;
        const auto all = all_queries(task, g.n());
        for (std::size_t k = 0; k < all.size(); k += (all.size() + 9) / 10) queries.push_back(all[k]);
        Input x = embed_input(built, g, queries.front());
        for (const Query& query : queries) {
          const int task_row = x.rows - 1 - built.model.pause_tokens;  // pause tokens follow it; the readout is the last row
          Frac64* row = &x.at(task_row, 0);
          std::fill(row, row + x.cols, Frac64{});
          RowWriter w(row);
          built.embed(tokenize(g, g.edges(), query).back(), w);
          const MatQ reference = forward(built.model, x.to_q());
          CAPTURE(c->name());
          CAPTURE(g6);
          CAPTURE(query.str());
          // The promise after the first query: only the task row changed.
          const int only_changed = &query == &queries.front() ? -1 : task_row;
          std::apply([&](auto&... lane) { (lane.step(x, only_changed, reference), ...); }, lanes);
        }
      }
      std::apply([&](auto&... lane) { ((compared += lane.compared, overflows += lane.overflows), ...); }, lanes);
    }
  }
  CHECK(compared > 10 * overflows);
}

TEST_CASE("the int64 tier equals the reference wherever it does not overflow, and says so when it does") {
  long overflowed = 0, compared = 0;
  for (const auto& c : all_constructions()) {
    const Built built = c->build(5, c->modes().back());  // softmax2 where built: its activations are the widest
    const Graph g = complete_graph(5);
    const std::vector<Query> all = all_queries(find_task(c->task()), 5);
    for (std::size_t k = 0; k < all.size(); k += (all.size() + 6) / 7) {  // at most 7 queries, spread: (0,0), (0,4), (1,3), ...
      const Query& query = all[k];
      try {
        require_evaluator_matches_reference<Evaluator<Fractions<Checked64>>>(built, g, query);
        ++compared;
      } catch (const Overflow&) {
        ++overflowed;
      }
    }
  }
  CHECK(compared > 0);
  CHECK(overflowed > 0);  // edge_existence under softmax2 needs more than 64 bits on K5
}

namespace {

// node_count with W_Q and W_K scaled by 2^e: same argmax sets, scores of 2e bits.
Built scaled_node_count(int n, int e) {
  Built b = find_construction("node_count").build(n, Variant::hard());
  Head& h = b.model.layers[0].heads[0];
  h.wq *= Q(Z(1) << e);
  h.wk *= Q(Z(1) << e);
  b.variant = "hard, weights scaled by 2^" + std::to_string(e);
  return b;
}

}  // namespace

TEST_CASE("huge weights overflow int64 (and int128) and still give exact, correct answers") {
  const Construction& nc = find_construction("node_count");
  RunOptions opt;
  opt.crosscheck_every = 1;
  for (int e : {40, 70}) {
    const Built b = scaled_node_count(6, e);
    auto src = labelled_source(1, 5);
    const RunStats s = run_sweep(nc, b, 6, *src, opt);
    CAPTURE(e);
    CHECK(!s.failure);
    CHECK(s.graphs == 1099);
    CHECK(s.int64_overflows == s.evaluations);                    // every score needs 2e > 64 bits
    CHECK((s.int128_overflows == s.evaluations) == (e == 70));  // 140 bits: beyond int128 too
    CHECK(s.max_activation_bits >= 2 * e);
  }
}

TEST_CASE("the checker's result does not depend on the number of threads") {
  const Construction& c = find_construction("edge_existence");
  Variant fewer;
  fewer.code_bits_offset = -1;
  const Built broken = c.build(5, fewer);
  RunOptions one, two;
  two.jobs = 2;
  auto s1 = labelled_source(1, 5);
  auto s2 = labelled_source(1, 5);
  const RunStats a = run_sweep(c, broken, 5, *s1, one), b = run_sweep(c, broken, 5, *s2, two);
  REQUIRE(a.failure);
  REQUIRE(b.failure);
  CHECK(a.failure->describe() == b.failure->describe());
  CHECK(a.graphs == b.graphs);
  CHECK(a.evaluations == b.evaluations);
  CHECK(a.max_activation_bits == b.max_activation_bits);
}

TEST_CASE("sharded sweeps: each sweep of a command gives run_sweep's statistics, and a rerun on its state runs none again") {
  const Construction& ee = find_construction("edge_existence");
  const Construction& nc = find_construction("node_count");
  Variant fewer;
  fewer.code_bits_offset = -1;
  const Built holds = nc.build(5, Variant::hard()), fails = ee.build(5, fewer);
  char dir[] = "/tmp/exactformer-shards-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  ShardOptions so;
  so.state = std::string(dir) + "/state";
  so.fingerprint = "a test";
  so.shard_graphs = 37;  // 1,099 graphs: 30 shards, the last shorter
  const auto sweeps = [&](const RunOptions& opt) {  // three sweeps, as a command makes them: the same sweep twice, then a failing one
    std::vector<std::string> out;
    for (int k = 0; k < 3; ++k) {
      auto source = labelled_source(1, 5);
      out.push_back(stats_to_json(run_sweep(k < 2 ? nc : ee, k < 2 ? holds : fails, 5, *source, opt)).dump());
    }
    return out;
  };
  const std::vector<std::string> plain = sweeps(RunOptions{});
  {
    ShardedSweeps sharded(so);
    RunOptions opt;
    opt.sharding = &sharded;
    CHECK(sweeps(opt) == plain);
  }
  ShardedSweeps resumed(so);  // every shard is recorded: with the stop flag already set, a shard to run would throw
  const std::atomic<bool> stop{true};
  RunOptions opt;
  opt.sharding = &resumed;
  opt.stop = &stop;
  CHECK(sweeps(opt) == plain);
  ShardedSweeps fresh(ShardOptions{std::string(dir) + "/other", "a test", 37});
  opt.sharding = &fresh;
  CHECK_THROWS_AS(sweeps(opt), interrupted);
  std::filesystem::remove_all(dir);
}

TEST_CASE("bench: the three paths run the same stream; fast exact and GMP agree (else internal_error)") {
  std::vector<Graph> graphs;
  for (int n = 1; n <= 4; ++n)
    for (std::uint64_t i = 0; i < labelled_count(n); ++i) graphs.push_back(labelled_graph(n, i));
  for (const auto& c : all_constructions()) {
    const BenchResult r = bench(*c, c->build(4, c->modes().back()), graphs);
    long pairs = 0;
    for (const Graph& g : graphs) pairs += static_cast<long>(all_queries(find_task(c->task()), g.n()).size());
    CAPTURE(c->name());
    CHECK(r.pairs == pairs);
  }
}

TEST_CASE("the threshold filter decides in double only what the rounding bound proves") {
  using C = Checked128;
  const auto decide = [](const std::vector<C>& xs) {
    return filtered_at_least_half(xs.size(), [&](std::size_t i) -> const C& { return xs[i]; });
  };
  CHECK(decide({C::fraction(3, 4)}) == std::optional<bool>(true));
  CHECK(decide({C::fraction(1, 3)}) == std::optional<bool>(false));
  CHECK(decide({C::fraction(1, 4), C::fraction(1, 5)}) == std::optional<bool>(false));
  CHECK(decide({C::fraction(1, 2)}) == std::nullopt);  // on the threshold: left to exact arithmetic
  CHECK(decide({C::fraction(1, 4), C::fraction(1, 4)}) == std::nullopt);
  const i128 big = i128{1} << 100;
  CHECK(decide({C::fraction(big / 2 + 1, big)}) == std::nullopt);  // 1/2 + 2^-100
  CHECK(decide({C::fraction(big / 2 - 1, big)}) == std::nullopt);
  CHECK(decide({C::fraction(big / 4 + 1, big), C::fraction(big / 4, big)}) == std::nullopt);

  // Random sums near 1/2 with denominators up to 2^90: every decision agrees with GMP.
  std::mt19937_64 rng(2024);
  long decided = 0;
  for (int trial = 0; trial < 100000; ++trial) {
    const std::size_t k = 1 + rng() % 3;
    std::vector<C> xs;
    Q exact_sum(0);
    for (std::size_t i = 0; i < k; ++i) {
      const i128 den = (static_cast<i128>(rng() >> 2) << (rng() % 27)) + 1;
      const i128 half_share = den / static_cast<i128>(2 * k);
      const i128 num = half_share + static_cast<i128>(rng() % 2001) - 1000;
      xs.push_back(C::fraction(num, den));
      exact_sum += xs.back().to_q();
    }
    const std::optional<bool> d = decide(xs);
    if (!d) continue;
    ++decided;
    REQUIRE(*d == (exact_sum >= q(1, 2)));
  }
  CHECK(decided > 1000);
}
