// Transformers against message-passing GNNs, computed (docs/results/gnn.md):
//   * the 1-WL barrier: colour refinement started from one colour (an anonymous GNN: no vertex ids) gives
//     two graphs the same colour histogram at every depth, so every anonymous message-passing readout is
//     the same on both; the transformer constructions are run on the same pair and answer differently;
//   * depth: the least message-passing depth that is right on every graph with n vertices, against the
//     depth of each transformer construction for the same task (claimed = measured, checked elsewhere).
// Colour refinement here is its own code (no construction, no solver shared).
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer::contrast {

// Joint colour refinement of a and b from one colour: true iff their colour histograms agree after each
// of 0, 1, ..., rounds rounds.
bool wl_equivalent(const Graph& a, const Graph& b, int rounds);

// The least number of refinement rounds after which the partition of g stops changing.
int wl_stable_rounds(const Graph& g);

// Markdown for docs/results/gnn.md (without the file header).
void write_markdown(const Registry& registry, std::ostream& out);

}  // namespace exactformer::contrast
