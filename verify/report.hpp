// Reports: the check table on stdout, the JSON results file, atomic file writes.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check.hpp"

namespace exactformer {

// Every JSON file the tool writes goes through nlohmann-json (keys in insertion order).
using Json = nlohmann::ordered_json;

void print_check_table(std::ostream& out, const std::vector<CheckResult>& results);
void print_check_details(std::ostream& out, const CheckResult& r);  // failures and witnesses, one block
std::string checks_to_json(const std::vector<CheckResult>& results);

// The docs/results summary: id, statement, source, modes, sizes, graphs x queries, holds, witness, seconds.
void print_summary_markdown(std::ostream& out, const std::vector<CheckResult>& results);

// The JSON of a Shape: {"layers": .., "heads": .., "width": .., ...}.
Json shape_json_value(const Shape& s);
// An exact matrix as rows of canonical "p/q" strings (the trace and the model export).
Json exact_matrix_json(const MatQ& m);
// "vertex", "edge", "task", "pause".
const char* token_kind_name(TokenKind k);

// usage_error unless `path` can be written: not empty, not a directory or a device, in a writable
// directory. Commands call it for every output before any work starts.
void check_output_path(const std::string& path);
// usage_error unless `dir` can be replaced whole by replace_directory_atomically: not empty, not an existing
// non-directory, in a writable parent directory.
void check_output_directory(const std::string& dir);
// Writes a fresh temporary file in the same directory, then renames it to `path`: no partial file is
// ever left at `path`, and on failure no temporary either.
void write_file_atomically(const std::string& path, const std::string& content);
// Runs the program argv[0] (looked up on PATH) with argv, no shell in between, its stdout and stderr
// discarded when `quiet`; returns its exit status (-1: it could not start or was killed). A child killed by
// SIGINT or SIGTERM re-raises that signal here: the user's Ctrl-C reached the whole process group.
int run_program(const std::vector<std::string>& argv, bool quiet);
// Replaces the directory `dir` whole: `write(staging)` fills a staging directory beside it (".NAME.staging-XXXXXX",
// which starts as a copy of the old tree, so files other commands wrote stay), which is then swapped in with one
// rename (renameat2 RENAME_EXCHANGE) and the old tree removed. If `write` throws, `dir` is untouched and the staging
// copy removed; a killed run's staging copy is removed by the next call.
void replace_directory_atomically(const std::string& dir, const std::function<void(const std::string& staging)>& write);

}  // namespace exactformer
