// Evaluator<S>: the forward pass the checker runs, computing only what reaches one readout row.
//
// Same semantics as forward() in model.hpp, with three exact economies:
//   * weights are stored sparse (the constructions' matrices are mostly zero);
//   * the last layer is evaluated for the readout row only, and only its query is projected there (no
//     other row's output or query reaches the readout);
//   * between calls, only values whose inputs changed are recomputed (see readout()).
// S = Q is the pure-GMP path. S = Checked64 is the fast exact path: it throws Checked64::Overflow and the
// caller redoes the evaluation with S = Q. S = double exists only as the benchmark's floor.
#pragma once
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "exactformer/checked_rational.hpp"
#include "exactformer/construction.hpp"
#include "exactformer/model.hpp"

namespace exactformer {

// The token matrix X0 as small exact fractions, row-major (T, d).
struct Input {
  int rows = 0;
  int cols = 0;
  std::vector<Frac64> cells;
  Input() = default;
  Input(int t, int d) : rows(t), cols(d), cells(static_cast<std::size_t>(t) * static_cast<std::size_t>(d)) {}
  Frac64& at(int r, int c) { return cells[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]; }
  const Frac64& at(int r, int c) const { return cells[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]; }
  MatQ to_q() const {
    MatQ m(rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) m(r, c) = q(at(r, c).num, at(r, c).den);
    return m;
  }
};

template <class S>
struct ScalarTraits;

template <>
struct ScalarTraits<Q> {
  static Q from(const Q& x) { return x; }
  static Q from(const Frac64& f) { return q(f.num, f.den); }
  static Q to_q(const Q& x) { return x; }
  static bool is_integer(const Q& x) { return exactformer::is_integer(x); }
  static long to_long(const Q& x) {
    EXACTFORMER_REQUIRE(abs(x) < Q(1L << 40), "softmax2: score gap too large to represent");
    return x.convert_to<long>();
  }
  static Q pow2_neg(long e) { return exactformer::pow2_neg(static_cast<unsigned long>(e)); }
  static int bits(const Q& x) { return bit_size(x); }
  static std::optional<long> floor_to_long(const Q& x) {
    Z f = numerator(x) / denominator(x);  // truncates toward zero
    if (x < 0 && Q(f) != x) f -= 1;
    if (abs(f) > Z(1L << 62)) return std::nullopt;
    return f.convert_to<long>();
  }
};

template <class Int>
struct ScalarTraits<CheckedRational<Int>> {
  using S = CheckedRational<Int>;
  static S from(const Q& x) { return S::from(x); }
  static S from(const Frac64& f) { return S::from(f); }
  static Q to_q(const S& x) { return x.to_q(); }
  static bool is_integer(const S& x) { return x.is_integer(); }
  static long to_long(const S& x) {
    if (x.num() > (Int{1} << 40) || x.num() < -(Int{1} << 40)) throw Overflow{};
    return static_cast<long>(x.num());
  }
  static S pow2_neg(long e) { return S::pow2_neg(e); }
  static int bits(const S& x) { return x.bit_size(); }
  static std::optional<long> floor_to_long(const S& x) {
    const Int f = x.floor();
    if (f > (Int{1} << 62) || f < -(Int{1} << 62)) return std::nullopt;
    return static_cast<long>(f);
  }
};

// Floating point: for the benchmark's floor only; never used for a verdict.
template <>
struct ScalarTraits<double> {
  static double from(const Q& x) { return x.convert_to<double>(); }
  static double from(const Frac64& f) { return static_cast<double>(f.num) / static_cast<double>(f.den); }
  static Q to_q(double) { throw internal_error("the double path has no exact value"); }
  static bool is_integer(double) { return true; }
  static long to_long(double x) { return std::lround(x); }
  static double pow2_neg(long e) { return std::ldexp(1.0, static_cast<int>(-e)); }
  static int bits(double) { return 0; }
  static std::optional<long> floor_to_long(double x) { return static_cast<long>(std::floor(x)); }
};

// The decoder (construction.hpp) applied to the readout entries at(i) of its slots i, in the scalar S.
template <class S, class At>
std::optional<long> decode_entries(const Decoder& d, const At& at) {
  const auto round = [](const S& x) { return ScalarTraits<S>::floor_to_long(x + S(1) / S(2)); };  // floor(x + 1/2)
  switch (d.kind) {
    case Decoder::Kind::threshold_half: {
      S sum(0);
      for (std::size_t i = 0; i < d.slots.size(); ++i) sum += at(i);
      return S(2) * sum >= S(1) ? 1L : 0L;
    }
    case Decoder::Kind::round_inverse_minus_one: {
      S sum(0);
      for (std::size_t i = 0; i < d.slots.size(); ++i) {
        if (at(i) == S(0)) return std::nullopt;
        sum += S(1) / at(i) - S(1);
      }
      return round(sum);
    }
    case Decoder::Kind::exact_ratio: {
      if (at(1) == S(0)) return std::nullopt;
      const S r = at(0) / at(1);
      const std::optional<long> f = ScalarTraits<S>::floor_to_long(r);
      if (!f || !(S(*f) == r)) return std::nullopt;
      return f;
    }
    case Decoder::Kind::is_zero:
      return at(0) == S(0) ? 1L : 0L;
    case Decoder::Kind::positive_rank:
      return at(0) - at(1) + at(2) > S(0) ? 1L : 0L;
  }
  return std::nullopt;
}

// [x_1 + ... + x_k >= 1/2] for exact machine fractions, decided in double when the rounding error
// allows, else nullopt (a floating-point filter, as in CGAL). Each x_i = n_i / d_i is rounded three times
// (n_i, d_i, the quotient: relative error < 3u + 3u^2 with u = 2^-53) and the sum k - 1 more times, so
// |sum computed - sum exact| < (k + 3) * 2^-52 * sum |x_i computed|; the decision stands when the gap to
// 1/2 exceeds that bound (computed with margin).
template <class At>  // at(i): a fraction with num() and den() machine integers, i < k
std::optional<bool> filtered_at_least_half(std::size_t k, const At& at) {
  double sum = 0, magnitude = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double v = static_cast<double>(at(i).num()) / static_cast<double>(at(i).den());
    sum += v;
    magnitude += std::abs(v);
  }
  const double bound = static_cast<double>(k + 4) * 0x1p-52 * magnitude * 1.0001 + 0x1p-1000;
  if (sum - 0.5 > bound) return true;
  if (0.5 - sum > bound) return false;
  return std::nullopt;
}

// The decoder applied to a readout row, in the evaluator's own scalar.
template <class S>
std::optional<long> decode_readout(const Decoder& d, const std::vector<S>& row) {
  return decode_entries<S>(d, [&](std::size_t i) -> const S& { return row[static_cast<std::size_t>(d.slots[i].col(0))]; });
}

// [column]: 1 when some W_Q, W_K, W_V or the layer's first MLP matrix has a nonzero row there. A change
// confined to the other columns passes through the layer as it is (X' = X + Attn + MLP, both blind to it).
inline std::vector<char> columns_read(const Layer& layer, int width) {
  std::vector<char> reads(static_cast<std::size_t>(width), 0);
  const auto mark = [&reads](const MatQ& w) {
    for (Eigen::Index r = 0; r < w.rows(); ++r)
      for (Eigen::Index c = 0; c < w.cols(); ++c)
        if (w(r, c) != 0) {
          reads[static_cast<std::size_t>(r)] = 1;
          break;
        }
  };
  for (const Head& h : layer.heads) {
    mark(h.wq);
    mark(h.wk);
    mark(h.wv);
  }
  if (!layer.mlp.layers.empty()) mark(layer.mlp.layers.front().w);
  return reads;
}

template <class S>
class Evaluator {
 public:
  using Row = std::vector<S>;
  using Traits = ScalarTraits<S>;

  // Throws Checked64::Overflow (S = Checked64) when a weight does not fit.
  explicit Evaluator(const Model& model) : model_(model) {
    for (const Layer& layer : model.layers) {
      LayerW lw;
      for (const Head& h : layer.heads) {
        lw.heads.push_back(HeadW{sparse(h.wq), sparse(h.wk), sparse(h.wv), sparse(h.wo), h.mode, h.mask,
                                 static_cast<int>(h.wv.cols())});
      }
      for (const Affine& a : layer.mlp.layers) {
        Dense b;
        for (Eigen::Index j = 0; j < a.bias.size(); ++j) b.push_back(Traits::from(a.bias(j)));
        lw.mlp.push_back(AffineW{sparse(a.w), std::move(b)});
      }
      lw.reads = columns_read(layer, model.layout.width());
      layers_.push_back(std::move(lw));
    }
  }

  // The residual row `readout` after the last layer, for the token matrix x0.
  //
  // Incremental and exact: every cached value is recomputed whenever one of its inputs differs from the
  // previous call. Layer l caches its input rows and their projections; a row is "dirty" when its input
  // changed. Rows of layer l are re-attended when their own query changed (dirty rows), or all of them
  // when some dirty row's key or value changed. Typical use: between two queries only the task row's
  // input changes; if its keys and values are query-independent, each layer redoes one row.
  // Pass-through: a dirty row whose input changed only in columns the layer does not read (no W_Q, W_K,
  // W_V, first MLP matrix) keeps its projections, and, if no key or value changed, its output is the cached
  // output plus the same change: X' = X + Attn + MLP with Attn and MLP blind to those columns.
  Row readout(const Input& x0, int readout) {
    const int d = model_.layout.width();
    EXACTFORMER_ASSERT(x0.cols == d, "input width differs from the layout");
    EXACTFORMER_ASSERT(readout >= 0 && readout < x0.rows, "readout row out of range");
    const std::size_t t = static_cast<std::size_t>(x0.rows);
    const std::size_t n_layers = layers_.size();
    if (cache_.size() != n_layers + 1 || in_cache_.size() != t) {
      cache_.assign(n_layers + 1, LayerCache{});
      in_cache_.assign(t, {});
      for (auto& lc : cache_) lc.valid.assign(t, false);
    }
    std::vector<char> dirty(t, 0);
    // delta[j]: (column, new - old) of a dirty row whose previous value was valid; known[j] = 0 otherwise.
    std::vector<std::vector<std::pair<std::size_t, S>>> delta(t);
    std::vector<char> known(t, 0);
    for (std::size_t j = 0; j < t; ++j) {
      const Frac64* row = &x0.cells[j * static_cast<std::size_t>(d)];
      if (cache_[0].valid[j] && std::equal(row, row + d, in_cache_[j].begin())) continue;
      Row x(static_cast<std::size_t>(d));
      for (std::size_t c = 0; c < x.size(); ++c) x[c] = Traits::from(row[c]);
      if (cache_[0].x.size() != t) cache_[0].x.resize(t);
      if (cache_[0].valid[j]) {
        known[j] = 1;
        for (std::size_t c = 0; c < x.size(); ++c)
          if (!(x[c] == cache_[0].x[j][c])) delta[j].emplace_back(c, x[c] - cache_[0].x[j][c]);
      }
      cache_[0].x[j] = std::move(x);
      in_cache_[j].assign(row, row + d);
      cache_[0].valid[j] = true;
      dirty[j] = 1;
    }
    if (n_layers == 0) return cache_[0].x[static_cast<std::size_t>(readout)];
    for (std::size_t l = 0; l < n_layers; ++l) {
      const bool last = l + 1 == n_layers;
      const LayerW& lw = layers_[l];
      LayerCache& in = cache_[l];
      LayerCache& out = cache_[l + 1];
      const std::size_t n_heads = lw.heads.size();
      if (in.k.size() != n_heads || in.projected.size() != t) {
        in.q.assign(n_heads, std::vector<Row>(t));
        in.k.assign(n_heads, std::vector<Row>(t));
        in.v.assign(n_heads, std::vector<Row>(t));
        in.projected.assign(t, false);
        in.queried.assign(t, false);
      }
      // Dirty rows whose change this layer does not read.
      std::vector<char> blind(t, 0);
      for (std::size_t j = 0; j < t; ++j)
        if (dirty[j] && known[j])
          blind[j] = std::none_of(delta[j].begin(), delta[j].end(), [&lw](const auto& e) { return lw.reads[e.first] != 0; });
      bool keys_or_values_changed = false;
      for (std::size_t j = 0; j < t; ++j) {
        if ((!dirty[j] || blind[j]) && in.projected[j]) continue;
        in.projected[j] = false;  // stays false if a projection throws
        in.queried[j] = false;
        for (std::size_t h = 0; h < n_heads; ++h) {
          Row k = apply(lw.heads[h].wk, in.x[j]);
          Row v = apply(lw.heads[h].wv, in.x[j]);
          if (k != in.k[h][j] || v != in.v[h][j]) keys_or_values_changed = true;
          in.k[h][j] = std::move(k);
          in.v[h][j] = std::move(v);
          if (!last) in.q[h][j] = apply(lw.heads[h].wq, in.x[j]);
        }
        in.projected[j] = true;
        in.queried[j] = !last;
      }
      if (last) {  // only the readout row's queries reach the output
        const auto r = static_cast<std::size_t>(readout);
        if (!in.queried[r]) {
          for (std::size_t h = 0; h < n_heads; ++h) in.q[h][r] = apply(lw.heads[h].wq, in.x[r]);
          in.queried[r] = true;
        }
        Row a = in.x[static_cast<std::size_t>(readout)];
        for (std::size_t h = 0; h < n_heads; ++h)
          add_product(a, attend(lw.heads[h], in.q[h][static_cast<std::size_t>(readout)], in.k[h], in.v[h], readout), lw.heads[h].wo);
        return mlp(lw.mlp, std::move(a));
      }
      if (out.x.size() != t) out.x.resize(t);
      std::vector<char> next_dirty(t, 0), next_known(t, 0);
      std::vector<std::vector<std::pair<std::size_t, S>>> next_delta(t);
      for (std::size_t i = 0; i < t; ++i) {
        if (!keys_or_values_changed && !dirty[i] && out.valid[i]) continue;
        if (!keys_or_values_changed && blind[i] && out.valid[i]) {  // pass-through
          out.valid[i] = false;
          for (const auto& [c, dv] : delta[i]) {
            out.x[i][c] += dv;
            note(out.x[i][c]);
          }
          out.valid[i] = true;
          next_dirty[i] = 1;
          next_known[i] = 1;
          next_delta[i] = std::move(delta[i]);
          continue;
        }
        const bool was_valid = out.valid[i];
        out.valid[i] = false;
        Row a = in.x[i];
        for (std::size_t h = 0; h < n_heads; ++h)
          add_product(a, attend(lw.heads[h], in.q[h][i], in.k[h], in.v[h], static_cast<int>(i)), lw.heads[h].wo);
        Row y = mlp(lw.mlp, std::move(a));
        if (y != out.x[i]) {
          if (was_valid) {
            next_known[i] = 1;
            for (std::size_t c = 0; c < y.size(); ++c)
              if (!(y[c] == out.x[i][c])) next_delta[i].emplace_back(c, y[c] - out.x[i][c]);
          }
          out.x[i] = std::move(y);
          next_dirty[i] = 1;
        }
        out.valid[i] = true;
      }
      dirty = std::move(next_dirty);
      known = std::move(next_known);
      delta = std::move(next_delta);
    }
    return {};
  }

  int max_activation_bits() const { return max_bits_; }
  // Forget every cached row and the activation-bit maximum (e.g. before the next graph, or after an
  // Overflow left a cache half-updated).
  void reset() {
    cache_.clear();
    in_cache_.clear();
    max_bits_ = 0;
  }

 private:
  struct Sparse {
    int rows = 0, cols = 0;
    std::vector<std::vector<std::pair<int, S>>> by_row;  // row r: (column, weight) for nonzero weights
  };
  using Dense = std::vector<S>;
  struct HeadW {
    Sparse wq, wk, wv, wo;
    AttentionMode mode;
    Mask mask;
    int d_v;
  };
  struct AffineW {
    Sparse w;
    Dense bias;
  };
  struct LayerW {
    std::vector<HeadW> heads;
    std::vector<AffineW> mlp;
    std::vector<char> reads;  // [column]: read by a W_Q, W_K, W_V or the first MLP matrix
  };

  static Sparse sparse(const MatQ& m) {
    Sparse s;
    s.rows = static_cast<int>(m.rows());
    s.cols = static_cast<int>(m.cols());
    s.by_row.resize(static_cast<std::size_t>(s.rows));
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c)
        if (m(r, c) != 0) s.by_row[static_cast<std::size_t>(r)].emplace_back(static_cast<int>(c), Traits::from(m(r, c)));
    return s;
  }

  void note(const S& v) {
    const int b = Traits::bits(v);
    if (b > max_bits_) max_bits_ = b;
  }

  Row apply(const Sparse& w, const Row& x) {
    Row out(static_cast<std::size_t>(w.cols), S(0));
    for (int r = 0; r < w.rows; ++r) {
      const S& xr = x[static_cast<std::size_t>(r)];
      if (xr == S(0)) continue;
      for (const auto& [c, wt] : w.by_row[static_cast<std::size_t>(r)]) out[static_cast<std::size_t>(c)] += xr * wt;
    }
    for (const S& v : out) note(v);
    return out;
  }

  void add_product(Row& acc, const Row& x, const Sparse& w) {
    for (int r = 0; r < w.rows; ++r) {
      const S& xr = x[static_cast<std::size_t>(r)];
      if (xr == S(0)) continue;
      for (const auto& [c, wt] : w.by_row[static_cast<std::size_t>(r)]) acc[static_cast<std::size_t>(c)] += xr * wt;
    }
    for (const S& v : acc) note(v);
  }

  Row attend(const HeadW& h, const Row& query, const std::vector<Row>& keys, const std::vector<Row>& values, int i) {
    const std::size_t visible = h.mask == Mask::causal ? static_cast<std::size_t>(i) + 1 : keys.size();
    scores_.assign(visible, S(0));
    for (std::size_t j = 0; j < visible; ++j) {
      S s(0);
      const Row& k = keys[j];
      for (std::size_t c = 0; c < query.size(); ++c)
        if (query[c] != S(0) && k[c] != S(0)) s += query[c] * k[c];
      note(s);
      scores_[j] = s;
    }
    S top = scores_[0];
    for (std::size_t j = 1; j < visible; ++j)
      if (scores_[j] > top) top = scores_[j];
    Row out(static_cast<std::size_t>(h.d_v), S(0));
    if (h.mode.kind == AttentionKind::hard) {
      long count = 0;
      for (std::size_t j = 0; j < visible; ++j) {
        if (!(scores_[j] == top)) continue;
        ++count;
        for (std::size_t c = 0; c < out.size(); ++c) out[c] += values[j][c];
      }
      const S w = S(1) / S(count);
      note(w);
      for (S& v : out) v = v / S(count);
    } else {
      S total(0);
      const S b(h.mode.b);
      for (std::size_t j = 0; j < visible; ++j) {
        EXACTFORMER_REQUIRE(Traits::is_integer(b * scores_[j]),
                            "softmax2(" + std::to_string(h.mode.b) + "): b*score = " + to_string(Traits::to_q(b * scores_[j]))
                                + " is not an integer");
        const S w = Traits::pow2_neg(Traits::to_long(b * (top - scores_[j])));
        total += w;
        for (std::size_t c = 0; c < out.size(); ++c)
          if (values[j][c] != S(0)) out[c] += w * values[j][c];
      }
      note(total);
      for (S& v : out) v = v / total;
    }
    for (const S& v : out) note(v);
    return out;
  }

  Row mlp(const std::vector<AffineW>& stack, Row a) {
    if (stack.empty()) return a;
    Row h = a;
    for (std::size_t i = 0; i < stack.size(); ++i) {
      Row next = stack[i].bias;
      add_product(next, h, stack[i].w);
      if (i + 1 < stack.size())
        for (S& v : next)
          if (v < S(0)) v = S(0);
      h = std::move(next);
    }
    for (std::size_t c = 0; c < a.size(); ++c) a[c] += h[c];
    for (const S& v : a) note(v);
    return a;
  }

  struct LayerCache {
    std::vector<Row> x;                      // input rows of the layer
    std::vector<bool> valid;                 // x[j] is current
    std::vector<std::vector<Row>> q, k, v;   // [head][row] projections of x
    std::vector<bool> projected;             // k, v of row j are current
    std::vector<bool> queried;               // q of row j is current (the last layer: the readout row only)
  };

  const Model& model_;
  std::vector<LayerW> layers_;
  std::vector<LayerCache> cache_;               // [layer]; cache_[L].x: outputs of layer L-1 (unused)
  std::vector<std::vector<Frac64>> in_cache_;  // the input rows, as given
  std::vector<S> scores_;
  int max_bits_ = 0;
};

}  // namespace exactformer
