//===- OnnxImporter.cpp - ONNX to kestrel dialect importer ----------------===//
//
// Loads the model, checks that every node has an importer, orders the nodes
// (rejecting cycles and undefined values), and imports the graph into
// func.func @main: inputs become arguments (symbolic dims stay dynamic, their
// names kept in `kestrel.dim_names`), initializers and Constant nodes become
// kestrel.constant (small) or kestrel.weight (model data) ops, and each node
// goes through its op importer.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/OnnxModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <functional>
#include <map>

using namespace mlir;

namespace kestrel::onnx_frontend {

static StringRef canonicalDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

Type convertElementType(MLIRContext *context, int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case 17: /* FLOAT8E4M3FN (newer than libonnx 1.12's enum) */
    return b.getType<Float8E4M3FNType>();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return nullptr;
  }
}

std::string onnxTypeName(int32_t onnxType) {
  switch (onnxType) {
  case 17:
    return "FLOAT8E4M3FN";
  case 18:
    return "FLOAT8E4M3FNUZ";
  case 19:
    return "FLOAT8E5M2";
  case 20:
    return "FLOAT8E5M2FNUZ";
  case 21:
    return "UINT4";
  case 22:
    return "INT4";
  case 23:
    return "FLOAT4E2M1";
  default:
    break;
  }
  if (onnx::TensorProto_DataType_IsValid(onnxType))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(onnxType));
  return "data type " + std::to_string(onnxType);
}

std::vector<OpCount> collectOpStats(const onnx::ModelProto &model) {
  std::map<std::string, int64_t> opsets;
  for (const auto &o : model.opset_import())
    opsets[canonicalDomain(o.domain()).str()] = o.version();
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t> counts;
  for (const auto &node : model.graph().node()) {
    std::string domain = canonicalDomain(node.domain()).str();
    auto it = opsets.find(domain);
    counts[{domain, node.op_type(), it == opsets.end() ? 0 : it->second}]++;
  }
  std::vector<OpCount> rows;
  for (const auto &[key, count] : counts)
    rows.push_back(
        {std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
  return rows;
}

static std::vector<OpEntry> allOps() {
  std::vector<OpEntry> ops;
  registerMathOps(ops);
  registerNNOps(ops);
  registerTensorOps(ops);
  registerAttentionOps(ops);
  registerContribOps(ops);
  registerQuantOps(ops);
  return ops;
}

std::vector<SupportedOp> supportedOps() {
  std::vector<SupportedOp> rows;
  for (const OpEntry &e : allOps())
    rows.push_back({e.domain, e.opType, e.minOpset, e.notes});
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return std::tie(a.domain, a.opType) < std::tie(b.domain, b.opType);
  });
  return rows;
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext &context, onnx::ModelProto &model,
                             StringRef path, const ImportOptions &options)
    : context(context), builder(&context), model(model), options(options),
      path(path.str()), dir(llvm::sys::path::parent_path(path).str()) {
  for (const auto &o : model.opset_import())
    opsets[canonicalDomain(o.domain())] = o.version();
  for (const OpEntry &e : allOps())
    registry[(Twine(e.domain) + "|" + e.opType).str()] = e;
}

const OpEntry *GraphImporter::lookup(StringRef domain, StringRef opType) const {
  auto it =
      registry.find((Twine(canonicalDomain(domain)) + "|" + opType).str());
  return it == registry.end() ? nullptr : &it->second;
}

Location GraphImporter::fileLoc() const {
  return FileLineColLoc::get(&context, path, 0, 0);
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node, int index) const {
  std::string name = node.name().empty()
                         ? (Twine(node.op_type()) + "#" + Twine(index)).str()
                         : node.name();
  return NameLoc::get(StringAttr::get(&context, name), fileLoc());
}

RankedTensorType GraphImporter::convertType(const onnx::TypeProto &type) const {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return nullptr;
  Type element = convertElementType(&context, type.tensor_type().elem_type());
  if (!element)
    return nullptr;
  SmallVector<int64_t> shape;
  for (const auto &d : type.tensor_type().shape().dim())
    shape.push_back(d.has_dim_value() && d.dim_value() >= 0
                        ? d.dim_value()
                        : ShapedType::kDynamic);
  // A declaration no tensor can match declares nothing.
  if (!staticElementCount(shape))
    return nullptr;
  return RankedTensorType::get(shape, element);
}

bool GraphImporter::readsNonZero(Operation *op) {
  // Depth first over the operands' definitions, without recursion (graphs
  // are thousands of ops deep): an op is decided once its operands' are.
  SmallVector<Operation *> stack = {op};
  while (!stack.empty()) {
    Operation *current = stack.back();
    if (nonZeroReaders.count(current)) {
      stack.pop_back();
      continue;
    }
    bool found = isa<NonZeroOp>(current);
    SmallVector<Operation *> undecided;
    for (Value operand : current->getOperands())
      if (Operation *def = operand.getDefiningOp()) {
        auto it = nonZeroReaders.find(def);
        if (it == nonZeroReaders.end())
          undecided.push_back(def);
        else
          found = found || it->second;
      }
    if (found || undecided.empty()) {
      nonZeroReaders[current] = found;
      stack.pop_back();
    } else {
      llvm::append_range(stack, undecided);
    }
  }
  return nonZeroReaders.lookup(op);
}

RankedTensorType GraphImporter::declaredType(StringRef name) const {
  auto it = declared.find(name);
  return it == declared.end() ? nullptr : convertType(*it->second);
}

FailureOr<RankedTensorType>
GraphImporter::tensorType(const onnx::TensorProto &tensor, Location loc) {
  Type element = convertElementType(&context, tensor.data_type());
  if (!element)
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' has element type "
                          << onnxTypeName(tensor.data_type())
                          << ", which Kestrel does not support";
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return emitError(loc) << "tensor '" << tensor.name()
                            << "' has a negative dimension " << d;
    shape.push_back(d);
  }
  if (!staticElementCount(shape))
    return emitError(loc) << "tensor '" << tensor.name() << "' has shape "
                          << formatShape(shape)
                          << ", more elements than a 64-bit count holds";
  return RankedTensorType::get(shape, element);
}

FailureOr<DenseElementsAttr>
GraphImporter::decodeTensor(const onnx::TensorProto &tensor, Location loc) {
  FailureOr<RankedTensorType> tensorTy = tensorType(tensor, loc);
  if (failed(tensorTy))
    return failure();
  RankedTensorType type = *tensorTy;
  Type element = type.getElementType();
  int64_t count = type.getNumElements();
  if (tensor.has_segment())
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' is segmented, which Kestrel does not support";

  std::string external;
  const std::string *raw = nullptr;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string error;
    if (!readExternalData(tensor, dir, external, error)) {
      InFlightDiagnostic diag = emitError(loc) << error;
      std::string file;
      int64_t offset, length;
      if (externalDataLocation(tensor, dir, file, offset, length, error) &&
          !llvm::sys::fs::exists(file))
        diag.attachNote() << "kestrelc --no-weight-data compiles without "
                             "the weight data; kestrel-pack then writes the "
                             "weights file";
      return diag;
    }
    raw = &external;
  } else if (tensor.has_raw_data()) {
    raw = &tensor.raw_data();
  }

  unsigned bits = element.getIntOrFloatBitWidth();
  if (raw) {
    int64_t bytesPer = element.isInteger(1) ? 1 : bits / 8;
    if (static_cast<int64_t>(raw->size()) != count * bytesPer)
      return emitError(loc) << "tensor '" << tensor.name() << "' holds "
                            << raw->size() << " bytes, but its shape and type "
                            << "need " << count * bytesPer;
    if (element.isInteger(1)) {
      SmallVector<bool> values;
      for (char c : *raw)
        values.push_back(c != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(values));
    }
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(raw->data(), raw->size()));
  }

  auto sizeError = [&](int64_t have) {
    return emitError(loc) << "tensor '" << tensor.name() << "' holds " << have
                          << " values, but its shape needs " << count;
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT: {
    if (tensor.float_data_size() != count)
      return sizeError(tensor.float_data_size());
    SmallVector<float> v(tensor.float_data().begin(),
                         tensor.float_data().end());
    return DenseElementsAttr::get(type, ArrayRef<float>(v));
  }
  case onnx::TensorProto::INT64: {
    if (tensor.int64_data_size() != count)
      return sizeError(tensor.int64_data_size());
    SmallVector<int64_t> v(tensor.int64_data().begin(),
                           tensor.int64_data().end());
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(v));
  }
  default: {
    // INT32, BOOL and the 16/8-bit floats keep their values (or bit
    // patterns) in int32_data.
    if (tensor.int32_data_size() != count)
      return sizeError(tensor.int32_data_size());
    if (element.isInteger(1)) {
      SmallVector<bool> v;
      for (int32_t x : tensor.int32_data())
        v.push_back(x != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(v));
    }
    SmallVector<APInt> v;
    for (int32_t x : tensor.int32_data())
      v.push_back(APInt(bits, static_cast<uint64_t>(x), /*isSigned=*/true,
                        /*implicitTrunc=*/true));
    if (isa<FloatType>(element)) {
      SmallVector<APFloat> f;
      for (const APInt &x : v)
        f.push_back(APFloat(cast<FloatType>(element).getFloatSemantics(), x));
      return DenseElementsAttr::get(type, f);
    }
    return DenseElementsAttr::get(type, v);
  }
  }
}

/// Tensors with at most this many elements (or integer tensors up to the
/// inline-literal limit) become constants the importer can fold through;
/// everything else is model data, imported as a kestrel.weight.
static bool isSmallLiteral(Type element, int64_t count) {
  return count <= 16 || (isa<IntegerType>(element) && count <= (1 << 16));
}

FailureOr<Value> GraphImporter::importTensor(const onnx::TensorProto &tensor,
                                             StringRef name, Location loc) {
  if (options.skipExternalWeightData &&
      tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<RankedTensorType> type = tensorType(tensor, loc);
    if (failed(type))
      return failure();
    // Nothing reads a weight's data at compile time (kestrel.weight has no
    // folder and is not constant-like), so a data-less one cannot be folded
    // wrongly; an op that needs a constant operand reports it as computed.
    std::string file, error;
    int64_t offset, length;
    if (!isSmallLiteral(type->getElementType(), type->getNumElements()) ||
        !externalDataLocation(tensor, dir, file, offset, length, error) ||
        !llvm::sys::fs::exists(file))
      return WeightOp::create(builder, loc, *type, name).getResult();
  }
  FailureOr<DenseElementsAttr> data = decodeTensor(tensor, loc);
  if (failed(data))
    return failure();
  if (isSmallLiteral(data->getElementType(), data->getNumElements()))
    return ConstantOp::create(builder, loc, *data).getResult();
  if (options.onWeight)
    options.onWeight(name, *data);
  return WeightOp::create(builder, loc, data->getType(), name).getResult();
}

const onnx::TensorProto *GraphImporter::initializer(StringRef name) const {
  return initializers.lookup(name);
}

int64_t GraphImporter::readers(StringRef value) {
  if (!readerCounts) {
    readerCounts.emplace();
    std::function<void(const onnx::GraphProto &)> count =
        [&](const onnx::GraphProto &g) {
          for (const auto &node : g.node()) {
            for (const auto &in : node.input())
              ++(*readerCounts)[in];
            for (const auto &a : node.attribute())
              if (a.has_g())
                count(a.g());
          }
          for (const auto &out : g.output())
            ++(*readerCounts)[out.name()];
        };
    count(model.graph());
  }
  return readerCounts->lookup(value);
}

bool GraphImporter::skipsData(const onnx::TensorProto &tensor) const {
  return options.skipExternalWeightData &&
         tensor.data_location() == onnx::TensorProto::EXTERNAL;
}

/// The element count of a tensor literal the importer reads itself;
/// emits an error at `loc` and fails for a segmented literal or a negative
/// or overflowing shape.
static FailureOr<int64_t> literalElements(const onnx::TensorProto &tensor,
                                          Location loc) {
  if (tensor.has_segment())
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' is segmented, which Kestrel does not support";
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && count > (int64_t(1) << 40) / d))
      return emitError(loc)
             << "tensor '" << tensor.name() << "' has an invalid shape";
    count *= d;
  }
  return count;
}

FailureOr<std::string> GraphImporter::uint8Data(const onnx::TensorProto &tensor,
                                                Location loc) {
  if (tensor.data_type() != onnx::TensorProto::UINT8)
    return emitError(loc) << "tensor '" << tensor.name() << "' must be UINT8, "
                          << "got " << onnxTypeName(tensor.data_type());
  FailureOr<int64_t> numel = literalElements(tensor, loc);
  if (failed(numel))
    return failure();
  int64_t count = *numel;
  std::string bytes;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string error;
    if (!readExternalData(tensor, dir, bytes, error))
      return emitError(loc) << error;
  } else if (tensor.has_raw_data()) {
    bytes = tensor.raw_data();
  } else {
    for (int32_t v : tensor.int32_data()) {
      if (v < 0 || v > 255)
        return emitError(loc) << "tensor '" << tensor.name() << "' holds " << v
                              << ", not a UINT8 value";
      bytes.push_back(char(uint8_t(v)));
    }
  }
  if (int64_t(bytes.size()) != count)
    return emitError(loc) << "tensor '" << tensor.name() << "' holds "
                          << bytes.size() << " bytes, but its shape needs "
                          << count;
  return bytes;
}

FailureOr<std::vector<double>>
GraphImporter::quantizedData(const onnx::TensorProto &tensor, Location loc) {
  // ONNX's TensorProto.DataType codes (some are newer than libonnx's enum).
  enum : int32_t {
    kUint8 = 2,
    kInt8 = 3,
    kUint16 = 4,
    kInt16 = 5,
    kInt32 = 6,
    kE4M3FN = 17,
    kE4M3FNUZ = 18,
    kE5M2 = 19,
    kE5M2FNUZ = 20,
    kUint4 = 21,
    kInt4 = 22,
  };
  int32_t type = tensor.data_type();
  int bits = 0;
  bool isSigned = false, isFloat8 = false;
  switch (type) {
  case kUint8:
    bits = 8;
    break;
  case kInt8:
    bits = 8;
    isSigned = true;
    break;
  case kUint16:
    bits = 16;
    break;
  case kInt16:
    bits = 16;
    isSigned = true;
    break;
  case kInt32:
    bits = 32;
    isSigned = true;
    break;
  case kUint4:
    bits = 4;
    break;
  case kInt4:
    bits = 4;
    isSigned = true;
    break;
  case kE4M3FN:
  case kE4M3FNUZ:
  case kE5M2:
  case kE5M2FNUZ:
    bits = 8;
    isFloat8 = true;
    break;
  default:
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' must hold quantized values (4- to 32-bit "
                             "integers or FLOAT8), got "
                          << onnxTypeName(type);
  }
  FailureOr<int64_t> numel = literalElements(tensor, loc);
  if (failed(numel))
    return failure();
  int64_t count = *numel;
  // Each value's bit pattern, from raw little-endian bytes (4-bit values
  // two to a byte, low nibble first) or from int32_data (one per entry).
  std::vector<uint32_t> patterns;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL ||
      tensor.has_raw_data()) {
    std::string bytes;
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
      std::string error;
      if (!readExternalData(tensor, dir, bytes, error))
        return emitError(loc) << error;
    } else {
      bytes = tensor.raw_data();
    }
    int64_t need = bits == 4 ? (count + 1) / 2 : count * (bits / 8);
    if (int64_t(bytes.size()) != need)
      return emitError(loc)
             << "tensor '" << tensor.name() << "' holds " << bytes.size()
             << " bytes, but its shape needs " << need;
    patterns.resize(size_t(count));
    for (int64_t i = 0; i < count; ++i) {
      if (bits == 4) {
        uint8_t byte = uint8_t(bytes[size_t(i / 2)]);
        patterns[size_t(i)] = i % 2 ? byte >> 4 : byte & 0xfu;
        continue;
      }
      uint32_t v = 0;
      for (int b = 0; b < bits / 8; ++b)
        v |= uint32_t(uint8_t(bytes[size_t(i * (bits / 8) + b)])) << (8 * b);
      patterns[size_t(i)] = v;
    }
  } else {
    if (int64_t(tensor.int32_data_size()) !=
        (bits == 4 ? (count + 1) / 2 : count))
      return emitError(loc) << "tensor '" << tensor.name() << "' holds "
                            << tensor.int32_data_size()
                            << " int32_data entries for " << count << " values";
    for (int64_t i = 0; i < count; ++i) {
      uint32_t v =
          bits == 4 ? uint32_t(tensor.int32_data(int(i / 2))) >> (4 * (i % 2))
                    : uint32_t(tensor.int32_data(int(i)));
      patterns.push_back(bits == 32 ? v : v & ((1u << bits) - 1));
    }
  }
  std::vector<double> decoded(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    uint32_t v = patterns[size_t(i)];
    if (isFloat8) {
      const llvm::fltSemantics &semantics =
          type == kE4M3FN     ? APFloat::Float8E4M3FN()
          : type == kE4M3FNUZ ? APFloat::Float8E4M3FNUZ()
          : type == kE5M2     ? APFloat::Float8E5M2()
                              : APFloat::Float8E5M2FNUZ();
      decoded[size_t(i)] = APFloat(semantics, APInt(8, v)).convertToDouble();
    } else if (isSigned && bits < 32) {
      decoded[size_t(i)] = double(int32_t(v << (32 - bits)) >> (32 - bits));
    } else if (isSigned) {
      decoded[size_t(i)] = double(int32_t(v));
    } else {
      decoded[size_t(i)] = double(v);
    }
  }
  return decoded;
}

Value GraphImporter::derivedWeight(StringRef name, DenseElementsAttr data,
                                   Location loc) {
  if (options.onWeight)
    options.onWeight(name, data);
  return WeightOp::create(builder, loc, data.getType(), name).getResult();
}

LogicalResult GraphImporter::checkOpsSupported() {
  auto it = opsets.find("");
  if (it == opsets.end())
    return emitError(fileLoc()) << "the model imports no default-domain opset";
  if (it->second > kMaxOnnxOpset)
    return emitError(fileLoc())
           << "the model uses ONNX opset " << it->second
           << "; Kestrel imports opsets " << kMinOnnxOpset << " to "
           << kMaxOnnxOpset << " (re-export with a supported opset)";
  if (it->second < kMinOnnxOpset) {
    // An older model imports as it is when none of its ops changed schema
    // between its opset and the oldest one Kestrel implements; otherwise
    // libonnx's version converter rewrites it to that opset first.
    // If's and Constant's later versions only added types (sequences,
    // optionals, bfloat16) and attribute forms: older ones mean the same
    // (and the converter cannot rewrite If's branches); the nodes of the
    // branches are checked too.
    bool changed = false;
    std::function<LogicalResult(const onnx::GraphProto &)> check =
        [&](const onnx::GraphProto &graph) -> LogicalResult {
      for (const auto &[i, node] : llvm::enumerate(graph.node())) {
        for (const auto &a : node.attribute())
          if (a.has_g() && failed(check(a.g())))
            return failure();
        if (!canonicalDomain(node.domain()).empty())
          continue;
        int64_t then = schemaSinceVersion("", node.op_type(), it->second);
        int64_t now = schemaSinceVersion("", node.op_type(), kMinOnnxOpset);
        if (then < 0)
          return emitError(nodeLoc(node, i))
                 << node.op_type() << ": not an op of ONNX opset "
                 << it->second;
        changed |= then != now && node.op_type() != "If" &&
                   node.op_type() != "Constant";
      }
      return success();
    };
    if (failed(check(model.graph())))
      return failure();
    if (changed) {
      int64_t from = it->second;
      // The converter, like shape inference, wants a sorted graph.
      FailureOr<std::vector<const onnx::NodeProto *>> order = sortNodes();
      if (failed(order))
        return failure();
      sortModelNodes(*order);
      std::string error;
      if (!convertOnnxOpset(model, kMinOnnxOpset, error))
        return emitError(fileLoc())
               << "the model uses ONNX opset " << from
               << ", older than Kestrel imports (" << kMinOnnxOpset << " to "
               << kMaxOnnxOpset
               << "), and ONNX's version converter could not convert it: "
               << error << " (re-export with a newer opset)";
      opsets.clear();
      for (const auto &o : model.opset_import())
        opsets[canonicalDomain(o.domain())] = o.version();
      it = opsets.find("");
      if (it == opsets.end() || it->second != kMinOnnxOpset)
        return emitError(fileLoc())
               << "ONNX's version converter did not produce opset "
               << kMinOnnxOpset;
      emitRemark(fileLoc()) << "converted from ONNX opset " << from << " to "
                            << kMinOnnxOpset << " by ONNX's version converter";
    }
    it->second = kMinOnnxOpset;
  }
  struct Unsupported {
    int64_t count = 0;
    std::string firstNode;
  };
  std::map<std::tuple<std::string, std::string, int64_t>, Unsupported> missing;
  for (const auto &[i, node] : llvm::enumerate(model.graph().node())) {
    StringRef domain = canonicalDomain(node.domain());
    auto opset = opsets.find(domain);
    if (lookup(domain, node.op_type()) && opset != opsets.end())
      continue;
    Unsupported &u = missing[{domain.str(), node.op_type(),
                              opset == opsets.end() ? 0 : opset->second}];
    if (u.count++ == 0)
      u.firstNode = node.name().empty()
                        ? (Twine(node.op_type()) + "#" + Twine(i)).str()
                        : node.name();
  }
  if (missing.empty())
    return success();
  InFlightDiagnostic diag = emitError(fileLoc());
  diag << missing.size() << " unsupported op type(s):";
  for (const auto &[key, u] : missing) {
    const auto &[domain, op, opset] = key;
    diag << "\n  " << (domain.empty() ? "ai.onnx" : domain) << " " << op
         << " (opset " << opset << "): " << u.count << " node(s), first '"
         << u.firstNode << "'";
  }
  return failure();
}

/// The names `graph`'s nodes (and their nested graphs') read that it does
/// not define itself, appended to `reads`.
static void outerReads(const onnx::GraphProto &graph,
                       std::vector<std::string> &reads) {
  llvm::StringSet<> local;
  for (const auto &v : graph.input())
    local.insert(v.name());
  for (const auto &t : graph.initializer())
    local.insert(t.name());
  for (const auto &node : graph.node())
    for (const auto &out : node.output())
      local.insert(out);
  std::vector<std::string> nested;
  for (const auto &node : graph.node()) {
    for (const auto &in : node.input())
      nested.push_back(in);
    for (const auto &a : node.attribute())
      if (a.has_g())
        outerReads(a.g(), nested);
  }
  for (const std::string &name : nested)
    if (!name.empty() && !local.contains(name))
      reads.push_back(name);
}

FailureOr<std::vector<const onnx::NodeProto *>> GraphImporter::sortNodes() {
  const onnx::GraphProto &g = model.graph();
  llvm::StringSet<> defined;
  for (const auto &v : g.input())
    defined.insert(v.name());
  for (const auto &t : g.initializer())
    defined.insert(t.name());
  // Kahn's algorithm over value names; ONNX requires topological order, but
  // files in the wild (and malformed ones) do not always have it.
  std::vector<const onnx::NodeProto *> order;
  std::vector<const onnx::NodeProto *> pending;
  nodeIndex.clear();
  for (const auto &[i, node] : llvm::enumerate(g.node())) {
    pending.push_back(&node);
    nodeIndex[&node] = i;
  }
  llvm::StringSet<> produced;
  for (const auto &node : g.node())
    for (const auto &out : node.output())
      if (!out.empty() && !produced.insert(out).second)
        return emitError(fileLoc())
               << "value '" << out << "' is produced by more than one node";
  // The outer values an If's branches read (by name, not as inputs) are
  // dependencies too.
  llvm::DenseMap<const onnx::NodeProto *, std::vector<std::string>> implicit;
  for (const auto &node : g.node())
    for (const auto &a : node.attribute())
      if (a.has_g())
        outerReads(a.g(), implicit[&node]);
  while (!pending.empty()) {
    std::vector<const onnx::NodeProto *> next;
    for (const onnx::NodeProto *node : pending) {
      auto isDefined = [&](const std::string &in) {
        return in.empty() || defined.contains(in);
      };
      bool ready = llvm::all_of(node->input(), isDefined) &&
                   llvm::all_of(implicit.lookup(node), isDefined);
      if (!ready) {
        next.push_back(node);
        continue;
      }
      order.push_back(node);
      for (const auto &out : node->output())
        defined.insert(out);
    }
    if (next.size() == pending.size()) {
      const onnx::NodeProto *node = next.front();
      int index = nodeIndex.lookup(node);
      for (const auto &in : node->input())
        if (!in.empty() && !defined.contains(in))
          return emitError(nodeLoc(*node, index))
                 << node->op_type() << ": input '" << in << "' is "
                 << (produced.contains(in)
                         ? "produced only inside a cycle of the graph"
                         : "not defined by any node, graph input or "
                           "initializer");
      for (const std::string &in : implicit.lookup(node))
        if (!defined.contains(in))
          return emitError(nodeLoc(*node, index))
                 << node->op_type() << ": a subgraph reads '" << in
                 << "', which is "
                 << (produced.contains(in)
                         ? "produced only inside a cycle of the graph"
                         : "not defined by the subgraph, any node, graph "
                           "input or initializer");
      return emitError(nodeLoc(*node, index))
             << node->op_type() << ": its inputs are never all defined";
    }
    pending = std::move(next);
  }
  return order;
}

void GraphImporter::sortModelNodes(ArrayRef<const onnx::NodeProto *> order) {
  if (llvm::equal(order, llvm::make_pointer_range(model.graph().node())))
    return;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (const onnx::NodeProto *node : order)
    *sorted.Add() = *node;
  model.mutable_graph()->mutable_node()->Swap(&sorted);
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        Location loc) {
  StringRef domain = canonicalDomain(node.domain());
  const OpEntry *entry = lookup(domain, node.op_type());
  auto opset = opsets.find(domain);
  if (!entry || opset == opsets.end())
    return emitError(loc) << (domain.empty() ? "ai.onnx" : domain) << " "
                          << node.op_type() << " is not supported";
  if (opset->second < entry->minOpset)
    return emitError(loc) << node.op_type() << ": opset " << opset->second
                          << " is older than the first supported version ("
                          << entry->minOpset << ")";
  if (StringRef(node.op_type()) != "DequantizeLinear" || !domain.empty())
    for (const auto &in : node.input())
      if (auto q = quantizedValues.find(in); q != quantizedValues.end())
        return emitError(loc)
               << node.op_type() << ": input '" << in
               << "' is a QuantizeLinear output (" << q->second
               << "), which only DequantizeLinear can read: Kestrel keeps no "
               << q->second << " tensors";
  for (const auto &in : node.input())
    if (!in.empty() && !values.count(in) && !rawInitializers.contains(in) &&
        !rawAliases.count(in))
      return emitError(loc) << node.op_type() << ": input '" << in
                            << "' is not defined before the node";
  NodeContext ctx(*this, node, opset->second, loc);
  if (failed(entry->fn(ctx)))
    return failure();
  for (auto [i, out] : llvm::enumerate(node.output()))
    if (!out.empty() && !values.count(out))
      return emitError(loc) << node.op_type() << ": output " << i << " ('"
                            << out << "') is not supported by the importer";
  return success();
}

FailureOr<SmallVector<Value>>
GraphImporter::importSubgraph(const onnx::GraphProto &graph, Location loc) {
  for (const auto &v : graph.value_info())
    declared[v.name()] = &v.type();
  for (const auto &v : graph.output())
    declared[v.name()] = &v.type();
  for (const auto &t : graph.initializer()) {
    FailureOr<Value> value = importTensor(t, t.name(), loc);
    if (failed(value))
      return failure();
    values[t.name()] = *value;
  }
  if (graph.input_size() > 0)
    return emitError(loc) << "subgraph '" << graph.name()
                          << "' has inputs, which only loop bodies take";
  for (const auto &[i, node] : llvm::enumerate(graph.node())) {
    std::string name = node.name().empty()
                           ? (Twine(node.op_type()) + "#" + Twine(i)).str()
                           : node.name();
    Location nodeLocation =
        NameLoc::get(StringAttr::get(&context, graph.name() + "/" + name), loc);
    if (failed(importNode(node, nodeLocation)))
      return failure();
  }
  SmallVector<Value> outputs;
  for (const auto &out : graph.output()) {
    Value v = values.lookup(out.name());
    if (!v)
      return emitError(loc) << "subgraph '" << graph.name() << "' output '"
                            << out.name() << "' is not produced by any node";
    outputs.push_back(v);
  }
  return outputs;
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  context.loadDialect<KestrelDialect, func::FuncDialect>();
  if (failed(checkOpsSupported()))
    return nullptr;
  FailureOr<std::vector<const onnx::NodeProto *>> order = sortNodes();
  if (failed(order))
    return nullptr;

  // libonnx's shape inference wants a well-formed, topologically sorted
  // graph (it crashes on undefined inputs), so it runs only now, on the
  // sorted graph, and only for the opsets whose schemas it knows.
  if (options.onnxShapeInference) {
    int64_t opset = 0;
    for (const auto &o : model.opset_import())
      if (canonicalDomain(o.domain()).empty())
        opset = o.version();
    if (opset <= onnxLibraryMaxOpset()) {
      if (!llvm::equal(*order,
                       llvm::make_pointer_range(model.graph().node()))) {
        sortModelNodes(*order);
        if (failed(order = sortNodes()))
          return nullptr;
      }
      std::string error;
      if (!inferOnnxShapes(model, error)) {
        // value_info holds hints about intermediate values that exporters
        // sometimes leave stale; ONNX Runtime merges disagreeing shapes
        // leniently (element types it rejects). Without the hints, a graph
        // that is consistent imports, with a warning.
        std::string retryError;
        bool hints = model.graph().value_info_size() > 0 &&
                     error.find("existing shape differ") != std::string::npos;
        onnx::ModelProto retry;
        if (hints) {
          retry = model;
          retry.mutable_graph()->clear_value_info();
        }
        if (!hints || !inferOnnxShapes(retry, retryError)) {
          emitError(fileLoc())
              << "ONNX shape inference found the graph inconsistent: " << error;
          return nullptr;
        }
        emitWarning(fileLoc())
            << "ONNX shape inference: the file's value_info disagrees with "
               "its nodes ("
            << error << "); importing without the value_info";
        // What inference wrote (`order` points into model's nodes, which
        // stay).
        *model.mutable_graph()->mutable_value_info() =
            retry.graph().value_info();
        *model.mutable_graph()->mutable_output() = retry.graph().output();
      }
    }
  }

  const onnx::GraphProto &g = model.graph();
  for (const auto &v : g.input())
    declared[v.name()] = &v.type();
  for (const auto &v : g.value_info())
    declared[v.name()] = &v.type();
  for (const auto &v : g.output())
    declared[v.name()] = &v.type();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  (*module)->setAttr("kestrel.source", builder.getStringAttr(path));

  // Graph inputs that are not initializers become function arguments.
  llvm::StringSet<> initializerNames;
  for (const auto &t : g.initializer())
    initializerNames.insert(t.name());
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  for (const auto &input : g.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    const onnx::TypeProto &t = input.type();
    if (!t.has_tensor_type()) {
      emitError(fileLoc()) << "graph input '" << input.name()
                           << "' is not a tensor (sequences, maps and "
                              "optionals are not supported by Kestrel)";
      return nullptr;
    }
    Type element = convertElementType(&context, t.tensor_type().elem_type());
    if (!element) {
      emitError(fileLoc()) << "graph input '" << input.name()
                           << "' has element type "
                           << onnxTypeName(t.tensor_type().elem_type())
                           << ", which Kestrel does not support";
      return nullptr;
    }
    if (!t.tensor_type().has_shape()) {
      emitError(fileLoc()) << "graph input '" << input.name()
                           << "' has no shape (its rank must be known)";
      return nullptr;
    }
    SmallVector<int64_t> shape;
    SmallVector<Attribute> dimNames;
    bool named = false;
    for (const auto &d : t.tensor_type().shape().dim()) {
      if (d.has_dim_value() && d.dim_value() < 0) {
        emitError(fileLoc()) << "graph input '" << input.name()
                             << "' has a negative dimension " << d.dim_value();
        return nullptr;
      }
      shape.push_back(d.has_dim_value() ? d.dim_value() : ShapedType::kDynamic);
      dimNames.push_back(builder.getStringAttr(d.dim_param()));
      named |= !d.dim_param().empty();
    }
    auto fixed = options.inputShapes.find(input.name());
    if (fixed != options.inputShapes.end()) {
      const std::vector<int64_t> &dims = fixed->second;
      bool fits = dims.size() == shape.size();
      for (size_t d = 0; fits && d < dims.size(); ++d)
        fits = ShapedType::isDynamic(shape[d]) || shape[d] == dims[d];
      if (!fits) {
        emitError(fileLoc())
            << "input shape " << formatShape(dims) << " given for '"
            << input.name() << "' does not fit its declared shape "
            << formatShape(shape);
        return nullptr;
      }
      shape.assign(dims.begin(), dims.end());
    }
    if (!staticElementCount(shape)) {
      emitError(fileLoc()) << "graph input '" << input.name() << "' has shape "
                           << formatShape(shape)
                           << ", more elements than a 64-bit count holds";
      return nullptr;
    }
    argTypes.push_back(RankedTensorType::get(shape, element));
    SmallVector<NamedAttribute> attrs = {builder.getNamedAttr(
        "kestrel.name", builder.getStringAttr(input.name()))};
    if (named)
      attrs.push_back(builder.getNamedAttr("kestrel.dim_names",
                                           builder.getArrayAttr(dimNames)));
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
    argNames.push_back(input.name());
  }

  for (const auto &[name, dims] : options.inputShapes)
    if (!llvm::is_contained(argNames, name)) {
      emitError(fileLoc()) << "input shape given for '" << name
                           << "', which is not a graph input";
      return nullptr;
    }

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc(), "main",
                                   builder.getFunctionType(argTypes, {}));
  func.setAllArgAttrs(argAttrs);
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [name, arg] : llvm::zip_equal(argNames, entry->getArguments()))
    values[name] = arg;

  // Quantized weights (and their scales and zero points) are read by the
  // ops that take them, not imported as values, when nothing else uses them.
  // A Reshape of a UINT8 initializer that only such ops read (the genai
  // builder's int4 embedding table for GatherBlockQuantized, tied to the LM
  // head's weight) is that initializer under another shape: not imported
  // either.
  auto readsRaw = [&](const onnx::NodeProto &node, size_t i) {
    const OpEntry *entry = lookup(node.domain(), node.op_type());
    return entry && i < 32 && (entry->rawInputs >> i & 1);
  };
  llvm::StringMap<SmallVector<std::pair<const onnx::NodeProto *, size_t>>>
      consumers;
  for (const auto &node : g.node())
    for (const auto &[i, in] : llvm::enumerate(node.input()))
      consumers[in].push_back({&node, i});
  llvm::StringSet<> graphOutputs;
  for (const auto &out : g.output())
    graphOutputs.insert(out.name());
  for (const auto &t : g.initializer())
    initializers[t.name()] = &t;
  for (const auto &node : g.node()) {
    if (node.op_type() != "Reshape" ||
        !canonicalDomain(node.domain()).empty() || node.input_size() < 1 ||
        node.output_size() != 1)
      continue;
    const onnx::TensorProto *source = initializers.lookup(node.input(0));
    if (source && source->data_type() != onnx::TensorProto::UINT8)
      source = nullptr;
    auto uses = consumers.find(node.output(0));
    if (!source || graphOutputs.contains(node.output(0)) ||
        uses == consumers.end() ||
        !llvm::all_of(uses->second, [&](const auto &use) {
          return readsRaw(*use.first, use.second);
        }))
      continue;
    // The target shape: a constant [rows, columns] (0 copies a dim, -1
    // takes the rest), from an initializer or a Constant node.
    const onnx::TensorProto *shapeTensor =
        node.input_size() > 1 ? initializers.lookup(node.input(1)) : nullptr;
    if (!shapeTensor && node.input_size() > 1)
      for (const auto &producer : g.node())
        if (producer.op_type() == "Constant" && producer.output_size() == 1 &&
            producer.output(0) == node.input(1))
          for (const auto &a : producer.attribute())
            if (a.name() == "value" && a.has_t())
              shapeTensor = &a.t();
    if (!shapeTensor || shapeTensor->data_type() != onnx::TensorProto::INT64)
      continue;
    FailureOr<DenseElementsAttr> shapeData =
        decodeTensor(*shapeTensor, fileLoc());
    if (failed(shapeData) || shapeData->getNumElements() != 2)
      continue;
    int64_t numel = 1;
    bool sane = true;
    for (int64_t d : source->dims()) {
      sane &= d >= 0 && (d == 0 || numel <= (int64_t(1) << 40) / d);
      if (sane)
        numel *= d;
    }
    if (!sane)
      continue;
    SmallVector<int64_t> dims;
    for (const APInt &v : shapeData->getValues<APInt>())
      dims.push_back(v.getSExtValue());
    for (int i = 0; i < 2; ++i)
      if (dims[i] == 0 && i < source->dims_size())
        dims[i] = source->dims(i);
    if (dims[0] == -1 && dims[1] > 0 && numel % dims[1] == 0)
      dims[0] = numel / dims[1];
    if (dims[1] == -1 && dims[0] > 0 && numel % dims[0] == 0)
      dims[1] = numel / dims[0];
    if (dims[0] < 1 || dims[1] < 1 || numel % dims[0] != 0 ||
        numel / dims[0] != dims[1])
      continue;
    rawAliases[node.output(0)] = {source->name(), dims[0], dims[1]};
    skippedNodes.insert(&node);
  }
  llvm::StringSet<> readRaw, usedElsewhere;
  for (const auto &node : g.node()) {
    bool alias = skippedNodes.contains(&node);
    for (const auto &[i, in] : llvm::enumerate(node.input()))
      (readsRaw(node, i) || (alias && i == 0) ? readRaw : usedElsewhere)
          .insert(in);
  }
  for (const auto &out : g.output())
    usedElsewhere.insert(out.name());
  for (const auto &t : g.initializer()) {
    if (t.name().empty()) {
      emitError(fileLoc()) << "an initializer has no name";
      return nullptr;
    }
    if (readRaw.contains(t.name()) && !usedElsewhere.contains(t.name())) {
      rawInitializers.insert(t.name());
      continue;
    }
    FailureOr<Value> value = importTensor(t, t.name(), fileLoc());
    if (failed(value))
      return nullptr;
    values[t.name()] = *value;
  }

  for (const onnx::NodeProto *node : *order) {
    if (skippedNodes.contains(node))
      continue;
    if (failed(importNode(*node, nodeLoc(*node, nodeIndex.lookup(node)))))
      return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Attribute> outputNames;
  for (const auto &out : g.output()) {
    Value v = values.lookup(out.name());
    if (!v) {
      emitError(fileLoc()) << "graph output '" << out.name()
                           << "' is not produced by any node";
      return nullptr;
    }
    if (auto q = quantizedValues.find(out.name()); q != quantizedValues.end()) {
      emitError(fileLoc()) << "graph output '" << out.name()
                           << "' is a QuantizeLinear output of type "
                           << q->second << ", which Kestrel cannot return";
      return nullptr;
    }
    results.push_back(v);
    outputNames.push_back(builder.getStringAttr(out.name()));
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  func.setType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, name] : llvm::enumerate(outputNames))
    func.setResultAttr(i, "kestrel.name", name);
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> importOnnxModel(MLIRContext &context,
                                      onnx::ModelProto &model, StringRef path,
                                      const ImportOptions &options) {
  return GraphImporter(context, model, path, options).run();
}

OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &context, StringRef path,
                                     const ImportOptions &options) {
  onnx::ModelProto model;
  std::string error;
  if (!loadModel(path.str(), model, error)) {
    emitError(FileLineColLoc::get(&context, path, 0, 0)) << error;
    return nullptr;
  }
  return importOnnxModel(context, model, path, options);
}

} // namespace kestrel::onnx_frontend
