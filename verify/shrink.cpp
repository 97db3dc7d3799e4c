// Shrinking a counterexample (verify/sweep.hpp).
#include <algorithm>

#include "sweep.hpp"

namespace exactformer {

Counterexample shrink(const Construction& c, const Built& built, Counterexample cx, std::optional<long> fixed_point) {
  const Task& task = find_task(c.task());
  const auto fails = [&](const Graph& g, const Query& q) { return evaluate(built, g, g.edges(), q, true, fixed_point).fails(task.solve(g, q)); };
  if (!fails(cx.graph, cx.query)) return cx;  // fails only in its own edge order: keep it as found
  Graph g = cx.graph;
  Query q = cx.query;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [a, b] : g.edges()) {
      Graph h = g;
      h.remove_edge(a, b);
      if (fails(h, q)) {
        g = h;
        changed = true;
      }
    }
    for (int v = g.n() - 1; v >= 0 && g.n() > 1; --v) {
      if (std::find(q.args.begin(), q.args.end(), v) != q.args.end()) continue;
      Graph h = g.without_vertex(v);
      Query r = q;
      for (int& a : r.args)
        if (a > v) --a;
      if (fails(h, r)) {
        g = h;
        q = r;
        changed = true;
      }
    }
  }
  cx.graph = g;
  cx.query = q;
  cx.edge_order = g.edges();
  cx.expected = task.solve(g, q);
  const Answer a = evaluate(built, g, cx.edge_order, q, true, fixed_point);
  cx.got = a.value;
  cx.certificate = a.certificate(cx.expected);
  cx.readout = a.readout_mismatch;
  return cx;
}

}  // namespace exactformer
