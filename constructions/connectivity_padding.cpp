// s-t connectivity at constant width with padding tokens: n^2 pair and n^3 triple pause tokens square the
// reachability matrix in place (theory.md §6.7, "padding version", Merrill-Sabharwal flavour; LogDepthPause).
// Paper: Sanford et al. 2024 Thm 2, parallelizable tasks are in LogDepthPause [S]. Derivation and proof:
// docs/constructions/connectivity_padding.md (ours, [D]). Hard attention only (the exact-match sink scores
// -1/2, which softmax2 rejects); full attention (pairs read triples and triples read pairs, round after round).
//
// Pause tokens after the task token, by index a: a < n^2 the pair (i, j) = (a / n, a % n); a < n^2 + n^3 the
// triple (i, k, j) of a - n^2 = (i n + k) n + j; the last one (a = n^2 + n^3) the answer row: N' = n^2 + n^3 + 1.
// code(i, j) = i n + j + 1 in [1, n^2]. K(n) = max(1, ceil(log2(n-1))) rounds; L = 2K + 2.
// Slots (d = 28, every n):
//   one, is_vertex, is_edge, is_task   type slots (pause tokens have one = 0)
//   is_pause, is_pair, is_triple, is_answer
//   EC, EC2     edge (a, b): code(min, max) and its square           (the key of head "edge")
//   PC, PC2     pair (i, j): code(i, j) and its square               (the key of heads "left", "right")
//   XC, XC2     triple (i, k, j): code(i, j) and its square          (the key of head "gather")
//   QE, QE2     pair (i, j), i != j, and task (s, t), s != t: code(min, max), square   (query of "edge")
//   QP, QP2     pair (i, j): code(i, j); task (s, t): code(s, t); squares             (query of "gather")
//   QL, QL2, QR, QR2   triple (i, k, j): code(i, k), code(k, j); squares        (queries of "left", "right")
//   R      pair (i, j): R_ij = [dist(i, j) <= 2^r] after round r (embedded: [i = j]); 0 on every other row
//   A, B, T   triple scratch: R_ik, R_kj, then T = R_ik AND R_kj
//   S      gather scratch            ANS   task row: R_st (embedded: [s = t]); answer row: the answer
// Exact-match head (d_k = 4, d_v = 1): Q = [2 c; -1; -c^2; -1/2], K = [c'; c'^2; is_kind; 1 - is_kind]:
//   score -(c - c')^2 on keys of the kind (0 on an exact match, <= -1 otherwise), -1/2 on every other key.
//   A row without a query code (c = 0) averages the other kinds' rows, whose values are 0.
// Layer 1: head "edge" (QE -> EC, V = is_edge -> R): R_ij = [i = j or ij in E]. MLP (1): the task row
//   moves its R into ANS: h = [R + is_task - 1]+, ANS += h, R -= h.
// Round r, layer a: heads "left" (QL -> PC, V = R -> A), "right" (QR -> PC, V = R -> B). MLP (4):
//   T += [A + B - 1]+ - [T]+, A -= [A]+, B -= [B]+.
// Round r, layer b: head "gather" (QP -> XC, V = T -> S): pair (i, j) and the task row average the n triples
//   (i, ., j): S = #{k : R_ik AND R_kj} / n. MLP (7): with t = is_task,
//   R += [nS - nt]+ - [nS - nt - 1]+ - [R]+,  ANS += [nS + nt - n]+ - [nS + nt - n - 1]+ - [ANS]+,  S -= [S]+.
// Layer 2K + 2: head "answer" (d_k = d_v = 1): Q = 2 is_answer - one - is_pause, K = is_task, V = ANS -> ANS.
// Decoder [ANS >= 1/2]. Correct on every graph with n vertices iff 2^K >= n - 1.
// Cost: the task row's keys and values never depend on the query (its answer lives in ANS, read only by the
// readout row in the last layer), so a new query re-evaluates one row per layer.
#include <algorithm>

#include "exactformer/construction.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class ConnectivityPadding final : public Construction {
 public:
  std::string name() const override { return "connectivity_padding"; }
  std::string task() const override { return "connectivity"; }
  std::string regime() const override { return regimes::log_depth_padding; }
  std::vector<Variant> modes() const override { return {Variant::hard()}; }
  int max_build_n() const override { return 512; }  // N' = n^2 + n^3 + 1 is an int there (134 million tokens)
  std::string summary() const override {
    return "n^2 pair and n^3 triple pause tokens square the reachability matrix in place: d = 28, L = 2 ceil(log2(n-1)) + 2, "
           "N' = n^2 + n^3 + 1";
  }

  static constexpr int width = 28;
  static int rounds_of(int n, const Variant& v) { return std::max(1, ceil_log2(n - 1)) + v.layers_offset; }
  static long pause_tokens_of(int n) { return static_cast<long>(n) * n + static_cast<long>(n) * n * n + 1; }

  Shape claimed(int n, const Variant& v) const override {
    const long K = rounds_of(n, v), d = width;
    const long match_head = 2 * d * 4 + 2 * d * 1;
    Shape s;
    s.layers = static_cast<int>(2 * K + 2);
    s.heads = K >= 1 ? 2 : 1;
    s.width = width;
    s.d_k = 4;
    s.d_v = 1;
    s.mlp_depth = 1;
    s.mlp_width = K >= 1 ? 7 : 1;
    const long layer1 = match_head + (d * 1 + 1) + (1 * d + d);
    const long round_a = 2 * match_head + (d * 4 + 4) + (4 * d + d);
    const long round_b = match_head + (d * 7 + 7) + (7 * d + d);
    const long answer = 2 * d * 1 + 2 * d * 1;
    s.params = layer1 + K * (round_a + round_b) + answer;
    s.weight_bits = K >= 1 ? std::max(2, bit_length_of(n + 1)) : 2;  // the gather MLP's bias -n - 1; else Q's 2 and -1/2
    s.pause_tokens = pause_tokens_of(n);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    EXACTFORMER_REQUIRE(v.kind == AttentionKind::hard, name() + " is built in hard mode only (its exact-match sink scores -1/2)");
    const int K = rounds_of(n, v);
    EXACTFORMER_REQUIRE(K >= 0, name() + " needs at least zero rounds (got " + std::to_string(K) + ")");
    EXACTFORMER_REQUIRE(pause_tokens_of(n) < (1L << 31), name() + ": n^2 + n^3 pause tokens out of range at n = " + std::to_string(n));
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot is_pause = layout.add("is_pause", 1), is_pair = layout.add("is_pair", 1), is_triple = layout.add("is_triple", 1),
               is_answer = layout.add("is_answer", 1);
    const Slot EC = layout.add("EC", 1), EC2 = layout.add("EC2", 1), PC = layout.add("PC", 1), PC2 = layout.add("PC2", 1),
               XC = layout.add("XC", 1), XC2 = layout.add("XC2", 1);
    const Slot QE = layout.add("QE", 1), QE2 = layout.add("QE2", 1), QP = layout.add("QP", 1), QP2 = layout.add("QP2", 1),
               QL = layout.add("QL", 1), QL2 = layout.add("QL2", 1), QR = layout.add("QR", 1), QR2 = layout.add("QR2", 1);
    const Slot R = layout.add("R", 1), A = layout.add("A", 1), B = layout.add("B", 1), T = layout.add("T", 1),
               S = layout.add("S", 1), ANS = layout.add("ANS", 1);
    const int d = layout.width();
    EXACTFORMER_REQUIRE(d == width, name() + ": layout width " + std::to_string(d) + " differs from the claimed 28");
    built.model.pause_tokens = static_cast<int>(pause_tokens_of(n));
    const AttentionMode mode = AttentionMode::hard();

    // Q = [2 c; -1; -c^2; -1/2], K = [c'; c'^2; kind; 1 - kind], V = value -> out. "1" is one + is_pause (every row).
    const auto match_head = [&](const std::string& hname, const Slot& qc, const Slot& qc2, const Slot& kc, const Slot& kc2,
                                const Slot& kind, const Slot& value, const Slot& out) {
      Head h = Head::zeros(hname, layout, 4, 1);
      h.mode = mode;
      h.query(qc, 0, 0, q(2));
      h.key(kc, 0, 0, q(1));
      for (const Slot* every : {&type.one, &is_pause}) {
        h.query(*every, 0, 1, q(-1));
        h.query(*every, 0, 3, q(-1, 2));
        h.key(*every, 0, 3, q(1));
      }
      h.key(kc2, 0, 1, q(1));
      h.query(qc2, 0, 2, q(-1));
      h.key(kind, 0, 2, q(1));
      h.key(kind, 0, 3, q(-1));
      h.value(value, 0, 0, q(1));
      h.output(0, out, 0, q(1));
      return h;
    };

    {  // Layer 1: R_ij = [i = j or ij in E]; the task row's copy moves to ANS.
      Affine in = Affine::zeros(d, 1), out = Affine::zeros(1, d);
      in.w(R.col(0), 0) = q(1);
      in.w(type.is_task.col(0), 0) = q(1);
      in.bias(0) = q(-1);
      out.w(0, ANS.col(0)) = q(1);
      out.w(0, R.col(0)) = q(-1);
      built.model.layers.push_back(Layer{{match_head("edge", QE, QE2, EC, EC2, type.is_edge, type.is_edge, R)}, Mlp{{in, out}}});
    }
    for (int r = 0; r < K; ++r) {
      {  // Layer a: T = R_ik AND R_kj on triple (i, k, j).
        Affine in = Affine::zeros(d, 4), out = Affine::zeros(4, d);
        in.w(A.col(0), 0) = q(1);
        in.w(B.col(0), 0) = q(1);
        in.bias(0) = q(-1);
        in.w(T.col(0), 1) = q(1);
        in.w(A.col(0), 2) = q(1);
        in.w(B.col(0), 3) = q(1);
        out.w(0, T.col(0)) = q(1);
        out.w(1, T.col(0)) = q(-1);
        out.w(2, A.col(0)) = q(-1);
        out.w(3, B.col(0)) = q(-1);
        built.model.layers.push_back(Layer{{match_head("left", QL, QL2, PC, PC2, is_pair, R, A), match_head("right", QR, QR2, PC, PC2, is_pair, R, B)},
                                           Mlp{{in, out}}});
      }
      {  // Layer b: R_ij (pairs) or ANS (task) = [some k: T(i, k, j) = 1].
        const Q nq = q(n);
        Affine in = Affine::zeros(d, 7), out = Affine::zeros(7, d);
        for (int u = 0; u < 2; ++u) {  // units u: [nS - nt - u]+; units 3 + u: [nS + nt - n - u]+
          in.w(S.col(0), u) = nq;
          in.w(type.is_task.col(0), u) = -nq;
          in.bias(u) = q(-u);
          in.w(S.col(0), 3 + u) = nq;
          in.w(type.is_task.col(0), 3 + u) = nq;
          in.bias(3 + u) = q(-n - u);
        }
        in.w(R.col(0), 2) = q(1);
        in.w(ANS.col(0), 5) = q(1);
        in.w(S.col(0), 6) = q(1);
        out.w(0, R.col(0)) = q(1);
        out.w(1, R.col(0)) = q(-1);
        out.w(2, R.col(0)) = q(-1);
        out.w(3, ANS.col(0)) = q(1);
        out.w(4, ANS.col(0)) = q(-1);
        out.w(5, ANS.col(0)) = q(-1);
        out.w(6, S.col(0)) = q(-1);
        built.model.layers.push_back(Layer{{match_head("gather", QP, QP2, XC, XC2, is_triple, T, S)}, Mlp{{in, out}}});
      }
    }
    {  // Layer 2K + 2: the answer row reads the task row's ANS.
      Head h = Head::zeros("answer", layout, 1, 1);
      h.mode = mode;
      h.query(is_answer, 0, 0, q(2));
      h.query(type.one, 0, 0, q(-1));
      h.query(is_pause, 0, 0, q(-1));
      h.key(type.is_task, 0, 0, q(1));
      h.value(ANS, 0, 0, q(1));
      h.output(0, ANS, 0, q(1));
      built.model.layers.push_back(Layer{{h}, Mlp{}});
    }
    built.variant = mode.str() + ", K=" + std::to_string(K) + " rounds, N'=" + std::to_string(built.model.pause_tokens);

    const auto code = [n](int i, int j) { return static_cast<std::int64_t>(i) * n + j + 1; };
    const auto put = [](RowWriter& row, const Slot& c, const Slot& c2, std::int64_t value) {
      row.set(c, 0, value);
      row.set(c2, 0, value * value);
    };
    const long pairs = static_cast<long>(n) * n, triples = pairs * n;
    built.embed = [=](const Token& t, RowWriter& row) {
      type.embed(t, row);
      if (t.kind == TokenKind::edge) put(row, EC, EC2, code(std::min(t.a, t.b), std::max(t.a, t.b)));
      if (t.kind == TokenKind::task) {
        if (t.a != t.b) put(row, QE, QE2, code(std::min(t.a, t.b), std::max(t.a, t.b)));
        else row.set(ANS, 0, 1);
        put(row, QP, QP2, code(t.a, t.b));
      }
      if (t.kind != TokenKind::pause) return;
      row.set(is_pause, 0, 1);
      if (t.a < pairs) {
        const int i = t.a / n, j = t.a % n;
        row.set(is_pair, 0, 1);
        put(row, PC, PC2, code(i, j));
        put(row, QP, QP2, code(i, j));
        if (i != j) put(row, QE, QE2, code(std::min(i, j), std::max(i, j)));
        else row.set(R, 0, 1);
      } else if (t.a < pairs + triples) {
        const long x = t.a - pairs;
        const int i = static_cast<int>(x / pairs), k = static_cast<int>(x / n % n), j = static_cast<int>(x % n);
        row.set(is_triple, 0, 1);
        put(row, XC, XC2, code(i, j));
        put(row, QL, QL2, code(i, k));
        put(row, QR, QR2, code(k, j));
      } else {
        row.set(is_answer, 0, 1);
      }
    };
    built.decoder = Decoder{Decoder::Kind::threshold_half, {ANS}};
    if (v.proven_hard())  // the answer row's ANS = R_st after K rounds = [s, t connected]
      built.readout_claim = claims::st_connected;
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;  // one round (two layers) fewer
    return {CheckSpec{
        "pause.connectivity.padding_constant_width",
        "with n^2 pair and n^3 triple pause tokens and hard attention, width 28 (every n) and L = 2 ceil(log2(n-1)) + 2 layers "
        "decide s-t connectivity (N' = n^2 + n^3 + 1)",
        "Sanford et al. 2024 Thm 2: parallelizable tasks are in LogDepthPause [S]; padding construction "
        "docs/constructions/connectivity_padding.md [D]",
        {Variant::hard()},
        fewer,
        "with one round fewer the radius 2^(K-1) < n - 1 misses the ends of P_n: a false 'no'",
        3,
        0,
        {},
        0,
        8,  // families to n = 8: T = n + m + 1 + N' is 614 tokens at n = 8 and 4,490 at n = 16 (docs page, "Cost")
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_connectivity_padding() { return std::make_unique<ConnectivityPadding>(); }

}  // namespace exactformer
