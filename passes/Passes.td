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

def FuseAttention : Pass<"kestrel-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Fuse decomposed scaled dot-product attention into "
                "kestrel.attention";
  let description = [{
    Finds attention as exporters decompose it, from each last-axis softmax
    outwards: `matmul(softmax(matmul(q, kᵀ) · s + mask), v)`, and rewrites
    the final matmul into one `kestrel.attention`. Recognized forms:

    - the scale as a Mul or Div by a scalar, on the scores, on q, on k or on
      both q and k (the √√d of dynamo exports); the fused scale is their
      product;
    - kᵀ as `transpose(k, [0, 1, 3, 2])`, as dynamo's rank-3
      reshape/transpose/reshape, or as matmul's `transpose_b`;
    - GQA/MQA's repeat-kv (reshape to a unit dim, Expand, reshape) on k and
      v: the fused op reads the kv heads in place;
    - causal masks: `where(j <= i, 0, -big)` of two aranges (torch's and
      Trilu's export), `where(j <= i, s, -big)`, and constant lower
      triangles become `causal = true`;
    - any other additive float mask (e.g. padding) becomes `mask`, a
      `where(keep, s, -big)` mask the i1 `mask`;
    - dynamo's NaN guard after the softmax, `where(p != p, 0, p)`: the fused
      kernels give a fully masked row zeros.

    The head counts are set when q's and k's types fix them and left to the
    run-time shapes otherwise. Sites that do not match stay unfused; with
    `report`, every softmax gets a remark saying whether it was fused and,
    if not, why (`kestrelc --fusion-remarks` turns it on in the compile
    pipeline).

    Example:
    ```mlir
    // Before:
    %kt = kestrel.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : ...
    %s = kestrel.matmul %q, %kt : ...
    %c = kestrel.mul %s, %scale : ...
    %p = kestrel.softmax %c {axis = 3 : i64} : ...
    %o = kestrel.matmul %p, %v : ...
    // After:
    %o = kestrel.attention %q, %k, %v {causal = false, num_heads = 4 : i64,
        num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32} : ...
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every softmax whether it was fused, and why not">
  ];
  let statistics = [
    Statistic<"numFused", "num-fused", "Number of attention sites fused">
  ];
}

def FuseMatmulEpilogue : Pass<"kestrel-fuse-matmul-epilogue",
                              "mlir::func::FuncOp"> {
  let summary = "Fold the elementwise ops after a matmul into "
                "kestrel.fused_matmul";
  let description = [{
    Folds what exporters write right after a float matmul, in epilogue
    order, `matmul(a, b) [* alpha] [+ bias] [relu | gelu | silu]
    [+ residual]`, into one `kestrel.fused_matmul`: alpha a scalar
    constant, bias a vector of the output's last dim, the residual a tensor
    of exactly the output's type. Each step is optional; each intermediate
    must have no other user. Runs after kestrel-fuse-attention, whose
    patterns start at matmuls too.

    Example:
    ```mlir
    // Before:
    %m = kestrel.matmul %x, %w : (tensor<?x64xf32>, tensor<64x256xf32>) -> tensor<?x256xf32>
    %b = kestrel.add %m, %bias : (tensor<?x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    %g = kestrel.gelu %b : (tensor<?x256xf32>) -> tensor<?x256xf32>
    // After:
    %g = kestrel.fused_matmul %x, %w bias %bias {activation = "gelu"}
        : (tensor<?x64xf32>, tensor<64x256xf32>, tensor<256xf32>) -> tensor<?x256xf32>
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
}

def FuseParallelMatmuls : Pass<"kestrel-fuse-parallel-matmuls",
                               "mlir::func::FuncOp"> {
  let summary = "Merge float matmuls of one input over weights into "
                "kestrel.multi_matmul";
  let description = [{
    Matmuls that read the same lhs (not transposed) and whose rhs are rank-2
    weights become one `kestrel.multi_matmul`: one GEMM over the weights
    side by side, the input read once, one kernel where there were several.

    A gated pair, `mul(act(x . Wg [+ bg]), x . Wu [+ bu])` with act silu,
    gelu or gelu_tanh in the gate's `kestrel.fused_matmul`, becomes a
    multi_matmul with `glu` (SwiGLU/GeGLU in the epilogue). The remaining
    matmuls of one lhs with the same epilogue (alpha, activation, biases on
    all or none, no residual) become one multi_matmul with a result per
    matmul: attention's Q, K and V projections. Biases must be weights or
    constants. Runs after kestrel-fuse-matmul-epilogue and before
    kestrel-fuse-elementwise. With `report`, each merge gets a remark.

    Example:
    ```mlir
    // Before:
    %q = kestrel.matmul %x, %wq : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %k = kestrel.matmul %x, %wk : (tensor<?x64xf32>, tensor<64x16xf32>) -> tensor<?x16xf32>
    // After:
    %q, %k = kestrel.multi_matmul %x, %wq, %wk : (tensor<?x64xf32>,
        tensor<64x64xf32>, tensor<64x16xf32>) -> (tensor<?x64xf32>, tensor<?x16xf32>)
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every merge">
  ];
  let statistics = [
    Statistic<"numFused", "num-fused", "Number of multi_matmuls formed">
  ];
}

def FoldTransposes : Pass<"kestrel-fold-transposes", "mlir::func::FuncOp"> {
  let summary = "Take the transposes around attention into its layout";
  let description = [{
    Exporters move attention's operands from the projections' `[B, S, H, D]`
    to `[B, H, S, D]` and its output back: four copies per layer. A
    `kestrel.attention` whose query, key and value are transposes by
    `[0, 2, 1, 3]` reads their inputs in its `bshd` layout instead and
    writes its output in it; the transpose that brings the output back to
    `[B, H, S, D]` meets the exporter's one after attention and both fold
    away. A transpose that keeps the last dim moves past `kestrel.rope`
    first (cos and sin permuted the other way: a reshape for the `[1, 1,
    S, D/2]` tables of rotary embeddings), so that it reaches attention.
    Transposes left without users are erased; a site where no transpose
    would go away is left as it is. With `report`, each attention whose
    layout changed gets a remark saying how many transposes went.

    Example:
    ```mlir
    // Before:
    %qt = kestrel.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
    %kt = kestrel.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
    %vt = kestrel.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x4x8xf32>) -> tensor<?x4x?x8xf32>
    %o = kestrel.attention %qt, %kt, %vt {causal = true} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32>
    %ot = kestrel.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x4x?x8xf32>) -> tensor<?x?x4x8xf32>
    // After:
    %ot = kestrel.attention %q, %k, %v {causal = true, layout = "bshd"} : (tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>) -> tensor<?x?x4x8xf32>
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every attention whose layout changed">
  ];
  let statistics = [
    Statistic<"numRemoved", "num-removed", "Number of transposes removed">
  ];
}

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
    they are (in an LLVM build with assertions,
    `--debug-only=kestrel-fuse-norms` says why).

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

def FuseResidualNorm : Pass<"kestrel-fuse-residual-norm", "mlir::func::FuncOp"> {
  let summary = "Fuse a residual add and the norm that reads it into "
                "kestrel.add_rms_norm or kestrel.add_layer_norm";
  let description = [{
    A `kestrel.rms_norm` or `kestrel.layer_norm` whose input is a
    `kestrel.add` of two operands of the add's own type (no broadcast)
    becomes one `kestrel.add_rms_norm` / `kestrel.add_layer_norm`, whose two
    results are the sum (the residual stream, for its other users) and the
    normalized value. The kernels read both operands once and write both
    results once, instead of writing the sum and reading it back.

    Run it after `kestrel-fuse-matmul-epilogue`: a residual add that a
    matmul epilogue can take is cheaper there (the matmul's output is never
    written on its own), so this pass takes only the adds no epilogue could,
    such as the one after an MoE block. With `report`, every norm whose
    input is an add gets a remark saying whether it was fused and, if not,
    why.

    Example:
    ```mlir
    // Before:
    %h = kestrel.add %x, %r : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    %y = kestrel.rms_norm %h, %w {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
        : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
    // After:
    %h, %y = kestrel.add_rms_norm %x, %r, %w {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
        : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every norm of an add whether it was fused, and why not">
  ];
  let statistics = [
    Statistic<"numFused", "num-fused", "Number of residual adds fused">
  ];
}

def FuseRope : Pass<"kestrel-fuse-rope", "mlir::func::FuncOp"> {
  let summary = "Fuse rotate-half rotary embedding chains into kestrel.rope";
  let description = [{
    Rewrites the rotate-half rotary embedding GPT-NeoX/Llama exports write,
    `x * cos + concat(-x[..., h:], x[..., :h]) * sin` (either operand order),
    into one `kestrel.rope x, cos[..., :h], sin[..., :h]`. The full-width
    cos and sin must provably have two equal halves: the pass follows them
    back through elementwise ops, scalar scaling, row-preserving reshapes
    and gathers (a position lookup) to `concat(f, f)` on the last axis, or to
    a constant whose halves it compares. Other chains stay unfused.

    Example:
    ```mlir
    // Before (h = 8):
    %lo = kestrel.slice %x {starts = [0, 0, 0, 0], ends = [max, max, max, 8], ...}
    %hi = kestrel.slice %x {starts = [0, 0, 0, 8], ends = [max, max, max, max], ...}
    %n = kestrel.neg %hi
    %r = kestrel.concat %n, %lo {axis = 3 : i64}
    %a = kestrel.mul %x, %cos
    %b = kestrel.mul %r, %sin
    %y = kestrel.add %a, %b
    // After:
    %c = kestrel.slice %cos {... ends = [max, max, max, 8] ...}
    %s = kestrel.slice %sin {... ends = [max, max, max, 8] ...}
    %y = kestrel.rope %x, %c, %s
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect"];
}

def FuseElementwise : Pass<"kestrel-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse trees of elementwise ops into kestrel.fused_elementwise";
  let description = [{
    Gathers trees of float elementwise ops (arithmetic, activations,
    comparisons feeding a where, float casts) into one
    `kestrel.fused_elementwise` whose body holds the same math on scalars,
    so a chain reads its inputs once and writes one result. Starting from the
    last op, a group absorbs an operand's producer when the producer is
    fusible, has the group's result shape (no work repeated across a
    broadcast) and all of its users are in the group. One-element constants
    that do not widen the op they feed become `arith.constant`s in the
    body. Groups of one op stay as they are; a group keeps at most 15
    inputs. Runs after the other fusion passes, so that norms, rope,
    attention and matmul epilogues take their ops first.

    Example:
    ```mlir
    // Before (SiLU written out, times the up projection):
    %s = kestrel.sigmoid %g : (tensor<?x64xf32>) -> tensor<?x64xf32>
    %a = kestrel.mul %g, %s : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    %y = kestrel.mul %a, %u : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
    // After:
    %y = kestrel.fused_elementwise ins(%g, %u : tensor<?x64xf32>, tensor<?x64xf32>) {
    ^bb0(%x: f32, %v: f32):
      ... sigmoid, two mulf ...
      kestrel.yield %r : f32
    } -> tensor<?x64xf32>
    ```
  }];
  let dependentDialects = ["::kestrel::KestrelDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
  let statistics = [
    Statistic<"numFused", "num-fused", "Number of fused_elementwise ops made">,
    Statistic<"numAbsorbed", "num-absorbed",
              "Number of elementwise ops moved into them">
  ];
}

//===----------------------------------------------------------------------===//
// Phase 3: kernels and buffers
//===----------------------------------------------------------------------===//

def AssignStorage : Pass<"kestrel-assign-storage", "mlir::func::FuncOp"> {
  let summary = "Store f32 model data in bf16/f16: #kestrel.storage types";
  let description = [{
    The storage precision of the target (`kestrelc --precision`): rewrites
    the type of every f32 value that carries model data to
    `tensor<...xf32, #kestrel.storage<bf16>>` (or f16). The ops still
    compute in f32; the encoding says what the value's buffer holds, and
    kernel selection (a tensor-core GEMM needs half-precision operands),
    the memory plan and code generation read it from the type.

    The policy (passes/StorageTypes.h): values derived from a float input
    or from a weight of rank 2 or more (projections, embeddings) are stored
    in `precision`; positions, rotary tables built from them, masks and
    vector weights (norm scales, biases) stay f32, as mixed-precision
    serving keeps them. Values that share data or that one kernel reads and
    writes in one type get one type; binary ops, casts and fused_elementwise
    convert at their boundary. With `precision=f32` (the CPU target) the IR
    is unchanged.

    Example (`precision=bf16`):
    ```mlir
    func.func @main(%x: tensor<?x64xf32, #kestrel.storage<bf16>>) -> ... {
      %w = kestrel.weight "w" : tensor<64x64xf32, #kestrel.storage<bf16>>
      %y = kestrel.matmul %x, %w {...}
          : (...) -> tensor<?x64xf32, #kestrel.storage<bf16>>
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", "\"f32\"",
           "The type f32 model data is stored in: f32, bf16 or f16">,
  ];
  let dependentDialects = ["::kestrel::KestrelDialect"];
}

def SelectKernels : Pass<"kestrel-select-kernels", "mlir::func::FuncOp"> {
  let summary = "Choose each compute op's kernel by predicted latency: "
                "#kestrel.impl";
  let description = [{
    Attaches `kestrel.impl = #kestrel.impl<"candidate", {config},
    predicted_us = array<f64: ...>>` to every op that runs a kernel (all but
    `kestrel.weight`, `kestrel.constant` and reshapes that alias their
    operand). The candidates are those the target's kernel registry
    (passes/KernelRegistry.h) has for the op and that accept the op's
    storage types (`#kestrel.storage`, from kestrel-assign-storage), each
    point of their configuration space, and for a row count known only at
    run time each again with the registry's run-time guard (`gemv_max_m =
    8`: the GEMV kernels take calls of at most that many rows). Each is
    predicted by the latency predictor (predictor/CostModel.h) on the
    device profile, corrected by a calibration when given, with every
    dynamic dim taken as each value of `dynamic-dims` in turn; the lowest
    sum over those scenarios of predicted time over the scenario's best
    wins (ties keep registry order), and its predicted times are recorded.
    Ops the CUDA target runs on the host (values that decide shapes) get
    CPU candidates, predicted on the host CPU. Code generation reads the
    choice from the attribute and from nowhere else; `kestrelc --explain`
    prints the ranking (passes/KernelSelection.h).

    `device` names the profile: a predictor/devices name (`h200`), a .json
    file, or `host` (this CPU, detected without timing it; the default for
    the cpu target; `h100-sxm` for cuda). `calibration` is a file written
    by kestrel-calibrate; it corrects the CPU's predictions and brings the
    measured host profile.

    `force` (kestrelc --kernel) names a candidate to use wherever it can
    run the op, for experiments; ops it cannot run keep the predictor's
    choice with a warning saying why.

    Example:
    ```mlir
    %y = kestrel.matmul %x, %w {kestrel.impl = #kestrel.impl<"cuda.gemm.mma",
           {gemv_max_m = 8 : i64, tile_k = 32 : i64, tile_m = 128 : i64,
            tile_n = 128 : i64, warps_m = 2 : i64, warps_n = 4 : i64},
           predicted_us = array<f64: 6.1, 9.8>>,
           transpose_a = false, transpose_b = true} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", "\"cpu\"",
           "The target whose kernels to choose: cpu or cuda">,
    Option<"force", "force", "std::string", "\"\"",
           "A candidate to use wherever it can run the op">,
    Option<"device", "device", "std::string", "\"\"",
           "The device profile: a name, a .json file or host (default: host "
           "for cpu, h100-sxm for cuda)">,
    Option<"calibration", "calibration", "std::string", "\"\"",
           "A kestrel-calibrate file correcting the CPU's predictions">,
    ListOption<"dynamicDims", "dynamic-dims", "int64_t",
               "The values dynamic dims take, one scenario each (default "
               "1,64)">,
    Option<"threads", "threads", "int", "0",
           "CPU threads the model runs with (0: the profile's cores)">,
  ];
  let dependentDialects = ["::kestrel::KestrelDialect"];
}

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
    input shapes (and again when they change). Code generation reads the
    plan from these attributes (readBufferPlan checks it), so it is the
    last pass of the compile pipeline.

    A `kestrel.nonzero` whose result's length depends on data computed in
    the run splits the run into stages: the ops that read its result (and
    everything after them that depends on it) run in the next stage, whose
    shapes are worked out and whose intermediates are placed, in an arena
    of their own, once the stages before have run. The function gets
    `kestrel.num_stages` and each op after the first stage its
    `kestrel.stage`.

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
