// The command line in-process: exit codes, one-line errors, and a deliberately broken construction
// (in a registry of its own) reported with exit 1 and a counterexample.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

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
    return b;
  }
  Shape claimed(int n, const Variant& v) const override {
    return measure(build(n, v).model);  // the shape is not what is broken
  }
  std::vector<CheckSpec> checks() const override {
    return {CheckSpec{"test.broken.degree", "a deliberately broken construction", "tests/test_cli.cpp", {Variant::hard()}, {}, "", 2, 0, {}}};
  }
};

// The built-ins plus the broken construction: a registry of this test's own.
const Registry& with_broken() {
  static const Registry r = [] {
    Registry reg = builtin_registry();
    reg.add(std::make_shared<BrokenDegree>());
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

TEST_CASE("usage and input errors: one line on stderr, exit 2") {
  const std::string bad_length = temp_file("bad_length.g6", "DQc\nDQ\n");
  const std::string bad_char = temp_file("bad_char.g6", "D Qc\n");
  const std::string too_large = temp_file("too_large.g6", "G?????\n");  // n = 8 > --n 5
  const std::vector<std::vector<std::string>> cases = {
      {"verify", "edge_existence", "--n", "5", "--graphs", bad_length},
      {"verify", "edge_existence", "--n", "5", "--graphs", bad_char},
      {"verify", "edge_existence", "--n", "5", "--graphs", too_large},
      {"verify", "edge_existence", "--n", "5", "--graphs", "no_such_file.g6"},
      {"verify", "edge_existence", "--n", "0"},
      {"verify", "edge_existence", "--n", "65"},
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
  };
  for (const auto& args : cases) {
    const Run r = cli(args);
    CAPTURE(args.back());
    CAPTURE(r.err);
    CHECK(r.code == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind("exactformer: error: ", 0) == 0);
  }
  CHECK(cli({"verify", "edge_existence", "--n", "5", "--graphs", bad_length}).err.find("line 2") != std::string::npos);
  for (const auto& p : {bad_length, bad_char, too_large}) std::remove(p.c_str());
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
  CHECK(body.find("\"holds\": false") != std::string::npos);
  CHECK(body.find("\"counterexample\": {\"graph6\"") != std::string::npos);
  CHECK(!std::ifstream(json + ".tmp").good());
  std::remove(json.c_str());
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
