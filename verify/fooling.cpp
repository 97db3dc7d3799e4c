// The one-layer lower bound, measured on a built model (verify/fooling.hpp).
#include "fooling.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "solvers.hpp"
#include "sweep.hpp"

namespace exactformer::fooling {
namespace {

constexpr int kS = 0, kT = 1;  // the gadget's s and t; x_i = i + 2

// The embedded row of one token, exactly.
RowQ embedded(const Built& built, const Token& token) { return embed_tokens(built, {token}).to_q().row(0); }

// 2^s for an integer s.
Q pow2(const Q& s) {
  const long e = ScalarTraits<Q>::to_long(s);
  return e >= 0 ? Q(Z(1) << static_cast<unsigned>(e)) : pow2_neg(static_cast<unsigned long>(-e));
}

std::string bits_of(std::uint32_t x, int q) {
  std::string s;
  for (int i = 0; i < q; ++i) s += ((x >> i) & 1U) ? '1' : '0';
  return s;
}

}  // namespace

Built gadget_model(int middle, bool shared) {
  EXACTFORMER_REQUIRE(middle >= (shared ? 2 : 1) && middle <= 20, "gadget: q out of range");
  const int slots = shared ? middle - 1 : middle;
  Built built;
  Layout& layout = built.model.layout;
  const TypeSlots type = TypeSlots::add(layout);
  const Slot C = layout.add("C", slots), U = layout.add("U", 1), ans = layout.add("ans", 1);
  const int d = layout.width();
  // Head "sum" (d_k = 1, every score 0: the task row averages all T rows): V = [C; is_task] -> [C; U].
  Head h = Head::zeros("sum", layout, 1, slots + 1);
  for (int i = 0; i < slots; ++i) {
    h.value(C, i, i, q(1));
    h.output(i, C, i, q(1));
  }
  h.value(type.is_task, 0, slots, q(1));
  h.output(slots, U, 0, q(1));
  // MLP (slots hidden units): ans += sum_i [C_i - U]+.
  Affine in = Affine::zeros(d, slots), out = Affine::zeros(slots, d);
  for (int i = 0; i < slots; ++i) {
    in.w(C.col(i), i) = q(1);
    in.w(U.col(0), i) = q(-1);
    out.w(i, ans.col(0)) = q(1);
  }
  built.model.layers.push_back(Layer{{h}, Mlp{{in, out}}});
  built.embed = [=](const Token& t, RowWriter& row) {
    type.embed(t, row);
    if (t.kind == TokenKind::edge && (t.a == kS || t.a == kT) && t.b >= 2) row.set(C, std::min(t.b - 2, slots - 1), 1);
  };
  built.decoder = Decoder{Decoder::Kind::positive_rank, {ans, U, U}};  // [ans - U + U > 0] = [ans > 0]
  built.variant = "hard, q=" + std::to_string(middle) + (shared ? ", x_(q-2) and x_(q-1) share a slot" : "");
  return built;
}

Graph gadget_graph(int q, std::uint32_t a, std::uint32_t b) {
  Graph g(q + 2);
  for (int i = 0; i < q; ++i) {
    if ((a >> i) & 1U) g.add_edge(kS, i + 2);
    if ((b >> i) & 1U) g.add_edge(i + 2, kT);
  }
  return g;
}

Measurement measure(const Built& built, int q, bool check_all) {
  Measurement m;
  m.q = q;
  m.shape = measure(built.model);
  EXACTFORMER_REQUIRE(built.model.layers.size() == 1, "the fooling-set count is defined for one layer");
  const Layer& layer = built.model.layers[0];
  const RowQ task = embedded(built, Token{TokenKind::task, kS, kT});
  // Alice's message, head by head: N_A = sum_j 2^(s_j) v_j and D_A = sum_j 2^(s_j) over her tokens {s, x_i}, a_i = 1
  // (softmax2 weights with b = 1; in the gadget model every score is 0, so every mode sends the same).
  std::vector<std::vector<Q>> weights(layer.heads.size());     // [head][i]: 2^(s_i) of Alice's token {s, x_i}
  std::vector<std::vector<RowQ>> values(layer.heads.size());   // [head][i]: its value row
  for (int i = 0; i < q; ++i) {
    const RowQ x = embedded(built, Token{TokenKind::edge, kS, i + 2});
    for (std::size_t h = 0; h < layer.heads.size(); ++h) {
      const Head& head = layer.heads[h];
      const Q s = (task * head.wq).dot(x * head.wk);
      EXACTFORMER_REQUIRE(is_integer(s), "gadget: a non-integer score has no exact 2^s weight");
      weights[h].push_back(pow2(s));
      values[h].push_back(x * head.wv);
    }
  }
  std::set<std::string> messages;
  for (std::uint32_t a = 0; a < (1U << q); ++a) {
    std::ostringstream key;
    for (std::size_t h = 0; h < layer.heads.size(); ++h) {
      const Head& head = layer.heads[h];
      RowQ numerator = RowQ::Zero(head.wv.cols());
      Q denominator(0);
      for (int i = 0; i < q; ++i) {
        if (!((a >> i) & 1U)) continue;
        const auto ii = static_cast<std::size_t>(i);
        numerator += weights[h][ii] * values[h][ii];
        denominator += weights[h][ii];
      }
      for (Eigen::Index c = 0; c < numerator.size(); ++c) {
        key << numerator(c) << ' ';
        m.message_bits = std::max(m.message_bits, bit_size(numerator(c)));
      }
      key << "/ " << denominator << " | ";
      m.message_bits = std::max(m.message_bits, bit_size(denominator));
    }
    messages.insert(key.str());
  }
  m.distinct_messages = static_cast<long>(messages.size());
  if (!check_all) return m;
  TieredEvaluator eval(built.model, true);
  const Query query{{kS, kT}};
  for (std::uint32_t a = 0; a < (1U << q); ++a)
    for (std::uint32_t b = 0; b < (1U << q); ++b) {
      const Graph g = gadget_graph(q, a, b);
      const Input x = embed_tokens(built, tokenize(g, g.edges(), query));
      int tier = 0;
      const std::optional<long> got = eval.run(built.decoder, x, x.rows - 1, tier);
      const long expected = solvers::connected(g, kS, kT) ? 1 : 0;
      ++m.inputs_checked;
      if (got != expected && !m.first_wrong)
        m.first_wrong = "a = " + bits_of(a, q) + ", b = " + bits_of(b, q) + " (" + to_graph6(g) + "): expected " +
                        std::to_string(expected) + ", got " + (got ? std::to_string(*got) : std::string("undefined"));
    }
  return m;
}

void write_markdown(std::ostream& out) {
  out << "Command: `exactformer docs` (verify/fooling.cpp). The gadget: s = 0, t = 1, middle vertices x_i = i + 2 (i < q); "
         "Alice owns the edges {s, x_i} with a_i = 1, Bob the edges {x_i, t} with b_i = 1; s and t are connected iff NOT "
         "DISJ(a, b). Proof and the argument: [../constructions/disj_gadget.md](../constructions/disj_gadget.md).\n\n"
         "In one layer the task row's head output is (N_A + N_B) / (D_A + D_B), where Alice's *message* (N_A, D_A) — her "
         "tokens' weighted values and weights, d_v + 1 numbers per head — depends on a only. The fooling set {(a, ā)} "
         "forces 2^q distinct messages on any correct model, hence H (d_v + 1) p ≥ q bits. Measured on the built model "
         "(width q + 6, one head):\n\n"
         "| q | n | d | d_v | correct on all 4^q (a, b) | distinct Alice messages | = 2^q | p (largest bit size in a message) | "
         "H (d_v + 1) p ≥ q | one slot fewer (x_(q-2), x_(q-1) share it): messages, first wrong answer |\n"
         "|---:|---:|---:|---:|---|---:|---|---:|---|---|\n";
  for (int q = 1; q <= 12; ++q) {
    const bool check_all = q <= 10;  // 4^10 = 1,048,576 graphs; 4^12 = 16,777,216 would take minutes
    const Measurement m = measure(gadget_model(q), q, check_all);
    const long heads = m.shape.heads, bits_sent = heads * (m.shape.d_v + 1) * m.message_bits;
    out << "| " << q << " | " << q + 2 << " | " << m.shape.width << " | " << m.shape.d_v << " | ";
    if (!check_all) out << "not run (4^" << q << " inputs)";
    else out << (m.first_wrong ? "**no**: " + *m.first_wrong : "yes, " + std::to_string(m.inputs_checked));
    out << " | " << m.distinct_messages << " | " << (m.distinct_messages == (1L << q) ? "yes" : "**no**") << " | " << m.message_bits
        << " | " << bits_sent << (bits_sent >= q ? " ≥ " : " < ") << q << " | ";
    if (q >= 2) {
      const Measurement narrow = measure(gadget_model(q, true), q, q <= 8);
      out << narrow.distinct_messages << " < " << (1L << q) << "; "
          << (narrow.first_wrong ? *narrow.first_wrong : (q <= 8 ? std::string("**none found**") : std::string("not run")));
    } else {
      out << "—";
    }
    out << " |\n";
  }
  out << "\nReading: the count is exactly 2^q — the fooling set's bound is met with equality, so the built model sends no "
         "more information than the task forces. Sharing one slot between two middle vertices merges messages "
         "(a_(q-2) + a_(q-1) is all Bob's side can see of them) and the model answers wrongly on a fooling pair. This is a "
         "bound on *bits*, not on width: with unbounded precision one rational can carry a whole edge set (theory caveat); "
         "with p = O(log n) bits per number it forces H (d_v + 1) = Ω(q / log n).\n";
}

}  // namespace exactformer::fooling
