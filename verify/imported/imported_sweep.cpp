#include "imported/imported_sweep.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <sstream>

#include "pool.hpp"
#include "splitmix.hpp"

namespace exactformer {
namespace {

template <class I>
InputVerdict decide(TlForward<I>& f, const ImportedModel& im, const std::vector<int>& tokens, long truth) {
  const Prompt& p = im.prompt;
  std::vector<int> ids;
  std::size_t t = p.answers.size();
  for (std::size_t k = 0; k < p.answers.size(); ++k) {
    ids.push_back(p.answers[k].first);
    if (p.answers[k].second == truth) t = k;
  }
  EXACTFORMER_ASSERT(t < ids.size(), "no answer token for the truth (check_prompt_for missed it)");
  InputVerdict v;
  const std::vector<I> logits = f.logits(tokens, p.readout_row(static_cast<int>(tokens.size())), ids);
  for (const I& x : logits) v.logits.emplace_back(x.lower(), x.upper());
  bool all_below = true;
  std::optional<std::size_t> above;
  for (std::size_t k = 0; k < logits.size(); ++k) {
    if (k == t) continue;
    if (logits[t].certainly_less(logits[k]) || logits[t].same_point(logits[k])) {
      if (!above || logits[k].lower() > logits[*above].lower()) above = k;
    }
    if (!logits[k].certainly_less(logits[t])) all_below = false;
  }
  if (above) {
    v.kind = InputVerdict::Kind::wrong;
    v.answer = p.answers[*above].second;
  } else {
    v.kind = all_below ? InputVerdict::Kind::right : InputVerdict::Kind::undecided;
  }
  return v;
}

std::string verdict_name(InputVerdict::Kind k) {
  return k == InputVerdict::Kind::right ? "right" : k == InputVerdict::Kind::wrong ? "wrong" : "undecided";
}

// The edge orders of graph g (stream index `index`) to run.
std::vector<std::vector<std::pair<int, int>>> orders_of(const Graph& g, const EdgeOrders& o, std::uint64_t index) {
  std::vector<std::vector<std::pair<int, int>>> out{g.edges()};
  if (o.kind == EdgeOrders::Kind::shuffled) {
    SplitMix64 rng{index * 0x9e3779b97f4a7c15ULL + 0x51ed27};
    for (int k = 1; k < o.count; ++k) {
      auto e = g.edges();
      for (std::size_t i = e.size(); i > 1; --i) std::swap(e[i - 1], e[rng.next() % i]);
      out.push_back(std::move(e));
    }
  } else if (o.kind == EdgeOrders::Kind::all) {
    auto e = g.edges();
    while (std::next_permutation(e.begin(), e.end())) out.push_back(e);
  }
  return out;
}

struct GraphResult {
  ImportedStats::PerN counts;
  std::array<std::uint64_t, kImportRungs> decided_at{};
  std::vector<ImportedInput> failures;
  std::optional<ImportedInput> undecided;
};

}  // namespace

EdgeOrders EdgeOrders::parse(const std::string& spec) {
  EdgeOrders o;
  if (spec == "prompt") return o;
  if (spec == "all") {
    o.kind = Kind::all;
    return o;
  }
  if (spec.rfind("shuffled:", 0) == 0 && spec.size() > 9 && spec.size() <= 13 && spec.find_first_not_of("0123456789", 9) == std::string::npos) {
    o.kind = Kind::shuffled;
    o.count = std::stoi(spec.substr(9));
    if (o.count >= 1 && o.count <= 10000) return o;
  }
  throw usage_error("--edge-orders " + quote_input(spec) + ": prompt, shuffled:K (1 <= K <= 10000) or all");
}

std::string EdgeOrders::str() const {
  return kind == Kind::prompt ? "prompt" : kind == Kind::all ? "all" : "shuffled:" + std::to_string(count);
}

std::string ImportedInput::describe(const ImportedModel& im) const {
  std::ostringstream s;
  s << "graph6 " << to_graph6(graph) << " (n = " << graph.n() << ", m = " << edge_order.size() << "), edge order";
  for (const auto& [a, b] : edge_order) s << " " << a << "-" << b;
  s << ", query " << query.str() << ": truth " << truth << ", " << verdict_name(verdict.kind);
  if (verdict.kind == InputVerdict::Kind::wrong) s << " (answer " << verdict.answer << " certified at or above it)";
  s << " (" << import_rung_name(verdict.rung) << "); logits";
  char buf[96];
  for (std::size_t k = 0; k < verdict.logits.size(); ++k) {
    std::snprintf(buf, sizeof buf, " %s:[%.17g, %.17g]", im.prompt.vocabulary[static_cast<std::size_t>(im.prompt.answers[k].first)].c_str(),
                  verdict.logits[k].first, verdict.logits[k].second);
    s << buf;
  }
  return s.str();
}

InputVerdict certify_input(const ImportedModel& im, const std::vector<int>& tokens, long truth, int max_rung, TlForward<DoubleInterval>* fast) {
  InputVerdict v;
  try {
    if (fast) {
      v = decide(*fast, im, tokens, truth);
    } else {
      TlForward<DoubleInterval> f(im.model);
      v = decide(f, im, tokens, truth);
    }
  } catch (const undecidable&) {
    if (fast) fast->forget();
    v.kind = InputVerdict::Kind::undecided;
  }
  if (max_rung >= 1 && v.kind == InputVerdict::Kind::undecided) {
    TlForward<ExactValue> f(im.model);
    try {
      v = decide(f, im, tokens, truth);
    } catch (const not_exact&) {
      v.kind = InputVerdict::Kind::undecided;
    } catch (const undecidable&) {
      v.kind = InputVerdict::Kind::undecided;
    }
    v.rung = 1;
  }
  for (int rung = 2; rung <= max_rung && v.kind == InputVerdict::Kind::undecided; ++rung) {
    MpfiInterval::set_precision(kImportRungBits[rung]);
    TlForward<MpfiInterval> f(im.model);
    try {
      v = decide(f, im, tokens, truth);
    } catch (const undecidable&) {
      v.kind = InputVerdict::Kind::undecided;
    }
    v.rung = rung;
  }
  return v;
}

ImportedStats run_imported_sweep(const ImportedModel& im, const Task& task, GraphSource& source, const ImportedOptions& o) {
  ImportedStats s;
  s.by_n.resize(static_cast<std::size_t>(o.n) + 1);
  const ProgressScope scope(o.progress, source.describe(), source.size());
  std::vector<std::unique_ptr<TlForward<DoubleInterval>>> caches;
  for (int w = 0; w < o.jobs; ++w) caches.push_back(std::make_unique<TlForward<DoubleInterval>>(im.model));
  std::vector<Graph> batch;
  std::uint64_t index = o.first_index;
  while (source.next_batch(batch)) {
    for (const Graph& g : batch)
      if (g.n() > o.n) throw usage_error("a graph with " + std::to_string(g.n()) + " vertices in a sweep for --n " + std::to_string(o.n));
    std::vector<GraphResult> results(batch.size());
    parallel_for(batch.size(), o.jobs, 4, [&](std::size_t i, int worker) {
      const Graph& g = batch[i];
      GraphResult& r = results[i];
      const auto queries = o.queries_per_graph ? sample_queries(task, g.n(), o.queries_per_graph, o.query_seed ^ (index + i)) : all_queries(task, g.n());
      std::vector<long> truth;
      for (const Query& q : queries) truth.push_back(task.solve(g, q));
      TlForward<DoubleInterval>& cache = *caches[static_cast<std::size_t>(worker)];
      cache.forget();
      for (const auto& order : orders_of(g, o.orders, index + i))
        for (std::size_t k = 0; k < queries.size(); ++k) {
          const std::vector<int> tokens = im.prompt.tokenize(g, order, queries[k]);
          InputVerdict v = certify_input(im, tokens, truth[k], o.max_rung, &cache);
          ++r.counts.inputs;
          if (v.kind != InputVerdict::Kind::undecided) ++r.decided_at[static_cast<std::size_t>(v.rung)];
          if (v.kind == InputVerdict::Kind::right) {
            ++r.counts.right;
            continue;
          }
          ImportedInput input{g, order, queries[k], truth[k], std::move(v)};
          if (input.verdict.kind == InputVerdict::Kind::wrong) {
            ++r.counts.wrong;
            if (static_cast<int>(r.failures.size()) < o.keep_failures) r.failures.push_back(std::move(input));
          } else {
            ++r.counts.undecided;
            if (!r.undecided) r.undecided = std::move(input);
          }
        }
      if (o.progress) o.progress->add(1, queries.size());
    });
    for (std::size_t i = 0; i < batch.size(); ++i) {
      GraphResult& r = results[i];
      ImportedStats::PerN& pn = s.by_n[static_cast<std::size_t>(batch[i].n())];
      ++pn.graphs;
      pn.inputs += r.counts.inputs;
      pn.right += r.counts.right;
      pn.wrong += r.counts.wrong;
      pn.undecided += r.counts.undecided;
      for (int k = 0; k < kImportRungs; ++k) s.decided_at[static_cast<std::size_t>(k)] += r.decided_at[static_cast<std::size_t>(k)];
      for (auto& f : r.failures)
        if (static_cast<int>(s.failures.size()) < o.keep_failures) s.failures.push_back(std::move(f));
      if (!s.first_undecided && r.undecided) s.first_undecided = std::move(r.undecided);
    }
    index += batch.size();
  }
  for (const auto& pn : s.by_n) {
    s.graphs += pn.graphs;
    s.inputs += pn.inputs;
    s.right += pn.right;
    s.wrong += pn.wrong;
    s.undecided += pn.undecided;
  }
  return s;
}

void merge_imported(ImportedStats& total, const ImportedStats& later, const ImportedOptions& o) {
  total.by_n.resize(std::max(total.by_n.size(), later.by_n.size()));
  for (std::size_t n = 0; n < later.by_n.size(); ++n) {
    ImportedStats::PerN& t = total.by_n[n];
    const ImportedStats::PerN& l = later.by_n[n];
    t.graphs += l.graphs, t.inputs += l.inputs, t.right += l.right, t.wrong += l.wrong, t.undecided += l.undecided;
  }
  for (int k = 0; k < kImportRungs; ++k) total.decided_at[static_cast<std::size_t>(k)] += later.decided_at[static_cast<std::size_t>(k)];
  total.graphs += later.graphs, total.inputs += later.inputs, total.right += later.right, total.wrong += later.wrong;
  total.undecided += later.undecided;
  for (const auto& f : later.failures)
    if (static_cast<int>(total.failures.size()) < o.keep_failures) total.failures.push_back(f);
  if (!total.first_undecided && later.first_undecided) total.first_undecided = later.first_undecided;
}

namespace {

Json input_to_json(const ImportedInput& x) {
  Json order = Json::array(), logits = Json::array();
  for (const auto& [a, b] : x.edge_order) order.push_back({a, b});
  // ends as strings: JSON has no infinity, and "%.17g" reads back to the same double
  const auto text = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.17g", v);
    return std::string(b);
  };
  for (const auto& [lo, hi] : x.verdict.logits) logits.push_back({text(lo), text(hi)});
  return Json{{"graph6", to_graph6(x.graph)}, {"edge_order", order}, {"query", x.query.args}, {"truth", x.truth},
              {"verdict", verdict_name(x.verdict.kind)}, {"rung", x.verdict.rung}, {"answer", x.verdict.answer}, {"logits", logits}};
}

ImportedInput input_from_json(const Json& j, const ImportedOptions& o) {
  const auto fail = [] { throw std::invalid_argument("an input outside its bounds"); };
  const auto number = [&fail](const Json& v) {  // "%.17g" of a double, inf and nan included
    const std::string t = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) fail();
    return d;
  };
  ImportedInput x;
  x.graph = from_graph6(j.at("graph6").get<std::string>());
  const int n = x.graph.n();
  if (n < 1 || n > o.n) fail();
  std::set<std::pair<int, int>> seen;
  for (const auto& e : j.at("edge_order")) {
    const int a = e.at(0).get<int>(), b = e.at(1).get<int>();
    if (e.size() != 2 || a < 0 || b < 0 || a >= n || b >= n || !x.graph.has_edge(a, b) || !seen.insert(std::minmax(a, b)).second) fail();
    x.edge_order.emplace_back(a, b);
  }
  if (x.edge_order.size() != x.graph.edges().size()) fail();  // (distinct edges of the graph: a permutation of them)
  x.query.args = j.at("query").get<std::vector<int>>();
  for (const int v : x.query.args)
    if (v < 0 || v >= n) fail();
  x.truth = j.at("truth").get<long>();
  const std::string kind = j.at("verdict").get<std::string>();
  x.verdict.kind = kind == "wrong" ? InputVerdict::Kind::wrong : InputVerdict::Kind::undecided;
  if (kind != "wrong" && kind != "undecided") fail();
  x.verdict.rung = j.at("rung").get<int>();
  if (x.verdict.rung < 0 || x.verdict.rung >= kImportRungs) fail();
  x.verdict.answer = j.at("answer").get<long>();
  for (const auto& l : j.at("logits")) {
    if (l.size() != 2) fail();
    x.verdict.logits.emplace_back(number(l.at(0)), number(l.at(1)));
  }
  return x;
}

}  // namespace

Json imported_stats_to_json(const ImportedStats& s) {
  Json by_n = Json::array(), failures = Json::array();
  for (const auto& p : s.by_n) by_n.push_back({p.graphs, p.inputs, p.right, p.wrong, p.undecided});
  for (const auto& f : s.failures) failures.push_back(input_to_json(f));
  return Json{{"by_n", by_n}, {"decided_at", s.decided_at}, {"failures", failures},
              {"first_undecided", s.first_undecided ? input_to_json(*s.first_undecided) : Json()}};
}

ImportedStats imported_stats_from_json(const Json& j, const ImportedOptions& o) {
  const auto fail = [] { throw std::invalid_argument("inconsistent counts"); };
  const auto count = [](const Json& v) { return v.get<std::uint64_t>(); };  // a negative or fractional count throws
  ImportedStats s;
  const Json& by_n = j.at("by_n");
  if (!by_n.is_array() || by_n.size() > static_cast<std::size_t>(o.n) + 1) fail();
  s.by_n.resize(static_cast<std::size_t>(o.n) + 1);
  for (std::size_t n = 0; n < by_n.size(); ++n) {
    const Json& r = by_n[n];
    if (!r.is_array() || r.size() != 5) fail();
    ImportedStats::PerN& p = s.by_n[n];
    p = {count(r[0]), count(r[1]), count(r[2]), count(r[3]), count(r[4])};
    if (p.right + p.wrong + p.undecided != p.inputs || (n == 0 && p.inputs + p.graphs != 0)) fail();
    s.graphs += p.graphs, s.inputs += p.inputs, s.right += p.right, s.wrong += p.wrong, s.undecided += p.undecided;
  }
  const Json& rungs = j.at("decided_at");
  if (!rungs.is_array() || rungs.size() != kImportRungs) fail();
  std::uint64_t decided = 0;
  for (int k = 0; k < kImportRungs; ++k) decided += s.decided_at[static_cast<std::size_t>(k)] = count(rungs[static_cast<std::size_t>(k)]);
  if (decided != s.right + s.wrong) fail();
  for (const auto& f : j.at("failures")) {
    s.failures.push_back(input_from_json(f, o));
    if (s.failures.back().verdict.kind != InputVerdict::Kind::wrong) fail();
  }
  if (s.failures.size() > s.wrong || static_cast<int>(s.failures.size()) > o.keep_failures) fail();
  if (!j.at("first_undecided").is_null()) {
    s.first_undecided = input_from_json(j.at("first_undecided"), o);
    if (s.first_undecided->verdict.kind != InputVerdict::Kind::undecided) fail();
  }
  if (bool(s.first_undecided) != (s.undecided > 0)) fail();
  return s;
}

ShardedWork imported_work(const ImportedModel& im, const Task& task, const ImportedOptions& o, ImportedStats& total) {
  total = ImportedStats{};
  total.by_n.resize(static_cast<std::size_t>(o.n) + 1);
  ShardedWork w;
  w.run = [&im, &task, o](std::vector<Graph> graphs, std::uint64_t first_index, const std::atomic<bool>*) {
    ImportedOptions here = o;
    here.first_index = o.first_index + first_index;
    here.progress = nullptr;
    auto list = list_source(std::move(graphs), "shard");
    return imported_stats_to_json(run_imported_sweep(im, task, *list, here));
  };
  w.merge = [&total, o](const Json& stats) {
    const ImportedStats part = imported_stats_from_json(stats, o);
    merge_imported(total, part, o);
    return ShardedWork::Merged{part.graphs, part.inputs, false};  // every input counts: no stop at the first failure
  };
  return w;
}

ImportedInput shrink_imported(const ImportedModel& im, const Task& task, ImportedInput f, int max_rung) {
  const auto still_wrong = [&](const Graph& g, const std::vector<std::pair<int, int>>& order, const Query& q, ImportedInput& out) {
    const long truth = task.solve(g, q);
    InputVerdict v = certify_input(im, im.prompt.tokenize(g, order, q), truth, max_rung);
    if (v.kind != InputVerdict::Kind::wrong) return false;
    out = ImportedInput{g, order, q, truth, std::move(v)};
    return true;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (int v = f.graph.n() - 1; v >= 0 && !changed; --v) {
      if (f.graph.n() <= 1 || std::find(f.query.args.begin(), f.query.args.end(), v) != f.query.args.end()) continue;
      const Graph g = f.graph.without_vertex(v);
      std::vector<std::pair<int, int>> order;
      for (auto [a, b] : f.edge_order)
        if (a != v && b != v) order.emplace_back(a > v ? a - 1 : a, b > v ? b - 1 : b);
      Query q = f.query;
      for (int& x : q.args) x = x > v ? x - 1 : x;
      changed = still_wrong(g, order, q, f);
    }
    for (std::size_t e = 0; e < f.edge_order.size() && !changed; ++e) {
      Graph g = f.graph;
      g.remove_edge(f.edge_order[e].first, f.edge_order[e].second);
      auto order = f.edge_order;
      order.erase(order.begin() + static_cast<std::ptrdiff_t>(e));
      changed = still_wrong(g, order, f.query, f);
    }
  }
  return f;
}

}  // namespace exactformer
