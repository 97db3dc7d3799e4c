// The progress meter: its lines by hand, silence when quiet, and the sweep feeding it one graph at a time.
#include <doctest/doctest.h>

#include <sstream>

#include "progress.hpp"
#include "sweep.hpp"

using namespace exactformer;

TEST_CASE("with_commas groups digits by three") {
  CHECK(with_commas(0) == "0");
  CHECK(with_commas(999) == "999");
  CHECK(with_commas(1000) == "1,000");
  CHECK(with_commas(1234567) == "1,234,567");
}

TEST_CASE("progress lines: counts of the total, percent, pairs, ETA; a live line is rewritten and cleared") {
  std::ostringstream log;
  Progress lines(&log, false, 0.0, 0.0);
  lines.set_prefix("retrieval.node_count.depth1");
  lines.begin("every labelled graph with 1 <= n <= 3", 11);
  lines.add(5, 20);
  lines.end();
  const std::string text = log.str();
  CHECK(text.rfind("exactformer: retrieval.node_count.depth1: every labelled graph with 1 <= n <= 3: 5 of 11 graphs (45%), 20 pairs, ", 0) == 0);
  CHECK(text.find("ETA") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(text.find('\r') == std::string::npos);

  std::ostringstream tty;
  Progress live(&tty, true, 0.0, 0.0);
  live.begin("graph6 from stdin", std::nullopt);
  live.add(3, 9);
  live.end();
  CHECK(tty.str().rfind("\rexactformer: graph6 from stdin: 3 graphs, 9 pairs, ", 0) == 0);
  CHECK(tty.str().find("so far") != std::string::npos);  // no total: elapsed instead of an ETA
  CHECK(tty.str().size() > 4);
  CHECK(tty.str().substr(tty.str().size() - 4) == "\r\033[K");  // the live line is cleared at the end

  std::ostringstream none;
  Progress late(&none, false, 3600.0, 0.0);  // a sweep shorter than `first_after` prints nothing
  late.begin("x", 1);
  late.add(1, 1);
  late.end();
  CHECK(none.str().empty());
  Progress quiet(nullptr, false, 0.0, 0.0);
  quiet.begin("x", 1);
  quiet.add(1, 1);  // no stream: nothing to print, no crash
  quiet.end();
}

TEST_CASE("the sweep reports every graph to the meter: the last line reaches the total") {
  std::ostringstream log;
  Progress meter(&log, false, 0.0, 0.0);
  RunOptions opt;
  opt.progress = &meter;
  const Construction& c = builtin_registry().find("node_count");
  const Built built = c.build(3, Variant::hard());
  auto source = labelled_source(1, 3);
  const RunStats s = run_sweep(c, built, 3, *source, opt);
  CHECK(s.graphs == 11);
  const std::string text = log.str();
  CHECK(text.find(": 11 of 11 graphs (100%), 11 pairs") != std::string::npos);
}
