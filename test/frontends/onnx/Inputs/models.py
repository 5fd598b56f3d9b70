"""Small ONNX graphs for the frontend lit tests, built with onnx.helper.

Usage: models.py NAME OUT.onnx  -- writes model NAME (see MODELS) to OUT.onnx
(and any external data file beside it). Malformed models are written as
bytes on purpose; every other model passes onnx.checker unless noted.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

F, I64, I32, B = T.FLOAT, T.INT64, T.INT32, T.BOOL
RNG = np.random.default_rng(0)


def vi(name, elem, shape):
    return h.make_tensor_value_info(name, elem, shape)


def init(name, array):
    return nh.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(),
          value_info=()):
    g = h.make_graph(nodes, "g", inputs, outputs, list(inits),
                     value_info=list(value_info))
    ops = [h.make_opsetid("", opset)] + [h.make_opsetid(d, v)
                                         for d, v in extra_opsets]
    m = h.make_model(g, opset_imports=ops)
    m.ir_version = 8 if opset <= 17 else 10
    return m


def n(op, ins, outs, name=None, domain=None, **attrs):
    return h.make_node(op, ins, outs, name=name or outs[0], domain=domain,
                       **attrs)


def w(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


MODELS = {}


def register(fn):
    MODELS[fn.__name__] = fn
    return fn


# --- math --------------------------------------------------------------------

@register
def elementwise():
    x, y = vi("x", F, ["batch", 8]), vi("y", F, [8])
    nodes = [n("Add", ["x", "y"], ["a"]), n("Sub", ["a", "y"], ["s"]),
             n("Mul", ["s", "x"], ["m"]), n("Div", ["m", "y"], ["d"]),
             n("Pow", ["d", "two"], ["p"]), n("Sqrt", ["p"], ["q"]),
             n("Reciprocal", ["q"], ["r"]), n("Neg", ["r"], ["ng"]),
             n("Exp", ["ng"], ["e"]), n("Log", ["e"], ["l"]),
             n("Erf", ["l"], ["er"]), n("Tanh", ["er"], ["t"]),
             n("Sigmoid", ["t"], ["sg"]), n("Relu", ["sg"], ["re"]),
             n("Sin", ["re"], ["si"]), n("Cos", ["si"], ["co"]),
             n("Max", ["co", "x", "y"], ["mx"]), n("Min", ["mx", "x"], ["mn"]),
             n("Clip", ["mn", "lo", "hi"], ["out"])]
    return model(nodes, [x, y], [vi("out", F, None)],
                 [init("two", np.array(2, np.int64)),
                  init("lo", np.array(-1, np.float32)),
                  init("hi", np.array(1, np.float32))])


@register
def logic():
    x, y = vi("x", F, ["batch", 4]), vi("y", F, [4])
    nodes = [n("Less", ["x", "y"], ["lt"]), n("Greater", ["x", "y"], ["gt"]),
             n("Equal", ["x", "y"], ["eq"]), n("Not", ["eq"], ["ne"]),
             n("And", ["lt", "ne"], ["and"]), n("Or", ["and", "gt"], ["or"]),
             n("Where", ["or", "x", "y"], ["out"]),
             n("Cast", ["or"], ["as_int"], to=I32)]
    return model(nodes, [x, y], [vi("out", F, None), vi("as_int", I32, None)])


@register
def gelu20():
    x = vi("x", F, ["n", 16])
    nodes = [n("Gelu", ["x"], ["g"]),
             n("Gelu", ["g"], ["out"], approximate="tanh")]
    return model(nodes, [x], [vi("out", F, None)], opset=20)


# --- nn ----------------------------------------------------------------------

@register
def matmuls():
    x = vi("x", F, ["batch", "seq", 32])
    v = vi("v", F, [32])
    nodes = [n("MatMul", ["x", "w"], ["mm"]),
             n("MatMul", ["v", "w"], ["vec_mat"]),
             n("MatMul", ["x", "v"], ["mat_vec"]),
             n("Gemm", ["a", "b", "c"], ["gemm"], alpha=0.5, beta=2.0,
               transB=1)]
    return model(nodes, [x, v], [vi("mm", F, None), vi("vec_mat", F, None),
                                 vi("mat_vec", F, None), vi("gemm", F, None)],
                 [init("w", w(32, 16)), init("a", w(4, 32)),
                  init("b", w(16, 32)), init("c", w(16))])


@register
def einsum():
    a, b = vi("a", F, [2, 3, 5]), vi("b", F, [2, 5, 7])
    u, v = vi("u", F, [3]), vi("v", F, [4])
    q, k = vi("q", F, ["b", 4, "s", 8]), vi("k", F, ["b", 4, "t", 8])
    nodes = [n("Einsum", ["a", "b"], ["bmm"], equation="bij,bjk->bik"),
             n("Einsum", ["u", "v"], ["outer"], equation="i,j->ij"),
             n("Einsum", ["q", "k"], ["scores"], equation="bhqd,bhkd->bhqk"),
             n("Einsum", ["a"], ["tr"], equation="bij->bji")]
    return model(nodes, [a, b, u, v, q, k],
                 [vi("bmm", F, None), vi("outer", F, None),
                  vi("scores", F, None), vi("tr", F, None)])


@register
def norms():
    x = vi("x", F, ["batch", "seq", 64])
    nodes = [n("LayerNormalization", ["x", "g", "b"], ["ln"], axis=-1,
               epsilon=1e-5),
             n("Softmax", ["ln"], ["sm"], axis=-1),
             n("LogSoftmax", ["sm"], ["out"], axis=1)]
    return model(nodes, [x], [vi("out", F, None)],
                 [init("g", w(64)), init("b", w(64))])


@register
def rmsnorm23():
    x = vi("x", F, ["batch", "seq", 64])
    nodes = [n("RMSNormalization", ["x", "g"], ["out"], epsilon=1e-6)]
    return model(nodes, [x], [vi("out", F, None)], [init("g", w(64))],
                 opset=23)


@register
def reductions():
    x = vi("x", F, ["batch", 6, 8])
    nodes = [n("ReduceMean", ["x"], ["mean"], axes=[-1]),
             n("ReduceMax", ["x"], ["max"], axes=[1, 2], keepdims=0),
             n("ReduceSum", ["x", "axes"], ["sum"]),
             n("ReduceSum", ["x"], ["all"], keepdims=0)]
    return model(nodes, [x], [vi("mean", F, None), vi("max", F, None),
                              vi("sum", F, None), vi("all", F, None)],
                 [init("axes", np.array([-2], np.int64))])


@register
def reductions18():
    x = vi("x", F, ["batch", 6, 8])
    nodes = [n("ReduceMean", ["x", "axes"], ["mean"]),
             n("ReduceMax", ["x", "axes"], ["max"], keepdims=0)]
    return model(nodes, [x], [vi("mean", F, None), vi("max", F, None)],
                 [init("axes", np.array([-1], np.int64))], opset=18)


@register
def topk():
    x = vi("x", F, ["tokens", 8])
    nodes = [n("TopK", ["x", "k"], ["values", "indices"], axis=-1)]
    return model(nodes, [x], [vi("values", F, None), vi("indices", I64, None)],
                 [init("k", np.array([2], np.int64))])


@register
def argminmax():
    """ArgMax/ArgMin over floats and over small integers (ties), with and
    without keepdims and select_last_index."""
    x = vi("x", F, ["batch", 5, 7])
    t = vi("t", I64, ["batch", 6])
    nodes = [n("ArgMax", ["x"], ["amax"], axis=1),
             n("ArgMin", ["x"], ["amin"], axis=-1, keepdims=0),
             n("ArgMax", ["t"], ["tfirst"], axis=1, keepdims=0),
             n("ArgMax", ["t"], ["tlast"], axis=1, select_last_index=1),
             n("ArgMin", ["t"], ["tminlast"], axis=-1, keepdims=0,
               select_last_index=1)]
    return model(nodes, [x, t], [vi(o, I64, None) for o in
                                 ("amax", "amin", "tfirst", "tlast",
                                  "tminlast")])


@register
def mod():
    """Mod both ways on integers of both signs (t times a signed constant)
    against divisors of both signs, and fmod on floats."""
    t = vi("t", I64, ["batch", 6])
    x = vi("x", F, ["batch", 6])
    nodes = [n("Mul", ["t", "mult"], ["ts"]),
             n("Mod", ["ts", "div"], ["floored"]),
             n("Mod", ["ts", "div"], ["truncated"], fmod=1),
             n("Mul", ["x", "scale"], ["xs"]),
             n("Mod", ["xs", "fdiv"], ["fmod"], fmod=1)]
    return model(nodes, [t, x], [vi("floored", I64, None),
                                 vi("truncated", I64, None),
                                 vi("fmod", F, None)],
                 [init("mult", np.array([-7, 5, -4, 9, -11, 13], np.int64)),
                  init("div", np.array([3, -3, 2, -2, 5, -1], np.int64)),
                  init("scale", np.array([10.0], np.float32)),
                  init("fdiv", np.array([1.5, -1.5, 0.7, -0.7, 4, -3],
                                        np.float32))])


@register
def pads():
    """Pad in every mode: constant with a value and without, reflect and
    edge on a CNN-like [N, C, H, W] input, wrap (opset 19), crops, and
    axes (opset 18)."""
    x = vi("x", F, ["batch", 3, 5, 6])
    t = vi("t", I64, ["batch", 7])
    nodes = [n("Pad", ["x", "p4", "cval"], ["constant"]),
             n("Pad", ["x", "p4"], ["zero"]),
             n("Pad", ["x", "p4"], ["reflect"], mode="reflect"),
             n("Pad", ["x", "p4crop"], ["edge"], mode="edge"),
             n("Pad", ["t", "p2", "", "axis1"], ["wrap"], mode="wrap"),
             n("Pad", ["t", "p2", "ival", "axis1"], ["tconst"])]
    return model(nodes, [x, t], [vi(o, F, None) for o in
                                 ("constant", "zero", "reflect", "edge")] +
                 [vi("wrap", I64, None), vi("tconst", I64, None)],
                 [init("p4", np.array([0, 1, 2, 3, 0, 0, 1, 4], np.int64)),
                  init("p4crop", np.array([0, -1, 2, -2, 0, 1, -1, 3],
                                          np.int64)),
                  init("cval", np.array(1.5, np.float32)),
                  init("p2", np.array([3, 9], np.int64)),
                  init("axis1", np.array([-1], np.int64)),
                  init("ival", np.array([-4], np.int64))], opset=19)


@register
def pools():
    """MaxPool and AveragePool: 2-D with pads and strides, ceil_mode with
    dilations, count_include_pad, 1-D with auto_pad SAME_UPPER and 3-D
    (opset 19: AveragePool's dilations)."""
    x = vi("x", F, ["batch", 3, 9, 10])
    x1 = vi("x1", F, ["batch", 4, 11])
    x3 = vi("x3", F, ["batch", 2, 5, 6, 7])
    nodes = [n("MaxPool", ["x"], ["max"], kernel_shape=[3, 3], strides=[2, 2],
               pads=[1, 1, 1, 1]),
             n("MaxPool", ["x"], ["maxceil"], kernel_shape=[2, 3],
               strides=[2, 2], dilations=[2, 1], ceil_mode=1),
             n("AveragePool", ["x"], ["avgpad"], kernel_shape=[3, 2],
               strides=[1, 2], pads=[1, 0, 2, 1], count_include_pad=1),
             n("AveragePool", ["x"], ["avgceil"], kernel_shape=[2, 2],
               strides=[2, 3], pads=[1, 1, 0, 0], ceil_mode=1),
             n("MaxPool", ["x1"], ["max1d"], kernel_shape=[4], strides=[3],
               auto_pad="SAME_UPPER"),
             n("AveragePool", ["x3"], ["avg3d"], kernel_shape=[2, 3, 2],
               strides=[1, 2, 2], pads=[0, 1, 1, 1, 1, 0], dilations=[2, 1, 1])]
    return model(nodes, [x, x1, x3],
                 [vi(o, F, None) for o in ("max", "maxceil", "avgpad",
                                           "avgceil", "max1d", "avg3d")],
                 opset=19)


@register
def conv_transposes():
    """ConvTranspose: 2-D with strides, pads, output_padding and a bias, 1-D
    grouped with dilations, output_shape (the pads it implies) and auto_pad
    SAME_UPPER."""
    x = vi("x", F, ["batch", 4, 5, 6])
    x1 = vi("x1", F, ["batch", 4, 9])
    nodes = [n("ConvTranspose", ["x", "w", "b"], ["up"], strides=[2, 2],
               pads=[1, 1, 1, 1], output_padding=[1, 0]),
             n("ConvTranspose", ["x1", "w1"], ["grouped"], group=2,
               dilations=[2], strides=[3]),
             n("ConvTranspose", ["x", "w"], ["shaped"], strides=[2, 2],
               output_shape=[10, 13]),
             n("ConvTranspose", ["x", "w"], ["same"], strides=[2, 3],
               auto_pad="SAME_UPPER")]
    return model(nodes, [x, x1], [vi(o, F, None) for o in (
        "up", "grouped", "shaped", "same")],
                 [init("w", w(4, 3, 3, 3)), init("b", w(3)),
                  init("w1", w(4, 3, 4))])


@register
def max_pool_indices():
    x = vi("x", F, ["batch", 3, 8, 8])
    nodes = [n("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2])]
    return model(nodes, [x], [vi("y", F, None), vi("i", I64, None)])


@register
def resizes():
    """Resize: linear and cubic (exclude_outside) by scales, nearest by
    sizes with axes (opset 18) in two nearest modes, tf_crop_and_resize with
    a roi and an extrapolation value, and keep_aspect_ratio_policy."""
    x = vi("x", F, ["batch", 3, 6, 7])
    nodes = [n("Resize", ["x", "", "s_up"], ["linear"], mode="linear"),
             n("Resize", ["x", "", "s_mixed"], ["cubic"], mode="cubic",
               coordinate_transformation_mode="align_corners",
               exclude_outside=1),
             n("Resize", ["x", "", "", "sz"], ["nearest"], axes=[2, 3],
               coordinate_transformation_mode="asymmetric",
               nearest_mode="floor"),
             n("Resize", ["x", "", "s_up"], ["nearceil"],
               coordinate_transformation_mode="pytorch_half_pixel",
               nearest_mode="round_prefer_ceil"),
             n("Resize", ["x", "roi", "", "sz"], ["crop"], axes=[2, 3],
               mode="linear",
               coordinate_transformation_mode="tf_crop_and_resize",
               extrapolation_value=-2.0),
             n("Resize", ["x", "", "", "sz_keep"], ["keep"], axes=[2, 3],
               mode="linear", keep_aspect_ratio_policy="not_larger")]
    return model(nodes, [x], [vi(o, F, None) for o in (
        "linear", "cubic", "nearest", "nearceil", "crop", "keep")],
                 [init("s_up", np.array([1, 1, 2, 2], np.float32)),
                  init("s_mixed", np.array([1, 1, 0.75, 1.5], np.float32)),
                  init("sz", np.array([9, 14], np.int64)),
                  init("sz_keep", np.array([12, 28], np.int64)),
                  init("roi", np.array([0.25, -0.25, 1.25, 0.75],
                                       np.float32))], opset=19)


@register
def resize_antialias():
    x = vi("x", F, ["batch", 3, 6, 7])
    nodes = [n("Resize", ["x", "", "s"], ["y"], mode="linear", antialias=1)]
    return model(nodes, [x], [vi("y", F, None)],
                 [init("s", np.array([1, 1, 0.5, 0.5], np.float32))],
                 opset=19)


@register
def qdq():
    """Quantized weights and QDQ activations: an int8 weight per output
    channel, an int32 bias, a uint8 activation QuantizeLinear ->
    DequantizeLinear pair, an int4 weight in blocks of 4 along K, and a
    FLOAT8E4M3FN round trip (opset 21)."""
    x = vi("x", F, ["batch", 8])
    wq = RNG.integers(-128, 128, (8, 4)).astype(np.int8)
    w4 = RNG.integers(-8, 8, (8, 4))
    nodes = [n("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             n("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
             n("DequantizeLinear", ["wq", "ws"], ["wd"], axis=1),
             n("DequantizeLinear", ["bq", "bs"], ["bd"], axis=0),
             n("MatMul", ["xd", "wd"], ["mm"]),
             n("Add", ["mm", "bd"], ["linear"]),
             n("DequantizeLinear", ["w4", "w4s", "w4z"], ["w4d"], axis=0,
               block_size=4),
             n("MatMul", ["x", "w4d"], ["int4"]),
             n("QuantizeLinear", ["x", "fs", "fz"], ["xf8"]),
             n("DequantizeLinear", ["xf8", "fs"], ["fp8"])]
    return model(nodes, [x], [vi(o, F, None) for o in ("linear", "int4",
                                                       "fp8")],
                 [init("xs", np.array(0.02, np.float32)),
                  h.make_tensor("xz", T.UINT8, [], [128]),
                  nh.from_array(wq, "wq"),
                  init("ws", (RNG.random(4) * 0.01 + 0.005).astype(
                      np.float32)),
                  init("bq", RNG.integers(-1000, 1000, 4).astype(np.int32)),
                  init("bs", np.full(4, 1e-3, np.float32)),
                  h.make_tensor("w4", T.INT4, [8, 4], w4.flatten().tolist()),
                  init("w4s", (RNG.random((2, 4)) * 0.1 + 0.05).astype(
                      np.float32)),
                  h.make_tensor("w4z", T.INT4, [2, 4], [1, -1, 0, 2,
                                                        0, 0, -2, 1]),
                  init("fs", np.array(0.5, np.float32)),
                  h.make_tensor("fz", T.FLOAT8E4M3FN, [], [0])], opset=21)


@register
def qdq_int8_output():
    x = vi("x", F, ["batch", 8])
    nodes = [n("QuantizeLinear", ["x", "xs", "xz"], ["y"])]
    return model(nodes, [x], [vi("y", T.INT8, None)],
                 [init("xs", np.array(0.02, np.float32)),
                  h.make_tensor("xz", T.INT8, [], [0])], opset=21)


@register
def if_const():
    """If on constant conditions: an initializer (then branch, reading an
    outer value) and a Constant node (else branch, with its own
    initializer)."""
    x = vi("x", F, ["batch", 5])
    then_g = h.make_graph([n("Add", ["x", "x"], ["t_out"])], "then", [],
                          [vi("t_out", F, None)])
    else_g = h.make_graph([n("Mul", ["x", "e_k"], ["e_out"])], "else", [],
                          [vi("e_out", F, None)],
                          [init("e_k", np.array(3.0, np.float32))])
    then2 = h.make_graph([n("Neg", ["x"], ["t2"])], "then2", [],
                         [vi("t2", F, None)])
    nodes = [n("If", ["yes"], ["taken"], then_branch=then_g,
               else_branch=else_g),
             n("Constant", [], ["no"],
               value=h.make_tensor("v", B, [], [False])),
             n("If", ["no"], ["other"], then_branch=then2,
               else_branch=else_g)]
    return model(nodes, [x], [vi("taken", F, None), vi("other", F, None)],
                 [init("yes", np.array(True))])


@register
def if_dynamic():
    x = vi("x", F, ["batch", 5])
    c = vi("c", B, [])
    then_g = h.make_graph([n("Neg", ["x"], ["t"])], "then", [],
                          [vi("t", F, None)])
    else_g = h.make_graph([n("Abs", ["x"], ["e"])], "else", [],
                          [vi("e", F, None)])
    nodes = [n("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)]
    return model(nodes, [x, c], [vi("y", F, None)])


@register
def mod_bad_fmod():
    x = vi("x", F, ["batch", 6])
    nodes = [n("Mod", ["x", "x"], ["y"], fmod=2)]
    return model(nodes, [x], [vi("y", F, None)])


@register
def cumsum():
    """transformers' position ids from a mask, and a reversed exclusive sum."""
    mask = vi("mask", I64, ["batch", "seq"])
    x = vi("x", F, [3, 5])
    nodes = [n("CumSum", ["mask", "axis_last"], ["pos"]),
             n("CumSum", ["x", "axis0"], ["rev"], exclusive=1, reverse=1)]
    return model(nodes, [mask, x], [vi("pos", I64, None), vi("rev", F, None)],
                 [init("axis_last", np.array(-1, np.int64)),
                  init("axis0", np.array([0], np.int32))], opset=14)


@register
def activations():
    """Activations ONNX defines as formulas, each on its own input."""
    names = ["LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "ThresholdedRelu",
             "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish",
             "Shrink", "Sign"]
    inputs, outputs, nodes = [], [], []
    for i, op in enumerate(names):
        inputs.append(vi(f"x{i}", F, [2, 8]))
        outputs.append(vi(f"y{i}", F, None))
        args = [f"x{i}"] + (["slope"] if op == "PRelu" else [])
        attrs = {"alpha": 0.3} if op in ("LeakyRelu", "Elu", "Celu") else {}
        nodes.append(n(op, args, [f"y{i}"], **attrs))
    return model(nodes, inputs, outputs,
                 [init("slope", np.linspace(-0.5, 0.5, 8).astype(np.float32))],
                 opset=18)


@register
def cnn_norms():
    """BatchNormalization, InstanceNormalization, GroupNormalization (opset
    21) and the global pools on [batch, 6, h, w] with dynamic batch and
    spatial dims."""
    x = vi("x", F, ["batch", 6, "h", "w"])
    c = lambda name, v: init(name, np.asarray(v, np.float32))
    rng = np.random.default_rng(0)
    nodes = [n("BatchNormalization", ["x", "bs", "bb", "bm", "bv"], ["bn"],
               epsilon=1e-3),
             n("InstanceNormalization", ["bn", "is", "ib"], ["inorm"]),
             n("GroupNormalization", ["inorm", "gs", "gb"], ["gn"],
               num_groups=3),
             n("GlobalAveragePool", ["gn"], ["avg"]),
             n("GlobalMaxPool", ["gn"], ["mx"])]
    inits = [c("bs", rng.uniform(0.5, 1.5, 6)), c("bb", rng.normal(size=6)),
             c("bm", rng.normal(size=6)), c("bv", rng.uniform(0.5, 2, 6)),
             c("is", rng.uniform(0.5, 1.5, 6)), c("ib", rng.normal(size=6)),
             c("gs", rng.uniform(0.5, 1.5, 6)), c("gb", rng.normal(size=6))]
    return model(nodes, [x], [vi("gn", F, None), vi("avg", F, None),
                              vi("mx", F, None)], inits, opset=21)


@register
def conv_bn():
    """Conv -> BatchNormalization -> Relu (folded at import: the Conv's
    weight and bias absorb the normalization), one without a bias, and a
    Conv another node also reads (not folded)."""
    x = vi("x", F, ["batch", 3, 9, 9])
    rng = np.random.default_rng(1)

    def stats(p, c):
        return [init(p + "s", rng.uniform(0.5, 1.5, c).astype(np.float32)),
                init(p + "b", rng.normal(size=c).astype(np.float32)),
                init(p + "m", rng.normal(size=c).astype(np.float32)),
                init(p + "v", rng.uniform(0.5, 2, c).astype(np.float32))]
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             n("BatchNormalization", ["c1", "p1s", "p1b", "p1m", "p1v"],
               ["n1"], epsilon=1e-3),
             n("Relu", ["n1"], ["folded"]),
             n("Conv", ["folded", "w2"], ["c2"], strides=[2, 2]),
             n("BatchNormalization", ["c2", "p2s", "p2b", "p2m", "p2v"],
               ["nobias"]),
             n("Conv", ["x", "w3"], ["c3"]),
             n("BatchNormalization", ["c3", "p3s", "p3b", "p3m", "p3v"],
               ["n3"]),
             n("Add", ["n3", "c3"], ["shared"])]
    inits = ([init("w1", w(4, 3, 3, 3)), init("b1", w(4)),
              init("w2", w(5, 4, 3, 3)), init("w3", w(2, 3, 1, 1))] +
             stats("p1", 4) + stats("p2", 5) + stats("p3", 2))
    return model(nodes, [x], [vi("folded", F, None), vi("nobias", F, None),
                              vi("shared", F, None)], inits)


@register
def convs():
    """Conv as the matrix's models write it and the rest of its attributes:
    Whisper's 1-D front end (k3 pad 1, then stride 2) with dynamic frames,
    a ViT patch embedding (k = stride = 4) with dynamic spatial dims, a
    grouped, dilated, asymmetrically padded 2-D conv, a depthwise conv with
    auto_pad SAME_UPPER and one with SAME_LOWER and strides."""
    rng = np.random.default_rng(0)
    w = lambda name, *shape: init(name, rng.normal(size=shape).astype(np.float32))
    a = vi("a", F, ["batch", 8, "frames"])
    img = vi("img", F, ["batch", 3, "h", "w"])
    g = vi("g", F, [2, 6, 9, 7])
    nodes = [n("Conv", ["a", "w1", "b1"], ["c1"], pads=[1, 1], kernel_shape=[3]),
             n("Conv", ["c1", "w2", "b2"], ["c2"], pads=[1, 1], strides=[2]),
             n("Conv", ["img", "wp", "bp"], ["patches"], kernel_shape=[4, 4],
               strides=[4, 4]),
             n("Conv", ["g", "wg"], ["grouped"], group=2, dilations=[1, 2],
               pads=[1, 0, 1, 2], strides=[2, 1]),
             n("Conv", ["g", "wd", "bd"], ["depthwise"], group=6,
               auto_pad="SAME_UPPER"),
             n("Conv", ["g", "ws"], ["same_lower"], auto_pad="SAME_LOWER",
               strides=[2, 2])]
    inits = [w("w1", 16, 8, 3), w("b1", 16), w("w2", 16, 16, 3), w("b2", 16),
             w("wp", 32, 3, 4, 4), w("bp", 32), w("wg", 4, 3, 3, 3),
             w("wd", 6, 1, 3, 3), w("bd", 6), w("ws", 5, 6, 2, 4)]
    return model(nodes, [a, img, g],
                 [vi(o, F, None) for o in ("c2", "patches", "grouped",
                                           "depthwise", "same_lower")],
                 inits, opset=17)


@register
def conv_dynamic_channels():
    """Conv needs the input's channel count static (the weight's is)."""
    x = vi("x", F, [1, "c", 8])
    return model([n("Conv", ["x", "w"], ["y"])], [x], [vi("y", F, None)],
                 [init("w", np.ones((2, 4, 3), np.float32))])


@register
def rounding():
    """Floor, Ceil and Round (ties to even) in an elementwise chain, fused;
    a Round whose result is also a graph output runs as its own kernel."""
    x = vi("x", F, ["batch", 8])
    two = init("two", np.array(2.0, np.float32))
    nodes = [n("Mul", ["x", "two"], ["x2"]),
             n("Round", ["x2"], ["r"]),
             n("Floor", ["x2"], ["f"]),
             n("Ceil", ["x"], ["c"]),
             n("Add", ["r", "f"], ["rf"]),
             n("Sub", ["rf", "c"], ["y0"]),
             n("Round", ["x"], ["rx"]),
             n("Add", ["y0", "rx"], ["y"])]
    return model(nodes, [x], [vi("y", F, None), vi("r", F, None)], [two])


@register
def celu_zero_alpha():
    x = vi("x", F, [4])
    return model([n("Celu", ["x"], ["y"], name="c", alpha=0.0)], [x],
                 [vi("y", F, None)], opset=18)


@register
def scatters():
    """ScatterElements (add, repeated and negative indices) and ScatterND
    (rows of a cache written at positions, the last repeat winning)."""
    x = vi("x", F, [4, 6])
    u = vi("u", F, [4, 3])
    cache = vi("cache", F, [5, 6])
    rows = vi("rows", F, [3, 6])
    nodes = [n("ScatterElements", ["x", "idx", "u"], ["se"], axis=1,
               reduction="add"),
             n("ScatterND", ["cache", "pos", "rows"], ["sn"])]
    return model(nodes, [x, u, cache, rows],
                 [vi("se", F, None), vi("sn", F, None)],
                 [init("idx", np.array([[0, 5, 0], [1, -1, 2], [3, 3, 3],
                                        [2, 1, 0]], np.int64)),
                  init("pos", np.array([[4], [0], [4]], np.int64))],
                 opset=18)


@register
def nonzeros():
    """NonZero, whose result's length depends on the data: of a Relu (exact
    zeros) as an output, and the reference MoE loop's dispatch for expert 1
    -- TopK over router logits, Equal, NonZero, the tokens' rows gathered,
    projected and added back with ScatterND -- which runs after it; and
    the same for an expert no token picks (no indices)."""
    x = vi("x", F, ["batch", 5, 3])
    logits = vi("logits", F, ["tokens", 4])
    hidden = vi("hidden", F, ["tokens", 8])
    nodes = [n("Relu", ["x"], ["rx"]),
             n("NonZero", ["rx"], ["nz"]),
             n("TopK", ["logits", "k"], ["topv", "topi"], axis=1),
             n("Equal", ["topi", "expert"], ["hit"]),
             n("NonZero", ["hit"], ["where"]),
             n("Gather", ["where", "zero"], ["token"], axis=0),
             n("Gather", ["hidden", "token"], ["rows"], axis=0),
             n("MatMul", ["rows", "wexp"], ["proj"]),
             n("Unsqueeze", ["token", "one"], ["pos"]),
             n("ScatterND", ["hidden", "pos", "proj"], ["moe"],
               reduction="add"),
             n("Shape", ["where"], ["wshape"]),
             # An expert no token picks: every later shape is empty.
             n("Equal", ["topi", "nobody"], ["miss"]),
             n("NonZero", ["miss"], ["none"]),
             n("Gather", ["none", "zero"], ["ntoken"], axis=0),
             n("Gather", ["hidden", "ntoken"], ["nrows"], axis=0),
             n("MatMul", ["nrows", "wexp"], ["nproj"]),
             n("Unsqueeze", ["ntoken", "one"], ["npos"]),
             n("ScatterND", ["hidden", "npos", "nproj"], ["untouched"],
               reduction="add")]
    return model(nodes, [x, logits, hidden],
                 [vi("nz", I64, None), vi("moe", F, None),
                  vi("wshape", I64, None), vi("untouched", F, None)],
                 [init("k", np.array([2], np.int64)),
                  init("expert", np.array(1, np.int64)),
                  init("nobody", np.array(9, np.int64)),
                  init("zero", np.array(0, np.int64)),
                  init("one", np.array([1], np.int64)),
                  init("wexp", w(8, 8))],
                 opset=18)


@register
def nonzero_declared():
    """NonZero whose output the file declares with a static count (as the
    ONNX node test does, for its own data), and a Transpose of it too."""
    return model([n("NonZero", ["m"], ["nz"]),
                  n("Transpose", ["nz"], ["t"], perm=[1, 0])],
                 [vi("m", B, [2, 2])],
                 [vi("nz", I64, [2, 3]), vi("t", I64, [3, 2])])


@register
def cumsum_dynamic_axis():
    """CumSum's axis must be a constant."""
    x = vi("x", F, [3, 5])
    a = vi("a", I64, [])
    nodes = [n("CumSum", ["x", "a"], ["y"])]
    return model(nodes, [x, a], [vi("y", F, None)])


# --- tensor ------------------------------------------------------------------

@register
def shape_chain_static():
    """The exporters' Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""
    x = vi("x", F, [2, 5, 64])
    nodes = [n("Shape", ["x"], ["s"]),
             n("Gather", ["s", "i0"], ["b"], axis=0),
             n("Gather", ["s", "i1"], ["t"], axis=0),
             n("Unsqueeze", ["b", "ax0"], ["bu"]),
             n("Unsqueeze", ["t", "ax0"], ["tu"]),
             n("Concat", ["bu", "tu", "heads"], ["shape"], axis=0),
             n("Reshape", ["x", "shape"], ["out"])]
    return model(nodes, [x], [vi("out", F, None)],
                 [init("i0", np.array(0, np.int64)),
                  init("i1", np.array(1, np.int64)),
                  init("ax0", np.array([0], np.int64)),
                  init("heads", np.array([4, 16], np.int64))])


@register
def shape_chain_dynamic():
    m = shape_chain_static()
    m.graph.input[0].CopyFrom(vi("x", F, ["batch", "seq", 64]))
    return m


@register
def data_movement():
    x = vi("x", F, ["batch", 4, 6])
    nodes = [n("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
             n("Unsqueeze", ["t", "ax"], ["u"]),
             n("Squeeze", ["u", "ax"], ["sq"]),
             n("Split", ["sq", "split"], ["p0", "p1"], axis=1),
             n("Concat", ["p1", "p0"], ["c"], axis=-2),
             n("Slice", ["c", "starts", "ends", "axes", "steps"], ["sl"]),
             n("Flatten", ["x"], ["fl"], axis=1),
             n("Expand", ["one", "eshape"], ["ex"]),
             n("Gather", ["table", "ids"], ["emb"], axis=0)]
    ids = vi("ids", I64, ["batch", "seq"])
    return model(nodes, [x, ids],
                 [vi("sl", F, None), vi("fl", F, None), vi("ex", F, None),
                  vi("emb", F, None)],
                 [init("ax", np.array([1], np.int64)),
                  init("split", np.array([2, 4], np.int64)),
                  init("starts", np.array([0, -1], np.int64)),
                  init("ends", np.array([5, -100], np.int64)),
                  init("axes", np.array([1, 2], np.int64)),
                  init("steps", np.array([2, -1], np.int64)),
                  init("one", np.ones((1, 3), np.float32)),
                  init("eshape", np.array([2, 1, 3], np.int64)),
                  init("table", w(100, 8))])


@register
def constants():
    x = vi("x", F, [2, 3])
    t = h.make_tensor("v", F, [3], [1.0, 2.0, 3.0])
    nodes = [n("Constant", [], ["c"], value=t),
             n("Constant", [], ["ci"], value_ints=[2, 3]),
             n("ConstantOfShape", ["ci"], ["zeros"],
               value=h.make_tensor("z", F, [1], [0.5])),
             n("Add", ["x", "c"], ["a"]), n("Add", ["a", "zeros"], ["b"]),
             n("Range", ["r0", "r1", "r2"], ["range"]),
             n("Trilu", ["b"], ["out"], upper=0)]
    return model(nodes, [x], [vi("out", F, None), vi("range", I64, None)],
                 [init("r0", np.array(0, np.int64)),
                  init("r1", np.array(7, np.int64)),
                  init("r2", np.array(2, np.int64))])


@register
def causal_mask_dynamic():
    """A causal mask built from the run-time sequence length."""
    x = vi("x", F, ["batch", "seq", "seq"])
    nodes = [n("Shape", ["x"], ["s"]),
             n("Gather", ["s", "i2"], ["len"], axis=0),
             n("Range", ["zero", "len", "one"], ["pos"]),
             n("Trilu", ["x"], ["lower"], upper=0),
             n("Cast", ["pos"], ["posf"], to=F),
             n("Unsqueeze", ["posf", "ax0"], ["row"]),
             n("Add", ["lower", "row"], ["out"])]
    return model(nodes, [x], [vi("out", F, None)],
                 [init("i2", np.array(2, np.int64)),
                  init("zero", np.array(0, np.int64)),
                  init("one", np.array(1, np.int64)),
                  init("ax0", np.array([0], np.int64))])


@register
def gathers_and_tiles():
    x = vi("x", F, ["batch", 8])
    idx = vi("idx", I64, ["batch", 2])
    nd = vi("nd", I64, ["n", 1])
    reps = vi("reps", I64, [2])
    cls = vi("cls", I64, ["batch"])
    nodes = [n("GatherElements", ["x", "idx"], ["ge"], axis=1),
             n("GatherND", ["table", "nd"], ["gnd"]),
             n("Tile", ["x", "two_one"], ["tile"]),
             n("Tile", ["x", "reps"], ["tile_dyn"]),
             n("OneHot", ["cls", "depth", "onoff"], ["onehot"], axis=-1),
             n("IsNaN", ["x"], ["nan"])]
    return model(nodes, [x, idx, nd, reps, cls],
                 [vi("ge", F, None), vi("gnd", F, None), vi("tile", F, None),
                  vi("tile_dyn", F, None), vi("onehot", F, None),
                  vi("nan", B, None)],
                 [init("table", w(4, 3)),
                  init("two_one", np.array([2, 1], np.int64)),
                  init("depth", np.array([5], np.int64)),
                  init("onoff", np.array([0.0, 1.0], np.float32))])


@register
def dynamic_slice():
    """The causal-mask slice exporters write: x[:, :, :seq, :seq]."""
    mask = vi("mask", F, [1, 1, 16, 16])
    x = vi("x", F, ["batch", "seq", 4])
    nodes = [n("Shape", ["x"], ["s"]),
             n("Slice", ["s", "one", "two"], ["seq"]),
             n("Concat", ["seq", "seq"], ["ends"], axis=0),
             n("Slice", ["mask", "zeros", "ends", "axes23"], ["y"]),
             n("Flatten", ["x"], ["flat"], axis=1)]
    return model(nodes, [mask, x], [vi("y", F, None), vi("flat", F, None)],
                 [init("one", np.array([1], np.int64)),
                  init("two", np.array([2], np.int64)),
                  init("zeros", np.array([0, 0], np.int64)),
                  init("axes23", np.array([2, 3], np.int64))])


# --- attention ---------------------------------------------------------------

@register
def attention23():
    q = vi("q", F, ["batch", "seq", 64])
    k = vi("k", F, ["batch", "seq", 32])
    nodes = [n("Attention", ["q", "k", "k"], ["y"], is_causal=1,
               q_num_heads=4, kv_num_heads=2)]
    return model(nodes, [q, k], [vi("y", F, None)], opset=23)


@register
def attention23_static_past():
    q = vi("q", F, [1, 4, 3, 16])
    k = vi("k", F, [1, 2, 3, 16])
    pk = vi("pk", F, [1, 2, 5, 16])
    nodes = [n("Attention", ["q", "k", "k", "", "pk", "pk"],
               ["y", "present_k", "present_v"], is_causal=1)]
    return model(nodes, [q, k, pk], [vi("y", F, None),
                                     vi("present_k", F, None),
                                     vi("present_v", F, None)], opset=23)


@register
def gqa_repeat_interleave():
    """GQA as TorchScript exports torch.repeat_interleave(k, 2, dim=1):
    Unsqueeze, Tile over the new axis, Reshape; then decomposed attention."""
    q = vi("q", F, ["batch", 4, "seq", 16])
    k = vi("k", F, ["batch", 2, "seq", 16])
    v = vi("v", F, ["batch", 2, "seq", 16])
    nodes = []
    for x in ("k", "v"):
        nodes += [n("Unsqueeze", [x, "axis2"], [x + "5"]),
                  n("Tile", [x + "5", "reps"], [x + "t"]),
                  n("Reshape", [x + "t", "heads"], [x + "r"])]
    nodes += [n("Transpose", ["kr"], ["kT"], perm=[0, 1, 3, 2]),
              n("MatMul", ["q", "kT"], ["s"]),
              n("Mul", ["s", "scale"], ["ss"]),
              n("Softmax", ["ss"], ["p"], axis=-1),
              n("MatMul", ["p", "vr"], ["y"])]
    return model(nodes, [q, k, v], [vi("y", F, None)],
                 [init("axis2", np.array([2], np.int64)),
                  init("reps", np.array([1, 1, 2, 1, 1], np.int64)),
                  init("heads", np.array([0, 4, -1, 16], np.int64)),
                  init("scale", np.array(0.25, np.float32))])


@register
def rotary23():
    x = vi("x", F, ["batch", 4, "seq", 16])
    pos = vi("pos", I64, ["batch", "seq"])
    nodes = [n("RotaryEmbedding", ["x", "cos", "sin", "pos"], ["y"])]
    return model(nodes, [x, pos], [vi("y", F, None)],
                 [init("cos", w(32, 8)), init("sin", w(32, 8))], opset=23)


# --- com.microsoft -----------------------------------------------------------

MS = [("com.microsoft", 1)]


@register
def contrib_norms():
    x, s = vi("x", F, ["batch", "seq", 32]), vi("s", F, ["batch", "seq", 32])
    nodes = [n("SkipSimplifiedLayerNormalization", ["x", "s", "g"],
               ["y", "", "", "sum"], domain="com.microsoft", epsilon=1e-6),
             n("SkipLayerNormalization", ["y", "sum", "g", "b", "b"],
               ["z"], domain="com.microsoft"),
             n("SimplifiedLayerNormalization", ["z", "g"], ["r"],
               epsilon=1e-6),
             n("FastGelu", ["r", "b"], ["out"], domain="com.microsoft")]
    return model(nodes, [x, s], [vi("out", F, None), vi("sum", F, None)],
                 [init("g", w(32)), init("b", w(32))], extra_opsets=MS)


@register
def contrib_quick_gelu():
    """CLIP's QuickGelu as onnxruntime's optimizer writes it: the default
    alpha and another."""
    x = vi("x", F, ["batch", 16])
    nodes = [n("QuickGelu", ["x"], ["a"], domain="com.microsoft"),
             n("QuickGelu", ["a"], ["b"], domain="com.microsoft", alpha=0.5)]
    return model(nodes, [x], [vi("b", F, None)], extra_opsets=MS)


def quantize_nbits(w, bits, block, with_zero):
    """MatMulNBits' B, scales and packed zero points for w [K, N]."""
    k, n = w.shape
    blocks = -(-k // block)
    padded = np.zeros((blocks * block, n), np.float32)
    padded[:k] = w
    grid = padded.T.reshape(n, blocks, block)
    top = (1 << bits) - 1
    lo, hi = grid.min(axis=2), grid.max(axis=2)
    if with_zero:
        scale = np.maximum(hi - lo, 1e-6) / top
        zero = np.clip(np.round(-lo / scale), 0, top).astype(np.uint8)
    else:
        scale = np.maximum(np.abs(lo), np.abs(hi)) / (1 << (bits - 1))
        zero = np.full((n, blocks), 1 << (bits - 1), np.uint8)
    q = np.clip(np.round(grid / scale[:, :, None]) + zero[:, :, None], 0, top)
    q = q.astype(np.uint8)
    per = 8 // bits
    packed = np.zeros((n, blocks, block // per), np.uint8)
    for j in range(per):
        packed |= (q[:, :, j::per] << (j * bits)).astype(np.uint8)
    zrow = -(-blocks * bits // 8)
    zp = np.zeros((n, zrow), np.uint8)
    for b in range(blocks):
        zp[:, b * bits // 8] |= (zero[:, b] << (b * bits % 8)).astype(np.uint8)
    return packed, scale.astype(np.float32).reshape(-1), zp.reshape(-1)


@register
def contrib_matmul_nbits():
    """MatMulNBits as onnxruntime-genai writes it: 4 bits with packed zero
    points and a bias; 4 bits without zero points, K not a multiple of the
    block; 8 bits."""
    x = vi("x", F, ["batch", "seq", 64])
    rng = np.random.default_rng(0)
    inits, nodes = [], []
    b1, s1, z1 = quantize_nbits(rng.normal(size=(64, 24)), 4, 32, True)
    inits += [init("b1", b1), init("s1", s1), init("z1", z1),
              init("bias1", w(24))]
    nodes.append(n("MatMulNBits", ["x", "b1", "s1", "z1", "", "bias1"], ["y1"],
                   domain="com.microsoft", K=64, N=24, bits=4, block_size=32))
    b2, s2, _ = quantize_nbits(rng.normal(size=(24, 40)), 4, 16, False)
    inits += [init("b2", b2), init("s2", s2)]
    nodes.append(n("MatMulNBits", ["y1_part", "b2", "s2"], ["y2"],
                   domain="com.microsoft", K=24, N=40, bits=4, block_size=16))
    nodes.insert(1, n("Identity", ["y1"], ["y1_part"]))
    b3, s3, z3 = quantize_nbits(rng.normal(size=(40, 16)), 8, 16, True)
    inits += [init("b3", b3), init("s3", s3), init("z3", z3)]
    nodes.append(n("MatMulNBits", ["y2", "b3", "s3", "z3"], ["y3"],
                   domain="com.microsoft", K=40, N=16, bits=8, block_size=16))
    return model(nodes, [x], [vi("y3", F, None)], inits, extra_opsets=MS)


@register
def contrib_matmul_nbits_int8():
    """MatMulNBits at accuracy_level 4 (the genai builder's int4 CPU
    default: int8 activations): K = 576 as in SmolLM2 (blocks of 32 with
    zero points, and of 64 without)."""
    x = vi("x", F, ["batch", "seq", 576])
    rng = np.random.default_rng(2)
    b1, s1, z1 = quantize_nbits(rng.normal(size=(576, 40)), 4, 32, True)
    b2, s2, _ = quantize_nbits(rng.normal(size=(576, 24)), 4, 64, False)
    inits = [init("b1", b1), init("s1", s1), init("z1", z1), init("b2", b2),
             init("s2", s2)]
    nodes = [n("MatMulNBits", ["x", "b1", "s1", "z1"], ["y1"],
               domain="com.microsoft", K=576, N=40, bits=4, block_size=32,
               accuracy_level=4),
             n("MatMulNBits", ["x", "b2", "s2"], ["y2"],
               domain="com.microsoft", K=576, N=24, bits=4, block_size=64,
               accuracy_level=4)]
    return model(nodes, [x], [vi("y1", F, None), vi("y2", F, None)], inits,
                 extra_opsets=MS)


@register
def contrib_gather_block_quantized():
    """GatherBlockQuantized as the genai builder writes a tied int4
    embedding: the data is a Reshape of the LM head's MatMulNBits weight
    (which the head also uses); and a table given directly, with packed
    zero points."""
    ids = vi("ids", I64, ["batch", "seq"])
    rng = np.random.default_rng(1)
    b, s, _ = quantize_nbits(rng.normal(size=(32, 48)), 4, 16, False)
    table, ts, tz = quantize_nbits(rng.normal(size=(32, 48)), 4, 16, True)
    inits = [init("b", b), init("s", s.reshape(48, 2)),
             init("shape", np.array([48, 16], np.int64)),
             init("table", table.reshape(48, 16)), init("ts", ts.reshape(48, 2)),
             init("tz", tz.reshape(48, 1))]
    nodes = [n("Reshape", ["b", "shape"], ["emb_data"]),
             n("GatherBlockQuantized", ["emb_data", "ids", "s"], ["emb"],
               domain="com.microsoft", block_size=16, bits=4),
             n("MatMulNBits", ["emb", "b", "s"], ["logits"],
               domain="com.microsoft", K=32, N=48, bits=4, block_size=16),
             n("GatherBlockQuantized", ["table", "ids", "ts", "tz"], ["rows"],
               domain="com.microsoft", block_size=16, bits=4)]
    return model(nodes, [ids], [vi("logits", F, None), vi("rows", F, None)],
                 inits, extra_opsets=MS)


@register
def matmul_nbits_errors():
    """MatMulNBits that cannot import: 3 bits (then B one byte short, and
    a B computed at run time, below)."""
    x = vi("x", F, [2, 32])
    nodes = [n("MatMulNBits", ["x", "b", "s"], ["y1"], name="three_bits",
               domain="com.microsoft", K=32, N=8, bits=3, block_size=32)]
    return model(nodes, [x], [vi("y1", F, None)],
                 [init("b", np.zeros((8, 1, 16), np.uint8)),
                  init("s", np.ones(8, np.float32))], extra_opsets=MS)


@register
def matmul_nbits_short():
    x = vi("x", F, [2, 32])
    nodes = [n("MatMulNBits", ["x", "b", "s"], ["y"], name="short",
               domain="com.microsoft", K=32, N=8, bits=4, block_size=32)]
    return model(nodes, [x], [vi("y", F, None)],
                 [init("b", np.zeros((8, 1, 15), np.uint8)),
                  init("s", np.ones(8, np.float32))], extra_opsets=MS)


@register
def matmul_nbits_computed():
    x = vi("x", F, [2, 32])
    q = vi("q", onnx.TensorProto.UINT8, [8, 1, 16])
    nodes = [n("MatMulNBits", ["x", "q", "s"], ["y"], name="computed",
               domain="com.microsoft", K=32, N=8, bits=4, block_size=32)]
    return model(nodes, [x, q], [vi("y", F, None)],
                 [init("s", np.ones(8, np.float32))], extra_opsets=MS)


@register
def contrib_mha():
    q = vi("q", F, ["batch", "seq", 64])
    mask = vi("mask", I32, ["batch", "seq"])
    nodes = [n("MultiHeadAttention", ["q", "q", "q", "bias", "mask"], ["y"],
               domain="com.microsoft", num_heads=4)]
    return model(nodes, [q, mask], [vi("y", F, None)],
                 [init("bias", w(192))], extra_opsets=MS)


@register
def contrib_gqa():
    q = vi("q", F, ["batch", "seq", 64])
    k = vi("k", F, ["batch", "seq", 32])
    pk = vi("pk", F, ["batch", 2, "past", 16])
    lens = vi("seqlens_k", I32, ["batch"])
    total = vi("total", I32, [])
    nodes = [n("GroupQueryAttention",
               ["q", "k", "k", "pk", "pk", "seqlens_k", "total"],
               ["y", "present_k", "present_v"], domain="com.microsoft",
               num_heads=4, kv_num_heads=2)]
    return model(nodes, [q, k, pk, lens, total],
                 [vi("y", F, None), vi("present_k", F, None),
                  vi("present_v", F, None)], extra_opsets=MS)


@register
def contrib_rotary():
    x = vi("x", F, ["batch", "seq", 64])
    pos = vi("pos", I64, ["batch", "seq"])
    nodes = [n("RotaryEmbedding", ["x", "pos", "cos", "sin"], ["y"],
               domain="com.microsoft", num_heads=4)]
    return model(nodes, [x, pos], [vi("y", F, None)],
                 [init("cos", w(32, 8)), init("sin", w(32, 8))],
                 extra_opsets=MS)


@register
def unsorted():
    """Nodes out of topological order (ONNX requires the order, files in
    the wild do not always have it): imported in dependency order."""
    x = vi("x", F, [2, 3])
    nodes = [n("Relu", ["a"], ["y"]), n("Neg", ["x"], ["a"])]
    return model(nodes, [x], [vi("y", F, None)])


# --- external data -----------------------------------------------------------

@register
def external_data():
    x = vi("x", F, ["batch", 64])
    m = model([n("MatMul", ["x", "w"], ["y"])], [x], [vi("y", F, None)],
              [init("w", w(64, 64))])
    return m, "external"


# --- malformed and unsupported models ----------------------------------------

@register
def unsupported_ops():
    x = vi("x", F, [4, 4])
    nodes = [n("LpPool", ["x"], ["a"], name="pool0"),
             n("LpPool", ["a"], ["b"], name="pool1"),
             n("Hardmax", ["b"], ["c"], name="hm"),
             n("Frobnicate", ["c"], ["y"], name="frob", domain="com.acme")]
    return model(nodes, [x], [vi("y", F, None)],
                 extra_opsets=[("com.acme", 1)])


@register
def old_opset():
    """Opset 9: a Constant, Unsqueeze and Squeeze with axes attributes (inputs
    since 13), Softmax's coerced-2-D axis (one axis since 13) and Relu."""
    x = vi("x", F, [3, 4, 5])
    c = T(name="c", data_type=F, dims=[5], float_data=[0.5, -1, 2, 0.25, 3])
    nodes = [n("Constant", [], ["k"], value=c),
             n("Add", ["x", "k"], ["a"]),
             n("Unsqueeze", ["a"], ["u"], axes=[0]),
             n("Softmax", ["u"], ["s"], axis=2),
             n("Squeeze", ["s"], ["q"], axes=[0]),
             n("Relu", ["q"], ["y"], name="y")]
    return model(nodes, [x], [vi("y", F, None)], opset=9)


@register
def missing_input():
    x = vi("x", F, [4])
    return model([n("Add", ["x", "ghost"], ["y"], name="adder")], [x],
                 [vi("y", F, None)])


@register
def cycle():
    x = vi("x", F, [4])
    nodes = [n("Add", ["x", "b"], ["a"], name="first"),
             n("Relu", ["a"], ["b"], name="second"),
             n("Identity", ["a"], ["y"], name="out")]
    return model(nodes, [x], [vi("y", F, None)])


@register
def wrong_attr_type():
    x = vi("x", F, [2, 3])
    return model([n("Softmax", ["x"], ["y"], name="sm", axis=1.5)], [x],
                 [vi("y", F, None)])


@register
def inconsistent_shapes():
    a, b = vi("a", F, [2, 3]), vi("b", F, [4, 5])
    return model([n("MatMul", ["a", "b"], ["y"], name="mm")], [a, b],
                 [vi("y", F, None)])


@register
def unsupported_dtype():
    x = vi("x", T.DOUBLE, [4])
    return model([n("Relu", ["x"], ["y"])], [x], [vi("y", T.DOUBLE, None)])


@register
def missing_external_data():
    m, _ = external_data()
    return m, "external-missing"


@register
def short_initializer():
    x = vi("x", F, [4])
    t = T(name="w", data_type=F, dims=[4])
    t.float_data.extend([1.0, 2.0])  # the shape needs 4 values
    return model([n("Add", ["x", "w"], ["y"])], [x], [vi("y", F, None)], [t])


@register
def truncated_raw_data():
    x = vi("x", F, [4])
    t = T(name="w", data_type=F, dims=[4], raw_data=b"\0" * 10)
    return model([n("Add", ["x", "w"], ["y"])], [x], [vi("y", F, None)], [t])


@register
def declared_shape_mismatch():
    """value_info says [2, 2]; Relu of a [2, 3] input computes [2, 3]."""
    x = vi("x", F, [2, 3])
    return model([n("Relu", ["x"], ["r"], name="relu"),
                  n("Identity", ["r"], ["y"])], [x], [vi("y", F, None)],
                 value_info=[vi("r", F, [2, 2])])


@register
def declared_type_mismatch():
    """value_info says i64; Relu of an f32 input computes f32."""
    x = vi("x", F, [2, 3])
    return model([n("Relu", ["x"], ["r"], name="relu"),
                  n("Identity", ["r"], ["y"])], [x], [vi("y", F, None)],
                 value_info=[vi("r", I64, [2, 3])])


@register
def unsupported_cast():
    x = vi("x", F, [4])
    return model([n("Cast", ["x"], ["y"], name="to_u8", to=T.UINT8)], [x],
                 [vi("y", T.UINT8, None)])


@register
def dynamic_axes():
    x, a = vi("x", F, [2, 3]), vi("axes", I64, [1])
    return model([n("ReduceSum", ["x", "axes"], ["y"], name="rs")], [x, a],
                 [vi("y", F, None)])


@register
def concat_mismatch_shape():
    """Concat of [2, 3] and [2, 4] on axis 0, then Shape: libonnx's data
    propagation used to dereference the Concat's missing type (a crash)."""
    x, y = vi("x", F, [2, 3]), vi("y", F, [2, 4])
    return model([n("Concat", ["x", "y"], ["c"], name="cat", axis=0),
                  n("Shape", ["c"], ["s"])], [x, y], [vi("s", I64, None)])


def write(name, out):
    built = MODELS[name]()
    mode = None
    if isinstance(built, tuple):
        built, mode = built
    if mode in ("external", "external-missing"):
        location = os.path.basename(out) + ".data"
        onnx.save_model(built, out, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=location,
                        size_threshold=0)
        if mode == "external-missing":
            os.remove(os.path.join(os.path.dirname(out) or ".", location))
        return
    onnx.save_model(built, out)


if __name__ == "__main__":
    name, out = sys.argv[1], sys.argv[2]
    if name == "not_onnx":
        with open(out, "w") as f:
            f.write("this is a text file, not a protobuf\n")
    elif name == "empty":
        open(out, "wb").close()
    elif name == "truncated":
        write("matmuls", out)
        data = open(out, "rb").read()
        open(out, "wb").write(data[: len(data) // 2])
    else:
        write(name, out)
