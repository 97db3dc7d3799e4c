// The regression corpus, replayed forever: every line of tests/regressions/*.tsv (verify/regressions.hpp)
// must still be a failure of its model, with the solver's answer unchanged.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

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
