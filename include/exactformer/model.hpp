// The exact transformer (design.md §2): a named residual stream, attention heads with exact weight
// rules, explicit ReLU MLPs, and a reference forward pass over the whole sequence.
//
// Conventions: activations are row vectors; X is (T, d), one row per token. A weight matrix that reads
// the residual stream has d rows, one per residual column, so `X * W` applies it to every token.
//
//   layer l:  A  = X + sum_h Attn_h(X)
//             X' = A + MLP_l(A)
//   Attn_h(X)_i = sum_j w_ij (X_j W_V) W_O,   scores s_ij = (X_i W_Q) . (X_j W_K)
//     hard        : w_ij = 1[s_ij = max_k s_ik] / |argmax|                (averaging hard attention)
//     softmax2(b) : w_ij = 2^(b s_ij) / sum_k 2^(b s_ik)   (exact where b s_ij is an integer, else certified)
//     softmax(β)  : w_ij = e^(β s_ij) / sum_k e^(β s_ik)    (certified only: certified_arith.hpp)
//   over the keys j the row sees (its mask); attention.hpp is the rule.
//   MLP(a) = relu(... relu(a W_1 + c_1) ...) W_m + c_m   (an empty MLP adds nothing)
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exactformer/attention.hpp"
#include "exactformer/rational.hpp"

namespace exactformer {

// ---------------------------------------------------------------------------------------------------
// Residual layout: named, disjoint blocks of columns.

struct Slot {
  std::string name;
  int offset = 0;
  int dim = 0;
  int col(int i = 0) const {  // residual column of component i; throws internal_error if out of range
    if (i < 0 || i >= dim) [[unlikely]] no_component(i);
    return offset + i;
  }
  [[noreturn]] void no_component(int i) const;
};

class Layout {
 public:
  Slot add(std::string name, int dim);
  const Slot& at(std::string_view name) const;
  bool has(std::string_view name) const;
  int width() const { return width_; }
  const std::vector<Slot>& slots() const { return slots_; }
  std::string column_name(int col) const;  // "id_a[2]" or "one"

 private:
  std::vector<Slot> slots_;
  int width_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// Sublayers.

struct Head {
  std::string name;
  AttentionMode mode;
  Mask mask = Mask::none;
  MatQ wq;  // (d, d_k)
  MatQ wk;  // (d, d_k)
  MatQ wv;  // (d, d_v)
  MatQ wo;  // (d_v, d)

  // A zero head of the given sizes; fill it slot to slot with the setters below.
  static Head zeros(std::string name, const Layout& layout, int d_k, int d_v);
  void query(const Slot& from, int i, int k, const Q& w) { wq(from.col(i), k) += w; }
  void key(const Slot& from, int i, int k, const Q& w) { wk(from.col(i), k) += w; }
  void value(const Slot& from, int i, int v, const Q& w) { wv(from.col(i), v) += w; }
  void output(int v, const Slot& to, int i, const Q& w) { wo(v, to.col(i)) += w; }
};

struct Affine {
  MatQ w;     // (in, out)
  RowQ bias;  // (1, out)
  static Affine zeros(int in, int out);
};

struct Mlp {
  std::vector<Affine> layers;  // ReLU between consecutive layers; layers[0].w has d rows, last has d columns
  int hidden_depth() const { return layers.empty() ? 0 : static_cast<int>(layers.size()) - 1; }
};

struct Layer {
  std::vector<Head> heads;
  Mlp mlp;
};

struct Model {
  Layout layout;
  std::vector<Layer> layers;
  int pause_tokens = 0;  // N': pause tokens after the task token (tokenize appends them; the readout is the last row)
};

// ---------------------------------------------------------------------------------------------------
// Shape: what design.md §3 measures on a built model (and what a construction claims as a formula).

struct Shape {
  // Layer accounting: `layers` counts blocks (an attention sublayer, then an MLP); a block with an MLP and no
  // heads counts as a layer too. The paper's L counts attention layers (MLPs being free), so ours is an
  // upper bound on it; each construction page says where the two differ.
  int layers = 0;
  int heads = 0;        // heads per layer (max over layers)
  int width = 0;        // residual width d
  int d_k = 0;          // max query/key width
  int d_v = 0;          // max value width
  int mlp_depth = 0;    // max hidden layers of any MLP
  int mlp_width = 0;    // max hidden width of any MLP
  long params = 0;      // entries of every W_Q, W_K, W_V, W_O, MLP weight and bias
  int weight_bits = 0;  // largest bit size of any weight numerator or denominator
  long pause_tokens = 0; // N' (Model::pause_tokens; a formula may exceed what a model can be built with)
  friend bool operator==(const Shape&, const Shape&) = default;
};

Shape measure(const Model& model);
std::string describe(const Shape& s);                // "L=1 H=2 d=12 d_k=7 d_v=1 mlp=0x0 params=362 bits=4" (+ " N'=9")
std::vector<std::string> shape_differences(const Shape& measured, const Shape& claimed);

// ---------------------------------------------------------------------------------------------------
// Reference forward pass: every row, every sublayer, plain Eigen products in Q. The checker uses the
// incremental Evaluator (evaluator.hpp); the tests hold the two equal.

struct Record {
  std::vector<std::string> labels;  // "layer 1 attention", "layer 1 mlp", ...
  std::vector<MatQ> residuals;      // residual stream after each sublayer
};

MatQ forward(const Model& model, const MatQ& x0, Record* record = nullptr);

}  // namespace exactformer
