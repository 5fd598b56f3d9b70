//===- TensorTypes.cpp - DTypes, shapes and argument checks ---------------===//
//
// The descriptor helpers of Kernels.h and the argument checks every kernel
// shares (ElementTypes.h). Built once, for the baseline CPU, into the
// runtime (which names dtypes and shapes before it knows the CPU can run a
// model's kernels); the conversions are in Conversions.cpp, built with the
// kernels for each CPU level.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/kernels/ElementTypes.h"

namespace kestrel::cpu {

using namespace detail;

size_t dtypeSize(DType type) {
  switch (type) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F8E4M3FN:
  case DType::I1:
    return 1;
  case DType::I64:
    return 8;
  }
  return 0;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F8E4M3FN:
    return "f8E4M3FN";
  case DType::I64:
    return "i64";
  case DType::I32:
    return "i32";
  case DType::I1:
    return "i1";
  }
  return "unknown";
}

Shape::Shape(std::initializer_list<int64_t> list) {
  // A longer list keeps its rank, which every kernel then rejects.
  for (int64_t d : list) {
    if (rank < kMaxRank)
      dims[rank] = d;
    ++rank;
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int d = 0; d < rank && d < kMaxRank; ++d)
    n *= dims[d];
  return n;
}

bool Shape::operator==(const Shape &other) const {
  if (rank != other.rank)
    return false;
  for (int d = 0; d < rank && d < kMaxRank; ++d)
    if (dims[d] != other.dims[d])
      return false;
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int d = 0; d < rank && d < kMaxRank; ++d) {
    if (d)
      s += ", ";
    s += std::to_string(dims[d]);
  }
  return s + "]";
}

bool broadcastShape(Context &ctx, const Shape &a, const Shape &b, Shape &out) {
  return broadcastShapes(ctx, "broadcast", a, b, out);
}

namespace detail {

std::string str(int64_t v) { return std::to_string(v); }

static std::string prefix(const char *op) { return std::string(op) + ": "; }

bool checkRank(Context &ctx, const char *op, const char *what, int64_t rank) {
  if (rank < 0 || rank > kMaxRank)
    return ctx.fail(prefix(op) + what + " has rank " + str(rank) +
                    ", outside [0, " + str(kMaxRank) + "]");
  return true;
}

bool checkTensor(Context &ctx, const char *op, const char *name,
                 const Tensor &t) {
  if (dtypeSize(t.dtype) == 0)
    return ctx.fail(prefix(op) + name + " has an unknown dtype (" +
                    str(int(t.dtype)) + ")");
  if (!checkRank(ctx, op, name, t.shape.rank))
    return false;
  for (int d = 0; d < t.shape.rank; ++d)
    if (t.shape[d] < 0)
      return ctx.fail(prefix(op) + name + " has a negative dimension " +
                      t.shape.str());
  if (!t.data && t.numel() > 0)
    return ctx.fail(prefix(op) + name + " has no data");
  return true;
}

bool checkOut(Context &ctx, const char *op, const Tensor &out,
              const Shape &shape, DType dtype, const char *name) {
  if (!checkTensor(ctx, op, name, out))
    return false;
  if (out.dtype != dtype)
    return ctx.fail(prefix(op) + name + " has dtype " + dtypeName(out.dtype) +
                    ", expected " + dtypeName(dtype));
  if (out.shape != shape)
    return ctx.fail(prefix(op) + name + " has shape " + out.shape.str() +
                    ", expected " + shape.str());
  return true;
}

bool checkAxis(Context &ctx, const char *op, int64_t axis, int rank) {
  if (axis < 0 || axis >= rank)
    return ctx.fail(prefix(op) + "axis " + str(axis) + " is outside [0, " +
                    str(rank) + ")");
  return true;
}

bool broadcastShapes(Context &ctx, const char *op, const Shape &a,
                     const Shape &b, Shape &out) {
  if (!checkRank(ctx, op, "an operand", a.rank) ||
      !checkRank(ctx, op, "an operand", b.rank))
    return false;
  Shape result;
  result.rank = std::max(a.rank, b.rank);
  for (int d = 0; d < result.rank; ++d) {
    int i = d - (result.rank - a.rank), j = d - (result.rank - b.rank);
    int64_t x = i >= 0 ? a[i] : 1, y = j >= 0 ? b[j] : 1;
    if (x != y && x != 1 && y != 1)
      return ctx.fail(prefix(op) + "shapes " + a.str() + " and " + b.str() +
                      " do not broadcast (" + str(x) + " vs " + str(y) +
                      " in result dimension " + str(d) + ")");
    result[d] = x == 1 ? y : x;
  }
  out = result;
  return true;
}

bool checkBroadcastsTo(Context &ctx, const char *op, const char *name,
                       const Shape &x, const Shape &to) {
  bool ok = x.rank <= to.rank;
  for (int i = 0; ok && i < x.rank; ++i) {
    int64_t dim = to[to.rank - x.rank + i];
    ok = x[i] == 1 || x[i] == dim;
  }
  if (!ok)
    return ctx.fail(prefix(op) + name + " shape " + x.str() +
                    " does not broadcast to " + to.str());
  return true;
}

} // namespace detail
} // namespace kestrel::cpu
