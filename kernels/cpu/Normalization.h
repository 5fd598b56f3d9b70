//===- Normalization.h - Softmax, norms and rotary kernels ------*- C++ -*-===//
//
// Row-wise kernels over the trailing `cols` elements of `rows` rows, the
// layout kestrel.softmax (axis = last), kestrel.rms_norm and
// kestrel.layer_norm (normalized dims = trailing) and kestrel.rope
// (head dim = last) have after codegen flattens the leading dims. Statistics
// accumulate in f32; each row is one task.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_NORMALIZATION_H
#define KESTREL_KERNELS_CPU_NORMALIZATION_H

#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/VectorMath.h"

#include <cmath>
#include <limits>

namespace kestrel::cpu {

/// y = softmax(x) (or log_softmax) along each row.
inline void softmaxRowsF32(int64_t rows, int64_t cols, const float *x, float *y,
                           bool logSoftmax = false,
                           const ParallelFor &parallel = runSerially) {
  parallel(rows, [&](int64_t r) {
    const float *in = x + r * cols;
    float *out = y + r * cols;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < cols; ++j)
      mx = std::max(mx, in[j]);
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) {
      float e = expApprox(in[j] - mx);
      sum += e;
      if (!logSoftmax)
        out[j] = e;
    }
    if (logSoftmax) {
      float shift = mx + std::log(sum);
      for (int64_t j = 0; j < cols; ++j)
        out[j] = in[j] - shift;
    } else {
      float inv = 1.0f / sum;
      for (int64_t j = 0; j < cols; ++j)
        out[j] *= inv;
    }
  });
}

/// The sum of term(j) for j in [0, n), accumulated in kLanes independent
/// partial sums that are then added pairwise: a fixed association, so GCC
/// vectorizes it without -ffast-math (a single running sum cannot be
/// reordered), and the result does not depend on the vector width.
template <typename Term>
KESTREL_VECTOR_INLINE float laneSum(int64_t n, Term term) {
  constexpr int kLanes = 16;
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k)
      acc[k] += term(j + k);
  for (int k = 0; j < n; ++j, ++k)
    acc[k] += term(j);
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int k = 0; k < width; ++k)
      acc[k] += acc[k + width];
  return acc[0];
}

/// y = x / sqrt(mean(x²) + eps) * weight, per row of `cols`.
inline void rmsNormRowsF32(int64_t rows, int64_t cols, const float *x,
                           const float *weight, float epsilon, float *y,
                           const ParallelFor &parallel = runSerially) {
  parallel(rows, [&](int64_t r) {
    const float *in = x + r * cols;
    float *out = y + r * cols;
    float squares = laneSum(cols, [&](int64_t j) { return in[j] * in[j]; });
    float inv = 1.0f / std::sqrt(squares / cols + epsilon);
    for (int64_t j = 0; j < cols; ++j)
      out[j] = in[j] * inv * weight[j];
  });
}

/// y = (x - mean) / sqrt(var + eps) * scale + bias (bias optional), per row;
/// the variance is the biased one, from a second pass over the centered row.
inline void layerNormRowsF32(int64_t rows, int64_t cols, const float *x,
                             const float *scale, const float *bias,
                             float epsilon, float *y,
                             const ParallelFor &parallel = runSerially) {
  parallel(rows, [&](int64_t r) {
    const float *in = x + r * cols;
    float *out = y + r * cols;
    float mean = laneSum(cols, [&](int64_t j) { return in[j]; }) / cols;
    float squares = laneSum(
        cols, [&](int64_t j) { return (in[j] - mean) * (in[j] - mean); });
    float inv = 1.0f / std::sqrt(squares / cols + epsilon);
    for (int64_t j = 0; j < cols; ++j)
      out[j] = (in[j] - mean) * inv * scale[j] + (bias ? bias[j] : 0.0f);
  });
}

/// Rotary embedding of each row of `headDim` elements: row r uses the
/// `rotaryDim / 2` cos/sin values at cos + tableRow(r) * rotaryDim / 2.
/// Pairs are (i, i + rotaryDim/2) (rotate-half) or (2i, 2i+1)
/// (interleaved); dims past rotaryDim pass through.
template <typename TableRow>
void ropeRowsF32(int64_t rows, int64_t headDim, int64_t rotaryDim,
                 bool interleaved, const float *x, const float *cos,
                 const float *sin, TableRow tableRow, float *y,
                 const ParallelFor &parallel = runSerially) {
  int64_t half = rotaryDim / 2;
  parallel(rows, [&](int64_t r) {
    const float *in = x + r * headDim;
    float *out = y + r * headDim;
    const float *c = cos + tableRow(r) * half;
    const float *s = sin + tableRow(r) * half;
    for (int64_t i = 0; i < half; ++i) {
      int64_t a = interleaved ? 2 * i : i;
      int64_t b = interleaved ? 2 * i + 1 : i + half;
      float xa = in[a], xb = in[b];
      out[a] = xa * c[i] - xb * s[i];
      out[b] = xb * c[i] + xa * s[i];
    }
    for (int64_t i = rotaryDim; i < headDim; ++i)
      out[i] = in[i];
  });
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_NORMALIZATION_H
