// LayerSchedule<Policy, Row>: the transformer block, written once above every arithmetic policy (CRTP).
//
//   attention sublayer   y = x_i + sum_h Attn_h(row i) W_O[h] + b_O
//   MLP sublayer         y = y + MLP(norm2(y))                      (a layer without an MLP: y unchanged)
//   readout row          both sublayers on the readout row of the last layer; a model without layers
//                        reads its input row (readout_of)
//
// Attn_h reads the layer's cached rows (LayerRows, evaluator.hpp): q, k and v of norm1(x), each with its
// bias, filled by the driver (the Evaluator's incremental schedule, or TlForward's full pass) through the
// policy's own projection. The order of the sums above is the order of evaluation, in every policy.
//
// The policies: Fractions<S> (exact rationals, checked machine fractions, double; the fixed-point model
// FP_p), Scaled<V> (rows over one denominator), Certified (enclosures for softmax) and TlForward<I> (the
// imported GPT-2 / TransformerLens family in ExactValue, DoubleInterval, MpfiInterval or PlainDouble). Our
// own models (model.hpp) have no norms and no b_O, so those hooks are the identity there; TlForward<I>
// writes LayerNorm, the biases, the attention scale and the activations once for all four of its I.
//
// A policy supplies (private, befriending the schedule):
//   void start_row(const Row& x, Row& y)                                 y = x
//   void add_head(l, h, i, const LayerRows<Row>& in, Row& y)             y += Attn_h(row i) W_O[h], rounded as the
//                                                                        policy rounds
//   void add_attention_bias(l, Row& y)                                   y += b_O        (default: none)
//   void end_attention(l, i, Row& y)                                     notes, observers, checks (default: none)
//   bool has_mlp(l) const
//   void add_mlp(l, i, Row& y)                                           y += MLP_l(norm2(y))
//   void end_mlp(l, i, Row& y)                                           (default: none)
// and may replace readout_row / readout_of with its own (Scaled keeps the readout row entry by entry).
#pragma once
#include <cstddef>

#include "exactformer/evaluator.hpp"

namespace exactformer {

template <class Policy, class Row>
class LayerSchedule {
 public:
  // y = the row after layer l (both sublayers).
  void layer_row(std::size_t l, std::size_t i, const LayerRows<Row>& in, Row& y) {
    attention_row(l, i, in, y);
    mlp_row(l, i, y);
  }
  // y = x_i + sum_h Attn_h(row i) W_O[h] + b_O: the row after the attention sublayer.
  void attention_row(std::size_t l, std::size_t i, const LayerRows<Row>& in, Row& y) {
    Policy& p = self();
    p.start_row(in.x[i], y);
    for (std::size_t h = 0; h < p.heads(l); ++h) p.add_head(l, h, i, in, y);
    p.add_attention_bias(l, y);
    p.end_attention(l, i, y);
  }
  // y += MLP_l(norm2(y)).
  void mlp_row(std::size_t l, std::size_t i, Row& y) {
    Policy& p = self();
    if (!p.has_mlp(l)) return;
    p.add_mlp(l, i, y);
    p.end_mlp(l, i, y);
  }
  const Row& readout_row(std::size_t l, std::size_t r, const LayerRows<Row>& in) {
    layer_row(l, r, in, result_);
    return result_;
  }
  const Row& readout_of(const Row& x) {
    result_ = x;
    return result_;
  }

 protected:
  // The hooks a policy may leave out.
  void add_attention_bias(std::size_t /*l*/, Row& /*y*/) {}
  void end_attention(std::size_t /*l*/, std::size_t /*i*/, Row& /*y*/) {}
  void end_mlp(std::size_t /*l*/, std::size_t /*i*/, Row& /*y*/) {}

 private:
  Policy& self() { return static_cast<Policy&>(*this); }
  Row result_;
};

}  // namespace exactformer
