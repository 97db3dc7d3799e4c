// The command line (verify/cli/cli.hpp): the app, its subcommands (one file each, cmd_*.cpp), and the
// mapping of errors to exit codes.
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

namespace exactformer {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err, const Registry& registry) {
  CLI::App app{"exactformer: hand-built transformers for graph tasks, run in exact rational arithmetic and checked\n"
               "against ground-truth solvers on every small graph and every query."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");
  const cli::Context ctx{registry, out, err};
  const std::vector<cli::Command> commands = {cli::add_list(app, ctx),   cli::add_verify(app, ctx), cli::add_check(app, ctx),
                                              cli::add_bounds(app, ctx), cli::add_trace(app, ctx),  cli::add_bench(app, ctx),
                                              cli::add_docs(app, ctx)};
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
    for (const cli::Command& c : commands)
      if (*c.subcommand) return c.run();
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
