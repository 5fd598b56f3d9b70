// kestrel-pack writes a fixture's weights from its manifest and the ONNX
// model byte for byte as kestrelc does, and seeded dummy weights that the
// compiled library accepts; a weights file of another model is refused.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: kestrelc %S/../../models/fixtures/bert-dynamo/model.onnx --emit=source -o %t/bert --name bert
// RUN: kestrel-pack %t/bert/bert.kweights.json --onnx %S/../../models/fixtures/bert-dynamo/model.onnx -o %t/bert.kweights --verify | FileCheck %s --check-prefix=PACK
// PACK: kestrel-pack: wrote {{.+}}bert.kweights: 18 tensors, {{.+}} MiB ({{.+}}bert-dynamo/model.onnx) in {{.+}}; verified
// RUN: cmp %t/bert.kweights %t/bert/bert.kweights
// RUN: kestrelc %S/../../models/fixtures/mixtral-opset17/model.onnx --emit=source -o %t/mixtral --name mixtral
// RUN: kestrel-pack %t/mixtral/mixtral.kweights.json --onnx %S/../../models/fixtures/mixtral-opset17/model.onnx -o %t/mixtral.kweights
// RUN: cmp %t/mixtral.kweights %t/mixtral/mixtral.kweights
//
// The manifest: the weight table in order, stored and source dtypes, shapes.
// RUN: kestrelc %S/../../models/fixtures/llama-opset17/model.onnx -o %t/llama --name llama
// RUN: FileCheck %s --check-prefix=MANIFEST < %t/llama/llama.kweights.json
// MANIFEST: {
// MANIFEST-NEXT:   "format": "kestrel-weights-manifest",
// MANIFEST-NEXT:   "version": 1,
// MANIFEST-NEXT:   "model": "llama",
// MANIFEST-NEXT:   "model_hash": "0x{{[0-9a-f]+}}",
// MANIFEST-NEXT:   "source": "{{.+}}llama-opset17/model.onnx",
// MANIFEST-NEXT:   "tensors": [
// MANIFEST-NEXT:     {"name": "model.model.embed_tokens.weight", "dtype": "f32", "source_dtype": "f32", "shape": [256, 64]},
// MANIFEST-NEXT:     {"name": "model.model.layers.0.input_layernorm.weight", "dtype": "f32", "source_dtype": "f32", "shape": [64]},
// MANIFEST:          {"name": "onnx::MatMul_675", "dtype": "f32", "source_dtype": "f32", "shape": [64, 256]}
// MANIFEST-NEXT:   ]
// MANIFEST-NEXT: }
// RUN: kestrel-pack %t/llama/llama.kweights.json --onnx %S/../../models/fixtures/llama-opset17/model.onnx -o %t/llama.kweights
// RUN: cmp %t/llama.kweights %t/llama/llama.kweights
//
// Dummy weights: the same file for the same seed, another for another, and
// the library runs on them.
// RUN: mkdir -p %t/dummy && cp %t/llama/libllama.so %t/dummy/
// RUN: kestrel-pack %t/llama/llama.kweights.json --dummy 1 -o %t/dummy/llama.kweights --verify | FileCheck %s --check-prefix=DUMMY
// DUMMY: kestrel-pack: wrote {{.+}}llama.kweights: 17 tensors, 0.41 MiB (dummy values, seed 1) in {{.+}}; verified
// RUN: kestrel-pack %t/llama/llama.kweights.json --dummy=1 -o %t/dummy1.kweights
// RUN: cmp %t/dummy/llama.kweights %t/dummy1.kweights
// RUN: kestrel-pack %t/llama/llama.kweights.json --dummy 0x2 -o %t/dummy2.kweights
// RUN: not cmp -s %t/dummy/llama.kweights %t/dummy2.kweights
// RUN: kestrel-run %t/dummy --input input_ids=%S/../../models/fixtures/llama-opset17/data/2x5/input_ids.npy | FileCheck %s --check-prefix=OUT
// OUT: output: shape [2, 5, 256] f32
// RUN: kestrel-run %t/llama --input input_ids=%S/../../models/fixtures/llama-opset17/data/2x5/input_ids.npy --expect output=%S/../../models/fixtures/llama-opset17/data/2x5/output.npy
//
// Dummy weights of another architecture: refused as another model's.
// RUN: mkdir -p %t/other && cp %t/llama/libllama.so %t/other/
// RUN: kestrel-pack %t/bert/bert.kweights.json --dummy 1 -o %t/other/llama.kweights
// RUN: not kestrel-run %t/other --input input_ids=%S/../../models/fixtures/llama-opset17/data/2x5/input_ids.npy 2>&1 | FileCheck %s --check-prefix=OTHER
// OTHER: KESTREL_ERROR_MODEL_MISMATCH: weights file '{{.+}}llama.kweights': belongs to another model
//
// A CUDA library stores f32 weights as bf16: kestrelc and kestrel-pack
// convert alike, and the model hash names the target and precision.
// RUN: kestrelc %S/../../models/fixtures/llama-opset17/model.onnx --target=cuda --emit=source -o %t/cuda --name llama
// RUN: FileCheck %s --check-prefix=CUDA < %t/cuda/llama.kweights.json
// CUDA: {"name": "model.model.embed_tokens.weight", "dtype": "bf16", "source_dtype": "f32", "shape": [256, 64]},
// RUN: kestrel-pack %t/cuda/llama.kweights.json --onnx %S/../../models/fixtures/llama-opset17/model.onnx -o %t/cuda.kweights
// RUN: cmp %t/cuda.kweights %t/cuda/llama.kweights
// RUN: grep model_hash %t/llama/llama.kweights.json > %t/cpu.hash
// RUN: grep model_hash %t/cuda/llama.kweights.json | not diff -q - %t/cpu.hash
