// An exactformer export read back (verify/imported/exported.hpp).
#include "imported/exported.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "export.hpp"
#include "imported/import.hpp"
#include "imported/safetensors.hpp"
#include "sweep.hpp"
#include "report.hpp"
#include "tasks.hpp"

namespace exactformer {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kMaxExportN = 64;          // the largest n an export is read for (its vocabulary is Θ(n²) tokens)
constexpr long kMaxEntries = 1L << 26;   // weights in one matrix
constexpr std::size_t kMaxFile = 1u << 30;

// Field access with the file and the path in every error.
struct Field {
  const json& j;
  std::string where;  // "DIR/exactformer.json: layers[1].heads[0]"

  [[noreturn]] void fail(const std::string& what) const { throw usage_error(where + ": " + what); }
  Field at(const std::string& key) const {
    if (!j.is_object()) fail("must be an object");
    if (!j.contains(key)) fail("no field \"" + key + "\"");
    return Field{j.at(key), where + "." + key};
  }
  Field at(std::size_t i) const { return Field{j.at(i), where + "[" + std::to_string(i) + "]"}; }
  std::size_t size() const {
    if (!j.is_array()) fail("must be an array");
    return j.size();
  }
  long integer(long lo, long hi) const {
    if (!j.is_number_integer()) fail("must be an integer");
    const long v = j.get<long>();
    if (v < lo || v > hi) fail(std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
    return v;
  }
  std::string text(std::size_t max = 4096) const {
    if (!j.is_string()) fail("must be a string");
    const std::string s = j.get<std::string>();
    if (s.size() > max) fail("longer than " + std::to_string(max) + " characters");
    return s;
  }
  bool flag() const {
    if (!j.is_boolean()) fail("must be true or false");
    return j.get<bool>();
  }
  Q rational() const {
    const std::string s = text(1024);
    try {
      return parse_rational(s);
    } catch (const usage_error&) {
      fail(quote_input(s) + " is not a rational \"p\" or \"p/q\"");
    }
  }
  // {tensor, shape: [rows, cols], exact: rows of "p/q"} with the expected shape.
  MatQ matrix(long rows, long cols) const {
    const Field shape = at("shape");
    if (shape.size() != 2 || shape.at(0).integer(0, kMaxEntries) != rows || shape.at(1).integer(0, kMaxEntries) != cols)
      fail("shape " + shape.j.dump().substr(0, 40) + ", expected [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
    if (rows * cols > kMaxEntries) fail("more than " + std::to_string(kMaxEntries) + " entries");
    const Field exact = at("exact");
    if (exact.size() != static_cast<std::size_t>(rows)) fail("\"exact\" has " + std::to_string(exact.size()) + " rows, its shape says " + std::to_string(rows));
    MatQ m(rows, cols);
    for (long r = 0; r < rows; ++r) {
      const Field row = exact.at(static_cast<std::size_t>(r));
      if (row.size() != static_cast<std::size_t>(cols)) row.fail("has " + std::to_string(row.size()) + " entries, the shape says " + std::to_string(cols));
      for (long c = 0; c < cols; ++c) m(r, c) = row.at(static_cast<std::size_t>(c)).rational();
    }
    return m;
  }
};

json parse_file(const std::string& path) {
  const std::string text = read_small_file(path, kMaxFile);
  require_json_depth(text, 16, path);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw usage_error(path + ": not JSON");
  if (!j.is_object()) throw usage_error(path + ": not a JSON object");
  return j;
}

Shape shape_of(const Field& f) {
  Shape s;
  s.layers = static_cast<int>(f.at("layers").integer(0, 1 << 20));
  s.heads = static_cast<int>(f.at("heads").integer(0, 1 << 20));
  s.width = static_cast<int>(f.at("width").integer(0, 1 << 24));
  s.d_k = static_cast<int>(f.at("d_k").integer(0, 1 << 24));
  s.d_v = static_cast<int>(f.at("d_v").integer(0, 1 << 24));
  s.mlp_depth = static_cast<int>(f.at("mlp_depth").integer(0, 1 << 20));
  s.mlp_width = static_cast<int>(f.at("mlp_width").integer(0, 1 << 24));
  s.params = f.at("params").integer(0, 1L << 40);
  s.weight_bits = static_cast<int>(f.at("weight_bits").integer(0, 1 << 24));
  s.pause_tokens = f.at("pause_tokens").integer(0, 1L << 40);
  return s;
}

Decoder::Kind decoder_kind(const Field& f) {
  const std::string name = f.text(64);
  for (const auto k : {Decoder::Kind::threshold_half, Decoder::Kind::round_inverse_minus_one, Decoder::Kind::exact_ratio, Decoder::Kind::is_zero,
                       Decoder::Kind::positive_rank, Decoder::Kind::distance_or_none, Decoder::Kind::bit_set})
    if (name == Decoder::kind_name(k)) return k;
  f.fail(quote_input(name) + " is not a decoder kind");
}

// The number of slots each decoder kind reads: {least, most}.
std::pair<std::size_t, std::size_t> decoder_arity(Decoder::Kind k) {
  switch (k) {
    case Decoder::Kind::exact_ratio: case Decoder::Kind::distance_or_none: return {2, 2};
    case Decoder::Kind::is_zero: return {1, 1};
    case Decoder::Kind::positive_rank: return {3, 3};
    case Decoder::Kind::bit_set: return {1, 62};
    default: return {1, 1 << 16};
  }
}

class ExportedConstruction : public Construction {
 public:
  std::string name() const override { return name_; }
  std::string task() const override { return task_; }
  std::string summary() const override { return summary_; }
  std::string doc() const override { return file_; }
  bool order_invariant() const override { return order_invariant_; }
  std::string regime() const override { return regime_; }
  std::vector<Variant> modes() const override { return {}; }
  Built build(int n, const Variant& /*v: the export is one variant*/) const override {
    EXACTFORMER_REQUIRE(n <= n_, "--n " + std::to_string(n) + ": " + dir_ + " holds a model built for graphs with at most " + std::to_string(n_) + " vertices");
    return built_;
  }
  Shape claimed(int /*n*/, const Variant& /*v*/) const override { return claimed_; }
  std::vector<CheckSpec> checks() const override { return {}; }

  std::string dir_, file_, name_, task_, summary_, regime_;
  int n_ = 0;
  bool order_invariant_ = true;
  Shape claimed_;
  Built built_;
};

// The exact model of the config (exactformer-model/1 or /2: the same fields).
std::shared_ptr<ExportedConstruction> read_structure(const json& j, const std::string& file, const std::string& dir, int version,
                                                    std::vector<std::pair<std::string, MatQ>>& named) {
  const Field root{j, file};
  auto c = std::make_shared<ExportedConstruction>();
  c->dir_ = dir;
  c->file_ = file;
  c->name_ = root.at("construction").text(128);
  c->summary_ = root.at("summary").text();
  c->regime_ = root.at("regime").text();
  const Field task = root.at("task");
  c->task_ = task.at("name").text(64);
  const Task* t = nullptr;
  try {
    t = &find_task(c->task_);
  } catch (const usage_error&) {
    task.at("name").fail(quote_input(c->task_) + " is not a task of this exactformer (see `list`)");
  }
  if (task.at("arity").integer(0, 2) != t->arity) task.at("arity").fail("is not " + c->task_ + "'s arity " + std::to_string(t->arity));
  c->n_ = static_cast<int>(root.at("n").integer(1, kMaxExportN));
  c->built_.variant = root.at("variant").text(256);
  c->claimed_ = shape_of(root.at("claimed"));
  c->order_invariant_ = version >= 2 ? root.at("order_invariant").flag() : root.at("sequence").at("edge_order").text().rfind("any", 0) == 0;

  Model& m = c->built_.model;
  const int d = static_cast<int>(root.at("width").integer(1, 1 << 16));
  const Field slots = root.at("slots");
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const Field s = slots.at(i);
    const std::string name = s.at("name").text(128);
    if (s.at("offset").integer(0, d) != m.layout.width()) s.at("offset").fail("slots must tile the width in order: expected " + std::to_string(m.layout.width()));
    if (m.layout.has(name)) s.at("name").fail("duplicate slot " + quote_input(name));
    m.layout.add(name, static_cast<int>(s.at("dim").integer(0, d - m.layout.width())));
  }
  if (m.layout.width() != d) slots.fail("cover " + std::to_string(m.layout.width()) + " columns, the width is " + std::to_string(d));
  m.pause_tokens = static_cast<int>(root.at("sequence").at("pause_tokens").integer(0, 1 << 20));

  // The vocabulary is the exporter's, token for token.
  const std::vector<Token> vocab = vocabulary(t->arity, c->n_, m.pause_tokens);
  const Field tokens = root.at("vocabulary");
  if (tokens.size() != vocab.size()) tokens.fail(std::to_string(tokens.size()) + " tokens, the exporter's vocabulary at this n has " + std::to_string(vocab.size()));
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    const Field tk = tokens.at(i);
    if (tk.at("index").integer(0, 1L << 40) != static_cast<long>(i) || tk.at("kind").text(16) != token_kind_name(vocab[i].kind) ||
        tk.at("a").integer(-1, 1 << 20) != vocab[i].a || tk.at("b").integer(-1, 1 << 20) != vocab[i].b)
      tk.fail("differs from the exporter's vocabulary (token " + std::to_string(i) + " is " + token_name(vocab[i]) + ")");
  }
  const Field emb = root.at("embedding");
  const MatQ embedding = emb.matrix(static_cast<long>(vocab.size()), d);
  named.emplace_back(emb.at("tensor").text(256), embedding);
  // Token rows as the small fractions a construction writes (RowWriter).
  auto rows = std::make_shared<std::map<Token, std::vector<std::pair<int, Frac64>>, decltype([](const Token& x, const Token& y) {
    return std::tie(x.kind, x.a, x.b) < std::tie(y.kind, y.a, y.b);
  })>>();
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    auto& row = (*rows)[vocab[i]];
    for (int col = 0; col < d; ++col) {
      const Q& x = embedding(static_cast<Eigen::Index>(i), col);
      if (x == 0) continue;
      const Z& p = numerator(x);
      const Z& q = denominator(x);
      if (abs(p) > Z(std::numeric_limits<std::int64_t>::max()) || q > Z(std::numeric_limits<std::int64_t>::max()))
        emb.fail("row " + std::to_string(i) + ", column " + std::to_string(col) + ": " + x.str().substr(0, 40) + " does not fit a 64-bit fraction");
      row.emplace_back(col, Frac64{static_cast<std::int64_t>(p), static_cast<std::int64_t>(q)});
    }
  }
  const Slot whole{"row", 0, d};
  c->built_.embed = [rows, whole, n = c->n_](const Token& tk, RowWriter& w) {
    const auto it = rows->find(tk);
    EXACTFORMER_ASSERT(it != rows->end(), "token " + token_name(tk) + " is not in the vocabulary of an export for n <= " + std::to_string(n));
    for (const auto& [col, f] : it->second) w.set(whole, col, f.num, f.den);
  };

  const Field layers = root.at("layers");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Field layer = layers.at(l);
    Layer out;
    const Field heads = layer.at("heads");
    for (std::size_t h = 0; h < heads.size(); ++h) {
      const Field hd = heads.at(h);
      const std::string mode = hd.at("mode").text(16);
      AttentionMode am;
      if (mode == "softmax2") am = AttentionMode::softmax2(static_cast<int>(hd.at("b").integer(1, 1024)));
      else if (mode == "softmax") {
        const Q beta = hd.at("beta").rational();
        if (beta <= 0 || beta > 1 << 20) hd.at("beta").fail("must be in (0, 2^20]");
        am = AttentionMode::softmax(beta);
      } else if (mode != "hard") hd.at("mode").fail(quote_input(mode) + ": hard, softmax2 or softmax");
      const std::string mask = hd.at("mask").text(16);
      if (mask != "none" && mask != "causal") hd.at("mask").fail(quote_input(mask) + ": none or causal");
      const long dk = hd.at("d_k").integer(0, 1 << 16), dv = hd.at("d_v").integer(0, 1 << 16);
      Head head{hd.at("name").text(128), am, mask == "causal" ? Mask::causal : Mask::none, hd.at("wq").matrix(d, dk), hd.at("wk").matrix(d, dk),
                hd.at("wv").matrix(d, dv), hd.at("wo").matrix(dv, d)};
      for (const auto& [w, m] : {std::pair{"wq", &head.wq}, {"wk", &head.wk}, {"wv", &head.wv}, {"wo", &head.wo}})
        named.emplace_back(hd.at(w).at("tensor").text(256), *m);
      out.heads.push_back(std::move(head));
    }
    const Field mlp = layer.at("mlp");
    long in = d;
    for (std::size_t a = 0; a < mlp.size(); ++a) {
      const Field af = mlp.at(a);
      const long cols = af.at("weight").at("shape").size() == 2 ? af.at("weight").at("shape").at(1).integer(1, 1 << 20) : 0;
      if (a + 1 == mlp.size() && cols != d) af.at("weight").fail("the MLP's last map must have " + std::to_string(d) + " columns");
      Affine map{af.at("weight").matrix(in, cols), af.at("bias").matrix(1, cols)};
      named.emplace_back(af.at("weight").at("tensor").text(256), map.w);
      named.emplace_back(af.at("bias").at("tensor").text(256), map.bias);
      out.mlp.layers.push_back(std::move(map));
      in = cols;
    }
    m.layers.push_back(std::move(out));
  }

  const Field dec = root.at("decoder");
  c->built_.decoder.kind = decoder_kind(dec.at("kind"));
  const Field ds = dec.at("slots");
  const auto [least, most] = decoder_arity(c->built_.decoder.kind);
  if (ds.size() < least || ds.size() > most)
    ds.fail(std::string(Decoder::kind_name(c->built_.decoder.kind)) + " reads " + std::to_string(least) + (least == most ? "" : ".." + std::to_string(most)) + " slots, not " + std::to_string(ds.size()));
  for (std::size_t i = 0; i < ds.size(); ++i)
    c->built_.decoder.slots.push_back(Slot{ds.at(i).at("name").text(128), static_cast<int>(ds.at(i).at("column").integer(0, d - 1)), 1});
  return c;
}

std::string shortest(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// The float64 view must be the exporter's rounding of the exact weights, value for value.
void require_same_tensors(const SafetensorsReader& st, const std::vector<std::pair<std::string, TensorData>>& expected, const std::string& exact_file) {
  std::map<std::string, const TensorData*> want;
  for (const auto& [name, t] : expected) want[name] = &t;
  for (const auto& [name, entry] : st.tensors())
    if (!want.count(name)) throw usage_error(st.label() + ": tensor " + quote_input(name) + " is not in the model of " + exact_file);
  for (const auto& [name, t] : want) {
    if (!st.has(name)) throw usage_error(st.label() + ": tensor " + quote_input(name) + " is missing");
    const TensorData got = st.read(name);
    if (got.shape != t->shape) throw usage_error(st.label() + ": tensor " + quote_input(name) + " has another shape than the model of " + exact_file);
    for (std::size_t i = 0; i < got.values.size(); ++i)
      if (std::memcmp(&got.values[i], &t->values[i], sizeof(double)) != 0)
        throw usage_error(st.label() + ": tensor " + quote_input(name) + " entry " + std::to_string(i) + " is " + shortest(got.values[i]) +
                          ", the exact weights of " + exact_file + " round to " + shortest(t->values[i]) + ": the two views disagree");
  }
}

void require_same_json(const std::string& path, const Json& expected, const std::string& exact_file) {
  const json got = parse_file(path), want = json::parse(expected.dump());
  if (got != want) throw usage_error(path + ": differs from what the exact model of " + exact_file + " gives (the two views disagree)");
}

}  // namespace

bool is_exactformer_export(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "exactformer.json", ec)) return true;
  const fs::path config = fs::path(dir) / "config.json";
  if (!fs::is_regular_file(config, ec) || fs::file_size(config, ec) > kMaxFile) return false;
  const std::string text = read_small_file(config.string(), kMaxFile);
  return text.find("\"exactformer-model/1\"") != std::string::npos && text.find("\"format\"") != std::string::npos;
}

LoadedExport load_exported(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  const bool v2 = fs::exists(root / "exactformer.json", ec);
  const std::string file = (root / (v2 ? "exactformer.json" : "config.json")).string();
  const std::string exact_name = v2 ? "exactformer.json" : "config.json";  // in errors that already name the directory
  const json j = parse_file(file);
  const std::string format = j.contains("format") && j["format"].is_string() ? j["format"].get<std::string>() : std::string();
  if (format != (v2 ? "exactformer-model/2" : "exactformer-model/1"))
    throw usage_error(file + ": \"format\" must be \"" + (v2 ? "exactformer-model/2" : "exactformer-model/1") + "\"");
  std::vector<std::pair<std::string, MatQ>> named;
  auto c = read_structure(j, file, dir, v2 ? 2 : 1, named);
  const Task& task = find_task(c->task_);
  if (!v2) {  // model.safetensors holds every matrix under its "tensor" name, rounded to the nearest double
    std::vector<std::pair<std::string, TensorData>> expected;
    for (const auto& [name, m] : named) {
      TensorData t{{m.rows(), m.cols()}, {}};
      for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index col = 0; col < m.cols(); ++col) t.values.push_back(to_double(m(r, col), 0));
      expected.emplace_back(name, std::move(t));
    }
    require_same_tensors(SafetensorsReader::open((root / "model.safetensors").string()), expected, exact_name);
    return LoadedExport{c, c->n_, format, file};
  }
  const std::vector<Token> vocab = vocabulary(task.arity, c->n_, c->built_.model.pause_tokens);
  const MatQ embedding = embed_tokens(c->built_, vocab).to_q();
  const TransformerLensView view =
      transformer_lens_view(ExportedStructure{c->built_.model, embedding, vocab, c->built_.decoder, task.name, task.arity, c->n_});
  const Field tl{j.at("transformer_lens"), file + ": transformer_lens"};
  if (tl.at("view").flag() != view.why_not.empty())
    tl.fail(view.why_not.empty() ? "says there is no TransformerLens view, but TransformerLens computes this model"
                                 : "says there is a TransformerLens view, but " + view.why_not);
  require_same_json((root / "prompt.json").string(), view.prompt, exact_name);
  if (view.why_not.empty()) {
    require_same_json((root / "config.json").string(), view.config, exact_name);
    require_same_tensors(SafetensorsReader::open((root / "model.safetensors").string()), view.tensors, exact_name);
  }
  return LoadedExport{c, c->n_, format, file};
}

}  // namespace exactformer
