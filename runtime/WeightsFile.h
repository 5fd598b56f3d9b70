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

#include "kernels/common/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kestrel::runtime {

/// Stored tensors' element types are kernels/common's DType; the format
/// stores its value as a u32.
using kestrel::DType;

/// The checksum the format uses: a 64-bit hash over 32-byte blocks in four
/// lanes with a final avalanche (fast enough to check gigabytes at load).
uint64_t checksum64(const void *data, size_t size);

/// checksum64 over data that arrives in pieces: update() with consecutive
/// pieces of any size, then value() equals checksum64 of their
/// concatenation.
class Checksum64 {
public:
  Checksum64();
  void update(const void *data, size_t size);
  uint64_t value() const;

private:
  uint64_t lane[4];
  uint8_t pending[32];
  size_t pendingBytes = 0;
  uint64_t total = 0;
};

constexpr char kWeightsMagic[8] = {'K', 'S', 'T', 'R', 'L', 'W', 'G', 'T'};
constexpr uint32_t kWeightsFormatVersion = 1;
constexpr size_t kWeightsAlignment = 64;

/// One tensor of a weights file's index.
struct WeightsEntry {
  std::string name;
  DType type;
  std::vector<int64_t> dims;
};

/// Writes a .kweights file without holding its data: the index is fixed
/// first, then the tensors' bytes are appended in index order, in pieces of
/// any size, and finish() writes the header with the checksum. The file
/// is removed again when finish() is not reached. Not thread-safe.
class WeightsStreamWriter {
public:
  WeightsStreamWriter() = default;
  ~WeightsStreamWriter();
  WeightsStreamWriter(const WeightsStreamWriter &) = delete;
  WeightsStreamWriter &operator=(const WeightsStreamWriter &) = delete;

  /// Creates `path` for the model `modelHash` with `entries` as its index.
  /// Fails on an empty or duplicate name, an unknown type, a negative or
  /// overflowing shape, or a file that cannot be created.
  bool open(const std::string &path, uint64_t modelHash,
            std::vector<WeightsEntry> entries, std::string &error);
  /// The next `bytes` of the current tensor (the first one whose bytes are
  /// not complete); a piece may not run past the tensor's end.
  bool append(const void *data, size_t bytes, std::string &error);
  /// The tensor append() fills next (== entries().size() when all are).
  size_t current() const { return next; }
  const std::vector<WeightsEntry> &entries() const { return index; }
  /// Bytes of tensor `i` (element count x element size).
  uint64_t tensorBytes(size_t i) const { return sizes[i]; }
  /// Checks that every tensor is complete and writes the header.
  bool finish(std::string &error);

private:
  bool writeRaw(const void *data, size_t bytes, std::string &error);
  /// Zeros up to `offset` in the data section.
  bool padTo(uint64_t offset, std::string &error);
  void abandon();

  std::string path;
  void *file = nullptr; ///< FILE *
  uint64_t modelHash = 0;
  std::vector<WeightsEntry> index;
  std::vector<uint64_t> sizes, offsets; ///< per tensor, in the data section
  std::vector<uint8_t> indexBytes;
  uint64_t dataOffset = 0;  ///< of the data section in the file
  uint64_t dataTotal = 0;   ///< the data section's size
  uint64_t dataWritten = 0; ///< bytes of the data section so far
  uint64_t tensorWritten = 0;
  size_t next = 0;
  Checksum64 dataSum;
};

/// Collects tensors in memory and writes a .kweights file (through
/// WeightsStreamWriter, without another copy of the data).
class WeightsWriter {
public:
  /// Adds a tensor; `data` is copied. Returns false (with `error`) on a
  /// duplicate name, an unknown type or a size that does not match `dims`.
  bool add(const std::string &name, DType type,
           const std::vector<int64_t> &dims, const void *data, size_t bytes,
           std::string &error);
  /// Writes the file for the model identified by `modelHash`.
  bool write(const std::string &path, uint64_t modelHash,
             std::string &error) const;
  size_t size() const { return tensors.size(); }

private:
  struct Tensor {
    std::string name;
    DType type;
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
  DType type;
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
  /// Gives back the memory of the whole pages within [data, data + bytes),
  /// part of the mapping: nothing is lost (a later read maps them from the
  /// file again), the process just stops holding them.
  void release(const void *data, size_t bytes) const;

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
