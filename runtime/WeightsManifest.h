//===- WeightsManifest.h - NAME.kweights.json -------------------*- C++ -*-===//
//
// kestrelc writes NAME.kweights.json beside NAME.kweights: the model's
// weight table (names, stored and source element types, shapes, in table
// order) and the model hash. It is everything kestrel-pack needs to write a
// weights file for the library without the compiler: from the ONNX model's
// initializers, or dummy values for benchmarks (docs/weights-format.md).
// No MLIR, LLVM or JSON library: kestrel-pack builds with a bare compiler.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_WEIGHTSMANIFEST_H
#define KESTREL_RUNTIME_WEIGHTSMANIFEST_H

#include "runtime/WeightsFile.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::runtime {

constexpr char kManifestFormat[] = "kestrel-weights-manifest";
constexpr int kManifestVersion = 1;

/// One weight of the model's table.
struct ManifestTensor {
  std::string name;
  DType dtype;       ///< as the .kweights file stores it
  DType sourceDtype; ///< as the model declares it (ONNX initializer)
  std::vector<int64_t> shape;
};

struct WeightsManifest {
  std::string model; ///< the compiled model's name (NAME)
  uint64_t modelHash = 0;
  std::string source; ///< the model file as given to kestrelc
  std::vector<ManifestTensor> tensors;
};

/// The manifest's spelling of an element type: f32 f16 bf16 f8e4m3fn i64
/// i32 bool.
const char *manifestTypeName(DType type);
/// The inverse of manifestTypeName; false for another string.
bool parseManifestType(std::string_view name, DType &type);

/// The manifest as JSON, one tensor per line.
std::string manifestJson(const WeightsManifest &manifest);
bool writeManifest(const std::string &path, const WeightsManifest &manifest,
                   std::string &error);

/// Parses and checks a manifest: malformed JSON, a wrong format or version,
/// a missing or mistyped field, an unknown dtype, a negative dim or a
/// duplicate name fail with an error naming the place.
bool parseManifest(std::string_view json, WeightsManifest &manifest,
                   std::string &error);
/// Reads `path` and parses it; errors start with the path.
bool readManifest(const std::string &path, WeightsManifest &manifest,
                  std::string &error);

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_WEIGHTSMANIFEST_H
