//===- Weights.cpp - A compiled model's weights file and manifest ---------===//

#include "codegen/host/Weights.h"

#include "dialects/kestrel/IR/KestrelOps.h"
#include "runtime/WeightsConvert.h"

#include <cstring>

using namespace mlir;

namespace kestrel::codegen {

std::vector<uint8_t> denseBytes(DenseElementsAttr attr) {
  Type element = attr.getElementType();
  int64_t n = attr.getNumElements();
  std::vector<uint8_t> out;
  if (element.isInteger(1)) {
    out.reserve(n);
    for (bool b : attr.getValues<bool>())
      out.push_back(b ? 1 : 0);
    return out;
  }
  size_t width = element.getIntOrFloatBitWidth() / 8;
  ArrayRef<char> raw = attr.getRawData();
  out.resize(n * width);
  if (attr.isSplat()) {
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out.data() + i * width, raw.data(), width);
  } else {
    std::memcpy(out.data(), raw.data(), out.size());
  }
  return out;
}

uint64_t modelHash(StringRef irText, StringRef target) {
  return runtime::checksum64(irText.data(), irText.size()) *
             0x9E3779B97F4A7C15ull ^
         runtime::checksum64(target.data(), target.size());
}

uint64_t modelHash(ModuleOp module, StringRef target) {
  // A copy without the source path: the same model from another file (or
  // re-saved with its weights as external data) is the same architecture.
  OwningOpRef<ModuleOp> copy = module.clone();
  (*copy)->removeAttr("kestrel.source");
  // Nor the predicted times: they depend on the machine that compiled it
  // (the kernel choices stay).
  copy->walk([](Operation *op) {
    if (auto impl = op->getAttrOfType<ImplAttr>(ImplAttr::kName))
      if (impl.getPredicted())
        op->setAttr(ImplAttr::kName,
                    ImplAttr::get(impl.getCandidate(), impl.getConfig()));
  });
  std::string text;
  llvm::raw_string_ostream os(text);
  copy->print(os, OpPrintingFlags().elideLargeElementsAttrs(0));
  return modelHash(text, target);
}

/// The weights file's element type for an IR element type.
static FailureOr<DType> storedElementType(Type e) {
  if (e.isF32())
    return DType::F32;
  if (e.isF16())
    return DType::F16;
  if (e.isBF16())
    return DType::BF16;
  if (isa<Float8E4M3FNType>(e))
    return DType::F8E4M3FN;
  if (e.isInteger(64))
    return DType::I64;
  if (e.isInteger(32))
    return DType::I32;
  if (e.isInteger(1))
    return DType::I1;
  if (e.isUnsignedInteger(8))
    return DType::U8;
  return failure();
}

/// The stored type of weight `i`: storedTypes[i], else `declared`.
static Type storedTypeOf(ArrayRef<Type> storedTypes, size_t i, Type declared) {
  return i < storedTypes.size() && storedTypes[i] ? storedTypes[i] : declared;
}

bool addWeights(ArrayRef<std::string> names, ArrayRef<Type> storedTypes,
                const std::map<std::string, DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error) {
  for (auto [i, name] : llvm::enumerate(names)) {
    auto it = weights.find(name);
    if (it == weights.end()) {
      error = "no data for weight '" + name + "'";
      return false;
    }
    auto type = cast<RankedTensorType>(it->second.getType());
    FailureOr<DType> from = storedElementType(type.getElementType());
    FailureOr<DType> to =
        storedElementType(storedTypeOf(storedTypes, i, type.getElementType()));
    if (failed(from) || failed(to)) {
      error = "weight '" + name +
              "' has an element type the weights file "
              "cannot store";
      return false;
    }
    std::vector<uint8_t> data = denseBytes(it->second);
    if (*to != *from) {
      std::vector<uint8_t> converted(type.getNumElements() *
                                     kestrel::dtypeSize(*to));
      if (!runtime::convertElements(*from, data.data(), *to, converted.data(),
                                    type.getNumElements(), error)) {
        error = "weight '" + name + "': " + error;
        return false;
      }
      data = std::move(converted);
    }
    if (!writer.add(name, *to, type.getShape().vec(), data.data(), data.size(),
                    error))
      return false;
    bytes += data.size();
  }
  return true;
}

bool addWeights(ArrayRef<std::string> names,
                const std::map<std::string, DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error) {
  return addWeights(names, {}, weights, writer, bytes, error);
}

FailureOr<runtime::WeightsManifest>
weightsManifest(ModuleOp module, ArrayRef<std::string> names,
                ArrayRef<Type> storedTypes, StringRef name, uint64_t modelHash,
                StringRef source) {
  std::map<std::string, WeightOp> ops;
  module.walk([&](WeightOp w) { ops.try_emplace(w.getName().str(), w); });
  runtime::WeightsManifest manifest;
  manifest.model = name.str();
  manifest.modelHash = modelHash;
  manifest.source = source.str();
  for (auto [i, weight] : llvm::enumerate(names)) {
    auto it = ops.find(weight);
    if (it == ops.end())
      return module.emitError() << "weight '" << weight
                                << "' of the weight table has no "
                                   "kestrel.weight op";
    auto type = cast<RankedTensorType>(it->second.getResult().getType());
    Type stored = storedTypeOf(storedTypes, i, type.getElementType());
    FailureOr<DType> from = storedElementType(type.getElementType());
    FailureOr<DType> to = storedElementType(stored);
    if (failed(from) || failed(to) || !runtime::canStoreAs(*from, *to))
      return it->second.emitOpError()
             << "cannot be stored as " << stored << " in the weights file";
    manifest.tensors.push_back({weight, *to, *from, type.getShape().vec()});
  }
  return manifest;
}

} // namespace kestrel::codegen
