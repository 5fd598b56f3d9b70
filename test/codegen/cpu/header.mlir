// The public header NAME.h: every input and output with its dtype and dims
// (symbolic ones by name) and each symbolic dim's range, and macros for
// names, dtypes, ranks and ranges that stay distinct when tensor or dim
// names map to the same identifier ("a.b" and "a_b"; "x_rank" and x's
// _RANK; dims "s-q" and "s_q"). The header compiles as C and C++ with
// every warning an error.
// RUN: rm -rf %t && kestrelc %s --emit=source -o %t --name m \
// RUN:   --dim-range s-q=2:64
// RUN: FileCheck %s < %t/m.h
// RUN: cc -fsyntax-only -Wall -Wextra -Werror -x c -I %t %t/m.h
// RUN: c++ -fsyntax-only -Wall -Wextra -Werror -x c++ -I %t %t/m.h

module {
  func.func @main(
      %a: tensor<?xf32> {kestrel.name = "a.b", kestrel.dim_names = ["s-q"]},
      %b: tensor<?xf32> {kestrel.name = "a_b", kestrel.dim_names = ["s_q"]},
      %x: tensor<4xi64> {kestrel.name = "x"},
      %y: tensor<?x2xf32> {kestrel.name = "x_rank"})
      -> (tensor<?xf32> {kestrel.name = "out"}, tensor<4xi64> {kestrel.name = "x"}) {
    %e = kestrel.exp %a : (tensor<?xf32>) -> tensor<?xf32>
    %f = kestrel.exp %b : (tensor<?xf32>) -> tensor<?xf32>
    %g = kestrel.exp %y : (tensor<?x2xf32>) -> tensor<?x2xf32>
    return %e, %x : tensor<?xf32>, tensor<4xi64>
  }
}

// CHECK:      * Inputs:
// CHECK-NEXT: *   a.b: f32 [s-q]
// CHECK-NEXT: *   a_b: f32 [s_q]
// CHECK-NEXT: *   x: i64 [4]
// CHECK-NEXT: *   x_rank: f32 [?, 2]
// CHECK:      *   out: f32 [?]
// CHECK-NEXT: *   x: i64 [4]
// CHECK:      *   s-q: 2..64
// CHECK-NEXT: *   s_q: 1..2147483647 (the default; kestrelc --dim-range)
// CHECK-NEXT: *   x_rank[0]: 1..2147483647
// CHECK:      #define M_NUM_INPUTS 4
// CHECK-NEXT: #define M_NUM_OUTPUTS 2
// CHECK:      #define M_INPUT_A_B "a.b"
// CHECK:      #define M_INPUT_A_B_2 "a_b"
// CHECK:      #define M_INPUT_X "x"
// CHECK-NEXT: #define M_INPUT_X_DTYPE KESTREL_I64
// CHECK-NEXT: #define M_INPUT_X_RANK 1
// CHECK-NEXT: #define M_INPUT_X_RANK_2 "x_rank"
// CHECK-NEXT: #define M_INPUT_X_RANK_2_DTYPE KESTREL_F32
// CHECK-NEXT: #define M_INPUT_X_RANK_2_RANK 2
// CHECK-NEXT: #define M_OUTPUT_OUT "out"
// CHECK:      #define M_OUTPUT_X "x"
// CHECK:      #define M_DIM_S_Q_MIN 2
// CHECK-NEXT: #define M_DIM_S_Q_MAX 64
// CHECK-NEXT: #define M_DIM_S_Q_2_MIN 1
// CHECK:      #define M_DIM_X_RANK_0__MIN 1
