// The sweep (verify/sweep.hpp): tiers, per-thread workers, the pool.
#include "sweep.hpp"

#include <algorithm>
#include <atomic>

#include "pool.hpp"
#include "splitmix.hpp"

namespace exactformer {

std::string Counterexample::describe() const {
  std::string order;
  for (const auto& [a, b] : edge_order) order += (order.empty() ? "" : " ") + std::to_string(a) + "-" + std::to_string(b);
  return "graph6 " + to_graph6(graph) + " (n=" + std::to_string(graph.n()) + ", edges in token order: " +
         (order.empty() ? "none" : order) + "), query " + query.str() + ": expected " + std::to_string(expected) +
         ", got " + (got ? std::to_string(*got) : "undefined") + " [" + variant + "]" +
         (certificate.empty() ? "" : " (" + certificate + ")") + (readout.empty() ? "" : "; readout " + readout + " breaks the construction's claim");
}

std::string readout_mismatch(const Built& built, const std::vector<Q>& claimed, const std::vector<Q>& got) {
  EXACTFORMER_ASSERT(claimed.size() == built.decoder.slots.size(), "a readout claim needs one value per decoder slot");
  for (std::size_t i = 0; i < claimed.size(); ++i)
    if (claimed[i] != got[i]) return built.decoder.slots[i].name + " = " + to_string(got[i]) + ", claimed " + to_string(claimed[i]);
  return "";
}

std::string Answer::certificate(long expected) const {
  if (!certified) return "";
  switch (certified->decision.status) {
    case CertifiedDecision::Status::decided:
      return std::string(value == expected ? "certified_correct" : "certified_wrong") + ", " + certified->str();
    case CertifiedDecision::Status::boundary: return "boundary, " + certified->str();
    case CertifiedDecision::Status::undetermined: return "undetermined, " + certified->str();
  }
  return "";
}

// The answer of the certified path, as an Answer.
static Answer certified_answer(CertifiedResult r) {
  Answer a;
  if (r.decision.status != CertifiedDecision::Status::undetermined) a.value = r.decision.answer;
  a.certified = std::move(r);
  return a;
}


void embed_row(const Built& built, Input& x, int row, const Token& t) {
  Frac64* cells = &x.at(row, 0);
  std::fill(cells, cells + x.cols, Frac64{});
  RowWriter w(cells);
  built.embed(t, w);
}

static void embed_all_into(const Built& built, const std::vector<Token>& tokens, Input& x) {
  x.rows = static_cast<int>(tokens.size());
  x.cols = built.model.layout.width();
  x.cells.resize(static_cast<std::size_t>(x.rows) * static_cast<std::size_t>(x.cols));
  for (std::size_t i = 0; i < tokens.size(); ++i) embed_row(built, x, static_cast<int>(i), tokens[i]);
}


Token task_token(const Query& q) {
  Token t{TokenKind::task, -1, -1};
  if (!q.args.empty()) t.a = q.args[0];
  if (q.args.size() > 1) t.b = q.args[1];
  return t;
}

// Fisher-Yates with splitmix64 (seeding a Mersenne twister per graph costs more than the shuffle).
static std::vector<std::pair<int, int>> shuffled(std::vector<std::pair<int, int>> edges, std::uint64_t seed) {
  SplitMix64 rng{seed};
  for (std::size_t i = edges.size(); i > 1; --i) std::swap(edges[i - 1], edges[static_cast<std::size_t>(rng.next() % i)]);
  return edges;
}



namespace {

struct GraphOutcome {
  RunStats s;                   // this graph's part of the run's statistics (graphs = 1)
  std::vector<Answer> answers;  // RunOptions::answers: the first edge order's, per query
  std::vector<long> truth;
  std::vector<Query> asked;
};

// Per-thread state.

class Worker {
 public:
  Worker(const Construction& c, const Built& built, const Task& task, const RunOptions& opt)
      : c_(c), built_(built), task_(task), opt_(opt), eval_(built.model, opt.fast_path, opt.fixed_point), reference_(built.model),
        certified_(built.model, opt.max_rung), certified_only_(needs_certified(built.model)),
        claimed_(built.readout_claim && !opt.fixed_point) {
    eval_.record_decoder_inputs(claimed_);
  }

  GraphOutcome run_graph(const Graph& g, std::uint64_t seq) {
    GraphOutcome out;
    const std::vector<Query>& queries =
        opt_.queries_per_graph > 0 && opt_.queries_per_graph < query_count(task_, g.n())
            ? (sampled_ = sample_queries(task_, g.n(), opt_.queries_per_graph, opt_.query_seed * 0x100000001b3ULL + seq))
            : this->queries(g.n());
    if (opt_.answers) out.asked = queries;
    std::vector<long>& expected = expected_;
    expected.clear();
    for (const Query& q : queries) expected.push_back(task_.solve(g, q));
    claims_.clear();
    machine_claims_.clear();
    if (claimed_)
      for (const Query& q : queries) {
        claims_.push_back(built_.readout_claim(g, q));
        std::vector<std::optional<Checked128>>& m = machine_claims_.emplace_back();
        for (const Q& v : claims_.back()) {
          try {
            m.emplace_back(Checked128::from(v));
          } catch (const Overflow&) {
            m.emplace_back();
          }
        }
      }
    out.s.queries = static_cast<long>(queries.size());

    std::vector<std::vector<std::pair<int, int>>> orders{g.edges()};
    if (c_.order_invariant())
      for (int o = 1; o < opt_.edge_orders; ++o) orders.push_back(shuffled(orders[0], seq * std::uint64_t{1000003} + static_cast<std::uint64_t>(o)));

    eval_.reset();  // per-graph statistics must not depend on which thread ran what
    certified_.reset();
    const long tokens = g.n() + static_cast<long>(orders[0].size()) + 1 + built_.model.pause_tokens;
    const bool crosscheck = opt_.fast_path && !opt_.fixed_point && opt_.crosscheck_every > 0 && tokens <= opt_.crosscheck_max_tokens &&
                            seq % static_cast<std::uint64_t>(opt_.crosscheck_every) == 0;
    const std::size_t crosscheck_stride = std::max<std::size_t>(1, (queries.size() + 3) / 4);  // at most 4 queries per such graph
    const std::size_t crosscheck_order = crosscheck ? seq / static_cast<std::uint64_t>(opt_.crosscheck_every) % orders.size() : 0;
    for (std::size_t oi = 0; oi < orders.size(); ++oi) {
      const auto& order = orders[oi];
      bool reference_ready = false;  // the GMP pass holds this order's previous crosschecked query
      const std::vector<Token> tokens = tokenize(g, order, queries.front(), built_.model.pause_tokens);
      Input& x = input_;
      embed_all_into(built_, tokens, x);
      const int task_row = x.rows - 1 - built_.model.pause_tokens;  // the readout is the last row
      const int readout = x.rows - 1;
      for (std::size_t qi = 0; qi < queries.size(); ++qi) {
        embed_row(built_, x, task_row, task_token(queries[qi]));
        int tier = 0;
        Answer got;
        if (certified_only_) {
          got = certified_answer(certified_.run(built_.decoder, x, readout));
        } else {
          try {
            got.value = eval_.run(built_.decoder, x, readout, tier, qi == 0 ? -1 : task_row);
          } catch (const not_exact& e) {
            if (opt_.fixed_point)
              throw usage_error(std::string("FP_p is defined here for weights that are rational on every input; ") + e.what());
            eval_.reset();  // a tier's cache may hold a half-computed row
            ++out.s.integrality_broken;
            got = certified_answer(certified_.run(built_.decoder, x, readout));
          }
        }
        if (claimed_ && !got.certified && !eval_.decoder_inputs_are(claims_[qi], machine_claims_[qi]))
          got.readout_mismatch = readout_mismatch(built_, claims_[qi], eval_.decoder_inputs());
        if (!got.certified && tier >= 1 && opt_.fast_path) ++out.s.int64_overflows;
        if (!got.certified && tier == 2 && opt_.fast_path) ++out.s.int128_overflows;
        if (got.certified) {
          ++out.s.certified;
          const CertifiedDecision& d = got.certified->decision;
          if (d.status == CertifiedDecision::Status::decided && d.margin && (!out.s.min_margin || *d.margin < *out.s.min_margin))
            out.s.min_margin = d.margin;
          if (got.undetermined() && !out.s.first_undetermined)
            out.s.first_undetermined = Counterexample{g, order, queries[qi], expected[qi], std::nullopt, built_.variant, got.certificate(expected[qi])};
          out.s.undetermined += got.undetermined() ? 1 : 0;
        }
        if (crosscheck && oi == crosscheck_order && !got.certified && tier < 2 && qi % crosscheck_stride == 0) {
          const std::vector<Q> fast_row = eval_.last_row(x, readout, tier);
          if (!reference_ready) reference_.reset();  // the first from scratch: no cached row from another graph or order
          const std::vector<Q> exact_row = reference_.readout(x, readout, reference_ready ? task_row : -1);
          reference_ready = true;
          for (std::size_t c = 0; c < exact_row.size(); ++c)
            if (fast_row[c] != exact_row[c])
              throw internal_error("fast exact path disagrees with GMP on " + to_graph6(g) + " query " + queries[qi].str() +
                                   " slot " + built_.model.layout.column_name(static_cast<int>(c)) + ": " +
                                   to_string(fast_row[c]) + " vs " + to_string(exact_row[c]));
        }
        ++out.s.evaluations;
        if (opt_.answers && oi == 0) out.answers.push_back(got);
        if (got.fails(expected[qi])) {
          ++out.s.failing_evaluations;
          if (!got.value) ++out.s.answered_undefined;
          else if (*got.value > expected[qi]) ++out.s.answered_above;
          else if (*got.value < expected[qi]) ++out.s.answered_below;
          else ++out.s.readout_mismatches;
          if (!out.s.failure)
            out.s.failure = Counterexample{g, order, queries[qi], expected[qi], got.value, built_.variant, got.certificate(expected[qi]),
                                           got.readout_mismatch};
        }
        if (out.s.failure && opt_.stop_at_first) break;
      }
      if (out.s.failure && opt_.stop_at_first) break;
    }
    if (opt_.answers) out.truth = expected;
    out.s.graphs = 1;
    out.s.failing_graphs = out.s.failure ? 1 : 0;
    out.s.max_activation_bits = eval_.max_activation_bits();
    out.s.max_integer_bits = eval_.max_integer_bits();
    return out;
  }

 private:
  // Every query on n vertices, made once per n.
  const std::vector<Query>& queries(int n) {
    const auto k = static_cast<std::size_t>(n);
    if (queries_by_n_.size() <= k) queries_by_n_.resize(k + 1);
    if (queries_by_n_[k].empty()) queries_by_n_[k] = all_queries(task_, n);
    return queries_by_n_[k];
  }

  const Construction& c_;
  const Built& built_;
  const Task& task_;
  const RunOptions& opt_;
  TieredEvaluator eval_;
  Evaluator<Fractions<Q>> reference_;  // the crosscheck's GMP pass
  CertifiedEvaluator certified_;       // items no exact tier can evaluate
  bool certified_only_;                // softmax(β) heads: every item is certified
  bool claimed_;                       // the exact evaluations are checked against built.readout_claim
  std::vector<std::vector<Q>> claims_;  // [query] of the current graph: the claimed decoder inputs
  std::vector<std::vector<std::optional<Checked128>>> machine_claims_;  // the same as machine fractions (nullopt: too large)
  std::vector<std::vector<Query>> queries_by_n_;  // [n]: every query on n vertices
  std::vector<long> expected_;                    // [query] of the current graph
  std::vector<Query> sampled_;                    // the current graph's queries when they are sampled
  Input input_;                                   // the current token matrix
};

}  // namespace

RunStats run_sweep(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt) {
  if (opt.sharding) {
    RunOptions here = opt;
    here.sharding = nullptr;
    return opt.sharding->run(c, built, n_max, source, here);
  }
  const Task& task = find_task(c.task());
  const int jobs = std::max(1, opt.jobs);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int j = 0; j < jobs; ++j) workers.push_back(std::make_unique<Worker>(c, built, task, opt));

  EXACTFORMER_ASSERT(!opt.answers || !opt.stop_at_first, "recording answers needs every graph and query");
  // A set answer (bit_set: the sum of 2^u) is a long of 62 usable bits, and so is its solver's.
  EXACTFORMER_REQUIRE(built.decoder.kind != Decoder::Kind::bit_set || n_max <= 62,
                      c.name() + ": its answer is a set of vertices as the bits of a 64-bit integer; graphs need n <= 62 (got n <= " +
                          std::to_string(n_max) + ")");
  RunStats stats;
  std::vector<Graph> batch;
  std::uint64_t base = opt.first_index;
  const ProgressScope meter(opt.progress, source.describe(), source.size());
  while (source.next_batch(batch)) {
    for (const Graph& g : batch)
      EXACTFORMER_REQUIRE(g.n() <= n_max, "graph " + to_graph6(g) + " has " + std::to_string(g.n()) +
                                              " vertices; the model was built for n <= " + std::to_string(n_max));
    std::vector<GraphOutcome> outcomes(batch.size());
    // Graph i's outcome or error is stored at i; with stop_at_first, graphs after the lowest failing or
    // erring index are skipped. The verdict is then read in stream order: whatever the thread count, the
    // first failure or error reported is the one with the smallest index.
    std::vector<std::exception_ptr> errors(batch.size());
    std::atomic<std::size_t> first_bad{batch.size()};
    const auto lower_first_bad = [&first_bad](std::size_t i) {
      std::size_t cur = first_bad.load();
      while (i < cur && !first_bad.compare_exchange_weak(cur, i)) {
      }
    };
    parallel_for(batch.size(), jobs, 16, [&](std::size_t i, int worker) {
      if (opt.stop_at_first && i > first_bad.load()) return;
      if (opt.stop && opt.stop->load()) return;
      try {
        outcomes[i] = workers[static_cast<std::size_t>(worker)]->run_graph(batch[i], base + i);
        if (outcomes[i].s.failure) lower_first_bad(i);
        if (opt.progress) opt.progress->add(1, static_cast<std::uint64_t>(outcomes[i].s.queries));
      } catch (...) {
        errors[i] = std::current_exception();
        lower_first_bad(i);
      }
    });
    if (opt.stop && opt.stop->load()) throw interrupted();
    for (std::size_t i = 0; i <= std::min(first_bad.load(), batch.size() - 1); ++i)
      if (errors[i]) std::rethrow_exception(errors[i]);
    const std::size_t stop = opt.stop_at_first ? std::min(first_bad.load() + 1, batch.size()) : batch.size();
    for (std::size_t i = 0; i < stop; ++i) {
      const GraphOutcome& o = outcomes[i];
      if (opt.answers) opt.answers(batch[i], o.asked, o.answers, o.truth);
      merge_stats(stats, o.s);
    }
    base += batch.size();
    if (stats.failure && opt.stop_at_first) break;
  }
  return stats;
}

void merge_stats(RunStats& total, const RunStats& s) {
  total.graphs += s.graphs;
  total.queries += s.queries;
  total.evaluations += s.evaluations;
  total.int64_overflows += s.int64_overflows;
  total.int128_overflows += s.int128_overflows;
  total.max_activation_bits = std::max(total.max_activation_bits, s.max_activation_bits);
  total.max_integer_bits = std::max(total.max_integer_bits, s.max_integer_bits);
  total.failing_graphs += s.failing_graphs;
  total.failing_evaluations += s.failing_evaluations;
  total.answered_above += s.answered_above;
  total.answered_below += s.answered_below;
  total.answered_undefined += s.answered_undefined;
  total.readout_mismatches += s.readout_mismatches;
  if (s.failure && !total.failure) total.failure = s.failure;
  total.certified += s.certified;
  total.integrality_broken += s.integrality_broken;
  total.undetermined += s.undetermined;
  if (s.first_undetermined && !total.first_undetermined) total.first_undetermined = s.first_undetermined;
  if (s.min_margin && (!total.min_margin || *s.min_margin < *total.min_margin)) total.min_margin = s.min_margin;
}

Input embed_tokens(const Built& built, const std::vector<Token>& tokens) {
  Input x;
  embed_all_into(built, tokens, x);
  return x;
}

Answer evaluate(const Built& built, const Graph& g, const std::vector<std::pair<int, int>>& order, const Query& query,
                bool fast_path, std::optional<long> fixed_point) {
  const std::vector<Token> tokens = tokenize(g, order, query, built.model.pause_tokens);
  const Input x = embed_tokens(built, tokens);
  if (fixed_point || !needs_certified(built.model)) {
    try {
      TieredEvaluator eval(built.model, fast_path, fixed_point);
      const bool claimed = built.readout_claim && !fixed_point;
      eval.record_decoder_inputs(claimed);
      int tier = 0;
      Answer a{eval.run(built.decoder, x, x.rows - 1, tier), std::nullopt};
      if (claimed) a.readout_mismatch = readout_mismatch(built, built.readout_claim(g, query), eval.decoder_inputs());
      return a;
    } catch (const not_exact& e) {
      if (fixed_point) throw usage_error(e.what());
    }
  }
  CertifiedEvaluator certified(built.model);
  return certified_answer(certified.run(built.decoder, x, x.rows - 1));
}

}  // namespace exactformer
