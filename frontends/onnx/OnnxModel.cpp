//===- OnnxModel.cpp - Loading ONNX protobufs without exceptions ----------===//
//
// Built with exceptions on: protobuf and libonnx report some failures by
// throwing, and nothing may escape into the exception-free importer.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxModel.h"

#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kestrel::onnx_frontend {

int64_t onnxLibraryMaxOpset() {
  return onnx::OpSchemaRegistry::DomainToVersionRange::Instance()
      .Map()
      .at(onnx::ONNX_DOMAIN)
      .second;
}

int64_t schemaSinceVersion(const std::string &domain, const std::string &op,
                           int64_t opset) {
  try {
    const onnx::OpSchema *schema =
        onnx::OpSchemaRegistry::Schema(op, static_cast<int>(opset), domain);
    return schema ? schema->SinceVersion() : -1;
  } catch (const std::exception &) {
    return -1;
  }
}

/// Why `st` is not a regular file ("" when it is).
static std::string notRegularFile(const struct stat &st) {
  if (S_ISREG(st.st_mode))
    return "";
  if (S_ISDIR(st.st_mode))
    return "is a directory, not a model file";
  return std::string("is not a regular file (") +
         (S_ISFIFO(st.st_mode)   ? "a FIFO"
          : S_ISSOCK(st.st_mode) ? "a socket"
          : S_ISCHR(st.st_mode)  ? "a character device"
          : S_ISBLK(st.st_mode)  ? "a block device"
                                 : "not a plain file") +
         ")";
}

int openRegularFile(const std::string &path, int64_t &size,
                    std::string &error) {
  // Opened without blocking (a FIFO would wait for a writer) and checked
  // through the descriptor, so nothing swapped in after a check is read.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = std::string("cannot open the file: ") + std::strerror(errno);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = std::string("cannot open the file: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (std::string why = notRegularFile(st); !why.empty()) {
    error = why;
    ::close(fd);
    return -1;
  }
  size = static_cast<int64_t>(st.st_size);
  return fd;
}

bool readModelBytes(const std::string &path, std::string &bytes,
                    std::string &error) {
  // POSIX calls, not iostreams: a stream on a directory opens and then
  // throws from its first read.
  int64_t size = 0;
  int fd = openRegularFile(path, size, error);
  if (fd < 0) {
    if (error.rfind("cannot", 0) != 0)
      error += "; give the path of an .onnx file";
    return false;
  }
  bytes.clear();
  bytes.reserve(static_cast<size_t>(size));
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      error = std::string("cannot read the file: ") + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0)
      break;
    bytes.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  if (bytes.empty()) {
    error = "the file is empty";
    return false;
  }
  return true;
}

bool loadModel(const std::string &path, onnx::ModelProto &model,
               std::string &error) {
  std::string bytes;
  return readModelBytes(path, bytes, error) && parseModel(bytes, model, error);
}

bool parseModel(const std::string &bytes, onnx::ModelProto &model,
                std::string &error) {
  try {
    if (!model.ParseFromString(bytes)) {
      error = "not an ONNX model (the protobuf does not parse; the file is "
              "truncated or of another format)";
      return false;
    }
  } catch (const std::exception &e) {
    error = std::string("not an ONNX model: ") + e.what();
    return false;
  }
  if (!model.has_graph() || model.opset_import_size() == 0) {
    error = "not an ONNX model (no graph or no opset import)";
    return false;
  }
  return true;
}

bool loadTensor(const std::string &path, onnx::TensorProto &tensor,
                std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return false;
  }
  try {
    if (!tensor.ParseFromIstream(&in)) {
      error = "'" + path + "' is not a serialized TensorProto";
      return false;
    }
  } catch (const std::exception &e) {
    error = "'" + path + "': " + e.what();
    return false;
  }
  return true;
}

/// The number of values `t` holds inline (raw bytes or its type's field),
/// or -1 for data types not checked here (external data included).
static int64_t storedValues(const onnx::TensorProto &t) {
  using T = onnx::TensorProto;
  if (t.data_location() == T::EXTERNAL)
    return -1;
  int64_t bytes = 0;
  switch (t.data_type()) {
  case T::BOOL:
  case T::INT8:
  case T::UINT8:
  case 17: // the four 8-bit float types (newer than libonnx 1.12's enum)
  case 18:
  case 19:
  case 20:
    bytes = 1;
    break;
  case T::INT16:
  case T::UINT16:
  case T::FLOAT16:
  case T::BFLOAT16:
    bytes = 2;
    break;
  case T::FLOAT:
  case T::INT32:
  case T::UINT32:
    bytes = 4;
    break;
  case T::INT64:
  case T::UINT64:
  case T::DOUBLE:
    bytes = 8;
    break;
  default:
    return -1;
  }
  if (t.has_raw_data()) {
    int64_t size = static_cast<int64_t>(t.raw_data().size());
    return size % bytes ? -2 : size / bytes; // -2: no whole number
  }
  switch (t.data_type()) {
  case T::FLOAT:
    return t.float_data_size();
  case T::INT64:
    return t.int64_data_size();
  case T::DOUBLE:
    return t.double_data_size();
  case T::UINT32:
  case T::UINT64:
    return t.uint64_data_size();
  default:
    return t.int32_data_size();
  }
}

/// True when every initializer and tensor attribute holds the values its
/// dims ask for. libonnx's shape inference reads some (Range's bounds,
/// Reshape's target, Slice's starts) by their dims without checking: a
/// scalar whose value sat in the wrong field crashed Range's inference.
static bool tensorsWellFormed(const onnx::GraphProto &g) {
  auto wellFormed = [](const onnx::TensorProto &t) {
    int64_t stored = storedValues(t);
    if (stored == -1)
      return true;
    int64_t count = 1;
    for (int64_t d : t.dims())
      if (d < 0 || __builtin_mul_overflow(count, d, &count))
        return false;
    return stored == count;
  };
  for (const onnx::TensorProto &t : g.initializer())
    if (!wellFormed(t))
      return false;
  for (const onnx::NodeProto &node : g.node())
    for (const onnx::AttributeProto &a : node.attribute())
      if (a.has_t() && !wellFormed(a.t()))
        return false;
  return true;
}

/// True when every input of every node that has a data propagator is typed:
/// a graph input or output, a value_info or an initializer.
static bool propagatorInputsTyped(const onnx::ModelProto &model) {
  const onnx::GraphProto &g = model.graph();
  std::unordered_set<std::string> typed;
  for (const auto *values : {&g.input(), &g.output(), &g.value_info()})
    for (const onnx::ValueInfoProto &v : *values)
      if (v.has_type())
        typed.insert(v.name());
  for (const onnx::TensorProto &t : g.initializer())
    typed.insert(t.name());
  auto canonical = [](const std::string &domain) {
    return domain == "ai.onnx" ? std::string() : domain;
  };
  std::map<std::string, int64_t> opsets;
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    opsets[canonical(o.domain())] = o.version();
  for (const onnx::NodeProto &node : g.node()) {
    auto opset = opsets.find(canonical(node.domain()));
    if (opset == opsets.end())
      continue;
    const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
        node.op_type(), static_cast<int>(opset->second), opset->first);
    if (!schema || !schema->has_data_propagation_function())
      continue;
    for (const std::string &input : node.input())
      if (!input.empty() && !typed.count(input))
        return false;
  }
  return true;
}

namespace {

/// libonnx's schemas, with a check before the shape inference of two kinds
/// of ops:
///  - the ops that turn a shape operand's length into a rank: lacking the
///    operand's values, libonnx's getShapeInput adds one dim per entry, so
///    a length of 2.4e11 (a Reshape to [236223201279] feeding Expand, from
///    the fuzzer) ran it out of memory;
///  - the convolutions, whose shared convPoolShapeInference takes the
///    kernel's spatial dims from the weight's shape and indexes the
///    per-dim dilations, sized by the input's spatial dims, with them: a
///    weight of higher rank than the input (the fuzzer: x [c, 8], w
///    [2, 4, 3]) read past an empty vector.
class GuardedSchemaRegistry : public onnx::ISchemaRegistry {
public:
  const onnx::OpSchema *GetSchema(const std::string &opType, int maxVersion,
                                  const std::string &domain) const override {
    const onnx::OpSchema *schema =
        onnx::OpSchemaRegistry::Schema(opType, maxVersion, domain);
    int shapeOperand = shapeOperandOf(domain, opType);
    int weight = convWeightOf(domain, opType);
    if (!schema || (shapeOperand < 0 && weight < 0))
      return schema;
    auto [it, added] = guarded.try_emplace(schema, *schema);
    if (added)
      it->second.TypeAndShapeInferenceFunction(
          [infer = schema->GetTypeAndShapeInferenceFunction(), shapeOperand,
           weight](onnx::InferenceContext &ctx) {
            if (shapeOperand >= 0 && onnx::hasInputShape(ctx, shapeOperand)) {
              const onnx::TensorShapeProto &shape =
                  onnx::getInputShape(ctx, shapeOperand);
              if (shape.dim_size() == 1 && shape.dim(0).has_dim_value() &&
                  shape.dim(0).dim_value() > kMaxShapeOperandLength)
                fail_shape_inference("the shape operand has ",
                                     shape.dim(0).dim_value(), " entries");
            }
            if (weight >= 0 && onnx::hasInputShape(ctx, 0) &&
                onnx::hasInputShape(ctx, weight)) {
              int x = onnx::getInputShape(ctx, 0).dim_size();
              int w = onnx::getInputShape(ctx, weight).dim_size();
              if (x != w)
                fail_shape_inference("the input has rank ", x,
                                     " and the weight rank ", w);
            }
            infer(ctx);
          });
    return &it->second;
  }

private:
  static int shapeOperandOf(const std::string &domain,
                            const std::string &opType) {
    if (!domain.empty() && domain != "ai.onnx")
      return -1;
    if (opType == "Reshape" || opType == "Expand")
      return 1;
    if (opType == "ConstantOfShape")
      return 0;
    if (opType == "Resize")
      return 3;
    return -1;
  }

  /// The weight operand of the convolutions whose libonnx inference reads
  /// the kernel's shape from it, or -1.
  static int convWeightOf(const std::string &domain,
                          const std::string &opType) {
    if (!domain.empty() && domain != "ai.onnx")
      return -1;
    if (opType == "Conv" || opType == "ConvInteger" ||
        opType == "ConvTranspose")
      return 1;
    if (opType == "QLinearConv")
      return 3;
    return -1;
  }

  mutable std::map<const onnx::OpSchema *, onnx::OpSchema> guarded;
};

} // namespace

bool inferOnnxShapes(onnx::ModelProto &model, std::string &error) {
  // Types first, then the values of shape computations (Shape -> Gather ->
  // Concat -> Reshape) in a second pass over the typed graph. libonnx
  // 1.12's data propagators read their inputs' types unchecked, and a value
  // nothing typed (made by a node whose inference failed, which the
  // non-strict mode skips, or by an op libonnx does not know) crashes them
  // with a null dereference, not an exception. After the first pass every
  // value that can be typed is, and a node that fails in the second keeps
  // its first types; where a propagator would still see an untyped input,
  // the second pass is left out.
  // A malformed tensor is left to the importer, which reports it by name.
  if (!tensorsWellFormed(model.graph()))
    return true;
  try {
    GuardedSchemaRegistry guarded;
    const onnx::ISchemaRegistry *registry = &guarded;
    onnx::shape_inference::InferShapes(
        model, registry,
        onnx::ShapeInferenceOptions{/*check_type=*/false, /*error_mode=*/0,
                                    /*enable_data_propagation=*/false});
    if (propagatorInputsTyped(model))
      onnx::shape_inference::InferShapes(
          model, registry,
          onnx::ShapeInferenceOptions{/*check_type=*/false, /*error_mode=*/0,
                                      /*enable_data_propagation=*/true});
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  }
  return true;
}

/// What libonnx's version converter needs and does not check itself (its
/// graph import dereferences null for an undefined name): no subgraphs,
/// every graph output and node input defined, every value defined once.
/// The reason it does not hold, or "".
static std::string convertibleGraph(const onnx::GraphProto &g) {
  std::unordered_set<std::string> defined;
  for (const onnx::ValueInfoProto &v : g.input())
    defined.insert(v.name());
  for (const onnx::TensorProto &t : g.initializer())
    defined.insert(t.name());
  for (const onnx::NodeProto &node : g.node()) {
    for (const onnx::AttributeProto &a : node.attribute())
      if (a.has_g() || a.graphs_size() > 0)
        return "node '" + node.name() + "' (" + node.op_type() +
               ") has a subgraph";
    for (const std::string &in : node.input())
      if (!in.empty() && !defined.count(in))
        return "input '" + in + "' of node '" + node.name() +
               "' is not defined before it";
    for (const std::string &out : node.output())
      if (!out.empty() && !defined.insert(out).second)
        return "value '" + out + "' is defined more than once";
  }
  for (const onnx::ValueInfoProto &v : g.output())
    if (!defined.count(v.name()))
      return "graph output '" + v.name() + "' is not defined";
  return "";
}

bool convertOnnxOpset(onnx::ModelProto &model, int64_t target,
                      std::string &error) {
  if (!tensorsWellFormed(model.graph())) {
    error = "the model has malformed tensors";
    return false;
  }
  if (std::string why = convertibleGraph(model.graph()); !why.empty()) {
    error = why;
    return false;
  }
  try {
    // The checker guards the converter against malformed graphs; it also
    // wants a shape on every graph input and output, which ONNX Runtime
    // does not (an output of unknown rank): those get one in its copy only.
    onnx::ModelProto checked = model;
    for (auto *values : {checked.mutable_graph()->mutable_input(),
                         checked.mutable_graph()->mutable_output()})
      for (onnx::ValueInfoProto &v : *values)
        if (v.type().has_tensor_type() && !v.type().tensor_type().has_shape())
          v.mutable_type()->mutable_tensor_type()->mutable_shape();
    onnx::checker::check_model(checked);
    // Some adapters (Softmax 12 -> 13) need the shapes of their inputs.
    if (!inferOnnxShapes(model, error))
      return false;
    onnx::ModelProto converted =
        onnx::version_conversion::ConvertVersion(model, int(target));
    model.Swap(&converted);
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  }
  return true;
}

bool externalDataLocation(const onnx::TensorProto &tensor,
                          const std::string &modelDir, std::string &path,
                          int64_t &offset, int64_t &length,
                          std::string &error) {
  std::string location;
  offset = 0;
  length = -1;
  try {
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::stoll(entry.value());
      else if (entry.key() == "length")
        length = std::stoll(entry.value());
    }
  } catch (const std::exception &) {
    error = "external data of '" + tensor.name() +
            "' has a non-numeric offset or length";
    return false;
  }
  if (location.empty()) {
    error = "external data of '" + tensor.name() + "' has no location";
    return false;
  }
  if (location.find("..") != std::string::npos || location.front() == '/') {
    error = "external data location '" + location + "' of '" + tensor.name() +
            "' leaves the model's directory";
    return false;
  }
  path = modelDir.empty() ? location : modelDir + "/" + location;
  return true;
}

bool readExternalData(const onnx::TensorProto &tensor,
                      const std::string &modelDir, std::string &bytes,
                      std::string &error) {
  std::string path;
  int64_t offset, length;
  if (!externalDataLocation(tensor, modelDir, path, offset, length, error))
    return false;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (std::string why = notRegularFile(st); !why.empty()) {
      error =
          "external data file '" + path + "' of '" + tensor.name() + "' " + why;
      return false;
    }
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = "external data file '" + path + "' of '" + tensor.name() +
            "' cannot be opened";
    return false;
  }
  int64_t size = in.tellg();
  if (length < 0)
    length = size - offset;
  if (offset < 0 || length < 0 || offset + length > size) {
    std::ostringstream os;
    os << "external data file '" << path << "' holds " << size
       << " bytes, but '" << tensor.name() << "' needs bytes [" << offset
       << ", " << offset + length << ")";
    error = os.str();
    return false;
  }
  bytes.resize(length);
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (!in) {
    error = "reading external data file '" + path + "' failed";
    return false;
  }
  return true;
}

} // namespace kestrel::onnx_frontend
