// Node count in one layer, one head (Sanford et al. 2024, Thm 5 [S]; theory.md §5.3-5.4).
// Derivation and proof: docs/constructions/node_count.md (ours, [D]).
//
// Slots (d = 5): one, is_vertex, is_edge, is_task, count.
// Head "count" (d_k = 1, d_v = 1), read at the task token:
//   W_Q: one -> 1            query of every token = 1
//   W_K: is_vertex + is_task  score 1 on vertex tokens and the task token (the sink), 0 on edge tokens
//   W_V: is_task -> 1         only the sink carries value
//   W_O: 1 -> count
// hard: count = 1/(n+1). softmax2(b): count = 1/(n + 1 + |E| 2^-b).
// Decoder round(1/count - 1) is n iff |E| < 2^(b-1): b(n) = floor(log2 M) + 2 with M = n(n-1)/2.
#include "exactformer/construction.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

long max_edges(int n) { return static_cast<long>(n) * (n - 1) / 2; }

int proven_b(int n) { return max_edges(n) == 0 ? 1 : floor_log2(max_edges(n)) + 2; }

class NodeCount final : public Construction {
 public:
  std::string name() const override { return "node_count"; }
  std::string task() const override { return "node_count"; }
  std::string regime() const override { return regimes::depth1; }
  std::string summary() const override { return "1 layer, 1 head, d = 5: the task token averages over vertex tokens and itself"; }

  Shape claimed(int, const Variant& v) const override {
    Shape s;
    s.layers = 1;
    s.heads = 1;
    s.width = 5;
    s.d_k = 1;
    s.d_v = 1;
    s.params = 4 * 5;  // W_Q, W_K, W_V (5x1) and W_O (1x5)
    s.weight_bits = 1;
    (void)v;
    return s;
  }

  Built build(int n, const Variant& v) const override {
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot count = layout.add("count", 1);

    Head head = Head::zeros("count", layout, 1, 1);
    head.query(type.one, 0, 0, q(1));
    head.key(type.is_vertex, 0, 0, q(1));
    head.key(type.is_task, 0, 0, q(1));
    head.value(type.is_task, 0, 0, q(1));
    head.output(0, count, 0, q(1));
    head.mode = v.mode(proven_b(n));
    built.variant = head.mode.str();
    built.model.layers.push_back(Layer{{head}, {}});

    built.embed = [type](const Token& t, RowWriter& row) { type.embed(t, row); };
    built.decoder = Decoder{Decoder::Kind::round_inverse_minus_one, {count}};
    if (v.proven_hard())  // count = 1/(n' + 1), n' = the graph's vertices
      built.readout_claim = [](const Graph& g, const Query&) { return std::vector<Q>{claims::ratio(1, g.n() + 1)}; };
    return built;
  }

  // Precision (docs/constructions/node_count.md#precision). Scores, values and W_O are integers, so FP_p
  // rounds one quantity that matters: the sink's weight, count = rho_p(1/K), K = n' + 1 in 2..n+1 (hard). Leakage:
  // softmax2 decodes n' + |E| 2^-b, softmax n' + |E| e^-β, right iff that excess is < 1/2 for |E| <= M.
  std::optional<PrecisionClaim> precision_claim(int n) const override {
    PrecisionClaim c;
    c.fp_p = first_stable([n](long p) {
      for (long k = 2; k <= n + 1; ++k)
        if (!reciprocal_cell(round_to_grid(Q(1) / k, p), k)) return false;
      return true;
    });
    int b = 1;
    while ((1L << b) <= 2 * max_edges(n)) ++b;  // 2^b > 2M
    c.softmax2_b = {b, b};
    c.softmax_exp_beta = {Q(2 * max_edges(n)), Q(2 * max_edges(n))};  // e^β > 2M
    c.derivation = "docs/constructions/node_count.md#precision";
    return c;
  }

  std::vector<CheckSpec> checks() const override {
    return {CheckSpec{
        "retrieval.node_count.depth1",
        "one layer, one head, width 5 counts the vertices exactly (hard; softmax2 with b = floor(log2 M) + 2)",
        "Sanford et al. 2024 Thm 5 (retrieval in Depth1) [S]; construction docs/constructions/node_count.md [D]",
        {Variant::hard(), Variant::softmax2()},
        Variant::softmax2_offset(-1),
        "softmax2 with b(n) - 1 miscounts a graph with |E| >= 2^(b-2)",
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_node_count() { return std::make_unique<NodeCount>(); }

}  // namespace exactformer
