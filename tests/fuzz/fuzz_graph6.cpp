// libFuzzer target: the graph6 reader. Any byte string either parses or is refused with usage_error (never a
// crash, never another exception); what parses writes back to a string that parses to the same graph, and
// an error message quotes at most ~40 bytes of the input, with control bytes escaped.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exactformer/graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const exactformer::Graph g = exactformer::from_graph6(text);
    const std::string back = exactformer::to_graph6(g);
    const exactformer::Graph h = exactformer::from_graph6(back);
    if (h.n() != g.n() || h.edges() != g.edges() || exactformer::to_graph6(h) != back) __builtin_trap();
  } catch (const exactformer::usage_error& e) {
    const std::string what = e.what();
    if (what.size() > 400) __builtin_trap();  // the input is quoted, not echoed
    for (const char c : what)
      if (static_cast<unsigned char>(c) < 32) __builtin_trap();
  }
  return 0;
}
