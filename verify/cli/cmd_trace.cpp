// exactformer trace: one forward pass slot by slot (verify/trace.hpp).
#include <sstream>

#include "cli/commands.hpp"
#include "report.hpp"
#include "trace.hpp"

namespace exactformer::cli {

Command add_trace(CLI::App& app, const Context& ctx) {
  struct Options {
    std::string name, graph, query, json, svg;
    ModeOptions mode;
    int n = 0;
    bool all_rows = false;
  };
  auto o = std::make_shared<Options>();
  auto* trace = app.add_subcommand("trace", "one forward pass slot by slot: tokens, every sublayer's residual, decoder vs truth");
  trace->add_option("construction", o->name, "construction name")->required();
  trace->add_option("--n", o->n, "build the model for graphs with at most N vertices")->required()->check(CLI::Range(1, kMaxVertices));
  trace->add_option("--graph6", o->graph, "the graph, in graph6")->check(non_empty)->required();
  trace->add_option("--query", o->query, "the task token's vertices, e.g. 0,3 (default: the task's first query)")->check(non_empty);
  o->mode.add_to(trace);
  trace->add_flag("--all-rows", o->all_rows, "print every row, not only the readout row");
  trace->add_option("--json", o->json, "write the exactformer-trace/1 JSON to FILE")->check(non_empty);
  trace->add_option("--svg", o->svg, "write a heatmap of the residual stream (one panel per sublayer) to FILE")->check(non_empty);

  return {trace, [o, &ctx] {
      const Construction& c = ctx.registry.find(o->name);
      OutputFiles outputs;
      if (!o->json.empty()) outputs.file(o->json, "--json");
      if (!o->svg.empty()) outputs.file(o->svg, "--svg");
      const Graph g = from_graph6(o->graph);
      EXACTFORMER_REQUIRE(g.n() >= 1 && g.n() <= o->n, "the graph has " + std::to_string(g.n()) + " vertices; --n is " + std::to_string(o->n));
      const Task& task = find_task(c.task());
      Query query = all_queries(task, g.n()).front();
      if (!o->query.empty()) {
        query.args.clear();
        for (const std::string& item : split_commas(o->query))
          query.args.push_back(static_cast<int>(parse_integer(item, 0, kMaxVertices - 1, "--query")));
      }
      EXACTFORMER_REQUIRE(static_cast<int>(query.args.size()) == task.arity,
                          "--query: " + c.task() + " takes " + std::to_string(task.arity) + " vertices");
      for (int a : query.args) EXACTFORMER_REQUIRE(a >= 0 && a < g.n(), "--query: vertex " + std::to_string(a) + " is not in the graph");
      require_memory_to_build(c, o->n, o->mode.variant());
      const Built built = c.build(o->n, o->mode.variant());
      const auto certified = [&] {
        EXACTFORMER_REQUIRE(o->json.empty() && o->svg.empty(),
                            "--json and --svg hold exact values: the certified pass (softmax, or softmax2 off its invariant) prints text only");
        return print_certified_trace(ctx.out, c, built, o->n, g, query, o->mode.max_rung(), o->all_rows);
      };
      if (needs_certified(built.model)) return certified();
      std::optional<Trace> exact;
      try {
        exact = make_trace(c, built, o->n, g, query);
      } catch (const not_exact&) {
        return certified();  // softmax2 with b*score off the integers on this input
      }
      const Trace& t = *exact;
      if (!o->json.empty()) outputs.write(o->json, trace_to_json(t));
      if (!o->svg.empty()) outputs.write(o->svg, trace_to_svg(t));
      outputs.commit();
      print_trace(ctx.out, t, o->all_rows);
      return t.answer == t.truth ? 0 : 1;
  }};
}

}  // namespace exactformer::cli
