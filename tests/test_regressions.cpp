// The regression corpus, replayed forever: every line of tests/regressions/*.tsv (verify/regressions.hpp)
// must still be a failure of its model, with the solver's answer unchanged.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "mutate.hpp"
#include "regressions.hpp"

using namespace exactformer;

TEST_CASE("every case of tests/regressions/*.tsv still fails its model") {
  long cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(EXACTFORMER_SOURCE_DIR) + "/tests/regressions")) {
    if (entry.path().extension() != ".tsv") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      CAPTURE(entry.path().filename().string());
      CAPTURE(line);
      const RegressionCase rc = RegressionCase::parse(line);
      const ReplayOutcome r = replay(builtin_registry(), rc);
      CHECK(r.truth == rc.expected);
      CHECK(r.still_fails);
      ++cases;
    }
  }
  CHECK(cases >= 20);  // the checks' witnesses and the precision witnesses, at least
}

TEST_CASE("a regression case round-trips, and a model that answers right does not replay as a failure") {
  const RegressionCase rc = RegressionCase::parse("connectivity_squaring\t6\tsoftmax2\t6\t0\t0\tDs?\t0,4\t0");
  CHECK(rc.line() == "connectivity_squaring\t6\tsoftmax2\t6\t0\t0\tDs?\t0,4\t0");
  CHECK(replay(builtin_registry(), rc).still_fails);  // certified_wrong: b*score off the integers
  RegressionCase right = rc;
  right.mode = "hard";
  right.value = "-";
  CHECK(!replay(builtin_registry(), right).still_fails);
  RegressionCase wrong_truth = rc;
  wrong_truth.expected = 1;
  CHECK(!replay(builtin_registry(), wrong_truth).still_fails);
  CHECK_THROWS_AS(RegressionCase::parse("connectivity_squaring\t6\tsoftmax2\t6"), usage_error);
  CHECK_THROWS_AS(RegressionCase::parse("connectivity_squaring\t6\twarm\t6\t0\t0\tDs?\t0,4\t0"), usage_error);
}

TEST_CASE("mutation testing: node count's 15 weight mutants at n = 3 are killed, but for one that changes nothing") {
  // 5 non-zero entries (W_Q[one], W_K[is_vertex], W_K[is_task], W_V[is_task], W_O), each 1 -> 0, -1, 2.
  const MutationReport r = mutate(find_construction("node_count"), 3, 1);
  CHECK(r.mutants == 15);
  CHECK(r.killed + static_cast<long>(r.survivors.size()) == r.mutants);
  CHECK(r.killed == 14);
  REQUIRE(r.survivors.size() == 1);
  CAPTURE(r.survivors[0].change);
  CHECK(r.survivors[0].where == "layer 1 head count W_Q");
  CHECK(r.survivors[0].kind == "equivalent");  // W_Q[one] 1 -> 2: every score doubles, the argmax set is the same
  CHECK(r.kill_rate() == 1.0);
}

TEST_CASE("mutation testing: edge existence's value-doubling mutants are killed by its readout claim") {
  // Without the claim, W_V[is_edge] 1 -> 2 and W_O 1 -> 2 of either head keep every answer right (2 >= 1/2).
  const MutationReport r = mutate(find_construction("edge_existence"), 3, 1);
  CHECK(r.count("answer-preserving") == 0);
  CHECK(r.killed > 0);
  CHECK(r.kill_rate() == 1.0);
}
