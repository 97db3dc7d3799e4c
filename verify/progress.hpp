// Progress of long sweeps, on stderr: graphs and pairs done (of the total when the source knows it), rate
// and ETA. Silent for the first `first_after` seconds of a sweep (short runs print nothing); then a live
// line rewritten in place on a terminal, or one line every `every` seconds otherwise. Never on stdout, and
// nothing a verdict depends on: the counters only count.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace exactformer {

class Progress {
 public:
  // out = nullptr: quiet. live: rewrite one line in place (a terminal).
  Progress(std::ostream* out, bool live, double first_after = 2.0, double every = 10.0);

  void set_prefix(std::string prefix);  // "retrieval.edge_existence.depth1" (the check), or empty
  // One sweep: its source ("every labelled graph with 1 <= n <= 6") and graph count if known.
  void begin(std::string what, std::optional<std::uint64_t> total_graphs);
  void add(std::uint64_t graphs, std::uint64_t pairs);  // thread-safe; may print
  void end();                                           // clears a live line

 private:
  void print();  // under mutex_
  std::ostream* out_;
  bool live_;
  double first_after_, every_;
  std::string prefix_, what_;
  std::optional<std::uint64_t> total_;
  std::atomic<std::uint64_t> graphs_{0}, pairs_{0};
  std::chrono::steady_clock::time_point start_, last_;
  bool printed_ = false, live_line_ = false;
  std::mutex mutex_;
};

// One sweep on a meter (or none): begin() now, end() when the scope is left, thrown out of included.
class ProgressScope {
 public:
  ProgressScope(Progress* p, std::string what, std::optional<std::uint64_t> total) : p_(p) {
    if (p_) p_->begin(std::move(what), total);
  }
  ~ProgressScope() {
    if (p_) p_->end();
  }
  ProgressScope(const ProgressScope&) = delete;
  ProgressScope& operator=(const ProgressScope&) = delete;

 private:
  Progress* p_;
};

// "1,234,567"
std::string with_commas(std::uint64_t x);

}  // namespace exactformer
