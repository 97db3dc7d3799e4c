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

std::string sweep_name(const Construction& c, const Built& built, int n_max, const GraphSource& source, const RunOptions& o) {
  std::string s = c.name() + " [" + built.variant + "] n<=" + std::to_string(n_max) + ": " +
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
  RunStats total;
  run(sweep_name(c, built, n_max, source, opt), source, sweep_work(c, built, n_max, opt, total), opt.stop, opt.progress);
  return total;
}

void ShardedSweeps::run(const std::string& what, GraphSource& source, const ShardedWork& work, const std::atomic<bool>* stop,
                        Progress* progress) {
  EXACTFORMER_ASSERT(!busy_.exchange(true), "sharded sweeps must come one at a time (their names are their order)");
  struct Release {
    std::atomic<bool>& busy;
    ~Release() { busy.store(false); }
  } release{busy_};
  const std::string name = "#" + std::to_string(sweeps_++) + " " + what;
  if (mpi_world().size > 1)
    run_distributed(source, work, state_, name, stop, progress);
  else
    run_shards(source, work, state_, name, stop, progress);
}

#ifndef EXACTFORMER_WITH_MPI

MpiWorld mpi_start(int&, char**&) { return {}; }
MpiWorld mpi_world() { return {}; }
void mpi_finish() {}
void mpi_abandon(int, const std::string&, int) {}
void run_distributed(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep,
                     const std::atomic<bool>* stop, Progress* progress) {
  run_shards(source, work, state, sweep, stop, progress);
}

#else

namespace {

bool started = false;
enum Tag : int { ask = 1, work_tag = 2, result = 3, stop_tag = 4, failed = 5, abandon_tag = 6 };

// Throws `abandoned` if another rank has sent its error (mpi_abandon).
void check_abandoned() {
  MPI_Status st;
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, abandon_tag, MPI_COMM_WORLD, &flag, &st);
  if (!flag) return;
  int count = 0;
  MPI_Get_count(&st, MPI_CHAR, &count);
  std::string body(static_cast<std::size_t>(count), '\0');
  MPI_Recv(body.data(), count, MPI_CHAR, st.MPI_SOURCE, abandon_tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  const std::size_t colon = body.find(':');
  throw abandoned(colon == std::string::npos ? 3 : std::atoi(body.substr(0, colon).c_str()), st.MPI_SOURCE,
                  colon == std::string::npos ? body : body.substr(colon + 1));
}

void send(int to, Tag tag, const std::string& body) {
  MPI_Send(body.data(), static_cast<int>(body.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

// A message of any tag from anyone, waited for without spinning a core; another rank's error throws `abandoned`.
std::string receive(int& from, int& tag) {
  MPI_Status st;
  int flag = 0;
  for (;;) {
    check_abandoned();
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag && st.MPI_TAG != abandon_tag) break;
    if (!flag) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int count = 0;
  MPI_Get_count(&st, MPI_CHAR, &count);
  std::string body(static_cast<std::size_t>(count), '\0');
  MPI_Recv(body.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  from = st.MPI_SOURCE;
  tag = st.MPI_TAG;
  return body;
}

void worker(const ShardedWork& work) {
  send(0, ask, "");
  for (;;) {
    int from = 0, tag = 0;
    const Json msg = [&] {
      const std::string body = receive(from, tag);
      return tag == work_tag ? Json::parse(body) : Json();
    }();
    if (tag != work_tag) return;
    std::vector<Graph> graphs;
    for (const auto& g6 : msg.at("graphs")) graphs.push_back(from_graph6(g6.get<std::string>()));
    try {
      const Json stats = work.run(std::move(graphs), msg.at("first_index").get<std::uint64_t>(), nullptr);
      send(0, result, Json{{"shard", msg.at("shard")}, {"stats", stats}}.dump());
    } catch (const usage_error& e) {
      send(0, failed, Json{{"shard", msg.at("shard")}, {"usage", true}, {"what", e.what()}}.dump());
    } catch (const std::exception& e) {
      send(0, failed, Json{{"shard", msg.at("shard")}, {"usage", false}, {"what", e.what()}}.dump());
    }
  }
}

Json coordinate(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep, const std::atomic<bool>* stop,
                Progress* progress, const MpiWorld& world);

// Rank 0's `body` on every rank, waited for without spinning a core.
std::string broadcast(std::string body) {
  // A worker also looks for an error another worker sent after this one stopped (rank 0 forwards it).
  const bool worker = mpi_world().rank != 0;
  const auto wait = [worker](MPI_Request& request) {
    int done = 0;
    while (MPI_Test(&request, &done, MPI_STATUS_IGNORE), !done) {
      if (worker) check_abandoned();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
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

void mpi_abandon(int code, const std::string& what, int except) {
  const MpiWorld world = mpi_world();
  const std::string body = std::to_string(code) + ":" + what;
  for (int r = 0; r < world.size; ++r)
    if (r != world.rank && r != except) {
      MPI_Request request;  // buffered and left to complete: the receiver may never look (it failed too)
      MPI_Isend(body.data(), static_cast<int>(body.size()), MPI_CHAR, r, abandon_tag, MPI_COMM_WORLD, &request);
      MPI_Request_free(&request);
    }
}

void run_distributed(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep,
                     const std::atomic<bool>* stop, Progress* progress) {
  const MpiWorld world = mpi_world();
  if (world.size <= 1) return run_shards(source, work, state, sweep, stop, progress);
  if (world.rank != 0) {
    worker(work);
    const Json merged = Json::parse(broadcast(""));  // the merged shards, as rank 0 took them, or its error
    if (merged.is_object()) throw abandoned(merged.at("code").get<int>(), 0, merged.at("error").get<std::string>());
    for (const Json& stats : merged) work.merge(stats);
    return;
  }
  Json merged;
  try {
    merged = coordinate(source, work, state, sweep, stop, progress, world);
  } catch (const interrupted&) {
    throw;
  } catch (const abandoned&) {
    throw;
  } catch (const std::exception& e) {
    // Every worker has stopped and waits for the broadcast: it carries the error, and every rank ends with it.
    const int code = dynamic_cast<const usage_error*>(&e) != nullptr ? 2 : 3;
    broadcast(Json{{"code", code}, {"error", e.what()}}.dump());
    throw abandoned(code, 0, e.what());  // every rank has it: nothing more to send
  }
  broadcast(merged.dump());
}

namespace {

// Rank 0: hands out shards, records and merges the results in stream order; returns the merged shards' statistics.
Json coordinate(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep, const std::atomic<bool>* stop,
                Progress* progress, const MpiWorld& world) {
  const ProgressScope meter(progress, source.describe(), source.size());
  ShardCutter cutter(source, state.shard_graphs());
  std::map<std::uint64_t, std::pair<Json, bool>> results;  // finished shards (recorded before this run?), merged in order below
  std::map<std::uint64_t, std::pair<bool, std::string>> errors;
  std::uint64_t next_shard = 0, merged = 0;
  bool more = true, stopping = false;
  int idle_workers_stopped = 0;
  Json merged_stats = Json::array();
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
      const auto& [stats, recorded] = it->second;
      const ShardedWork::Merged m = recorded ? merge_recorded(work, stats, state, merged) : work.merge(stats);
      if (progress) progress->add(m.graphs, m.queries);
      merged_stats.push_back(stats);
      results.erase(it);
      ++merged;
      if (m.enough) stopping = true;
    }
  };
  std::vector<Graph> shard;
  // Hands out the next shard not in the state file, or stop; shards found in the state are results already.
  const auto hand_out = [&](int to) {
    while (!stopping && !(stop && stop->load()) && more && (more = cutter.next(shard))) {
      const std::uint64_t k = next_shard++;
      if (const Json* recorded = state.find(sweep, k)) {
        results[k] = {*recorded, true};
        merge_ready();
        continue;
      }
      Json graphs = Json::array();
      for (const Graph& g : shard) graphs.push_back(to_graph6(g));
      send(to, work_tag, Json{{"shard", k}, {"first_index", k * state.shard_graphs()}, {"graphs", graphs}}.dump());
      return;
    }
    send(to, stop_tag, "");
    ++idle_workers_stopped;
  };
  // An error here (a malformed state record, a bad line of the graph stream, a full disk) stops handing out
  // shards; the loop goes on until every worker has been told to stop, and the error is thrown after it.
  const auto guarded = [&](const auto& step) {
    try {
      step();
      return true;
    } catch (const abandoned&) {
      throw;  // a worker is gone: rank 0 ends the run (run_cli tells the others)
    } catch (const std::exception& e) {
      if (!error) error = {dynamic_cast<const usage_error*>(&e) != nullptr, e.what()};
      stopping = true;
      return false;
    }
  };
  while (idle_workers_stopped < world.size - 1) {
    int from = 0, tag = 0;
    const std::string body = receive(from, tag);
    if (tag == result || tag == failed) {
      const Json r = Json::parse(body);
      const auto k = r.at("shard").get<std::uint64_t>();
      guarded([&] {
        if (tag == result) {
          state.record(sweep, k, r.at("stats"));
          results[k] = {r.at("stats"), false};
        } else {
          errors[k] = {r.at("usage").get<bool>(), r.at("what").get<std::string>()};
        }
        merge_ready();
      });
    }
    if (!guarded([&] { hand_out(from); })) hand_out(from);  // stopping now: the worker is told to stop
  }
  guarded(merge_ready);
  if (error) {
    if (error->first) throw usage_error(error->second);
    throw internal_error(error->second);
  }
  if (stop && stop->load() && (more || !results.empty())) throw interrupted();
  return merged_stats;
}

}  // namespace

#endif

}  // namespace exactformer
