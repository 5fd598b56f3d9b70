//===- Sampling.cpp - Pooling and resize for the CPU backend --------------===//
//
// kestrel.pool: poolWindow's values (kernels/common/Sampling.h) over the
// input converted to f32, each output row built tap by tap over the runs of
// outputs a tap reaches (no bounds checks inside), threaded over rows.
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
#include <cmath>
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
  const bool isMax = kind == PoolKind::Max;
  // Along the last dim, tap t2 reads input o2 * stride + shift(t2) for the
  // outputs o2 in [first(t2), last(t2)]: each output row is built tap by
  // tap over contiguous runs of outputs, in poolWindow's order (t0, t1, t2
  // for each output), so the values are poolWindow's.
  const int64_t s2 = g.stride[2], n2 = g.out[2];
  std::vector<int64_t> shift(size_t(g.kernel[2])), first(shift.size()),
      last(shift.size());
  for (int64_t t2 = 0; t2 < g.kernel[2]; ++t2) {
    int64_t off = t2 * g.dilation[2] - g.padBegin[2];
    shift[size_t(t2)] = off;
    first[size_t(t2)] = off >= 0 ? 0 : (-off + s2 - 1) / s2;
    int64_t room = g.in[2] - 1 - off;
    last[size_t(t2)] = room < 0 ? -1 : std::min(n2 - 1, room / s2);
  }
  // The taps of window o along dim d inside the input ([lo, hi)) and, for
  // count_include_pad, inside the padded input.
  auto span = [&](int d, int64_t o, int64_t &lo, int64_t &hi, int64_t &padded) {
    int64_t start = o * g.stride[d] - g.padBegin[d];
    lo = start >= 0 ? 0 : (-start + g.dilation[d] - 1) / g.dilation[d];
    int64_t limit = g.in[d] - start;
    hi =
        limit <= 0 ? 0 : std::min(g.kernel[d], (limit - 1) / g.dilation[d] + 1);
    int64_t padLimit = g.in[d] + g.padEnd[d] - start;
    padded = padLimit <= 0
                 ? 0
                 : std::min(g.kernel[d], (padLimit - 1) / g.dilation[d] + 1);
  };
  parallelRange(
      ctx, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n2 * taps)),
      [&](int64_t r0, int64_t r1) {
        std::vector<float> count(static_cast<size_t>(n2));
        for (int64_t r = r0; r < r1; ++r) {
          int64_t o0 = r / g.out[1] % g.out[0], o1 = r % g.out[1];
          const float *plane = in + r / (g.out[0] * g.out[1]) * planeIn;
          float *row = y + r * n2;
          std::fill(row, row + n2, isMax ? -INFINITY : 0.0f);
          std::fill(count.begin(), count.end(), 0.0f);
          int64_t lo0, hi0, pad0, lo1, hi1, pad1;
          span(0, o0, lo0, hi0, pad0);
          span(1, o1, lo1, hi1, pad1);
          for (int64_t t0 = lo0; t0 < hi0; ++t0) {
            int64_t i0 = o0 * g.stride[0] - g.padBegin[0] + t0 * g.dilation[0];
            for (int64_t t1 = lo1; t1 < hi1; ++t1) {
              int64_t i1 =
                  o1 * g.stride[1] - g.padBegin[1] + t1 * g.dilation[1];
              const float *src = plane + (i0 * g.in[1] + i1) * g.in[2];
              for (int64_t t2 = 0; t2 < g.kernel[2]; ++t2) {
                const float *base = src + shift[size_t(t2)];
                int64_t a = first[size_t(t2)], b = last[size_t(t2)];
                if (isMax) {
                  for (int64_t o2 = a; o2 <= b; ++o2) {
                    float v = base[o2 * s2];
                    row[o2] = v > row[o2] ? v : row[o2];
                  }
                } else {
                  for (int64_t o2 = a; o2 <= b; ++o2) {
                    row[o2] += base[o2 * s2];
                    count[size_t(o2)] += 1.0f;
                  }
                }
              }
            }
          }
          if (isMax)
            continue;
          for (int64_t o2 = 0; o2 < n2; ++o2) {
            float divisor = count[size_t(o2)];
            if (countIncludePad) {
              int64_t lo2, hi2, pad2;
              span(2, o2, lo2, hi2, pad2);
              divisor = float(pad0 * pad1 * pad2);
            }
            row[o2] = divisor > 0 ? row[o2] / divisor : NAN;
          }
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
