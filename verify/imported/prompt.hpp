// The graph prompt of an imported model (prompt.json; docs/import.md "The prompt"): how a graph and a query
// become token ids, where the answer is read, and which tokens are answers worth what.
//
//   {"format": "exactformer-prompt/1",
//    "task": "edge_existence",                       optional: the task it answers (verify --task overrides)
//    "vocabulary": ["<bos>", "0", "1", ..., "yes", "no"],   token id i is vocabulary[i]
//    "template": ["<bos>", {"each": "edge", "tokens": ["{u}", "{v}", "<e>"]}, "<q>", "{s}", "{t}", "<p>"],
//    "edge_order": "lexicographic" | "as_given",     the default order of the edges (verify --edge-orders overrides)
//    "orientation": "lower_first" | "both",          an edge as u < v, or as both (u, v) and (v, u)
//    "readout": -1,                                  the row read: an index, negative from the end
//    "answers": {"no": 0, "yes": 1},                 answer tokens and the value each means
//    "attention": "softmax" | "hard" | "softmax2:B"} optional, exactformer's own: the attention rule (default softmax)
// Template items: a token (a string), or {"each": "vertex" | "edge", "tokens": [...], "between": [...]} repeated for
// every vertex 0..n-1 or edge, `between` emitted between consecutive repetitions, or {"repeat": K, "tokens": [...]}.
// Token strings may hold placeholders: {i} (the vertex of an "each": "vertex"), {u} {v} (the edge's endpoints),
// {s} {t} (the query's arguments), {k} (the repetition 0..K-1 of a "repeat"), {n} and {m} (vertices, edges);
// every other brace is an error.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exactformer/graph.hpp"
#include "exactformer/tl_model.hpp"

namespace exactformer {

struct PromptPiece {  // a token string split at its placeholders: literal, placeholder, literal, ...
  std::vector<std::string> literals;   // size = placeholders.size() + 1
  std::vector<char> placeholders;      // 'i', 'u', 'v', 's', 't', 'k', 'n', 'm'
  std::string text;                    // as written
};

struct PromptItem {
  enum class Kind { token, each_vertex, each_edge, repeat } kind = Kind::token;
  std::vector<PromptPiece> tokens;  // one for Kind::token
  std::vector<PromptPiece> between;
  int repeat = 0;
};

struct Prompt {
  std::string task;  // may be empty
  std::vector<std::string> vocabulary;
  std::map<std::string, int> ids;
  std::vector<PromptItem> items;
  bool lexicographic = true;   // edge_order
  bool both_orientations = false;
  int readout = -1;
  std::vector<std::pair<int, long>> answers;  // (token id, value), in vocabulary order
  TlAttention attention = TlAttention::softmax;
  int softmax2_b = 1;

  // The token ids of graph g with its edges in `order` and query q (usage_error naming the token if a produced
  // token is not in the vocabulary).
  std::vector<int> tokenize(const Graph& g, const std::vector<std::pair<int, int>>& order, const Query& q) const;
  int readout_row(int length) const { return readout < 0 ? length + readout : readout; }
  // The answer token meaning `value`, or -1.
  int answer_token(long value) const;
};

// Parses prompt.json's text (`file` names it in errors); usage_error on anything malformed.
Prompt parse_prompt(const std::string& text, const std::string& file);

}  // namespace exactformer
