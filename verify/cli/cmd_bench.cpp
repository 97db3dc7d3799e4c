// exactformer bench: the double, fast exact and GMP paths on one stream, side by side.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <cmath>
#include <iomanip>
#include <sstream>

#include <sys/resource.h>

#include <random>

#include "bench.hpp"
#include "cli/commands.hpp"
#include "enumerate.hpp"
#include "export.hpp"
#include "imported/exported.hpp"
#include "imported/import.hpp"
#include "imported/imported_sweep.hpp"
#include "imported/plain_double.hpp"
#include "report.hpp"
#include "sweep.hpp"

namespace exactformer::cli {
namespace {

int run_bench(const std::vector<std::string>& names, int n, const Context& ctx) {
  std::ostream& out = ctx.out;
  const std::vector<Graph> graphs = labelled_graphs(1, n);
  out << "Stream: every labelled graph with 1 <= n <= " << n << " (" << graphs.size()
      << " graphs) x every query, lexicographic edge order; one thread; each path reuses per-graph work the same way.\n"
      << "(a) double, (b) fast exact (int64 -> int128 -> GMP), (c) GMP rationals only. Ratios are throughput relative to (a).\n"
      << "(d) softmax2(b) rows: the natural softmax(beta = b) model on the certified path at 68 bits; d/b is its cost relative to (b).\n\n"
      << "| construction | mode | pairs | (a) double µs/pair | (b) fast exact µs/pair | (c) GMP µs/pair | b/a | c/a | int64 overflows | of which int128 | double wrong | (d) certified µs/pair | d/b | undecided at 68 bits |\n"
      << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& name : names) {
    const Construction& c = ctx.registry.find(name);
    for (const Variant& v : c.modes()) {
      const Built built = c.build(n, v);
      const BenchResult r = bench(c, built, graphs);
      const auto us = [&](double s) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(2) << 1e6 * s / static_cast<double>(r.pairs);
        return o.str();
      };
      const auto ratio = [](double num, double den) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(3) << num / den;
        return o.str();
      };
      out << "| " << c.name() << " | " << built.variant << " | " << r.pairs << " | " << us(r.seconds_double) << " | " << us(r.seconds_fast)
          << " | " << us(r.seconds_gmp) << " | " << ratio(r.seconds_double, r.seconds_fast) << " | " << ratio(r.seconds_double, r.seconds_gmp)
          << " | " << r.int64_overflows << " | " << r.int128_overflows << " | " << r.double_disagreements << " | ";
      if (r.seconds_certified)
        out << us(*r.seconds_certified) << " | " << ratio(*r.seconds_certified, r.seconds_fast) << " | " << r.certified_undecided << " |\n";
      else
        out << "— | — | — |\n";
    }
  }
  return 0;
}

// Per-pair time against n: each construction (hard attention) built for n = 8, 16, ... up to its max_build_n and
// `n_max`, run on the path P_n with 8 sampled pairs and one edge order (the fast exact path, `threads` threads); the
// series stops at the first n that takes longer than `budget` seconds. The slope of log(time per pair) against log n
// is a least-squares fit over the measured points.
int run_scaling(const std::vector<std::string>& names, int n_max, double budget, const Context& ctx) {
  std::ostream& out = ctx.out;
  out << "Per-pair time against n: the path P_n, 8 sampled queries, one edge order, hard attention, fast exact path, "
      << default_jobs() << " threads; each n stops the series if it took over " << budget << " s.\n\n"
      << "| construction | n: µs/pair | log-log slope |\n|---|---|---:|\n";
  for (const auto& name : names) {
    const Construction& c = ctx.registry.find(name);
    std::vector<std::pair<double, double>> points;  // (log n, log seconds per pair)
    std::string cells;
    for (int n = 8; n <= std::min(n_max, c.max_build_n()); n *= 2) {
      const auto start = std::chrono::steady_clock::now();
      try {
        require_memory_to_build(c, n, Variant::hard());
      } catch (const usage_error&) {
        break;  // the series ends where the model would not fit in memory
      }
      const Built built = c.build(n, Variant::hard());
      auto source = list_source({path_graph(n)}, "P_n");
      RunOptions ro;
      ro.jobs = default_jobs();
      ro.edge_orders = 1;
      ro.queries_per_graph = 8;
      ro.crosscheck_every = 0;
      const auto sweep_start = std::chrono::steady_clock::now();
      RunStats r;
      try {
        r = run_sweep(c, built, n, *source, ro);
      } catch (const usage_error&) {
        break;  // the series ends where the tool refuses the sweep (a set answer fits 62 vertices)
      }
      const auto end = std::chrono::steady_clock::now();
      const double per_pair = std::chrono::duration<double>(end - sweep_start).count() / static_cast<double>(std::max(1L, r.queries));
      std::ostringstream cell;
      cell << (cells.empty() ? "" : ", ") << n << ": " << std::fixed << std::setprecision(1) << 1e6 * per_pair
           << (r.failure ? " (WRONG)" : "");
      cells += cell.str();
      points.emplace_back(std::log(n), std::log(per_pair));
      if (std::chrono::duration<double>(end - start).count() > budget) break;
    }
    double slope = 0;
    if (points.size() >= 2) {
      double mx = 0, my = 0;
      for (const auto& [x, y] : points) mx += x, my += y;
      mx /= static_cast<double>(points.size());
      my /= static_cast<double>(points.size());
      double sxy = 0, sxx = 0;
      for (const auto& [x, y] : points) sxy += (x - mx) * (y - my), sxx += (x - mx) * (x - mx);
      slope = sxy / sxx;
    }
    std::ostringstream sl;
    sl << std::fixed << std::setprecision(2) << slope;
    out << "| " << c.name() << " | " << cells << " | " << (points.size() >= 2 ? sl.str() : "—") << " |" << std::endl;
  }
  return 0;
}

// MPI throughput: the same `verify C --n N --quiet` (or `check ID --n-max N --quiet`) as one process and under
// `mpirun -np K` for each K, run one after another as child processes (no shell), timed side by side; the
// verdicts must agree.
// True when PATH holds an executable file `program` (what posix_spawnp would start).
bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string file = dir + "/" + program;
    if (::access(file.c_str(), X_OK) == 0 && !std::filesystem::is_directory(file)) return true;
    start = end + 1;
  }
  return false;
}

int run_mpi_bench(const std::vector<std::string>& names, int n, const std::vector<int>& ranks, const Context& ctx) {
  EXACTFORMER_REQUIRE(names.size() == 1, "bench --mpi times one construction or check (got " + std::to_string(names.size()) + ")");
  const std::string& name = names[0];
  bool is_check = false;
  for (const auto& cs : ctx.registry.checks()) is_check = is_check || cs.second.id == name;
  if (!is_check) ctx.registry.find(name);  // a usage error before anything starts
  EXACTFORMER_REQUIRE(on_path("mpirun"), "bench --mpi: no mpirun on PATH (Open MPI: apt-get install openmpi-bin)");
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::vector<std::string> command_args =
      is_check ? std::vector<std::string>{self, "check", name, "--n-max", std::to_string(n), "--quiet"}
               : std::vector<std::string>{self, "verify", name, "--n", std::to_string(n), "--quiet"};
  const std::string what = is_check ? "`check " + name + " --n-max " + std::to_string(n) + "` (every sweep of the check)"
                                    : "`verify " + name + " --n " + std::to_string(n) + "`, every labelled graph with 1 <= n <= " +
                                          std::to_string(n);
  const auto timed = [&](const std::vector<std::string>& argv, int& status) {
    const auto t0 = std::chrono::steady_clock::now();
    status = run_program(argv, true);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  int one_status = 0;
  const double one = timed(command_args, one_status);
  EXACTFORMER_REQUIRE(one_status == 0 || one_status == 1, "`exactformer " + command_args[1] + " " + name + "` exited " + std::to_string(one_status));
  ctx.out << what << "; one process with " << default_jobs() << " threads, then `mpirun --oversubscribe --bind-to none -np K` "
          << "(rank 0 hands out shards; K - 1 workers share the machine's threads). Throughput kept = one-process time / time.\n\n"
          << "| processes | seconds | throughput kept | verdict |\n|---|---:|---:|---|\n"
          << "| 1 (no MPI) | " << std::fixed << std::setprecision(2) << one << " | 1.00 | " << (one_status == 0 ? "HOLDS" : "FAILS") << " |\n";
  int status = 0;
  for (int k : ranks) {
    std::vector<std::string> argv{"mpirun"};
    if (geteuid() == 0) argv.push_back("--allow-run-as-root");
    for (const char* a : {"--oversubscribe", "--bind-to", "none", "-np"}) argv.push_back(a);
    argv.push_back(std::to_string(k));
    argv.insert(argv.end(), command_args.begin(), command_args.end());
    const double t = timed(argv, status);
    EXACTFORMER_REQUIRE(status != -1, "mpirun did not start or was killed (Open MPI: apt-get install openmpi-bin)");
    if (status != one_status) {
      ctx.out << "| " << k << " | " << t << " | — | exit " << status << ", not " << one_status << " as one process |\n";
      return 1;
    }
    ctx.out << "| " << k << " | " << t << " | " << one / t << " | " << (status == 0 ? "HOLDS" : "FAILS") << " |" << std::endl;
  }
  return 0;
}

// An imported model (verify --model's kind) on every labelled graph n <= N x every query, the prompt's edge order,
// one thread: (a) the plain float64 forward pass (TlForward<PlainDouble>: PyTorch's arithmetic, no verdicts), then
// (b) the certified pass (double intervals, escalating where undecided), each reusing the causal prefix the same way.
int run_model_bench(const std::string& dir, int n, const Context& ctx) {
  const ImportedModel im = load_imported(dir);
  const Task& task = find_task(im.prompt.task);
  for (int k = 1; k <= n; ++k) check_prompt_for(im, task, k);
  struct In {
    std::vector<int> tokens;
    long truth;
  };
  std::vector<In> inputs;
  for (const Graph& g : labelled_graphs(1, n))
    for (const Query& q : all_queries(task, g.n())) inputs.push_back({im.prompt.tokenize(g, g.edges(), q), task.solve(g, q)});
  std::vector<int> ids;
  for (const auto& [id, value] : im.prompt.answers) ids.push_back(id);
  const auto clock = [] { return std::chrono::steady_clock::now(); };
  std::vector<long> float_answer(inputs.size());
  auto t0 = clock();
  {
    TlForward<PlainDouble> f(im.model);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto& x = inputs[i].tokens;
      const std::vector<PlainDouble> logits = f.logits(x, im.prompt.readout_row(static_cast<int>(x.size())), ids);
      std::size_t top = 0;
      for (std::size_t k = 1; k < logits.size(); ++k)
        if (logits[k].v > logits[top].v) top = k;
      float_answer[i] = im.prompt.answers[top].second;
    }
  }
  const double plain = std::chrono::duration<double>(clock() - t0).count();
  std::array<std::uint64_t, kImportRungs> decided{};
  std::uint64_t right = 0, wrong = 0, undecided = 0, float_right = 0, disagree = 0;
  t0 = clock();
  {
    TlForward<DoubleInterval> cache(im.model);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const InputVerdict v = certify_input(im, inputs[i].tokens, inputs[i].truth, kImportRungs - 1, &cache);
      if (v.kind != InputVerdict::Kind::undecided) ++decided[static_cast<std::size_t>(v.rung)];
      right += v.kind == InputVerdict::Kind::right;
      wrong += v.kind == InputVerdict::Kind::wrong;
      undecided += v.kind == InputVerdict::Kind::undecided;
      float_right += float_answer[i] == inputs[i].truth;
      // a decided verdict and the float64 argmax disagree: the float pass answers otherwise than the real function
      if (v.kind != InputVerdict::Kind::undecided && (v.kind == InputVerdict::Kind::right) != (float_answer[i] == inputs[i].truth)) ++disagree;
    }
  }
  const double certified = std::chrono::duration<double>(clock() - t0).count();
  const double N = static_cast<double>(inputs.size());
  std::ostream& out = ctx.out;
  out << std::fixed << std::setprecision(2);
  out << "Stream: every labelled graph with 1 <= n <= " << n << " x every query of " << task.name << ", the prompt's edge order; one thread.\n"
      << "Model " << dir << ": " << im.model.describe() << "\n\n"
      << "| inputs | (a) float64 forward µs/input | (b) certified µs/input | b/a | decided at double | right | wrong | undecided | float64 argmax right | verdict vs float64 disagreements |\n"
      << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
      << "| " << inputs.size() << " | " << 1e6 * plain / N << " | " << 1e6 * certified / N << " | " << certified / plain << " | "
      << std::setprecision(4) << 100.0 * static_cast<double>(decided[0]) / N << " % | " << right << " | " << wrong << " | " << undecided << " | "
      << float_right << " | " << disagree << " |\n";
  return 0;
}

// Loading a safetensors state dict of at least `megabytes` MB (whole layers of 6.3 MB): a random GPT-2-style model (d_model 256, LN, GELU) written
// to a temporary directory, read back by load_imported; its wall time and the growth of the process's peak resident
// set (getrusage) against the file's size.
int run_load_bench(int megabytes, const Context& ctx) {
  const int d = 256, d_mlp = 1024, V = 16, ctxlen = 64;
  const long per_layer = 4L * d * d + 2L * d * d_mlp + 10L * d;
  const long doubles = static_cast<long>(megabytes) * 1000000 / 8;
  const int layers = static_cast<int>(std::max(1L, (doubles + per_layer - 1) / per_layer));  // at least `megabytes` MB
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 0.02);
  std::vector<std::pair<std::string, TensorData>> t;
  const auto add = [&](std::string name, std::vector<std::int64_t> shape, bool ones = false) {
    std::int64_t size = 1;
    for (auto x : shape) size *= x;
    TensorData data{shape, std::vector<double>(static_cast<std::size_t>(size))};
    for (double& x : data.values) x = ones ? 1.0 : normal(rng);
    t.emplace_back(std::move(name), std::move(data));
  };
  add("embed.W_E", {V, d});
  add("pos_embed.W_pos", {ctxlen, d});
  for (int l = 0; l < layers; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    for (const char* ln : {"ln1", "ln2"}) {
      add(p + ln + ".w", {d}, true);
      add(p + ln + ".b", {d});
    }
    for (const char* w : {"W_Q", "W_K", "W_V"}) add(p + "attn." + w, {8, d, 32});
    add(p + "attn.W_O", {8, 32, d});
    for (const char* b : {"b_Q", "b_K", "b_V"}) add(p + "attn." + b, {8, 32});
    add(p + "attn.b_O", {d});
    add(p + "mlp.W_in", {d, d_mlp});
    add(p + "mlp.b_in", {d_mlp});
    add(p + "mlp.W_out", {d_mlp, d});
    add(p + "mlp.b_out", {d});
  }
  add("ln_final.w", {d}, true);
  add("ln_final.b", {d});
  add("unembed.W_U", {d, V});
  add("unembed.b_U", {V});
  const auto dir = std::filesystem::temp_directory_path() / ("exactformer-load-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string bytes = safetensors_f64_bytes(t);
  t.clear();
  t.shrink_to_fit();
  write_file_atomically((dir / "model.safetensors").string(), bytes);
  const Json config{{"n_layers", layers}, {"d_model", d}, {"d_head", 32}, {"n_heads", 8}, {"d_mlp", d_mlp}, {"d_vocab", V},
                    {"n_ctx", ctxlen}, {"act_fn", "gelu"}, {"normalization_type", "LN"}};
  write_file_atomically((dir / "config.json").string(), config.dump());
  const Json prompt{{"format", "exactformer-prompt/1"}, {"task", "edge_existence"}, {"vocabulary", {"<bos>", "0", "1", "no", "yes"}},
                    {"template", {"<bos>", "{s}", "{t}"}}, {"readout", -1}, {"answers", {{"no", 0}, {"yes", 1}}}};
  write_file_atomically((dir / "prompt.json").string(), prompt.dump());
  const std::size_t size = bytes.size();
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const auto t0 = std::chrono::steady_clock::now();
  const ImportedModel im = load_imported(dir.string());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  getrusage(RUSAGE_SELF, &after);
  std::filesystem::remove_all(dir);
  const double peak_growth = static_cast<double>(after.ru_maxrss - before.ru_maxrss) * 1024.0;  // ru_maxrss: KiB
  ctx.out << std::fixed << std::setprecision(3) << "| safetensors bytes | layers | load s | peak RSS growth MB | growth / file size | model in memory |\n"
          << "|---:|---:|---:|---:|---:|---|\n"
          << "| " << size << " | " << layers << " | " << secs << " | " << peak_growth / 1e6 << " | " << peak_growth / static_cast<double>(size)
          << " | " << im.model.describe() << " |\n"
          << "(peak RSS growth is measured after the file was written: the writer's own buffers are not counted; "
             "the loaded model holds every weight once as a double, plus the nonzero index)\n";
  return 0;
}

// Round trip: each construction's modes built for n, exported (exactformer-model/2) into a scratch directory, read
// back by the importer, and both swept on every labelled graph with at most n vertices (fast exact path, one thread,
// no crosscheck), alternately three times each; the fastest of each side is reported. The two sweeps must agree.
int run_roundtrip_bench(const std::vector<std::string>& names, int n, const Context& ctx) {
  std::ostream& out = ctx.out;
  const auto dir = std::filesystem::temp_directory_path() / ("exactformer-bench-roundtrip-" + std::to_string(::getpid()));
  out << "Stream: every labelled graph with 1 <= n <= " << n << " x every query, both edge orders of the sweep; one thread; "
      << "built and imported swept alternately, three times each, the fastest of each kept.\n\n"
      << "| construction | mode | pairs | built s | imported s | imported / built | verdicts |\n|---|---|---:|---:|---:|---:|---|\n";
  double built_total = 0, imported_total = 0;
  for (const auto& name : names) {
    const Construction& c = ctx.registry.find(name);
    for (const Variant& v : c.modes()) {
      const int bn = std::min(n, c.max_build_n());
      const Built built = c.build(bn, v);
      write_export(dir.string(), export_model(c, bn, v, built, {}));
      const LoadedExport loaded = load_exported(dir.string());
      const Built back = loaded.construction->build(bn, v);
      RunOptions ro;
      ro.crosscheck_every = 0;
      double best[2] = {1e300, 1e300};
      RunStats stats[2];
      for (int round = 0; round < 3; ++round)
        for (int side = 0; side < 2; ++side) {
          const auto source = labelled_source(1, bn);
          const auto start = std::chrono::steady_clock::now();
          stats[side] = side == 0 ? run_sweep(c, built, bn, *source, ro) : run_sweep(*loaded.construction, back, bn, *source, ro);
          best[side] = std::min(best[side], std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
      const bool same = stats[0].queries == stats[1].queries && stats[0].evaluations == stats[1].evaluations &&
                        stats[0].failure.has_value() == stats[1].failure.has_value();
      built_total += best[0];
      imported_total += best[1];
      out << std::fixed << std::setprecision(3) << "| " << c.name() << " | " << built.variant << " | " << stats[0].queries << " | " << best[0]
          << " | " << best[1] << " | " << best[1] / best[0] << " | " << (same ? (stats[0].failure ? "both fail" : "both hold") : "DIFFER") << " |"
          << std::endl;
      EXACTFORMER_ASSERT(same, "bench --roundtrip: the imported model's sweep differs from the built one's");
    }
  }
  std::filesystem::remove_all(dir);
  out << std::fixed << std::setprecision(3) << "\nIn all: " << built_total << " s built, " << imported_total << " s imported (ratio "
      << imported_total / built_total << ").\n";
  return 0;
}

}  // namespace

Command add_bench(CLI::App& app, const Context& ctx) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto n = std::make_shared<int>(5);
  auto* bench_cmd = app.add_subcommand("bench", "throughput of the double, fast exact and GMP paths on one stream, side by side");
  bench_cmd->add_option("constructions", *names, "constructions (default: all)");
  bench_cmd->add_option("--n", *n, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 7))->capture_default_str();
  auto scaling = std::make_shared<int>(0);
  auto budget = std::make_shared<double>(20);
  bench_cmd->add_option("--scaling", *scaling, "instead: per-pair time on P_n for n = 8, 16, ... up to N, and its log-log slope")
      ->check(CLI::Range(8, kMaxVertices));
  bench_cmd->add_option("--budget", *budget, "--scaling: stop a construction's series after an n that took longer (seconds)")
      ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  auto ranks = std::make_shared<std::vector<int>>();
  bench_cmd->add_option("--mpi", *ranks, "instead: `verify` of one construction at --n (or `check` of one check at --n-max N) as one process and "
                    "under mpirun -np K for each K")
      ->delimiter(',')
      ->check(CLI::Range(1, 64));
  auto model = std::make_shared<std::string>();
  bench_cmd->add_option("--model", *model, "instead: an imported model DIR, float64 forward beside certified evaluation (docs/import.md)")
      ->check(non_empty);
  auto load_mb = std::make_shared<int>(0);
  bench_cmd->add_option("--load", *load_mb, "instead: load a random safetensors model of about MB megabytes; time and peak memory")
      ->check(CLI::Range(1, 2000));
  auto roundtrip = std::make_shared<bool>(false);
  bench_cmd->add_flag("--roundtrip", *roundtrip, "instead: each construction built beside its export read back, swept alternately (docs/import.md)");
  return {bench_cmd, [names, n, scaling, budget, ranks, model, load_mb, roundtrip, &ctx] {
            EXACTFORMER_REQUIRE((model->empty() && *load_mb == 0) || (names->empty() && ranks->empty() && *scaling == 0 && !*roundtrip),
                                "bench --model / --load take no constructions, --mpi, --scaling or --roundtrip");
            EXACTFORMER_REQUIRE(!*roundtrip || (ranks->empty() && *scaling == 0), "bench --roundtrip takes no --mpi or --scaling");
            EXACTFORMER_REQUIRE(ranks->empty() || *scaling == 0, "bench --mpi takes no --scaling (one is a sweep over ranks, the other over n)");
            EXACTFORMER_REQUIRE(std::isfinite(*budget), "--budget must be a number of seconds in 0.1..3600");
            if (*load_mb) return run_load_bench(*load_mb, ctx);
            if (!model->empty()) return run_model_bench(*model, *n, ctx);
            if (!ranks->empty()) return run_mpi_bench(*names, *n, *ranks, ctx);
            if (names->empty())
              for (const auto& c : ctx.registry.constructions()) names->push_back(c->name());
            if (*scaling) return run_scaling(*names, *scaling, *budget, ctx);
            if (*roundtrip) return run_roundtrip_bench(*names, *n, ctx);
            return run_bench(*names, *n, ctx);
          }};
}

}  // namespace exactformer::cli
