// A check (verify/check.hpp): sweeps, shapes, the witness search, predictions.
#include "check.hpp"

#include <algorithm>
#include <chrono>

#include "enumerate.hpp"

namespace exactformer {

CheckResult run_check(const Construction& c, const CheckSpec& spec, const CheckOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  CheckResult r;
  r.spec = spec;
  r.construction = c.name();
  r.task = c.task();
  r.n_max = opt.n_max;
  const auto make_source = [&]() { return labelled_source(1, opt.n_max); };
  r.coverage = make_source()->describe();
  int family_n_max = opt.spec_families ? std::max(opt.family_n_max, spec.families_up_to) : opt.family_n_max;
  if (spec.families_max > 0) family_n_max = std::min(family_n_max, std::max(spec.families_max, opt.n_max));
  for (const Variant& v : spec.variants) {
    if (opt.witness_only) break;
    VariantResult vr;
    require_memory_to_build(c, opt.n_max, v);
    const Built built = c.build(opt.n_max, v);
    vr.variant = built.variant;
    vr.measured = measure(built.model);
    vr.claimed = c.claimed(opt.n_max, v);
    vr.shape_mismatch = shape_differences(vr.measured, vr.claimed);
    auto source = make_source();
    vr.labelled = run_sweep(c, built, opt.n_max, *source, opt.run);
    if (vr.labelled.failure) vr.labelled.failure = shrink(c, built, *vr.labelled.failure);
    for (const int n : family_sizes(opt.n_max, family_n_max)) {
      require_memory_to_build(c, n, v);
      const Built big = c.build(n, v);
      const auto diff = shape_differences(measure(big.model), c.claimed(n, v));
      for (const auto& d : diff) vr.shape_mismatch.push_back("n=" + std::to_string(n) + " " + d);
      std::vector<Graph> graphs;
      for (auto& f : families(n, n <= 16)) graphs.push_back(f.graph);
      auto fam = list_source(std::move(graphs), "families");
      const RunStats s = run_sweep(c, big, n, *fam, opt.run);
      vr.families.graphs += s.graphs;
      vr.families.queries += s.queries;
      vr.families.evaluations += s.evaluations;
      vr.families.int64_overflows += s.int64_overflows;
      vr.families.int128_overflows += s.int128_overflows;
      vr.families.max_activation_bits = std::max(vr.families.max_activation_bits, s.max_activation_bits);
      if (s.failure && !vr.families.failure) vr.families.failure = shrink(c, big, *s.failure);
    }
    r.variants.push_back(std::move(vr));
  }
  if (family_n_max > opt.n_max && !opt.witness_only) {
    std::string sizes;
    for (const int n : family_sizes(opt.n_max, family_n_max)) sizes += (sizes.empty() ? "" : ",") + std::to_string(n);
    r.coverage += "; families (path, cycle, star, empty, two n/2-cycles, two K4 joined by a path, binomial trees at powers of two; "
                  "clique and two cliques for n <= 16) "
                  "for n = " + sizes;
  }
  bool witness_ok = true;
  if (spec.witness && opt.n_max >= spec.witness_min_n) {
    const Built broken = c.build(opt.n_max, *spec.witness);
    r.witness_variant = broken.variant;
    RunOptions wopt = opt.run;
    wopt.stop_at_first = true;
    // Search the families on every n <= n_max first (cheap, and where depth bounds break), then every
    // labelled graph (at n >= 8 only the families are searchable in practice).
    std::vector<Graph> small;
    for (int n = 1; n <= opt.n_max; ++n)
      for (auto& f : families(n)) small.push_back(f.graph);
    auto fam = list_source(std::move(small), "families");
    RunStats s = run_sweep(c, broken, opt.n_max, *fam, wopt);
    r.witness_graphs_searched = s.graphs;
    if (!s.failure) {
      auto source = make_source();
      s = run_sweep(c, broken, opt.n_max, *source, wopt);
      r.witness_graphs_searched += s.graphs;
    }
    if (s.failure) {
      r.witness = s.failure;
      r.witness_shrunk = shrink(c, broken, *s.failure);
    }
    witness_ok = r.witness.has_value();
  }
  if (!opt.witness_only) {
    PredictionOptions popt;
    popt.n_max = opt.n_max;
    popt.labelled_n_max = opt.prediction_n_max;
    popt.family_n_max = family_n_max;
    popt.run = opt.run;
    for (const Prediction p : spec.predictions)
      for (Finding& f : run_prediction(p, c, spec, popt)) r.predictions.push_back(std::move(f));
  }
  if (opt.witness_only) r.coverage = "witness search only: " + r.coverage;
  if (spec.variants.empty() && spec.witness)  // a failure claim: the witness search is all that runs
    r.coverage = "witness search: families n ≤ " + std::to_string(opt.n_max) + ", then every labelled graph n ≤ " + std::to_string(opt.n_max) +
                 " (" + std::to_string(r.witness_graphs_searched) + " graphs searched)";
  if (spec.variants.empty() && !spec.witness) {  // a prediction-only check (the precision searches): its finding says what ran
    int n = std::min(opt.n_max, opt.prediction_n_max);
    if (spec.prediction_n_max > 0) n = std::min(n, spec.prediction_n_max);
    r.coverage = "search over every labelled graph with 1 ≤ n ≤ " + std::to_string(n) + " (see the finding)";
  }
  r.holds = witness_ok && std::all_of(r.variants.begin(), r.variants.end(), [](const VariantResult& v) { return v.holds(); }) &&
            std::all_of(r.predictions.begin(), r.predictions.end(), [](const Finding& f) { return f.holds; });
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace exactformer
