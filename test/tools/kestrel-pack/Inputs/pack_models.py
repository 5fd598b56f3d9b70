"""ONNX models for the kestrel-pack tests.

usage: pack_models.py resave MODEL OUT_DIR [--delete]
           MODEL re-saved as OUT_DIR/model.onnx with every initializer of
           1 KiB or more in OUT_DIR/w.bin (deleted again with --delete)
       pack_models.py axes OUT_DIR
           a ReduceSum whose axes live in external data that is missing
       pack_models.py typed OUT
           MatMuls whose f32, f16 and bf16 weights are kept in the typed
           fields (float_data, int32_data) instead of raw_data
"""

import os
import sys

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np


def resave(model_path, out_dir, delete):
    os.makedirs(out_dir, exist_ok=True)
    model = onnx.load(model_path)
    out = os.path.join(out_dir, "model.onnx")
    onnx.save_model(model, out, save_as_external_data=True,
                    all_tensors_to_one_file=True, location="w.bin",
                    size_threshold=1024)
    if delete:
        os.remove(os.path.join(out_dir, "w.bin"))


def axes(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("ReduceSum", ["x", "axes"], ["y"], name="rs")
    init = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    graph = helper.make_graph([node], "axes", [x], [y], [init])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    out = os.path.join(out_dir, "model.onnx")
    onnx.save_model(model, out, save_as_external_data=True,
                    all_tensors_to_one_file=True, location="w.bin",
                    size_threshold=0)
    os.remove(os.path.join(out_dir, "w.bin"))


def typed(out):
    rng = np.random.default_rng(3)
    nodes, inputs, outputs, inits = [], [], [], []
    for name, elem, np_type in (("f32", TensorProto.FLOAT, np.float32),
                                ("f16", TensorProto.FLOAT16, np.float16),
                                ("bf16", TensorProto.BFLOAT16, None)):
        values = rng.standard_normal((8, 4)).astype(np.float32)
        w = helper.make_tensor("w_" + name, elem, [8, 4], values.flatten())
        assert not w.raw_data
        inits.append(w)
        inputs.append(helper.make_tensor_value_info("x_" + name, elem,
                                                    ["n", 8]))
        outputs.append(helper.make_tensor_value_info("y_" + name, elem,
                                                     ["n", 4]))
        nodes.append(helper.make_node("MatMul", ["x_" + name, "w_" + name],
                                      ["y_" + name]))
    graph = helper.make_graph(nodes, "typed", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, out)


if __name__ == "__main__":
    if sys.argv[1] == "resave":
        resave(sys.argv[2], sys.argv[3], "--delete" in sys.argv[4:])
    elif sys.argv[1] == "axes":
        axes(sys.argv[2])
    elif sys.argv[1] == "typed":
        typed(sys.argv[2])
    else:
        sys.exit(__doc__)
