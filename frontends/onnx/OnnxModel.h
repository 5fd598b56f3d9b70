//===- OnnxModel.h - Loading ONNX protobufs without exceptions -*- C++ -*-===//
//
// The only code that touches libonnx/protobuf APIs that may throw. It is
// built as its own library with exceptions on; everything it reports comes
// back as an error string, so the (exception-free) importer never sees one.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_FRONTENDS_ONNX_ONNXMODEL_H
#define KESTREL_FRONTENDS_ONNX_ONNXMODEL_H

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <string>

namespace kestrel::onnx_frontend {

/// The longest shape operand the importer takes (Reshape's, Expand's and
/// ConstantOfShape's target, whose length is the result's rank): far above
/// any model's rank, low enough that a malformed model's length never
/// becomes millions of dims, in libonnx's shape inference or Kestrel's.
constexpr int64_t kMaxShapeOperandLength = 64;

/// The newest default-domain opset whose schemas libonnx's shape inference
/// knows (Debian's libonnx 1.12).
int64_t onnxLibraryMaxOpset();

/// The opset in which the schema that (domain, op) has at `opset` was
/// introduced, or -1 when libonnx does not know the op.
int64_t schemaSinceVersion(const std::string &domain, const std::string &op,
                           int64_t opset);

/// Opens `path` for reading without blocking and checks, through the
/// descriptor, that it is a regular file. Returns the descriptor (the
/// caller closes it) with the file's `size`, or -1 with `error` saying why
/// ("is a directory, ...", "is not a regular file (a FIFO)", "cannot open
/// the file: ...").
int openRegularFile(const std::string &path, int64_t &size, std::string &error);

/// Reads the whole regular file `path`. Fails, with `error` saying why, on
/// a missing, unreadable or empty file, a directory, a FIFO or a device.
bool readModelBytes(const std::string &path, std::string &bytes,
                    std::string &error);

/// Reads and parses `path`. Fails as readModelBytes does, on a file that is
/// not a ModelProto, or one without a graph.
bool loadModel(const std::string &path, onnx::ModelProto &model,
               std::string &error);

/// Parses a serialized ModelProto held in memory (the importer fuzzer's
/// input). Fails on bytes that are not a ModelProto or one without a graph.
bool parseModel(const std::string &bytes, onnx::ModelProto &model,
                std::string &error);

/// Reads a serialized TensorProto (the backend tests' input_N.pb files).
bool loadTensor(const std::string &path, onnx::TensorProto &tensor,
                std::string &error);

/// Runs ONNX shape inference in place (non-strict: unknown ops are skipped),
/// filling value_info, with data propagation wherever libonnx can take it;
/// not at all when an initializer or tensor attribute holds fewer or more
/// values than its dims say (the importer reports it). Fails when ONNX
/// finds the graph inconsistent.
bool inferOnnxShapes(onnx::ModelProto &model, std::string &error);

/// Converts `model` (well formed, its nodes topologically sorted) to ONNX
/// opset `target` in place with libonnx's version converter, after
/// libonnx's checker and shape inference (some adapters need shapes);
/// false with `error` when one of them refuses it.
bool convertOnnxOpset(onnx::ModelProto &model, int64_t target,
                      std::string &error);

/// Where a tensor's external data lies: `path` (its `location` resolved
/// against `modelDir`), `offset` and `length` (-1: to the end of the file).
/// Fails on a missing location, one that leaves the model's directory, or a
/// non-numeric offset or length; does not look at the file.
bool externalDataLocation(const onnx::TensorProto &tensor,
                          const std::string &modelDir, std::string &path,
                          int64_t &offset, int64_t &length, std::string &error);

/// The bytes of a tensor stored in an external data file: `location`
/// relative to `modelDir`, `offset` and `length` from the tensor's
/// external_data entries. Fails when the file is missing or too short.
bool readExternalData(const onnx::TensorProto &tensor,
                      const std::string &modelDir, std::string &bytes,
                      std::string &error);

} // namespace kestrel::onnx_frontend

#endif // KESTREL_FRONTENDS_ONNX_ONNXMODEL_H
