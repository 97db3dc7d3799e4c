// Graph sources (verify/sources.hpp).
#include "sources.hpp"

#include <functional>
#include <istream>
#include <limits>

#include "enumerate.hpp"
#include "exactformer/rational.hpp"
#include "exactformer/scalar.hpp"
#include "splitmix.hpp"

namespace exactformer {

namespace {

constexpr std::size_t kBatch = 1 << 15;

class LabelledSource final : public GraphSource {
 public:
  LabelledSource(int n_min, int n_max) : n_(n_min), n_max_(n_max), n_min_(n_min) {
    EXACTFORMER_REQUIRE(n_min >= 1 && n_max <= 11, "labelled enumeration covers 1 <= n <= 11");
  }
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    while (out.size() < kBatch && n_ <= n_max_) {
      if (index_ == labelled_count(n_)) {
        ++n_;
        index_ = 0;
        continue;
      }
      out.push_back(labelled_graph(n_, index_++));
    }
    return !out.empty();
  }
  std::string describe() const override {
    return "every labelled graph with " + std::to_string(n_min_) + " <= n <= " + std::to_string(n_max_);
  }
  std::optional<std::uint64_t> size() const override {
    std::uint64_t total = 0;
    for (int n = n_min_; n <= n_max_; ++n) total += labelled_count(n);
    return total;
  }

 private:
  int n_, n_max_, n_min_;
  std::uint64_t index_ = 0;
};

class ListSource final : public GraphSource {
 public:
  ListSource(std::vector<Graph> g, std::string d) : graphs_(std::move(g)), description_(std::move(d)) {}
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    if (done_) return false;
    done_ = true;
    out = graphs_;
    return !out.empty();
  }
  std::string describe() const override { return description_; }
  std::optional<std::uint64_t> size() const override { return graphs_.size(); }

 private:
  std::vector<Graph> graphs_;
  std::string description_;
  bool done_ = false;
};

class Graph6Source final : public GraphSource {
 public:
  Graph6Source(std::istream& in, std::string d, int n_max) : in_(in), description_(std::move(d)), n_max_(n_max) {}
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    std::string line;
    while (out.size() < kBatch && std::getline(in_, line)) {
      ++line_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      Graph g;
      try {
        g = from_graph6(line);
      } catch (const usage_error& e) {
        throw usage_error("graph6 line " + std::to_string(line_) + ": " + e.what());
      }
      EXACTFORMER_REQUIRE(g.n() >= 1, "graph6 line " + std::to_string(line_) + ": a graph with no vertices");
      EXACTFORMER_REQUIRE(g.n() <= n_max_, "graph6 line " + std::to_string(line_) + ": n = " + std::to_string(g.n())
                                               + " exceeds --n " + std::to_string(n_max_));
      out.push_back(std::move(g));
    }
    return !out.empty();
  }
  std::string describe() const override { return description_; }

 private:
  std::istream& in_;
  std::string description_;
  int n_max_;
  long line_ = 0;
};

}  // namespace

namespace {

// One graph after another, made on demand (a random graph at n = 4096 is 2 MiB).
class GeneratedSource final : public GraphSource {
 public:
  GeneratedSource(std::string spec, std::uint64_t count, std::function<Graph(std::uint64_t)> make)
      : spec_(std::move(spec)), count_(count), make_(std::move(make)) {}
  bool next_batch(std::vector<Graph>& out) override {
    out.clear();
    if (done_ == count_) return false;
    out.push_back(make_(done_++));
    return true;
  }
  std::string describe() const override { return spec_ + " (" + std::to_string(count_) + (count_ == 1 ? " graph)" : " graphs)"); }
  std::optional<std::uint64_t> size() const override { return count_; }

 private:
  std::string spec_;
  std::uint64_t count_, done_ = 0;
  std::function<Graph(std::uint64_t)> make_;
};

}  // namespace

bool is_generated_spec(const std::string& spec) { return spec.rfind("family:", 0) == 0 || spec.rfind("random:", 0) == 0; }

std::unique_ptr<GraphSource> generated_source(const std::string& spec) {
  const std::vector<std::string> f = [&] {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= spec.size(); ++i)
      if (i == spec.size() || spec[i] == ':') {
        parts.push_back(spec.substr(start, i - start));
        start = i + 1;
      }
    return parts;
  }();
  const auto number = [&](std::size_t i, long lo, long hi, const char* what) {
    return parse_integer(f[i], lo, hi, std::string("--graphs ") + f[0] + ":" + f[1] + " " + what);
  };
  const auto one = [&](Graph g) {
    return std::make_unique<GeneratedSource>(spec, 1, [g = std::move(g)](std::uint64_t) { return g; });
  };
  if (f.size() == 3 && f[0] == "family") {
    if (f[1] == "binomial") return one(binomial_tree(static_cast<int>(number(2, 1, 12, "K"))));
    const int n = static_cast<int>(number(2, 1, kMaxVertices, "N"));
    if (f[1] == "path") return one(path_graph(n));
    if (f[1] == "cycle") return one(cycle_graph(std::max(3, n)));
    if (f[1] == "star") return one(star_graph(n));
    if (f[1] == "empty") return one(empty_graph(n));
    if (f[1] == "two_cycles") {
      EXACTFORMER_REQUIRE(n >= 6 && n % 2 == 0, "--graphs family:two_cycles:N needs an even N >= 6");
      Graph g(n);
      for (int half = 0; half < 2; ++half)
        for (int i = 0; i < n / 2; ++i) g.add_edge(half * n / 2 + i, half * n / 2 + (i + 1) % (n / 2));
      return one(std::move(g));
    }
  }
  if (f.size() == 6 && f[0] == "random" && (f[1] == "gnp" || f[1] == "gnm")) {
    const int n = static_cast<int>(number(2, 1, kMaxVertices, "N"));
    const auto count = static_cast<std::uint64_t>(number(4, 1, 1000000000L, "COUNT"));
    const auto seed = static_cast<std::uint64_t>(number(5, 0, std::numeric_limits<long>::max(), "SEED"));
    const long pairs = static_cast<long>(n) * (n - 1) / 2;
    if (f[1] == "gnp") {
      const Q p = parse_rational(f[3]);
      EXACTFORMER_REQUIRE(p >= 0 && p <= 1, "--graphs random:gnp: P must be in [0, 1]");
      // Pair (a, b) is an edge when its 53-bit draw u satisfies u < P * 2^53 (P exact, the threshold rounded down).
      const Q scaled = p * Q(std::uint64_t{1} << 53);
      const auto threshold = static_cast<std::uint64_t>(ScalarTraits<Q>::floor_to_long(scaled).value_or(0));
      return std::make_unique<GeneratedSource>(spec, count, [n, seed, threshold, p](std::uint64_t i) {
        SplitMix64 rng{seed * 0x100000001b3ULL + i};
        Graph g(n);
        for (int b = 1; b < n; ++b)
          for (int a = 0; a < b; ++a)
            if (p == 1 || (rng.next() >> 11) < threshold) g.add_edge(a, b);
        return g;
      });
    }
    const long m = number(3, 0, pairs, "M");
    return std::make_unique<GeneratedSource>(spec, count, [n, m, seed](std::uint64_t i) {
      SplitMix64 rng{seed * 0x100000001b3ULL + i};
      Graph g(n);
      for (long added = 0; added < m;) {
        const int a = static_cast<int>(rng.next() % static_cast<std::uint64_t>(n));
        const int b = static_cast<int>(rng.next() % static_cast<std::uint64_t>(n));
        if (a != b && !g.has_edge(a, b)) {
          g.add_edge(a, b);
          ++added;
        }
      }
      return g;
    });
  }
  throw usage_error("--graphs " + quote_input(spec) + ": not a family:NAME:N, family:binomial:K, random:gnp:N:P:COUNT:SEED or "
                    "random:gnm:N:M:COUNT:SEED");
}

std::unique_ptr<GraphSource> labelled_source(int n_min, int n_max) { return std::make_unique<LabelledSource>(n_min, n_max); }
std::unique_ptr<GraphSource> list_source(std::vector<Graph> graphs, std::string description) {
  return std::make_unique<ListSource>(std::move(graphs), std::move(description));
}
std::unique_ptr<GraphSource> graph6_source(std::istream& in, std::string description, int n_max) {
  return std::make_unique<Graph6Source>(in, std::move(description), n_max);
}

}  // namespace exactformer
