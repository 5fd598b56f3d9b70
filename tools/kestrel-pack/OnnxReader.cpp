//===- OnnxReader.cpp - kestrel-pack: weights from an ONNX model ----------===//
//
// Built with exceptions on (protobuf may throw); nothing escapes. The model
// is parsed straight from its file descriptor, and external data files are
// mapped, so a multi-gigabyte model is never held twice: inline data lives
// once in the parsed protobuf, external data only in the page cache.
//
//===----------------------------------------------------------------------===//

#include "tools/kestrel-pack/PackSources.h"

#include "frontends/onnx/OnnxModel.h"
#include "runtime/WeightsConvert.h"

#include "onnx/onnx_pb.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kestrel::pack {

namespace {

using kestrel::DType;

/// ONNX's TensorProto data types the weights file can hold (17 is
/// FLOAT8E4M3FN, newer than libonnx 1.12's enum).
bool elementTypeOf(int32_t onnxType, DType &type) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    type = DType::F32;
    return true;
  case onnx::TensorProto::FLOAT16:
    type = DType::F16;
    return true;
  case onnx::TensorProto::BFLOAT16:
    type = DType::BF16;
    return true;
  case 17:
    type = DType::F8E4M3FN;
    return true;
  case onnx::TensorProto::INT64:
    type = DType::I64;
    return true;
  case onnx::TensorProto::INT32:
    type = DType::I32;
    return true;
  case onnx::TensorProto::BOOL:
    type = DType::I1;
    return true;
  default:
    return false;
  }
}

std::string shapeString(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

/// Read-only mappings of external data files, kept until the end.
class MappedFiles {
public:
  ~MappedFiles() {
    for (auto &[path, m] : maps)
      if (m.data)
        munmap(m.data, m.size);
  }

  /// Maps `path` (once): its bytes and size; false with `error` saying
  /// why.
  bool map(const std::string &path, const uint8_t *&data, uint64_t &size,
           std::string &error) {
    auto it = maps.find(path);
    if (it == maps.end()) {
      Mapping m;
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) != 0) {
        error = std::string("cannot be opened: ") + std::strerror(errno);
        if (fd >= 0)
          ::close(fd);
        return false;
      }
      m.size = static_cast<uint64_t>(st.st_size);
      if (m.size > 0) {
        void *p = mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
          error = std::string("cannot be mapped: ") + std::strerror(errno);
          ::close(fd);
          return false;
        }
        madvise(p, m.size, MADV_SEQUENTIAL);
        m.data = p;
      }
      ::close(fd);
      it = maps.emplace(path, m).first;
    }
    size = it->second.size;
    data = static_cast<const uint8_t *>(it->second.data);
    return true;
  }

private:
  struct Mapping {
    void *data = nullptr;
    uint64_t size = 0;
  };
  std::map<std::string, Mapping> maps;
};

class OnnxWriter {
public:
  OnnxWriter(const std::string &path, runtime::WeightsStreamWriter &out)
      : path(path), out(out) {
    size_t slash = path.find_last_of('/');
    dir = slash == std::string::npos ? "" : path.substr(0, slash);
  }

  bool run(const runtime::WeightsManifest &manifest, std::string &error);

private:
  bool load(std::string &error);
  bool writeTensor(const runtime::ManifestTensor &t,
                   const onnx::TensorProto &tensor, std::string &error);
  /// The tensor's bytes in its own type, from the typed fields: the
  /// field's own storage where it has the layout, else a copy in `owned`.
  bool typedBytes(const onnx::TensorProto &tensor, DType type, uint64_t count,
                  const uint8_t *&data, std::vector<uint8_t> &owned,
                  std::string &error);

  std::string path, dir;
  runtime::WeightsStreamWriter &out;
  onnx::ModelProto model;
  MappedFiles files;
};

bool OnnxWriter::load(std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  bool parsed = false;
  try {
    parsed = model.ParseFromFileDescriptor(fd);
  } catch (const std::exception &e) {
    ::close(fd);
    error = path + ": not an ONNX model: " + e.what();
    return false;
  }
  ::close(fd);
  if (!parsed || !model.has_graph()) {
    error = path + ": not an ONNX model (the protobuf does not parse or has "
                   "no graph)";
    return false;
  }
  return true;
}

bool OnnxWriter::run(const runtime::WeightsManifest &manifest,
                     std::string &error) {
  if (!load(error))
    return false;
  // The importer names weights after initializers, and after the outputs
  // of Constant nodes whose tensor is large.
  std::map<std::string, const onnx::TensorProto *> tensors;
  for (const onnx::TensorProto &t : model.graph().initializer())
    tensors.emplace(t.name(), &t);
  for (const onnx::NodeProto &node : model.graph().node())
    if (node.op_type() == "Constant" && node.output_size() == 1)
      for (const onnx::AttributeProto &a : node.attribute())
        if (a.name() == "value" && a.has_t())
          tensors.emplace(node.output(0), &a.t());
  for (const runtime::ManifestTensor &t : manifest.tensors) {
    auto it = tensors.find(t.name);
    if (it == tensors.end()) {
      error = path + ": no initializer '" + t.name +
              "' (the manifest was written for model '" + manifest.model +
              "' from " + manifest.source + ")";
      return false;
    }
    if (!writeTensor(t, *it->second, error))
      return false;
  }
  return true;
}

bool OnnxWriter::writeTensor(const runtime::ManifestTensor &t,
                             const onnx::TensorProto &tensor,
                             std::string &error) {
  std::string what = path + ": initializer '" + t.name + "'";
  DType type;
  if (!elementTypeOf(tensor.data_type(), type)) {
    error = what + " has ONNX data type " + std::to_string(tensor.data_type()) +
            ", which a weights file cannot hold";
    return false;
  }
  if (type != t.sourceDtype) {
    error = what + " is " + runtime::manifestTypeName(type) +
            ", the manifest says " + runtime::manifestTypeName(t.sourceDtype);
    return false;
  }
  std::vector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
  if (dims != t.shape) {
    error = what + " has shape " + shapeString(dims) + ", the manifest says " +
            shapeString(t.shape);
    return false;
  }
  uint64_t count = 1;
  for (int64_t d : dims)
    count *= static_cast<uint64_t>(d);
  uint64_t bytes = count * kestrel::dtypeSize(type);
  if (tensor.has_segment()) {
    error = what + " is segmented, which Kestrel does not support";
    return false;
  }

  const uint8_t *data = nullptr;
  std::vector<uint8_t> owned;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string file;
    int64_t offset, length;
    if (!onnx_frontend::externalDataLocation(tensor, dir, file, offset, length,
                                             error)) {
      error = path + ": " + error;
      return false;
    }
    uint64_t size = 0;
    const uint8_t *base = nullptr;
    if (!files.map(file, base, size, error)) {
      error = "external data file '" + file + "' of '" + t.name + "' " + error;
      return false;
    }
    if (length < 0)
      length = static_cast<int64_t>(size) - offset;
    if (offset < 0 || length < 0 ||
        static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) > size) {
      error = "external data file '" + file + "' holds " +
              std::to_string(size) + " bytes, but '" + t.name +
              "' needs bytes [" + std::to_string(offset) + ", " +
              std::to_string(offset + length) + ")";
      return false;
    }
    if (static_cast<uint64_t>(length) != bytes) {
      error = what + " has " + std::to_string(length) +
              " bytes of external data, its shape and type need " +
              std::to_string(bytes);
      return false;
    }
    data = base ? base + offset : nullptr;
  } else if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != bytes) {
      error = what + " holds " + std::to_string(tensor.raw_data().size()) +
              " bytes, its shape and type need " + std::to_string(bytes);
      return false;
    }
    data = reinterpret_cast<const uint8_t *>(tensor.raw_data().data());
  } else {
    if (!typedBytes(tensor, type, count, data, owned, error)) {
      error = what + " " + error;
      return false;
    }
  }
  if (type == DType::I1 && data != owned.data()) {
    // Any non-zero byte is true; the importer stores 0 or 1.
    owned.resize(count);
    for (uint64_t i = 0; i < count; ++i)
      owned[i] = data[i] != 0;
    data = owned.data();
  }
  if (!runtime::appendConverted(out, type, data, count, t.dtype, error)) {
    error = what + ": " + error;
    return false;
  }
  return true;
}

bool OnnxWriter::typedBytes(const onnx::TensorProto &tensor, DType type,
                            uint64_t count, const uint8_t *&data,
                            std::vector<uint8_t> &owned, std::string &error) {
  auto sizeError = [&](int have) {
    error = "holds " + std::to_string(have) + " values, its shape needs " +
            std::to_string(count);
    return false;
  };
  auto view = [&](const void *p) {
    data = static_cast<const uint8_t *>(p);
    return true;
  };
  switch (type) {
  case DType::F32:
    if (static_cast<uint64_t>(tensor.float_data_size()) != count)
      return sizeError(tensor.float_data_size());
    return view(tensor.float_data().data());
  case DType::I64:
    if (static_cast<uint64_t>(tensor.int64_data_size()) != count)
      return sizeError(tensor.int64_data_size());
    return view(tensor.int64_data().data());
  case DType::I32:
    if (static_cast<uint64_t>(tensor.int32_data_size()) != count)
      return sizeError(tensor.int32_data_size());
    return view(tensor.int32_data().data());
  default:
    break;
  }
  // BOOL and the 16/8-bit floats keep their values (or bit patterns) in
  // int32_data, one per element.
  if (static_cast<uint64_t>(tensor.int32_data_size()) != count)
    return sizeError(tensor.int32_data_size());
  size_t width = kestrel::dtypeSize(type);
  owned.resize(count * width);
  for (uint64_t i = 0; i < count; ++i) {
    int32_t v = tensor.int32_data(static_cast<int>(i));
    if (type == DType::I1) {
      owned[i] = v != 0;
    } else {
      uint16_t bits = static_cast<uint16_t>(v);
      std::memcpy(owned.data() + i * width, &bits, width);
    }
  }
  data = owned.data();
  return true;
}

} // namespace

bool writeOnnxWeights(const runtime::WeightsManifest &manifest,
                      const std::string &onnxPath,
                      runtime::WeightsStreamWriter &out, std::string &error) {
  try {
    OnnxWriter writer(onnxPath, out);
    return writer.run(manifest, error);
  } catch (const std::exception &e) {
    error = onnxPath + ": " + e.what();
    return false;
  }
}

} // namespace kestrel::pack
