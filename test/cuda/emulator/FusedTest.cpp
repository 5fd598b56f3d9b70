//===- FusedTest.cpp - Fused kernels in the emulator ----------------------===//
//
// The CUDA kernels for norms, add-norms and rope run by the emulator at
// random small shapes, including broadcasts and sizes that are not
// multiples of the block, against the CPU library; error messages too.
// Attention is AttentionTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"

namespace {

static const DType kFloats[] = {DType::F32, DType::F16, DType::BF16,
                                DType::F8E4M3FN};

Shape randShape(int rank, int64_t maxDim) {
  Shape s;
  s.rank = rank;
  for (int d = 0; d < rank; ++d)
    s.dims[d] = randInt(1, maxDim);
  return s;
}

/// A norm case: x of rank 1 to 4 with dims up to 12 and a random axis;
/// every 8th case the rows [3, 2048] and the next [2, 5, longRow] (a block
/// per row), normalized over the last dim. `normalized` is x's dims from
/// the axis on.
struct NormCase {
  Shape x, normalized;
  int axis;
};

NormCase randomNormCase(int iter, int64_t longRow) {
  NormCase c;
  c.x = randShape(int(randInt(1, 4)), 12);
  if (iter % 8 == 0)
    c.x = Shape{3, 2048};
  if (iter % 8 == 1)
    c.x = Shape{2, 5, longRow};
  int rank = c.x.rank;
  c.axis = int(randInt(0, rank - 1));
  if (iter % 8 <= 1)
    c.axis = rank - 1;
  for (int i = c.axis; i < rank; ++i)
    c.normalized.dims[c.normalized.rank++] = c.x.dims[i];
  return c;
}

void testNorms() {
  for (int iter = 0; iter < 80; ++iter) {
    DType d = kFloats[iter % 4];
    DType pd = kFloats[randInt(0, 3)];
    NormCase nc = randomNormCase(iter, 1030);
    Shape x = nc.x, ps = nc.normalized;
    int axis = nc.axis;
    Buf xb(d, x, iter % 5 == 0 ? cpu::dtypeSize(d) : 0), w(pd, ps),
        bias(pd, ps);
    fill(xb.t, 3.0);
    fill(w.t, 2.0);
    fill(bias.t, 1.0);
    Buf a(d, x), b(d, x);
    Ctxs c;
    bool okc = cpu::rmsNorm(c.c, xb.t, w.t, axis, 1e-5f, a.t);
    bool okg = cuda::rmsNorm(c.g, xb.t, w.t, axis, 1e-5f, b.t);
    EXPECT(okc && okg, "rms");
    Tol t = tolFor(d);
    if (d == DType::F32)
      t = {1e-5, 1e-5};
    compare(("rms_norm " + std::string(dn(d)) + " " + S(x)).c_str(), b.t, a.t,
            t);
    bool withBias = randInt(0, 1);
    okc = cpu::layerNorm(c.c, xb.t, w.t, withBias ? &bias.t : nullptr, axis,
                         1e-5f, a.t);
    okg = cuda::layerNorm(c.g, xb.t, w.t, withBias ? &bias.t : nullptr, axis,
                          1e-5f, b.t);
    EXPECT(okc && okg, "ln");
    compare(("layer_norm " + std::string(dn(d)) + " " + S(x)).c_str(), b.t, a.t,
            t);
  }
  // Errors match.
  Buf x(DType::F32, {2, 8}), w(DType::F32, {4}), o(DType::F32, {2, 8});
  Ctxs c;
  EXPECT(!cpu::rmsNorm(c.c, x.t, w.t, 1, 1e-5f, o.t) &&
             !cuda::rmsNorm(c.g, x.t, w.t, 1, 1e-5f, o.t) &&
             c.c.error == c.g.error,
         "rms errors '%s' '%s'", c.c.error.c_str(), c.g.error.c_str());
}

/// add_rms_norm / add_layer_norm: the CUDA kernels against the CPU
/// library, both results, packed and unpacked rows; and the CPU library's
/// fused form equals the unfused add then norm exactly.
void testAddNorms() {
  for (int iter = 0; iter < 48; ++iter) {
    DType d = kFloats[iter % 4];
    DType pd = kFloats[randInt(0, 3)];
    NormCase nc = randomNormCase(iter, 1032);
    Shape x = nc.x, ps = nc.normalized;
    int axis = nc.axis;
    // An odd offset on the residual or the sum forces the unpacked path.
    size_t skew = cpu::dtypeSize(d);
    Buf xb(d, x), rb(d, x, iter % 6 == 2 ? skew : 0), w(pd, ps), bias(pd, ps);
    fill(xb.t, 3.0);
    fill(rb.t, 3.0);
    fill(w.t, 2.0);
    fill(bias.t, 1.0);
    Buf sa(d, x), sb(d, x, iter % 6 == 3 ? skew : 0), a(d, x), b(d, x);
    Buf su(d, x), u(d, x);
    Ctxs c;
    Tol t = tolFor(d);
    if (d == DType::F32)
      t = {1e-5, 1e-5};
    std::string what = std::string(dn(d)) + " " + S(x);
    bool rms = iter % 2 == 0, withBias = randInt(0, 1);
    const Tensor *bp = withBias ? &bias.t : nullptr;
    bool okc, okg, oku;
    if (rms) {
      okc = cpu::addRmsNorm(c.c, xb.t, rb.t, w.t, axis, 1e-5f, sa.t, a.t);
      okg = cuda::addRmsNorm(c.g, xb.t, rb.t, w.t, axis, 1e-5f, sb.t, b.t);
      oku = cpu::binary(c.c, cpu::BinaryOp::Add, xb.t, rb.t, su.t) &&
            cpu::rmsNorm(c.c, su.t, w.t, axis, 1e-5f, u.t);
    } else {
      okc = cpu::addLayerNorm(c.c, xb.t, rb.t, w.t, bp, axis, 1e-5f, sa.t, a.t);
      okg =
          cuda::addLayerNorm(c.g, xb.t, rb.t, w.t, bp, axis, 1e-5f, sb.t, b.t);
      oku = cpu::binary(c.c, cpu::BinaryOp::Add, xb.t, rb.t, su.t) &&
            cpu::layerNorm(c.c, su.t, w.t, bp, axis, 1e-5f, u.t);
    }
    EXPECT(okc && okg && oku, "add-norm %s: '%s' '%s'", what.c_str(),
           c.c.error.c_str(), c.g.error.c_str());
    const char *op = rms ? "add_rms_norm" : "add_layer_norm";
    compare((std::string(op) + " sum " + what).c_str(), sb.t, sa.t, t);
    compare((std::string(op) + " " + what).c_str(), b.t, a.t, t);
    size_t bytes = size_t(x.numel()) * cpu::dtypeSize(d);
    EXPECT(std::memcmp(sa.t.data, su.t.data, bytes) == 0 &&
               std::memcmp(a.t.data, u.t.data, bytes) == 0,
           "%s %s: the CPU fused form differs from add then norm", op,
           what.c_str());
  }
  // Errors match: a residual that would need a broadcast.
  Buf x(DType::F32, {2, 8}), r(DType::F32, {1, 8}), w(DType::F32, {8});
  Buf s(DType::F32, {2, 8}), o(DType::F32, {2, 8});
  Ctxs c;
  EXPECT(!cpu::addRmsNorm(c.c, x.t, r.t, w.t, 1, 1e-5f, s.t, o.t) &&
             !cuda::addRmsNorm(c.g, x.t, r.t, w.t, 1, 1e-5f, s.t, o.t) &&
             c.c.error == c.g.error &&
             c.c.error == "add_rms_norm: residual has shape [1, 8], expected "
                          "x's shape [2, 8] (the fused add does not "
                          "broadcast)",
         "add_rms_norm errors '%s' '%s'", c.c.error.c_str(), c.g.error.c_str());
}

void testRope() {
  for (int iter = 0; iter < 80; ++iter) {
    DType d = kFloats[iter % 4];
    DType td = kFloats[randInt(0, 3)];
    int rank = int(randInt(2, 4));
    Shape x = randShape(rank, 5);
    x.dims[rank - 1] = 2 * randInt(1, 10);
    int64_t headDim = x.dims[rank - 1];
    int64_t rot = randInt(0, 2) == 0 ? 0 : 2 * randInt(1, headDim / 2);
    int64_t half = (rot ? rot : headDim) / 2;
    int tr = int(randInt(1, rank));
    Shape ts;
    ts.rank = tr;
    for (int i = 0; i + 1 < tr; ++i)
      ts.dims[i] = randInt(0, 1) ? 1 : x.dims[rank - tr + i];
    ts.dims[tr - 1] = half;
    Buf xb(d, x), cb(td, ts), sb(td, ts);
    fill(xb.t, 2.0);
    fill(cb.t, 1.0);
    fill(sb.t, 1.0);
    bool inter = randInt(0, 1);
    Buf a(d, x), b(d, x);
    Ctxs c;
    bool okc = cpu::rope(c.c, xb.t, cb.t, sb.t, inter, rot, a.t);
    bool okg = cuda::rope(c.g, xb.t, cb.t, sb.t, inter, rot, b.t);
    EXPECT(okc == okg && okc, "rope: %s / %s", c.c.error.c_str(),
           c.g.error.c_str());
    Tol t = tolFor(d);
    if (d == DType::F32)
      t = {1e-6, 1e-6};
    compare(("rope " + std::string(dn(d)) + " " + S(x) + " table " + S(ts) +
             " rot " + std::to_string(rot) + (inter ? " interleaved" : ""))
                .c_str(),
            b.t, a.t, t);
  }
}

void runFusedTests() {
  testNorms();
  testAddNorms();
  testRope();
}

RegisterSuite registered("fused", 40, runFusedTests);

} // namespace
