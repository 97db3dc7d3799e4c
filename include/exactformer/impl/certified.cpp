// Bound arithmetic (interval.hpp) and the certified arithmetic and driver (certified_arith.hpp).
#include <mpfi.h>
#include <mpfr.h>

#include <algorithm>

#include "exactformer/certified_arith.hpp"

namespace exactformer {

// ---------------------------------------------------------------------------------------------------
// Bound

Bound operator*(const Bound& a, const Bound& b) {
  if (b.point()) return a * b.lo;
  if (a.point()) return b * a.lo;
  const Q p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
  return {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
}

void add_scaled(Bound& acc, const Bound& x, const Q& w) {
  if (x.point()) {
    const Q t = x.lo * w;
    if (acc.point()) {
      acc.lo += t;
      acc.hi = acc.lo;
    } else {
      acc.lo += t;
      acc.hi += t;
    }
    return;
  }
  if (w >= 0) {
    acc.lo += x.lo * w;
    acc.hi += x.hi * w;
  } else {
    acc.lo += x.hi * w;
    acc.hi += x.lo * w;
  }
}

Bound reciprocal(const Bound& x) {
  EXACTFORMER_ASSERT(x.lo > 0 || x.hi < 0, "reciprocal of an interval that contains 0");
  if (x.point()) return Bound(1 / x.lo);
  return {1 / x.hi, 1 / x.lo};
}

namespace {
// RAII over an MPFR number at a given precision.
struct Mpfr {
  mpfr_t v;
  explicit Mpfr(long bits) { mpfr_init2(v, static_cast<mpfr_prec_t>(bits)); }
  ~Mpfr() { mpfr_clear(v); }
  Mpfr(const Mpfr&) = delete;
  Mpfr& operator=(const Mpfr&) = delete;
};
struct Mpfi {
  mpfi_t v;
  explicit Mpfi(long bits) { mpfi_init2(v, static_cast<mpfr_prec_t>(bits)); }
  ~Mpfi() { mpfi_clear(v); }
  Mpfi(const Mpfi&) = delete;
  Mpfi& operator=(const Mpfi&) = delete;
};
Q to_q(mpfr_srcptr x) {  // exact: MPFR numbers are dyadic
  EXACTFORMER_ASSERT(mpfr_number_p(x), "MPFR endpoint is not a finite number");
  Q r;
  mpfr_get_q(r.backend().data(), x);
  return r;
}
}  // namespace

void round_outward(Bound& x, long bits) {
  if (x.point()) return;
  Mpfr m(bits);
  mpfr_set_q(m.v, x.lo.backend().data(), MPFR_RNDD);
  x.lo = to_q(m.v);
  mpfr_set_q(m.v, x.hi.backend().data(), MPFR_RNDU);
  x.hi = to_q(m.v);
}

Bound exp_enclosure(const Q& x, ExpBase base, long bits) {
  Mpfi t(bits);
  mpfi_set_q(t.v, x.backend().data());  // an outward enclosure of x (a point when x fits)
  if (base == ExpBase::e) mpfi_exp(t.v, t.v);
  else mpfi_exp2(t.v, t.v);
  return {to_q(&t.v[0].left), to_q(&t.v[0].right)};
}

Bound exp_enclosure(const Bound& x, ExpBase base, long bits) {
  if (x.point()) return exp_enclosure(x.lo, base, bits);
  return {exp_enclosure(x.lo, base, bits).lo, exp_enclosure(x.hi, base, bits).hi};
}

std::string approx(const Q& x) {
  Mpfr m(64);
  mpfr_set_q(m.v, x.backend().data(), MPFR_RNDN);
  char buf[64];
  mpfr_snprintf(buf, sizeof buf, "%.2Re", m.v);
  return buf;
}

void release_thread_caches() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }

// ---------------------------------------------------------------------------------------------------
// Certified

namespace {
bool all_points(const CertifiedRow& r) {
  return std::all_of(r.v.begin(), r.v.end(), [](const Bound& b) { return b.point(); });
}
void round_row(std::vector<Bound>& row, long bits) {
  for (Bound& b : row) round_outward(b, bits);
}
// acc += x W (W sparse, exact).
void add_product(std::vector<Bound>& acc, const std::vector<Bound>& x, const SparseMatrix<Q>& w) {
  for (int r = 0; r < w.rows; ++r) {
    const Bound& xr = x[static_cast<std::size_t>(r)];
    if (xr.point() && xr.lo == 0) continue;
    for (const auto& [c, wt] : w.by_row[static_cast<std::size_t>(r)]) add_scaled(acc[static_cast<std::size_t>(c)], xr, wt);
  }
}
}  // namespace

Certified::Certified(const Model& model, long bits) : bits_(bits) {
  const auto same = [](const Q& w) { return w; };
  for (const Layer& layer : model.layers) {
    LayerW lw;
    for (const Head& h : layer.heads)
      lw.heads.push_back(HeadW{sparse<Q>(h.wq, same), sparse<Q>(h.wk, same), sparse<Q>(h.wv, same), sparse<Q>(h.wo, same), h.mode,
                               h.mask, {}});
    for (const Affine& a : layer.mlp.layers) {
      std::vector<Q> b(a.bias.begin(), a.bias.end());
      lw.mlp.push_back(AffineW{sparse<Q>(a.w, same), std::move(b)});
    }
    layers_.push_back(std::move(lw));
  }
}

void Certified::input(const Frac64* cells, int d, Row& out) const {
  out.inexact = false;
  out.v.resize(static_cast<std::size_t>(d));
  for (std::size_t c = 0; c < out.v.size(); ++c) out.v[c] = Bound(q(cells[c].num, cells[c].den));
}

void Certified::project(std::size_t l, std::size_t h, Projection p, const Row& x, Row& out) const {
  const HeadW& hw = layers_[l].heads[h];
  const SparseMatrix<Q>& w = p == Projection::query ? hw.wq : p == Projection::key ? hw.wk : hw.wv;
  out.inexact = false;
  out.v.assign(static_cast<std::size_t>(w.cols), Bound());
  add_product(out.v, x.v, w);
  round_row(out.v, bits_);
}

void Certified::difference(const Row& a, const Row& b, Row& out) {
  out.inexact = false;
  out.v.resize(a.v.size());
  for (std::size_t c = 0; c < a.v.size(); ++c) {
    if (a.v[c] == b.v[c]) out.v[c] = Bound();
    else if (a.v[c].point() && b.v[c].point()) out.v[c] = Bound(a.v[c].lo - b.v[c].lo);
    else {
      out.v[c] = Bound();
      out.inexact = true;  // an interval change is not a value: recompute, never pass through
    }
  }
}

bool Certified::changes_any(const Row& delta, const std::vector<char>& columns) {
  if (delta.inexact) return true;
  for (std::size_t c = 0; c < delta.v.size(); ++c)
    if (columns[c] && !(delta.v[c].point() && delta.v[c].lo == 0)) return true;
  return false;
}

void Certified::add_change(Row& x, const Row& delta) {
  EXACTFORMER_ASSERT(!delta.inexact, "pass-through of an inexact change");
  for (std::size_t c = 0; c < x.v.size(); ++c)
    if (!(delta.v[c].lo == 0)) x.v[c] = x.v[c] + delta.v[c];
}

Bound Certified::weight_factor(HeadW& hw, const Bound& d) {
  // E(d) = 2^(b d) (softmax2) or e^(β d) (softmax): the exponent is exact for an exact d.
  const ExpBase base = hw.mode.kind == AttentionKind::softmax ? ExpBase::e : ExpBase::two;
  const Q& scale = hw.mode.kind == AttentionKind::softmax ? hw.mode.beta : Q(hw.mode.b);
  if (!d.point()) return exp_enclosure(d * scale, base, bits_);
  const auto it = hw.exp_cache.find(d.lo);
  if (it != hw.exp_cache.end()) return it->second;
  Bound e = exp_enclosure(d.lo * scale, base, bits_);
  hw.exp_cache.emplace(d.lo, e);
  return e;
}

void Certified::attend(HeadW& hw, std::size_t i, const std::vector<Row>& qs, const std::vector<Row>& ks,
                       const std::vector<Row>& vs, std::size_t rows, std::vector<Bound>& out) {
  const std::size_t visible = visible_keys(hw.mask, i, rows);
  const Row& query = qs[i];
  scores_.assign(visible, Bound());
  bool exact = true;
  for (std::size_t j = 0; j < visible; ++j) {
    Bound s;
    const Row& key = ks[j];
    bool points = true;
    Q exact_sum(0);  // the dot product while every factor is a point: exact, without interval temporaries
    for (std::size_t c = 0; c < query.v.size(); ++c) {
      const Bound &a = query.v[c], &b = key.v[c];
      const bool pa = a.point(), pb = b.point();
      if ((pa && a.lo == 0) || (pb && b.lo == 0)) continue;
      if (pa && pb) exact_sum += a.lo * b.lo;
      else {
        points = false;
        s = s + a * b;
      }
    }
    if (points) s = Bound(exact_sum);
    else s = s + Bound(exact_sum);
    round_outward(s, bits_);
    exact = exact && s.point();
    scores_[j] = std::move(s);
  }
  const std::size_t d_v = static_cast<std::size_t>(hw.wv.cols);
  out.assign(d_v, Bound());
  const auto add_weighted = [&](const Bound& w, const std::vector<Bound>& v) {
    for (std::size_t c = 0; c < d_v; ++c) {
      if (v[c].point()) {
        if (v[c].lo != 0) add_scaled(out[c], w, v[c].lo);  // out += w * v, in place
      } else {
        out[c] = out[c] + w * v[c];
      }
    }
  };

  if (hw.mode.kind == AttentionKind::hard) {
    if (exact) {
      struct {
        const std::vector<Bound>& s;
        bool greater(std::size_t a, std::size_t b) const { return s[a].lo > s[b].lo; }
        std::optional<long> times_b(std::size_t, int) const { return 0; }
        Q exact(std::size_t j) const { return s[j].lo; }
      } sc{scores_};
      std::vector<AttentionTerm> terms;
      attention_terms(hw.mode, visible, sc, terms);
      const Bound w(Q(1) / Q(static_cast<long>(terms.size())));
      for (const AttentionTerm& t : terms) add_weighted(w, vs[t.key].v);
    } else {  // only a certified unique maximum decides the argmax set
      std::size_t top = 0;
      for (std::size_t j = 1; j < visible; ++j)
        if (scores_[j].hi > scores_[top].hi) top = j;
      for (std::size_t j = 0; j < visible; ++j)
        if (j != top && !(scores_[top].lo > scores_[j].hi)) throw Undecided{"hard attention: argmax not decided on inexact scores"};
      add_weighted(Bound(Q(1)), vs[top].v);
    }
  } else if (exact) {  // the stable grouped form: classes of equal score with exact multiplicities
    std::map<Q, std::pair<long, std::vector<Bound>>> classes;  // score -> (count, sum of value rows)
    for (std::size_t j = 0; j < visible; ++j) {
      auto& [count, sum] = classes[scores_[j].lo];
      if (count++ == 0) sum.assign(d_v, Bound());
      for (std::size_t c = 0; c < d_v; ++c) sum[c] = sum[c] + vs[j].v[c];
    }
    for (const auto& [s_c, cls] : classes) {
      Bound denominator;
      for (const auto& [s_o, other] : classes)
        denominator = denominator + (s_o == s_c ? Bound(Q(other.first)) : weight_factor(hw, Bound(s_o - s_c)) * Q(other.first));
      Bound w = reciprocal(denominator);
      round_outward(w, bits_);
      add_weighted(w, cls.second);
    }
  } else {  // inexact scores: each key's weight 1 / (1 + sum_{k != j} E(s_k - s_j))
    for (std::size_t j = 0; j < visible; ++j) {
      Bound denominator(Q(1));
      for (std::size_t k = 0; k < visible; ++k)
        if (k != j) denominator = denominator + weight_factor(hw, scores_[k] - scores_[j]);
      Bound w = reciprocal(denominator);
      round_outward(w, bits_);
      add_weighted(w, vs[j].v);
    }
  }
  round_row(out, bits_);
}

// a += MLP(a) by sign pattern. The inexact entries J of a are the variables; every unit is carried as
// coef . a_J + c + r (coef, c exact; r a Bound remainder).
void Certified::mlp(const std::vector<AffineW>& stack, std::vector<Bound>& a) {
  std::vector<std::size_t> vars;
  for (std::size_t c = 0; c < a.size(); ++c)
    if (!a[c].point()) vars.push_back(c);
  const std::size_t nv = vars.size();
  struct Unit {
    std::vector<Q> coef;  // over vars
    Q c;
    Bound r;
  };
  const auto concretise = [&](const Unit& u) {
    Bound x = Bound(u.c) + u.r;
    for (std::size_t j = 0; j < nv; ++j)
      if (u.coef[j] != 0) add_scaled(x, a[vars[j]], u.coef[j]);
    return x;
  };
  std::vector<Unit> units(a.size(), Unit{std::vector<Q>(nv), Q(0), Bound()});
  for (std::size_t j = 0; j < nv; ++j) units[vars[j]].coef[j] = 1;
  for (std::size_t c = 0; c < a.size(); ++c)
    if (a[c].point()) units[c].c = a[c].lo;
  for (std::size_t k = 0; k < stack.size(); ++k) {
    const AffineW& f = stack[k];
    std::vector<Unit> next(static_cast<std::size_t>(f.w.cols), Unit{std::vector<Q>(nv), Q(0), Bound()});
    for (std::size_t u = 0; u < next.size(); ++u) next[u].c = f.bias[u];
    for (int r = 0; r < f.w.rows; ++r) {
      const Unit& in = units[static_cast<std::size_t>(r)];
      const bool zero = in.c == 0 && in.r.point() && in.r.lo == 0 &&
                        std::all_of(in.coef.begin(), in.coef.end(), [](const Q& x) { return x == 0; });
      if (zero) continue;
      for (const auto& [col, w] : f.w.by_row[static_cast<std::size_t>(r)]) {
        Unit& o = next[static_cast<std::size_t>(col)];
        for (std::size_t j = 0; j < nv; ++j)
          if (in.coef[j] != 0) o.coef[j] += in.coef[j] * w;
        o.c += in.c * w;
        if (!(in.r.point() && in.r.lo == 0)) add_scaled(o.r, in.r, w);
      }
    }
    if (k + 1 < stack.size()) {  // ReLU, decided on the whole box where possible
      for (Unit& u : next) {
        Bound pre = concretise(u);
        if (pre.hi <= 0) u = Unit{std::vector<Q>(nv), Q(0), Bound()};
        else if (pre.lo >= 0) continue;
        else {
          ++undecided_relus_;
          round_outward(pre, bits_);
          u = Unit{std::vector<Q>(nv), Q(0), Bound(Q(0), pre.hi)};
        }
      }
    }
    units = std::move(next);
  }
  // X' = A + MLP(A): the residual's own coefficient joins the unit's before concretising, so that
  // cancellations (a saturated clamp, a scratch reset) are exact.
  for (std::size_t j = 0; j < nv; ++j) units[vars[j]].coef[j] += 1;
  for (std::size_t c = 0; c < a.size(); ++c) {
    if (a[c].point()) units[c].c += a[c].lo;
    a[c] = concretise(units[c]);
    round_outward(a[c], bits_);
  }
}

void Certified::add_head(std::size_t l, std::size_t h, std::size_t i, const LayerRows<Row>& in, Row& y) {
  HeadW& hw = layers_[l].heads[h];
  attend(hw, i, in.q[h], in.k[h], in.v[h], in.rows, attended_);
  add_product(y.v, attended_, hw.wo);
}

void Certified::end_attention(std::size_t, std::size_t, Row& y) const { round_row(y.v, bits_); }

// ---------------------------------------------------------------------------------------------------
// Decoding on exact endpoints

namespace {
CertifiedDecision decided(std::optional<long> answer, std::optional<Q> margin) {
  return {CertifiedDecision::Status::decided, answer, std::move(margin), {}};
}
CertifiedDecision undetermined(std::string why) { return {CertifiedDecision::Status::undetermined, std::nullopt, std::nullopt, std::move(why)}; }
Q floor_q(const Q& x) {
  Z f = numerator(x) / denominator(x);
  if (x < 0 && Q(f) != x) f -= 1;
  return Q(f);
}
long to_long_checked(const Q& x) {
  EXACTFORMER_ASSERT(abs(x) < Q(1L << 62), "decoded value out of range");
  return x.convert_to<long>();
}
// round(y) with the exact path's rule floor(y + 1/2), decided when [lo, hi] lies inside one open cell
// (k - 1/2, k + 1/2); a point on a half-integer is a boundary.
CertifiedDecision round_cell(const Bound& y) {
  const Q half = q(1, 2);
  const Q k = floor_q(y.lo + half);
  if (y.point()) {
    if (k - half == y.lo) return {CertifiedDecision::Status::boundary, to_long_checked(k), Q(0), "a decoded value exactly on a half-integer"};
    return decided(to_long_checked(k), std::min(y.lo - (k - half), (k + half) - y.hi));
  }
  if (k - half < y.lo && y.hi < k + half) return decided(to_long_checked(k), std::min(y.lo - (k - half), (k + half) - y.hi));
  return undetermined("rounded value [" + y.lo.str() + ", " + y.hi.str() + "] straddles a cell boundary");
}
bool contains_zero(const Bound& b) { return b.lo <= 0 && b.hi >= 0; }
// [x >= 1/2], decided when the enclosure lies on one side (the exact path's rule: 1/2 itself counts as 1).
CertifiedDecision threshold(const Bound& x) {
  const Q half = q(1, 2);
  if (x.lo >= half) return decided(1, x.lo - half);
  if (x.hi < half) return decided(0, half - x.hi);
  return undetermined("threshold input [" + x.lo.str() + ", " + x.hi.str() + "] contains 1/2");
}
}  // namespace

CertifiedDecision decode_certified(const Decoder& d, const std::vector<Bound>& row) {
  const auto at = [&](std::size_t i) -> const Bound& { return row[static_cast<std::size_t>(d.slots[i].col(0))]; };
  switch (d.kind) {
    case Decoder::Kind::threshold_half: {
      Bound sum;
      for (std::size_t i = 0; i < d.slots.size(); ++i) sum = sum + at(i);
      return threshold(sum);
    }
    case Decoder::Kind::round_inverse_minus_one: {
      Bound sum;
      for (std::size_t i = 0; i < d.slots.size(); ++i) {
        const Bound& o = at(i);
        if (o.point() && o.lo == 0) return decided(std::nullopt, std::nullopt);  // 1/0, as the exact path
        if (contains_zero(o)) return undetermined("a reciprocal's argument contains 0");
        sum = sum + reciprocal(o) - Bound(Q(1));
      }
      return round_cell(sum);
    }
    case Decoder::Kind::exact_ratio: {
      const Bound &a = at(0), &b = at(1);
      if (a.point() && b.point()) {
        if (b.lo == 0) return decided(std::nullopt, std::nullopt);
        const Q r = a.lo / b.lo;
        return is_integer(r) ? decided(to_long_checked(r), std::nullopt) : decided(std::nullopt, std::nullopt);
      }
      if (contains_zero(b)) return undetermined("a ratio's denominator contains 0");
      const Bound r = a * reciprocal(b);
      const Q f = floor_q(r.hi);
      if (f < r.lo) return decided(std::nullopt, std::min(r.lo - f, f + 1 - r.hi));  // no integer inside: not an integer
      return undetermined("an inexact ratio contains an integer: integrality cannot be certified");
    }
    case Decoder::Kind::is_zero: {
      const Bound& a = at(0);
      if (a.point()) return decided(a.lo == 0 ? 1L : 0L, std::nullopt);
      if (!contains_zero(a)) return decided(0, std::min(abs(a.lo), abs(a.hi)));
      return undetermined("an inexact value contains 0");
    }
    case Decoder::Kind::positive_rank: {
      const Bound z = at(0) - at(1) + at(2);
      if (z.lo > 0) return decided(1, z.lo);
      if (z.hi <= 0) return decided(0, -z.hi);
      return undetermined("rank input contains 0");
    }
    case Decoder::Kind::distance_or_none: {
      const CertifiedDecision found = threshold(at(0));
      if (found.status != CertifiedDecision::Status::decided) return found;
      if (found.answer == 0L) return decided(-1, found.margin);  // no path
      CertifiedDecision dist = round_cell(at(1));
      if (dist.margin && found.margin) dist.margin = std::min(*dist.margin, *found.margin);
      return dist;
    }
    case Decoder::Kind::bit_set: {
      long set = 0;
      std::optional<Q> margin;
      for (std::size_t i = 0; i < d.slots.size() && i < 62; ++i) {
        const CertifiedDecision bit = threshold(at(i));
        if (bit.status != CertifiedDecision::Status::decided) return bit;
        if (bit.answer == 1L) set += 1L << i;
        margin = margin ? std::min(*margin, *bit.margin) : *bit.margin;
      }
      return decided(set, margin);
    }
  }
  return undetermined("unknown decoder");
}

// ---------------------------------------------------------------------------------------------------
// Driver

std::string CertifiedResult::str() const {
  switch (decision.status) {
    case CertifiedDecision::Status::decided:
      return "decided at " + std::to_string(bits) + " bits" + (decision.margin ? ", margin " + approx(*decision.margin) : "");
    case CertifiedDecision::Status::boundary: return "exactly on a decision boundary (" + decision.why + ")";
    case CertifiedDecision::Status::undetermined:
      return "undetermined at " + std::to_string(bits) + " bits (" + decision.why + ")";
  }
  return "?";
}

CertifiedEvaluator::CertifiedEvaluator(const Model& model, int max_rung)
    : model_(model), max_rung_(std::clamp(max_rung, 0, kRungs - 1)) {
  rungs_.resize(static_cast<std::size_t>(max_rung_ + 1));
}

void CertifiedEvaluator::reset() {
  for (auto& r : rungs_)
    if (r) r->reset();
}

CertifiedResult CertifiedEvaluator::escalate(const Decoder& d,
                                             const std::function<const std::vector<Bound>&(Evaluator<Certified>&)>& pass) {
  CertifiedResult result;
  for (int r = 0; r <= max_rung_; ++r) {
    auto& ev = rungs_[static_cast<std::size_t>(r)];
    if (!ev) ev = std::make_unique<Evaluator<Certified>>(model_, kRungBits[r]);
    result.bits = kRungBits[r];
    last_ = ev.get();
    last_complete_ = false;
    try {
      result.decision = decode_certified(d, pass(*ev));
      last_complete_ = true;
    } catch (const Undecided& u) {
      ev->reset();  // its cache may hold a half-computed row
      result.decision = undetermined(u.why);
    }
    if (result.decision.status != CertifiedDecision::Status::undetermined) return result;
  }
  return result;
}

CertifiedResult CertifiedEvaluator::run(const Decoder& d, const Input& x, int row) {
  return escalate(d, [&](Evaluator<Certified>& ev) -> const std::vector<Bound>& { return ev.readout(x, row).v; });
}

CertifiedResult CertifiedEvaluator::run_all(const Decoder& d, const Input& x, int row) {
  EXACTFORMER_ASSERT(!model_.layers.empty(), "a certified full pass of a model without layers");
  return escalate(d, [&](Evaluator<Certified>& ev) -> const std::vector<Bound>& {
    ev.run_all(x);
    return ev.rows_after(model_.layers.size() - 1)[static_cast<std::size_t>(row)].v;
  });
}

bool needs_certified(const Model& model) {
  for (const Layer& l : model.layers)
    for (const Head& h : l.heads)
      if (h.mode.kind == AttentionKind::softmax) return true;
  return false;
}

}  // namespace exactformer
