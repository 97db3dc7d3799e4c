// The command line (verify/cli/cli.hpp).
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "checker.hpp"
#include "report.hpp"

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
  int jobs = default_jobs();
  int orders = 2;
  bool gmp_only = false;
  bool witness_only = false;
  std::string json;
};

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
  print_check_table(out, results);
  bool all = true;
  for (const auto& r : results) {
    print_check_details(out, r);
    all = all && r.holds;
  }
  if (!o.json.empty()) write_file_atomically(o.json, checks_to_json(results));
  return all ? 0 : 1;
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
  bool ok = true;
  out << "| n | T (densest) | variant | L | H | d | d_k | d_v | MLP | params | weight bits | d / log2 T | built |\n";
  out << "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|\n";
  for (int n : list) {
    for (const Variant& v : {Variant::hard(), Variant::softmax2()}) {
      const Shape claimed = c.claimed(n, v);
      std::string built_col = "formula only";
      Shape shown = claimed;
      if (n <= build_max) {
        const Built b = c.build(n, v);
        shown = measure(b.model);
        const bool eq = shown == claimed;
        ok = ok && eq;
        built_col = eq ? "measured = claimed" : "MISMATCH: " + describe(claimed) + " claimed";
        if (v.kind == AttentionKind::softmax2) built_col += " (" + b.variant + ")";
      }
      const long t = static_cast<long>(n) + static_cast<long>(n) * (n - 1) / 2 + 1;
      double log2t = 0;
      for (long x = t; x > 1; x >>= 1) log2t += 1;  // floor; refined below
      std::ostringstream ratio;
      ratio << std::fixed << std::setprecision(2) << static_cast<double>(shown.width) / std::log2(static_cast<double>(t));
      out << "| " << n << " | " << t << " | " << (v.kind == AttentionKind::hard ? "hard" : "softmax2") << " | " << shown.layers << " | "
          << shown.heads << " | " << shown.width << " | " << shown.d_k << " | " << shown.d_v << " | " << shown.mlp_depth << "x"
          << shown.mlp_width << " | " << shown.params << " | " << shown.weight_bits << " | " << ratio.str() << " | " << built_col << " |\n";
      (void)log2t;
    }
  }
  return ok ? 0 : 1;
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
  check->add_option("--family-n-max", co.family_n_max, "families (path, cycle, star, clique, ...) up to N vertices")
      ->check(CLI::Range(1, kMaxVertices))->capture_default_str();
  check->add_option("--jobs", co.jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  check->add_option("--edge-orders", co.orders, "edge-token orders per graph (1 = lexicographic only)")->check(CLI::Range(1, 100))->capture_default_str();
  check->add_flag("--gmp-only", co.gmp_only, "evaluate with GMP rationals only (no fast exact path)");
  check->add_flag("--witness-only", co.witness_only, "only search for (and shrink) the witness below the bound");
  check->add_option("--json", co.json, "write results as JSON to FILE");

  std::string bounds_name, bounds_n = "2,4,8,16,32,64,128,256,512,1024,4096,16384,65536";
  int bounds_build_max = 4096;
  auto* bounds = app.add_subcommand("bounds", "claimed vs measured shape of a construction for a list of n");
  bounds->add_option("construction", bounds_name, "construction name")->required();
  bounds->add_option("--n", bounds_n, "comma-separated n and ranges a..b")->capture_default_str();
  bounds->add_option("--build-max", bounds_build_max, "build and measure models up to this n; formula only beyond")
      ->check(CLI::Range(1, 65536))->capture_default_str();

  try {
    app.parse(argc, argv);
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
    if (*bounds) return run_bounds(bounds_name, bounds_n, bounds_build_max, out);
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
