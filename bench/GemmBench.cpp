//===- GemmBench.cpp - Kestrel's CPU GEMM against OpenBLAS and a naive loop
//===//
//
// f32 C = A·B (row-major, B transposed as in nn.Linear weights) at prefill-
// and decode-like shapes, on one thread and on both cores. Compiled with -O3
// -march=native like emitted model code. Results in docs/benchmarks.md.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Gemm.h"
#include "runtime/ThreadPool.h"

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <random>

using namespace kestrel::cpu;

namespace {

struct Operands {
  std::vector<float> a, b, c;
  Operands(int64_t m, int64_t n, int64_t k) : a(m * k), b(n * k), c(m * n) {
    std::mt19937 rng(1);
    std::normal_distribution<float> d;
    for (float &x : a)
      x = d(rng);
    for (float &x : b)
      x = d(rng);
  }
};

void setCounters(benchmark::State &state, int64_t m, int64_t n, int64_t k) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
      benchmark::Counter::kIs1000);
}

/// Kestrel's kernel on range(3) threads (the runtime's thread pool).
void BM_Kestrel(benchmark::State &state) {
  int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  kestrel::runtime::ThreadPool pool(static_cast<int>(state.range(3)));
  ParallelFor parallel = [&](int64_t count,
                             const std::function<void(int64_t)> &body) {
    pool.parallelFor(count, body);
  };
  for (auto _ : state) {
    gemmF32(m, n, k, {o.a.data(), k, 1}, {o.b.data(), 1, k}, o.c.data(), n,
            false, parallel);
    benchmark::DoNotOptimize(o.c.data());
  }
  setCounters(state, m, n, k);
}

/// OpenBLAS's cblas_sgemm on range(3) threads.
void BM_OpenBLAS(benchmark::State &state) {
  int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  openblas_set_num_threads(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
                o.a.data(), k, o.b.data(), k, 0.0f, o.c.data(), n);
    benchmark::DoNotOptimize(o.c.data());
  }
  setCounters(state, m, n, k);
}

void BM_NaiveLoop(benchmark::State &state) {
  int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  for (auto _ : state) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float s = 0;
        for (int64_t l = 0; l < k; ++l)
          s += o.a[i * k + l] * o.b[j * k + l];
        o.c[i * n + j] = s;
      }
    benchmark::DoNotOptimize(o.c.data());
  }
  setCounters(state, m, n, k);
}

// (M, N, K, threads): a 512-token prefill through a 1024 -> 1024
// projection, a 4096 -> 4096 projection for 64 tokens, and decode (M = 1)
// through 4096 -> 11008; on one thread and on both cores.
#define SHAPES                                                                 \
  ArgsProduct({{512}, {1024}, {1024}, {1, 2}})                                 \
      ->ArgsProduct({{64}, {4096}, {4096}, {1, 2}})                            \
      ->ArgsProduct({{1}, {11008}, {4096}, {1, 2}})
BENCHMARK(BM_Kestrel)->SHAPES->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenBLAS)->SHAPES->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NaiveLoop)->Args({512, 1024, 1024})->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
