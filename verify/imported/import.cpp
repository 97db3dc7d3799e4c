#include "imported/import.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "exactformer/errors.hpp"
#include "report.hpp"
#include "tasks.hpp"

namespace exactformer {

std::string read_small_file(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw usage_error(path + ": missing or not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > max_bytes) throw usage_error(path + ": larger than " + std::to_string(max_bytes >> 20) + " MB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in && !in.eof()) throw usage_error(path + ": cannot read");
  return s.str();
}

namespace {

using nlohmann::json;

// HookedTransformerConfig fields that do not change the function computed (names, devices, hooks, init).
const std::set<std::string>& neutral_fields() {
  static const std::set<std::string> s = {
      "model_name", "use_attn_result", "use_split_qkv_input", "use_hook_mlp_in", "use_attn_in", "original_architecture",
      "from_checkpoint", "checkpoint_index", "checkpoint_label_type", "checkpoint_value", "tokenizer_name", "init_mode",
      "device", "n_devices", "seed", "initializer_range", "init_weights", "n_params", "use_hook_tokens", "default_prepend_bos",
      "dtype", "tokenizer_prepends_bos", "trust_remote_code", "load_in_4bit", "tie_word_embeddings", "default_padding_side",
      "ungroup_grouped_query_attention", "rotary_base", "rotary_adjacent_pairs", "rotary_dim", "window_size", "decoder_start_token_id",
      "relative_attention_max_distance", "relative_attention_num_buckets", "experts_per_token", "NTK_by_parts_low_freq_factor",
      "NTK_by_parts_high_freq_factor", "NTK_by_parts_factor", "NTK_original_ctx_len", "use_NTK_by_parts_rope", "padding_side"};
  return s;
}

struct Config {
  const json& j;
  const std::string& file;
  bool has(const char* k) const { return j.contains(k) && !j[k].is_null(); }
  long integer(const char* k, long lo, long hi) const {
    if (!j.contains(k)) throw usage_error(file + ": missing field \"" + k + "\"");
    if (!j[k].is_number_integer()) throw usage_error(file + ": \"" + k + "\" must be an integer");
    const long v = j[k].get<long>();
    if (v < lo || v > hi) throw usage_error(file + ": \"" + k + "\" = " + std::to_string(v) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  }
  bool flag(const char* k, bool fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_boolean()) throw usage_error(file + ": \"" + k + "\" must be true or false");
    return j[k].get<bool>();
  }
  std::string string(const char* k, const char* fallback) const {
    if (!j.contains(k)) return fallback;
    if (j[k].is_null()) return "null";
    if (!j[k].is_string()) throw usage_error(file + ": \"" + k + "\" must be a string");
    return j[k].get<std::string>();
  }
  double number(const char* k, double fallback) const {
    if (!has(k)) return fallback;
    if (!j[k].is_number()) throw usage_error(file + ": \"" + k + "\" must be a number");
    return j[k].get<double>();
  }
  void refuse_if(bool active, const std::string& feature) const {
    if (active) throw usage_error(file + ": unsupported: " + feature + " (it changes the function; exactformer does not implement it)");
  }
};

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

}  // namespace

TlModel parse_tl_config(const std::string& text, const std::string& file) {
  require_json_depth(text, 16, file);
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw usage_error(file + ": not JSON");
  if (!j.is_object()) throw usage_error(file + ": not a JSON object");
  const Config c{j, file};
  static const std::set<std::string> used = {
      "n_layers", "d_model", "n_ctx", "d_head", "n_heads", "d_mlp", "act_fn", "d_vocab", "d_vocab_out", "eps", "layer_norm_eps",
      "use_attn_scale", "attn_scale", "normalization_type", "attention_dir", "attn_only", "positional_embedding_type", "final_rms",
      "parallel_attn_mlp", "gated_mlp", "n_key_value_heads", "use_local_attn", "attn_types", "scale_attn_by_inverse_layer_idx",
      "num_experts", "attn_scores_soft_cap", "output_logits_soft_cap", "use_normalization_before_and_after", "post_embedding_ln",
      "use_qk_norm"};
  for (const auto& [k, v] : j.items())
    if (!used.count(k) && !neutral_fields().count(k))
      throw usage_error(file + ": unknown config field " + quote_input(k) + " (exactformer cannot tell whether it changes the function)");

  const std::string pos = c.string("positional_embedding_type", "standard");
  c.refuse_if(pos != "standard", "positional_embedding_type " + quote_input(pos) + " (rotary, shortformer, alibi: only \"standard\" is implemented)");
  const std::string normalization = c.string("normalization_type", "LN");
  c.refuse_if(normalization == "RMS" || normalization == "RMSPre", "normalization_type " + normalization + " (RMSNorm)");
  if (normalization != "LN" && normalization != "LNPre" && normalization != "null")
    throw usage_error(file + ": normalization_type " + quote_input(normalization) + ": one of \"LN\", \"LNPre\", null");
  c.refuse_if(c.flag("final_rms", false), "final_rms (RMSNorm)");
  c.refuse_if(c.flag("parallel_attn_mlp", false), "parallel_attn_mlp (parallel attention and MLP)");
  c.refuse_if(c.flag("gated_mlp", false), "gated_mlp (gated MLP)");
  c.refuse_if(c.has("n_key_value_heads"), "n_key_value_heads (grouped-query attention)");
  c.refuse_if(c.flag("use_local_attn", false), "use_local_attn (local attention)");
  if (c.has("attn_types")) {
    if (!j["attn_types"].is_array()) throw usage_error(file + ": \"attn_types\" must be a list");
    for (const auto& t : j["attn_types"]) c.refuse_if(t != "global", "attn_types other than \"global\" (local attention)");
  }
  c.refuse_if(c.flag("scale_attn_by_inverse_layer_idx", false), "scale_attn_by_inverse_layer_idx");
  c.refuse_if(c.has("num_experts"), "num_experts (mixture of experts)");
  c.refuse_if(c.number("attn_scores_soft_cap", -1) > 0, "attn_scores_soft_cap (soft-capped scores)");
  c.refuse_if(c.number("output_logits_soft_cap", -1) > 0, "output_logits_soft_cap (soft-capped logits)");
  c.refuse_if(c.flag("use_normalization_before_and_after", false), "use_normalization_before_and_after");
  c.refuse_if(c.flag("post_embedding_ln", false), "post_embedding_ln");
  c.refuse_if(c.flag("use_qk_norm", false), "use_qk_norm");

  TlModel m;
  m.n_layers = static_cast<int>(c.integer("n_layers", 0, 1024));
  m.d_model = static_cast<int>(c.integer("d_model", 1, 65536));
  m.n_ctx = static_cast<int>(c.integer("n_ctx", 1, 1 << 20));
  m.d_head = static_cast<int>(c.integer("d_head", 1, 65536));
  m.n_heads = j.contains("n_heads") ? static_cast<int>(c.integer("n_heads", -1, 4096)) : -1;
  if (m.n_heads == 0 || m.n_heads < -1) throw usage_error(file + ": \"n_heads\" must be positive (or -1: d_model / d_head)");
  if (m.n_heads == -1) {
    if (m.d_model % m.d_head != 0) throw usage_error(file + ": n_heads = -1 needs d_head to divide d_model");
    m.n_heads = m.d_model / m.d_head;
  }
  m.d_vocab = static_cast<int>(c.integer("d_vocab", 1, 1 << 24));
  m.d_vocab_out = j.contains("d_vocab_out") ? static_cast<int>(c.integer("d_vocab_out", -1, 1 << 24)) : -1;
  if (m.d_vocab_out == -1) m.d_vocab_out = m.d_vocab;
  if (m.d_vocab_out <= 0) throw usage_error(file + ": \"d_vocab_out\" must be positive (or -1: d_vocab)");
  const bool attn_only = c.flag("attn_only", false);
  if (!attn_only) {
    m.d_mlp = static_cast<int>(c.integer("d_mlp", 1, 1 << 20));
    const std::string act = c.string("act_fn", "");
    if (act.empty()) throw usage_error(file + ": missing field \"act_fn\"");
    if (act == "relu") m.act = TlActivation::relu;
    else if (act == "gelu") m.act = TlActivation::gelu;
    else if (act == "gelu_new" || act == "gelu_pytorch_tanh") m.act = TlActivation::gelu_new;
    else c.refuse_if(true, "act_fn " + quote_input(act) + " (relu, gelu and gelu_new are implemented)");
  }
  m.norm = normalization == "LN" ? TlNorm::ln : normalization == "LNPre" ? TlNorm::ln_pre : TlNorm::none;
  const std::string dir = c.string("attention_dir", "causal");
  if (dir != "causal" && dir != "bidirectional") throw usage_error(file + ": attention_dir " + quote_input(dir) + ": \"causal\" or \"bidirectional\"");
  m.causal = dir == "causal";
  const double eps = c.number("eps", 1e-5), ln_eps = c.number("layer_norm_eps", eps);
  if (c.has("eps") && c.has("layer_norm_eps") && eps != ln_eps) throw usage_error(file + ": \"eps\" and \"layer_norm_eps\" disagree");
  m.eps = c.has("eps") ? eps : ln_eps;
  if (!(m.eps >= 0) || !std::isfinite(m.eps)) throw usage_error(file + ": eps must be a finite number >= 0");
  const bool use_scale = c.flag("use_attn_scale", true);
  const double scale = c.number("attn_scale", -1.0);
  if (!std::isfinite(scale) || (scale <= 0 && scale != -1.0)) throw usage_error(file + ": attn_scale must be positive (or -1: sqrt(d_head))");
  m.divide_by_sqrt_d_head = use_scale && scale == -1.0;
  m.attn_divisor = use_scale && scale != -1.0 ? scale : 1.0;
  m.layers.resize(static_cast<std::size_t>(m.n_layers));
  for (auto& l : m.layers) l.has_mlp = !attn_only;
  return m;
}

void load_tl_weights(TlModel& m, const SafetensorsReader& st) {
  std::set<std::string> consumed;
  const auto tensor = [&](const std::string& name, std::vector<std::int64_t> shape) {
    const auto it = st.tensors().find(name);
    if (it == st.tensors().end()) throw usage_error(st.label() + ": tensor " + quote_input(name) + " is missing");
    if (it->second.shape != shape)
      throw usage_error(st.label() + ": tensor " + quote_input(name) + " has shape " + shape_str(it->second.shape) + ", the config says " + shape_str(shape));
    consumed.insert(name);
    return st.read(name);
  };
  const auto matrix = [](const std::vector<double>& v, std::size_t offset, int rows, int cols) {
    DenseMatrix d;
    d.rows = rows;
    d.cols = cols;
    d.w.assign(v.begin() + static_cast<std::ptrdiff_t>(offset), v.begin() + static_cast<std::ptrdiff_t>(offset + static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols)));
    d.index();
    return d;
  };
  const auto vec = [&](const std::string& name, int size) { return tensor(name, {size}).values; };
  const int d = m.d_model, H = m.n_heads, dh = m.d_head;
  m.w_e = matrix(tensor("embed.W_E", {m.d_vocab, d}).values, 0, m.d_vocab, d);
  DenseMatrix pos = matrix(tensor("pos_embed.W_pos", {m.n_ctx, d}).values, 0, m.n_ctx, d);
  if (std::any_of(pos.w.begin(), pos.w.end(), [](double x) { return x != 0; })) m.w_pos = std::move(pos);
  const auto norm = [&](const std::string& prefix) {
    TlNormWeights w;
    if (m.norm == TlNorm::ln) {
      w.w = vec(prefix + ".w", d);
      w.b = vec(prefix + ".b", d);
    }
    return w;
  };
  for (int l = 0; l < m.n_layers; ++l) {
    TlLayer& layer = m.layers[static_cast<std::size_t>(l)];
    const std::string p = "blocks." + std::to_string(l) + ".";
    layer.ln1 = norm(p + "ln1");
    const auto wq = tensor(p + "attn.W_Q", {H, d, dh}).values, wk = tensor(p + "attn.W_K", {H, d, dh}).values,
               wv = tensor(p + "attn.W_V", {H, d, dh}).values, wo = tensor(p + "attn.W_O", {H, dh, d}).values;
    const auto bq = tensor(p + "attn.b_Q", {H, dh}).values, bk = tensor(p + "attn.b_K", {H, dh}).values, bv = tensor(p + "attn.b_V", {H, dh}).values;
    for (int h = 0; h < H; ++h) {
      TlHead head;
      const std::size_t w_off = static_cast<std::size_t>(h) * static_cast<std::size_t>(d) * static_cast<std::size_t>(dh);
      const std::size_t b_off = static_cast<std::size_t>(h) * static_cast<std::size_t>(dh);
      head.wq = matrix(wq, w_off, d, dh);
      head.wk = matrix(wk, w_off, d, dh);
      head.wv = matrix(wv, w_off, d, dh);
      head.wo = matrix(wo, w_off, dh, d);
      head.bq.assign(bq.begin() + static_cast<std::ptrdiff_t>(b_off), bq.begin() + static_cast<std::ptrdiff_t>(b_off + static_cast<std::size_t>(dh)));
      head.bk.assign(bk.begin() + static_cast<std::ptrdiff_t>(b_off), bk.begin() + static_cast<std::ptrdiff_t>(b_off + static_cast<std::size_t>(dh)));
      head.bv.assign(bv.begin() + static_cast<std::ptrdiff_t>(b_off), bv.begin() + static_cast<std::ptrdiff_t>(b_off + static_cast<std::size_t>(dh)));
      layer.heads.push_back(std::move(head));
    }
    layer.b_o = vec(p + "attn.b_O", d);
    for (const char* buffer : {"attn.mask", "attn.IGNORE"}) consumed.insert(p + buffer);  // TransformerLens' buffers, not weights
    if (layer.has_mlp) {
      layer.ln2 = norm(p + "ln2");
      layer.w_in = matrix(tensor(p + "mlp.W_in", {d, m.d_mlp}).values, 0, d, m.d_mlp);
      layer.b_in = vec(p + "mlp.b_in", m.d_mlp);
      layer.w_out = matrix(tensor(p + "mlp.W_out", {m.d_mlp, d}).values, 0, m.d_mlp, d);
      layer.b_out = vec(p + "mlp.b_out", d);
    }
  }
  m.ln_final = norm("ln_final");
  m.w_u = matrix(tensor("unembed.W_U", {d, m.d_vocab_out}).values, 0, d, m.d_vocab_out);
  m.b_u = vec("unembed.b_U", m.d_vocab_out);
  for (const auto& [name, e] : st.tensors())
    if (!consumed.count(name)) throw usage_error(st.label() + ": unexpected tensor " + quote_input(name) + " (not in the config's model)");
}

ImportedModel load_imported(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw usage_error("--model " + quote_input(dir) + ": not a directory");
  for (const char* f : {"config.json", "model.safetensors", "prompt.json"})
    if (!std::filesystem::exists(std::filesystem::path(dir) / f, ec))
      throw usage_error("--model " + quote_input(dir) + ": no " + f + " (a model directory holds config.json, model.safetensors and prompt.json)");
  ImportedModel im;
  im.dir = dir;
  const std::string config = (std::filesystem::path(dir) / "config.json").string();
  im.model = parse_tl_config(read_small_file(config, 16u << 20), config);
  const std::string prompt = (std::filesystem::path(dir) / "prompt.json").string();
  im.prompt = parse_prompt(read_small_file(prompt, 16u << 20), prompt);
  im.model.attention = im.prompt.attention;
  im.model.softmax2_b = im.prompt.softmax2_b;
  const SafetensorsReader st = SafetensorsReader::open((std::filesystem::path(dir) / "model.safetensors").string());
  load_tl_weights(im.model, st);
  const int V = static_cast<int>(im.prompt.vocabulary.size());
  if (V > im.model.d_vocab) throw usage_error(prompt + ": " + std::to_string(V) + " vocabulary tokens, but d_vocab is " + std::to_string(im.model.d_vocab));
  for (const auto& [id, value] : im.prompt.answers)
    if (id >= im.model.d_vocab_out)
      throw usage_error(prompt + ": answer token " + quote_input(im.prompt.vocabulary[static_cast<std::size_t>(id)]) + " has id " + std::to_string(id) +
                        ", past d_vocab_out = " + std::to_string(im.model.d_vocab_out));
  return im;
}

void check_prompt_for(const ImportedModel& im, const Task& task, int n) {
  const Prompt& p = im.prompt;
  const std::string where = im.dir + "/prompt.json";
  // Every token of every graph on n vertices appears in K_n's sequence with its queries; K_n is the longest.
  Graph complete(n);
  for (int a = 0; a < n; ++a)
    for (int b = a + 1; b < n; ++b) complete.add_edge(a, b);
  for (const Query& q : all_queries(task, n)) {
    std::vector<int> tokens;
    try {
      tokens = p.tokenize(complete, complete.edges(), q);
    } catch (const usage_error& e) {
      throw usage_error(where + " at n = " + std::to_string(n) + ", query " + q.str() + ": " + e.what());
    }
    if (static_cast<int>(tokens.size()) > im.model.n_ctx)
      throw usage_error(where + ": the prompt of K_" + std::to_string(n) + " has " + std::to_string(tokens.size()) + " tokens, past n_ctx = " + std::to_string(im.model.n_ctx));
    const int r = p.readout_row(static_cast<int>(tokens.size()));
    if (r < 0 || r >= static_cast<int>(tokens.size())) throw usage_error(where + ": readout " + std::to_string(p.readout) + " is outside a sequence of " + std::to_string(tokens.size()) + " tokens");
  }
  Graph single(1);  // the shortest sequence: readout must exist there too
  const auto short_tokens = p.tokenize(single, {}, all_queries(task, 1).front());
  const int r = p.readout_row(static_cast<int>(short_tokens.size()));
  if (r < 0 || r >= static_cast<int>(short_tokens.size())) throw usage_error(where + ": readout " + std::to_string(p.readout) + " is outside a sequence of " + std::to_string(short_tokens.size()) + " tokens");
  const auto [lo, hi] = task.answer_range(n);
  for (long v = lo; v <= hi; ++v)
    if (p.answer_token(v) < 0)
      throw usage_error(where + ": no answer token means " + std::to_string(v) + ", which " + task.name + " can answer at n <= " + std::to_string(n));
}

}  // namespace exactformer
