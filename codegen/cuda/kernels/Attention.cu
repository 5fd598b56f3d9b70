//===- Attention.cu - Attention with online softmax -----------------------===//
//
// kestrel.attention on [B, H, S, D] tensors, the semantics of
// codegen/cpu/kernels/Attention.h: scores q.k^T * scale (+ a float mask, or
// -inf where an i1 mask is false or a causal query may not look), softmax
// over the keys, times v; a row whose keys are all masked gets zeros.
// Query head h reads kv head h / (H / Hkv) (GQA/MQA in place).
//
// A simple kernel, not a tuned one: one warp per query row walks the keys
// four at a time with a running max, sum and output accumulator in f32
// registers, so the Sq x Skv scores never exist in memory. Each lane holds
// dims lane, lane + 32, ... of q and of the output (head dims up to 256).
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/kernels/Common.cuh"

#include <cmath>

namespace kestrel::cuda {

namespace {

constexpr int kMaxHeadDim = 256;
constexpr int kPerLane = kMaxHeadDim / 32;
constexpr int kKeysPerStep = 4;
constexpr int kWarpsPerBlock = 4;
constexpr float kNegInf = -__builtin_huge_valf();

enum class MaskKind : int { None, Keep, Bias };

struct AttentionParams {
  int64_t batch, heads, kvHeads, querySeq, keySeq, headDim, valueDim;
  float scale;
  bool causal;
  MaskKind maskKind;
  DType maskType;
  const void *mask;
  /// Element strides of the mask broadcast to [B, H, Sq, Skv].
  int64_t maskStride[4];
};

/// Thread mapping: one warp per query row (b, h, i), kWarpsPerBlock rows of
/// one head per block, grid-stride over rows. Per step of four keys each
/// lane forms partial dot products over its dims, the warp sums them with
/// butterfly shuffles (every lane gets the scores), and the lanes update
/// the running max / sum and their slice of the accumulator.
template <typename T>
__global__ void attentionKernel(AttentionParams p, const T *__restrict__ q,
                                const T *__restrict__ k,
                                const T *__restrict__ v, T *__restrict__ out) {
  int lane = threadIdx.x & 31;
  int64_t rows = p.batch * p.heads * p.querySeq;
  int64_t group = p.heads / p.kvHeads;
  int64_t warpsPerGrid = int64_t(gridDim.x) * (blockDim.x >> 5);
  for (int64_t row =
           int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
       row < rows; row += warpsPerGrid) {
    int64_t qi = row % p.querySeq, bh = row / p.querySeq;
    int64_t h = bh % p.heads, b = bh / p.heads, kvh = h / group;
    const T *qRow = q + row * p.headDim;
    const T *keys = k + (b * p.kvHeads + kvh) * p.keySeq * p.headDim;
    const T *values = v + (b * p.kvHeads + kvh) * p.keySeq * p.valueDim;
    int64_t maskRow =
        b * p.maskStride[0] + h * p.maskStride[1] + qi * p.maskStride[2];

    float qv[kPerLane], acc[kPerLane];
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      int64_t d = lane + 32 * i;
      qv[i] = d < p.headDim ? toF32(qRow[d]) : 0.0f;
      acc[i] = 0.0f;
    }
    float rowMax = kNegInf, rowSum = 0.0f;
    // Query i sees keys j <= i + Skv - Sq (bottom-right aligned).
    int64_t keyEnd = p.keySeq;
    if (p.causal) {
      int64_t last = qi + p.keySeq - p.querySeq;
      keyEnd = last + 1 < keyEnd ? (last + 1 > 0 ? last + 1 : 0) : keyEnd;
    }
    for (int64_t j0 = 0; j0 < keyEnd; j0 += kKeysPerStep) {
      float s[kKeysPerStep];
#pragma unroll
      for (int g = 0; g < kKeysPerStep; ++g) {
        s[g] = 0.0f;
        int64_t j = j0 + g;
        if (j < keyEnd) {
          const T *key = keys + j * p.headDim;
#pragma unroll
          for (int i = 0; i < kPerLane; ++i) {
            int64_t d = lane + 32 * i;
            if (d < p.headDim)
              s[g] += qv[i] * toF32(key[d]);
          }
        }
      }
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1)
#pragma unroll
        for (int g = 0; g < kKeysPerStep; ++g)
          s[g] += __shfl_xor_sync(0xffffffffu, s[g], offset);
      float stepMax = kNegInf;
#pragma unroll
      for (int g = 0; g < kKeysPerStep; ++g) {
        int64_t j = j0 + g;
        float x = kNegInf;
        if (j < keyEnd) {
          x = s[g] * p.scale;
          int64_t at = maskRow + j * p.maskStride[3];
          if (p.maskKind == MaskKind::Bias)
            x += loadAsF32(p.mask, p.maskType, at);
          else if (p.maskKind == MaskKind::Keep &&
                   !static_cast<const uint8_t *>(p.mask)[at])
            x = kNegInf;
        }
        s[g] = x;
        stepMax = fmaxf(stepMax, x); // NaN scores do not raise the max
      }
      float newMax = fmaxf(rowMax, stepMax);
      if (newMax == kNegInf) // nothing visible yet in this row
        continue;
      // Rescale what was accumulated under the old max.
      float correction = expf(rowMax - newMax);
      rowSum *= correction;
#pragma unroll
      for (int i = 0; i < kPerLane; ++i)
        acc[i] *= correction;
#pragma unroll
      for (int g = 0; g < kKeysPerStep; ++g) {
        int64_t j = j0 + g;
        if (j < keyEnd) {
          float weight = expf(s[g] - newMax);
          rowSum += weight;
          const T *value = values + j * p.valueDim;
#pragma unroll
          for (int i = 0; i < kPerLane; ++i) {
            int64_t d = lane + 32 * i;
            if (d < p.valueDim)
              acc[i] += weight * toF32(value[d]);
          }
        }
      }
      rowMax = newMax;
    }
    float inv = rowSum > 0.0f ? 1.0f / rowSum : 0.0f;
    T *o = out + row * p.valueDim;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      int64_t d = lane + 32 * i;
      if (d < p.valueDim)
        o[d] = fromF32<T>(acc[i] * inv);
    }
  }
}

bool checkFloat(Context &ctx, const char *name, const Tensor &t) {
  if (!checkTensor(ctx, "attention", name, t))
    return false;
  if (!isFloatType(t.dtype))
    return ctx.fail(std::string("attention: ") + name +
                    " must be a float tensor, got " + cpu::dtypeName(t.dtype));
  return true;
}

} // namespace

bool attention(Context &ctx, const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor *mask, float scale, bool causal, int64_t numHeads,
               int64_t numKvHeads, Tensor &out) {
  if (!checkFloat(ctx, "query", q) || !checkFloat(ctx, "key", k) ||
      !checkFloat(ctx, "value", v))
    return false;
  if (q.shape.rank != 4 || k.shape.rank != 4 || v.shape.rank != 4)
    return ctx.fail("attention: query, key and value must have rank 4 "
                    "([batch, heads, seq, head_dim]), got " +
                    q.shape.str() + ", " + k.shape.str() + " and " +
                    v.shape.str());
  if (k.dtype != q.dtype || v.dtype != q.dtype)
    return ctx.fail(std::string("attention: query, key and value must share "
                                "one dtype, got ") +
                    cpu::dtypeName(q.dtype) + ", " + cpu::dtypeName(k.dtype) +
                    " and " + cpu::dtypeName(v.dtype));
  // 0: the model left the head counts to the operands' shapes.
  if (numHeads == 0 && numKvHeads == 0) {
    numHeads = q.shape.dims[1];
    numKvHeads = k.shape.dims[1];
  }
  if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0)
    return ctx.fail("attention: num_heads (" + std::to_string(numHeads) +
                    ") must be a positive multiple of num_kv_heads (" +
                    std::to_string(numKvHeads) + ")");
  int64_t B = q.shape.dims[0], Sq = q.shape.dims[2], D = q.shape.dims[3];
  int64_t Skv = k.shape.dims[2], Dv = v.shape.dims[3];
  bool ok = q.shape.dims[1] == numHeads && k.shape.dims[1] == numKvHeads &&
            v.shape.dims[1] == numKvHeads && k.shape.dims[0] == B &&
            v.shape.dims[0] == B && k.shape.dims[3] == D &&
            v.shape.dims[2] == Skv;
  if (!ok)
    return ctx.fail("attention: shapes query " + q.shape.str() + ", key " +
                    k.shape.str() + ", value " + v.shape.str() +
                    " do not fit num_heads = " + std::to_string(numHeads) +
                    ", num_kv_heads = " + std::to_string(numKvHeads));
  Shape scores{B, numHeads, Sq, Skv};
  if (!checkOut(ctx, "attention", out, Shape{B, numHeads, Sq, Dv}, q.dtype))
    return false;
  AttentionParams p{};
  p.maskKind = MaskKind::None;
  p.maskType = DType::F32;
  if (mask) {
    if (!checkTensor(ctx, "attention", "mask", *mask))
      return false;
    if (mask->dtype != DType::I1 && !isFloatType(mask->dtype))
      return ctx.fail(std::string("attention: mask must be i1 or float, "
                                  "got ") +
                      cpu::dtypeName(mask->dtype));
    if (!checkBroadcastsTo(ctx, "attention", "mask", mask->shape, scores))
      return false;
    int64_t stride = 1;
    for (int i = mask->shape.rank - 1; i >= 0; --i) {
      p.maskStride[4 - mask->shape.rank + i] =
          mask->shape.dims[i] == 1 ? 0 : stride;
      stride *= mask->shape.dims[i];
    }
    p.maskKind = mask->dtype == DType::I1 ? MaskKind::Keep : MaskKind::Bias;
    p.maskType = mask->dtype;
    p.mask = mask->data;
  }
  if (!std::isfinite(scale))
    return ctx.fail("attention: scale must be finite, got " +
                    std::to_string(scale));
  if (scale <= 0.0f)
    scale = D > 0 ? 1.0f / std::sqrt(float(D)) : 1.0f;
  if (out.numel() == 0)
    return true;
  if (D > kMaxHeadDim || Dv > kMaxHeadDim)
    return ctx.fail("attention: the CUDA kernel supports head dims up to " +
                    std::to_string(kMaxHeadDim) + ", got " + std::to_string(D) +
                    " (query/key) and " + std::to_string(Dv) + " (value)");
  p.batch = B;
  p.heads = numHeads;
  p.kvHeads = numKvHeads;
  p.querySeq = Sq;
  p.keySeq = Skv;
  p.headDim = D;
  p.valueDim = Dv;
  p.scale = scale;
  p.causal = causal;
  int64_t rows = B * numHeads * Sq;
  unsigned grid = gridFor(rows, kWarpsPerBlock);
  dispatchFloat(q.dtype, [&](auto tag) {
    using T = decltype(tag);
    attentionKernel<T><<<grid, 32 * kWarpsPerBlock, 0, streamOf(ctx)>>>(
        p, q.as<const T>(), k.as<const T>(), v.as<const T>(), out.as<T>());
  });
  return checkLaunch(ctx, "attention");
}

} // namespace kestrel::cuda
