// exactformer bench: the double, fast exact and GMP paths on one stream, side by side.
#include <iomanip>
#include <sstream>

#include "bench.hpp"
#include "cli/commands.hpp"
#include "enumerate.hpp"

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

}  // namespace

Command add_bench(CLI::App& app, const Context& ctx) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto n = std::make_shared<int>(5);
  auto* bench_cmd = app.add_subcommand("bench", "throughput of the double, fast exact and GMP paths on one stream, side by side");
  bench_cmd->add_option("constructions", *names, "constructions (default: all)");
  bench_cmd->add_option("--n", *n, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 7))->capture_default_str();
  return {bench_cmd, [names, n, &ctx] {
            if (names->empty())
              for (const auto& c : ctx.registry.constructions()) names->push_back(c->name());
            return run_bench(*names, *n, ctx);
          }};
}

}  // namespace exactformer::cli
