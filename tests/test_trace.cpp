// An outside program's view of a trace: parse the exactformer-trace/1 JSON with a parser written here,
// redo the forward pass with gmpxx rationals (not the model code, not Boost), and require every sublayer
// to equal the trace's residuals exactly — for every construction, both modes, several graphs.
#include <doctest/doctest.h>
#include <gmpxx.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"
#include "tasks.hpp"
#include "trace.hpp"

namespace {

// ---- a minimal JSON reader --------------------------------------------------------------------------
struct Json {
  enum Kind { null, boolean, number, string, array, object } kind = null;
  std::string text;  // number or string
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  const Json& operator[](const std::string& k) const { return fields.at(k); }
  const Json& operator[](std::size_t i) const { return items.at(i); }
  long as_long() const { return std::stol(text); }
};

struct Parser {
  const std::string& s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  }
  Json value() {
    ws();
    Json j;
    const char c = s.at(i);
    if (c == '{') {
      j.kind = Json::object;
      ++i;
      ws();
      if (s[i] == '}') return ++i, j;
      for (;;) {
        ws();
        const std::string key = value().text;
        ws();
        REQUIRE(s[i++] == ':');
        j.fields[key] = value();
        ws();
        if (s[i] == ',') { ++i; continue; }
        REQUIRE(s[i++] == '}');
        return j;
      }
    }
    if (c == '[') {
      j.kind = Json::array;
      ++i;
      ws();
      if (s[i] == ']') return ++i, j;
      for (;;) {
        j.items.push_back(value());
        ws();
        if (s[i] == ',') { ++i; continue; }
        REQUIRE(s[i++] == ']');
        return j;
      }
    }
    if (c == '"') {
      j.kind = Json::string;
      ++i;
      while (s[i] != '"') {
        if (s[i] == '\\') ++i;
        j.text += s[i++];
      }
      ++i;
      return j;
    }
    if (s.compare(i, 4, "null") == 0) return i += 4, j;
    if (s.compare(i, 4, "true") == 0) { i += 4; j.kind = Json::boolean; j.text = "true"; return j; }
    if (s.compare(i, 5, "false") == 0) { i += 5; j.kind = Json::boolean; j.text = "false"; return j; }
    j.kind = Json::number;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '.')) j.text += s[i++];
    return j;
  }
};

// ---- rationals and matrices, independently --------------------------------------------------------
using R = mpq_class;
using M = std::vector<std::vector<R>>;

R rational(const std::string& t) {
  R r;
  REQUIRE(r.set_str(t, 10) == 0);
  r.canonicalize();
  REQUIRE(r.get_str() == t);  // the trace must already be canonical
  return r;
}

M matrix(const Json& j) {
  M m;
  for (const Json& row : j.items) {
    m.emplace_back();
    for (const Json& x : row.items) m.back().push_back(rational(x.text));
  }
  return m;
}

M mul(const M& a, const M& b) {
  const std::size_t inner = b.size(), cols = b.empty() ? 0 : b[0].size();
  M c(a.size(), std::vector<R>(cols, R(0)));
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t k = 0; k < inner; ++k)
      if (a[i][k] != 0)
        for (std::size_t j = 0; j < cols; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

void add(M& a, const M& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[i].size(); ++j) a[i][j] += b[i][j];
}

M forward_layer(const M& x, const Json& layer) {
  M a = x;
  for (const Json& head : layer["heads"].items) {
    const M q = mul(x, matrix(head["wq"])), k = mul(x, matrix(head["wk"])), v = mul(x, matrix(head["wv"]));
    const bool hard = head["mode"].text == "hard", causal = head["mask"].text == "causal";
    const long b = head["b"].as_long();
    M mixed(x.size(), std::vector<R>(v.empty() ? 0 : v[0].size(), R(0)));
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::size_t visible = causal ? i + 1 : x.size();
      std::vector<R> s(visible, R(0));
      for (std::size_t j = 0; j < visible; ++j)
        for (std::size_t c = 0; c < q[i].size(); ++c) s[j] += q[i][c] * k[j][c];
      R top = s[0];
      for (const R& sj : s) top = sj > top ? sj : top;
      std::vector<R> w(visible, R(0));
      R total = 0;
      for (std::size_t j = 0; j < visible; ++j) {
        if (hard) {
          w[j] = s[j] == top ? 1 : 0;
        } else {
          const R e = R(b) * (top - s[j]);  // 2^(b s_j) / 2^(b top) = 2^-e
          REQUIRE(e.get_den() == 1);
          mpz_class p = 1;
          mpz_mul_2exp(p.get_mpz_t(), p.get_mpz_t(), e.get_num().get_ui());
          w[j] = R(1) / R(p);
        }
        total += w[j];
      }
      for (std::size_t j = 0; j < visible; ++j)
        for (std::size_t c = 0; c < mixed[i].size(); ++c) mixed[i][c] += w[j] / total * v[j][c];
    }
    add(a, mul(mixed, matrix(head["wo"])));
  }
  return a;
}

M forward_mlp(const M& a, const Json& layer) {
  if (layer["mlp"].items.empty()) return a;
  M h = a;
  const auto& stack = layer["mlp"].items;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    M next = mul(h, matrix(stack[i]["w"]));
    const M bias = matrix(stack[i]["bias"]);
    for (auto& row : next)
      for (std::size_t j = 0; j < row.size(); ++j) {
        row[j] += bias[0][j];
        if (i + 1 < stack.size() && row[j] < 0) row[j] = 0;
      }
    h = std::move(next);
  }
  M out = a;
  add(out, h);
  return out;
}

}  // namespace

TEST_CASE("every trace re-evaluates identically in an independent evaluator") {
  using namespace exactformer;
  long sublayers = 0;
  for (const auto& c : all_constructions()) {
    for (const Variant& v : c->modes()) {
      const Built built = c->build(4, v);
      for (const std::string g6 : {"C~", "Ch", "CF", "C?", "Bw"}) {
        const Graph g = from_graph6(g6);
        const auto queries = all_queries(find_task(c->task()), g.n());
        for (const Query& query : {queries.front(), queries.back()}) {
          const Trace t = make_trace(*c, built, 4, g, query);
          const std::string text = trace_to_json(t);
          Parser p{text};
          const Json j = p.value();
          CAPTURE(c->name());
          CAPTURE(g6);
          REQUIRE(j["format"].text == "exactformer-trace/1");
          M x = matrix(j["x0"]);
          std::size_t r = 0;
          for (const Json& layer : j["layers"].items) {
            x = forward_layer(x, layer);
            REQUIRE(x == matrix(j["residuals"][r++]["x"]));
            x = forward_mlp(x, layer);
            REQUIRE(x == matrix(j["residuals"][r++]["x"]));
            sublayers += 2;
          }
          REQUIRE(x.back() == matrix(j["readout"])[0]);
          CHECK(j["answer"].text == j["truth"].text);
        }
      }
    }
  }
  CHECK(sublayers > 100);
}

TEST_CASE("the trace heatmap has one titled cell per token, column and panel") {
  using namespace exactformer;
  const Construction& c = find_construction("connectivity_squaring");
  const Built built = c.build(4, Variant::hard());
  const Trace t = make_trace(c, built, 4, from_graph6("Ch"), Query{{0, 3}});
  const std::string svg = trace_to_svg(t);
  const auto count = [&](const std::string& what) {
    long k = 0;
    for (std::size_t p = svg.find(what); p != std::string::npos; p = svg.find(what, p + 1)) ++k;
    return k;
  };
  const long panels = 1 + static_cast<long>(t.record.residuals.size());
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(count("<title>") == panels * t.x0.rows() * t.x0.cols());
  CHECK(count("<title>") == count("</title>"));
  CHECK(svg.find("task(0,3) ans = 1</title>") != std::string::npos);
}
