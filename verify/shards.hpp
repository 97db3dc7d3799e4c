// Resumable sweeps: the graph stream of each sweep cut into shards of consecutive graphs, each finished
// shard's statistics appended to a state file, so that a stopped run (a signal, a crash, a lost machine)
// resumes where it stopped and ends with the report of an uninterrupted run.
//
// State file (text, one JSON object a line): a header {"format": "exactformer-state/2", "run": FINGERPRINT,
// "shard_graphs": S, "binary": DIGEST of the executable (a rebuilt tool is refused)}, then {"sweep": NAME,
// "shard": k, "stats": {...}} for each finished shard k (graphs kS .. kS+S-1 of that sweep's stream). A command
// makes one sweep (verify) or many (check); NAME tells them apart (verify/distributed.hpp: ShardedSweeps). What
// "stats" holds is the sweep's own (RunStats for a construction, ImportedStats for an imported model): the
// shard runner below sees JSON only. Each line goes out in one write(2) on an O_APPEND descriptor and is
// fsync'ed; a torn last line (a kill during the write) is dropped on loading and the file cut back to its last
// whole line.
#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <string>

#include "progress.hpp"
#include "report.hpp"
#include "sweep.hpp"

namespace exactformer {

struct ShardOptions {
  std::string state;             // the state file (created if missing)
  std::string fingerprint;       // what the run is: a state written by another run is refused (usage_error)
  std::uint64_t shard_graphs = 1000;
};

// The state file: what an earlier run of the same command finished (loaded, a torn last line cut off; a
// state of another run, a file that is no state file, a record with a missing or ill-typed field, a shard
// recorded twice or JSON nested deeper than 8 levels refused with usage_error), and each newly finished shard
// appended. The file is created with the first record, so a run refused before one leaves none. An empty path
// records nothing.
class StateFile {
 public:
  explicit StateFile(const ShardOptions& so);
  std::uint64_t shard_graphs() const { return shard_graphs_; }
  const Json* find(const std::string& sweep, std::uint64_t shard) const;  // nullptr: not finished yet
  void record(const std::string& sweep, std::uint64_t shard, const Json& stats);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::uint64_t shard_graphs_;
  Json header_;
  bool header_written_ = false;  // the file starts with header_ (written with the first record)
  std::map<std::pair<std::string, std::uint64_t>, Json> done_;
};

// What a sweep does with its shards, in the JSON of the state file and of MPI messages:
//   run(graphs, first_index, stop)  the statistics of one shard (first_index: its first graph's place in the
//                             stream, which seeds shuffled edge orders and sampled queries as in an unsharded
//                             sweep); stop set (or null: an MPI worker finishes its shard): may throw `interrupted`;
//   merge(stats)              takes them back in stream order: what they add to the progress meter, and
//                             whether the sweep needs no further shard (stop at the first failure).
// A record that merge cannot read (it throws nlohmann::json::exception, std::invalid_argument or usage_error) is
// a malformed state file: usage_error.
struct ShardedWork {
  struct Merged {
    std::uint64_t graphs = 0, queries = 0;
    bool enough = false;
  };
  std::function<Json(std::vector<Graph> graphs, std::uint64_t first_index, const std::atomic<bool>* stop)> run;
  std::function<Merged(const Json& stats)> merge;
};

// Cuts a source into shards of `size` consecutive graphs (the last may be shorter).
class ShardCutter {
 public:
  ShardCutter(GraphSource& source, std::uint64_t size) : source_(source), size_(size) {
    EXACTFORMER_REQUIRE(size > 0, "shards must hold at least one graph");
  }
  bool next(std::vector<Graph>& shard);  // false when the source is exhausted

 private:
  GraphSource& source_;
  std::uint64_t size_;
  std::vector<Graph> batch_;
  std::size_t next_ = 0;
  bool exhausted_ = false;
};

// A recorded shard's statistics through work.merge; a record it cannot read is a usage_error naming the state file.
ShardedWork::Merged merge_recorded(const ShardedWork& work, const Json& stats, const StateFile& state, std::uint64_t shard);

// The shards of `source` in stream order, in this process: those recorded in the state are merged from it, the
// others run, recorded and merged. stop set: throws `interrupted` before running a further shard (every shard
// that finished is recorded). progress: one meter over the whole stream, fed per shard.
void run_shards(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep,
                const std::atomic<bool>* stop, Progress* progress);

// run_sweep as sharded work: its merged statistics equal run_sweep's over the whole stream (with
// stop_at_first, nothing after the first failing shard counts). The result is in `total`.
ShardedWork sweep_work(const Construction& c, const Built& built, int n_max, const RunOptions& opt, RunStats& total);

// FNV-1a of a file's bytes, in 16 hex digits (what a state file remembers of a binary or a model).
std::string file_digest(const std::string& path);

// RunStats <-> JSON, exactly (the state file's records).
Json stats_to_json(const RunStats& s);
RunStats stats_from_json(const Json& j);

}  // namespace exactformer
