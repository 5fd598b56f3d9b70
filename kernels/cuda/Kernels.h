//===- Kernels.h - The CUDA backend's kernel library ------------*- C++ -*-===//
//
// The host-side entry points of the CUDA kernels, one per kestrel op, with
// the CPU library's signatures (kernels/cpu/Kernels.h) over device
// tensors: the emitted model code calls the same function names with a
// cuda::Context instead of a cpu::Context. Tensors, op kinds and the
// argument checks are the ones in kernels/common. Plain C++ (no CUDA headers),
// so the emitted host code compiles with the host compiler; the definitions
// live in the .cu files beside this header, compiled by nvcc.
//
// Conventions (beyond the CPU library's):
//  - Tensor::data is a device pointer (global memory). Every launch goes on
//    ctx.stream; nothing synchronizes, so a sequence of calls can be
//    captured into a CUDA graph.
//  - Launch errors are checked after every launch (cudaGetLastError) and
//    returned as false with ctx.error set. Errors that only the device can
//    see (an index out of range in a gather) set *ctx.errorFlag to a
//    DeviceError code; the runtime reads it after the run.
//  - Floating-point storage is f32, f16 or bf16 (f8E4M3FN where noted);
//    math runs in f32 with f32 accumulation; stores round to nearest even.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_KERNELS_H
#define KESTREL_KERNELS_CUDA_KERNELS_H

#include "kernels/common/Checks.h"
#include "kernels/common/Ops.h"
#include "kernels/common/Quantized.h"
#include "kernels/common/Tensor.h"
#include "kernels/cpu/Kernels.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace kestrel::cuda {

using kestrel::Activation;
using kestrel::AttentionLayout;
using kestrel::BinaryOp;
using kestrel::DType;
using kestrel::GemmEpilogue;
using kestrel::MultiEpilogue;
using kestrel::NearestMode;
using kestrel::PoolKind;
using kestrel::ReduceOp;
using kestrel::ResizeCoordinates;
using kestrel::ResizeMode;
using kestrel::ResizeParams;
using kestrel::ScatterReduction;
using kestrel::Shape;
using kestrel::Tensor;
using kestrel::UnaryOp;

/// Codes a kernel writes to *Context::errorFlag (the first one wins).
enum class DeviceError : int {
  None = 0,
  IndexOutOfRange = 1, ///< gather / gather_elements / gather_nd / gather_nbits
  DivisionByZero = 2,  ///< integer division by zero
};
const char *deviceErrorMessage(int code);

/// Which GEMM implementation a matmul uses: the compiler's choice
/// (kestrel-select-kernels' #kestrel.impl), never the library's.
enum class GemmImpl : uint8_t {
  MmaSync,  ///< Kestrel's mma.sync kernel (bf16/f16 storage, sm_80+)
  CublasLt, ///< cuBLASLt (bf16/f16/f32)
  Gemv,     ///< the GEMV kernels (float types, at most kGemvMaxRows rows)
  Simt,     ///< the CUDA-core kernel (any float type, integers)
};

/// The most rows the GEMV kernels take.
constexpr int64_t kGemvMaxRows = 8;

/// A GEMM problem as the library hands it to a tensor-core kernel
/// instantiation (defined in Gemm.cuh).
struct GemmArgs;
struct Context;
/// A GEMM kernel instantiated for the tile configuration the compiler chose
/// (emitted per model: `return gemmMma<128, 128, 32, 2, 4>(ctx, args);`).
using GemmKernelFn = bool (*)(Context &ctx, const GemmArgs &args);

/// How one matmul runs, as the compiler chose it: `impl` (with `mma`, the
/// compiler's instantiation, for MmaSync); a call with at most `gemvMaxM`
/// rows runs the GEMV kernels instead (0: never), the guard the compiler
/// adds when the row count is known only at run time.
struct GemmChoice {
  GemmImpl impl = GemmImpl::Simt;
  GemmKernelFn mma = nullptr;
  int64_t gemvMaxM = 0;
};

/// What every CUDA kernel launcher receives; a failure leaves its message
/// in `error` (KernelStatus). Owned by the session.
struct Context : KernelStatus {
  void *stream = nullptr;    ///< cudaStream_t
  void *cublasLt = nullptr;  ///< cublasLtHandle_t, null when unavailable
  void *workspace = nullptr; ///< device scratch for cuBLASLt
  size_t workspaceBytes = 0;
  int *errorFlag = nullptr; ///< device int, zeroed before each run
  int smCount = 1;
  int ccMajor = 8, ccMinor = 0; ///< the device's compute capability
};

// Elementwise (same semantics as the CPU library).
bool unary(Context &ctx, UnaryOp op, const Tensor &x, Tensor &out);
bool binary(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
            Tensor &out);
bool where(Context &ctx, const Tensor &cond, const Tensor &a, const Tensor &b,
           Tensor &out);
bool cast(Context &ctx, const Tensor &x, Tensor &out);
bool copy(Context &ctx, const Tensor &x, Tensor &out);

// Matmul (batch dims broadcast) with the implementation `choice` names;
// a choice that cannot run the call (a type or row count it does not take,
// MmaSync without its kernel or below sm_80) fails with a message saying
// so. Softmax, reductions.
bool matmul(Context &ctx, const Tensor &lhs, const Tensor &rhs, bool transposeA,
            bool transposeB, Tensor &out, const GemmEpilogue *epilogue,
            const GemmChoice &choice);
/// kestrel.multi_matmul: lhs [..., K] against each weight (rank 2, [K, N_i]
/// or [N_i, K] with `transposeB`) into its output, or with `epilogue.glu`
/// act(lhs · gate) * (lhs · up) into the one output. This form takes the
/// weights as separate tensors (constants the model does not pack) and
/// runs a GEMM per weight with `choice` (the up projection's product in
/// stream-ordered scratch).
bool multiMatmul(Context &ctx, const Tensor &lhs, const Tensor *weights,
                 int numWeights, bool transposeB, const MultiEpilogue &epilogue,
                 Tensor *outs, int numOuts, const GemmChoice &choice);
/// Host memory: the weights of one multi_matmul side by side along N, as
/// the single-launch form below reads them. parts[i] is [K, N_i] ([N_i, K]
/// with `transposed`), all of one dtype; `out` must be that dtype and
/// [K, sum N_i] ([sum N_i, K]) with room for it. With `glu` (a gate and an
/// up part of one width) they interleave: column (row, when transposed)
/// 2j is gate's j, 2j + 1 up's j. False with `error` set when the parts or
/// `out` do not fit.
bool packMultiWeights(const Tensor *parts, int numParts, bool transposed,
                      bool glu, Tensor &out, std::string &error);
/// kestrel.multi_matmul against weights packMultiWeights packed (on the
/// device): one GEMM over all of them, whose epilogue writes each part's
/// columns to its output (and a glu's gate and up pairs as one) — one
/// launch for up to four outputs on Kestrel's kernels. The parts' widths
/// are the outputs' last dims. cuBLASLt cannot split its output: under
/// `choice` CublasLt the product goes to stream-ordered scratch and a
/// second kernel applies the epilogue.
bool multiMatmul(Context &ctx, const Tensor &lhs, const Tensor &packed,
                 bool transposeB, const MultiEpilogue &epilogue, Tensor *outs,
                 int numOuts, const GemmChoice &choice);
bool softmax(Context &ctx, const Tensor &x, int64_t axis, bool logSoftmax,
             Tensor &out);
bool conv(Context &ctx, const Tensor &x, const Tensor &w, const Tensor *bias,
          const int64_t *strides, const int64_t *pads, const int64_t *dilations,
          int64_t group, Tensor &out);
bool convTranspose(Context &ctx, const Tensor &x, const Tensor &w,
                   const Tensor *bias, const int64_t *strides,
                   const int64_t *pads, const int64_t *dilations,
                   const int64_t *outputPadding, int64_t group, Tensor &out);
bool cumsum(Context &ctx, const Tensor &x, int64_t axis, bool exclusive,
            bool reverse, Tensor &out);
/// kestrel.matmul_nbits (kernels/common/Quantized.h): the weights stay
/// packed and are dequantized as the kernels read them. Products are f32
/// whatever `int8Lhs` says (accuracy_level 4 allows int8, asks for no less
/// than it).
bool matmulNBits(Context &ctx, const Tensor &lhs, const Tensor &weight,
                 const Tensor &scales, const Tensor *zeroPoints, int64_t bits,
                 int64_t blockSize, int64_t k, bool int8Lhs, Tensor &out);
/// kestrel.gather_nbits: an index out of range raises
/// DeviceError::IndexOutOfRange (its row is left zero).
bool gatherNBits(Context &ctx, const Tensor &weight, const Tensor &scales,
                 const Tensor *zeroPoints, const Tensor &indices, int64_t bits,
                 int64_t blockSize, int64_t k, Tensor &out);
bool pool(Context &ctx, const Tensor &x, PoolKind kind, const int64_t *kernel,
          const int64_t *strides, const int64_t *pads, const int64_t *dilations,
          bool ceilMode, bool countIncludePad, Tensor &out);
bool resize(Context &ctx, const Tensor &x, const ResizeParams &p,
            const float *scales, const float *roi, Tensor &out);
bool reduce(Context &ctx, ReduceOp op, const Tensor &x, const int64_t *axes,
            int numAxes, bool keepDims, Tensor &out);

// Data movement (dtype-agnostic: any element size).
bool expand(Context &ctx, const Tensor &x, Tensor &out);
bool transpose(Context &ctx, const Tensor &x, const int64_t *perm, Tensor &out);
bool concat(Context &ctx, const Tensor *inputs, int numInputs, int64_t axis,
            Tensor &out);
bool split(Context &ctx, const Tensor &x, int64_t axis, Tensor *outs,
           int numOutputs);
bool slice(Context &ctx, const Tensor &x, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, Tensor &out);
bool pad(Context &ctx, const Tensor &x, const int64_t *pads, PadMode mode,
         const Tensor &value, Tensor &out);
bool gather(Context &ctx, const Tensor &x, const Tensor &indices, int64_t axis,
            Tensor &out);
bool gatherElements(Context &ctx, const Tensor &x, const Tensor &indices,
                    int64_t axis, Tensor &out);
/// ONNX ScatterElements / ScatterND with the CPU library's semantics and
/// order (kernels/cpu/Kernels.h); an out-of-range index raises
/// DeviceError::IndexOutOfRange and skips that update.
bool scatterElements(Context &ctx, const Tensor &x, const Tensor &indices,
                     const Tensor &updates, int64_t axis,
                     ScatterReduction reduction, Tensor &out);
bool scatterNd(Context &ctx, const Tensor &x, const Tensor &indices,
               const Tensor &updates, ScatterReduction reduction, Tensor &out);
bool gatherNd(Context &ctx, const Tensor &x, const Tensor &indices,
              int64_t batchDims, Tensor &out);
/// ONNX NonZero with the CPU library's contract (kernels/cpu/Kernels.h):
/// `out` has cpu::nonZeroShape's shape and room on entry, and its shape is
/// [max(rank, 1), count] on return. Counting, scanning and writing run on
/// the stream; reading `count` back waits for it (so it cannot be captured
/// into a CUDA graph).
bool nonZero(Context &ctx, const Tensor &x, Tensor &out);
/// start/limit/delta are *host* rank-0 tensors (the runtime keeps scalars
/// that decide shapes on the host); out is on the device.
bool range(Context &ctx, const Tensor &start, const Tensor &limit,
           const Tensor &delta, Tensor &out);
/// out (device, 1-D i64) = x's dims.
bool shapeOf(Context &ctx, const Shape &x, Tensor &out);
bool topK(Context &ctx, const Tensor &x, int64_t k, int64_t axis, bool largest,
          Tensor &values, Tensor &indices);

// Fused ops.
bool rmsNorm(Context &ctx, const Tensor &x, const Tensor &weight, int64_t axis,
             float epsilon, Tensor &out);
bool layerNorm(Context &ctx, const Tensor &x, const Tensor &scale,
               const Tensor *bias, int64_t axis, float epsilon, Tensor &out);
bool addRmsNorm(Context &ctx, const Tensor &x, const Tensor &residual,
                const Tensor &weight, int64_t axis, float epsilon, Tensor &sum,
                Tensor &out);
bool addLayerNorm(Context &ctx, const Tensor &x, const Tensor &residual,
                  const Tensor &scale, const Tensor *bias, int64_t axis,
                  float epsilon, Tensor &sum, Tensor &out);
bool rope(Context &ctx, const Tensor &x, const Tensor &cos, const Tensor &sin,
          bool interleaved, int64_t rotaryDim, Tensor &out);
/// The attention kernel kestrel-select-kernels chose (#kestrel.impl
/// cuda.attention.*). The tensor-core flash kernel and the split-KV decode
/// kernel each need conditions only the call shows (query count, key
/// count, alignment); where the chosen one cannot run the call, the next in
/// the order Flash, SplitKv, Generic does. Generic runs everything.
enum class AttentionImpl : uint8_t {
  Flash,   ///< flashAttentionMma: bf16/f16, head dims 64/128, 16+ queries
  SplitKv, ///< decodeAttentionSplitKv: < 16 queries over 16+ keys
  Generic, ///< attentionKernel: one warp per query row
};
bool attention(Context &ctx, const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor *mask, float scale, bool causal, int64_t numHeads,
               int64_t numKvHeads, Tensor &out, AttentionImpl impl,
               AttentionLayout layout = AttentionLayout::Bhsd);

} // namespace kestrel::cuda

#endif // KESTREL_KERNELS_CUDA_KERNELS_H
