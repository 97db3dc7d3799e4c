// The checker (verify/checker.hpp).
#include "checker.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <istream>
#include <mutex>
#include <thread>

#include "enumerate.hpp"
#include "exactformer/fraction_arith.hpp"
#include "exactformer/scaled_arith.hpp"
#include "predictions.hpp"

namespace exactformer {

// ---------------------------------------------------------------------------------------------------
// Graph sources.

namespace {

constexpr std::size_t kBatch = 1 << 15;

class LabelledSource final : public GraphSource {
 public:
  LabelledSource(int n_min, int n_max) : n_(n_min), n_max_(n_max), n_min_(n_min) {
    EXACTFORMER_REQUIRE(n_min >= 1 && n_max <= 11, "labelled enumeration covers 1 <= n <= 11");
  }
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    while (out.size() < kBatch && n_ <= n_max_) {
      if (index_ == labelled_count(n_)) {
        ++n_;
        index_ = 0;
        continue;
      }
      out.push_back(labelled_graph(n_, index_++));
    }
    return !out.empty();
  }
  std::string describe() const override {
    return "every labelled graph with " + std::to_string(n_min_) + " <= n <= " + std::to_string(n_max_);
  }

 private:
  int n_, n_max_, n_min_;
  std::uint64_t index_ = 0;
};

class ListSource final : public GraphSource {
 public:
  ListSource(std::vector<Graph> g, std::string d) : graphs_(std::move(g)), description_(std::move(d)) {}
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    if (done_) return false;
    done_ = true;
    out = graphs_;
    return !out.empty();
  }
  std::string describe() const override { return description_; }

 private:
  std::vector<Graph> graphs_;
  std::string description_;
  bool done_ = false;
};

class Graph6Source final : public GraphSource {
 public:
  Graph6Source(std::istream& in, std::string d, int n_max) : in_(in), description_(std::move(d)), n_max_(n_max) {}
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    std::string line;
    while (out.size() < kBatch && std::getline(in_, line)) {
      ++line_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      Graph g;
      try {
        g = from_graph6(line);
      } catch (const usage_error& e) {
        throw usage_error("graph6 line " + std::to_string(line_) + ": " + e.what());
      }
      EXACTFORMER_REQUIRE(g.n() >= 1, "graph6 line " + std::to_string(line_) + ": a graph with no vertices");
      EXACTFORMER_REQUIRE(g.n() <= n_max_, "graph6 line " + std::to_string(line_) + ": n = " + std::to_string(g.n())
                                               + " exceeds --n " + std::to_string(n_max_));
      out.push_back(std::move(g));
    }
    return !out.empty();
  }
  std::string describe() const override { return description_; }

 private:
  std::istream& in_;
  std::string description_;
  int n_max_;
  long line_ = 0;
};

}  // namespace

std::unique_ptr<GraphSource> labelled_source(int n_min, int n_max) { return std::make_unique<LabelledSource>(n_min, n_max); }
std::unique_ptr<GraphSource> list_source(std::vector<Graph> graphs, std::string description) {
  return std::make_unique<ListSource>(std::move(graphs), std::move(description));
}
std::unique_ptr<GraphSource> graph6_source(std::istream& in, std::string description, int n_max) {
  return std::make_unique<Graph6Source>(in, std::move(description), n_max);
}

// ---------------------------------------------------------------------------------------------------

std::string Counterexample::describe() const {
  std::string order;
  for (const auto& [a, b] : edge_order) order += (order.empty() ? "" : " ") + std::to_string(a) + "-" + std::to_string(b);
  return "graph6 " + to_graph6(graph) + " (n=" + std::to_string(graph.n()) + ", edges in token order: " +
         (order.empty() ? "none" : order) + "), query " + query.str() + ": expected " + std::to_string(expected) +
         ", got " + (got ? std::to_string(*got) : "undefined") + " [" + variant + "]";
}

namespace {

void embed_row(const Built& built, Input& x, int row, const Token& t) {
  Frac64* cells = &x.at(row, 0);
  std::fill(cells, cells + x.cols, Frac64{});
  RowWriter w(cells);
  built.embed(t, w);
}

void embed_all_into(const Built& built, const std::vector<Token>& tokens, Input& x) {
  x.rows = static_cast<int>(tokens.size());
  x.cols = built.model.layout.width();
  x.cells.resize(static_cast<std::size_t>(x.rows) * static_cast<std::size_t>(x.cols));
  for (std::size_t i = 0; i < tokens.size(); ++i) embed_row(built, x, static_cast<int>(i), tokens[i]);
}

Input embed_all(const Built& built, const std::vector<Token>& tokens) {
  Input x;
  embed_all_into(built, tokens, x);
  return x;
}

Token task_token(const Query& q) {
  Token t{TokenKind::task, -1, -1};
  if (!q.args.empty()) t.a = q.args[0];
  if (q.args.size() > 1) t.b = q.args[1];
  return t;
}

// Fisher-Yates with splitmix64 (seeding a Mersenne twister per graph costs more than the shuffle).
std::vector<std::pair<int, int>> shuffled(std::vector<std::pair<int, int>> edges, std::uint64_t seed) {
  const auto next = [&seed] {
    std::uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (std::size_t i = edges.size(); i > 1; --i) std::swap(edges[i - 1], edges[static_cast<std::size_t>(next() % i)]);
  return edges;
}

struct GraphOutcome {
  long queries = 0, evaluations = 0, fallbacks = 0, gmp_fallbacks = 0;
  long wrong = 0, above = 0, below = 0, undefined = 0;
  int bits = 0;
  std::optional<Counterexample> failure;
};

// The three tiers of exact evaluation, one schedule in three arithmetics: int64 rows over a shared
// denominator (Scaled<int64>), int128 fractions (Fractions<Checked128>), GMP (Fractions<Q>). Each tier that overflows is reset (its cache may hold a half-computed row) and the
// evaluation is redone one tier up.
class TieredEvaluator {
 public:
  TieredEvaluator(const Model& m, bool fast_path) : exact_(m) {
    if (!fast_path) return;
    try {
      t64_.emplace(m);
    } catch (const Overflow&) {
    }
    try {
      t128_.emplace(m);
    } catch (const Overflow&) {
    }
  }
  void reset() {
    bits_ = 0;
    if (t64_) t64_->reset();
    if (t128_) t128_->reset();
    exact_.reset();
  }
  // The decoded answer; `tier` is set to 0 (int64), 1 (int128) or 2 (GMP). only_changed: see
  // Evaluator::readout.
  std::optional<long> run(const Decoder& d, const Input& x, int row, int& tier, int only_changed = -1) {
    if (t64_) {
      try {
        tier = 0;
        return decode(d, t64_->readout(x, row, only_changed));
      } catch (const Overflow&) {
        bits_ = std::max(bits_, t64_->max_activation_bits());
        t64_->reset();
      }
    }
    if (t128_) {
      try {
        tier = 1;
        return decode(d, t128_->readout(x, row));
      } catch (const Overflow&) {
        bits_ = std::max(bits_, t128_->max_activation_bits());
        t128_->reset();
      }
    }
    tier = 2;
    return decode_readout(d, exact_.readout(x, row));
  }
  // Decodes exact machine fractions: a threshold through the floating-point filter first, then in
  // Checked128, and in GMP if that overflows.
  static Checked128 as_checked(const Checked128& x) { return x; }
  static Checked128 as_checked(const scaled::Entry& x) { return x.exact(); }
  template <class E>
  std::optional<long> decode(const Decoder& d, const std::vector<E>& row) {
    if (decoder_ != &d) {
      decoder_ = &d;
      decoder_cols_.clear();
      for (const Slot& s : d.slots) decoder_cols_.push_back(static_cast<std::size_t>(s.col(0)));
    }
    const auto at = [&](std::size_t i) -> const E& { return row[decoder_cols_[i]]; };
    if (d.kind == Decoder::Kind::threshold_half)
      if (const std::optional<bool> above = filtered_at_least_half(d.slots.size(), at)) return *above ? 1L : 0L;
    try {
      return decode_entries<Checked128>(d, [&](std::size_t i) { return as_checked(at(i)); });
    } catch (const Overflow&) {
      return decode_entries<Q>(d, [&](std::size_t i) { return at(i).to_q(); });
    }
  }
  // The readout row through the tier `run` used last, as exact rationals.
  std::vector<Q> last_row(const Input& x, int row, int tier) {
    std::vector<Q> out;
    if (tier == 0) for (const auto& v : t64_->readout(x, row)) out.push_back(v.to_q());
    if (tier == 1) for (const auto& v : t128_->readout(x, row)) out.push_back(v.to_q());
    if (tier == 2) out = exact_.readout(x, row);
    return out;
  }
  int max_activation_bits() const {
    return std::max({bits_, exact_.max_activation_bits(), t64_ ? t64_->max_activation_bits() : 0,
                     t128_ ? t128_->max_activation_bits() : 0});
  }

 private:
  std::optional<Evaluator<Scaled<std::int64_t>>> t64_;
  std::optional<Evaluator<Fractions<Checked128>>> t128_;
  Evaluator<Fractions<Q>> exact_;
  int bits_ = 0;
  const Decoder* decoder_ = nullptr;
  std::vector<std::size_t> decoder_cols_;  // the residual column of each of decoder_'s slots
};

// Per-thread state.
class Worker {
 public:
  Worker(const Construction& c, const Built& built, const Task& task, const RunOptions& opt)
      : c_(c), built_(built), task_(task), opt_(opt), eval_(built.model, opt.fast_path), reference_(built.model) {}

  GraphOutcome run_graph(const Graph& g, std::uint64_t seq) {
    GraphOutcome out;
    const auto n = static_cast<std::size_t>(g.n());
    if (queries_by_n_.size() <= n) queries_by_n_.resize(n + 1);
    if (queries_by_n_[n].empty()) queries_by_n_[n] = all_queries(task_, g.n());
    const std::vector<Query>& queries = queries_by_n_[n];
    std::vector<long>& expected = expected_;
    expected.clear();
    for (const Query& q : queries) expected.push_back(task_.solve(g, q));
    out.queries = static_cast<long>(queries.size());

    std::vector<std::vector<std::pair<int, int>>> orders{g.edges()};
    if (c_.order_invariant())
      for (int o = 1; o < opt_.edge_orders; ++o) orders.push_back(shuffled(orders[0], seq * std::uint64_t{1000003} + static_cast<std::uint64_t>(o)));

    eval_.reset();  // per-graph statistics must not depend on which thread ran what
    const bool crosscheck = opt_.fast_path && opt_.crosscheck_every > 0 && seq % static_cast<std::uint64_t>(opt_.crosscheck_every) == 0;
    const std::size_t crosscheck_stride = std::max<std::size_t>(1, (queries.size() + 3) / 4);  // at most 4 queries per such graph
    for (const auto& order : orders) {
      const std::vector<Token> tokens = tokenize(g, order, queries.front());
      Input& x = input_;
      embed_all_into(built_, tokens, x);
      const int task_row = x.rows - 1;
      for (std::size_t qi = 0; qi < queries.size(); ++qi) {
        embed_row(built_, x, task_row, task_token(queries[qi]));
        int tier = 0;
        const std::optional<long> got = eval_.run(built_.decoder, x, task_row, tier, qi == 0 ? -1 : task_row);
        if (tier >= 1 && opt_.fast_path) ++out.fallbacks;
        if (tier == 2 && opt_.fast_path) ++out.gmp_fallbacks;
        if (crosscheck && tier < 2 && qi % crosscheck_stride == 0) {
          const std::vector<Q> fast_row = eval_.last_row(x, task_row, tier);
          reference_.reset();  // a from-scratch GMP pass: no cached row from earlier queries
          const std::vector<Q> exact_row = reference_.readout(x, task_row);
          for (std::size_t c = 0; c < exact_row.size(); ++c)
            if (fast_row[c] != exact_row[c])
              throw internal_error("fast exact path disagrees with GMP on " + to_graph6(g) + " query " + queries[qi].str() +
                                   " slot " + built_.model.layout.column_name(static_cast<int>(c)) + ": " +
                                   to_string(fast_row[c]) + " vs " + to_string(exact_row[c]));
        }
        ++out.evaluations;
        if (got != expected[qi]) {
          ++out.wrong;
          if (!got) ++out.undefined;
          else if (*got > expected[qi]) ++out.above;
          else ++out.below;
          if (!out.failure) out.failure = Counterexample{g, order, queries[qi], expected[qi], got, built_.variant};
        }
        if (out.failure && opt_.stop_at_first) break;
      }
      if (out.failure && opt_.stop_at_first) break;
    }
    out.bits = eval_.max_activation_bits();
    return out;
  }

 private:
  const Construction& c_;
  const Built& built_;
  const Task& task_;
  const RunOptions& opt_;
  TieredEvaluator eval_;
  Evaluator<Fractions<Q>> reference_;  // the crosscheck's GMP pass
  std::vector<std::vector<Query>> queries_by_n_;  // [n]: every query on n vertices
  std::vector<long> expected_;                    // [query] of the current graph
  Input input_;                                   // the current token matrix
};

}  // namespace

RunStats run_sweep(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt) {
  const Task& task = find_task(c.task());
  const int jobs = std::max(1, opt.jobs);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int j = 0; j < jobs; ++j) workers.push_back(std::make_unique<Worker>(c, built, task, opt));

  RunStats stats;
  std::vector<Graph> batch;
  std::uint64_t base = 0;
  while (source.next_batch(batch)) {
    for (const Graph& g : batch)
      EXACTFORMER_REQUIRE(g.n() <= n_max, "graph " + to_graph6(g) + " has " + std::to_string(g.n()) +
                                              " vertices; the model was built for n <= " + std::to_string(n_max));
    std::vector<GraphOutcome> outcomes(batch.size());
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> first_failure{batch.size()};
    std::exception_ptr error;
    std::mutex error_mutex;
    const auto work = [&](Worker& w) {
      try {
        constexpr std::size_t chunk = 16;
        for (;;) {
          const std::size_t start = next.fetch_add(chunk);
          if (start >= batch.size()) return;
          for (std::size_t i = start; i < std::min(start + chunk, batch.size()); ++i) {
            if (opt.stop_at_first && i > first_failure.load()) return;
            outcomes[i] = w.run_graph(batch[i], base + i);
            if (outcomes[i].failure) {
              std::size_t cur = first_failure.load();
              while (i < cur && !first_failure.compare_exchange_weak(cur, i)) {
              }
            }
          }
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(batch.size());
      }
    };
    if (jobs == 1) {
      work(*workers[0]);
    } else {
      std::vector<std::thread> threads;
      for (int j = 0; j < jobs; ++j) threads.emplace_back(work, std::ref(*workers[static_cast<std::size_t>(j)]));
      for (auto& t : threads) t.join();
    }
    if (error) std::rethrow_exception(error);
    const std::size_t stop = opt.stop_at_first ? std::min(first_failure.load() + 1, batch.size()) : batch.size();
    for (std::size_t i = 0; i < stop; ++i) {
      const GraphOutcome& o = outcomes[i];
      ++stats.graphs;
      stats.queries += o.queries;
      stats.evaluations += o.evaluations;
      stats.fallbacks += o.fallbacks;
      stats.gmp_fallbacks += o.gmp_fallbacks;
      stats.max_activation_bits = std::max(stats.max_activation_bits, o.bits);
      stats.failing_graphs += o.failure ? 1 : 0;
      stats.failing_evaluations += o.wrong;
      stats.answered_above += o.above;
      stats.answered_below += o.below;
      stats.answered_undefined += o.undefined;
      if (o.failure && !stats.failure) stats.failure = o.failure;
    }
    base += batch.size();
    if (stats.failure && opt.stop_at_first) break;
  }
  return stats;
}

Input embed_tokens(const Built& built, const std::vector<Token>& tokens) { return embed_all(built, tokens); }

std::optional<long> evaluate(const Built& built, const Graph& g, const std::vector<std::pair<int, int>>& order,
                             const Query& query, bool fast_path) {
  const std::vector<Token> tokens = tokenize(g, order, query);
  const Input x = embed_all(built, tokens);
  TieredEvaluator eval(built.model, fast_path);
  int tier = 0;
  return eval.run(built.decoder, x, x.rows - 1, tier);
}

Counterexample shrink(const Construction& c, const Built& built, Counterexample cx) {
  const Task& task = find_task(c.task());
  const auto fails = [&](const Graph& g, const Query& q) { return evaluate(built, g, g.edges(), q) != task.solve(g, q); };
  if (!fails(cx.graph, cx.query)) return cx;  // fails only in its own edge order: keep it as found
  Graph g = cx.graph;
  Query q = cx.query;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [a, b] : g.edges()) {
      Graph h = g;
      h.remove_edge(a, b);
      if (fails(h, q)) {
        g = h;
        changed = true;
      }
    }
    for (int v = g.n() - 1; v >= 0 && g.n() > 1; --v) {
      if (std::find(q.args.begin(), q.args.end(), v) != q.args.end()) continue;
      Graph h = g.without_vertex(v);
      Query r = q;
      for (int& a : r.args)
        if (a > v) --a;
      if (fails(h, r)) {
        g = h;
        q = r;
        changed = true;
      }
    }
  }
  cx.graph = g;
  cx.query = q;
  cx.edge_order = g.edges();
  cx.expected = task.solve(g, q);
  cx.got = evaluate(built, g, cx.edge_order, q);
  return cx;
}

// ---------------------------------------------------------------------------------------------------

BenchResult bench(const Construction& c, const Built& built, const std::vector<Graph>& graphs) {
  const Task& task = find_task(c.task());
  // Inputs are built once, outside the timed loops.
  std::vector<Input> inputs;
  for (const Graph& g : graphs) {
    const auto queries = all_queries(task, g.n());
    Input x = embed_all(built, tokenize(g, g.edges(), queries.front()));
    for (const Query& q : queries) {
      embed_row(built, x, x.rows - 1, task_token(q));
      inputs.push_back(x);
    }
  }
  BenchResult r;
  r.pairs = static_cast<long>(inputs.size());
  std::vector<std::optional<long>> exact(inputs.size()), approx(inputs.size());
  const auto timed = [](auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Consecutive inputs of one graph differ only in the task row, so every path reuses what it may.
  r.seconds_double = timed([&] {
    Evaluator<Scaled<double>> e(built.model);
    for (std::size_t i = 0; i < inputs.size(); ++i) approx[i] = decode_readout(built.decoder, e.readout(inputs[i], inputs[i].rows - 1));
  });
  r.seconds_fast = timed([&] {
    TieredEvaluator e(built.model, true);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      int tier = 0;
      exact[i] = e.run(built.decoder, inputs[i], inputs[i].rows - 1, tier);
      r.int64_overflows += tier >= 1;
      r.int128_overflows += tier == 2;
    }
  });
  r.seconds_gmp = timed([&] {
    Evaluator<Fractions<Q>> e(built.model);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto got = decode_readout(built.decoder, e.readout(inputs[i], inputs[i].rows - 1));
      if (got != exact[i]) throw internal_error("bench: the fast exact path and GMP disagree on input " + std::to_string(i));
    }
  });
  for (std::size_t i = 0; i < inputs.size(); ++i) r.double_disagreements += approx[i] != exact[i];
  return r;
}

// ---------------------------------------------------------------------------------------------------

CheckResult run_check(const Construction& c, const CheckSpec& spec, const CheckOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  CheckResult r;
  r.spec = spec;
  r.construction = c.name();
  r.task = c.task();
  r.n_max = opt.n_max;
  const auto make_source = [&]() { return labelled_source(1, opt.n_max); };
  r.coverage = make_source()->describe();
  const int family_n_max = opt.spec_families ? std::max(opt.family_n_max, spec.families_up_to) : opt.family_n_max;
  for (const Variant& v : spec.variants) {
    if (opt.witness_only) break;
    VariantResult vr;
    const Built built = c.build(opt.n_max, v);
    vr.variant = built.variant;
    vr.measured = measure(built.model);
    vr.claimed = c.claimed(opt.n_max, v);
    vr.shape_mismatch = shape_differences(vr.measured, vr.claimed);
    auto source = make_source();
    vr.labelled = run_sweep(c, built, opt.n_max, *source, opt.run);
    if (vr.labelled.failure) vr.labelled.failure = shrink(c, built, *vr.labelled.failure);
    for (const int n : family_sizes(opt.n_max, family_n_max)) {
      const Built big = c.build(n, v);
      const auto diff = shape_differences(measure(big.model), c.claimed(n, v));
      for (const auto& d : diff) vr.shape_mismatch.push_back("n=" + std::to_string(n) + " " + d);
      std::vector<Graph> graphs;
      for (auto& f : families(n, n <= 16)) graphs.push_back(f.graph);
      auto fam = list_source(std::move(graphs), "families");
      const RunStats s = run_sweep(c, big, n, *fam, opt.run);
      vr.families.graphs += s.graphs;
      vr.families.queries += s.queries;
      vr.families.evaluations += s.evaluations;
      vr.families.fallbacks += s.fallbacks;
      vr.families.gmp_fallbacks += s.gmp_fallbacks;
      vr.families.max_activation_bits = std::max(vr.families.max_activation_bits, s.max_activation_bits);
      if (s.failure && !vr.families.failure) vr.families.failure = shrink(c, big, *s.failure);
    }
    r.variants.push_back(std::move(vr));
  }
  if (family_n_max > opt.n_max && !opt.witness_only) {
    std::string sizes;
    for (const int n : family_sizes(opt.n_max, family_n_max)) sizes += (sizes.empty() ? "" : ",") + std::to_string(n);
    r.coverage += "; families (path, cycle, star, empty, two n/2-cycles, two K4 joined by a path, binomial trees at powers of two; "
                  "clique and two cliques for n <= 16) "
                  "for n = " + sizes;
  }
  bool witness_ok = true;
  if (spec.witness && opt.n_max >= spec.witness_min_n) {
    const Built broken = c.build(opt.n_max, *spec.witness);
    r.witness_variant = broken.variant;
    RunOptions wopt = opt.run;
    wopt.stop_at_first = true;
    // Search the families on every n <= n_max first (cheap, and where depth bounds break), then every
    // labelled graph (at n >= 8 only the families are searchable in practice).
    std::vector<Graph> small;
    for (int n = 1; n <= opt.n_max; ++n)
      for (auto& f : families(n)) small.push_back(f.graph);
    auto fam = list_source(std::move(small), "families");
    RunStats s = run_sweep(c, broken, opt.n_max, *fam, wopt);
    r.witness_graphs_searched = s.graphs;
    if (!s.failure) {
      auto source = make_source();
      s = run_sweep(c, broken, opt.n_max, *source, wopt);
      r.witness_graphs_searched += s.graphs;
    }
    if (s.failure) {
      r.witness = s.failure;
      r.witness_shrunk = shrink(c, broken, *s.failure);
    }
    witness_ok = r.witness.has_value();
  }
  if (!opt.witness_only) {
    CheckOptions popt = opt;
    popt.family_n_max = family_n_max;
    for (const std::string& p : spec.predictions)
      for (Finding& f : run_prediction(p, c, spec, popt)) r.predictions.push_back(std::move(f));
  }
  if (opt.witness_only) r.coverage = "witness search only: " + r.coverage;
  r.holds = witness_ok && std::all_of(r.variants.begin(), r.variants.end(), [](const VariantResult& v) { return v.holds(); }) &&
            std::all_of(r.predictions.begin(), r.predictions.end(), [](const Finding& f) { return f.holds; });
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<std::pair<const Construction*, CheckSpec>> all_checks() {
  std::vector<std::pair<const Construction*, CheckSpec>> out;
  for (const auto& c : all_constructions())
    for (auto& s : c->checks()) out.emplace_back(c.get(), std::move(s));
  return out;
}

}  // namespace exactformer
