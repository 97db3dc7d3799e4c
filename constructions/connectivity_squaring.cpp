// s-t connectivity by Boolean squaring of reachability rows, and its message-passing baseline.
// Paper: Sanford et al. 2024, connectivity is parallelizable and in LogDepthWide [S]; theory.md §6.2.
// Derivation and proof: docs/constructions/connectivity_squaring.md (ours, [D]).
//
// Slots (d = 6n + 5; the baseline adds A, d = 7n + 5):
//   one, is_vertex, is_edge, is_task   type slots
//   P (n)   vertex v: e_v; edge (a,b): e_a + e_b          PV (n)  vertex v: e_v
//   TS (n)  task (s,t): e_s                                TT (n)  task (s,t): e_t
//   R (n)   reachability row: after layer j, R_v = Ball(v, 2^(j-1))   (baseline: Ball(v, j))
//   S (n)   scratch: the attention output, zeroed by each MLP
//   A (n)   baseline only: Ball(v, 1), fixed after layer 1
//   ans     the answer, written by the last MLP
// Layer 1, head "incident" (d_k = n, d_v = n): Q = P, K = P, V = P -> S.
//   Vertex v scores 1 on itself and its incident edges: S = e_v + (1/(deg+1)) sum_{u in N(v)} e_u.
//   MLP (3n hidden): R += clamp01(3n S - 1) = ReLU(3nS - 1) - ReLU(3nS - 2), gated to vertex tokens (edge and
//   task tokens keep R = 0, so all scores stay integers); S -= ReLU(S). (Baseline: A += the same.)
// Layers 2..L-1, head "square" (d_k = n + 1, d_v = n): Q = [R; -1], K = [PV; one - is_vertex], V = R -> S.
//   Vertex v scores R_v[u] on vertex u, -1 on other tokens: S = mean of R_u over u in Ball(v, r), support Ball(v, 2r).
//   (Baseline: Q = [A; -1]: mean over u in Ball(v, 1), support Ball(v, r + 1).)
//   MLP (4n hidden): R += clamp01(3n S - 1) - ReLU(R) (gated to vertex tokens); S -= ReLU(S).
// Layer L, head "query" (d_k = n + 1, d_v = n): Q = [TS; -1], K = [R; one - is_vertex] (baseline: [A; ...]), V = R -> S.
//   The task token scores R_u[s] = [u in Ball(s, r)] on vertex u, <= 0 elsewhere: S has support Ball(s, 2r).
//   MLP (3n then n hidden): ans += sum_w ReLU(clamp01(3n S_w - 1) + TT_w - 1) = [t in Ball(s, 2r)].
// Decoder [ans >= 1/2]. Correct on all graphs with n vertices iff 2^(L-1) >= n - 1: L(n) = max(2, 1 + ceil(log2(n-1))).
// Baseline: radius L after L layers: L(n) = max(2, n - 1).
// softmax2(b): b(n) = ceil(log2(6 n T)), T = n + n(n-1)/2 + 1, keeps members >= 2/(3n) and others <= 1/(3n).
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class ConnectivityRows final : public Construction {
 public:
  explicit ConnectivityRows(bool message_passing) : mp_(message_passing) {}

  std::string name() const override { return mp_ ? "connectivity_message_passing" : "connectivity_squaring"; }
  std::string task() const override { return "connectivity"; }
  std::string doc() const override { return "docs/constructions/connectivity_squaring.md"; }
  std::string regime() const override {
    return mp_ ? "baseline (L = n - 1: not log depth)" : regimes::log_depth_wide;
  }
  int max_build_n() const override { return 64; }
  std::string summary() const override {
    return mp_ ? "baseline: reachability rows grow by one hop per layer (GNN-like), L = n - 1, d = 7n + 5"
               : "reachability rows squared once per layer: L = 1 + ceil(log2(n-1)), d = 6n + 5 (LogDepthWide)";
  }

  int proven_layers(int n) const { return mp_ ? std::max(2, n - 1) : std::max(2, 1 + ceil_log2(n - 1)); }
  int layers_of(int n, const Variant& v) const { return proven_layers(n) + v.layers_offset; }

  Shape claimed(int n, const Variant& v) const override {
    const int layers = layers_of(n, v);
    const long d = (mp_ ? 7L : 6L) * n + 5;
    Shape s;
    s.layers = layers;
    s.heads = 1;
    s.width = static_cast<int>(d);
    s.d_k = n + 1;
    s.d_v = n;
    s.mlp_depth = 2;
    s.mlp_width = layers >= 3 ? 4 * n : 3 * n;
    const long first = reach::incident_params(d, n);
    const long middle = reach::square_params(d, n);
    const long last = 2L * d * (n + 1) + 2L * d * n + (d * 3 * n + 3L * n) + (3L * n * n + n) + (static_cast<long>(n) * d + d);
    s.params = first + (layers - 2) * middle + last;
    s.weight_bits = bit_length_of(3L * n + 2);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int layers = layers_of(n, v);
    EXACTFORMER_REQUIRE(layers >= 2, name() + " needs at least 2 layers (got " + std::to_string(layers) + ")");
    Built built;
    Layout& layout = built.model.layout;
    reach::Slots rs = reach::add_type_and_incidence(layout, n);
    const TypeSlots type = rs.type;
    const Slot TS = layout.add("TS", n), TT = layout.add("TT", n);
    reach::add_rows(layout, rs, n);
    const Slot R = rs.R, S = rs.S;
    const Slot A = mp_ ? layout.add("A", n) : Slot{};
    const Slot ans = layout.add("ans", 1);
    const int d = layout.width();
    const AttentionMode mode = v.mode(reach::proven_b(n));

    // Layer 1: Ball(v, 1) into R (baseline: into A as well).
    built.model.layers.push_back(reach::incident_layer(layout, rs, n, mode, mp_ ? std::vector<Slot>{A} : std::vector<Slot>{}));
    // Layers 2..L-1: square (baseline: extend by one hop).
    for (int l = 2; l < layers; ++l)
      built.model.layers.push_back(reach::square_layer(layout, rs, n, mode, mp_ ? A : R, mp_ ? "hop" : "square"));
    // Layer L: the task token collects Ball(s, 2r) (baseline: Ball(s, r + 1)) and tests t.
    {
      Head h = reach::slotwise_head("query", layout, n, n + 1, mode, TS, q(1), mp_ ? A : R, R, S);
      h.query(type.one, 0, n, q(-1));
      h.key(type.one, 0, n, q(1));
      h.key(type.is_vertex, 0, n, q(-1));
      built.model.layers.push_back(Layer{{h}, reach::member_test_mlp(d, n, S, TT, ans)});
    }
    for (Layer& l : built.model.layers)
      for (Head& h : l.heads) h.mask = v.mask;
    built.variant = mode.str() + ", L=" + std::to_string(layers) + (v.mask == Mask::causal ? ", causal mask" : "");

    built.embed = [rs, TS, TT](const Token& t, RowWriter& row) {
      reach::embed_incidence(rs, t, row);
      if (t.kind == TokenKind::task) {
        row.set(TS, t.a, 1);
        row.set(TT, t.b, 1);
      }
    };
    built.decoder = Decoder{Decoder::Kind::threshold_half, {ans}};
    if (v.proven_hard())  // ans = [t in Ball(s, 2^(L-1))] = [s, t connected] (baseline: Ball(s, L))
      built.readout_claim = claims::st_connected;
    return built;
  }

  // Precision (docs/constructions/connectivity_squaring.md#precision). Hard: every argmax set has m <= n
  // tokens, so every clamp saturates iff rho_p(1/m) >= 2/(3n) for all m <= n: p* = floor(log2 n), and the
  // star K_(1, 2^(p+1) - 1) fails one bit below. softmax2 / softmax: the worst leakage onto a non-member
  // (an isolated s, n - 1 others that see w) gives the band (2n - 1)(n - 1) < 2^b* (or e^β*) <= (3n - 1)(n - 1).
  std::optional<PrecisionClaim> precision_claim(int n) const override {
    if (n < 2) return std::nullopt;
    PrecisionClaim c;
    c.fp_p = floor_log2(n);
    const long lo = (2L * n - 1) * (n - 1), hi = (3L * n - 1) * (n - 1);
    c.softmax2_b = {ceil_log2(lo + 1), ceil_log2(hi)};  // 2^b > lo, 2^b >= hi
    c.softmax_exp_beta = {Q(lo), Q(hi)};
    c.derivation = "docs/constructions/connectivity_squaring.md#precision";
    c.check_n_max = 5;
    return c;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;
    if (mp_)
      return {CheckSpec{
          "parallel.connectivity.message_passing",
          "baseline: one hop per layer decides s-t connectivity with L = n - 1 layers, and needs them (P_n)",
          "theory.md §6.2 'message-passing baseline' [D]; construction docs/constructions/connectivity_squaring.md [D]",
          {Variant::hard(), Variant::softmax2()},
          fewer,
          "with n - 2 layers the radius n - 2 misses the ends of a path P_n: a false 'no'",
          4,
      }};
    Variant causal;
    causal.mask = Mask::causal;
    return {CheckSpec{
        "parallel.connectivity.logdepth_wide",
        "row squaring decides s-t connectivity for every pair with L = 1 + ceil(log2(n-1)) layers, width 6n + 5",
        "Sanford et al. 2024: connectivity is parallelizable, in LogDepthWide [S]; construction docs/constructions/connectivity_squaring.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer,
        "with one layer fewer the radius 2^(L-2) < n - 1 misses some pair at distance n - 1: a false 'no'",
        4,
    }, CheckSpec{
        "pause.connectivity.causal_rows_fail",
        "the same weights under a causal mask (no pause tokens) are wrong: a vertex row cannot see the edges after it",
        "theory.md §10.5 row 9 [D]; repaired by connectivity_pause (docs/constructions/connectivity_pause.md) [D]",
        {},
        causal,
        "row squaring with causal masks: vertex rows keep Ball(v, 0) = {v}, so two adjacent vertices read as disconnected",
        2,
    }};
  }

 private:
  bool mp_;
};

}  // namespace

std::unique_ptr<Construction> make_connectivity_squaring() { return std::make_unique<ConnectivityRows>(false); }
std::unique_ptr<Construction> make_connectivity_message_passing() { return std::make_unique<ConnectivityRows>(true); }

}  // namespace exactformer
