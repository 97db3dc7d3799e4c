// The command line (CLI11): list, verify, check, bounds, trace, bench, docs. main() is a one-line call to
// run_cli; the tests call run_cli in-process, with their own registry where they need one (e.g. the
// built-ins plus a deliberately broken construction).
#pragma once
#include <ostream>

#include "exactformer/construction.hpp"

namespace exactformer {

// Exit codes: 0 all checks hold, 1 a check failed (counterexample printed), 2 usage or input error
// (one line on stderr), 3 internal error.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err, const Registry& registry = builtin_registry());

}  // namespace exactformer
