// kestrel-pack's errors: one line naming the problem, exit 1.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: kestrelc %S/../../models/fixtures/llama-opset17/model.onnx --emit=source -o %t/m --name llama
// RUN: cp %S/../../models/fixtures/llama-opset17/model.onnx %t/model.onnx
//
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/x.kweights 2>&1 | FileCheck %s --check-prefix=NOSRC
// NOSRC: kestrel-pack: error: give exactly one of --onnx MODEL.onnx and --dummy SEED
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/x.kweights --dummy 1 --onnx %t/model.onnx 2>&1 | FileCheck %s --check-prefix=NOSRC
// RUN: not kestrel-pack %t/m/llama.kweights.json --dummy 1 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: kestrel-pack: error: no output file given: -o OUT.kweights
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/x.kweights --dummy -3 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: kestrel-pack: error: --dummy expects a non-negative 64-bit integer seed, got '-3'
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/x.kweights --dummy 1 --fast 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: kestrel-pack: error: unknown option '--fast' (see kestrel-pack --help)
// RUN: kestrel-pack --help | FileCheck %s --check-prefix=HELP
// HELP: USAGE: kestrel-pack MANIFEST.json -o OUT.kweights (--onnx MODEL.onnx | --dummy SEED) [--verify]
//
// Manifests: missing, malformed, of another format.
// RUN: not kestrel-pack %t/none.json -o %t/x.kweights --dummy 1 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: kestrel-pack: error: {{.+}}none.json: cannot open: No such file or directory
// RUN: head -c 300 %t/m/llama.kweights.json > %t/truncated.json
// RUN: not kestrel-pack %t/truncated.json -o %t/x.kweights --dummy 1 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: kestrel-pack: error: {{.+}}truncated.json: malformed JSON at byte 300: {{.+}}
// RUN: sed 's/kestrel-weights-manifest/something-else/' %t/m/llama.kweights.json > %t/format.json
// RUN: not kestrel-pack %t/format.json -o %t/x.kweights --dummy 1 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: kestrel-pack: error: {{.+}}format.json: 'format' is 'something-else', not 'kestrel-weights-manifest' (not a Kestrel weights manifest)
// RUN: sed 's/"dtype": "f32", "source_dtype": "f32", "shape": \[64\]/"dtype": "f64", "source_dtype": "f32", "shape": [64]/' %t/m/llama.kweights.json > %t/dtype.json
// RUN: not kestrel-pack %t/dtype.json -o %t/x.kweights --dummy 1 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: kestrel-pack: error: {{.+}}dtype.json: tensor 'model.model.layers.0.input_layernorm.weight': unknown dtype 'f64'
//
// The ONNX model disagrees with the manifest: a missing initializer, another
// dtype, another shape; and a model file that is not there or not ONNX.
// RUN: sed 's/onnx::MatMul_619/onnx::NoSuchWeight/' %t/m/llama.kweights.json > %t/name.json
// RUN: not kestrel-pack %t/name.json -o %t/x.kweights --onnx %t/model.onnx 2>&1 | FileCheck %s --check-prefix=NAME
// NAME: kestrel-pack: error: {{.+}}model.onnx: no initializer 'onnx::NoSuchWeight' (the manifest was written for model 'llama' from {{.+}}llama-opset17/model.onnx)
// RUN: not test -e %t/x.kweights
// RUN: sed 's/"source_dtype": "f32", "shape": \[64, 64\]/"source_dtype": "f16", "shape": [64, 64]/' %t/m/llama.kweights.json > %t/source.json
// RUN: not kestrel-pack %t/source.json -o %t/x.kweights --onnx %t/model.onnx 2>&1 | FileCheck %s --check-prefix=SOURCE
// SOURCE: kestrel-pack: error: {{.+}}model.onnx: initializer 'onnx::MatMul_619' is f32, the manifest says f16
// RUN: sed 's/"shape": \[256, 64\]/"shape": [64, 256]/' %t/m/llama.kweights.json > %t/shape.json
// RUN: not kestrel-pack %t/shape.json -o %t/x.kweights --onnx %t/model.onnx 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: kestrel-pack: error: {{.+}}model.onnx: initializer 'model.model.embed_tokens.weight' has shape [256, 64], the manifest says [64, 256]
// RUN: sed 's/"dtype": "f32", "source_dtype": "f32", "shape": \[64, 32\]/"dtype": "i32", "source_dtype": "f32", "shape": [64, 32]/' %t/m/llama.kweights.json > %t/store.json
// RUN: not kestrel-pack %t/store.json -o %t/x.kweights --onnx %t/model.onnx 2>&1 | FileCheck %s --check-prefix=STORE
// STORE: kestrel-pack: error: {{.+}}model.onnx: initializer 'onnx::MatMul_626': cannot store f32 data as i32
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/x.kweights --onnx %t/none.onnx 2>&1 | FileCheck %s --check-prefix=NOMODEL
// NOMODEL: kestrel-pack: error: {{.+}}none.onnx: cannot open: No such file or directory
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/x.kweights --onnx %t/m/llama.kweights.json 2>&1 | FileCheck %s --check-prefix=NOTONNX
// NOTONNX: kestrel-pack: error: {{.+}}llama.kweights.json: not an ONNX model (the protobuf does not parse or has no graph)
// RUN: not kestrel-pack %t/m/llama.kweights.json -o %t/no/such/dir/x.kweights --dummy 1 2>&1 | FileCheck %s --check-prefix=CREATE
// CREATE: kestrel-pack: error: {{.+}}llama.kweights.json: cannot create '{{.+}}x.kweights': No such file or directory
//
// Stored types may differ from the source: f32 initializers as bf16.
// RUN: sed 's/"dtype": "f32", "source_dtype": "f32"/"dtype": "bf16", "source_dtype": "f32"/' %t/m/llama.kweights.json > %t/bf16.json
// RUN: kestrel-pack %t/bf16.json -o %t/bf16.kweights --onnx %t/model.onnx --verify | FileCheck %s --check-prefix=BF16
// BF16: kestrel-pack: wrote {{.+}}bf16.kweights: 17 tensors, 0.20 MiB ({{.+}}model.onnx) in {{.+}}; verified
