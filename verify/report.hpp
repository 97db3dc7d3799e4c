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

// Writes to path.tmp then renames, so no partial file is ever left at `path`.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace exactformer
