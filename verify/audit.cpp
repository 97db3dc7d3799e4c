// The audited forward pass (verify/audit.hpp): an observer of the Evaluator's full pass.
#include "audit.hpp"

#include "exactformer/fraction_arith.hpp"

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

// One scalar type's audit: the observer, and the evaluator it watches (every row, every layer).
template <class S>
class Auditor::Pass final : public PassObserver<S> {
 public:
  using Traits = ScalarTraits<S>;
  using Row = std::vector<S>;

  explicit Pass(const Model& model) : model_(model), eval_(model, this) {}

  void run(const Input& x0, AuditStats& st, std::vector<MatQ>* after) {
    st_ = &st;
    max_score_ = max_activation_ = max_hidden_ = S(0);
    eval_.run_all(x0);
    if (after)
      for (std::size_t l = 0; l < model_.layers.size(); ++l) {
        const std::vector<Row>& rows = eval_.rows_after(l);
        MatQ m(x0.rows, x0.cols);
        for (int i = 0; i < x0.rows; ++i)
          for (int c = 0; c < x0.cols; ++c) m(i, c) = Traits::to_q(rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)]);
        after->push_back(std::move(m));
      }
    ++st.passes;
    for (auto [got, max] : {std::pair{&max_score_, &st.max_score}, std::pair{&max_activation_, &st.max_activation},
                            std::pair{&max_hidden_, &st.max_hidden}}) {
      const Q v = Traits::to_q(*got);
      if (v > *max) *max = v;
    }
  }

  void score(std::size_t l, std::size_t h, std::size_t i, std::size_t j, const S& s) override {
    note(s, max_score_, [&] { return layer(l) + " head " + model_.layers[l].heads[h].name + " score (" + std::to_string(i) + ", " + std::to_string(j) + ")"; });
  }
  void hard_argmax(std::size_t l, std::size_t h, std::size_t i, const std::vector<AttentionTerm>& terms, const std::vector<Row>& values) override {
    const std::size_t first = terms.front().key;
    for (const AttentionTerm& t : terms)
      if (values[t.key] != values[first]) {
        ++st_->inhomogeneous;
        problem(layer(l) + " head " + model_.layers[l].heads[h].name + ", row " + std::to_string(i) + ": tokens " + std::to_string(first) +
                " and " + std::to_string(t.key) + " tie for the argmax with different values");
        return;
      }
  }
  void residual(std::size_t l, Sublayer where, std::size_t i, const Row& x) override {
    for (const S& v : x)
      note(v, max_activation_, [&] { return layer(l) + (where == Sublayer::attention ? " attention" : " mlp") + ", row " + std::to_string(i); });
  }
  void hidden(std::size_t l, std::size_t k, std::size_t i, const Row& pre) override {
    for (const S& v : pre)
      note(v, max_hidden_, [&] { return layer(l) + " mlp hidden " + std::to_string(k) + ", row " + std::to_string(i); });
  }

 private:
  static std::string layer(std::size_t l) { return "layer " + std::to_string(l + 1); }
  void problem(const std::string& what) {
    if (st_->first_problem.empty()) st_->first_problem = what;
  }
  // Records |v| into max; counts a non-integer. `where` is built only then.
  template <class Where>
  void note(const S& v, S& max, const Where& where) {
    const S a = v < S(0) ? -v : v;
    if (a > max) max = a;
    if (Traits::is_integer(v)) return;
    ++st_->non_integers;
    problem(where() + ": " + to_string(Traits::to_q(v)) + " is not an integer");
  }

  const Model& model_;
  Evaluator<Fractions<S>> eval_;
  AuditStats* st_ = nullptr;
  S max_score_{0}, max_activation_{0}, max_hidden_{0};
};

struct Auditor::Passes {
  std::unique_ptr<Pass<Checked64>> fast;  // null if some weight does not fit in int64
  std::unique_ptr<Pass<Q>> exact;
};

Auditor::Auditor(const Model& model, bool fast_path) : model_(model), fast_path_(fast_path) {}

Auditor::~Auditor() = default;

std::unique_ptr<Auditor::Passes> Auditor::take() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Passes> p = std::move(idle_.back());
      idle_.pop_back();
      return p;
    }
  }
  auto p = std::make_unique<Passes>();
  p->exact = std::make_unique<Pass<Q>>(model_);
  if (fast_path_) try {
      p->fast = std::make_unique<Pass<Checked64>>(model_);
    } catch (const Overflow&) {
    }
  return p;
}

void Auditor::give_back(std::unique_ptr<Passes> p) const {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(p));
}

void Auditor::run(const Input& x0, AuditStats& st, std::vector<MatQ>* after) const {
  EXACTFORMER_ASSERT(x0.cols == model_.layout.width(), "audit: input width differs from the layout");
  std::unique_ptr<Passes> passes = take();
  if (passes->fast) {
    AuditStats attempt;  // merged only if the int64 pass completes
    std::vector<MatQ> layers;
    try {
      passes->fast->run(x0, attempt, after ? &layers : nullptr);
      st.merge(attempt);
      if (after) *after = std::move(layers);
      give_back(std::move(passes));
      return;
    } catch (const Overflow&) {
    }
  }
  ++st.gmp_passes;
  if (after) after->clear();
  passes->exact->run(x0, st, after);
  give_back(std::move(passes));
}

}  // namespace exactformer
