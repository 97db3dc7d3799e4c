// An imported model directory, read as untrusted input (docs/import.md):
//   DIR/config.json        HookedTransformerConfig's fields (TransformerLens), see load_tl_config
//   DIR/model.safetensors  the state dict, TransformerLens' tensor names and shapes
//   DIR/prompt.json        the graph prompt (imported/prompt.hpp)
// Every problem is a usage_error naming the file, the field or tensor, and the problem, raised before a sweep.
#pragma once
#include <string>

#include "exactformer/tl_model.hpp"
#include "imported/prompt.hpp"
#include "imported/safetensors.hpp"

namespace exactformer {

struct Task;

// The bytes of a regular file of at most max_bytes (usage_error naming it otherwise).
std::string read_small_file(const std::string& path, std::size_t max_bytes);

struct ImportedModel {
  std::string dir;
  TlModel model;
  Prompt prompt;
};

// The config's text into the model's hyper-parameters (no weights yet). Fields TransformerLens has that change
// the function and that exactformer does not implement are refused by name; unknown fields are refused.
TlModel parse_tl_config(const std::string& text, const std::string& file);
// Fills the weights of `m` from the state dict, checking every name and shape against the config.
void load_tl_weights(TlModel& m, const SafetensorsReader& st);
// The whole directory.
ImportedModel load_imported(const std::string& dir);
// usage_error unless the model can be swept on `task` for graphs with at most n vertices: every token the prompt
// produces exists (and is below d_vocab), the longest sequence fits n_ctx, the readout row exists, every answer
// the task can give has an answer token (below d_vocab_out), and the query arguments match the task's arity.
void check_prompt_for(const ImportedModel& im, const Task& task, int n);

}  // namespace exactformer
