#!/usr/bin/env python3
"""CNN-shaped ONNX models at real sizes for bench/ort_compare.py: the
pooling, resize and transposed-convolution paths next to convolutions.

  resnet_stem  ResNet-18's stem and first basic block on a 224x224 image:
               Conv 7x7/2 + BatchNorm + Relu, MaxPool 3x3/2, two Conv 3x3 +
               BatchNorm with the residual Add, GlobalAveragePool.
  unet_up      a U-Net decoder step on a 28x28x128 feature map:
               ConvTranspose 2x2/2, Relu, Resize (linear, x2), Conv 3x3,
               Relu, AveragePool 2x2/2, Resize (nearest, x2).

Random weights (seeded); each model's data/1x224 (or 1x28) holds a random
input and ONNX Runtime's output as the reference.

    .venv/bin/python bench/cnn_models.py -o /tmp/cnn
    .venv/bin/python bench/ort_compare.py --models /tmp/cnn/* --threads 2
"""

import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

RNG = np.random.default_rng(2026)


def weight(name, *shape, scale=None):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    s = scale if scale is not None else (2.0 / fan_in) ** 0.5
    return nh.from_array((RNG.standard_normal(shape) * s).astype(np.float32),
                         name)


def batch_norm(prefix, x, channels, out, nodes, inits):
    inits += [nh.from_array((1 + 0.1 * RNG.standard_normal(channels))
                            .astype(np.float32), prefix + "_g"),
              nh.from_array((0.1 * RNG.standard_normal(channels))
                            .astype(np.float32), prefix + "_b"),
              nh.from_array((0.1 * RNG.standard_normal(channels))
                            .astype(np.float32), prefix + "_m"),
              nh.from_array((1 + 0.1 * RNG.random(channels))
                            .astype(np.float32), prefix + "_v")]
    nodes.append(h.make_node("BatchNormalization",
                             [x, prefix + "_g", prefix + "_b", prefix + "_m",
                              prefix + "_v"], [out]))


def resnet_stem():
    nodes, inits = [], []
    inits.append(weight("w1", 64, 3, 7, 7))
    nodes.append(h.make_node("Conv", ["x", "w1"], ["c1"], strides=[2, 2],
                             pads=[3, 3, 3, 3]))
    batch_norm("bn1", "c1", 64, "b1", nodes, inits)
    nodes += [h.make_node("Relu", ["b1"], ["r1"]),
              h.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3],
                          strides=[2, 2], pads=[1, 1, 1, 1])]
    inits += [weight("w2", 64, 64, 3, 3), weight("w3", 64, 64, 3, 3)]
    nodes.append(h.make_node("Conv", ["p1", "w2"], ["c2"], pads=[1, 1, 1, 1]))
    batch_norm("bn2", "c2", 64, "b2", nodes, inits)
    nodes.append(h.make_node("Relu", ["b2"], ["r2"]))
    nodes.append(h.make_node("Conv", ["r2", "w3"], ["c3"], pads=[1, 1, 1, 1]))
    batch_norm("bn3", "c3", 64, "b3", nodes, inits)
    nodes += [h.make_node("Add", ["b3", "p1"], ["s3"]),
              h.make_node("Relu", ["s3"], ["r3"]),
              h.make_node("GlobalAveragePool", ["r3"], ["y"])]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 3, 224, 224])
    y = h.make_tensor_value_info("y", T.FLOAT, [1, 64, 1, 1])
    return h.make_graph(nodes, "resnet_stem", [x], [y], inits), "1x224"


def unet_up():
    nodes, inits = [], []
    inits += [weight("wt", 128, 64, 2, 2), weight("bt", 64, scale=0.1),
              weight("wc", 32, 64, 3, 3), weight("bc", 32, scale=0.1),
              nh.from_array(np.array([1, 1, 2, 2], np.float32), "s2")]
    nodes += [h.make_node("ConvTranspose", ["x", "wt", "bt"], ["t"],
                          strides=[2, 2]),
              h.make_node("Relu", ["t"], ["rt"]),
              h.make_node("Resize", ["rt", "", "s2"], ["u"], mode="linear"),
              h.make_node("Conv", ["u", "wc", "bc"], ["c"],
                          pads=[1, 1, 1, 1]),
              h.make_node("Relu", ["c"], ["rc"]),
              h.make_node("AveragePool", ["rc"], ["a"], kernel_shape=[2, 2],
                          strides=[2, 2]),
              h.make_node("Resize", ["a", "", "s2"], ["y"], mode="nearest")]
    x = h.make_tensor_value_info("x", T.FLOAT, [1, 128, 28, 28])
    y = h.make_tensor_value_info("y", T.FLOAT, [1, 32, 112, 112])
    return h.make_graph(nodes, "unet_up", [x], [y], inits), "1x28"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--out", required=True)
    args = p.parse_args()
    for build in (resnet_stem, unet_up):
        graph, shape = build()
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", 19)])
        model.ir_version = 9
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        onnx.checker.check_model(model)
        d = os.path.join(args.out, graph.name)
        os.makedirs(os.path.join(d, "data", shape), exist_ok=True)
        onnx.save(model, os.path.join(d, "model.onnx"))
        x = RNG.standard_normal(
            [dim.dim_value for dim in graph.input[0].type.tensor_type.shape.dim]
        ).astype(np.float32)
        sess = ort.InferenceSession(os.path.join(d, "model.onnx"),
                                    providers=["CPUExecutionProvider"])
        (y,) = sess.run(None, {"x": x})
        np.save(os.path.join(d, "data", shape, "x.npy"), x)
        np.save(os.path.join(d, "data", shape, "y.npy"), y)
        print(f"{d}: x {list(x.shape)} -> y {list(y.shape)}")


if __name__ == "__main__":
    main()
