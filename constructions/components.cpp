// Number of connected components from reachability rows (theory.md §6.3). Paper: a parallelizable task [S].
// Derivation and proof: docs/constructions/components.md (ours, [D]).
//
// Slots (d = 4n + 7): one, is_vertex, is_edge, is_task, P (n), PV (n), R (n), S (n), inv, o_comp, o_task.
// Layer 1 + K squarings (reach_rows.hpp), K = ceil(log2(n-1)): R_v = Ball(v, 2^K) = the component of v.
// Layer K+2 (no attention): inv = 1/|R_v| on vertex tokens, 0 elsewhere (exact interpolation, n units).
// Layer K+3, head "average" (d_k = 1, all scores 0, d_v = 2): uniform over all T tokens in either mode;
//   values inv -> o_comp = (sum_v 1/|R_v|)/T, is_task -> o_task = 1/T.
// Decoder o_comp / o_task if it is an integer (= sum_v 1/|C(v)| = c), else undefined: an undercounted
// |R_v| makes the ratio a non-integer or too large, never silently rounded. L = ceil(log2(n-1)) + 3.
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class Components final : public Construction {
 public:
  std::string name() const override { return "components"; }
  std::string task() const override { return "component_count"; }
  std::string regime() const override { return regimes::log_depth_wide; }
  int max_build_n() const override { return 64; }
  std::string summary() const override { return "rows squared to radius n-1, then c = sum_v 1/|R_v|: L = ceil(log2(n-1)) + 3, d = 4n + 7"; }

  static int squarings(int n) { return n <= 2 ? 0 : ceil_log2(n - 1); }
  static int squarings(int n, const Variant& v) { return squarings(n) + v.layers_offset; }

  Shape claimed(int n, const Variant& v) const override {
    const int k = squarings(n, v);
    const long d = 4L * n + 7;
    Shape s;
    s.layers = k + 3;
    s.heads = 1;
    s.width = static_cast<int>(d);
    s.d_k = k >= 1 ? n + 1 : n;
    s.d_v = std::max(n, 2);  // the final head carries (inv, is_task)
    s.mlp_depth = 1;
    s.mlp_width = k >= 1 ? 4 * n : 3 * n;
    s.params = reach::incident_params(d, n) + k * reach::square_params(d, n) + reach::inverse_size_params(d, n) + (d + d + 2 * d + 2 * d);
    // weights: 3n (thresholds), 3n + 2 (gated biases), interpolation slopes 1/(j(j+1)) - 1/((j-1)j), ...
    s.weight_bits = std::max(bit_length_of(3L * n + 2), n >= 2 ? bit_length_of(static_cast<long>(n - 2) * (n - 1) * n / 2) : 0);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int k = squarings(n, v);
    EXACTFORMER_REQUIRE(k >= 0, "components needs at least 0 squarings");
    Built built;
    Layout& layout = built.model.layout;
    reach::Slots rs = reach::add_type_and_incidence(layout, n);
    reach::add_rows(layout, rs, n);
    const Slot inv = layout.add("inv", 1), o_comp = layout.add("o_comp", 1), o_task = layout.add("o_task", 1);
    const AttentionMode mode = v.mode(reach::proven_b(n));
    built.model.layers.push_back(reach::incident_layer(layout, rs, n, mode));
    for (int i = 0; i < k; ++i) built.model.layers.push_back(reach::square_layer(layout, rs, n, mode, rs.R, "square"));
    built.model.layers.push_back(reach::inverse_size_layer(layout, rs, n, inv));
    built.model.layers.push_back(
        Layer{{reach::uniform_average_head("average", layout, mode, {{inv, o_comp}, {rs.type.is_task, o_task}})}, {}});
    built.variant = mode.str() + ", " + std::to_string(k) + " squarings";
    built.embed = [rs](const Token& t, RowWriter& row) { reach::embed_incidence(rs, t, row); };
    built.decoder = Decoder{Decoder::Kind::exact_ratio, {o_comp, o_task}};
    if (v.proven_hard())  // o_comp = c/T (every |R_v| = |C(v)|), o_task = 1/T
      built.readout_claim = [](const Graph& g, const Query&) {
        const long T = claims::sequence_length(g, 0);
        return std::vector<Q>{claims::ratio(claims::components(g), T), claims::ratio(1, T)};
      };
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;
    return {CheckSpec{
        "parallel.components.logdepth_wide",
        "rows squared ceil(log2(n-1)) times count the components exactly: c = sum_v 1/|R_v| (L = ceil(log2(n-1)) + 3)",
        "Sanford et al. 2024: #components is parallelizable [S]; construction docs/constructions/components.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer,
        "with one squaring fewer |R_v| undercounts a long path's component: sum_v 1/|R_v| is not the integer c",
        3,
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_components() { return std::make_unique<Components>(); }

}  // namespace exactformer
