//===- ThreadPool.h - The CPU runtime's worker threads ----------*- C++ -*-===//
//
// A fixed set of workers that run the tasks of one parallelFor at a time,
// with the calling thread taking part. Kernels receive it as a ParallelFor.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_THREADPOOL_H
#define KESTREL_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kestrel::runtime {

/// Thread safety: parallelFor may be called from several threads; their
/// calls run one after another. A parallelFor from inside a task runs its
/// tasks serially on that thread (no deadlock, no oversubscription). A task
/// that throws does not stop the others; parallelFor rethrows the first
/// exception in the caller once every task has run.
class ThreadPool {
public:
  /// `threads` workers in all, the caller included; 0 picks the machine's
  /// hardware concurrency.
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return static_cast<int>(workers.size()) + 1; }

  /// Runs body(i) for every i in [0, n) and returns when all have run.
  void parallelFor(int64_t n, const std::function<void(int64_t)> &body);

private:
  void workerLoop();
  void runTasks();

  std::vector<std::thread> workers;
  std::mutex callMutex; ///< one parallelFor at a time

  std::mutex mutex;
  std::condition_variable wake, finished;
  uint64_t generation = 0; ///< bumped for every job
  bool stopping = false;
  const std::function<void(int64_t)> *body = nullptr;
  int64_t taskCount = 0;
  std::atomic<int64_t> nextTask{0};
  int activeWorkers = 0; ///< workers still inside the current job
  std::mutex errorMutex;
  std::exception_ptr error; ///< the first exception a task threw
};

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_THREADPOOL_H
