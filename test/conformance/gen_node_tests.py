"""Writes the ONNX backend node tests of the installed (pinned) onnx package
as model.onnx + test_data_set_N/{input,output}_K.pb directories, the layout
Debian's libonnx-testdata uses: gen_node_tests.py OUTDIR."""
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case import node

out = sys.argv[1]
warnings.simplefilter("ignore")
np.seterr(all="ignore")
os.makedirs(out, exist_ok=True)
count = 0
for case in node.collect_testcases(None):
    d = os.path.join(out, case.name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    for i, (inputs, outputs) in enumerate(case.data_sets):
        ds = os.path.join(d, f"test_data_set_{i}")
        os.makedirs(ds, exist_ok=True)
        for kind, values, infos in (("input", inputs, case.model.graph.input),
                                    ("output", outputs, case.model.graph.output)):
            for j, value in enumerate(values):
                if isinstance(value, (np.generic, int, float, bool)):
                    value = np.asarray(value)  # numpy scalars are rank-0
                if not isinstance(value, np.ndarray):
                    continue  # sequences, maps, optionals: not tensors
                t = numpy_helper.from_array(value, infos[j].name)
                with open(os.path.join(ds, f"{kind}_{j}.pb"), "wb") as f:
                    f.write(t.SerializeToString())
    count += 1
print(f"gen_node_tests: {count} node tests of onnx {onnx.__version__} in {out}")
