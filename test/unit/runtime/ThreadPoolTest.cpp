//===- ThreadPoolTest.cpp - parallelFor coverage, concurrency, nesting ----===//

#include "runtime/ThreadPool.h"

#include "kernels/cpu/Gemm.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

using namespace kestrel::runtime;

namespace {

TEST(ThreadPool, RunsEveryTaskOnce) {
  ThreadPool pool(4);
  for (int64_t n : {0, 1, 2, 3, 17, 1000}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallelFor(n, [&](int64_t i) { hits[i]++; });
    for (int64_t i = 0; i < n; ++i)
      EXPECT_EQ(hits[i].load(), 1) << "n = " << n << ", task " << i;
  }
}

TEST(ThreadPool, UsesSeveralThreads) {
  ThreadPool pool(3);
  std::mutex m;
  std::set<std::thread::id> ids;
  pool.parallelFor(300, [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    std::lock_guard<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_GE(ids.size(), 2u);
  EXPECT_LE(ids.size(), 3u);
}

TEST(ThreadPool, CallsFromSeveralThreadsAndNestedCalls) {
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::vector<int64_t> sums(4, 0);
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&, c] {
      for (int repeat = 0; repeat < 50; ++repeat) {
        std::atomic<int64_t> sum{0};
        pool.parallelFor(64, [&](int64_t i) {
          // A nested call runs serially on this thread.
          pool.parallelFor(4, [&](int64_t j) { sum += i * 4 + j; });
        });
        sums[c] = sum.load();
      }
    });
  for (std::thread &t : callers)
    t.join();
  for (int64_t s : sums)
    EXPECT_EQ(s, 255 * 256 / 2);
}

TEST(ThreadPool, DrivesTheGemmKernelToTheSerialResult) {
  ThreadPool pool(2);
  int64_t m = 300, n = 1500, k = 70;
  std::vector<float> a(m * k), b(k * n), serial(m * n), threaded(m * n);
  std::iota(a.begin(), a.end(), -100.0f);
  std::iota(b.begin(), b.end(), -50.0f);
  kestrel::cpu::gemmF32(m, n, k, {a.data(), k, 1}, {b.data(), n, 1},
                        serial.data(), n, false);
  kestrel::cpu::gemmF32(
      m, n, k, {a.data(), k, 1}, {b.data(), n, 1}, threaded.data(), n, false,
      [&](int64_t count, const std::function<void(int64_t)> &body) {
        pool.parallelFor(count, body);
      });
  EXPECT_EQ(serial, threaded);
}

} // namespace
