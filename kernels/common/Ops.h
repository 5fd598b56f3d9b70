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
