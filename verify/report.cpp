// Reports (verify/report.hpp).
#include "report.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <fstream>
#include <iomanip>
#include <sstream>

extern char** environ;

namespace exactformer {

void require_json_depth(std::string_view text, int max_depth, const std::string& what) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) throw usage_error(what + ": JSON nested deeper than " + std::to_string(max_depth) + " levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

Json shape_json_value(const Shape& s) {
  return Json{{"layers", s.layers},       {"heads", s.heads},         {"width", s.width},
              {"d_k", s.d_k},             {"d_v", s.d_v},             {"mlp_depth", s.mlp_depth},
              {"mlp_width", s.mlp_width}, {"params", s.params},       {"weight_bits", s.weight_bits},
              {"pause_tokens", s.pause_tokens}};
}

Json exact_matrix_json(const MatQ& m) {
  Json rows = Json::array();
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    Json row = Json::array();
    for (Eigen::Index c = 0; c < m.cols(); ++c) row.push_back(m(r, c).str());
    rows.push_back(std::move(row));
  }
  return rows;
}

const char* token_kind_name(TokenKind k) {
  switch (k) {
    case TokenKind::vertex: return "vertex";
    case TokenKind::edge: return "edge";
    case TokenKind::task: return "task";
    case TokenKind::pause: return "pause";
  }
  return "?";
}

namespace {

Json counterexample_json(const Counterexample& c) {
  Json order = Json::array();
  for (const auto& [a, b] : c.edge_order) order.push_back({a, b});
  Json j{{"graph6", to_graph6(c.graph)}, {"n", c.graph.n()},          {"edge_order", order}, {"query", c.query.args},
         {"expected", c.expected},      {"got", c.got ? Json(*c.got) : Json()}, {"variant", c.variant}};
  if (!c.readout.empty()) j["readout"] = c.readout;  // a right answer read off a value the construction does not claim
  return j;
}
Json counterexample_json(const std::optional<Counterexample>& c) { return c ? counterexample_json(*c) : Json(); }

Json stats_json(const RunStats& s) {
  return Json{{"graphs", s.graphs},
              {"queries", s.queries},
              {"evaluations", s.evaluations},
              {"int64_overflows", s.int64_overflows},
              {"int128_overflows", s.int128_overflows},
              {"max_activation_bits", s.max_activation_bits},
              {"counterexample", counterexample_json(s.failure)}};
}

// What a check covered: its variants' sweeps (graphs and queries of the largest, every forward pass), and
// the sweeps its predictions made of their own (the precision search over every labelled graph).
long total_graphs(const CheckResult& r) {
  long g = 0;
  for (const auto& v : r.variants) g = std::max(g, v.labelled.graphs + v.families.graphs);
  for (const auto& f : r.predictions) g = std::max(g, f.graphs);
  return g;
}
long total_queries(const CheckResult& r) {
  long q = 0;
  for (const auto& v : r.variants) q = std::max(q, v.labelled.queries + v.families.queries);
  for (const auto& f : r.predictions) q = std::max(q, f.queries);
  return q;
}
long total_evaluations(const CheckResult& r) {
  long e = 0;
  for (const auto& v : r.variants) e += v.labelled.evaluations + v.families.evaluations;
  for (const auto& f : r.predictions) e += f.evaluations;
  return e;
}

}  // namespace

std::string checks_to_json(const std::vector<CheckResult>& results) {
  bool all = true;
  for (const auto& r : results) all = all && r.holds;
  Json checks = Json::array();
  for (const CheckResult& r : results) {
    const VariantResult* first = r.variants.empty() ? nullptr : &r.variants.front();
    const Counterexample* cx = nullptr;
    for (const auto& v : r.variants) {
      if (!cx && v.labelled.failure) cx = &*v.labelled.failure;
      if (!cx && v.families.failure) cx = &*v.families.failure;
    }
    Json variants = Json::array();
    for (const VariantResult& v : r.variants)
      variants.push_back(Json{{"variant", v.variant},
                              {"holds", v.holds()},
                              {"measured", shape_json_value(v.measured)},
                              {"claimed", shape_json_value(v.claimed)},
                              {"shape_mismatch", v.shape_mismatch},
                              {"exhaustive", stats_json(v.labelled)},
                              {"families", stats_json(v.families)}});
    Json witness;
    if (r.spec.witness && r.witness_variant)
      witness = Json{{"statement", r.spec.witness_statement}, {"variant", *r.witness_variant},
                     {"found", r.witness.has_value()},        {"graphs_searched", r.witness_graphs_searched},
                     {"counterexample", counterexample_json(r.witness)}, {"shrunk", counterexample_json(r.witness_shrunk)}};
    Json predictions = Json::array();
    for (const Finding& f : r.predictions)
      predictions.push_back(Json{{"id", f.id}, {"holds", f.holds}, {"claim", f.claim}, {"measured", f.measured}});
    checks.push_back(Json{{"id", r.spec.id},
                          {"holds", r.holds},
                          {"statement", r.spec.statement},
                          {"source", r.spec.source},
                          {"construction", r.construction},
                          {"task", r.task},
                          {"n_max", r.n_max},
                          {"coverage", r.coverage},
                          {"graphs", total_graphs(r)},
                          {"queries", total_queries(r)},
                          {"evaluations", total_evaluations(r)},
                          {"seconds", r.seconds},
                          {"measured", first ? shape_json_value(first->measured) : Json()},
                          {"claimed", first ? shape_json_value(first->claimed) : Json()},
                          {"counterexample", cx ? counterexample_json(*cx) : Json()},
                          {"variants", variants},
                          {"witness", witness},
                          {"predictions", predictions}});
  }
  return Json{{"format", "exactformer-checks/1"}, {"all_hold", all}, {"checks", checks}}.dump(2) + "\n";
}

void print_check_table(std::ostream& out, const std::vector<CheckResult>& results) {
  out << "| check | holds | coverage | graphs | queries | evaluations | variants | shape (measured = claimed) | witness below the bound | seconds |\n";
  out << "|---|---|---|---:|---:|---:|---|---|---|---:|\n";
  for (const CheckResult& r : results) {
    std::string variants, shape = "—";
    bool shapes_ok = true;
    for (const auto& v : r.variants) {
      variants += (variants.empty() ? "" : "; ") + v.variant;
      shapes_ok = shapes_ok && v.shape_mismatch.empty();
    }
    if (!r.variants.empty()) shape = describe(r.variants.front().measured) + (shapes_ok ? "" : " (MISMATCH)");
    std::string witness = "—";
    if (r.spec.witness && !r.witness_variant) witness = "n/a for n ≤ " + std::to_string(r.n_max);
    if (r.spec.witness && r.witness_variant) {
      const Counterexample* w = r.witness_shrunk ? &*r.witness_shrunk : (r.witness ? &*r.witness : nullptr);
      witness = w ? "found: " + to_graph6(w->graph) + " " + w->query.str() + " expected " + std::to_string(w->expected) + " got " +
                        (w->got ? std::to_string(*w->got) : "undefined") + " (" + r.witness_variant.value_or("") + ")"
                  : "NOT FOUND (" + r.witness_variant.value_or("") + ")";
    }
    std::ostringstream secs;
    secs << std::fixed << std::setprecision(1) << r.seconds;
    const std::string covered = r.variants.empty() && r.spec.witness
                                    ? "witness search, n ≤ " + std::to_string(r.n_max)
                                    : "n ≤ " + std::to_string(r.n_max) + " labelled" + (r.coverage.find("families") != std::string::npos ? " + families" : "");
    out << "| " << r.spec.id << " | " << (r.holds ? "yes" : "**NO**") << " | " << covered << " | " << total_graphs(r) << " | "
        << total_queries(r) << " | " << total_evaluations(r) << " | " << variants << " | " << shape << " | " << witness << " | "
        << secs.str() << " |\n";
  }
}

namespace {
// A Markdown table cell: '|' escaped.
std::string cell(const std::string& s) {
  std::string o;
  for (char ch : s) o += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return o;
}
}  // namespace

void print_summary_markdown(std::ostream& out, const std::vector<CheckResult>& results) {
  out << "| check | statement | source | modes | covered | graphs × queries | holds | witness below the bound | seconds |\n";
  out << "|---|---|---|---|---|---:|---|---|---:|\n";
  for (const CheckResult& r : results) {
    std::string modes;
    for (const auto& v : r.variants) modes += (modes.empty() ? "" : "; ") + v.variant;
    std::string witness = "—";
    if (r.spec.witness && !r.witness_variant) witness = "n/a";
    if (r.witness_variant) {
      const Counterexample* w = r.witness_shrunk ? &*r.witness_shrunk : (r.witness ? &*r.witness : nullptr);
      witness = w ? "found (" + *r.witness_variant + "): `" + to_graph6(w->graph) + "` " + w->query.str() + " expected " +
                        std::to_string(w->expected) + ", got " + (w->got ? std::to_string(*w->got) : "undefined")
                  : "**not found** (" + *r.witness_variant + ")";
    }
    std::ostringstream secs;
    secs << std::fixed << std::setprecision(1) << r.seconds;
    out << "| `" << r.spec.id << "` | " << cell(r.spec.statement) << " | " << cell(r.spec.source) << " | " << cell(modes) << " | " << cell(r.coverage) << " | "
        << total_graphs(r) << " × " << total_queries(r) / std::max(1L, total_graphs(r)) << " avg = " << total_queries(r) << " | "
        << (r.holds ? "yes" : "**NO**") << " | " << cell(witness) << " | " << secs.str() << " |\n";
  }
  bool any = false;
  for (const CheckResult& r : results) any = any || !r.predictions.empty();
  if (!any) return;
  out << "\nPredictions (computed by the checker from the built models and independent references):\n\n";
  out << "| check | prediction | claim | holds | measured |\n|---|---|---|---|---|\n";
  for (const CheckResult& r : results)
    for (const Finding& f : r.predictions)
      out << "| `" << r.spec.id << "` | `" << f.id << "` | " << cell(f.claim) << " | " << (f.holds ? "yes" : "**NO**") << " | "
          << cell(f.measured) << " |\n";
}

void print_check_details(std::ostream& out, const CheckResult& r, bool only_failures) {
  for (const auto& v : r.variants) {
    for (const auto& d : v.shape_mismatch) out << r.spec.id << " [" << v.variant << "]: shape " << d << "\n";
    if (v.labelled.failure) out << r.spec.id << ": COUNTEREXAMPLE " << v.labelled.failure->describe() << "\n";
    if (v.families.failure) out << r.spec.id << ": COUNTEREXAMPLE (families) " << v.families.failure->describe() << "\n";
  }
  for (const Finding& f : r.predictions)
    if (!f.holds || !only_failures) out << r.spec.id << ": prediction " << f.id << (f.holds ? " holds: " : " FAILS: ") << f.measured << "\n";
  if (r.spec.witness && r.witness_variant && !r.witness)
    out << r.spec.id << ": the variant below the bound (" << r.witness_variant.value_or("") << ") did not fail on any of "
        << r.witness_graphs_searched << " graphs: the claimed bound is not shown tight\n";
}

int run_program(const std::vector<std::string>& argv, bool quiet) {
  EXACTFORMER_ASSERT(!argv.empty(), "run_program needs a program");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  }
  std::vector<std::string> args = argv;
  std::vector<char*> ptrs;
  for (std::string& a : args) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, ptrs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM)) {
    std::signal(WTERMSIG(status), SIG_DFL);
    std::raise(WTERMSIG(status));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace exactformer
