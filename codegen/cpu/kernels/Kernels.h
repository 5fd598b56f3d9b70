//===- Kernels.h - The CPU backend's kernel library -------------*- C++ -*-===//
//
// One entry point per kestrel op (and a shape function where the result
// shape depends on run-time values), over untyped tensor descriptors. The
// emitted model code calls these; they are compiled once, with the target's
// vector extensions, into the runtime archive that every emitted library
// links (so emitted code compiles in about a second).
//
// Conventions:
//  - Every function returns true on success. On failure it returns false
//    and leaves a message in `ctx.error` that names the op and the problem
//    (an index out of range, a shape mismatch); it never throws or aborts.
//  - Results are written into `out`, whose data (allocated by the caller),
//    dtype and shape are set before the call. The kernels check `out`'s
//    shape against what their inputs imply.
//  - Floating-point math runs in f32 (f16, bf16 and f8E4M3FN are converted
//    on load and rounded to nearest even on store), with f32 accumulation.
//  - Operands may alias each other but never `out` (the planner guarantees
//    that), except where a function says otherwise.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CPU_KERNELS_KERNELS_H
#define KESTREL_CODEGEN_CPU_KERNELS_KERNELS_H

#include "codegen/cpu/kernels/ParallelFor.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

namespace kestrel::cpu {

/// Element types; the values match runtime::ElementType and the C API.
enum class DType : uint8_t {
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  F8E4M3FN = 4,
  I64 = 5,
  I32 = 6,
  I1 = 7, ///< one byte per element, 0 or 1
};

/// Bytes per element (i1 is one byte); 0 for an unknown value.
size_t dtypeSize(DType type);
/// "f32", "bf16", ... ("unknown" otherwise).
const char *dtypeName(DType type);

constexpr int kMaxRank = 8;

struct Shape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};

  Shape() = default;
  Shape(std::initializer_list<int64_t> list);
  int64_t numel() const;
  int64_t operator[](int i) const { return dims[i]; }
  int64_t &operator[](int i) { return dims[i]; }
  bool operator==(const Shape &other) const;
  bool operator!=(const Shape &other) const { return !(*this == other); }
  /// "[2, 16, 64]".
  std::string str() const;
};

struct Tensor {
  void *data = nullptr;
  DType dtype = DType::F32;
  Shape shape;

  int64_t numel() const { return shape.numel(); }
  size_t bytes() const {
    return static_cast<size_t>(numel()) * dtypeSize(dtype);
  }
  template <typename T> T *as() const { return static_cast<T *>(data); }
};

/// What every kernel receives.
struct Context {
  /// Runs body(i) for i in [0, n) on the session's threads (ParallelFor.h);
  /// never empty.
  ParallelFor parallelFor;
  int numThreads = 1;
  std::string error;

  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
};

//===----------------------------------------------------------------------===//
// Scalar conversions (exposed for tests and the runtime)
//===----------------------------------------------------------------------===//

float f16ToF32(uint16_t h);
uint16_t f32ToF16(float f);
float bf16ToF32(uint16_t h);
uint16_t f32ToBf16(float f);
float f8e4m3fnToF32(uint8_t v);
uint8_t f32ToF8e4m3fn(float f); ///< saturates to +-448, NaN stays NaN

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

enum class UnaryOp {
  Neg,
  Abs,
  Relu,
  Sqrt,
  Rsqrt,
  Reciprocal,
  Exp,
  Log,
  Erf,
  Tanh,
  Sin,
  Cos,
  Sigmoid,
  Silu,
  Gelu,     ///< exact (erf) form
  GeluTanh, ///< tanh approximation
  Not,      ///< i1 only
};

enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div, ///< integer division truncates toward zero; x / 0 is an error for ints
  Pow,
  Max,
  Min,
  // Results are i1:
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  // i1 operands and result:
  And,
  Or,
  Xor,
};

/// The kestrel op's mnemonic ("exp", "gelu", "not_equal"), as used in error
/// messages.
const char *unaryOpName(UnaryOp op);
const char *binaryOpName(BinaryOp op);

/// NumPy broadcast of two shapes (error when a dimension pair is neither
/// equal nor 1).
bool broadcastShape(Context &ctx, const Shape &a, const Shape &b, Shape &out);

/// out = op(x); x and out have the same shape and dtype (numeric ops on
/// f32/f16/bf16/i64/i32; float-only ops reject integers).
/// Float ops take f8E4M3FN too; neg/abs/relu also take i64/i32 (wrapping:
/// -MIN = MIN); not takes i1 only.
bool unary(Context &ctx, UnaryOp op, const Tensor &x, Tensor &out);
/// y = op(x) over n f32 values: the float unary kernels' inner loop (also
/// the matmul epilogue's activation). x and y may be the same array.
void unaryF32(UnaryOp op, const float *x, float *y, int64_t n);

/// out = op(a, b) with NumPy broadcasting; out.shape is the broadcast shape.
/// a and b share one dtype. Arithmetic: floats (incl. f8E4M3FN) and i64/i32,
/// out has their dtype; integers wrap on overflow, MIN / -1 = MIN, and pow
/// with a negative exponent truncates 1 / x^|e| (0 unless |x| = 1, also for
/// x = 0); float max/min propagate NaN. Comparisons: any dtype, i1 out.
/// Logical ops: i1 only.
bool binary(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
            Tensor &out);

/// A kestrel.fused_elementwise body, generated by the emitter, applied to n
/// elements: in[k] points at n values of input k and out[k] at n values of
/// result k, each in its compute type (float for every float dtype,
/// int64_t, int32_t, and one byte for i1). An integer division by zero sets
/// *error to 1.
using FusedBlockFn = void (*)(const void *const *in, void *const *out,
                              int64_t n, int *error);
/// Inputs and results of one fused_elementwise, together.
constexpr int kMaxFusedOperands = 16;

/// Applies `fn` over the broadcast shape of the `numIn` inputs; every
/// result must have that shape (set by the shape code). `name` labels
/// errors.
bool fusedElementwise(Context &ctx, const char *name, const Tensor *in,
                      int numIn, Tensor *out, int numOut, FusedBlockFn fn);

/// out = cond ? a : b, all three broadcast to out.shape.
bool where(Context &ctx, const Tensor &cond, const Tensor &a, const Tensor &b,
           Tensor &out);

/// Element-type conversion (same shape), with the cast op's rules: float to
/// float rounds to nearest even (f8E4M3FN saturates), float to integer
/// truncates toward zero, to i1 tests for non-zero, i1 gives 0 or 1.
/// Float to integer saturates out-of-range values (and infinities) and
/// maps NaN to 0; i64 to i32 wraps. Any dtype pair.
bool cast(Context &ctx, const Tensor &x, Tensor &out);

/// Copies x into out (same bytes; shapes may differ in form, not in size).
bool copy(Context &ctx, const Tensor &x, Tensor &out);

//===----------------------------------------------------------------------===//
// Matmul, softmax, reductions
//===----------------------------------------------------------------------===//

/// [batch..., M, N] from lhs [..., M, K] (or [..., K, M] transposed) and rhs
/// [..., K, N] (or [..., N, K]); batch dimensions broadcast.
bool matmulShape(Context &ctx, const Shape &lhs, const Shape &rhs,
                 bool transposeA, bool transposeB, Shape &out);
/// kestrel.fused_matmul's epilogue: out = act(alpha * acc + bias) +
/// residual (float matmuls only).
enum class Activation : uint8_t { None, Relu, Gelu, GeluTanh, Silu };
struct GemmEpilogue {
  float alpha = 1.0f;
  const Tensor *bias = nullptr; ///< [N], added to every row; or null
  Activation activation = Activation::None;
  const Tensor *residual = nullptr; ///< out's shape; or null
};

/// Blocked GEMM per batch entry (f32 accumulation; integer matmuls
/// accumulate in i64), with an optional epilogue applied to the f32 result
/// before it is stored.
bool matmul(Context &ctx, const Tensor &lhs, const Tensor &rhs, bool transposeA,
            bool transposeB, Tensor &out,
            const GemmEpilogue *epilogue = nullptr);

/// softmax / log_softmax along `axis` (normalized, in [0, rank)).
bool softmax(Context &ctx, const Tensor &x, int64_t axis, bool logSoftmax,
             Tensor &out);

enum class ReduceOp { Sum, Mean, Max, Min };
/// `axes` non-empty, sorted, unique, in [0, rank). Sum/Mean take floats
/// and i64/i32 (f32 / wrapping i64 accumulation; an integer mean
/// truncates), Max/Min also i1 (or / and); float max/min propagate NaN.
bool reduceShape(Context &ctx, const Shape &x, const int64_t *axes, int numAxes,
                 bool keepDims, Shape &out);
bool reduce(Context &ctx, ReduceOp op, const Tensor &x, const int64_t *axes,
            int numAxes, bool keepDims, Tensor &out);

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// The result shape of kestrel.reshape. `shape` is the optional i64 shape
/// operand (data null when absent); `declared` is the result type's shape
/// with -1 for dynamic dims. Without a shape operand at most one declared
/// dim is -1 and comes from the element count. With one, ONNX semantics (0
/// copies the input dim unless allowZero, one -1 inferred). Element counts
/// must agree.
bool reshapeShape(Context &ctx, const Shape &input, const Tensor *shape,
                  bool allowZero, const Shape &declared, Shape &out);

/// The result shape of kestrel.expand: NumPy broadcast of the input shape
/// and `shape`'s entries when present, else `declared` (-1 entries taken
/// from the aligned input dim).
bool expandShape(Context &ctx, const Shape &input, const Tensor *shape,
                 const Shape &declared, Shape &out);
/// Broadcasts x to out.shape.
bool expand(Context &ctx, const Tensor &x, Tensor &out);

bool transposeShape(Context &ctx, const Shape &x, const int64_t *perm,
                    Shape &out);
/// out[perm-permuted index] = x; out.shape[i] = x.shape[perm[i]].
bool transpose(Context &ctx, const Tensor &x, const int64_t *perm, Tensor &out);

/// `axis` in [0, rank).
bool concatShape(Context &ctx, const Tensor *inputs, int numInputs,
                 int64_t axis, Shape &out);
bool concat(Context &ctx, const Tensor *inputs, int numInputs, int64_t axis,
            Tensor &out);

/// Result i takes sizes[i] slices along axis; the sizes must add up to the
/// input's dim. Shapes of `outs` are set by splitShapes.
bool splitShapes(Context &ctx, const Shape &x, int64_t axis,
                 const int64_t *sizes, int numOutputs, Shape *outs);
bool split(Context &ctx, const Tensor &x, int64_t axis, Tensor *outs,
           int numOutputs);

/// ONNX Slice semantics with one (start, end, step) per dimension (see the
/// kestrel.slice description); steps are non-zero.
bool sliceShape(Context &ctx, const Shape &x, const int64_t *starts,
                const int64_t *ends, const int64_t *steps, Shape &out);
bool slice(Context &ctx, const Tensor &x, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, Tensor &out);

/// kestrel.gather: out = x.shape[:axis] + indices.shape + x.shape[axis+1:].
/// Negative indices count from the end; out-of-range ones are errors.
bool gatherShape(Context &ctx, const Shape &x, const Shape &indices,
                 int64_t axis, Shape &out);
bool gather(Context &ctx, const Tensor &x, const Tensor &indices, int64_t axis,
            Tensor &out);
/// ONNX GatherElements (out has indices' shape).
bool gatherElements(Context &ctx, const Tensor &x, const Tensor &indices,
                    int64_t axis, Tensor &out);
/// ONNX GatherND.
bool gatherNdShape(Context &ctx, const Shape &x, const Shape &indices,
                   int64_t batchDims, Shape &out);
bool gatherNd(Context &ctx, const Tensor &x, const Tensor &indices,
              int64_t batchDims, Tensor &out);

/// out (1-D i64, length rank) = the dims of `x`.
bool shapeOf(Context &ctx, const Shape &x, Tensor &out);

/// Length of kestrel.range (start, limit, delta are rank-0 tensors of one
/// dtype); delta 0 is an error.
bool rangeShape(Context &ctx, const Tensor &start, const Tensor &limit,
                const Tensor &delta, Shape &out);
bool range(Context &ctx, const Tensor &start, const Tensor &limit,
           const Tensor &delta, Tensor &out);

/// k largest (smallest) along axis, sorted, ties by lower index; indices
/// are i64. Floats and i64/i32; NaN counts as larger than every number.
bool topKShape(Context &ctx, const Shape &x, int64_t k, int64_t axis,
               Shape &out);
bool topK(Context &ctx, const Tensor &x, int64_t k, int64_t axis, bool largest,
          Tensor &values, Tensor &indices);

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

/// Over dims [axis, rank); weight/scale/bias have exactly those dims.
bool rmsNorm(Context &ctx, const Tensor &x, const Tensor &weight, int64_t axis,
             float epsilon, Tensor &out);
bool layerNorm(Context &ctx, const Tensor &x, const Tensor &scale,
               const Tensor *bias, int64_t axis, float epsilon, Tensor &out);
/// kestrel.add_rms_norm / add_layer_norm: sum = x + residual (same shape
/// and dtype, no broadcast), out = the norm of sum as stored.
bool addRmsNorm(Context &ctx, const Tensor &x, const Tensor &residual,
                const Tensor &weight, int64_t axis, float epsilon, Tensor &sum,
                Tensor &out);
bool addLayerNorm(Context &ctx, const Tensor &x, const Tensor &residual,
                  const Tensor &scale, const Tensor *bias, int64_t axis,
                  float epsilon, Tensor &sum, Tensor &out);
/// kestrel.rope; rotaryDim <= 0 means the whole last dim.
bool rope(Context &ctx, const Tensor &x, const Tensor &cos, const Tensor &sin,
          bool interleaved, int64_t rotaryDim, Tensor &out);
/// kestrel.attention; `mask` may be null; scale <= 0 means 1/sqrt(D).
bool attention(Context &ctx, const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor *mask, float scale, bool causal, int64_t numHeads,
               int64_t numKvHeads, Tensor &out);

} // namespace kestrel::cpu

#endif // KESTREL_CODEGEN_CPU_KERNELS_KERNELS_H
