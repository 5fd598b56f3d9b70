//===- NormBench.cpp - Residual add + norm: fused kernel against two ops --===//
//
// What kestrel-fuse-residual-norm buys on the CPU backend: the CPU library's
// add_rms_norm / add_layer_norm against the binary add followed by
// rms_norm / layer_norm that the unfused model runs, on [tokens, hidden]
// rows in f32 and bf16, on one thread. Compiled with the kernel library's
// flags. Results in docs/benchmarks.md.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include <benchmark/benchmark.h>

#include <random>

using namespace kestrel::cpu;

namespace {

/// A tensor of random values in [-2, 2) and the bytes it owns.
struct Buf {
  std::vector<uint64_t> words;
  Tensor t;
  Buf(DType type, Shape shape, unsigned seed)
      : words((shape.numel() * dtypeSize(type) + 7) / 8) {
    t = Tensor{words.data(), type, shape};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-2.0f, 2.0f);
    for (int64_t i = 0; i < shape.numel(); ++i) {
      float v = d(rng);
      if (type == DType::F32)
        reinterpret_cast<float *>(words.data())[i] = v;
      else
        reinterpret_cast<uint16_t *>(words.data())[i] = f32ToBf16(v);
    }
  }
};

/// range(0) tokens x range(1) hidden, dtype range(2) (0: f32, 1: bf16),
/// norm range(3) (0: RMSNorm, 1: LayerNorm with bias); fused or not.
void run(benchmark::State &state, bool fused) {
  int64_t tokens = state.range(0), hidden = state.range(1);
  DType type = state.range(2) ? DType::BF16 : DType::F32;
  bool layer = state.range(3);
  Shape rows{tokens, hidden}, vec{hidden};
  Buf x(type, rows, 1), r(type, rows, 2), w(type, vec, 3), b(type, vec, 4);
  Buf sum(type, rows, 5), y(type, rows, 6);
  Context ctx;
  ctx.parallelFor = runSerially;
  for (auto _ : state) {
    bool ok;
    if (fused)
      ok = layer ? addLayerNorm(ctx, x.t, r.t, w.t, &b.t, 1, 1e-5f, sum.t, y.t)
                 : addRmsNorm(ctx, x.t, r.t, w.t, 1, 1e-5f, sum.t, y.t);
    else
      ok = binary(ctx, BinaryOp::Add, x.t, r.t, sum.t) &&
           (layer ? layerNorm(ctx, sum.t, w.t, &b.t, 1, 1e-5f, y.t)
                  : rmsNorm(ctx, sum.t, w.t, 1, 1e-5f, y.t));
    if (!ok) {
      state.SkipWithError(ctx.error.c_str());
      break;
    }
    benchmark::DoNotOptimize(y.words.data());
    benchmark::ClobberMemory();
  }
  // Bytes the fused kernel must move: read x and r, write sum and y.
  state.counters["GB/s"] =
      benchmark::Counter(4.0 * tokens * hidden * dtypeSize(type),
                         benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void BM_AddThenNorm(benchmark::State &state) { run(state, false); }
void BM_AddNorm(benchmark::State &state) { run(state, true); }

#define SHAPES                                                                 \
  ArgNames({"tokens", "hidden", "bf16", "layer"})                              \
      ->ArgsProduct({{16, 512, 4096}, {4096}, {0, 1}, {0, 1}})

} // namespace

BENCHMARK(BM_AddThenNorm)->SHAPES->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AddNorm)->SHAPES->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
