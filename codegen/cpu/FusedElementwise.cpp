//===- FusedElementwise.cpp - CPU block functions from fused bodies -------===//

#include "codegen/cpu/FusedElementwise.h"

#include "codegen/common/ScalarBody.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SHA256.h"

using namespace mlir;

namespace kestrel::codegen::cpu {

namespace {

/// The element type of the array a compute type is passed in (i1 as one
/// byte).
StringRef arrayType(StringRef computeType) {
  return computeType == "bool" ? "uint8_t" : computeType;
}

} // namespace

FailureOr<FusedBlock> generateFusedBlock(Operation *op) {
  auto fused = cast<FusedElementwiseOp>(op);
  Block &body = fused.getBody().front();

  std::string bodyCode;
  llvm::raw_string_ostream bs(bodyCode);
  if (failed(writeScalarBody(body, ScalarTarget::Cpu, bs)))
    return failure();

  std::string pointers, loads, decls, stores;
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    FailureOr<StringRef> t = scalarComputeType(arg.getType());
    if (failed(t))
      return op->emitOpError("has an input type the CPU backend does not "
                             "handle: ")
             << arg.getType();
    pointers += llvm::formatv("  const {0} *__restrict in{1} = "
                              "static_cast<const {0} *>(inputs[{1}]);\n",
                              arrayType(*t), i)
                    .str();
    loads += llvm::formatv("    const {0} x{1} = in{1}[i]{2};\n", *t, i,
                           *t == "bool" ? " != 0" : "")
                 .str();
  }
  for (auto [i, type] : llvm::enumerate(fused.getResultTypes())) {
    Type element = cast<RankedTensorType>(type).getElementType();
    FailureOr<StringRef> t = scalarComputeType(element);
    if (failed(t))
      return op->emitOpError("has a result type the CPU backend does not "
                             "handle: ")
             << element;
    pointers += llvm::formatv("  {0} *__restrict out{1} = "
                              "static_cast<{0} *>(outputs[{1}]);\n",
                              arrayType(*t), i)
                    .str();
    decls += llvm::formatv("    {0} r{1};\n", *t, i).str();
    stores += llvm::formatv("    out{0}[i] = r{0};\n", i).str();
  }

  // `omp simd` (kestrelc passes -fopenmp-simd) vectorizes the loop at -O2
  // without alias versioning; a body that may report a division by zero
  // stores to the flag and stays scalar.
  bool reportsErrors = StringRef(bodyCode).contains("errorFlag");
  // The name is a hash of the rest of the definition.
  std::string rest =
      llvm::formatv(
          R"((const void *const *inputs, void *const *outputs, int64_t n,
    int *errorFlag) {
{0}  (void)errorFlag;
{5}  for (int64_t i = 0; i < n; ++i) {{
{1}{2}{3}{4}  }
}
)",
          pointers, loads, decls, bodyCode, stores,
          reportsErrors ? "" : "#pragma omp simd\n")
          .str();
  llvm::SHA256 sha;
  sha.update(rest);
  std::string hash = llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 16);
  FusedBlock block;
  block.function = "fused_" + hash;
  block.source = "// A kestrel.fused_elementwise body over n elements "
                 "(cpu::FusedBlockFn).\nvoid " +
                 block.function + rest;
  return block;
}

} // namespace kestrel::codegen::cpu
