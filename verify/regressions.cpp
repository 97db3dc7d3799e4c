// The regression corpus (verify/regressions.hpp).
#include "regressions.hpp"

#include <sstream>

namespace exactformer {

std::string RegressionCase::line() const {
  std::string q;
  for (const int a : query.args) q += (q.empty() ? "" : ",") + std::to_string(a);
  std::ostringstream s;
  s << construction << '\t' << n << '\t' << mode << '\t' << value << '\t' << code_bits_offset << '\t' << layers_offset << '\t'
    << graph6 << '\t' << (q.empty() ? "-" : q) << '\t' << expected;
  if (causal) s << "\tcausal";  // a tenth field only for causal masks: older corpora stay valid
  return s.str();
}

RegressionCase RegressionCase::parse(const std::string& line) {
  std::vector<std::string> f(1);
  for (const char ch : line) {
    if (ch == '\t') f.emplace_back();
    else f.back() += ch;
  }
  EXACTFORMER_REQUIRE(f.size() == 9 || (f.size() == 10 && f[9] == "causal"),
                      "regression case: expected 9 tab-separated fields (and optionally \"causal\") in " + quote_input(line));
  RegressionCase rc;
  rc.construction = f[0];
  rc.n = static_cast<int>(parse_integer(f[1], 1, kMaxVertices, "regression case n"));
  rc.mode = f[2];
  EXACTFORMER_REQUIRE(rc.mode == "hard" || rc.mode == "softmax2" || rc.mode == "softmax" || rc.mode == "fp",
                      "regression case: unknown mode " + quote_input(rc.mode));
  rc.value = f[3];
  rc.code_bits_offset = static_cast<int>(parse_integer(f[4], -64, 64, "regression case code_bits_offset"));
  rc.layers_offset = static_cast<int>(parse_integer(f[5], -64, 64, "regression case layers_offset"));
  rc.graph6 = f[6];
  if (f[7] != "-")
    for (const std::string& a : split_commas(f[7])) rc.query.args.push_back(static_cast<int>(parse_integer(a, 0, kMaxVertices - 1, "regression case query")));
  rc.expected = parse_integer(f[8], -(1L << 40), 1L << 40, "regression case expected");
  rc.causal = f.size() == 10;
  return rc;
}

RegressionCase regression_case(const Construction& c, int n, const Variant& variant, std::optional<long> fixed_point,
                               const Counterexample& cx) {
  RegressionCase rc;
  rc.construction = c.name();
  rc.n = n;
  if (fixed_point) {
    rc.mode = "fp";
    rc.value = std::to_string(*fixed_point);
  } else if (variant.kind == AttentionKind::softmax2) {
    rc.mode = "softmax2";
    const Built built = c.build(n, variant);  // the b the model was built with (explicit or proven)
    for (const Layer& l : built.model.layers)
      for (const Head& h : l.heads)
        if (h.mode.kind == AttentionKind::softmax2) rc.value = std::to_string(h.mode.b);
  } else if (variant.kind == AttentionKind::softmax) {
    rc.mode = "softmax";
    rc.value = variant.beta.str();
  }
  rc.code_bits_offset = variant.code_bits_offset;
  rc.layers_offset = variant.layers_offset;
  rc.causal = variant.mask == Mask::causal;
  rc.graph6 = to_graph6(cx.graph);
  rc.query = cx.query;
  rc.expected = cx.expected;
  return rc;
}

ReplayOutcome replay(const Registry& registry, const RegressionCase& rc) {
  const Construction& c = registry.find(rc.construction);
  Variant v = Variant::hard();
  std::optional<long> fixed_point;
  if (rc.mode == "softmax2") {
    v = Variant::softmax2();
    v.b = static_cast<int>(parse_integer(rc.value, 0, 1000, "regression case b"));
  } else if (rc.mode == "softmax") {
    v = Variant::softmax(parse_rational(rc.value));
  } else if (rc.mode == "fp") {
    fixed_point = parse_integer(rc.value, 0, 64, "regression case p");
  }
  v.code_bits_offset = rc.code_bits_offset;
  v.layers_offset = rc.layers_offset;
  if (rc.causal) v.mask = Mask::causal;
  const Built built = c.build(rc.n, v);
  const Graph g = from_graph6(rc.graph6);
  ReplayOutcome out;
  out.truth = find_task(c.task()).solve(g, rc.query);
  out.answer = evaluate(built, g, g.edges(), rc.query, true, fixed_point);
  out.still_fails = out.truth == rc.expected && out.answer.fails(rc.expected);
  return out;
}

}  // namespace exactformer
