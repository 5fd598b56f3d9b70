//===- PackSources.h - Where kestrel-pack takes weights from ----*- C++ -*-===//
//
// Each source writes the data of every tensor of a manifest, in the
// manifest's order and its stored dtype, into a WeightsStreamWriter opened
// with the manifest's index. The dummy source needs nothing but the
// runtime's weights files; the ONNX one (OnnxReader.cpp, libonnx and
// protobuf) is built only where those are found (KESTREL_PACK_WITH_ONNX).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TOOLS_KESTREL_PACK_PACKSOURCES_H
#define KESTREL_TOOLS_KESTREL_PACK_PACKSOURCES_H

#include "runtime/WeightsFile.h"
#include "runtime/WeightsManifest.h"

#include <cstdint>
#include <string>

namespace kestrel::pack {

/// What a dummy tensor is filled with.
enum class DummyFill {
  Normal, ///< N(0, 0.02), as Hugging Face initializes weights
  Ones,   ///< norm scales (names like "...norm.weight", "ln_f.weight")
  Zeros,  ///< biases, integer and bool tensors
};

/// The fill for a tensor of stored type `type` called `name`.
DummyFill dummyFill(const std::string &name, DType type);

/// Seeded dummy values: each tensor's values depend only on `seed` and the
/// tensor's name (not on the order), from a counter-based generator.
bool writeDummyWeights(const runtime::WeightsManifest &manifest, uint64_t seed,
                       runtime::WeightsStreamWriter &out, std::string &error);

#ifdef KESTREL_PACK_WITH_ONNX
/// The initializers (or Constant node values) of the ONNX model at
/// `onnxPath` named by the manifest, checked against its dtypes and shapes
/// and converted to the stored dtypes. External data is mapped, not read
/// into memory.
bool writeOnnxWeights(const runtime::WeightsManifest &manifest,
                      const std::string &onnxPath,
                      runtime::WeightsStreamWriter &out, std::string &error);
#endif

} // namespace kestrel::pack

#endif // KESTREL_TOOLS_KESTREL_PACK_PACKSOURCES_H
