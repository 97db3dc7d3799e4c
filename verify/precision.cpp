// The precision search (verify/precision.hpp).
#include "precision.hpp"

#include <chrono>
#include <map>

namespace exactformer {

const char* model_name(PrecisionModel m) {
  switch (m) {
    case PrecisionModel::fp: return "fp";
    case PrecisionModel::softmax2: return "softmax2";
    case PrecisionModel::softmax: return "softmax";
  }
  return "?";
}

PrecisionModel parse_precision_model(const std::string& s) {
  if (s == "fp") return PrecisionModel::fp;
  if (s == "softmax2") return PrecisionModel::softmax2;
  if (s == "softmax") return PrecisionModel::softmax;
  throw usage_error("--model: expected fp, softmax2 or softmax (got " + quote_input(s) + ")");
}

namespace {

struct Setup {
  Variant variant;
  RunOptions run;
};

Setup setup(const PrecisionOptions& opt, const Q& value) {
  Setup s;
  s.run.jobs = opt.jobs;
  s.run.edge_orders = 1;  // FP_p and both softmaxes are order-equivariant (exact dot products, grouped weights)
  s.run.max_rung = opt.max_rung;
  s.run.sharding = opt.sharding;
  s.run.stop = opt.stop;
  switch (opt.model) {
    case PrecisionModel::fp:
      s.variant = Variant::hard();
      s.run.fixed_point = value.convert_to<long>();
      s.run.fast_path = false;
      break;
    case PrecisionModel::softmax2:
      s.variant = Variant::softmax2();
      s.variant.b = value.convert_to<int>();
      break;
    case PrecisionModel::softmax:
      if (value == 0) {  // softmax(0) is uniform attention: softmax2(0), exactly
        s.variant = Variant::softmax2();
        s.variant.b = 0;
      } else {
        s.variant = Variant::softmax(value);
      }
      break;
  }
  return s;
}

class Searcher {
 public:
  Searcher(const Construction& c, const PrecisionOptions& opt, PrecisionResult& r) : c_(c), opt_(opt), r_(r) {}

  const PrecisionProbe& probe(const Q& value) {
    const auto it = probes_.find(value);
    if (it != probes_.end()) return it->second;
    const Setup s = setup(opt_, value);
    const Built built = c_.build(opt_.n, s.variant);
    auto source = labelled_source(1, opt_.n);
    const RunStats st = run_sweep(c_, built, opt_.n, *source, s.run);
    PrecisionProbe p;
    p.value = value;
    p.holds = !st.failure && st.undetermined == 0;
    p.undetermined = st.undetermined;
    p.failure = st.failure;
    ++r_.probes;
    r_.evaluations += st.evaluations;
    if (st.undetermined > 0) ++r_.undetermined_probes;
    if (p.holds) {
      EXACTFORMER_ASSERT(st.graphs == r_.graphs && st.queries == r_.queries, "a passing probe did not cover the family");
      integer_bits_[value] = st.max_integer_bits;
    }
    return probes_.emplace(value, std::move(p)).first->second;
  }

  // Whether value passes and so do the next three grid points; a failure among them is recorded.
  std::optional<Q> first_failure_above(const Q& value, const Q& step) {
    for (int k = 1; k <= 3; ++k)
      if (!probe(value + step * k).holds) return value + step * k;
    return std::nullopt;
  }

  void finish(const Q& stable, const Q& step) {
    r_.stable = stable;
    r_.integer_bits = integer_bits_[stable];
    const Q below = stable - step;
    if (below < 0) return;
    const PrecisionProbe& p = probe(below);
    r_.below = below;
    if (!p.failure) return;  // undetermined below: no counterexample to show
    const Setup s = setup(opt_, below);
    const Built built = c_.build(opt_.n, s.variant);
    r_.witness = shrink(c_, built, *p.failure, s.run.fixed_point);
    r_.witness_case = regression_case(c_, opt_.n, s.variant, s.run.fixed_point, *r_.witness);
  }

 private:
  const Construction& c_;
  const PrecisionOptions& opt_;
  PrecisionResult& r_;
  std::map<Q, PrecisionProbe> probes_;
  std::map<Q, int> integer_bits_;
};

}  // namespace

PrecisionResult search_precision(const Construction& c, const PrecisionOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  PrecisionResult r;
  r.construction = c.name();
  r.model = opt.model;
  r.n = opt.n;
  const Task& task = find_task(c.task());
  for (int k = 1; k <= opt.n; ++k) {  // the family: 2^C(k,2) labelled graphs on k vertices, each with every query
    const long graphs = 1L << (k * (k - 1) / 2);
    r.graphs += graphs;
    r.queries += graphs * static_cast<long>(all_queries(task, k).size());
  }
  Searcher s(c, opt, r);
  if (opt.model != PrecisionModel::softmax) {
    const Q one(1);
    for (Q v = 0; v <= opt.max_value;) {  // b = 0 is uniform attention: it may hold (a triangle-only family)
      if (!s.probe(v).holds) {
        v += 1;
        continue;
      }
      if (!r.first_pass) r.first_pass = v;
      const std::optional<Q> fail = s.first_failure_above(v, one);
      if (!fail) {
        s.finish(v, one);
        break;
      }
      r.non_monotone.emplace_back(v, *fail);
      v = *fail + 1;
    }
  } else {
    // Brackets: lo = 0 (uniform attention), hi = the first power of two that passes; bisection on the grid
    // j * step between them. If uniform attention already passes, the scan confirms from 0.
    Q lo(0), hi(0);
    if (!s.probe(lo).holds) {
      hi = 1;
      while (!s.probe(hi).holds) {
        lo = hi;
        hi *= 2;
        EXACTFORMER_REQUIRE(hi <= opt.max_value, c.name() + ": no passing beta up to " + std::to_string(opt.max_value));
      }
      while (hi - lo > opt.step) {
        const Q steps = (lo + hi) / 2 / opt.step;
        Q mid = Q(numerator(steps) / denominator(steps)) * opt.step;  // floor to the grid
        if (mid <= lo) mid = lo + opt.step;
        if (s.probe(mid).holds) hi = mid;
        else lo = mid;
      }
    }
    r.first_pass = hi;
    Q v = hi;
    for (;;) {
      const std::optional<Q> fail = s.first_failure_above(v, opt.step);
      if (!fail) break;
      r.non_monotone.emplace_back(v, *fail);
      v = *fail + opt.step;  // scan upward past the failure
      while (!s.probe(v).holds) {
        v += opt.step;
        EXACTFORMER_REQUIRE(v <= opt.max_value, c.name() + ": no stable beta up to " + std::to_string(opt.max_value));
      }
    }
    s.finish(v, opt.step);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace exactformer
