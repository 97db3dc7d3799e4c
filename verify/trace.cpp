// Traces (verify/trace.hpp).
#include "trace.hpp"

#include <sstream>

#include "exactformer/certified_arith.hpp"
#include "exactformer/decoder.hpp"
#include "report.hpp"
#include "tasks.hpp"

namespace exactformer {

namespace {

std::string token_str(const Token& t) {
  switch (t.kind) {
    case TokenKind::vertex: return "vertex(" + std::to_string(t.a) + ")";
    case TokenKind::edge: return "edge(" + std::to_string(t.a) + "," + std::to_string(t.b) + ")";
    case TokenKind::task: {
      std::string s = "task(";
      if (t.a >= 0) s += std::to_string(t.a);
      if (t.b >= 0) s += "," + std::to_string(t.b);
      return s + ")";
    }
    case TokenKind::pause: return "pause(" + std::to_string(t.a) + ")";
  }
  return "?";
}

void print_row(std::ostream& out, const Layout& layout, const MatQ& x, Eigen::Index row) {
  for (const Slot& s : layout.slots()) {
    bool any = false;
    for (int i = 0; i < s.dim; ++i) any = any || x(row, s.col(i)) != 0;
    if (!any) continue;
    out << "    " << s.name << " = ";
    if (s.dim == 1) {
      out << to_string(x(row, s.col(0)));
    } else {
      out << "[";
      for (int i = 0; i < s.dim; ++i) out << (i ? ", " : "") << to_string(x(row, s.col(i)));
      out << "]";
    }
    out << "\n";
  }
}

}  // namespace

Trace make_trace(const Construction& c, const Built& built, int n, const Graph& g, const Query& query) {
  Trace t;
  t.construction = c.name();
  t.variant = built.variant;
  t.n = n;
  t.graph = g;
  t.query = query;
  t.built = &built;
  t.tokens = tokenize(g, g.edges(), query, built.model.pause_tokens);
  Input x(static_cast<int>(t.tokens.size()), built.model.layout.width());
  for (std::size_t i = 0; i < t.tokens.size(); ++i) {
    RowWriter w(&x.at(static_cast<int>(i), 0));
    built.embed(t.tokens[i], w);
  }
  t.x0 = x.to_q();
  const MatQ out = forward(built.model, t.x0, &t.record);
  std::vector<Q> row;
  for (Eigen::Index c2 = 0; c2 < out.cols(); ++c2) row.push_back(out(out.rows() - 1, c2));
  t.answer = decode_readout(built.decoder, row);
  t.truth = find_task(c.task()).solve(g, query);
  return t;
}

void print_trace(std::ostream& out, const Trace& t, bool all_rows) {
  const Layout& layout = t.built->model.layout;
  out << t.construction << " [" << t.variant << "] built for n <= " << t.n << "; graph " << to_graph6(t.graph) << ", query "
      << t.query.str() << "\n";
  out << "tokens:";
  for (std::size_t i = 0; i < t.tokens.size(); ++i) out << " " << i << ":" << token_str(t.tokens[i]);
  out << "\nslots:";
  for (const Slot& s : layout.slots()) out << " " << s.name << "(" << s.dim << ")";
  out << "  (zero slots are not printed)\n";
  const Eigen::Index readout = t.x0.rows() - 1;
  const auto show = [&](const std::string& label, const MatQ& x) {
    out << "\n" << label << ":\n";
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      if (!all_rows && r != readout) continue;
      out << "  row " << r << " " << token_str(t.tokens[static_cast<std::size_t>(r)]) << (r == readout ? " (readout)" : "") << "\n";
      print_row(out, layout, x, r);
    }
  };
  show("input X0", t.x0);
  for (std::size_t i = 0; i < t.record.labels.size(); ++i) show("after " + t.record.labels[i], t.record.residuals[i]);
  out << "\ndecoder " << t.built->decoder.str() << " -> " << (t.answer ? std::to_string(*t.answer) : "undefined") << "; ground truth "
      << t.truth << (t.answer == t.truth ? " (agree)" : " (DISAGREE)") << "\n";
}

std::string trace_to_json(const Trace& t) {
  const Model& m = t.built->model;
  Json tokens = Json::array();
  for (const Token& tk : t.tokens) tokens.push_back(Json{{"kind", token_kind_name(tk.kind)}, {"a", tk.a}, {"b", tk.b}});
  Json slots = Json::array();
  for (const Slot& s : m.layout.slots()) slots.push_back(Json{{"name", s.name}, {"offset", s.offset}, {"dim", s.dim}});
  Json layers = Json::array();
  for (const Layer& layer : m.layers) {
    Json heads = Json::array();
    for (const Head& hd : layer.heads)
      heads.push_back(Json{{"name", hd.name},
                           {"mode", attention_kind_name(hd.mode.kind)},
                           {"b", hd.mode.b},
                           {"mask", hd.mask == Mask::none ? "none" : "causal"},
                           {"wq", exact_matrix_json(hd.wq)},
                           {"wk", exact_matrix_json(hd.wk)},
                           {"wv", exact_matrix_json(hd.wv)},
                           {"wo", exact_matrix_json(hd.wo)}});
    Json mlp = Json::array();
    for (const Affine& a : layer.mlp.layers) mlp.push_back(Json{{"w", exact_matrix_json(a.w)}, {"bias", exact_matrix_json(a.bias)}});
    layers.push_back(Json{{"heads", heads}, {"mlp", mlp}});
  }
  Json residuals = Json::array();
  for (std::size_t i = 0; i < t.record.labels.size(); ++i)
    residuals.push_back(Json{{"after", t.record.labels[i]}, {"x", exact_matrix_json(t.record.residuals[i])}});
  const Eigen::Index readout = t.x0.rows() - 1;
  const MatQ& last = t.record.residuals.empty() ? t.x0 : t.record.residuals.back();
  Json decoder_slots = Json::array();
  for (const Slot& s : t.built->decoder.slots) decoder_slots.push_back(s.name);
  const Json j{{"format", "exactformer-trace/1"},
               {"construction", t.construction},
               {"variant", t.variant},
               {"n", t.n},
               {"graph6", to_graph6(t.graph)},
               {"query", t.query.args},
               {"tokens", tokens},
               {"slots", slots},
               {"width", m.layout.width()},
               {"x0", exact_matrix_json(t.x0)},
               {"layers", layers},
               {"residuals", residuals},
               {"readout_row", readout},
               {"readout", exact_matrix_json(last.row(readout))},
               {"decoder", Json{{"kind", Decoder::kind_name(t.built->decoder.kind)}, {"text", t.built->decoder.str()}, {"slots", decoder_slots}}},
               {"answer", t.answer ? Json(*t.answer) : Json()},
               {"truth", t.truth}};
  return j.dump(1) + "\n";
}

std::string trace_to_svg(const Trace& t) {
  const Layout& layout = t.built->model.layout;
  std::vector<std::pair<std::string, const MatQ*>> panels{{"input X0", &t.x0}};
  for (std::size_t i = 0; i < t.record.labels.size(); ++i) panels.emplace_back("after " + t.record.labels[i], &t.record.residuals[i]);
  const int cell = 14, left = 110, top = 120, gap = 40;
  const int rows = static_cast<int>(t.x0.rows()), cols = static_cast<int>(t.x0.cols());
  const int panel_h = rows * cell + gap + 20;
  const int width = left + cols * cell + 20, height = top + static_cast<int>(panels.size()) * panel_h;
  const auto escape = [](const std::string& s) {
    std::string o;
    for (char ch : s) o += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
    return o;
  };
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"10\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"10\" y=\"16\" font-size=\"13\">" << escape(t.construction + " [" + t.variant + "]  graph " + to_graph6(t.graph) + "  query " +
                                                         t.query.str() + "  answer " + (t.answer ? std::to_string(*t.answer) : "undefined") +
                                                         ", truth " + std::to_string(t.truth))
    << "</text>\n";
  for (int c = 0; c < cols; ++c)  // column names, rotated, once at the top
    o << "<text transform=\"translate(" << left + c * cell + cell - 3 << "," << top - 6 << ") rotate(-70)\">" << escape(layout.column_name(c))
      << "</text>\n";
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const MatQ& x = *panels[p].second;
    const int y0 = top + static_cast<int>(p) * panel_h;
    o << "<text x=\"10\" y=\"" << y0 - 4 << "\" font-size=\"12\" font-weight=\"bold\">" << escape(panels[p].first) << "</text>\n";
    Q scale(0);
    for (Eigen::Index i = 0; i < x.size(); ++i) scale = abs(x.data()[i]) > scale ? abs(x.data()[i]) : scale;
    for (int r = 0; r < rows; ++r) {
      o << "<text x=\"10\" y=\"" << y0 + r * cell + cell - 3 << "\">" << escape(token_str(t.tokens[static_cast<std::size_t>(r)])) << "</text>\n";
      for (int c = 0; c < cols; ++c) {
        const Q& v = x(r, c);
        const double shade = scale == 0 ? 0.0 : (abs(v) / scale).convert_to<double>();  // colour only, never a value
        const int light = static_cast<int>(255 - 200 * shade);
        const std::string fill = v == 0 ? "#ffffff"
                                 : v > 0 ? "rgb(" + std::to_string(light) + "," + std::to_string(light) + ",255)"
                                         : "rgb(255," + std::to_string(light) + "," + std::to_string(light) + ")";
        o << "<rect x=\"" << left + c * cell << "\" y=\"" << y0 + r * cell << "\" width=\"" << cell << "\" height=\"" << cell << "\" fill=\"" << fill
          << "\" stroke=\"#dddddd\"><title>" << escape(token_str(t.tokens[static_cast<std::size_t>(r)]) + " " + layout.column_name(c) + " = " + to_string(v))
          << "</title></rect>\n";
      }
    }
  }
  o << "</svg>\n";
  return o.str();
}

int print_certified_trace(std::ostream& out, const Construction& c, const Built& built, int n, const Graph& g, const Query& query,
                          int max_rung, bool all_rows) {
  const Layout& layout = built.model.layout;
  const std::vector<Token> tokens = tokenize(g, g.edges(), query, built.model.pause_tokens);
  Input x(static_cast<int>(tokens.size()), layout.width());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    RowWriter w(&x.at(static_cast<int>(i), 0));
    built.embed(tokens[i], w);
  }
  const std::size_t readout = tokens.size() - 1;
  const long truth = find_task(c.task()).solve(g, query);
  out << c.name() << " [" << built.variant << "] built for n <= " << n << "; graph " << to_graph6(g) << ", query " << query.str()
      << "\ncertified pass: enclosures of the real values; a plain number is exact, [lo, hi] an interval (endpoints rounded for reading)\n";
  CertifiedEvaluator certified(built.model, max_rung);
  const CertifiedResult result = certified.run_all(built.decoder, x, static_cast<int>(readout));
  const CertifiedDecision& decision = result.decision;
  if (const Evaluator<Certified>* pass = certified.last_pass())
    for (std::size_t l = 0; l < built.model.layers.size(); ++l) {
      out << "\nafter layer " << l + 1 << " (" << result.bits << " bits):\n";
      for (std::size_t row = 0; row < tokens.size(); ++row) {
        if (!all_rows && row != readout) continue;
        out << "  row " << row << " " << token_str(tokens[row]) << (row == readout ? " (readout)" : "") << "\n";
        const std::vector<Bound>& v = pass->rows_after(l)[row].v;
        for (const Slot& s : layout.slots()) {
          bool any = false;
          for (int i = 0; i < s.dim; ++i) any = any || !(v[static_cast<std::size_t>(s.col(i))] == Bound());
          if (!any) continue;
          out << "    " << s.name << " = ";
          for (int i = 0; i < s.dim; ++i) {
            const Bound& b = v[static_cast<std::size_t>(s.col(i))];
            out << (i ? ", " : s.dim > 1 ? "[" : "") << (b.point() ? to_string(b.lo) : "[" + approx(b.lo) + ", " + approx(b.hi) + "]");
          }
          out << (s.dim > 1 ? "]" : "") << "\n";
        }
      }
    }
  const bool right = decision.status == CertifiedDecision::Status::decided && decision.answer == truth;
  out << "\ndecoder " << built.decoder.str() << ": " << result.str() << "; answer "
      << (decision.answer ? std::to_string(*decision.answer) : "undefined") << ", truth " << truth << " -> "
      << (right ? "certified_correct" : decision.status == CertifiedDecision::Status::decided ? "certified_wrong"
                                        : decision.status == CertifiedDecision::Status::boundary ? "boundary" : "undetermined")
      << "\n";
  return right ? 0 : 1;
}

}  // namespace exactformer
