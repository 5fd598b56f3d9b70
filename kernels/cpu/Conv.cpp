//===- Conv.cpp - Convolution for the CPU backend
//---------------------------===//
//
// ONNX Conv as im2col + GEMM: per image and group, a [C/group * prod(K),
// prod(O)] matrix of input patches (zeros where a tap falls in the padding)
// multiplied by the group's [M/group, C/group * prod(K)] weights (their
// row-major layout as stored) with the blocked GEMM, then the bias.
// ConvTranspose runs the other way: the group's weights (transposed) times
// the input planes give every output channel's and tap's contributions,
// which each output plane then gathers (col2im).
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Conv.h"
#include "kernels/common/Checks.h"
#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <vector>

namespace kestrel::cpu {

using namespace detail;

namespace {

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
  ConvGeometry g = convGeometry(x, w, out, strides, pads, dilations, group);
  int64_t batch = g.batch, channels = g.channels, m = g.outputs;
  int64_t groupChannels = channels / group, groupOutputs = m / group;
  int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  int64_t planeSize = g.in[0] * g.in[1] * g.in[2];
  int64_t inner = groupChannels * taps,
          positions = g.out[0] * g.out[1] * g.out[2];

  std::vector<float> xF32, wF32, bF32;
  AlignedFloats outF32;
  const float *in = asF32(x, xF32), *weights = asF32(w, wF32);
  const float *b = bias ? asF32(*bias, bF32) : nullptr;
  float *y = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    y = outF32.data();
  }
  // The patch matrix, kept per thread between calls (as the GEMM's packing
  // buffers are).
  thread_local AlignedFloats patchBuffer;
  float *patches = gemm_detail::scratch(patchBuffer, size_t(inner * positions));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t grp = 0; grp < group; ++grp) {
      const float *planes =
          in + (n * channels + grp * groupChannels) * planeSize;
      parallelRange(ctx, inner, std::max<int64_t>(1, kGrain / positions),
                    [&](int64_t r0, int64_t r1) {
                      for (int64_t r = r0; r < r1; ++r) {
                        int64_t c = r / taps, t = r % taps;
                        int64_t k[3] = {t / (g.kernel[1] * g.kernel[2]),
                                        t / g.kernel[2] % g.kernel[1],
                                        t % g.kernel[2]};
                        fillPatchRow(g, planes + c * planeSize, k,
                                     patches + r * positions);
                      }
                    });
      float *dst = y + (n * m + grp * groupOutputs) * positions;
      const float *wg = weights + grp * groupOutputs * inner;
      gemmF32(groupOutputs, positions, inner, MatrixRef{wg, inner, 1},
              MatrixRef{patches, positions, 1}, dst, positions,
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

bool convTranspose(Context &ctx, const Tensor &x, const Tensor &w,
                   const Tensor *bias, const int64_t *strides,
                   const int64_t *pads, const int64_t *dilations,
                   const int64_t *outputPadding, int64_t group, Tensor &out) {
  if (!checkConvTranspose(ctx, x, w, bias, strides, pads, dilations,
                          outputPadding, group, out))
    return false;
  if (out.numel() == 0)
    return true;
  ConvGeometry g = convGeometry(x, w, out, strides, pads, dilations, group);
  int64_t channels = g.channels, m = g.outputs;
  int64_t groupChannels = channels / group, groupOutputs = m / group;
  int64_t taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  int64_t positionsIn = g.in[0] * g.in[1] * g.in[2];
  int64_t positionsOut = g.out[0] * g.out[1] * g.out[2];
  int64_t rows = groupOutputs * taps;

  std::vector<float> xF32, wF32, bF32;
  AlignedFloats outF32;
  const float *in = asF32(x, xF32), *weights = asF32(w, wF32);
  const float *b = bias ? asF32(*bias, bF32) : nullptr;
  float *y = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    y = outF32.data();
  }
  // Per image and group: every (output channel, tap) row of contributions
  // of every input position, as one GEMM of the group's weights (read
  // transposed, [C / group, M / group * taps] as stored) with its input
  // planes; then each output plane gathers its rows (col2im).
  thread_local AlignedFloats columnBuffer;
  float *columns =
      gemm_detail::scratch(columnBuffer, size_t(rows * positionsIn));
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t grp = 0; grp < group; ++grp) {
      const float *wg = weights + grp * groupChannels * rows;
      const float *planes =
          in + (n * channels + grp * groupChannels) * positionsIn;
      gemmF32(rows, positionsIn, groupChannels, MatrixRef{wg, 1, rows},
              MatrixRef{planes, positionsIn, 1}, columns, positionsIn,
              /*accumulate=*/false,
              parallelFor(ctx, rows * positionsIn * groupChannels));
      float *dst = y + (n * m + grp * groupOutputs) * positionsOut;
      parallelRange(
          ctx, groupOutputs,
          std::max<int64_t>(1,
                            kGrain / std::max<int64_t>(1, taps * positionsIn)),
          [&](int64_t o0, int64_t o1) {
            for (int64_t o = o0; o < o1; ++o) {
              float *plane = dst + o * positionsOut;
              std::fill(plane, plane + positionsOut,
                        b ? b[grp * groupOutputs + o] : 0.0f);
              for (int64_t t = 0; t < taps; ++t) {
                int64_t k[3] = {t / (g.kernel[1] * g.kernel[2]),
                                t / g.kernel[2] % g.kernel[1], t % g.kernel[2]};
                const float *row = columns + (o * taps + t) * positionsIn;
                for (int64_t i0 = 0; i0 < g.in[0]; ++i0) {
                  int64_t p0 =
                      i0 * g.stride[0] - g.pad[0] + k[0] * g.dilation[0];
                  if (p0 < 0 || p0 >= g.out[0])
                    continue;
                  for (int64_t i1 = 0; i1 < g.in[1]; ++i1) {
                    int64_t p1 =
                        i1 * g.stride[1] - g.pad[1] + k[1] * g.dilation[1];
                    if (p1 < 0 || p1 >= g.out[1])
                      continue;
                    const float *src = row + (i0 * g.in[1] + i1) * g.in[2];
                    float *line = plane + (p0 * g.out[1] + p1) * g.out[2];
                    for (int64_t i2 = 0; i2 < g.in[2]; ++i2) {
                      int64_t p2 =
                          i2 * g.stride[2] - g.pad[2] + k[2] * g.dilation[2];
                      if (p2 >= 0 && p2 < g.out[2])
                        line[p2] += src[i2];
                    }
                  }
                }
              }
            }
          });
    }
  }
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, y, out.data, out.numel());
  return true;
}

} // namespace kestrel::cpu
