// Traces: one forward pass laid open — tokens, slots, X0, every weight, the residual after every
// sublayer, the decoder and its answer next to the ground truth. Text for reading, JSON
// (exactformer-trace/1, docs/trace-format.md) for programs.
#pragma once
#include <ostream>
#include <string>

#include "exactformer/construction.hpp"

namespace exactformer {

struct Trace {
  std::string construction, variant;
  int n = 0;
  Graph graph;
  Query query;
  std::vector<Token> tokens;
  const Built* built = nullptr;
  MatQ x0;
  Record record;
  long truth = 0;
  std::optional<long> answer;
};

Trace make_trace(const Construction& c, const Built& built, int n, const Graph& g, const Query& query);
void print_trace(std::ostream& out, const Trace& t, bool all_rows);
std::string trace_to_json(const Trace& t);
// A heatmap of the residual stream: one panel per sublayer (X0 first), tokens x columns, slot names on
// the axis, blue > 0 > red scaled per panel, the exact value of every cell in its <title>.
std::string trace_to_svg(const Trace& t);

// The certified pass (softmax, or softmax2 off its integrality invariant) laid open: the readout row (every
// row with all_rows) after every layer as enclosures — exact values where they are points, [lo, hi] with
// approximate endpoints otherwise — at the first rung whose decoder decides (up to max_rung), then the
// decision next to the ground truth. Returns 0 if the certified answer is the truth, else 1.
int print_certified_trace(std::ostream& out, const Construction& c, const Built& built, int n, const Graph& g, const Query& query,
                          int max_rung, bool all_rows);

}  // namespace exactformer
