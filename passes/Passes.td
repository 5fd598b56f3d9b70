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

//===----------------------------------------------------------------------===//
// Phase 2: fusion
//===----------------------------------------------------------------------===//

def FuseNorms : Pass<"kestrel-fuse-norms", "mlir::func::FuncOp"> {
  let summary = "Fuse RMSNorm and LayerNorm chains into kestrel.rms_norm and "
                "kestrel.layer_norm";
  let description = [{
    Rewrites the RMSNorm chains exporters write,
    `x * rsqrt(mean(x^2) + eps) * w`, into one `kestrel.rms_norm`. The
    square is `pow(x, 2)` or `x * x`; the mean runs over trailing dims with
    keepdims; eps is a scalar constant added on either side; the reciprocal
    square root is `rsqrt`, `reciprocal(sqrt)`, `1 / sqrt` or a division of
    x by the `sqrt`; the optional scale `w` is a multiplication by a tensor of exactly
    the normalized dims (without one, the weight is a splat 1). Every
    intermediate must have no other user; chains that do not match stay as
    they are (`--debug-only=kestrel-fuse-norms` says why).

    LayerNorm from primitives, as older exporters write it,
    `d = x - mean(x); y = d / sqrt(mean(d^2) + eps) * g + b` (the square as
    `pow(d, 2)` or `d * d`; scale and bias optional, each a tensor of the
    normalized dims), becomes one `kestrel.layer_norm` (with a splat-1 scale
    when there is none).

    Example:
    ```mlir
    // Before:
    %s = kestrel.pow %x, %two : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
    %m = kestrel.reduce_mean %s {axes = array<i64: 1>} : (tensor<?x64xf32>) -> tensor<?x1xf32>
    %a = kestrel.add %m, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
    %r = kestrel.rsqrt %a : (tensor<?x1xf32>) -> tensor<?x1xf32>
    %n = kestrel.mul %x, %r : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
    %y = kestrel.mul %w, %n : (tensor<64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    // After:
    %y = kestrel.rms_norm %x, %w {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
        : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
}

//===----------------------------------------------------------------------===//
// Phase 3: buffers
//===----------------------------------------------------------------------===//

def PlanMemory : Pass<"kestrel-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Assign every intermediate tensor an offset in one arena";
  let description = [{
    Liveness-based memory planning (the BufferPlan analysis, which the CPU
    code generator uses too). Values live in one of: bound inputs, the
    weights file, constants, output buffers (returned values are written
    in place), host buffers (values whose data decides shapes, computed
    before the run), aliases (a `kestrel.reshape` shares its operand's
    data) and the arena. An arena value lives from its definition to its
    last use, uses through aliases included. Arena values are placed
    largest first at the lowest 64-byte aligned offset that no value with
    an overlapping lifetime occupies, so values whose lifetimes are
    disjoint share memory.

    With static shapes every op with arena results gets
    `kestrel.arena_offsets` (one byte offset per result, -1 for results
    that live elsewhere) and the function gets `kestrel.arena_bytes` (the
    peak) and `kestrel.intermediate_bytes` (the sum of all arena values,
    what allocating each separately would take). With symbolic dims the
    function gets `kestrel.arena_planning = "runtime"`: the runtime runs the
    same placement on the actual sizes when a session first sees a set of
    input shapes (and again when they change).

    Example:
    ```mlir
    %0 = kestrel.exp %x : (tensor<256xf32>) -> tensor<256xf32>  // [0, 1024)
    %1 = kestrel.neg %0 : (tensor<256xf32>) -> tensor<256xf32>  // [1024, 2048)
    %2 = kestrel.sqrt %1 : (tensor<256xf32>) -> tensor<256xf32> // reuses [0, 1024)
    %3 = kestrel.abs %2 : (tensor<256xf32>) -> tensor<256xf32>  // the output
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
}

#endif // KESTREL_PASSES_TD
