// Predictions (verify/predictions.hpp).
#include "predictions.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include "audit.hpp"
#include "enumerate.hpp"
#include "hook_shortcut.hpp"
#include "pool.hpp"
#include "precision.hpp"

namespace exactformer {
namespace {

std::string fmt(long x) {
  std::string s = std::to_string(x), o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0 && s[i - 1] != '-') o += ',';
    o += s[i];
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------
// exactness

// Audits every query of every graph (or the sampled queries) through the model built for n.
AuditStats audit_graphs(const Built& built, const Task& task, const std::vector<Graph>& graphs, bool every_query, int jobs) {
  const Auditor auditor(built.model);
  std::vector<AuditStats> per(graphs.size());
  parallel_for(graphs.size(), jobs, 1, [&](std::size_t i, int) {
    const Graph& g = graphs[i];
    const std::vector<Query> all = all_queries(task, g.n());
    std::vector<Query> queries = all;
    if (!every_query) {
      queries.clear();
      const std::size_t n = static_cast<std::size_t>(g.n());
      for (std::size_t k : {std::size_t{1}, n, n - 1})  // arity 2: (0, 1), (1, 0), (0, n-1)
        if (k < all.size()) queries.push_back(all[k]);
      if (queries.empty()) queries.push_back(all.front());
    }
    for (const Query& q : queries) auditor.run(embed_tokens(built, tokenize(g, g.edges(), q, built.model.pause_tokens)), per[i]);
  });
  AuditStats total;
  for (const AuditStats& s : per) total.merge(s);
  return total;
}

std::vector<Finding> exactness(const Construction& c, const CheckSpec& spec, const PredictionOptions& opt) {
  const Task& task = find_task(c.task());
  std::vector<Finding> out;
  for (const Variant& v : spec.variants) {
    if (v.kind != AttentionKind::hard) continue;
    const std::optional<ExactnessClaim> claim = c.exactness(opt.n_max, v);
    EXACTFORMER_ASSERT(claim.has_value(), c.name() + " makes no exactness claim for the prediction \"exactness\"");
    const Built built = c.build(opt.n_max, v);
    // Every labelled graph up to n = min(n_max, labelled_n_max), every query.
    const int n_lab = std::min(opt.n_max, opt.labelled_n_max);
    const AuditStats st = audit_graphs(built, task, labelled_graphs(1, n_lab), true, opt.run.jobs);
    // Families beyond n_max, each through its own model, against its own n's claim.
    AuditStats fam;
    std::string fam_sizes, over;
    for (const int n : family_sizes(opt.n_max, std::min(opt.family_n_max, 32))) {
      std::vector<Graph> graphs;
      for (auto& f : families(n, n <= 16)) graphs.push_back(f.graph);
      const AuditStats s = audit_graphs(c.build(n, v), task, graphs, false, opt.run.jobs);
      const ExactnessClaim cn = *c.exactness(n, v);
      const auto exceeds = [](const Q& got, const Q& bound) { return bound != 0 && got > bound; };
      if (exceeds(s.max_score, cn.max_score) || exceeds(s.max_activation, cn.max_activation) || exceeds(s.max_hidden, cn.max_hidden))
        over += (over.empty() ? "" : ", ") + std::to_string(n);
      fam.merge(s);
      fam_sizes += (fam_sizes.empty() ? "" : ",") + std::to_string(n);
    }
    const std::string where = fmt(st.passes) + " forward passes (every labelled graph, n ≤ " + std::to_string(n_lab) + ", every query)" +
                              (fam_sizes.empty() ? "" : " + " + fmt(fam.passes) + " on families, n = " + fam_sizes +
                                                                            " (queries (0,1), (1,0), (0,n-1))");
    AuditStats both = st;
    both.merge(fam);
    const std::string tiers = both.gmp_passes ? " (" + fmt(both.gmp_passes) + " redone in GMP after an int64 overflow)" : "";
    if (claim->integers)
      out.push_back({"exactness.integers", "every score, residual entry and hidden pre-activation is an integer (hard)",
                     both.non_integers == 0,
                     fmt(both.non_integers) + " non-integers in " + where + tiers + (both.non_integers ? "; first: " + both.first_problem : "")});
    if (claim->homogeneous_argmax)
      out.push_back({"exactness.homogeneous_argmax", "every argmax set carries one value vector: no output is an average",
                     both.inhomogeneous == 0,
                     fmt(both.inhomogeneous) + " inhomogeneous argmax sets in " + where + (both.inhomogeneous ? "; first: " + both.first_problem : "")});
    const auto bound = [&](const char* what, const Q& got, const Q& b) {
      return std::string(what) + " " + to_string(got) + " ≤ " + to_string(b) + (got == b ? " (attained)" : got > b ? " (**EXCEEDED**)" : "");
    };
    const bool within = (claim->max_score == 0 || st.max_score <= claim->max_score) &&
                        (claim->max_activation == 0 || st.max_activation <= claim->max_activation) &&
                        (claim->max_hidden == 0 || st.max_hidden <= claim->max_hidden) && over.empty();
    out.push_back({"exactness.magnitudes", "|score|, |activation|, |hidden pre-activation| within the claimed bounds for the model built for n",
                   within,
                   "n = " + std::to_string(opt.n_max) + ": " + bound("|score|", st.max_score, claim->max_score) + ", " +
                       bound("activation", st.max_activation, claim->max_activation) + ", " +
                       bound("hidden", st.max_hidden, claim->max_hidden) +
                       (fam_sizes.empty() ? "" : over.empty() ? "; families within their n's bounds" : "; families EXCEED at n = " + over)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// hook_shortcut_rounds (connectivity_hook_shortcut: R = floor(log2 n) rounds, Built::pointer_rounds)

int rounds_of(const Built& b) {
  EXACTFORMER_ASSERT(b.pointer_rounds.has_value(), "the prediction hook_shortcut_rounds needs Built::pointer_rounds");
  return static_cast<int>(b.pointer_rounds->after_layer.size());
}

std::vector<Finding> hook_shortcut_predictions(const Construction& c, const CheckSpec&, const PredictionOptions& opt) {
  std::vector<Finding> out;
  const int n_max = opt.n_max;
  const int n_lab = std::min(n_max, opt.labelled_n_max);
  const int R = rounds_of(c.build(n_max, Variant::hard()));
  RunOptions ro = opt.run;
  ro.stop_at_first = false;
  const auto with_rounds = [&](int r) {
    Variant v;
    v.layers_offset = r - R;
    return v;
  };

  // Depths below the bound: per n, every labelled graph, every query, every wrong answer counted.
  std::vector<std::vector<RunStats>> below;  // [r][n]
  const int r_top = std::max(R - 1, 1);
  for (int r = 0; r <= r_top; ++r) {
    const Built b = c.build(n_max, with_rounds(r));
    below.emplace_back(static_cast<std::size_t>(n_lab + 1));
    for (int n = 1; n <= n_lab; ++n) {
      auto source = labelled_source(n, n);
      below.back()[static_cast<std::size_t>(n)] = run_sweep(c, b, n_max, *source, ro);
    }
  }

  // (b) one round: the graphs the model gets wrong are exactly the graphs the reference needs 2 rounds for.
  {
    std::string measured;
    bool holds = true;
    for (int n = 1; n <= n_lab; ++n) {
      long reference = 0;
      for (std::uint64_t i = 0; i < labelled_count(n); ++i) reference += hook_shortcut::rounds_needed(labelled_graph(n, i)) >= 2;
      const RunStats& s = below[1][static_cast<std::size_t>(n)];
      holds = holds && s.failing_graphs == reference;
      measured += (measured.empty() ? "" : "; ") + std::string("n = ") + std::to_string(n) + ": " + fmt(s.failing_graphs) +
                  (s.failing_graphs == reference ? " = " : " ≠ ") + fmt(reference);
    }
    out.push_back({"hook_shortcut.one_round_counts",
                   "with R = 1 round, the labelled graphs answered wrongly on some query are exactly as many as the graphs the "
                   "reference S1-S7 needs 2 rounds for (smallwidth.md §9 row 10)",
                   holds, "model failing graphs = reference count: " + measured});
  }

  // (c) one-sided errors at every depth below the bound.
  {
    std::string measured;
    bool holds = true;
    for (int r = 0; r <= r_top; ++r) {
      long graphs = 0, yes = 0, no = 0, undefined = 0;
      for (int n = 1; n <= n_lab; ++n) {
        const RunStats& s = below[static_cast<std::size_t>(r)][static_cast<std::size_t>(n)];
        graphs += s.failing_graphs;
        yes += s.answered_above;
        no += s.answered_below;
        undefined += s.answered_undefined;
      }
      holds = holds && yes == 0 && undefined == 0;
      measured += (measured.empty() ? "" : "; ") + std::string("R = ") + std::to_string(r) + ": " + fmt(no) + " false 'no', " + fmt(yes) +
                  " false 'yes' (" + fmt(graphs) + " graphs)";
    }
    out.push_back({"hook_shortcut.one_sided", "below the bound the only errors are false 'no' (smallwidth.md §9 row 4)", holds,
                   "every labelled graph n ≤ " + std::to_string(n_lab) + ", every query, per edge order: " + measured});
  }

  // (d) per-round pointer state: P after layer 5k = ι(p_k) of the reference, P2 = P², for k = 1..R.
  {
    std::vector<std::pair<int, Graph>> cases;  // (model n, graph)
    for (const Graph& g : labelled_graphs(1, n_lab)) cases.emplace_back(n_max, g);
    for (const int n : family_sizes(n_max, opt.family_n_max))
      for (auto& f : families(n, n <= 16)) cases.emplace_back(n, f.graph);
    std::map<int, Built> models;
    std::map<int, std::unique_ptr<Auditor>> auditors;
    for (const auto& [n, g] : cases)
      if (!models.count(n)) auditors.emplace(n, std::make_unique<Auditor>(models.emplace(n, c.build(n, Variant::hard())).first->second.model));
    std::vector<std::string> mismatch(cases.size());
    std::vector<long> compared(cases.size(), 0);
    parallel_for(cases.size(), opt.run.jobs, 1, [&](std::size_t i, int) {
      const auto& [n, g] = cases[i];
      const Built& b = models.at(n);
      const PointerRounds& pr = *b.pointer_rounds;
      const int rounds = rounds_of(b);
      const int P = pr.pointer.col(), P2 = pr.pointer_squared.col();
      AuditStats unused;
      std::vector<MatQ> after;
      auditors.at(n)->run(embed_tokens(b, tokenize(g, g.edges(), Query{{0, 0}}, b.model.pause_tokens)), unused, &after);
      const std::vector<hook_shortcut::Pointer> p = hook_shortcut::rounds(g, rounds);
      for (int k = 1; k <= rounds && mismatch[i].empty(); ++k) {
        const int layer = pr.after_layer[static_cast<std::size_t>(k - 1)];
        const MatQ& x = after[static_cast<std::size_t>(layer - 1)];
        for (int v = 0; v < g.n(); ++v) {
          const Q id(p[static_cast<std::size_t>(k)][static_cast<std::size_t>(v)] + 1);
          if (x(v, P) != id || x(v, P2) != id * id) {
            mismatch[i] = to_graph6(g) + " round " + std::to_string(k) + " (layer " + std::to_string(layer) + ") vertex " +
                          std::to_string(v) + ": P = " + to_string(x(v, P)) + ", P2 = " + to_string(x(v, P2)) +
                          ", reference ι(p(v)) = " + to_string(id);
            break;
          }
        }
        ++compared[i];
      }
    });
    long rounds = 0;
    std::string first;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      rounds += compared[i];
      if (first.empty()) first = mismatch[i];
    }
    out.push_back({"hook_shortcut.round_state",
                   "after layer 5k, slot P on every vertex row is ι(p_k(v)) of the reference S1-S7 and P2 = P² (smallwidth.md §9 row 5)",
                   first.empty(),
                   fmt(static_cast<long>(cases.size())) + " graphs (every labelled graph n ≤ " + std::to_string(n_lab) +
                       " and the families), " + fmt(rounds) + " round states compared" + (first.empty() ? ", all equal" : "; first difference: " + first)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// hook_shortcut_cycles (components_hook_shortcut: one m-cycle vs two m/2-cycles, smallwidth.md §8)

Graph cycle_through(const std::vector<int>& order, int n) {
  Graph g(n);
  for (std::size_t i = 0; i < order.size(); ++i) g.add_edge(order[i], order[(i + 1) % order.size()]);
  return g;
}

// Cyclic orders of `vertices` up to rotation and reflection: the smallest first, then second < last.
std::vector<std::vector<int>> cyclic_orders(std::vector<int> vertices) {
  std::sort(vertices.begin(), vertices.end());
  std::vector<int> rest(vertices.begin() + 1, vertices.end());
  std::vector<std::vector<int>> out;
  do {
    if (rest.size() >= 2 && rest.front() > rest.back()) continue;
    std::vector<int> o{vertices.front()};
    o.insert(o.end(), rest.begin(), rest.end());
    out.push_back(std::move(o));
  } while (std::next_permutation(rest.begin(), rest.end()));
  return out;
}

// Every labelling of C_m: (m-1)!/2 graphs.
std::vector<Graph> cycle_labellings(int m) {
  std::vector<int> all(static_cast<std::size_t>(m));
  std::iota(all.begin(), all.end(), 0);
  std::vector<Graph> out;
  for (const auto& o : cyclic_orders(all)) out.push_back(cycle_through(o, m));
  return out;
}

// Every labelling of two disjoint h-cycles, m = 2h: C(m-1, h-1) ((h-1)!/2)² graphs.
std::vector<Graph> two_cycle_labellings(int m) {
  const int h = m / 2;
  std::vector<Graph> out;
  for (std::uint32_t mask = 0; mask < (1U << m); ++mask) {
    if (!(mask & 1U) || std::popcount(mask) != h) continue;  // the cycle through 0
    std::vector<int> first, second;
    for (int v = 0; v < m; ++v) ((mask >> v) & 1U ? first : second).push_back(v);
    const auto a = cyclic_orders(first), b = cyclic_orders(second);
    for (const auto& x : a)
      for (const auto& y : b) {
        Graph g = cycle_through(x, m);
        for (std::size_t i = 0; i < y.size(); ++i) g.add_edge(y[i], y[(i + 1) % y.size()]);
        out.push_back(g);
      }
  }
  return out;
}

std::vector<Graph> sampled(int m, bool two, int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Graph> out;
  for (int k = 0; k < count; ++k) {
    std::vector<int> perm(static_cast<std::size_t>(m));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    if (!two) {
      out.push_back(cycle_through(perm, m));
      continue;
    }
    const auto mid = perm.begin() + m / 2;
    Graph g = cycle_through(std::vector<int>(perm.begin(), mid), m);
    const std::vector<int> y(mid, perm.end());
    for (std::size_t i = 0; i < y.size(); ++i) g.add_edge(y[i], y[(i + 1) % y.size()]);
    out.push_back(g);
  }
  return out;
}

std::vector<Finding> hook_shortcut_cycles(const Construction& c, const CheckSpec&, const PredictionOptions& opt) {
  const int exhaustive_up_to = std::min(10, opt.n_max + 4), sampled_up_to = opt.n_max >= 6 ? 16 : 0;
  RunOptions ro = opt.run;
  ro.stop_at_first = false;
  ro.edge_orders = 1;
  bool holds = true;
  std::string measured;
  for (int m = 3; m <= std::max(exhaustive_up_to, sampled_up_to); ++m) {
    const bool exhaustive = m <= exhaustive_up_to;
    const int bound = floor_log2(m);
    for (const bool two : {false, true}) {
      if (two && (m % 2 != 0 || m < 6)) continue;
      const std::vector<Graph> graphs = exhaustive ? (two ? two_cycle_labellings(m) : cycle_labellings(m))
                                                   : sampled(m, two, 300, std::uint64_t{1000003} * static_cast<std::uint64_t>(m) + (two ? 1U : 0U));
      int reference = 0;
      for (const Graph& g : graphs) reference = std::max(reference, hook_shortcut::rounds_needed(g));
      // The model's least number of rounds that counts every labelling right; errors below it overcount only.
      int least = -1;
      long overcounts = 0, other_errors = 0;
      for (int r = 1; r <= bound && least < 0; ++r) {
        Variant v;
        v.layers_offset = r - bound;
        auto source = list_source(graphs, "labellings");
        const RunStats st = run_sweep(c, c.build(m, v), m, *source, ro);
        if (st.failing_graphs == 0) least = r;
        overcounts += st.answered_above;
        other_errors += st.answered_below + st.answered_undefined + st.readout_mismatches;
      }
      bool at_bound = least == bound;
      if (least >= 1 && least < bound) {  // the model as built (bound rounds) must count them all right too
        auto source = list_source(graphs, "labellings");
        at_bound = run_sweep(c, c.build(m, Variant::hard()), m, *source, ro).failing_graphs == 0;
      }
      const bool ok = least >= 1 && least == reference && other_errors == 0 && at_bound;
      holds = holds && ok;
      measured += (measured.empty() ? "" : "; ") + std::string(two ? "2·C_" + std::to_string(m / 2) : "C_" + std::to_string(m)) + ": " +
                  fmt(static_cast<long>(graphs.size())) + (exhaustive ? " labellings" : " sampled") + ", rounds " +
                  (least < 0 ? "> " + std::to_string(bound) : std::to_string(least)) + " (reference " + std::to_string(reference) +
                  ", bound " + std::to_string(bound) + (least >= 1 && !at_bound ? ", WRONG at the bound" : "") + ")" + (overcounts ? ", " + fmt(overcounts) + " wrong counts with fewer rounds, all too high" : "") +
                  (other_errors ? ", " + fmt(other_errors) + " UNDERCOUNTS" : "");
    }
  }
  return {{"hook_shortcut.cycles",
           "one m-cycle vs two m/2-cycles (Conjecture 13's instance): the least number of rounds that counts every labelling "
           "right equals the reference's, is at most floor(log2 m), and fewer rounds only overcount (smallwidth.md §8, §9 row 11)",
           holds, measured}};
}

// e^x > y, decided on enclosures (escalating precision; x rational, y > 0 rational, never equal for x != 0).
bool exp_greater(const Q& x, const Q& y) {
  for (const long bits : kRungBits) {
    const Bound e = exp_enclosure(x, ExpBase::e, bits);
    if (e.lo > y) return true;
    if (e.hi < y) return false;
  }
  throw internal_error("e^" + x.str() + " vs " + y.str() + ": undecided at 2128 bits");
}

// The precision search at n = min(check n, labelled_n_max, spec.prediction_n_max) against the
// construction's PrecisionClaim.
std::vector<Finding> precision_prediction(PrecisionModel model, const Construction& c, const CheckSpec& spec, const PredictionOptions& opt) {
  int n = std::min(opt.n_max, opt.labelled_n_max);
  if (spec.prediction_n_max > 0) n = std::min(n, spec.prediction_n_max);
  const std::optional<PrecisionClaim> claim = c.precision_claim(n);
  EXACTFORMER_ASSERT(claim.has_value(), spec.id + ": no precision claim at n = " + std::to_string(n));
  PrecisionOptions po;
  po.n = n;
  po.model = model;
  po.jobs = opt.run.jobs;
  po.max_value = model == PrecisionModel::fp ? 32 : 64;
  po.sharding = opt.run.sharding;
  po.stop = opt.run.stop;
  const PrecisionResult r = search_precision(c, po);
  std::string predicted;
  bool match = false;
  const std::string value = r.stable ? r.stable->str() : "none";
  switch (model) {
    case PrecisionModel::fp:
      predicted = "p* = " + std::to_string(*claim->fp_p);
      match = r.stable && *r.stable == Q(*claim->fp_p);
      break;
    case PrecisionModel::softmax2:
      predicted = "b* in [" + std::to_string(claim->softmax2_b->first) + ", " + std::to_string(claim->softmax2_b->second) + "]";
      match = r.stable && *r.stable >= claim->softmax2_b->first && *r.stable <= claim->softmax2_b->second;
      break;
    case PrecisionModel::softmax: {
      const auto& [lo, hi] = *claim->softmax_exp_beta;
      predicted = "e^β* > " + lo.str() + " and e^(β* - 1/64) < " + hi.str();
      match = r.stable && exp_greater(*r.stable, lo) && !exp_greater(*r.stable - po.step, hi);
      break;
    }
  }
  // A witness one step below is required unless nothing is below (p* = 0).
  const bool witness_ok = r.witness.has_value() || (r.stable && !r.below);
  std::string measured = std::string(model_name(model)) + " at n = " + std::to_string(n) + " (" + fmt(r.graphs) + " graphs × " +
                         fmt(r.queries) + " queries): " + (model == PrecisionModel::fp ? "p* = " : model == PrecisionModel::softmax2 ? "b* = " : "β* = ") +
                         value + (model == PrecisionModel::softmax && r.stable ? " ≈ " + approx(*r.stable) : "") + ", predicted " + predicted +
                         (match ? " (match)" : " (MISMATCH)");
  if (model == PrecisionModel::fp && r.stable) measured += ", integer bits " + std::to_string(r.integer_bits);
  for (const auto& [pass, fail] : r.non_monotone) measured += "; non-monotone: " + pass.str() + " passes, " + fail.str() + " fails";
  if (r.witness) measured += "; witness at " + r.below->str() + ": " + r.witness->describe();
  else if (r.below) measured += "; NO WITNESS at " + r.below->str();
  measured += "; " + std::to_string(r.probes) + " probes";
  Finding f{spec.id, "the smallest stable value equals the derived one, and one step below fails", match && witness_ok, measured};
  f.graphs = r.graphs;
  f.queries = r.queries;
  f.evaluations = r.evaluations;
  return {f};
}

}  // namespace

std::vector<Finding> run_prediction(Prediction p, const Construction& c, const CheckSpec& spec, const PredictionOptions& opt) {
  switch (p) {
    case Prediction::exactness: return exactness(c, spec, opt);
    case Prediction::hook_shortcut_rounds: return hook_shortcut_predictions(c, spec, opt);
    case Prediction::hook_shortcut_cycles: return hook_shortcut_cycles(c, spec, opt);
    case Prediction::precision_fp: return precision_prediction(PrecisionModel::fp, c, spec, opt);
    case Prediction::precision_softmax2: return precision_prediction(PrecisionModel::softmax2, c, spec, opt);
    case Prediction::precision_softmax: return precision_prediction(PrecisionModel::softmax, c, spec, opt);
  }
  throw internal_error("unknown prediction in check " + spec.id);
}

}  // namespace exactformer
