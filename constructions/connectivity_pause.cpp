// s-t connectivity under causal masks, repaired by workspace pause tokens after the task token
// (LogDepthPause, made concrete; theory.md §10.5 row 9). Paper: Sanford et al. 2024 Thm 2, parallelizable
// tasks are in LogDepthPause [S]. Derivation and proof: docs/constructions/connectivity_pause.md (ours, [D]).
//
// Every head is causal (row i sees rows 0..i). J(n) = max(1, ceil(log2(n-1))) blocks of n workspace rows
// follow the task token, then one answer row: N' = J n + 1 pause tokens; block j row w holds Ball(w, 2^j).
// Slots (d = 8n + 2J + 7):
//   one, is_vertex, is_edge, is_task   type slots (pause tokens have one = 0)
//   is_pause, is_answer                pause tokens; the last one (index J n) is the answer row
//   P (n)    vertex v: e_v; edge (a,b): e_a + e_b
//   PW (n)   block row (j, w): e_w            BLK (J)  block row (j, w): e_j
//   PREV (J) block row (j, w), j >= 1: e_(j-1); answer row: e_(J-1)
//   TS, TT (n each)  task (s,t): e_s, e_t; the answer row gets them in layer 1
//   CS, CT (n each)  layer 1's copy of the task's TS, TT (scratch, zeroed by layer 1's MLP)
//   R (n)    block row (j, w): 1 on Ball(w, 2^j) after layer j + 1; 0 on absent w and on every other row
//   S (n)    scratch, zeroed by each MLP but the last          ans  the answer row's answer
// Layer 1, head "incident" (d_k = n + 1, d_v = n): Q = [2 PW; is_pause], K = [P; is_task], V = P -> S.
//   Row (j, w): 2 on vertex w and the edges at w, 1 on the task token (a sink), 0 elsewhere:
//   S has support Ball(w, 1) if w is a vertex, else S = 0 (the task's P is 0).
// Layer 1, head "copy" (d_k = 2, d_v = 2n): Q = [is_answer; is_pause - is_answer], K = [is_task; is_vertex],
//   V = [TS; TT] -> [CS; CT]: the answer row reads the task token, workspace rows read vertex tokens (zeros).
// Layer 1 MLP (9n hidden): R += clamp01(3n S - 1) gated to block 0, S, CS, CT zeroed, and on the answer row
//   TS += clamp01(4 CS - 1), TT += clamp01(4 CT - 1) (exact copies even under softmax2 leakage).
// Layers 2..J, head "square" for block j (d_k = n + 3): Q = [2 PW; 2 PREV_(j-1); -2 is_pause; is_pause],
//   K = [R; BLK_(j-1); is_pause; is_task], V = R -> S. Row (j, w) scores 2 on the rows (j-1, u) with w in
//   Ball(u, 2^(j-1)), 1 on the task token, <= 0 elsewhere. MLP (3n): R += clamp01(3n S - 1) gated to block j.
// Layer J+1, head "query": as "square" with Q reading 2 TS instead of 2 PW, and PREV_(J-1): the answer row
//   averages R over the block-(J-1) rows of Ball(s, 2^(J-1)). MLP (3n, n):
//   ans += sum_w [clamp01(3n S_w - 1) + TT_w - 1]+ = [t in Ball(s, 2^J)].
// Decoder [ans >= 1/2]. Correct on every graph with n vertices iff 2^J >= n - 1.
// softmax2(b): integer scores with gaps >= 1 and values in [0, 1]: b(n) = ceil(log2(6 n T)), T the longest
// sequence with its N' pause tokens.
#include "reach_rows.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

class ConnectivityPause final : public Construction {
 public:
  std::string name() const override { return "connectivity_pause"; }
  std::string task() const override { return "connectivity"; }
  std::string regime() const override { return regimes::log_depth_pause; }
  int max_build_n() const override { return 64; }
  std::string summary() const override {
    return "causal masks; J = ceil(log2(n-1)) blocks of n workspace pause tokens square reachability rows: L = J + 1, N' = J n + 1";
  }

  static int blocks_of(int n, const Variant& v) { return std::max(1, ceil_log2(n - 1)) + v.layers_offset; }
  static long max_tokens(int n, int blocks) { return max_graph_tokens(n) + static_cast<long>(blocks) * n + 1; }

  Shape claimed(int n, const Variant& v) const override {
    const long J = blocks_of(n, v), nn = n, d = 8 * nn + 2 * J + 7;
    Shape s;
    s.layers = static_cast<int>(J + 1);
    s.heads = 2;
    s.width = static_cast<int>(d);
    s.d_k = n + 3;
    s.d_v = 2 * n;
    s.mlp_depth = 2;
    s.mlp_width = 9 * n;
    const long layer1 = (2 * d * (nn + 1) + 2 * d * nn) + (4 * d + 4 * d * nn) + (d * 9 * nn + 9 * nn) + (9 * nn * d + d);
    const long head = 2 * d * (nn + 3) + 2 * d * nn;
    const long square = head + (d * 3 * nn + 3 * nn) + (3 * nn * d + d);
    const long query = head + (d * 3 * nn + 3 * nn) + (3 * nn * nn + nn) + (nn * d + d);
    s.params = layer1 + (J - 1) * square + query;
    s.weight_bits = bit_length_of(3L * n + 2);
    s.pause_tokens = static_cast<int>(J * n + 1);
    return s;
  }

  Built build(int n, const Variant& v) const override {
    const int J = blocks_of(n, v);
    EXACTFORMER_REQUIRE(J >= 1, name() + " needs at least one block (got " + std::to_string(J) + ")");
    Built built;
    Layout& layout = built.model.layout;
    const TypeSlots type = TypeSlots::add(layout);
    const Slot is_pause = layout.add("is_pause", 1), is_answer = layout.add("is_answer", 1);
    const Slot P = layout.add("P", n), PW = layout.add("PW", n), BLK = layout.add("BLK", J), PREV = layout.add("PREV", J);
    const Slot TS = layout.add("TS", n), TT = layout.add("TT", n), CS = layout.add("CS", n), CT = layout.add("CT", n);
    const Slot R = layout.add("R", n), S = layout.add("S", n), ans = layout.add("ans", 1);
    const int d = layout.width();
    built.model.pause_tokens = J * n + 1;
    const AttentionMode mode = v.mode(ceil_log2(6L * n * max_tokens(n, J)));
    // A block head: Q = [2 rows; 2 PREV_(j-1); -2 is_pause; is_pause], K = [R; BLK_(j-1); is_pause; is_task], V = R -> S.
    const auto block_head = [&](const std::string& hname, const Slot& rows, int j) {
      Head h = reach::slotwise_head(hname, layout, n, n + 3, mode, rows, q(2), R, R, S);
      h.query(PREV, j - 1, n, q(2));
      h.key(BLK, j - 1, n, q(1));
      h.query(is_pause, 0, n + 1, q(-2));
      h.key(is_pause, 0, n + 1, q(1));
      h.query(is_pause, 0, n + 2, q(1));
      h.key(type.is_task, 0, n + 2, q(1));
      return h;
    };

    {  // Layer 1
      Head inc = reach::slotwise_head("incident", layout, n, n + 1, mode, PW, q(2), P, P, S);
      inc.query(is_pause, 0, n, q(1));
      inc.key(type.is_task, 0, n, q(1));
      Head copy = Head::zeros("copy", layout, 2, 2 * n);
      copy.mode = mode;
      copy.query(is_answer, 0, 0, q(1));
      copy.key(type.is_task, 0, 0, q(1));
      copy.query(is_pause, 0, 1, q(1));  // workspace rows read the vertex tokens' zeros: only the answer row
      copy.query(is_answer, 0, 1, q(-1));  // (and the task row itself) depend on the query
      copy.key(type.is_vertex, 0, 1, q(1));
      for (int w = 0; w < n; ++w) {
        copy.value(TS, w, w, q(1));
        copy.value(TT, w, n + w, q(1));
        copy.output(w, CS, w, q(1));
        copy.output(n + w, CT, w, q(1));
      }
      // Hidden: [0, 2n) R clamp (block 0), [2n, 3n) ReLU(S), [3n, 5n) TS clamp, [5n, 7n) TT clamp (answer row),
      // [7n, 9n) ReLU(CS), ReLU(CT): the copy's scratch zeroed on every row (softmax2 leaves traces of the task's
      // TS there; zeroed, no row but the task and answer rows differs between two queries).
      Affine in = Affine::zeros(d, 9 * n), out = Affine::zeros(9 * n, d);
      reach::clamp_units(in, S, n, 0, BLK.col(0));  // clamp01(3n S - 1), written on block 0 only
      for (int w = 0; w < n; ++w) {
        in.w(S.col(w), 2 * n + w) = q(1);
        out.w(w, R.col(w)) = q(1);
        out.w(n + w, R.col(w)) = q(-1);
        out.w(2 * n + w, S.col(w)) = q(-1);
        for (int k = 0; k < 2; ++k) {
          const Slot& from = k == 0 ? CS : CT;
          const Slot& to = k == 0 ? TS : TT;
          const int base = 3 * n + 2 * k * n;  // units base + w = [4x - 1 - 4(1 - a)]+, base + n + w = [4x - 2 - 4(1 - a)]+
          for (int u = 0; u < 2; ++u) {
            in.w(from.col(w), base + u * n + w) = q(4);
            in.w(is_answer.col(0), base + u * n + w) = q(4);
            in.bias(base + u * n + w) = q(-5 - u);
          }
          out.w(base + w, to.col(w)) = q(1);
          out.w(base + n + w, to.col(w)) = q(-1);
          in.w(from.col(w), (7 + k) * n + w) = q(1);
          out.w((7 + k) * n + w, from.col(w)) = q(-1);
        }
      }
      built.model.layers.push_back(Layer{{inc, copy}, Mlp{{in, out}}});
    }
    for (int j = 1; j < J; ++j) {  // Layers 2..J: block j squares block j - 1
      Affine in = Affine::zeros(d, 3 * n), out = Affine::zeros(3 * n, d);
      reach::clamp_units(in, S, n, 0, BLK.col(j));
      for (int w = 0; w < n; ++w) {
        in.w(S.col(w), 2 * n + w) = q(1);
        out.w(w, R.col(w)) = q(1);
        out.w(n + w, R.col(w)) = q(-1);
        out.w(2 * n + w, S.col(w)) = q(-1);
      }
      built.model.layers.push_back(Layer{{block_head("square", PW, j)}, Mlp{{in, out}}});
    }
    {  // Layer J + 1: the answer row reads block J - 1 through s, then tests t.
      built.model.layers.push_back(Layer{{block_head("query", TS, J)}, reach::member_test_mlp(d, n, S, TT, ans)});
    }
    for (Layer& l : built.model.layers)
      for (Head& h : l.heads) h.mask = Mask::causal;
    built.variant = mode.str() + ", J=" + std::to_string(J) + " blocks, N'=" + std::to_string(built.model.pause_tokens);

    built.embed = [=](const Token& t, RowWriter& row) {
      type.embed(t, row);
      if (t.kind == TokenKind::vertex) row.set(P, t.a, 1);
      if (t.kind == TokenKind::edge) {
        row.set(P, t.a, 1);
        row.set(P, t.b, 1);
      }
      if (t.kind == TokenKind::task) {
        row.set(TS, t.a, 1);
        row.set(TT, t.b, 1);
      }
      if (t.kind == TokenKind::pause) {
        row.set(is_pause, 0, 1);
        const int block = t.a / n, w = t.a % n;
        if (block < J) {
          row.set(PW, w, 1);
          row.set(BLK, block, 1);
          if (block >= 1) row.set(PREV, block - 1, 1);
        } else {
          row.set(is_answer, 0, 1);
          row.set(PREV, J - 1, 1);
        }
      }
    };
    built.decoder = Decoder{Decoder::Kind::threshold_half, {ans}};
    if (v.proven_hard())  // the answer row's ans = [t in Ball(s, 2^J)] = [s, t connected]
      built.readout_claim = claims::st_connected;
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;  // one block (and one layer) fewer
    return {CheckSpec{
        "pause.connectivity.causal_workspace",
        "under causal masks, J = ceil(log2(n-1)) blocks of n workspace pause tokens after the task token decide s-t connectivity "
        "with L = J + 1 layers (N' = J n + 1, width 8n + 2J + 7)",
        "Sanford et al. 2024 Thm 2: parallelizable tasks are in LogDepthPause [S]; construction docs/constructions/connectivity_pause.md [D]",
        {Variant::hard(), Variant::softmax2()},
        fewer,
        "with one block fewer the radius 2^(J-1) < n - 1 misses the ends of P_n: a false 'no'",
        4,
        0,
        {},
        0,
        8,  // families to n = 8: T = n + m + 1 + N' reaches 202 tokens at n = 16 (docs page, "Cost")
    }};
  }
};

}  // namespace

std::unique_ptr<Construction> make_connectivity_pause() { return std::make_unique<ConnectivityPause>(); }

}  // namespace exactformer
