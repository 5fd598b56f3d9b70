//===- Tensor.h - Element types, shapes and tensor views --------*- C++ -*-===//
//
// The one definition of Kestrel's element types (DType), shapes and tensor
// views, shared by the CPU and CUDA kernel libraries, the runtime and the
// weights file. Plain C++ with no dependency: it ships inside every emitted
// library. The C API's kestrel_dtype has the same values; the runtime
// converts at that boundary.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_TENSOR_H
#define KESTREL_KERNELS_COMMON_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace kestrel {

/// Element types; the values are those of the C API's kestrel_dtype and of
/// the weights file format.
enum class DType : uint8_t {
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  F8E4M3FN = 4,
  I64 = 5,
  I32 = 6,
  I1 = 7, ///< one byte per element, 0 or 1
  /// Raw bytes: packed low-bit weights (kestrel.matmul_nbits). Only weights
  /// have it; a model's inputs and outputs never do.
  U8 = 8,
};

/// Bytes per element (i1 is one byte); 0 for an unknown value.
size_t dtypeSize(DType type);
/// "f32", "bf16", ... ("unknown" otherwise).
const char *dtypeName(DType type);

inline bool isFloatType(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16 ||
         t == DType::F8E4M3FN;
}
inline bool isIntType(DType t) { return t == DType::I64 || t == DType::I32; }
/// The bits of an element (read as an unsigned integer of its size) that
/// make it non-zero: every bit, except a floating-point type's sign (-0 is
/// zero; NaN is not).
inline uint64_t nonZeroBits(DType t) {
  switch (t) {
  case DType::F32:
    return 0x7fffffffu;
  case DType::F16:
  case DType::BF16:
    return 0x7fffu;
  case DType::F8E4M3FN:
    return 0x7fu;
  default:
    return ~uint64_t(0);
  }
}

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

/// A view of a dense row-major tensor: data (host or device memory), element
/// type and shape.
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

inline const void *elementAt(const Tensor &t, int64_t index) {
  return static_cast<const char *>(t.data) +
         index * int64_t(dtypeSize(t.dtype));
}
inline void *elementAt(Tensor &t, int64_t index) {
  return static_cast<char *>(t.data) + index * int64_t(dtypeSize(t.dtype));
}

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_TENSOR_H
