// The audited forward pass (verify/audit.hpp).
#include "audit.hpp"

#include "exactformer/evaluator.hpp"

namespace exactformer {

void AuditStats::merge(const AuditStats& o) {
  passes += o.passes;
  gmp_passes += o.gmp_passes;
  non_integers += o.non_integers;
  inhomogeneous += o.inhomogeneous;
  if (o.max_score > max_score) max_score = o.max_score;
  if (o.max_activation > max_activation) max_activation = o.max_activation;
  if (o.max_hidden > max_hidden) max_hidden = o.max_hidden;
  if (first_problem.empty()) first_problem = o.first_problem;
}

// One scalar type's pass. Matrices are row-major vectors of rows; weights are sparse (row, col, w).
template <class S>
class Auditor::Pass {
 public:
  using Traits = ScalarTraits<S>;
  using Rows = std::vector<std::vector<S>>;

  explicit Pass(const Model& model) : width_(model.layout.width()) {
    for (const Layer& layer : model.layers) {
      LayerW lw;
      for (const Head& h : layer.heads)
        lw.heads.push_back(HeadW{h.name, h.mode, h.mask, sparse(h.wq), sparse(h.wk), sparse(h.wv), sparse(h.wo)});
      for (const Affine& a : layer.mlp.layers) {
        lw.mlp_w.push_back(sparse(a.w));
        std::vector<S> b;
        for (Eigen::Index j = 0; j < a.bias.size(); ++j) b.push_back(Traits::from(a.bias(j)));
        lw.mlp_b.push_back(std::move(b));
      }
      layers_.push_back(std::move(lw));
    }
  }

  int width() const { return width_; }

  void run(const MatQ& x0, AuditStats& st, std::vector<MatQ>* after) const {
    const std::size_t t = static_cast<std::size_t>(x0.rows());
    S max_score(0), max_activation(0), max_hidden(0);
    const auto problem = [&](const std::string& what) {
      if (st.first_problem.empty()) st.first_problem = what;
    };
    // Records |v| into max; counts a non-integer. `where` is built only then.
    const auto note = [&](const S& v, S& max, auto&& where) {
      const S a = v < S(0) ? -v : v;
      if (a > max) max = a;
      if (Traits::is_integer(v)) return;
      ++st.non_integers;
      problem(where() + ": " + to_string(Traits::to_q(v)) + " is not an integer");
    };
    Rows x(t, std::vector<S>(static_cast<std::size_t>(width_)));
    for (std::size_t i = 0; i < t; ++i)
      for (std::size_t c = 0; c < x[i].size(); ++c) x[i][c] = Traits::from(x0(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)));
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const LayerW& lw = layers_[l];
      const auto layer = [l] { return "layer " + std::to_string(l + 1); };
      Rows a = x;
      for (const HeadW& h : lw.heads) {
        const Rows qm = times(x, h.wq), km = times(x, h.wk), vm = times(x, h.wv);
        Rows mixed(t, std::vector<S>(static_cast<std::size_t>(h.wv.cols), S(0)));
        std::vector<S> scores;
        for (std::size_t i = 0; i < t; ++i) {
          const std::size_t visible = h.mask == Mask::causal ? i + 1 : t;
          scores.assign(visible, S(0));
          for (std::size_t j = 0; j < visible; ++j) {
            S s(0);
            for (std::size_t k = 0; k < qm[i].size(); ++k)
              if (!(qm[i][k] == S(0)) && !(km[j][k] == S(0))) s += qm[i][k] * km[j][k];
            scores[j] = s;
            note(s, max_score, [&] { return layer() + " head " + h.name + " score (" + std::to_string(i) + ", " + std::to_string(j) + ")"; });
          }
          S top = scores[0];
          for (const S& s : scores)
            if (s > top) top = s;
          std::vector<S> w(visible, S(0));
          if (h.mode.kind == AttentionKind::hard) {
            long count = 0;
            std::size_t first = visible, other = visible;
            for (std::size_t j = 0; j < visible; ++j) {
              if (!(scores[j] == top)) continue;
              ++count;
              if (first == visible) first = j;
              else if (other == visible && vm[j] != vm[first]) other = j;
            }
            if (other != visible) {
              ++st.inhomogeneous;
              problem(layer() + " head " + h.name + ", row " + std::to_string(i) + ": tokens " + std::to_string(first) + " and " +
                      std::to_string(other) + " tie for the argmax with different values");
            }
            for (std::size_t j = 0; j < visible; ++j)
              if (scores[j] == top) w[j] = S(1) / S(count);
          } else {
            S total(0);
            for (std::size_t j = 0; j < visible; ++j) {
              const S bs = S(h.mode.b) * scores[j];
              EXACTFORMER_REQUIRE(Traits::is_integer(bs), "softmax2(" + std::to_string(h.mode.b) + "): b*score = " +
                                                              to_string(Traits::to_q(bs)) + " is not an integer");
              w[j] = Traits::pow2_neg(Traits::to_long(S(h.mode.b) * (top - scores[j])));
              total += w[j];
            }
            for (S& v : w) v = v / total;
          }
          for (std::size_t j = 0; j < visible; ++j)
            if (!(w[j] == S(0)))
              for (std::size_t c = 0; c < mixed[i].size(); ++c) mixed[i][c] += w[j] * vm[j][c];
        }
        const Rows o = times(mixed, h.wo);
        for (std::size_t i = 0; i < t; ++i)
          for (std::size_t c = 0; c < a[i].size(); ++c) a[i][c] += o[i][c];
      }
      for (std::size_t i = 0; i < t; ++i)
        for (const S& v : a[i]) note(v, max_activation, [&] { return layer() + " attention, row " + std::to_string(i); });
      x = a;
      if (!lw.mlp_w.empty()) {
        Rows h = a;
        for (std::size_t k = 0; k < lw.mlp_w.size(); ++k) {
          Rows next = times(h, lw.mlp_w[k]);
          for (auto& row : next)
            for (std::size_t c = 0; c < row.size(); ++c) row[c] += lw.mlp_b[k][c];
          if (k + 1 < lw.mlp_w.size())
            for (std::size_t i = 0; i < t; ++i)
              for (S& v : next[i]) {
                note(v, max_hidden, [&] { return layer() + " mlp hidden " + std::to_string(k + 1) + ", row " + std::to_string(i); });
                if (v < S(0)) v = S(0);
              }
          h = std::move(next);
        }
        for (std::size_t i = 0; i < t; ++i)
          for (std::size_t c = 0; c < x[i].size(); ++c) {
            x[i][c] += h[i][c];
            note(x[i][c], max_activation, [&] { return layer() + " mlp, row " + std::to_string(i); });
          }
      }
      if (after) {
        MatQ m(static_cast<Eigen::Index>(t), width_);
        for (std::size_t i = 0; i < t; ++i)
          for (std::size_t c = 0; c < x[i].size(); ++c) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = Traits::to_q(x[i][c]);
        after->push_back(std::move(m));
      }
    }
    ++st.passes;
    for (auto [got, max] : {std::pair{&max_score, &st.max_score}, std::pair{&max_activation, &st.max_activation},
                            std::pair{&max_hidden, &st.max_hidden}}) {
      const Q v = Traits::to_q(*got);
      if (v > *max) *max = v;
    }
  }

 private:
  struct Entry {
    std::size_t row, col;
    S w;
  };
  struct SparseW {
    int rows = 0, cols = 0;
    std::vector<Entry> entries;
  };
  struct HeadW {
    std::string name;
    AttentionMode mode;
    Mask mask;
    SparseW wq, wk, wv, wo;
  };
  struct LayerW {
    std::vector<HeadW> heads;
    std::vector<SparseW> mlp_w;
    std::vector<std::vector<S>> mlp_b;
  };

  static SparseW sparse(const MatQ& m) {
    SparseW s;
    s.rows = static_cast<int>(m.rows());
    s.cols = static_cast<int>(m.cols());
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c)
        if (m(r, c) != 0) s.entries.push_back({static_cast<std::size_t>(r), static_cast<std::size_t>(c), Traits::from(m(r, c))});
    return s;
  }
  static Rows times(const Rows& x, const SparseW& w) {
    Rows out(x.size(), std::vector<S>(static_cast<std::size_t>(w.cols), S(0)));
    for (const Entry& e : w.entries)
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!(x[i][e.row] == S(0))) out[i][e.col] += x[i][e.row] * e.w;
    return out;
  }

  int width_;
  std::vector<LayerW> layers_;
};

Auditor::Auditor(const Model& model, bool fast_path) : exact_(std::make_unique<Pass<Q>>(model)) {
  if (!fast_path) return;
  try {
    fast_ = std::make_unique<Pass<Checked64>>(model);
  } catch (const Overflow&) {
  }
}

Auditor::~Auditor() = default;

void Auditor::run(const MatQ& x0, AuditStats& st, std::vector<MatQ>* after) const {
  EXACTFORMER_ASSERT(x0.cols() == exact_->width(), "audit: input width differs from the layout");
  if (fast_) {
    AuditStats attempt;  // merged only if the int64 pass completes
    std::vector<MatQ> layers;
    try {
      fast_->run(x0, attempt, after ? &layers : nullptr);
      st.merge(attempt);
      if (after) *after = std::move(layers);
      return;
    } catch (const Overflow&) {
    }
  }
  ++st.gmp_passes;
  if (after) after->clear();
  exact_->run(x0, st, after);
}

}  // namespace exactformer
