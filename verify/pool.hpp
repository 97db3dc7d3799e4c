// The one thread pool: work(i, worker) for every i in [0, count), on `jobs` threads (worker in
// [0, jobs)), `chunk` consecutive indices at a time. Results must be stored by index, so that they do not
// depend on which thread ran what. The first exception stops the other threads and is rethrown. Each
// spawned thread frees MPFR's thread-local caches (the certified path's) before it ends.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "exactformer/interval.hpp"

namespace exactformer {

template <class Work>  // void work(std::size_t i, int worker)
void parallel_for(std::size_t count, int jobs, std::size_t chunk, const Work& work) {
  jobs = std::max(1, jobs);
  chunk = std::max<std::size_t>(1, chunk);
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto run = [&](int worker) {
    try {
      for (;;) {
        const std::size_t start = next.fetch_add(chunk);
        if (start >= count) return;
        for (std::size_t i = start; i < std::min(start + chunk, count); ++i) work(i, worker);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next.store(count);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j)
    threads.emplace_back([&run, j] {
      run(j);
      release_thread_caches();
    });
  run(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace exactformer
