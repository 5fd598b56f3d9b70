//===- FusedElementwise.cpp - CUDA kernels from fused_elementwise ---------===//

#include "codegen/cuda/FusedElementwise.h"

#include "codegen/common/ScalarBody.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SHA256.h"

using namespace mlir;

namespace kestrel::codegen::cuda {

namespace {

/// The C++ type a tensor element is stored in on the device.
FailureOr<StringRef> storageType(Type t) {
  if (t.isF32())
    return StringRef("float");
  if (t.isBF16())
    return StringRef("bf16");
  if (t.isF16())
    return StringRef("f16");
  if (isa<Float8E4M3FNType>(t))
    return StringRef("f8e4m3");
  if (t.isInteger(64))
    return StringRef("int64_t");
  if (t.isInteger(32))
    return StringRef("int32_t");
  if (t.isInteger(1))
    return StringRef("uint8_t");
  return failure();
}

} // namespace

FailureOr<FusedKernel> generateFusedKernel(Operation *op,
                                           ArrayRef<Type> inputTypes,
                                           ArrayRef<Type> resultTypes) {
  auto fused = cast<FusedElementwiseOp>(op);
  Block &body = fused.getBody().front();
  size_t numIn = inputTypes.size(), numOut = resultTypes.size();

  std::string bodyCode;
  llvm::raw_string_ostream bs(bodyCode);
  if (failed(writeScalarBody(body, ScalarTarget::Cuda, bs)))
    return failure();

  // The scalar function: inputs by value, results by reference, and the
  // run's error flag (integer division by zero).
  std::string params = "int *errorFlag";
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    params += ", " + scalarComputeType(arg.getType())->str() + " x" +
              std::to_string(i);
  for (auto [i, t] : llvm::enumerate(fused.getResultTypes()))
    params +=
        ", " +
        scalarComputeType(cast<RankedTensorType>(t).getElementType())->str() +
        " &r" + std::to_string(i);

  // Widest element: the vector path moves 16 bytes of it per access.
  size_t widest = 1;
  auto width = [](Type t) -> size_t {
    return t.isInteger(1) ? 1 : t.getIntOrFloatBitWidth() / 8;
  };
  for (Type t : inputTypes)
    widest = std::max(widest, width(t));
  for (Type t : resultTypes)
    widest = std::max(widest, width(t));
  size_t vec = 16 / widest;

  std::string loads, loadsVec, stores, storesVec, call;
  for (size_t i = 0; i < numIn; ++i) {
    FailureOr<StringRef> st = storageType(inputTypes[i]);
    FailureOr<StringRef> ct = scalarComputeType(body.getArgument(i).getType());
    if (failed(st) || failed(ct))
      return op->emitOpError("has an input type the CUDA generator does not "
                             "handle");
    std::string conv =
        *ct == "float" ? "toF32" : "static_cast<" + ct->str() + ">";
    loads += llvm::formatv(
                 "    const {0} x{1} = {2}(static_cast<const {3} *>(a.in[{1}])"
                 "[broadcastOffset(a.strides[{1}], i)]);\n",
                 *ct, i, conv, *st)
                 .str();
    loadsVec += llvm::formatv("    const Vec<{0}, {1}> in{2} = "
                              "*reinterpret_cast<const Vec<{0}, {1}> *>("
                              "static_cast<const {0} *>(a.in[{2}]) + i);\n",
                              *st, vec, i)
                    .str();
  }
  for (size_t i = 0; i < numOut; ++i) {
    FailureOr<StringRef> st = storageType(resultTypes[i]);
    if (failed(st))
      return op->emitOpError("has a result type the CUDA generator does not "
                             "handle");
    Type ct =
        cast<RankedTensorType>(fused.getResult(i).getType()).getElementType();
    std::string conv = isa<FloatType>(ct) ? "fromF32<" + st->str() + ">"
                                          : "static_cast<" + st->str() + ">";
    stores +=
        llvm::formatv("    static_cast<{0} *>(a.out[{1}])[i] = {2}(r{1});\n",
                      *st, i, conv)
            .str();
    storesVec +=
        llvm::formatv("      out{0}.v[k] = {1}(r{0});\n", i, conv).str();
  }
  std::string declResults, declResultsVec, vecDecl, vecStore;
  for (size_t i = 0; i < numOut; ++i) {
    Type ct =
        cast<RankedTensorType>(fused.getResult(i).getType()).getElementType();
    declResults += "    " + scalarComputeType(ct)->str() + " r" +
                   std::to_string(i) + ";\n";
    declResultsVec += "      " + scalarComputeType(ct)->str() + " r" +
                      std::to_string(i) + ";\n";
    vecDecl += llvm::formatv("    Vec<{0}, {1}> out{2};\n",
                             *storageType(resultTypes[i]), vec, i)
                   .str();
    vecStore += llvm::formatv("    *reinterpret_cast<Vec<{0}, {1}> *>("
                              "static_cast<{0} *>(a.out[{2}]) + i) = out{2};\n",
                              *storageType(resultTypes[i]), vec, i)
                    .str();
  }
  std::string callArgs = "a.errorFlag", callArgsVec = "a.errorFlag";
  for (size_t i = 0; i < numIn; ++i) {
    callArgs += ", x" + std::to_string(i);
    Type ct = body.getArgument(i).getType();
    std::string conv =
        isa<FloatType>(ct)
            ? "toF32"
            : "static_cast<" + scalarComputeType(ct)->str() + ">";
    callArgsVec += ", " + conv + "(in" + std::to_string(i) + ".v[k])";
  }
  for (size_t i = 0; i < numOut; ++i) {
    callArgs += ", r" + std::to_string(i);
    callArgsVec += ", r" + std::to_string(i);
  }

  // The launcher's name is a hash of everything else in the file.
  std::string kernels = llvm::formatv(
      R"(namespace {{

constexpr int kInputs = {0}, kOutputs = {1}, kVec = {2};

template <typename T, int N> struct alignas(sizeof(T) * N) Vec {{
  T v[N];
};

struct Args {{
  const void *in[kInputs];
  void *out[kOutputs];
  Strides strides[kInputs];
  int64_t n;
  int *errorFlag;
};

__device__ __forceinline__ void body({3}) {{
{4}}

// One element per iteration of a grid-stride loop; inputs broadcast.
__global__ void __launch_bounds__(256) fusedScalar(Args a) {{
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < a.n;
       i += int64_t(gridDim.x) * blockDim.x) {{
{5}{6}    body({7});
{8}  }
}

// kVec elements per iteration with one 16-byte access for the widest
// type: no input broadcasts, every pointer is 16-byte aligned and n is a
// multiple of kVec.
__global__ void __launch_bounds__(256) fusedVector(Args a) {{
  for (int64_t i = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) * kVec;
       i < a.n; i += int64_t(gridDim.x) * blockDim.x * kVec) {{
{9}{10}#pragma unroll
    for (int k = 0; k < kVec; ++k) {{
{14}      body({11});
{12}    }
{13}  }
}

} // namespace
)",
      numIn, numOut, vec, params, bodyCode, loads, declResults, callArgs,
      stores, loadsVec, vecDecl, callArgsVec, storesVec, vecStore,
      declResultsVec);

  // The launcher's body; its signature, with the kernel's name, is
  // written once the name (a hash of everything else) is known.
  std::string launcherBody = R"( {
  Args a;
  a.n = outputs[0].numel();
  a.errorFlag = ctx.errorFlag;
  bool vector = a.n % kVec == 0;
  for (int i = 0; i < kInputs; ++i) {
    a.in[i] = inputs[i].data;
    a.strides[i] = broadcastStrides(inputs[i].shape, outputs[0].shape);
    vector = vector && inputs[i].shape == outputs[0].shape &&
             reinterpret_cast<uintptr_t>(inputs[i].data) % 16 == 0;
  }
  for (int i = 0; i < kOutputs; ++i) {
    a.out[i] = outputs[i].data;
    vector = vector && reinterpret_cast<uintptr_t>(outputs[i].data) % 16 == 0;
  }
  if (a.n == 0)
    return true;
  if (vector)
    KESTREL_LAUNCH(gridFor(a.n / kVec, 256), 256, 0, streamOf(ctx), fusedVector)(a);
  else
    KESTREL_LAUNCH(gridFor(a.n, 256), 256, 0, streamOf(ctx), fusedScalar)(a);
  return checkLaunch(ctx, "fused_elementwise");
}
)";
  llvm::SHA256 sha;
  sha.update(kernels);
  sha.update(launcherBody);
  std::string hash = llvm::toHex(sha.final(), /*LowerCase=*/true).substr(0, 16);
  FusedKernel kernel;
  kernel.function = "kestrel_fused_" + hash;
  std::string launcher = "bool " + kernel.function +
                         "(Context &ctx, const Tensor *inputs, "
                         "Tensor *outputs)" +
                         launcherBody;
  kernel.source = "// Generated by kestrelc from a kestrel.fused_elementwise. "
                  "Do not edit.\n\n"
                  "#include \"kernels/cuda/Common.cuh\"\n\n"
                  "#include <type_traits>\n\n"
                  "namespace kestrel::cuda::instances {\n\n" +
                  kernels + "\n" + launcher +
                  "\n} // namespace kestrel::cuda::instances\n";
  return kernel;
}

} // namespace kestrel::codegen::cuda
