// Error types. Library code never aborts: it throws one of these, and the CLI maps them to exit codes
// (usage_error -> 2, internal_error -> 3). A check that fails is a result, not an exception.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace exactformer {

// Bad input or arguments: malformed graph6, n out of range, unknown name.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An exact arithmetic met an attention weight it cannot represent: e^(beta s) (softmax), or 2^(b s) with
// b s not an integer (softmax2 off its construction's invariant). Not an input error: the checker
// evaluates that (graph, query) on the certified path instead (certified_arith.hpp).
struct not_exact : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A bug in exactformer itself, e.g. the fast exact path disagreeing with the GMP path.
struct internal_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// User input inside an error message: quoted, at most `max` bytes of it, bytes outside printable ASCII
// escaped as \xHH, the length given when cut: "abc" or "abcdef…" (1048576 bytes).
inline std::string quote_input(std::string_view s, std::size_t max = 40) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 32 && c < 127 && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += s.size() > max ? "…\" (" + std::to_string(s.size()) + " bytes)" : "\"";
  return out;
}

// An error message as the one line the tool prints: control bytes escaped as \xHH, at most `max` bytes
// (cut on a character boundary, the full length given). Messages that quote input with quote_input pass
// unchanged; this is the last guard for those that carry input verbatim (CLI11's parse errors).
inline std::string one_line(std::string_view s, std::size_t max = 300) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 32 && c != 127) {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (out.size() <= max) return out;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  return out.substr(0, cut) + "… (" + std::to_string(out.size()) + " bytes)";
}

}  // namespace exactformer

#define EXACTFORMER_REQUIRE(cond, msg)                                      \
  do {                                                                      \
    if (!(cond)) throw ::exactformer::usage_error(msg);                     \
  } while (0)

#define EXACTFORMER_ASSERT(cond, msg)                                                            \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      throw ::exactformer::internal_error(std::string(__FILE__) + ":" + std::to_string(__LINE__) \
                                          + ": " + (msg));                                       \
  } while (0)
