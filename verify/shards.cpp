// Resumable sweeps (verify/shards.hpp).
#include "shards.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>

#include "report.hpp"

namespace exactformer {

namespace {

Json counterexample_to_json(const Counterexample& c) {
  Json order = Json::array();
  for (const auto& [a, b] : c.edge_order) order.push_back({a, b});
  return Json{{"graph6", to_graph6(c.graph)}, {"edge_order", order}, {"query", c.query.args}, {"expected", c.expected},
              {"got", c.got ? Json(*c.got) : Json()}, {"variant", c.variant}, {"certificate", c.certificate},
              {"readout", c.readout}};
}

Counterexample counterexample_from_json(const Json& j) {
  Counterexample c;
  c.graph = from_graph6(j.at("graph6").get<std::string>());
  for (const auto& e : j.at("edge_order")) c.edge_order.emplace_back(e.at(0).get<int>(), e.at(1).get<int>());
  c.query.args = j.at("query").get<std::vector<int>>();
  c.expected = j.at("expected").get<long>();
  if (!j.at("got").is_null()) c.got = j.at("got").get<long>();
  c.variant = j.at("variant").get<std::string>();
  c.certificate = j.at("certificate").get<std::string>();
  c.readout = j.value("readout", "");
  return c;
}

#define EXACTFORMER_STATS_FIELDS(X)                                                                                    \
  X(graphs) X(queries) X(evaluations) X(int64_overflows) X(int128_overflows) X(max_activation_bits) X(max_integer_bits) \
  X(failing_graphs) X(failing_evaluations) X(answered_above) X(answered_below) X(answered_undefined) X(certified)      \
  X(integrality_broken) X(undetermined) X(readout_mismatches)

// One line to the end of the state file, in one write, then to the disk.
void append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  EXACTFORMER_REQUIRE(fd >= 0, "cannot open the state file " + quote_input(path));
  ssize_t w;
  do w = ::write(fd, line.data(), line.size());
  while (w < 0 && errno == EINTR);
  const bool ok = w == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  EXACTFORMER_REQUIRE(ok, "cannot append to the state file " + quote_input(path));
}

}  // namespace

ShardedWork::Merged merge_recorded(const ShardedWork& work, const Json& stats, const StateFile& state, std::uint64_t shard) {
  std::string why;
  try {
    return work.merge(stats);
  } catch (const Json::exception&) {
  } catch (const std::invalid_argument& e) {
    why = std::string(": ") + e.what();
  } catch (const usage_error&) {
  }
  throw usage_error("the state file " + quote_input(state.path()) + " has a malformed record for shard " + std::to_string(shard) + why);
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXACTFORMER_REQUIRE(in.good(), "cannot read " + quote_input(path));
  std::uint64_t h = 0xcbf29ce484222325ULL;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<unsigned char>(buffer[i])) * 0x100000001b3ULL;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

Json stats_to_json(const RunStats& s) {
  Json j;
#define EXACTFORMER_OUT(f) j[#f] = s.f;
  EXACTFORMER_STATS_FIELDS(EXACTFORMER_OUT)
#undef EXACTFORMER_OUT
  j["failure"] = s.failure ? counterexample_to_json(*s.failure) : Json();
  j["first_undetermined"] = s.first_undetermined ? counterexample_to_json(*s.first_undetermined) : Json();
  j["min_margin"] = s.min_margin ? Json(s.min_margin->str()) : Json();
  return j;
}

RunStats stats_from_json(const Json& j) {
  RunStats s;
  const auto count = [](const Json& v, auto& field) {
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > (1LL << 62)) throw std::invalid_argument("a count that is not a natural number");
    field = static_cast<std::remove_reference_t<decltype(field)>>(v.get<long long>());
  };
#define EXACTFORMER_IN(f) \
  if (j.contains(#f)) count(j.at(#f), s.f);  // a field an older state file lacks stays 0
  EXACTFORMER_STATS_FIELDS(EXACTFORMER_IN)
#undef EXACTFORMER_IN
  if (!j.at("failure").is_null()) s.failure = counterexample_from_json(j.at("failure"));
  if (!j.at("first_undetermined").is_null()) s.first_undetermined = counterexample_from_json(j.at("first_undetermined"));
  if (!j.at("min_margin").is_null()) s.min_margin = parse_rational(j.at("min_margin").get<std::string>());
  return s;
}

StateFile::StateFile(const ShardOptions& so) : path_(so.state), shard_graphs_(so.shard_graphs) {
  EXACTFORMER_REQUIRE(shard_graphs_ > 0, "shards must hold at least one graph");
  if (path_.empty()) return;
  // the binary that writes the state (/proc/self/exe): a state file resumes only in it, since a rebuilt tool (other
  // weights, solvers or decoders) could give other statistics for the same shard
  header_ = Json{{"format", "exactformer-state/2"}, {"run", so.fingerprint}, {"shard_graphs", so.shard_graphs},
                 {"binary", file_digest("/proc/self/exe")}};
  const std::string named = "the state file " + quote_input(path_);
  // What an earlier run finished: whole lines only; a torn last line (after the header) is cut off.
  std::ifstream in(path_, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) return;  // the header goes out with the first record: a run refused before it leaves no file
  const std::size_t header_end = text.find('\n');
  const auto parse = [&](std::size_t pos, std::size_t end) {
    const std::string line = text.substr(pos, end - pos);
    require_json_depth(line, 8, named + " at byte " + std::to_string(pos));
    const Json j = Json::parse(line, nullptr, false);
    EXACTFORMER_REQUIRE(!j.is_discarded() && j.is_object(), named + " has a malformed line at byte " + std::to_string(pos));
    return j;
  };
  // Anything but our header first is another file, named by mistake: refused and left as it is.
  const Json first = [&] {
    try {
      return header_end == std::string::npos ? Json() : parse(0, header_end);
    } catch (const usage_error&) {
      return Json();  // not JSON, or nested too deep: not ours
    }
  }();
  EXACTFORMER_REQUIRE(first.is_object() && first.size() == header_.size() && first.value("format", Json()) == header_["format"],
                      named + " is not an exactformer state file (or not of this version): name another --state");
  Json same_binary = first;
  same_binary["binary"] = header_["binary"];
  EXACTFORMER_REQUIRE(same_binary == header_, named + " belongs to another run (different command, graphs, shard size or format)");
  EXACTFORMER_REQUIRE(first == header_, named + " was written by another exactformer binary (rebuilt?), whose shards may differ: remove it to start afresh");
  header_written_ = true;
  std::size_t whole = header_end + 1, pos = whole;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) break;  // torn
    const Json line = parse(pos, end);
    const auto at = [&](const char* key) -> const Json& {
      const auto it = line.find(key);
      EXACTFORMER_REQUIRE(it != line.end(), named + " has a record without \"" + key + "\" at byte " + std::to_string(pos));
      return *it;
    };
    const Json &sweep = at("sweep"), &shard = at("shard"), &stats = at("stats");
    EXACTFORMER_REQUIRE(line.size() == 3 && sweep.is_string() && shard.is_number_unsigned() && stats.is_object(),
                        named + " has a malformed record at byte " + std::to_string(pos));
    const bool fresh = done_.emplace(std::make_pair(sweep.get<std::string>(), shard.get<std::uint64_t>()), stats).second;
    EXACTFORMER_REQUIRE(fresh, named + " records shard " + std::to_string(shard.get<std::uint64_t>()) + " twice (at byte " + std::to_string(pos) + ")");
    pos = whole = end + 1;
  }
  if (whole < text.size()) EXACTFORMER_REQUIRE(::truncate(path_.c_str(), static_cast<off_t>(whole)) == 0, "cannot repair " + named);
}

const Json* StateFile::find(const std::string& sweep, std::uint64_t shard) const {
  const auto it = done_.find({sweep, shard});
  return it == done_.end() ? nullptr : &it->second;
}

void StateFile::record(const std::string& sweep, std::uint64_t shard, const Json& stats) {
  if (path_.empty()) return;
  if (!header_written_) append_line(path_, header_.dump() + "\n");
  header_written_ = true;
  append_line(path_, Json{{"sweep", sweep}, {"shard", shard}, {"stats", stats}}.dump() + "\n");
}

bool ShardCutter::next(std::vector<Graph>& shard) {
  shard.clear();
  while (shard.size() < size_) {
    if (next_ == batch_.size()) {
      next_ = 0;
      batch_.clear();
      if (exhausted_ || !source_.next_batch(batch_)) {
        exhausted_ = true;
        break;
      }
      continue;
    }
    shard.push_back(batch_[next_++]);
  }
  return !shard.empty();
}

void run_shards(GraphSource& source, const ShardedWork& work, StateFile& state, const std::string& sweep,
                const std::atomic<bool>* stop, Progress* progress) {
  const ProgressScope meter(progress, source.describe(), source.size());
  ShardCutter cutter(source, state.shard_graphs());
  std::vector<Graph> shard;
  for (std::uint64_t k = 0; cutter.next(shard); ++k) {
    ShardedWork::Merged m;
    if (const Json* recorded = state.find(sweep, k)) {
      m = merge_recorded(work, *recorded, state, k);
    } else {
      if (stop && stop->load()) throw interrupted();
      const Json stats = work.run(std::move(shard), k * state.shard_graphs(), stop);
      state.record(sweep, k, stats);
      m = work.merge(stats);
    }
    if (progress) progress->add(m.graphs, m.queries);
    if (m.enough) break;
  }
}

namespace {

// A counterexample read back from a state file, checked against what it claims (std::invalid_argument if
// not): a graph the sweep could have read (1..n_max vertices), its edge order a permutation of its edges,
// one of the task's queries on it, the solver's answer as `expected`; and a failure must fail again when the
// model is evaluated on it (unless that evaluation stays undetermined), so no forged record makes a run fail.
void check_recorded(const Counterexample& cx, const Construction& c, const Built& built, int n_max, const RunOptions& opt, bool failure) {
  const auto refuse = [](const std::string& why) { throw std::invalid_argument(why); };
  const Graph& g = cx.graph;
  if (g.n() < 1 || g.n() > n_max) refuse("a counterexample with " + std::to_string(g.n()) + " vertices, the run's n is " + std::to_string(n_max));
  std::vector<std::pair<int, int>> order;
  for (auto [a, b] : cx.edge_order) order.emplace_back(std::min(a, b), std::max(a, b));
  std::sort(order.begin(), order.end());
  std::vector<std::pair<int, int>> edges = g.edges();
  std::sort(edges.begin(), edges.end());
  if (order != edges) refuse("a counterexample whose edge order is not its graph's edges");
  const Task& task = find_task(c.task());
  const std::vector<Query> queries = all_queries(task, g.n());
  if (std::none_of(queries.begin(), queries.end(), [&](const Query& q) { return q.args == cx.query.args; }))
    refuse("a counterexample with a query the task does not ask on its graph");
  if (cx.expected != task.solve(g, cx.query)) refuse("a counterexample whose expected answer is not the solver's");
  if (!failure) return;
  const Answer again = evaluate(built, g, cx.edge_order, cx.query, opt.fast_path, opt.fixed_point);
  if (!again.undetermined() && !again.fails(cx.expected)) refuse("a failure the model does not reproduce (it answers right there)");
}

}  // namespace

ShardedWork sweep_work(const Construction& c, const Built& built, int n_max, const RunOptions& opt, RunStats& total) {
  EXACTFORMER_ASSERT(!opt.answers, "answers are not recorded in a state file");
  RunOptions inner = opt;
  inner.progress = nullptr;
  ShardedWork w;
  w.run = [&c, &built, n_max, inner](std::vector<Graph> graphs, std::uint64_t first_index, const std::atomic<bool>* stop) {
    RunOptions here = inner;
    here.first_index = inner.first_index + first_index;
    here.stop = stop;
    auto list = list_source(std::move(graphs), "shard");
    return stats_to_json(run_sweep(c, built, n_max, *list, here));
  };
  w.merge = [&total, &c, &built, n_max, inner, stop_at_first = opt.stop_at_first](const Json& stats) {
    const RunStats part = stats_from_json(stats);
    if (part.failure) check_recorded(*part.failure, c, built, n_max, inner, true);
    if (part.first_undetermined) check_recorded(*part.first_undetermined, c, built, n_max, inner, false);
    merge_stats(total, part);
    return ShardedWork::Merged{static_cast<std::uint64_t>(part.graphs), static_cast<std::uint64_t>(part.queries),
                               total.failure && stop_at_first};
  };
  return w;
}

}  // namespace exactformer
