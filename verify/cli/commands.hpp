// The subcommands, one file each (verify/cli/cmd_*.cpp). Each adds its subcommand and options to the
// app and returns it with the action run_cli calls if the user chose it. Rendering (tables, plots, the docs
// tree) lives in verify/render/, not here.
#pragma once
#include <CLI/CLI.hpp>

#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "check.hpp"
#include "distributed.hpp"
#include "outputs.hpp"

namespace exactformer::cli {

struct Context {
  const Registry& registry;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  CLI::App* subcommand;
  std::function<int()> run;  // returns the exit code
};

Command add_list(CLI::App& app, const Context& ctx);
Command add_verify(CLI::App& app, const Context& ctx);
Command add_check(CLI::App& app, const Context& ctx);
Command add_bounds(CLI::App& app, const Context& ctx);
Command add_trace(CLI::App& app, const Context& ctx);
Command add_bench(CLI::App& app, const Context& ctx);
Command add_docs(CLI::App& app, const Context& ctx);
Command add_precision(CLI::App& app, const Context& ctx);
Command add_mutate(CLI::App& app, const Context& ctx);
Command add_export(CLI::App& app, const Context& ctx);

// Refuses an empty value ("--json ''"): a path or list given empty is a mistake, not "not given".
inline const CLI::Validator non_empty{[](std::string& s) { return s.empty() ? std::string("an empty value") : std::string(); }, "NONEMPTY"};

// --mode hard|softmax2|softmax, --b, --beta and --max-bits (verify, trace, bench): the variant, refusing a
// knob the mode does not use.
struct ModeOptions {
  std::string mode = "hard";
  std::optional<int> b;
  std::string beta;
  long max_bits = kRungBits[kDefaultMaxRung];
  void add_to(CLI::App* app);
  Variant variant() const;  // usage_error on --b without softmax2, --beta without softmax, ...
  int max_rung() const;     // the highest rung with at most max_bits bits
};

// --state FILE and --shard-graphs S (verify, check, docs): a resumable run.
struct StateOptions {
  std::string state;
  long shard_graphs = 1000;
  void add_to(CLI::App* app, const std::string& what);
  void declare(OutputFiles& outputs) const;  // the state file, appended as the run goes (before any work)
};

// A command's sweeps run shard by shard (ShardedSweeps, set in RunOptions::sharding) while this object lives,
// when a state file is given or the command runs under mpirun; otherwise run_sweep runs them as they are.
// Meanwhile SIGINT / SIGTERM start no new shard; run() then says on err that every finished shard is in the
// state file and dies of the same signal (the shell sees 128 + signal). A second signal ends the process at once
// (what runs between sweeps, such as a check's audits, does not look at the first).
class Resumable {
 public:
  Resumable(const StateOptions& o, const std::string& fingerprint, RunOptions& ro);
  ~Resumable();
  Resumable(const Resumable&) = delete;
  Resumable& operator=(const Resumable&) = delete;
  ShardedSweeps* sharded() const { return sweeps_.get(); }  // null: neither --state nor mpirun
  template <class F>
  auto run(F&& f, std::ostream& err) -> decltype(f()) {
    try {
      return f();
    } catch (const interrupted&) {
      die_interrupted(err);
    }
  }

 private:
  [[noreturn]] void die_interrupted(std::ostream& err) const;
  std::string state_;
  std::unique_ptr<ShardedSweeps> sweeps_;
};

// verify's --graphs (for a construction or --model): labelled (needs n <= max_labelled_n), a generated spec, - (stdin)
// or a graph6 file, opened into `file`; usage_error on a directory or an unreadable file.
std::unique_ptr<GraphSource> open_graph_source(const std::string& graphs, int n, int max_labelled_n, std::ifstream& file);
// --graphs names a graph6 file (not labelled, -, or a generated spec): an input no output may overwrite.
bool is_graph_file(const std::string& graphs);

// Shared by check and docs.
int default_jobs();
struct CheckCliOptions {
  int n_max = 6;
  int family_n_max = 16;
  bool family_n_max_given = false;  // given: exactly that; default: 16, or more where a check asks for it
  int jobs = default_jobs();
  int orders = 2;
  bool gmp_only = false;
  bool witness_only = false;
  bool quiet = false;       // no progress lines on stderr
  std::string json;
  std::string regressions;  // tests/regressions/*.tsv: every shrunk witness (verify/regressions.hpp)
  StateOptions resume;
  CheckOptions options() const;
  // What a state file of these options records: `command` (with the checks chosen) and every option that
  // changes what the checks run.
  std::string fingerprint(const std::string& command) const;
};
// The progress meter of a command: on ctx.err (live when that is a terminal), silent with --quiet.
std::unique_ptr<Progress> progress_meter(const Context& ctx, bool quiet);
// Runs the checks with the options' progress meter (silent with --quiet) and, with --state or under mpirun,
// shard by shard (`command` names the run in the state file), printing one line per check on ctx.err. Under
// mpirun every rank runs them and gets the same results; only rank 0 prints (the caller reports on rank 0).
std::vector<CheckResult> run_checks(const std::vector<std::pair<const Construction*, CheckSpec>>& checks, const CheckCliOptions& o,
                                    const std::string& command, const Context& ctx);
// Every shrunk witness of `results` as regression cases (verify/regressions.hpp), headed by `command`.
std::string regressions_text(const Registry& registry, const std::vector<CheckResult>& results, const std::string& command);
// Declares check's and docs' outputs (--json, --regressions, --state) before any work.
void declare_check_outputs(const CheckCliOptions& o, OutputFiles& outputs);
// Writes --json (and --regressions: regressions_text under `command`), commits every output, then prints the
// table and every failure's details (and, unless only_failures, every prediction's measurement); 0 iff every
// check holds.
int report_checks(const Registry& registry, const std::vector<CheckResult>& results, const CheckCliOptions& o, const std::string& command,
                  OutputFiles& outputs, std::ostream& out, bool only_failures = false);

}  // namespace exactformer::cli
