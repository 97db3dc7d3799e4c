// Certified<>: the Evaluator's arithmetic for attention weights no exact arithmetic can hold: softmax(β)
// (e^(β s)), and softmax2(b) where b s is not an integer. Every entry is a Bound (interval.hpp) that
// encloses the exact real value; the decoder decides on exact endpoints, or says it cannot.
//
// The rules (design reference: precision.md §2; our statement in docs/certified.md):
//   projections, W_O, MLP affine maps: exact rational weights times Bounds, outward-rounded to `bits`;
//   scores: exact when the query and key rows are points (a point is an exact value);
//   hard heads: the exact rule on exact scores; on inexact scores only a certified unique maximum;
//   softmax2 / softmax over exact scores: the stable grouped form. Keys are grouped into classes of
//     equal score s_c with exact multiplicities m_c; each key of class c weighs
//        w_c = 1 / sum_c' m_c' E(s_c' - s_c),   E(d) = 2^(b d) or e^(β d) (enclosed by MPFI, cached per d),
//     so a tied argmax carries an exact integer count, not k intervals (widths stay at the working precision);
//     2^(b d) with b d an integer is an exact point, so softmax2 on its invariant stays exact here too;
//   over inexact scores: w_j = 1 / (1 + sum_{k != j} E(s_k - s_j)) per key;
//   MLPs by sign pattern: the sublayer is carried as an exact affine map of the row's inexact entries,
//     each ReLU whose sign is decided on the whole box is exactly linear there (identity or 0), an
//     undecided one becomes the remainder [0, hi]. A saturated clamp returns an exact point, a scratch
//     reset exactly 0, so widths do not build up across layers.
// An Undecided exception means this rung cannot evaluate the pass (a hard argmax or a reciprocal that
// the enclosures do not decide): the driver goes one rung up.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/interval.hpp"
#include "exactformer/layer_schedule.hpp"

namespace exactformer {

struct Undecided {
  std::string why;
};

struct CertifiedRow {
  std::vector<Bound> v;
  bool inexact = false;  // a difference() row that is not exact: no pass-through through it
  friend bool operator==(const CertifiedRow& a, const CertifiedRow& b) { return a.v == b.v; }
};

class Certified : public LayerSchedule<Certified, CertifiedRow> {
 public:
  using Row = CertifiedRow;
  using Readout = Row;

  Certified(const Model& model, long bits);

  std::size_t heads(std::size_t l) const { return layers_[l].heads.size(); }
  void input(const Frac64* cells, int d, Row& out) const;
  void project(std::size_t l, std::size_t h, Projection p, const Row& x, Row& out) const;
  static void difference(const Row& a, const Row& b, Row& out);
  static bool changes_any(const Row& delta, const std::vector<char>& columns);
  static void add_change(Row& x, const Row& delta);
  int max_bits() const { return 0; }
  void reset_bits() {}

  long bits() const { return bits_; }
  long undecided_relus() const { return undecided_relus_; }

 private:
  struct HeadW {
    SparseMatrix<Q> wq, wk, wv, wo;
    AttentionMode mode;
    Mask mask;
    std::map<Q, Bound> exp_cache;  // E(d) by exact score difference d
  };
  struct AffineW {
    SparseMatrix<Q> w;
    std::vector<Q> bias;
  };
  struct LayerW {
    std::vector<HeadW> heads;
    std::vector<AffineW> mlp;
  };

  // The block's steps (layer_schedule.hpp).
  friend class LayerSchedule<Certified, Row>;
  static void start_row(const Row& x, Row& y) {
    y.inexact = false;
    y.v = x.v;
  }
  void add_head(std::size_t l, std::size_t h, std::size_t i, const LayerRows<Row>& in, Row& y);
  void end_attention(std::size_t /*l*/, std::size_t /*i*/, Row& y) const;  // rounded outward to bits
  bool has_mlp(std::size_t l) const { return !layers_[l].mlp.empty(); }
  void add_mlp(std::size_t l, std::size_t /*i*/, Row& y) { mlp(layers_[l].mlp, y.v); }

  void attend(HeadW& hw, std::size_t i, const std::vector<Row>& q, const std::vector<Row>& k, const std::vector<Row>& v,
              std::size_t rows, std::vector<Bound>& out);
  Bound weight_factor(HeadW& hw, const Bound& d);  // E(d)
  void mlp(const std::vector<AffineW>& stack, std::vector<Bound>& a);

  long bits_;
  std::vector<LayerW> layers_;
  long undecided_relus_ = 0;
  std::vector<Bound> scores_, attended_;
};

// A decoder decision on an enclosed readout row.
struct CertifiedDecision {
  enum class Status { decided, boundary, undetermined };
  Status status = Status::undetermined;
  std::optional<long> answer;  // decided: the answer (nullopt: certified undefined, as 1/0)
  std::optional<Q> margin;     // decided by a threshold or rounding: the exact distance of the enclosure from the
                               // nearest decision boundary (nullopt for the equality tests exact_ratio, is_zero)
  std::string why;             // undetermined: what was not decided
};
CertifiedDecision decode_certified(const Decoder& d, const std::vector<Bound>& row);

// The escalation driver: each (input, readout row) starts at rung 0 (68 bits) and goes one rung up,
// recomputed from the exact model, until the decoder decides or max_rung is reached. Items decided at a
// rung are never recomputed. Deterministic: no state depends on other items or threads.
struct CertifiedResult {
  CertifiedDecision decision;
  long bits = 0;  // of the rung that decided (or of the cap)
  std::string str() const;  // "decided at 68 bits, margin 3.33e-01" / "boundary" / "undetermined at 1065 bits (...)"
};

class CertifiedEvaluator {
 public:
  explicit CertifiedEvaluator(const Model& model, int max_rung = kDefaultMaxRung);
  // The decision on readout row `row` (incremental passes, as the sweep needs).
  CertifiedResult run(const Decoder& d, const Input& x, int row);
  // The same with full passes (Evaluator::run_all); afterwards last_pass() holds every row after every layer
  // at the rung that decided (or the cap), if that pass completed (trace).
  CertifiedResult run_all(const Decoder& d, const Input& x, int row);
  const Evaluator<Certified>* last_pass() const { return last_complete_ ? last_ : nullptr; }
  void reset();

 private:
  // The escalation rule, once: pass(evaluator) computes a rung's readout row; the first rung whose decoder
  // decides (or finds a boundary) wins.
  CertifiedResult escalate(const Decoder& d, const std::function<const std::vector<Bound>&(Evaluator<Certified>&)>& pass);
  const Model& model_;
  int max_rung_;
  std::vector<std::unique_ptr<Evaluator<Certified>>> rungs_;  // built on first use
  Evaluator<Certified>* last_ = nullptr;  // the rung escalate() ended at
  bool last_complete_ = false;            // ... and whether its pass completed
};

// Whether any head of the model needs the certified path outright (softmax(β)).
bool needs_certified(const Model& model);

}  // namespace exactformer
