// Sweeps over MPI ranks (Open MPI; built when CMake finds MPI, EXACTFORMER_MPI). Under
// `mpirun -np K exactformer verify ...`, rank 0 reads the graph stream, cuts it into shards of
// --shard-graphs consecutive graphs (many more shards than ranks: shards are uneven), hands each to the next
// rank that asks, and merges the returned statistics in shard order; ranks 1..K-1 evaluate. The merged
// result is the one-process result (shards run with their stream offsets; nothing after the first failing
// shard counts, whatever finished first). With --state, rank 0 records finished shards and a rerun resumes.
// Rank 0 waits with MPI_Test and a 1 ms sleep, not a busy receive: on a small machine it must not take a core.
#pragma once
#include <optional>

#include "shards.hpp"

namespace exactformer {

struct MpiWorld {
  int rank = 0, size = 1;
};

// MPI_Init when the process was started by mpirun (OMPI_COMM_WORLD_SIZE set) and MPI is built in; the world.
MpiWorld mpi_start(int& argc, char**& argv);
MpiWorld mpi_world();  // {0, 1} outside mpirun
void mpi_finish();

// Rank 0: the merged statistics. Other ranks: nullopt (they evaluated shards; they print nothing).
// Outside mpirun, or with one rank: run_resumable.
std::optional<RunStats> run_distributed(const Construction& c, const Built& built, int n_max, GraphSource& source,
                                        const RunOptions& opt, const ShardOptions& so);

}  // namespace exactformer
