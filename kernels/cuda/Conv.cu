//===- Conv.cu - Convolution ----------------------------------------------===//
//
// The CUDA versions of kernels/cpu/Conv.cpp's conv and conv_transpose (ONNX
// Conv and ConvTranspose, 1 to 3 spatial dims): one thread per output
// element sums its group's channels and taps in f32 (zeros in the padding;
// for conv_transpose, the input positions and taps that land on it), then
// adds the bias. Same semantics as the CPU kernels; the summation order
// differs (channel by channel, tap by tap, against the CPU's blocked GEMM),
// so results agree to rounding.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Checks.h"
#include "kernels/common/Conv.h"
#include "kernels/cuda/Common.cuh"

namespace kestrel::cuda {

namespace {

template <typename T>
__global__ void convKernel(const T *__restrict__ x, const T *__restrict__ w,
                           const T *__restrict__ bias, T *__restrict__ y,
                           ConvGeometry p) {
  int64_t positions = p.out[0] * p.out[1] * p.out[2];
  int64_t planeSize = p.in[0] * p.in[1] * p.in[2];
  int64_t taps = p.kernel[0] * p.kernel[1] * p.kernel[2];
  int64_t groupChannels = p.channels / p.group;
  int64_t groupOutputs = p.outputs / p.group;
  int64_t total = p.batch * p.outputs * positions;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    int64_t pos = e % positions, m = e / positions % p.outputs,
            n = e / positions / p.outputs;
    int64_t o[3] = {pos / (p.out[1] * p.out[2]), pos / p.out[2] % p.out[1],
                    pos % p.out[2]};
    int64_t c0 = m / groupOutputs * groupChannels;
    float acc = 0.0f;
    for (int64_t c = 0; c < groupChannels; ++c) {
      const T *plane = x + (n * p.channels + c0 + c) * planeSize;
      const T *taps0 = w + (m * groupChannels + c) * taps;
      for (int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
        int64_t i0 = o[0] * p.stride[0] - p.pad[0] + k0 * p.dilation[0];
        if (i0 < 0 || i0 >= p.in[0])
          continue;
        for (int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
          int64_t i1 = o[1] * p.stride[1] - p.pad[1] + k1 * p.dilation[1];
          if (i1 < 0 || i1 >= p.in[1])
            continue;
          for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
            int64_t i2 = o[2] * p.stride[2] - p.pad[2] + k2 * p.dilation[2];
            if (i2 < 0 || i2 >= p.in[2])
              continue;
            acc += toF32(plane[(i0 * p.in[1] + i1) * p.in[2] + i2]) *
                   toF32(taps0[(k0 * p.kernel[1] + k1) * p.kernel[2] + k2]);
          }
        }
      }
    }
    if (bias)
      acc += toF32(bias[m]);
    y[e] = fromF32<T>(acc);
  }
}

/// One thread per output element: every input position and tap that
/// lands on it (o = i * stride - pad + k * dilation), over the group's
/// input channels.
template <typename T>
__global__ void convTransposeKernel(const T *__restrict__ x,
                                    const T *__restrict__ w,
                                    const T *__restrict__ bias,
                                    T *__restrict__ y, ConvGeometry p) {
  int64_t positions = p.out[0] * p.out[1] * p.out[2];
  int64_t planeSize = p.in[0] * p.in[1] * p.in[2];
  int64_t taps = p.kernel[0] * p.kernel[1] * p.kernel[2];
  int64_t groupChannels = p.channels / p.group;
  int64_t groupOutputs = p.outputs / p.group;
  int64_t total = p.batch * p.outputs * positions;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    int64_t pos = e % positions, m = e / positions % p.outputs,
            n = e / positions / p.outputs;
    int64_t o[3] = {pos / (p.out[1] * p.out[2]), pos / p.out[2] % p.out[1],
                    pos % p.out[2]};
    int64_t grp = m / groupOutputs, mg = m % groupOutputs;
    float acc = 0.0f;
    for (int64_t c = 0; c < groupChannels; ++c) {
      int64_t channel = grp * groupChannels + c;
      const T *plane = x + (n * p.channels + channel) * planeSize;
      const T *taps0 = w + (channel * groupOutputs + mg) * taps;
      for (int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
        int64_t t0 = o[0] + p.pad[0] - k0 * p.dilation[0];
        if (t0 < 0 || t0 % p.stride[0] != 0 || t0 / p.stride[0] >= p.in[0])
          continue;
        for (int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
          int64_t t1 = o[1] + p.pad[1] - k1 * p.dilation[1];
          if (t1 < 0 || t1 % p.stride[1] != 0 || t1 / p.stride[1] >= p.in[1])
            continue;
          for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
            int64_t t2 = o[2] + p.pad[2] - k2 * p.dilation[2];
            if (t2 < 0 || t2 % p.stride[2] != 0 || t2 / p.stride[2] >= p.in[2])
              continue;
            acc += toF32(plane[(t0 / p.stride[0] * p.in[1] + t1 / p.stride[1]) *
                                   p.in[2] +
                               t2 / p.stride[2]]) *
                   toF32(taps0[(k0 * p.kernel[1] + k1) * p.kernel[2] + k2]);
          }
        }
      }
    }
    if (bias)
      acc += toF32(bias[m]);
    y[e] = fromF32<T>(acc);
  }
}

} // namespace

bool conv(Context &ctx, const Tensor &x, const Tensor &w, const Tensor *bias,
          const int64_t *strides, const int64_t *pads, const int64_t *dilations,
          int64_t group, Tensor &out) {
  if (!checkConv(ctx, x, w, bias, strides, pads, dilations, group, out))
    return false;
  if (out.numel() == 0)
    return true;
  ConvGeometry p = convGeometry(x, w, out, strides, pads, dilations, group);
  cudaStream_t stream = streamOf(ctx);
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(out.numel(), 256), 256, 0, stream, convKernel<T>)
    (x.as<const T>(), w.as<const T>(), bias ? bias->as<const T>() : nullptr,
     out.as<T>(), p);
  });
  return checkLaunch(ctx, "conv");
}

bool convTranspose(Context &ctx, const Tensor &x, const Tensor &w,
                   const Tensor *bias, const int64_t *strides,
                   const int64_t *pads, const int64_t *dilations,
                   const int64_t *outputPadding, int64_t group, Tensor &out) {
  if (!checkConvTranspose(ctx, x, w, bias, strides, pads, dilations,
                          outputPadding, group, out))
    return false;
  if (out.numel() == 0)
    return true;
  ConvGeometry p = convGeometry(x, w, out, strides, pads, dilations, group);
  cudaStream_t stream = streamOf(ctx);
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(out.numel(), 256), 256, 0, stream,
                   convTransposeKernel<T>)
    (x.as<const T>(), w.as<const T>(), bias ? bias->as<const T>() : nullptr,
     out.as<T>(), p);
  });
  return checkLaunch(ctx, "conv_transpose");
}

} // namespace kestrel::cuda
