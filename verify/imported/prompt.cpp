#include "imported/prompt.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "exactformer/errors.hpp"
#include "imported/safetensors.hpp"
#include "report.hpp"

namespace exactformer {
namespace {

using nlohmann::json;

PromptPiece parse_piece(const json& j, const std::string& allowed, const std::string& where) {
  if (!j.is_string()) throw usage_error(where + ": a template token must be a string");
  PromptPiece p;
  p.text = j.get<std::string>();
  std::string literal;
  for (std::size_t i = 0; i < p.text.size(); ++i) {
    const char c = p.text[i];
    if (c == '}') throw usage_error(where + ": token " + quote_input(p.text) + " has an unmatched '}'");
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 2 >= p.text.size() || p.text[i + 2] != '}' || allowed.find(p.text[i + 1]) == std::string::npos)
      throw usage_error(where + ": token " + quote_input(p.text) + ": placeholders here are {" +
                        std::string(1, allowed[0]) + "}" + (allowed.size() > 1 ? " … (" + allowed + ")" : std::string()));
    p.literals.push_back(literal);
    literal.clear();
    p.placeholders.push_back(p.text[i + 1]);
    i += 2;
  }
  p.literals.push_back(literal);
  return p;
}

std::vector<PromptPiece> parse_pieces(const json& j, const std::string& allowed, const std::string& where) {
  if (!j.is_array()) throw usage_error(where + ": expected an array of token strings");
  std::vector<PromptPiece> out;
  for (const auto& t : j) out.push_back(parse_piece(t, allowed, where));
  return out;
}

}  // namespace

Prompt parse_prompt(const std::string& text, const std::string& file) {
  require_json_depth(text, 16, file);
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw usage_error(file + ": not JSON");
  if (!j.is_object()) throw usage_error(file + ": not a JSON object");
  static const char* known[] = {"format", "task", "vocabulary", "template", "edge_order", "orientation", "readout", "answers", "attention", "comment", "decoder"};
  for (const auto& [k, v] : j.items()) {
    bool ok = false;
    for (const char* name : known) ok = ok || k == name;
    if (!ok) throw usage_error(file + ": unknown field " + quote_input(k));
  }
  if (!j.contains("format") || j["format"] != "exactformer-prompt/1") throw usage_error(file + ": \"format\" must be \"exactformer-prompt/1\"");
  if (j.contains("decoder"))  // the prompt of an exactformer export: its logits feed a closed-form decoder, not an argmax
    throw usage_error(file + ": a closed-form \"decoder\": this is an exactformer export, read through its exactformer.json, which is missing");
  Prompt p;
  if (j.contains("task")) {
    if (!j["task"].is_string()) throw usage_error(file + ": \"task\" must be a string");
    p.task = j["task"].get<std::string>();
  }
  if (!j.contains("vocabulary") || !j["vocabulary"].is_array() || j["vocabulary"].empty())
    throw usage_error(file + ": \"vocabulary\" must be a non-empty array of strings");
  for (const auto& t : j["vocabulary"]) {
    if (!t.is_string()) throw usage_error(file + ": \"vocabulary\" must be an array of strings");
    const std::string s = t.get<std::string>();
    if (p.ids.count(s)) throw usage_error(file + ": vocabulary token " + quote_input(s) + " appears twice");
    p.ids[s] = static_cast<int>(p.vocabulary.size());
    p.vocabulary.push_back(s);
  }
  if (!j.contains("template") || !j["template"].is_array() || j["template"].empty())
    throw usage_error(file + ": \"template\" must be a non-empty array");
  for (const auto& item : j["template"]) {
    PromptItem it;
    const std::string where = file + ": template";
    if (item.is_string()) {
      it.tokens.push_back(parse_piece(item, "stnm", where));
    } else if (item.is_object() && item.contains("each")) {
      for (const auto& [k, v] : item.items())
        if (k != "each" && k != "tokens" && k != "between") throw usage_error(where + ": unknown field " + quote_input(k) + " in an \"each\" item");
      if (item["each"] == "vertex") it.kind = PromptItem::Kind::each_vertex;
      else if (item["each"] == "edge") it.kind = PromptItem::Kind::each_edge;
      else throw usage_error(where + ": \"each\" must be \"vertex\" or \"edge\"");
      const std::string allowed = it.kind == PromptItem::Kind::each_vertex ? "istnm" : "uvstnm";
      if (!item.contains("tokens")) throw usage_error(where + ": an \"each\" item needs \"tokens\"");
      it.tokens = parse_pieces(item["tokens"], allowed, where);
      if (item.contains("between")) it.between = parse_pieces(item["between"], "stnm", where);
    } else if (item.is_object() && item.contains("repeat")) {
      for (const auto& [k, v] : item.items())
        if (k != "repeat" && k != "tokens") throw usage_error(where + ": unknown field " + quote_input(k) + " in a \"repeat\" item");
      if (!item["repeat"].is_number_integer() || item["repeat"].get<long>() < 0 || item["repeat"].get<long>() > 1000000)
        throw usage_error(where + ": \"repeat\" must be an integer in [0, 1000000]");
      it.kind = PromptItem::Kind::repeat;
      it.repeat = item["repeat"].get<int>();
      if (!item.contains("tokens")) throw usage_error(where + ": a \"repeat\" item needs \"tokens\"");
      it.tokens = parse_pieces(item["tokens"], "kstnm", where);
    } else {
      throw usage_error(where + ": an item must be a token string, {\"each\": ...} or {\"repeat\": ...}");
    }
    p.items.push_back(std::move(it));
  }
  const auto string_field = [&](const char* name, const char* fallback) {
    if (!j.contains(name)) return std::string(fallback);
    if (!j[name].is_string()) throw usage_error(file + ": \"" + name + "\" must be a string");
    return j[name].get<std::string>();
  };
  const std::string order = string_field("edge_order", "lexicographic");
  if (order != "lexicographic" && order != "as_given") throw usage_error(file + ": \"edge_order\" must be \"lexicographic\" or \"as_given\"");
  p.lexicographic = order == "lexicographic";
  const std::string orientation = string_field("orientation", "lower_first");
  if (orientation != "lower_first" && orientation != "both") throw usage_error(file + ": \"orientation\" must be \"lower_first\" or \"both\"");
  p.both_orientations = orientation == "both";
  if (j.contains("readout")) {
    if (!j["readout"].is_number_integer() || j["readout"].get<long>() < -1000000 || j["readout"].get<long>() > 1000000)
      throw usage_error(file + ": \"readout\" must be an integer (negative: from the end)");
    p.readout = j["readout"].get<int>();
  }
  if (!j.contains("answers") || !j["answers"].is_object() || j["answers"].empty())
    throw usage_error(file + ": \"answers\" must be a non-empty object {token: value}");
  std::map<long, std::string> seen;
  for (const auto& [token, value] : j["answers"].items()) {
    const auto id = p.ids.find(token);
    if (id == p.ids.end()) throw usage_error(file + ": answer token " + quote_input(token) + " is not in the vocabulary");
    if (!value.is_number_integer()) throw usage_error(file + ": answer " + quote_input(token) + " must map to an integer");
    const long v = value.get<long>();
    if (seen.count(v)) throw usage_error(file + ": answers " + quote_input(seen[v]) + " and " + quote_input(token) + " both mean " + std::to_string(v));
    seen[v] = token;
    p.answers.emplace_back(id->second, v);
  }
  std::sort(p.answers.begin(), p.answers.end());
  const std::string attention = string_field("attention", "softmax");
  if (attention == "softmax") {
    p.attention = TlAttention::softmax;
  } else if (attention == "hard") {
    p.attention = TlAttention::hard;
  } else if (attention.rfind("softmax2:", 0) == 0 && attention.size() > 9 && attention.size() < 13 &&
             attention.find_first_not_of("0123456789", 9) == std::string::npos) {
    p.attention = TlAttention::softmax2;
    p.softmax2_b = std::stoi(attention.substr(9));
    if (p.softmax2_b < 1) throw usage_error(file + ": softmax2's b must be at least 1");
  } else {
    throw usage_error(file + ": \"attention\" must be \"softmax\", \"hard\" or \"softmax2:B\", not " + quote_input(attention));
  }
  return p;
}

int Prompt::answer_token(long value) const {
  for (const auto& [id, v] : answers)
    if (v == value) return id;
  return -1;
}

std::vector<int> Prompt::tokenize(const Graph& g, const std::vector<std::pair<int, int>>& order, const Query& q) const {
  std::vector<int> out;
  long var[128] = {};
  var['n'] = g.n();
  var['m'] = static_cast<long>(order.size()) * (both_orientations ? 2 : 1);
  var['s'] = q.args.size() > 0 ? q.args[0] : -1;
  var['t'] = q.args.size() > 1 ? q.args[1] : -1;
  std::string name;
  const auto emit = [&](const PromptPiece& piece) {
    if (piece.placeholders.empty()) {
      name = piece.text;
    } else {
      name = piece.literals[0];
      for (std::size_t i = 0; i < piece.placeholders.size(); ++i) {
        const char c = piece.placeholders[i];
        if ((c == 's' && q.args.size() < 1) || (c == 't' && q.args.size() < 2))
          throw usage_error("prompt: token " + quote_input(piece.text) + " needs a query argument the task does not have");
        name += std::to_string(var[static_cast<unsigned char>(c)]);
        name += piece.literals[i + 1];
      }
    }
    const auto it = ids.find(name);
    if (it == ids.end()) throw usage_error("prompt: token " + quote_input(name) + " is not in the vocabulary");
    out.push_back(it->second);
  };
  for (const PromptItem& item : items) {
    switch (item.kind) {
      case PromptItem::Kind::token: emit(item.tokens[0]); break;
      case PromptItem::Kind::repeat:
        for (int k = 0; k < item.repeat; ++k) {
          var['k'] = k;
          for (const auto& t : item.tokens) emit(t);
        }
        break;
      case PromptItem::Kind::each_vertex:
        for (int i = 0; i < g.n(); ++i) {
          if (i > 0)
            for (const auto& t : item.between) emit(t);
          var['i'] = i;
          for (const auto& t : item.tokens) emit(t);
        }
        break;
      case PromptItem::Kind::each_edge: {
        bool first = true;
        for (const auto& [a, b] : order)
          for (int dir = 0; dir < (both_orientations ? 2 : 1); ++dir) {
            if (!first)
              for (const auto& t : item.between) emit(t);
            first = false;
            var['u'] = dir == 0 ? std::min(a, b) : std::max(a, b);
            var['v'] = dir == 0 ? std::max(a, b) : std::min(a, b);
            for (const auto& t : item.tokens) emit(t);
          }
        break;
      }
    }
  }
  return out;
}

}  // namespace exactformer
