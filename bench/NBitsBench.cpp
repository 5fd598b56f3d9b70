//===- NBitsBench.cpp - matmul_nbits: f32 against int8 activations --------===//
//
// The CPU library's kestrel.matmul_nbits on the 135M Llama's int4 shapes
// (blocks of 32, one zero point byte per block), with the lhs in f32 and
// quantized to int8 (MatMulNBits' accuracy_level 4), on one thread. Built
// once per x86-64 level against that level's kernel library, as a model
// compiled for the level links it. Results in docs/benchmarks.md.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

using namespace kestrel::cpu;

namespace {

/// range(0) rows x K range(1) times N range(2) packed columns; int8 lhs
/// when range(3).
void BM_MatmulNBits(benchmark::State &state) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  const bool int8 = state.range(3);
  const int64_t bs = 32, blocks = (K + bs - 1) / bs;
  std::mt19937 rng(7);
  std::vector<float> lhs(size_t(M * K)), scales(size_t(N * blocks));
  std::vector<float> out(size_t(M * N));
  std::vector<uint8_t> weight(size_t(N * blocks * bs / 2)),
      zero(size_t(N * blocks));
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  for (float &x : lhs)
    x = unit(rng);
  for (float &s : scales)
    s = 0.01f + 0.01f * unit(rng);
  for (uint8_t &w : weight)
    w = uint8_t(rng());
  for (uint8_t &z : zero)
    z = uint8_t(rng() % 16);
  Tensor lt{lhs.data(), DType::F32, Shape{M, K}};
  Tensor wt{weight.data(), DType::U8, Shape{N, blocks, bs / 2}};
  Tensor st{scales.data(), DType::F32, Shape{N, blocks}};
  Tensor zt{zero.data(), DType::U8, Shape{N, blocks}};
  Tensor ot{out.data(), DType::F32, Shape{M, N}};
  Context ctx;
  ctx.parallelFor = runSerially;
  for (auto _ : state) {
    if (!matmulNBits(ctx, lt, wt, st, &zt, 4, bs, K, int8, ot)) {
      state.SkipWithError(ctx.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["int8"] = int8MatmulNBitsApplies(M, 4, bs) && int8;
  // Packed weights streamed per call.
  state.counters["GB/s"] = benchmark::Counter(
      double(weight.size()), benchmark::Counter::kIsIterationInvariantRate,
      benchmark::Counter::kIs1000);
}

// A layer's q/k/v (960), o (576), gate/up (1536) and down (K 1536), and the
// tied LM head (49152 columns), at decode (1 row) and short prompts.
BENCHMARK(BM_MatmulNBits)
    ->ArgNames({"M", "K", "N", "int8"})
    ->ArgsProduct({{1, 4, 9, 16}, {576}, {960, 1536}, {0, 1}})
    ->ArgsProduct({{1, 9}, {1536}, {576}, {0, 1}})
    ->ArgsProduct({{1}, {576}, {49152}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
