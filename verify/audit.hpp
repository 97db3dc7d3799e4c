// An audited forward pass: every row, every sublayer, in exact rationals, recording what the exactness
// claims of a construction (Construction::exactness) speak about: the largest |score|, |residual entry|
// and |hidden pre-activation|, every non-integer among them, and every `hard` argmax set whose tokens
// carry different value vectors (so that the head's output is an average, not one token's value).
#pragma once
#include <string>
#include <vector>

#include "exactformer/model.hpp"

namespace exactformer {

struct AuditStats {
  long passes = 0;
  long non_integers = 0;   // scores, residual entries, hidden pre-activations
  long inhomogeneous = 0;  // hard argmax sets with more than one value vector
  Q max_score{0}, max_activation{0}, max_hidden{0};
  std::string first_problem;  // "layer 3 head ON, row 7: argmax set carries 2 value vectors"
  void merge(const AuditStats& o);
};

class Auditor {
 public:
  explicit Auditor(const Model& model);
  // The residual stream after each layer (index l = after layer l + 1).
  std::vector<MatQ> run(const MatQ& x0, AuditStats& stats) const;

 private:
  struct Entry {
    int row, col;
    Q w;
  };
  struct SparseMat {
    int rows = 0, cols = 0;
    std::vector<Entry> entries;
  };
  struct HeadW {
    std::string name;
    AttentionMode mode;
    Mask mask;
    SparseMat wq, wk, wv, wo;
  };
  struct LayerW {
    std::vector<HeadW> heads;
    std::vector<SparseMat> mlp_w;
    std::vector<RowQ> mlp_b;
  };
  static SparseMat sparse(const MatQ& m);
  static MatQ times(const MatQ& x, const SparseMat& w);  // (T, rows) x (rows, cols)
  std::vector<LayerW> layers_;
  int width_ = 0;
};

}  // namespace exactformer
