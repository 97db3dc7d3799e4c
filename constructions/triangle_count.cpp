// Triangle counting in constant depth L = 3, width Θ(n) (theory.md §6.6). Paper: Sanford et al. 2024 Thm 7,
// triangle counting with L = O(log log N) and width O(N^ε) [S]; this is the wide, constant-depth end.
// Derivation and proof: docs/constructions/triangle_count.md (ours, [D]). Hard attention only (the count
// reads exact averages; softmax2 is not claimed).
//
// Slots (d = 4n + 7):
//   one, is_vertex, is_edge, is_task   type slots
//   P (n), PV (n)   incidence (reach_rows.hpp)      R (n)  vertex v: Ball(v, 1) = N[v] after layer 1
//   S (n)           layer 2's attention output      third  vertex v: t_v / 3 (t_v = triangles at v)
//   o_tri, o_task   the task row's readout
// Layer 1: head "incident", R = N[v] (as connectivity_squaring).
// Layer 2, head "neighbours" (d_k = n + 1, d_v = n): Q = [R; -1], K = [PV; one - is_vertex], V = R - PV -> S.
//   Vertex v averages the open rows A_u = N(u) over u in N[v]: S_w = (1 + c(v, w)) / (deg v + 1) for w in
//   N(v), c = common neighbours. MLP (4n, then n hidden):
//     x = sum_w [S_w + R_w - PV_w - 1]+ = (deg + 2 t_v) / (deg + 1);   deg = sum_w R_w - is_vertex;
//     hat_δ = [deg - δ + 1]+ - 2 [deg - δ]+ + [deg - δ - 1]+ = [deg = δ] for δ = 0..n-1;
//     third += (1/3) sum_δ [((δ + 1) x - δ) / 2 - M (1 - hat_δ)]+ = t_v / 3, M = n^2.
// Layer 3, head "average" (all scores 0, weights exactly 1/T): third -> o_tri, is_task -> o_task.
// Decoder exact_ratio o_tri / o_task = (sum_v t_v) / 3 = the number of triangles.
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class TriangleCount final : public Construction {
 public:
  std::string name() const override { return "triangle_count"; }
  std::string task() const override { return "triangle_count"; }
  std::string regime() const override { return regimes::constant_depth_wide; }
  int max_build_n() const override { return 64; }
  std::vector<Variant> modes() const override { return {Variant::hard()}; }
  std::string summary() const override {
    return "3 layers: N[v], then common neighbours averaged over N[v] and decoded per degree, then a uniform sum; d = 4n + 7";
  }

  Shape claimed(int n, const Variant&) const override {
    const long d = 4L * n + 7, nn = n;
    Shape s;
    s.layers = 3;
    s.heads = 1;
    s.width = static_cast<int>(d);
    s.d_k = n + 1;
    s.d_v = std::max(n, 2);
    s.mlp_depth = 2;
    s.mlp_width = 4 * n;
    s.params = reach::incident_params(d, nn) + (2 * d * (nn + 1) + 2 * d * nn) + (d * 4 * nn + 4 * nn) + (4 * nn * nn + nn) +
               (nn * d + d) + 6 * d;
    s.weight_bits = std::max(bit_length_of(3L * n + 2), bit_length_of(2L * n * n + n - 1));
    return s;
  }

  Built build(int n, const Variant& v) const override {
    EXACTFORMER_REQUIRE(v.kind == AttentionKind::hard, "triangle_count is built in hard mode only (its count reads exact averages)");
    Built built;
    Layout& layout = built.model.layout;
    reach::Slots rs = reach::add_type_and_incidence(layout, n);
    reach::add_rows(layout, rs, n);
    const TypeSlots type = rs.type;
    const Slot R = rs.R, S = rs.S, PV = rs.PV;
    const Slot third = layout.add("third", 1), o_tri = layout.add("o_tri", 1), o_task = layout.add("o_task", 1);
    const int d = layout.width();
    const AttentionMode mode = AttentionMode::hard();

    built.model.layers.push_back(reach::incident_layer(layout, rs, n, mode));
    {
      Head h = reach::union_head("neighbours", layout, rs, n, mode, R);  // V = R ...
      for (int w = 0; w < n; ++w) h.value(PV, w, w, q(-1));                 // ... - PV
      const Q M(static_cast<long>(n) * n);
      Affine in = Affine::zeros(d, 4 * n), mid = Affine::zeros(4 * n, n), out = Affine::zeros(n, d);
      for (int w = 0; w < n; ++w) {  // [0, n): x_w
        in.w(S.col(w), w) = q(1);
        in.w(R.col(w), w) = q(1);
        in.w(PV.col(w), w) = q(-1);
        in.bias(w) = q(-1);
      }
      for (int delta = 0; delta < n; ++delta) {  // [n + 3δ, n + 3δ + 3): the hat at δ, from deg
        for (int k = 0; k < 3; ++k) {
          const int unit = n + 3 * delta + k;
          for (int w = 0; w < n; ++w) in.w(R.col(w), unit) = q(1);
          in.w(type.is_vertex.col(0), unit) = q(-1);
          in.bias(unit) = q(-delta + 1 - k);
        }
        for (int w = 0; w < n; ++w) mid.w(w, delta) = q(delta + 1, 2);
        mid.w(n + 3 * delta, delta) = M;
        mid.w(n + 3 * delta + 1, delta) = -2 * M;
        mid.w(n + 3 * delta + 2, delta) = M;
        mid.bias(delta) = -M - q(delta, 2);
        out.w(delta, third.col(0)) = q(1, 3);
      }
      built.model.layers.push_back(Layer{{h}, Mlp{{in, mid, out}}});
    }
    built.model.layers.push_back(
        Layer{{reach::uniform_average_head("average", layout, mode, {{third, o_tri}, {type.is_task, o_task}})}, {}});
    built.variant = "hard";
    built.embed = [rs](const Token& t, RowWriter& row) { reach::embed_incidence(rs, t, row); };
    built.decoder = Decoder{Decoder::Kind::exact_ratio, {o_tri, o_task}};
    if (v.proven_hard())  // o_tri = (sum_v t_v / 3)/T = triangles/T, o_task = 1/T
      built.readout_claim = [](const Graph& g, const Query&) {
        const long T = claims::sequence_length(g, 0);
        return std::vector<Q>{claims::ratio(claims::triangles(g), T), claims::ratio(1, T)};
      };
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    CheckSpec s{
        "counting.triangles.depth3",
        "three layers, width 4n + 7, count the triangles of every graph exactly (hard attention)",
        "Sanford et al. 2024 Thm 7 (triangle counting, L = O(log log N)) [S]; construction docs/constructions/triangle_count.md [D]",
        {Variant::hard()},
        std::nullopt,
        "none: the claim has no depth bound to go below (docs/constructions/triangle_count.md#witness)",
    };
    return {s};
  }
};

}  // namespace

std::unique_ptr<Construction> make_triangle_count() { return std::make_unique<TriangleCount>(); }

}  // namespace exactformer
