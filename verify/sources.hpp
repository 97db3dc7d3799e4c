// Graph sources: where a sweep's graphs come from (every labelled graph, a list, a graph6 stream).
#pragma once
#include <istream>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/graph.hpp"

namespace exactformer {

// A source of graphs, consumed in batches (so that a stdin stream need not fit in memory).
class GraphSource {
 public:
  virtual ~GraphSource() = default;
  virtual bool next_batch(std::vector<Graph>& out) = 0;  // false when exhausted
  virtual std::string describe() const = 0;               // "every labelled graph with 1 <= n <= 6"
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }  // graphs in all, if known (progress)
};

std::unique_ptr<GraphSource> labelled_source(int n_min, int n_max);
std::unique_ptr<GraphSource> list_source(std::vector<Graph> graphs, std::string description);
std::unique_ptr<GraphSource> graph6_source(std::istream& in, std::string description, int n_max);
// Generated graphs at any n <= kMaxVertices, named by a spec (usage_error on anything else):
//   family:path:N  family:cycle:N  family:star:N  family:empty:N  family:two_cycles:N (N even)
//   family:binomial:K (G_K on 2^K vertices)
//   random:gnp:N:P:COUNT:SEED (each pair an edge with probability P, a decimal in [0, 1])
//   random:gnm:N:M:COUNT:SEED (M distinct edges, uniformly)
// Random graphs are a function of the spec alone (splitmix64 from SEED), so a run can be repeated.
bool is_generated_spec(const std::string& spec);
std::unique_ptr<GraphSource> generated_source(const std::string& spec);

}  // namespace exactformer
