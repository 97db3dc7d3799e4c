// libFuzzer target: the command line, in-process (run_cli). The input is the argument vector, one argument
// per line (at most 16, each at most 100 bytes). Whatever it is, the tool exits 0, 1 or 2 — never 3 (an
// internal error on user input is a bug), never a crash — and an exit 2 is one line on stderr of at most
// 400 bytes with no raw control byte. Each run starts in a fresh empty directory, so the files a command
// writes (--json, --svg, --markdown) land there.
//
// Kept cheap and self-contained, by skipping (not running) inputs that would: spawn a program (geng:, docs'
// gnuplot), read standard input (-), leave the directory (/ or ..), or do minutes of work (the commands
// docs, export, bench, mutate, precision and check; any decimal number above 4, so n, --queries, --jobs
// and family sizes stay small).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace {

bool skipped(const std::vector<std::string>& args) {
  if (!args.empty())
    for (const char* heavy : {"docs", "export", "bench", "mutate", "precision", "check"})
      if (args[0] == heavy) return true;
  for (const std::string& a : args) {
    if (a == "-" || a.find('/') != std::string::npos || a.find("..") != std::string::npos || a.find("geng") != std::string::npos) return true;
    for (std::size_t i = 0; i < a.size();) {  // every run of digits: its value, capped
      if (a[i] < '0' || a[i] > '9') {
        ++i;
        continue;
      }
      long v = 0;
      for (; i < a.size() && a[i] >= '0' && a[i] <= '9'; ++i) v = std::min(1000L, v * 10 + (a[i] - '0'));
      if (v > 4) return true;
    }
  }
  return false;
}

// The directory the runs happen in, made at first use and removed at exit.
const std::filesystem::path& root_directory() {
  static const std::filesystem::path root = [] {
    std::string dir = (std::filesystem::temp_directory_path() / "exactformer_fuzz_cli_XXXXXX").string();
    if (!mkdtemp(dir.data())) std::abort();
    return std::filesystem::path(dir);
  }();
  return root;
}

// A fresh empty working directory per run.
void enter_fresh_directory() {
  static const bool cleanup = [] {
    return std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(root_directory(), ignored);
    }) == 0;
  }();
  (void)cleanup;
  std::filesystem::current_path(root_directory());
  std::filesystem::remove_all(root_directory() / "run");
  std::filesystem::create_directory(root_directory() / "run");
  std::filesystem::current_path(root_directory() / "run");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args;
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(data[i]);
    }
  }
  if (!cur.empty()) args.push_back(cur);
  if (args.size() > 16) return 0;
  for (const std::string& a : args)
    if (a.size() > 100) return 0;
  if (skipped(args)) return 0;
  enter_fresh_directory();
  std::vector<const char*> argv{"exactformer"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = exactformer::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  if (code < 0 || code > 2) __builtin_trap();  // exit 3: an internal error on user input
  if (code == 2) {
    const std::string e = err.str();
    if (e.empty() || e.size() > 400 || e.back() != '\n') __builtin_trap();
    for (std::size_t i = 0; i + 1 < e.size(); ++i)
      if (static_cast<unsigned char>(e[i]) < 32) __builtin_trap();  // one line, control bytes escaped
  }
  return 0;
}
