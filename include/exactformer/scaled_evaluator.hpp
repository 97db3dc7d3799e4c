// ScaledEvaluator<V>: the fast path's first tier. Same semantics, the same pruning and the same
// incremental reuse as Evaluator<S> (evaluator.hpp), but every row is machine numbers over one shared
// denominator:
//   V = int64:  row = num[0..d) / den, den > 0, gcd(num[0], ..., num[d-1], den) = 1. Exact; every
//               multiply and add is overflow-checked (a dot product is unchecked only when the query's
//               largest entry times the key's L1 norm is below 2^62) and throws Overflow: the caller
//               redoes the evaluation one tier up. Weights are integer matrices over one denominator
//               each, so a product is integer work plus one denominator product; attention averaging and
//               softmax2 change only the denominator. In the last layer softmax2 heads accumulate over
//               int128 (their weights span b * (score gap) bits), and the readout row is kept entry by
//               entry (two heads' denominators need no common multiple that fits).
//   V = double: den = 1; the benchmark's floor with the same kernels. Never used for a verdict.
// max_activation_bits() equals Evaluator<S>'s on the same calls: the same values are noted, each by the
// bit size of its reduced fraction.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "exactformer/checked_rational.hpp"
#include "exactformer/evaluator.hpp"

namespace exactformer {

static_assert(sizeof(Frac64) == 2 * sizeof(std::int64_t), "input rows are compared bytewise");

namespace scaled {

template <class U>
U gcd(U a, U b) { return detail::binary_gcd<U>(a, b); }

// Integer arithmetic of one width, every operation checked.
template <class I>
struct Int {
  using U = std::conditional_t<sizeof(I) == 16, u128, std::uint64_t>;
  static I mul(I a, I b) {
    I r;
    if (__builtin_mul_overflow(a, b, &r)) throw Overflow{};
    return r;
  }
  static I add(I a, I b) {
    I r;
    if (__builtin_add_overflow(a, b, &r)) throw Overflow{};
    return r;
  }
  static I sub(I a, I b) {
    I r;
    if (__builtin_sub_overflow(a, b, &r)) throw Overflow{};
    return r;
  }
  static U mag(I a) { return a < 0 ? U{0} - static_cast<U>(a) : static_cast<U>(a); }
};

template <class U>
int bit_length(U m) { return detail::bit_length_of_magnitude<U>(m); }

// A readout entry n / d, d > 0, reduced only when needed.
struct Entry {
  i128 n = 0, d = 1;
  i128 num() const { return n; }
  i128 den() const { return d; }
  Checked128 exact() const { return Checked128::fraction(n, d); }  // Overflow only for the most negative n
  Q to_q() const { return exact().to_q(); }
};

template <class V>
struct Row {
  std::vector<V> num;
  V den = 1;
  friend bool operator==(const Row&, const Row&) = default;
};

}  // namespace scaled

template <class V>
class ScaledEvaluator {
  static constexpr bool kExact = std::is_integral_v<V>;
  using A = std::conditional_t<kExact, i128, double>;  // the readout row's accumulator
  using Row = scaled::Row<V>;
  using Acc = scaled::Row<A>;
  using Out = std::conditional_t<kExact, scaled::Entry, double>;  // a readout entry: its own fraction

 public:
  // Throws Overflow when a weight does not fit.
  explicit ScaledEvaluator(const Model& model) : model_(model) {
    for (const Layer& layer : model.layers) {
      LayerW lw;
      for (const Head& h : layer.heads)
        lw.heads.push_back(HeadW{matrix(h.wq), matrix(h.wk), matrix(h.wv), matrix(h.wo), h.mode, h.mask});
      for (const Affine& a : layer.mlp.layers) lw.mlp.push_back(AffineW{matrix(a.w), bias(a.bias)});
      lw.reads = columns_read(layer, model.layout.width());
      layers_.push_back(std::move(lw));
    }
  }

  // The readout row after the last layer, entry by entry (its heads' denominators need not share a
  // multiple that fits: the decoder reads entries, not rows). The caching follows
  // Evaluator<S>::readout exactly (see there): dirty rows, re-attending everything when a key or value
  // changed, and the pass-through of changes a layer does not read.
  // only_changed >= 0: the caller promises that no other row of x0 differs from the previous call's
  // (the checker between two queries of one graph and edge order: only the task row is re-embedded); the
  // other rows are then not compared.
  const std::vector<Out>& readout(const Input& x0, int readout, int only_changed = -1) {
    const int d = model_.layout.width();
    EXACTFORMER_ASSERT(x0.cols == d, "input width differs from the layout");
    EXACTFORMER_ASSERT(readout >= 0 && readout < x0.rows, "readout row out of range");
    const std::size_t t = static_cast<std::size_t>(x0.rows);
    const std::size_t n_layers = layers_.size();
    // Buffers only grow: a token count that differs from the previous call's invalidates every row.
    if (cache_.size() != n_layers + 1) {
      cache_.assign(n_layers + 1, LayerCache{});
      t_ = 0;
    }
    if (t != t_) {
      reset_rows();
      t_ = t;
    }
    if (in_cache_.size() < t) {
      in_cache_.resize(t);
      dirty_.resize(t);
      known_.resize(t);
      delta_.resize(t);
      next_dirty_.resize(t);
      next_known_.resize(t);
      next_delta_.resize(t);
      blind_.resize(t);
      for (auto& lc : cache_) {
        lc.x.resize(t);
        lc.valid.resize(t, false);
      }
    }
    std::fill(dirty_.begin(), dirty_.end(), 0);
    std::fill(known_.begin(), known_.end(), 0);
    for (std::size_t j = 0; j < t; ++j) {
      const Frac64* row = &x0.cells[j * static_cast<std::size_t>(d)];
      if (cache_[0].valid[j] && ((only_changed >= 0 && j != static_cast<std::size_t>(only_changed)) ||
                                 std::memcmp(row, in_cache_[j].data(), sizeof(Frac64) * static_cast<std::size_t>(d)) == 0))
        continue;
      from_input(row, d, row_);
      if (cache_[0].valid[j]) {
        known_[j] = 1;
        difference(row_, cache_[0].x[j], delta_[j]);
      }
      std::swap(cache_[0].x[j], row_);
      in_cache_[j].assign(row, row + d);
      cache_[0].valid[j] = true;
      dirty_[j] = 1;
    }
    if (n_layers == 0) {
      set_result(cache_[0].x[static_cast<std::size_t>(readout)]);
      return result_;
    }
    for (std::size_t l = 0; l < n_layers; ++l) {
      const bool last = l + 1 == n_layers;
      const LayerW& lw = layers_[l];
      LayerCache& in = cache_[l];
      LayerCache& out = cache_[l + 1];
      const std::size_t n_heads = lw.heads.size();
      if (in.k.size() != n_heads || in.projected.size() < t) {
        in.q.assign(n_heads, std::vector<Row>(t));
        in.k.assign(n_heads, std::vector<Row>(t));
        in.k_l1.assign(n_heads, std::vector<std::uint64_t>(t));
        in.v.assign(n_heads, std::vector<Row>(t));
        in.projected.assign(t, false);
        in.queried.assign(t, false);
      }
      for (std::size_t j = 0; j < t; ++j) {
        blind_[j] = 0;
        if (!dirty_[j] || !known_[j]) continue;
        bool reads = false;
        for (std::size_t c = 0; c < delta_[j].num.size() && !reads; ++c) reads = delta_[j].num[c] != 0 && lw.reads[c] != 0;
        blind_[j] = !reads;
      }
      bool keys_or_values_changed = false;
      for (std::size_t j = 0; j < t; ++j) {
        if ((!dirty_[j] || blind_[j]) && in.projected[j]) continue;
        in.projected[j] = false;  // stays false if a projection throws
        in.queried[j] = false;
        for (std::size_t h = 0; h < n_heads; ++h) {
          product(lw.heads[h].wk, in.x[j], tmp_k_);
          product(lw.heads[h].wv, in.x[j], tmp_v_);
          if (!last && (!(tmp_k_ == in.k[h][j]) || !(tmp_v_ == in.v[h][j]))) keys_or_values_changed = true;
          std::swap(in.k[h][j], tmp_k_);
          in.k_l1[h][j] = l1_norm(in.k[h][j]);
          std::swap(in.v[h][j], tmp_v_);
          if (!last) product(lw.heads[h].wq, in.x[j], in.q[h][j]);
        }
        in.projected[j] = true;
        in.queried[j] = !last;
      }
      if (last) {  // only the readout row's queries reach the output
        const std::size_t r = static_cast<std::size_t>(readout);
        if (!in.queried[r]) {
          for (std::size_t h = 0; h < n_heads; ++h) product(lw.heads[h].wq, in.x[r], in.q[h][r]);
          in.queried[r] = true;
        }
        set_result(in.x[r]);
        for (std::size_t h = 0; h < n_heads; ++h) {
          if (lw.heads[h].mode.kind == AttentionKind::hard) {  // an average: int64 suffices
            attend(lw.heads[h], in.q[h][r], in.k[h], in.k_l1[h], in.v[h], readout, attended_);
            product(lw.heads[h].wo, attended_, tmp_k_, false);
            product_wide_.num.assign(tmp_k_.num.begin(), tmp_k_.num.end());
            product_wide_.den = tmp_k_.den;
          } else {
            attend(lw.heads[h], in.q[h][r], in.k[h], in.k_l1[h], in.v[h], readout, attended_wide_);
            product(lw.heads[h].wo, attended_wide_, product_wide_, false);
          }
          add_to_result(product_wide_, h == 0);
        }
        if (!lw.mlp.empty()) {
          Row a = result_row();
          mlp(lw.mlp, a);
          set_result(a);
        }
        return result_;
      }
      std::fill(next_dirty_.begin(), next_dirty_.end(), 0);
      std::fill(next_known_.begin(), next_known_.end(), 0);
      for (std::size_t i = 0; i < t; ++i) {
        if (!keys_or_values_changed && !dirty_[i] && out.valid[i]) continue;
        if (!keys_or_values_changed && blind_[i] && out.valid[i]) {  // pass-through
          out.valid[i] = false;
          add_into(out.x[i], delta_[i]);
          note(out.x[i]);
          out.valid[i] = true;
          next_dirty_[i] = 1;
          next_known_[i] = 1;
          std::swap(next_delta_[i], delta_[i]);
          continue;
        }
        const bool was_valid = out.valid[i];
        out.valid[i] = false;
        Row& y = row_;
        y = in.x[i];
        for (std::size_t h = 0; h < n_heads; ++h) {
          attend(lw.heads[h], in.q[h][i], in.k[h], in.k_l1[h], in.v[h], static_cast<int>(i), attended_);
          product(lw.heads[h].wo, attended_, tmp_k_, false);
          add_into(y, tmp_k_);
          note(y);
        }
        mlp(lw.mlp, y);
        if (!(y == out.x[i])) {
          if (was_valid) {
            next_known_[i] = 1;
            difference(y, out.x[i], next_delta_[i]);
          }
          std::swap(out.x[i], y);
          next_dirty_[i] = 1;
        }
        out.valid[i] = true;
      }
      std::swap(dirty_, next_dirty_);
      std::swap(known_, next_known_);
      std::swap(delta_, next_delta_);
    }
    return result_;
  }

  int max_activation_bits() const { return max_bits_; }
  // Forgets every cached value (keeping the memory) and the activation-bit maximum.
  void reset() {
    reset_rows();
    max_bits_ = 0;
  }

 private:
  struct Matrix {
    int rows = 0, cols = 0;
    std::vector<std::vector<std::pair<int, V>>> by_row;  // row r: (column, weight * den) for nonzero weights
    V den = 1;
  };
  struct HeadW {
    Matrix wq, wk, wv, wo;
    AttentionMode mode;
    Mask mask;
  };
  struct AffineW {
    Matrix w;
    Row bias;
  };
  struct LayerW {
    std::vector<HeadW> heads;
    std::vector<AffineW> mlp;
    std::vector<char> reads;  // [column]: read by a W_Q, W_K, W_V or the first MLP matrix
  };
  struct LayerCache {
    std::vector<Row> x;
    std::vector<bool> valid;
    std::vector<std::vector<Row>> q, k, v;  // [head][row]
    std::vector<std::vector<std::uint64_t>> k_l1;  // [head][row]: sum of |key numerators|, saturated at 2^63
    std::vector<bool> projected;  // k, v of row j are current
    std::vector<bool> queried;    // q of row j is current (the last layer: the readout row only)
  };
  using I = scaled::Int<std::conditional_t<kExact, V, std::int64_t>>;

  // An integer that fits V, or Overflow.
  static V fit(const Z& z) {
    if (bit_length(z) > static_cast<int>(sizeof(V)) * 8 - 2) throw Overflow{};
    return static_cast<V>(z.convert_to<long long>());
  }
  static Matrix matrix(const MatQ& m) {
    Matrix s;
    s.rows = static_cast<int>(m.rows());
    s.cols = static_cast<int>(m.cols());
    s.by_row.resize(static_cast<std::size_t>(s.rows));
    Z den = 1;
    if constexpr (kExact) {
      for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c)
          if (m(r, c) != 0) den = boost::multiprecision::lcm(den, denominator(m(r, c)));
      s.den = fit(den);
    }
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c) {
        if (m(r, c) == 0) continue;
        V w;
        if constexpr (kExact) w = fit(numerator(m(r, c)) * (den / denominator(m(r, c))));
        else w = m(r, c).template convert_to<double>();
        s.by_row[static_cast<std::size_t>(r)].emplace_back(static_cast<int>(c), w);
      }
    return s;
  }
  static Row bias(const RowQ& b) {
    Row r;
    r.num.assign(static_cast<std::size_t>(b.size()), V(0));
    if constexpr (kExact) {
      Z den = 1;
      for (Eigen::Index j = 0; j < b.size(); ++j) den = boost::multiprecision::lcm(den, denominator(b(j)));
      r.den = fit(den);
      for (Eigen::Index j = 0; j < b.size(); ++j) r.num[static_cast<std::size_t>(j)] = fit(numerator(b(j)) * (den / denominator(b(j))));
    } else {
      for (Eigen::Index j = 0; j < b.size(); ++j) r.num[static_cast<std::size_t>(j)] = b(j).template convert_to<double>();
    }
    return r;
  }

  static void from_input(const Frac64* cells, int d, Row& r) {
    r.num.resize(static_cast<std::size_t>(d));
    r.den = 1;
    if constexpr (kExact) {
      V den = 1;
      for (int c = 0; c < d; ++c) {
        const V cd = cells[c].den;
        if (cd <= 0) throw Overflow{};
        if (cd != 1 && den % cd != 0) den = I::mul(den / static_cast<V>(scaled::gcd<typename I::U>(I::mag(den), I::mag(cd))), cd);
      }
      for (int c = 0; c < d; ++c) r.num[static_cast<std::size_t>(c)] = I::mul(cells[c].num, den / cells[c].den);
      r.den = den;
      normalise(r);
    } else {
      for (int c = 0; c < d; ++c) r.num[static_cast<std::size_t>(c)] = static_cast<double>(cells[c].num) / static_cast<double>(cells[c].den);
    }
  }

  // Divides out the common factor of every numerator and the denominator.
  template <class W>
  static void normalise(scaled::Row<W>& r) {
    if constexpr (std::is_integral_v<W> || std::is_same_v<W, i128>) {
      using J = scaled::Int<W>;
      if (r.den == 1) return;
      typename J::U g = J::mag(r.den);
      for (const W v : r.num) {
        if (v == 0) continue;
        g = scaled::gcd(g, J::mag(v));
        if (g == 1) return;
      }
      const auto gi = static_cast<W>(g);
      for (W& v : r.num) v /= gi;
      r.den /= gi;
    }
  }

  // out = x W (normalised). Projections are noted; products that are added to a row are not (the sum is).
  template <class W>
  void product(const Matrix& w, const scaled::Row<W>& x, scaled::Row<W>& out, bool noted = true) {
    out.num.assign(static_cast<std::size_t>(w.cols), W(0));
    for (int r = 0; r < w.rows; ++r) {
      const W xr = x.num[static_cast<std::size_t>(r)];
      if (xr == W(0)) continue;
      for (const auto& [c, wt] : w.by_row[static_cast<std::size_t>(r)]) {
        W& o = out.num[static_cast<std::size_t>(c)];
        if constexpr (kExact) o = scaled::Int<W>::add(o, scaled::Int<W>::mul(xr, static_cast<W>(wt)));
        else o += xr * wt;
      }
    }
    if constexpr (kExact) {
      out.den = scaled::Int<W>::mul(x.den, static_cast<W>(w.den));
      if constexpr (std::is_same_v<W, V>) normalise(out);  // wide rows only feed the readout's entries
    }
    if (noted) note(out);
  }

  // acc += sign * b (normalised), in place.
  static void add_into(Row& acc, const Row& b, int sign = 1) {
    if constexpr (kExact) {
      const auto term = [sign](V x) { return sign > 0 ? x : I::sub(V(0), x); };
      if (acc.den == b.den) {
        for (std::size_t c = 0; c < acc.num.size(); ++c)
          if (b.num[c] != V(0)) acc.num[c] = I::add(acc.num[c], term(b.num[c]));
      } else {
        const auto g = static_cast<V>(scaled::gcd(I::mag(acc.den), I::mag(b.den)));
        const V fa = b.den / g, fb = acc.den / g;
        for (std::size_t c = 0; c < acc.num.size(); ++c) acc.num[c] = I::add(I::mul(acc.num[c], fa), I::mul(term(b.num[c]), fb));
        acc.den = I::mul(acc.den, fa);
      }
      normalise(acc);
    } else {
      for (std::size_t c = 0; c < acc.num.size(); ++c) acc.num[c] += sign * b.num[c];
    }
  }

  // out = a - b.
  static void difference(const Row& a, const Row& b, Row& out) {
    out = a;
    add_into(out, b, -1);
  }

  void reset_rows() {
    for (LayerCache& lc : cache_) {
      std::fill(lc.valid.begin(), lc.valid.end(), false);
      std::fill(lc.projected.begin(), lc.projected.end(), false);
      std::fill(lc.queried.begin(), lc.queried.end(), false);
    }
  }

  static std::uint64_t l1_norm(const Row& r) {
    std::uint64_t sum = 0;
    if constexpr (kExact)
      for (const V v : r.num)
        if (__builtin_add_overflow(sum, I::mag(v), &sum) || sum > (std::uint64_t{1} << 63)) return std::uint64_t{1} << 63;
    return sum;
  }

  // The readout entries.
  void set_result(const Row& x) {
    result_.resize(x.num.size());
    for (std::size_t c = 0; c < x.num.size(); ++c) {
      if constexpr (kExact) result_[c] = scaled::Entry{x.num[c], x.den};
      else result_[c] = x.num[c];
    }
  }
  // result += p, entry by entry. Evaluator<S> notes every entry after each head: the first head's call
  // notes them all, later calls the entries they change.
  void add_to_result(const Acc& p, bool first) {
    for (std::size_t c = 0; c < p.num.size(); ++c) {
      if constexpr (kExact) {
        scaled::Entry& e = result_[c];
        if (p.num[c] != A(0)) {
          if (e.n == 0) {
            e = scaled::Entry{p.num[c], p.den};
          } else if (e.d == p.den) {
            e.n = scaled::Int<A>::add(e.n, p.num[c]);
          } else {
            const Checked128 sum = e.exact() + Checked128::fraction(p.num[c], p.den);
            e = scaled::Entry{sum.num(), sum.den()};
          }
        } else if (!first) {
          continue;
        }
        note_fraction<A>(e.n, e.d);
      } else {
        result_[c] += p.num[c];
      }
    }
  }
  // The result as a row over one int64 denominator (for a last-layer MLP), or Overflow.
  Row result_row() const {
    Row r;
    r.num.resize(result_.size());
    if constexpr (kExact) {
      using J = scaled::Int<i128>;
      const auto fits = [](i128 v) { return v < (i128{1} << 62) && v > -(i128{1} << 62); };
      std::vector<Checked128> exact;
      for (const Out& e : result_) exact.push_back(e.exact());
      i128 den = 1;
      for (const Checked128& v : exact)
        if (v.den() != 1) den = J::mul(den / static_cast<i128>(scaled::gcd(J::mag(den), J::mag(v.den()))), v.den());
      if (!fits(den)) throw Overflow{};
      for (std::size_t c = 0; c < exact.size(); ++c) {
        const i128 n = J::mul(exact[c].num(), den / exact[c].den());
        if (!fits(n)) throw Overflow{};
        r.num[c] = static_cast<V>(n);
      }
      r.den = static_cast<V>(den);
    } else {
      r.num = result_;
    }
    return r;
  }

  // Bit size of the reduced fraction n / d (d > 0), as bit_size(Q) counts it: max(bits(num), bits(den)).
  template <class W>
  static int fraction_bits(W n, W d) {
    using J = scaled::Int<W>;
    typename J::U m = J::mag(n), dd = J::mag(d);
    if (dd != 1 && m != 0) {
      const auto g = scaled::gcd(m, dd);
      m /= g;
      dd /= g;
    }
    if (m == 0) dd = 1;
    return std::max(scaled::bit_length(m), scaled::bit_length(dd));
  }
  void note_value(int bits) {
    if (bits > max_bits_) max_bits_ = bits;
  }
  template <class W = V>
  void note_fraction(W n, W d) {
    using J = scaled::Int<W>;
    if (scaled::bit_length(J::mag(n) | J::mag(d)) > max_bits_) note_value(fraction_bits(n, d));
  }
  // Notes every entry of a row. Reducing an entry never makes it longer, so a row whose numerators and
  // denominator all fit the running maximum changes nothing.
  template <class W>
  void note(const scaled::Row<W>& r) {
    if constexpr (kExact) {
      using J = scaled::Int<W>;
      typename J::U all = J::mag(r.den);
      for (const W v : r.num) all |= J::mag(v);
      if (scaled::bit_length(all) <= max_bits_) return;
      if (r.num.empty()) return;
      for (const W v : r.num) note_value(fraction_bits(v, r.den));
    }
  }

  // One head's output for row i: hard (average over the argmax set) or softmax2(b), computed over W
  // (V, or the wider accumulator in the last layer: softmax2 weights span b * (score gap) bits).
  template <class W>
  void attend(const HeadW& h, const Row& query, const std::vector<Row>& keys, const std::vector<std::uint64_t>& key_l1,
              const std::vector<Row>& values, int i, scaled::Row<W>& out) {
    const std::size_t visible = h.mask == Mask::causal ? static_cast<std::size_t>(i) + 1 : t_;
    dots_.resize(visible);
    const std::size_t d_k = query.num.size();
    std::uint64_t q_max = 0;  // max |query entry|: with a key's L1 norm, it bounds every partial sum
    if constexpr (kExact)
      for (const V qc : query.num) q_max = std::max<std::uint64_t>(q_max, I::mag(qc));
    const std::uint64_t l1_limit = q_max == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << 62) / q_max;
    // score_j = dots_[j] / (query.den * keys[j].den)
    for (std::size_t j = 0; j < visible; ++j) {
      V s(0);
      const Row& k = keys[j];
      if (!kExact || key_l1[j] < l1_limit) {  // no partial sum can overflow
        for (std::size_t c = 0; c < d_k; ++c) s += query.num[c] * k.num[c];
      } else {
        for (std::size_t c = 0; c < d_k; ++c) s = I::add(s, I::mul(query.num[c], k.num[c]));
      }
      dots_[j] = s;
      if constexpr (kExact) note_fraction(s, I::mul(query.den, k.den));
    }
    // s_a > s_b  <=>  dots_a * den_b > dots_b * den_a (the query's denominator is common)
    const auto greater = [&](std::size_t a, std::size_t b) {
      if constexpr (kExact) {
        if (keys[a].den == keys[b].den) return dots_[a] > dots_[b];
        return static_cast<i128>(dots_[a]) * keys[b].den > static_cast<i128>(dots_[b]) * keys[a].den;
      } else {
        return dots_[a] > dots_[b];
      }
    };
    std::size_t top = 0;
    for (std::size_t j = 1; j < visible; ++j)
      if (greater(j, top)) top = j;
    const std::size_t d_v = values[0].num.size();
    out.num.assign(d_v, W(0));
    out.den = 1;
    // out += w * values[j] (w a W integer), bringing both to one denominator.
    const auto accumulate = [&out, d_v](const Row& v, W w) {
      if constexpr (kExact) {
        using J = scaled::Int<W>;
        const W vd = v.den;
        if (out.den != vd) {
          const auto g = static_cast<W>(scaled::gcd(J::mag(out.den), J::mag(vd)));
          const W f_out = vd / g;
          if (f_out != 1) {
            for (W& o : out.num) o = J::mul(o, f_out);
            out.den = J::mul(out.den, f_out);
          }
          w = J::mul(w, out.den / vd);
        }
        for (std::size_t c = 0; c < d_v; ++c)
          if (v.num[c] != V(0)) out.num[c] = J::add(out.num[c], J::mul(w, static_cast<W>(v.num[c])));
      } else {
        for (std::size_t c = 0; c < d_v; ++c) out.num[c] += w * v.num[c];
      }
    };
    if (h.mode.kind == AttentionKind::hard) {
      long count = 0;
      for (std::size_t j = 0; j < visible; ++j) {
        if (greater(top, j)) continue;
        ++count;
        accumulate(values[j], W(1));
      }
      if constexpr (kExact) {
        note_value(std::max(1, scaled::bit_length(static_cast<std::uint64_t>(count))));  // 1 / count
        out.den = scaled::Int<W>::mul(out.den, static_cast<W>(count));
        if constexpr (std::is_same_v<W, V>) normalise(out);
      } else {
        for (W& v : out.num) v /= static_cast<double>(count);
      }
    } else if constexpr (kExact) {
      // b * score_j must be an integer (else the next tier reports it). Weights 2^-e_j with
      // e_j = b (top - score_j), scaled by 2^E, E = max e_j: integers 2^(E - e_j).
      using J = scaled::Int<W>;
      const V b = h.mode.b;
      exps_.resize(visible);
      V best = 0;
      for (std::size_t j = 0; j < visible; ++j) {
        const V num = I::mul(b, dots_[j]);
        if (query.den == 1 && keys[j].den == 1) {
          exps_[j] = num;
        } else {
          const V den = I::mul(query.den, keys[j].den);
          if (num % den != 0) throw Overflow{};
          exps_[j] = num / den;
        }
        if (j == 0 || exps_[j] > best) best = exps_[j];
      }
      V e_max = 0;
      for (std::size_t j = 0; j < visible; ++j) {
        exps_[j] = I::sub(best, exps_[j]);
        e_max = std::max(e_max, exps_[j]);
      }
      if (e_max > static_cast<V>(sizeof(W)) * 8 - 3) throw Overflow{};
      W total = 0;
      bool one_den = true;
      for (std::size_t j = 1; j < visible && one_den; ++j) one_den = values[j].den == values[0].den;
      if (one_den) {  // out = sum_j v_j 2^(E - e_j) / (den * total): shifts, each checked by bit length
        for (std::size_t j = 0; j < visible; ++j) {
          const int shift = static_cast<int>(e_max - exps_[j]);
          total = J::add(total, W{1} << shift);
          for (std::size_t c = 0; c < d_v; ++c) {
            const V v = values[j].num[c];
            if (v == V(0)) continue;
            if (scaled::bit_length(I::mag(v)) + shift > static_cast<int>(sizeof(W)) * 8 - 2) throw Overflow{};
            out.num[c] = J::add(out.num[c], static_cast<W>(static_cast<W>(v) * (W{1} << shift)));
          }
        }
        out.den = values[0].den;
      } else {
        for (std::size_t j = 0; j < visible; ++j) {
          const W w = W{1} << (e_max - exps_[j]);
          total = J::add(total, w);
          accumulate(values[j], w);
        }
      }
      note_fraction<W>(total, W{1} << e_max);
      out.den = J::mul(out.den, total);
      if constexpr (std::is_same_v<W, V>) normalise(out);
    } else {
      const double b = static_cast<double>(h.mode.b);
      double total = 0;
      for (std::size_t j = 0; j < visible; ++j) {
        const double w = std::ldexp(1.0, -static_cast<int>(std::lround(b * (dots_[top] - dots_[j]))));
        total += w;
        accumulate(values[j], w);
      }
      for (double& v : out.num) v /= total;
    }
    note(out);
  }

  // a += MLP(a), in place.
  void mlp(const std::vector<AffineW>& stack, Row& a) {
    if (stack.empty()) return;
    hidden_ = a;
    for (std::size_t i = 0; i < stack.size(); ++i) {
      product(stack[i].w, hidden_, tmp_k_, false);
      next_ = stack[i].bias;
      add_into(next_, tmp_k_);
      note(next_);
      if (i + 1 < stack.size()) {
        for (V& v : next_.num)
          if (v < V(0)) v = V(0);
        normalise(next_);
      }
      std::swap(hidden_, next_);
    }
    add_into(a, hidden_);
    note(a);
  }

  const Model& model_;
  std::vector<LayerW> layers_;
  std::vector<LayerCache> cache_;
  std::vector<std::vector<Frac64>> in_cache_;
  std::size_t t_ = 0;  // the token count of the cached rows
  std::vector<char> dirty_, known_, next_dirty_, next_known_, blind_;
  std::vector<Row> delta_, next_delta_;  // per dirty row with a valid previous value: new - old
  Row tmp_k_, tmp_v_, attended_, hidden_, next_, row_;
  Acc attended_wide_, product_wide_;
  std::vector<Out> result_;
  std::vector<V> dots_, exps_;
  int max_bits_ = 0;
};

}  // namespace exactformer
