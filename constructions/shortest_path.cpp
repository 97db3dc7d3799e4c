// s-t shortest path (the search class) by binary lifting over kept ball levels (theory.md §6.5).
// Paper: Sanford et al. 2024 Thm 4, every search task is in LogDepthWide [S].
// Derivation and proof: docs/constructions/shortest_path.md (ours, [D]).
//
// K(n) = least K >= 0 with n - 1 <= 2^(K+1) (lifting levels 0..K). Slots (d = (K + 6) n + 6):
//   one, is_vertex, is_edge, is_task   type slots
//   P (n)    vertex v: e_v; edge (a,b): e_a + e_b       PV (n)  vertex v: e_v
//   TT (n)   task (s,t): e_t
//   R0..RK (n each)  vertex v: Rj = Ball(v, 2^j) once built (0 on every other token)
//   S (n)    scratch: each attention output, zeroed by the MLP after it
//   B (n)    task row: the lifted ball, initially e_s
//   dist, found   task row: the distance so far, and [t in Ball(B, 1)] (written by the last layer)
// Layer 1, head "incident" (d_k = n, d_v = n): R0 = Ball(v, 1) (reach_rows.hpp, as connectivity_squaring).
// Layers 2..K+1, head "square" (d_k = n + 1): Q = [Rj; -1], K = [PV; one - is_vertex], V = Rj -> S; the MLP
//   (3n hidden) writes R(j+1) = clamp01(3n S - 1) = Ball(v, 2^(j+1)) on vertex tokens and zeroes S.
// Layers K+2..2K+2, head "lift" for j = K down to 0: Q = [B; -1], V = Rj -> S: on the task row S has support
//   B' = Ball(B, 2^j) with entries >= 1/n. MLP (5n + 1, 3n + 1, 2n + 1 hidden), gated to the task row:
//     B'_w = clamp01(3n S_w - 1), hit = sum_w [B'_w + t_w - 1]+ = [t in B'],
//     B += [B' - B - hit]+ (B' contains B), dist += 2^j [1 - hit]+, S zeroed.
//   Invariant (s != t): t not in B = Ball(s, dist); each level adds 2^j exactly when that keeps t outside.
// Layer 2K+3, head "check": Q = [B; -1], V = R0 -> S (support Ball(B, 1)). MLP (5n + 1, 3n + 1 hidden):
//   found += [t in Ball(B, 1)], dist += 1 - [t in B] (t in B only when s = t).
// Decoder distance_or_none: found ? round(dist) : -1. The lifts reach dist <= 2^(K+1) - 1 and the check one
// more, so every distance <= 2^(K+1) is exact: right on every graph with n vertices iff n - 1 <= 2^(K+1).
// With K - 1 levels the path P_n with s, t at its ends is reported "no path".
// softmax2(b): the heads' scores are those of connectivity_squaring's (1 on members, 0 on other vertices,
// -1 elsewhere), so its b(n) = ceil(log2(6 n T)) keeps every clamp saturated.
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class ShortestPath final : public Construction {
 public:
  std::string name() const override { return "shortest_path"; }
  std::string task() const override { return "shortest_path"; }
  std::string regime() const override { return regimes::log_depth_wide_n_log_n; }
  int max_build_n() const override { return 64; }
  std::string summary() const override {
    return "binary lifting over kept balls Ball(v, 2^j): L = 2K + 3 with n - 1 <= 2^(K+1), d = (K + 6) n + 6 (search class)";
  }

  // Lifting levels 0..K (K = levels - 1); the variant's layers_offset removes or adds whole levels.
  static int proven_levels(int n) {
    int k = 0;
    while (n - 1 > (1L << (k + 1))) ++k;
    return k + 1;
  }
  static int levels_of(int n, const Variant& v) { return proven_levels(n) + v.layers_offset; }

  Shape claimed(int n, const Variant& v) const override {
    const long levels = levels_of(n, v), K = levels - 1;
    const long d = (K + 6) * n + 6, nn = n;
    const long head = 2 * d * (nn + 1) + 2 * d * nn;
    const long hidden1 = d * (5 * nn + 1) + (5 * nn + 1);
    const long lift = head + hidden1 + ((5 * nn + 1) * (3 * nn + 1) + 3 * nn + 1) + ((3 * nn + 1) * (2 * nn + 1) + 2 * nn + 1) +
                      ((2 * nn + 1) * d + d);
    const long check = head + hidden1 + ((5 * nn + 1) * (3 * nn + 1) + 3 * nn + 1) + ((3 * nn + 1) * d + d);
    const long square = head + (d * 3 * nn + 3 * nn) + (3 * nn * d + d);
    Shape s;
    s.layers = static_cast<int>(2 * K + 3);
    s.heads = 1;
    s.width = static_cast<int>(d);
    s.d_k = n + 1;
    s.d_v = n;
    s.mlp_depth = 3;
    s.mlp_width = 5 * n + 1;
    s.params = reach::incident_params(d, nn) + K * square + levels * lift + check;
    s.weight_bits = std::max(bit_length_of(3L * n + 2), static_cast<int>(K) + 1);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int levels = levels_of(n, v);
    EXACTFORMER_REQUIRE(levels >= 1, name() + " needs at least one lifting level (got " + std::to_string(levels) + ")");
    Built built;
    Layout& layout = built.model.layout;
    reach::Slots rs = reach::add_type_and_incidence(layout, n);
    const TypeSlots type = rs.type;
    const Slot TT = layout.add("TT", n);
    std::vector<Slot> R;
    for (int j = 0; j < levels; ++j) R.push_back(layout.add("R" + std::to_string(j), n));
    rs.R = R[0];
    rs.S = layout.add("S", n);
    const Slot S = rs.S, B = layout.add("B", n), dist = layout.add("dist", 1), found = layout.add("found", 1);
    const int d = layout.width();
    const AttentionMode mode = v.mode(reach::proven_b(n));

    built.model.layers.push_back(reach::incident_layer(layout, rs, n, mode));
    for (int j = 0; j + 1 < levels; ++j)
      built.model.layers.push_back(
          reach::collect_layer(layout, rs, n, reach::union_head("square", layout, rs, n, mode, R[j], R[j]), {R[j + 1]}));

    // Hidden layer 1 of the lift and check MLPs (5n + 1 units), gated to the task row:
    //   [0, n) a_w, [n, 2n) c_w with a - c = clamp01(3n S_w - 1); [2n, 3n) z_w = S_w; [3n, 4n) b_w = B_w;
    //   [4n, 5n) t_w = TT_w; 5n: g = is_task.
    const auto task_hidden = [&] {
      Affine h = Affine::zeros(d, 5 * n + 1);
      reach::clamp_units(h, S, n, 0, type.is_task.col(0));
      for (int w = 0; w < n; ++w) {
        h.w(S.col(w), 2 * n + w) = q(1);
        h.w(B.col(w), 3 * n + w) = q(1);
        h.w(TT.col(w), 4 * n + w) = q(1);
      }
      h.w(type.is_task.col(0), 5 * n) = q(1);
      return h;
    };
    // Hidden layer 2 (3n + 1 units): [0, n) hit_w = [a_w - c_w + t_w - 1]+, [n, 2n) `second` (per caller),
    // [2n, 3n) z_w, 3n: g.
    const auto hit_hidden = [&](bool grow) {
      Affine h = Affine::zeros(5 * n + 1, 3 * n + 1);
      for (int w = 0; w < n; ++w) {
        h.w(w, w) = q(1);
        h.w(n + w, w) = q(-1);
        h.w(4 * n + w, w) = q(1);
        h.bias(w) = q(-1);
        if (grow) {  // grow_w = [a_w - c_w - b_w]+ = B'_w - B_w
          h.w(w, n + w) = q(1);
          h.w(n + w, n + w) = q(-1);
          h.w(3 * n + w, n + w) = q(-1);
        } else {  // at_w = [b_w + t_w - 1]+ = [w = t in B]
          h.w(3 * n + w, n + w) = q(1);
          h.w(4 * n + w, n + w) = q(1);
          h.bias(n + w) = q(-1);
        }
        h.w(2 * n + w, 2 * n + w) = q(1);
      }
      h.w(5 * n, 3 * n) = q(1);
      return h;
    };
    for (int j = levels - 1; j >= 0; --j) {
      Affine h3 = Affine::zeros(3 * n + 1, 2 * n + 1), out = Affine::zeros(2 * n + 1, d);
      for (int w = 0; w < n; ++w) {
        h3.w(n + w, w) = q(1);  // add_w = [grow_w - hit]+
        for (int u = 0; u < n; ++u) h3.w(u, w) = q(-1);
        h3.w(2 * n + w, n + w) = q(1);  // z_w
        h3.w(w, 2 * n) = q(-1);         // step = [g - hit]+
        out.w(w, B.col(w)) = q(1);
        out.w(n + w, S.col(w)) = q(-1);
      }
      h3.w(3 * n, 2 * n) = q(1);
      out.w(2 * n, dist.col(0)) = q(1L << j);
      built.model.layers.push_back(
          Layer{{reach::union_head("lift", layout, rs, n, mode, B, R[static_cast<std::size_t>(j)])}, Mlp{{task_hidden(), hit_hidden(true), h3, out}}});
    }
    {
      Affine out = Affine::zeros(3 * n + 1, d);
      for (int w = 0; w < n; ++w) {
        out.w(w, found.col(0)) = q(1);
        out.w(n + w, dist.col(0)) = q(-1);
        out.w(2 * n + w, S.col(w)) = q(-1);
      }
      out.w(3 * n, dist.col(0)) = q(1);
      built.model.layers.push_back(Layer{{reach::union_head("check", layout, rs, n, mode, B, R[0])}, Mlp{{task_hidden(), hit_hidden(false), out}}});
    }
    built.variant = mode.str() + ", K=" + std::to_string(levels - 1) + ", L=" + std::to_string(built.model.layers.size());

    built.embed = [rs, TT, B](const Token& t, RowWriter& row) {
      reach::embed_incidence(rs, t, row);
      if (t.kind == TokenKind::task) {
        row.set(B, t.a, 1);
        row.set(TT, t.b, 1);
      }
    };
    built.decoder = Decoder{Decoder::Kind::distance_or_none, {found, dist}};
    if (v.proven_hard())  // found = [s, t connected]; dist = d(s, t), or 2^levels when t is unreachable (every level adds 2^j, the check 1)
      built.readout_claim = [levels](const Graph& g, const Query& query) {
        const int d = claims::distance(g, query.args[0], query.args[1]);
        return std::vector<Q>{Q(d >= 0 ? 1 : 0), Q(d >= 0 ? d : 1L << levels)};
      };
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;  // one lifting level fewer: two layers fewer
    return {CheckSpec{
        "search.shortest_path.logdepth_wide",
        "binary lifting returns dist(s, t) or 'no path' for every pair with L = 2K + 3 layers, n - 1 <= 2^(K+1), width (K + 6) n + 6",
        "Sanford et al. 2024 Thm 4: search tasks are in LogDepthWide [S]; construction docs/constructions/shortest_path.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer,
        "with K - 1 levels distances above 2^K are missed: P_n end to end is reported 'no path'",
        4,
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_shortest_path() { return std::make_unique<ShortestPath>(); }

}  // namespace exactformer
