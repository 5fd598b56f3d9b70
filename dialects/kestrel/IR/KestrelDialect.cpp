//===- KestrelDialect.cpp - Kestrel dialect registration ------------------===//
//
// Registers the kestrel ops and attributes, verifies `kestrel.impl` where
// it is attached and `#kestrel.storage` on the tensor types it encodes, and
// materializes folded constants.
//
//===----------------------------------------------------------------------===//

#include "dialects/kestrel/IR/KestrelDialect.h"
#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;
using namespace kestrel;

#include "dialects/kestrel/IR/KestrelDialect.cpp.inc"

// mlir-tblgen's parsers for declarative attribute formats never read their
// `odsType` parameter, which clang's -Wunused-parameter reports (GCC's
// flags from LLVM turn it off).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
/// #kestrel.impl's predicted times: `[12.5, 3]`, as %g (the generic
/// printing of a DenseF64ArrayAttr writes 1.250000e+01).
static ParseResult parseMicroseconds(AsmParser &parser,
                                     DenseF64ArrayAttr &values) {
  SmallVector<double> parsed;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        double v = 0;
        if (parser.parseFloat(v))
          return failure();
        parsed.push_back(v);
        return success();
      }))
    return failure();
  values = DenseF64ArrayAttr::get(parser.getContext(), parsed);
  return success();
}

static void printMicroseconds(AsmPrinter &printer, DenseF64ArrayAttr values) {
  printer << "[";
  llvm::interleaveComma(
      values.asArrayRef(), printer.getStream(),
      [&](double v) { printer.getStream() << llvm::format("%g", v); });
  printer << "]";
}

#define GET_ATTRDEF_CLASSES
#include "dialects/kestrel/IR/KestrelAttrs.cpp.inc"
#pragma GCC diagnostic pop

void KestrelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/kestrel/IR/KestrelOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/kestrel/IR/KestrelAttrs.cpp.inc"
      >();
}

LogicalResult KestrelDialect::verifyOperationAttribute(Operation *op,
                                                       NamedAttribute attr) {
  if (attr.getName() != ImplAttr::kName)
    return success();
  auto impl = dyn_cast<ImplAttr>(attr.getValue());
  if (!impl)
    return op->emitOpError("attribute '")
           << ImplAttr::kName << "' must be a #kestrel.impl, not "
           << attr.getValue();
  if (impl.getCandidate().getValue().empty())
    return op->emitOpError("has a #kestrel.impl without a candidate name");
  if (DenseF64ArrayAttr predicted = impl.getPredicted()) {
    if (predicted.empty())
      return op->emitOpError("#kestrel.impl has an empty predicted_us list");
    for (double us : predicted.asArrayRef())
      if (!std::isfinite(us) || us < 0) {
        std::string text;
        llvm::raw_string_ostream(text) << llvm::format("%g", us);
        return op->emitOpError("#kestrel.impl predicted time ")
               << text << " us is not a finite duration >= 0";
      }
  }
  for (NamedAttribute entry : impl.getConfig())
    if (!isa<IntegerAttr, StringAttr, BoolAttr>(entry.getValue()))
      return op->emitOpError("#kestrel.impl configuration '")
             << entry.getName().getValue()
             << "' must be an integer, a string or a bool";
  return success();
}

int64_t ImplAttr::getInt(StringRef key, int64_t fallback) const {
  if (auto value = getConfig().getAs<IntegerAttr>(key))
    return value.getInt();
  return fallback;
}

LogicalResult StorageAttr::verifyEncoding(
    ArrayRef<int64_t>, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  Type stored = getType();
  if (!elementType.isF32())
    return emitError() << "#kestrel.storage applies to f32 tensors, not "
                       << elementType;
  if (!stored.isBF16() && !stored.isF16())
    return emitError() << "#kestrel.storage stores f32 data in bf16 or f16, "
                          "not "
                       << stored;
  return success();
}

Operation *KestrelDialect::materializeConstant(OpBuilder &builder,
                                               Attribute value, Type type,
                                               Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
