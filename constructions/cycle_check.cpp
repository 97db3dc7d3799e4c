// Cycle check: a simple graph has a cycle iff |E| > n - c (theory.md §6.3). Paper: parallelizable [S].
// Derivation and proof: docs/constructions/components.md (ours, [D]).
//
// The components construction with a wider uniform head in its last layer (d = 4n + 8):
//   head "average" (all scores 0: weights exactly 1/T in either mode), values
//     is_edge -> o_edges = |E|/T, is_vertex -> o_vertices = n/T, inv -> o_comp = (sum_v 1/|R_v|)/T
// Decoder [o_edges - o_vertices + o_comp > 0] = [|E| - n + sum_v 1/|R_v| > 0] = [|E| - n + c >= 1] when the
// rows are complete (a forest has |E| = n - c exactly; an undercounted |R_v| makes the sum exceed c).
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class CycleCheck final : public Construction {
 public:
  std::string name() const override { return "cycle_check"; }
  std::string task() const override { return "cycle_check"; }
  std::string doc() const override { return "docs/constructions/components.md"; }
  std::string regime() const override { return regimes::log_depth_wide; }
  int max_build_n() const override { return 64; }
  std::string summary() const override { return "components, |E| and n from one uniform head: cyclic iff |E| - n + c > 0; L = ceil(log2(n-1)) + 3"; }

  static int squarings(int n, const Variant& v) { return (n <= 2 ? 0 : ceil_log2(n - 1)) + v.layers_offset; }

  Shape claimed(int n, const Variant& v) const override {
    const int k = squarings(n, v);
    const long d = 4L * n + 8;
    Shape s;
    s.layers = k + 3;
    s.heads = 1;
    s.width = static_cast<int>(d);
    s.d_k = k >= 1 ? n + 1 : n;
    s.d_v = std::max(n, 3);  // the final head carries (is_edge, is_vertex, inv)
    s.mlp_depth = 1;
    s.mlp_width = k >= 1 ? 4 * n : 3 * n;
    s.params = reach::incident_params(d, n) + k * reach::square_params(d, n) + reach::inverse_size_params(d, n) + (d + d + 3 * d + 3 * d);
    s.weight_bits = std::max(bit_length_of(3L * n + 2), n >= 2 ? bit_length_of(static_cast<long>(n - 2) * (n - 1) * n / 2) : 0);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int k = squarings(n, v);
    EXACTFORMER_REQUIRE(k >= 0, "cycle_check needs at least 0 squarings");
    Built built;
    Layout& layout = built.model.layout;
    reach::Slots rs = reach::add_type_and_incidence(layout, n);
    reach::add_rows(layout, rs, n);
    const Slot inv = layout.add("inv", 1), o_comp = layout.add("o_comp", 1), o_vertices = layout.add("o_vertices", 1);
    const Slot o_edges = layout.add("o_edges", 1);
    const AttentionMode mode = v.mode(reach::proven_b(n));
    built.model.layers.push_back(reach::incident_layer(layout, rs, n, mode));
    for (int i = 0; i < k; ++i) built.model.layers.push_back(reach::square_layer(layout, rs, n, mode, rs.R, "square"));
    built.model.layers.push_back(reach::inverse_size_layer(layout, rs, n, inv));
    built.model.layers.push_back(Layer{{reach::uniform_average_head(
                                           "average", layout, mode,
                                           {{rs.type.is_edge, o_edges}, {rs.type.is_vertex, o_vertices}, {inv, o_comp}})},
                                       {}});
    built.variant = mode.str() + ", " + std::to_string(k) + " squarings";
    built.embed = [rs](const Token& t, RowWriter& row) { reach::embed_incidence(rs, t, row); };
    built.decoder = Decoder{Decoder::Kind::positive_rank, {o_edges, o_vertices, o_comp}};
    if (v.proven_hard())  // (o_edges, o_vertices, o_comp) = (|E|, n', c)/T
      built.readout_claim = claims::edges_vertices_components;
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;
    return {CheckSpec{
        "parallel.cycle_check.logdepth_wide",
        "cycle check as |E| - n + c > 0 with c from rows squared ceil(log2(n-1)) times (L = ceil(log2(n-1)) + 3)",
        "Sanford et al. 2024: cycle check is parallelizable [S]; construction docs/constructions/components.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer,
        "with one squaring fewer c is overcounted on a long path and a forest is reported cyclic",
        3,
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_cycle_check() { return std::make_unique<CycleCheck>(); }

}  // namespace exactformer
