//===- Weights.h - A compiled model's weights file and manifest --*- C++
//-*-===//
//
// Weights packaging for every target: the hash that ties a library to its
// weights file, the file's contents (each weight converted to the type the
// target stores it in) and its manifest (NAME.kweights.json, from which
// kestrel-pack makes the file later).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_HOST_WEIGHTS_H
#define KESTREL_CODEGEN_HOST_WEIGHTS_H

#include "runtime/WeightsFile.h"
#include "runtime/WeightsManifest.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kestrel::codegen {

/// The hash that ties a library to its weights file. It identifies the
/// architecture, not the parameters: the compiled module's text (every op,
/// type and shape, and each kestrel.weight's name, type and shape; weight
/// data is never in the IR, constants' data is elided and the source path
/// left out) and `target`, the backend and its storage precision ("cpu",
/// "cuda:bf16"). So weights from the ONNX model, from kestrel-pack or dummy
/// ones fit every library compiled from the same architecture for the same
/// target; the file's checksum guards the data and the runtime checks each
/// tensor's dtype and shape.
uint64_t modelHash(mlir::ModuleOp module, llvm::StringRef target);
/// The same over IR text printed by the caller.
uint64_t modelHash(llvm::StringRef irText, llvm::StringRef target);

/// Adds the data of the weights named in `names` (the model's weight table
/// in order) to `writer`, each converted (runtime/WeightsConvert.h) to its
/// entry of `storedTypes` (parallel to `names`; an empty list or a null type
/// keeps the declared type). False with `error` naming a weight without
/// data, with a type it cannot be stored in, or with data the writer
/// refuses. `bytes` accumulates the stored size.
bool addWeights(llvm::ArrayRef<std::string> names,
                llvm::ArrayRef<mlir::Type> storedTypes,
                const std::map<std::string, mlir::DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error);
/// addWeights with every weight stored as declared.
bool addWeights(llvm::ArrayRef<std::string> names,
                const std::map<std::string, mlir::DenseElementsAttr> &weights,
                runtime::WeightsWriter &writer, uint64_t &bytes,
                std::string &error);

/// The weights manifest (NAME.kweights.json) of a compiled model: the
/// weights `names` (the weight table in order), each with the type the
/// weights file stores it in (`storedTypes`, as addWeights writes them) and
/// the type and shape its kestrel.weight op declares in `module`.
mlir::FailureOr<runtime::WeightsManifest>
weightsManifest(mlir::ModuleOp module, llvm::ArrayRef<std::string> names,
                llvm::ArrayRef<mlir::Type> storedTypes, llvm::StringRef name,
                uint64_t modelHash, llvm::StringRef source);

/// Row-major little-endian bytes of a dense attribute (i1 as one byte per
/// element, splats expanded), as the weights file and the runtime store
/// tensors.
std::vector<uint8_t> denseBytes(mlir::DenseElementsAttr attr);

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_HOST_WEIGHTS_H
