// Node degree in one layer, two heads, binary vertex codes (Sanford et al. 2024, Thm 5 [S];
// theory.md §5.2, §5.3, §5.6). Derivation and proof: docs/constructions/node_degree.md (ours, [D]).
//
// k = ceil(log2 n) code bits, c(v) in {-1,+1}^k. Slots (d = 2k + 6):
//   one, is_vertex, is_edge, is_task, id_a (k), id_b (k), inv_a, inv_b
//   vertex v: one, is_vertex     edge (a,b): one, is_edge, id_a = c(a), id_b = c(b)
//   task (v): one, is_task, id_a = c(v), id_b = c(v)
// Head "a" (d_k = k + 1, d_v = 1):
//   W_Q: id_a -> [0,k), one -> k                            query (c(v); 1)
//   W_K: id_a -> 2 [0,k), is_edge -> -2k, is_task -> -2k, is_vertex -> -4 at k
//   scores: edges with a = v: 0; the task token: 0 (the sink, tying); other edges -4 Ham <= -4; vertices -4
//   W_V: is_task -> 1;  W_O: 1 -> inv_a                      hard: inv_a = 1/(d_a(v) + 1)
// Head "b": W_K reads id_b instead of id_a (edges with b = v), writing inv_b.
// Decoder round((1/inv_a - 1) + (1/inv_b - 1)) = d_a(v) + d_b(v) = deg(v).
// softmax2(b) is correct when 4(n + M) < 2^(4b), M = n(n-1)/2; b(n) is the least such b >= 1.
#include "exactformer/construction.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

long max_edges(int n) { return static_cast<long>(n) * (n - 1) / 2; }

int proven_b(int n) {
  int b = 1;
  while (4L * (n + max_edges(n)) >= (1L << (4 * b))) ++b;
  return b;
}

int bits_of(int n, const Variant& v) { return code_bits(n) + v.code_bits_offset; }

class NodeDegree final : public Construction {
 public:
  std::string name() const override { return "node_degree"; }
  std::string task() const override { return "node_degree"; }
  std::string regime() const override { return regimes::depth1; }
  bool has_code_bits() const override { return true; }
  std::string summary() const override {
    return "1 layer, 2 heads, d = 2k+6 with k = ceil(log2 n) code bits; each head counts one endpoint side";
  }

  Shape claimed(int n, const Variant& v) const override {
    const int k = bits_of(n, v);
    const int d = 2 * k + 6;
    Shape s;
    s.layers = 1;
    s.heads = 2;
    s.width = d;
    s.d_k = k + 1;
    s.d_v = 1;
    s.params = 2L * (2L * d * (k + 1) + 2L * d);  // per head: W_Q, W_K (d x d_k), W_V (d x 1), W_O (1 x d)
    s.weight_bits = std::max(bit_length_of(2L * k), 3);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int k = bits_of(n, v);
    EXACTFORMER_REQUIRE(k >= 0, "node_degree: negative code length");
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot id_a = layout.add("id_a", k);
    const Slot id_b = layout.add("id_b", k);
    const Slot inv_a = layout.add("inv_a", 1);
    const Slot inv_b = layout.add("inv_b", 1);

    const AttentionMode mode = v.mode(proven_b(n));
    const auto make_head = [&](const std::string& name, const Slot& side, const Slot& out) {
      Head h = Head::zeros(name, layout, k + 1, 1);
      h.mode = mode;
      for (int i = 0; i < k; ++i) {
        h.query(id_a, i, i, q(1));
        h.key(side, i, i, q(2));
      }
      h.query(type.one, 0, k, q(1));
      h.key(type.is_edge, 0, k, q(-2L * k));
      h.key(type.is_task, 0, k, q(-2L * k));
      h.key(type.is_vertex, 0, k, q(-4));
      h.value(type.is_task, 0, 0, q(1));
      h.output(0, out, 0, q(1));
      return h;
    };
    built.model.layers.push_back(Layer{{make_head("a", id_a, inv_a), make_head("b", id_b, inv_b)}, {}});
    built.variant = mode.str() + ", k=" + std::to_string(k) + " code bits";

    built.embed = [type, id_a, id_b, k](const Token& t, RowWriter& row) {
      type.embed(t, row);
      if (t.kind == TokenKind::edge) {
        for (int i = 0; i < k; ++i) {
          row.set(id_a, i, code(t.a, i));
          row.set(id_b, i, code(t.b, i));
        }
      } else if (t.kind == TokenKind::task) {
        for (int i = 0; i < k; ++i) {
          row.set(id_a, i, code(t.a, i));
          row.set(id_b, i, code(t.a, i));
        }
      }
    };
    built.decoder = Decoder{Decoder::Kind::round_inverse_minus_one, {inv_a, inv_b}};
    if (v.proven_hard())  // inv_a = 1/(d_a(v) + 1), inv_b = 1/(d_b(v) + 1): edge tokens (v, u), u > v, resp. (u, v), u < v
      built.readout_claim = [](const Graph& g, const Query& query) {
        const auto [above, below] = claims::degree_split(g, query.args[0]);
        return std::vector<Q>{claims::ratio(1, above + 1), claims::ratio(1, below + 1)};
      };
    return built;
  }

  // Precision (docs/constructions/node_degree.md#precision). FP_p rounds the two sink weights,
  // inv_a = rho_p(1/(d_a + 1)) and inv_b = rho_p(1/(d_b + 1)) (hard); every pair d_a + d_b <= n - 1 occurs
  // (v = d_b), and the decoder must round their reciprocals' sum to d_a + d_b.
  std::optional<PrecisionClaim> precision_claim(int n) const override {
    PrecisionClaim c;
    c.fp_p = first_stable([n](long p) {
      for (long da = 0; da <= n - 1; ++da)
        for (long db = 0; da + db <= n - 1; ++db) {
          const Q a = round_to_grid(Q(1) / (da + 1), p), b = round_to_grid(Q(1) / (db + 1), p);
          if (a == 0 || b == 0) return false;
          const Q y = (1 / a - 1) + (1 / b - 1);  // decoded: floor(y + 1/2) must be da + db
          if (!(y >= Q(da + db) - Q(1) / 2 && y < Q(da + db) + Q(1) / 2)) return false;
        }
      return true;
    });
    c.derivation = "docs/constructions/node_degree.md#precision";
    c.check_n_max = 5;
    return c;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer_bits;
    fewer_bits.code_bits_offset = -1;
    return {CheckSpec{
        "retrieval.node_degree.depth1",
        "one layer, two heads, width 2k+6 (k = ceil(log2 n)) returns deg(v) for every vertex (hard; softmax2 with b(n))",
        "Sanford et al. 2024 Thm 5 (retrieval in Depth1) [S]; construction docs/constructions/node_degree.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer_bits,
        "with k - 1 code bits two vertices share a code and a degree is overcounted",
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_node_degree() { return std::make_unique<NodeDegree>(); }

}  // namespace exactformer
