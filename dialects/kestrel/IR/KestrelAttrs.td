//===- KestrelAttrs.td - Kestrel dialect attributes --------*- tablegen -*-===//
//
// Attributes of the kestrel dialect.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_ATTRS_TD
#define KESTREL_ATTRS_TD

include "dialects/kestrel/IR/KestrelBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"

class Kestrel_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Kestrel_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Kestrel_ImplAttr : Kestrel_Attr<"Impl", "impl"> {
  let summary = "The kernel implementation chosen for a compute op";
  let description = [{
    Attached as `kestrel.impl` to every op that runs a kernel, by
    `kestrel-select-kernels`: the candidate of the target's kernel registry
    that runs the op (`"cuda.gemm.mma"`, `"cpu.norm"`, ...) and its
    configuration, a dictionary over the candidate's configuration space
    (for the tensor-core GEMM the tile: `tile_m`, `tile_n`, `tile_k`,
    `warps_m`, `warps_n`), and the latency the predictor expects of it in
    microseconds, one value per dynamic-dim scenario of the selection (one
    for static shapes). Code generation reads the kernel choice from here
    and from nowhere else.

    ```mlir
    %y = kestrel.matmul %x, %w {kestrel.impl = #kestrel.impl<"cuda.gemm.mma",
           {tile_k = 32 : i64, tile_m = 128 : i64, tile_n = 128 : i64,
            warps_m = 2 : i64, warps_n = 4 : i64},
           predicted_us = array<f64: 41.5>>, ...}
    ```
  }];
  let parameters = (ins "::mlir::StringAttr":$candidate,
                        "::mlir::DictionaryAttr":$config,
                        OptionalParameter<"::mlir::DenseF64ArrayAttr">:$predicted);
  let builders = [
    AttrBuilderWithInferredContext<(ins "::mlir::StringAttr":$candidate,
                                        "::mlir::DictionaryAttr":$config), [{
      return $_get(candidate.getContext(), candidate, config,
                   ::mlir::DenseF64ArrayAttr());
    }]>
  ];
  let assemblyFormat =
      "`<` $candidate `,` $config (`,` `predicted_us` `=` "
      "custom<Microseconds>($predicted)^)? `>`";
  let extraClassDeclaration = [{
    /// The attribute's name on an op.
    static constexpr ::llvm::StringLiteral kName = "kestrel.impl";
    /// The integer configuration value `key`, or `fallback` without one.
    int64_t getInt(::llvm::StringRef key, int64_t fallback = 0) const;
  }];
}

def Kestrel_StorageAttr : Kestrel_Attr<"Storage", "storage", [
    DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "The element type a tensor is stored in";
  let description = [{
    A tensor type's encoding, written by `kestrel-assign-storage`: the
    tensor's values are stored in `type` while the ops compute on the
    element type (in f32). Today that is the CUDA target's mixed precision
    (`kestrelc --precision`): f32 model data stored in bf16 or f16.

    ```mlir
    %y = kestrel.matmul %x, %w {...}
        : (tensor<?x64xf32, #kestrel.storage<bf16>>,
           tensor<64x64xf32, #kestrel.storage<bf16>>)
        -> tensor<?x64xf32, #kestrel.storage<bf16>>
    ```
  }];
  let parameters = (ins "::mlir::Type":$type);
  let assemblyFormat = "`<` $type `>`";
}

#endif // KESTREL_ATTRS_TD
