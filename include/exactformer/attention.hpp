// The attention rule: the one place that says which keys a query row sees and how much each weighs.
// Every forward pass (the reference forward() in model.hpp, every arithmetic of the Evaluator, and so
// the audit) asks this file; only the independent evaluator of the tests restates it.
//
//   visible keys of query row i among T rows:   mask none: 0 .. T-1     mask causal: 0 .. i
//   terms (key j, shift e_j >= 0), and the head's output for row i is
//        sum_terms 2^-e_j v_j  /  sum_terms 2^-e_j
//     hard         the argmax set of the visible scores, every shift 0      (averaging hard attention)
//     softmax2(b)  every visible key, e_j = b s_top - b s_j                 (b s_j must be an integer)
//     softmax(β)   weights e^(β s_j): transcendental, no exact terms; only the certified arithmetic
//                  (certified_arith.hpp) evaluates it, as it does softmax2 where b s_j is not an integer
//
// So hard attention is softmax2 restricted to the argmax set with equal weights, and an exact arithmetic
// implements one thing: a weighted average with weights 2^-e_j. A new mode is a new case here.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/errors.hpp"
#include "exactformer/rational.hpp"
#include "exactformer/scalar.hpp"

namespace exactformer {

enum class AttentionKind { hard, softmax2, softmax };

struct AttentionMode {
  AttentionKind kind = AttentionKind::hard;
  int b = 0;     // softmax2 only: weights proportional to 2^(b * score)
  Q beta = 0;    // softmax only: weights proportional to e^(beta * score), beta > 0 rational
  static AttentionMode hard() { return {}; }
  static AttentionMode softmax2(int b) { return {AttentionKind::softmax2, b, 0}; }
  static AttentionMode softmax(const Q& beta) { return {AttentionKind::softmax, 0, beta}; }
  std::string str() const {
    switch (kind) {
      case AttentionKind::hard: return "hard";
      case AttentionKind::softmax2: return "softmax2(" + std::to_string(b) + ")";
      case AttentionKind::softmax: return "softmax(" + beta.str() + ")";
    }
    return "?";
  }
  friend bool operator==(const AttentionMode&, const AttentionMode&) = default;
};

// "hard", "softmax2", "softmax": the mode's name in traces, exports and `list --modes`.
inline const char* attention_kind_name(AttentionKind k) {
  switch (k) {
    case AttentionKind::hard: return "hard";
    case AttentionKind::softmax2: return "softmax2";
    case AttentionKind::softmax: return "softmax";
  }
  return "?";
}

enum class Mask { none, causal };

// The number of keys query row `row` sees among `rows` rows: keys 0 .. visible-1.
inline std::size_t visible_keys(Mask mask, std::size_t row, std::size_t rows) {
  return mask == Mask::causal ? row + 1 : rows;
}

// Key `key` enters the average with weight 2^-shift (before normalising).
struct AttentionTerm {
  std::size_t key = 0;
  long shift = 0;
};

// Largest shift any arithmetic is asked to represent (2^-shift); beyond it the model is refused.
inline constexpr long kMaxAttentionShift = 1L << 40;

// The terms of one query row over its `visible` scores (visible >= 1). The scores come through `s`, in
// the caller's arithmetic:
//   s.greater(a, b)  -> bool                 score a > score b
//   s.times_b(j, b)  -> std::optional<long>  b * score j if it is an integer (nullopt if it is not); an
//                                            arithmetic that cannot hold it throws its own Overflow
//   s.exact(j)       -> Q                    score j exactly (for the error message only)
// Throws not_exact for softmax, and for softmax2 when its integrality breaks; usage_error when a shift
// exceeds kMaxAttentionShift.
template <class Scores>
void attention_terms(const AttentionMode& mode, std::size_t visible, const Scores& s, std::vector<AttentionTerm>& terms) {
  EXACTFORMER_ASSERT(visible > 0, "attention over an empty set");
  if (mode.kind == AttentionKind::hard) {
    std::size_t top = 0;
    for (std::size_t j = 1; j < visible; ++j)
      if (s.greater(j, top)) top = j;
    terms.resize(visible);  // filled by index, then cut: no per-key push_back on this hot path
    std::size_t count = 0;
    for (std::size_t j = 0; j < visible; ++j)
      if (!s.greater(top, j)) terms[count++] = {j, 0};
    terms.resize(count);
    return;
  }
  terms.clear();
  if (mode.kind == AttentionKind::softmax) throw not_exact("softmax(" + mode.beta.str() + "): weights e^(beta*score) are not rational");
  long best = 0;
  for (std::size_t j = 0; j < visible; ++j) {
    const std::optional<long> bs = s.times_b(j, mode.b);
    if (!bs)
      throw not_exact("softmax2(" + std::to_string(mode.b) + "): b*score = " + to_string(Q(mode.b) * s.exact(j)) +
                        " is not an integer");
    terms.push_back({j, *bs});
    if (j == 0 || *bs > best) best = *bs;
  }
  for (AttentionTerm& t : terms) {
    t.shift = best - t.shift;  // b s_top - b s_j >= 0
    EXACTFORMER_REQUIRE(t.shift <= kMaxAttentionShift, "softmax2: score gap too large to represent");
  }
}

// The same rule over exact scores: w_j for every visible key (0 outside the terms).
inline RowQ attention_weights(const RowQ& scores, const AttentionMode& mode) {
  struct {
    const RowQ& s;
    bool greater(std::size_t a, std::size_t b) const { return s(static_cast<Eigen::Index>(a)) > s(static_cast<Eigen::Index>(b)); }
    std::optional<long> times_b(std::size_t j, int b) const {
      const Q x = Q(b) * s(static_cast<Eigen::Index>(j));
      if (!is_integer(x)) return std::nullopt;
      return ScalarTraits<Q>::to_long(x);
    }
    Q exact(std::size_t j) const { return s(static_cast<Eigen::Index>(j)); }
  } exact{scores};
  std::vector<AttentionTerm> terms;
  attention_terms(mode, static_cast<std::size_t>(scores.size()), exact, terms);
  RowQ w = RowQ::Zero(scores.size());
  Q total(0);
  for (const AttentionTerm& t : terms) {
    w(static_cast<Eigen::Index>(t.key)) = pow2_neg(static_cast<unsigned long>(t.shift));
    total += w(static_cast<Eigen::Index>(t.key));
  }
  return w / total;
}

}  // namespace exactformer
