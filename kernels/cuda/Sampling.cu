//===- Sampling.cu - Pooling and resize
//------------------------------------===//
//
// The CUDA versions of kernels/cpu/Sampling.cpp's pool and resize, one
// thread per output element over the shared definitions in
// kernels/common/Sampling.h (poolWindow, resizeTaps): the same values as
// the CPU kernels (resize's sums may differ in order, to rounding).
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Sampling.h"
#include "kernels/cuda/Common.cuh"

namespace kestrel::cuda {

namespace {

template <typename T>
__global__ void poolKernel(const T *__restrict__ x, T *__restrict__ y,
                           PoolGeometry g) {
  int64_t positions = g.out[0] * g.out[1] * g.out[2];
  int64_t planeIn = g.in[0] * g.in[1] * g.in[2];
  int64_t total = g.planes * positions;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    int64_t pos = e % positions;
    int64_t o[3] = {pos / (g.out[1] * g.out[2]), pos / g.out[2] % g.out[1],
                    pos % g.out[2]};
    const T *plane = x + e / positions * planeIn;
    auto load = [plane](int64_t i) { return toF32(plane[i]); };
    y[e] = fromF32<T>(poolWindow(g, load, o));
  }
}

/// The per-dim data a resize thread reads.
struct ResizeGeometry {
  int rank = 0;
  int64_t in[kMaxRank] = {}, out[kMaxRank] = {}, inStride[kMaxRank] = {};
  float scale[kMaxRank] = {}, roiStart[kMaxRank] = {}, roiEnd[kMaxRank] = {};
  ResizeParams params;
};

template <typename T>
__global__ void resizeKernel(const T *__restrict__ x, T *__restrict__ y,
                             ResizeGeometry g, int64_t total) {
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    int64_t index[kMaxRank][4];
    float weight[kMaxRank][4];
    int count[kMaxRank];
    int64_t rest = e, combos = 1;
    bool extrapolate = false;
    for (int d = g.rank - 1; d >= 0; --d) {
      int64_t o = rest % g.out[d];
      rest /= g.out[d];
      count[d] = resizeTaps(g.params, g.in[d], g.out[d], g.scale[d],
                            g.roiStart[d], g.roiEnd[d], o, index[d], weight[d]);
      extrapolate |= count[d] <= 0;
      combos *= count[d] > 0 ? count[d] : 1;
    }
    if (extrapolate) {
      y[e] = fromF32<T>(g.params.extrapolation);
      continue;
    }
    float acc = 0.0f;
    for (int64_t c = 0; c < combos; ++c) {
      int64_t offset = 0, digits = c;
      float w = 1.0f;
      for (int d = g.rank - 1; d >= 0; --d) {
        int k = int(digits % count[d]);
        digits /= count[d];
        offset += index[d][k] * g.inStride[d];
        w *= weight[d][k];
      }
      if (w != 0.0f)
        acc += w * toF32(x[offset]);
    }
    y[e] = fromF32<T>(acc);
  }
}

} // namespace

bool pool(Context &ctx, const Tensor &x, PoolKind kind, const int64_t *kernel,
          const int64_t *strides, const int64_t *pads, const int64_t *dilations,
          bool ceilMode, bool countIncludePad, Tensor &out) {
  if (!checkPool(ctx, x, kind, kernel, strides, pads, dilations, ceilMode, out))
    return false;
  if (out.numel() == 0)
    return true;
  PoolGeometry g = poolGeometry(x, out, kind, kernel, strides, pads, dilations,
                                countIncludePad);
  cudaStream_t stream = streamOf(ctx);
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(out.numel(), 256), 256, 0, stream, poolKernel<T>)
    (x.as<const T>(), out.as<T>(), g);
  });
  return checkLaunch(ctx, "pool");
}

bool resize(Context &ctx, const Tensor &x, const ResizeParams &p,
            const float *scales, const float *roi, Tensor &out) {
  if (!checkResize(ctx, x, p, scales, out))
    return false;
  if (out.numel() == 0)
    return true;
  ResizeGeometry g;
  g.rank = x.shape.rank;
  g.params = p;
  int64_t stride = 1;
  for (int d = g.rank - 1; d >= 0; --d) {
    g.in[d] = x.shape[d];
    g.out[d] = out.shape[d];
    g.inStride[d] = stride;
    stride *= x.shape[d];
    g.scale[d] = scales[d];
    g.roiStart[d] = roi ? roi[d] : 0.0f;
    g.roiEnd[d] = roi ? roi[g.rank + d] : 1.0f;
  }
  cudaStream_t stream = streamOf(ctx);
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(out.numel(), 256), 256, 0, stream, resizeKernel<T>)
    (x.as<const T>(), out.as<T>(), g, out.numel());
  });
  return checkLaunch(ctx, "resize");
}

} // namespace kestrel::cuda
