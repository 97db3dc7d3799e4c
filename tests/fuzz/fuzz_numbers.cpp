// libFuzzer target: the strict number and list parsers and the regression-case reader. Each input is refused
// with usage_error or parsed into a value that prints back to an equal value; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exactformer/rational.hpp"
#include "regressions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exactformer;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Q q = parse_rational(text);
    if (parse_rational(q.str()) != q) __builtin_trap();
  } catch (const usage_error&) {
  }
  try {
    const long v = parse_integer(text, -1000000, 1000000, "x");
    if (v < -1000000 || v > 1000000 || parse_integer(std::to_string(v), -1000000, 1000000, "x") != v) __builtin_trap();
  } catch (const usage_error&) {
  }
  const std::vector<std::string> items = split_commas(text);  // joined again with commas: the input
  std::string joined;
  for (std::size_t i = 0; i < items.size(); ++i) joined += (i ? "," : "") + items[i];
  if (joined != text) __builtin_trap();
  try {
    const RegressionCase rc = RegressionCase::parse(text);
    if (RegressionCase::parse(rc.line()).line() != rc.line()) __builtin_trap();
  } catch (const usage_error&) {
  }
  const std::string quoted = quote_input(text);
  if (quoted.size() > 4 * 40 + 40) __builtin_trap();
  for (const char c : quoted)
    if (static_cast<unsigned char>(c) < 32) __builtin_trap();
  return 0;
}
