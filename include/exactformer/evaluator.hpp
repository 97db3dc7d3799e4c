// Evaluator<Arith>: the forward pass the checker runs: one incremental schedule, the arithmetic a policy.
//
// Same semantics as forward() in model.hpp (the attention rule is attention.hpp's), with three exact
// economies, all decided here and nowhere else:
//   * readout-only last layer: the last layer is evaluated for the readout row only, and only that
//     row's queries are projected there (no other row's output or query reaches the readout);
//   * dirty rows: between calls only values whose inputs changed are recomputed. Layer l caches its
//     input rows and their projections; a row is dirty when its input changed. Rows of layer l are
//     re-attended when their own query changed (dirty rows), or all of them when some dirty row's key or
//     value changed (in a layer whose heads are all causal: the rows at or after the first such row). Typical use: between two queries only the task row's input changes; if its keys and
//     values are query-independent, each layer redoes one row;
//   * MLP memo: a re-attended row whose attention sublayer output equals the previous one keeps its
//     previous output (the MLP is a function of that row);
//   * pass-through: a dirty row whose input changed only in columns the layer does not read (no W_Q, W_K,
//     W_V, first MLP matrix) keeps its projections, and, if no key or value changed, its output is the
//     cached output plus the same change (X' = X + Attn + MLP, both blind to those columns).
// run_all() evaluates every row of every layer instead (no pruning), for observers and per-layer states.
//
// The arithmetic (a class Arith) says how rows are stored and combined:
//   using Row;        one row (residual, projection, difference); == compares exactly
//   using Readout;    the readout row handed to decoders
//   Arith(const Model&, ...)                               weights converted; may throw Overflow
//   std::size_t heads(l)
//   void input(const Frac64* cells, int d, Row& out)       an input row
//   void project(l, h, Projection, const Row& x, Row& out)  x W_Q, x W_K or x W_V of head h
//   void difference(const Row& a, const Row& b, Row& out)   a - b
//   bool changes_any(const Row& delta, const std::vector<char>& columns)   a nonzero entry in a marked column
//   void add_change(Row& x, const Row& delta)               x += delta (a pass-through)
//   attention_row, mlp_row, layer_row, readout_row, readout_of   the block: written once, in LayerSchedule
//                                                           (layer_schedule.hpp), which every arithmetic derives
//   int max_bits() const; void reset_bits()                 the activation-bit maximum
// Implementations: Fractions<S> (fraction_arith.hpp: each entry its own fraction; GMP, checked int64 or
// int128, double), Scaled<V> (scaled_arith.hpp: int64 numerators over one denominator per row; double)
// and Certified (certified_arith.hpp: enclosures).
// An arithmetic that overflows throws Overflow; the caller resets the evaluator and goes one tier up.
#pragma once
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "exactformer/checked_rational.hpp"
#include "exactformer/decoder.hpp"
#include "exactformer/model.hpp"

namespace exactformer {

// The token matrix X0 as small exact fractions, row-major (T, d).
struct Input {
  int rows = 0;
  int cols = 0;
  std::vector<Frac64> cells;
  Input() = default;
  Input(int t, int d) : rows(t), cols(d), cells(static_cast<std::size_t>(t) * static_cast<std::size_t>(d)) {}
  Frac64& at(int r, int c) { return cells[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]; }
  const Frac64& at(int r, int c) const { return cells[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]; }
  MatQ to_q() const {
    MatQ m(rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) m(r, c) = q(at(r, c).num, at(r, c).den);
    return m;
  }
};

static_assert(sizeof(Frac64) == 2 * sizeof(std::int64_t), "input rows are compared bytewise");

// A weight matrix without its zeros: row r lists (column, weight) for the nonzero weights, each converted
// by the arithmetic. `den` is the arithmetic's business (Scaled<V>: the common denominator).
template <class W>
struct SparseMatrix {
  int rows = 0, cols = 0;
  std::vector<std::vector<std::pair<int, W>>> by_row;
  W den = W(1);
};

template <class W, class Convert>  // convert(const Q&) -> W
SparseMatrix<W> sparse(const MatQ& m, const Convert& convert) {
  SparseMatrix<W> s;
  s.rows = static_cast<int>(m.rows());
  s.cols = static_cast<int>(m.cols());
  s.by_row.resize(static_cast<std::size_t>(s.rows));
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c)
      if (m(r, c) != 0) s.by_row[static_cast<std::size_t>(r)].emplace_back(static_cast<int>(c), convert(m(r, c)));
  return s;
}

// [column]: 1 when some W_Q, W_K, W_V or the layer's first MLP matrix has a nonzero row there. A change
// confined to the other columns passes through the layer as it is (X' = X + Attn + MLP, both blind to it).
inline std::vector<char> columns_read(const Layer& layer, int width) {
  std::vector<char> reads(static_cast<std::size_t>(width), 0);
  const auto mark = [&reads](const MatQ& w) {
    for (Eigen::Index r = 0; r < w.rows(); ++r)
      for (Eigen::Index c = 0; c < w.cols(); ++c)
        if (w(r, c) != 0) {
          reads[static_cast<std::size_t>(r)] = 1;
          break;
        }
  };
  for (const Head& h : layer.heads) {
    mark(h.wq);
    mark(h.wk);
    mark(h.wv);
  }
  if (!layer.mlp.layers.empty()) mark(layer.mlp.layers.front().w);
  return reads;
}

enum class Projection { query, key, value };

// What one layer caches: its input rows and their projections. Vectors only grow; the first `rows`
// entries are the current token sequence's.
template <class Row>
struct LayerRows {
  std::size_t rows = 0;
  std::vector<Row> x;                     // input rows of the layer
  std::vector<bool> valid;                // x[j] is current
  std::vector<std::vector<Row>> q, k, v;  // [head][row] projections of x
  std::vector<bool> projected;            // k, v of row j are current
  std::vector<bool> queried;              // q of row j is current (the last layer: the readout row only)
  std::vector<Row> attended;              // the previous layer's row j after its attention sublayer (memo)
  std::vector<bool> attended_valid;       // attended[j] is the one x[j] was computed from
};

template <class Arith>
class Evaluator {
 public:
  using Row = typename Arith::Row;
  using Readout = typename Arith::Readout;

  // Extra arguments go to the arithmetic (e.g. an observer). Throws Overflow when a weight does not fit.
  template <class... Args>
  explicit Evaluator(const Model& model, Args&&... args) : model_(model), arith_(model, std::forward<Args>(args)...) {
    for (const Layer& layer : model.layers) {
      reads_.push_back(columns_read(layer, model.layout.width()));
      causal_.push_back(!layer.heads.empty() &&
                        std::all_of(layer.heads.begin(), layer.heads.end(), [](const Head& h) { return h.mask == Mask::causal; }));
    }
  }

  // The readout row after the last layer, for the token matrix x0 (incremental: see the file comment).
  // only_changed >= 0: the caller promises that no other row of x0 differs from the previous call's (the
  // checker between two queries of one graph and edge order: only the task row is re-embedded); the other
  // rows are then not compared.
  const Readout& readout(const Input& x0, int readout, int only_changed = -1) {
    return evaluate(x0, readout, only_changed, false);
  }

  // Every row of every layer from scratch, nothing pruned; rows_after(l) then holds layer l's outputs.
  void run_all(const Input& x0) {
    reset();
    evaluate(x0, 0, -1, true);
  }
  // After run_all: the first x0.rows entries are the rows after layer l (0-based).
  const std::vector<Row>& rows_after(std::size_t l) const { return cache_[l + 1].x; }

  int max_activation_bits() const { return arith_.max_bits(); }
  const Arith& arithmetic() const { return arith_; }
  // Forgets every cached value (keeping the memory) and the activation-bit maximum: before the next
  // graph, or after an Overflow left a cache half-updated.
  void reset() {
    reset_rows();
    arith_.reset_bits();
  }

 private:
  const Readout& evaluate(const Input& x0, int readout, int only_changed, bool all) {
    const int d = model_.layout.width();
    EXACTFORMER_ASSERT(x0.cols == d, "input width differs from the layout");
    EXACTFORMER_ASSERT(readout >= 0 && readout < x0.rows, "readout row out of range");
    const std::size_t t = static_cast<std::size_t>(x0.rows);
    const std::size_t n_layers = model_.layers.size();
    // Buffers only grow: a token count that differs from the previous call's invalidates every row.
    if (cache_.size() != n_layers + 1) {
      cache_.assign(n_layers + 1, LayerRows<Row>{});
      t_ = 0;
    }
    if (t != t_) {
      reset_rows();
      t_ = t;
      for (auto& lc : cache_) lc.rows = t;
    }
    if (in_cache_.size() < t) {
      in_cache_.resize(t);
      for (auto* flags : {&dirty_, &known_, &next_dirty_, &next_known_, &blind_}) flags->resize(t);
      delta_.resize(t);
      next_delta_.resize(t);
      for (auto& lc : cache_) {
        lc.x.resize(t);
        lc.valid.resize(t, false);
        lc.attended.resize(t);
        lc.attended_valid.resize(t, false);
      }
    }
    std::fill(dirty_.begin(), dirty_.end(), 0);
    std::fill(known_.begin(), known_.end(), 0);
    for (std::size_t j = 0; j < t; ++j) {
      const Frac64* row = &x0.cells[j * static_cast<std::size_t>(d)];
      if (cache_[0].valid[j] && ((only_changed >= 0 && j != static_cast<std::size_t>(only_changed)) ||
                                 std::memcmp(row, in_cache_[j].data(), sizeof(Frac64) * static_cast<std::size_t>(d)) == 0))
        continue;
      arith_.input(row, d, row_);
      if (cache_[0].valid[j]) {
        known_[j] = 1;
        arith_.difference(row_, cache_[0].x[j], delta_[j]);
      }
      std::swap(cache_[0].x[j], row_);
      in_cache_[j].assign(row, row + d);
      cache_[0].valid[j] = true;
      dirty_[j] = 1;
    }
    if (n_layers == 0) return arith_.readout_of(cache_[0].x[static_cast<std::size_t>(readout)]);
    for (std::size_t l = 0; l < n_layers; ++l) {
      const bool last = l + 1 == n_layers && !all;
      LayerRows<Row>& in = cache_[l];
      LayerRows<Row>& out = cache_[l + 1];
      const std::size_t n_heads = arith_.heads(l);
      if (in.k.size() != n_heads || in.projected.size() < t) {
        in.q.assign(n_heads, std::vector<Row>(t));
        in.k.assign(n_heads, std::vector<Row>(t));
        in.v.assign(n_heads, std::vector<Row>(t));
        in.projected.assign(t, false);
        in.queried.assign(t, false);
      }
      // Dirty rows whose change this layer does not read.
      for (std::size_t j = 0; j < t; ++j) blind_[j] = dirty_[j] && known_[j] && !arith_.changes_any(delta_[j], reads_[l]);
      std::size_t first_kv_change = t;  // the first row whose key or value changed (t: none)
      for (std::size_t j = 0; j < t; ++j) {
        if ((!dirty_[j] || blind_[j]) && in.projected[j]) continue;
        in.projected[j] = false;  // stays false if a projection throws
        in.queried[j] = false;
        for (std::size_t h = 0; h < n_heads; ++h) {
          arith_.project(l, h, Projection::key, in.x[j], tmp_k_);
          arith_.project(l, h, Projection::value, in.x[j], tmp_v_);
          if (!last && (!(tmp_k_ == in.k[h][j]) || !(tmp_v_ == in.v[h][j]))) first_kv_change = std::min(first_kv_change, j);
          std::swap(in.k[h][j], tmp_k_);
          std::swap(in.v[h][j], tmp_v_);
          if (!last) arith_.project(l, h, Projection::query, in.x[j], in.q[h][j]);
        }
        in.projected[j] = true;
        in.queried[j] = !last;
      }
      if (last) {  // only the readout row's queries reach the output
        const auto r = static_cast<std::size_t>(readout);
        if (!in.queried[r]) {
          for (std::size_t h = 0; h < n_heads; ++h) arith_.project(l, h, Projection::query, in.x[r], in.q[h][r]);
          in.queried[r] = true;
        }
        return arith_.readout_row(l, r, in);
      }
      std::fill(next_dirty_.begin(), next_dirty_.end(), 0);
      std::fill(next_known_.begin(), next_known_.end(), 0);
      for (std::size_t i = 0; i < t; ++i) {
        // A changed key or value reaches every row, or under causal masks the rows at or after it.
        const bool sees_kv_change = first_kv_change < t && (!causal_[l] || i >= first_kv_change);
        if (!sees_kv_change && !dirty_[i] && out.valid[i]) continue;
        if (!sees_kv_change && blind_[i] && out.valid[i]) {  // pass-through
          out.valid[i] = false;
          out.attended_valid[i] = false;  // the output moves without its attention row
          arith_.add_change(out.x[i], delta_[i]);
          out.valid[i] = true;
          next_dirty_[i] = 1;
          next_known_[i] = 1;
          std::swap(next_delta_[i], delta_[i]);
          continue;
        }
        const bool was_valid = out.valid[i];
        out.valid[i] = false;
        arith_.attention_row(l, i, in, row_);
        if (was_valid && out.attended_valid[i] && row_ == out.attended[i]) {
          out.valid[i] = true;  // same MLP input: same output, not dirty
          continue;
        }
        out.attended_valid[i] = false;
        out.attended[i] = row_;
        arith_.mlp_row(l, i, row_);
        out.attended_valid[i] = true;
        if (!(row_ == out.x[i])) {
          if (was_valid) {
            next_known_[i] = 1;
            arith_.difference(row_, out.x[i], next_delta_[i]);
          }
          std::swap(out.x[i], row_);
          next_dirty_[i] = 1;
        }
        out.valid[i] = true;
      }
      std::swap(dirty_, next_dirty_);
      std::swap(known_, next_known_);
      std::swap(delta_, next_delta_);
    }
    return arith_.readout_of(cache_[n_layers].x[static_cast<std::size_t>(readout)]);
  }

  void reset_rows() {
    for (LayerRows<Row>& lc : cache_) {
      std::fill(lc.valid.begin(), lc.valid.end(), false);
      std::fill(lc.attended_valid.begin(), lc.attended_valid.end(), false);
      std::fill(lc.projected.begin(), lc.projected.end(), false);
      std::fill(lc.queried.begin(), lc.queried.end(), false);
    }
  }

  const Model& model_;
  Arith arith_;
  std::vector<std::vector<char>> reads_;      // [layer][column]: columns_read
  std::vector<char> causal_;                  // [layer]: every head causal (a row sees only rows up to its own)
  std::vector<LayerRows<Row>> cache_;         // [layer]; cache_[L].x: outputs of the last layer (run_all only)
  std::vector<std::vector<Frac64>> in_cache_;  // the input rows, as given
  std::size_t t_ = 0;                         // the token count of the cached rows
  std::vector<char> dirty_, known_, next_dirty_, next_known_, blind_;
  std::vector<Row> delta_, next_delta_;  // per dirty row with a valid previous value: new - old
  Row row_, tmp_k_, tmp_v_;
};

}  // namespace exactformer
