//===- VectorMath.h - Vectorizable exp, tanh and erf ------------*- C++ -*-===//
//
// libm's expf/tanhf/erff are scalar calls the compiler cannot vectorize
// (without -ffast-math), and they dominate transformer activations and
// softmax on the CPU. These are branch-free polynomial versions (selects,
// not branches) that GCC vectorizes inside plain loops:
//
//  - expApprox: Cody-Waite range reduction by ln 2 and a degree-6 minimax
//    polynomial (Cephes expf); within 2 ulp of expf, exact 0 below the
//    normal range, +inf above it, NaN for NaN.
//  - tanhApprox: the Cephes odd polynomial for |x| < 0.625, otherwise
//    1 - 2 / (e^{2|x|} + 1) with the sign; within 3e-7 absolute.
//  - erfApprox: the Taylor series for |x| < 0.5, otherwise 1 - erfc from
//    the Chebyshev fit of Numerical Recipes (fractional error < 1.2e-7);
//    within 3e-7 absolute.
//
// test/unit/cpu/KernelsTest.cpp compares them with libm over wide ranges.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_VECTORMATH_H
#define KESTREL_KERNELS_CPU_VECTORMATH_H

#include <cmath>
#include <cstdint>
#include <cstring>

// Inlined into the caller's loop, or the loop cannot vectorize.
#define KESTREL_VECTOR_INLINE inline __attribute__((always_inline))

namespace kestrel::cpu {

KESTREL_VECTOR_INLINE float expApprox(float x) {
  constexpr float kMax = 88.72283935546875f;  // ln(FLT_MAX)
  constexpr float kMin = -87.33654022216797f; // ln(FLT_MIN)
  bool nan = x != x;
  float xc = nan ? 0.0f : x;
  xc = xc < kMin ? kMin : (xc > kMax ? kMax : xc);
  // n = round(x / ln 2) with the 1.5 * 2^23 trick (exact for |n| < 2^22).
  constexpr float kRound = 12582912.0f;
  float n = (xc * 1.44269504088896341f + kRound) - kRound;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n for n in [-126, 128]: 2^128 is not a float, so n = 128 scales by
  // 2^127 and then by 2.
  int32_t n32 = static_cast<int32_t>(n);
  int32_t e = (n32 > 127 ? 127 : n32) + 127;
  uint32_t bits = static_cast<uint32_t>(e) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  float result = p * scale * (n32 > 127 ? 2.0f : 1.0f);
  result = x < kMin ? 0.0f : result;
  result = x > kMax ? INFINITY : result;
  return nan ? x : result;
}

KESTREL_VECTOR_INLINE float tanhApprox(float x) {
  float ax = std::fabs(x);
  float z = x * x;
  float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) *
            z +
        1.33314422036e-1f) *
           z -
       3.33332819422e-1f) *
          z * x +
      x;
  float e = expApprox(2.0f * (ax > 20.0f ? 20.0f : ax));
  float large = 1.0f - 2.0f / (e + 1.0f);
  large = x < 0.0f ? -large : large;
  return ax < 0.625f ? small : (x != x ? x : large);
}

KESTREL_VECTOR_INLINE float erfApprox(float x) {
  float ax = std::fabs(x);
  // Taylor: 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320)
  float z = x * x;
  float small =
      1.1283791670955126f * x *
      (1.0f +
       z * (-1.0f / 3.0f +
            z * (1.0f / 10.0f +
                 z * (-1.0f / 42.0f + z * (1.0f / 216.0f - z / 1320.0f)))));
  float t = 1.0f / (1.0f + 0.5f * ax);
  float poly = -1.26551223f +
               t * (1.00002368f +
                    t * (0.37409196f +
                         t * (0.09678418f +
                              t * (-0.18628806f +
                                   t * (0.27886807f +
                                        t * (-1.13520398f +
                                             t * (1.48851587f +
                                                  t * (-0.82215223f +
                                                       t * 0.17087277f))))))));
  float erfc = t * expApprox(-ax * ax + poly);
  float large = 1.0f - erfc;
  large = x < 0.0f ? -large : large;
  return ax < 0.5f ? small : (x != x ? x : large);
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_VECTORMATH_H
