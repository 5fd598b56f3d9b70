//===- Ops.cpp - Names of the op kinds ------------------------------------===//

#include "kernels/common/Ops.h"

namespace kestrel {

const char *unaryOpName(UnaryOp op) {
  switch (op) {
  case UnaryOp::Neg:
    return "neg";
  case UnaryOp::Abs:
    return "abs";
  case UnaryOp::Relu:
    return "relu";
  case UnaryOp::Sqrt:
    return "sqrt";
  case UnaryOp::Rsqrt:
    return "rsqrt";
  case UnaryOp::Reciprocal:
    return "reciprocal";
  case UnaryOp::Exp:
    return "exp";
  case UnaryOp::Log:
    return "log";
  case UnaryOp::Erf:
    return "erf";
  case UnaryOp::Tanh:
    return "tanh";
  case UnaryOp::Sin:
    return "sin";
  case UnaryOp::Cos:
    return "cos";
  case UnaryOp::Sigmoid:
    return "sigmoid";
  case UnaryOp::Silu:
    return "silu";
  case UnaryOp::Gelu:
  case UnaryOp::GeluTanh:
    return "gelu";
  case UnaryOp::Not:
    return "not";
  case UnaryOp::Floor:
    return "floor";
  case UnaryOp::Ceil:
    return "ceil";
  case UnaryOp::Round:
    return "round";
  }
  return "unknown unary op";
}

const char *binaryOpName(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "add";
  case BinaryOp::Sub:
    return "sub";
  case BinaryOp::Mul:
    return "mul";
  case BinaryOp::Div:
    return "div";
  case BinaryOp::Pow:
    return "pow";
  case BinaryOp::Max:
    return "max";
  case BinaryOp::Min:
    return "min";
  case BinaryOp::Mod:
    return "mod";
  case BinaryOp::FMod:
    return "fmod";
  case BinaryOp::Equal:
    return "equal";
  case BinaryOp::NotEqual:
    return "not_equal";
  case BinaryOp::Less:
    return "less";
  case BinaryOp::LessEqual:
    return "less_equal";
  case BinaryOp::Greater:
    return "greater";
  case BinaryOp::GreaterEqual:
    return "greater_equal";
  case BinaryOp::And:
    return "and";
  case BinaryOp::Or:
    return "or";
  case BinaryOp::Xor:
    return "xor";
  }
  return "unknown binary op";
}

BinaryKind binaryKind(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
  case BinaryOp::Sub:
  case BinaryOp::Mul:
  case BinaryOp::Div:
  case BinaryOp::Pow:
  case BinaryOp::Max:
  case BinaryOp::Min:
  case BinaryOp::Mod:
  case BinaryOp::FMod:
    return BinaryKind::Arithmetic;
  case BinaryOp::Equal:
  case BinaryOp::NotEqual:
  case BinaryOp::Less:
  case BinaryOp::LessEqual:
  case BinaryOp::Greater:
  case BinaryOp::GreaterEqual:
    return BinaryKind::Comparison;
  case BinaryOp::And:
  case BinaryOp::Or:
  case BinaryOp::Xor:
    return BinaryKind::Logical;
  }
  return BinaryKind::Unknown;
}

bool isKnownUnary(UnaryOp op) {
  return static_cast<int>(op) >= static_cast<int>(UnaryOp::Neg) &&
         static_cast<int>(op) <= static_cast<int>(UnaryOp::Round);
}

bool isKnownReduce(ReduceOp op) {
  return op == ReduceOp::Sum || op == ReduceOp::Mean || op == ReduceOp::Max ||
         op == ReduceOp::Min;
}

const char *padModeName(PadMode mode) {
  switch (mode) {
  case PadMode::Constant:
    return "constant";
  case PadMode::Reflect:
    return "reflect";
  case PadMode::Edge:
    return "edge";
  case PadMode::Wrap:
    return "wrap";
  }
  return nullptr;
}

const char *scatterReductionName(ScatterReduction r) {
  switch (r) {
  case ScatterReduction::None:
    return "none";
  case ScatterReduction::Add:
    return "add";
  case ScatterReduction::Mul:
    return "mul";
  case ScatterReduction::Max:
    return "max";
  case ScatterReduction::Min:
    return "min";
  }
  return nullptr;
}

} // namespace kestrel
