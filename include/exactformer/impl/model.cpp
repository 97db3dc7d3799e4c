// Implementation of include/exactformer/model.hpp: layout, shape measurement, reference forward pass.
#include "exactformer/model.hpp"

#include <mpfr.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace exactformer {

void Slot::no_component(int i) const {
  throw internal_error("slot " + name + " has no component " + std::to_string(i));
}

Slot Layout::add(std::string name, int dim) {
  EXACTFORMER_ASSERT(dim >= 0, "negative slot width");
  EXACTFORMER_ASSERT(!has(name), "duplicate slot " + name);
  slots_.push_back(Slot{std::move(name), width_, dim});
  width_ += dim;
  return slots_.back();
}

const Slot& Layout::at(std::string_view name) const {
  for (const auto& s : slots_)
    if (s.name == name) return s;
  throw internal_error("no slot named " + std::string(name));
}

bool Layout::has(std::string_view name) const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.name == name; });
}

std::string Layout::column_name(int col) const {
  for (const auto& s : slots_)
    if (col >= s.offset && col < s.offset + s.dim)
      return s.dim == 1 ? s.name : s.name + "[" + std::to_string(col - s.offset) + "]";
  throw internal_error("column " + std::to_string(col) + " outside the layout");
}

Head Head::zeros(std::string name, const Layout& layout, int d_k, int d_v) {
  const int d = layout.width();
  Head h;
  h.name = std::move(name);
  h.wq = MatQ::Zero(d, d_k);
  h.wk = MatQ::Zero(d, d_k);
  h.wv = MatQ::Zero(d, d_v);
  h.wo = MatQ::Zero(d_v, d);
  return h;
}

Affine Affine::zeros(int in, int out) { return Affine{MatQ::Zero(in, out), RowQ::Zero(out)}; }

// ---------------------------------------------------------------------------------------------------

namespace {
int max_bits(const MatQ& m) {
  int b = 0;
  for (Eigen::Index i = 0; i < m.size(); ++i) b = std::max(b, bit_size(m.data()[i]));
  return b;
}
}  // namespace

Shape measure(const Model& model) {
  Shape s;
  s.layers = static_cast<int>(model.layers.size());
  s.width = model.layout.width();
  s.pause_tokens = model.pause_tokens;
  for (const auto& layer : model.layers) {
    s.heads = std::max(s.heads, static_cast<int>(layer.heads.size()));
    for (const auto& h : layer.heads) {
      s.d_k = std::max(s.d_k, static_cast<int>(h.wq.cols()));
      s.d_v = std::max(s.d_v, static_cast<int>(h.wv.cols()));
      s.params += static_cast<long>(h.wq.size() + h.wk.size() + h.wv.size() + h.wo.size());
      for (const MatQ* m : {&h.wq, &h.wk, &h.wv, &h.wo}) s.weight_bits = std::max(s.weight_bits, max_bits(*m));
    }
    s.mlp_depth = std::max(s.mlp_depth, layer.mlp.hidden_depth());
    for (std::size_t i = 0; i < layer.mlp.layers.size(); ++i) {
      const auto& a = layer.mlp.layers[i];
      if (i + 1 < layer.mlp.layers.size()) s.mlp_width = std::max(s.mlp_width, static_cast<int>(a.w.cols()));
      s.params += static_cast<long>(a.w.size() + a.bias.size());
      s.weight_bits = std::max({s.weight_bits, max_bits(a.w), max_bits(a.bias)});
    }
  }
  return s;
}

std::string describe(const Shape& s) {
  std::ostringstream o;
  o << "L=" << s.layers << " H=" << s.heads << " d=" << s.width << " d_k=" << s.d_k << " d_v=" << s.d_v
    << " mlp=" << s.mlp_depth << "x" << s.mlp_width << " params=" << s.params << " bits=" << s.weight_bits;
  if (s.pause_tokens > 0) o << " N'=" << s.pause_tokens;
  return o.str();
}

std::vector<std::string> shape_differences(const Shape& m, const Shape& c) {
  std::vector<std::string> out;
  const auto cmp = [&](const char* name, long a, long b) {
    if (a != b) out.push_back(std::string(name) + ": measured " + std::to_string(a) + ", claimed " + std::to_string(b));
  };
  cmp("layers", m.layers, c.layers);
  cmp("heads", m.heads, c.heads);
  cmp("width", m.width, c.width);
  cmp("d_k", m.d_k, c.d_k);
  cmp("d_v", m.d_v, c.d_v);
  cmp("mlp_depth", m.mlp_depth, c.mlp_depth);
  cmp("mlp_width", m.mlp_width, c.mlp_width);
  cmp("params", m.params, c.params);
  cmp("pause_tokens", m.pause_tokens, c.pause_tokens);
  cmp("weight_bits", m.weight_bits, c.weight_bits);
  return out;
}

// ---------------------------------------------------------------------------------------------------

MatQ forward(const Model& model, const MatQ& x0, Record* record) {
  EXACTFORMER_ASSERT(x0.cols() == model.layout.width(), "input width differs from the layout");
  const Eigen::Index t = x0.rows();
  MatQ x = x0;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const Layer& layer = model.layers[l];
    MatQ a = x;
    for (const Head& h : layer.heads) {
      const MatQ qm = x * h.wq, km = x * h.wk, vm = x * h.wv;  // (T,d_k) (T,d_k) (T,d_v)
      MatQ mixed = MatQ::Zero(t, vm.cols());                   // (T,d_v)
      for (Eigen::Index i = 0; i < t; ++i) {
        const auto visible = static_cast<Eigen::Index>(visible_keys(h.mask, static_cast<std::size_t>(i), static_cast<std::size_t>(t)));
        const RowQ scores = qm.row(i) * km.topRows(visible).transpose();
        const RowQ w = attention_weights(scores, h.mode);
        mixed.row(i) = w * vm.topRows(visible);
      }
      a += mixed * h.wo;
    }
    if (record) {
      record->labels.push_back("layer " + std::to_string(l + 1) + " attention");
      record->residuals.push_back(a);
    }
    x = a;
    if (!layer.mlp.layers.empty()) {
      MatQ hdn = a;
      for (std::size_t i = 0; i < layer.mlp.layers.size(); ++i) {
        const Affine& f = layer.mlp.layers[i];
        MatQ next = hdn * f.w;
        next.rowwise() += f.bias;
        if (i + 1 < layer.mlp.layers.size()) next = next.cwiseMax(MatQ::Zero(next.rows(), next.cols()));
        hdn = std::move(next);
      }
      x = a + hdn;
    }
    if (record) {
      record->labels.push_back("layer " + std::to_string(l + 1) + " mlp");
      record->residuals.push_back(x);
    }
  }
  return x;
}

double to_double(const Q& x, int direction) {
  const mpfr_rnd_t rnd = direction < 0 ? MPFR_RNDD : direction > 0 ? MPFR_RNDU : MPFR_RNDN;
  mpfr_t r;
  mpfr_init2(r, 53);
  mpfr_set_q(r, x.backend().data(), rnd);
  const double d = mpfr_get_d(r, rnd);
  mpfr_clear(r);
  return d;
}

long parse_integer(const std::string& s, long lo, long hi, const std::string& what) {
  std::size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  bool ok = i < s.size();
  for (std::size_t j = i; ok && j < s.size(); ++j) ok = s[j] >= '0' && s[j] <= '9';
  EXACTFORMER_REQUIRE(ok, what + ": not an integer: " + quote_input(s));
  long v = 0;  // every long, 2^63 - 1 too; beyond it out of range, not "not an integer"
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXACTFORMER_REQUIRE(ec == std::errc() && end == s.data() + s.size() && v >= lo && v <= hi,
                      what + ": " + quote_input(s) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return v;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out(1);
  for (const char c : s) {
    if (c == ',') out.emplace_back();
    else out.back() += c;
  }
  return out;
}

// Digits (an optional '-' first) as a decimal integer. Not Z(string): Boost reads a leading 0 as octal
// ("010" = 8, "08" an exception), which the fuzzer found.
static Z decimal(const std::string& digits) {
  Z z;
  EXACTFORMER_ASSERT(mpz_set_str(z.backend().data(), digits.c_str(), 10) == 0, "not decimal digits");
  return z;
}

Q parse_rational(const std::string& s) {
  const std::string quoted = quote_input(s);
  std::size_t i = 0;
  const auto digits = [&](std::size_t from) {
    std::size_t j = from;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    return j;
  };
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t e = digits(i);
  EXACTFORMER_REQUIRE(e > i, "not a rational: " + quoted);
  const Z num = decimal(s.substr(0, e));
  Z den(1);
  if (e < s.size() && s[e] == '.') {  // a decimal d.ddd, exactly
    const std::size_t e2 = digits(e + 1);
    EXACTFORMER_REQUIRE(e2 == s.size() && e2 > e + 1, "not a rational: " + quoted);
    const std::string frac = s.substr(e + 1);
    Z scale(1);
    for (std::size_t k = 0; k < frac.size(); ++k) scale *= 10;
    const Z whole = s[0] == '-' ? -(abs(num) * scale + decimal(frac)) : num * scale + decimal(frac);
    return Q(whole, scale);
  }
  if (e < s.size()) {
    EXACTFORMER_REQUIRE(s[e] == '/', "not a rational: " + quoted);
    const std::size_t e2 = digits(e + 1);
    EXACTFORMER_REQUIRE(e2 == s.size() && e2 > e + 1, "not a rational: " + quoted);
    den = decimal(s.substr(e + 1));
    EXACTFORMER_REQUIRE(den != 0, "zero denominator: " + quoted);
  }
  return Q(num, den);
}

}  // namespace exactformer
