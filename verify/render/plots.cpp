// Plots (verify/render/plots.hpp).
#include "render/plots.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sstream>

#include "report.hpp"

extern char** environ;

namespace exactformer {
namespace {

// Runs `gnuplot SCRIPT` with its output discarded, no shell in between; true iff it exited with 0.
bool run_gnuplot(const std::string& script) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string program = "gnuplot", path = script;
  char* argv[] = {program.data(), path.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
  write_file_atomically(script, g.str());
  const bool drawn = run_gnuplot(script);
  std::remove(script.c_str());
  std::remove(data.c_str());
  if (!drawn) err << "exactformer: note: gnuplot not available, no plot for " << c.name() << "\n";
  return drawn;
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
  write_file_atomically(script, g.str());
  const bool drawn = run_gnuplot(script);
  std::remove(script.c_str());
  std::remove(data.c_str());
  if (!drawn) err << "exactformer: note: gnuplot not available, no plot for " << title << "\n";
  return drawn;
}

}  // namespace exactformer
