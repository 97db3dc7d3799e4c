// Registry of constructions (constructions/list.inc) and helpers shared by constructions.
#include "exactformer/construction.hpp"

#include <sstream>

#include "exactformer/errors.hpp"

namespace exactformer {

#define EXACTFORMER_CONSTRUCTION(name) std::unique_ptr<Construction> make_##name();
#include "../constructions/list.inc"
#undef EXACTFORMER_CONSTRUCTION

namespace {
std::vector<std::unique_ptr<Construction>>& registry() {
  static std::vector<std::unique_ptr<Construction>> list = [] {
    std::vector<std::unique_ptr<Construction>> l;
#define EXACTFORMER_CONSTRUCTION(name) l.push_back(make_##name());
#include "../constructions/list.inc"
#undef EXACTFORMER_CONSTRUCTION
    return l;
  }();
  return list;
}
}  // namespace

const std::vector<std::unique_ptr<Construction>>& all_constructions() { return registry(); }

const Construction& find_construction(const std::string& name) {
  for (const auto& c : registry())
    if (c->name() == name) return *c;
  throw usage_error("unknown construction \"" + name + "\" (see `exactformer list`)");
}

void register_construction(std::unique_ptr<Construction> c) { registry().push_back(std::move(c)); }

std::string Variant::str() const {
  std::string s = kind == AttentionKind::hard ? "hard" : "softmax2";
  if (kind == AttentionKind::softmax2) {
    if (b) s += "(b=" + std::to_string(*b) + ")";
    else if (b_offset != 0) s += "(b(n)" + std::to_string(b_offset) + ")";
    else s += "(b(n))";
  }
  if (code_bits_offset != 0) s += ", k(n)" + std::to_string(code_bits_offset) + " code bits";
  if (layers_offset != 0) s += ", L(n)" + std::to_string(layers_offset) + " layers";
  return s;
}

int code_bits(int n) {
  int k = 1;
  while ((1L << k) < n) ++k;
  return k;
}

int floor_log2(long x) {
  EXACTFORMER_ASSERT(x >= 1, "floor_log2 of a non-positive number");
  int r = 0;
  while (x >>= 1) ++r;
  return r;
}

int bit_length_of(long x) {
  if (x < 0) x = -x;
  int r = 0;
  while (x) {
    ++r;
    x >>= 1;
  }
  return r;
}

}  // namespace exactformer
