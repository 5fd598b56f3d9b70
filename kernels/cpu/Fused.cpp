//===- Fused.cpp - Norms, add-norms, rope and attention -------------------===//
//
// Thin wrappers that check the operands and run the f32 row kernels of
// Normalization.h and the tiled attentionF32 of Attention.h. Non-f32 data
// goes through f32 staging: parameters (weights, tables, masks) once, the
// activations chunk by chunk of rows.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Attention.h"
#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/Normalization.h"

namespace kestrel::cpu {

using namespace detail;

namespace {

/// fn(r0, r1) over blocks of rows of about kGrain elements, spread over the
/// session's threads: an f32 staging copy of one block stays in cache.
template <typename Fn>
void forRowBlocks(Context &ctx, int64_t rows, int64_t cols, Fn &&fn) {
  int64_t block = std::max<int64_t>(kGrain / std::max<int64_t>(cols, 1), 1);
  parallelRange(ctx, rows, block, [&](int64_t r0, int64_t r1) {
    for (int64_t b = r0; b < r1; b += block)
      fn(b, std::min(r1, b + block));
  });
}

/// body(first, rows, in, y) over blocks of `cols`-element rows of x, with
/// f32 pointers into x and out (or, for other dtypes, into an f32 staging
/// copy of the block that is converted back afterwards; `in` may equal
/// `y`). `first` is the block's first row.
template <typename Body>
void rowsInF32(Context &ctx, const Tensor &x, Tensor &out, int64_t rows,
               int64_t cols, Body &&body) {
  bool f32 = x.dtype == DType::F32;
  forRowBlocks(ctx, rows, cols, [&](int64_t r0, int64_t r1) {
    int64_t count = (r1 - r0) * cols;
    if (f32) {
      body(r0, r1 - r0, x.as<const float>() + r0 * cols,
           out.as<float>() + r0 * cols);
      return;
    }
    std::vector<float> staging(static_cast<size_t>(count));
    convertToF32(x.dtype, elementAt(x, r0 * cols), staging.data(), count);
    body(r0, r1 - r0, staging.data(), staging.data());
    convertFromF32(out.dtype, staging.data(), elementAt(out, r0 * cols), count);
  });
}

/// The add-norm ops' rows: sum = x + residual rounded to sum's dtype, then
/// body(rows, s, y) with f32 pointers to the rounded sum and to the output
/// (into sum and out for f32, else into a staging copy of the block).
template <typename Body>
void sumRowsInF32(Context &ctx, const Tensor &x, const Tensor &residual,
                  Tensor &sum, Tensor &out, int64_t rows, int64_t cols,
                  Body &&body) {
  bool f32 = x.dtype == DType::F32;
  forRowBlocks(ctx, rows, cols, [&](int64_t r0, int64_t r1) {
    int64_t begin = r0 * cols, count = (r1 - r0) * cols;
    if (f32) {
      const float *a = x.as<const float>() + begin;
      const float *b = residual.as<const float>() + begin;
      float *s = sum.as<float>() + begin;
      for (int64_t i = 0; i < count; ++i)
        s[i] = a[i] + b[i];
      body(r1 - r0, s, out.as<float>() + begin);
      return;
    }
    std::vector<float> a(static_cast<size_t>(count)),
        b(static_cast<size_t>(count));
    convertToF32(x.dtype, elementAt(x, begin), a.data(), count);
    convertToF32(residual.dtype, elementAt(residual, begin), b.data(), count);
    for (int64_t i = 0; i < count; ++i)
      a[i] += b[i];
    // The norm reads the sum as stored, as it would unfused.
    convertFromF32(sum.dtype, a.data(), elementAt(sum, begin), count);
    convertToF32(sum.dtype, elementAt(sum, begin), a.data(), count);
    body(r1 - r0, a.data(), a.data());
    convertFromF32(out.dtype, a.data(), elementAt(out, begin), count);
  });
}

/// body(rows, in, y) over blocks of rows of x, or of x + residual written
/// to sum when `residual` is set (the add-norm forms).
template <typename Body>
void normRows(Context &ctx, const Tensor &x, const Tensor *residual,
              Tensor *sum, Tensor &out, int64_t rows, int64_t cols,
              Body &&body) {
  if (residual)
    sumRowsInF32(ctx, x, *residual, *sum, out, rows, cols, body);
  else
    rowsInF32(
        ctx, x, out, rows, cols,
        [&](int64_t, int64_t n, const float *in, float *y) { body(n, in, y); });
}

/// rms_norm, or add_rms_norm when `residual` (and `sum`) are set.
bool runRmsNorm(Context &ctx, const char *op, const Tensor &x,
                const Tensor *residual, const Tensor &weight, int64_t axis,
                float epsilon, Tensor *sum, Tensor &out) {
  if (!checkNorm(ctx, op, x, axis, epsilon, out) ||
      (residual && !checkResidual(ctx, op, x, *residual, *sum)) ||
      !checkNormParam(ctx, op, "weight", weight, x.shape, axis))
    return false;
  if (x.numel() == 0)
    return true;
  int64_t cols = weight.numel(), rows = x.numel() / cols;
  std::vector<float> weightF32;
  const float *w = asF32(weight, weightF32);
  normRows(ctx, x, residual, sum, out, rows, cols,
           [&](int64_t n, const float *in, float *y) {
             rmsNormRowsF32(n, cols, in, w, epsilon, y, runSerially);
           });
  return true;
}

/// layer_norm, or add_layer_norm when `residual` (and `sum`) are set.
bool runLayerNorm(Context &ctx, const char *op, const Tensor &x,
                  const Tensor *residual, const Tensor &scale,
                  const Tensor *bias, int64_t axis, float epsilon, Tensor *sum,
                  Tensor &out) {
  if (!checkNorm(ctx, op, x, axis, epsilon, out) ||
      (residual && !checkResidual(ctx, op, x, *residual, *sum)) ||
      !checkNormParam(ctx, op, "scale", scale, x.shape, axis) ||
      (bias && !checkNormParam(ctx, op, "bias", *bias, x.shape, axis)))
    return false;
  if (x.numel() == 0)
    return true;
  int64_t cols = scale.numel(), rows = x.numel() / cols;
  std::vector<float> scaleF32, biasF32;
  const float *g = asF32(scale, scaleF32);
  const float *b = bias ? asF32(*bias, biasF32) : nullptr;
  normRows(ctx, x, residual, sum, out, rows, cols,
           [&](int64_t n, const float *in, float *y) {
             layerNormRowsF32(n, cols, in, g, b, epsilon, y, runSerially);
           });
  return true;
}

} // namespace

bool rmsNorm(Context &ctx, const Tensor &x, const Tensor &weight, int64_t axis,
             float epsilon, Tensor &out) {
  return runRmsNorm(ctx, "rms_norm", x, nullptr, weight, axis, epsilon, nullptr,
                    out);
}

bool layerNorm(Context &ctx, const Tensor &x, const Tensor &scale,
               const Tensor *bias, int64_t axis, float epsilon, Tensor &out) {
  return runLayerNorm(ctx, "layer_norm", x, nullptr, scale, bias, axis, epsilon,
                      nullptr, out);
}

bool addRmsNorm(Context &ctx, const Tensor &x, const Tensor &residual,
                const Tensor &weight, int64_t axis, float epsilon, Tensor &sum,
                Tensor &out) {
  return runRmsNorm(ctx, "add_rms_norm", x, &residual, weight, axis, epsilon,
                    &sum, out);
}

bool addLayerNorm(Context &ctx, const Tensor &x, const Tensor &residual,
                  const Tensor &scale, const Tensor *bias, int64_t axis,
                  float epsilon, Tensor &sum, Tensor &out) {
  return runLayerNorm(ctx, "add_layer_norm", x, &residual, scale, bias, axis,
                      epsilon, &sum, out);
}

bool rope(Context &ctx, const Tensor &x, const Tensor &cos, const Tensor &sin,
          bool interleaved, int64_t rotaryDim, Tensor &out) {
  if (!checkRope(ctx, x, cos, sin, rotaryDim, out))
    return false;
  int rank = x.shape.rank;
  int64_t headDim = x.shape[rank - 1];
  int tableRank = cos.shape.rank;
  int offset = rank - tableRank;
  if (x.numel() == 0)
    return true;
  int64_t rows = x.numel() / headDim;
  // tableRows[r]: the cos/sin row of x's row r.
  std::vector<int64_t> tableRows(static_cast<size_t>(rows));
  {
    int64_t index[kMaxRank] = {}, strides[kMaxRank] = {}, stride = 1;
    for (int i = tableRank - 2; i >= 0; --i) {
      strides[offset + i] = cos.shape[i] == 1 ? 0 : stride;
      stride *= cos.shape[i];
    }
    int64_t at = 0;
    for (int64_t r = 0; r < rows; ++r) {
      tableRows[size_t(r)] = at;
      for (int d = rank - 2; d >= 0; --d) {
        at += strides[d];
        if (++index[d] < x.shape[d])
          break;
        at -= strides[d] * x.shape[d];
        index[d] = 0;
      }
    }
  }
  std::vector<float> cosF32, sinF32;
  const float *c = asF32(cos, cosF32), *s = asF32(sin, sinF32);
  rowsInF32(ctx, x, out, rows, headDim,
            [&](int64_t r0, int64_t n, const float *in, float *y) {
              ropeRowsF32(
                  n, headDim, rotaryDim, interleaved, in, c, s,
                  [&](int64_t r) { return tableRows[size_t(r0 + r)]; }, y,
                  runSerially);
            });
  return true;
}

bool attention(Context &ctx, const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor *mask, float scale, bool causal, int64_t numHeads,
               int64_t numKvHeads, Tensor &out, AttentionLayout layout) {
  if (!checkAttention(ctx, q, k, v, mask, scale, numHeads, numKvHeads, out,
                      layout))
    return false;
  Shape qd = attentionDims(q.shape, layout),
        kd = attentionDims(k.shape, layout),
        vd = attentionDims(v.shape, layout);
  int64_t B = qd[0], Sq = qd[2], D = qd[3];
  int64_t Skv = kd[2], Dv = vd[3];
  AttentionMask maskRef;
  std::vector<float> maskF32;
  if (mask) {
    int64_t stride = 1;
    for (int i = mask->shape.rank - 1; i >= 0; --i) {
      maskRef.strides[4 - mask->shape.rank + i] =
          mask->shape[i] == 1 ? 0 : stride;
      stride *= mask->shape[i];
    }
    if (mask->dtype == DType::I1)
      maskRef.keep = mask->as<const uint8_t>();
    else
      maskRef.bias = asF32(*mask, maskF32);
  }
  if (scale <= 0.0f)
    scale = D > 0 ? 1.0f / std::sqrt(float(D)) : 1.0f;
  if (out.numel() == 0)
    return true;
  AttentionShape shape{B, numHeads, numKvHeads, Sq,     Skv,
                       D, Dv,       scale,      causal, layout};
  std::vector<float> qF32, kF32, vF32;
  AlignedFloats outF32;
  const float *qp = asF32(q, qF32), *kp = asF32(k, kF32), *vp = asF32(v, vF32);
  float *op = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    op = outF32.data();
  }
  int64_t work = B * numHeads * Sq * Skv * (D + Dv);
  attentionF32(shape, qp, kp, vp, op, maskRef, parallelFor(ctx, work));
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, op, out.data, out.numel());
  return true;
}

} // namespace kestrel::cpu
