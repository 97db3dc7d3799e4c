// An imported model over a stream of graphs, every query and edge order: each input certified right, wrong or
// undecided (docs/import.md "Certified evaluation"), failures shrunk to a smallest failing graph.
//
// Per input: the double-interval pass first; an input it cannot decide (overlapping top logits, an undecided
// hard-attention argmax, a denominator not certainly positive) is tried in exact rationals (when every operation
// on it is rational), then up the MPFI ladder (128, 256, 512, 1024 bits, up to --max-bits). Verdicts: right (the truth's answer token certified above every other answer token), wrong
// (another answer token certified above it, or exactly tied with it), undecided (neither, at the last rung):
// listed and counted, never counted as right.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "imported/import.hpp"
#include "progress.hpp"
#include "shards.hpp"
#include "sources.hpp"
#include "tasks.hpp"

namespace exactformer {

// The ladder: double intervals, then exact rationals (for a model whose every operation is rational on the input:
// no LN, no GELU, no natural softmax, a rational scale), then MPFI at 128 ... 1024 bits.
inline constexpr long kImportRungBits[] = {53, 0, 128, 256, 512, 1024};
inline constexpr int kImportRungs = 6;
inline std::string import_rung_name(int rung) {
  return rung == 0 ? "double" : rung == 1 ? "exact" : std::to_string(kImportRungBits[rung]) + " bits";
}

struct EdgeOrders {
  enum class Kind { prompt, shuffled, all } kind = Kind::prompt;
  int count = 1;  // shuffled: K orders (the prompt's first)
  static EdgeOrders parse(const std::string& spec);  // "prompt", "shuffled:K", "all" (usage_error otherwise)
  std::string str() const;
};

struct ImportedOptions {
  int n = 0;  // the largest n the sweep's graphs may have (checked up front against the prompt)
  EdgeOrders orders;
  int jobs = 1;
  int max_rung = kImportRungs - 1;  // the last rung tried
  std::uint64_t queries_per_graph = 0;  // 0: every query
  std::uint64_t query_seed = 1;
  Progress* progress = nullptr;
  int keep_failures = 5;  // the first wrong inputs kept (in stream order)
  std::uint64_t first_index = 0;  // the stream index of the source's first graph (a shard's offset: seeds orders and queries)
};

struct InputVerdict {
  enum class Kind { right, wrong, undecided } kind = Kind::undecided;
  int rung = 0;                                   // the rung that decided (or the last tried)
  long answer = 0;                                // wrong: the value of the answer token certified above the truth
  std::vector<std::pair<double, double>> logits;  // the answer tokens' logit enclosures (outward to doubles), prompt order
};

struct ImportedInput {
  Graph graph;
  std::vector<std::pair<int, int>> edge_order;
  Query query;
  long truth = 0;
  InputVerdict verdict;
  std::string describe(const ImportedModel& im) const;  // graph6, order, query, truth, verdict, logits
};

struct ImportedStats {
  struct PerN {
    std::uint64_t graphs = 0, inputs = 0, right = 0, wrong = 0, undecided = 0;
  };
  std::vector<PerN> by_n;  // [n]
  std::array<std::uint64_t, kImportRungs> decided_at{};  // inputs decided (right or wrong) at each rung
  std::uint64_t graphs = 0, inputs = 0, right = 0, wrong = 0, undecided = 0;
  std::vector<ImportedInput> failures;    // the first wrong inputs, stream order
  std::optional<ImportedInput> first_undecided;
  bool holds() const { return inputs > 0 && wrong == 0 && undecided == 0; }
};

// One input, certified.
InputVerdict certify_input(const ImportedModel& im, const std::vector<int>& tokens, long truth, int max_rung, TlForward<DoubleInterval>* fast = nullptr);
ImportedStats run_imported_sweep(const ImportedModel& im, const Task& task, GraphSource& source, const ImportedOptions& o);
// A later part of the stream added to `total` (by_n sized for o.n): counts add, failures stay the first
// o.keep_failures in stream order, the first undecided input the earliest.
void merge_imported(ImportedStats& total, const ImportedStats& later, const ImportedOptions& o);
// ImportedStats <-> JSON, exactly (a state file's records, MPI's messages). From JSON every field is checked: a
// count that is not a non-negative integer, totals that disagree with by_n, a graph above o.n, an edge or query
// outside its graph: nlohmann::json::exception or std::invalid_argument (the shard runner reports a malformed
// state file).
Json imported_stats_to_json(const ImportedStats& s);
ImportedStats imported_stats_from_json(const Json& j, const ImportedOptions& o);
// run_imported_sweep as sharded work (verify/shards.hpp), its merged statistics in `total`: equal to one
// run_imported_sweep over the whole stream.
ShardedWork imported_work(const ImportedModel& im, const Task& task, const ImportedOptions& o, ImportedStats& total);

// The failure with vertices and edges removed while the model still answers some query of it wrongly (fewest
// vertices, then fewest edges; the query follows the renumbering).
ImportedInput shrink_imported(const ImportedModel& im, const Task& task, ImportedInput failure, int max_rung);

}  // namespace exactformer
