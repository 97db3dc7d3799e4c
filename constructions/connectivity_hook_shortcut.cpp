// s-t connectivity at constant width: hook and shortcut (Shiloach-Vishkin / Awerbuch-Shiloach family).
// Paper: connectivity is in LogDepth (L = O(log N), width O(N^eps)) [S]; this realises it with d = 36.
// Derivation and proof: docs/constructions/connectivity_hook_shortcut.md (ours, [D]; smallwidth.md §2-§4).
//
// Ids: vertex v has id ι(v) = v + 1 (0 = "no vertex"); σ = n + 1 = "no proposal"; M = 2σ + 2.
// Slots (d = 36; every entry an integer; squares travel with their values, never computed):
//   one, is_vertex, is_edge, is_task       type slots
//   ID, ID2    vertex: ι(v), ι(v)²           A, B     edge (a,b), a < b: ι(a), ι(b)
//   S, T       task (s,t): ι(s), ι(t)        P, P2    vertex: ι(p(v)), square (embedding: ID, ID2)
//   Pn, P2n    vertex: shortcut scratch      GP, GP2  vertex: ι(p(p(v))), square
//   D          vertex: [p(v) != p(p(v))]     NS       vertex: a depth-2 vertex hangs below v
//   U1, U1s, U2, U2s  vertex: min proposal over arcs (a,b) resp. (b,a) leaving v's tree (σ if none), squares
//   U, Us      vertex: ι(u(v)), square       HK, CS   vertex: hooks / stagnancy candidate
//   ONa, ONh   vertex: label and hook flag returned by the hooked-onto head
//   PA, PA2, PB, PB2  edge: ι(p(a)), ι(p(b)), squares     INT  edge: [p(a) = p(b)]
//   PS, PT     task: ι(p(s)), ι(p(t))        ANS      task: the answer
// Every head is a match head (d_k = 3): W_Q = [2M x | -M one | one], W_K = [a | a2 | t], so the score is
// M x² - M (x - a)² + t: nearest key a first, then the largest tie-breaker t (smallwidth.md Lemma H).
// Round i = layers 5i-4 .. 5i (steps S1-S7 of smallwidth.md §2.2), R = floor(log2 n) rounds:
//   1 read    heads GP, EA, EB (P, P2 of p(v), of a, of b); MLP 7: D, INT
//   2 gather  heads NS, U1, U2; MLP 20, 6: HK, CS, U, Us
//   3 hook    head ON; MLP 9, 6, 4: P, P2 += g (U - P), g = HK + stagnant  (S6)
//   4, 5      head SC (P of p(v) -> Pn); MLP 10 resp. 17: P <- Pn, clear the round's scratch  (S7)
// Final layer: heads RS, RT (P of s, of t -> PS, PT); MLP 3: ANS = [PS = PT]. L = 5R + 1, H = 3.
// Variant::layers_offset counts rounds (-1: R - 1 rounds, depth 5R - 4).
//
// components_hook_shortcut (smallwidth.md §8, d = 39): the same rounds; RT (vertex: is v a root; embedding 1)
// is rewritten by every MLP 5 (4 more units: width 21). Final layer: head "count" (d_k = 1), query is_task,
// key is_vertex + is_task, value (RT, is_task) -> (C1, C2): on the task row C1 = c/(n'+1), C2 = 1/(n'+1),
// c = number of roots; MLP 3: ANS = ĝ((n+1)(C1 - C2), is_task) = [one component]. Decoder C1 / C2 = c.
// (Rows other than the task row average over every token: C1, C2 are not owned; only the task row is read.)
//
// cycle_check_hook_shortcut (d = 40): the components rounds; final layer: head "average" (all scores 0,
// d_v = 3), values (RT, is_vertex, is_edge) -> (C1, C2, CE) = (c, n', |E|) / T, no MLP. Decoder positive_rank
// [CE - C2 + C1 > 0] = [|E| - n + c > 0] (a forest has |E| = n - c exactly).
#include "exactformer/construction.hpp"
#include "readout_claims.hpp"

namespace exactformer {
namespace {

struct Term {
  int col;
  Q w;
};
using Lin = std::vector<Term>;  // sum of w * input[col]

Lin operator+(Lin a, const Lin& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
Lin operator*(const Q& k, Lin a) {
  for (Term& t : a) t.w *= k;
  return a;
}
Lin operator-(const Lin& a, const Lin& b) { return a + q(-1) * b; }
Lin lin(const Slot& s) { return {{s.col(), q(1)}}; }

// A ReLU MLP assembled unit by unit: hidden layer 0 reads residual columns, hidden layer k > 0 reads the
// units of layer k - 1, the output layer reads the last hidden layer and writes residual columns.
class MlpBuilder {
 public:
  MlpBuilder(int d, std::vector<int> widths) : widths_(std::move(widths)), used_(widths_.size(), 0) {
    int in = d;
    for (int w : widths_) {
      layers_.push_back(Affine::zeros(in, w));
      in = w;
    }
    layers_.push_back(Affine::zeros(in, d));
  }
  // ReLU(in + bias) as the next unit of hidden layer k; returns its index.
  int unit(std::size_t k, const Lin& in, const Q& bias = Q(0)) {
    const int u = used_[k]++;
    EXACTFORMER_ASSERT(u < widths_[k], "hook_shortcut: hidden layer over its claimed width");
    for (const Term& t : in) layers_[k].w(t.col, u) += t.w;
    layers_[k].bias(u) += bias;
    return u;
  }
  // Output: slot += w * (last hidden layer's unit u).
  void out(int u, const Slot& s, const Q& w) { layers_.back().w(u, s.col()) += w; }
  Mlp mlp() const {
    for (std::size_t k = 0; k < widths_.size(); ++k)
      EXACTFORMER_ASSERT(used_[k] == widths_[k], "hook_shortcut: hidden layer under its claimed width");
    return Mlp{layers_};
  }

 private:
  std::vector<int> widths_, used_;
  std::vector<Affine> layers_;
};

// Units of one hidden layer (inputs in that layer's input space) for the gadgets of smallwidth.md §4.3.
// Each returns the first unit; the caller adds the output weights listed.
// ĝ(δ, g) = ReLU(δ+g) - 2 ReLU(δ) + ReLU(δ-g) = g [δ = 0]          weights +1, -2, +1
int gated_equal(MlpBuilder& m, std::size_t k, const Lin& delta, const Lin& g) {
  const int u = m.unit(k, delta + g);
  m.unit(k, delta);
  m.unit(k, delta - g);
  return u;
}
// lt(a, b) = ReLU(b - a) - ReLU(b - a - 1) = [a < b]                 weights +1, -1
int less_than(MlpBuilder& m, std::size_t k, const Lin& a, const Lin& b) {
  const int u = m.unit(k, b - a);
  m.unit(k, b - a, q(-1));
  return u;
}

class HookShortcut final : public Construction {
 public:
  enum class Readout { connectivity, components, cycles };
  explicit HookShortcut(Readout readout) : readout_(readout), count_(readout != Readout::connectivity) {}
  std::string name() const override {
    return readout_ == Readout::connectivity ? "connectivity_hook_shortcut"
           : readout_ == Readout::components ? "components_hook_shortcut"
                                             : "cycle_check_hook_shortcut";
  }
  std::string task() const override {
    return readout_ == Readout::connectivity ? "connectivity" : readout_ == Readout::components ? "component_count" : "cycle_check";
  }
  std::string doc() const override { return "docs/constructions/connectivity_hook_shortcut.md"; }
  std::string regime() const override { return regimes::log_depth; }
  std::string summary() const override {
    if (readout_ == Readout::cycles)
      return "hook and shortcut, then |E|, n and the roots c from one uniform head: cyclic iff |E| - n + c > 0; d = 40 for every n (LogDepth)";
    return count_ ? "hook and shortcut, then count the roots: L = 5 floor(log2 n) + 1, H = 3, d = 39 for every n (LogDepth)"
                  : "hook and shortcut, floor(log2 n) rounds of 5 layers: L = 5 floor(log2 n) + 1, H = 3, d = 36 for every n (LogDepth)";
  }
  int max_build_n() const override { return 4096; }
  std::vector<Variant> modes() const override { return {Variant::hard()}; }

  static int rounds(int n, const Variant& v) { return floor_log2(n) + v.layers_offset; }

  Shape claimed(int n, const Variant& v) const override {
    const int r = rounds(n, v);
    const long sigma = n + 1;
    Shape s;
    s.layers = 5 * r + 1;
    s.d_k = count_ && r == 0 ? 1 : 3;
    s.d_v = readout_ == Readout::cycles ? 3 : r >= 1 || count_ ? 2 : 1;
    s.mlp_depth = r >= 1 ? 3 : readout_ == Readout::cycles ? 0 : 1;
    // σ² (sentinel square, gate bound) and 2M = 4σ + 4 (match queries); the count readout weighs C1 by σ.
    s.weight_bits = bit_length_of(r >= 1 ? std::max(sigma * sigma, 4 * sigma + 4) : readout_ == Readout::cycles ? 1 : count_ ? sigma : 4 * sigma + 4);
    if (!count_) {
      s.heads = r >= 1 ? 3 : 2;
      s.width = 36;
      s.mlp_width = r >= 1 ? 20 : 3;
      // smallwidth.md §5 counts 7297 R + 795 without the MLP output biases; ours include them (36 per MLP).
      s.params = 7297L * r + 795 + 36L * (5 * r + 1);
      return s;
    }
    // d = 39 (cycles: 40): every dense matrix grows by 3 (4) rows or columns; MLP 5 has 4 more units; the
    // final layer is one head (d_k = 1, d_v = 2) and an MLP of 3 units (cycles: d_v = 3 and no MLP).
    const long d = readout_ == Readout::cycles ? 40 : 39;
    const long heads = 88 * d;  // per round: 8 heads with d_v = 2 (10d each), NS with d_v = 1 (8d)
    const auto mlp = [d](std::initializer_list<long> widths) {
      long p = 0, in = d;
      for (long w : widths) {
        p += in * w + w;
        in = w;
      }
      return p + in * d + d;
    };
    const long round = heads + mlp({7}) + mlp({20, 6}) + mlp({9, 6, 4}) + mlp({10}) + mlp({21});
    s.heads = r >= 1 ? 3 : 1;
    s.width = static_cast<int>(d);
    if (readout_ == Readout::cycles) {
      s.mlp_width = r >= 1 ? 21 : 0;
      s.params = r * round + (2 * d * 1 + d * 3 + 3 * d);
      return s;
    }
    s.mlp_width = r >= 1 ? 21 : 3;
    s.params = r * round + (2 * d * 1 + d * 2 + 2 * d) + mlp({3});
    return s;
  }

  // smallwidth.md §5: integers throughout; |score| <= M σ² - 2σ, activation <= σ², hidden <= 2σ² - 1.
  std::optional<ExactnessClaim> exactness(int n, const Variant&) const override {
    if (count_) return std::nullopt;  // C1, C2 are averages
    const Q sigma = q(n + 1), M = q(2L * n + 4);
    return ExactnessClaim{true, true, M * sigma * sigma - 2 * sigma, sigma * sigma, 2 * sigma * sigma - 1};
  }

  Built build(int n, const Variant& v) const override {
    EXACTFORMER_REQUIRE(v.kind == AttentionKind::hard, name() + " is built in hard attention only (see its docs page, softmax2)");
    const int R = rounds(n, v);
    EXACTFORMER_REQUIRE(R >= 0, name() + " needs at least 0 rounds (got " + std::to_string(R) + ")");
    const Q sigma = q(n + 1), sigma2 = sigma * sigma, M = q(2L * n + 4);

    Built built;
    Layout& L = built.model.layout;
    const TypeSlots type = TypeSlots::add(L);
    const Slot ID = L.add("ID", 1), ID2 = L.add("ID2", 1), A = L.add("A", 1), B = L.add("B", 1), S = L.add("S", 1),
               T = L.add("T", 1), P = L.add("P", 1), P2 = L.add("P2", 1), Pn = L.add("Pn", 1), P2n = L.add("P2n", 1),
               GP = L.add("GP", 1), GP2 = L.add("GP2", 1), D = L.add("D", 1), NS = L.add("NS", 1), U1 = L.add("U1", 1),
               U1s = L.add("U1s", 1), U2 = L.add("U2", 1), U2s = L.add("U2s", 1), U = L.add("U", 1), Us = L.add("Us", 1),
               HK = L.add("HK", 1), CS = L.add("CS", 1), ONa = L.add("ONa", 1), ONh = L.add("ONh", 1), PA = L.add("PA", 1),
               PA2 = L.add("PA2", 1), PB = L.add("PB", 1), PB2 = L.add("PB2", 1), INT = L.add("INT", 1), PS = L.add("PS", 1),
               PT = L.add("PT", 1), ANS = L.add("ANS", 1);
    const Slot RT = count_ ? L.add("RT", 1) : Slot{}, C1 = count_ ? L.add("C1", 1) : Slot{}, C2 = count_ ? L.add("C2", 1) : Slot{};
    const Slot CE = readout_ == Readout::cycles ? L.add("CE", 1) : Slot{};
    const int d = L.width();
    EXACTFORMER_ASSERT(d == (readout_ == Readout::cycles ? 40 : count_ ? 39 : 36), "hook_shortcut: the layout is not 36 (39, 40) slots");
    const Lin one = lin(type.one), isV = lin(type.is_vertex), isE = lin(type.is_edge), isT = lin(type.is_task);

    // Match head: score = 2M x a - M a2 + t; value coordinate c = values[c].first -> values[c].second.
    const auto match = [&](std::string hname, const Slot& x, const Lin& a, const Lin& a2, const Lin& t,
                           const std::vector<std::pair<Lin, Slot>>& values) {
      Head h = Head::zeros(std::move(hname), L, 3, static_cast<int>(values.size()));
      h.query(x, 0, 0, 2 * M);
      h.query(type.one, 0, 1, -M);
      h.query(type.one, 0, 2, q(1));
      for (const Term& e : a) h.wk(e.col, 0) += e.w;
      for (const Term& e : a2) h.wk(e.col, 1) += e.w;
      for (const Term& e : t) h.wk(e.col, 2) += e.w;
      for (std::size_t c = 0; c < values.size(); ++c) {
        for (const Term& e : values[c].first) h.wv(e.col, static_cast<Eigen::Index>(c)) += e.w;
        h.output(static_cast<int>(c), values[c].second, 0, q(1));
      }
      return h;
    };
    // Residual "X <- Y" (X, Y >= 0): X += ReLU(Y) - ReLU(X), Y -= ReLU(Y). 2 units.
    const auto move = [&](MlpBuilder& m, const Slot& X, const Slot& Y) {
      const int uy = m.unit(0, lin(Y)), ux = m.unit(0, lin(X));
      m.out(uy, X, q(1));
      m.out(uy, Y, q(-1));
      m.out(ux, X, q(-1));
    };
    const auto clear = [&](MlpBuilder& m, const Slot& X) { m.out(m.unit(0, lin(X)), X, q(-1)); };
    const Lin none{};

    for (int round = 0; round < R; ++round) {
      // Layer 1, read: GP = p(p(v)), PA = p(a), PB = p(b) (with squares).
      {
        std::vector<Head> heads{
            match("GP", P, lin(ID), lin(ID2), none, {{lin(P), GP}, {lin(P2), GP2}}),
            match("EA", A, lin(ID), lin(ID2), none, {{lin(P), PA}, {lin(P2), PA2}}),
            match("EB", B, lin(ID), lin(ID2), none, {{lin(P), PB}, {lin(P2), PB2}}),
        };
        MlpBuilder m(d, {7});
        // D = lt(P, GP) + lt(GP, P); INT = ĝ(PA - PB, is_edge).
        int u = less_than(m, 0, lin(P), lin(GP));
        m.out(u, D, q(1));
        m.out(u + 1, D, q(-1));
        u = less_than(m, 0, lin(GP), lin(P));
        m.out(u, D, q(1));
        m.out(u + 1, D, q(-1));
        u = gated_equal(m, 0, lin(PA) - lin(PB), isE);
        m.out(u, INT, q(1));
        m.out(u + 1, INT, q(-2));
        m.out(u + 2, INT, q(1));
        built.model.layers.push_back(Layer{std::move(heads), m.mlp()});
      }
      // Layer 2, gather: NS (S1) and the proposals U1, U2 (S2); MLP: HK (S3), CS, U = min(U1, U2).
      {
        std::vector<Head> heads{
            match("NS", ID, lin(GP), lin(GP2), lin(D), {{lin(D), NS}}),
            match("U1", ID, lin(PA) + lin(ID), lin(PA2) + lin(ID2), q(-1) * (M * lin(INT) + lin(PB) + sigma * isV),
                  {{lin(PB) + sigma * isV, U1}, {lin(PB2) + sigma2 * isV, U1s}}),
            match("U2", ID, lin(PB) + lin(ID), lin(PB2) + lin(ID2), q(-1) * (M * lin(INT) + lin(PA) + sigma * isV),
                  {{lin(PA) + sigma * isV, U2}, {lin(PA2) + sigma2 * isV, U2s}}),
        };
        MlpBuilder m(d, {20, 6});
        const int m1 = m.unit(0, lin(U1)), m2 = m.unit(0, lin(U1) - lin(U2));   // min(U1, U2) = m1 - m2
        const int s1 = m.unit(0, lin(U1s)), s2 = m.unit(0, lin(U1s) - lin(U2s));
        const int root = gated_equal(m, 0, lin(P) - lin(ID), isV);           // [p(v) = v]
        const int ns = m.unit(0, lin(NS));
        const int lt1 = less_than(m, 0, lin(U1), lin(ID)), lt2 = less_than(m, 0, lin(U2), lin(ID));
        const int gt1 = less_than(m, 0, lin(ID), lin(U1)), gt2 = less_than(m, 0, lin(ID), lin(U2));
        const int ls1 = less_than(m, 0, lin(U1), sigma * isV), ls2 = less_than(m, 0, lin(U2), sigma * isV);
        const auto bit = [](int u) { return Lin{{u, q(1)}, {u + 1, q(-1)}}; };
        const Lin alpha = Lin{{root, q(1)}, {root + 1, q(-2)}, {root + 2, q(1)}, {ns, q(-1)}};  // SR(v) iff alpha = 1
        // HK = clamp01(2 alpha + lt1 + lt2 - 2); CS = clamp01(4 alpha + 2 gt1 + 2 gt2 + ls1 + ls2 - 8).
        const Lin hk = q(2) * alpha + bit(lt1) + bit(lt2);
        const Lin cs = q(4) * alpha + q(2) * bit(gt1) + q(2) * bit(gt2) + bit(ls1) + bit(ls2);
        const int h1 = m.unit(1, hk, q(-2)), h2 = m.unit(1, hk, q(-3));
        const int c1 = m.unit(1, cs, q(-8)), c2 = m.unit(1, cs, q(-9));
        const int uu = m.unit(1, Lin{{m1, q(1)}, {m2, q(-1)}}), us = m.unit(1, Lin{{s1, q(1)}, {s2, q(-1)}});
        m.out(h1, HK, q(1));
        m.out(h2, HK, q(-1));
        m.out(c1, CS, q(1));
        m.out(c2, CS, q(-1));
        m.out(uu, U, q(1));
        m.out(us, Us, q(1));
        built.model.layers.push_back(Layer{std::move(heads), m.mlp()});
      }
      // Layer 3, hook: ON (S4); MLP: g = HK + [CS and not ON] (S3, S5), P += g (U - P) (S6).
      {
        std::vector<Head> heads{match("ON", ID, lin(U), lin(Us), q(2) * lin(U) + lin(HK), {{lin(U), ONa}, {lin(HK), ONh}})};
        MlpBuilder m(d, {9, 6, 4});
        const int on = gated_equal(m, 0, lin(ONa) - lin(ID), lin(ONh));
        const int cs = m.unit(0, lin(CS)), hk = m.unit(0, lin(HK)), u = m.unit(0, lin(U)), us = m.unit(0, lin(Us)),
                  p = m.unit(0, lin(P)), p2 = m.unit(0, lin(P2));
        const Lin on_bit{{on, q(1)}, {on + 1, q(-2)}, {on + 2, q(1)}};
        const int hk2 = m.unit(1, Lin{{hk, q(1)}});
        const int stag = m.unit(1, Lin{{cs, q(1)}} - on_bit);
        const int zp = m.unit(1, Lin{{u, q(1)}, {p, q(-1)}}), zm = m.unit(1, Lin{{p, q(1)}, {u, q(-1)}});
        const int sp = m.unit(1, Lin{{us, q(1)}, {p2, q(-1)}}), sm = m.unit(1, Lin{{p2, q(1)}, {us, q(-1)}});
        // gate(g, z; B) = ReLU(z - B(1 - g)) - ReLU(-z - B(1 - g)), |z| <= B.
        const Lin g{{hk2, q(1)}, {stag, q(1)}};
        const Lin z{{zp, q(1)}, {zm, q(-1)}}, zs{{sp, q(1)}, {sm, q(-1)}};
        const int g1 = m.unit(2, z + sigma * g, -sigma), g2 = m.unit(2, q(-1) * z + sigma * g, -sigma);
        const int g3 = m.unit(2, zs + sigma2 * g, -sigma2), g4 = m.unit(2, q(-1) * zs + sigma2 * g, -sigma2);
        m.out(g1, P, q(1));
        m.out(g2, P, q(-1));
        m.out(g3, P2, q(1));
        m.out(g4, P2, q(-1));
        built.model.layers.push_back(Layer{std::move(heads), m.mlp()});
      }
      // Layers 4 and 5, shortcut (S7): Pn = P of p(v); P <- Pn; clear the round's scratch.
      for (int s = 0; s < 2; ++s) {
        std::vector<Head> heads{match("SC", P, lin(ID), lin(ID2), none, {{lin(P), Pn}, {lin(P2), P2n}})};
        MlpBuilder m(d, {s == 0 ? 10 : count_ ? 21 : 17});
        move(m, P, Pn);
        move(m, P2, P2n);
        if (s == 1 && count_) {  // RT = [the new pointer is v itself]: clear, then ĝ(Pn - ID, is_vertex)
          clear(m, RT);
          const int u = gated_equal(m, 0, lin(Pn) - lin(ID), isV);
          m.out(u, RT, q(1));
          m.out(u + 1, RT, q(-2));
          m.out(u + 2, RT, q(1));
        }
        const std::vector<Slot> scratch = s == 0 ? std::vector<Slot>{U, Us, HK, CS, ONa, ONh}
                                                 : std::vector<Slot>{GP, GP2, D, NS, U1, U1s, U2, U2s, PA, PA2, PB, PB2, INT};
        for (const Slot& x : scratch) clear(m, x);
        built.model.layers.push_back(Layer{std::move(heads), m.mlp()});
      }
    }
    if (readout_ == Readout::cycles) {
      // Final layer: all scores 0 (weights exactly 1/T): C1 = roots / T, C2 = n' / T, CE = |E| / T.
      Head h = Head::zeros("average", L, 1, 3);
      h.value(RT, 0, 0, q(1));
      h.value(type.is_vertex, 0, 1, q(1));
      h.value(type.is_edge, 0, 2, q(1));
      h.output(0, C1, 0, q(1));
      h.output(1, C2, 0, q(1));
      h.output(2, CE, 0, q(1));
      built.model.layers.push_back(Layer{{h}, {}});
    } else if (count_) {
      // Final layer: C1 = roots / (n' + 1), C2 = 1 / (n' + 1) on the task row; ANS = ĝ((n+1)(C1 - C2), is_task).
      Head h = Head::zeros("count", L, 1, 2);
      h.query(type.is_task, 0, 0, q(1));
      h.key(type.is_vertex, 0, 0, q(1));
      h.key(type.is_task, 0, 0, q(1));
      h.value(RT, 0, 0, q(1));
      h.value(type.is_task, 0, 1, q(1));
      h.output(0, C1, 0, q(1));
      h.output(1, C2, 0, q(1));
      MlpBuilder m(d, {3});
      const int u = gated_equal(m, 0, sigma * (lin(C1) - lin(C2)), isT);
      m.out(u, ANS, q(1));
      m.out(u + 1, ANS, q(-2));
      m.out(u + 2, ANS, q(1));
      built.model.layers.push_back(Layer{{h}, m.mlp()});
    } else {
      // Final layer: PS = P of s, PT = P of t; ANS = ĝ(PS - PT, is_task).
      std::vector<Head> heads{match("RS", S, lin(ID), lin(ID2), none, {{lin(P), PS}}),
                              match("RT", T, lin(ID), lin(ID2), none, {{lin(P), PT}})};
      MlpBuilder m(d, {3});
      const int u = gated_equal(m, 0, lin(PS) - lin(PT), isT);
      m.out(u, ANS, q(1));
      m.out(u + 1, ANS, q(-2));
      m.out(u + 2, ANS, q(1));
      built.model.layers.push_back(Layer{std::move(heads), m.mlp()});
    }
    built.variant = "hard, R=" + std::to_string(R) + " rounds, L=" + std::to_string(5 * R + 1);
    built.pointer_rounds = PointerRounds{{}, P, P2};
    for (int k = 1; k <= R; ++k) built.pointer_rounds->after_layer.push_back(5 * k);  // round k ends at layer 5k
    const bool count = count_;
    built.embed = [count, type, ID, ID2, A, B, S, T, P, P2, RT](const Token& t, RowWriter& row) {
      type.embed(t, row);
      if (t.kind == TokenKind::vertex) {
        const long id = t.a + 1;
        if (count) row.set(RT, 0, 1);
        row.set(ID, 0, id);
        row.set(ID2, 0, id * id);
        row.set(P, 0, id);
        row.set(P2, 0, id * id);
      } else if (t.kind == TokenKind::edge) {
        row.set(A, 0, t.a + 1);
        row.set(B, 0, t.b + 1);
      } else if (t.kind == TokenKind::task && !count) {
        row.set(S, 0, t.a + 1);
        row.set(T, 0, t.b + 1);
      }
    };
    built.decoder = readout_ == Readout::cycles ? Decoder{Decoder::Kind::positive_rank, {CE, C2, C1}}  // [|E| - n + c > 0]
                    : count_                    ? Decoder{Decoder::Kind::exact_ratio, {C1, C2}}
                                                : Decoder{Decoder::Kind::threshold_half, {ANS}};
    if (v.proven_hard())  // connectivity: ANS = [s, t connected]; components: (C1, C2) = (c, 1)/(n' + 1); cycles: (CE, C2, C1) = (|E|, n', c)/T
      switch (readout_) {
        case Readout::connectivity: built.readout_claim = claims::st_connected; break;
        case Readout::components:
          built.readout_claim = [](const Graph& g, const Query&) {
            return std::vector<Q>{claims::ratio(claims::components(g), g.n() + 1), claims::ratio(1, g.n() + 1)};
          };
          break;
        case Readout::cycles: built.readout_claim = claims::edges_vertices_components; break;
      }
    return built;
  }

  std::vector<CheckSpec> checks() const override {
    Variant fewer;
    fewer.layers_offset = -1;
    if (readout_ == Readout::cycles)
      return {CheckSpec{
          "parallel.cycle_check.constant_width",
          "hook and shortcut, then |E|, n and the root count c from one uniform head decide [the graph has a cycle] = [|E| - n + c > 0] "
          "with floor(log2 n) rounds, d = 40 for every n",
          "Sanford et al. 2024: cycle check is parallelizable, in LogDepth [S]; construction docs/constructions/connectivity_hook_shortcut.md [D]",
          {Variant::hard()},
          fewer,
          "with floor(log2 n) - 1 rounds an unfinished tree keeps two roots: c is too high and a tree reads as cyclic",
          2,
          16,
      }};
    if (count_)
      return {CheckSpec{
          "parallel.components.constant_width",
          "hook and shortcut then a root count gives the number of components with floor(log2 n) rounds, d = 39 for every n",
          "Sanford et al. 2024: component counting is parallelizable; 1 vs 2 cycles is Conjecture 13's instance [S]; "
          "construction smallwidth.md §8, docs/constructions/connectivity_hook_shortcut.md [D]",
          {Variant::hard()},
          fewer,
          "with floor(log2 n) - 1 rounds an unfinished component still has two roots: the count is too high",
          2,
          16,
          {Prediction::hook_shortcut_cycles},
      }};
    return {CheckSpec{
        "parallel.connectivity.constant_width",
        "hook and shortcut decides s-t connectivity for every pair with floor(log2 n) rounds, L = 5 floor(log2 n) + 1, d = 36 for every n",
        "Sanford et al. 2024: connectivity is in LogDepth [S]; construction smallwidth.md §2-§4, docs/constructions/connectivity_hook_shortcut.md [D]",
        {Variant::hard()},
        fewer,
        "with floor(log2 n) - 1 rounds the binomial tree G_R (R = floor(log2 n)) is not finished: a false 'no' on (0, 1)",
        2,
        64,  // families to n = 64: binomial trees G_k (k <= 6), paths, cycles, two cycles
        {Prediction::exactness, Prediction::hook_shortcut_rounds},
    }};
  }

 private:
  Readout readout_;
  bool count_;  // components or cycles: the rounds also track RT = [v is a root]
};

}  // namespace

std::unique_ptr<Construction> make_connectivity_hook_shortcut() { return std::make_unique<HookShortcut>(HookShortcut::Readout::connectivity); }
std::unique_ptr<Construction> make_components_hook_shortcut() { return std::make_unique<HookShortcut>(HookShortcut::Readout::components); }
std::unique_ptr<Construction> make_cycle_check_hook_shortcut() { return std::make_unique<HookShortcut>(HookShortcut::Readout::cycles); }

}  // namespace exactformer
