// RUN: kestrel-opt %s -split-input-file -verify-diagnostics

// #kestrel.storage (kestrel-assign-storage's encoding) stores f32 data in
// bf16 or f16; nothing else.

// expected-error @+1 {{#kestrel.storage applies to f32 tensors, not 'i64'}}
func.func private @integer(tensor<4xi64, #kestrel.storage<bf16>>)

// -----

// expected-error @+1 {{#kestrel.storage stores f32 data in bf16 or f16, not 'i8'}}
func.func private @narrow(tensor<4xf32, #kestrel.storage<i8>>)

// -----

// expected-error @+1 {{#kestrel.storage stores f32 data in bf16 or f16, not 'f32'}}
func.func private @same(tensor<4xf32, #kestrel.storage<f32>>)
