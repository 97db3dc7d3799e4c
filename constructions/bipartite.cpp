// Bipartiteness from parity reachability rows (theory.md §6.3). Paper: a parallelizable task [S].
// Derivation and proof: docs/constructions/bipartite.md (ours, [D]).
//
// E0_v (E1_v) = the vertices reachable from v by a walk of even (odd) length <= r. Slots (d = 9n + 6):
//   one, is_vertex, is_edge, is_task, P (n), PV (n), E0 (n), E1 (n), S (n), SA (2n), SB (2n), odd, o_odd
//   vertex v: E0 = e_v (the empty walk) in the embedding; every other token keeps E0 = E1 = 0.
// Layer 1, head "incident" (Q = K = V = P -> S, as reach_rows.hpp); MLP: E1 += clamp01(3nS - 1) - PV = 1_{N(v)}.
// K doubling layers (r -> 2r), two heads:
//   "via_even" (d_k = n+1): Q = [E0; -1], K = [PV; one - is_vertex]; argmax E0_v;  V = [E0; E1] -> SA
//   "via_odd"  (d_k = n+2): Q = [2 E1; -2; 3], K = [PV; one - is_vertex; is_task]: vertex u scores 2 E1_v[u],
//                           edges -2, the task token 1 (a sink with zero value for an empty E1_v); V = [E0; E1] -> SB
//   MLP (10n): E0 <- clamp01(3n(SA_0 + SB_1) - 1), E1 <- clamp01(3n(SA_1 + SB_0) - 1) (gated); SA, SB zeroed.
// Layer K+2 (no attention): odd += sum_w ReLU(E1_w + PV_w - 1) = [v in E1_v].
// Layer K+3, head "average" (scores 0): o_odd = #{v : v in E1_v} / T.   Decoder [o_odd = 0].
// K = ceil(log2 m), m the largest odd number <= n (no odd cycle is longer): L = K + 3.
// softmax2: b(n) = ceil(log2(12 n T)) (two attention outputs are summed before each threshold).
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class Bipartite final : public Construction {
 public:
  std::string name() const override { return "bipartite"; }
  std::string task() const override { return "bipartite"; }
  std::string regime() const override { return regimes::log_depth_wide; }
  int max_build_n() const override { return 64; }
  std::string summary() const override { return "even/odd walk rows doubled to radius >= n: non-bipartite iff some v in E1_v; L = ceil(log2 n) + 3"; }

  static int doublings(int n) {
    if (n <= 2) return 0;
    const int m = n % 2 == 1 ? n : n - 1;
    return ceil_log2(m);
  }
  static int proven_b(int n) {
    return ceil_log2(12L * n * max_graph_tokens(n));
  }

  Shape claimed(int n, const Variant& v) const override {
    const int k = doublings(n) + v.layers_offset;
    const long d = 9L * n + 6;
    Shape s;
    s.layers = k + 3;
    s.heads = k >= 1 ? 2 : 1;
    s.width = static_cast<int>(d);
    s.d_k = k >= 1 ? n + 2 : n;
    s.d_v = k >= 1 ? 2 * n : n;
    s.mlp_depth = 1;
    s.mlp_width = k >= 1 ? 10 * n : 4 * n;
    const long first = 4 * d * n + (d * 4 * n + 4L * n) + (4L * n * d + d);
    const long doubling = (2 * d * (n + 1) + 4 * d * n) + (2 * d * (n + 2) + 4 * d * n) + (d * 10 * n + 10L * n) + (10L * n * d + d);
    const long odd = (d * n + n) + (static_cast<long>(n) * d + d);
    s.params = first + k * doubling + odd + 4 * d;
    s.weight_bits = bit_length_of(3L * n + 2);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int k = doublings(n) + v.layers_offset;
    EXACTFORMER_REQUIRE(k >= 0, "bipartite needs at least 0 doublings");
    Built built;
    Layout& layout = built.model.layout;
    reach::Slots rs = reach::add_type_and_incidence(layout, n);
    const Slot E0 = layout.add("E0", n), E1 = layout.add("E1", n);
    rs.S = layout.add("S", n);
    const Slot SA = layout.add("SA", 2 * n), SB = layout.add("SB", 2 * n);
    const Slot odd = layout.add("odd", 1), o_odd = layout.add("o_odd", 1);
    const int d = layout.width();
    const AttentionMode mode = v.mode(proven_b(n));
    const TypeSlots& type = rs.type;

    // Layer 1: E1 = 1_{N(v)} = clamp01(3nS - 1) - PV on vertex tokens.
    {
      Affine in = Affine::zeros(d, 4 * n), out = Affine::zeros(4 * n, d);
      reach::threshold_units(in, rs, n, 0, true);
      for (int w = 0; w < n; ++w) {
        in.w(rs.S.col(w), 2 * n + w) = q(1);
        in.w(rs.PV.col(w), 3 * n + w) = q(1);
        out.w(w, E1.col(w)) = q(1);
        out.w(n + w, E1.col(w)) = q(-1);
        out.w(3 * n + w, E1.col(w)) = q(-1);
        out.w(2 * n + w, rs.S.col(w)) = q(-1);
      }
      built.model.layers.push_back(Layer{{reach::incident_head(layout, rs, n, mode)}, Mlp{{in, out}}});
    }
    // Doubling layers.
    for (int i = 0; i < k; ++i) {
      Head even = Head::zeros("via_even", layout, n + 1, 2 * n), oddh = Head::zeros("via_odd", layout, n + 2, 2 * n);
      even.mode = oddh.mode = mode;
      for (int w = 0; w < n; ++w) {
        even.query(E0, w, w, q(1));
        oddh.query(E1, w, w, q(2));
        for (Head* h : {&even, &oddh}) {
          h->key(rs.PV, w, w, q(1));
          h->value(E0, w, w, q(1));
          h->value(E1, w, n + w, q(1));
        }
        even.output(w, SA, w, q(1));
        even.output(n + w, SA, n + w, q(1));
        oddh.output(w, SB, w, q(1));
        oddh.output(n + w, SB, n + w, q(1));
      }
      even.query(type.one, 0, n, q(-1));
      even.key(type.one, 0, n, q(1));
      even.key(type.is_vertex, 0, n, q(-1));
      oddh.query(type.one, 0, n, q(-2));
      oddh.key(type.one, 0, n, q(1));
      oddh.key(type.is_vertex, 0, n, q(-1));
      oddh.query(type.one, 0, n + 1, q(3));
      oddh.key(type.is_task, 0, n + 1, q(1));
      // MLP units: [0,n) [n,2n) even thresholds, [2n,3n) [3n,4n) odd thresholds, [4n,5n) E0, [5n,6n) E1,
      // [6n,8n) SA, [8n,10n) SB.
      Affine in = Affine::zeros(d, 10 * n), out = Affine::zeros(10 * n, d);
      const Q three_n = q(3L * n);
      for (int w = 0; w < n; ++w) {
        const auto thresholds = [&](int base, int sa, int sb) {
          for (int j : {base + w, base + n + w}) {
            in.w(SA.col(sa), j) = three_n;
            in.w(SB.col(sb), j) = three_n;
            in.w(type.is_vertex.col(0), j) = three_n;
          }
          in.bias(base + w) = q(-1L - 3L * n);
          in.bias(base + n + w) = q(-2L - 3L * n);
        };
        thresholds(0, w, n + w);      // even: SA_0 + SB_1
        thresholds(2 * n, n + w, w);  // odd:  SA_1 + SB_0
        in.w(E0.col(w), 4 * n + w) = q(1);
        in.w(E1.col(w), 5 * n + w) = q(1);
        out.w(w, E0.col(w)) = q(1);
        out.w(n + w, E0.col(w)) = q(-1);
        out.w(4 * n + w, E0.col(w)) = q(-1);
        out.w(2 * n + w, E1.col(w)) = q(1);
        out.w(3 * n + w, E1.col(w)) = q(-1);
        out.w(5 * n + w, E1.col(w)) = q(-1);
      }
      for (int j = 0; j < 2 * n; ++j) {
        in.w(SA.col(j), 6 * n + j) = q(1);
        out.w(6 * n + j, SA.col(j)) = q(-1);
        in.w(SB.col(j), 8 * n + j) = q(1);
        out.w(8 * n + j, SB.col(j)) = q(-1);
      }
      built.model.layers.push_back(Layer{{even, oddh}, Mlp{{in, out}}});
    }
    // odd_v = [v in E1_v].
    {
      Affine in = Affine::zeros(d, n), out = Affine::zeros(n, d);
      for (int w = 0; w < n; ++w) {
        in.w(E1.col(w), w) = q(1);
        in.w(rs.PV.col(w), w) = q(1);
        in.bias(w) = q(-1);
        out.w(w, odd.col(0)) = q(1);
      }
      built.model.layers.push_back(Layer{{}, Mlp{{in, out}}});
    }
    built.model.layers.push_back(Layer{{reach::uniform_average_head("average", layout, mode, {{odd, o_odd}})}, {}});
    built.variant = mode.str() + ", " + std::to_string(k) + " doublings";
    built.embed = [rs, E0](const Token& t, RowWriter& row) {
      reach::embed_incidence(rs, t, row);
      if (t.kind == TokenKind::vertex) row.set(E0, t.a, 1);
    };
    built.decoder = Decoder{Decoder::Kind::is_zero, {o_odd}};
    if (v.proven_hard())  // o_odd = #{v : some closed walk of odd length <= 2^k passes v}/T
      built.readout_claim = [k](const Graph& g, const Query&) {
        long odd_vertices = 0;
        for (int u = 0; u < g.n(); ++u) {
          const int walk = claims::shortest_odd_closed_walk(g, u);
          odd_vertices += walk >= 0 && walk <= (1L << k);
        }
        return std::vector<Q>{claims::ratio(odd_vertices, claims::sequence_length(g, 0))};
      };
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;
    return {CheckSpec{
        "parallel.bipartite.logdepth_wide",
        "parity rows doubled ceil(log2 m) times (m the largest odd <= n) decide bipartiteness (L = K + 3)",
        "Sanford et al. 2024: bipartiteness is listed among the parallelizable tasks [S]; construction docs/constructions/bipartite.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer,
        "with one doubling fewer the odd cycle C_m closes no odd walk within the radius: reported bipartite",
        3,
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_bipartite() { return std::make_unique<Bipartite>(); }

}  // namespace exactformer
