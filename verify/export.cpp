// Weights out (verify/export.hpp; the format is docs/model-format.md).
#include "export.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

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

std::string token_name(const Token& t) {
  const std::string a = std::to_string(t.a), b = std::to_string(t.b);
  switch (t.kind) {
    case TokenKind::vertex: return "v" + a;
    case TokenKind::edge: return "e" + a + "_" + b;
    case TokenKind::task: return t.a < 0 ? "task" : t.b < 0 ? "task_" + a : "task_" + a + "_" + b;
    case TokenKind::pause: return "pause_" + a;
  }
  return "?";
}

namespace {

Json tensor_ref(const std::string& name, const MatQ& m) {
  return Json{{"tensor", name}, {"shape", {m.rows(), m.cols()}}, {"exact", exact_matrix_json(m)}};
}

// A zero tensor of this shape, filled by put(flat index, exact value) with the nearest double.
struct FlatTensor {
  TensorData data;
  explicit FlatTensor(std::vector<std::int64_t> shape) {
    std::int64_t size = 1;
    for (const std::int64_t s : shape) size *= s;
    data.shape = std::move(shape);
    data.values.assign(static_cast<std::size_t>(size), 0.0);
  }
  void put(std::int64_t i, const Q& x) { data.values[static_cast<std::size_t>(i)] = to_double(x, 0); }
};

}  // namespace

namespace {

// One TransformerLens block of the view: a layer's heads (or none), then one hidden ReLU layer. A layer whose MLP
// has k > 1 hidden layers becomes k blocks, hidden layer j written into its own scratch columns S_j (appended
// after the d columns of the model, zero in every embedding) and read back by the next block; only the last block
// writes the layer's output map onto the model's columns. Later weights never read scratch columns, so the
// model's columns carry exactly the model's residual stream.
struct Block {
  const Layer* attention = nullptr;  // this layer's heads, or nullptr: a block added for a deeper MLP
  const Affine* in = nullptr;        // hidden = relu(input in.w + in.bias); nullptr: no MLP
  int in_col = -1;                   // input: the model's columns (-1) or the scratch columns from here
  const Affine* out = nullptr;       // the output map onto the model's columns; nullptr: hidden copied to out_col
  int out_col = 0;
  bool linear = false;               // `in` is the whole MLP, with no ReLU: z = relu(z) - relu(-z), 2d neurons
};

}  // namespace

TransformerLensView transformer_lens_view(const ExportedStructure& s) {
  const Model& m = s.model;
  TransformerLensView view;
  const int d = m.layout.width(), V = static_cast<int>(s.vocab.size());
  std::vector<Block> blocks;
  int width = d, H = 1, d_head = 1, d_mlp = 0;
  std::optional<AttentionMode> mode;
  std::optional<Mask> mask;
  for (const Layer& layer : m.layers) {
    H = std::max(H, static_cast<int>(layer.heads.size()));
    for (const Head& h : layer.heads) {
      d_head = std::max({d_head, static_cast<int>(h.wq.cols()), static_cast<int>(h.wv.cols())});
      if (mode && !(mode->kind == h.mode.kind && mode->b == h.mode.b && mode->beta == h.mode.beta))
        view.why_not = "its heads do not share one attention rule (TransformerLens has one per model)";
      if (mask && *mask != h.mask) view.why_not = "some heads are causal and some are not (TransformerLens' attention_dir is per model)";
      mode = h.mode;
      mask = h.mask;
    }
    const auto& maps = layer.mlp.layers;
    if (maps.empty()) {
      blocks.push_back(Block{&layer});
    } else if (maps.size() == 1) {
      blocks.push_back(Block{&layer, &maps[0], -1, nullptr, 0, true});
      d_mlp = std::max(d_mlp, 2 * d);
    } else {
      const std::size_t k = maps.size() - 1;  // hidden layers
      int input = -1;
      for (std::size_t j = 0; j < k; ++j) {
        const bool last = j + 1 == k;
        blocks.push_back(Block{j == 0 ? &layer : nullptr, &maps[j], input, last ? &maps[k] : nullptr, width});
        d_mlp = std::max(d_mlp, static_cast<int>(maps[j].w.cols()));
        if (!last) {
          input = width;
          width += static_cast<int>(maps[j].w.cols());
        }
      }
    }
  }
  const bool attn_only = d_mlp == 0;
  const int L = static_cast<int>(blocks.size()), K = static_cast<int>(s.decoder.slots.size());
  const int n_ctx = s.n + s.n * (s.n - 1) / 2 + 1 + m.pause_tokens;  // K_n's sequence: the longest
  const AttentionMode rule = mode.value_or(AttentionMode::hard());

  view.config = Json{{"model_name", "exactformer/" + s.task},
                     {"n_layers", L},
                     {"d_model", width},
                     {"d_head", d_head},
                     {"n_heads", H},
                     {"d_mlp", attn_only ? Json() : Json(d_mlp)},
                     {"d_vocab", V},
                     {"d_vocab_out", K},
                     {"n_ctx", n_ctx},
                     {"act_fn", "relu"},
                     {"normalization_type", nullptr},
                     {"attention_dir", mask.value_or(Mask::none) == Mask::causal ? "causal" : "bidirectional"},
                     {"attn_only", attn_only},
                     {"positional_embedding_type", "standard"},
                     // TransformerLens divides scores by attn_scale: softmax(β) is a divisor 1/β (rounded to a double)
                     {"use_attn_scale", rule.kind == AttentionKind::softmax},
                     {"attn_scale", rule.kind == AttentionKind::softmax ? to_double(Q(1) / rule.beta, 0) : 1.0}};

  Json vocabulary = Json::array();
  for (const Token& t : s.vocab) vocabulary.push_back(token_name(t));
  Json templ = Json::array({Json{{"each", "vertex"}, {"tokens", {"v{i}"}}}, Json{{"each", "edge"}, {"tokens", {"e{u}_{v}"}}}});
  templ.push_back(s.arity == 0 ? "task" : s.arity == 1 ? "task_{s}" : "task_{s}_{t}");
  if (m.pause_tokens > 0) templ.push_back(Json{{"repeat", m.pause_tokens}, {"tokens", {"pause_{k}"}}});
  Json logits = Json::array();
  for (const Slot& slot : s.decoder.slots) logits.push_back(slot.name);
  view.prompt = Json{{"format", "exactformer-prompt/1"},
                     {"task", s.task},
                     {"vocabulary", vocabulary},
                     {"template", templ},
                     {"edge_order", "lexicographic"},
                     {"orientation", "lower_first"},
                     {"readout", -1},
                     {"attention", rule.kind == AttentionKind::hard       ? std::string("hard")
                                   : rule.kind == AttentionKind::softmax2 ? "softmax2:" + std::to_string(rule.b)
                                                                          : std::string("softmax")},
                     {"decoder", Json{{"kind", Decoder::kind_name(s.decoder.kind)}, {"text", s.decoder.str()}, {"logits", logits}}}};
  if (!view.why_not.empty()) return view;

  const auto add = [&](std::string name, FlatTensor t) { view.tensors.emplace_back(std::move(name), std::move(t.data)); };
  const std::int64_t D = width;
  FlatTensor w_e({V, D});
  for (int i = 0; i < V; ++i)
    for (int c = 0; c < d; ++c) w_e.put(i * D + c, s.embedding(i, c));
  add("embed.W_E", std::move(w_e));
  add("pos_embed.W_pos", FlatTensor({n_ctx, D}));
  for (int l = 0; l < L; ++l) {
    const Block& b = blocks[static_cast<std::size_t>(l)];
    const std::string p = "blocks." + std::to_string(l) + ".";
    FlatTensor wq({H, D, d_head}), wk({H, D, d_head}), wv({H, D, d_head}), wo({H, d_head, D});
    for (std::size_t h = 0; b.attention && h < b.attention->heads.size(); ++h) {
      const Head& hd = b.attention->heads[h];
      const std::int64_t base = static_cast<std::int64_t>(h) * D * d_head;
      for (int r = 0; r < d; ++r) {
        for (Eigen::Index k = 0; k < hd.wq.cols(); ++k) {
          wq.put(base + r * d_head + k, hd.wq(r, k));
          wk.put(base + r * d_head + k, hd.wk(r, k));
        }
        for (Eigen::Index k = 0; k < hd.wv.cols(); ++k) wv.put(base + r * d_head + k, hd.wv(r, k));
      }
      for (Eigen::Index k = 0; k < hd.wo.rows(); ++k)
        for (int c = 0; c < d; ++c) wo.put(base + k * D + c, hd.wo(k, c));
    }
    add(p + "attn.W_Q", std::move(wq));
    add(p + "attn.W_K", std::move(wk));
    add(p + "attn.W_V", std::move(wv));
    add(p + "attn.W_O", std::move(wo));
    for (const char* bias : {"attn.b_Q", "attn.b_K", "attn.b_V"}) add(p + bias, FlatTensor({H, d_head}));
    add(p + "attn.b_O", FlatTensor({D}));
    if (attn_only) continue;
    FlatTensor w_in({D, d_mlp}), b_in({d_mlp}), w_out({d_mlp, D}), b_out({D});
    if (b.linear) {
      for (int c = 0; c < d; ++c) {
        for (int r = 0; r < d; ++r) {
          w_in.put(r * d_mlp + c, b.in->w(r, c));
          w_in.put(r * d_mlp + d + c, -b.in->w(r, c));
        }
        b_in.put(c, b.in->bias(0, c));
        b_in.put(d + c, -b.in->bias(0, c));
        w_out.put(c * D + c, Q(1));
        w_out.put((d + c) * D + c, Q(-1));
      }
    } else if (b.in) {
      const Eigen::Index hidden = b.in->w.cols();
      for (Eigen::Index r = 0; r < b.in->w.rows(); ++r)
        for (Eigen::Index k = 0; k < hidden; ++k) w_in.put((b.in_col < 0 ? r : b.in_col + r) * d_mlp + k, b.in->w(r, k));
      for (Eigen::Index k = 0; k < hidden; ++k) {
        b_in.put(k, b.in->bias(0, k));
        if (b.out)
          for (int c = 0; c < d; ++c) w_out.put(k * D + c, b.out->w(k, c));
        else
          w_out.put(k * D + b.out_col + k, Q(1));
      }
      if (b.out)
        for (int c = 0; c < d; ++c) b_out.put(c, b.out->bias(0, c));
    }
    add(p + "mlp.W_in", std::move(w_in));
    add(p + "mlp.b_in", std::move(b_in));
    add(p + "mlp.W_out", std::move(w_out));
    add(p + "mlp.b_out", std::move(b_out));
  }
  FlatTensor w_u({D, K});
  for (int i = 0; i < K; ++i) w_u.put(s.decoder.slots[static_cast<std::size_t>(i)].col(0) * K + i, Q(1));
  add("unembed.W_U", std::move(w_u));
  add("unembed.b_U", FlatTensor({K}));
  return view;
}

ExportedModel export_model(const Construction& c, int n, const Variant& v, const Built& built,
                           const std::vector<std::string>& verify_args) {
  const Model& m = built.model;
  const Task& task = find_task(c.task());
  const std::vector<Token> vocab = vocabulary(task.arity, n, m.pause_tokens);
  const MatQ embedding = embed_tokens(built, vocab).to_q();
  const TransformerLensView tl = transformer_lens_view(ExportedStructure{m, embedding, vocab, built.decoder, task.name, task.arity, n});

  Json config;
  config["format"] = "exactformer-model/2";
  config["construction"] = c.name();
  config["summary"] = c.summary();
  config["task"] = Json{{"name", task.name}, {"arity", task.arity}, {"summary", task.summary}};
  config["n"] = n;
  config["variant"] = built.variant;
  config["verify_args"] = verify_args;
  config["regime"] = c.regime();
  config["measured"] = shape_json_value(measure(m));
  config["claimed"] = shape_json_value(c.claimed(n, v));
  config["order_invariant"] = c.order_invariant();
  config["transformer_lens"] = tl.why_not.empty() ? Json{{"view", true}} : Json{{"view", false}, {"why_not", tl.why_not}};
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
  config["embedding"] = tensor_ref("embedding", embedding);

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
      head["wq"] = tensor_ref(p + "wq", hd.wq);
      head["wk"] = tensor_ref(p + "wk", hd.wk);
      head["wv"] = tensor_ref(p + "wv", hd.wv);
      head["wo"] = tensor_ref(p + "wo", hd.wo);
      heads.push_back(std::move(head));
    }
    Json mlp = Json::array();
    for (std::size_t a = 0; a < layer.mlp.layers.size(); ++a) {
      const Affine& af = layer.mlp.layers[a];
      const std::string p = "layers." + std::to_string(l) + ".mlp." + std::to_string(a) + ".";
      mlp.push_back(Json{{"weight", tensor_ref(p + "weight", af.w)}, {"bias", tensor_ref(p + "bias", af.bias)}});
    }
    layers.push_back(Json{{"heads", heads}, {"mlp", mlp}});
  }
  config["layers"] = layers;
  Json dslots = Json::array();
  for (const Slot& s : built.decoder.slots) dslots.push_back(Json{{"name", s.name}, {"column", s.col(0)}});
  config["decoder"] = Json{{"kind", Decoder::kind_name(built.decoder.kind)}, {"text", built.decoder.str()}, {"slots", dslots}};

  ExportedModel out;
  out.files.emplace_back("exactformer.json", config.dump(1) + "\n");
  out.files.emplace_back("prompt.json", tl.prompt.dump(1) + "\n");
  out.transformer_lens = tl.why_not.empty();
  out.why_not = tl.why_not;
  if (out.transformer_lens) {
    out.files.emplace_back("config.json", tl.config.dump(1) + "\n");
    out.files.emplace_back("model.safetensors", safetensors_f64_bytes(tl.tensors, {{"format", "pt"}, {"exactformer", "exactformer-model/2"},
                                                                                    {"construction", c.name()}, {"n", std::to_string(n)}, {"variant", built.variant}}));
  }
  return out;
}

ExportOutputs::ExportOutputs(OutputFiles& outputs, const std::string& dir) : outputs_(outputs) {
  std::error_code ec;
  const std::string into = std::filesystem::is_directory(dir, ec) ? dir : outputs.directory(dir, "--out");
  for (const char* name : {"exactformer.json", "prompt.json", "config.json", "model.safetensors"}) {
    paths_.emplace_back(name, (std::filesystem::path(into) / name).string());
    outputs.file(paths_.back().second, "--out " + dir + ": " + name);
  }
}

void ExportOutputs::write(const ExportedModel& m) {
  for (const auto& [name, path] : paths_) {
    const auto it = std::find_if(m.files.begin(), m.files.end(), [&](const auto& f) { return f.first == name; });
    if (it == m.files.end())
      outputs_.remove(path);
    else
      outputs_.write(path, it->second);
  }
}

void write_export(const std::string& dir, const ExportedModel& m) {
  OutputFiles outputs;
  ExportOutputs(outputs, dir).write(m);
  outputs.commit();
}

}  // namespace exactformer
