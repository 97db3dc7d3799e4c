// The command line (verify/cli/cli.hpp): the app, its subcommands (one file each, cmd_*.cpp), and the
// mapping of errors to exit codes.
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <csignal>

#include "cli/commands.hpp"
#include "report.hpp"

namespace exactformer {

namespace cli {

void ModeOptions::add_to(CLI::App* app) {
  app->add_option("--mode", mode, "attention mode: hard, softmax2 (weights 2^(b s), exact; certified where b s is not an integer) "
                                   "or softmax (weights e^(beta s), certified)")
      ->check(CLI::IsMember({"hard", "softmax2", "softmax"}))
      ->capture_default_str();
  app->add_option("--b", b, "softmax2 base-2 inverse temperature (default: the construction's proven b(n))")->check(CLI::Range(0, 1000));
  app->add_option("--beta", beta, "softmax inverse temperature, an exact positive rational: P, P/Q or a decimal like 4.4375")->check(non_empty);
  app->add_option("--max-bits", max_bits, "certified path: precision cap in bits (rungs 68, 134, 267, 533, 1065, 2128)")
      ->check(CLI::Range(68L, 2128L))
      ->capture_default_str();
}

Variant ModeOptions::variant() const {
  EXACTFORMER_REQUIRE(!b || mode == "softmax2", "--b needs --mode softmax2");
  EXACTFORMER_REQUIRE(beta.empty() || mode == "softmax", "--beta needs --mode softmax");
  if (mode == "hard") return Variant::hard();
  if (mode == "softmax2") {
    Variant v = Variant::softmax2();
    v.b = b;
    return v;
  }
  EXACTFORMER_REQUIRE(!beta.empty(), "--mode softmax needs --beta P/Q");
  const Q value = parse_rational(beta);
  EXACTFORMER_REQUIRE(value > 0, "--beta must be positive (got " + value.str() + ")");
  EXACTFORMER_REQUIRE(value <= 1000000, "--beta must be at most 1000000 (got " + value.str() + ")");
  return Variant::softmax(value);
}

int ModeOptions::max_rung() const { return rung_for_bits(max_bits); }

void StateOptions::add_to(CLI::App* app, const std::string& what) {
  app->add_option("--state", state, "resumable: record each finished shard of " + what +
                                        " in FILE; the same command after an interruption resumes")
      ->check(non_empty);
  app->add_option("--shard-graphs", shard_graphs, "graphs per shard of a resumable or MPI run")->check(CLI::Range(1L, 1000000000L))
      ->capture_default_str();
}

void StateOptions::declare(OutputFiles& outputs) const {
  if (!state.empty()) outputs.appended(state, "--state");
}

namespace {

std::atomic<bool> stop_requested{false};
volatile std::sig_atomic_t stop_signal = 0;
extern "C" void request_stop(int sig) {
  if (stop_requested.load()) {  // the second signal: stop now (work between sweeps, such as an audit, may be long)
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
  stop_signal = sig;
  stop_requested.store(true);
}

}  // namespace

Resumable::Resumable(const StateOptions& o, const std::string& fingerprint, RunOptions& ro) : state_(o.state) {
  if (o.state.empty() && mpi_world().size <= 1) return;
  // The handler first: once the state file exists, a signal stops the run cleanly.
  struct sigaction sa {};
  sa.sa_handler = request_stop;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ShardOptions so;
  so.state = o.state;
  so.fingerprint = fingerprint;
  so.shard_graphs = static_cast<std::uint64_t>(o.shard_graphs);
  sweeps_ = std::make_unique<ShardedSweeps>(so);
  ro.sharding = sweeps_.get();
  ro.stop = &stop_requested;
}

Resumable::~Resumable() {
  if (!sweeps_) return;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

void Resumable::die_interrupted(std::ostream& err) const {
  if (state_.empty())
    err << "exactformer: interrupted (no --state: nothing was recorded)\n";
  else
    err << "exactformer: interrupted; every finished shard is in " << state_ << ": the same command resumes\n";
  err.flush();
  std::signal(stop_signal, SIG_DFL);
  std::raise(stop_signal);
  std::abort();  // not reached: the default action of SIGINT / SIGTERM ends the process
}

}  // namespace cli

namespace {

// The one line of an error (exit 2: usage, 3: internal), and under mpirun the same error to every other rank,
// printed by rank 0 only.
int fail(int code, const std::string& what, std::ostream& err) {
  if (mpi_world().size > 1) mpi_abandon(code, what);
  if (mpi_world().rank == 0) err << "exactformer: " << (code == 2 ? "error: " : "internal error: ") << one_line(what) << "\n";
  return code;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err, const Registry& registry) {
  CLI::App app{"exactformer: hand-built transformers for graph tasks, run in exact rational arithmetic and checked\n"
               "against ground-truth solvers on every small graph and every query."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  const cli::Context ctx{registry, out, err};
  const std::vector<cli::Command> commands = {cli::add_list(app, ctx),   cli::add_verify(app, ctx), cli::add_check(app, ctx),
                                              cli::add_bounds(app, ctx), cli::add_trace(app, ctx),  cli::add_bench(app, ctx),
                                              cli::add_docs(app, ctx),   cli::add_precision(app, ctx), cli::add_mutate(app, ctx),
                                              cli::add_export(app, ctx)};
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
    return fail(2, what, err);
  }
  try {
    for (const cli::Command& c : commands)
      if (*c.subcommand) return c.run();
    return 2;
  } catch (const abandoned& e) {  // under mpirun: another rank's error, or one every rank has
    if (mpi_world().rank == 0) {
      if (e.from != 0) mpi_abandon(e.code, e.what(), e.from);
      err << "exactformer: " << (e.code == 2 ? "error: " : "internal error: ") << one_line(e.what()) << "\n";
    }
    return e.code;
  } catch (const usage_error& e) {
    return fail(2, e.what(), err);
  } catch (const std::exception& e) {
    return fail(3, e.what(), err);
  }
}

}  // namespace exactformer
