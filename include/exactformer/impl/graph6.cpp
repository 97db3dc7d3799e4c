// graph6 encoding and decoding, following nauty's formats.txt.
#include "exactformer/errors.hpp"
#include "exactformer/graph.hpp"

namespace exactformer {

std::string to_graph6(const Graph& g) {
  const int n = g.n();
  std::string out;
  if (n <= 62) {
    out.push_back(static_cast<char>(n + 63));
  } else {  // 126 then n in 18 bits, big-endian 6-bit groups
    out.push_back(126);
    for (int shift = 12; shift >= 0; shift -= 6) out.push_back(static_cast<char>(((n >> shift) & 63) + 63));
  }
  int acc = 0, bits = 0;
  for (int j = 1; j < n; ++j)
    for (int i = 0; i < j; ++i) {
      acc = (acc << 1) | (g.has_edge(i, j) ? 1 : 0);
      if (++bits == 6) {
        out.push_back(static_cast<char>(acc + 63));
        acc = bits = 0;
      }
    }
  if (bits > 0) out.push_back(static_cast<char>((acc << (6 - bits)) + 63));
  return out;
}

Graph from_graph6(const std::string& text) {
  std::string s = text;
  if (s.rfind(">>graph6<<", 0) == 0) s = s.substr(10);
  EXACTFORMER_REQUIRE(!s.empty(), "malformed graph6: empty line");
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    EXACTFORMER_REQUIRE(c >= 63 && c <= 126, "malformed graph6 " + quote_input(text) + ": byte " + std::to_string(i)
                                                  + " is outside '?'..'~'");
  }
  std::size_t pos = 0;
  long n = 0;
  if (s[0] != 126) {
    n = s[0] - 63;
    pos = 1;
  } else {
    EXACTFORMER_REQUIRE(s.size() >= 4, "malformed graph6 " + quote_input(text) + ": truncated vertex count");
    EXACTFORMER_REQUIRE(s[1] != 126, "malformed graph6 " + quote_input(text) + ": n too large (more than "
                                         + std::to_string(kMaxVertices) + " vertices are not supported)");
    n = ((s[1] - 63L) << 12) | ((s[2] - 63L) << 6) | (s[3] - 63L);
    pos = 4;
  }
  EXACTFORMER_REQUIRE(n <= kMaxVertices, "graph6 " + quote_input(text) + ": n = " + std::to_string(n) + " too large (at most "
                                             + std::to_string(kMaxVertices) + " vertices are supported)");
  const long pairs = n * (n - 1) / 2;
  const std::size_t need = static_cast<std::size_t>((pairs + 5) / 6);
  EXACTFORMER_REQUIRE(s.size() - pos == need, "malformed graph6 " + quote_input(text) + ": " + std::to_string(s.size() - pos)
                                                  + " edge bytes for n = " + std::to_string(n) + ", expected "
                                                  + std::to_string(need));
  Graph g(static_cast<int>(n));
  long k = 0;
  for (int j = 1; j < n; ++j)
    for (int i = 0; i < j; ++i, ++k) {
      const int byte = s[pos + static_cast<std::size_t>(k / 6)] - 63;
      if ((byte >> (5 - k % 6)) & 1) g.add_edge(i, j);
    }
  if (pairs % 6 != 0) {
    const int last = s.back() - 63;
    EXACTFORMER_REQUIRE((last & ((1 << (6 - pairs % 6)) - 1)) == 0,
                        "malformed graph6 " + quote_input(text) + ": nonzero padding bits");
  }
  return g;
}

}  // namespace exactformer
