//===- Tensor.cpp - Element types, shapes and tensor views ----------------===//
//
// Built for the baseline CPU into the runtime (it names dtypes and shapes
// before it knows the CPU runs a model's kernels), and into every tool that
// links a kernel library.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Tensor.h"

namespace kestrel {

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
  case DType::U8:
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
  case DType::U8:
    return "u8";
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

} // namespace kestrel
