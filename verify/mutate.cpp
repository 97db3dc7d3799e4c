// Mutation testing of the harness (verify/mutate.hpp).
#include "mutate.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

#include "enumerate.hpp"
#include "sweep.hpp"

namespace exactformer {

long MutationReport::count(const std::string& kind) const {
  long k = 0;
  for (const Survivor& s : survivors) k += s.kind == kind;
  return k;
}

double MutationReport::kill_rate() const {
  const long relevant = mutants - count("dead") - count("equivalent");
  return relevant == 0 ? 1.0 : static_cast<double>(killed) / static_cast<double>(relevant);
}

namespace {

// One mutation: applied to a copy of the model; `reads` is the residual column a mutated row reads (-1 if
// none, or not an attention projection) and `layer` its layer.
struct Mutation {
  std::string where, change;  // "layer 1 head ab W_K", "[is_task, 4]: -12 -> -11"
  std::size_t layer = 0;
  int reads = -1;
  std::function<void(Model&)> apply;
};

std::string entry_name(const Layout& layout, int row, int col, bool rows_are_residual) {
  return "[" + (rows_are_residual ? layout.column_name(row) : std::to_string(row)) + ", " + std::to_string(col) + "]";
}

// The mutated values of a non-zero entry: 0, -w, w + 1, w - 1, without w itself or repeats.
std::vector<Q> mutated_values(const Q& w) {
  std::vector<Q> seen{w}, out;
  for (const Q& v : {Q(0), Q(-w), Q(w + 1), Q(w - 1)})
    if (std::find(seen.begin(), seen.end(), v) == seen.end()) {
      seen.push_back(v);
      out.push_back(v);
    }
  return out;
}

std::vector<Mutation> mutations(const Model& m) {
  std::vector<Mutation> out;
  const auto entries = [&](std::size_t l, const std::string& where, const char* name, const MatQ& w, bool rows_residual, bool reads_x,
                           std::function<MatQ&(Model&)> get) {
    for (Eigen::Index r = 0; r < w.rows(); ++r)
      for (Eigen::Index c = 0; c < w.cols(); ++c) {
        const Q orig = w(r, c);
        if (orig == 0) continue;
        for (const Q& v : mutated_values(orig)) {
          Mutation mu;
          mu.where = where + " " + name;
          mu.change = entry_name(m.layout, static_cast<int>(r), static_cast<int>(c), rows_residual) + ": " + orig.str() + " -> " + v.str();
          mu.layer = l;
          mu.reads = reads_x ? static_cast<int>(r) : -1;
          mu.apply = [get, r, c, v](Model& x) { get(x)(r, c) = v; };
          out.push_back(std::move(mu));
        }
      }
    if (!rows_residual) return;
    for (const Slot& s : m.layout.slots())  // two adjacent components of one slot swapped in the rows read
      for (int i = 0; i + 1 < s.dim; ++i) {
        const Eigen::Index a = s.col(i), b = s.col(i + 1);
        if (w.row(a) == w.row(b)) continue;
        Mutation mu;
        mu.where = where + " " + name;
        mu.change = "rows " + s.name + "[" + std::to_string(i) + "] and [" + std::to_string(i + 1) + "] swapped";
        mu.layer = l;
        mu.apply = [get, a, b](Model& x) { get(x).row(a).swap(get(x).row(b)); };
        out.push_back(std::move(mu));
      }
  };
  for (std::size_t l = 0; l < m.layers.size(); ++l) {
    const Layer& layer = m.layers[l];
    const std::string at = "layer " + std::to_string(l + 1);
    for (std::size_t h = 0; h < layer.heads.size(); ++h) {
      const std::string where = at + " head " + layer.heads[h].name;
      entries(l, where, "W_Q", layer.heads[h].wq, true, true, [l, h](Model& x) -> MatQ& { return x.layers[l].heads[h].wq; });
      entries(l, where, "W_K", layer.heads[h].wk, true, true, [l, h](Model& x) -> MatQ& { return x.layers[l].heads[h].wk; });
      entries(l, where, "W_V", layer.heads[h].wv, true, true, [l, h](Model& x) -> MatQ& { return x.layers[l].heads[h].wv; });
      entries(l, where, "W_O", layer.heads[h].wo, false, false, [l, h](Model& x) -> MatQ& { return x.layers[l].heads[h].wo; });
    }
    for (std::size_t k = 0; k < layer.mlp.layers.size(); ++k) {
      const std::string where = at + " MLP " + std::to_string(k + 1);
      entries(l, where, "W", layer.mlp.layers[k].w, k == 0, false, [l, k](Model& x) -> MatQ& { return x.layers[l].mlp.layers[k].w; });
      const RowQ& bias = layer.mlp.layers[k].bias;
      for (Eigen::Index c = 0; c < bias.size(); ++c) {
        const Q orig = bias(c);
        if (orig == 0) continue;
        for (const Q& v : mutated_values(orig)) {
          Mutation mu;
          mu.where = where + " bias";
          mu.change = "[" + std::to_string(c) + "]: " + orig.str() + " -> " + v.str();
          mu.layer = l;
          mu.apply = [l, k, c, v](Model& x) { x.layers[l].mlp.layers[k].bias(c) = v; };
          out.push_back(std::move(mu));
        }
      }
    }
  }
  return out;
}

// Every input of the family: the token matrix and its readout row.
struct Family {
  std::vector<Input> inputs;
  std::vector<std::vector<char>> live;  // [layer][column]: non-zero on some row of some input entering that layer
};

Family family(const Construction& c, const Built& built, int n) {
  Family f;
  const Task& task = find_task(c.task());
  const int d = built.model.layout.width();
  f.live.assign(built.model.layers.size(), std::vector<char>(static_cast<std::size_t>(d), 0));
  Evaluator<Fractions<Q>> eval(built.model);
  for (const Graph& g : labelled_graphs(1, n))
    for (const Query& q : all_queries(task, g.n())) {
      Input x = embed_tokens(built, tokenize(g, g.edges(), q, built.model.pause_tokens));
      eval.run_all(x);
      for (std::size_t l = 0; l < built.model.layers.size(); ++l)
        for (int r = 0; r < x.rows; ++r)
          for (int col = 0; col < d; ++col) {
            const bool nonzero = l == 0 ? x.at(r, col).num != 0 : eval.rows_after(l - 1)[static_cast<std::size_t>(r)][static_cast<std::size_t>(col)] != 0;
            if (nonzero) f.live[l][static_cast<std::size_t>(col)] = 1;
          }
      f.inputs.push_back(std::move(x));
    }
  return f;
}

// The decoder's inputs on every input of the family, in GMP.
std::vector<std::vector<Q>> decoder_inputs(const Built& built, const Family& f) {
  std::vector<std::vector<Q>> out;
  Evaluator<Fractions<Q>> eval(built.model);
  for (const Input& x : f.inputs) {
    const std::vector<Q>& row = eval.readout(x, x.rows - 1);
    std::vector<Q> in;
    for (const Slot& s : built.decoder.slots) in.push_back(row[static_cast<std::size_t>(s.col(0))]);
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace

MutationReport mutate(const Construction& c, int n, int jobs, const std::function<void(long, long)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  MutationReport report;
  report.construction = c.name();
  report.n = n;
  const Built built = c.build(n, Variant::hard());
  const Family fam = family(c, built, n);
  RunOptions opt;
  opt.jobs = jobs;
  opt.edge_orders = 1;
  {
    auto source = labelled_source(1, n);
    EXACTFORMER_REQUIRE(!run_sweep(c, built, n, *source, opt).failure,
                        c.name() + " fails its own check at n = " + std::to_string(n) + ": mutation testing needs a model that holds");
  }
  std::optional<std::vector<std::vector<Q>>> reference;  // no readout claim: the original's decoder inputs, on first need
  const std::vector<Mutation> all = mutations(built.model);
  for (const Mutation& mu : all) {
    if (progress && report.mutants > 0) progress(report.mutants, static_cast<long>(all.size()));
    ++report.mutants;
    Built mutant = built;
    mu.apply(mutant.model);
    bool killed = false;
    try {
      auto source = labelled_source(1, n);
      killed = run_sweep(c, mutant, n, *source, opt).failure.has_value();
    } catch (const std::exception&) {
      killed = true;  // the checker stops on it: noticed
    }
    if (killed) {
      ++report.killed;
      continue;
    }
    std::string kind;
    if (mu.reads >= 0 && !fam.live[mu.layer][static_cast<std::size_t>(mu.reads)]) {
      kind = "dead";
    } else if (built.readout_claim) {
      kind = "equivalent";  // it passed the claim on every input, as the original does: the same decoder inputs everywhere
    } else {
      if (!reference) reference = decoder_inputs(built, fam);
      kind = decoder_inputs(mutant, fam) == *reference ? "equivalent" : "answer-preserving";
    }
    report.survivors.push_back({mu.where, mu.change, kind});
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace exactformer
