// The construction interface: what one file in constructions/ provides.
//
// A construction builds a Model for graphs with at most n vertices, embeds tokens, names its decoder,
// states its claimed Shape as a formula in n, and declares the checks (theorem-level claims) it stands
// behind, each with the variant one step below the bound that must fail (its tightness witness).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/graph.hpp"
#include "exactformer/decoder.hpp"
#include "exactformer/model.hpp"

namespace exactformer {

// Which model to build: the attention mode, and offsets from the construction's proven parameters
// (one below the bound = offset -1).
struct Variant {
  AttentionKind kind = AttentionKind::hard;
  std::optional<int> b;   // softmax2: explicit b; default the proven b(n) + b_offset
  int b_offset = 0;
  Q beta = 0;             // softmax: weights e^(beta * score), beta > 0 (certified evaluation only)
  int code_bits_offset = 0;
  int layers_offset = 0;
  Mask mask = Mask::none;  // causal: every head sees only the rows up to its own (constructions that offer it)
  static Variant hard() { return {}; }
  static Variant softmax2() {
    Variant v;
    v.kind = AttentionKind::softmax2;
    return v;
  }
  static Variant softmax2_offset(int b_offset) {
    Variant v = softmax2();
    v.b_offset = b_offset;
    return v;
  }
  static Variant softmax(const Q& beta) {
    Variant v;
    v.kind = AttentionKind::softmax;
    v.beta = beta;
    return v;
  }
  // The attention mode: hard, softmax2 with b (if given) else proven_b + b_offset, or softmax(beta).
  AttentionMode mode(int proven_b) const {
    switch (kind) {
      case AttentionKind::hard: return AttentionMode::hard();
      case AttentionKind::softmax2: return AttentionMode::softmax2(b.value_or(proven_b + b_offset));
      case AttentionKind::softmax: return AttentionMode::softmax(beta);
    }
    return AttentionMode::hard();
  }
  std::string str() const;  // "hard", "softmax2(b(n))", "softmax2(b(n)-1)", "hard, k(n)-1 code bits"
  // Hard attention at the proven parameters, no mask: the model a construction's readout claim is about.
  bool proven_hard() const { return kind == AttentionKind::hard && code_bits_offset == 0 && layers_offset == 0 && mask == Mask::none; }
};

// Writes one token's embedding row: set(slot, component, p, q) puts the exact value p/q.
class RowWriter {
 public:
  explicit RowWriter(Frac64* row) : row_(row) {}
  void set(const Slot& slot, int i, std::int64_t p, std::int64_t q = 1) { row_[slot.col(i)] = Frac64{p, q}; }

 private:
  Frac64* row_;
};

// What a pointer-jumping construction shows its predictions: after layer after_layer[k-1] (1-based), slot
// `pointer` of every vertex row holds p_k(v) + 1 (the reference's parent pointer after round k) and
// `pointer_squared` its square.
struct PointerRounds {
  std::vector<int> after_layer;
  Slot pointer, pointer_squared;
};

struct Built {
  Model model;
  std::function<void(const Token&, RowWriter&)> embed;  // writes the non-zero entries of the token's row
  Decoder decoder;
  std::string variant;  // human-readable: "softmax2(b=5)", "hard, k=2 code bits"
  std::optional<PointerRounds> pointer_rounds = {};
  // The construction's claim about the proven hard model (build() sets it for Variant::proven_hard() only):
  // the exact value of each decoder slot, in the decoder's order, on graph g and query q, stated beside the
  // weights from the construction's proof. Every exact evaluation checks it (Answer::fails): a right answer
  // read off a wrong value fails the check — mutation testing showed answers alone miss such weights.
  std::function<std::vector<Q>(const Graph& g, const Query& q)> readout_claim = {};
};

// What a check claims beyond "every answer is right", computed in verify/predictions.cpp.
enum class Prediction {
  exactness,             // the construction's ExactnessClaim on every hard forward pass
  hook_shortcut_rounds,  // per-round pointer state (Built::pointer_rounds), one-round counts, one-sided errors
  hook_shortcut_cycles,  // one m-cycle vs two m/2-cycles: the least number of rounds vs the reference's
  precision_fp,          // the searched FP_p(hard) bits p* equal PrecisionClaim::fp_p; the witness below is found
  precision_softmax2,    // the searched softmax2 b* lies in PrecisionClaim::softmax2_b; ...
  precision_softmax      // the searched softmax β* lies in PrecisionClaim::softmax_exp_beta; ...
};

// What a construction predicts for the smallest precision it needs over every labelled graph with at
// most n vertices and every query (docs/precision.md defines the models and the search). Each field set
// becomes a check precision.<name>.fp_hard / .softmax2_b / .softmax_beta (Registry::checks), at
// n = min(check n, PrecisionClaim::check_n_max).
struct PrecisionClaim {
  std::optional<long> fp_p;                        // FP_p(hard): p* exactly
  std::optional<std::pair<int, int>> softmax2_b;   // b* in [first, second]
  std::optional<std::pair<Q, Q>> softmax_exp_beta; // e^(β*) > first and e^(β* - step) < second (β* on the grid)
  std::string derivation;                          // where the values are derived: "docs/constructions/x.md#precision"
  int check_n_max = 6;                             // the checks search at most this n (cost)
};
// The first p >= 0 at which ok(p), ok(p + 1), ok(p + 2) and ok(p + 3) all hold (a stable pass, as the
// search defines it), for claims computed from a closed-form rule; -1 if none up to 64.
long first_stable(const std::function<bool(long)>& ok);
// [o in the cell that round(1/o - 1) maps to K - 1]: 1/(K + 1/2) < o <= 1/(K - 1/2) (the exact path's
// rounding, half up), for K >= 1.
bool reciprocal_cell(const Q& o, long K);

struct CheckSpec {
  std::string id;         // "retrieval.edge_existence.depth1"
  std::string statement;  // one line
  std::string source;     // paper theorem and our derivation page
  std::vector<Variant> variants;   // each must be correct on every graph and query
  std::optional<Variant> witness;  // must fail, and the checker must find where
  std::string witness_statement;
  int witness_min_n = 2;  // below this n_max the variant under the bound does not exist
  int families_up_to = 0;  // families run to at least this n (default: --family-n-max)
  // Predictions run after the sweeps (verify/predictions.hpp).
  std::vector<Prediction> predictions = {};
  int prediction_n_max = 0;  // > 0: predictions run at n <= this (cost); 0: at the check's n
  int families_max = 0;      // > 0: families stop at this n (a model whose cost grows fast with n; its page says why)
};

// Claims about every `hard` forward pass of a built model, audited by the prediction "exactness".
struct ExactnessClaim {
  bool integers = false;            // every score, residual entry and hidden pre-activation is an integer
  bool homogeneous_argmax = false;  // every argmax set carries one value vector: outputs are not averages
  Q max_score{0}, max_activation{0}, max_hidden{0};  // bounds on absolute values (0: not claimed)
};

// The paper's regimes as our tables label them, worst case over inputs of length T: T tokens can carry a
// graph with Θ(T) vertices (sparse) or Θ(√T) vertices (dense), so a width Θ(n) is Θ(T) in the worst case.
namespace regimes {
inline const std::string depth1 = "Depth1 (L = 1, d = O(log T))";
inline const std::string depth1_set = "Depth1 (L = 1), d = Θ(n): the answer is an n-bit set in the readout row";
inline const std::string log_depth = "LogDepth (L = O(log T), d = O(1))";
inline const std::string log_depth_wide = "LogDepthWide (L = O(log T), d = Θ(n) = Θ(T) in the worst case)";
inline const std::string log_depth_wide_n_log_n = "LogDepthWide (L = O(log T), d = Θ(n log n): log n kept levels of width n)";
inline const std::string log_depth_pause =
    "LogDepthPause-style (causal masks, L = O(log T), N' = Θ(n log n) workspace pause tokens, d = Θ(n))";
inline const std::string log_depth_padding =
    "LogDepthPause, padding form (full attention, L = O(log T), N' = n^2 + n^3 + 1 pause tokens, d = O(1))";
inline const std::string constant_depth_wide = "constant depth (L = 3, d = Θ(n)): subgraph counting, Thm 7's regime needs L = O(log log T)";
}  // namespace regimes

class Construction {
 public:
  virtual ~Construction() = default;
  virtual std::string name() const = 0;
  virtual std::string task() const = 0;
  virtual std::string summary() const = 0;
  // Its page (statement, slots, weights, proof, claims, witness); `list` prints it, a test opens it.
  virtual std::string doc() const { return "docs/constructions/" + name() + ".md"; }
  // No positional information: the checker also runs permuted edge orders.
  virtual bool order_invariant() const { return true; }
  // The paper's regime this construction claims to realise: one of `regimes` (or a stated baseline).
  virtual std::string regime() const = 0;
  // Largest n at which `bounds` builds the model to measure it (beyond: formula only).
  virtual int max_build_n() const { return 4096; }
  // Whether its width depends on a vertex code length k(n): only then does Variant::code_bits_offset
  // mean anything (the CLI refuses --code-bits-offset otherwise).
  virtual bool has_code_bits() const { return false; }
  // The attention modes it is built in (bounds, bench and trace tables list these).
  virtual std::vector<Variant> modes() const { return {Variant::hard(), Variant::softmax2()}; }
  virtual Built build(int n, const Variant& v) const = 0;
  virtual Shape claimed(int n, const Variant& v) const = 0;
  virtual std::optional<ExactnessClaim> exactness(int /*n*/, const Variant& /*v*/) const { return std::nullopt; }
  virtual std::optional<PrecisionClaim> precision_claim(int /*n*/) const { return std::nullopt; }
  virtual std::vector<CheckSpec> checks() const = 0;
};

// Memory a built model takes per weight (its claimed params): exact rationals in Eigen matrices, measured at
// 73-80 bytes (connectivity_squaring, verify at n = 64: 1.96M weights, 158 MB resident; n = 256: 40.5M, 2.96 GB);
// an export also holds every weight as text and JSON (n = 64: 944 MB; n = 128: 8.98M weights, 5.77 GB = 642 bytes).
inline constexpr double kBuildBytesPerWeight = 96, kExportBytesPerWeight = 720;
// Refuses (usage_error) to build c for n when its claimed weights at `bytes_per_weight` would not fit in this
// process's memory — the smaller of physical memory and the address-space limit (ulimit -v) — saying what it
// would need: such a build is refused before it starts, never killed or aborted inside GMP.
void require_memory_to_build(const Construction& c, int n, const Variant& v, double bytes_per_weight = kBuildBytesPerWeight);

// ---------------------------------------------------------------------------------------------------
// Registries. The built-in one is constructions/list.inc (the one registration point, expanded in
// constructions/registry.cpp); the CLI and the checks take a Registry, so a test can hand them its own
// (the built-ins plus a deliberately broken construction) without production code filtering names.

class Registry {
 public:
  void add(std::shared_ptr<const Construction> c);  // usage_error on a duplicate name
  const std::vector<std::shared_ptr<const Construction>>& constructions() const { return list_; }
  const Construction& find(const std::string& name) const;  // usage_error if unknown
  // Every check, in registration order: each construction's own, then its precision checks (from its
  // PrecisionClaim).
  std::vector<std::pair<const Construction*, CheckSpec>> checks() const;

 private:
  std::vector<std::shared_ptr<const Construction>> list_;
};

const Registry& builtin_registry();
// The built-in registry's constructions and lookup.
const std::vector<std::shared_ptr<const Construction>>& all_constructions();
const Construction& find_construction(const std::string& name);

// ---------------------------------------------------------------------------------------------------
// Helpers shared by constructions.

// The slots every construction starts with (theory.md §5.1): one, is_vertex, is_edge, is_task.
struct TypeSlots {
  Slot one, is_vertex, is_edge, is_task;
  static TypeSlots add(Layout& layout) {
    return TypeSlots{layout.add("one", 1), layout.add("is_vertex", 1), layout.add("is_edge", 1), layout.add("is_task", 1)};
  }
  void embed(const Token& t, RowWriter& row) const {
    if (t.kind != TokenKind::pause) row.set(one, 0, 1);
    if (t.kind == TokenKind::vertex) row.set(is_vertex, 0, 1);
    if (t.kind == TokenKind::edge) row.set(is_edge, 0, 1);
    if (t.kind == TokenKind::task) row.set(is_task, 0, 1);
  }
};

// Smallest k >= 1 with 2^k >= n: the binary code length for n vertex ids.
int code_bits(int n);
// The +-1 code of vertex v with k bits: component i is +1 if bit i of v is set, else -1.
inline int code(int v, int i) { return (i >= 0 && i < 31 && ((v >> i) & 1)) ? 1 : -1; }  // v >= 0: bits past 30 are 0
// floor(log2 x) for x >= 1.
int floor_log2(long x);
// Smallest k >= 0 with 2^k >= x (0 for x <= 1).
int ceil_log2(long x);
// Tokens of the densest graph on n vertices: n vertex tokens, n(n-1)/2 edge tokens, the task token (pause
// tokens not included).
inline long max_graph_tokens(int n) { return n + static_cast<long>(n) * (n - 1) / 2 + 1; }
// Bit length of |x| (0 for 0).
int bit_length_of(long x);

}  // namespace exactformer
