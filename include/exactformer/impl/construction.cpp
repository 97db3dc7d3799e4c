// Implementation of include/exactformer/construction.hpp: variants and the helpers constructions share.
#include "exactformer/construction.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

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

void require_memory_to_build(const Construction& c, int n, const Variant& v, double bytes_per_weight) {
  double limit = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) limit = std::min(limit, static_cast<double>(as.rlim_cur));
  const long weights = c.claimed(n, v).params;
  const double need = static_cast<double>(weights) * bytes_per_weight + 256e6;  // and the tool itself, its threads' stacks
  if (need <= limit) return;
  const auto gib = [](double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    return std::string(buf);
  };
  throw usage_error(c.name() + " for n = " + std::to_string(n) + " has " + std::to_string(weights) + " weights (its claimed shape), about " +
                    gib(need) + " as exact rationals; this process may use " + gib(limit) +
                    " (physical memory, or ulimit -v): build it for a smaller --n");
}

}  // namespace exactformer
