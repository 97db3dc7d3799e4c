// Plots (verify/render/plots.hpp).
#include "render/plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report.hpp"

namespace exactformer {
namespace {

// Runs `gnuplot SCRIPT` with its output discarded, no shell in between; true iff it exited with 0.
bool run_gnuplot(const std::string& script) { return run_program({"gnuplot", script}, true) == 0; }

// Writes the script, runs gnuplot on it, removes the script and its data file; a note on err without gnuplot.
bool draw(const std::string& script, const std::string& text, const std::string& data, const std::string& what, std::ostream& err) {
  write_file_atomically(script, text);
  const bool drawn = run_gnuplot(script);
  std::remove(script.c_str());
  std::remove(data.c_str());
  if (!drawn) err << "exactformer: note: gnuplot not available, no plot for " << what << "\n";
  return drawn;
}

}  // namespace

// Width and depth against n (log-log), measured points over the claimed formula, drawn by gnuplot.
bool write_plot(const Construction& c, const std::string& dir, std::ostream& err) {
  const std::string data = dir + "/" + c.name() + ".dat", script = dir + "/" + c.name() + ".gp";
  // Block 0: the claimed formula at every n; block 1: the models built and measured.
  std::ostringstream d;
  d << "# n claimed_L claimed_d\n";
  for (long n = 2; n <= 65536; n *= 2) {
    const Shape claimed = c.claimed(static_cast<int>(n), Variant::hard());
    d << n << " " << claimed.layers << " " << claimed.width << "\n";
  }
  d << "\n\n# n measured_L measured_d\n";
  for (long n = 2; n <= std::min(64, c.max_build_n()); n *= 2) {
    const Shape m = measure(c.build(static_cast<int>(n), Variant::hard()).model);
    d << n << " " << m.layers << " " << m.width << "\n";
  }
  write_file_atomically(data, d.str());
  std::ostringstream g;
  g << "set terminal svg size 900,380 dynamic noenhanced font 'sans,11'\nset output '" << dir << "/" << c.name() << ".svg'\n"
    << "set logscale x 2\nset logscale y 2\nset key left top\nset grid\n"
    << "set xlabel 'n (vertices)'\nset multiplot layout 1,2 title '" << c.name() << ": claimed formula (line), built and measured (points)'\n"
    << "set ylabel 'residual width d'\nplot '" << data << "' index 0 using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'claimed d (formula)', '' index 1 using 1:3 with linespoints lw 2 dt 2 pt 7 ps 1.3 lc rgb '#d62728' title 'measured d (built)'\n"
    << "set ylabel 'layers L'\nplot '" << data << "' index 0 using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'claimed L (formula)', '' index 1 using 1:2 with linespoints lw 2 dt 2 pt 7 ps 1.3 lc rgb '#d62728' title 'measured L (built)'\n"
    << "unset multiplot\n";
  return draw(script, g.str(), data, c.name(), err);
}

// Width and depth of several constructions against n, one line each (claimed formula), drawn by gnuplot.
bool write_compare_plot(const std::string& title, const std::vector<const Construction*>& cs, const std::string& dir, std::ostream& err) {
  const std::string data = dir + "/" + title + ".dat", script = dir + "/" + title + ".gp";
  std::ostringstream d;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const Construction& c = *cs[i];
    d << (i ? "\n\n" : "") << "# " << c.name() << ": n claimed_L claimed_d\n";
    for (long n = 2; n <= 65536; n *= 2) {
      const Shape s = c.claimed(static_cast<int>(n), Variant::hard());
      d << n << " " << s.layers << " " << s.width << "\n";
    }
  }
  write_file_atomically(data, d.str());
  std::ostringstream g;
  g << "set terminal svg size 900,380 dynamic noenhanced font 'sans,11'\nset output '" << dir << "/" << title << ".svg'\n"
    << "set logscale x 2\nset logscale y 2\nset key left top\nset grid\n"
    << "set xlabel 'n (vertices)'\nset multiplot layout 1,2 title '" << title << ": claimed formulas (measured = claimed where built)'\n";
  for (const char* what : {"width", "depth"}) {
    g << "set ylabel '" << (std::string(what) == "width" ? "residual width d" : "layers L") << "'\nplot ";
    for (std::size_t i = 0; i < cs.size(); ++i)
      g << (i ? ", " : "") << "'" << data << "' index " << i << " using 1:" << (std::string(what) == "width" ? 3 : 2)
        << " with linespoints lw 2 pt 7 ps 0.8 title '" << cs[i]->name() << "'";
    g << "\n";
  }
  g << "unset multiplot\n";
  return draw(script, g.str(), data, title, err);
}

bool write_precision_plot(const std::vector<PrecisionResult>& results, const std::vector<const Construction*>& cs, const std::string& svg,
                          std::ostream& err) {
  const std::string data = svg + ".dat", script = svg + ".gp";
  const auto log_t = [](int n) { return std::log2(static_cast<double>(n + n * (n - 1) / 2 + 1)); };
  // Per construction i: block 2i = measured (log2 T, p_total or -, b* or -), block 2i+1 = claimed (log2 T, p*, b* low).
  std::ostringstream d;
  std::vector<std::string> names;
  for (const Construction* c : cs) {
    d << (names.empty() ? "" : "\n\n") << "# " << c->name() << " measured: log2T p_total b*\n";
    bool any = false;
    for (int n = 2; n <= 8; ++n) {
      std::string fp = "?", b = "?";
      for (const PrecisionResult& r : results) {
        if (r.construction != c->name() || r.n != n || !r.stable) continue;
        if (r.model == PrecisionModel::fp) fp = std::to_string(1 + r.integer_bits + r.stable->convert_to<long>());
        if (r.model == PrecisionModel::softmax2) b = r.stable->str();
      }
      if (fp != "?" || b != "?") {
        d << log_t(n) << " " << fp << " " << b << "\n";
        any = true;
      }
    }
    if (!any) d << "0 ? ?\n";
    d << "\n\n# " << c->name() << " claimed: log2T p* b*_low\n";
    for (int n = 2; n <= 64; ++n) {
      const std::optional<PrecisionClaim> claim = c->precision_claim(n);
      const std::string fp = claim && claim->fp_p ? std::to_string(*claim->fp_p) : "?";
      const std::string b = claim && claim->softmax2_b ? std::to_string(claim->softmax2_b->first) : "?";
      d << log_t(n) << " " << fp << " " << b << "\n";
    }
    names.push_back(c->name());
  }
  write_file_atomically(data, d.str());
  std::ostringstream g;
  g << "set terminal svg size 1000,420 dynamic noenhanced font 'sans,11'\nset output '" << svg << "'\n"
    << "set datafile missing '?'\nset key left top font ',9'\nset grid\nset xlabel 'log2 T (T = n + n(n-1)/2 + 1 tokens)'\n"
    << "set multiplot layout 1,2 title 'Precision against log2 T: measured over every labelled graph (points), derived for n = 2..64 (lines)'\n";
  for (int panel = 0; panel < 2; ++panel) {
    g << "set ylabel '" << (panel == 0 ? "FP_p(hard): p_total measured, p* derived" : "softmax2: b* measured, band low end derived") << "'\nplot ";
    for (std::size_t i = 0; i < names.size(); ++i)
      g << (i ? ", " : "") << "'" << data << "' index " << 2 * i << " using 1:" << 2 + panel << " with points pt 7 ps 1.1 lc " << i + 1
        << " title '" << names[i] << "', '' index " << 2 * i + 1 << " using 1:" << 2 + panel << " with lines lw 1.5 lc " << i + 1 << " notitle";
    g << "\n";
  }
  g << "unset multiplot\n";
  return draw(script, g.str(), data, "precision", err);
}

}  // namespace exactformer
