// Weights out (docs/model-format.md): a built model as `model.safetensors` (every weight and the
// embedding table as little-endian float64, correctly rounded) and `config.json` (format
// exactformer-model/1: the shapes, slot layout, head modes and masks, the vocabulary with the index of
// every token, the sequence rules, the decoder, the claimed shape and regime, and every weight again
// as exact "p/q" strings). A reader needs none of our code: the PyTorch side (python/exactformer_torch)
// and the independent re-verifier (python/reverify.py) read only these two files.
#pragma once
#include <string>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

// Every token a model built for at most n vertices can see, in vocabulary order: the vertex tokens
// 0..n-1, the edge tokens (a, b) with a < b in lexicographic order, the task tokens of every query of
// the task on n vertices (all_queries order), then the pause tokens 0..N'-1.
std::vector<Token> vocabulary(int arity, int n, int pause_tokens);

struct ExportedModel {
  std::string safetensors;  // the bytes of model.safetensors
  std::string config;       // config.json
};

// `verify_args`: the exactformer arguments after `verify CONSTRUCTION --n N` that rebuild this variant
// (e.g. {"--mode", "softmax2", "--b", "5"}), recorded so that a replay can ask the exact tool for its answers.
ExportedModel export_model(const Construction& c, int n, const Variant& v, const Built& built,
                           const std::vector<std::string>& verify_args);

// Writes both files into `dir` (created if missing), replacing the directory whole (report.hpp).
void write_export(const std::string& dir, const ExportedModel& m);

}  // namespace exactformer
