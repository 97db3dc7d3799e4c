// The committed docs/results tables (written by `exactformer docs`, run by scripts/run) parse, cover every
// registered check and construction, and agree with a fresh computation where that is cheap.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "check.hpp"
#include "report.hpp"

using namespace exactformer;

namespace {

std::string read(const std::string& relative) {
  std::ifstream f(std::string(EXACTFORMER_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(f.good(), "missing " << relative << " (regenerate with scripts/run)");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Cells of a Markdown table row; "\|" is a literal bar inside a cell.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  bool started = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (line[i] == '|') {
      if (started) {
        const auto b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
        out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      }
      started = true;
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs/results/checks.md lists every check, and every one holds") {
  const std::string text = read("docs/results/checks.md");
  for (const auto& [c, spec] : builtin_registry().checks()) {
    CAPTURE(spec.id);
    const auto at = text.find("| `" + spec.id + "` |");
    REQUIRE(at != std::string::npos);
    const auto row = cells(text.substr(at, text.find('\n', at) - at));
    REQUIRE(row.size() >= 9);
    CHECK(row[6] == "yes");
    if (spec.witness) CHECK(row[7].rfind("found", 0) == 0);
  }
}

TEST_CASE("docs/results/bounds tables agree with the claimed formulas") {
  for (const auto& c : all_constructions()) {
    CAPTURE(c->name());
    std::stringstream text(read("docs/results/bounds/" + c->name() + ".md"));
    std::string line;
    int rows = 0;
    while (std::getline(text, line)) {
      if (line.rfind("| ", 0) != 0 || line.rfind("| n ", 0) == 0) continue;
      const auto row = cells(line);
      REQUIRE(row.size() >= 15);
      const int n = std::stoi(row[0]);
      const Variant v = row[2] == "hard" ? Variant::hard() : Variant::softmax2();
      const Shape s = c->claimed(n, v);
      CAPTURE(n);
      CHECK(std::stoi(row[3]) == s.layers);
      CHECK(std::stoi(row[4]) == s.heads);
      CHECK(std::stoi(row[5]) == s.width);
      CHECK(std::stol(row[9]) == s.params);
      CHECK(row[14].find("MISMATCH") == std::string::npos);
      ++rows;
    }
    CHECK(rows >= 15 * static_cast<int>(c->modes().size()));
  }
}

TEST_CASE("every construction's page exists, and docs/ links nothing outside the repository") {
  for (const auto& c : all_constructions()) {
    CAPTURE(c->name());
    CHECK(read(c->doc()).find("# ") == 0);
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(EXACTFORMER_SOURCE_DIR) + "/docs")) {
    if (entry.path().extension() != ".md") continue;
    CAPTURE(entry.path().string());
    std::ifstream f(entry.path());
    const std::string body((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK(body.find("shared/docs") == std::string::npos);
  }
}

TEST_CASE("a directory is replaced whole: a failing write leaves the old tree and no staging copy; a good one keeps other files") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("exactformer_tree_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "results");
  const auto write = [](const fs::path& p, const std::string& text) { std::ofstream(p) << text; };
  const auto read_all = [](const fs::path& p) {
    std::ifstream f(p);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  const auto staging_left = [&] {
    int count = 0;
    for (const auto& e : fs::directory_iterator(root)) count += e.path().filename().string().rfind(".results.staging-", 0) == 0;
    return count;
  };
  write(root / "results" / "checks.md", "old checks");
  write(root / "results" / "mutation.md", "another command's file");
  fs::create_directories(root / ".results.staging-killed");  // a killed run's leftover
  const std::string dir = (root / "results").string();
  CHECK_THROWS_AS(replace_directory_atomically(dir,
                                               [&](const std::string& staging) {
                                                 write(fs::path(staging) / "checks.md", "half of a new run");
                                                 throw usage_error("failed half-way");
                                               }),
                  usage_error);
  CHECK(read_all(root / "results" / "checks.md") == "old checks");
  CHECK(staging_left() == 0);  // its own staging copy and the killed run's are gone

  replace_directory_atomically(dir + "/", [&](const std::string& staging) {
    CHECK(read_all(fs::path(staging) / "checks.md") == "old checks");  // the staging copy starts as the old tree
    write(fs::path(staging) / "checks.md", "new checks");
    fs::create_directories(fs::path(staging) / "bounds");
    write(fs::path(staging) / "bounds" / "x.md", "new table");
  });
  CHECK(read_all(root / "results" / "checks.md") == "new checks");
  CHECK(read_all(root / "results" / "bounds" / "x.md") == "new table");
  CHECK(read_all(root / "results" / "mutation.md") == "another command's file");
  CHECK(staging_left() == 0);

  replace_directory_atomically((root / "fresh").string(), [&](const std::string& staging) { write(fs::path(staging) / "a.md", "a"); });
  CHECK(read_all(root / "fresh" / "a.md") == "a");  // no old tree: renamed into place
  fs::remove_all(root);
}
