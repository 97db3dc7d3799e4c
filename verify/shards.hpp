// Resumable sweeps: the graph stream of each sweep cut into shards of consecutive graphs, each finished
// shard's statistics appended to a state file, so that a stopped run (a signal, a crash, a lost machine)
// resumes where it stopped and ends with the report of an uninterrupted run.
//
// State file (text, one JSON object a line): a header {"format": "exactformer-state/2", "run": FINGERPRINT,
// "shard_graphs": S, "binary": DIGEST of the executable (a rebuilt tool is refused)}, then {"sweep": NAME, "shard": k, "stats": {...}} for each finished shard k (graphs
// kS .. kS+S-1 of that sweep's stream). A command makes one sweep (verify) or many (check); NAME tells them
// apart (verify/distributed.hpp: ShardedSweeps). Each line goes out in one write(2) on an O_APPEND descriptor
// and is fsync'ed; a torn last line (a kill during the write) is dropped on loading and the file cut back to
// its last whole line.
#pragma once
#include <atomic>
#include <map>
#include <string>

#include "report.hpp"
#include "sweep.hpp"

namespace exactformer {

struct ShardOptions {
  std::string state;             // the state file (created if missing)
  std::string fingerprint;       // what the run is: a state written by another run is refused (usage_error)
  std::uint64_t shard_graphs = 1000;
};

// The state file: what an earlier run of the same command finished (loaded, a torn last line cut off; a
// state of another run refused), and each newly finished shard appended. An empty path records nothing.
class StateFile {
 public:
  explicit StateFile(const ShardOptions& so);
  std::uint64_t shard_graphs() const { return shard_graphs_; }
  const RunStats* find(const std::string& sweep, std::uint64_t shard) const;  // nullptr: not finished yet
  void record(const std::string& sweep, std::uint64_t shard, const RunStats& stats);

 private:
  std::string path_;
  std::uint64_t shard_graphs_;
  std::map<std::pair<std::string, std::uint64_t>, RunStats> done_;
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

// run_sweep over `source`, shard by shard in stream order: the sweep's shards recorded in the state are not
// run again; each newly finished shard is appended. The merged statistics equal run_sweep's over the whole
// stream (the shards run with their stream offsets; with stop_at_first, nothing after the first failing shard
// counts). opt.stop set: throws `interrupted` after recording every shard that finished. opt.progress is fed
// per shard.
RunStats run_resumable(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt,
                       StateFile& state, const std::string& sweep);

// RunStats <-> JSON, exactly (the state file's records).
Json stats_to_json(const RunStats& s);
RunStats stats_from_json(const Json& j);

}  // namespace exactformer
