// exactformer precision: the smallest p*, b*, β* of constructions over every labelled graph (verify/precision.hpp).
#include <cmath>
#include <iomanip>
#include <sstream>

#include "cli/commands.hpp"
#include "precision.hpp"
#include "render/plots.hpp"
#include "report.hpp"

namespace exactformer::cli {
namespace {

struct PrecisionCliOptions {
  std::vector<std::string> names;
  bool all = false;
  std::string ns = "4";
  std::string models = "fp,softmax2,softmax";
  std::string step = "1/64";
  int jobs = default_jobs();
  std::string json, markdown, plot, regressions;
  long max_value = 64;
  long max_bits = kRungBits[kDefaultMaxRung];
};

std::string value_text(const PrecisionResult& r, const std::optional<Q>& v) {
  if (!v) return "no stable value found";
  if (r.model != PrecisionModel::softmax) return v->str();
  std::ostringstream s;
  s << v->str() << " ≈ " << std::fixed << std::setprecision(4) << v->convert_to<double>();
  return s.str();
}

// One Markdown row (the table's columns are in `table_head`).
std::string table_row(const PrecisionResult& r) {
  std::ostringstream s;
  const double log_t = std::log2(static_cast<double>(r.tokens()));
  s << "| `" << r.construction << "` | " << model_name(r.model) << " | " << r.n << " | " << r.graphs << " × " << r.queries << " | "
    << r.tokens() << " | " << std::fixed << std::setprecision(2) << log_t << " | " << value_text(r, r.stable) << " | ";
  if (r.model == PrecisionModel::fp && r.stable)
    s << r.integer_bits << " | " << 1 + r.integer_bits + r.stable->convert_to<long>() << " | "
      << (1 + r.integer_bits + r.stable->convert_to<double>()) / log_t << " | ";
  else if (r.stable)
    s << "— | — | " << r.stable->convert_to<double>() / log_t << " | ";
  else
    s << "— | — | — | ";
  std::string nm;
  for (std::size_t i = 0; i < r.non_monotone.size() && i < 3; ++i)
    nm += (nm.empty() ? "" : "; ") + r.non_monotone[i].first.str() + " passes, " + r.non_monotone[i].second.str() + " fails";
  if (r.non_monotone.size() > 3) nm += "; … " + std::to_string(r.non_monotone.size()) + " such pairs up to " + r.non_monotone.back().second.str();
  s << (nm.empty() ? "none" : nm) << " | ";
  if (r.witness)
    s << "at " << r.below->str() << ": `" << to_graph6(r.witness->graph) << "` " << r.witness->query.str() << " expected "
      << r.witness->expected << ", got " << (r.witness->got ? std::to_string(*r.witness->got) : "undefined");
  else if (r.below)
    s << "none at " << r.below->str() << " (undetermined there)";
  else if (r.stable)
    s << "— (nothing below 0)";
  else
    s << "—";
  s << " | " << r.probes << " | " << std::setprecision(1) << r.seconds << " |";
  return s.str();
}

const char* table_head() {
  return "| construction | model | n | graphs × queries | T | log₂ T | p\\*, b\\* or β\\* | p_int | p_total | ratio to log₂ T | non-monotone | "
         "witness one step below (shrunk) | probes | s |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
}

Json result_json(const PrecisionResult& r) {
  const auto opt = [](const std::optional<Q>& v) { return v ? Json(v->str()) : Json(); };
  Json non_monotone = Json::array();
  for (const auto& [pass, fail] : r.non_monotone) non_monotone.push_back({pass.str(), fail.str()});
  return Json{{"construction", r.construction},
              {"model", model_name(r.model)},
              {"n", r.n},
              {"graphs", r.graphs},
              {"queries", r.queries},
              {"T", r.tokens()},
              {"stable", opt(r.stable)},
              {"first_pass", opt(r.first_pass)},
              {"integer_bits", r.integer_bits},
              {"non_monotone", non_monotone},
              {"below", opt(r.below)},
              {"witness", r.witness ? Json(r.witness->describe()) : Json()},
              {"probes", r.probes},
              {"undetermined_probes", r.undetermined_probes},
              {"seconds", r.seconds}};
}

int run_precision(const PrecisionCliOptions& o, const Context& ctx, const std::string& command) {
  std::vector<const Construction*> cs;
  EXACTFORMER_REQUIRE(o.all != !o.names.empty(), "name the constructions, or give --all (not both)");
  if (o.all)
    for (const auto& c : ctx.registry.constructions()) cs.push_back(c.get());
  for (const std::string& name : o.names) cs.push_back(&ctx.registry.find(name));
  std::vector<PrecisionModel> models;
  for (const std::string& m : split_commas(o.models)) models.push_back(parse_precision_model(m));
  std::vector<int> ns;
  for (const std::string& item : split_commas(o.ns)) ns.push_back(static_cast<int>(parse_integer(item, 2, 8, "--n")));
  PrecisionOptions po;
  po.jobs = o.jobs;
  po.max_value = o.max_value;
  po.step = parse_rational(o.step);
  EXACTFORMER_REQUIRE(po.step > 0 && po.step <= 1, "--step must be in (0, 1]");
  po.max_rung = rung_for_bits(o.max_bits);

  OutputFiles outputs;
  if (!o.json.empty()) outputs.file(o.json, "--json");
  if (!o.markdown.empty()) outputs.file(o.markdown, "--markdown");
  if (!o.plot.empty()) outputs.file(o.plot, "--plot");
  if (!o.regressions.empty()) outputs.file(o.regressions, "--regressions");
  std::vector<PrecisionResult> results;
  for (const Construction* c : cs)
    for (const PrecisionModel m : models) {
      if (m != PrecisionModel::fp && c->modes().size() < 2) continue;  // built in hard attention only
      for (const int n : ns) {
        po.model = m;
        po.n = n;
        ctx.err << "precision: " << c->name() << " " << model_name(m) << " n=" << n << " ..." << std::endl;
        results.push_back(search_precision(*c, po));
      }
    }
  if (!o.markdown.empty()) {
    std::ostringstream md;
    md << "# Precision: the smallest p*, b*, β* over every labelled graph\n\nGenerated by `" << command
       << "` (run by `scripts/run`). Do not edit by hand. What the columns mean, and why: [../precision.md](../precision.md).\n\n"
       << (o.plot.empty() ? "" : "![p_total and b* against log2 T](precision.svg)\n\n")
       << table_head() << "\n";
    for (const PrecisionResult& r : results) md << table_row(r) << "\n";
    outputs.write(o.markdown, md.str());
  }
  if (!o.plot.empty() && !write_precision_plot(results, cs, outputs.temporary(o.plot), ctx.err)) outputs.keep(o.plot);
  if (!o.regressions.empty()) {
    std::string body = "# Every precision witness one step below p*, b*, beta* (the model that fails on it). Generated by `" + command +
                       "`; replayed by tests/test_regressions.cpp.\n";
    for (const PrecisionResult& r : results)
      if (r.witness_case) body += r.witness_case->line() + "\n";
    outputs.write(o.regressions, body);
  }
  if (!o.json.empty()) {
    Json list = Json::array();
    for (const PrecisionResult& r : results) list.push_back(result_json(r));
    outputs.write(o.json, Json{{"format", "exactformer-precision/1"}, {"results", list}}.dump(1) + "\n");
  }
  outputs.commit();
  ctx.out << table_head() << "\n";
  for (const PrecisionResult& r : results) ctx.out << table_row(r) << "\n";
  return 0;  // a measurement: a value not found is a finding in the table; the claims are the precision.* checks
}

}  // namespace

Command add_precision(CLI::App& app, const Context& ctx) {
  auto o = std::make_shared<PrecisionCliOptions>();
  auto* cmd = app.add_subcommand("precision", "the smallest fixed-point bits p*, softmax2 b* and softmax beta* over every labelled graph");
  cmd->add_option("constructions", o->names, "construction names (see `list`)");
  cmd->add_flag("--all", o->all, "every construction");
  cmd->add_option("--n", o->ns, "comma-separated n (2..8): the family is every labelled graph with at most n vertices")->capture_default_str();
  cmd->add_option("--model", o->models, "comma-separated: fp (FP_p, hard), softmax2, softmax")->capture_default_str();
  cmd->add_option("--step", o->step, "softmax: the grid of beta")->capture_default_str();
  cmd->add_option("--max", o->max_value, "the largest p or b scanned, and the largest beta bracket")->check(CLI::Range(1L, 4096L))->capture_default_str();
  cmd->add_option("--max-bits", o->max_bits, "certified path: precision cap in bits")->check(CLI::Range(68L, 2128L))->capture_default_str();
  cmd->add_option("--jobs", o->jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--json", o->json, "write the results as JSON to FILE")->check(non_empty);
  cmd->add_option("--markdown", o->markdown, "write the table as Markdown to FILE (docs/results/precision.md)")->check(non_empty);
  cmd->add_option("--regressions", o->regressions, "write every witness as a regression case (TSV) to FILE")->check(non_empty);
  cmd->add_option("--plot", o->plot, "draw p_total and b* against log2 T (measured, and derived for n = 2..64) to FILE.svg")->check(non_empty);
  return {cmd, [o, &ctx] {
            std::string command = "exactformer precision";
            for (const std::string& n : o->names) command += " " + n;
            if (o->all) command += " --all";
            command += " --n " + o->ns + " --model " + o->models;
            if (o->step != "1/64") command += " --step " + o->step;
            if (o->max_value != 64) command += " --max " + std::to_string(o->max_value);
            return run_precision(*o, ctx, command);
          }};
}

}  // namespace exactformer::cli
