// GraphQA's "connected nodes" (the neighbours of v) and "disconnected nodes" (the u != v not adjacent to v)
// in one layer, answered as an n-bit set read off the task row. Paper: retrieval tasks are in Depth1 [S];
// a set answer has n bits, so the task row needs width Θ(n) here (not O(log n)).
// Derivation and proof: docs/constructions/connected_nodes.md (ours, [D]).
//
// Slots (connected: d = 4n + 4; disconnected: d = 5n + 4):
//   one, is_vertex, is_edge, is_task   type slots
//   P (n)    vertex w: e_w; edge (a,b): e_a + e_b        TV (n)  task (v): e_v
//   S (n)    head "incident"'s output                    X (n)   disconnected only: head "present"'s output
//   ans (n)  task row: the answer's bits
// Head "incident" (d_k = n + 1, d_v = n): Q = [TV; is_task], K = [P; is_task], V = P -> S.
//   The task (v) scores 1 on vertex v, on the edges at v and on itself, 0 elsewhere:
//   S = (e_v (1 + deg v) + sum_{u in N(v)} e_u) / (deg v + 2): S_w >= 1/(n + 1) on N[v], 0 off it.
// Head "present" (disconnected only; all scores 0, d_k = 1): V = P -> X. Every token mentioning w is a
//   vertex or edge token of the graph, so X_w = (1 + deg w) / T > 0 iff w is a vertex of G (n(G) <= n).
// MLP (3n, disconnected 4n hidden), gated to the task row with c = 3(n + 1), C = T_max:
//   in = clamp01(c S_w - 1) = [w in N[v]];  connected: ans_w += in_w - TV_w;
//   disconnected: ans_w += clamp01(C X_w) - in_w = [w is a vertex, w not in N[v]].
// Decoder bit_set over ans: sum_w 2^w [ans_w >= 1/2].
// softmax2(b): integer scores with gap 1 and values in [0, 1]; b(n) = ceil(log2(3 (n + 1) T_max)) keeps
// members >= 2/c and non-members <= 1/c (docs page); head "present" is uniform, exact in either mode.
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class ConnectedNodes final : public Construction {
 public:
  explicit ConnectedNodes(bool complement) : complement_(complement) {}
  std::string name() const override { return complement_ ? "disconnected_nodes" : "connected_nodes"; }
  std::string task() const override { return name(); }
  std::string doc() const override { return "docs/constructions/connected_nodes.md"; }
  std::string regime() const override { return regimes::depth1_set; }
  int max_build_n() const override { return 64; }  // Θ(n²) parameters: `bounds` gives the formula beyond
  std::string summary() const override {
    return complement_ ? "1 layer, 2 heads: the vertices present minus N[v], as an n-bit set; d = 5n + 4"
                       : "1 layer, 1 head: N[v] from the edges at v, minus v, as an n-bit set; d = 4n + 4";
  }
  static int proven_b(int n) { return ceil_log2(3L * (n + 1) * max_graph_tokens(n)); }

  Shape claimed(int n, const Variant&) const override {
    const long nn = n, d = (complement_ ? 5 : 4) * nn + 4, hidden = (complement_ ? 4 : 3) * nn;
    Shape s;
    s.layers = 1;
    s.heads = complement_ ? 2 : 1;
    s.width = static_cast<int>(d);
    s.d_k = n + 1;
    s.d_v = n;
    s.mlp_depth = 1;
    s.mlp_width = static_cast<int>(hidden);
    s.params = (2 * d * (nn + 1) + 2 * d * nn) + (complement_ ? 2 * d + 2 * d * nn : 0) + (d * hidden + hidden) + (hidden * d + d);
    s.weight_bits = std::max(bit_length_of(3L * n + 5), complement_ ? bit_length_of(max_graph_tokens(n) + 1) : 0);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot P = layout.add("P", n), TV = layout.add("TV", n), S = layout.add("S", n);
    const Slot X = complement_ ? layout.add("X", n) : Slot{};
    const Slot ans = layout.add("ans", n);
    const int d = layout.width();
    const AttentionMode mode = v.mode(proven_b(n));

    Layer layer;
    {
      Head h = reach::slotwise_head("incident", layout, n, n + 1, mode, TV, q(1), P, P, S);
      h.query(type.is_task, 0, n, q(1));
      h.key(type.is_task, 0, n, q(1));
      layer.heads.push_back(h);
    }
    if (complement_) {
      Head h = Head::zeros("present", layout, 1, n);
      h.mode = mode;
      for (int w = 0; w < n; ++w) {
        h.value(P, w, w, q(1));
        h.output(w, X, w, q(1));
      }
      layer.heads.push_back(h);
    }
    // Hidden units: [0, n) u1, [n, 2n) u2 with u1 - u2 = clamp01(c S_w - 1) on the task row, 0 elsewhere;
    // connected: [2n, 3n) TV_w; disconnected: [2n, 3n) p1, [3n, 4n) p2 with p1 - p2 = clamp01(C X_w) there.
    const int hidden = (complement_ ? 4 : 3) * n;
    const long c = 3L * (n + 1), big = max_graph_tokens(n);
    Affine in = Affine::zeros(d, hidden), out = Affine::zeros(hidden, d);
    for (int w = 0; w < n; ++w) {
      for (int k = 0; k < 2; ++k) {
        in.w(S.col(w), k * n + w) = q(c);
        in.w(type.is_task.col(0), k * n + w) = q(c);
        in.bias(k * n + w) = q(-1 - k - c);
      }
      if (!complement_) {
        in.w(TV.col(w), 2 * n + w) = q(1);
        out.w(w, ans.col(w)) = q(1);
        out.w(n + w, ans.col(w)) = q(-1);
        out.w(2 * n + w, ans.col(w)) = q(-1);
      } else {
        for (int k = 0; k < 2; ++k) {
          in.w(X.col(w), (2 + k) * n + w) = q(big);
          in.w(type.is_task.col(0), (2 + k) * n + w) = q(big);
          in.bias((2 + k) * n + w) = q(-k - big);
        }
        out.w(2 * n + w, ans.col(w)) = q(1);
        out.w(3 * n + w, ans.col(w)) = q(-1);
        out.w(w, ans.col(w)) = q(-1);
        out.w(n + w, ans.col(w)) = q(1);
      }
    }
    layer.mlp = Mlp{{in, out}};
    built.model.layers.push_back(layer);
    built.variant = mode.str();
    built.embed = [type, P, TV](const Token& t, RowWriter& row) {
      type.embed(t, row);
      if (t.kind == TokenKind::vertex) row.set(P, t.a, 1);
      if (t.kind == TokenKind::edge) {
        row.set(P, t.a, 1);
        row.set(P, t.b, 1);
      }
      if (t.kind == TokenKind::task) row.set(TV, t.a, 1);
    };
    built.decoder = Decoder{Decoder::Kind::bit_set, components_of(ans)};
    if (v.proven_hard())  // ans_w = [w in N(v)] (disconnected: [w a vertex of G, w not in N[v]]), for w < n
      built.readout_claim = [n, complement = complement_](const Graph& g, const Query& query) {
        const int u = query.args[0];
        std::vector<Q> bits;
        for (int w = 0; w < n; ++w) bits.emplace_back((complement ? w < g.n() && w != u && !g.has_edge(u, w) : g.has_edge(u, w)) ? 1 : 0);
        return bits;
      };
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    return {CheckSpec{
        complement_ ? "retrieval.disconnected_nodes.depth1" : "retrieval.connected_nodes.depth1",
        complement_ ? "one layer, two heads, width 5n + 4 return the set of vertices u != v not adjacent to v (hard; softmax2 with b(n))"
                    : "one layer, one head, width 4n + 4 return the set of neighbours of v (hard; softmax2 with b(n))",
        "GraphQA's connected / disconnected nodes; Sanford et al. 2024 Thm 5 (retrieval in Depth1) [S]; construction "
        "docs/constructions/connected_nodes.md [D]",
        {Variant::hard(), Variant::softmax2()},
        std::nullopt,
        "none: an n-bit answer needs Θ(n / p) numbers in the readout row; there is no smaller bound of ours to go below",
    }};
  }

 private:
  bool complement_;
};

}  // namespace

std::unique_ptr<Construction> make_connected_nodes() { return std::make_unique<ConnectedNodes>(false); }
std::unique_ptr<Construction> make_disconnected_nodes() { return std::make_unique<ConnectedNodes>(true); }

}  // namespace exactformer
