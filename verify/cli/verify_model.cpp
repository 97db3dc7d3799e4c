// exactformer verify --model DIR: an imported model (TransformerLens conventions) over every graph of a stream,
// every query and edge order, each input certified (verify/imported/imported_sweep.hpp).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/verify_model.hpp"
#include "distributed.hpp"
#include "imported/imported_sweep.hpp"
#include "report.hpp"

namespace exactformer::cli {
namespace {

// Every labelled graph with at most n vertices, every query, the prompt's edge order: the residual enclosures
// after the embedding and after each block at every row (double intervals; exact where those cannot decide a
// hard-attention argmax), one JSON line per input.
std::string enclosure_lines(const ImportedModel& im, const Task& task, int n) {
  std::string out;
  const auto source = labelled_source(1, n);
  std::vector<Graph> batch;
  std::vector<int> answers;
  for (const auto& [id, value] : im.prompt.answers) answers.push_back(id);
  while (source->next_batch(batch))
    for (const Graph& g : batch)
      for (const Query& q : all_queries(task, g.n())) {
        const std::vector<int> tokens = im.prompt.tokenize(g, g.edges(), q);
        Json line{{"graph6", to_graph6(g)}, {"query", q.args}, {"tokens", tokens}};
        const auto record_with = [&](auto forward, const char* rung) {
          TlRecord record;
          const auto logits = forward.logits(tokens, im.prompt.readout_row(static_cast<int>(tokens.size())), answers, &record);
          line["rung"] = rung;
          line["stages"] = record.stages;
          Json l = Json::array();
          for (const auto& x : logits) l.push_back({x.lower(), x.upper()});
          line["logits"] = l;
        };
        try {
          record_with(TlForward<DoubleInterval>(im.model), "double");
        } catch (const undecidable& e) {
          try {  // a rational model's undecided hard-attention tie: exactly
            record_with(TlForward<ExactValue>(im.model), "exact");
          } catch (const std::exception& e2) {
            line["undecidable"] = std::string(e.what()) + "; exactly: " + e2.what();
          }
        }
        out += line.dump() + "\n";
      }
  return out;
}

// What the run is, for its state file: the model's three files by content, and every option that changes a count.
std::string model_fingerprint(const VerifyModelOptions& o, const Task& task, const EdgeOrders& orders, int max_rung) {
  std::string s = "verify --model";
  for (const char* f : {"config.json", "model.safetensors", "prompt.json"})
    s += std::string(" ") + f + ":" + file_digest((std::filesystem::path(o.model) / f).string());
  s += " --task " + task.name + " --n " + std::to_string(o.n) + " --graphs " + o.graphs;
  if (is_graph_file(o.graphs) && std::filesystem::is_regular_file(o.graphs))
    s += " (" + file_digest(o.graphs) + ")";  // (not a FIFO: reading it here would take the sweep's graphs)
  return s + " --edge-orders " + orders.str() + " --queries " + std::to_string(o.queries) + " --query-seed " +
         std::to_string(o.query_seed) + " --max-bits " + std::to_string(kImportRungBits[max_rung]);
}

std::string imported_sweep_name(const VerifyModelOptions& o, const Task& task, const EdgeOrders& orders, const GraphSource& source) {
  return "model " + task.name + " n<=" + std::to_string(o.n) + ": " + source.describe() + "; orders " + orders.str();
}

}  // namespace

int run_verify_model(const VerifyModelOptions& o, const Context& ctx) {
  std::ostringstream out;  // the report, printed once every output is in place
  EXACTFORMER_REQUIRE(o.enclosures.empty() || mpi_world().size <= 1, "--enclosures is written by one process: run it without mpirun");
  EXACTFORMER_REQUIRE(o.enclosures.empty() || (o.graphs == "labelled" && o.n <= 5), "--enclosures needs --graphs labelled and --n <= 5");
  OutputFiles outputs(mpi_world().rank == 0);
  for (const char* f : {"config.json", "model.safetensors", "prompt.json"})
    outputs.input((std::filesystem::path(o.model) / f).string(), "--model");
  if (is_graph_file(o.graphs)) outputs.input(o.graphs, "--graphs");
  if (!o.json.empty()) outputs.file(o.json, "--json");
  if (!o.enclosures.empty()) outputs.file(o.enclosures, "--enclosures");
  o.resume.declare(outputs);
  const EdgeOrders orders = EdgeOrders::parse(o.edge_orders.empty() ? "prompt" : o.edge_orders);
  EXACTFORMER_REQUIRE(orders.kind != EdgeOrders::Kind::all || o.n <= 4, "--edge-orders all needs --n <= 4 (6! orders of K4's edges)");
  EXACTFORMER_REQUIRE(o.max_bits >= 53, "--max-bits with --model: at least 53 (the double rung)");
  int max_rung = 1;  // double, then exact: always
  while (max_rung + 1 < kImportRungs && kImportRungBits[max_rung + 1] <= o.max_bits) ++max_rung;
  const ImportedModel im = load_imported(o.model);
  const std::string task_name = o.task.empty() ? im.prompt.task : o.task;
  EXACTFORMER_REQUIRE(!task_name.empty(), "--model " + quote_input(o.model) + ": give --task (its prompt.json names none)");
  const Task& task = find_task(task_name);
  EXACTFORMER_REQUIRE(o.queries > 0 || query_count(task, o.n) <= 1000000, "--n " + std::to_string(o.n) + ": too many queries per graph; sample them with --queries K");
  for (int n = 1; n <= o.n; ++n) check_prompt_for(im, task, n);

  std::ifstream file;
  const std::unique_ptr<GraphSource> source = open_graph_source(o.graphs, o.n, 8, file);
  ImportedOptions io;
  io.n = o.n;
  io.orders = orders;
  io.jobs = o.jobs;
  io.max_rung = max_rung;
  io.queries_per_graph = static_cast<std::uint64_t>(o.queries);
  io.query_seed = static_cast<std::uint64_t>(o.query_seed);
  const std::unique_ptr<Progress> progress = progress_meter(ctx, o.quiet);
  io.progress = progress.get();
  const auto start = std::chrono::steady_clock::now();
  ImportedStats s;
  RunOptions ro;  // (only its stop flag and sharding: set by Resumable for --state or mpirun)
  Resumable resumable(o.resume, model_fingerprint(o, task, orders, max_rung), ro);
  if (ShardedSweeps* sharded = resumable.sharded()) {
    const ShardedWork work = imported_work(im, task, io, s);
    resumable.run([&] { sharded->run(imported_sweep_name(o, task, orders, *source), *source, work, ro.stop, io.progress); }, ctx.err);
  } else {
    s = run_imported_sweep(im, task, *source, io);
  }
  if (mpi_world().rank != 0) return 0;  // an MPI worker: rank 0 reports
  EXACTFORMER_REQUIRE(s.graphs > 0, "no graphs read from " + source->describe());
  std::optional<ImportedInput> shrunk;
  if (!s.failures.empty()) shrunk = shrink_imported(im, task, s.failures.front(), max_rung);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  out << "model " << o.model << ": " << im.model.describe() << "\n";
  out << "task " << task.name << " (" << task.summary << "), answers read at row " << im.prompt.readout << " over "
      << im.prompt.answers.size() << " answer tokens\n";
  for (const auto& c : ctx.registry.constructions())
    if (c->task() == task.name) {
      const Built b = c->build(std::min(o.n, c->max_build_n()), Variant::hard());
      out << "our construction " << c->name() << " for n <= " << o.n << ": " << describe(measure(b.model)) << "\n";
    }
  out << "coverage: " << source->describe() << ", edge orders: " << orders.str() << "\n";
  out << "| n | graphs | inputs | right | wrong | undecided |\n|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t n = 1; n < s.by_n.size(); ++n) {
    const auto& p = s.by_n[n];
    if (p.graphs == 0) continue;
    out << "| " << n << " | " << p.graphs << " | " << p.inputs << " | " << p.right << " | " << p.wrong << " | " << p.undecided << " |\n";
  }
  out << "decided at:";
  for (int k = 0; k < kImportRungs; ++k)
    if (k <= max_rung) out << " " << import_rung_name(k) << " " << s.decided_at[static_cast<std::size_t>(k)];
  out << "; undecided after " << import_rung_name(max_rung) << ": " << s.undecided << "; " << std::fixed << std::setprecision(2) << secs << " s\n";
  for (const auto& f : s.failures) out << "WRONG " << f.describe(im) << "\n";
  if (shrunk) out << "shrunk: " << shrunk->describe(im) << "\n";
  if (s.first_undecided) out << "first undecided (not a counterexample): " << s.first_undecided->describe(im) << "\n";
  const bool ok = s.holds();
  out << (ok ? "HOLDS" : s.wrong > 0 ? "FAILS" : "UNDECIDED") << "\n";
  if (!o.json.empty()) {
    Json by_n = Json::array();
    for (std::size_t n = 1; n < s.by_n.size(); ++n) {
      const auto& p = s.by_n[n];
      if (p.graphs) by_n.push_back({{"n", n}, {"graphs", p.graphs}, {"inputs", p.inputs}, {"right", p.right}, {"wrong", p.wrong}, {"undecided", p.undecided}});
    }
    Json rungs = Json::object();
    for (int k = 0; k <= max_rung; ++k) rungs[import_rung_name(k)] = s.decided_at[static_cast<std::size_t>(k)];
    const Json j{{"format", "exactformer-verify-model/1"}, {"model", o.model}, {"shape", im.model.describe()}, {"task", task.name},
                 {"n", o.n}, {"coverage", source->describe()}, {"edge_orders", orders.str()}, {"holds", ok}, {"graphs", s.graphs},
                 {"inputs", s.inputs}, {"right", s.right}, {"wrong", s.wrong}, {"undecided", s.undecided}, {"by_n", by_n},
                 {"decided_at", rungs}, {"first_failure", s.failures.empty() ? Json() : Json(s.failures.front().describe(im))},
                 {"shrunk", shrunk ? Json(shrunk->describe(im)) : Json()}, {"seconds", secs}};
    outputs.write(o.json, j.dump(1) + "\n");
  }
  if (!o.enclosures.empty()) outputs.write(o.enclosures, enclosure_lines(im, task, o.n));
  outputs.commit();
  ctx.out << out.str();
  return ok ? 0 : 1;
}

}  // namespace exactformer::cli
