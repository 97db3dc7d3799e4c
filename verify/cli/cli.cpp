// The command line (verify/cli/cli.hpp).
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cmath>
#include <iomanip>
#include <map>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "checker.hpp"
#include "enumerate.hpp"
#include "report.hpp"
#include "trace.hpp"

namespace exactformer {
namespace {

int default_jobs() {
  const unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : static_cast<int>(h);
}

// ---------------------------------------------------------------------------------------------------
// list

void run_list(std::ostream& out) {
  out << "tasks:\n";
  for (const auto& t : all_tasks())
    out << "  " << t.name << " — " << t.summary << " (" << (t.arity == 0 ? "no argument" : t.arity == 1 ? "every vertex" : "every ordered pair")
        << ")\n";
  out << "constructions:\n";
  for (const auto& c : all_constructions()) out << "  " << c->name() << " [" << c->task() << "] — " << c->summary() << "\n";
  out << "checks:\n";
  for (const auto& [c, s] : all_checks()) out << "  " << s.id << " — " << s.statement << "\n";
}

// ---------------------------------------------------------------------------------------------------
// verify

struct VerifyOptions {
  std::string construction;
  int n = 0;
  std::string graphs = "labelled";
  std::string mode = "hard";
  std::optional<int> b;
  int code_bits_offset = 0;
  int jobs = default_jobs();
  int orders = 2;
  bool gmp_only = false;
  std::string json;
};

int run_verify(const VerifyOptions& o, std::ostream& out, std::ostream& err) {
  const Construction& c = find_construction(o.construction);
  Variant v = o.mode == "hard" ? Variant::hard() : Variant::softmax2();
  v.b = o.b;
  v.code_bits_offset = o.code_bits_offset;
  EXACTFORMER_REQUIRE(!o.b || o.mode == "softmax2", "--b needs --mode softmax2");
  const Built built = c.build(o.n, v);
  RunOptions ro;
  ro.jobs = o.jobs;
  ro.edge_orders = o.orders;
  ro.fast_path = !o.gmp_only;

  std::unique_ptr<GraphSource> source;
  std::ifstream file;
  if (o.graphs == "labelled") {
    EXACTFORMER_REQUIRE(o.n <= 11, "--graphs labelled needs --n <= 11 (2^55 graphs at n = 11)");
    source = labelled_source(1, o.n);
  } else if (o.graphs == "-") {
    source = graph6_source(std::cin, "graph6 from stdin (one labelling per line as given)", o.n);
  } else {
    file.open(o.graphs);
    EXACTFORMER_REQUIRE(file.good(), "cannot read graph file " + o.graphs);
    source = graph6_source(file, "graph6 from " + o.graphs + " (one labelling per line as given)", o.n);
  }
  const auto start = std::chrono::steady_clock::now();
  RunStats s = run_sweep(c, built, o.n, *source, ro);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::optional<Counterexample> shrunk;
  if (s.failure) shrunk = shrink(c, built, *s.failure);
  const Shape measured = measure(built.model), claimed = c.claimed(o.n, v);
  const auto diff = shape_differences(measured, claimed);

  out << c.name() << " [" << built.variant << "] built for n <= " << o.n << ": " << describe(measured) << "\n";
  out << "coverage: " << source->describe() << "\n";
  out << "graphs " << s.graphs << ", (graph, query) pairs " << s.queries << ", forward passes " << s.evaluations
      << " (edge orders per graph: " << (c.order_invariant() ? o.orders : 1) << "), int64 overflows " << s.fallbacks << " (of which int128 " << s.gmp_fallbacks << ")"
      << ", max activation bits " << s.max_activation_bits << ", " << std::fixed << std::setprecision(2) << secs << " s\n";
  for (const auto& d : diff) out << "shape mismatch: " << d << "\n";
  if (s.failure) {
    out << "COUNTEREXAMPLE " << s.failure->describe() << "\n";
    if (shrunk) out << "shrunk: " << shrunk->describe() << "\n";
  }
  const bool ok = !s.failure && diff.empty();
  out << (ok ? "HOLDS" : "FAILS") << "\n";
  if (!o.json.empty()) {
    std::ostringstream j;
    j << "{\"format\": \"exactformer-verify/1\", \"construction\": " << json_string(c.name()) << ", \"variant\": "
      << json_string(built.variant) << ", \"n\": " << o.n << ", \"coverage\": " << json_string(source->describe())
      << ", \"holds\": " << (ok ? "true" : "false") << ", \"graphs\": " << s.graphs << ", \"queries\": " << s.queries
      << ", \"evaluations\": " << s.evaluations << ", \"int64_overflows\": " << s.fallbacks << ", \"int128_overflows\": " << s.gmp_fallbacks << ", \"seconds\": " << secs
      << ", \"measured\": " << shape_json(measured) << ", \"claimed\": " << shape_json(claimed) << ", \"counterexample\": "
      << (s.failure ? json_string(s.failure->describe()) : "null") << "}\n";
    write_file_atomically(o.json, j.str());
  }
  (void)err;
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------------
// check

struct CheckCliOptions {
  std::vector<std::string> ids;
  bool all = false;
  int n_max = 6;
  int family_n_max = 16;
  bool family_n_max_given = false;  // given: exactly that; default: 16, or more where a check asks for it
  int jobs = default_jobs();
  int orders = 2;
  bool gmp_only = false;
  bool witness_only = false;
  std::string json;
};

// The table, every failure's details, the JSON file; 0 iff every check holds.
int report_checks(const std::vector<CheckResult>& results, const std::string& json, std::ostream& out) {
  print_check_table(out, results);
  bool all = true;
  for (const auto& r : results) {
    print_check_details(out, r);
    all = all && r.holds;
  }
  if (!json.empty()) write_file_atomically(json, checks_to_json(results));
  return all ? 0 : 1;
}

int run_checks(const CheckCliOptions& o, std::ostream& out, std::ostream& err) {
  const auto checks = all_checks();
  std::vector<std::pair<const Construction*, CheckSpec>> selected;
  EXACTFORMER_REQUIRE(o.all != !o.ids.empty(), "name the checks to run, or pass --all (see `exactformer list`)");
  if (o.all) {
    selected = checks;
  } else {
    for (const auto& id : o.ids) {
      bool found = false;
      for (const auto& cs : checks)
        if (cs.second.id == id) {
          selected.push_back(cs);
          found = true;
        }
      EXACTFORMER_REQUIRE(found, "unknown check \"" + id + "\" (see `exactformer list`)");
    }
  }
  CheckOptions co;
  co.n_max = o.n_max;
  co.family_n_max = std::max(o.family_n_max, o.n_max);
  co.spec_families = !o.family_n_max_given;
  co.run.jobs = o.jobs;
  co.run.edge_orders = o.orders;
  co.run.fast_path = !o.gmp_only;
  co.witness_only = o.witness_only;
  std::vector<CheckResult> results;
  for (const auto& [c, spec] : selected) {
    results.push_back(run_check(*c, spec, co));
    err << spec.id << ": " << (results.back().holds ? "holds" : "FAILS") << " (" << std::fixed << std::setprecision(1)
        << results.back().seconds << " s)\n";
  }
  return report_checks(results, o.json, out);
}

// ---------------------------------------------------------------------------------------------------
// bounds

std::vector<int> parse_n_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto dots = item.find("..");
    try {
      if (dots == std::string::npos) {
        out.push_back(std::stoi(item));
      } else {
        const int a = std::stoi(item.substr(0, dots)), b = std::stoi(item.substr(dots + 2));
        EXACTFORMER_REQUIRE(a <= b && b - a <= 100000, "bad range " + item);
        for (int n = a; n <= b; ++n) out.push_back(n);
      }
    } catch (const std::logic_error&) {
      throw usage_error("--n: not a number or range: \"" + item + "\"");
    }
  }
  for (int n : out) EXACTFORMER_REQUIRE(n >= 1 && n <= 65536, "--n: " + std::to_string(n) + " is outside 1..65536");
  return out;
}

int run_bounds(const std::string& name, const std::string& ns, int build_max, std::ostream& out) {
  const Construction& c = find_construction(name);
  const std::vector<int> list = parse_n_list(ns);
  const int built_up_to = std::min(build_max, c.max_build_n());
  bool ok = true;
  out << "Construction `" << c.name() << "` — claimed regime: " << c.regime() << ".\n";
  out << "T = n + n(n-1)/2 + 1 (the densest graph's sequence length). Built and measured for n <= " << built_up_to
      << "; beyond, the claimed formula only.\n\n";
  out << "| n | T | mode | L | H | d | d_k | d_v | MLP | params | weight bits | L / log2 T | d / log2 T | d / sqrt T | built |\n";
  out << "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|\n";
  for (int n : list) {
    for (const Variant& v : c.modes()) {
      const Shape claimed = c.claimed(n, v);
      std::string built_col = "formula only";
      Shape shown = claimed;
      if (n <= built_up_to) {
        const Built b = c.build(n, v);
        shown = measure(b.model);
        const bool eq = shown == claimed;
        ok = ok && eq;
        built_col = eq ? "measured = claimed" : "**MISMATCH** (claimed " + describe(claimed) + ")";
        if (v.kind == AttentionKind::softmax2) built_col += ", " + b.variant;
      }
      const double t = static_cast<double>(n) + static_cast<double>(n) * (n - 1) / 2 + 1;
      const auto fixed2 = [](double x) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(2) << x;
        return o.str();
      };
      const double lg = std::max(1.0, std::log2(t));
      out << "| " << n << " | " << static_cast<long>(t) << " | " << (v.kind == AttentionKind::hard ? "hard" : "softmax2") << " | "
          << shown.layers << " | " << shown.heads << " | " << shown.width << " | " << shown.d_k << " | " << shown.d_v << " | "
          << shown.mlp_depth << "x" << shown.mlp_width << " | " << shown.params << " | " << shown.weight_bits << " | "
          << fixed2(shown.layers / lg) << " | " << fixed2(shown.width / lg) << " | " << fixed2(shown.width / std::sqrt(t)) << " | "
          << built_col << " |\n";
    }
  }
  return ok ? 0 : 1;
}

// Several constructions of one task side by side: depth and width per n (measured where built).
int run_compare(const std::vector<std::string>& names, const std::string& ns, int build_max, std::ostream& out) {
  const std::vector<int> list = parse_n_list(ns);
  bool ok = true;
  out << "T = n + n(n-1)/2 + 1 (the densest graph's sequence length); `hard` mode. Built and measured up to each construction's "
         "build limit (and n <= " << build_max << "); beyond, the claimed formula.\n\n";
  out << "| n | T | construction | regime | L | d | H | L / log2 T | d / sqrt T | built |\n|---:|---:|---|---|---:|---:|---:|---:|---:|---|\n";
  for (int n : list)
    for (const auto& name : names) {
      const Construction& c = find_construction(name);
      const Shape claimed = c.claimed(n, Variant::hard());
      Shape shown = claimed;
      std::string built_col = "formula only";
      if (n <= std::min(build_max, c.max_build_n())) {
        shown = measure(c.build(n, Variant::hard()).model);
        const bool eq = shown == claimed;
        ok = ok && eq;
        built_col = eq ? "measured = claimed" : "**MISMATCH** (claimed " + describe(claimed) + ")";
      }
      const double t = static_cast<double>(n) + static_cast<double>(n) * (n - 1) / 2 + 1;
      std::ostringstream row;
      row << std::fixed << std::setprecision(2) << "| " << n << " | " << static_cast<long>(t) << " | `" << c.name() << "` | " << c.regime()
          << " | " << shown.layers << " | " << shown.width << " | " << shown.heads << " | " << shown.layers / std::max(1.0, std::log2(t))
          << " | " << shown.width / std::sqrt(t) << " | " << built_col << " |\n";
      out << row.str();
    }
  return ok ? 0 : 1;
}

// Width and depth of several constructions against n, one line each (claimed formula), drawn by gnuplot.
bool write_compare_plot(const std::string& title, const std::vector<std::string>& names, const std::string& dir, std::ostream& err) {
  const std::string data = dir + "/" + title + ".dat", script = dir + "/" + title + ".gp";
  std::ostringstream d;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const Construction& c = find_construction(names[i]);
    d << (i ? "\n\n" : "") << "# " << c.name() << ": n claimed_L claimed_d\n";
    for (long n = 2; n <= 65536; n *= 2) {
      const Shape s = c.claimed(static_cast<int>(n), Variant::hard());
      d << n << " " << s.layers << " " << s.width << "\n";
    }
  }
  write_file_atomically(data, d.str());
  std::ostringstream g;
  g << "set terminal svg size 900,380 dynamic noenhanced font 'sans,11'\nset output '" << dir << "/" << title << ".svg'\n"
    << "set logscale x 2\nset logscale y 2\nset key left top\nset grid\n"
    << "set xlabel 'n (vertices)'\nset multiplot layout 1,2 title '" << title << ": claimed formulas (measured = claimed where built)'\n";
  for (const char* what : {"width", "depth"}) {
    g << "set ylabel '" << (std::string(what) == "width" ? "residual width d" : "layers L") << "'\nplot ";
    for (std::size_t i = 0; i < names.size(); ++i)
      g << (i ? ", " : "") << "'" << data << "' index " << i << " using 1:" << (std::string(what) == "width" ? 3 : 2)
        << " with linespoints lw 2 pt 7 ps 0.8 title '" << names[i] << "'";
    g << "\n";
  }
  g << "unset multiplot\n";
  write_file_atomically(script, g.str());
  const int rc = std::system(("gnuplot '" + script + "' 2>/dev/null").c_str());
  std::remove(script.c_str());
  std::remove(data.c_str());
  if (rc != 0) err << "exactformer: note: gnuplot not available, no plot for " << title << "\n";
  return rc == 0;
}

// ---------------------------------------------------------------------------------------------------
// bench

int run_bench(const std::vector<std::string>& names, int n, std::ostream& out) {
  const std::vector<Graph> graphs = labelled_graphs(1, n);
  out << "Stream: every labelled graph with 1 <= n <= " << n << " (" << graphs.size()
      << " graphs) x every query, lexicographic edge order; one thread; each path reuses per-graph work the same way.\n"
      << "(a) double, (b) fast exact (int64 -> int128 -> GMP), (c) GMP rationals only. Ratios are throughput relative to (a).\n\n"
      << "| construction | mode | pairs | (a) double µs/pair | (b) fast exact µs/pair | (c) GMP µs/pair | b/a | c/a | int64 overflows | of which int128 | double wrong |\n"
      << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& name : names) {
    const Construction& c = find_construction(name);
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
          << " | " << r.int64_overflows << " | " << r.int128_overflows << " | " << r.double_disagreements << " |\n";
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// docs

// The commit the binary was built from (git describe at configure time; "-dirty" if the tree had changes).
std::string git_commit() { return EXACTFORMER_GIT_COMMIT; }

// Width and depth against n (log-log), measured points over the claimed formula, drawn by gnuplot.
bool write_plot(const Construction& c, const std::string& dir, std::ostream& err) {
  const std::string data = dir + "/" + c.name() + ".dat", script = dir + "/" + c.name() + ".gp";
  // Block 0: the claimed formula at every n; block 1: the models built and measured.
  std::ostringstream d;
  d << "# n claimed_L claimed_d\n";
  for (long n = 2; n <= 65536; n *= 2) {
    const Shape claimed = c.claimed(static_cast<int>(n), Variant::hard());
    d << n << " " << claimed.layers << " " << claimed.width << "\n";
  }
  d << "\n\n# n measured_L measured_d\n";
  for (long n = 2; n <= std::min(64, c.max_build_n()); n *= 2) {
    const Shape m = measure(c.build(static_cast<int>(n), Variant::hard()).model);
    d << n << " " << m.layers << " " << m.width << "\n";
  }
  write_file_atomically(data, d.str());
  std::ostringstream g;
  g << "set terminal svg size 900,380 dynamic noenhanced font 'sans,11'\nset output '" << dir << "/" << c.name() << ".svg'\n"
    << "set logscale x 2\nset logscale y 2\nset key left top\nset grid\n"
    << "set xlabel 'n (vertices)'\nset multiplot layout 1,2 title '" << c.name() << ": claimed formula (line), built and measured (points)'\n"
    << "set ylabel 'residual width d'\nplot '" << data << "' index 0 using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'claimed d (formula)', '' index 1 using 1:3 with linespoints lw 2 dt 2 pt 7 ps 1.3 lc rgb '#d62728' title 'measured d (built)'\n"
    << "set ylabel 'layers L'\nplot '" << data << "' index 0 using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'claimed L (formula)', '' index 1 using 1:2 with linespoints lw 2 dt 2 pt 7 ps 1.3 lc rgb '#d62728' title 'measured L (built)'\n"
    << "unset multiplot\n";
  write_file_atomically(script, g.str());
  const int rc = std::system(("gnuplot '" + script + "' 2>/dev/null").c_str());
  std::remove(script.c_str());
  std::remove(data.c_str());
  if (rc != 0) err << "exactformer: note: gnuplot not available, no plot for " << c.name() << "\n";
  return rc == 0;
}

int run_docs(const CheckCliOptions& o, const std::string& dir, std::ostream& out, std::ostream& err) {
  CheckOptions co;
  co.n_max = o.n_max;
  co.family_n_max = std::max(o.family_n_max, o.n_max);
  co.spec_families = !o.family_n_max_given;
  co.run.jobs = o.jobs;
  co.run.edge_orders = o.orders;
  std::vector<CheckResult> results;
  for (const auto& [c, spec] : all_checks()) {
    if (spec.id.rfind("test.", 0) == 0) continue;
    results.push_back(run_check(*c, spec, co));
    err << spec.id << ": " << (results.back().holds ? "holds" : "FAILS") << " (" << std::fixed << std::setprecision(1)
        << results.back().seconds << " s)\n";
  }
  const std::string commit = git_commit();
  const std::string command = "exactformer docs --out " + dir + " --n-max " + std::to_string(o.n_max) +
                              (o.family_n_max_given ? " --family-n-max " + std::to_string(co.family_n_max) : "");
  const auto header = [&](const std::string& title) {
    return "# " + title + "\n\nGenerated by `" + command + "` (run by `scripts/run`) at commit `" + commit +
           "`. Do not edit by hand.\n\n";
  };
  std::ostringstream summary;
  summary << header("Checks") << "Every labelled graph with 1 ≤ n ≤ " << o.n_max
          << " × every query, each graph in " << o.orders << " edge-token orders (order-invariant constructions), in every listed mode; "
          << "then the families. A check holds when every variant is right on every graph and query, the measured shape equals the "
          << "claimed formula, and the variant one step below the bound fails on a graph the checker finds (shown shrunk).\n\n";
  print_summary_markdown(summary, results);
  summary << "\n## Bounds tables and plots\n\n";
  for (const auto& c : all_constructions()) {
    if (c->name().rfind("test_", 0) == 0) continue;
    summary << "- [`" << c->name() << "`](bounds/" << c->name() << ".md) — " << c->regime() << " — ![" << c->name() << "](bounds/"
            << c->name() << ".svg)\n";
  }
  // Tasks with more than one construction: one table and plot side by side.
  std::map<std::string, std::vector<std::string>> by_task;
  for (const auto& c : all_constructions())
    if (c->name().rfind("test_", 0) != 0) by_task[c->task()].push_back(c->name());
  summary << "\n## Constructions of one task side by side\n\n";
  for (const auto& [task, names] : by_task)
    if (names.size() > 1) summary << "- [" << task << "](bounds/" << task << ".md) — ![" << task << "](bounds/" << task << ".svg)\n";
  std::filesystem::create_directories(dir + "/bounds");
  for (const auto& [task, names] : by_task) {
    if (names.size() < 2) continue;
    std::ostringstream b;
    b << header("Bounds side by side: " + task);
    std::string rest;
    for (std::size_t i = 1; i < names.size(); ++i) rest += (i > 1 ? " " : "") + names[i];
    const std::string ns = "2,3,4,5,8,9,16,17,32,33,64,128,256,512,1024,4096,16384,65536";
    b << "Command: `exactformer bounds " << names[0] << " --compare " << rest << " --n " << ns << "`.\n\n";
    run_compare(names, ns, 4096, b);
    write_file_atomically(dir + "/bounds/" + task + ".md", b.str());
    write_compare_plot(task, names, dir + "/bounds", err);
  }
  write_file_atomically(dir + "/checks.md", summary.str());
  for (const auto& c : all_constructions()) {
    if (c->name().rfind("test_", 0) == 0) continue;
    std::ostringstream b;
    b << header("Bounds: " + c->name());
    b << "Command: `exactformer bounds " << c->name() << "`.\n\n";
    run_bounds(c->name(), "2,3,4,5,8,9,16,17,32,33,64,128,256,512,1024,4096,16384,65536", 4096, b);
    write_file_atomically(dir + "/bounds/" + c->name() + ".md", b.str());
    write_plot(*c, dir + "/bounds", err);
  }
  const int rc = report_checks(results, o.json, out);
  out << "wrote " << dir << "/checks.md and " << dir << "/bounds/*.md, *.svg\n";
  return rc;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"exactformer: hand-built transformers for graph tasks, run in exact rational arithmetic and checked\n"
               "against ground-truth solvers on every small graph and every query."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");

  auto* list = app.add_subcommand("list", "list tasks, constructions and checks");

  VerifyOptions vo;
  auto* verify = app.add_subcommand("verify", "run one construction on every graph of a stream and every query");
  verify->add_option("construction", vo.construction, "construction name (see `list`)")->required();
  verify->add_option("--n", vo.n, "build the model for graphs with at most N vertices")->required()->check(CLI::Range(1, kMaxVertices));
  verify->add_option("--graphs", vo.graphs, "labelled (every labelled graph with 1..N vertices), a graph6 FILE, or - for stdin")
      ->capture_default_str();
  verify->add_option("--mode", vo.mode, "attention mode")->check(CLI::IsMember({"hard", "softmax2"}))->capture_default_str();
  verify->add_option("--b", vo.b, "softmax2 base-2 inverse temperature (default: the construction's proven b(n))")->check(CLI::Range(0, 1000));
  verify->add_option("--code-bits-offset", vo.code_bits_offset, "build with k(n) + OFFSET code bits (e.g. -1: one below the bound)")
      ->check(CLI::Range(-64, 64));
  verify->add_option("--jobs", vo.jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  verify->add_option("--edge-orders", vo.orders, "edge-token orders per graph for order-invariant constructions (1 = as given)")
      ->check(CLI::Range(1, 100))->capture_default_str();
  verify->add_flag("--gmp-only", vo.gmp_only, "evaluate with GMP rationals only (no fast exact path)");
  verify->add_option("--json", vo.json, "write the result as JSON to FILE");

  CheckCliOptions co;
  auto* check = app.add_subcommand("check", "run named checks (or --all): exhaustive sweeps, shapes, tightness witnesses");
  check->add_option("ids", co.ids, "check ids (see `list`)");
  check->add_flag("--all", co.all, "run every check");
  check->add_option("--n-max", co.n_max, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 9))->capture_default_str();
  check->add_option("--family-n-max", co.family_n_max,
                    "families (path, cycle, star, clique, ...) up to N vertices (default 16, or a check's own larger default)")
      ->check(CLI::Range(1, kMaxVertices))->capture_default_str();
  check->add_option("--jobs", co.jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  check->add_option("--edge-orders", co.orders, "edge-token orders per graph (1 = lexicographic only)")->check(CLI::Range(1, 100))->capture_default_str();
  check->add_flag("--gmp-only", co.gmp_only, "evaluate with GMP rationals only (no fast exact path)");
  check->add_flag("--witness-only", co.witness_only, "only search for (and shrink) the witness below the bound");
  check->add_option("--json", co.json, "write results as JSON to FILE");

  std::string bounds_name, bounds_n = "2,4,8,16,32,64,128,256,512,1024,4096,16384,65536";
  int bounds_build_max = 4096;
  auto* bounds = app.add_subcommand("bounds", "claimed vs measured shape of a construction for a list of n");
  std::vector<std::string> bounds_compare;
  bounds->add_option("construction", bounds_name, "construction name")->required();
  bounds->add_option("--compare", bounds_compare, "other constructions: one table of depth and width side by side");
  bounds->add_option("--n", bounds_n, "comma-separated n and ranges a..b")->capture_default_str();
  bounds->add_option("--build-max", bounds_build_max, "build and measure models up to this n; formula only beyond")
      ->check(CLI::Range(1, 65536))->capture_default_str();

  std::string trace_name, trace_graph, trace_query, trace_mode = "hard", trace_json, trace_svg;
  int trace_n = 0;
  bool trace_all_rows = false;
  auto* trace = app.add_subcommand("trace", "one forward pass slot by slot: tokens, every sublayer's residual, decoder vs truth");
  trace->add_option("construction", trace_name, "construction name")->required();
  trace->add_option("--n", trace_n, "build the model for graphs with at most N vertices")->required()->check(CLI::Range(1, kMaxVertices));
  trace->add_option("--graph6", trace_graph, "the graph, in graph6")->required();
  trace->add_option("--query", trace_query, "the task token's vertices, e.g. 0,3 (default: the task's first query)");
  trace->add_option("--mode", trace_mode, "attention mode")->check(CLI::IsMember({"hard", "softmax2"}))->capture_default_str();
  trace->add_flag("--all-rows", trace_all_rows, "print every row, not only the readout row");
  trace->add_option("--json", trace_json, "write the exactformer-trace/1 JSON to FILE");
  trace->add_option("--svg", trace_svg, "write a heatmap of the residual stream (one panel per sublayer) to FILE");

  std::vector<std::string> bench_names;
  int bench_n = 5;
  auto* bench_cmd = app.add_subcommand("bench", "throughput of the double, fast exact and GMP paths on one stream, side by side");
  bench_cmd->add_option("constructions", bench_names, "constructions (default: all)");
  bench_cmd->add_option("--n", bench_n, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 7))->capture_default_str();

  CheckCliOptions docs_opt;
  std::string docs_dir = "docs/results";
  auto* docs = app.add_subcommand("docs", "run every check and regenerate docs/results (tables, bounds, plots)");
  docs->add_option("--out", docs_dir, "output directory")->capture_default_str();
  docs->add_option("--n-max", docs_opt.n_max, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 9))->capture_default_str();
  docs->add_option("--family-n-max", docs_opt.family_n_max, "families up to N vertices")->check(CLI::Range(1, kMaxVertices))->capture_default_str();
  docs->add_option("--jobs", docs_opt.jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  docs->add_option("--json", docs_opt.json, "also write results as JSON to FILE");

  try {
    app.parse(argc, argv);
    co.family_n_max_given = check->count("--family-n-max") > 0;
    docs_opt.family_n_max_given = docs->count("--family-n-max") > 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& ch : what)
      if (ch == '\n') ch = ' ';
    err << "exactformer: error: " << what << "\n";
    return 2;
  }
  try {
    if (*list) {
      run_list(out);
      return 0;
    }
    if (*verify) return run_verify(vo, out, err);
    if (*check) return run_checks(co, out, err);
    if (*bounds && !bounds_compare.empty()) {
      std::vector<std::string> names{bounds_name};
      names.insert(names.end(), bounds_compare.begin(), bounds_compare.end());
      return run_compare(names, bounds_n, bounds_build_max, out);
    }
    if (*bounds) return run_bounds(bounds_name, bounds_n, bounds_build_max, out);
    if (*docs) return run_docs(docs_opt, docs_dir, out, err);
    if (*trace) {
      const Construction& c = find_construction(trace_name);
      const Graph g = from_graph6(trace_graph);
      EXACTFORMER_REQUIRE(g.n() >= 1 && g.n() <= trace_n, "the graph has " + std::to_string(g.n()) + " vertices; --n is " + std::to_string(trace_n));
      const Task& task = find_task(c.task());
      Query query = all_queries(task, g.n()).front();
      if (!trace_query.empty()) {
        query.args.clear();
        std::stringstream in(trace_query);
        std::string item;
        while (std::getline(in, item, ',')) {
          try {
            query.args.push_back(std::stoi(item));
          } catch (const std::logic_error&) {
            throw usage_error("--query: not a vertex: \"" + item + "\"");
          }
        }
      }
      EXACTFORMER_REQUIRE(static_cast<int>(query.args.size()) == task.arity,
                          "--query: " + c.task() + " takes " + std::to_string(task.arity) + " vertices");
      for (int a : query.args) EXACTFORMER_REQUIRE(a >= 0 && a < g.n(), "--query: vertex " + std::to_string(a) + " is not in the graph");
      const Built built = c.build(trace_n, trace_mode == "hard" ? Variant::hard() : Variant::softmax2());
      const Trace t = make_trace(c, built, trace_n, g, query);
      print_trace(out, t, trace_all_rows);
      if (!trace_json.empty()) write_file_atomically(trace_json, trace_to_json(t));
      if (!trace_svg.empty()) write_file_atomically(trace_svg, trace_to_svg(t));
      return t.answer == t.truth ? 0 : 1;
    }
    if (*bench_cmd) {
      if (bench_names.empty())
        for (const auto& c : all_constructions())
          if (c->name().rfind("test_", 0) != 0) bench_names.push_back(c->name());
      return run_bench(bench_names, bench_n, out);
    }
    return 2;
  } catch (const usage_error& e) {
    err << "exactformer: error: " << e.what() << "\n";
    return 2;
  } catch (const internal_error& e) {
    err << "exactformer: internal error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    err << "exactformer: internal error: " << e.what() << "\n";
    return 3;
  }
}

}  // namespace exactformer
