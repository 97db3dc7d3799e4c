// A main() for the fuzz targets without libFuzzer (g++, the release and asan presets; ctest runs it):
//   fuzz_X_smoke --runs N --seed S DIR...
// feeds every file of the corpus directories to LLVMFuzzerTestOneInput, then N inputs made from them by a
// seeded mutator (byte flips, inserts, deletes, duplicated and spliced ranges, interesting bytes). The same
// N and S make the same inputs, so a run's outcome does not depend on timing. A finding is the target's trap
// or a crash: the process dies of that signal, after writing the input to fuzz-crash-input in the starting
// directory.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "splitmix.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// A draw below n from the tool's own splitmix64 stream.
std::size_t below(exactformer::SplitMix64& rng, std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng.next() % n); }

std::string mutate(std::string x, const std::vector<std::string>& corpus, exactformer::SplitMix64& rng) {
  static const char interesting[] = {'\0', '\n', ',', '-', '0', '1', '9', '?', '~', ':', '=', '.', ' ', '\x7f', '\xff'};
  const std::size_t steps = 1 + below(rng, 4);
  for (std::size_t k = 0; k < steps; ++k) {
    switch (below(rng, 7)) {
      case 0:
        if (!x.empty()) x[below(rng, x.size())] ^= static_cast<char>(1 << below(rng, 8));
        break;
      case 1: x.insert(below(rng, x.size() + 1), 1, static_cast<char>(rng.next())); break;
      case 2:
        if (!x.empty()) x.erase(below(rng, x.size()), 1 + below(rng, 4));
        break;
      case 3: x.insert(below(rng, x.size() + 1), 1, interesting[below(rng, sizeof interesting)]); break;
      case 4:
        if (!x.empty()) {
          const std::size_t a = below(rng, x.size());
          x.insert(below(rng, x.size() + 1), x.substr(a, 1 + below(rng, 8)));
        }
        break;
      case 5: {
        const std::string& other = corpus[below(rng, corpus.size())];
        if (!other.empty()) {
          const std::size_t a = below(rng, other.size());
          x = x.substr(0, below(rng, x.size() + 1)) + other.substr(a, 1 + below(rng, other.size() - a));
        }
        break;
      }
      default:
        if (!x.empty()) x[below(rng, x.size())] = interesting[below(rng, sizeof interesting)];
    }
  }
  if (x.size() > 4096) x.resize(4096);
  return x;
}

// The input being run, for the signal handler: a finding (trap, abort, segfault) writes it to crash_path
// with write(2), then dies of the same signal.
std::string crash_path;
const std::string* current = nullptr;

extern "C" void on_finding(int sig) {
  if (current) {
    const int fd = ::open(crash_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      [[maybe_unused]] const ssize_t w = ::write(fd, current->data(), current->size());
      ::close(fd);
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run_one(const std::string& input) {
  current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 10000;
  std::uint64_t seed = 1;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::strtol(argv[++i], nullptr, 10);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      for (const auto& f : std::filesystem::directory_iterator(a)) {
        std::ifstream in(f.path(), std::ios::binary);
        corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
    }
  }
  if (corpus.empty()) {
    std::cerr << "usage: " << argv[0] << " [--runs N] [--seed S] CORPUS_DIR...  (no corpus files read)\n";
    return 2;
  }
  crash_path = (std::filesystem::current_path() / "fuzz-crash-input").string();  // absolute: targets may change directory
  for (const int sig : {SIGILL, SIGABRT, SIGSEGV, SIGFPE, SIGBUS}) std::signal(sig, on_finding);
  const std::filesystem::path start = std::filesystem::current_path();
  exactformer::SplitMix64 rng{seed};
  for (const std::string& c : corpus) run_one(c);
  for (long r = 0; r < runs; ++r) run_one(mutate(corpus[below(rng, corpus.size())], corpus, rng));
  std::filesystem::current_path(start);
  std::cout << argv[0] << ": " << corpus.size() << " corpus inputs and " << runs << " mutants (seed " << seed << "): no finding\n";
  return 0;
}
