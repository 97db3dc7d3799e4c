// An imported transformer: the GPT-2 / TransformerLens block family (docs/import.md, "The model family"),
// with every weight the exact dyadic rational its file holds (a double), and its certified forward pass.
//
//   x_0[i]  = W_E[tok_i] + W_pos[i]                               (W_pos optional)
//   layer:  a = LN1(x);  q_h = a W_Q[h] + b_Q[h], k_h = a W_K[h] + b_K[h], v_h = a W_V[h] + b_V[h]
//           s_h[i, j] = (q_h[i] . k_h[j]) / attn_divisor      over j <= i when causal, every j otherwise
//           w_h[i] = softmax(s_h[i]) | softmax2(b): 2^(b s) normalised | hard: uniform on argmax_j s_h[i, j]
//           r = x + sum_h (w_h v_h) W_O[h] + b_O
//           x' = r + act(LN2(r) W_in + b_in) W_out + b_out      (attn_only: x' = r)
//   readout: logits = LN_final(x[t_read]) W_U + b_U, compared over the prompt's answer tokens only
//   LN(z)  = (z - mean z) / sqrt(var z + eps) * w + b, var with divisor d;  LNPre: no w, b;  none: identity
//   act    = relu | gelu (x Φ(x), erf form) | gelu_new (tanh form)
// Shapes (TransformerLens): W_E (d_vocab, d), W_pos (n_ctx, d), W_Q/W_K/W_V[h] (d, d_head), W_O[h] (d_head, d),
// W_in (d, d_mlp), W_out (d_mlp, d), W_U (d, d_vocab_out).
#pragma once
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "exactformer/enclosure.hpp"
#include "exactformer/errors.hpp"
#include "exactformer/layer_schedule.hpp"

namespace exactformer {

enum class TlNorm { none, ln, ln_pre };
enum class TlActivation { relu, gelu, gelu_new };
enum class TlAttention { softmax, softmax2, hard };  // softmax: TransformerLens'; softmax2(b) and hard: exactformer's

// A weight matrix (rows, cols), row-major, with each row's nonzero entries listed (products skip zeros).
struct DenseMatrix {
  int rows = 0, cols = 0;
  std::vector<double> w;
  std::vector<std::vector<std::pair<int, double>>> nonzero;  // [row] -> (col, weight)
  double at(int r, int c) const { return w[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]; }
  void index();  // fills `nonzero` from `w`
  long entries() const { return static_cast<long>(rows) * cols; }
};

struct TlNormWeights {
  std::vector<double> w, b;  // empty for LNPre
};

struct TlHead {
  DenseMatrix wq, wk, wv, wo;
  std::vector<double> bq, bk, bv;  // (d_head)
};

struct TlLayer {
  TlNormWeights ln1, ln2;
  std::vector<TlHead> heads;
  std::vector<double> b_o;  // (d)
  bool has_mlp = true;
  DenseMatrix w_in, w_out;
  std::vector<double> b_in, b_out;
};

struct TlModel {
  int n_layers = 0, d_model = 0, d_head = 0, n_heads = 0, d_mlp = 0, d_vocab = 0, d_vocab_out = 0, n_ctx = 0;
  TlNorm norm = TlNorm::none;
  TlActivation act = TlActivation::relu;
  bool causal = false;
  TlAttention attention = TlAttention::softmax;
  int softmax2_b = 1;                 // softmax2's b (2^(b s))
  bool divide_by_sqrt_d_head = true;  // use_attn_scale with attn_scale = sqrt(d_head)
  double attn_divisor = 1;            // otherwise: scores / attn_divisor (1 = no scale)
  double eps = 1e-5;                  // LN's eps, the exact double given
  DenseMatrix w_e;
  std::optional<DenseMatrix> w_pos;
  std::vector<TlLayer> layers;
  TlNormWeights ln_final;
  DenseMatrix w_u;
  std::vector<double> b_u;
  long params() const;
  std::string describe() const;  // "L=2 H=2 d=32 d_head=16 d_mlp=64 params=... LN gelu causal softmax"
};

// Thrown inside a forward pass when an enclosure cannot decide a step (a hard-attention argmax, a softmax or LN
// denominator not certainly positive, a non-finite bound): the caller retries at a higher precision.
struct undecidable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Residual enclosures after the embedding and after each layer, every row: [stage][row][col] = (lo, hi).
struct TlRecord {
  std::vector<std::vector<std::vector<std::pair<double, double>>>> stages;
};

// The forward pass in interval arithmetic I (DoubleInterval, ExactValue or MpfiInterval). Between calls it keeps every
// layer's rows; when every head is causal, rows before the first token that differs from the previous call's
// sequence are reused (their values cannot depend on later tokens). Only rows up to the readout are computed
// when causal, and only the readout row in the last layer (unless a record is asked for).
template <class I>
class TlForward : public LayerSchedule<TlForward<I>, std::vector<I>> {
 public:
  explicit TlForward(const TlModel& m) : m_(m) {}

  // The logits of `answers` (indices into W_U's columns) at row `readout` of `tokens`.
  std::vector<I> logits(const std::vector<int>& tokens, int readout, const std::vector<int>& answers, TlRecord* record = nullptr);
  void forget() { valid_rows_ = 0; tokens_.clear(); }

 private:
  using Row = std::vector<I>;
  // The block's steps (layer_schedule.hpp): b_O after the heads, LN2 and the activation inside the MLP.
  friend class LayerSchedule<TlForward<I>, Row>;
  std::size_t heads(std::size_t l) const { return m_.layers[l].heads.size(); }
  static void start_row(const Row& x, Row& y) { y = x; }
  void add_head(std::size_t l, std::size_t h, std::size_t i, const LayerRows<Row>& in, Row& y) {
    attend(in, h, i, z_);
    vec_mat(z_, m_.layers[l].heads[h].wo, nullptr, o_);
    for (std::size_t c = 0; c < y.size(); ++c) y[c] = y[c] + o_[c];
  }
  void add_attention_bias(std::size_t l, Row& y) const {
    const std::vector<double>& b_o = m_.layers[l].b_o;
    if (!b_o.empty())
      for (std::size_t c = 0; c < y.size(); ++c) y[c] = y[c] + I(b_o[c]);
  }
  bool has_mlp(std::size_t l) const { return m_.layers[l].has_mlp; }
  void add_mlp(std::size_t l, std::size_t /*i*/, Row& y) {
    const TlLayer& layer = m_.layers[l];
    vec_mat(norm(y, layer.ln2, "ln2"), layer.w_in, &layer.b_in, pre_);
    vec_mat(activation(pre_), layer.w_out, &layer.b_out, o_);
    for (std::size_t c = 0; c < y.size(); ++c) y[c] = y[c] + o_[c];
  }

  // out = x m + bias; dot = a . b; z = sum_{j < w.size()} w_j values_j. Operation by operation (enclosure.hpp); for
  // DoubleInterval (but hard attention) as midpoint-radius sums (enclosure.hpp: mid_rad_vec_mat, ...).
  void vec_mat(const Row& x, const DenseMatrix& m, const std::vector<double>* bias, Row& out) const;
  I dot(const Row& a, const Row& b) const;
  void weighted_sum(const std::vector<I>& w, const std::vector<Row>& values, Row& z) const;
  Row norm(const Row& z, const TlNormWeights& w, const char* where) const;
  Row activation(const Row& z) const;
  void attend(const LayerRows<Row>& in, std::size_t h, std::size_t i, Row& z) const;
  std::vector<Row>& stage(std::size_t l) { return l < rows_.size() ? rows_[l].x : outputs_; }  // layer l's input rows

  const TlModel& m_;
  std::vector<int> tokens_;
  std::size_t valid_rows_ = 0;
  std::vector<LayerRows<Row>> rows_;  // [layer]: its input rows x and q, k, v of LN1(x) (k, v: every computed row)
  std::vector<Row> outputs_;          // the last layer's output rows
  Row z_, o_, pre_;
};

// (Hard attention keeps the operation-by-operation sums: their exact results stay points, and its ties are decided on
// points.)
template <class I>
constexpr bool kMidRadSums = std::is_same_v<I, DoubleInterval>;

template <class I>
void TlForward<I>::vec_mat(const Row& x, const DenseMatrix& m, const std::vector<double>* bias, Row& out) const {
  if constexpr (kMidRadSums<I>)
    if (m_.attention != TlAttention::hard)
      return mid_rad_vec_mat(x, m.w.data(), static_cast<std::size_t>(m.rows), static_cast<std::size_t>(m.cols), bias, out);
  out.assign(static_cast<std::size_t>(m.cols), I(0.0));
  if (bias)
    for (int c = 0; c < m.cols; ++c) out[static_cast<std::size_t>(c)] = I((*bias)[static_cast<std::size_t>(c)]);
  for (int r = 0; r < m.rows; ++r) {
    const I& xr = x[static_cast<std::size_t>(r)];
    if (xr.zero()) continue;
    for (const auto& [c, w] : m.nonzero[static_cast<std::size_t>(r)]) out[static_cast<std::size_t>(c)] = out[static_cast<std::size_t>(c)] + xr * w;
  }
}

template <class I>
I TlForward<I>::dot(const Row& a, const Row& b) const {
  if constexpr (kMidRadSums<I>)
    if (m_.attention != TlAttention::hard) return mid_rad_dot(a, b);
  I sum(0.0);
  for (std::size_t c = 0; c < a.size(); ++c)
    if (!a[c].zero() && !b[c].zero()) sum = sum + a[c] * b[c];
  return sum;
}

template <class I>
void TlForward<I>::weighted_sum(const std::vector<I>& w, const std::vector<Row>& values, Row& z) const {
  if constexpr (kMidRadSums<I>)
    if (m_.attention != TlAttention::hard) return mid_rad_weighted_sum(w, values, z);
  z.assign(values.empty() ? 0 : values[0].size(), I(0.0));
  for (std::size_t j = 0; j < w.size(); ++j) {
    if (w[j].zero()) continue;
    for (std::size_t c = 0; c < z.size(); ++c) z[c] = z[c] + w[j] * values[j][c];
  }
}

template <class I>
typename TlForward<I>::Row TlForward<I>::norm(const Row& z, const TlNormWeights& w, const char* where) const {
  if (m_.norm == TlNorm::none) return z;
  const I d(static_cast<double>(z.size()));
  I sum(0.0);
  for (const I& v : z) sum = sum + v;
  const I mean = sum / d;
  Row c(z.size());
  I ss(0.0);
  for (std::size_t k = 0; k < z.size(); ++k) {
    c[k] = z[k] - mean;
    ss = ss + square(c[k]);
  }
  const I var = ss / d;
  if (m_.eps == 0 && var.zero()) throw usage_error(std::string(where) + ": LayerNorm with eps = 0 on a row of zero variance (undefined)");
  const I denom = sqrt(var + I(m_.eps));
  if (!denom.certainly_positive()) throw undecidable("LayerNorm denominator not certainly positive");
  const I inverse = I(1.0) / denom;  // (one quotient: c_k / denom enclosed as c_k (1 / denom))
  Row out(z.size());
  for (std::size_t k = 0; k < z.size(); ++k) {
    out[k] = c[k] * inverse;
    if (!w.w.empty()) out[k] = out[k] * w.w[k] + I(w.b[k]);
  }
  return out;
}

template <class I>
typename TlForward<I>::Row TlForward<I>::activation(const Row& z) const {
  Row out(z.size());
  for (std::size_t k = 0; k < z.size(); ++k) {
    switch (m_.act) {
      case TlActivation::relu: out[k] = relu(z[k]); break;
      case TlActivation::gelu: out[k] = gelu(z[k]); break;
      case TlActivation::gelu_new: out[k] = gelu_new(z[k]); break;
    }
  }
  return out;
}

// z = sum_j w_ij v_j for head h at row i of a layer's rows.
template <class I>
void TlForward<I>::attend(const LayerRows<Row>& in, std::size_t h, std::size_t i, Row& z) const {
  const Row& q = in.q[h][i];
  const auto& keys = in.k[h];
  const auto& values = in.v[h];
  const std::size_t visible = m_.causal ? i + 1 : in.rows;
  std::vector<I> s(visible);
  for (std::size_t j = 0; j < visible; ++j) {
    I dot = this->dot(q, keys[j]);
    if (m_.divide_by_sqrt_d_head) dot = dot / sqrt(I(static_cast<double>(m_.d_head)));
    else if (m_.attn_divisor != 1) dot = dot / I(m_.attn_divisor);
    if (!dot.finite()) throw undecidable("score not finite");
    s[j] = dot;
  }
  if (m_.attention == TlAttention::hard) {
    z.assign(values.empty() ? 0 : values[0].size(), I(0.0));
    std::size_t top = 0;
    for (std::size_t j = 1; j < visible; ++j)
      if (s[top].certainly_less(s[j]) || s[j].lower() > s[top].lower()) top = j;
    std::vector<std::size_t> tied;
    for (std::size_t j = 0; j < visible; ++j)
      if (!s[j].certainly_less(s[top])) {
        if (!s[j].same_point(s[top]) && j != top) throw undecidable("hard attention: argmax not decided");
        tied.push_back(j);
      }
    if (!s[top].point() && tied.size() > 1) throw undecidable("hard attention: argmax not decided");
    const I count(static_cast<double>(tied.size()));
    for (const std::size_t j : tied)
      for (std::size_t c = 0; c < z.size(); ++c) z[c] = z[c] + values[j][c];
    for (auto& v : z) v = v / count;
    return;
  }
  std::size_t top = 0;
  for (std::size_t j = 1; j < visible; ++j)
    if (s[j].upper() > s[top].upper()) top = j;
  const I shift = s[top].upper_point();
  std::vector<I> e(visible);
  I sum_lo(0.0), sum_hi(0.0);
  for (std::size_t j = 0; j < visible; ++j) {
    const I x = s[j] - shift;
    e[j] = m_.attention == TlAttention::softmax ? exp(x) : exp2(x * static_cast<double>(m_.softmax2_b));
    sum_lo = sum_lo + e[j].lower_point();
    sum_hi = sum_hi + e[j].upper_point();
  }
  std::vector<I> w(visible);
  for (std::size_t j = 0; j < visible; ++j) {
    // w_j = e_j / (e_j + O_j), O_j the other terms' sum: increasing in e_j, decreasing in O_j.
    const I others_hi = (sum_hi.upper_point() - e[j].upper_point()).upper_point();
    const I others_lo = relu((sum_lo.lower_point() - e[j].lower_point()).lower_point());
    const I den_lo = e[j].lower_point() + others_hi, den_hi = e[j].upper_point() + others_lo;
    if (!den_lo.certainly_positive() || !den_hi.certainly_positive()) throw undecidable("softmax denominator not certainly positive");
    w[j] = hull((e[j].lower_point() / den_lo).lower_point(), (e[j].upper_point() / den_hi).upper_point());
  }
  weighted_sum(w, values, z);
}

template <class I>
std::vector<I> TlForward<I>::logits(const std::vector<int>& tokens, int readout, const std::vector<int>& answers, TlRecord* record) {
  const std::size_t T = tokens.size(), L = m_.layers.size();
  EXACTFORMER_ASSERT(readout >= 0 && static_cast<std::size_t>(readout) < T, "readout row out of range");
  std::size_t keep = 0;
  if (m_.causal && !record)
    while (keep < std::min({T, tokens_.size(), valid_rows_, static_cast<std::size_t>(readout)}) && tokens[keep] == tokens_[keep]) ++keep;
  // (keep <= readout: the readout row's sublayer inputs are recomputed even when the whole sequence repeats)
  tokens_ = tokens;
  const std::size_t end = (m_.causal && !record) ? static_cast<std::size_t>(readout) + 1 : T;
  rows_.resize(L);
  for (std::size_t l = 0; l <= L; ++l) stage(l).resize(std::max(stage(l).size(), T));
  for (std::size_t i = keep; i < end; ++i) {
    Row& x = stage(0)[i];
    x.assign(static_cast<std::size_t>(m_.d_model), I(0.0));
    for (int c = 0; c < m_.d_model; ++c) {
      double v = m_.w_e.at(tokens[i], c);
      x[static_cast<std::size_t>(c)] = I(v);
      if (m_.w_pos) x[static_cast<std::size_t>(c)] = x[static_cast<std::size_t>(c)] + I(m_.w_pos->at(static_cast<int>(i), c));
    }
  }
  for (std::size_t l = 0; l < L; ++l) {
    const TlLayer& layer = m_.layers[l];
    const bool last = l + 1 == L && !record;
    // Only the rows computed here get queries: every row from `keep`, or in the last layer the readout row.
    const std::size_t first = last ? static_cast<std::size_t>(readout) : keep, stop = last ? static_cast<std::size_t>(readout) + 1 : end;
    LayerRows<Row>& in = rows_[l];
    in.rows = end;
    for (auto* p : {&in.q, &in.k, &in.v}) {
      p->resize(layer.heads.size());
      for (auto& rows : *p) rows.resize(end);
    }
    for (std::size_t i = keep; i < end; ++i) {
      const Row a = norm(in.x[i], layer.ln1, "ln1");
      for (std::size_t h = 0; h < layer.heads.size(); ++h) {
        const TlHead& head = layer.heads[h];
        vec_mat(a, head.wk, &head.bk, in.k[h][i]);
        vec_mat(a, head.wv, &head.bv, in.v[h][i]);
        if (i >= first && i < stop) vec_mat(a, head.wq, &head.bq, in.q[h][i]);
      }
    }
    for (std::size_t i = first; i < stop; ++i) {
      Row& y = stage(l + 1)[i];
      this->layer_row(l, i, in, y);
      for (const I& v : y)
        if (!v.finite()) throw undecidable("activation not finite");
    }
  }
  valid_rows_ = end;
  if (record) {
    record->stages.assign(L + 1, {});
    for (std::size_t l = 0; l <= L; ++l)
      for (std::size_t i = 0; i < T; ++i) {
        std::vector<std::pair<double, double>> row;
        for (const I& v : stage(l)[i]) row.emplace_back(v.lower(), v.upper());
        record->stages[l].push_back(std::move(row));
      }
  }
  const Row f = norm(stage(L)[static_cast<std::size_t>(readout)], m_.ln_final, "ln_final");
  std::vector<I> out;
  for (const int t : answers) {
    I acc(m_.b_u.empty() ? 0.0 : m_.b_u[static_cast<std::size_t>(t)]);
    for (int r = 0; r < m_.d_model; ++r)
      if (!f[static_cast<std::size_t>(r)].zero()) acc = acc + f[static_cast<std::size_t>(r)] * m_.w_u.at(r, t);
    if (!acc.finite()) throw undecidable("logit not finite");
    out.push_back(acc);
  }
  return out;
}

}  // namespace exactformer
