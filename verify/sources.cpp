// Graph sources (verify/sources.hpp).
#include "sources.hpp"

#include <istream>

#include "enumerate.hpp"

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

std::unique_ptr<GraphSource> labelled_source(int n_min, int n_max) { return std::make_unique<LabelledSource>(n_min, n_max); }
std::unique_ptr<GraphSource> list_source(std::vector<Graph> graphs, std::string description) {
  return std::make_unique<ListSource>(std::move(graphs), std::move(description));
}
std::unique_ptr<GraphSource> graph6_source(std::istream& in, std::string description, int n_max) {
  return std::make_unique<Graph6Source>(in, std::move(description), n_max);
}

}  // namespace exactformer
