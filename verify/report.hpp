// Reports: the check table on stdout, the JSON results file; the files themselves go through outputs.hpp.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "outputs.hpp"

namespace exactformer {

// Every JSON file the tool writes goes through nlohmann-json (keys in insertion order).
using Json = nlohmann::ordered_json;

void print_check_table(std::ostream& out, const std::vector<CheckResult>& results);
// Failures and witnesses, one block; every prediction's measurement too unless `only_failures` (docs: they are
// in docs/results/checks.md).
void print_check_details(std::ostream& out, const CheckResult& r, bool only_failures = false);
std::string checks_to_json(const std::vector<CheckResult>& results);

// The docs/results summary: id, statement, source, modes, sizes, graphs x queries, holds, witness, seconds.
void print_summary_markdown(std::ostream& out, const std::vector<CheckResult>& results);

// Refuses JSON text nested deeper than `max_depth` arrays / objects before anything parses it (a deeply
// nested document would otherwise exhaust the stack of a recursive walk). `what` names it in the error.
void require_json_depth(std::string_view text, int max_depth, const std::string& what);

// The JSON of a Shape: {"layers": .., "heads": .., "width": .., ...}.
Json shape_json_value(const Shape& s);
// An exact matrix as rows of canonical "p/q" strings (the trace and the model export).
Json exact_matrix_json(const MatQ& m);
// "vertex", "edge", "task", "pause".
const char* token_kind_name(TokenKind k);

// Runs the program argv[0] (looked up on PATH) with argv, no shell in between, its stdout and stderr
// discarded when `quiet`; returns its exit status (-1: it could not start or was killed). A child killed by
// SIGINT or SIGTERM re-raises that signal here: the user's Ctrl-C reached the whole process group.
int run_program(const std::vector<std::string>& argv, bool quiet);

}  // namespace exactformer
