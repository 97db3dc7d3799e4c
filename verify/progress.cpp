// Progress of long sweeps (verify/progress.hpp).
#include "progress.hpp"

#include <cmath>
#include <sstream>

namespace exactformer {

namespace {

std::string duration(double seconds) {
  const long s = std::lround(seconds);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

}  // namespace

std::string with_commas(std::uint64_t x) {
  std::string digits = std::to_string(x), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

Progress::Progress(std::ostream* out, bool live, double first_after, double every)
    : out_(out), live_(live), first_after_(first_after), every_(every) {}

void Progress::set_prefix(std::string prefix) {
  std::lock_guard<std::mutex> lock(mutex_);
  prefix_ = std::move(prefix);
}

void Progress::begin(std::string what, std::optional<std::uint64_t> total_graphs) {
  std::lock_guard<std::mutex> lock(mutex_);
  what_ = std::move(what);
  total_ = total_graphs;
  graphs_ = 0;
  pairs_ = 0;
  start_ = last_ = std::chrono::steady_clock::now();
  printed_ = false;
}

void Progress::add(std::uint64_t graphs, std::uint64_t pairs) {
  graphs_ += graphs;
  pairs_ += pairs;
  if (!out_) return;
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is printing
  const auto now = std::chrono::steady_clock::now();
  const double since_start = std::chrono::duration<double>(now - start_).count();
  const double since_last = std::chrono::duration<double>(now - last_).count();
  if (since_start < first_after_ || (printed_ && since_last < (live_ ? 0.5 : every_))) return;
  last_ = now;
  print();
}

void Progress::end() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (out_ && live_line_) {
    *out_ << "\r\033[K" << std::flush;
    live_line_ = false;
  }
}

void Progress::print() {
  const std::uint64_t g = graphs_.load(), p = pairs_.load();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::ostringstream line;
  line << "exactformer: " << (prefix_.empty() ? "" : prefix_ + ": ") << what_ << ": " << with_commas(g);
  if (total_) line << " of " << with_commas(*total_);
  line << " graphs";
  if (total_ && *total_ > 0) line << " (" << (100 * g / *total_) << "%)";
  line << ", " << with_commas(p) << " pairs";
  if (elapsed > 0) line << ", " << with_commas(static_cast<std::uint64_t>(static_cast<double>(g) / elapsed)) << " graphs/s";
  if (total_ && g > 0 && g <= *total_) line << ", ETA " << duration(elapsed * static_cast<double>(*total_ - g) / static_cast<double>(g));
  else line << ", " << duration(elapsed) << " so far";
  if (live_) {
    *out_ << "\r" << line.str() << "\033[K" << std::flush;
    live_line_ = true;
  } else {
    *out_ << line.str() << "\n" << std::flush;
  }
  printed_ = true;
}

}  // namespace exactformer
