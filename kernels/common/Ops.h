//===- Ops.h - Op kinds shared by the kernel libraries ----------*- C++ -*-===//
//
// The enumerations an entry point of either kernel library takes (which
// unary, binary or reduction op; a GEMM's epilogue), defined once. Their
// semantics are the kestrel dialect's (docs/Dialects/KestrelDialect.md).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_OPS_H
#define KESTREL_KERNELS_COMMON_OPS_H

#include "kernels/common/Tensor.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define KESTREL_HOST_DEVICE __host__ __device__
#else
#define KESTREL_HOST_DEVICE
#endif

namespace kestrel {

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
  Floor,
  Ceil,
  Round, ///< to nearest, ties to even
};

enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div, ///< integer division truncates toward zero; x / 0 is an error for ints
  Pow,
  Max,
  Min,
  /// Floored remainder, the divisor's sign (Python's %; ONNX Mod with
  /// fmod = 0). Integer x mod 0 is an error, as for Div.
  Mod,
  /// Truncated remainder, the dividend's sign (C's fmod; ONNX Mod with
  /// fmod = 1).
  FMod,
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

enum class ReduceOp { Sum, Mean, Max, Min };

/// What a binary op computes: arithmetic (the operands' dtype), a
/// comparison (i1 from any dtype) or a logical op (i1 from i1).
enum class BinaryKind { Arithmetic, Comparison, Logical, Unknown };
BinaryKind binaryKind(BinaryOp op);

/// How ScatterElements / ScatterND combine an update with the value there
/// (ONNX's `reduction`).
enum class ScatterReduction { None, Add, Mul, Max, Min };
/// "none", "add", "mul", "max", "min"; null for a value outside the enum.
const char *scatterReductionName(ScatterReduction r);

/// `old` combined with `update` under `r`, in the accumulation type (f32 for
/// floats; integers wrap). Max and min keep `old` unless `update` compares
/// greater (smaller). The one definition both libraries use, so their
/// results agree bit for bit.
template <typename A>
KESTREL_HOST_DEVICE inline A scatterCombine(ScatterReduction r, A old,
                                            A update) {
  switch (r) {
  case ScatterReduction::Add:
    if constexpr (std::is_integral_v<A>)
      return A(uint64_t(old) + uint64_t(update));
    else
      return old + update;
  case ScatterReduction::Mul:
    if constexpr (std::is_integral_v<A>)
      return A(uint64_t(old) * uint64_t(update));
    else
      return old * update;
  case ScatterReduction::Max:
    return update > old ? update : old;
  case ScatterReduction::Min:
    return update < old ? update : old;
  default:
    return update;
  }
}

/// x mod y for BinaryOp::Mod (`floored`) and FMod: the truncated remainder
/// (C's fmod for floats, `%` for integers, with x % -1 = 0 so that MIN % -1
/// does not trap), moved by y when floored and its sign differs from y's.
/// An integer y must not be 0 (the kernels check). The one definition both
/// libraries use, so their results agree bit for bit.
template <typename T>
KESTREL_HOST_DEVICE inline T remainder(T x, T y, bool floored) {
  T r;
  if constexpr (std::is_integral_v<T>)
    r = y == T(-1) ? T(0) : T(x % y);
  else
    r = fmodf(x, y);
  if (floored && r != T(0) && ((r < T(0)) != (y < T(0))))
    r = r + y;
  return r;
}

/// What kestrel.pad writes outside the input (ONNX Pad's `mode`).
enum class PadMode { Constant, Reflect, Edge, Wrap };
/// "constant", "reflect", "edge", "wrap"; null for a value outside the enum.
const char *padModeName(PadMode mode);

/// The input coordinate that output coordinate `j` (already shifted by the
/// begin pad) reads along a dimension of `n` entries under `mode`, or -1
/// where the constant goes. Reflect mirrors about the edge entries without
/// repeating them, periodically (period 2(n - 1)) for pads wider than the
/// dimension; wrap is periodic in n. Every mode but constant needs n >= 1
/// (the kernels check).
KESTREL_HOST_DEVICE inline int64_t padSource(int64_t j, int64_t n,
                                             PadMode mode) {
  if (j >= 0 && j < n)
    return j;
  switch (mode) {
  case PadMode::Edge:
    return j < 0 ? 0 : n - 1;
  case PadMode::Wrap: {
    int64_t r = j % n;
    return r < 0 ? r + n : r;
  }
  case PadMode::Reflect: {
    if (n == 1)
      return 0;
    int64_t period = 2 * (n - 1), r = j % period;
    if (r < 0)
      r += period;
    return r < n ? r : period - r;
  }
  default:
    return -1;
  }
}

/// Whether `op` is one of the enumerators (a value cast from an int may
/// not be).
bool isKnownUnary(UnaryOp op);
bool isKnownReduce(ReduceOp op);

/// How kestrel.attention's query, key, value and output are laid out:
/// [batch, heads, seq, head_dim] (the default), or [batch, seq, heads,
/// head_dim], the projections' own layout, with no transposes around it.
enum class AttentionLayout : uint8_t { Bhsd, Bshd };

/// Element strides of one attention operand along its batch, head and
/// sequence dims (its head_dim is contiguous).
struct AttentionStrides {
  int64_t batch, head, row;
};
inline AttentionStrides attentionStrides(AttentionLayout layout, int64_t heads,
                                         int64_t seq, int64_t headDim) {
  if (layout == AttentionLayout::Bshd)
    return {seq * heads * headDim, headDim, heads * headDim};
  return {heads * seq * headDim, seq * headDim, headDim};
}

/// kestrel.fused_matmul's epilogue: out = act(alpha * acc + bias) +
/// residual (float matmuls only).
enum class Activation : uint8_t { None, Relu, Gelu, GeluTanh, Silu };
struct GemmEpilogue {
  float alpha = 1.0f;
  const Tensor *bias = nullptr; ///< [N], added to every row; or null
  Activation activation = Activation::None;
  const Tensor *residual = nullptr; ///< out's shape; or null
};

/// The epilogue of kestrel.multi_matmul, a product against several weights
/// side by side: alpha and the activation apply to every part; `biases`
/// holds one [N_i] per weight, or is null. With `glu` there are two
/// weights and one output, act(gate) * up.
struct MultiEpilogue {
  float alpha = 1.0f;
  Activation activation = Activation::None;
  const Tensor *const *biases = nullptr;
  bool glu = false;
};

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_OPS_H
