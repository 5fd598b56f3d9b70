//===- KestrelBase.td - Kestrel dialect, types and op base -*- tablegen -*-===//
//
// The kestrel dialect: graph-level tensor ops for transformer and
// Mixture-of-Experts models. This file holds the dialect record, the element
// and tensor type constraints shared by every op, and the op base classes.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_BASE_TD
#define KESTREL_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

def Kestrel_Dialect : Dialect {
  let name = "kestrel";
  let cppNamespace = "::kestrel";
  let summary = "Graph-level ops of the Kestrel transformer/MoE compiler";
  let description = [{
    The `kestrel` dialect models a transformer or Mixture-of-Experts network at
    graph level, on ranked tensors with static or dynamic dimensions. It has
    three tiers of ops:

    * import-level ops close to ONNX semantics (`matmul`, elementwise
      arithmetic and activations, reductions, data movement, `constant`,
      `weight`), produced by the ONNX frontend;
    * fused ops (`rms_norm`, `layer_norm`, `add_rms_norm`,
      `add_layer_norm`, `rope`, `attention`, `fused_matmul`,
      `fused_elementwise`) produced by the fusion passes and by the frontend
      for ONNX ops that already have fused semantics;
    * lowered ops added by later phases (MoE routing, FP8 quantization).

    Conventions shared by every op:

    * Element types are `f32`, `f16`, `bf16`, `f8E4M3FN`, `i64`, `i32` and
      `i1`; integers are signless and interpreted as signed.
    * Binary elementwise ops broadcast their operands with NumPy semantics
      (ONNX "multidirectional broadcasting").
    * Axis attributes are normalized: every axis lies in `[0, rank)` and axis
      lists are sorted and unique. The frontend resolves negative ONNX axes.
    * Result types may be written more precisely than the operands imply (a
      static dimension where inference only knows a dynamic one); they must be
      compatible with the inferred type.
    * Model parameters are `kestrel.weight` references into the weights file;
      the IR text never holds large literals.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Kestrel_FloatType : AnyTypeOf<[F32, F16, BF16, F8E4M3FN]>;
def Kestrel_IntType : AnyTypeOf<[I64, I32]>;
def Kestrel_ElementType
    : AnyTypeOf<[F32, F16, BF16, F8E4M3FN, I64, I32, I1]>;

def Kestrel_Tensor
    : RankedTensorOf<[F32, F16, BF16, F8E4M3FN, I64, I32, I1]>;
def Kestrel_FloatTensor : RankedTensorOf<[F32, F16, BF16, F8E4M3FN]>;
def Kestrel_NumericTensor
    : RankedTensorOf<[F32, F16, BF16, F8E4M3FN, I64, I32]>;
def Kestrel_BoolTensor : RankedTensorOf<[I1]>;
def Kestrel_IndexTensor : RankedTensorOf<[I64, I32]>;
def Kestrel_ShapeTensor : TensorRankOf<[I64], [1]>;
def Kestrel_StaticTensor
    : StaticShapeTensorOf<[F32, F16, BF16, F8E4M3FN, I64, I32, I1, UI8]>;
// Packed low-bit data (kestrel.matmul_nbits' weights): raw bytes, only ever
// a weight.
def Kestrel_PackedTensor : StaticShapeTensorOf<[UI8]>;

//===----------------------------------------------------------------------===//
// Result-type inference
//===----------------------------------------------------------------------===//

// Verifies the op's shape rules before the upstream InferTypeOpInterface
// verifier runs, so that invalid IR reports the rule it breaks once (and not
// also "failed to infer returned types").
def Kestrel_ShapeRules : NativeOpTrait<"ShapeRules"> {
  let cppNamespace = "::kestrel::OpTrait";
}

// Like upstream `InferTypeOpAdaptorWithIsCompatible`, with one compatibility
// rule for the whole dialect: a declared result type may refine the inferred
// one (static where inference is dynamic) but never contradict it.
def Kestrel_InferTypes : TraitList<[
  Kestrel_ShapeRules,
  DeclareOpInterfaceMethods<InferTypeOpInterface>,
  NativeOpTrait<"InferTypeOpAdaptor", [], [{
    static ::llvm::LogicalResult
    inferReturnTypes(::mlir::MLIRContext *context,
                     std::optional<::mlir::Location> location, Adaptor adaptor,
                     ::llvm::SmallVectorImpl<::mlir::Type> &inferredReturnTypes);
    static bool isCompatibleReturnTypes(::mlir::TypeRange l,
                                        ::mlir::TypeRange r) {
      return ::kestrel::areCompatibleTensorTypes(l, r);
    }
  }], [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        ::mlir::ValueRange operands, ::mlir::DictionaryAttr attributes,
        ::mlir::OpaqueProperties properties, ::mlir::RegionRange regions,
        ::llvm::SmallVectorImpl<::mlir::Type> &inferredReturnTypes) {
      $cppClass::Adaptor adaptor(operands, attributes, properties, regions);
      return $cppClass::inferReturnTypes(context, location, adaptor,
                                         inferredReturnTypes);
    }
  }]>
]>;

//===----------------------------------------------------------------------===//
// Op base classes
//===----------------------------------------------------------------------===//

class Kestrel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kestrel_Dialect, mnemonic, traits>;

// Builds an op description from the semantics and an IR example.
class Kestrel_Doc<string semantics, string example> {
  string text = semantics # "\n\nExample:\n\n```mlir\n" # example # "\n```\n";
}

#endif // KESTREL_BASE_TD
