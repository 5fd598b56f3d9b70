//===- Conv.cpp - Convolution for the CPU backend
//---------------------------===//
//
// ONNX Conv as im2col + GEMM: per image and group, a [C/group * prod(K),
// prod(O)] matrix of input patches (zeros where a tap falls in the padding)
// multiplied by the group's [M/group, C/group * prod(K)] weights (their
// row-major layout as stored) with the blocked GEMM, then the bias.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Checks.h"
#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <vector>

namespace kestrel::cpu {

using namespace detail;

namespace {

/// Spatial geometry padded to three dims (size 1, kernel 1, stride 1).
struct ConvGeometry {
  int64_t in[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
  int64_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }
  int64_t inSize() const { return in[0] * in[1] * in[2]; }
  int64_t outSize() const { return out[0] * out[1] * out[2]; }
};

/// Row (c, k0, k1, k2) of the patch matrix for channel plane `plane`:
/// cols[o] = plane[o * stride - pad + k * dilation], or 0 outside.
void fillPatchRow(const ConvGeometry &g, const float *plane, const int64_t k[3],
                  float *row) {
  for (int64_t o0 = 0; o0 < g.out[0]; ++o0) {
    int64_t i0 = o0 * g.stride[0] - g.pad[0] + k[0] * g.dilation[0];
    bool in0 = i0 >= 0 && i0 < g.in[0];
    for (int64_t o1 = 0; o1 < g.out[1]; ++o1) {
      int64_t i1 = o1 * g.stride[1] - g.pad[1] + k[1] * g.dilation[1];
      float *dst = row + (o0 * g.out[1] + o1) * g.out[2];
      if (!in0 || i1 < 0 || i1 >= g.in[1]) {
        std::fill(dst, dst + g.out[2], 0.0f);
        continue;
      }
      const float *src = plane + (i0 * g.in[1] + i1) * g.in[2];
      for (int64_t o2 = 0; o2 < g.out[2]; ++o2) {
        int64_t i2 = o2 * g.stride[2] - g.pad[2] + k[2] * g.dilation[2];
        dst[o2] = i2 >= 0 && i2 < g.in[2] ? src[i2] : 0.0f;
      }
    }
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
  int spatial = x.shape.rank - 2;
  ConvGeometry g;
  for (int i = 0; i < spatial; ++i) {
    int d = 3 - spatial + i; // right-aligned: a 1-D conv runs along dim 2
    g.in[d] = x.shape[i + 2];
    g.kernel[d] = w.shape[i + 2];
    g.out[d] = out.shape[i + 2];
    g.stride[d] = strides[i];
    g.dilation[d] = dilations[i];
    g.pad[d] = pads[i];
  }
  int64_t batch = x.shape[0], channels = x.shape[1], m = w.shape[0];
  int64_t groupChannels = channels / group, groupOutputs = m / group;
  int64_t taps = g.taps(), inner = groupChannels * taps,
          positions = g.outSize();

  std::vector<float> xF32, wF32, bF32, outF32;
  const float *in = asF32(x, xF32), *weights = asF32(w, wF32);
  const float *b = bias ? asF32(*bias, bF32) : nullptr;
  float *y = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    y = outF32.data();
  }
  std::vector<float> patches(size_t(inner * positions));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t grp = 0; grp < group; ++grp) {
      const float *planes =
          in + (n * channels + grp * groupChannels) * g.inSize();
      parallelRange(ctx, inner, std::max<int64_t>(1, kGrain / positions),
                    [&](int64_t r0, int64_t r1) {
                      for (int64_t r = r0; r < r1; ++r) {
                        int64_t c = r / taps, t = r % taps;
                        int64_t k[3] = {t / (g.kernel[1] * g.kernel[2]),
                                        t / g.kernel[2] % g.kernel[1],
                                        t % g.kernel[2]};
                        fillPatchRow(g, planes + c * g.inSize(), k,
                                     patches.data() + r * positions);
                      }
                    });
      float *dst = y + (n * m + grp * groupOutputs) * positions;
      const float *wg = weights + grp * groupOutputs * inner;
      gemmF32(groupOutputs, positions, inner, MatrixRef{wg, inner, 1},
              MatrixRef{patches.data(), positions, 1}, dst, positions,
              /*accumulate=*/false,
              parallelFor(ctx, groupOutputs * positions * inner));
      if (b)
        for (int64_t o = 0; o < groupOutputs; ++o) {
          float v = b[grp * groupOutputs + o];
          float *row = dst + o * positions;
          for (int64_t p = 0; p < positions; ++p)
            row[p] += v;
        }
    }
  }
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, y, out.data, out.numel());
  return true;
}

} // namespace kestrel::cpu
