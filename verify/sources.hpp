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

}  // namespace exactformer
