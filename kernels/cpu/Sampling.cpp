//===- Sampling.cpp - Pooling and resize for the CPU backend --------------===//
//
// kestrel.pool: every output is poolWindow (kernels/common/Sampling.h) over
// the input converted to f32, threaded over planes and output rows.
// kestrel.resize: the taps of every output index are computed once per dim
// (resizeTaps), then each output row combines the taps of its outer dims
// (a list of input rows and weights) with those of the last dim.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Sampling.h"
#include "kernels/common/Strided.h"
#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <vector>

namespace kestrel::cpu {

using namespace detail;

bool pool(Context &ctx, const Tensor &x, PoolKind kind, const int64_t *kernel,
          const int64_t *strides, const int64_t *pads, const int64_t *dilations,
          bool ceilMode, bool countIncludePad, Tensor &out) {
  if (!checkPool(ctx, x, kind, kernel, strides, pads, dilations, ceilMode, out))
    return false;
  if (out.numel() == 0)
    return true;
  PoolGeometry g = poolGeometry(x, out, kind, kernel, strides, pads, dilations,
                                countIncludePad);
  std::vector<float> xF32;
  AlignedFloats outF32;
  const float *in = asF32(x, xF32);
  float *y = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    y = outF32.data();
  }
  const int64_t planeIn = g.in[0] * g.in[1] * g.in[2];
  const int64_t rows = g.planes * g.out[0] * g.out[1];
  const int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  parallelRange(
      ctx, rows,
      std::max<int64_t>(1, kGrain / std::max<int64_t>(1, g.out[2] * taps)),
      [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          int64_t o[3] = {r / g.out[1] % g.out[0], r % g.out[1], 0};
          const float *plane = in + r / (g.out[0] * g.out[1]) * planeIn;
          auto load = [plane](int64_t i) { return plane[i]; };
          float *row = y + r * g.out[2];
          for (o[2] = 0; o[2] < g.out[2]; ++o[2])
            row[o[2]] = poolWindow(g, load, o);
        }
      });
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, y, out.data, out.numel());
  return true;
}

namespace {

/// One dim's taps for every output index: count[o] taps at index[4 * o +
/// k] with weight[4 * o + k] (zero weights dropped; count 0: extrapolate).
struct AxisTaps {
  std::vector<int> count;
  std::vector<int64_t> index;
  std::vector<float> weight;
};

AxisTaps axisTaps(const ResizeParams &p, int64_t in, int64_t out, float scale,
                  float roiStart, float roiEnd) {
  AxisTaps t;
  t.count.resize(size_t(out));
  t.index.resize(size_t(4 * out));
  t.weight.resize(size_t(4 * out));
  for (int64_t o = 0; o < out; ++o) {
    int64_t index[4];
    float weight[4];
    int n = resizeTaps(p, in, out, scale, roiStart, roiEnd, o, index, weight);
    int kept = 0;
    for (int k = 0; k < n; ++k)
      if (weight[k] != 0.0f) {
        t.index[size_t(4 * o + kept)] = index[k];
        t.weight[size_t(4 * o + kept)] = weight[k];
        ++kept;
      }
    // Every weight zero (a degenerate cubic kernel): the sum is zero.
    if (n > 0 && kept == 0) {
      t.index[size_t(4 * o)] = index[0];
      t.weight[size_t(4 * o)] = 0.0f;
      kept = 1;
    }
    t.count[size_t(o)] = n > 0 ? kept : 0;
  }
  return t;
}

} // namespace

bool resize(Context &ctx, const Tensor &x, const ResizeParams &p,
            const float *scales, const float *roi, Tensor &out) {
  if (!checkResize(ctx, x, p, scales, out))
    return false;
  if (out.numel() == 0)
    return true;
  const int rank = x.shape.rank;
  std::vector<AxisTaps> axes;
  for (int d = 0; d < rank; ++d)
    axes.push_back(axisTaps(p, x.shape[d], out.shape[d], scales[d],
                            roi ? roi[d] : 0.0f, roi ? roi[rank + d] : 1.0f));
  std::vector<float> xF32;
  AlignedFloats outF32;
  const float *in = asF32(x, xF32);
  float *y = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    y = outF32.data();
  }
  int64_t inStrides[kMaxRank];
  contiguousStrides(x.shape, inStrides);
  const int last = rank - 1;
  const int64_t width = rank > 0 ? out.shape[last] : 1;
  const int64_t rows = out.numel() / width;
  const AxisTaps *lastTaps = rank > 0 ? &axes[size_t(last)] : nullptr;
  parallelRange(ctx, rows, std::max<int64_t>(1, kGrain / width),
                [&](int64_t r0, int64_t r1) {
                  // The outer dims' tap combinations of a row: input offsets
                  // and weights.
                  std::vector<int64_t> offsets;
                  std::vector<float> weights;
                  for (int64_t r = r0; r < r1; ++r) {
                    offsets.assign(1, 0);
                    weights.assign(1, 1.0f);
                    bool extrapolate = false;
                    int64_t rest = r;
                    for (int d = last - 1; d >= 0 && !extrapolate; --d) {
                      int64_t o = rest % out.shape[d];
                      rest /= out.shape[d];
                      const AxisTaps &a = axes[size_t(d)];
                      int n = a.count[size_t(o)];
                      if (n == 0) {
                        extrapolate = true;
                        break;
                      }
                      size_t before = offsets.size();
                      for (int k = 1; k < n; ++k)
                        for (size_t j = 0; j < before; ++j) {
                          offsets.push_back(offsets[j]);
                          weights.push_back(weights[j]);
                        }
                      for (int k = 0; k < n; ++k)
                        for (size_t j = 0; j < before; ++j) {
                          size_t at = size_t(k) * before + j;
                          offsets[at] +=
                              a.index[size_t(4 * o + k)] * inStrides[d];
                          weights[at] *= a.weight[size_t(4 * o + k)];
                        }
                    }
                    float *row = y + r * width;
                    if (extrapolate) {
                      std::fill(row, row + width, p.extrapolation);
                      continue;
                    }
                    if (rank == 0) {
                      row[0] = in[0];
                      continue;
                    }
                    for (int64_t o = 0; o < width; ++o) {
                      int n = lastTaps->count[size_t(o)];
                      if (n == 0) {
                        row[o] = p.extrapolation;
                        continue;
                      }
                      const int64_t *idx = &lastTaps->index[size_t(4 * o)];
                      const float *w = &lastTaps->weight[size_t(4 * o)];
                      float acc = 0.0f;
                      for (size_t j = 0; j < offsets.size(); ++j) {
                        const float *src = in + offsets[j];
                        float s = 0.0f;
                        for (int k = 0; k < n; ++k)
                          s += w[k] * src[idx[k]];
                        acc += weights[j] * s;
                      }
                      row[o] = acc;
                    }
                  }
                });
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, y, out.data, out.numel());
  return true;
}

} // namespace kestrel::cpu
