// Implementation of include/exactformer/construction.hpp: variants and the helpers constructions share.
#include "exactformer/construction.hpp"

namespace exactformer {

std::string Variant::str() const {
  std::string s = kind == AttentionKind::hard ? "hard" : kind == AttentionKind::softmax2 ? "softmax2" : "softmax(beta=" + beta.str() + ")";
  if (kind == AttentionKind::softmax2) {
    if (b) s += "(b=" + std::to_string(*b) + ")";
    else if (b_offset != 0) s += "(b(n)" + std::to_string(b_offset) + ")";
    else s += "(b(n))";
  }
  if (code_bits_offset != 0) s += ", k(n)" + std::to_string(code_bits_offset) + " code bits";
  if (layers_offset != 0) s += ", L(n)" + std::to_string(layers_offset) + " layers";
  if (mask == Mask::causal) s += ", causal mask";
  return s;
}

long first_stable(const std::function<bool(long)>& ok) {
  for (long p = 0; p <= 64; ++p)
    if (ok(p) && ok(p + 1) && ok(p + 2) && ok(p + 3)) return p;
  return -1;
}

bool reciprocal_cell(const Q& o, long K) {
  const Q k(K), half(Z(1), Z(2));
  return o > 1 / (k + half) && o <= 1 / (k - half);
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

int ceil_log2(long x) { return x <= 1 ? 0 : floor_log2(x - 1) + 1; }

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
