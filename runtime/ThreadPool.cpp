//===- ThreadPool.cpp - The CPU runtime's worker threads ------------------===//

#include "runtime/ThreadPool.h"

#include <utility>

namespace kestrel::runtime {

namespace {
/// Set while a thread runs a task: nested parallelFor calls run serially.
thread_local bool insideTask = false;
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
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::runTasks() {
  insideTask = true;
  for (int64_t i = nextTask.fetch_add(1); i < taskCount;
       i = nextTask.fetch_add(1)) {
    try {
      (*body)(i);
    } catch (...) {
      // Kept for the caller; the remaining tasks still run (and the job
      // still ends) so that no thread is left inside `body`.
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!error)
        error = std::current_exception();
    }
  }
  insideTask = false;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    wake.wait(lock, [&] { return stopping || generation != seen; });
    if (stopping)
      return;
    seen = generation;
    lock.unlock();
    runTasks();
    lock.lock();
    if (--activeWorkers == 0)
      finished.notify_one();
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
  {
    std::lock_guard<std::mutex> lock(mutex);
    body = &task;
    taskCount = n;
    nextTask.store(0);
    activeWorkers = static_cast<int>(workers.size());
    ++generation;
  }
  wake.notify_all();
  runTasks();
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return activeWorkers == 0; });
  body = nullptr;
  if (error) {
    std::exception_ptr thrown = std::exchange(error, nullptr);
    lock.unlock();
    std::rethrow_exception(thrown);
  }
}

} // namespace kestrel::runtime
