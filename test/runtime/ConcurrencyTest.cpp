//===- ConcurrencyTest.cpp - Sessions of one model on several threads -----===//
//
// Built with ThreadSanitizer: one shared model, four threads, each with its
// own session (two CPU threads each), running different inputs many times.
// Every thread's results must equal a single-threaded reference run, and
// TSan must report no race (it fails the process if it does). First the
// thread pool alone: two callers making many calls of tiny tasks, where
// the caller often takes every task before a worker wakes and returns
// while that worker is still on its way in.
//
//===----------------------------------------------------------------------===//

#include "llama.h"
#include "runtime/ThreadPool.h"

#include <atomic>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<int64_t> tokens(int seed, int64_t n) {
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i)
    ids[i] = (seed * 31 + i * 17) % 256;
  return ids;
}

/// Runs the model on `ids` as [1, n]; empty on failure (message printed).
std::vector<float> run(kestrel_session *session,
                       const std::vector<int64_t> &ids) {
  int64_t shape[2] = {1, static_cast<int64_t>(ids.size())};
  kestrel_dtype dtype;
  const int64_t *outShape;
  size_t rank, bytes;
  const void *data;
  if (kestrel_session_set_input(session, "input_ids", KESTREL_I64, shape, 2,
                                ids.data(), ids.size() * sizeof(int64_t)) ||
      kestrel_session_run(session) ||
      kestrel_session_get_output(session, "output", &dtype, &outShape, &rank,
                                 &data, &bytes)) {
    std::fprintf(stderr, "run failed: %s\n", kestrel_last_error());
    return {};
  }
  const float *f = static_cast<const float *>(data);
  return {f, f + bytes / sizeof(float)};
}

/// Two callers, 2000 calls each of 1 to 7 tiny tasks on one pool; every
/// task must run exactly once. Returns the calls that went wrong.
int stressThreadPool() {
  kestrel::runtime::ThreadPool pool(3);
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 2; ++c)
    callers.emplace_back([&, c] {
      for (int call = 0; call < 2000; ++call) {
        int n = 1 + (call + c) % 7;
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallelFor(n, [&](int64_t i) { hits[size_t(i)]++; });
        for (int i = 0; i < n; ++i)
          if (hits[size_t(i)].load() != 1) {
            ++wrong;
            break;
          }
      }
    });
  for (std::thread &t : callers)
    t.join();
  return wrong.load();
}

} // namespace

int main() {
  if (int wrong = stressThreadPool()) {
    std::fprintf(stderr, "thread pool: %d calls ran a task other than once\n",
                 wrong);
    return 1;
  }
  std::printf("thread pool: 2 callers x 2000 calls, every task ran once\n");
  constexpr int kThreads = 4, kRuns = 6;
  kestrel_options options;
  kestrel_options_init(&options);
  options.num_threads = 2;
  kestrel_model *model = nullptr;
  std::string weights =
      std::string(KESTREL_TEST_MODEL_DIR) + "/llama/llama.kweights";
  if (kestrel_model_open(llama_model(), weights.c_str(), &options, &model)) {
    std::fprintf(stderr, "open failed: %s\n", kestrel_last_error());
    return 1;
  }

  // References, one session, one thread.
  std::vector<std::vector<float>> expected(kThreads);
  {
    kestrel_session *session = nullptr;
    if (kestrel_session_create(model, &session))
      return 1;
    for (int t = 0; t < kThreads; ++t)
      expected[t] = run(session, tokens(t, 5 + 3 * t));
    kestrel_session_release(session);
  }

  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      kestrel_session *session = nullptr;
      if (kestrel_session_create(model, &session)) {
        mismatches[t] = kRuns;
        return;
      }
      for (int r = 0; r < kRuns; ++r) {
        // Alternate shapes so that sessions re-plan while others run.
        int which = (t + r) % kThreads;
        if (run(session, tokens(which, 5 + 3 * which)) != expected[which])
          ++mismatches[t];
      }
      kestrel_session_release(session);
    });
  for (std::thread &thread : threads)
    thread.join();
  kestrel_model_release(model);

  int total = 0;
  for (int t = 0; t < kThreads; ++t)
    total += mismatches[t];
  std::printf("%d threads x %d runs: %d results differ from the reference\n",
              kThreads, kRuns, total);
  for (const std::vector<float> &e : expected)
    if (e.empty())
      return 1;
  return total == 0 ? 0 : 1;
}
