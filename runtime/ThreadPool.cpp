//===- ThreadPool.cpp - The CPU runtime's worker threads ------------------===//

#include "runtime/ThreadPool.h"

#include <chrono>
#include <utility>

namespace kestrel::runtime {

namespace {
/// Set while a thread runs a task: nested parallelFor calls run serially.
thread_local bool insideTask = false;

/// How long an idle worker, or a caller waiting for the last task, polls
/// before it blocks.
constexpr std::chrono::microseconds kSpin{100};

/// Polls `ready` until it holds or kSpin has passed; whether it holds.
template <typename Ready> bool spinFor(Ready ready) {
  auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 1;; ++i) {
    if (ready())
      return true;
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until)
      return ready();
  }
}
} // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping.store(true);
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::runTasks(Job &job) {
  bool outer = insideTask;
  insideTask = true;
  for (int64_t i = job.next.fetch_add(1); i < job.count;
       i = job.next.fetch_add(1)) {
    try {
      (*job.body)(i);
    } catch (...) {
      // Kept for the caller; the remaining tasks still run (and the job
      // still ends) so that no thread is left inside `body`.
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!error)
        error = std::current_exception();
    }
    if (job.done.fetch_add(1) + 1 == job.count) {
      // The last task: the caller may be asleep waiting for it.
      std::lock_guard<std::mutex> lock(mutex);
      finished.notify_all();
    }
  }
  insideTask = outer;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    auto posted = [&] { return stopping.load() || generation.load() != seen; };
    if (!spinFor(posted)) {
      std::unique_lock<std::mutex> lock(mutex);
      // Counted before the predicate is checked (both sequentially
      // consistent): a caller that bumps `generation` either sees this
      // sleeper and notifies, or is seen by the predicate.
      sleepers.fetch_add(1);
      wake.wait(lock, posted);
      sleepers.fetch_sub(1);
    }
    if (stopping.load())
      return;
    seen = generation.load();
    // Counted in before reading `current`, so that the caller, which
    // clears `current` and then waits for `entered` to drain, never frees
    // a Job this thread still reads (both sequentially consistent).
    entered.fetch_add(1);
    if (Job *job = current.load())
      runTasks(*job);
    entered.fetch_sub(1);
  }
}

void ThreadPool::parallelFor(int64_t n,
                             const std::function<void(int64_t)> &task) {
  if (n <= 0)
    return;
  if (insideTask || workers.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i)
      task(i);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex);
  Job job;
  job.body = &task;
  job.count = n;
  current.store(&job);
  generation.fetch_add(1);
  if (sleepers.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex);
    wake.notify_all();
  }
  runTasks(job);
  // Tasks a worker took may still be running.
  auto allDone = [&] { return job.done.load() == n; };
  if (!spinFor(allDone)) {
    std::unique_lock<std::mutex> lock(mutex);
    finished.wait(lock, allDone);
  }
  current.store(nullptr);
  // A worker that read `job` before it was cleared is past its last
  // fetch_add on `next` within a few instructions.
  while (entered.load() != 0)
    std::this_thread::yield();
  std::exception_ptr thrown;
  {
    std::lock_guard<std::mutex> lock(errorMutex);
    thrown = std::exchange(error, nullptr);
  }
  if (thrown)
    std::rethrow_exception(thrown);
}

} // namespace kestrel::runtime
