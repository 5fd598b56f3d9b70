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

/// Whether `op` is one of the enumerators (a value cast from an int may
/// not be).
bool isKnownUnary(UnaryOp op);
bool isKnownReduce(ReduceOp op);

/// kestrel.fused_matmul's epilogue: out = act(alpha * acc + bias) +
/// residual (float matmuls only).
enum class Activation : uint8_t { None, Relu, Gelu, GeluTanh, Silu };
struct GemmEpilogue {
  float alpha = 1.0f;
  const Tensor *bias = nullptr; ///< [N], added to every row; or null
  Activation activation = Activation::None;
  const Tensor *residual = nullptr; ///< out's shape; or null
};

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_OPS_H
