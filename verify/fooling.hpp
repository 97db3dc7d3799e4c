// The one-layer lower bound, measured on a built model (docs/results/fooling.md, written by `docs`).
//
// The gadget with q middle vertices: s = 0, t = 1, x_i = i + 2 (i < q). Alice owns the edges {s, x_i} with
// a_i = 1, Bob the edges {x_i, t} with b_i = 1: s and t are connected iff NOT DISJ(a, b). In one layer the
// task token's head output is (N_A + N_B) / (D_A + D_B), where Alice's part (N_A, D_A) — her tokens'
// weighted values and weights — depends on a only. Whatever the model, for a != a' the pairs (a, complement
// of a) and (a', complement of a') are a fooling set: a correct model must give the 2^q edge sets of Alice
// 2^q different messages, i.e. q bits, so H (d_v + 1) p >= q with p bits per number.
//
// gadget_model(q, shared) builds a one-layer, width q + 6 model that decides the gadget (one uniform head,
// C_i = (a_i + b_i) / T', U = 1 / T', ans = sum_i [C_i - U]+ > 0); with shared = true the last two middle
// vertices share one slot (width q + 5): one slot fewer, and it must fail.
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "exactformer/construction.hpp"

namespace exactformer::fooling {

Built gadget_model(int middle, bool shared = false);  // middle = q

// The gadget graph on q + 2 vertices for Alice's bits a and Bob's bits b (bit i: x_i).
Graph gadget_graph(int q, std::uint32_t a, std::uint32_t b);

struct Measurement {
  int q = 0;
  Shape shape;
  long distinct_messages = 0;  // distinct (N_A, D_A) over Alice's 2^q edge sets, every head
  int message_bits = 0;        // largest bit size of a numerator or denominator in any message
  long inputs_checked = 0;     // (a, b) pairs run through the evaluator (0: not run at this q)
  std::optional<std::string> first_wrong;  // "a=..., b=...: expected 0, got 1" on the first wrong (a, b)
};

// Alice's messages over all 2^q edge sets, and (if check_all) the model's answer on all 4^q pairs (a, b)
// against breadth-first search.
Measurement measure(const Built& built, int q, bool check_all);

// Markdown for docs/results/fooling.md (without the file header).
void write_markdown(std::ostream& out);

}  // namespace exactformer::fooling
