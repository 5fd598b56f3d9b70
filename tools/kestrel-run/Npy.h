//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// The subset of the .npy format (versions 1.0, 2.0 and 3.0) that model inputs
// and reference outputs use: little-endian f64, f32, f16, i64, i32 and bool,
// C order. Anything else (big-endian or structured dtypes, Fortran order, a
// malformed header, data that does not match the shape) is an error string,
// never an exception or an abort. Plain C++17: kestrel-run links only the
// runtime.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TOOLS_KESTREL_RUN_NPY_H
#define KESTREL_TOOLS_KESTREL_RUN_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::npy {

/// The element types this reader understands.
enum class DType { F64, F32, F16, I64, I32, Bool };

/// Bytes per element.
size_t dtypeSize(DType dtype);
/// The .npy descr string: "<f4", "|b1", ...
const char *dtypeDescr(DType dtype);
/// A readable name: "float32", "bool", ...
const char *dtypeName(DType dtype);

/// An n-dimensional array in C order. The data is 64-byte aligned, so it
/// can be handed to kernels as is.
class Array {
public:
  /// Makes this a zero-filled array of `dtype` and `shape`; false (with
  /// `error`) on a negative dim or a size that overflows.
  bool reset(DType dtype, std::vector<int64_t> shape, std::string &error);

  DType dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  size_t numElements() const { return count; }
  size_t numBytes() const { return count * dtypeSize(type); }
  uint8_t *data() { return reinterpret_cast<uint8_t *>(storage.data()); }
  const uint8_t *data() const {
    return reinterpret_cast<const uint8_t *>(storage.data());
  }

private:
  struct alignas(64) Block {
    uint8_t bytes[64];
  };
  DType type = DType::F32;
  std::vector<int64_t> dims;
  size_t count = 1;
  std::vector<Block> storage;
};

/// Checks `shape` (non-negative dims) and returns its element count in
/// `count`; false when the dims, or the bytes they need at `elementSize`
/// bytes each, overflow size_t.
bool checkedElementCount(const std::vector<int64_t> &shape, size_t elementSize,
                         size_t &count);

/// Parses the .npy file held in `bytes`. Returns false with `error` set when
/// it is not a well-formed .npy file of a supported dtype.
bool parseNpy(const uint8_t *bytes, size_t size, Array &out,
              std::string &error);
/// Reads and parses `path`; errors name the file.
bool readNpy(const std::string &path, Array &out, std::string &error);

/// Serializes a C-order array (version 1.0, or 2.0 for a header too long for
/// 1.0) into `out`. `bytes` must equal the shape's element count times the
/// dtype's size.
bool serializeNpy(DType dtype, const std::vector<int64_t> &shape,
                  const void *data, size_t bytes, std::vector<uint8_t> &out,
                  std::string &error);
/// Serializes and writes `path`; errors name the file.
bool writeNpy(const std::string &path, DType dtype,
              const std::vector<int64_t> &shape, const void *data, size_t bytes,
              std::string &error);

} // namespace kestrel::npy

#endif // KESTREL_TOOLS_KESTREL_RUN_NPY_H
