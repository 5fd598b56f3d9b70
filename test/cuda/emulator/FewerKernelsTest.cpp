//===- FewerKernelsTest.cpp - multi_matmul and bshd attention -------------===//
//
// The kernels behind fewer kernels per layer, against references built
// from the plain ones:
//
//  - "multi-matmul": kestrel.multi_matmul, a product against weights side
//    by side (Q/K/V with and without biases, [K, N] and [N, K] weights,
//    more parts than one launch takes) and its gated form (SwiGLU/GeGLU):
//    the CPU library's packed kernel against one matmul per weight plus
//    the epilogue, then the CUDA library's against the CPU's: over the
//    separate weights, and over the weights packed side by side (one
//    launch per four parts on every Kestrel kernel, the tensor-core one
//    included; cuBLASLt's product plus the split epilogue).
//  - "attention-bshd": attention reading and writing [B, S, H, D]: the CPU
//    and every CUDA kernel (generic, flash, split-KV) against the CPU
//    kernel on the transposed [B, H, S, D] tensors.
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"

#include "kernels/cuda/Gemm.cuh"
#include "kernels/cuda/emulation/Emulator.h"

#include <cmath>
#include <vector>

namespace {

const int64_t kSwapHeads[] = {0, 2, 1, 3};

/// A tensor-core GEMM instantiation for the packed multi_matmul.
bool gemmMma64(cuda::Context &c, const cuda::GemmArgs &a) {
  using namespace cuda::gemm_variant;
  return cuda::gemmMma<64, 64, 32, 2, 2, kBf16 | kF16 | kNN | kNT | kSplit>(c,
                                                                            a);
}

/// `x` transposed by [0, 2, 1, 3] (on the CPU, through the library).
Buf swapHeads(const Buf &x) {
  Shape s = x.t.shape;
  std::swap(s.dims[1], s.dims[2]);
  Buf out(x.t.dtype, s);
  cpu::Context c;
  if (!cpu::transpose(c, x.t, kSwapHeads, out.t)) {
    std::fprintf(stderr, "transpose: %s\n", c.error.c_str());
    std::abort();
  }
  return out;
}

double activate(Activation a, double x) {
  switch (a) {
  case Activation::Relu:
    return x > 0 ? x : 0;
  case Activation::Gelu:
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case Activation::GeluTanh:
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  case Activation::Silu:
    return x / (1 + std::exp(-x));
  case Activation::None:
    break;
  }
  return x;
}

/// One case: rows x K against `widths` (two equal ones with glu).
void multiMatmulCase(DType d, int64_t rows, int64_t K,
                     std::vector<int64_t> widths, bool transposeB, bool biases,
                     Activation act, bool glu, float alpha) {
  int n = int(widths.size());
  Buf x(d, {2, rows, K});
  fill(x.t, 1.0);
  std::vector<Buf> w, b;
  for (int64_t width : widths) {
    w.emplace_back(d, transposeB ? Shape{width, K} : Shape{K, width});
    fill(w.back().t, 0.5);
    b.emplace_back(d, Shape{width});
    fill(b.back().t, 1.0);
  }
  std::vector<const Tensor *> biasPtrs;
  for (Buf &bias : b)
    biasPtrs.push_back(&bias.t);
  MultiEpilogue e;
  e.alpha = alpha;
  e.activation = act;
  e.glu = glu;
  e.biases = biases ? biasPtrs.data() : nullptr;
  std::string what = std::string("multi_matmul ") + dn(d) + " rows 2x" +
                     std::to_string(rows) + " K" + std::to_string(K) + " n" +
                     std::to_string(n) + (transposeB ? " Bᵀ" : " B") +
                     (biases ? " bias" : "") + " act" +
                     std::to_string(int(act)) + (glu ? " glu" : "");

  // The reference: one f32 matmul per weight, the epilogue in double.
  cpu::Context c;
  std::vector<Buf> products;
  for (int i = 0; i < n; ++i) {
    products.emplace_back(DType::F32, Shape{2, rows, widths[size_t(i)]});
    Buf x32(DType::F32, x.t.shape), w32(DType::F32, w[size_t(i)].t.shape);
    EXPECT(
        cpu::cast(c, x.t, x32.t) && cpu::cast(c, w[size_t(i)].t, w32.t) &&
            cpu::matmul(c, x32.t, w32.t, false, transposeB, products.back().t),
        "%s reference: %s", what.c_str(), c.error.c_str());
  }
  auto epilogued = [&](int i, int64_t r, int64_t j) {
    double v = getD(products[size_t(i)].t, r * widths[size_t(i)] + j) * alpha;
    if (biases)
      v += getD(b[size_t(i)].t, j);
    return (!glu || i == 0) ? activate(act, v) : v;
  };
  std::vector<Buf> want, cpuOut, gpuOut;
  for (int i = 0; i < (glu ? 1 : n); ++i) {
    Shape s{2, rows, widths[size_t(i)]};
    want.emplace_back(d, s);
    cpuOut.emplace_back(d, s);
    gpuOut.emplace_back(d, s);
    for (int64_t r = 0; r < 2 * rows; ++r)
      for (int64_t j = 0; j < widths[size_t(i)]; ++j)
        setD(want.back().t, r * widths[size_t(i)] + j,
             glu ? epilogued(0, r, j) * epilogued(1, r, j)
                 : epilogued(i, r, j));
  }
  std::vector<Tensor> weights, cpuTensors, gpuTensors;
  for (int i = 0; i < n; ++i)
    weights.push_back(w[size_t(i)].t);
  for (size_t i = 0; i < want.size(); ++i) {
    cpuTensors.push_back(cpuOut[i].t);
    gpuTensors.push_back(gpuOut[i].t);
  }

  // The CPU: the weights packed side by side, one GEMM.
  std::vector<float> packedData(static_cast<size_t>(
      cpu::packedMatmulPartsFloats(c, weights.data(), n, transposeB)));
  cpu::PackedMatrix packed;
  bool ok = cpu::packMatmulParts(c, weights.data(), n, transposeB,
                                 packedData.data(), packed) &&
            cpu::multiMatmulPacked(c, x.t, packed, e, cpuTensors.data(),
                                   int(cpuTensors.size()));
  EXPECT(ok, "%s (cpu): %s", what.c_str(), c.error.c_str());
  // f32 sums over K of the inputs as stored; the output rounded once.
  Tol tol = d == DType::F32 ? Tol{1e-5, 1e-5} : tolFor(d);
  for (size_t i = 0; i < want.size(); ++i)
    compare((what + " cpu out " + std::to_string(i)).c_str(), cpuOut[i].t,
            want[i].t, tol);

  // CUDA, with every implementation that takes the type, against the CPU.
  std::vector<cuda::GemmImpl> impls = {cuda::GemmImpl::Simt};
  if (rows * 2 <= 8)
    impls.push_back(cuda::GemmImpl::Gemv);
  impls.push_back(cuda::GemmImpl::CublasLt);
  for (cuda::GemmImpl impl : impls) {
    Ctxs g;
    cuda::GemmChoice choice;
    choice.impl = impl;
    for (Buf &o : gpuOut)
      std::memset(o.t.data, 0xAB, o.t.bytes());
    EXPECT(cuda::multiMatmul(g.g, x.t, weights.data(), n, transposeB, e,
                             gpuTensors.data(), int(gpuTensors.size()), choice),
           "%s (cuda impl %d): %s", what.c_str(), int(impl), g.g.error.c_str());
    for (size_t i = 0; i < want.size(); ++i)
      compare((what + " cuda impl " + std::to_string(int(impl)) + " out " +
               std::to_string(i))
                  .c_str(),
              gpuOut[i].t, cpuOut[i].t, tolFor(d, 2));
  }

  // The weights packed side by side (interleaved for a glu), one GEMM.
  int64_t total = 0;
  for (int64_t width : widths)
    total += width;
  Buf packedW(d, transposeB ? Shape{total, K} : Shape{K, total});
  std::string error;
  EXPECT(cuda::packMultiWeights(weights.data(), n, transposeB, glu, packedW.t,
                                error),
         "%s: packMultiWeights: %s", what.c_str(), error.c_str());
  if (d != DType::F32)
    impls.push_back(cuda::GemmImpl::MmaSync);
  const long long launchesPerCall = (n + 3) / 4;
  for (cuda::GemmImpl impl : impls) {
    Ctxs g;
    cuda::GemmChoice choice;
    choice.impl = impl;
    choice.mma = gemmMma64;
    for (Buf &o : gpuOut)
      std::memset(o.t.data, 0xAB, o.t.bytes());
    long long before = emu::launchCount();
    EXPECT(cuda::multiMatmul(g.g, x.t, packedW.t, transposeB, e,
                             gpuTensors.data(), int(gpuTensors.size()), choice),
           "%s (cuda packed, impl %d): %s", what.c_str(), int(impl),
           g.g.error.c_str());
    long long launches = emu::launchCount() - before;
    // cuBLASLt (emulated) adds the split epilogue's launch.
    EXPECT(impl == cuda::GemmImpl::CublasLt ? launches == 2 * launchesPerCall
                                            : launches == launchesPerCall,
           "%s (cuda packed, impl %d): %lld launches", what.c_str(), int(impl),
           launches);
    for (size_t i = 0; i < want.size(); ++i)
      compare((what + " cuda packed impl " + std::to_string(int(impl)) +
               " out " + std::to_string(i))
                  .c_str(),
              gpuOut[i].t, cpuOut[i].t, tolFor(d, 2));
  }
}

void testMultiMatmul() {
  const Activation acts[] = {Activation::None, Activation::Relu,
                             Activation::Gelu, Activation::GeluTanh,
                             Activation::Silu};
  for (int iter = 0; iter < 24; ++iter) {
    DType d = iter % 3 == 0   ? DType::BF16
              : iter % 7 == 2 ? DType::F16
                              : DType::F32;
    bool glu = iter % 2 == 1;
    int64_t rows = iter % 4 < 2 ? randInt(1, 4) : randInt(5, 40);
    int64_t K = randInt(1, 70);
    std::vector<int64_t> widths;
    if (glu) {
      widths.assign(2, randInt(1, 50));
    } else {
      int n = int(randInt(1, iter % 5 == 0 ? 6 : 3));
      for (int i = 0; i < n; ++i)
        widths.push_back(randInt(1, 50));
    }
    Activation act = glu ? acts[randInt(2, 4)] : acts[randInt(0, 4)];
    multiMatmulCase(d, rows, K, widths, randInt(0, 1), randInt(0, 1), act, glu,
                    randInt(0, 1) ? 1.0f : 0.5f);
  }
  // Wrong calls fail with a message, on both libraries.
  Buf x(DType::F32, {3, 8}), w(DType::F32, {8, 4}), o(DType::F32, {3, 5});
  cpu::Context c;
  std::vector<float> packedData(
      static_cast<size_t>(cpu::packedMatmulPartsFloats(c, &w.t, 1, false)));
  cpu::PackedMatrix packed;
  EXPECT(cpu::packMatmulParts(c, &w.t, 1, false, packedData.data(), packed),
         "pack: %s", c.error.c_str());
  MultiEpilogue e;
  EXPECT(!cpu::multiMatmulPacked(c, x.t, packed, e, &o.t, 1) &&
             c.error.find("columns wide") != std::string::npos,
         "cpu multi_matmul with a wrong output width: %s", c.error.c_str());
  e.glu = true;
  Ctxs g;
  Tensor ws[] = {w.t};
  EXPECT(!cuda::multiMatmul(g.g, x.t, ws, 1, false, e, &o.t, 1, {}) &&
             g.g.error.find("glu") != std::string::npos,
         "cuda glu with one weight: %s", g.g.error.c_str());
  Buf w2(DType::F32, {7, 4});
  Tensor parts[] = {w.t, w2.t};
  EXPECT(cpu::packedMatmulPartsFloats(c, parts, 2, false) < 0 &&
             c.error.find("K = 7") != std::string::npos,
         "parts of different K: %s", c.error.c_str());

  // The packed form: a vector lhs is one row; packed weights of the wrong
  // width, and parts that do not fit together, fail with a message.
  Buf v(DType::F32, {8}), w3(DType::F32, {8, 3});
  fill(v.t, 1.0);
  fill(w.t, 0.5);
  fill(w3.t, 0.5);
  Tensor two[] = {w.t, w3.t};
  Buf packedW(DType::F32, {8, 7});
  std::string error;
  EXPECT(cuda::packMultiWeights(two, 2, false, false, packedW.t, error),
         "pack two: %s", error.c_str());
  Buf o4(DType::F32, {4}), o3(DType::F32, {3}), r4(DType::F32, {1, 4}),
      r3(DType::F32, {1, 3});
  Tensor outs[] = {o4.t, o3.t}, refs[] = {r4.t, r3.t};
  MultiEpilogue plain;
  Ctxs gv;
  // The reference: the separate weights against the vector as a [1, K]
  // matrix (matmul itself takes rank 2 or more).
  Tensor row = v.t;
  row.shape = Shape{1, 8};
  EXPECT(cuda::multiMatmul(gv.g, v.t, packedW.t, false, plain, outs, 2, {}) &&
             cuda::multiMatmul(gv.g, row, two, 2, false, plain, refs, 2, {}),
         "vector lhs: %s", gv.g.error.c_str());
  r4.t.shape = o4.t.shape;
  r3.t.shape = o3.t.shape;
  compare("multi_matmul vector lhs out 0", o4.t, r4.t, Tol{0, 0});
  compare("multi_matmul vector lhs out 1", o3.t, r3.t, Tol{0, 0});
  Buf o5(DType::F32, {5});
  Tensor wrong[] = {o5.t, o3.t};
  EXPECT(!cuda::multiMatmul(gv.g, v.t, packedW.t, false, plain, wrong, 2, {}) &&
             gv.g.error.find("8 columns wide, the packed weights 7") !=
                 std::string::npos,
         "packed weights narrower than the outputs: %s", gv.g.error.c_str());
  EXPECT(!cuda::packMultiWeights(two, 2, false, true, packedW.t, error) &&
             error.find("differ in width") != std::string::npos,
         "a glu of unequal parts: %s", error.c_str());
}

/// Attention in the bshd layout against bhsd on transposed copies, on the
/// CPU and with each CUDA kernel.
void testAttentionBshd() {
  struct Case {
    DType d;
    int64_t sq, skv, dim;
    cuda::AttentionImpl impl;
    const char *kernel;
  };
  const Case cases[] = {
      {DType::F32, 7, 11, 40, cuda::AttentionImpl::Generic, "attentionKernel"},
      {DType::BF16, 5, 9, 100, cuda::AttentionImpl::Generic, "attentionKernel"},
      {DType::BF16, 40, 70, 64, cuda::AttentionImpl::Flash,
       "flashAttentionMma"},
      {DType::F16, 20, 20, 128, cuda::AttentionImpl::Flash,
       "flashAttentionMma"},
      {DType::F32, 1, 50, 64, cuda::AttentionImpl::SplitKv,
       "decodeAttentionSplitKv"},
      {DType::BF16, 3, 33, 128, cuda::AttentionImpl::SplitKv,
       "decodeAttentionSplitKv"},
  };
  for (const Case &cs : cases) {
    int64_t B = randInt(1, 2), Hkv = randInt(1, 2), H = Hkv * randInt(1, 3);
    bool causal = randInt(0, 1);
    Buf q(cs.d, {B, cs.sq, H, cs.dim}), k(cs.d, {B, cs.skv, Hkv, cs.dim}),
        v(cs.d, {B, cs.skv, Hkv, cs.dim});
    fill(q.t, 1.0);
    fill(k.t, 1.0);
    fill(v.t, 1.0);
    Buf mask(cs.d, {B, 1, cs.sq, cs.skv});
    fill(mask.t, 2.0);
    Buf qt = swapHeads(q), kt = swapHeads(k), vt = swapHeads(v);
    Buf want(cs.d, {B, H, cs.sq, cs.dim});
    Buf cpuOut(cs.d, {B, cs.sq, H, cs.dim}), gpuOut = cpuOut.like();
    Ctxs c;
    EXPECT(cpu::attention(c.c, qt.t, kt.t, vt.t, &mask.t, 0.0f, causal, H, Hkv,
                          want.t),
           "attention bshd reference: %s", c.c.error.c_str());
    EXPECT(cpu::attention(c.c, q.t, k.t, v.t, &mask.t, 0.0f, causal, H, Hkv,
                          cpuOut.t, AttentionLayout::Bshd),
           "attention bshd (cpu): %s", c.c.error.c_str());
    EXPECT(cuda::attention(c.g, q.t, k.t, v.t, &mask.t, 0.0f, causal, H, Hkv,
                           gpuOut.t, cs.impl, AttentionLayout::Bshd),
           "attention bshd (cuda): %s", c.g.error.c_str());
    EXPECT(emu::lastKernelName().rfind(cs.kernel, 0) == 0,
           "attention bshd: launched %s, expected %s",
           emu::lastKernelName().c_str(), cs.kernel);
    Buf wantBshd = swapHeads(want);
    std::string what = std::string("attention bshd ") + dn(cs.d) + " B" +
                       std::to_string(B) + " H" + std::to_string(H) + " Hkv" +
                       std::to_string(Hkv) + " Sq" + std::to_string(cs.sq) +
                       " Skv" + std::to_string(cs.skv) + " D" +
                       std::to_string(cs.dim) + (causal ? " causal" : "");
    // The CPU walks the same blocks in the same order either way.
    compare((what + " cpu").c_str(), cpuOut.t, wantBshd.t,
            cs.d == DType::F32 ? Tol{1e-6, 1e-6} : tolFor(cs.d));
    compare((what + " cuda").c_str(), gpuOut.t, wantBshd.t,
            cs.d == DType::F32 ? Tol{2e-6, 2e-5} : tolFor(cs.d));
  }
  // A bshd query whose heads do not fit the key's: the error names the
  // layout's dims.
  Buf q(DType::F32, {1, 4, 3, 8}), k(DType::F32, {1, 4, 2, 8}),
      o(DType::F32, {1, 4, 3, 8});
  Ctxs c;
  EXPECT(!cpu::attention(c.c, q.t, k.t, k.t, nullptr, 0.0f, false, 3, 2, o.t,
                         AttentionLayout::Bshd),
         "cpu bshd with 3 heads over 2 kv heads accepted");
}

RegisterSuite multiMatmulSuite("multi-matmul", 61, testMultiMatmul);
RegisterSuite attentionBshdSuite("attention-bshd", 54, testAttentionBshd);

} // namespace
