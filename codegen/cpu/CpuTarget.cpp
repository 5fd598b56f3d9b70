//===- CpuTarget.cpp - The CPU backend of the model emitter ---------------===//

#include "codegen/cpu/CpuTarget.h"
#include "codegen/cpu/FusedElementwise.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace kestrel::codegen::cpu {

Type CpuTarget::storageType(Value v) const {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

LogicalResult CpuTarget::emitKernel(KernelCall &call, ImplAttr impl) {
  // A GEMM calls the library with the GemmPath its candidate names; other
  // ops have one CPU candidate, the library entry point of their kind,
  // except a fused_elementwise's: the library's driver over a generated
  // block function.
  StringRef candidate = impl.getCandidate().getValue();
  if (candidate == "cpu.gemm.packed") {
    // The rhs is a weight, packed when the model opens (the candidate's
    // check in the registry); a multi_matmul's weights are packed side by
    // side.
    Operation *op = call.op();
    if (auto multi = dyn_cast<MultiMatmulOp>(op)) {
      std::vector<std::string> names;
      for (Value w : multi.getWeights()) {
        auto weight = w.getDefiningOp<WeightOp>();
        if (!weight)
          return op->emitOpError("chose cpu.gemm.packed but a weight is not "
                                 "a kestrel.weight");
        names.push_back(weight.getName().str());
      }
      int64_t index = call.state().packedWeight(names, multi.getTransposeB());
      return call.multiMatmul(llvm::formatv("x.packed[{0}]", index).str());
    }
    auto weight = op->getOperand(1).getDefiningOp<WeightOp>();
    auto transposeB = op->getAttrOfType<BoolAttr>("transpose_b");
    if (!weight)
      return op->emitOpError("chose cpu.gemm.packed but its rhs is not a "
                             "kestrel.weight");
    int64_t index = call.state().packedWeight(
        {weight.getName().str()}, transposeB && transposeB.getValue());
    return call.packedMatmul(llvm::formatv("x.packed[{0}]", index).str());
  }
  if (isa<MatmulOp, FusedMatmulOp>(call.op()))
    return call.emitLibraryCall(candidate == "cpu.gemm.blocked"
                                    ? "kestrel::cpu::GemmPath::Blocked"
                                    : "kestrel::cpu::GemmPath::Dot",
                                displayName());
  auto fused = dyn_cast<FusedElementwiseOp>(call.op());
  if (!fused)
    return call.emitLibraryCall(/*choice=*/"", displayName());
  FailureOr<FusedBlock> block = generateFusedBlock(fused);
  if (failed(block))
    return failure();
  blocks.try_emplace(block->function, block->source);
  return call.callWithTensorArrays(
      fused.getInputs(), fused.getResults(),
      llvm::formatv("fusedElementwise(c, \"fused_elementwise\", in, {0}, out, "
                    "{1}, {2})",
                    fused.getInputs().size(), fused.getNumResults(),
                    block->function)
          .str());
}

void CpuTarget::emitIncludes(llvm::raw_ostream &os) const {
  if (!blocks.empty())
    os << "#include \"kernels/cpu/VectorMath.h\"\n";
}

void CpuTarget::emitSystemIncludes(llvm::raw_ostream &os) const {
  if (!blocks.empty())
    os << "#include <limits>\n";
}

void CpuTarget::emitUsings(llvm::raw_ostream &os) const {
  os << "using namespace kestrel::cpu;\n";
}

void CpuTarget::emitDefinitions(llvm::raw_ostream &os) const {
  for (const auto &[function, source] : blocks)
    os << source << "\n";
}

void CpuTarget::emitExecute(llvm::raw_ostream &os, StringRef body) const {
  os << "bool execute(Exec &x, int32_t stage) {\n"
     << "  kestrel::cpu::Context &c = x.ctx;\n"
     << "  std::vector<Tensor> &v = x.v;\n"
     << "  (void)c;\n  (void)v;\n  (void)stage;\n"
     << body << "  return true;\n}\n\n";
}

void CpuTarget::emitModelDefBackend(llvm::raw_ostream &os) const {
  os << "      nullptr,\n      nullptr,\n";
}

} // namespace kestrel::codegen::cpu
