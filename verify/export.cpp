// Weights out (verify/export.hpp; the format is docs/model-format.md).
#include "export.hpp"

#include <mpfr.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "report.hpp"
#include "sweep.hpp"
#include "tasks.hpp"

namespace exactformer {

std::vector<Token> vocabulary(int arity, int n, int pause_tokens) {
  std::vector<Token> out;
  for (int v = 0; v < n; ++v) out.push_back(Token{TokenKind::vertex, v, -1});
  for (int a = 0; a < n; ++a)  // lexicographic (a, b), a < b
    for (int b = a + 1; b < n; ++b) out.push_back(Token{TokenKind::edge, a, b});
  Task shape;
  shape.arity = arity;
  for (const Query& q : all_queries(shape, n)) out.push_back(task_token(q));
  for (int i = 0; i < pause_tokens; ++i) out.push_back(Token{TokenKind::pause, i, -1});
  return out;
}

namespace {

// The tensors of model.safetensors, in file order, with their exact values (copies: a bias is a RowQ).
struct Tensors {
  std::vector<std::pair<std::string, MatQ>> list;
  const std::string& add(std::string name, MatQ m) {
    list.emplace_back(std::move(name), std::move(m));
    return list.back().first;
  }
};

Json tensor_ref(const std::string& name, const MatQ& m) {
  return Json{{"tensor", name}, {"shape", {m.rows(), m.cols()}}, {"exact", exact_matrix_json(m)}};
}

std::string safetensors_bytes(const Tensors& t, const Json& metadata) {
  Json header = Json::object();
  header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& [name, m] : t.list) {
    const std::size_t bytes = static_cast<std::size_t>(m.rows() * m.cols()) * sizeof(double);
    header[name] = Json{{"dtype", "F64"}, {"shape", {m.rows(), m.cols()}}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string out(8, '\0');
  std::uint64_t len = text.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);  // little-endian u64
  out += text;
  static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
  for (const auto& [name, m] : t.list)
    for (Eigen::Index r = 0; r < m.rows(); ++r)  // row-major
      for (Eigen::Index c = 0; c < m.cols(); ++c) {
        const double d = to_double(m(r, c), 0);
        char buf[sizeof d];
        std::memcpy(buf, &d, sizeof d);
        out.append(buf, sizeof d);
      }
  return out;
}

}  // namespace

ExportedModel export_model(const Construction& c, int n, const Variant& v, const Built& built,
                           const std::vector<std::string>& verify_args) {
  const Model& m = built.model;
  const Task& task = find_task(c.task());
  Tensors tensors;

  const std::vector<Token> vocab = vocabulary(task.arity, n, m.pause_tokens);
  const MatQ embedding = embed_tokens(built, vocab).to_q();
  Json config;
  config["format"] = "exactformer-model/1";
  config["construction"] = c.name();
  config["summary"] = c.summary();
  config["task"] = Json{{"name", task.name}, {"arity", task.arity}, {"summary", task.summary}};
  config["n"] = n;
  config["variant"] = built.variant;
  config["verify_args"] = verify_args;
  config["regime"] = c.regime();
  config["measured"] = shape_json_value(measure(m));
  config["claimed"] = shape_json_value(c.claimed(n, v));
  config["width"] = m.layout.width();
  Json slots = Json::array();
  for (const Slot& s : m.layout.slots()) slots.push_back(Json{{"name", s.name}, {"offset", s.offset}, {"dim", s.dim}});
  config["slots"] = slots;
  config["sequence"] = Json{
      {"rule", "the vertex tokens 0..k-1 of a graph on k <= n vertices in order, then one edge token per edge, then the task "
               "token of the query, then the pause tokens 0..N'-1; the decoder reads the last row"},
      {"edge_order", c.order_invariant() ? "any (the construction is order-invariant; the exact tool checks shuffled orders too)"
                                         : "lexicographic (a, b), as the vocabulary lists them"},
      {"pause_tokens", m.pause_tokens},
      {"readout_row", "last"}};
  Json tokens = Json::array();
  for (std::size_t i = 0; i < vocab.size(); ++i)
    tokens.push_back(Json{{"index", i}, {"kind", token_kind_name(vocab[i].kind)}, {"a", vocab[i].a}, {"b", vocab[i].b}});
  config["vocabulary"] = tokens;
  config["embedding"] = tensor_ref(tensors.add("embedding", embedding), embedding);

  Json layers = Json::array();
  for (std::size_t l = 0; l < m.layers.size(); ++l) {
    const Layer& layer = m.layers[l];
    Json heads = Json::array();
    for (std::size_t h = 0; h < layer.heads.size(); ++h) {
      const Head& hd = layer.heads[h];
      const std::string p = "layers." + std::to_string(l) + ".heads." + std::to_string(h) + ".";
      Json head{{"name", hd.name},
                {"mode", attention_kind_name(hd.mode.kind)},
                {"b", hd.mode.b},
                {"beta", hd.mode.beta.str()},
                {"mask", hd.mask == Mask::causal ? "causal" : "none"},
                {"d_k", hd.wq.cols()},
                {"d_v", hd.wv.cols()}};
      head["wq"] = tensor_ref(tensors.add(p + "wq", hd.wq), hd.wq);
      head["wk"] = tensor_ref(tensors.add(p + "wk", hd.wk), hd.wk);
      head["wv"] = tensor_ref(tensors.add(p + "wv", hd.wv), hd.wv);
      head["wo"] = tensor_ref(tensors.add(p + "wo", hd.wo), hd.wo);
      heads.push_back(std::move(head));
    }
    Json mlp = Json::array();
    for (std::size_t a = 0; a < layer.mlp.layers.size(); ++a) {
      const Affine& af = layer.mlp.layers[a];
      const std::string p = "layers." + std::to_string(l) + ".mlp." + std::to_string(a) + ".";
      mlp.push_back(Json{{"weight", tensor_ref(tensors.add(p + "weight", af.w), af.w)},
                         {"bias", tensor_ref(tensors.add(p + "bias", af.bias), af.bias)}});
    }
    layers.push_back(Json{{"heads", heads}, {"mlp", mlp}});
  }
  config["layers"] = layers;
  Json dslots = Json::array();
  for (const Slot& s : built.decoder.slots) dslots.push_back(Json{{"name", s.name}, {"column", s.col(0)}});
  config["decoder"] = Json{{"kind", Decoder::kind_name(built.decoder.kind)}, {"text", built.decoder.str()}, {"slots", dslots}};

  const Json metadata{{"format", "exactformer-model/1"}, {"construction", c.name()}, {"n", std::to_string(n)}, {"variant", built.variant}};
  return ExportedModel{safetensors_bytes(tensors, metadata), config.dump(1) + "\n"};
}

void write_export(const std::string& dir, const ExportedModel& m) {
  replace_directory_atomically(dir, [&](const std::string& staging) {
    write_file_atomically(staging + "/model.safetensors", m.safetensors);
    write_file_atomically(staging + "/config.json", m.config);
  });
}

}  // namespace exactformer
