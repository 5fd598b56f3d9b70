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
///
/// A call returns once its tasks have run, not once every worker has
/// woken: the caller takes tasks too, so a worker that wakes after the
/// caller took the last one finds nothing left and goes back to sleep
/// without being waited for (a futex wake-up costs several microseconds
/// on a virtual machine; a forward pass makes hundreds of calls). Idle
/// workers, and a caller waiting for a worker's last task, poll for a
/// while (kSpin) before they block, so that the calls of one forward pass
/// find their workers awake; they poll with plain loads, not PAUSE, which
/// makes a hypervisor with pause-loop exiting deschedule the polling vCPU.
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
  /// One parallelFor's tasks, on the caller's stack while it runs.
  struct Job {
    const std::function<void(int64_t)> *body = nullptr;
    int64_t count = 0;
    std::atomic<int64_t> next{0}; ///< the next task to hand out
    std::atomic<int64_t> done{0}; ///< tasks finished
  };

  void workerLoop();
  /// Takes and runs tasks of `job` until none are left.
  void runTasks(Job &job);

  std::vector<std::thread> workers;
  std::mutex callMutex; ///< one parallelFor at a time

  std::mutex mutex;
  std::condition_variable wake, finished;
  std::atomic<uint64_t> generation{0}; ///< bumped for every job
  std::atomic<bool> stopping{false};
  /// Workers blocked on `wake` (the others are spinning or working).
  std::atomic<int> sleepers{0};
  /// The job being run, or null. A worker counts itself in `entered`
  /// before reading it, and the caller clears it and waits for `entered`
  /// to drain before its Job goes out of scope.
  std::atomic<Job *> current{nullptr};
  std::atomic<int> entered{0};
  std::mutex errorMutex;
  std::exception_ptr error; ///< the first exception a task threw
};

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_THREADPOOL_H
