//===- KestrelOps.td - Kestrel dialect ops -----------------*- tablegen -*-===//
//
// Import-level and fused ops of the kestrel dialect. Sections: elementwise,
// linear algebra and reductions, data movement, values, fused ops.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_OPS_TD
#define KESTREL_OPS_TD

include "dialects/kestrel/IR/KestrelBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

// A unary op whose result has the type of its operand.
class Kestrel_UnaryOp<string mnemonic, Type tensorTy, string semantics,
                      list<Trait> traits = []>
    : Kestrel_Op<mnemonic, !listconcat([Pure, Kestrel_InferTypes], traits)> {
  let description = Kestrel_Doc<semantics,
      "%y = kestrel." # mnemonic # " %x : (tensor<?x4096xf32>) -> "
      # "tensor<?x4096xf32>">.text;
  let arguments = (ins tensorTy:$input);
  let results = (outs tensorTy:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::kestrel::inferElementwiseResult(
          location, getOperationName(), adaptor.getOperands().getTypes(),
          /*resultElementType=*/nullptr, types);
    }
  }];
}

class Kestrel_FloatUnaryOp<string mnemonic, string semantics>
    : Kestrel_UnaryOp<mnemonic, Kestrel_FloatTensor, semantics> {
  let summary = semantics;
}

def Kestrel_NegOp : Kestrel_UnaryOp<"neg", Kestrel_NumericTensor,
    "Elementwise negation `-x`."> { let summary = "elementwise negation"; }
def Kestrel_AbsOp : Kestrel_UnaryOp<"abs", Kestrel_NumericTensor,
    "Elementwise absolute value `|x|`."> {
  let summary = "elementwise absolute value";
}
def Kestrel_ReluOp : Kestrel_UnaryOp<"relu", Kestrel_NumericTensor,
    "Elementwise rectified linear unit `max(x, 0)`."> {
  let summary = "elementwise ReLU";
}

def Kestrel_SqrtOp : Kestrel_FloatUnaryOp<"sqrt", "Elementwise square root.">;
def Kestrel_RsqrtOp
    : Kestrel_FloatUnaryOp<"rsqrt", "Elementwise reciprocal square root.">;
def Kestrel_ReciprocalOp
    : Kestrel_FloatUnaryOp<"reciprocal", "Elementwise reciprocal `1 / x`.">;
def Kestrel_ExpOp : Kestrel_FloatUnaryOp<"exp", "Elementwise natural exponential.">;
def Kestrel_LogOp : Kestrel_FloatUnaryOp<"log", "Elementwise natural logarithm.">;
def Kestrel_ErfOp : Kestrel_FloatUnaryOp<"erf", "Elementwise Gauss error function.">;
def Kestrel_TanhOp
    : Kestrel_FloatUnaryOp<"tanh", "Elementwise hyperbolic tangent.">;
def Kestrel_SinOp : Kestrel_FloatUnaryOp<"sin", "Elementwise sine (radians).">;
def Kestrel_FloorOp
    : Kestrel_FloatUnaryOp<"floor", "Elementwise rounding toward -infinity.">;
def Kestrel_CeilOp
    : Kestrel_FloatUnaryOp<"ceil", "Elementwise rounding toward +infinity.">;
def Kestrel_RoundOp : Kestrel_FloatUnaryOp<"round",
    "Elementwise rounding to the nearest integer, ties to even (ONNX "
    "`Round`).">;
def Kestrel_CosOp : Kestrel_FloatUnaryOp<"cos", "Elementwise cosine (radians).">;
def Kestrel_SigmoidOp : Kestrel_FloatUnaryOp<"sigmoid",
    "Elementwise logistic sigmoid `1 / (1 + exp(-x))`.">;
def Kestrel_SiluOp : Kestrel_FloatUnaryOp<"silu",
    "Elementwise SiLU (swish) `x * sigmoid(x)`.">;

def Kestrel_GeluOp : Kestrel_Op<"gelu", [Pure, Kestrel_InferTypes]> {
  let summary = "elementwise GELU, exact or tanh-approximated";
  let description = Kestrel_Doc<[{
    `0.5 * x * (1 + erf(x / sqrt(2)))`; with `approximate = true` the tanh
    form `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))` that
    GPT-2 and ONNX `Gelu(approximate="tanh")` / `FastGelu` use.
  }], "%y = kestrel.gelu %x {approximate = true} : (tensor<?x3072xf32>) -> "
      "tensor<?x3072xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       DefaultValuedAttr<BoolAttr, "false">:$approximate);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_NotOp : Kestrel_UnaryOp<"not", Kestrel_BoolTensor,
    "Elementwise logical negation of an `i1` tensor."> {
  let summary = "elementwise logical not";
}

// A broadcasting binary op. `resultElementType` null: the operands' type.
class Kestrel_BinaryOp<string mnemonic, Type operandTy, Type resultTy,
                       string semantics, string resultElementType = "nullptr",
                       string exampleResultElement = "f32">
    : Kestrel_Op<mnemonic, [Pure, Kestrel_InferTypes,
                            SameOperandsElementType]> {
  let description = Kestrel_Doc<semantics # [{

    The operands broadcast with NumPy semantics; the result has the
    broadcast shape.
  }], "%z = kestrel." # mnemonic # " %x, %y : (tensor<?x8x128xf32>, "
      "tensor<128xf32>) -> tensor<?x8x128x" # exampleResultElement # ">">.text;
  let arguments = (ins operandTy:$lhs, operandTy:$rhs);
  let results = (outs resultTy:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let extraClassDefinition = [{
    ::mlir::OpFoldResult $cppClass::fold(FoldAdaptor adaptor) {
      return ::kestrel::foldBinaryConstants(getOperation(), adaptor.getLhs(),
                                            adaptor.getRhs());
    }
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      (void)context;
      return ::kestrel::inferElementwiseResult(
          location, getOperationName(), adaptor.getOperands().getTypes(),
  }] # resultElementType # [{, types);
    }
  }];
}

class Kestrel_ArithOp<string mnemonic, string semantics>
    : Kestrel_BinaryOp<mnemonic, Kestrel_NumericTensor, Kestrel_NumericTensor,
                       semantics> {
  let summary = semantics;
}

def Kestrel_AddOp : Kestrel_ArithOp<"add", "Elementwise addition `x + y`.">;
def Kestrel_SubOp : Kestrel_ArithOp<"sub", "Elementwise subtraction `x - y`.">;
def Kestrel_MulOp
    : Kestrel_ArithOp<"mul", "Elementwise multiplication `x * y`.">;
def Kestrel_DivOp : Kestrel_ArithOp<"div",
    "Elementwise division `x / y` (integers truncate toward zero).">;
def Kestrel_PowOp : Kestrel_ArithOp<"pow", "Elementwise power `x ^ y`.">;
def Kestrel_MaxOp : Kestrel_ArithOp<"max", "Elementwise maximum.">;
def Kestrel_MinOp : Kestrel_ArithOp<"min", "Elementwise minimum.">;
def Kestrel_ModOp : Kestrel_ArithOp<"mod",
    "Elementwise floored remainder: `x - y * floor(x / y)`, the divisor's "
    "sign (Python's `%`, numpy's `mod`; an integer `x mod 0` is a run-time "
    "error).">;
def Kestrel_FModOp : Kestrel_ArithOp<"fmod",
    "Elementwise truncated remainder: C's `fmod`, the dividend's sign (an "
    "integer `x fmod 0` is a run-time error).">;

class Kestrel_CompareOp<string mnemonic, string semantics>
    : Kestrel_BinaryOp<mnemonic, Kestrel_Tensor, Kestrel_BoolTensor, semantics,
                       "::mlir::IntegerType::get(context, 1)", "i1"> {
  let summary = semantics;
}

def Kestrel_EqualOp : Kestrel_CompareOp<"equal", "Elementwise `x == y`.">;
def Kestrel_NotEqualOp
    : Kestrel_CompareOp<"not_equal", "Elementwise `x != y`.">;
def Kestrel_LessOp : Kestrel_CompareOp<"less", "Elementwise `x < y`.">;
def Kestrel_LessEqualOp
    : Kestrel_CompareOp<"less_equal", "Elementwise `x <= y`.">;
def Kestrel_GreaterOp : Kestrel_CompareOp<"greater", "Elementwise `x > y`.">;
def Kestrel_GreaterEqualOp
    : Kestrel_CompareOp<"greater_equal", "Elementwise `x >= y`.">;

class Kestrel_LogicalOp<string mnemonic, string semantics>
    : Kestrel_BinaryOp<mnemonic, Kestrel_BoolTensor, Kestrel_BoolTensor,
                       semantics, "nullptr", "i1"> {
  let summary = semantics;
}

def Kestrel_AndOp : Kestrel_LogicalOp<"and", "Elementwise logical and.">;
def Kestrel_OrOp : Kestrel_LogicalOp<"or", "Elementwise logical or.">;
def Kestrel_XorOp : Kestrel_LogicalOp<"xor", "Elementwise logical xor.">;

def Kestrel_WhereOp : Kestrel_Op<"where", [Pure, Kestrel_InferTypes]> {
  let hasFolder = 1;
  let summary = "elementwise select";
  let description = Kestrel_Doc<[{
    `condition ? true_value : false_value`, elementwise, with the three
    operands broadcast together.
  }], "%r = kestrel.where %c, %x, %y : (tensor<1x1x?x?xi1>, "
      "tensor<?x32x?x?xf32>, tensor<f32>) -> tensor<?x32x?x?xf32>">.text;
  let arguments = (ins Kestrel_BoolTensor:$condition,
                       Kestrel_Tensor:$true_value,
                       Kestrel_Tensor:$false_value);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_CastOp : Kestrel_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "elementwise element-type conversion";
  let description = Kestrel_Doc<[{
    Converts every element to the result's element type: float to float
    rounds to nearest even (saturating to the largest finite value for
    `f8E4M3FN`), float to integer truncates toward zero, integer to `i1`
    tests for non-zero, `i1` to a number gives 0 or 1.
  }], "%y = kestrel.cast %x : (tensor<?x4096xf32>) -> tensor<?x4096xbf16>">
      .text;
  let arguments = (ins Kestrel_Tensor:$input);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra, normalization-free reductions, softmax
//===----------------------------------------------------------------------===//

def Kestrel_MatmulOp : Kestrel_Op<"matmul", [Pure, Kestrel_InferTypes,
                                            SameOperandsAndResultElementType]> {
  let summary = "batched matrix multiplication with broadcast batch dims";
  let description = Kestrel_Doc<[{
    `lhs` is `[..., M, K]` (`[..., K, M]` with `transpose_a`) and `rhs` is
    `[..., K, N]` (`[..., N, K]` with `transpose_b`); both have rank 2 or
    more. The leading batch dimensions broadcast with NumPy semantics and the
    result is `[broadcast(batch), M, N]`. Accumulation is in f32 or wider for
    floating-point operands.
  }], "%y = kestrel.matmul %x, %w {transpose_b = true} : "
      "(tensor<?x?x4096xbf16>, tensor<11008x4096xbf16>) -> "
      "tensor<?x?x11008xbf16>">.text;
  let arguments = (ins Kestrel_NumericTensor:$lhs, Kestrel_NumericTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_b);
  let results = (outs Kestrel_NumericTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Kestrel_MatmulNBitsOp : Kestrel_Op<"matmul_nbits", [Pure,
    Kestrel_InferTypes]> {
  let summary = "matmul with block-quantized low-bit weights, dequantized "
                "inside the GEMM";
  let description = Kestrel_Doc<[{
    `lhs [..., K]` times the `[K, N]` matrix `W[k][n] = (q[n][k] -
    zero_points[n][b]) * scales[n][b]`, `b = k / block_size`, the result
    `[..., N]` in `lhs`'s element type; products accumulate in f32. The
    weights keep ONNX `com.microsoft` MatMulNBits' layout and stay packed in
    memory: `weight` is `[N, blocks, block_size * bits / 8]` bytes with
    `blocks = ceil(K / block_size)`, element `j` of a block at bits `[j *
    bits, (j + 1) * bits)` of its bytes, low bits first (padding past K
    ignored). `scales` is `[N, blocks]` of a float type; `zero_points`, when
    present, `[N, blocks]` of one byte per block or of a float type, else
    `2^(bits - 1)`. `bits` is 2, 4 or 8; `block_size` a power of 2 of at
    least 16. `accuracy_level` is MatMulNBits' least accuracy of `lhs` in
    the products (0 unset, 1 f32, 2 f16, 3 bf16, 4 int8): at 4 a kernel may
    quantize `lhs` per row and weight block to int8 (the CPU's does, for 4
    bits and up to 16 rows), as ONNX Runtime does.
  }], "%y = kestrel.matmul_nbits %x, %q, %s, %z {bits = 4 : i64, block_size "
      "= 32 : i64, k = 576 : i64} : (tensor<?x?x576xf32>, "
      "tensor<1536x18x16xui8>, tensor<1536x18xf32>, tensor<1536x18xui8>) -> "
      "tensor<?x?x1536xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$lhs, Kestrel_PackedTensor:$weight,
                       Kestrel_FloatTensor:$scales,
                       Optional<AnyTypeOf<[Kestrel_PackedTensor,
                                           Kestrel_FloatTensor]>>:$zero_points,
                       I64Attr:$bits, I64Attr:$block_size, I64Attr:$k,
                       DefaultValuedAttr<I64Attr, "0">:$accuracy_level);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $weight `,` $scales (`,` $zero_points^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_GatherNBitsOp : Kestrel_Op<"gather_nbits", [Pure,
    Kestrel_InferTypes]> {
  let summary = "rows of a block-quantized low-bit table, dequantized";
  let description = Kestrel_Doc<[{
    Rows `indices` (i64 or i32, negative ones counted from the end) of the
    `[V, k]` table `T[r][h] = (q[r][h] - zero_points[r][b]) * scales[r][b]`,
    `b = h / block_size`, packed as `kestrel.matmul_nbits`' weights (row
    `r` in the place of its column `n`): `weight` `[V, blocks, block_size *
    bits / 8]` bytes, `scales` `[V, blocks]` f32, `zero_points` optional
    `[V, blocks]` of bytes or floats (else `2^(bits - 1)`). The result is
    `[indices..., k]` in f32. ONNX `com.microsoft` GatherBlockQuantized
    (a quantized embedding table) imports as this.
  }], "%e = kestrel.gather_nbits %q, %s, %ids {bits = 4 : i64, block_size "
      "= 32 : i64, k = 576 : i64} : (tensor<49152x18x16xui8>, "
      "tensor<49152x18xf32>, tensor<?x?xi64>) -> tensor<?x?x576xf32>">.text;
  let arguments = (ins Kestrel_PackedTensor:$weight,
                       Kestrel_FloatTensor:$scales,
                       Kestrel_IndexTensor:$indices,
                       Optional<AnyTypeOf<[Kestrel_PackedTensor,
                                           Kestrel_FloatTensor]>>:$zero_points,
                       I64Attr:$bits, I64Attr:$block_size, I64Attr:$k);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $weight `,` $scales `,` $indices (`,` $zero_points^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

class Kestrel_SoftmaxBase<string mnemonic, string semantics>
    : Kestrel_Op<mnemonic, [Pure, Kestrel_InferTypes]> {
  let description = Kestrel_Doc<semantics,
      "%p = kestrel." # mnemonic # " %s {axis = 3 : i64} : "
      "(tensor<?x32x?x?xf32>) -> tensor<?x32x?x?xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_SoftmaxOp : Kestrel_SoftmaxBase<"softmax",
    "`exp(x - max(x)) / sum(exp(x - max(x)))` along `axis`."> {
  let summary = "softmax along one axis";
}
def Kestrel_LogSoftmaxOp : Kestrel_SoftmaxBase<"log_softmax",
    "`x - max(x) - log(sum(exp(x - max(x))))` along `axis`."> {
  let summary = "log-softmax along one axis";
}

class Kestrel_ReduceOp<string mnemonic, string semantics,
                       Type tensorTy = Kestrel_NumericTensor>
    : Kestrel_Op<mnemonic, [Pure, Kestrel_InferTypes]> {
  let summary = semantics;
  let description = Kestrel_Doc<semantics # [{

    `axes` is sorted, unique, non-empty and within `[0, rank)`. With
    `keepdims` (the default) reduced dimensions stay as size 1, otherwise
    they are dropped.
  }], "%m = kestrel." # mnemonic # " %x {axes = array<i64: 2>} : "
      "(tensor<?x?x4096xf32>) -> tensor<?x?x1xf32>">.text;
  let arguments = (ins tensorTy:$input,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs tensorTy:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_ReduceSumOp
    : Kestrel_ReduceOp<"reduce_sum", "Sum over the given axes.">;

def Kestrel_CumSumOp : Kestrel_Op<"cumsum", [Pure, Kestrel_InferTypes]> {
  let summary = "cumulative sum along one axis";
  let description = Kestrel_Doc<[{
    Entry `i` along `axis` is the sum of the input's entries `j <= i`
    (`j < i` with `exclusive`; `j >= i` and `j > i` with `reverse`), added
    in that order, as ONNX `CumSum`. Float types narrower than `f32` sum in
    `f32` and round each result; integers wrap. `axis` is in `[0, rank)`.
  }], "%p = kestrel.cumsum %mask {axis = 1 : i64} : "
      "(tensor<?x?xi64>) -> tensor<?x?xi64>">.text;
  let arguments = (ins Kestrel_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Kestrel_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Kestrel_ConvOp : Kestrel_Op<"conv", [Pure, Kestrel_InferTypes,
                                        SameOperandsElementType]> {
  let summary = "N-D convolution (cross-correlation), as ONNX Conv";
  let description = Kestrel_Doc<[{
    `input` is `[N, C, D1, ...]` with 1 to 3 spatial dims, `weight`
    `[M, C / group, K1, ...]`, the optional `bias` `[M]`; the result is
    `[N, M, O1, ...]` with `Oi = (Di + pads[i] + pads[i + r] - dilations[i] *
    (Ki - 1) - 1) / strides[i] + 1` (`r` spatial dims; `pads` holds the
    begin pads, then the end pads; padding reads zeros). Output channel `m`
    of group `g = m / (M / group)` sums input channels
    `[g * C / group, (g + 1) * C / group)`. Products accumulate in f32.
    Spatial sizes of the input may be dynamic; the weight is static.
  }], "%y = kestrel.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = "
      "1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} "
      ": (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> "
      "tensor<?x8x16x16xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       Kestrel_FloatTensor:$weight,
                       Optional<Kestrel_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_ConvTransposeOp : Kestrel_Op<"conv_transpose", [Pure,
    Kestrel_InferTypes, SameOperandsElementType]> {
  let summary = "N-D transposed convolution, as ONNX ConvTranspose";
  let description = Kestrel_Doc<[{
    `input` is `[N, C, D1, ...]` with 1 to 3 spatial dims, `weight`
    `[C, M / group, K1, ...]`, the optional `bias` `[M]`; the result is
    `[N, M, O1, ...]` with `Oi = strides[i] * (Di - 1) + output_padding[i] +
    dilations[i] * (Ki - 1) + 1 - pads[i] - pads[i + r]` (`r` spatial dims).
    Input position `d` scatters into output position `d * strides[i] -
    pads[i] + t * dilations[i]` with tap `t`: the gradient of `kestrel.conv`
    with the same attributes. Input channel `c` of group `g = c / (C /
    group)` feeds outputs `[g * M / group, (g + 1) * M / group)`. Products
    accumulate in f32. Spatial sizes of the input may be dynamic; the weight
    is static.
  }], "%y = kestrel.conv_transpose %x, %w {dilations = array<i64: 1, 1>, "
      "group = 1 : i64, output_padding = array<i64: 1, 1>, pads = array<i64: "
      "1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<?x8x16x16xf32>, "
      "tensor<8x3x3x3xf32>) -> tensor<?x3x32x32xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       Kestrel_FloatTensor:$weight,
                       Optional<Kestrel_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$output_padding, I64Attr:$group);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_PoolOp : Kestrel_Op<"pool", [Pure, Kestrel_InferTypes,
                                        SameOperandsAndResultElementType]> {
  let summary = "max or average pooling, as ONNX MaxPool / AveragePool";
  let description = Kestrel_Doc<[{
    `input` is `[N, C, D1, ...]` with 1 to 3 spatial dims. Along spatial dim
    `i` (`r` of them), window `o` reads positions `o * strides[i] - pads[i] +
    t * dilations[i]` for taps `t < kernel_shape[i]`; `pads` holds the begin
    pads, then the end pads. The result has `Oi = (Di + pads[i] + pads[i + r]
    - dilations[i] * (kernel_shape[i] - 1) - 1) / strides[i] + 1` windows,
    the division rounding up with `ceil_mode` (minus one when the last
    window would start past the begin-padded input). `kind` is `max` (the
    largest tap inside the input) or `average` (the taps inside the input
    summed in f32, divided by their count, or with `count_include_pad` by
    the count of taps inside the padded input).
  }], "%y = kestrel.pool %x {kind = \"max\", kernel_shape = array<i64: 3, 3>, "
      "strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations "
      "= array<i64: 1, 1>} : (tensor<?x8x32x32xf32>) -> tensor<?x8x16x16xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input, StrAttr:$kind,
                       DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_ResizeOp : Kestrel_Op<"resize", [Pure, Kestrel_InferTypes,
                                            SameOperandsAndResultElementType]> {
  let summary = "resize by nearest, N-linear or cubic sampling, as ONNX Resize";
  let description = Kestrel_Doc<[{
    Result dim `d` is `sizes[d]`, or `floor(input[d] * scales[d])` where
    `sizes[d]` is -1 (the roi does not scale it, as in ONNX Runtime). Output index `x` maps
    to the input coordinate of ONNX's `coordinate_mode` (`half_pixel`,
    `half_pixel_symmetric`, `pytorch_half_pixel`, `align_corners`,
    `asymmetric`, `tf_crop_and_resize`) with the scale `scales[d]`, or
    `result[d] / input[d]` where that is 0; `roi` (begin values, then end
    values) is read by `tf_crop_and_resize` only, whose coordinates outside
    the input give `extrapolation_value`. `mode` `nearest` picks one entry
    (`nearest_mode`: `round_prefer_floor`, `round_prefer_ceil`, `floor`,
    `ceil`), `linear` interpolates the two neighbours along every dim,
    `cubic` the four of Keys' kernel with `cubic_coeff_a` (`exclude_outside`
    drops taps outside the input and renormalizes); taps past an edge read
    the edge entry. `align_corners`, `pytorch_half_pixel` and
    `tf_crop_and_resize` divide by the result's integer length, as ONNX
    Runtime and PyTorch do. Coordinates are computed in f64 and sums in f32.
  }], "%y = kestrel.resize %x {mode = \"linear\", coordinate_mode = "
      "\"half_pixel\", scales = array<f32: 1.0, 1.0, 2.0, 2.0>, sizes = "
      "array<i64: -1, -1, -1, -1>} : (tensor<1x3x8x8xf32>) -> "
      "tensor<1x3x16x16xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       DenseI64ArrayAttr:$sizes, DenseF32ArrayAttr:$scales,
                       OptionalAttr<DenseF32ArrayAttr>:$roi,
                       DefaultValuedStrAttr<StrAttr, "nearest">:$mode,
                       DefaultValuedStrAttr<StrAttr, "half_pixel">:$coordinate_mode,
                       DefaultValuedStrAttr<StrAttr, "round_prefer_floor">:$nearest_mode,
                       DefaultValuedAttr<F32Attr, "-0.75f">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                       DefaultValuedAttr<F32Attr, "0.0f">:$extrapolation_value);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_ReduceMeanOp
    : Kestrel_ReduceOp<"reduce_mean", "Arithmetic mean over the given axes.">;
def Kestrel_ReduceMaxOp : Kestrel_ReduceOp<"reduce_max",
    "Maximum over the given axes (logical or for `i1`).", Kestrel_Tensor>;
def Kestrel_ReduceMinOp : Kestrel_ReduceOp<"reduce_min",
    "Minimum over the given axes (logical and for `i1`).", Kestrel_Tensor>;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Kestrel_ReshapeOp : Kestrel_Op<"reshape", [Pure]> {
  let summary = "reinterpret a tensor with a new shape";
  let description = Kestrel_Doc<[{
    Keeps the elements in row-major order and gives them the result's shape.
    Static shapes must hold the same number of elements. Without the `shape`
    operand the result has at most one dynamic dimension, computed from the
    element count. With it, `shape` is a 1-D `i64` tensor whose length is the
    result rank, read at run time with ONNX `Reshape` semantics: an entry of
    `0` copies the input dimension at the same index (a zero-size dimension
    with `allow_zero`, ONNX's `allowzero = 1`) and one entry may be `-1`,
    computed from the element count; the others are the result dimensions.
  }], [{%y = kestrel.reshape %x : (tensor<?x?x4096xf32>) -> tensor<?x32x128xf32>
%z = kestrel.reshape %x, %s : (tensor<?x?x4096xf32>, tensor<4xi64>) ->
    tensor<?x?x32x128xf32>}]>.text;
  let arguments = (ins Kestrel_Tensor:$input,
                       Optional<Kestrel_ShapeTensor>:$shape,
                       DefaultValuedAttr<BoolAttr, "false">:$allow_zero);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = [{
    $input (`,` $shape^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kestrel_TransposeOp : Kestrel_Op<"transpose", [Pure, Kestrel_InferTypes]> {
  let summary = "permute the dimensions of a tensor";
  let description = Kestrel_Doc<[{
    Result dimension `i` is input dimension `permutation[i]`.
  }], "%t = kestrel.transpose %x {permutation = array<i64: 0, 2, 1, 3>} : "
      "(tensor<?x?x32x128xf32>) -> tensor<?x32x?x128xf32>">.text;
  let arguments = (ins Kestrel_Tensor:$input,
                       DenseI64ArrayAttr:$permutation);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kestrel_ConcatOp : Kestrel_Op<"concat", [Pure, Kestrel_InferTypes,
                                            SameOperandsAndResultElementType]> {
  let summary = "concatenate tensors along one axis";
  let description = Kestrel_Doc<[{
    All inputs have the same rank and agree on every dimension but `axis`;
    the result's `axis` dimension is the sum of theirs.
  }], "%kv = kestrel.concat %past, %new {axis = 2 : i64} : "
      "(tensor<1x8x?x128xf16>, tensor<1x8x1x128xf16>) -> "
      "tensor<1x8x?x128xf16>">.text;
  let arguments = (ins Variadic<Kestrel_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kestrel_SplitOp : Kestrel_Op<"split", [Pure, Kestrel_InferTypes]> {
  let summary = "split a tensor into pieces along one axis";
  let description = Kestrel_Doc<[{
    Result `i` holds `sizes[i]` consecutive slices of `axis`. The sizes are
    non-negative, one per result, and add up to the input's `axis` dimension when
    that is static.
  }], "%q, %k, %v = kestrel.split %qkv {axis = 2 : i64, sizes = array<i64: "
      "4096, 1024, 1024>} : (tensor<?x?x6144xf32>) -> (tensor<?x?x4096xf32>, "
      "tensor<?x?x1024xf32>, tensor<?x?x1024xf32>)">.text;
  let arguments = (ins Kestrel_Tensor:$input, I64Attr:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Kestrel_Tensor>:$results);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_SliceOp : Kestrel_Op<"slice", [Pure, Kestrel_InferTypes]> {
  let summary = "strided slice with ONNX start/end semantics";
  let description = Kestrel_Doc<[{
    `starts`, `ends` and `steps` have one entry per dimension. As in ONNX
    `Slice`, a negative start or end counts from the end of the dimension,
    both are then clamped (to `[0, dim]` for a positive step; start to
    `[0, dim - 1]` and end to `[-1, dim - 1]` for a negative one), and the
    result takes `ceil((end - start) / step)` elements (none when that is
    negative).
    Steps are never zero. `ends` entries of `9223372036854775807` mean "to the
    end".
  }], "%h = kestrel.slice %x {starts = array<i64: 0, 0, 64>, ends = "
      "array<i64: 9223372036854775807, 9223372036854775807, 128>, steps = "
      "array<i64: 1, 1, 1>} : (tensor<?x?x128xf32>) -> tensor<?x?x64xf32>">
      .text;
  let arguments = (ins Kestrel_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kestrel_PadOp : Kestrel_Op<"pad", [Pure, Kestrel_InferTypes,
    AllElementTypesMatch<["input", "value"]>]> {
  let summary = "pad (or crop) every dimension, as ONNX Pad";
  let description = Kestrel_Doc<[{
    `pads` holds the begin pads of every dimension, then the end pads; a
    negative pad removes entries. Result dimension `d` is `input[d] +
    pads[d] + pads[rank + d]`, which must not be negative. Outside the input
    the result is `value` (a rank-0 tensor of the input's type) in
    `constant` mode; `edge` repeats the edge entry, `reflect` mirrors about
    it without repeating it (periodically, for pads wider than the
    dimension), `wrap` repeats the dimension. Those three need every padded
    dimension non-empty.
  }], "%y = kestrel.pad %x, %zero {mode = \"reflect\", pads = array<i64: 0, "
      "0, 2, 0, 0, 2>} : (tensor<?x3x32xf32>, tensor<f32>) -> "
      "tensor<?x3x36xf32>">.text;
  let arguments = (ins Kestrel_Tensor:$input, Kestrel_Tensor:$value,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedStrAttr<StrAttr, "constant">:$mode);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $value attr-dict `:` functional-type(operands, results)
  }];
}

def Kestrel_DynamicSliceOp : Kestrel_Op<"dynamic_slice", [Pure]> {
  let summary = "strided slice with bounds computed at run time";
  let description = Kestrel_Doc<[{
    `kestrel.slice` with `starts`, `ends` and `steps` as 1-D `i64` tensors
    of one entry per input dimension, read at run time with the same ONNX
    semantics (negative bounds count from the end, bounds are clamped, steps
    are never zero). Result dimensions the bounds do not fix are dynamic.
  }], "%m = kestrel.dynamic_slice %mask, %s, %e, %st : (tensor<1x1x128x128xi1>"
      ", tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) -> tensor<1x1x?x?xi1>">
      .text;
  let arguments = (ins Kestrel_Tensor:$input, Kestrel_ShapeTensor:$starts,
                       Kestrel_ShapeTensor:$ends, Kestrel_ShapeTensor:$steps);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $starts `,` $ends `,` $steps attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Kestrel_GatherOp : Kestrel_Op<"gather", [Pure, Kestrel_InferTypes]> {
  let summary = "gather slices along one axis by index";
  let description = Kestrel_Doc<[{
    `result[i..., j..., k...] = input[i..., indices[j...], k...]` where the
    `i` dimensions precede `axis`. The result shape is
    `input.shape[:axis] + indices.shape + input.shape[axis+1:]`. Negative
    indices count from the end of `axis`; an index out of range is a runtime
    error.
  }], "%e = kestrel.gather %table, %ids {axis = 0 : i64} : "
      "(tensor<32000x4096xbf16>, tensor<?x?xi64>) -> tensor<?x?x4096xbf16>">
      .text;
  let arguments = (ins Kestrel_Tensor:$input, Kestrel_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat =
      "$input `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  // A dimension read off a shape is read off the earliest value that has
  // it (DimProvenance.cpp), so that copies of one computation merge.
  let hasCanonicalizer = 1;
}

def Kestrel_GatherElementsOp : Kestrel_Op<"gather_elements",
                                          [Pure, Kestrel_InferTypes]> {
  let summary = "gather single elements along one axis";
  let description = Kestrel_Doc<[{
    `result[i_0, ..., i_k, ...] = input[i_0, ..., indices[i_0, ..., i_k, ...],
    ...]` with the index replacing position `axis` (ONNX `GatherElements`).
    `input` and `indices` have the same rank; the result has the indices'
    shape. Negative indices count from the end of `axis`.
  }], "%r = kestrel.gather_elements %x, %i {axis = 1 : i64} : "
      "(tensor<?x8xf32>, tensor<?x2xi64>) -> tensor<?x2xf32>">.text;
  let arguments = (ins Kestrel_Tensor:$input, Kestrel_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat =
      "$input `,` $indices attr-dict `:` functional-type(operands, results)";
}

def Kestrel_GatherNdOp : Kestrel_Op<"gather_nd", [Pure, Kestrel_InferTypes]> {
  let summary = "gather slices by multi-dimensional indices";
  let description = Kestrel_Doc<[{
    ONNX `GatherND`: the last dimension of `indices` (static, `k`) indexes
    the `k` dimensions of `input` after its first `batch_dims`; the result
    is `indices.shape[:-1] + input.shape[batch_dims + k:]`. Negative indices
    count from the end.
  }], "%r = kestrel.gather_nd %w, %i : (tensor<4x64x32xf32>, tensor<?x1xi64>) "
      "-> tensor<?x64x32xf32>">.text;
  let arguments = (ins Kestrel_Tensor:$input, Kestrel_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat =
      "$input `,` $indices attr-dict `:` functional-type(operands, results)";
}

def Kestrel_ScatterElementsOp
    : Kestrel_Op<"scatter_elements", [Pure, Kestrel_InferTypes]> {
  let summary = "a copy of the input with updates written along one axis";
  let description = Kestrel_Doc<[{
    ONNX `ScatterElements`: the result is `input` with each `updates` element
    written at its own position, except along `axis`, where `indices` says
    where (negative indices count from the end). `indices` and `updates` have
    one shape, of the input's rank and no larger outside `axis`. `reduction`
    (`none`, `add`, `mul`, `max`, `min`) combines an update with the value
    there; updates apply in index order, so with `none` the last of repeated
    indices wins. Combining rounds to the element type after each update.
  }], "%r = kestrel.scatter_elements %x, %i, %u {axis = 1 : i64, "
      "reduction = \"add\"} : (tensor<4x8xf32>, tensor<4x2xi64>, "
      "tensor<4x2xf32>) -> tensor<4x8xf32>">.text;
  let arguments = (ins Kestrel_NumericTensor:$input,
                       Kestrel_IndexTensor:$indices,
                       Kestrel_NumericTensor:$updates, I64Attr:$axis,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs Kestrel_NumericTensor:$result);
  let assemblyFormat = "$input `,` $indices `,` $updates attr-dict `:` "
                       "functional-type(operands, results)";
}

def Kestrel_ScatterNdOp : Kestrel_Op<"scatter_nd", [Pure, Kestrel_InferTypes]> {
  let summary = "a copy of the input with slices written at index tuples";
  let description = Kestrel_Doc<[{
    ONNX `ScatterND`: the last dimension of `indices` (static, `k`) holds
    tuples indexing the first `k` dimensions of `input`; `updates` has shape
    `indices.shape[:-1] + input.shape[k:]`, a slice per tuple. The result is
    `input` with the slices written (or combined under `reduction`, as
    `kestrel.scatter_elements` does) in tuple order.
  }], "%c = kestrel.scatter_nd %cache, %pos, %kv : (tensor<64x8xf32>, "
      "tensor<?x1xi64>, tensor<?x8xf32>) -> tensor<64x8xf32>">.text;
  let arguments = (ins Kestrel_NumericTensor:$input,
                       Kestrel_IndexTensor:$indices,
                       Kestrel_NumericTensor:$updates,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs Kestrel_NumericTensor:$result);
  let assemblyFormat = "$input `,` $indices `,` $updates attr-dict `:` "
                       "functional-type(operands, results)";
}

def Kestrel_ExpandOp : Kestrel_Op<"expand", [Pure]> {
  let summary = "broadcast a tensor to a larger shape";
  let description = Kestrel_Doc<[{
    Broadcasts `input` to the result shape with NumPy semantics (aligned on
    the trailing dimensions; size-1 dimensions repeat). Without the `shape`
    operand a dynamic result dimension is the matching input dimension. With
    it, the result shape is the NumPy broadcast of the input shape and the
    entries of `shape` (ONNX `Expand`), so the result rank is the larger of
    the two.
  }], "%r = kestrel.expand %kv : (tensor<?x8x1x?x128xf32>) -> "
      "tensor<?x8x4x?x128xf32>">.text;
  let arguments = (ins Kestrel_Tensor:$input,
                       Optional<Kestrel_ShapeTensor>:$shape);
  let results = (outs Kestrel_Tensor:$result);
  let assemblyFormat = [{
    $input (`,` $shape^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kestrel_ShapeOfOp : Kestrel_Op<"shape_of", [Pure, Kestrel_InferTypes]> {
  let summary = "the shape of a tensor as a 1-D i64 tensor";
  let description = Kestrel_Doc<[{
    The run-time dimensions of `input` (ONNX `Shape`). Folds to a constant
    when the shape is static, and `gather`s of its static entries fold too.
  }], "%s = kestrel.shape_of %x : (tensor<?x?x4096xf32>) -> tensor<3xi64>">
      .text;
  let arguments = (ins Kestrel_Tensor:$input);
  let results = (outs Kestrel_ShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Kestrel_RangeOp : Kestrel_Op<"range", [Pure, Kestrel_InferTypes,
                                          SameOperandsAndResultElementType]> {
  let summary = "an arithmetic sequence";
  let description = Kestrel_Doc<[{
    `[start, start + delta, ...]` up to but excluding `limit` (ONNX `Range`):
    `max(ceil((limit - start) / delta), 0)` elements. The operands are
    rank-0 tensors of one element type. Folds when all three are constants.
  }], "%pos = kestrel.range %zero, %n, %one : (tensor<i64>, tensor<i64>, "
      "tensor<i64>) -> tensor<?xi64>">.text;
  let arguments = (ins TensorRankOf<[I64, I32, F32, F16, BF16], [0]>:$start,
                       TensorRankOf<[I64, I32, F32, F16, BF16], [0]>:$limit,
                       TensorRankOf<[I64, I32, F32, F16, BF16], [0]>:$delta);
  let results = (outs TensorRankOf<[I64, I32, F32, F16, BF16], [1]>:$result);
  let assemblyFormat = [{
    $start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Kestrel_NonZeroOp : Kestrel_Op<"nonzero", [Pure, Kestrel_InferTypes]> {
  let summary = "the indices of the non-zero elements";
  let description = Kestrel_Doc<[{
    ONNX `NonZero`: a `[rank, count]` tensor of i64 whose column `j` holds
    the index of the `j`-th non-zero element of `input` in row-major order
    (a rank-0 input counts as rank 1). Floating-point zeros of either sign
    are zero; NaN is not. `count` depends on the input's values, not its
    shape: ops that read the result run after it in a later stage of the
    emitted model (see `kestrel-plan-memory`), and the result is placed at
    the most it can be, `max(rank, 1) * numel * 8` bytes, while its stage
    runs. Under `--precision=bf16/f16` a float operand is counted as
    stored (an f16 value below 6e-8 is zero).
  }], "%i = kestrel.nonzero %mask : (tensor<4x8xi1>) -> tensor<2x?xi64>">.text;
  let arguments = (ins Kestrel_Tensor:$input);
  let results = (outs TensorRankOf<[I64], [2]>:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Kestrel_TopKOp : Kestrel_Op<"top_k", [Pure, Kestrel_InferTypes]> {
  let summary = "the k largest (or smallest) entries along one axis";
  let description = Kestrel_Doc<[{
    Returns the `k` largest entries along `axis` (the smallest with
    `largest = false`) and their indices, in descending (ascending) order.
    Ties keep the lower index first, as ONNX `TopK` specifies.
  }], "%w, %i = kestrel.top_k %logits {axis = 1 : i64, k = 2 : i64} : "
      "(tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi64>)">.text;
  let arguments = (ins Kestrel_NumericTensor:$input, I64Attr:$k,
                       I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs Kestrel_NumericTensor:$values,
                      TensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

def Kestrel_ConstantOp : Kestrel_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a small tensor literal";
  let description = Kestrel_Doc<[{
    A tensor literal for small values: shapes, scalars, masks, index tables.
    A non-splat literal holds at most 65536 elements; model parameters are
    `kestrel.weight` references instead.
  }], "%eps = kestrel.constant dense<1.0e-06> : tensor<f32>">.text;
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kestrel_StaticTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let builders = [OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
    build($_builder, $_state, value.getType(), value);
  }]>];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kestrel_WeightOp : Kestrel_Op<"weight", [Pure]> {
  let summary = "a named model parameter stored in the weights file";
  let description = Kestrel_Doc<[{
    A reference to a parameter tensor by name. The data lives in the weights
    file the compile step writes (`NAME.kweights`), never in the IR; the
    result type gives its element type and its static shape.
  }], [{%w = kestrel.weight "model.layers.0.mlp.up_proj.weight" : tensor<11008x4096xbf16>}]>.text;
  let arguments = (ins StrAttr:$name);
  let results = (outs Kestrel_StaticTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

def Kestrel_RmsNormOp : Kestrel_Op<"rms_norm", [Pure, Kestrel_InferTypes,
                                               SameOperandsElementType]> {
  let summary = "RMS normalization over the trailing dimensions";
  let description = Kestrel_Doc<[{
    `y = x / sqrt(mean(x^2) + epsilon) * weight`, where the mean runs over the
    dimensions `[axis, rank)` and `weight` has exactly those dimensions.
    Statistics are computed in f32 or wider.
  }], "%y = kestrel.rms_norm %x, %w {axis = 2 : i64, epsilon = 1.0e-05 : f32} "
      ": (tensor<?x?x4096xbf16>, tensor<4096xbf16>) -> "
      "tensor<?x?x4096xbf16>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       Kestrel_FloatTensor:$weight, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $weight attr-dict `:` functional-type(operands, results)";
}

def Kestrel_LayerNormOp : Kestrel_Op<"layer_norm", [Pure, Kestrel_InferTypes,
                                                   SameOperandsElementType]> {
  let summary = "layer normalization over the trailing dimensions";
  let description = Kestrel_Doc<[{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * scale + bias`, with mean
    and (biased) variance over the dimensions `[axis, rank)`; `scale` and the
    optional `bias` have exactly those dimensions.
  }], "%y = kestrel.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = "
      "1.0e-05 : f32} : (tensor<?x?x768xf32>, tensor<768xf32>, "
      "tensor<768xf32>) -> tensor<?x?x768xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       Kestrel_FloatTensor:$scale,
                       Optional<Kestrel_FloatTensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_AddRmsNormOp : Kestrel_Op<"add_rms_norm", [Pure,
    Kestrel_InferTypes, SameOperandsElementType]> {
  let summary = "residual add followed by RMS normalization";
  let description = Kestrel_Doc<[{
    `sum = input + residual` (rounded to the element type) and
    `result = rms_norm(sum, weight)` in one pass over the rows, as the
    residual stream of a pre-norm transformer needs them: `sum` goes on to
    the next residual add, `result` into the next block. `input` and
    `residual` have the same shape; the norm is `kestrel.rms_norm`'s.
  }], "%h, %y = kestrel.add_rms_norm %x, %r, %w {axis = 2 : i64, epsilon = "
      "1.0e-05 : f32} : (tensor<?x?x4096xbf16>, tensor<?x?x4096xbf16>, "
      "tensor<4096xbf16>) -> (tensor<?x?x4096xbf16>, "
      "tensor<?x?x4096xbf16>)">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       Kestrel_FloatTensor:$residual,
                       Kestrel_FloatTensor:$weight, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Kestrel_FloatTensor:$sum, Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $weight attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_AddLayerNormOp : Kestrel_Op<"add_layer_norm", [Pure,
    Kestrel_InferTypes, SameOperandsElementType]> {
  let summary = "residual add followed by layer normalization";
  let description = Kestrel_Doc<[{
    `sum = input + residual` (rounded to the element type) and
    `result = layer_norm(sum, scale, bias)` in one pass over the rows; see
    `kestrel.add_rms_norm`. `input` and `residual` have the same shape; the
    norm, with its optional `bias`, is `kestrel.layer_norm`'s.
  }], "%h, %y = kestrel.add_layer_norm %x, %r, %g, %b {axis = 2 : i64, "
      "epsilon = 1.0e-05 : f32} : (tensor<?x?x768xf32>, "
      "tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> "
      "(tensor<?x?x768xf32>, tensor<?x?x768xf32>)">.text;
  let arguments = (ins Kestrel_FloatTensor:$input,
                       Kestrel_FloatTensor:$residual,
                       Kestrel_FloatTensor:$scale,
                       Optional<Kestrel_FloatTensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let results = (outs Kestrel_FloatTensor:$sum, Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $residual `,` $scale (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_RopeOp : Kestrel_Op<"rope", [Pure, Kestrel_InferTypes,
                                        SameOperandsElementType]> {
  let summary = "rotary position embedding";
  let description = Kestrel_Doc<[{
    Rotates pairs of the last (head) dimension of `input` by the angles whose
    cosines and sines are `cos` and `sin`. Only the first `rotary_dim`
    entries rotate (all of them when absent); the rest pass through. `cos`
    and `sin` have `rotary_dim / 2` as their last dimension and their other
    dimensions broadcast against `input.shape[:-1]`. With `interleaved` the
    pairs are `(2i, 2i+1)` (GPT-J); otherwise `(i, i + rotary_dim/2)`
    (rotate-half, GPT-NeoX/Llama):

    ```
    y[i]       = x[i] * cos[i] - x[i + h] * sin[i]
    y[i + h]   = x[i + h] * cos[i] + x[i] * sin[i]     (h = rotary_dim / 2)
    ```
  }], "%q2 = kestrel.rope %q, %cos, %sin : (tensor<?x32x?x128xf32>, "
      "tensor<?x1x?x64xf32>, tensor<?x1x?x64xf32>) -> "
      "tensor<?x32x?x128xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$input, Kestrel_FloatTensor:$cos,
                       Kestrel_FloatTensor:$sin,
                       DefaultValuedAttr<BoolAttr, "false">:$interleaved,
                       OptionalAttr<I64Attr>:$rotary_dim);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin attr-dict `:` functional-type(operands, results)
  }];
}

def Kestrel_AttentionOp : Kestrel_Op<"attention", [Pure, Kestrel_InferTypes]> {
  let summary = "scaled dot-product attention with GQA/MQA";
  let description = Kestrel_Doc<[{
    `softmax(query · keyᵀ · scale + mask) · value` per head. `query` is
    `[B, num_heads, Sq, D]`, `key` is `[B, num_kv_heads, Skv, D]` and `value`
    is `[B, num_kv_heads, Skv, Dv]`; query head `h` reads kv head
    `h / (num_heads / num_kv_heads)`. `scale` defaults to `1 / sqrt(D)`.

    `mask` is optional and broadcasts to `[B, num_heads, Sq, Skv]`: a float
    mask (the query's element type) is added to the scores, an `i1` mask
    keeps the positions where it is true. With `causal`, query `i` sees keys
    `j <= i + Skv - Sq` (the causal diagonal aligned to the last key, as in
    decoding with a KV cache); `causal` and `mask` combine.

    With `layout = "bshd"`, query, key, value and the result are
    `[B, S, heads, D]` instead, the layout the projections produce
    (kestrel-fold-transposes takes the transposes around attention into
    it); the mask still broadcasts to `[B, num_heads, Sq, Skv]`.

    `num_heads` and `num_kv_heads` are the head counts of `query` and of
    `key`/`value`. They may be left out when the shapes do not fix them at
    compile time (an exporter's dynamic reshape): the kernels then take them
    from the operands' dim 1 at run time and check that the query's head
    count is a multiple of the key's.
  }], "%o = kestrel.attention %q, %k, %v {causal = true, num_heads = 32 : "
      "i64, num_kv_heads = 8 : i64} : (tensor<?x32x?x128xbf16>, "
      "tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>) -> "
      "tensor<?x32x?x128xbf16>">.text;
  let arguments = (ins Kestrel_FloatTensor:$query, Kestrel_FloatTensor:$key,
                       Kestrel_FloatTensor:$value,
                       Optional<Kestrel_Tensor>:$mask,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       OptionalAttr<I64Attr>:$num_heads,
                       OptionalAttr<I64Attr>:$num_kv_heads,
                       DefaultValuedStrAttr<StrAttr, "bhsd">:$layout);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_FusedMatmulOp : Kestrel_Op<"fused_matmul", [Pure,
    Kestrel_InferTypes, AttrSizedOperandSegments]> {
  let summary = "matmul with a fused epilogue (scale, bias, activation, "
                "residual)";
  let description = Kestrel_Doc<[{
    `activation(alpha * matmul(lhs, rhs) + bias) + residual`, with
    `kestrel.matmul`'s operands and transposes, on floats. `bias` (optional)
    is `[N]`, added to every row; `activation` is `none`, `relu`, `gelu`
    (erf), `gelu_tanh` or `silu`; `residual` (optional) has the result's
    shape. The GEMM kernels apply the epilogue to their accumulators before
    the single store (kestrel-fuse-matmul-epilogue forms it from the ops
    exporters write after a matmul).
  }], "%y = kestrel.fused_matmul %x, %w bias %b residual %r {activation = "
      "\"gelu\"} : (tensor<?x?x768xf32>, tensor<768x3072xf32>, "
      "tensor<3072xf32>, tensor<?x?x3072xf32>) -> tensor<?x?x3072xf32>">.text;
  let arguments = (ins Kestrel_FloatTensor:$lhs, Kestrel_FloatTensor:$rhs,
                       Optional<Kestrel_FloatTensor>:$bias,
                       Optional<Kestrel_FloatTensor>:$residual,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_b,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                       DefaultValuedStrAttr<StrAttr, "none">:$activation);
  let results = (outs Kestrel_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^)? (`residual` $residual^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_MultiMatmulOp : Kestrel_Op<"multi_matmul", [Pure,
    Kestrel_InferTypes, AttrSizedOperandSegments]> {
  let summary = "one GEMM of a shared lhs against several weights side by "
                "side";
  let description = Kestrel_Doc<[{
    The product of `lhs` with the `weights` concatenated along N, computed
    as one GEMM (the CPU packs the concatenation when the model opens).
    Every weight is a rank-2 `[K, N_i]` (`[N_i, K]` with `transpose_b`);
    `biases` is empty or holds one `[N_i]` per weight.

    Without `glu`, result `i` is `activation(alpha * lhs · weight_i +
    bias_i)`: the projections of one input (attention's Q, K and V) in one
    pass over it. With `glu` there are two weights, the gate's and the up
    projection's, of one width, and one result
    `activation(alpha * lhs · gate + bias_0) * (alpha * lhs · up + bias_1)`
    (SwiGLU with `silu`, GeGLU with `gelu` or `gelu_tanh`).
    kestrel-fuse-parallel-matmuls forms it.
  }], "%q, %k, %v = kestrel.multi_matmul %x, %wq, %wk, %wv : "
      "(tensor<?x?x576xf32>, tensor<576x576xf32>, tensor<576x192xf32>, "
      "tensor<576x192xf32>) -> (tensor<?x?x576xf32>, tensor<?x?x192xf32>, "
      "tensor<?x?x192xf32>)">.text;
  let arguments = (ins Kestrel_FloatTensor:$lhs,
                       Variadic<Kestrel_FloatTensor>:$weights,
                       Variadic<Kestrel_FloatTensor>:$biases,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_b,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                       DefaultValuedStrAttr<StrAttr, "none">:$activation,
                       DefaultValuedAttr<BoolAttr, "false">:$glu);
  let results = (outs Variadic<Kestrel_FloatTensor>:$results);
  let assemblyFormat = [{
    $lhs `,` $weights (`biases` $biases^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Kestrel_FusedElementwiseOp : Kestrel_Op<"fused_elementwise", [Pure,
    IsolatedFromAbove, SingleBlock]> {
  let summary = "a chain of elementwise ops as one scalar region";
  let description = Kestrel_Doc<[{
    Applies its body to every element of the broadcast shape of `inputs`.
    The body has one scalar block argument per input (that input's element
    type), holds only scalar `arith` and `math` ops, and ends in
    `kestrel.yield` with one scalar per result. Every result has the
    broadcast shape of the inputs and the yielded element type. Codegen turns
    the body into the loop body of one kernel.
  }], [{%y = kestrel.fused_elementwise ins(%x, %b : tensor<?x4096xf32>, tensor<4096xf32>) {
^bb0(%a: f32, %c: f32):
  %s = arith.addf %a, %c : f32
  %n = arith.negf %s : f32
  %e = math.exp %n : f32
  kestrel.yield %e : f32
} -> tensor<?x4096xf32>}]>.text;
  let arguments = (ins Variadic<Kestrel_Tensor>:$inputs);
  let results = (outs Variadic<Kestrel_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    (`ins` `(` $inputs^ `:` type($inputs) `)`)? attr-dict-with-keyword $body
    `->` type($results)
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Kestrel_YieldOp : Kestrel_Op<"yield", [Pure, Terminator, ReturnLike,
    HasParent<"FusedElementwiseOp">]> {
  let summary = "yield the scalar results of a fused_elementwise body";
  let description = Kestrel_Doc<[{
    Ends a `kestrel.fused_elementwise` body with one scalar per result.
  }], "kestrel.yield %e : f32">.text;
  let arguments = (ins Variadic<Kestrel_ElementType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // KESTREL_OPS_TD
