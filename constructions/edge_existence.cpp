// Edge existence in one layer, two heads, binary vertex codes (Sanford et al. 2024, Thm 5 [S];
// theory.md §5.2, §5.5). Derivation and proof: docs/constructions/edge_existence.md (ours, [D]).
//
// k = ceil(log2 n) code bits, c(v) in {-1,+1}^k. Slots (d = 2k + 6):
//   one, is_vertex, is_edge, is_task, id_a (k), id_b (k), match_ab, match_ba
//   vertex v: one, is_vertex     edge (a,b): one, is_edge, id_a = c(a), id_b = c(b)
//   task (u,v): one, is_task, id_a = c(u), id_b = c(v)
// Head "ab" (d_k = 2k + 1, d_v = 1):
//   W_Q: id_a -> [0,k), id_b -> [k,2k), one -> 2k            query (c(u); c(v); 1)
//   W_K: id_a -> 2 [0,k), id_b -> 2 [k,2k),
//        is_edge -> -4k, is_vertex -> -1, is_task -> -4k-4 at 2k
//   scores: edge (u,v) 0; other edges -4 Ham <= -4; vertices -1 (the sink); task <= -4
//   W_V: is_edge -> 1;  W_O: 1 -> match_ab
// Head "ba": the same with id_a and id_b swapped in W_Q (query (c(v); c(u); 1)), writing match_ba.
// The sink is the vertex tokens, not the task token: with shared id slots the task token's own score in
// head "ba" is 4 c(u).c(v) - 4k - 4, which depends on the query (see the doc).
// Decoder [match_ab + match_ba >= 1/2].
// softmax2(b) is correct when n 2^(3b) + M <= 2^(4b) and 2(n-1) < 2^(3b), M = n(n-1)/2; b(n) is the least such b >= 1.
#include "exactformer/construction.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

long max_edges(int n) { return static_cast<long>(n) * (n - 1) / 2; }

int proven_b(int n) {
  for (int b = 1;; ++b) {
    const long p3 = 1L << (3 * b), p4 = 1L << (4 * b);
    if (static_cast<long>(n) * p3 + max_edges(n) <= p4 && 2L * (n - 1) < p3) return b;
  }
}

int bits_of(int n, const Variant& v) { return code_bits(n) + v.code_bits_offset; }

class EdgeExistence final : public Construction {
 public:
  std::string name() const override { return "edge_existence"; }
  std::string task() const override { return "edge_existence"; }
  std::string regime() const override { return regimes::depth1; }
  bool has_code_bits() const override { return true; }
  std::string summary() const override {
    return "1 layer, 2 heads, d = 2k+6 with k = ceil(log2 n) binary code bits; one head per edge orientation";
  }

  Shape claimed(int n, const Variant& v) const override {
    const int k = bits_of(n, v);
    const int d = 2 * k + 6;
    Shape s;
    s.layers = 1;
    s.heads = 2;
    s.width = d;
    s.d_k = 2 * k + 1;
    s.d_v = 1;
    s.params = 2L * (2L * d * (2 * k + 1) + 2L * d);  // per head: W_Q, W_K (d x d_k), W_V (d x 1), W_O (1 x d)
    s.weight_bits = bit_length_of(4L * k + 4);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int k = bits_of(n, v);
    EXACTFORMER_REQUIRE(k >= 0, "edge_existence: negative code length");
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot id_a = layout.add("id_a", k);
    const Slot id_b = layout.add("id_b", k);
    const Slot match_ab = layout.add("match_ab", 1);
    const Slot match_ba = layout.add("match_ba", 1);

    const AttentionMode mode = v.mode(proven_b(n));
    const auto make_head = [&](const std::string& name, const Slot& first, const Slot& second, const Slot& out) {
      Head h = Head::zeros(name, layout, 2 * k + 1, 1);
      h.mode = mode;
      for (int i = 0; i < k; ++i) {
        h.query(first, i, i, q(1));
        h.query(second, i, k + i, q(1));
        h.key(id_a, i, i, q(2));
        h.key(id_b, i, k + i, q(2));
      }
      h.query(type.one, 0, 2 * k, q(1));
      h.key(type.is_edge, 0, 2 * k, q(-4L * k));
      h.key(type.is_vertex, 0, 2 * k, q(-1));
      h.key(type.is_task, 0, 2 * k, q(-4L * k - 4));
      h.value(type.is_edge, 0, 0, q(1));
      h.output(0, out, 0, q(1));
      return h;
    };
    built.model.layers.push_back(Layer{{make_head("ab", id_a, id_b, match_ab), make_head("ba", id_b, id_a, match_ba)}, {}});
    built.variant = mode.str() + ", k=" + std::to_string(k) + " code bits";

    built.embed = [type, id_a, id_b, k](const Token& t, RowWriter& row) {
      type.embed(t, row);
      if (t.kind != TokenKind::edge && t.kind != TokenKind::task) return;
      for (int i = 0; i < k; ++i) {
        row.set(id_a, i, code(t.a, i));
        row.set(id_b, i, code(t.b, i));
      }
    };
    built.decoder = Decoder{Decoder::Kind::threshold_half, {match_ab, match_ba}};
    if (v.proven_hard())  // match_ab = [the edge token (u, v) exists], match_ba = [(v, u) exists] (edge tokens have a < b)
      built.readout_claim = claims::edge_token_matches;
    return built;
  }

  // Precision (docs/constructions/edge_existence.md#precision). Hard: a present edge (u, v) is the unique
  // argmax (weight 1); otherwise the argmax is the n' vertex tokens, whose value is 0, so every rounded
  // weight times its value is exact: p* = 0.
  std::optional<PrecisionClaim> precision_claim(int) const override {
    PrecisionClaim c;
    c.fp_p = 0;
    c.derivation = "docs/constructions/edge_existence.md#precision";
    c.check_n_max = 5;
    return c;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer_bits;
    fewer_bits.code_bits_offset = -1;
    return {CheckSpec{
        "retrieval.edge_existence.depth1",
        "one layer, two heads, width 2k+6 (k = ceil(log2 n)) decides {u,v} in E for every ordered pair (hard; softmax2 with b(n))",
        "Sanford et al. 2024 Thm 5 (retrieval in Depth1) [S]; construction docs/constructions/edge_existence.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer_bits,
        "with k - 1 code bits two vertices share a code and a non-edge is reported present",
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_edge_existence() { return std::make_unique<EdgeExistence>(); }

}  // namespace exactformer
