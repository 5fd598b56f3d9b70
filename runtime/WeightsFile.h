//===- WeightsFile.h - The .kweights format ---------------------*- C++ -*-===//
//
// A compiled model's parameters live in NAME.kweights (docs/weights-format.md):
// a fixed header, an index of named tensors and 64-byte aligned data, all
// little-endian, covered by a 64-bit checksum and tied to the model it was
// written for by a model hash. The reader maps the file and checks all of
// it; every failure is an error string, never an exception or an abort.
// No MLIR or LLVM dependency: the runtime and kestrel-pack link it alone.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_WEIGHTSFILE_H
#define KESTREL_RUNTIME_WEIGHTSFILE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kestrel::runtime {

/// Element types of stored tensors (the values are part of the format).
enum class ElementType : uint32_t {
  F32 = 1,
  F16 = 2,
  BF16 = 3,
  F8E4M3FN = 4,
  I64 = 5,
  I32 = 6,
  I1 = 7, ///< one byte per element
};

/// Bytes per element, or 0 for an unknown type.
size_t elementSize(ElementType type);
/// "f32", "bf16", ...; "unknown" otherwise.
const char *elementTypeName(ElementType type);

/// The checksum the format uses: a 64-bit hash over 32-byte blocks in four
/// lanes with a final avalanche (fast enough to check gigabytes at load).
uint64_t checksum64(const void *data, size_t size);

constexpr char kWeightsMagic[8] = {'K', 'S', 'T', 'R', 'L', 'W', 'G', 'T'};
constexpr uint32_t kWeightsFormatVersion = 1;
constexpr size_t kWeightsAlignment = 64;

/// Collects tensors and writes a .kweights file.
class WeightsWriter {
public:
  /// Adds a tensor; `data` is copied. Returns false (with `error`) on a
  /// duplicate name, an unknown type or a size that does not match `dims`.
  bool add(const std::string &name, ElementType type,
           const std::vector<int64_t> &dims, const void *data, size_t bytes,
           std::string &error);
  /// Writes the file for the model identified by `modelHash`.
  bool write(const std::string &path, uint64_t modelHash,
             std::string &error) const;
  size_t size() const { return tensors.size(); }

private:
  struct Tensor {
    std::string name;
    ElementType type;
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;
  };
  std::vector<Tensor> tensors;
  std::unordered_map<std::string, size_t> byName;
};

/// One tensor of a mapped weights file; pointers stay valid while the file
/// is open.
struct WeightView {
  std::string_view name;
  ElementType type;
  std::vector<int64_t> dims;
  const void *data;
  uint64_t bytes;
};

/// Why WeightsFile::open failed.
enum class WeightsError {
  None,
  Io,         ///< the file cannot be opened, read or mapped
  Corrupt,    ///< truncated, bad magic, bad index, checksum mismatch
  Version,    ///< another format version
  OtherModel, ///< written for another model
};

/// A mapped, fully checked weights file. Thread-safe for concurrent reads.
class WeightsFile {
public:
  struct Options {
    /// Check the checksum over index and data (reads the whole file once).
    bool verifyChecksum = true;
  };

  /// Maps `path` and checks magic, format version, sizes, index bounds,
  /// alignment, checksum and that it belongs to `expectedModelHash`.
  static std::unique_ptr<WeightsFile> open(const std::string &path,
                                           uint64_t expectedModelHash,
                                           const Options &options,
                                           std::string &error,
                                           WeightsError *kind = nullptr);
  ~WeightsFile();
  WeightsFile(const WeightsFile &) = delete;
  WeightsFile &operator=(const WeightsFile &) = delete;

  /// The tensor called `name`, or null.
  const WeightView *find(std::string_view name) const;
  const std::vector<WeightView> &tensors() const { return views; }
  uint64_t modelHash() const { return hash; }

private:
  WeightsFile() = default;
  void *mapping = nullptr;
  size_t mappingSize = 0;
  uint64_t hash = 0;
  std::vector<WeightView> views;
  std::unordered_map<std::string_view, size_t> byName;
};

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_WEIGHTSFILE_H
