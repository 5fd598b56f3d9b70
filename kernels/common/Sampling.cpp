//===- Sampling.cpp - Pool and resize shapes and checks -------------------===//
//
// The shape functions and argument checks of kestrel.pool and
// kestrel.resize (kernels/common/Sampling.h), for both kernel libraries.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Sampling.h"
#include "kernels/common/Checks.h"

#include <cmath>
#include <string>

namespace kestrel {

bool poolShape(KernelStatus &status, const Shape &x, const int64_t *kernel,
               const int64_t *strides, const int64_t *pads,
               const int64_t *dilations, bool ceilMode, Shape &out) {
  int spatial = x.rank - 2;
  if (spatial < 1 || spatial > 3)
    return status.fail("pool: x must be [N, C, D1, ...] with 1 to 3 spatial "
                       "dims, got rank " +
                       str(x.rank));
  Shape result = x;
  for (int i = 0; i < spatial; ++i) {
    int64_t k = kernel[i], s = strides[i], d = dilations[i];
    int64_t begin = pads[i], end = pads[i + spatial];
    if (k < 1 || s < 1 || d < 1 || begin < 0 || end < 0 ||
        k > (int64_t(1) << 30) || s > (int64_t(1) << 30) ||
        d > (int64_t(1) << 30) || begin > (int64_t(1) << 30) ||
        end > (int64_t(1) << 30))
      return status.fail("pool: spatial dim " + str(i) +
                         " needs a positive kernel, stride and dilation and "
                         "non-negative pads, got kernel " +
                         str(k) + ", stride " + str(s) + ", dilation " +
                         str(d) + ", pads (" + str(begin) + ", " + str(end) +
                         ")");
    int64_t span = x[i + 2] + begin + end - d * (k - 1) - 1;
    if (span < 0)
      return status.fail("pool: the window (kernel " + str(k) + ", dilation " +
                         str(d) + ") does not fit spatial dim " + str(i) +
                         " of size " + str(x[i + 2]) + " with its pads");
    int64_t o = ceilMode ? (span + s - 1) / s + 1 : span / s + 1;
    // With ceil_mode the last window must start inside the input or its
    // begin pad.
    if (ceilMode && (o - 1) * s >= x[i + 2] + begin)
      --o;
    result[i + 2] = o;
  }
  out = result;
  return true;
}

bool checkPool(KernelStatus &status, const Tensor &x, PoolKind kind,
               const int64_t *kernel, const int64_t *strides,
               const int64_t *pads, const int64_t *dilations, bool ceilMode,
               const Tensor &out) {
  Shape shape;
  if (!checkFloat(status, "pool", "x", x) ||
      !poolShape(status, x.shape, kernel, strides, pads, dilations, ceilMode,
                 shape) ||
      !checkOut(status, "pool", out, shape, x.dtype))
    return false;
  if (kind != PoolKind::Max && kind != PoolKind::Average)
    return status.fail("pool: unknown kind " + str(int(kind)));
  return true;
}

PoolGeometry poolGeometry(const Tensor &x, const Tensor &out, PoolKind kind,
                          const int64_t *kernel, const int64_t *strides,
                          const int64_t *pads, const int64_t *dilations,
                          bool countIncludePad) {
  PoolGeometry g;
  g.planes = x.shape[0] * x.shape[1];
  g.kind = kind;
  g.countIncludePad = countIncludePad;
  int spatial = x.shape.rank - 2;
  for (int i = 0; i < spatial; ++i) {
    int d = 3 - spatial + i;
    g.in[d] = x.shape[i + 2];
    g.out[d] = out.shape[i + 2];
    g.kernel[d] = kernel[i];
    g.stride[d] = strides[i];
    g.dilation[d] = dilations[i];
    g.padBegin[d] = pads[i];
    g.padEnd[d] = pads[i + spatial];
  }
  return g;
}

bool resizeShape(KernelStatus &status, const Shape &x, const int64_t *sizes,
                 const float *scales, Shape &out) {
  if (!checkRank(status, "resize", "x", x.rank))
    return false;
  Shape result = x;
  for (int d = 0; d < x.rank; ++d) {
    if (sizes[d] >= 0) {
      result[d] = sizes[d];
      continue;
    }
    double size = std::floor(double(x[d]) * double(scales[d]));
    if (!(scales[d] > 0) || !(size < double(int64_t(1) << 40)))
      return status.fail("resize: dim " + str(d) + " of size " + str(x[d]) +
                         " cannot take scale " + std::to_string(scales[d]));
    result[d] = int64_t(size);
  }
  out = result;
  return true;
}

bool checkResize(KernelStatus &status, const Tensor &x, const ResizeParams &p,
                 const float *scales, const Tensor &out) {
  if (!checkFloat(status, "resize", "x", x) ||
      !checkOut(status, "resize", out, out.shape, x.dtype))
    return false;
  if (out.shape.rank != x.shape.rank)
    return status.fail("resize: out has rank " + str(out.shape.rank) + ", x " +
                       str(x.shape.rank));
  if (int(p.mode) < 0 || int(p.mode) > 2 || int(p.coordinates) < 0 ||
      int(p.coordinates) > 5 || int(p.nearest) < 0 || int(p.nearest) > 3)
    return status.fail("resize: unknown mode, coordinate mode or nearest "
                       "mode");
  for (int d = 0; d < x.shape.rank; ++d) {
    if (!(scales[d] >= 0))
      return status.fail("resize: dim " + str(d) + " has a negative scale");
    if (out.shape[d] > 0 && x.shape[d] == 0 && out.numel() > 0)
      return status.fail("resize: dim " + str(d) +
                         " is empty and cannot be resized to " +
                         str(out.shape[d]));
  }
  return true;
}

} // namespace kestrel
