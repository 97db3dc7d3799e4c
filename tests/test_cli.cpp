// The command line in-process: exit codes, one-line errors, and a deliberately broken construction
// (in a registry of its own) reported with exit 1 and a counterexample.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "exactformer/construction.hpp"

using namespace exactformer;

namespace {

struct Run {
  int code;
  std::string out, err;
};

Run cli(std::vector<std::string> args, const Registry& registry = builtin_registry()) {
  args.insert(args.begin(), "exactformer");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err, registry);
  return {code, out.str(), err.str()};
}

long lines(const std::string& s) { return static_cast<long>(std::count(s.begin(), s.end(), '\n')); }

// node_degree without its second head: counts only the edges (v, b), so every edge (a, v) is missed.
class BrokenDegree final : public Construction {
 public:
  std::string name() const override { return "test_broken_degree"; }
  std::string task() const override { return "node_degree"; }
  std::string summary() const override { return "node_degree with head b removed (tests only)"; }
  std::string regime() const override { return "none"; }
  Built build(int n, const Variant& v) const override {
    Built b = find_construction("node_degree").build(n, v);
    b.model.layers[0].heads.pop_back();
    b.decoder.slots.pop_back();
    b.readout_claim = {};  // node_degree's claim is about both heads
    return b;
  }
  Shape claimed(int n, const Variant& v) const override {
    return measure(build(n, v).model);  // the shape is not what is broken
  }
  std::vector<CheckSpec> checks() const override {
    return {CheckSpec{"test.broken.degree", "a deliberately broken construction", "tests/test_cli.cpp", {Variant::hard()}, {}, "", 2, 0, {}}};
  }
};

// edge_existence with head ab's W_O doubled: match_ab = 2 on a present edge (a, b), so every answer is still
// right; only its readout claim (match_ab = 1) can tell.
class DoubledMatch final : public Construction {
 public:
  std::string name() const override { return "test_doubled_match"; }
  std::string task() const override { return "edge_existence"; }
  std::string summary() const override { return "edge_existence with W_O of head ab doubled (tests only)"; }
  std::string regime() const override { return "none"; }
  Built build(int n, const Variant& v) const override {
    Built b = find_construction("edge_existence").build(n, v);
    b.model.layers[0].heads[0].wo *= 2;
    return b;
  }
  Shape claimed(int n, const Variant& v) const override { return measure(build(n, v).model); }
  std::vector<CheckSpec> checks() const override {
    return {CheckSpec{"test.doubled.match", "right answers off a wrong readout value", "tests/test_cli.cpp", {Variant::hard()}, {}, "", 2, 0, {}}};
  }
};

// The built-ins plus the broken constructions: a registry of this test's own.
const Registry& with_broken() {
  static const Registry r = [] {
    Registry reg = builtin_registry();
    reg.add(std::make_shared<BrokenDegree>());
    reg.add(std::make_shared<DoubledMatch>());
    return reg;
  }();
  return r;
}

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = "exactformer_test_" + name;
  std::ofstream(path) << content;
  return path;
}

}  // namespace

TEST_CASE("a broken construction is reported with exit 1 and a counterexample") {
  const Run r = cli({"check", "test.broken.degree", "--n-max", "4", "--family-n-max", "4"}, with_broken());
  CHECK(r.code == 1);
  CHECK(r.out.find("COUNTEREXAMPLE graph6") != std::string::npos);
  const Run v = cli({"verify", "test_broken_degree", "--n", "3"}, with_broken());
  CHECK(v.code == 1);
  CHECK(v.out.find("expected 1, got 0") != std::string::npos);
  CHECK(v.out.find("FAILS") != std::string::npos);
}

TEST_CASE("resumable: a failing check and a generated source rerun from their state files to the same report") {
  const auto untimed = [](std::string out) {  // the check table's last column and verify's seconds
    return std::regex_replace(std::regex_replace(out, std::regex(R"(\| [0-9.]+ \|\n)"), "|\n"), std::regex(R"(, [0-9.]+ s\n)"), "\n");
  };
  const std::string check_state = "exactformer_test_check.state", verify_state = "exactformer_test_verify.state";
  std::remove(check_state.c_str());
  std::remove(verify_state.c_str());
  const std::vector<std::string> check{"check", "test.broken.degree", "--n-max", "4", "--family-n-max", "4", "--shard-graphs", "5"};
  const Run plain = cli(check, with_broken());
  std::vector<std::string> resumable = check;
  resumable.insert(resumable.end(), {"--state", check_state});
  const Run first = cli(resumable, with_broken()), again = cli(resumable, with_broken());
  CHECK(plain.code == 1);
  CHECK(first.code == 1);
  CHECK(again.code == 1);
  CHECK(untimed(first.out) == untimed(plain.out));
  CHECK(untimed(again.out) == untimed(plain.out));
  // A generated source has no file size to fingerprint (this was an internal error, exit 3).
  const std::vector<std::string> verify{"verify", "connectivity_hook_shortcut", "--n", "16", "--graphs", "family:binomial:4",
                                        "--state", verify_state, "--quiet"};
  const Run v1 = cli(verify), v2 = cli(verify);
  CHECK(v1.code == 0);
  CHECK(untimed(v2.out) == untimed(v1.out));
  std::remove(check_state.c_str());
  std::remove(verify_state.c_str());
}

TEST_CASE("a state file is untrusted input: every forged or foreign file is refused, left as it was") {
  const std::string state = "exactformer_test_forged.state";
  std::remove(state.c_str());
  const std::vector<std::string> verify{"verify", "node_count", "--n", "3", "--shard-graphs", "2", "--state", state, "--quiet"};
  REQUIRE(cli(verify).code == 0);
  std::ifstream in(state);
  std::string header, record;
  std::getline(in, header);
  std::getline(in, record);
  in.close();
  const nlohmann::json r = nlohmann::json::parse(record);
  const auto with_stats = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = r;
    edit(j["stats"]);
    return header + "\n" + j.dump() + "\n";
  };
  const auto failure = [](const char* g6, nlohmann::json order, long expected) {
    return nlohmann::json{{"graph6", g6}, {"edge_order", order}, {"query", nlohmann::json::array()}, {"expected", expected},
                          {"got", expected + 1},  {"variant", "hard"}, {"certificate", ""},        {"readout", ""}};
  };
  const std::vector<std::pair<std::string, std::string>> forged = {
      {"nested", std::string(100000, '[') + std::string(100000, ']') + "\n"},
      {"nested record", header + "\n" + std::string(5000, '{') + "\n"},
      {"not a state file", "hello"},
      {"not a state file, one line", "{\"a\": 1}\n"},
      {"negative count", with_stats([](nlohmann::json& s) { s["graphs"] = -5; })},
      {"fractional count", with_stats([](nlohmann::json& s) { s["queries"] = 1.5; })},
      {"failure on a graph larger than n", with_stats([&](nlohmann::json& s) { s["failure"] = failure("D~{", nlohmann::json::array(), 5); })},
      {"failure with another edge order", with_stats([&](nlohmann::json& s) { s["failure"] = failure("B?", {{0, 1}}, 3); })},
      {"failure with a wrong truth", with_stats([&](nlohmann::json& s) { s["failure"] = failure("B?", nlohmann::json::array(), 2); })},
      {"failure the model does not make", with_stats([&](nlohmann::json& s) { s["failure"] = failure("B?", nlohmann::json::array(), 3); })},
      {"record with an extra field", header + "\n" + nlohmann::json(r).dump().insert(1, "\"x\":1,") + "\n"},
      {"shard recorded twice", header + "\n" + record + "\n" + record + "\n"},
  };
  for (const auto& [what, text] : forged) {
    CAPTURE(what);
    std::ofstream(state, std::ios::binary) << text;
    const Run run = cli(verify);
    CAPTURE(run.err);
    CHECK(run.code == 2);
    CHECK(run.out.empty());
    CHECK(lines(run.err) == 1);
    std::ifstream after(state, std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(after), std::istreambuf_iterator<char>()) == text);  // not clobbered
  }
  // check --state too (a deeply nested file crashed it)
  std::ofstream(state, std::ios::binary) << std::string(100000, '[');
  CHECK(cli({"check", "retrieval.node_count.depth1", "--n-max", "2", "--state", state}).code == 2);
  // A run refused before its first shard leaves no state file.
  std::remove(state.c_str());
  const std::string empty = temp_file("exactformer_test_empty.g6", "");
  CHECK(cli({"verify", "node_count", "--n", "3", "--graphs", empty, "--state", state}).code == 2);
  CHECK(!std::ifstream(state).good());
  std::remove(empty.c_str());
}

TEST_CASE("one verdict whatever the thread timing: 30 runs of softmax2 row squaring at b = 2 with 2 threads") {
  // Issue 16: this run exited 1 on some runs and 2 on others (5 of 30) when a thread's error could outrun
  // another's counterexample. Now the lowest enumeration index decides.
  const Run first = cli({"verify", "connectivity_squaring", "--n", "4", "--mode", "softmax2", "--b", "2", "--jobs", "2"});
  const auto verdict = [](const Run& r) { return std::to_string(r.code) + r.out.substr(r.out.find("graph6")); };
  REQUIRE(first.out.find("graph6") != std::string::npos);
  for (int run = 1; run < 30; ++run)
    CHECK(verdict(cli({"verify", "connectivity_squaring", "--n", "4", "--mode", "softmax2", "--b", "2", "--jobs", "2"})) == verdict(first));
}

TEST_CASE("a right answer read off a value the construction does not claim fails, and is shrunk") {
  const Run v = cli({"verify", "test_doubled_match", "--n", "4"}, with_broken());
  CHECK(v.code == 1);
  CHECK(v.out.find("expected 1, got 1") != std::string::npos);
  CHECK(v.out.find("readout match_ab = 2, claimed 1 breaks the construction's claim") != std::string::npos);
  const Run r = cli({"check", "test.doubled.match", "--n-max", "4", "--family-n-max", "4"}, with_broken());
  CHECK(r.code == 1);
  CHECK(r.out.find("COUNTEREXAMPLE graph6 A_ (n=2") != std::string::npos);  // shrunk to the one edge
}

TEST_CASE("usage and input errors: one line on stderr, exit 2") {
  const std::string empty = temp_file("empty.g6", "");
  const std::string bad_length = temp_file("bad_length.g6", "DQc\nDQ\n");
  const std::string bad_char = temp_file("bad_char.g6", "D Qc\n");
  const std::string too_large = temp_file("too_large.g6", "G?????\n");  // n = 8 > --n 5
  const std::vector<std::vector<std::string>> cases = {
      {"verify", "edge_existence", "--n", "5", "--graphs", bad_length},
      {"verify", "edge_existence", "--n", "5", "--graphs", bad_char},
      {"verify", "edge_existence", "--n", "5", "--graphs", too_large},
      {"verify", "edge_existence", "--n", "5", "--graphs", "no_such_file.g6"},
      {"verify", "edge_existence", "--n", "0"},
      {"verify", "edge_existence", "--n", "4097"},
      {"verify", "connectivity_hook_shortcut", "--n", "2048"},  // 4M queries per graph: --queries K
      {"verify", "node_count", "--n", "8", "--graphs", "random:gnp:8:2:1:1"},
      {"verify", "disconnected_nodes", "--n", "64", "--graphs", "family:path:64", "--queries", "4"},  // a set answer fits 62 bits
      {"verify", "edge_existence", "--n", "12"},  // labelled enumeration stops at 11
      {"verify", "no_such_construction", "--n", "4"},
      {"check", "no.such.check"},
      {"check"},
      {"check", "--all", "--n-max", "12"},
      {"verify", "edge_existence", "--n", "4", "--bogus-flag"},
      {"verify", "edge_existence", "--n", "4", "--mode", "softmax3"},
      {"verify", "edge_existence", "--n", "4", "--b", "3"},
      {"verify", "node_count", "--n", "4", "--code-bits-offset", "-3"},  // node_count has no vertex codes
      {"frobnicate"},
      // issue 16: a directory is not a graph file; an empty stream is no evidence
      {"verify", "node_count", "--n", "6", "--graphs", "."},
      {"verify", "node_count", "--n", "6", "--graphs", empty},
      // numbers parsed whole
      {"trace", "connectivity_squaring", "--n", "4", "--graph6", "Ch", "--query", "0x,1y"},
      {"trace", "connectivity_squaring", "--n", "4", "--graph6", "Ch", "--query", "1.9,2"},
      {"trace", "node_degree", "--n", "4", "--graph6", "Ch", "--query", "1,"},
      {"trace", "node_degree", "--n", "4", "--graph6", "Ch", "--query", ""},
      {"bounds", "node_count", "--n", "4x"},
      {"bounds", "node_count", "--n", ""},
      {"bounds", "node_count", "--n", "5..3"},
      {"precision", "node_count", "--n", "4,"},
      // certified softmax: beta required, exact, positive
      {"verify", "node_count", "--n", "4", "--mode", "softmax"},
      {"verify", "node_count", "--n", "4", "--mode", "softmax", "--beta", "0"},
      {"verify", "node_count", "--n", "4", "--mode", "softmax", "--beta", "1e3"},
      {"verify", "node_count", "--n", "4", "--mode", "hard", "--beta", "2"},
      // output paths checked before the run
      {"verify", "node_count", "--n", "4", "--json", "."},
      {"verify", "node_count", "--n", "4", "--json", "/no/such/dir/x.json"},
      {"verify", "node_count", "--n", "4", "--json", ""},
      {"verify", "node_count", "--n", "4", "--json", "out.json", "--graphs", "no_such_file.g6"},
      {"verify", "node_count", "--n", "4", "--json", "out.json", "--mode", "softmax"},
      {"docs", "--out", ""},
      // resumable runs: the state file's directory must exist; shards hold a graph at least
      {"check", "retrieval.node_count.depth1", "--n-max", "3", "--state", "/no/such/dir/x.state"},
      {"check", "retrieval.node_count.depth1", "--n-max", "3", "--state", "x.state", "--shard-graphs", "0"},
      {"verify", "node_count", "--n", "3", "--state", "."},
      {"trace", "node_count", "--n", "4", "--graph6", "Ch", "--json", "t.json", "--svg", "/no/such/dir/t.svg"},
      // found by fuzz_cli: CLI11 echoed an unexpected argument raw, carriage return and all
      {"list", "-\rn", std::string(2000, 'x')},
      {"bench", "node_count", "edge_count", "--mpi", "2"},  // one construction at a time
      {"bench", "no_such_construction", "--mpi", "2"},
      // found by the second corpus of bad inputs (issue 30)
      {"bench", "node_count", "--scaling", "16", "--budget", "nan"},
      {"bench", "node_count", "--scaling", "16", "--mpi", "2"},
      {"precision", "node_count", "--all", "--n", "2"},
      {"mutate", "node_count", "--all", "--n", "2"},
      {"verify", "connectivity_squaring", "--n", "4096", "--graphs", "family:path:4"},  // 15e9 weights: refused, not aborted in GMP
      {"export", "connectivity_squaring", "--n", "4096", "--out", "exactformer_test_never_written"},
  };
  // Every output a case names exists beforehand: a refused run must leave each as it was.
  const std::string sentinel = "exactformer_test_sentinel\n";
  for (const char* existing : {"t.json", "out.json"}) std::ofstream(existing) << sentinel;
  const auto unchanged = [&](const char* path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) == sentinel;
  };
  for (const auto& args : cases) {
    const Run r = cli(args);
    CAPTURE(args.back());
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind("exactformer: error: ", 0) == 0);
    CHECK(r.err.size() <= 400);
    CHECK(std::none_of(r.err.begin(), r.err.end() - 1, [](char c) { return static_cast<unsigned char>(c) < 32; }));
  }
  CHECK(cli({"verify", "edge_existence", "--n", "5", "--graphs", bad_length}).err.find("line 2") != std::string::npos);
  {  // no mpirun: said before any table
    const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", "/nonexistent", 1);
    const Run no_mpirun = cli({"bench", "node_count", "--mpi", "2"});
    ::setenv("PATH", path.c_str(), 1);
    CHECK(no_mpirun.code == 2);
    CHECK(no_mpirun.out.empty());
    CHECK(no_mpirun.err.find("no mpirun on PATH") != std::string::npos);
  }
  CHECK(unchanged("t.json"));  // refused before anything was written
  CHECK(unchanged("out.json"));
  std::remove("t.json");
  std::remove("out.json");
  // An empty stream is accepted only when asked, and then said to be vacuous.
  const Run vacuous = cli({"verify", "node_count", "--n", "6", "--graphs", empty, "--allow-empty"});
  CHECK(vacuous.code == 0);
  CHECK(vacuous.out.find("vacuously") != std::string::npos);
  // A 1 MB malformed line with control bytes: one short line, at most ~80 bytes of it quoted, escaped.
  const std::string huge = temp_file("huge.g6", std::string(1 << 20, '\x01') + "\n");
  const Run flood = cli({"verify", "node_count", "--n", "6", "--graphs", huge});
  CHECK(flood.code == 2);
  CHECK(lines(flood.err) == 1);
  CHECK(flood.err.size() < 400);
  CHECK(flood.err.find('\x01') == std::string::npos);
  CHECK(flood.err.find("\\x01") != std::string::npos);
  CHECK(flood.err.find("1048576 bytes") != std::string::npos);
  for (const auto& p : {empty, bad_length, bad_char, too_large, huge}) std::remove(p.c_str());
}

TEST_CASE("a check made of a precision search shows the graphs it searched") {
  const std::string json = "exactformer_test_precision_check.json";
  REQUIRE(cli({"check", "precision.node_count.fp_hard", "--n-max", "3", "--quiet", "--json", json}).code == 0);
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in)["checks"][0];
  CHECK(j["graphs"] == 11);  // every labelled graph with 1..3 vertices
  CHECK(j["queries"] == 11);
  CHECK(j["evaluations"].get<long>() > 11);  // several probes
  std::remove(json.c_str());
}

TEST_CASE("a generated source takes every seed up to 2^63 - 1, and says a larger one is out of range") {
  const Run largest = cli({"verify", "node_count", "--n", "3", "--graphs", "random:gnp:3:1/2:5:9223372036854775807"});
  CHECK(largest.code == 0);
  CHECK(largest.out.find("graphs 5,") != std::string::npos);
  const Run beyond = cli({"verify", "node_count", "--n", "3", "--graphs", "random:gnp:3:1/2:5:9223372036854775808"});
  CHECK(beyond.code == 2);
  CHECK(beyond.err.find("is outside 0..9223372036854775807") != std::string::npos);
  CHECK(cli({"verify", "node_count", "--n", "3", "--graphs", "random:gnp:3:1/2:5:" + std::string(30, '9')}).code == 2);
}

TEST_CASE("vertex codes beyond 31 bits are -1, without undefined shifts") {
  CHECK(code(5, 0) == 1);
  CHECK(code(5, 1) == -1);
  CHECK(code(5, 31) == -1);
  CHECK(code(5, 40) == -1);
  CHECK(cli({"verify", "edge_existence", "--n", "4", "--code-bits-offset", "31"}).code == 0);
}

TEST_CASE("a failed or refused run leaves no partial output file") {
  const std::string json = "exactformer_test_out.json";
  std::remove(json.c_str());
  CHECK(cli({"check", "no.such.check", "--json", json}).code == 2);
  CHECK(!std::ifstream(json).good());
  CHECK(cli({"check", "test.broken.degree", "--n-max", "3", "--family-n-max", "3", "--json", json}, with_broken()).code == 1);
  std::ifstream f(json);
  REQUIRE(f.good());
  const std::string body((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const nlohmann::json checks = nlohmann::json::parse(body)["checks"];
  CHECK(checks[0]["holds"] == false);
  CHECK(checks[0]["counterexample"]["graph6"].is_string());
  CHECK(!std::ifstream(json + ".tmp").good());
  std::remove(json.c_str());
  // Unwritable outputs are refused before the run and leave nothing behind.
  const Run dir = cli({"check", "retrieval.node_count.depth1", "--n-max", "3", "--json", "."});
  CHECK(dir.code == 2);
  CHECK(dir.out.empty());  // no table: nothing ran
}

TEST_CASE("help and list exit 0") {
  CHECK(cli({"--help"}).code == 0);
  CHECK(cli({"check", "--help"}).code == 0);
  const Run l = cli({"list"});
  CHECK(l.code == 0);
  CHECK(l.out.find("retrieval.node_degree.depth1") != std::string::npos);
}

TEST_CASE("softmax2 with b one below the proof's b(n) fails, found by the checker") {
  const Run r = cli({"verify", "node_count", "--n", "6", "--mode", "softmax2", "--b", "4"});
  CHECK(r.code == 1);
  CHECK(r.out.find("COUNTEREXAMPLE") != std::string::npos);
  CHECK(cli({"verify", "node_count", "--n", "6", "--mode", "softmax2", "--b", "5"}).code == 0);
}

TEST_CASE("trace --mode softmax lays the certified pass open and says certified_wrong below beta*") {
  const Run r = cli({"trace", "node_count", "--n", "6", "--graph6", "E~~w", "--mode", "softmax", "--beta", "3"});
  CHECK(r.code == 1);
  CHECK(r.out.find("count = [1.29e-01, 1.29e-01]") != std::string::npos);
  CHECK(r.out.find("answer 7, truth 6 -> certified_wrong") != std::string::npos);
  const Run ok = cli({"trace", "node_count", "--n", "6", "--graph6", "E~~w", "--mode", "softmax", "--beta", "3.41"});
  CHECK(ok.code == 0);
  CHECK(ok.out.find("-> certified_correct") != std::string::npos);
  CHECK(cli({"trace", "node_count", "--n", "6", "--graph6", "E~~w", "--mode", "softmax", "--beta", "3", "--json", "t.json"}).code == 2);
}
