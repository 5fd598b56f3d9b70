//===- GemmTest.cpp - matmul's own kernels under the emulator -------------===//
//
// The tensor-core template gemmMma in the configurations kestrelc
// instantiates, for bf16 and f16 and all four transpose layouts, at sizes
// that are not multiples of the tile, with batch broadcasting and a fused
// epilogue; then the GEMV (decode) and SIMT kernels. Reference: the CPU
// library's matmul on the same storage (relative L2 error <= 1e-2). A run
// under the reverse schedule with the race checker on shows the cp.async /
// ldmatrix pipeline free of shared-memory races. The cuBLASLt path is
// CublasLtTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Gemm.cuh"

#include "test/cuda/emulator/Harness.h"

namespace {

using kestrel::cuda::Activation;
using kestrel::cuda::GemmArgs;
using kestrel::cuda::GemmEpilogue;
using kestrel::cuda::GemmImpl;
using kestrel::cuda::GemmKernelFn;

struct Config {
  const char *name;
  GemmKernelFn fn;
};

bool gemm128(cuda::Context &c, const GemmArgs &a) {
  return cuda::gemmMma<128, 128, 32, 2, 4>(c, a);
}
bool gemm64(cuda::Context &c, const GemmArgs &a) {
  return cuda::gemmMma<64, 64, 32, 2, 2>(c, a);
}
bool gemm32(cuda::Context &c, const GemmArgs &a) {
  return cuda::gemmMma<32, 128, 64, 1, 4>(c, a);
}
const Config kConfigs[] = {{"<128,128,32,2,4>", gemm128},
                           {"<64,64,32,2,2>", gemm64},
                           {"<32,128,64,1,4>", gemm32}};

Shape operandShape(Shape batch, int64_t rows, int64_t cols, bool trans) {
  batch.dims[batch.rank++] = trans ? cols : rows;
  batch.dims[batch.rank++] = trans ? rows : cols;
  return batch;
}

/// One matmul through `impl` (and `fn` for the tensor-core path; calls of
/// at most `gemvMaxM` rows through the GEMV kernels) against the CPU
/// library; returns the relative L2 error (or 1e9 on a failed call).
double runMatmul(DType d, Shape batchA, Shape batchB, int64_t M, int64_t N,
                 int64_t K, bool tA, bool tB, GemmImpl impl, GemmKernelFn fn,
                 bool epilogue, const std::string &what, int64_t gemvMaxM = 0) {
  Buf a(d, operandShape(batchA, M, K, tA)),
      b(d, operandShape(batchB, K, N, tB));
  fill(a.t, 1.0, false, -4, 4);
  fill(b.t, 1.0, false, -4, 4);
  Shape outShape;
  cpu::Context sc;
  if (!cpu::matmulShape(sc, a.t.shape, b.t.shape, tA, tB, outShape)) {
    EXPECT(false, "%s: matmulShape: %s", what.c_str(), sc.error.c_str());
    return 1e9;
  }
  Buf bias(d, Shape{N}), residual(d, outShape);
  fill(bias.t, 1.0, false, -4, 4);
  fill(residual.t, 1.0, false, -4, 4);
  Buf want(d, outShape), got(d, outShape);
  Ctxs c;
  cuda::GemmEpilogue ge;
  ge.alpha = 0.5f;
  ge.bias = &bias.t;
  ge.activation = Activation::Silu;
  ge.residual = &residual.t;
  bool okc = cpu::matmul(c.c, a.t, b.t, tA, tB, want.t);
  // The CPU library has no fused epilogue: apply silu(0.5 * acc + bias) +
  // residual to its (rounded) product.
  if (okc && epilogue)
    for (int64_t i = 0; i < want.t.numel(); ++i) {
      double x = 0.5 * getD(want.t, i) + getD(bias.t, i % N);
      setD(want.t, i, x / (1 + std::exp(-x)) + getD(residual.t, i));
    }
  bool okg =
      cuda::matmul(c.g, a.t, b.t, tA, tB, got.t, epilogue ? &ge : nullptr,
                   cuda::GemmChoice{impl, fn, gemvMaxM});
  EXPECT(okc && okg, "%s: cpu '%s' cuda '%s'", what.c_str(), c.c.error.c_str(),
         c.g.error.c_str());
  if (!okc || !okg)
    return 1e9;
  if (!isFloatDT(d)) {
    compare(what.c_str(), got.t, want.t);
    return 0;
  }
  return relL2(got.t, want.t);
}

void expectClose(double err, double limit, const std::string &what) {
  EXPECT(err <= limit, "%s: relative L2 error %.3g > %.3g", what.c_str(), err,
         limit);
}

void testTensorCore() {
  struct Case {
    int64_t M, N, K;
    Shape batchA, batchB;
  };
  const Case cases[] = {
      {37, 70, 45, {}, {}},        // odd K: element-wise (non cp.async) tiles
      {130, 136, 72, {}, {}},      // 16-byte rows: cp.async, partial tiles
      {20, 24, 40, {2, 3}, {}},    // B broadcast over the batch
      {9, 16, 32, {2, 1}, {1, 3}}, // both broadcast
  };
  for (const Config &cfg : kConfigs)
    for (DType d : {DType::BF16, DType::F16})
      for (int layout = 0; layout < 4; ++layout)
        for (const Case &cs : cases) {
          const bool tA = layout & 1, tB = layout & 2;
          std::string what = std::string("gemmMma") + cfg.name + " " + dn(d) +
                             (tA ? " Aᵀ" : " A") + (tB ? " Bᵀ" : " B") + " M" +
                             std::to_string(cs.M) + " N" +
                             std::to_string(cs.N) + " K" +
                             std::to_string(cs.K) + " batch " + S(cs.batchA) +
                             " x " + S(cs.batchB);
          expectClose(runMatmul(d, cs.batchA, cs.batchB, cs.M, cs.N, cs.K, tA,
                                tB, GemmImpl::MmaSync, cfg.fn, false, what),
                      1e-2, what);
        }
  // The fused epilogue, once per configuration.
  for (const Config &cfg : kConfigs)
    expectClose(runMatmul(DType::BF16, {2}, {}, 33, 40, 48, false, true,
                          GemmImpl::MmaSync, cfg.fn, true,
                          std::string("gemmMma epilogue ") + cfg.name),
                1e-2, std::string("gemmMma epilogue ") + cfg.name);
}

void testRacesInGemm() {
  const bool wasChecking = emu::checking();
  const emu::Schedule wasSchedule = emu::schedule();
  const size_t before = emu::diagnostics().size();
  emu::setChecking(true);
  emu::setSchedule(emu::Schedule::Reverse);
  for (const Config &cfg : kConfigs)
    for (int layout = 0; layout < 4; ++layout)
      expectClose(
          runMatmul(DType::F16, {2}, {}, 40, 136, 80, layout & 1, layout & 2,
                    GemmImpl::MmaSync, cfg.fn, false, "gemmMma checked"),
          1e-2, std::string("gemmMma checked, reverse schedule ") + cfg.name);
  const std::vector<std::string> &diags = emu::diagnostics();
  for (size_t i = before; i < diags.size(); ++i)
    std::printf("  %s\n", diags[i].c_str());
  EXPECT(diags.size() == before, "gemmMma: %zu race-checker diagnostics",
         diags.size() - before);
  emu::setSchedule(wasSchedule);
  emu::setChecking(wasChecking);
}

/// The guard the compiler adds for a row count known only at run time:
/// calls of at most gemvMaxM rows take the GEMV kernels (which need no
/// instantiation), larger ones the chosen GEMM.
void testGemvGuard() {
  for (int64_t M : {1, 8, 9, 45}) {
    std::string what = "mma with gemv_max_m = 8, M" + std::to_string(M);
    const long long before = emu::launchCount();
    expectClose(runMatmul(DType::BF16, {}, {}, M, 77, 53, false, true,
                          GemmImpl::MmaSync, M <= 8 ? nullptr : gemm64, false,
                          what, 8),
                1e-2, what);
    EXPECT(emu::launchCount() > before, "%s: no kernel ran", what.c_str());
  }
}

/// A choice that cannot run the call fails with a message naming why.
void testChoiceErrors() {
  struct Case {
    DType d;
    int64_t M;
    cuda::GemmChoice choice;
    const char *message;
  } cases[] = {
      {DType::BF16, 16, {GemmImpl::MmaSync, nullptr, 0}, "without its kernel"},
      {DType::F32,
       16,
       {GemmImpl::MmaSync, gemm64, 0},
       "takes bf16/f16, not f32"},
      {DType::I32, 16, {GemmImpl::CublasLt, nullptr, 0}, "takes f32/bf16/f16"},
      {DType::F32, 9, {GemmImpl::Gemv, nullptr, 0}, "at most 8 rows"},
      {DType::F32, 4, {GemmImpl::Simt, nullptr, 9}, "guard takes at most 8"},
  };
  for (const Case &t : cases) {
    Buf a(t.d, Shape{t.M, 16}), b(t.d, Shape{16, 24}), out(t.d, Shape{t.M, 24});
    fill(a.t, 1.0, false, -4, 4);
    fill(b.t, 1.0, false, -4, 4);
    Ctxs c;
    bool ok =
        cuda::matmul(c.g, a.t, b.t, false, false, out.t, nullptr, t.choice);
    EXPECT(!ok && c.g.error.find(t.message) != std::string::npos,
           "expected a failure with '%s', got %s '%s'", t.message,
           ok ? "success" : "failure", c.g.error.c_str());
  }
}

void testGemvAndSimt() {
  for (DType d : {DType::F32, DType::F16, DType::BF16})
    for (int64_t M : {1, 3, 8})
      for (bool tB : {false, true}) {
        std::string what = std::string("gemv ") + dn(d) + " M" +
                           std::to_string(M) + (tB ? " Bᵀ" : " B");
        expectClose(runMatmul(d, {}, {}, M, 77, 53, false, tB, GemmImpl::Gemv,
                              nullptr, M == 3, what),
                    d == DType::F32 ? 1e-5 : 1e-2, what);
      }
  for (DType d :
       {DType::F32, DType::BF16, DType::F8E4M3FN, DType::I32, DType::I64})
    for (int layout = 0; layout < 4; ++layout) {
      const bool tA = layout & 1, tB = layout & 2;
      std::string what = std::string("simt ") + dn(d) + (tA ? " Aᵀ" : " A") +
                         (tB ? " Bᵀ" : " B");
      expectClose(runMatmul(d, {2}, {}, 45, 70, 37, tA, tB, GemmImpl::Simt,
                            nullptr, false, what),
                  d == DType::F32        ? 1e-5
                  : d == DType::F8E4M3FN ? 7e-2
                                         : 1e-2,
                  what);
    }
}

/// matmul_nbits at random shapes, widths and zero point forms, through the
/// GEMV kernel (up to 8 rows) and the tiled one: the CPU library's values.
void testMatmulNBits() {
  const DType types[] = {DType::F32, DType::BF16, DType::F16};
  for (int iter = 0; iter < 36; ++iter) {
    DType d = types[iter % 3];
    int64_t bits = int64_t(1) << randInt(1, 3); // 2, 4 or 8
    int64_t blockSize = int64_t(16) << randInt(0, 2);
    int64_t k = randInt(1, 150), n = randInt(1, 70);
    int64_t m = iter % 2 ? randInt(1, 8) : randInt(9, 70);
    int64_t blocks = (k + blockSize - 1) / blockSize;
    Buf a(d, Shape{m, k}), q(DType::U8, Shape{n, blocks, blockSize * bits / 8});
    Buf scales(DType::F32, Shape{n, blocks});
    int zeroKind = int(iter / 2 % 3); // none, u8, f32
    Buf zero(zeroKind == 2 ? DType::F32 : DType::U8, Shape{n, blocks});
    fill(a.t, 2.0);
    fill(q.t, 1.0, false, 0, 255);
    for (int64_t i = 0; i < scales.t.numel(); ++i)
      setD(scales.t, i, 0.01 + 0.2 * randUnit());
    for (int64_t i = 0; i < zero.t.numel(); ++i)
      setD(zero.t, i, double(randInt(0, (1 << bits) - 1)));
    Buf cpuOut(d, Shape{m, n}), gpuOut(d, Shape{m, n});
    Ctxs c;
    const Tensor *zp = zeroKind ? &zero.t : nullptr;
    bool okc = cpu::matmulNBits(c.c, a.t, q.t, scales.t, zp, bits, blockSize, k,
                                false, cpuOut.t);
    bool okg = cuda::matmulNBits(c.g, a.t, q.t, scales.t, zp, bits, blockSize,
                                 k, false, gpuOut.t);
    std::string what = std::string("matmul_nbits ") + dn(d) + " " +
                       std::to_string(m) + "x" + std::to_string(k) + "x" +
                       std::to_string(n) + " bits " + std::to_string(bits) +
                       " block " + std::to_string(blockSize) + " zero " +
                       std::to_string(zeroKind);
    EXPECT(okc && okg, "%s: cpu %d (%s) cuda %d (%s)", what.c_str(), okc,
           c.c.error.c_str(), okg, c.g.error.c_str());
    // Sums in another order (and, narrower than f32, each side rounded
    // once to d): equal to rounding.
    if (okc && okg)
      expectClose(relL2(gpuOut.t, cpuOut.t), d == DType::F32 ? 1e-6 : 1e-2,
                  what);
  }
}

/// gather_nbits at random table shapes, widths and zero point forms, with
/// negative indices: the CPU library's values exactly (both dequantize each
/// element the same way); an index out of range raises the device error.
void testGatherNBits() {
  const DType types[] = {DType::F32, DType::BF16};
  for (int iter = 0; iter < 24; ++iter) {
    DType d = types[iter % 2];
    int64_t bits = int64_t(1) << randInt(1, 3);
    int64_t blockSize = int64_t(16) << randInt(0, 2);
    int64_t k = randInt(1, 100), rows = randInt(1, 40);
    int64_t blocks = (k + blockSize - 1) / blockSize;
    Buf q(DType::U8, Shape{rows, blocks, blockSize * bits / 8});
    Buf scales(DType::F32, Shape{rows, blocks});
    int zeroKind = int(iter / 2 % 3);
    Buf zero(zeroKind == 2 ? DType::F32 : DType::U8, Shape{rows, blocks});
    Buf ids(iter % 3 ? DType::I64 : DType::I32, Shape{2, 5});
    fill(q.t, 1.0, false, 0, 255);
    fill(ids.t, 1.0, false, -rows, rows - 1);
    for (int64_t i = 0; i < scales.t.numel(); ++i)
      setD(scales.t, i, 0.01 + 0.2 * randUnit());
    for (int64_t i = 0; i < zero.t.numel(); ++i)
      setD(zero.t, i, double(randInt(0, (1 << bits) - 1)));
    Buf cpuOut(d, Shape{2, 5, k}), gpuOut(d, Shape{2, 5, k});
    Ctxs c;
    const Tensor *zp = zeroKind ? &zero.t : nullptr;
    bool okc = cpu::gatherNBits(c.c, q.t, scales.t, zp, ids.t, bits, blockSize,
                                k, cpuOut.t);
    bool okg = cuda::gatherNBits(c.g, q.t, scales.t, zp, ids.t, bits, blockSize,
                                 k, gpuOut.t);
    std::string what = std::string("gather_nbits ") + dn(d) + " " +
                       std::to_string(rows) + "x" + std::to_string(k) +
                       " bits " + std::to_string(bits);
    EXPECT(okc && okg && c.flag == 0, "%s: cpu %d (%s) cuda %d (%s) flag %d",
           what.c_str(), okc, c.c.error.c_str(), okg, c.g.error.c_str(),
           c.flag);
    if (okc && okg)
      compare(what.c_str(), gpuOut.t, cpuOut.t);
  }
  Buf q(DType::U8, Shape{4, 1, 8}), scales(DType::F32, Shape{4, 1});
  Buf ids(DType::I64, Shape{2}), out(DType::F32, Shape{2, 16});
  setI(ids.t, 0, 1);
  setI(ids.t, 1, 4);
  Ctxs c;
  bool ok =
      cuda::gatherNBits(c.g, q.t, scales.t, nullptr, ids.t, 4, 16, 16, out.t);
  EXPECT(ok && c.flag == int(cuda::DeviceError::IndexOutOfRange),
         "gather_nbits index 4 of 4 rows: ok %d flag %d", ok, c.flag);
}

void runGemmTests() {
  testTensorCore();
  testRacesInGemm();
  testGemvAndSimt();
  testMatmulNBits();
  testGatherNBits();
  testGemvGuard();
  testChoiceErrors();
}

RegisterSuite registered("gemm", 60, runGemmTests);

} // namespace
