// Edge existence in one layer, two heads, with the sink on the task token and score gaps that grow like
// log n, so that softmax2 needs b = 1 for every n (docs/constructions/edge_existence_task_sink.md, ours [D];
// the vertex-sink form, edge_existence.cpp, needs b = Θ(log n)).
//
// k = ceil(log2 n) code bits, c(v) in {-1,+1}^k; sigma = ceil(log2(8(M + n)) / 4), M = n(n-1)/2.
// Slots (d = 4k + 6):
//   one, is_vertex, is_edge, is_task, id_a (k), id_b (k), q_a (k), q_b (k), match_ab, match_ba
//   vertex v: one, is_vertex     edge (a,b): one, is_edge, id_a = c(a), id_b = c(b)
//   task (u,v): one, is_task, q_a = c(u), q_b = c(v)    (the query's codes in slots of their own)
// Head "ab" (d_k = 2k + 1, d_v = 1):
//   W_Q: q_a -> [0,k), q_b -> [k,2k), one -> 2k                query (c(u); c(v); 1)
//   W_K: id_a -> 2 sigma [0,k), id_b -> 2 sigma [k,2k),
//        is_edge -> -4 sigma k, is_vertex -> -4 sigma, is_task -> -1 at 2k
//   scores: edge (a,b): -4 sigma Ham((u,v),(a,b)), so 0 for (u,v) and <= -4 sigma otherwise;
//           the task token: -1 (its id slots are 0: a constant sink); vertices: -4 sigma
//   W_V: is_edge -> 1;  W_O: 1 -> match_ab
// Head "ba": q_b and q_a swapped in W_Q (query (c(v); c(u); 1)), writing match_ba.
// Decoder [match_ab + match_ba >= 1/2].
// softmax2(1): the M + n tokens below the sink weigh <= 2^(-4 sigma) each, in total <= 1/8: a present edge
// gives >= 1/(1 + 1/2 + 1/8) > 1/2, an absent one <= 2 (1/8)/(1/2 + 1/8) = 2/5 < 1/2.
#include "exactformer/construction.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

long max_edges(int n) { return static_cast<long>(n) * (n - 1) / 2; }

// The least sigma with (M + n) 2^(-4 sigma) <= 1/8.
int sigma_of(int n) {
  int s = 1;
  while (8L * (max_edges(n) + n) > (1L << (4 * s))) ++s;
  return s;
}

int bits_of(int n, const Variant& v) { return code_bits(n) + v.code_bits_offset; }

class EdgeExistenceTaskSink final : public Construction {
 public:
  std::string name() const override { return "edge_existence_task_sink"; }
  std::string task() const override { return "edge_existence"; }
  std::string regime() const override { return regimes::depth1; }
  bool has_code_bits() const override { return true; }
  std::string summary() const override {
    return "1 layer, 2 heads, d = 4k+6: the task token is the sink and score gaps grow like log n, so softmax2 needs b = 1 for every n";
  }

  Shape claimed(int n, const Variant& v) const override {
    const int k = bits_of(n, v);
    const int d = 4 * k + 6;
    Shape s;
    s.layers = 1;
    s.heads = 2;
    s.width = d;
    s.d_k = 2 * k + 1;
    s.d_v = 1;
    s.params = 2L * (2L * d * (2 * k + 1) + 2L * d);  // per head: W_Q, W_K (d x d_k), W_V (d x 1), W_O (1 x d)
    s.weight_bits = bit_length_of(4L * sigma_of(n) * std::max(k, 1));
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int k = bits_of(n, v);
    EXACTFORMER_REQUIRE(k >= 0, "edge_existence_task_sink: negative code length");
    const long sigma = sigma_of(n);
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot id_a = layout.add("id_a", k), id_b = layout.add("id_b", k);
    const Slot q_a = layout.add("q_a", k), q_b = layout.add("q_b", k);
    const Slot match_ab = layout.add("match_ab", 1), match_ba = layout.add("match_ba", 1);

    const AttentionMode mode = v.mode(1);
    const auto make_head = [&](const std::string& name, const Slot& first, const Slot& second, const Slot& out) {
      Head h = Head::zeros(name, layout, 2 * k + 1, 1);
      h.mode = mode;
      for (int i = 0; i < k; ++i) {
        h.query(first, i, i, q(1));
        h.query(second, i, k + i, q(1));
        h.key(id_a, i, i, q(2 * sigma));
        h.key(id_b, i, k + i, q(2 * sigma));
      }
      h.query(type.one, 0, 2 * k, q(1));
      h.key(type.is_edge, 0, 2 * k, q(-4 * sigma * k));
      h.key(type.is_vertex, 0, 2 * k, q(-4 * sigma));
      h.key(type.is_task, 0, 2 * k, q(-1));
      h.value(type.is_edge, 0, 0, q(1));
      h.output(0, out, 0, q(1));
      return h;
    };
    built.model.layers.push_back(Layer{{make_head("ab", q_a, q_b, match_ab), make_head("ba", q_b, q_a, match_ba)}, {}});
    built.variant = mode.str() + ", k=" + std::to_string(k) + " code bits, sigma=" + std::to_string(sigma);

    built.embed = [type, id_a, id_b, q_a, q_b, k](const Token& t, RowWriter& row) {
      type.embed(t, row);
      const Slot* first = t.kind == TokenKind::edge ? &id_a : t.kind == TokenKind::task ? &q_a : nullptr;
      const Slot* second = t.kind == TokenKind::edge ? &id_b : &q_b;
      if (!first) return;
      for (int i = 0; i < k; ++i) {
        row.set(*first, i, code(t.a, i));
        row.set(*second, i, code(t.b, i));
      }
    };
    built.decoder = Decoder{Decoder::Kind::threshold_half, {match_ab, match_ba}};
    if (v.proven_hard())  // match_ab = [the edge token (u, v) exists], match_ba = [(v, u) exists] (edge tokens have a < b)
      built.readout_claim = claims::edge_token_matches;
    return built;
  }

  // Precision (docs/constructions/edge_existence_task_sink.md#precision): hard attention has a unique
  // argmax (the edge, weight 1; or the sink, value 0), so FP_p needs no fractional bit; softmax2 holds at
  // b = 1 (the comment at the top) and fails at b = 0 (uniform attention).
  std::optional<PrecisionClaim> precision_claim(int) const override {
    PrecisionClaim c;
    c.fp_p = 0;
    c.softmax2_b = {1, 1};
    c.derivation = "docs/constructions/edge_existence_task_sink.md#precision";
    c.check_n_max = 5;
    return c;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer_bits;
    fewer_bits.code_bits_offset = -1;
    return {CheckSpec{
        "retrieval.edge_existence.task_sink",
        "one layer, two heads, width 4k+6 decides {u,v} in E for every ordered pair (hard; softmax2 with b = 1 for every n)",
        "Sanford et al. 2024 Thm 5 (retrieval in Depth1) [S]; construction docs/constructions/edge_existence_task_sink.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer_bits,
        "with k - 1 code bits two vertices share a code and a non-edge is reported present",
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_edge_existence_task_sink() { return std::make_unique<EdgeExistenceTaskSink>(); }

}  // namespace exactformer
