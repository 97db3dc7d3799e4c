// exactformer bench: the double, fast exact and GMP paths on one stream, side by side.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "bench.hpp"
#include "cli/commands.hpp"
#include "enumerate.hpp"
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
int run_mpi_bench(const std::vector<std::string>& names, int n, const std::vector<int>& ranks, const Context& ctx) {
  EXACTFORMER_REQUIRE(names.size() == 1, "bench --mpi times one construction or check (got " + std::to_string(names.size()) + ")");
  const std::string& name = names[0];
  bool is_check = false;
  for (const auto& cs : ctx.registry.checks()) is_check = is_check || cs.second.id == name;
  if (!is_check) ctx.registry.find(name);  // a usage error before anything starts
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
  return {bench_cmd, [names, n, scaling, budget, ranks, &ctx] {
            if (!ranks->empty()) return run_mpi_bench(*names, *n, *ranks, ctx);
            if (names->empty())
              for (const auto& c : ctx.registry.constructions()) names->push_back(c->name());
            if (*scaling) return run_scaling(*names, *scaling, *budget, ctx);
            return run_bench(*names, *n, ctx);
          }};
}

}  // namespace exactformer::cli
