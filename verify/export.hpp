// Weights out (docs/model-format.md): a built model as one directory in two views of the same function.
//   exactformer.json   format exactformer-model/2: the shapes, slot layout, head modes and masks, the vocabulary,
//                      the sequence rules, the decoder, the claimed shape and regime, and every weight as an exact
//                      "p/q" string (the authority: the re-verifier, the PyTorch replay and `verify --model` read it)
//   config.json        TransformerLens' HookedTransformerConfig fields  \  the TransformerLens view, written when
//   model.safetensors  its state dict (float64, correctly rounded)      /  TransformerLens computes this model
//   prompt.json        exactformer-prompt/1: how a graph becomes tokens, and the closed-form decoder over the logits
// A reader needs none of our code.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"
#include "imported/safetensors.hpp"
#include "report.hpp"

namespace exactformer {

// Every token a model built for at most n vertices can see, in vocabulary order: the vertex tokens
// 0..n-1, the edge tokens (a, b) with a < b in lexicographic order, the task tokens of every query of
// the task on n vertices (all_queries order), then the pause tokens 0..N'-1.
std::vector<Token> vocabulary(int arity, int n, int pause_tokens);
// The token's name in prompt.json: "v3", "e0_2", "task", "task_1", "task_0_2", "pause_4".
std::string token_name(const Token& t);

// The model in TransformerLens' conventions (docs/model-format.md, "TransformerLens view"): heads padded with zero
// heads to one count per layer, d_head the largest query/key/value width (zero columns), one-hidden-layer ReLU
// MLPs padded with zero neurons to one d_mlp, no positions (W_pos = 0), no LayerNorm, and W_U the 0/1 matrix that
// copies the decoder's slots into the logits, so that the closed-form decoder reads logit i as slot i.
struct TransformerLensView {
  std::string why_not;  // empty: TransformerLens computes the model (weights rounded to float64); else the reason
  Json config;          // HookedTransformerConfig's fields
  Json prompt;          // exactformer-prompt/1, its `decoder` naming the closed-form map over the logits
  std::vector<std::pair<std::string, TensorData>> tensors;  // the state dict, in TransformerLens' names and shapes
};
struct ExportedStructure {  // what both views are made from
  const Model& model;
  const MatQ& embedding;      // (V, d): row i embeds vocab[i]
  const std::vector<Token>& vocab;
  const Decoder& decoder;
  std::string task;
  int arity = 0, n = 0;
};
TransformerLensView transformer_lens_view(const ExportedStructure& s);

struct ExportedModel {
  std::vector<std::pair<std::string, std::string>> files;  // file name in the directory, its bytes
  bool transformer_lens = false;                           // the TransformerLens view is among them
  std::string why_not;                                     // else why not
};

// `verify_args`: the exactformer arguments after `verify CONSTRUCTION --n N` that rebuild this variant
// (e.g. {"--mode", "softmax2", "--b", "5"}), recorded so that a replay can ask the exact tool for its answers.
ExportedModel export_model(const Construction& c, int n, const Variant& v, const Built& built,
                           const std::vector<std::string>& verify_args);

// The export directory as outputs (verify/outputs.hpp), declared before the model is built: DIR's files
// exactformer.json, prompt.json, config.json and model.safetensors, each replaced in place when DIR is a
// directory (".", a symlink to one), else written into a staging directory renamed to DIR at commit.
class ExportOutputs {
 public:
  ExportOutputs(OutputFiles& outputs, const std::string& dir);
  // Writes m's files; a file of the four that m lacks (no TransformerLens view) is removed at commit, so DIR
  // never mixes two exports.
  void write(const ExportedModel& m);

 private:
  OutputFiles& outputs_;
  std::vector<std::pair<std::string, std::string>> paths_;  // file name, its declared path
};

// One export into `dir`, committed.
void write_export(const std::string& dir, const ExportedModel& m);

}  // namespace exactformer
