// Fractions<S>: the Evaluator's arithmetic where every entry is its own number S:
//   S = Q           GMP rationals: the reference tier, never overflows;
//   S = Checked128  (and Checked64) reduced machine fractions, every operation checked: Overflow
//                   sends the evaluation one tier up;
//   S = double      floating point, for tests of the schedule only (never a verdict).
// Noted for max_activation_bits(): every projection entry, score, attention normaliser (sum of 2^-shift),
// attention output entry, residual entry after each head and after the MLP, and hidden pre-activation,
// each by the bit size of its reduced fraction.
// An optional PassObserver sees every score, hard argmax set, residual row and hidden pre-activation:
// the audit (verify/audit.hpp) is one.
//
// With S = Q and a grid 2^-p this is the fixed-point model FP_p (precision.md §3.2; docs/precision.md):
// every weight, bias and embedding entry (R0), projection entry (R1), score (R2), attention weight (R3:
// mode(S) evaluated exactly on the rounded scores, then each key's weight rounded), head output (R4),
// head output times W_O (R5) and MLP affine output (R6) is rounded once to 2^-p Z, ties to even; dot
// products are exact, so the result does not depend on token order. Residual sums and ReLU stay on the
// grid. max_integer_bits() is then the largest integer part (in bits) of any rounded or residual value.
#pragma once
#include <cmath>
#include <optional>
#include <type_traits>
#include <vector>

#include "exactformer/layer_schedule.hpp"

namespace exactformer {

enum class Sublayer { attention, mlp };

// Sees one forward pass value by value (Evaluator<Fractions<S>>::run_all shows it every value once).
template <class S>
class PassObserver {
 public:
  using Row = std::vector<S>;
  virtual ~PassObserver() = default;
  virtual void score(std::size_t layer, std::size_t head, std::size_t row, std::size_t key, const S& s) = 0;
  // A hard head's argmax set (terms, every shift 0) and the value rows of its keys.
  virtual void hard_argmax(std::size_t layer, std::size_t head, std::size_t row, const std::vector<AttentionTerm>& terms,
                           const std::vector<Row>& values) = 0;
  // The residual row after the attention sublayer, and after the MLP (layers with an MLP only).
  virtual void residual(std::size_t layer, Sublayer where, std::size_t row, const Row& x) = 0;
  // A hidden layer's pre-activation (k = 1 for the first hidden layer).
  virtual void hidden(std::size_t layer, std::size_t k, std::size_t row, const Row& pre) = 0;
};

template <class S>
class Fractions : public LayerSchedule<Fractions<S>, std::vector<S>> {
 public:
  using Row = std::vector<S>;
  using Readout = Row;
  using Traits = ScalarTraits<S>;

  explicit Fractions(const Model& model, PassObserver<S>* observer = nullptr, std::optional<long> grid_bits = std::nullopt)
      : observer_(observer), grid_(grid_bits) {
    EXACTFORMER_ASSERT((!grid_ || std::is_same_v<S, Q>), "the fixed-point model runs in GMP rationals");
    const auto convert = [this](const Q& w) { return rounded(Traits::from(w)); };
    for (const Layer& layer : model.layers) {
      LayerW lw;
      for (const Head& h : layer.heads)
        lw.heads.push_back(HeadW{sparse<S>(h.wq, convert), sparse<S>(h.wk, convert), sparse<S>(h.wv, convert),
                                 sparse<S>(h.wo, convert), h.mode, h.mask});
      for (const Affine& a : layer.mlp.layers) {
        Row b;
        for (Eigen::Index j = 0; j < a.bias.size(); ++j) b.push_back(rounded(Traits::from(a.bias(j))));
        lw.mlp.push_back(AffineW{sparse<S>(a.w, convert), std::move(b)});
      }
      layers_.push_back(std::move(lw));
    }
  }

  std::size_t heads(std::size_t l) const { return layers_[l].heads.size(); }

  void input(const Frac64* cells, int d, Row& out) {
    out.resize(static_cast<std::size_t>(d));
    for (std::size_t c = 0; c < out.size(); ++c) out[c] = rounded(Traits::from(cells[c]));
  }

  void project(std::size_t l, std::size_t h, Projection p, const Row& x, Row& out) {
    const HeadW& hw = layers_[l].heads[h];
    const SparseMatrix<S>& w = p == Projection::query ? hw.wq : p == Projection::key ? hw.wk : hw.wv;
    out.assign(static_cast<std::size_t>(w.cols), S(0));
    add_product(out, x, w);
    round_all(out);
  }

  static void difference(const Row& a, const Row& b, Row& out) {
    out.resize(a.size());
    for (std::size_t c = 0; c < a.size(); ++c) out[c] = a[c] == b[c] ? S(0) : a[c] - b[c];
  }
  static bool changes_any(const Row& delta, const std::vector<char>& columns) {
    for (std::size_t c = 0; c < delta.size(); ++c)
      if (columns[c] && !(delta[c] == S(0))) return true;
    return false;
  }
  void add_change(Row& x, const Row& delta) {
    for (std::size_t c = 0; c < x.size(); ++c)
      if (!(delta[c] == S(0))) x[c] += delta[c];
    for (const S& v : x) note(v);
  }

  int max_bits() const { return max_bits_; }
  void reset_bits() {
    max_bits_ = 0;
    max_integer_bits_ = 0;
  }
  int max_integer_bits() const { return max_integer_bits_; }

 private:
  struct HeadW {
    SparseMatrix<S> wq, wk, wv, wo;
    AttentionMode mode;
    Mask mask;
  };
  struct AffineW {
    SparseMatrix<S> w;
    Row bias;
  };
  struct LayerW {
    std::vector<HeadW> heads;
    std::vector<AffineW> mlp;
  };

  // The block's steps (layer_schedule.hpp).
  friend class LayerSchedule<Fractions<S>, Row>;
  void start_row(const Row& x, Row& y) { y = x; }
  void add_head(std::size_t l, std::size_t h, std::size_t i, const LayerRows<Row>& in, Row& y) {
    const HeadW& hw = layers_[l].heads[h];
    attend(l, h, i, in, attended_);
    if (!grid_) {
      add_product(y, attended_, hw.wo);
      return;
    }
    projected_.assign(y.size(), S(0));  // P_h = rho(H_h W_O), then added
    add_product(projected_, attended_, hw.wo);
    round_all(projected_);
    for (std::size_t c = 0; c < y.size(); ++c) y[c] += projected_[c];
  }
  void end_attention(std::size_t l, std::size_t i, Row& y) {
    note_integer_bits(y);
    if (observer_) observer_->residual(l, Sublayer::attention, i, y);
  }
  bool has_mlp(std::size_t l) const { return !layers_[l].mlp.empty(); }
  void add_mlp(std::size_t l, std::size_t i, Row& y) { mlp(l, i, y); }
  void end_mlp(std::size_t l, std::size_t i, Row& y) {
    if (observer_) observer_->residual(l, Sublayer::mlp, i, y);
  }

  void note(const S& v) {
    const int b = Traits::bits(v);
    if (b > max_bits_) max_bits_ = b;
  }

  // FP_p: x rounded to the grid (the identity without one).
  S rounded(S x) {
    if constexpr (std::is_same_v<S, Q>) {
      if (grid_) {
        x = round_to_grid(x, *grid_);
        note_integer_bits(x);
      }
    }
    return x;
  }
  void round_all(Row& row) {
    if (grid_)
      for (S& v : row) v = rounded(v);
  }
  void note_integer_bits(const Row& row) {
    if constexpr (std::is_same_v<S, Q>)
      if (grid_)
        for (const S& v : row) note_integer_bits(v);
  }
  void note_integer_bits(const S& v) {
    if constexpr (std::is_same_v<S, Q>) {
      const int b = bit_length(Z(numerator(abs(v)) / denominator(v)));
      if (b > max_integer_bits_) max_integer_bits_ = b;
    }
  }

  // acc += x W; every entry of acc noted.
  void add_product(Row& acc, const Row& x, const SparseMatrix<S>& w) {
    for (int r = 0; r < w.rows; ++r) {
      const S& xr = x[static_cast<std::size_t>(r)];
      if (xr == S(0)) continue;
      for (const auto& [c, wt] : w.by_row[static_cast<std::size_t>(r)]) acc[static_cast<std::size_t>(c)] += xr * wt;
    }
    for (const S& v : acc) note(v);
  }

  // Head h's output for row i: sum over the rule's terms of 2^-shift v_j, over the sum of 2^-shift.
  void attend(std::size_t l, std::size_t h, std::size_t i, const LayerRows<Row>& in, Row& out) {
    const HeadW& hw = layers_[l].heads[h];
    const std::size_t visible = visible_keys(hw.mask, i, in.rows);
    const Row& query = in.q[h][i];
    scores_.assign(visible, S(0));
    for (std::size_t j = 0; j < visible; ++j) {
      S s(0);
      const Row& k = in.k[h][j];
      for (std::size_t c = 0; c < query.size(); ++c)
        if (query[c] != S(0) && k[c] != S(0)) s += query[c] * k[c];
      s = rounded(s);
      note(s);
      if (observer_) observer_->score(l, h, i, j, s);
      scores_[j] = s;
    }
    struct {
      const std::vector<S>& s;
      bool greater(std::size_t a, std::size_t b) const { return s[a] > s[b]; }
      std::optional<long> times_b(std::size_t j, int b) const {
        const S x = S(b) * s[j];
        if (!Traits::is_integer(x)) return std::nullopt;
        return Traits::to_long(x);
      }
      Q exact(std::size_t j) const { return Traits::to_q(s[j]); }
    } scores{scores_};
    attention_terms(hw.mode, visible, scores, terms_);
    if (observer_ && hw.mode.kind == AttentionKind::hard) observer_->hard_argmax(l, h, i, terms_, in.v[h]);
    out.assign(static_cast<std::size_t>(hw.wv.cols), S(0));
    if (grid_) {  // FP_p: each key's weight rounded, then the weighted sum
      S total(0);
      for (const AttentionTerm& t : terms_) total += Traits::pow2_neg(t.shift);
      for (const AttentionTerm& t : terms_) {
        const S w = rounded(Traits::pow2_neg(t.shift) / total);
        const Row& v = in.v[h][t.key];
        if (w != S(0))
          for (std::size_t c = 0; c < out.size(); ++c) out[c] += w * v[c];
      }
      round_all(out);
      for (const S& v : out) note(v);
      return;
    }
    S total(0);
    for (const AttentionTerm& t : terms_) {
      const Row& v = in.v[h][t.key];
      if (t.shift == 0) {
        total += S(1);
        for (std::size_t c = 0; c < out.size(); ++c) out[c] += v[c];
        continue;
      }
      const S w = Traits::pow2_neg(t.shift);
      total += w;
      for (std::size_t c = 0; c < out.size(); ++c)
        if (v[c] != S(0)) out[c] += w * v[c];
    }
    note(total);
    for (S& v : out) {
      v = v / total;
      note(v);
    }
  }

  // a += MLP(a), in place; every hidden pre-activation and entry of a noted.
  void mlp(std::size_t l, std::size_t i, Row& a) {
    const std::vector<AffineW>& stack = layers_[l].mlp;
    hidden_ = a;
    for (std::size_t k = 0; k < stack.size(); ++k) {
      next_ = stack[k].bias;
      add_product(next_, hidden_, stack[k].w);
      round_all(next_);
      if (k + 1 < stack.size()) {
        if (observer_) observer_->hidden(l, k + 1, i, next_);
        for (S& v : next_)
          if (v < S(0)) v = S(0);
      }
      std::swap(hidden_, next_);
    }
    for (std::size_t c = 0; c < a.size(); ++c) a[c] += hidden_[c];
    for (const S& v : a) note(v);
    note_integer_bits(a);
  }

  PassObserver<S>* observer_;
  std::vector<LayerW> layers_;
  std::vector<S> scores_;
  std::vector<AttentionTerm> terms_;
  std::optional<long> grid_;  // FP_p: p
  Row attended_, projected_, hidden_, next_;
  int max_bits_ = 0, max_integer_bits_ = 0;
};

}  // namespace exactformer
