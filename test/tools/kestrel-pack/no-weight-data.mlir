// kestrelc --no-weight-data compiles a model whose external data is absent:
// external initializers import as weights without data, kestrelc writes the
// manifest and no weights file, and kestrel-pack makes one (dummy values
// for benchmarks, or the real data where it exists). The model hash is the
// architecture's: the same as compiling the original fixture.
// REQUIRES: onnx
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: kestrelc %S/../../models/fixtures/llama-opset17/model.onnx --emit=source -o %t/orig --name llama
// RUN: grep model_hash %t/orig/llama.kweights.json > %t/orig.hash
//
// The weights moved to external data (w.bin), present.
// RUN: %python %S/Inputs/pack_models.py resave %S/../../models/fixtures/llama-opset17/model.onnx %t/ext
// RUN: kestrelc %t/ext/model.onnx --emit=source -o %t/nd --name llama --no-weight-data 2>&1 | FileCheck %s --check-prefix=NOTE
// NOTE: kestrelc: --no-weight-data: no llama.kweights written; make it with kestrel-pack {{.+}}nd/llama.kweights.json -o {{.+}}nd/llama.kweights (--onnx MODEL.onnx | --dummy SEED)
// RUN: not test -e %t/nd/llama.kweights
// RUN: grep model_hash %t/nd/llama.kweights.json | diff - %t/orig.hash
// RUN: kestrel-pack %t/nd/llama.kweights.json --onnx %t/ext/model.onnx -o %t/nd/llama.kweights
// RUN: cmp %t/nd/llama.kweights %t/orig/llama.kweights
//
// w.bin deleted: a clear error without the flag, a library with it.
// RUN: %python %S/Inputs/pack_models.py resave %S/../../models/fixtures/llama-opset17/model.onnx %t/missing --delete
// RUN: not kestrelc %t/missing/model.onnx -o %t/fail 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: missing/model.onnx: error: external data file '{{.+}}missing/w.bin' of 'model.model.embed_tokens.weight' cannot be opened
// MISSING-NEXT: missing/model.onnx: note: kestrelc --no-weight-data compiles without the weight data; kestrel-pack then writes the weights file
// RUN: kestrelc %t/missing/model.onnx -o %t/lib --name llama --no-weight-data
// RUN: grep model_hash %t/lib/llama.kweights.json | diff - %t/orig.hash
// RUN: not kestrel-pack %t/lib/llama.kweights.json --onnx %t/missing/model.onnx -o %t/lib/llama.kweights 2>&1 | FileCheck %s --check-prefix=PACKMISSING
// PACKMISSING: kestrel-pack: error: external data file '{{.+}}missing/w.bin' of 'model.model.embed_tokens.weight' cannot be opened: No such file or directory
// RUN: kestrel-pack %t/lib/llama.kweights.json --dummy 1 -o %t/lib/llama.kweights
// RUN: kestrel-run %t/lib --input input_ids=%S/../../models/fixtures/llama-opset17/data/1x8/input_ids.npy | FileCheck %s --check-prefix=RUNS
// RUNS: output: shape [1, 8, 256] f32
//
// Weights are never folded, so data-less ones cannot be folded wrongly: an
// op that needs a constant operand says that it is not one.
// RUN: %python %S/Inputs/pack_models.py axes %t/axes
// RUN: not kestrelc %t/axes/model.onnx --emit=graph --no-weight-data 2>&1 | FileCheck %s --check-prefix=AXES
// AXES: error: node 'rs': ReduceSum: axes (input 1, 'axes') must be a constant integer tensor
