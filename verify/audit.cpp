// The audited forward pass (verify/audit.hpp).
#include "audit.hpp"

#include "exactformer/errors.hpp"

namespace exactformer {

void AuditStats::merge(const AuditStats& o) {
  passes += o.passes;
  non_integers += o.non_integers;
  inhomogeneous += o.inhomogeneous;
  if (o.max_score > max_score) max_score = o.max_score;
  if (o.max_activation > max_activation) max_activation = o.max_activation;
  if (o.max_hidden > max_hidden) max_hidden = o.max_hidden;
  if (first_problem.empty()) first_problem = o.first_problem;
}

Auditor::SparseMat Auditor::sparse(const MatQ& m) {
  SparseMat s;
  s.rows = static_cast<int>(m.rows());
  s.cols = static_cast<int>(m.cols());
  for (int r = 0; r < s.rows; ++r)
    for (int c = 0; c < s.cols; ++c)
      if (m(r, c) != 0) s.entries.push_back({r, c, m(r, c)});
  return s;
}

MatQ Auditor::times(const MatQ& x, const SparseMat& w) {
  MatQ out = MatQ::Zero(x.rows(), w.cols);
  for (const Entry& e : w.entries)
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      if (x(i, e.row) != 0) out(i, e.col) += x(i, e.row) * e.w;
  return out;
}

Auditor::Auditor(const Model& model) : width_(model.layout.width()) {
  for (const Layer& layer : model.layers) {
    LayerW lw;
    for (const Head& h : layer.heads) lw.heads.push_back(HeadW{h.name, h.mode, h.mask, sparse(h.wq), sparse(h.wk), sparse(h.wv), sparse(h.wo)});
    for (const Affine& a : layer.mlp.layers) {
      lw.mlp_w.push_back(sparse(a.w));
      lw.mlp_b.push_back(a.bias);
    }
    layers_.push_back(std::move(lw));
  }
}

std::vector<MatQ> Auditor::run(const MatQ& x0, AuditStats& st) const {
  EXACTFORMER_ASSERT(x0.cols() == width_, "audit: input width differs from the layout");
  const Eigen::Index t = x0.rows();
  const auto problem = [&](const std::string& what) {
    if (st.first_problem.empty()) st.first_problem = what;
  };
  // Records |v| into max; false (and counted) if v is not an integer. `where` is built only then.
  const auto note = [&](const Q& v, Q& max, auto&& where) {
    const Q a = abs(v);
    if (a > max) max = a;
    if (is_integer(v)) return;
    ++st.non_integers;
    problem(where() + ": " + to_string(v) + " is not an integer");
  };
  ++st.passes;
  std::vector<MatQ> out;
  MatQ x = x0;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const LayerW& lw = layers_[l];
    const std::string layer = "layer " + std::to_string(l + 1);
    MatQ a = x;
    for (const HeadW& h : lw.heads) {
      const MatQ qm = times(x, h.wq), km = times(x, h.wk), vm = times(x, h.wv);
      MatQ mixed = MatQ::Zero(t, vm.cols());
      for (Eigen::Index i = 0; i < t; ++i) {
        const Eigen::Index visible = h.mask == Mask::causal ? i + 1 : t;
        RowQ scores(visible);
        for (Eigen::Index j = 0; j < visible; ++j) {
          Q s(0);
          for (Eigen::Index k = 0; k < qm.cols(); ++k) s += qm(i, k) * km(j, k);
          scores(j) = s;
          note(s, st.max_score, [&] { return layer + " head " + h.name + " score (" + std::to_string(i) + ", " + std::to_string(j) + ")"; });
        }
        const RowQ w = attention_weights(scores, h.mode);
        if (h.mode.kind == AttentionKind::hard) {
          Eigen::Index first = -1;
          for (Eigen::Index j = 0; j < visible; ++j) {
            if (w(j) == 0) continue;
            if (first < 0) first = j;
            else if (vm.row(j) != vm.row(first)) {
              ++st.inhomogeneous;
              problem(layer + " head " + h.name + ", row " + std::to_string(i) + ": tokens " + std::to_string(first) + " and " +
                      std::to_string(j) + " tie for the argmax with different values");
              break;
            }
          }
        }
        for (Eigen::Index j = 0; j < visible; ++j)
          if (w(j) != 0) mixed.row(i) += w(j) * vm.row(j);
      }
      a += times(mixed, h.wo);
    }
    for (Eigen::Index i = 0; i < t; ++i)
      for (Eigen::Index c = 0; c < a.cols(); ++c) note(a(i, c), st.max_activation, [&] { return layer + " attention, row " + std::to_string(i); });
    x = a;
    if (!lw.mlp_w.empty()) {
      MatQ h = a;
      for (std::size_t k = 0; k < lw.mlp_w.size(); ++k) {
        MatQ next = times(h, lw.mlp_w[k]);
        next.rowwise() += lw.mlp_b[k];
        if (k + 1 < lw.mlp_w.size()) {
          for (Eigen::Index i = 0; i < t; ++i)
            for (Eigen::Index c = 0; c < next.cols(); ++c) {
              note(next(i, c), st.max_hidden, [&] { return layer + " mlp hidden " + std::to_string(k + 1) + ", row " + std::to_string(i); });
              if (next(i, c) < 0) next(i, c) = 0;
            }
        }
        h = std::move(next);
      }
      x = a + h;
      for (Eigen::Index i = 0; i < t; ++i)
        for (Eigen::Index c = 0; c < x.cols(); ++c) note(x(i, c), st.max_activation, [&] { return layer + " mlp, row " + std::to_string(i); });
    }
    out.push_back(x);
  }
  return out;
}

}  // namespace exactformer
