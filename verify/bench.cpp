// The benchmark (verify/bench.hpp).
#include "bench.hpp"

#include <chrono>

#include "exactformer/fraction_arith.hpp"
#include "exactformer/scaled_arith.hpp"
#include "sweep.hpp"

namespace exactformer {

BenchResult bench(const Construction& c, const Built& built, const std::vector<Graph>& graphs) {
  const Task& task = find_task(c.task());
  // Inputs are built once, outside the timed loops.
  std::vector<Input> inputs;
  for (const Graph& g : graphs) {
    const auto queries = all_queries(task, g.n());
    Input x = embed_tokens(built, tokenize(g, g.edges(), queries.front(), built.model.pause_tokens));
    for (const Query& q : queries) {
      embed_row(built, x, x.rows - 1 - built.model.pause_tokens, task_token(q));
      inputs.push_back(x);
    }
  }
  BenchResult r;
  r.pairs = static_cast<long>(inputs.size());
  std::vector<std::optional<long>> exact(inputs.size()), approx(inputs.size());
  const auto timed = [](auto&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Consecutive inputs of one graph differ only in the task row, so every path reuses what it may.
  r.seconds_double = timed([&] {
    Evaluator<Scaled<double>> e(built.model);
    for (std::size_t i = 0; i < inputs.size(); ++i) approx[i] = decode_readout(built.decoder, e.readout(inputs[i], inputs[i].rows - 1));
  });
  r.seconds_fast = timed([&] {
    TieredEvaluator e(built.model, true);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      int tier = 0;
      exact[i] = e.run(built.decoder, inputs[i], inputs[i].rows - 1, tier);
      r.int64_overflows += tier >= 1;
      r.int128_overflows += tier == 2;
    }
  });
  r.seconds_gmp = timed([&] {
    Evaluator<Fractions<Q>> e(built.model);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const auto got = decode_readout(built.decoder, e.readout(inputs[i], inputs[i].rows - 1));
      if (got != exact[i]) throw internal_error("bench: the fast exact path and GMP disagree on input " + std::to_string(i));
    }
  });
  for (std::size_t i = 0; i < inputs.size(); ++i) r.double_disagreements += approx[i] != exact[i];
  // softmax2(b) -> the natural softmax(β = b) model (sharper than b ln 2), certified at 68 bits.
  std::optional<int> b;
  for (const Layer& l : built.model.layers)
    for (const Head& h : l.heads)
      if (h.mode.kind == AttentionKind::softmax2) b = h.mode.b;
  if (b) {
    Model soft = built.model;
    for (Layer& l : soft.layers)
      for (Head& h : l.heads)
        if (h.mode.kind == AttentionKind::softmax2) h.mode = AttentionMode::softmax(Q(*b));
    r.seconds_certified = timed([&] {
      CertifiedEvaluator e(soft, 0);
      for (const Input& x : inputs)
        r.certified_undecided += e.run(built.decoder, x, x.rows - 1).decision.status != CertifiedDecision::Status::decided;
    });
  }
  return r;
}

}  // namespace exactformer
