// Reports: the check table on stdout, the JSON results file, atomic file writes.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "check.hpp"

namespace exactformer {

void print_check_table(std::ostream& out, const std::vector<CheckResult>& results);
void print_check_details(std::ostream& out, const CheckResult& r);  // failures and witnesses, one block
std::string checks_to_json(const std::vector<CheckResult>& results);

// The docs/results summary: id, statement, source, modes, sizes, graphs x queries, holds, witness, seconds.
void print_summary_markdown(std::ostream& out, const std::vector<CheckResult>& results);

// JSON string literal with escapes.
std::string json_string(const std::string& s);
std::string shape_json(const Shape& s);

// usage_error unless `path` can be written: not empty, not a directory or a device, in a writable
// directory. Commands call it for every output before any work starts.
void check_output_path(const std::string& path);
// Writes a fresh temporary file in the same directory, then renames it to `path`: no partial file is
// ever left at `path`, and on failure no temporary either.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace exactformer
