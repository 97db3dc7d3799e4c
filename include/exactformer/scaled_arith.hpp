// Scaled<V>: the Evaluator's fast arithmetic (evaluator.hpp): every row is machine numbers over one
// shared denominator.
//   V = int64:  row = num[0..d) / den, den > 0, gcd(num[0], ..., num[d-1], den) = 1. Exact; every
//               multiply and add is overflow-checked (a dot product is unchecked only when the query's
//               largest entry times the key's L1 norm is below 2^62) and throws Overflow: the caller
//               redoes the evaluation one tier up. Weights are integer matrices over one denominator
//               each, so a product is integer work plus one denominator product; attention averaging and
//               softmax2 change only the denominator. In the last layer softmax2 heads accumulate over
//               int128 (their weights span b * (score gap) bits), and the readout row is kept entry by
//               entry (two heads' denominators need no common multiple that fits).
//   V = double: den = 1; the benchmark's floor with the same kernels. Never used for a verdict.
// max_activation_bits() equals Fractions<S>'s on the same calls: the same values are noted, each by the
// bit size of its reduced fraction.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "exactformer/checked_rational.hpp"
#include "exactformer/fraction_arith.hpp"
#include "exactformer/layer_schedule.hpp"

namespace exactformer {

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
  std::uint64_t l1 = 0;  // keys only: sum of |num|, saturated at 2^63 (bounds a dot product's partial sums)
  friend bool operator==(const Row&, const Row&) = default;
};

}  // namespace scaled

template <class V>
class Scaled : public LayerSchedule<Scaled<V>, scaled::Row<V>> {
  static constexpr bool kExact = std::is_integral_v<V>;
  using A = std::conditional_t<kExact, i128, double>;  // the readout row's accumulator
  using Acc = scaled::Row<A>;
  using Out = std::conditional_t<kExact, scaled::Entry, double>;  // a readout entry: its own fraction

 public:
  using Row = scaled::Row<V>;
  using Readout = std::vector<Out>;  // entry by entry: two heads' denominators need not share a multiple that fits

  // Throws Overflow when a weight does not fit.
  explicit Scaled(const Model& model) {
    for (const Layer& layer : model.layers) {
      LayerW lw;
      for (const Head& h : layer.heads)
        lw.heads.push_back(HeadW{matrix(h.wq), matrix(h.wk), matrix(h.wv), matrix(h.wo), h.mode, h.mask});
      for (const Affine& a : layer.mlp.layers) lw.mlp.push_back(AffineW{matrix(a.w), bias(a.bias)});
      layers_.push_back(std::move(lw));
    }
  }

  std::size_t heads(std::size_t l) const { return layers_[l].heads.size(); }

  static void input(const Frac64* cells, int d, Row& r) { from_input(cells, d, r); }

  void project(std::size_t l, std::size_t h, Projection p, const Row& x, Row& out) {
    const HeadW& hw = layers_[l].heads[h];
    product(p == Projection::query ? hw.wq : p == Projection::key ? hw.wk : hw.wv, x, out);
    out.l1 = p == Projection::key ? l1_norm(out) : 0;
  }

  // out = a - b.
  static void difference(const Row& a, const Row& b, Row& out) {
    out = a;
    add_into(out, b, -1);
  }
  static bool changes_any(const Row& delta, const std::vector<char>& columns) {
    for (std::size_t c = 0; c < delta.num.size(); ++c)
      if (delta.num[c] != V(0) && columns[c]) return true;
    return false;
  }
  void add_change(Row& x, const Row& delta) {
    add_into(x, delta);
    note(x);
  }

  // The readout row after the last layer, entry by entry (in place of the schedule's): the same sums in
  // the same order, but hard heads average in V while softmax2 heads accumulate over A (int128): their
  // weights span b * (score gap) bits.
  const Readout& readout_row(std::size_t l, std::size_t r, const LayerRows<Row>& in) {
    const LayerW& lw = layers_[l];
    set_result(in.x[r]);
    for (std::size_t h = 0; h < lw.heads.size(); ++h) {
      if (lw.heads[h].mode.kind == AttentionKind::hard) {  // an average: V suffices
        attend(lw.heads[h], in.q[h][r], in, h, r, attended_);
        product(lw.heads[h].wo, attended_, tmp_, false);
        product_wide_.num.assign(tmp_.num.begin(), tmp_.num.end());
        product_wide_.den = tmp_.den;
      } else {
        attend(lw.heads[h], in.q[h][r], in, h, r, attended_wide_);
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
  const Readout& readout_of(const Row& x) {
    set_result(x);
    return result_;
  }

  int max_bits() const { return max_bits_; }
  void reset_bits() { max_bits_ = 0; }

 private:
  using Matrix = SparseMatrix<V>;  // integer weights (weight * den) over one denominator den
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
  };
  using I = scaled::Int<std::conditional_t<kExact, V, std::int64_t>>;

  // The block's steps (layer_schedule.hpp).
  friend class LayerSchedule<Scaled<V>, Row>;
  static void start_row(const Row& x, Row& y) { y = x; }
  void add_head(std::size_t l, std::size_t h, std::size_t i, const LayerRows<Row>& in, Row& y) {
    const HeadW& hw = layers_[l].heads[h];
    attend(hw, in.q[h][i], in, h, i, attended_);
    product(hw.wo, attended_, tmp_, false);
    add_into(y, tmp_);
    note(y);
  }
  bool has_mlp(std::size_t l) const { return !layers_[l].mlp.empty(); }
  void add_mlp(std::size_t l, std::size_t /*i*/, Row& y) { mlp(layers_[l].mlp, y); }

  // An integer that fits V, or Overflow.
  static V fit(const Z& z) {
    if (bit_length(z) > static_cast<int>(sizeof(V)) * 8 - 2) throw Overflow{};
    return static_cast<V>(z.convert_to<long long>());
  }
  static Matrix matrix(const MatQ& m) {
    if constexpr (kExact) {
      Z den = 1;
      for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c)
          if (m(r, c) != 0) den = boost::multiprecision::lcm(den, denominator(m(r, c)));
      Matrix s = sparse<V>(m, [&den](const Q& w) { return fit(numerator(w) * (den / denominator(w))); });
      s.den = fit(den);
      return s;
    } else {
      return sparse<V>(m, [](const Q& w) { return w.template convert_to<double>(); });
    }
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

  // Head h's output for row i, computed over W (V, or the wider accumulator in the last layer: softmax2
  // weights span b * (score gap) bits): sum over the rule's terms of 2^-shift v_j, over the sum of 2^-shift.
  template <class W>
  void attend(const HeadW& h, const Row& query, const LayerRows<Row>& in, std::size_t head, std::size_t i, scaled::Row<W>& out) {
    const std::vector<Row>& keys = in.k[head];
    const std::vector<Row>& values = in.v[head];
    const std::size_t visible = visible_keys(h.mask, i, in.rows);
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
      if (!kExact || k.l1 < l1_limit) {  // no partial sum can overflow
        for (std::size_t c = 0; c < d_k; ++c) s += query.num[c] * k.num[c];
      } else {
        for (std::size_t c = 0; c < d_k; ++c) s = I::add(s, I::mul(query.num[c], k.num[c]));
      }
      dots_[j] = s;
      if constexpr (kExact) note_fraction(s, I::mul(query.den, k.den));
    }
    struct {
      const Scaled& self;
      const Row& query;
      const std::vector<Row>& keys;
      // s_a > s_b  <=>  dots_a * den_b > dots_b * den_a (the query's denominator is common)
      bool greater(std::size_t a, std::size_t b) const {
        if constexpr (kExact) {
          if (keys[a].den == keys[b].den) return self.dots_[a] > self.dots_[b];
          return static_cast<i128>(self.dots_[a]) * keys[b].den > static_cast<i128>(self.dots_[b]) * keys[a].den;
        } else {
          return self.dots_[a] > self.dots_[b];
        }
      }
      // b * score_j when it is an integer; a non-integer goes one tier up (Overflow), whose arithmetic
      // reports it.
      std::optional<long> times_b(std::size_t j, int b) const {
        if constexpr (kExact) {
          const V num = I::mul(static_cast<V>(b), self.dots_[j]);
          if (query.den == 1 && keys[j].den == 1) return num;
          const V den = I::mul(query.den, keys[j].den);
          if (num % den != 0) throw Overflow{};
          return num / den;
        } else {
          return std::lround(static_cast<double>(b) * self.dots_[j]);
        }
      }
      Q exact(std::size_t) const { throw internal_error("Scaled: no exact score"); }
    } scores{*this, query, keys};
    attention_terms(h.mode, visible, scores, terms_);
    const std::size_t d_v = values[0].num.size();
    out.num.assign(d_v, W(0));
    out.den = 1;
    if constexpr (kExact) {
      // Weights 2^-e_j scaled by 2^E, E = max e_j: integers 2^(E - e_j) over the total.
      using J = scaled::Int<W>;
      long e_max = 0;
      for (const AttentionTerm& t : terms_) e_max = std::max(e_max, t.shift);
      if (e_max > static_cast<long>(sizeof(W)) * 8 - 3) throw Overflow{};
      W total = 0;
      bool one_den = true;
      for (const AttentionTerm& t : terms_) one_den = one_den && values[t.key].den == values[terms_[0].key].den;
      if (one_den) {  // out = sum_j v_j 2^(E - e_j) / (den * total): shifts, each checked by bit length
        for (const AttentionTerm& t : terms_) {
          const int shift = static_cast<int>(e_max - t.shift);
          total = J::add(total, W{1} << shift);
          for (std::size_t c = 0; c < d_v; ++c) {
            const V v = values[t.key].num[c];
            if (v == V(0)) continue;
            if (shift > 0 && scaled::bit_length(I::mag(v)) + shift > static_cast<int>(sizeof(W)) * 8 - 2) throw Overflow{};
            out.num[c] = J::add(out.num[c], static_cast<W>(static_cast<W>(v) * (W{1} << shift)));
          }
        }
        out.den = values[terms_[0].key].den;
      } else {  // out += w * values[j], bringing both to one denominator
        for (const AttentionTerm& t : terms_) {
          W w = W{1} << (e_max - t.shift);
          total = J::add(total, w);
          const Row& v = values[t.key];
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
        }
      }
      note_fraction<W>(total, W{1} << e_max);
      out.den = J::mul(out.den, total);
      if constexpr (std::is_same_v<W, V>) normalise(out);
    } else {
      double total = 0;
      for (const AttentionTerm& t : terms_) {
        const double w = std::ldexp(1.0, -static_cast<int>(t.shift));
        total += w;
        for (std::size_t c = 0; c < d_v; ++c) out.num[c] += w * values[t.key].num[c];
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
      product(stack[i].w, hidden_, tmp_, false);
      next_ = stack[i].bias;
      add_into(next_, tmp_);
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

  std::vector<LayerW> layers_;
  Row tmp_, attended_, hidden_, next_;
  Acc attended_wide_, product_wide_;
  Readout result_;
  std::vector<V> dots_;
  std::vector<AttentionTerm> terms_;
  int max_bits_ = 0;
};

}  // namespace exactformer
