// Bounds tables (verify/render/bounds.hpp).
#include "render/bounds.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace exactformer {

// T for the densest graph on n vertices: n vertex tokens, n(n-1)/2 edge tokens, the task token, N' pause tokens.
static double longest_sequence(int n, const Shape& s) {
  return static_cast<double>(max_graph_tokens(n) + s.pause_tokens);
}

bool bounds_table(const Construction& c, const std::vector<int>& list, int build_max, std::ostream& out) {
  const int built_up_to = std::min(build_max, c.max_build_n());
  bool ok = true;
  out << "Construction `" << c.name() << "` — claimed regime: " << c.regime() << ".\n";
  out << "T = n + n(n-1)/2 + 1 + N' (the densest graph's sequence length with the model's N' pause tokens). Built and measured for n <= " << built_up_to
      << "; beyond, the claimed formula only.\n\n";
  out << "| n | T | mode | L | H | d | d_k | d_v | MLP | params | weight bits | L / log2 T | d / log2 T | d / sqrt T | built | N' |\n";
  out << "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|\n";
  for (int n : list) {
    for (const Variant& v : c.modes()) {
      const Shape claimed = c.claimed(n, v);
      std::string built_col = "formula only";
      Shape shown = claimed;
      if (n <= built_up_to) {
        const Built b = c.build(n, v);
        shown = measure(b.model);
        const bool eq = shown == claimed;
        ok = ok && eq;
        built_col = eq ? "measured = claimed" : "**MISMATCH** (claimed " + describe(claimed) + ")";
        if (v.kind == AttentionKind::softmax2) built_col += ", " + b.variant;
      }
      const double t = longest_sequence(n, shown);
      const auto fixed2 = [](double x) {
        std::ostringstream o;
        o << std::fixed << std::setprecision(2) << x;
        return o.str();
      };
      const double lg = std::max(1.0, std::log2(t));
      out << "| " << n << " | " << static_cast<long>(t) << " | " << (v.kind == AttentionKind::hard ? "hard" : "softmax2") << " | "
          << shown.layers << " | " << shown.heads << " | " << shown.width << " | " << shown.d_k << " | " << shown.d_v << " | "
          << shown.mlp_depth << "x" << shown.mlp_width << " | " << shown.params << " | " << shown.weight_bits << " | "
          << fixed2(shown.layers / lg) << " | " << fixed2(shown.width / lg) << " | " << fixed2(shown.width / std::sqrt(t)) << " | "
          << built_col << " | " << shown.pause_tokens << " |\n";
    }
  }
  return ok;
}

// Several constructions of one task side by side: depth and width per n (measured where built).
bool compare_table(const std::vector<const Construction*>& cs, const std::vector<int>& list, int build_max, std::ostream& out) {
  bool ok = true;
  out << "T = n + n(n-1)/2 + 1 + N' (the densest graph's sequence length with the model's N' pause tokens); `hard` mode. Built and measured up to each construction's "
         "build limit (and n <= " << build_max << "); beyond, the claimed formula.\n\n";
  out << "| n | T | construction | regime | L | d | H | L / log2 T | d / sqrt T | built |\n|---:|---:|---|---|---:|---:|---:|---:|---:|---|\n";
  for (int n : list)
    for (const Construction* cp : cs) {
      const Construction& c = *cp;
      const Shape claimed = c.claimed(n, Variant::hard());
      Shape shown = claimed;
      std::string built_col = "formula only";
      if (n <= std::min(build_max, c.max_build_n())) {
        shown = measure(c.build(n, Variant::hard()).model);
        const bool eq = shown == claimed;
        ok = ok && eq;
        built_col = eq ? "measured = claimed" : "**MISMATCH** (claimed " + describe(claimed) + ")";
      }
      const double t = longest_sequence(n, shown);
      std::ostringstream row;
      row << std::fixed << std::setprecision(2) << "| " << n << " | " << static_cast<long>(t) << " | `" << c.name() << "` | " << c.regime()
          << " | " << shown.layers << " | " << shown.width << " | " << shown.heads << " | " << shown.layers / std::max(1.0, std::log2(t))
          << " | " << shown.width / std::sqrt(t) << " | " << built_col << " |\n";
      out << row.str();
    }
  return ok;
}

}  // namespace exactformer
