// Outputs are all or nothing (verify/outputs.hpp): every command's every output tried against each way a
// target can refuse a file — a directory, /proc, an unwritable directory, the file-size limit (EFBIG), a full
// file system (ENOSPC) — and aliases of one file spelled twice. A refused or failed command exits 2 with one
// line, prints no verdict, leaves every target as it was and no temporary behind.
#include <doctest/doctest.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"
#include "exactformer/construction.hpp"
#include "outputs.hpp"

using namespace exactformer;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run cli(std::vector<std::string> args) {
  args.insert(args.begin(), "exactformer");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err, builtin_registry());
  return {code, out.str(), err.str()};
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// Runs cli(args) in a child process after `prepare` (a resource limit, a mount namespace); "" from prepare
// means go on, else the reason it could not (the case is then reported, not run).
Run in_child(const std::vector<std::string>& args, const std::function<std::string()>& prepare, std::string& skipped) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    const std::string why = prepare();
    std::string message;
    if (!why.empty()) {
      message = "S" + why;
    } else {
      const Run r = cli(args);
      message = "R" + std::to_string(r.code) + "\n" + std::to_string(r.out.size()) + "\n" + r.out + r.err;
    }
    std::size_t done = 0;
    while (done < message.size()) {
      const ssize_t w = ::write(pipe_fds[1], message.data() + done, message.size() - done);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(!message.empty());
  if (message[0] == 'S') {
    skipped = message.substr(1);
    return {};
  }
  std::istringstream in(message.substr(1));
  Run r;
  std::string line;
  std::getline(in, line);
  r.code = std::stoi(line);
  std::getline(in, line);
  const std::size_t out_size = std::stoul(line);
  const std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  r.out = rest.substr(0, out_size);
  r.err = rest.substr(out_size);
  return r;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// A command with its outputs: flag -> the name its target gets in a directory.
struct Command {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> outputs;
};

std::vector<Command> commands() {
  const std::string model = std::string(EXACTFORMER_SOURCE_DIR) + "/models/node_degree_l2";  // a trained TransformerLens model
  return {
      {{"verify", "node_count", "--n", "3"}, {{"--json", "v.json"}, {"--answers", "v.jsonl"}}},
      {{"verify", "--model", model, "--n", "2", "--quiet"}, {{"--json", "m.json"}, {"--enclosures", "m.jsonl"}}},
      {{"check", "retrieval.node_count.depth1", "--n-max", "2", "--family-n-max", "3", "--quiet"}, {{"--json", "c.json"}, {"--regressions", "c.tsv"}}},
      {{"trace", "node_count", "--n", "3", "--graph6", "Bw"}, {{"--json", "t.json"}, {"--svg", "t.svg"}}},
      {{"precision", "node_count", "--n", "2", "--model", "fp", "--max", "8"},
       {{"--json", "p.json"}, {"--markdown", "p.md"}, {"--regressions", "p.tsv"}}},
      {{"mutate", "node_count", "--n", "2", "--jobs", "1"}, {{"--markdown", "u.md"}}},
      {{"export", "node_count", "--n", "3"}, {{"--out", "x"}}},
  };
}

const std::string kSentinel = "exactformer: an earlier output\n";

// args of `c` with every output in `good` (holding the sentinel beforehand, except a directory output)
// and output `bad` at `bad_path`.
std::vector<std::string> with_outputs(const Command& c, const fs::path& good, std::size_t bad, const std::string& bad_path) {
  std::vector<std::string> args = c.args;
  for (std::size_t i = 0; i < c.outputs.size(); ++i) {
    args.push_back(c.outputs[i].first);
    if (i == bad) {
      args.push_back(bad_path);
    } else {
      args.push_back((good / c.outputs[i].second).string());
      if (c.outputs[i].first != "--out") put(good / c.outputs[i].second, kSentinel);
    }
  }
  return args;
}

// Every good target holds the sentinel still, and `dir` holds no temporary or staging directory.
void check_untouched(const Command& c, const fs::path& good, std::size_t bad) {
  for (std::size_t i = 0; i < c.outputs.size(); ++i)
    if (i != bad && c.outputs[i].first != "--out") CHECK(read(good / c.outputs[i].second) == kSentinel);
  for (const auto& entry : fs::directory_iterator(good)) {
    CAPTURE(entry.path().string());
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    CHECK(entry.path().filename().string().find(".staging-") == std::string::npos);
  }
}

// Exit 2, nothing on stdout, one error line on stderr: its last line (progress lines of the work may precede it
// when the failure came after the work).
void check_refused(const Run& r) {
  CAPTURE(r.err);
  CHECK(r.code == 2);
  CHECK(r.out.empty());  // no verdict, no table
  const std::size_t last = r.err.rfind('\n', r.err.size() >= 2 ? r.err.size() - 2 : 0);
  const std::string last_line = last == std::string::npos ? r.err : r.err.substr(last + 1);
  CHECK(last_line.rfind("exactformer: error: ", 0) == 0);
  CHECK(count_lines(last_line) == 1);
  std::size_t errors = 0;
  for (std::size_t at = r.err.find("exactformer: error"); at != std::string::npos; at = r.err.find("exactformer: error", at + 1)) ++errors;
  CHECK(errors == 1);
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("exactformer_outputs_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("outputs: aliases, keep and remove, and nothing before commit") {
  const fs::path d = fresh_dir("unit");
  put(d / "in.g6", "Bw\n");
  put(d / "old.txt", "old");
  put(d / "stale.txt", "stale");
  const std::string a = (d / "a.json").string();
  {
    OutputFiles o;
    o.input((d / "in.g6").string(), "--graphs");
    o.file(a, "--json");
    CHECK_THROWS_WITH_AS(o.file((d / "." / "a.json").string(), "--answers"), doctest::Contains("same file as --json"), usage_error);
    CHECK_THROWS_WITH_AS(o.file((d / "sub" / ".." / "in.g6").string(), "--svg"), doctest::Contains("--graphs"), usage_error);
    fs::create_symlink(d / "in.g6", d / "link.g6");
    CHECK_THROWS_AS(o.appended((d / "link.g6").string(), "--state"), usage_error);  // the input by a symlink
    o.write(a, "{}");
    CHECK(!fs::exists(a));  // nothing in place before commit
  }
  CHECK(!fs::exists(a));  // destroyed uncommitted: the temporary is gone
  std::size_t entries = 0;
  for (const auto& e : fs::directory_iterator(d)) entries += e.path().filename().string().find(".tmp-") == std::string::npos;
  CHECK(entries == std::size_t(std::distance(fs::directory_iterator(d), fs::directory_iterator())));
  {
    OutputFiles o;
    o.file(a, "--json");
    o.file((d / "old.txt").string(), "--plot");
    o.file((d / "stale.txt").string(), "--out");
    o.write(a, "new");
    o.keep((d / "old.txt").string());
    o.remove((d / "stale.txt").string());
    o.commit();
  }
  CHECK(read(a) == "new");
  CHECK(read(d / "old.txt") == "old");
  CHECK(!fs::exists(d / "stale.txt"));
  // A file inside a directory that is replaced whole would be lost with the old tree.
  {
    OutputFiles o;
    o.directory((d / "tree").string(), "--out");
    CHECK_THROWS_WITH_AS(o.file((d / "tree" / "x.json").string(), "--json"), doctest::Contains("inside the directory --out"), usage_error);
  }
  CHECK(!fs::exists(d / "tree"));
  fs::remove_all(d);
}

TEST_CASE("every command's every output: refused up front, or failed before any target changes") {
  const fs::path good = fresh_dir("good");
  const fs::path dir_target = fresh_dir("a_directory");
  // Unwritable for the user running the tests: a read-only directory, or (root writes anywhere) sysfs.
  const fs::path locked = fresh_dir("locked");
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
  const fs::path unwritable = ::geteuid() == 0 ? fs::path("/sys") : locked;
  for (const Command& c : commands()) {
    for (std::size_t bad = 0; bad < c.outputs.size(); ++bad) {
      const bool is_dir = c.outputs[bad].first == "--out";
      CAPTURE(c.args[0]);
      CAPTURE(c.outputs[bad].first);
      const std::vector<std::string> targets = {is_dir ? (good / "a_file").string() : dir_target.string(), "/proc/exactformer_x",
                                                (unwritable / "exactformer_x").string()};
      if (is_dir) put(good / "a_file", kSentinel);
      for (const std::string& target : targets) {
        CAPTURE(target);
        check_refused(cli(with_outputs(c, good, bad, target)));
        check_untouched(c, good, bad);
      }
      if (is_dir) CHECK(read(good / "a_file") == kSentinel);
      // EFBIG: the work is done, the first byte written fails; no verdict follows.
      std::string skipped;
      const fs::path limited = fresh_dir("limited");
      const Run big = in_child(with_outputs(c, good, bad, (limited / c.outputs[bad].second).string()), [] {
        const rlimit zero{0, RLIM_INFINITY};
        return ::setrlimit(RLIMIT_FSIZE, &zero) == 0 ? std::string() : std::string("setrlimit failed");
      }, skipped);
      REQUIRE(skipped.empty());
      check_refused(big);
      CHECK(big.err.find("File too large") != std::string::npos);
      check_untouched(c, good, bad);
      CHECK(fs::is_empty(limited));
      fs::remove_all(limited);
    }
  }
  fs::permissions(locked, fs::perms::owner_all);
  for (const fs::path& d : {good, dir_target, locked}) fs::remove_all(d);
}

TEST_CASE("a full file system (ENOSPC): the failed output and every other one stay as they were") {
  const fs::path good = fresh_dir("good_enospc");
  const fs::path full = fresh_dir("full");
  std::size_t ran = 0;
  std::string skipped;
  for (const Command& c : commands())
    for (std::size_t bad = 0; bad < c.outputs.size(); ++bad) {
      CAPTURE(c.args[0]);
      CAPTURE(c.outputs[bad].first);
      // In a private mount namespace (root only): a 4 KiB tmpfs, filled but for an empty temporary's inode.
      const Run r = in_child(with_outputs(c, good, bad, (full / c.outputs[bad].second).string()), [&full] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", full.c_str(), "tmpfs", 0, "size=4k") != 0)
          return std::string("no private tmpfs mount (needs root): ") + std::strerror(errno);
        std::ofstream(full / "filler", std::ios::binary) << std::string(8192, 'x');
        return std::string();
      }, skipped);
      if (!skipped.empty()) break;
      ++ran;
      check_refused(r);
      CHECK(r.err.find("No space left") != std::string::npos);
      check_untouched(c, good, bad);
    }
  if (!skipped.empty()) MESSAGE("ENOSPC cases not run: " << skipped);
  if (::geteuid() == 0) CHECK(ran > 0);  // root can mount: the class must have run
  CHECK(fs::is_empty(full));            // the tmpfs lived in the children's namespace only
  for (const fs::path& d : {good, full}) fs::remove_all(d);
}

TEST_CASE("aliases of inputs and outputs, spelled differently, are refused before work") {
  const fs::path d = fresh_dir("alias");
  put(d / "g.g6", "Bw\n");
  const std::string g = (d / "g.g6").string(), x = (d / "x").string(), dot_x = (d / "." / "x").string();
  const std::vector<std::vector<std::string>> cases = {
      {"verify", "node_count", "--n", "3", "--answers", x, "--json", dot_x},
      {"verify", "node_count", "--n", "3", "--state", x, "--json", dot_x},
      {"verify", "node_count", "--n", "3", "--graphs", g, "--state", (d / "sub" / ".." / "g.g6").string()},
      {"verify", "node_count", "--n", "3", "--graphs", g, "--json", g},
      {"check", "retrieval.node_count.depth1", "--n-max", "2", "--json", x, "--regressions", dot_x},
      {"trace", "node_count", "--n", "3", "--graph6", "Bw", "--json", x, "--svg", dot_x},
  };
  for (const auto& args : cases) {
    CAPTURE(args);
    check_refused(cli(args));
  }
  CHECK(read(g) == "Bw\n");
  CHECK(!fs::exists(x));
  fs::remove_all(d);
}

TEST_CASE("export --out: the current directory works; a FIFO or a symlink to a device is a usage error") {
  const fs::path d = fresh_dir("export");
  const fs::path cwd = fs::current_path();
  fs::current_path(d);
  const Run here = cli({"export", "node_count", "--n", "3", "--out", "."});
  fs::current_path(cwd);
  CHECK(here.code == 0);
  CHECK(fs::exists(d / "exactformer.json"));
  REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
  fs::create_symlink("/dev/null", d / "device");
  fs::create_directory(d / "real");
  fs::create_directory_symlink(d / "real", d / "to_dir");
  check_refused(cli({"export", "node_count", "--n", "3", "--out", (d / "fifo").string()}));
  check_refused(cli({"export", "node_count", "--n", "3", "--out", (d / "device").string()}));
  CHECK(cli({"export", "node_count", "--n", "3", "--out", (d / "to_dir").string()}).code == 0);
  CHECK(fs::is_symlink(d / "to_dir"));  // the link stays; its directory got the files
  CHECK(fs::exists(d / "real" / "prompt.json"));
  // docs --out names the tree it replaces whole: the current directory cannot be.
  fs::current_path(d);
  const Run docs = cli({"docs", "--out", "."});
  fs::current_path(cwd);
  check_refused(docs);
  fs::remove_all(d);
}

// Not an output, but the same machinery (a child with a resource limit): under a 2 GB address-space limit a
// model whose exact weights would not fit is refused before it is built, with what it would need.
TEST_CASE("a model too large for the address-space limit is refused up front, one that fits runs") {
  std::string skipped;
  const auto limited = [] {
    const rlimit two_gb{2UL << 30, RLIM_INFINITY};
    return ::setrlimit(RLIMIT_AS, &two_gb) == 0 ? std::string() : std::string("setrlimit failed");
  };
  const Run big = in_child({"verify", "connectivity_squaring", "--n", "256", "--graphs", "family:path:4"}, limited, skipped);
  REQUIRE(skipped.empty());
  check_refused(big);
  CHECK(big.err.find("40482685 weights") != std::string::npos);
  CHECK(big.err.find("2.0 GiB") != std::string::npos);
  const Run small = in_child({"verify", "connectivity_squaring", "--n", "16", "--graphs", "family:path:4", "--jobs", "1"}, limited, skipped);
  CHECK(small.code == 0);
}
