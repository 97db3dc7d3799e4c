// libFuzzer target: the importer of models (verify/imported/): config.json, prompt.json and model.safetensors, as
// the three parts of one input separated by "\x01SPLIT\x01". Any bytes either load (and are then tokenised and run
// on one graph) or are refused with usage_error (never a crash, never another exception); an error message is one
// short line with control bytes escaped.
#include <cstddef>
#include <cstdint>
#include <string>

#include "imported/import.hpp"
#include "imported/imported_sweep.hpp"
#include "tasks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace exactformer;
  const std::string input(reinterpret_cast<const char*>(data), size), split = "\x01SPLIT\x01";
  const std::size_t a = input.find(split), b = a == std::string::npos ? a : input.find(split, a + split.size());
  if (b == std::string::npos) return 0;
  try {
    ImportedModel im;
    im.dir = "fuzz";
    im.model = parse_tl_config(input.substr(0, a), "config.json");
    im.prompt = parse_prompt(input.substr(a + split.size(), b - a - split.size()), "prompt.json");
    im.model.attention = im.prompt.attention;
    im.model.softmax2_b = im.prompt.softmax2_b;
    if (static_cast<long>(im.model.d_model) * im.model.d_vocab > 1 << 16 || im.model.n_layers > 4 || im.model.n_ctx > 256) return 0;  // keep runs fast
    load_tl_weights(im.model, SafetensorsReader::from_bytes(input.substr(b + split.size()), "model.safetensors"));
    const Task& task = find_task(im.prompt.task.empty() ? "edge_existence" : im.prompt.task);
    check_prompt_for(im, task, 2);
    Graph g(2);
    g.add_edge(0, 1);
    const Query q = all_queries(task, 2).back();
    certify_input(im, im.prompt.tokenize(g, g.edges(), q), task.solve(g, q), 1);
  } catch (const usage_error& e) {
    const std::string what = e.what();
    if (what.size() > 600) __builtin_trap();
    for (const char c : what)
      if (static_cast<unsigned char>(c) < 32) __builtin_trap();
  }
  return 0;
}
