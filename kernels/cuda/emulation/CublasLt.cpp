//===- CublasLt.cpp - cuBLASLt on the emulator: a reference GEMM ----------===//
//
// The part of the cuBLASLt API that Kestrel calls (Matmul.cu's
// runCublasLt, CudaBackend.cpp's handle), with cuBLASLt's semantics and no
// libcublasLt: handles, matmul descriptors, matrix layouts, preferences, a
// heuristic that offers one algorithm, and cublasLtMatmul as a reference
// GEMM on the host:
//
//   D = epilogue(alpha * op(A) * op(B) + beta * C (+ bias))
//
// per batch entry, with op = transpose per TRANSA/TRANSB, f32 products
// accumulated in f32 in k order, C read only when beta != 0, the bias a
// vector over D's rows (BIAS_DATA_TYPE, default D's type; BIAS_BATCH_STRIDE
// per batch entry), RELU as max(x, 0), GELU as the tanh approximation
// (0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))), and one rounding to D's
// type (nearest even). Layouts: f32, f16 or bf16 storage, column-major
// (default) or row-major order, any leading dimension at least the rows
// (columns for row-major), BATCH_COUNT and a non-negative
// STRIDED_BATCH_OFFSET. A and B share a type, C and D share one, D is A's
// type or f32; compute type CUBLAS_COMPUTE_32F (or _PEDANTIC), scale type
// f32, host pointer mode.
//
// Everything else -- other types, orders, epilogues (auxiliary outputs,
// gradients), pointer modes, fill modes, TRANSC, scale pointers -- is
// refused where it is set, with CUBLAS_STATUS_NOT_SUPPORTED (or
// CUBLAS_STATUS_INVALID_VALUE for a wrong size or a value outside the
// enum), never computed differently. Shapes that do not fit, ld too small,
// differing batch counts, in-place C = D with different layouts and a
// bias epilogue without a bias are CUBLAS_STATUS_INVALID_VALUE. The
// algorithm the heuristic returns remembers the alignments the preference
// promised; cublasLtMatmul refuses pointers less aligned than that
// (CUBLAS_STATUS_INVALID_VALUE), where a GPU algorithm would misbehave.
// Before reading or writing, every matrix's extent is checked against its
// allocation (DeviceMemory.h): past it, the call reports an out-of-bounds
// diagnostic (checking mode) and returns CUBLAS_STATUS_EXECUTION_FAILED.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/emulation/DeviceMemory.h"
#include "kernels/cuda/emulation/Emulator.h"

#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Each object starts with a magic number, so that a pointer the API did not
// hand out (or one already destroyed) is refused, not used.
constexpr uint64_t kHandleMagic = 0x4b4c54484e444c31ull; // "KLTHNDL1"
constexpr uint64_t kDescMagic = 0x4b4c544445534331ull;
constexpr uint64_t kLayoutMagic = 0x4b4c544c41594f31ull;
constexpr uint64_t kPrefMagic = 0x4b4c545052454631ull;
constexpr uint64_t kAlgoMagic = 0x4b4c54414c474f31ull;

/// cublasLtHandle_t: no state (the reference GEMM needs none).
struct Handle {
  uint64_t magic = kHandleMagic;
};

/// cublasLtMatmulDesc_t: the attributes the reference honours (compute and
/// scale type are checked when set; only 32F is kept).
struct MatmulDesc {
  uint64_t magic = kDescMagic;
  int32_t transa = CUBLAS_OP_N, transb = CUBLAS_OP_N;
  uint32_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void *bias = nullptr;
  int64_t biasBatchStride = 0;
  int32_t biasType = -1; ///< -1: D's type
};

/// cublasLtMatrixLayout_t.
struct Layout {
  uint64_t magic = kLayoutMagic;
  int32_t type = CUDA_R_32F;
  int32_t order = CUBLASLT_ORDER_COL;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
  int32_t batchCount = 1;
  int64_t batchStride = 0;
};

/// cublasLtMatmulPreference_t: the workspace limit and the minimum pointer
/// alignments promised for A, B, C and D (cuBLASLt's default, 256 bytes).
struct Preference {
  uint64_t magic = kPrefMagic;
  uint64_t maxWorkspace = 0;
  uint32_t alignment[4] = {256, 256, 256, 256}; ///< A, B, C, D
};

/// The object behind an API pointer, or null if it is not a live one.
template <typename T, typename Opaque> T *unwrap(Opaque *p, uint64_t magic) {
  T *t = reinterpret_cast<T *>(p);
  return t && t->magic == magic ? t : nullptr;
}

/// The storage types the reference reads and writes.
bool supportedType(int32_t type) {
  return type == CUDA_R_32F || type == CUDA_R_16F || type == CUDA_R_16BF;
}

/// Bytes per element of a supported type.
size_t typeBytes(int32_t type) { return type == CUDA_R_32F ? 4 : 2; }

/// Copies an attribute value of type T out of (buf, size): the size must be
/// the attribute's.
template <typename T>
cublasStatus_t readValue(const void *buf, size_t size, T &out) {
  if (!buf || size != sizeof(T))
    return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(&out, buf, sizeof(T));
  return CUBLAS_STATUS_SUCCESS;
}

/// Element `index` of a matrix of `type` as f32 (exact for every type).
float load(const void *base, int32_t type, int64_t index) {
  if (type == CUDA_R_32F)
    return static_cast<const float *>(base)[index];
  if (type == CUDA_R_16F)
    return __half2float(static_cast<const __half *>(base)[index]);
  return __bfloat162float(static_cast<const __nv_bfloat16 *>(base)[index]);
}

/// Stores v into element `index`, rounded to nearest even.
void store(void *base, int32_t type, int64_t index, float v) {
  if (type == CUDA_R_32F)
    static_cast<float *>(base)[index] = v;
  else if (type == CUDA_R_16F)
    static_cast<__half *>(base)[index] = __float2half_rn(v);
  else
    static_cast<__nv_bfloat16 *>(base)[index] = __float2bfloat16_rn(v);
}

/// Element (r, c) of batch entry b of a matrix with layout l, as an index.
int64_t indexOf(const Layout &l, int64_t b, int64_t r, int64_t c) {
  return b * l.batchStride +
         (l.order == CUBLASLT_ORDER_COL ? c * l.ld + r : r * l.ld + c);
}

/// Bytes from a matrix's pointer to one past its last element.
size_t extentBytes(const Layout &l) {
  if (l.rows == 0 || l.cols == 0)
    return 0;
  const int64_t last =
      indexOf(l, l.batchCount - 1, int64_t(l.rows) - 1, int64_t(l.cols) - 1);
  return size_t(last + 1) * typeBytes(l.type);
}

/// Whether the epilogue adds the bias vector.
bool isBiasEpilogue(uint32_t e) { return e & CUBLASLT_EPILOGUE_BIAS; }

/// A problem's dimensions and its bias type, as checkProblem finds them.
struct Problem {
  int64_t m = 0, n = 0, k = 0;
  int32_t biasType = -1;
};

/// Whether the four layouts and the descriptor make one problem the
/// reference computes: fills `p`, or returns the status that refuses it.
cublasStatus_t checkProblem(const MatmulDesc &op, const Layout &a,
                            const Layout &b, const Layout &c, const Layout &d,
                            Problem &p) {
  if (a.type != b.type || c.type != d.type ||
      (d.type != a.type && d.type != CUDA_R_32F))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  const bool ta = op.transa != CUBLAS_OP_N, tb = op.transb != CUBLAS_OP_N;
  p.m = int64_t(d.rows);
  p.n = int64_t(d.cols);
  p.k = int64_t(ta ? a.rows : a.cols);
  if (int64_t(ta ? a.cols : a.rows) != p.m ||
      int64_t(tb ? b.cols : b.rows) != p.k ||
      int64_t(tb ? b.rows : b.cols) != p.n || c.rows != d.rows ||
      c.cols != d.cols)
    return CUBLAS_STATUS_INVALID_VALUE;
  for (const Layout *l : {&a, &b, &c, &d}) {
    const uint64_t minLd = l->order == CUBLASLT_ORDER_COL ? l->rows : l->cols;
    if (l->ld < 1 || uint64_t(l->ld) < minLd)
      return CUBLAS_STATUS_INVALID_VALUE;
    if (l->batchStride < 0)
      return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  if (a.batchCount != d.batchCount || b.batchCount != d.batchCount ||
      c.batchCount != d.batchCount)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (isBiasEpilogue(op.epilogue) && !op.bias)
    return CUBLAS_STATUS_INVALID_VALUE;
  p.biasType = op.biasType == -1 ? d.type : op.biasType;
  return CUBLAS_STATUS_SUCCESS;
}

/// Whether p is a multiple of `bytes` (0: no requirement).
bool alignedTo(const void *p, uint64_t bytes) {
  return bytes == 0 || reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

/// The epilogue's activation (the bias is added before).
float applyEpilogue(uint32_t epilogue, float v) {
  if (epilogue & CUBLASLT_EPILOGUE_RELU)
    return std::fmax(v, 0.0f);
  if (epilogue & CUBLASLT_EPILOGUE_GELU) {
    const float inner = 0.7978845608028654f * (v + 0.044715f * v * v * v);
    return 0.5f * v * (1.0f + std::tanh(inner));
  }
  return v;
}

} // namespace

extern "C" {

cublasStatus_t cublasLtCreate(cublasLtHandle_t *handle) {
  if (!handle)
    return CUBLAS_STATUS_INVALID_VALUE;
  *handle = reinterpret_cast<cublasLtHandle_t>(new Handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtDestroy(cublasLtHandle_t handle) {
  Handle *h = unwrap<Handle>(handle, kHandleMagic);
  if (!h)
    return CUBLAS_STATUS_NOT_INITIALIZED;
  h->magic = 0;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}

const char *cublasLtGetStatusString(cublasStatus_t status) {
  switch (status) {
  case CUBLAS_STATUS_SUCCESS:
    return "CUBLAS_STATUS_SUCCESS";
  case CUBLAS_STATUS_NOT_INITIALIZED:
    return "CUBLAS_STATUS_NOT_INITIALIZED";
  case CUBLAS_STATUS_ALLOC_FAILED:
    return "CUBLAS_STATUS_ALLOC_FAILED";
  case CUBLAS_STATUS_INVALID_VALUE:
    return "CUBLAS_STATUS_INVALID_VALUE";
  case CUBLAS_STATUS_EXECUTION_FAILED:
    return "CUBLAS_STATUS_EXECUTION_FAILED";
  case CUBLAS_STATUS_NOT_SUPPORTED:
    return "CUBLAS_STATUS_NOT_SUPPORTED (not in the CUDA emulator's "
           "cuBLASLt subset)";
  default:
    return "CUBLAS_STATUS_INTERNAL_ERROR";
  }
}

//===----------------------------------------------------------------------===//
// Matmul descriptors
//===----------------------------------------------------------------------===//

cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *desc,
                                        cublasComputeType_t computeType,
                                        cudaDataType_t scaleType) {
  if (!desc)
    return CUBLAS_STATUS_INVALID_VALUE;
  if ((computeType != CUBLAS_COMPUTE_32F &&
       computeType != CUBLAS_COMPUTE_32F_PEDANTIC) ||
      scaleType != CUDA_R_32F)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  *desc = reinterpret_cast<cublasLtMatmulDesc_t>(new MatmulDesc);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t desc) {
  MatmulDesc *d = unwrap<MatmulDesc>(desc, kDescMagic);
  if (!d)
    return CUBLAS_STATUS_INVALID_VALUE;
  d->magic = 0;
  delete d;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t desc,
                               cublasLtMatmulDescAttributes_t attr,
                               const void *buf, size_t size) {
  MatmulDesc *d = unwrap<MatmulDesc>(desc, kDescMagic);
  if (!d)
    return CUBLAS_STATUS_INVALID_VALUE;
  cublasStatus_t s;
  switch (attr) {
  case CUBLASLT_MATMUL_DESC_COMPUTE_TYPE: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == CUBLAS_COMPUTE_32F || v == CUBLAS_COMPUTE_32F_PEDANTIC
               ? CUBLAS_STATUS_SUCCESS
               : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  case CUBLASLT_MATMUL_DESC_SCALE_TYPE: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == CUDA_R_32F ? CUBLAS_STATUS_SUCCESS
                           : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  case CUBLASLT_MATMUL_DESC_POINTER_MODE: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == CUBLASLT_POINTER_MODE_HOST ? CUBLAS_STATUS_SUCCESS
                                           : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  case CUBLASLT_MATMUL_DESC_TRANSA:
  case CUBLASLT_MATMUL_DESC_TRANSB: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    // CUBLAS_OP_C is CUBLAS_OP_T for real types.
    if (v != CUBLAS_OP_N && v != CUBLAS_OP_T && v != CUBLAS_OP_C)
      return CUBLAS_STATUS_INVALID_VALUE;
    (attr == CUBLASLT_MATMUL_DESC_TRANSA ? d->transa : d->transb) = v;
    return CUBLAS_STATUS_SUCCESS;
  }
  case CUBLASLT_MATMUL_DESC_TRANSC: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == CUBLAS_OP_N ? CUBLAS_STATUS_SUCCESS
                            : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  case CUBLASLT_MATMUL_DESC_FILL_MODE: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == CUBLAS_FILL_MODE_FULL ? CUBLAS_STATUS_SUCCESS
                                      : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  case CUBLASLT_MATMUL_DESC_EPILOGUE: {
    uint32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    switch (v) {
    case CUBLASLT_EPILOGUE_DEFAULT:
    case CUBLASLT_EPILOGUE_RELU:
    case CUBLASLT_EPILOGUE_BIAS:
    case CUBLASLT_EPILOGUE_RELU_BIAS:
    case CUBLASLT_EPILOGUE_GELU:
    case CUBLASLT_EPILOGUE_GELU_BIAS:
      d->epilogue = v;
      return CUBLAS_STATUS_SUCCESS;
    default:
      return CUBLAS_STATUS_NOT_SUPPORTED;
    }
  }
  case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
    return readValue(buf, size, d->bias);
  case CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE:
    return readValue(buf, size, d->biasBatchStride);
  case CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    if (v != -1 && !supportedType(v))
      return CUBLAS_STATUS_NOT_SUPPORTED;
    d->biasType = v;
    return CUBLAS_STATUS_SUCCESS;
  }
  default:
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

//===----------------------------------------------------------------------===//
// Matrix layouts
//===----------------------------------------------------------------------===//

cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *layout,
                                          cudaDataType type, uint64_t rows,
                                          uint64_t cols, int64_t ld) {
  if (!layout)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (!supportedType(type))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  Layout *l = new Layout;
  l->type = type;
  l->rows = rows;
  l->cols = cols;
  l->ld = ld;
  *layout = reinterpret_cast<cublasLtMatrixLayout_t>(l);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t layout) {
  Layout *l = unwrap<Layout>(layout, kLayoutMagic);
  if (!l)
    return CUBLAS_STATUS_INVALID_VALUE;
  l->magic = 0;
  delete l;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t layout,
                                 cublasLtMatrixLayoutAttribute_t attr,
                                 const void *buf, size_t size) {
  Layout *l = unwrap<Layout>(layout, kLayoutMagic);
  if (!l)
    return CUBLAS_STATUS_INVALID_VALUE;
  cublasStatus_t s;
  switch (attr) {
  case CUBLASLT_MATRIX_LAYOUT_TYPE: {
    uint32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    if (!supportedType(int32_t(v)))
      return CUBLAS_STATUS_NOT_SUPPORTED;
    l->type = int32_t(v);
    return CUBLAS_STATUS_SUCCESS;
  }
  case CUBLASLT_MATRIX_LAYOUT_ORDER: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    if (v != CUBLASLT_ORDER_COL && v != CUBLASLT_ORDER_ROW)
      return CUBLAS_STATUS_NOT_SUPPORTED;
    l->order = v;
    return CUBLAS_STATUS_SUCCESS;
  }
  case CUBLASLT_MATRIX_LAYOUT_ROWS:
    return readValue(buf, size, l->rows);
  case CUBLASLT_MATRIX_LAYOUT_COLS:
    return readValue(buf, size, l->cols);
  case CUBLASLT_MATRIX_LAYOUT_LD:
    return readValue(buf, size, l->ld);
  case CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT: {
    int32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    if (v < 1)
      return CUBLAS_STATUS_INVALID_VALUE;
    l->batchCount = v;
    return CUBLAS_STATUS_SUCCESS;
  }
  case CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET:
    return readValue(buf, size, l->batchStride);
  case CUBLASLT_MATRIX_LAYOUT_PLANE_OFFSET: {
    int64_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  case CUBLASLT_MATRIX_LAYOUT_BATCH_MODE: {
    uint32_t v;
    if ((s = readValue(buf, size, v)))
      return s;
    return v == CUBLASLT_BATCH_MODE_STRIDED ? CUBLAS_STATUS_SUCCESS
                                            : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  default:
    return CUBLAS_STATUS_INVALID_VALUE;
  }
}

//===----------------------------------------------------------------------===//
// Preferences and the heuristic
//===----------------------------------------------------------------------===//

cublasStatus_t
cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *pref) {
  if (!pref)
    return CUBLAS_STATUS_INVALID_VALUE;
  *pref = reinterpret_cast<cublasLtMatmulPreference_t>(new Preference);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t pref) {
  Preference *p = unwrap<Preference>(pref, kPrefMagic);
  if (!p)
    return CUBLAS_STATUS_INVALID_VALUE;
  p->magic = 0;
  delete p;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t
cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t pref,
                                     cublasLtMatmulPreferenceAttributes_t attr,
                                     const void *buf, size_t size) {
  Preference *p = unwrap<Preference>(pref, kPrefMagic);
  if (!p)
    return CUBLAS_STATUS_INVALID_VALUE;
  switch (attr) {
  case CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES:
    return readValue(buf, size, p->maxWorkspace);
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES:
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES:
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES:
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES:
    return readValue(
        buf, size,
        p->alignment[attr - CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES]);
  case CUBLASLT_MATMUL_PREF_SEARCH_MODE: {
    uint32_t v;
    cublasStatus_t s = readValue(buf, size, v);
    return s                               ? s
           : v == CUBLASLT_SEARCH_BEST_FIT ? CUBLAS_STATUS_SUCCESS
                                           : CUBLAS_STATUS_NOT_SUPPORTED;
  }
  default:
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    cublasLtHandle_t handle, cublasLtMatmulDesc_t operationDesc,
    cublasLtMatrixLayout_t Adesc, cublasLtMatrixLayout_t Bdesc,
    cublasLtMatrixLayout_t Cdesc, cublasLtMatrixLayout_t Ddesc,
    cublasLtMatmulPreference_t preference, int requestedAlgoCount,
    cublasLtMatmulHeuristicResult_t heuristicResultsArray[],
    int *returnAlgoCount) {
  if (!unwrap<Handle>(handle, kHandleMagic))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  const MatmulDesc *op = unwrap<MatmulDesc>(operationDesc, kDescMagic);
  const Layout *a = unwrap<Layout>(Adesc, kLayoutMagic),
               *b = unwrap<Layout>(Bdesc, kLayoutMagic),
               *c = unwrap<Layout>(Cdesc, kLayoutMagic),
               *d = unwrap<Layout>(Ddesc, kLayoutMagic);
  const Preference *pref = unwrap<Preference>(preference, kPrefMagic);
  if (!op || !a || !b || !c || !d || !pref || requestedAlgoCount < 1 ||
      !heuristicResultsArray || !returnAlgoCount)
    return CUBLAS_STATUS_INVALID_VALUE;
  *returnAlgoCount = 0;
  Problem p;
  if (cublasStatus_t s = checkProblem(*op, *a, *b, *c, *d, p))
    return s;
  // The one algorithm reads and writes whole elements: it takes any
  // pointers aligned to their element size.
  const Layout *matrices[4] = {a, b, c, d};
  for (int i = 0; i < 4; ++i)
    if (pref->alignment[i] % typeBytes(matrices[i]->type) != 0)
      return CUBLAS_STATUS_NOT_SUPPORTED;
  if (isBiasEpilogue(op->epilogue) &&
      !alignedTo(op->bias, typeBytes(p.biasType)))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  cublasLtMatmulHeuristicResult_t &r = heuristicResultsArray[0];
  std::memset(&r, 0, sizeof(r));
  r.algo.data[0] = kAlgoMagic;
  for (int i = 0; i < 4; ++i)
    r.algo.data[1 + i] = pref->alignment[i];
  r.workspaceSize = 0;
  r.state = CUBLAS_STATUS_SUCCESS;
  r.wavesCount = 1.0f;
  *returnAlgoCount = 1;
  return CUBLAS_STATUS_SUCCESS;
}

//===----------------------------------------------------------------------===//
// The reference GEMM
//===----------------------------------------------------------------------===//

cublasStatus_t
cublasLtMatmul(cublasLtHandle_t handle, cublasLtMatmulDesc_t computeDesc,
               const void *alpha, const void *A, cublasLtMatrixLayout_t Adesc,
               const void *B, cublasLtMatrixLayout_t Bdesc, const void *beta,
               const void *C, cublasLtMatrixLayout_t Cdesc, void *D,
               cublasLtMatrixLayout_t Ddesc, const cublasLtMatmulAlgo_t *algo,
               void *, size_t, cudaStream_t) {
  if (!unwrap<Handle>(handle, kHandleMagic))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  const MatmulDesc *op = unwrap<MatmulDesc>(computeDesc, kDescMagic);
  const Layout *la = unwrap<Layout>(Adesc, kLayoutMagic),
               *lb = unwrap<Layout>(Bdesc, kLayoutMagic),
               *lc = unwrap<Layout>(Cdesc, kLayoutMagic),
               *ld = unwrap<Layout>(Ddesc, kLayoutMagic);
  if (!op || !la || !lb || !lc || !ld || !alpha || !beta)
    return CUBLAS_STATUS_INVALID_VALUE;
  Problem p;
  if (cublasStatus_t s = checkProblem(*op, *la, *lb, *lc, *ld, p))
    return s;
  const void *pointers[4] = {A, B, C, D};
  if (algo) {
    if (algo->data[0] != kAlgoMagic)
      return CUBLAS_STATUS_INVALID_VALUE;
    for (int i = 0; i < 4; ++i)
      if (!alignedTo(pointers[i], algo->data[1 + i]))
        return CUBLAS_STATUS_INVALID_VALUE;
  }
  for (int i = 0; i < 4; ++i)
    if (!alignedTo(pointers[i], typeBytes((i == 0   ? la
                                           : i == 1 ? lb
                                           : i == 2 ? lc
                                                    : ld)
                                              ->type)))
      return CUBLAS_STATUS_INVALID_VALUE;
  if (C == D && (lc->order != ld->order || lc->ld != ld->ld ||
                 lc->batchStride != ld->batchStride))
    return CUBLAS_STATUS_INVALID_VALUE;
  const float alphaValue = *static_cast<const float *>(alpha);
  const float betaValue = *static_cast<const float *>(beta);
  const bool withBias = isBiasEpilogue(op->epilogue);
  const int64_t m = p.m, n = p.n, k = p.k, batches = ld->batchCount;
  if (m == 0 || n == 0)
    return CUBLAS_STATUS_SUCCESS;

  kestrel::emu::HostActivity activity("cublasLtMatmul");
  // Nothing is read or written outside the allocations.
  const size_t biasBytes =
      size_t((batches - 1) * op->biasBatchStride + m) * typeBytes(p.biasType);
  if (!kestrel::emu::checkDeviceRange(A, extentBytes(*la),
                                      "cublasLtMatmul A") ||
      !kestrel::emu::checkDeviceRange(B, extentBytes(*lb),
                                      "cublasLtMatmul B") ||
      (betaValue != 0.0f && !kestrel::emu::checkDeviceRange(
                                C, extentBytes(*lc), "cublasLtMatmul C")) ||
      !kestrel::emu::checkDeviceRange(D, extentBytes(*ld),
                                      "cublasLtMatmul D") ||
      (withBias && !kestrel::emu::checkDeviceRange(op->bias, biasBytes,
                                                   "cublasLtMatmul bias")))
    return CUBLAS_STATUS_EXECUTION_FAILED;

  const bool ta = op->transa != CUBLAS_OP_N, tb = op->transb != CUBLAS_OP_N;
  std::vector<float> opA(size_t(m * k)), opB(size_t(k * n));
  for (int64_t batch = 0; batch < batches; ++batch) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t kk = 0; kk < k; ++kk)
        opA[size_t(i * k + kk)] =
            load(A, la->type,
                 ta ? indexOf(*la, batch, kk, i) : indexOf(*la, batch, i, kk));
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < n; ++j)
        opB[size_t(kk * n + j)] =
            load(B, lb->type,
                 tb ? indexOf(*lb, batch, j, kk) : indexOf(*lb, batch, kk, j));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0.0f;
        for (int64_t kk = 0; kk < k; ++kk)
          acc += opA[size_t(i * k + kk)] * opB[size_t(kk * n + j)];
        float v = alphaValue * acc;
        if (betaValue != 0.0f)
          v += betaValue * load(C, lc->type, indexOf(*lc, batch, i, j));
        if (withBias)
          v += load(op->bias, p.biasType, batch * op->biasBatchStride + i);
        store(D, ld->type, indexOf(*ld, batch, i, j),
              applyEpilogue(op->epilogue, v));
      }
  }
  return CUBLAS_STATUS_SUCCESS;
}

} // extern "C"
