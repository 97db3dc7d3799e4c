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
  int code_bits_offset = 0;
  int layers_offset = 0;
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
  // The attention mode: hard, or softmax2 with b (if given) else proven_b + b_offset.
  AttentionMode mode(int proven_b) const {
    return kind == AttentionKind::hard ? AttentionMode::hard() : AttentionMode::softmax2(b.value_or(proven_b + b_offset));
  }
  std::string str() const;  // "hard", "softmax2(b(n))", "softmax2(b(n)-1)", "hard, k(n)-1 code bits"
};

// Writes one token's embedding row: set(slot, component, p, q) puts the exact value p/q.
class RowWriter {
 public:
  explicit RowWriter(Frac64* row) : row_(row) {}
  void set(const Slot& slot, int i, std::int64_t p, std::int64_t q = 1) { row_[slot.col(i)] = Frac64{p, q}; }

 private:
  Frac64* row_;
};

struct Built {
  Model model;
  std::function<void(const Token&, RowWriter&)> embed;  // writes the non-zero entries of the token's row
  Decoder decoder;
  std::string variant;  // human-readable: "softmax2(b=5)", "hard, k=2 code bits"
};

struct CheckSpec {
  std::string id;         // "retrieval.edge_existence.depth1"
  std::string statement;  // one line
  std::string source;     // paper theorem and our derivation page
  std::vector<Variant> variants;   // each must be correct on every graph and query
  std::optional<Variant> witness;  // must fail, and the checker must find where
  std::string witness_statement;
  int witness_min_n = 2;  // below this n_max the variant under the bound does not exist
  int families_up_to = 0;  // families run to at least this n (default: --family-n-max)
  // Predictions run after the sweeps, by name (verify/predictions.hpp), e.g. "exactness".
  std::vector<std::string> predictions = {};
};

// Claims about every `hard` forward pass of a built model, audited by the prediction "exactness".
struct ExactnessClaim {
  bool integers = false;            // every score, residual entry and hidden pre-activation is an integer
  bool homogeneous_argmax = false;  // every argmax set carries one value vector: outputs are not averages
  Q max_score{0}, max_activation{0}, max_hidden{0};  // bounds on absolute values (0: not claimed)
};

class Construction {
 public:
  virtual ~Construction() = default;
  virtual std::string name() const = 0;
  virtual std::string task() const = 0;
  virtual std::string summary() const = 0;
  virtual std::string doc() const { return "docs/constructions/" + name() + ".md"; }
  // No positional information: the checker also runs permuted edge orders.
  virtual bool order_invariant() const { return true; }
  // The paper's regime this construction claims to realise (theory.md §3), e.g. "Depth1 (L = 1, d = O(log T))".
  virtual std::string regime() const = 0;
  // Largest n at which `bounds` builds the model to measure it (beyond: formula only).
  virtual int max_build_n() const { return 4096; }
  // The attention modes it is built in (bounds, bench and trace tables list these).
  virtual std::vector<Variant> modes() const { return {Variant::hard(), Variant::softmax2()}; }
  virtual Built build(int n, const Variant& v) const = 0;
  virtual Shape claimed(int n, const Variant& v) const = 0;
  virtual std::optional<ExactnessClaim> exactness(int /*n*/, const Variant& /*v*/) const { return std::nullopt; }
  virtual std::vector<CheckSpec> checks() const = 0;
};

// ---------------------------------------------------------------------------------------------------
// Registry: constructions/list.inc is the one registration point.

const std::vector<std::unique_ptr<Construction>>& all_constructions();
const Construction& find_construction(const std::string& name);  // usage_error if unknown
// Tests only: add a construction (e.g. a deliberately broken one) to the registry.
void register_construction(std::unique_ptr<Construction> c);

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
inline int code(int v, int i) { return ((v >> i) & 1) ? 1 : -1; }
// floor(log2 x) for x >= 1.
int floor_log2(long x);
// Bit length of |x| (0 for 0).
int bit_length_of(long x);

}  // namespace exactformer
