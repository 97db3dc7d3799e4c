// Reports (verify/report.hpp).
#include "report.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace exactformer {

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (const char ch : s) {
    switch (ch) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          o += buf;
        } else {
          o += ch;
        }
    }
  }
  return o + "\"";
}

std::string shape_json(const Shape& s) {
  std::ostringstream o;
  o << "{\"layers\": " << s.layers << ", \"heads\": " << s.heads << ", \"width\": " << s.width << ", \"d_k\": " << s.d_k
    << ", \"d_v\": " << s.d_v << ", \"mlp_depth\": " << s.mlp_depth << ", \"mlp_width\": " << s.mlp_width
    << ", \"params\": " << s.params << ", \"weight_bits\": " << s.weight_bits << "}";
  return o.str();
}

namespace {

std::string counterexample_json(const Counterexample& c) {
  std::ostringstream o;
  o << "{\"graph6\": " << json_string(to_graph6(c.graph)) << ", \"n\": " << c.graph.n() << ", \"edge_order\": [";
  for (std::size_t i = 0; i < c.edge_order.size(); ++i)
    o << (i ? ", " : "") << "[" << c.edge_order[i].first << ", " << c.edge_order[i].second << "]";
  o << "], \"query\": [";
  for (std::size_t i = 0; i < c.query.args.size(); ++i) o << (i ? ", " : "") << c.query.args[i];
  o << "], \"expected\": " << c.expected << ", \"got\": " << (c.got ? std::to_string(*c.got) : "null")
    << ", \"variant\": " << json_string(c.variant) << "}";
  return o.str();
}

std::string stats_json(const RunStats& s) {
  std::ostringstream o;
  o << "{\"graphs\": " << s.graphs << ", \"queries\": " << s.queries << ", \"evaluations\": " << s.evaluations
    << ", \"int64_overflows\": " << s.int64_overflows << ", \"int128_overflows\": " << s.int128_overflows << ", \"max_activation_bits\": " << s.max_activation_bits
    << ", \"counterexample\": " << (s.failure ? counterexample_json(*s.failure) : "null") << "}";
  return o.str();
}

long total_graphs(const CheckResult& r) {
  long g = 0;
  for (const auto& v : r.variants) g = std::max(g, v.labelled.graphs + v.families.graphs);
  return g;
}
long total_queries(const CheckResult& r) {
  long q = 0;
  for (const auto& v : r.variants) q = std::max(q, v.labelled.queries + v.families.queries);
  return q;
}
long total_evaluations(const CheckResult& r) {
  long e = 0;
  for (const auto& v : r.variants) e += v.labelled.evaluations + v.families.evaluations;
  return e;
}

}  // namespace

std::string checks_to_json(const std::vector<CheckResult>& results) {
  std::ostringstream o;
  bool all = true;
  for (const auto& r : results) all = all && r.holds;
  o << "{\n  \"format\": \"exactformer-checks/1\",\n  \"all_hold\": " << (all ? "true" : "false") << ",\n  \"checks\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const CheckResult& r = results[i];
    o << (i ? "," : "") << "\n    {\"id\": " << json_string(r.spec.id) << ", \"holds\": " << (r.holds ? "true" : "false")
      << ",\n     \"statement\": " << json_string(r.spec.statement) << ", \"source\": " << json_string(r.spec.source)
      << ",\n     \"construction\": " << json_string(r.construction) << ", \"task\": " << json_string(r.task)
      << ", \"n_max\": " << r.n_max << ", \"coverage\": " << json_string(r.coverage)
      << ",\n     \"graphs\": " << total_graphs(r) << ", \"queries\": " << total_queries(r)
      << ", \"evaluations\": " << total_evaluations(r) << ", \"seconds\": " << std::fixed << std::setprecision(3) << r.seconds;
    const VariantResult* first = r.variants.empty() ? nullptr : &r.variants.front();
    o << ",\n     \"measured\": " << (first ? shape_json(first->measured) : "null")
      << ", \"claimed\": " << (first ? shape_json(first->claimed) : "null");
    const Counterexample* cx = nullptr;
    for (const auto& v : r.variants) {
      if (!cx && v.labelled.failure) cx = &*v.labelled.failure;
      if (!cx && v.families.failure) cx = &*v.families.failure;
    }
    o << ",\n     \"counterexample\": " << (cx ? counterexample_json(*cx) : "null") << ",\n     \"variants\": [";
    for (std::size_t j = 0; j < r.variants.size(); ++j) {
      const VariantResult& v = r.variants[j];
      o << (j ? "," : "") << "\n       {\"variant\": " << json_string(v.variant) << ", \"holds\": " << (v.holds() ? "true" : "false")
        << ", \"measured\": " << shape_json(v.measured) << ", \"claimed\": " << shape_json(v.claimed) << ", \"shape_mismatch\": [";
      for (std::size_t k = 0; k < v.shape_mismatch.size(); ++k) o << (k ? ", " : "") << json_string(v.shape_mismatch[k]);
      o << "],\n        \"exhaustive\": " << stats_json(v.labelled) << ",\n        \"families\": " << stats_json(v.families) << "}";
    }
    o << "],\n     \"witness\": ";
    if (!r.spec.witness || !r.witness_variant) {
      o << "null";
    } else {
      o << "{\"statement\": " << json_string(r.spec.witness_statement) << ", \"variant\": " << json_string(r.witness_variant.value_or(""))
        << ", \"found\": " << (r.witness ? "true" : "false") << ", \"graphs_searched\": " << r.witness_graphs_searched
        << ", \"counterexample\": " << (r.witness ? counterexample_json(*r.witness) : "null")
        << ", \"shrunk\": " << (r.witness_shrunk ? counterexample_json(*r.witness_shrunk) : "null") << "}";
    }
    o << ",\n     \"predictions\": [";
    for (std::size_t j = 0; j < r.predictions.size(); ++j) {
      const Finding& f = r.predictions[j];
      o << (j ? "," : "") << "\n       {\"id\": " << json_string(f.id) << ", \"holds\": " << (f.holds ? "true" : "false")
        << ", \"claim\": " << json_string(f.claim) << ", \"measured\": " << json_string(f.measured) << "}";
    }
    o << "]}";
  }
  o << "\n  ]\n}\n";
  return o.str();
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

void print_check_details(std::ostream& out, const CheckResult& r) {
  for (const auto& v : r.variants) {
    for (const auto& d : v.shape_mismatch) out << r.spec.id << " [" << v.variant << "]: shape " << d << "\n";
    if (v.labelled.failure) out << r.spec.id << ": COUNTEREXAMPLE " << v.labelled.failure->describe() << "\n";
    if (v.families.failure) out << r.spec.id << ": COUNTEREXAMPLE (families) " << v.families.failure->describe() << "\n";
  }
  for (const Finding& f : r.predictions)
    out << r.spec.id << ": prediction " << f.id << (f.holds ? " holds: " : " FAILS: ") << f.measured << "\n";
  if (r.spec.witness && r.witness_variant && !r.witness)
    out << r.spec.id << ": the variant below the bound (" << r.witness_variant.value_or("") << ") did not fail on any of "
        << r.witness_graphs_searched << " graphs: the claimed bound is not shown tight\n";
}

void check_output_path(const std::string& path) {
  namespace fs = std::filesystem;
  EXACTFORMER_REQUIRE(!path.empty(), "an output path is empty");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  EXACTFORMER_REQUIRE(!fs::is_directory(st), "output " + quote_input(path) + " is a directory");
  EXACTFORMER_REQUIRE(!fs::exists(st) || fs::is_regular_file(st), "output " + quote_input(path) + " exists and is not a regular file");
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  EXACTFORMER_REQUIRE(fs::is_directory(parent, ec), "output " + quote_input(path) + ": no such directory " + quote_input(parent.string()));
  EXACTFORMER_REQUIRE(::access(parent.c_str(), W_OK) == 0, "output " + quote_input(path) + ": directory not writable");
}

void write_file_atomically(const std::string& path, const std::string& content) {
  check_output_path(path);
  // A fresh temporary in the same directory (mkstemp: never an existing file), then rename over the target.
  std::string tmp = path + ".XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  EXACTFORMER_REQUIRE(fd >= 0, "cannot create a temporary file beside " + quote_input(path));
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < content.size()) {
    const ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0 && errno == EINTR) continue;
    ok = w > 0;
    if (ok) done += static_cast<std::size_t>(w);
  }
  ok = ::fchmod(fd, 0644) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw usage_error("cannot write " + quote_input(path));
  }
}

void replace_directory_atomically(const std::string& dir, const std::function<void(const std::string& staging)>& write) {
  namespace fs = std::filesystem;
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "docs/results/"
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = "." + target.filename().string() + ".staging-";
  for (const auto& entry : fs::directory_iterator(parent))  // a killed run's staging copy
    if (entry.is_directory() && entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(entry.path());
  std::string staging = (parent / (prefix + "XXXXXX")).string();
  EXACTFORMER_REQUIRE(::mkdtemp(staging.data()) != nullptr, "cannot create a staging directory beside " + quote_input(target.string()));
  try {
    const bool existed = fs::exists(target);
    if (existed) fs::copy(target, staging, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    write(staging);
    if (existed) {
      if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
        throw std::runtime_error("cannot swap the new tree in at " + target.string() + ": " + std::strerror(errno));
      fs::remove_all(staging);  // now the old tree
    } else {
      fs::rename(staging, target);
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
}

}  // namespace exactformer
