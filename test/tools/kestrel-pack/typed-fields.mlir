// kestrel-pack reads initializers kept in the typed fields (float_data, and
// f16/bf16 bit patterns in int32_data) as kestrelc does.
// REQUIRES: onnx
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/pack_models.py typed %t/typed.onnx
// RUN: kestrelc %t/typed.onnx --emit=source -o %t/out --name typed
// RUN: FileCheck %s < %t/out/typed.kweights.json
// CHECK: {"name": "w_f32", "dtype": "f32", "source_dtype": "f32", "shape": [8, 4]},
// CHECK-NEXT: {"name": "w_f16", "dtype": "f16", "source_dtype": "f16", "shape": [8, 4]},
// CHECK-NEXT: {"name": "w_bf16", "dtype": "bf16", "source_dtype": "bf16", "shape": [8, 4]}
// RUN: kestrel-pack %t/out/typed.kweights.json --onnx %t/typed.onnx -o %t/typed.kweights --verify
// RUN: cmp %t/typed.kweights %t/out/typed.kweights
