// Sweeps over MPI ranks (verify/distributed.hpp).
#include "distributed.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#ifdef EXACTFORMER_WITH_MPI
#include <mpi.h>
#endif

namespace exactformer {

namespace {

std::string sweep_name(std::uint64_t k, const Construction& c, const Built& built, int n_max, const GraphSource& source,
                       const RunOptions& o) {
  std::string s = "#" + std::to_string(k) + " " + c.name() + " [" + built.variant + "] n<=" + std::to_string(n_max) + ": " +
                  source.describe();
  if (const auto size = source.size()) s += " (" + std::to_string(*size) + " graphs)";
  s += "; orders " + std::to_string(o.edge_orders) + (o.stop_at_first ? ", to the first failure" : ", every failure") +
       (o.fast_path ? "" : ", GMP only") + ", max bits " + std::to_string(kRungBits[o.max_rung]);
  if (o.fixed_point) s += ", FP_" + std::to_string(*o.fixed_point);
  if (o.queries_per_graph) s += ", " + std::to_string(o.queries_per_graph) + " queries seeded " + std::to_string(o.query_seed);
  s += ", crosscheck every " + std::to_string(o.crosscheck_every) + " up to " + std::to_string(o.crosscheck_max_tokens) + " tokens";
  if (o.first_index) s += ", from index " + std::to_string(o.first_index);
  return s;
}

}  // namespace

ShardedSweeps::ShardedSweeps(const ShardOptions& so)
    : state_([&] {
        ShardOptions here = so;
        if (mpi_world().rank != 0) here.state.clear();
        return here;
      }()) {}

RunStats ShardedSweeps::run(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt) {
  EXACTFORMER_ASSERT(!busy_.exchange(true), "sharded sweeps must come one at a time (their names are their order)");
  struct Release {
    std::atomic<bool>& busy;
    ~Release() { busy.store(false); }
  } release{busy_};
  const std::string name = sweep_name(sweeps_++, c, built, n_max, source, opt);
  return mpi_world().size > 1 ? run_distributed(c, built, n_max, source, opt, state_, name)
                              : run_resumable(c, built, n_max, source, opt, state_, name);
}

#ifndef EXACTFORMER_WITH_MPI

MpiWorld mpi_start(int&, char**&) { return {}; }
MpiWorld mpi_world() { return {}; }
void mpi_finish() {}
RunStats run_distributed(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt,
                         StateFile& state, const std::string& sweep) {
  return run_resumable(c, built, n_max, source, opt, state, sweep);
}

#else

namespace {

bool started = false;
enum Tag : int { ask = 1, work = 2, result = 3, stop = 4, failed = 5 };

void send(int to, Tag tag, const std::string& body) {
  MPI_Send(body.data(), static_cast<int>(body.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// A message of any tag from anyone, waited for without spinning a core.
std::string receive(int& from, int& tag) {
  MPI_Status st;
  int flag = 0;
  while (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), !flag)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int count = 0;
  MPI_Get_count(&st, MPI_CHAR, &count);
  std::string body(static_cast<std::size_t>(count), '\0');
  MPI_Recv(body.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  from = st.MPI_SOURCE;
  tag = st.MPI_TAG;
  return body;
}

void worker(const Construction& c, const Built& built, int n_max, const RunOptions& opt) {
  RunOptions inner = opt;
  inner.progress = nullptr;
  inner.stop = nullptr;
  send(0, ask, "");
  for (;;) {
    int from = 0, tag = 0;
    const Json msg = [&] {
      const std::string body = receive(from, tag);
      return tag == work ? Json::parse(body) : Json();
    }();
    if (tag != work) return;
    std::vector<Graph> graphs;
    for (const auto& g6 : msg.at("graphs")) graphs.push_back(from_graph6(g6.get<std::string>()));
    inner.first_index = msg.at("first_index").get<std::uint64_t>();
    try {
      auto list = list_source(std::move(graphs), "shard");
      const RunStats s = run_sweep(c, built, n_max, *list, inner);
      send(0, result, Json{{"shard", msg.at("shard")}, {"stats", stats_to_json(s)}}.dump());
    } catch (const usage_error& e) {
      send(0, failed, Json{{"shard", msg.at("shard")}, {"usage", true}, {"what", e.what()}}.dump());
    } catch (const std::exception& e) {
      send(0, failed, Json{{"shard", msg.at("shard")}, {"usage", false}, {"what", e.what()}}.dump());
    }
  }
}

RunStats coordinate(GraphSource& source, const RunOptions& opt, StateFile& state, const std::string& sweep, const MpiWorld& world);

// Rank 0's `body` on every rank, waited for without spinning a core.
std::string broadcast(std::string body) {
  const auto wait = [](MPI_Request& request) {
    int done = 0;
    while (MPI_Test(&request, &done, MPI_STATUS_IGNORE), !done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  unsigned long long size = body.size();
  MPI_Request request;
  MPI_Ibcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD, &request);
  wait(request);
  body.resize(static_cast<std::size_t>(size));
  MPI_Ibcast(body.data(), static_cast<int>(size), MPI_CHAR, 0, MPI_COMM_WORLD, &request);
  wait(request);
  return body;
}

}  // namespace

MpiWorld mpi_start(int& argc, char**& argv) {
  if (!std::getenv("OMPI_COMM_WORLD_SIZE")) return {};
  MPI_Init(&argc, &argv);
  started = true;
  return mpi_world();
}

MpiWorld mpi_world() {
  MpiWorld w;
  if (!started) return w;
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  return w;
}

void mpi_finish() {
  if (started) MPI_Finalize();
  started = false;
}

RunStats run_distributed(const Construction& c, const Built& built, int n_max, GraphSource& source, const RunOptions& opt,
                         StateFile& state, const std::string& sweep) {
  const MpiWorld world = mpi_world();
  if (world.size <= 1) return run_resumable(c, built, n_max, source, opt, state, sweep);
  if (world.rank != 0) {
    worker(c, built, n_max, opt);
    return stats_from_json(Json::parse(broadcast("")));
  }
  try {
    const RunStats total = coordinate(source, opt, state, sweep, world);
    broadcast(stats_to_json(total).dump());
    return total;
  } catch (const interrupted&) {
    throw;
  } catch (const std::exception& e) {
    // The workers wait for shards: end every rank now, with the tool's exit code for the error.
    const bool usage = dynamic_cast<const usage_error*>(&e) != nullptr;
    std::fprintf(stderr, "exactformer: %s%s\n", usage ? "error: " : "internal error: ", e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, usage ? 2 : 3);
  }
  return {};  // not reached
}

namespace {

RunStats coordinate(GraphSource& source, const RunOptions& opt, StateFile& state, const std::string& sweep, const MpiWorld& world) {
  EXACTFORMER_ASSERT(!opt.answers, "answers are not gathered over MPI");
  const ProgressScope meter(opt.progress, source.describe(), source.size());
  ShardCutter cutter(source, state.shard_graphs());
  std::map<std::uint64_t, RunStats> results;  // finished shards, merged in order below
  std::map<std::uint64_t, std::pair<bool, std::string>> errors;
  std::uint64_t next_shard = 0, merged = 0;
  bool more = true, stopping = false;
  int idle_workers_stopped = 0;
  RunStats total;
  std::optional<std::pair<bool, std::string>> error;
  // Merges every finished shard that is next in order; decides when no further shard is needed.
  const auto merge_ready = [&] {
    while (!stopping) {
      if (errors.count(merged)) {
        error = errors[merged];
        stopping = true;
        return;
      }
      const auto it = results.find(merged);
      if (it == results.end()) return;
      merge_stats(total, it->second);
      if (opt.progress) opt.progress->add(static_cast<std::uint64_t>(it->second.graphs), static_cast<std::uint64_t>(it->second.queries));
      results.erase(it);
      ++merged;
      if (total.failure && opt.stop_at_first) stopping = true;
    }
  };
  std::vector<Graph> shard;
  // Hands out the next shard not in the state file, or stop; shards found in the state are results already.
  const auto hand_out = [&](int to) {
    while (!stopping && !(opt.stop && opt.stop->load()) && more && (more = cutter.next(shard))) {
      const std::uint64_t k = next_shard++;
      if (const RunStats* recorded = state.find(sweep, k)) {
        results[k] = *recorded;
        merge_ready();
        continue;
      }
      Json graphs = Json::array();
      for (const Graph& g : shard) graphs.push_back(to_graph6(g));
      send(to, work, Json{{"shard", k}, {"first_index", opt.first_index + k * state.shard_graphs()}, {"graphs", graphs}}.dump());
      return;
    }
    send(to, stop, "");
    ++idle_workers_stopped;
  };
  while (idle_workers_stopped < world.size - 1) {
    int from = 0, tag = 0;
    const std::string body = receive(from, tag);
    if (tag == result || tag == failed) {
      const Json r = Json::parse(body);
      const auto k = r.at("shard").get<std::uint64_t>();
      if (tag == result) {
        const RunStats s = stats_from_json(r.at("stats"));
        state.record(sweep, k, s);
        results[k] = s;
      } else {
        errors[k] = {r.at("usage").get<bool>(), r.at("what").get<std::string>()};
      }
      merge_ready();
    }
    hand_out(from);
  }
  merge_ready();
  if (error) {
    if (error->first) throw usage_error(error->second);
    throw internal_error(error->second);
  }
  if (opt.stop && opt.stop->load() && (more || !results.empty())) throw interrupted();
  return total;
}

}  // namespace

#endif

}  // namespace exactformer
