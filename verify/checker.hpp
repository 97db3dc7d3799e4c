// The checker: runs a built construction over a stream of graphs and every query, compares each decoded
// answer with the ground-truth solver, and finds (and shrinks) counterexamples.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"
#include "exactformer/evaluator.hpp"
#include "tasks.hpp"

namespace exactformer {

// A source of graphs, consumed in batches (so that a stdin stream need not fit in memory).
class GraphSource {
 public:
  virtual ~GraphSource() = default;
  virtual bool next_batch(std::vector<Graph>& out) = 0;  // false when exhausted
  virtual std::string describe() const = 0;               // "every labelled graph with 1 <= n <= 6"
};

std::unique_ptr<GraphSource> labelled_source(int n_min, int n_max);
std::unique_ptr<GraphSource> list_source(std::vector<Graph> graphs, std::string description);
std::unique_ptr<GraphSource> graph6_source(std::istream& in, std::string description, int n_max);

struct Counterexample {
  Graph graph;
  std::vector<std::pair<int, int>> edge_order;  // the edge-token order that failed
  Query query;
  long expected = 0;
  std::optional<long> got;  // nullopt: the decoder was undefined (1/0)
  std::string variant;
  std::string describe() const;  // "graph6 DQc, edge order ..., query (0, 3): expected 1, got 0"
};

struct RunOptions {
  int jobs = 1;
  int edge_orders = 2;          // order-invariant constructions: identity plus (orders-1) shuffles
  bool fast_path = true;        // ScaledEvaluator<int64>, then Checked128 on overflow, then GMP; false: GMP only
  int crosscheck_every = 251;   // on every k-th graph, at most 4 queries also through a from-scratch GMP pass: must be equal
  bool stop_at_first = true;
};

struct RunStats {
  long graphs = 0;
  long queries = 0;      // (graph, query) pairs
  long evaluations = 0;  // forward passes (x edge orders)
  long fallbacks = 0;      // evaluations that overflowed int64 (redone in int128)
  long gmp_fallbacks = 0;  // ... that also overflowed int128 (redone in GMP)
  int max_activation_bits = 0;
  // Without stop_at_first, every wrong answer is counted: graphs with one or more, and by direction.
  long failing_graphs = 0, failing_evaluations = 0;
  long answered_above = 0, answered_below = 0, answered_undefined = 0;  // per evaluation: got > expected, <, none
  std::optional<Counterexample> failure;  // the first in stream order
};

// Runs `built` (for at most n_max vertices) on every graph of `source`; graphs above n_max are a usage error.
RunStats run_sweep(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt);

// The input rows of a token sequence, as the construction embeds them.
Input embed_tokens(const Built& built, const std::vector<Token>& tokens);

// Evaluates one (graph, edge order, query); returns the decoded answer (nullopt when undefined).
std::optional<long> evaluate(const Built& built, const Graph& g, const std::vector<std::pair<int, int>>& order,
                             const Query& query, bool fast_path = true);

// Shrinks a counterexample: deletes edges and vertices (not the queried ones) while it still fails.
Counterexample shrink(const Construction& c, const Built& built, Counterexample cx);

// ---------------------------------------------------------------------------------------------------
// Benchmark: one stream of (graph, query) pairs through the double path (the floor), the fast exact
// path (int64 -> int128 -> GMP) and the pure-GMP path, single-threaded, side by side.

struct BenchResult {
  long pairs = 0;
  double seconds_double = 0, seconds_fast = 0, seconds_gmp = 0;
  long int64_overflows = 0, int128_overflows = 0;
  long double_disagreements = 0;  // answers where double differs from the exact answer
};

BenchResult bench(const Construction& c, const Built& built, const std::vector<Graph>& graphs);

// ---------------------------------------------------------------------------------------------------

struct CheckOptions {
  int n_max = 6;
  int family_n_max = 16;        // families (paths, cycles, ...) for n_max < n <= family_n_max
  bool spec_families = true;    // a check's CheckSpec::families_up_to may raise family_n_max (off: exactly as given)
  bool witness_only = false;    // skip the passing variants: only search (and shrink) the witness
  RunOptions run;
};

struct VariantResult {
  std::string variant;
  Shape measured, claimed;
  std::vector<std::string> shape_mismatch;
  RunStats labelled;  // exhaustive (or the graph6 stream)
  RunStats families;
  bool holds() const { return shape_mismatch.empty() && !labelled.failure && !families.failure; }
};

// One prediction's outcome (verify/predictions.hpp).
struct Finding {
  std::string id;        // "hook_shortcut.one_round_counts"
  std::string claim;     // one line
  bool holds = false;
  std::string measured;  // what was computed, with numbers
};

struct CheckResult {
  CheckSpec spec;
  std::string construction, task, coverage;
  int n_max = 0;
  std::vector<VariantResult> variants;
  std::optional<std::string> witness_variant;
  std::optional<Counterexample> witness;         // as found
  std::optional<Counterexample> witness_shrunk;
  long witness_graphs_searched = 0;
  std::vector<Finding> predictions;
  double seconds = 0;
  bool holds = false;
};

CheckResult run_check(const Construction& c, const CheckSpec& spec, const CheckOptions& opt);

// Every registered check: (construction, spec).
std::vector<std::pair<const Construction*, CheckSpec>> all_checks();

}  // namespace exactformer
