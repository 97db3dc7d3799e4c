// exactformer check: named checks (or --all), their table, details and JSON.
#include "report.hpp"
#include <iomanip>
#include <thread>

#include "cli/commands.hpp"
#include "report.hpp"

namespace exactformer::cli {

int default_jobs() {
  const unsigned h = std::thread::hardware_concurrency();
  return h == 0 ? 1 : static_cast<int>(h);
}

CheckOptions CheckCliOptions::options() const {
  CheckOptions co;
  co.n_max = n_max;
  co.family_n_max = std::max(family_n_max, n_max);
  co.spec_families = !family_n_max_given;
  co.run.jobs = jobs;
  co.run.edge_orders = orders;
  co.run.fast_path = !gmp_only;
  co.witness_only = witness_only;
  return co;
}

std::vector<CheckResult> run_checks(const std::vector<std::pair<const Construction*, CheckSpec>>& checks, const CheckOptions& opt,
                                    std::ostream& err) {
  std::vector<CheckResult> results;
  for (const auto& [c, spec] : checks) {
    results.push_back(run_check(*c, spec, opt));
    err << spec.id << ": " << (results.back().holds ? "holds" : "FAILS") << " (" << std::fixed << std::setprecision(1)
        << results.back().seconds << " s)\n";
  }
  return results;
}

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

namespace {

struct CheckCommand {
  CheckCliOptions o;
  std::vector<std::string> ids;
  bool all = false;
};

int run(const CheckCommand& cmd, const Context& ctx) {
  const auto checks = ctx.registry.checks();
  std::vector<std::pair<const Construction*, CheckSpec>> selected;
  EXACTFORMER_REQUIRE(cmd.all != !cmd.ids.empty(), "name the checks to run, or pass --all (see `exactformer list`)");
  if (cmd.all) {
    selected = checks;
  } else {
    for (const auto& id : cmd.ids) {
      bool found = false;
      for (const auto& cs : checks)
        if (cs.second.id == id) {
          selected.push_back(cs);
          found = true;
        }
      EXACTFORMER_REQUIRE(found, "unknown check \"" + id + "\" (see `exactformer list`)");
    }
  }
  if (!cmd.o.json.empty()) check_output_path(cmd.o.json);
  return report_checks(run_checks(selected, cmd.o.options(), ctx.err), cmd.o.json, ctx.out);
}

}  // namespace

Command add_check(CLI::App& app, const Context& ctx) {
  auto cmd = std::make_shared<CheckCommand>();
  CheckCliOptions& co = cmd->o;
  auto* check = app.add_subcommand("check", "run named checks (or --all): exhaustive sweeps, shapes, tightness witnesses");
  check->add_option("ids", cmd->ids, "check ids (see `list`)");
  check->add_flag("--all", cmd->all, "run every check");
  check->add_option("--n-max", co.n_max, "every labelled graph with 1..N vertices")->check(CLI::Range(1, 9))->capture_default_str();
  check->add_option("--family-n-max", co.family_n_max,
                    "families (path, cycle, star, clique, ...) up to N vertices (default 16, or a check's own larger default)")
      ->check(CLI::Range(1, kMaxVertices))->capture_default_str();
  check->add_option("--jobs", co.jobs, "worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  check->add_option("--edge-orders", co.orders, "edge-token orders per graph (1 = lexicographic only)")->check(CLI::Range(1, 100))->capture_default_str();
  check->add_flag("--gmp-only", co.gmp_only, "evaluate with GMP rationals only (no fast exact path)");
  check->add_flag("--witness-only", co.witness_only, "only search for (and shrink) the witness below the bound");
  check->add_option("--json", co.json, "write results as JSON to FILE")->check(non_empty);
  return {check, [cmd, check, &ctx] {
            cmd->o.family_n_max_given = check->count("--family-n-max") > 0;
            return run(*cmd, ctx);
          }};
}

}  // namespace exactformer::cli
