//===- Sampling.h - Pooling and resize, shared by both libraries -*- C++
//-*-===//
//
// kestrel.pool's and kestrel.resize's semantics written once: the window
// of a pooled output and the taps (input indices and weights) of a resized
// output coordinate, as host/device functions the CPU and CUDA kernels both
// call, and the shape functions and argument checks with their messages.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_SAMPLING_H
#define KESTREL_KERNELS_COMMON_SAMPLING_H

#include "kernels/common/Ops.h"
#include "kernels/common/Tensor.h"

#include <cmath>
#include <cstdint>

namespace kestrel {

struct KernelStatus;

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

enum class PoolKind : int32_t { Max = 0, Average = 1 };

/// A pool's geometry with the spatial dims right-aligned into three (as
/// ConvGeometry: missing dims have size 1, kernel 1, stride 1).
struct PoolGeometry {
  int64_t planes = 0; ///< N * C
  int64_t in[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1};
  int64_t padBegin[3] = {0, 0, 0}, padEnd[3] = {0, 0, 0};
  PoolKind kind = PoolKind::Max;
  bool countIncludePad = false;
};

/// Window `o` (one index per right-aligned dim) of plane `plane` (its
/// entries read through `load(flatIndex)` as f32): the largest tap inside
/// the input, or the mean of those taps (over the taps inside the padded
/// input with countIncludePad). Max skips NaN entries (as ONNX Runtime and
/// ONNX's reference do); a window with no tap inside the input gives -inf
/// (max) or NaN (average).
template <typename Load>
KESTREL_HOST_DEVICE inline float poolWindow(const PoolGeometry &g, Load &&load,
                                            const int64_t o[3]) {
  int64_t lo[3], hi[3], count = 1;
  for (int d = 0; d < 3; ++d) {
    int64_t start = o[d] * g.stride[d] - g.padBegin[d];
    // Taps t with 0 <= start + t * dilation < in, and (for the divisor)
    // those with -padBegin <= start + t * dilation < in + padEnd.
    int64_t first =
        start >= 0 ? 0 : (-start + g.dilation[d] - 1) / g.dilation[d];
    int64_t limit = g.in[d] - start; // taps below need position < in
    int64_t last = limit <= 0 ? 0 : (limit - 1) / g.dilation[d] + 1;
    lo[d] = first;
    hi[d] = last < g.kernel[d] ? last : g.kernel[d];
    if (g.countIncludePad) {
      int64_t padLimit = g.in[d] + g.padEnd[d] - start;
      int64_t padded = padLimit <= 0 ? 0 : (padLimit - 1) / g.dilation[d] + 1;
      count *= padded < g.kernel[d] ? padded : g.kernel[d];
    } else {
      count *= hi[d] > lo[d] ? hi[d] - lo[d] : 0;
    }
  }
  bool isMax = g.kind == PoolKind::Max;
  float acc = isMax ? -INFINITY : 0.0f;
  for (int64_t t0 = lo[0]; t0 < hi[0]; ++t0) {
    int64_t i0 = o[0] * g.stride[0] - g.padBegin[0] + t0 * g.dilation[0];
    for (int64_t t1 = lo[1]; t1 < hi[1]; ++t1) {
      int64_t i1 = o[1] * g.stride[1] - g.padBegin[1] + t1 * g.dilation[1];
      int64_t row = (i0 * g.in[1] + i1) * g.in[2];
      for (int64_t t2 = lo[2]; t2 < hi[2]; ++t2) {
        int64_t i2 = o[2] * g.stride[2] - g.padBegin[2] + t2 * g.dilation[2];
        float v = load(row + i2);
        if (isMax)
          acc = v > acc ? v : acc; // NaN entries are skipped, as ORT does
        else
          acc += v;
      }
    }
  }
  if (isMax)
    return acc;
  return count > 0 ? acc / float(count) : NAN;
}

/// pool's output shape: x [N, C, D...] (1 to 3 spatial dims); `kernel`,
/// `strides`, `dilations` (positive) one per spatial dim, `pads`
/// (non-negative) the begin pads then the end pads.
bool poolShape(KernelStatus &status, const Shape &x, const int64_t *kernel,
               const int64_t *strides, const int64_t *pads,
               const int64_t *dilations, bool ceilMode, Shape &out);
/// pool's operands: a float x, a known kind, out of poolShape's shape and
/// x's dtype.
bool checkPool(KernelStatus &status, const Tensor &x, PoolKind kind,
               const int64_t *kernel, const int64_t *strides,
               const int64_t *pads, const int64_t *dilations, bool ceilMode,
               const Tensor &out);
/// The geometry of checked operands.
PoolGeometry poolGeometry(const Tensor &x, const Tensor &out, PoolKind kind,
                          const int64_t *kernel, const int64_t *strides,
                          const int64_t *pads, const int64_t *dilations,
                          bool countIncludePad);

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

enum class ResizeMode : int32_t { Nearest = 0, Linear = 1, Cubic = 2 };
enum class ResizeCoordinates : int32_t {
  HalfPixel = 0,
  HalfPixelSymmetric = 1,
  PytorchHalfPixel = 2,
  AlignCorners = 3,
  Asymmetric = 4,
  TfCropAndResize = 5,
};
enum class NearestMode : int32_t {
  RoundPreferFloor = 0,
  RoundPreferCeil = 1,
  Floor = 2,
  Ceil = 3,
};

/// How every dim is sampled (per-dim scales and roi are separate arrays).
struct ResizeParams {
  ResizeMode mode = ResizeMode::Nearest;
  ResizeCoordinates coordinates = ResizeCoordinates::HalfPixel;
  NearestMode nearest = NearestMode::RoundPreferFloor;
  float cubicA = -0.75f;
  bool excludeOutside = false;
  float extrapolation = 0.0f;
};

/// The taps of output index `o` along a dim of `in` input and `out` output
/// entries: up to four input indices (clamped to the edge) and weights.
/// `scale` is the dim's scale (0: out / in); roiStart/roiEnd are read by
/// tf_crop_and_resize. Returns the tap count, 0 when the coordinate is
/// outside the input under tf_crop_and_resize (the output is the
/// extrapolation value), -1 for an unknown mode.
KESTREL_HOST_DEVICE inline int resizeTaps(const ResizeParams &p, int64_t in,
                                          int64_t out, float scale,
                                          float roiStart, float roiEnd,
                                          int64_t o, int64_t index[4],
                                          float weight[4]) {
  double s = scale > 0.0f ? double(scale) : double(out) / double(in);
  // align_corners, pytorch_half_pixel and tf_crop_and_resize divide by the
  // output's (integer) length, as ONNX Runtime and PyTorch do; ONNX's
  // reference takes scale * in, which differs only when that is fractional.
  double outLength = double(out);
  double x = double(o);
  // An enumerator (a value cast from an int may not be).
  if (int(p.coordinates) < 0 || int(p.coordinates) > 5)
    return -1;
  double src = 0;
  switch (p.coordinates) {
  case ResizeCoordinates::HalfPixel:
    src = (x + 0.5) / s - 0.5;
    break;
  case ResizeCoordinates::HalfPixelSymmetric: {
    double adjustment = double(out) / (s * double(in));
    double center = double(in) / 2;
    src = center * (1 - adjustment) + (x + 0.5) / s - 0.5;
    break;
  }
  case ResizeCoordinates::PytorchHalfPixel:
    src = outLength == 1 ? -0.5 : (x + 0.5) / s - 0.5;
    break;
  case ResizeCoordinates::AlignCorners:
    src = outLength == 1 ? 0.0 : x * double(in - 1) / (outLength - 1);
    break;
  case ResizeCoordinates::Asymmetric:
    src = x / s;
    break;
  case ResizeCoordinates::TfCropAndResize: {
    double span = double(roiEnd) - double(roiStart);
    src = outLength == 1 ? span * double(in - 1) / 2
                         : x * span * double(in - 1) / (outLength - 1);
    src += double(roiStart) * double(in - 1);
    if (src < 0 || src > double(in - 1))
      return 0;
    break;
  }
  }
  auto clampIndex = [in](int64_t i) -> int64_t {
    return i < 0 ? 0 : (i >= in ? in - 1 : i);
  };
  double base = floor(src);
  double t = src - base; // in [0, 1)
  int64_t i0 = int64_t(base);
  switch (p.mode) {
  case ResizeMode::Nearest: {
    int64_t i = i0;
    if (t != 0) {
      bool up = false;
      switch (p.nearest) {
      case NearestMode::RoundPreferFloor:
        up = t > 0.5;
        break;
      case NearestMode::RoundPreferCeil:
        up = t >= 0.5;
        break;
      case NearestMode::Floor:
        up = false;
        break;
      case NearestMode::Ceil:
        up = true;
        break;
      }
      i += up ? 1 : 0;
    }
    index[0] = clampIndex(i);
    weight[0] = 1.0f;
    return 1;
  }
  case ResizeMode::Linear:
    index[0] = clampIndex(i0);
    index[1] = clampIndex(i0 + 1);
    weight[0] = float(1 - t);
    weight[1] = float(t);
    return 2;
  case ResizeMode::Cubic: {
    double a = p.cubicA, c[4];
    double r = t + 1, u = 1 - t, v = 2 - t;
    c[0] = ((a * r - 5 * a) * r + 8 * a) * r - 4 * a;
    c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    c[2] = ((a + 2) * u - (a + 3)) * u * u + 1;
    c[3] = ((a * v - 5 * a) * v + 8 * a) * v - 4 * a;
    double sum = 0;
    for (int k = 0; k < 4; ++k) {
      int64_t i = i0 - 1 + k;
      if (p.excludeOutside && (i < 0 || i >= in))
        c[k] = 0;
      sum += c[k];
    }
    for (int k = 0; k < 4; ++k) {
      index[k] = clampIndex(i0 - 1 + k);
      weight[k] = float(p.excludeOutside && sum != 0 ? c[k] / sum : c[k]);
    }
    return 4;
  }
  }
  return -1; // an unknown mode
}

/// resize's output shape: dim d is sizes[d], or floor(x[d] * scales[d])
/// where sizes[d] < 0 (as ONNX Runtime, the roi does not scale it).
bool resizeShape(KernelStatus &status, const Shape &x, const int64_t *sizes,
                 const float *scales, Shape &out);
/// resize's operands: a float x with no empty dim unless out is empty,
/// known modes, out of x's rank and dtype whose dims are positive where
/// x's are (each may be any size: the shape function decides them).
bool checkResize(KernelStatus &status, const Tensor &x, const ResizeParams &p,
                 const float *scales, const Tensor &out);

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_SAMPLING_H
