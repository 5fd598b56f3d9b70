//===- CublasLtTest.cpp - cuBLASLt's reference GEMM on the emulator -------===//
//
// matmul's cuBLASLt path (Matmul.cu's runCublasLt over the emulator's
// CublasLt.cpp) against the CPU library's matmul: f32, f16 and bf16, all
// four transpose layouts, strided-batched and looped batches with
// broadcasting, alpha, and every epilogue Kestrel hands cuBLASLt (bias,
// ReLU, a residual as C with beta = 1) or finishes in its follow-up kernel
// (GELU, SiLU, ReLU with a residual). Then the API directly, against a
// double-precision reference: row-major order, beta other than 0 and 1,
// GELU_BIAS with an f32 bias under bf16 output, a bias batch stride, and
// the refusals (unsupported values, wrong sizes, shapes that do not fit,
// pointers less aligned than promised, extents past an allocation).
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"

#include "kernels/cuda/emulation/Emulator.h"

#include <cublasLt.h>

namespace {

using kestrel::cuda::Activation;
using kestrel::cuda::GemmImpl;

/// A cuBLASLt handle for the scope.
struct LtHandle {
  cublasLtHandle_t handle = nullptr;
  LtHandle() {
    EXPECT(cublasLtCreate(&handle) == CUBLAS_STATUS_SUCCESS, "cublasLtCreate");
  }
  ~LtHandle() { cublasLtDestroy(handle); }
};

Shape operandShape(Shape batch, int64_t rows, int64_t cols, bool trans) {
  batch.dims[batch.rank++] = trans ? cols : rows;
  batch.dims[batch.rank++] = trans ? rows : cols;
  return batch;
}

struct Epilogue {
  const char *name;
  float alpha;
  bool bias;
  Activation activation;
  bool residual;
};
const Epilogue kEpilogues[] = {
    {"none", 1.0f, false, Activation::None, false},
    {"alpha bias", 0.5f, true, Activation::None, false},
    {"relu bias", 1.0f, true, Activation::Relu, false},
    {"alpha relu", 2.0f, false, Activation::Relu, false},
    {"residual", 1.0f, false, Activation::None, true},
    {"bias residual", 0.75f, true, Activation::None, true},
    {"gelu bias", 1.0f, true, Activation::Gelu, false},
    {"gelu-tanh residual", 1.0f, false, Activation::GeluTanh, true},
    {"silu bias residual", 0.5f, true, Activation::Silu, true},
    {"relu residual", 1.0f, false, Activation::Relu, true},
};

/// One matmul through cuBLASLt against the CPU library with the same
/// epilogue; checks that cuBLASLt took it (no kernel launched but the
/// follow-up for the activations it does not fuse) and returns the
/// relative L2 error.
double runLtMatmul(cublasLtHandle_t handle, DType d, Shape batchA, Shape batchB,
                   int64_t M, int64_t N, int64_t K, bool tA, bool tB,
                   const Epilogue &e, const std::string &what) {
  Buf a(d, operandShape(batchA, M, K, tA)),
      b(d, operandShape(batchB, K, N, tB));
  fill(a.t, 1.0);
  fill(b.t, 1.0);
  Shape outShape;
  cpu::Context sc;
  if (!cpu::matmulShape(sc, a.t.shape, b.t.shape, tA, tB, outShape)) {
    EXPECT(false, "%s: matmulShape: %s", what.c_str(), sc.error.c_str());
    return 1e9;
  }
  Buf bias(d, Shape{N}), residual(d, outShape);
  fill(bias.t, 1.0);
  fill(residual.t, 1.0);
  Buf want(d, outShape), got(d, outShape);
  Ctxs c;
  c.g.cublasLt = handle;
  cpu::GemmEpilogue ce;
  ce.alpha = e.alpha;
  ce.bias = e.bias ? &bias.t : nullptr;
  ce.activation = cpu::Activation(int(e.activation));
  ce.residual = e.residual ? &residual.t : nullptr;
  cuda::GemmEpilogue ge;
  ge.alpha = e.alpha;
  ge.bias = ce.bias;
  ge.activation = e.activation;
  ge.residual = ce.residual;
  const long long launches = emu::launchCount();
  bool okc = cpu::matmul(c.c, a.t, b.t, tA, tB, want.t, &ce);
  bool okg = cuda::matmul(c.g, a.t, b.t, tA, tB, got.t, &ge,
                          cuda::GemmChoice{GemmImpl::CublasLt});
  EXPECT(okc && okg, "%s: cpu '%s' cuda '%s'", what.c_str(), c.c.error.c_str(),
         c.g.error.c_str());
  if (!okc || !okg)
    return 1e9;
  const bool followUp = e.activation != Activation::None &&
                        !(e.activation == Activation::Relu && !e.residual);
  const long long launched = emu::launchCount() - launches;
  EXPECT(launched == (followUp ? 1 : 0) &&
             (!followUp ||
              emu::lastKernelName().rfind("activationResidualKernel", 0) == 0),
         "%s: not cuBLASLt's path (%lld launches, the last %s)", what.c_str(),
         launched, emu::lastKernelName().c_str());
  return relL2(got.t, want.t);
}

void testMatmulPath() {
  LtHandle lt;
  struct Case {
    int64_t M, N, K;
    Shape batchA, batchB;
  };
  const Case cases[] = {
      {13, 21, 17, {}, {}},      // one call
      {9, 12, 20, {3}, {3}},     // strided-batched (BATCH_COUNT 3)
      {6, 10, 8, {2, 3}, {3}},   // B broadcast over the outer dim: 2 calls
      {5, 7, 9, {2, 1}, {1, 3}}, // both broadcast: 6 calls
      {4, 11, 6, {5}, {}},       // B broadcast: the batch folds into M
  };
  int index = 0;
  for (DType d : {DType::F32, DType::F16, DType::BF16})
    for (int layout = 0; layout < 4; ++layout)
      for (const Case &cs : cases) {
        const bool tA = layout & 1, tB = layout & 2;
        const Epilogue &e =
            kEpilogues[size_t(index++) %
                       (sizeof(kEpilogues) / sizeof(kEpilogues[0]))];
        std::string what = std::string("cuBLASLt ") + dn(d) +
                           (tA ? " Aᵀ" : " A") + (tB ? " Bᵀ" : " B") + " M" +
                           std::to_string(cs.M) + " N" + std::to_string(cs.N) +
                           " K" + std::to_string(cs.K) + " batch " +
                           S(cs.batchA) + " x " + S(cs.batchB) + " " + e.name;
        double err = runLtMatmul(lt.handle, d, cs.batchA, cs.batchB, cs.M, cs.N,
                                 cs.K, tA, tB, e, what);
        double limit = d == DType::F32 ? 1e-5 : 1e-2;
        EXPECT(err <= limit, "%s: relative L2 error %.3g > %.3g", what.c_str(),
               err, limit);
      }
  // Every epilogue at f32 on one strided-batched problem.
  for (const Epilogue &e : kEpilogues) {
    std::string what = std::string("cuBLASLt f32 epilogue ") + e.name;
    double err = runLtMatmul(lt.handle, DType::F32, {2}, {2}, 11, 19, 23, true,
                             false, e, what);
    EXPECT(err <= 1e-5, "%s: relative L2 error %.3g", what.c_str(), err);
  }
}

//===----------------------------------------------------------------------===//
// The API directly
//===----------------------------------------------------------------------===//

cudaDataType_t cudaType(DType d) {
  return d == DType::F32   ? CUDA_R_32F
         : d == DType::F16 ? CUDA_R_16F
                           : CUDA_R_16BF;
}

/// A matrix of rows x cols (ld, order, batch) in a Buf, with its layout.
struct Matrix {
  Buf buf;
  cublasLtMatrixLayout_t layout = nullptr;
  int64_t rows, cols, ld, stride;
  int batch;
  bool rowMajor;
  Matrix(DType d, int64_t rows, int64_t cols, int64_t ld, bool rowMajor,
         int batch, int64_t stride)
      : buf(d,
            Shape{(batch - 1) * stride + (rowMajor ? (rows - 1) * ld + cols
                                                   : (cols - 1) * ld + rows)}),
        rows(rows), cols(cols), ld(ld), stride(stride), batch(batch),
        rowMajor(rowMajor) {
    fill(buf.t, 1.0);
    EXPECT(cublasLtMatrixLayoutCreate(&layout, cudaType(d), uint64_t(rows),
                                      uint64_t(cols),
                                      ld) == CUBLAS_STATUS_SUCCESS,
           "layout");
    int32_t order = rowMajor ? CUBLASLT_ORDER_ROW : CUBLASLT_ORDER_COL;
    int32_t count = batch;
    cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_ORDER,
                                     &order, sizeof(order));
    cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                     &count, sizeof(count));
    cublasLtMatrixLayoutSetAttribute(
        layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
        sizeof(stride));
  }
  ~Matrix() { cublasLtMatrixLayoutDestroy(layout); }
  int64_t at(int b, int64_t r, int64_t c) const {
    return b * stride + (rowMajor ? r * ld + c : c * ld + r);
  }
  double get(int b, int64_t r, int64_t c) const {
    return getD(buf.t, at(b, r, c));
  }
};

/// A matmul descriptor for the scope.
struct Desc {
  cublasLtMatmulDesc_t op = nullptr;
  Desc() {
    EXPECT(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F) ==
               CUBLAS_STATUS_SUCCESS,
           "cublasLtMatmulDescCreate");
  }
  ~Desc() { cublasLtMatmulDescDestroy(op); }
  template <typename T>
  cublasStatus_t set(cublasLtMatmulDescAttributes_t attr, const T &value) {
    return cublasLtMatmulDescSetAttribute(op, attr, &value, sizeof(value));
  }
};

double geluTanh(double x) {
  return 0.5 * x *
         (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

/// D = epilogue(alpha op(A) op(B) + beta C + bias) in double, compared
/// with D.
void checkAgainstReference(const char *what, const Matrix &a, const Matrix &b,
                           const Matrix &c, const Matrix &d, bool tA, bool tB,
                           float alpha, float beta, const Tensor *bias,
                           int64_t biasStride, bool gelu, Tol tol) {
  Buf want = d.buf.like();
  std::memcpy(want.t.data, d.buf.t.data, d.buf.t.bytes());
  const int64_t k = tA ? a.rows : a.cols;
  for (int bt = 0; bt < d.batch; ++bt)
    for (int64_t i = 0; i < d.rows; ++i)
      for (int64_t j = 0; j < d.cols; ++j) {
        double acc = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          acc += (tA ? a.get(bt, kk, i) : a.get(bt, i, kk)) *
                 (tB ? b.get(bt, j, kk) : b.get(bt, kk, j));
        double v = alpha * acc + (beta != 0 ? beta * c.get(bt, i, j) : 0.0);
        if (bias)
          v += getD(*bias, bt * biasStride + i);
        setD(want.t, d.at(bt, i, j), gelu ? geluTanh(v) : v);
      }
  compare(what, d.buf.t, want.t, tol);
}

/// Heuristic then matmul; returns cublasLtMatmul's status (or the
/// heuristic's when it found nothing).
cublasStatus_t runApi(cublasLtHandle_t h, Desc &desc, const Matrix &a,
                      const Matrix &b, const Matrix &c, Matrix &d, float alpha,
                      float beta) {
  // Promise each pointer's actual alignment (at most 256, the default), as
  // Matmul.cu does: checking mode places buffers at their allocation's end.
  cublasLtMatmulPreference_t pref;
  cublasLtMatmulPreferenceCreate(&pref);
  const Matrix *matrices[4] = {&a, &b, &c, &d};
  for (int i = 0; i < 4; ++i) {
    uint32_t align = 256;
    while (reinterpret_cast<uintptr_t>(matrices[i]->buf.t.data) % align)
      align /= 2;
    cublasLtMatmulPreferenceSetAttribute(
        pref,
        cublasLtMatmulPreferenceAttributes_t(
            CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES + i),
        &align, sizeof(align));
  }
  cublasLtMatmulHeuristicResult_t result;
  int found = 0;
  cublasStatus_t s =
      cublasLtMatmulAlgoGetHeuristic(h, desc.op, a.layout, b.layout, c.layout,
                                     d.layout, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_SUCCESS)
    return s;
  EXPECT(found == 1, "heuristic: %d algorithms", found);
  return cublasLtMatmul(h, desc.op, &alpha, a.buf.t.data, a.layout,
                        b.buf.t.data, b.layout, &beta, c.buf.t.data, c.layout,
                        d.buf.t.data, d.layout, &result.algo, nullptr, 0,
                        nullptr);
}

void testApi() {
  LtHandle lt;
  const auto ok = CUBLAS_STATUS_SUCCESS;
  {
    // Row-major A (transposed), column-major B, beta = 0.5, f32, batch 2.
    Desc desc;
    int32_t t = CUBLAS_OP_T;
    EXPECT(desc.set(CUBLASLT_MATMUL_DESC_TRANSA, t) == ok, "TRANSA");
    Matrix a(DType::F32, 9, 7, 10, true, 2, 100), // op(A) 7 x 9
        b(DType::F32, 9, 5, 11, false, 2, 60),    // B 9 x 5
        c(DType::F32, 7, 5, 8, false, 2, 45),
        d(DType::F32, 7, 5, 7, true, 2, 40);
    EXPECT(runApi(lt.handle, desc, a, b, c, d, 1.5f, 0.5f) == ok, "row-major");
    checkAgainstReference("cuBLASLt API row-major beta 0.5", a, b, c, d, true,
                          false, 1.5f, 0.5f, nullptr, 0, false, {1e-5, 1e-5});
  }
  {
    // GELU_BIAS, bf16 operands, an f32 bias with a batch stride.
    Desc desc;
    Buf bias(DType::F32, Shape{2 * 16});
    fill(bias.t, 1.0);
    const void *biasPtr = bias.t.data;
    int32_t tb = CUBLAS_OP_T, biasType = CUDA_R_32F;
    uint32_t epilogue = CUBLASLT_EPILOGUE_GELU_BIAS;
    int64_t biasStride = 16;
    EXPECT(desc.set(CUBLASLT_MATMUL_DESC_TRANSB, tb) == ok &&
               desc.set(CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue) == ok &&
               desc.set(CUBLASLT_MATMUL_DESC_BIAS_POINTER, biasPtr) == ok &&
               desc.set(CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, biasType) == ok &&
               desc.set(CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, biasStride) ==
                   ok,
           "GELU_BIAS attributes");
    Matrix a(DType::BF16, 12, 24, 12, false, 2, 12 * 24),
        b(DType::BF16, 10, 24, 10, false, 2, 240),
        d(DType::BF16, 12, 10, 12, false, 2, 120);
    EXPECT(runApi(lt.handle, desc, a, b, d, d, 1.0f, 0.0f) == ok, "gelu bias");
    checkAgainstReference("cuBLASLt API gelu bias bf16", a, b, d, d, false,
                          true, 1.0f, 0.0f, &bias.t, biasStride, true,
                          tolFor(DType::BF16));
  }
  {
    // bf16 operands into an f32 D, in place (C = D, beta = 1).
    Desc desc;
    Matrix a(DType::BF16, 6, 8, 6, false, 1, 0),
        b(DType::BF16, 8, 5, 8, false, 1, 0),
        d(DType::F32, 6, 5, 6, false, 1, 0);
    Matrix before(DType::F32, 6, 5, 6, false, 1, 0);
    std::memcpy(before.buf.t.data, d.buf.t.data, d.buf.t.bytes());
    EXPECT(runApi(lt.handle, desc, a, b, d, d, 1.0f, 1.0f) == ok, "in place");
    checkAgainstReference("cuBLASLt API bf16 x bf16 + f32 in place", a, b,
                          before, d, false, false, 1.0f, 1.0f, nullptr, 0,
                          false, {1e-5, 1e-5});
  }

  // Refusals.
  Desc desc;
  uint32_t aux = CUBLASLT_EPILOGUE_GELU_AUX, drelu = CUBLASLT_EPILOGUE_DRELU;
  EXPECT(desc.set(CUBLASLT_MATMUL_DESC_EPILOGUE, aux) ==
                 CUBLAS_STATUS_NOT_SUPPORTED &&
             desc.set(CUBLASLT_MATMUL_DESC_EPILOGUE, drelu) ==
                 CUBLAS_STATUS_NOT_SUPPORTED,
         "epilogues with auxiliary outputs or gradients are refused");
  int64_t wide = CUBLAS_OP_T;
  int32_t bad = 7, device = CUBLASLT_POINTER_MODE_DEVICE;
  EXPECT(desc.set(CUBLASLT_MATMUL_DESC_TRANSA, wide) ==
             CUBLAS_STATUS_INVALID_VALUE,
         "an attribute of the wrong size");
  EXPECT(desc.set(CUBLASLT_MATMUL_DESC_TRANSA, bad) ==
             CUBLAS_STATUS_INVALID_VALUE,
         "a transpose outside the enum");
  EXPECT(desc.set(CUBLASLT_MATMUL_DESC_POINTER_MODE, device) ==
             CUBLAS_STATUS_NOT_SUPPORTED,
         "device pointer mode");
  cublasLtMatmulDesc_t half;
  EXPECT(cublasLtMatmulDescCreate(&half, CUBLAS_COMPUTE_16F, CUDA_R_16F) ==
             CUBLAS_STATUS_NOT_SUPPORTED,
         "compute type 16F");
  cublasLtMatrixLayout_t layout;
  EXPECT(cublasLtMatrixLayoutCreate(&layout, CUDA_R_8I, 4, 4, 4) ==
             CUBLAS_STATUS_NOT_SUPPORTED,
         "int8 layouts");
  {
    Matrix m(DType::F32, 4, 4, 4, false, 1, 0);
    int32_t col32 = CUBLASLT_ORDER_COL32;
    EXPECT(cublasLtMatrixLayoutSetAttribute(
               m.layout, CUBLASLT_MATRIX_LAYOUT_ORDER, &col32, sizeof(col32)) ==
               CUBLAS_STATUS_NOT_SUPPORTED,
           "COL32 order");
  }
  {
    // k of A and B differ.
    Matrix a(DType::F32, 4, 5, 4, false, 1, 0),
        b(DType::F32, 6, 3, 6, false, 1, 0),
        d(DType::F32, 4, 3, 4, false, 1, 0);
    EXPECT(runApi(lt.handle, desc, a, b, d, d, 1, 0) ==
               CUBLAS_STATUS_INVALID_VALUE,
           "mismatched k");
  }
  {
    // ld below the rows.
    Matrix a(DType::F32, 4, 5, 4, false, 1, 0),
        b(DType::F32, 5, 3, 5, false, 1, 0),
        d(DType::F32, 4, 3, 4, false, 1, 0);
    int64_t ld = 3;
    cublasLtMatrixLayoutSetAttribute(a.layout, CUBLASLT_MATRIX_LAYOUT_LD, &ld,
                                     sizeof(ld));
    EXPECT(runApi(lt.handle, desc, a, b, d, d, 1, 0) ==
               CUBLAS_STATUS_INVALID_VALUE,
           "ld < rows");
  }
  {
    // A bias epilogue without a bias; an alignment promise below the
    // element size; a pointer less aligned than promised.
    Matrix a(DType::F32, 4, 8, 4, false, 1, 0),
        b(DType::F32, 8, 4, 8, false, 1, 0),
        d(DType::F32, 4, 4, 4, false, 1, 0);
    Desc biasDesc;
    uint32_t biasEpilogue = CUBLASLT_EPILOGUE_BIAS;
    biasDesc.set(CUBLASLT_MATMUL_DESC_EPILOGUE, biasEpilogue);
    EXPECT(runApi(lt.handle, biasDesc, a, b, d, d, 1, 0) ==
               CUBLAS_STATUS_INVALID_VALUE,
           "bias epilogue without a bias");
    cublasLtMatmulPreference_t pref;
    cublasLtMatmulPreferenceCreate(&pref);
    uint32_t two = 2, sixteen = 16;
    cublasLtMatmulPreferenceSetAttribute(
        pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &two, sizeof(two));
    cublasLtMatmulHeuristicResult_t result;
    int found = -1;
    EXPECT(cublasLtMatmulAlgoGetHeuristic(
               lt.handle, desc.op, a.layout, b.layout, d.layout, d.layout, pref,
               1, &result, &found) == CUBLAS_STATUS_NOT_SUPPORTED &&
               found == 0,
           "an f32 A promised 2-byte alignment");
    cublasLtMatmulPreferenceSetAttribute(
        pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &sixteen,
        sizeof(sixteen));
    EXPECT(cublasLtMatmulAlgoGetHeuristic(lt.handle, desc.op, a.layout,
                                          b.layout, d.layout, d.layout, pref, 1,
                                          &result, &found) == ok &&
               found == 1,
           "heuristic");
    cublasLtMatmulPreferenceDestroy(pref);
    // An A that is 4-byte but not 16-byte aligned.
    Buf shifted(DType::F32, Shape{4 * 8 + 4});
    float *misaligned = shifted.t.as<float>();
    while (reinterpret_cast<uintptr_t>(misaligned) % 16 == 0)
      ++misaligned;
    const float one = 1, zero = 0;
    EXPECT(cublasLtMatmul(lt.handle, desc.op, &one, misaligned, a.layout,
                          b.buf.t.data, b.layout, &zero, d.buf.t.data, d.layout,
                          d.buf.t.data, d.layout, &result.algo, nullptr, 0,
                          nullptr) == CUBLAS_STATUS_INVALID_VALUE,
           "A less aligned than the heuristic was promised");
    EXPECT(cublasLtMatmul(nullptr, desc.op, &one, a.buf.t.data, a.layout,
                          b.buf.t.data, b.layout, &zero, d.buf.t.data, d.layout,
                          d.buf.t.data, d.layout, nullptr, nullptr, 0,
                          nullptr) == CUBLAS_STATUS_NOT_INITIALIZED,
           "no handle");
  }
  {
    // A batch count that runs past A's allocation: refused before reading,
    // reported as out of bounds in checking mode.
    Matrix a(DType::F32, 4, 4, 4, false, 1, 0),
        b(DType::F32, 4, 4, 4, false, 1, 0),
        d(DType::F32, 4, 4, 4, false, 1, 0);
    int32_t two = 2;
    int64_t stride = 16;
    for (Matrix *m : {&a, &b, &d}) {
      cublasLtMatrixLayoutSetAttribute(
          m->layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &two, sizeof(two));
      cublasLtMatrixLayoutSetAttribute(
          m->layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
          sizeof(stride));
    }
    const std::vector<std::string> before = emu::diagnostics();
    const float one = 1, zero = 0;
    EXPECT(cublasLtMatmul(lt.handle, desc.op, &one, a.buf.t.data, a.layout,
                          b.buf.t.data, b.layout, &zero, d.buf.t.data, d.layout,
                          d.buf.t.data, d.layout, nullptr, nullptr, 0,
                          nullptr) == CUBLAS_STATUS_EXECUTION_FAILED,
           "a matrix past its allocation");
    if (emu::checking()) {
      const std::vector<std::string> &after = emu::diagnostics();
      EXPECT(after.size() == before.size() + 1 &&
                 after.back().rfind("out-of-bounds global memory: "
                                    "cublasLtMatmul A: 128 bytes from byte 0 "
                                    "of a 64-byte allocation (64 bytes past "
                                    "its end",
                                    0) == 0,
             "the out-of-bounds report: %s",
             after.empty() ? "(none)" : after.back().c_str());
      // The expected report is not a failure; earlier ones stay failures.
      for (const std::string &diag : before) {
        std::printf("FAIL emulator check: %s\n", diag.c_str());
        ++failures;
      }
      emu::clearDiagnostics();
    }
  }
}

void runCublasLtTests() {
  testMatmulPath();
  testApi();
}

RegisterSuite registered("cublaslt", 65, runCublasLtTests);

} // namespace
