// Sweeps over MPI ranks (Open MPI; built when CMake finds MPI, EXACTFORMER_MPI). Under `mpirun -np K exactformer
// verify|check ...` (a construction's sweeps or an imported model's) every rank runs the same command; at each
// sweep, rank 0 reads the graph stream, cuts it into shards of --shard-graphs consecutive graphs (many more shards
// than ranks: shards are uneven), hands each to the next rank that asks, and merges the returned statistics in
// shard order; ranks 1..K-1 evaluate. The merged result is the one-process result (shards run with their stream
// offsets; nothing after the first failing shard counts, whatever finished first), and rank 0 broadcasts the merged
// shards' statistics, which every rank merges alike, so every rank goes on through the same command (a check's
// later sweeps depend on earlier verdicts); only rank 0 prints and writes files, errors too (mpi_abandon below). With --state, rank 0 records
// finished shards and a rerun resumes. Waiting ranks poll with a 1 ms sleep, not a busy receive: on a small machine
// they must not take a core.
#pragma once
#include <atomic>
#include <string>

#include "shards.hpp"

namespace exactformer {

struct MpiWorld {
  int rank = 0, size = 1;
};

// MPI_Init when the process was started by mpirun (OMPI_COMM_WORLD_SIZE set) and MPI is built in; the world.
MpiWorld mpi_start(int& argc, char**& argv);
MpiWorld mpi_world();  // {0, 1} outside mpirun
void mpi_finish();

// Errors under mpirun. Whatever rank meets an error, every rank ends with its exit code and only rank 0
// prints it, one line: a rank that fails calls mpi_abandon (its error to every other rank, except `except`),
// and a rank waiting for a message or a broadcast that gets one throws `abandoned` (rank 0 forwards a worker's
// to the other workers). An error in rank 0's coordination of a sweep is broadcast in place of its result.
struct abandoned : std::runtime_error {
  abandoned(int code, int from, const std::string& what) : std::runtime_error(what), code(code), from(from) {}
  int code;  // the exit code of the rank that failed (2: usage error, 3: internal error)
  int from;  // that rank
};
void mpi_abandon(int code, const std::string& what, int except = -1);

// Every rank calls it with the same sweep; on every rank, work.merge sees the same shards in the same order (rank 0
// broadcasts the merged shards' statistics). With one rank: run_shards.
void run_distributed(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep,
                     const std::atomic<bool>* stop, Progress* progress);

// The sweeps of one command (RunOptions::sharding), shard by shard: recorded in the state file (if any),
// resumed from it, and over the MPI ranks when started by mpirun. A sweep's name in the state file is its
// place in the command's order of sweeps with what it runs ("#3 connectivity_squaring [hard, L=3] n<=5:
// every labelled graph with 1 <= n <= 5 (1099 graphs); orders 2, ..."): a rerun of the same command makes
// the same sweeps in the same order (verdicts do not depend on timing), so it finds the shards it finished.
// Sweeps must come one at a time (one thread); a concurrent call is an internal error.
class ShardedSweeps : public SweepRunner {
 public:
  explicit ShardedSweeps(const ShardOptions& so);  // under mpirun only rank 0 opens the state file
  RunStats run(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt) override;
  // Any sharded work (an imported model's sweep): `what` names it in the state file after its place in the order.
  void run(const std::string& what, GraphSource& source, const ShardedWork& work, const std::atomic<bool>* stop, Progress* progress);

 private:
  StateFile state_;
  std::uint64_t sweeps_ = 0;
  std::atomic<bool> busy_{false};
};

}  // namespace exactformer
