// An exactformer export read back (docs/model-format.md): DIR/exactformer.json (exactformer-model/2) or, from
// older exports, DIR/config.json in exactformer-model/1. Read as untrusted input like any model: every field, shape
// and bound is checked and every problem is one usage_error naming the file and the field.
//
// The model becomes a Construction, so the construction sweeps run it unchanged — the same checker, the same fast
// exact path, the same shrinking and traces — and a round trip can be compared with the built model answer for
// answer. The float64 views beside the exact weights (/2: the TransformerLens view; /1: model.safetensors) must be
// exactly what the exporter computes from those weights: a directory whose two views disagree is refused.
#pragma once
#include <memory>
#include <string>

#include "exactformer/construction.hpp"

namespace exactformer {

// DIR holds exactformer.json, or a config.json whose format is exactformer-model/1.
bool is_exactformer_export(const std::string& dir);

struct LoadedExport {
  // name() and task() as exported, build(n) for n up to the exported n (the one model, built for at most that many
  // vertices), claimed() the exported claim, no checks of its own
  std::shared_ptr<const Construction> construction;
  int n = 0;           // built for graphs with at most n vertices
  std::string format;  // "exactformer-model/2" (or /1)
  std::string file;    // the file holding the exact weights
};
LoadedExport load_exported(const std::string& dir);

}  // namespace exactformer
