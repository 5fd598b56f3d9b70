// A non-splat literal above 65536 elements is rejected (model data belongs in
// kestrel.weight); one at the limit and a large splat are fine. The inputs are
// generated: a 65537-element literal is too large to keep as a fixture.
// RUN: %python %s.py over > %t.over.mlir
// RUN: kestrel-opt %t.over.mlir -verify-diagnostics
// RUN: %python %s.py at > %t.at.mlir
// RUN: kestrel-opt %t.at.mlir | FileCheck %s
// CHECK: kestrel.constant dense<"0x{{[0-9A-F]+}}"> : tensor<65536xf16>
// CHECK: kestrel.constant dense<1.000000e+00> : tensor<1048576xf16>
