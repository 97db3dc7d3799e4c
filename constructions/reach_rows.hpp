// Layers shared by the reachability-row constructions (theory.md §6.2-6.3; proofs in
// docs/constructions/connectivity_squaring.md). Each vertex token v carries an n-bit row R_v.
//
//   incident layer : R_v = Ball(v, 1)                      head Q = P, K = P, V = P -> S
//   collect layer  : any head into S, then clamp S into fresh slots (shortest_path's levels)
//   square layer   : R_v = union of R_u over u in rows_v   head Q = [rows; -1], K = [PV; one - is_vertex], V = R -> S
//                    (rows = R: radius doubles; rows = A = Ball(v, 1): radius + 1)
// Every MLP writes clamp01(3n S - 1) gated to vertex tokens (edge and task tokens keep R = 0, so every
// score stays an integer) and zeroes S.
#pragma once
#include <optional>
#include <string>
#include "exactformer/construction.hpp"

namespace exactformer::reach {

struct Slots {
  TypeSlots type;
  Slot P, PV, R, S;
  // one, is_vertex, is_edge, is_task, P (n), PV (n), then the caller's slots, then R (n), S (n).
};

inline Slots add_type_and_incidence(Layout& layout, int n) {
  Slots s;
  s.type = TypeSlots::add(layout);
  s.P = layout.add("P", n);
  s.PV = layout.add("PV", n);
  return s;
}
inline void add_rows(Layout& layout, Slots& s, int n) {
  s.R = layout.add("R", n);
  s.S = layout.add("S", n);
}

// Embeds type, P and PV.
inline void embed_incidence(const Slots& s, const Token& t, RowWriter& row) {
  s.type.embed(t, row);
  if (t.kind == TokenKind::vertex) {
    row.set(s.P, t.a, 1);
    row.set(s.PV, t.a, 1);
  } else if (t.kind == TokenKind::edge) {
    row.set(s.P, t.a, 1);
    row.set(s.P, t.b, 1);
  }
}

// Hidden units base + [0, n) and base + [n, 2n): ReLU(3nS - 1 - g), ReLU(3nS - 2 - g); their difference
// is clamp01(3nS - 1) when g = 0, and 0 when gated off (g = 3n(1 - x) with x the 0/1 entry in column
// `gate`, e.g. is_vertex or a block flag) on a row with x = 0.
inline void clamp_units(Affine& in, const Slot& S, int n, int base, std::optional<int> gate) {
  const Q three_n = q(3L * n);
  for (int w = 0; w < n; ++w) {
    in.w(S.col(w), base + w) = three_n;
    in.w(S.col(w), base + n + w) = three_n;
    in.bias(base + w) = gate ? q(-1L - 3L * n) : q(-1);
    in.bias(base + n + w) = gate ? q(-2L - 3L * n) : q(-2);
    if (gate) {
      in.w(*gate, base + w) = three_n;
      in.w(*gate, base + n + w) = three_n;
    }
  }
}
// The same on S, gated to vertex tokens when `gated`.
inline void threshold_units(Affine& in, const Slots& s, int n, int base, bool gated) {
  clamp_units(in, s.S, n, base, gated ? std::optional<int>(s.type.is_vertex.col(0)) : std::nullopt);
}

// MLP (3n, then n hidden units) of a last layer: ans += sum_w [clamp01(3n S_w - 1) + T_w - 1]+, which is
// [t in the support of S] when T = e_t and every entry of S is 0 or >= 1/n.
inline Mlp member_test_mlp(int d, int n, const Slot& S, const Slot& T, const Slot& ans) {
  Affine in = Affine::zeros(d, 3 * n), mid = Affine::zeros(3 * n, n), out = Affine::zeros(n, d);
  for (int w = 0; w < n; ++w) {
    in.w(S.col(w), w) = q(3L * n);
    in.w(S.col(w), n + w) = q(3L * n);
    in.bias(w) = q(-1);
    in.bias(n + w) = q(-2);
    in.w(T.col(w), 2 * n + w) = q(1);
    mid.w(w, w) = q(1);
    mid.w(n + w, w) = q(-1);
    mid.w(2 * n + w, w) = q(1);
    mid.bias(w) = q(-1);
    out.w(w, ans.col(0)) = q(1);
  }
  return Mlp{{in, mid, out}};
}

// A head whose first n query/key columns match slot position w against slot position w:
// Q[w] = query_weight * rows_w, K[w] = keys_w, V = values -> out (d_v = n). Columns n .. d_k-1 of Q and K
// are the caller's.
inline Head slotwise_head(const std::string& name, const Layout& layout, int n, int d_k, const AttentionMode& mode, const Slot& rows,
                          const Q& query_weight, const Slot& keys, const Slot& values, const Slot& out) {
  Head h = Head::zeros(name, layout, d_k, n);
  h.mode = mode;
  for (int w = 0; w < n; ++w) {
    h.query(rows, w, w, query_weight);
    h.key(keys, w, w, q(1));
    h.value(values, w, w, q(1));
    h.output(w, out, w, q(1));
  }
  return h;
}

// Head "incident": Q = K = V = P -> S. Vertex v: S = e_v + (1/(deg+1)) sum_{u in N(v)} e_u.
inline Head incident_head(const Layout& layout, const Slots& s, int n, const AttentionMode& mode) {
  return slotwise_head("incident", layout, n, n, mode, s.P, q(1), s.P, s.P, s.S);
}

// A layer whose head writes S and whose MLP (3n hidden units) adds clamp01(3n S - 1) to every slot in
// `targets` on vertex tokens (those slots must be 0 there before) and zeroes S.
inline Layer collect_layer(const Layout& layout, const Slots& s, int n, Head head, const std::vector<Slot>& targets) {
  Affine in = Affine::zeros(layout.width(), 3 * n), out = Affine::zeros(3 * n, layout.width());
  threshold_units(in, s, n, 0, true);
  for (int w = 0; w < n; ++w) {
    in.w(s.S.col(w), 2 * n + w) = q(1);
    for (const Slot& a : targets) {
      out.w(w, a.col(w)) = q(1);
      out.w(n + w, a.col(w)) = q(-1);
    }
    out.w(2 * n + w, s.S.col(w)) = q(-1);
  }
  return Layer{{std::move(head)}, Mlp{{in, out}}};
}

// Layer 1: R (and every slot in `also`) += 1_{Ball(v,1)}; S zeroed. MLP: 3n hidden units.
inline Layer incident_layer(const Layout& layout, const Slots& s, int n, const AttentionMode& mode,
                            const std::vector<Slot>& also = {}) {
  std::vector<Slot> targets{s.R};
  targets.insert(targets.end(), also.begin(), also.end());
  return collect_layer(layout, s, n, incident_head(layout, s, n, mode), targets);
}

// One head that makes S = mean of values_u (default R_u) over the vertices u with rows_v[u] = 1 (rows_v
// must be non-empty; a row with rows_v = 0 averages over every vertex).
inline Head union_head(const std::string& name, const Layout& layout, const Slots& s, int n, const AttentionMode& mode,
                       const Slot& rows, const std::optional<Slot>& values = std::nullopt) {
  Head h = slotwise_head(name, layout, n, n + 1, mode, rows, q(1), s.PV, values.value_or(s.R), s.S);
  h.query(s.type.one, 0, n, q(-1));
  h.key(s.type.one, 0, n, q(1));
  h.key(s.type.is_vertex, 0, n, q(-1));
  return h;
}

// Layers 2..: R_v <- union of R_u over rows_v (S zeroed). MLP: 4n hidden units.
inline Layer square_layer(const Layout& layout, const Slots& s, int n, const AttentionMode& mode, const Slot& rows,
                          const std::string& name) {
  Head h = union_head(name, layout, s, n, mode, rows);
  Affine in = Affine::zeros(layout.width(), 4 * n), out = Affine::zeros(4 * n, layout.width());
  threshold_units(in, s, n, 0, true);
  for (int w = 0; w < n; ++w) {
    in.w(s.S.col(w), 2 * n + w) = q(1);
    in.w(s.R.col(w), 3 * n + w) = q(1);
    out.w(w, s.R.col(w)) = q(1);
    out.w(n + w, s.R.col(w)) = q(-1);
    out.w(3 * n + w, s.R.col(w)) = q(-1);
    out.w(2 * n + w, s.S.col(w)) = q(-1);
  }
  return Layer{{h}, Mlp{{in, out}}};
}

// A layer with no attention: INV += 1/|R_v| on vertex tokens (0 elsewhere, where R = 0), by exact
// piecewise-linear interpolation on the integers s = |R_v| in 0..n: g(0) = 0, g(j) = 1/j.
// MLP: n hidden units z_j = ReLU(sum_w R_w - j), j = 0..n-1; INV += sum_j (slope_j - slope_{j-1}) z_j.
inline Layer inverse_size_layer(const Layout& layout, const Slots& s, int n, const Slot& inv) {
  Affine in = Affine::zeros(layout.width(), n), out = Affine::zeros(n, layout.width());
  const auto g = [](int j) { return j == 0 ? q(0) : q(1, j); };
  Q previous_slope(0);
  for (int j = 0; j < n; ++j) {
    for (int w = 0; w < n; ++w) in.w(s.R.col(w), j) = q(1);
    in.bias(j) = q(-j);
    const Q slope = g(j + 1) - g(j);
    out.w(j, inv.col(0)) = slope - previous_slope;
    previous_slope = slope;
  }
  return Layer{{}, Mlp{{in, out}}};
}
inline long inverse_size_params(long d, long n) { return (d * n + n) + (n * d + d); }

// Uniform attention over every token (all scores 0, so the weights are exactly 1/T in hard and in
// softmax2 mode alike): output slot i = (sum over tokens of value slot i) / T.
inline Head uniform_average_head(const std::string& name, const Layout& layout, const AttentionMode& mode,
                                 const std::vector<std::pair<Slot, Slot>>& values) {
  Head h = Head::zeros(name, layout, 1, static_cast<int>(values.size()));
  h.mode = mode;
  for (std::size_t i = 0; i < values.size(); ++i) {
    h.value(values[i].first, 0, static_cast<int>(i), q(1));
    h.output(static_cast<int>(i), values[i].second, 0, q(1));
  }
  return h;
}

// softmax2 b from the proof: 2^b >= 6 n T with T the longest sequence (n vertices, all edges, one task).
inline int proven_b(int n) {
  return ceil_log2(6L * n * max_graph_tokens(n));
}

// Parameters of incident_layer / square_layer (dense counts, as measure() counts them).
inline long incident_params(long d, long n) { return 4 * d * n + (d * 3 * n + 3 * n) + (3 * n * d + d); }
inline long square_params(long d, long n) { return 2 * d * (n + 1) + 2 * d * n + (d * 4 * n + 4 * n) + (4 * n * d + d); }

}  // namespace exactformer::reach
