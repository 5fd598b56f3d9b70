//===- Passes.td - Kestrel graph passes --------------------*- tablegen -*-===//
//
// Every Kestrel pass, grouped by pipeline phase; alphabetical inside a phase.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PASSES_TD
#define KESTREL_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Phase 1: graph cleanup and shape refinement
//===----------------------------------------------------------------------===//

def InferShapes : Pass<"kestrel-infer-shapes", "mlir::ModuleOp"> {
  let summary = "Refine tensor result types from the ops' shape rules";
  let description = [{
    Walks each function in order and replaces every kestrel result type by
    the join of its declared type and the type its op infers from the
    (already refined) operand types: a dynamic dimension becomes static when
    the shape rules determine it. `kestrel.cast` takes its operand's shape,
    `kestrel.fused_elementwise` the broadcast shape of its inputs and
    `kestrel.reshape` the entries of a constant shape operand. A result
    is refined only when every user accepts a refined type (kestrel ops and
    `func.return` of a function nobody calls); such an entry function's result
    types follow its return values.

    Example:

    ```mlir
    // Before: the import kept the result dynamic.
    %0 = kestrel.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
    // After:
    %0 = kestrel.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
  let statistics = [
    Statistic<"numRefined", "num-refined", "Number of result types refined">
  ];
}

#endif // KESTREL_PASSES_TD
