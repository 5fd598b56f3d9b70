//===- Conv.h - Convolution geometry shared by both kernel libraries -*- C++
//-*-===//
//
// conv's (and conv_transpose's) geometry with the spatial dims right-aligned
// into three (a 1-D conv runs along the last; missing dims have size 1,
// kernel 1, stride 1), built once from checked operands by the CPU and CUDA
// kernels alike.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_COMMON_CONV_H
#define KESTREL_KERNELS_COMMON_CONV_H

#include "kernels/common/Tensor.h"

#include <cstdint>

namespace kestrel {

struct ConvGeometry {
  int64_t batch = 0, channels = 0, outputs = 0, group = 1;
  int64_t in[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
};

/// The geometry of conv(x, w) -> out (operands already checked by
/// checkConv; `pads` holds the begin pads first), and of
/// conv_transpose(x, w) -> out (checkConvTranspose): `in` is x's spatial
/// sizes and `out` the result's either way; in conv_transpose input
/// position i with tap k lands on output position i * stride - pad + k *
/// dilation.
inline ConvGeometry convGeometry(const Tensor &x, const Tensor &w,
                                 const Tensor &out, const int64_t *strides,
                                 const int64_t *pads, const int64_t *dilations,
                                 int64_t group) {
  ConvGeometry g;
  g.batch = x.shape[0];
  g.channels = x.shape[1];
  g.outputs = out.shape[1];
  g.group = group;
  int spatial = x.shape.rank - 2;
  for (int i = 0; i < spatial; ++i) {
    int d = 3 - spatial + i;
    g.in[d] = x.shape[i + 2];
    g.kernel[d] = w.shape[i + 2];
    g.out[d] = out.shape[i + 2];
    g.stride[d] = strides[i];
    g.dilation[d] = dilations[i];
    g.pad[d] = pads[i];
  }
  return g;
}

} // namespace kestrel

#endif // KESTREL_KERNELS_COMMON_CONV_H
