//===- KernelCall.h - One op's call into a kernel library --------*- C++
//-*-===//
//
// The CPU and CUDA kernel libraries (kernels/cpu/Kernels.h,
// kernels/cuda/Kernels.h) have the same entry points: the same names and
// arguments over their own Context and Tensor, with the argument checks and
// messages of kernels/common. So the call of most ops is written once, here,
// for both; a target backend adds what is its own (the GEMM it chose,
// generated kernels).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_HOST_KERNELCALL_H
#define KESTREL_CODEGEN_HOST_KERNELCALL_H

#include "passes/BufferPlan.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kestrel::codegen {

/// What the emitters of a model's functions share: the value ids of the
/// memory plan, the static arrays of attribute values, and the host values
/// a device `execute` reads.
class EmitState {
public:
  explicit EmitState(const BufferPlan &plan) : plan(plan) {}

  int64_t id(mlir::Value v) const { return plan.id(v); }
  /// The tensor of `v` in the function being emitted ("v[3]").
  std::string ref(mlir::Value v) const;
  /// Defines a static int64_t array holding `values`; returns its name.
  std::string array(llvm::ArrayRef<int64_t> values);
  /// Defines a static float array holding `values`; returns its name.
  std::string floatArray(llvm::ArrayRef<float> values);
  /// A C string naming `op` in run-time errors:
  /// "%3 = kestrel.add (node 'x')".
  std::string describe(mlir::Operation *op) const;

  const BufferPlan &plan;
  /// The definitions array() made, in order.
  std::vector<std::string> arrays;
  /// Values `execute` reads on the host (kestrel_model_def::hostReads).
  std::set<int64_t> hostReads;
  /// A packed matmul rhs: the named weights side by side along N (one for
  /// a matmul, several for a multi_matmul), stored [N, K] when
  /// `transposed`.
  struct PackedRhs {
    std::vector<std::string> names;
    bool transposed;
    /// A device multi_matmul's gate and up, interleaved.
    bool glu;
    /// Device backends: the element type the packed weights are stored in
    /// (the multi_matmul's operands' device type); null for the CPU.
    mlir::Type dtype;
  };
  /// The weights packed at load (kestrel_model_def::packedWeights);
  /// packedWeight() adds one.
  std::vector<PackedRhs> packedWeights;
  /// Per weight name: the matmuls that read it packed.
  std::map<std::string, int64_t> packedUses;
  /// The index of the weights `names` packed side by side as a matmul rhs
  /// in Exec::packed, added on first use.
  int64_t packedWeight(llvm::ArrayRef<std::string> names, bool transposed,
                       bool glu = false, mlir::Type dtype = {});
};

/// Writes the kernel call of one op into a function's code.
class KernelCall {
public:
  /// `onDevice`: the call is in a device `execute` (host tensors are `h`);
  /// `ns`: the kernel library's namespace ("kestrel::cpu").
  KernelCall(EmitState &state, mlir::Operation *op, std::string &code,
             bool onDevice, llvm::StringRef ns);

  mlir::Operation *op() const { return operation; }
  bool onDevice() const { return device; }
  EmitState &state() const { return emitState; }
  llvm::raw_ostream &os() { return out; }

  std::string ref(mlir::Value v) const { return emitState.ref(v); }
  /// The host tensor of `v` (a shape operand read on the host).
  std::string hostRef(mlir::Value v);

  /// `if (!expr) return x.opFailed(<the op>);`
  mlir::LogicalResult call(llvm::StringRef expr);
  /// call(expr) in a block that declares `const Tensor in[]` and
  /// `Tensor out[]`, holding `inputs` and `outputs`.
  mlir::LogicalResult callWithTensorArrays(mlir::ValueRange inputs,
                                           mlir::ValueRange outputs,
                                           llvm::StringRef expr);

  /// The op's call into the entry points every kernel library has.
  /// `choice`, the library's name for the kernel the op's #kestrel.impl
  /// chose, is the last argument of matmul, fused_matmul and attention
  /// (the CPU's GemmPath, the CUDA's GemmChoice and AttentionImpl; none
  /// when empty). Errors on the op when no common entry point runs it.
  mlir::LogicalResult emitLibraryCall(llvm::StringRef choice,
                                      llvm::StringRef targetName);

  /// A matmul or fused_matmul whose rhs is the packed matrix `packed` (an
  /// expression of type const kestrel::cpu::PackedMatrix &):
  /// kestrel::cpu::matmulPacked, with the fused op's epilogue.
  mlir::LogicalResult packedMatmul(llvm::StringRef packed);
  /// A kestrel.multi_matmul against the weights packed side by side: with
  /// `packed` alone (the CPU), kestrel::cpu::multiMatmulPacked; with
  /// `packed` and GemmChoice `choice` (CUDA, a packed device tensor), the
  /// library's single-GEMM multiMatmul; with `choice` alone, its multiMatmul
  /// over the separate weight tensors.
  mlir::LogicalResult multiMatmul(llvm::StringRef packed,
                                  llvm::StringRef choice = "");

private:
  /// Opens a block declaring `e`, a kestrel.fused_matmul's GemmEpilogue.
  void openEpilogue(mlir::Operation *fusedMatmul);
  mlir::LogicalResult unary(llvm::StringRef kind);
  mlir::LogicalResult binary(llvm::StringRef kind);
  mlir::LogicalResult reduce(llvm::StringRef kind);

  EmitState &emitState;
  mlir::Operation *operation;
  llvm::raw_string_ostream out;
  bool device;
  std::string ns;
  std::string what; ///< describe(op)
};

} // namespace kestrel::codegen

#endif // KESTREL_CODEGEN_HOST_KERNELCALL_H
