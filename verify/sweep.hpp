// The sweep: a built construction over a stream of graphs and every query, each decoded answer compared
// with the ground-truth solver; the evaluation tiers it uses; shrinking a counterexample.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/certified_arith.hpp"
#include "exactformer/construction.hpp"
#include "exactformer/fraction_arith.hpp"
#include "exactformer/scaled_arith.hpp"
#include "progress.hpp"
#include "sources.hpp"
#include "tasks.hpp"

namespace exactformer {

struct Counterexample {
  Graph graph;
  std::vector<std::pair<int, int>> edge_order;  // the edge-token order that failed
  Query query;
  long expected = 0;
  std::optional<long> got;  // nullopt: the decoder was undefined (1/0)
  std::string variant;
  std::string certificate;  // items the certified path answered: "certified_wrong, decided at 68 bits, margin ..."
  std::string readout;      // set when the readout broke the construction's claim: "ans = 2, claimed 1"
  std::string describe() const;  // "graph6 DQc, edge order ..., query (0, 3): expected 1, got 0"
};

// One (graph, edge order, query)'s answer: exact, or from the certified path (softmax(β) heads, or a
// softmax2 head whose b*score is not an integer on this input).
struct Answer {
  std::optional<long> value;                 // nullopt: undefined (1/0), or undetermined
  std::optional<CertifiedResult> certified;  // set when the certified path answered
  std::string readout_mismatch;              // an exact evaluation whose decoder inputs break Built::readout_claim
  bool undetermined() const { return certified && certified->decision.status == CertifiedDecision::Status::undetermined; }
  // A wrong answer: certified or exact; a decision value exactly on a boundary is wrong whatever it rounds to;
  // a right answer read off values the construction does not claim.
  bool fails(long expected) const {
    if (undetermined()) return false;
    if (!readout_mismatch.empty()) return true;
    if (certified && certified->decision.status == CertifiedDecision::Status::boundary) return true;
    return value != expected;
  }
  // "certified_correct, decided at 68 bits, margin 1/3" (empty for an exact answer).
  std::string certificate(long expected) const;
};

class SweepRunner;

struct RunOptions {
  int jobs = 1;
  int edge_orders = 2;          // order-invariant constructions: identity plus (orders-1) shuffles
  bool fast_path = true;        // ScaledEvaluator<int64>, then Checked128 on overflow, then GMP; false: GMP only
  // On every k-th graph, one edge order (they take turns) and at most 4 of its queries also go through a GMP
  // pass, which must agree: the first from scratch, the others incrementally from it (only the task row
  // changes; the schedule itself is tested against the reference forward pass).
  int crosscheck_every = 251;
  bool stop_at_first = true;
  int max_rung = kDefaultMaxRung;  // the certified path's precision cap (kRungBits)
  std::optional<long> fixed_point;  // p: evaluate the fixed-point model FP_p (GMP only) instead of the exact one
  Progress* progress = nullptr;     // stderr meter (verify/progress.hpp); nullptr: silent
  // Called once per graph, in stream order, with every query's answer on the first edge order (the
  // lexicographic one) and the solver's truth. Set: every graph and query runs (no stop at the first failure).
  std::function<void(const Graph&, const std::vector<Query>&, const std::vector<Answer>&, const std::vector<long>& truth)> answers;
  // The stream index of the source's first graph (seeds each graph's edge shuffles and the crosscheck sample):
  // a shard of a longer stream passes its offset, so that it runs exactly as inside the whole stream.
  std::uint64_t first_index = 0;
  // > 0: this many queries per graph, sampled (seeded by query_seed and the graph's stream index), not every one.
  std::uint64_t queries_per_graph = 0;
  std::uint64_t query_seed = 0;
  // The GMP crosscheck skips sequences longer than this: a from-scratch GMP pass costs ~T^2 per head and layer
  // (minutes at T = 600 for the deepest models). The fast path stays overflow-checked whatever T is.
  int crosscheck_max_tokens = 600;
  // Set (by a signal handler): workers skip the graphs not yet started and run_sweep throws `interrupted`.
  const std::atomic<bool>* stop = nullptr;
  // Set: run_sweep hands the whole sweep to it (verify/distributed.hpp: shard by shard, recorded in a state
  // file, over MPI ranks), with this pointer cleared. Every caller of run_sweep is then resumable and distributed.
  SweepRunner* sharding = nullptr;
};

// A sweep stopped by RunOptions::stop before it finished: its partial statistics are not a result.
struct interrupted : std::runtime_error {
  interrupted() : std::runtime_error("interrupted") {}
};


struct RunStats {
  long graphs = 0;
  long queries = 0;      // (graph, query) pairs
  long evaluations = 0;  // forward passes (x edge orders)
  long int64_overflows = 0;   // evaluations that overflowed int64 (redone in int128)
  long int128_overflows = 0;  // ... that also overflowed int128 (redone in GMP)
  int max_activation_bits = 0;
  int max_integer_bits = 0;  // FP_p: the largest integer part (bits) of any rounded or residual value
  // Without stop_at_first, every wrong answer is counted: graphs with one or more, and by direction.
  long failing_graphs = 0, failing_evaluations = 0;
  long answered_above = 0, answered_below = 0, answered_undefined = 0;  // per evaluation: got > expected, <, none
  long readout_mismatches = 0;  // ... got = expected, read off a value the construction's readout claim does not allow
  std::optional<Counterexample> failure;  // the first in stream order
  // The certified path: (graph, query) pairs it answered (per edge order), those among them that a
  // softmax2 model sent there because b*score was not an integer (its invariant broke), those it could
  // not decide at the cap (the run then does not hold; not counterexamples), the first of them, and the
  // smallest decision margin among its decided items.
  long certified = 0, integrality_broken = 0, undetermined = 0;
  std::optional<Counterexample> first_undetermined;
  std::optional<Q> min_margin;
};

// Runs whole sweeps another way than in this process at once (RunOptions::sharding). run() must return what
// run_sweep would: the same statistics, the same first failure.
class SweepRunner {
 public:
  virtual ~SweepRunner() = default;
  virtual RunStats run(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt) = 0;
};

// Adds a later part of the stream to `total`, as run_sweep accumulates graph by graph: counts add, the first
// failure and undetermined item stay the earliest, bits and margins take their extremes.
void merge_stats(RunStats& total, const RunStats& later);

// Runs `built` (for at most n_max vertices) on every graph of `source`; graphs above n_max are a usage error.
// With opt.sharding set, that runner runs it.
RunStats run_sweep(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt);

// The input rows of a token sequence, as the construction embeds them.
Input embed_tokens(const Built& built, const std::vector<Token>& tokens);

// Evaluates one (graph, edge order, query), on the certified path where the exact one cannot.
// fixed_point: p of FP_p instead of the exact model.
Answer evaluate(const Built& built, const Graph& g, const std::vector<std::pair<int, int>>& order, const Query& query,
                bool fast_path = true, std::optional<long> fixed_point = std::nullopt);

// Shrinks a counterexample: deletes edges and vertices (not the queried ones) while it still fails.
Counterexample shrink(const Construction& c, const Built& built, Counterexample cx, std::optional<long> fixed_point = std::nullopt);

// The token matrix of a token sequence, as the construction embeds it; embed_row rewrites one row.
Input embed_tokens(const Built& built, const std::vector<Token>& tokens);
void embed_row(const Built& built, Input& x, int row, const Token& t);
// The task token of a query.
Token task_token(const Query& q);

// "" if the decoder inputs `got` of an exact evaluation equal built.readout_claim's `claimed`, else the first
// slot that differs: "o_comp = 3/10, claimed 1/5".
std::string readout_mismatch(const Built& built, const std::vector<Q>& claimed, const std::vector<Q>& got);

// The three tiers of exact evaluation, one schedule in three arithmetics: int64 rows over a shared
// denominator (Scaled<int64>), int128 fractions (Fractions<Checked128>), GMP (Fractions<Q>). Each tier
// that overflows is reset (its cache may hold a half-computed row) and the evaluation is redone one tier
// up. A weight no tier can hold throws not_exact (the caller resets, and goes to the certified path).
class TieredEvaluator {
 public:
  // grid: FP_p with p = *grid, in GMP only.
  TieredEvaluator(const Model& m, bool fast_path, std::optional<long> grid = std::nullopt) : exact_(m, nullptr, grid) {
    if (!fast_path || grid) return;
    try {
      t64_.emplace(m);
    } catch (const Overflow&) {
    }
    try {
      t128_.emplace(m);
    } catch (const Overflow&) {
    }
  }
  // On: every run() keeps its decoder inputs, exactly: machine fractions from tiers 0 and 1, GMP from tier 2.
  void record_decoder_inputs(bool on) { record_ = on; }
  // The last run's decoder inputs equal `claimed` (`claimed_machine`: the same values as machine fractions,
  // nullopt where one does not fit).
  bool decoder_inputs_are(const std::vector<Q>& claimed, const std::vector<std::optional<Checked128>>& claimed_machine) const {
    if (!machine_) return gmp_inputs_ == claimed;
    for (std::size_t i = 0; i < claimed.size(); ++i)
      if (!claimed_machine[i] || !(*claimed_machine[i] == machine_inputs_[i])) return false;  // a claim too large for int128 differs
    return true;
  }
  std::vector<Q> decoder_inputs() const {
    if (!machine_) return gmp_inputs_;
    std::vector<Q> out;
    for (const Checked128& x : machine_inputs_) out.push_back(x.to_q());
    return out;
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
    const std::vector<Q>& out = exact_.readout(x, row);
    if (record_) {
      machine_ = false;
      gmp_inputs_.clear();
      for (const Slot& s : d.slots) gmp_inputs_.push_back(out[static_cast<std::size_t>(s.col(0))]);
    }
    return decode_readout(d, out);
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
    if (record_) {
      machine_ = true;
      machine_inputs_.clear();
      for (std::size_t i = 0; i < d.slots.size(); ++i) machine_inputs_.push_back(as_checked(at(i)));
    }
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
  int max_integer_bits() const { return exact_.arithmetic().max_integer_bits(); }
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
  bool record_ = false, machine_ = false;  // machine_: the last run's inputs are in machine_inputs_, else gmp_inputs_
  std::vector<Checked128> machine_inputs_;
  std::vector<Q> gmp_inputs_;
};

}  // namespace exactformer
