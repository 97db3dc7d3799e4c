// exactformer verify: one construction over every graph of a stream and every query.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/verify_model.hpp"
#include "imported/exported.hpp"
#include "report.hpp"

namespace exactformer::cli {
namespace {

struct VerifyOptions {
  std::string construction;
  int n = 0;
  std::string graphs = "labelled";
  ModeOptions mode;
  int code_bits_offset = 0;
  int jobs = default_jobs();
  int orders = 2;
  bool gmp_only = false;
  std::string json;
  std::string answers;
  StateOptions resume;
  long queries = 0;
  long query_seed = 1;
  bool allow_empty = false;
  bool quiet = false;
  std::string model;  // --model DIR: an imported model instead of a construction (verify_model.cpp)
  std::string task;
  std::string edge_orders;
  std::string enclosures;
};

int run_verify(VerifyOptions o, const Context& ctx) {
  std::ostringstream out;  // the report, printed once every output is in place
  std::optional<LoadedExport> exported;  // --model DIR holding an exactformer export: run as its construction
  if (!o.model.empty()) {
    EXACTFORMER_REQUIRE(o.construction.empty(), "give a construction or --model DIR, not both");
    if (is_exactformer_export(o.model)) {
      EXACTFORMER_REQUIRE(o.task.empty() && o.enclosures.empty() && o.mode.mode == "hard" && !o.mode.b && o.mode.beta.empty() && o.code_bits_offset == 0,
                          "--model " + quote_input(o.model) + " is an exactformer export, one variant of its construction: "
                          "--task, --enclosures, --mode, --b, --beta and --code-bits-offset do not apply");
      exported = load_exported(o.model);
    } else {
      EXACTFORMER_REQUIRE(o.answers.empty() && !o.gmp_only && o.mode.mode == "hard" && o.code_bits_offset == 0,
                          "--model takes --task, --n, --graphs, --edge-orders, --queries, --query-seed, --max-bits, --jobs, --json, "
                          "--state, --shard-graphs, --quiet");
      const VerifyModelOptions m{.model = o.model, .task = o.task, .graphs = o.graphs, .edge_orders = o.edge_orders, .json = o.json,
                                 .enclosures = o.enclosures, .n = o.n, .jobs = o.jobs, .max_bits = o.mode.max_bits, .queries = o.queries,
                                 .query_seed = o.query_seed, .quiet = o.quiet, .resume = o.resume};
      return run_verify_model(m, ctx);
    }
  }
  EXACTFORMER_REQUIRE(exported || !o.construction.empty(), "verify: give a construction (see `list`) or --model DIR");
  EXACTFORMER_REQUIRE(o.task.empty(), "--task is for --model (a construction has its own task)");
  EXACTFORMER_REQUIRE(o.enclosures.empty(), "--enclosures is for --model (a construction has `trace`)");
  if (!o.edge_orders.empty()) {
    EXACTFORMER_REQUIRE(o.edge_orders.find_first_not_of("0123456789") == std::string::npos && o.edge_orders.size() <= 3 &&
                            std::stoi(o.edge_orders) >= 1 && std::stoi(o.edge_orders) <= 100,
                        "--edge-orders " + quote_input(o.edge_orders) + ": a construction takes a count 1..100 (prompt, shuffled:K, all: with --model)");
    o.orders = std::stoi(o.edge_orders);
  }
  const Construction& c = exported ? *exported->construction : ctx.registry.find(o.construction);
  EXACTFORMER_REQUIRE(o.code_bits_offset == 0 || c.has_code_bits(),
                      "--code-bits-offset: " + c.name() + " has no vertex codes (only edge_existence and node_degree do)");
  Variant v = o.mode.variant();
  v.code_bits_offset = o.code_bits_offset;
  EXACTFORMER_REQUIRE(o.resume.state.empty() || o.answers.empty(), "--answers is not resumable: give --state or --answers, not both");
  EXACTFORMER_REQUIRE(o.answers.empty() || mpi_world().size <= 1, "--answers is written by one process: run it without mpirun");
  OutputFiles outputs(mpi_world().rank == 0);
  if (exported) outputs.input(exported->file, "--model");
  if (is_graph_file(o.graphs)) outputs.input(o.graphs, "--graphs");
  if (!o.json.empty()) outputs.file(o.json, "--json");
  if (!o.answers.empty()) outputs.file(o.answers, "--answers");
  o.resume.declare(outputs);
  require_memory_to_build(c, o.n, v);
  const Built built = c.build(o.n, v);
  RunOptions ro;
  ro.jobs = o.jobs;
  ro.edge_orders = o.orders;
  ro.fast_path = !o.gmp_only;
  ro.max_rung = o.mode.max_rung();
  ro.queries_per_graph = static_cast<std::uint64_t>(o.queries);
  ro.query_seed = static_cast<std::uint64_t>(o.query_seed);
  const Task& task = find_task(c.task());
  EXACTFORMER_REQUIRE(o.queries > 0 || query_count(task, o.n) <= 1000000,
                      "--n " + std::to_string(o.n) + ": " + std::to_string(query_count(task, o.n)) +
                          " queries per graph; sample them with --queries K");
  const std::unique_ptr<Progress> progress = progress_meter(ctx, o.quiet);
  ro.progress = progress.get();
  std::string answers;  // JSONL: one line per graph and query
  if (!o.answers.empty()) {
    ro.stop_at_first = false;
    ro.answers = [&answers](const Graph& g, const std::vector<Query>& queries, const std::vector<Answer>& got, const std::vector<long>& truth) {
      const std::string g6 = to_graph6(g);
      for (std::size_t i = 0; i < got.size(); ++i) {
        Json line{{"graph6", g6}, {"query", queries[i].args}, {"answer", got[i].value ? Json(*got[i].value) : Json()}, {"truth", truth[i]}};
        if (got[i].certified) line["certified"] = got[i].certificate(truth[i]);
        answers += line.dump() + "\n";
      }
    };
  }

  std::ifstream file;
  const std::unique_ptr<GraphSource> source = open_graph_source(o.graphs, o.n, 11, file);
  const std::string fingerprint =
      "verify " + c.name() + (exported ? " --model " + o.model + " (" + std::to_string(std::filesystem::file_size(exported->file)) + " bytes)" : std::string()) + " --n " + std::to_string(o.n) + " [" + built.variant + "] --graphs " + o.graphs +
      (!is_graph_file(o.graphs) ? "" : " (" + std::to_string(std::filesystem::file_size(o.graphs)) + " bytes)") +
      " --edge-orders " + std::to_string(o.orders) + " --queries " + std::to_string(o.queries) + " --query-seed " +
      std::to_string(o.query_seed) + (o.gmp_only ? " --gmp-only" : "") + " --max-bits " + std::to_string(kRungBits[ro.max_rung]);
  const auto start = std::chrono::steady_clock::now();
  Resumable resumable(o.resume, fingerprint, ro);
  const RunStats s = resumable.run([&] { return run_sweep(c, built, o.n, *source, ro); }, ctx.err);
  if (mpi_world().rank != 0) return 0;  // an MPI worker: rank 0 reports
  EXACTFORMER_REQUIRE(s.graphs > 0 || o.allow_empty, "no graphs read from " + source->describe() + " (--allow-empty accepts that)");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::optional<Counterexample> shrunk;
  if (s.failure) shrunk = shrink(c, built, *s.failure);
  const Shape measured = measure(built.model), claimed = c.claimed(o.n, v);
  const auto diff = shape_differences(measured, claimed);

  if (exported)
    out << c.name() << " [" << built.variant << "] read from " << exported->file << " (" << exported->format << "), built for n <= " << exported->n
        << ", checked on graphs with n <= " << o.n << ": " << describe(measured) << "\n";
  else
    out << c.name() << " [" << built.variant << "] built for n <= " << o.n << ": " << describe(measured) << "\n";
  out << "coverage: " << source->describe() << "\n";
  out << "graphs " << s.graphs << ", (graph, query) pairs " << s.queries << ", forward passes " << s.evaluations
      << " (edge orders per graph: " << (c.order_invariant() ? o.orders : 1) << "), int64 overflows " << s.int64_overflows << " (of which int128 " << s.int128_overflows << ")"
      << ", max activation bits " << s.max_activation_bits << ", " << std::fixed << std::setprecision(2) << secs << " s\n";
  if (s.certified > 0) {
    out << "certified path (natural softmax, or softmax2 off its integrality invariant): " << s.certified << " forward passes";
    if (s.integrality_broken > 0) out << ", of which " << s.integrality_broken << " because b*score was not an integer (the construction's invariant broke)";
    out << "; undetermined at " << kRungBits[ro.max_rung] << " bits: " << s.undetermined;
    if (s.min_margin) out << "; smallest decision margin " << approx(*s.min_margin);
    out << "\n";
  }
  for (const auto& d : diff) out << "shape mismatch: " << d << "\n";
  if (s.failure) {
    out << "COUNTEREXAMPLE " << s.failure->describe() << "\n";
    if (shrunk) out << "shrunk: " << shrunk->describe() << "\n";
  }
  if (s.first_undetermined) out << "first undetermined (not a counterexample): " << s.first_undetermined->describe() << "\n";
  const bool ok = !s.failure && diff.empty() && s.undetermined == 0;
  out << (ok ? (s.graphs == 0 ? "HOLDS (vacuously: no graphs, --allow-empty)" : "HOLDS") : s.failure || !diff.empty() ? "FAILS" : "UNDETERMINED") << "\n";
  if (!o.json.empty()) {
    const Json j{{"format", "exactformer-verify/1"},
                 {"construction", c.name()},
                 {"variant", built.variant},
                 {"n", o.n},
                 {"coverage", source->describe()},
                 {"holds", ok},
                 {"graphs", s.graphs},
                 {"queries", s.queries},
                 {"evaluations", s.evaluations},
                 {"certified", s.certified},
                 {"integrality_broken", s.integrality_broken},
                 {"undetermined", s.undetermined},
                 {"min_margin", s.min_margin ? Json(s.min_margin->str()) : Json()},
                 {"int64_overflows", s.int64_overflows},
                 {"int128_overflows", s.int128_overflows},
                 {"seconds", secs},
                 {"measured", shape_json_value(measured)},
                 {"claimed", shape_json_value(claimed)},
                 {"counterexample", s.failure ? Json(s.failure->describe()) : Json()}};
    outputs.write(o.json, j.dump() + "\n");
  }
  if (!o.answers.empty()) outputs.write(o.answers, answers);
  outputs.commit();
  ctx.out << out.str();
  return ok ? 0 : 1;
}

}  // namespace

bool is_graph_file(const std::string& graphs) { return graphs != "labelled" && graphs != "-" && !is_generated_spec(graphs); }

std::unique_ptr<GraphSource> open_graph_source(const std::string& graphs, int n, int max_labelled_n, std::ifstream& file) {
  if (graphs == "labelled") {
    EXACTFORMER_REQUIRE(n <= max_labelled_n, "--graphs labelled needs --n <= " + std::to_string(max_labelled_n) + " here");
    return labelled_source(1, n);
  }
  if (is_generated_spec(graphs)) return generated_source(graphs);
  if (graphs == "-") return graph6_source(std::cin, "graph6 from stdin (one labelling per line as given)", n);
  EXACTFORMER_REQUIRE(!std::filesystem::is_directory(graphs), "--graphs " + quote_input(graphs) + " is a directory, not a graph6 file");
  file.open(graphs);
  EXACTFORMER_REQUIRE(file.good(), "cannot read graph file " + quote_input(graphs));
  return graph6_source(file, "graph6 from " + graphs + " (one labelling per line as given)", n);
}

Command add_verify(CLI::App& app, const Context& ctx) {
  auto vo_ptr = std::make_shared<VerifyOptions>();
  VerifyOptions& vo = *vo_ptr;
  auto* verify = app.add_subcommand("verify", "run one construction on every graph of a stream and every query");
  verify->add_option("construction", vo.construction, "construction name (see `list`), or none with --model");
  verify->add_option("--model", vo.model, "an imported model: a directory with config.json, model.safetensors, prompt.json (docs/import.md), or an exactformer export (docs/model-format.md)")
      ->check(non_empty);
  verify->add_option("--enclosures", vo.enclosures, "with --model: write every input's residual enclosures per layer as JSONL to FILE (a test oracle)")
      ->check(non_empty);
  verify->add_option("--task", vo.task, "with --model: the task to check it on (default: its prompt.json's)")->check(non_empty);
  verify->add_option("--n", vo.n, "build the model for graphs with at most N vertices")->required()->check(CLI::Range(1, kMaxVertices));
  verify->add_option("--graphs", vo.graphs,
                     "labelled (every labelled graph with 1..N vertices), a graph6 FILE, - for stdin, family:NAME:N (path, cycle, "
                     "star, empty, two_cycles), family:binomial:K, random:gnp:N:P:COUNT:SEED or random:gnm:N:M:COUNT:SEED")->check(non_empty)
      ->capture_default_str();
  vo.mode.add_to(verify);
  verify->add_option("--code-bits-offset", vo.code_bits_offset, "build with k(n) + OFFSET code bits (e.g. -1: one below the bound)")
      ->check(CLI::Range(-64, 64));
  verify->add_option("--jobs", vo.jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  verify->add_option("--edge-orders", vo.edge_orders,
                     "a construction: edge-token orders per graph if it is order-invariant (1 = as given; default 2); --model: prompt "
                     "(default), shuffled:K or all")->check(non_empty);
  verify->add_flag("--gmp-only", vo.gmp_only, "evaluate with GMP rationals only (no fast exact path)");
  verify->add_option("--json", vo.json, "write the result as JSON to FILE")->check(non_empty);
  verify->add_option("--answers", vo.answers,
                     "write every (graph, query)'s answer on the lexicographic edge order as JSONL to FILE (runs every graph and query)")
      ->check(non_empty);
  verify->add_option("--queries", vo.queries, "K queries per graph, sampled with --query-seed (default: every query)")
      ->check(CLI::Range(1L, 1000000000L));
  verify->add_option("--query-seed", vo.query_seed, "seed of the sampled queries")->check(CLI::Range(0L, 1L << 62))->capture_default_str();
  vo.resume.add_to(verify, "the sweep");
  verify->add_flag("--allow-empty", vo.allow_empty, "accept a graph stream with no graphs (otherwise an input error, exit 2)");
  verify->add_flag("--quiet", vo.quiet, "no progress lines on stderr (a sweep longer than 2 s reports graphs done, rate and ETA)");

  return {verify, [vo_ptr, &ctx] { return run_verify(*vo_ptr, ctx); }};
}

}  // namespace exactformer::cli
