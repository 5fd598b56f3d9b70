//===- Attention.h - Tiled attention with online softmax --------*- C++ -*-===//
//
// kestrel.attention on [B, H, S, D] (or, in the bshd layout, [B, S, H, D])
// f32 tensors, FlashAttention-style: each task takes a block of query rows
// of one head, walks the keys in blocks, and keeps a running max, running
// sum and output accumulator per row, so the S x S score matrix never
// exists. Rows are read and written at the layout's stride, so the bshd
// layout needs no copies. Query head h reads kv head h / (H / Hkv) in place
// (GQA/MQA without copies); causal key blocks past the diagonal are
// skipped. Header-only, like the other CPU kernels.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_ATTENTION_H
#define KESTREL_KERNELS_CPU_ATTENTION_H

#include "kernels/common/Ops.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/VectorMath.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kestrel::cpu {

struct AttentionShape {
  int64_t batch, heads, kvHeads;
  int64_t querySeq, keySeq, headDim, valueDim;
  float scale;
  /// Query i sees keys j <= i + keySeq - querySeq (bottom-right aligned).
  bool causal;
  /// Of query, key, value and out alike.
  AttentionLayout layout = AttentionLayout::Bhsd;
};

/// An optional mask broadcast to [B, H, Sq, Skv] through `strides` (0 along
/// broadcast dims): `keep` (i1 as bytes: attend where non-zero) or `bias`
/// (added to the scaled scores).
struct AttentionMask {
  const uint8_t *keep = nullptr;
  const float *bias = nullptr;
  int64_t strides[4] = {0, 0, 0, 0};
};

namespace attention_detail {

/// The largest of x[0:n), in sixteen lanes so that it vectorizes.
inline float rowMax(const float *x, int64_t n) {
  float lanes[16];
  std::fill(lanes, lanes + 16, -std::numeric_limits<float>::infinity());
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int64_t l = 0; l < 16; ++l)
      lanes[l] = std::max(lanes[l], x[j + l]);
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t l = 0; l < 16; ++l)
    m = std::max(m, lanes[l]);
  for (; j < n; ++j)
    m = std::max(m, x[j]);
  return m;
}

/// x[j] = exp(x[j] - shift) for j in [0, n); returns their sum (sixteen
/// partial sums, so that both loops vectorize).
inline float expShiftedSum(float *x, int64_t n, float shift) {
  for (int64_t j = 0; j < n; ++j)
    x[j] = expApprox(x[j] - shift);
  float lanes[16] = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int64_t l = 0; l < 16; ++l)
      lanes[l] += x[j + l];
  float sum = 0.0f;
  for (int64_t l = 0; l < 16; ++l)
    sum += lanes[l];
  for (; j < n; ++j)
    sum += x[j];
  return sum;
}

} // namespace attention_detail

/// out[B, H, Sq, Dv] = softmax(q·kᵀ·scale + mask)·v, every tensor in
/// `s.layout`. A row whose keys are all masked out gets zeros (softmax of
/// nothing).
///
/// Both products of a block are skinny GEMMs (at most 16 query rows)
/// that keep the block's rows in registers while they stream the other
/// operand's rows: P·V streams V's rows as stored; q·kᵀ streams the rows
/// of kᵀ, which the kernel writes once per call (per batch entry and kv
/// head, [D, Skv], shared by the group's query heads and every query
/// block). With at most 4 query rows (decoding) the transpose would cost
/// more than it saves, and each score is a dot product over a row of k.
inline void attentionF32(const AttentionShape &s, const float *q,
                         const float *k, const float *v, float *out,
                         const AttentionMask &mask = {},
                         const ParallelFor &parallel = runSerially) {
  using namespace attention_detail;
  constexpr int64_t kQueryBlock = 16, kKeyBlock = 64;
  const float negInf = -std::numeric_limits<float>::infinity();
  int64_t group = s.heads / s.kvHeads;
  int64_t queryBlocks = (s.querySeq + kQueryBlock - 1) / kQueryBlock;
  int64_t offset = s.keySeq - s.querySeq;
  const AttentionStrides qst =
      attentionStrides(s.layout, s.heads, s.querySeq, s.headDim);
  const AttentionStrides kst =
      attentionStrides(s.layout, s.kvHeads, s.keySeq, s.headDim);
  const AttentionStrides vst =
      attentionStrides(s.layout, s.kvHeads, s.keySeq, s.valueDim);
  const AttentionStrides ost =
      attentionStrides(s.layout, s.heads, s.querySeq, s.valueDim);
  const bool hasMask = mask.bias || mask.keep;

  // kᵀ per (batch entry, kv head): [D, Skv], in 16 x 16 tiles.
  const bool transposeK = s.querySeq > 4;
  thread_local AlignedFloats kTransposedBuffer;
  float *kTransposed = nullptr;
  if (transposeK) {
    kTransposed = gemm_detail::scratch(
        kTransposedBuffer, size_t(s.batch * s.kvHeads * s.headDim * s.keySeq));
    parallel(s.batch * s.kvHeads, [&](int64_t task) {
      int64_t b = task / s.kvHeads, h = task % s.kvHeads;
      const float *src = k + b * kst.batch + h * kst.head;
      float *dst = kTransposed + task * s.headDim * s.keySeq;
      constexpr int64_t kTile = 16;
      for (int64_t j0 = 0; j0 < s.keySeq; j0 += kTile)
        for (int64_t d0 = 0; d0 < s.headDim; d0 += kTile)
          for (int64_t j = j0; j < std::min(s.keySeq, j0 + kTile); ++j)
            for (int64_t d = d0; d < std::min(s.headDim, d0 + kTile); ++d)
              dst[d * s.keySeq + j] = src[j * kst.row + d];
    });
  }

  parallel(s.batch * s.heads * queryBlocks, [&](int64_t task) {
    int64_t qb = task % queryBlocks, bh = task / queryBlocks;
    int64_t b = bh / s.heads, h = bh % s.heads, kvh = h / group;
    int64_t q0 = qb * kQueryBlock;
    int64_t rows = std::min(kQueryBlock, s.querySeq - q0);
    const float *qs = q + b * qst.batch + h * qst.head + q0 * qst.row;
    const float *ks = k + b * kst.batch + kvh * kst.head;
    const float *vs = v + b * vst.batch + kvh * vst.head;
    float *os = out + b * ost.batch + h * ost.head + q0 * ost.row;
    const float *kt =
        transposeK ? kTransposed + (b * s.kvHeads + kvh) * s.headDim * s.keySeq
                   : nullptr;

    thread_local AlignedFloats scoresBuffer, accBuffer;
    float *scores = gemm_detail::scratch(scoresBuffer, kQueryBlock * kKeyBlock);
    float *acc = gemm_detail::scratch(accBuffer, kQueryBlock * s.valueDim);
    std::fill(acc, acc + rows * s.valueDim, 0.0f);
    float runMax[kQueryBlock], runSum[kQueryBlock];
    std::fill(runMax, runMax + kQueryBlock, negInf);
    std::fill(runSum, runSum + kQueryBlock, 0.0f);

    // Keys past the last row's causal limit are never seen by this block.
    int64_t keyEnd =
        s.causal ? std::min(s.keySeq, q0 + rows + offset) : s.keySeq;
    for (int64_t k0 = 0; k0 < keyEnd; k0 += kKeyBlock) {
      int64_t cols = std::min(kKeyBlock, keyEnd - k0);
      // scores = q_block · k_blockᵀ
      if (kt)
        gemm_detail::skinnyRowsDispatch(rows, cols, s.headDim, {qs, qst.row, 1},
                                        {kt + k0, s.keySeq, 1}, scores,
                                        kKeyBlock, false, runSerially);
      else
        gemmF32(rows, cols, s.headDim, {qs, qst.row, 1},
                {ks + k0 * kst.row, 1, kst.row}, scores, kKeyBlock, false);
      for (int64_t i = 0; i < rows; ++i) {
        float *row = scores + i * kKeyBlock;
        int64_t qi = q0 + i;
        // Row i sees the block's keys [0, visible).
        int64_t visible =
            s.causal ? std::clamp<int64_t>(qi + offset - k0 + 1, 0, cols)
                     : cols;
        if (hasMask) {
          for (int64_t j = 0; j < visible; ++j) {
            int64_t at = b * mask.strides[0] + h * mask.strides[1] +
                         qi * mask.strides[2] + (k0 + j) * mask.strides[3];
            float x = row[j] * s.scale;
            if (mask.bias)
              x += mask.bias[at];
            row[j] = mask.keep && !mask.keep[at] ? negInf : x;
          }
        } else {
          for (int64_t j = 0; j < visible; ++j)
            row[j] *= s.scale;
        }
        for (int64_t j = visible; j < cols; ++j)
          row[j] = negInf;
        float newMax = std::max(runMax[i], rowMax(row, cols));
        if (newMax == negInf) { // nothing visible yet in this row
          std::fill(row, row + cols, 0.0f);
          continue;
        }
        // Rescale what was accumulated under the old max.
        float correction = expApprox(runMax[i] - newMax);
        runSum[i] = runSum[i] * correction + expShiftedSum(row, cols, newMax);
        runMax[i] = newMax;
        float *a = acc + i * s.valueDim;
        for (int64_t d = 0; d < s.valueDim; ++d)
          a[d] *= correction;
      }
      // acc += p_block · v_block
      gemmF32(rows, s.valueDim, cols, {scores, kKeyBlock, 1},
              {vs + k0 * vst.row, vst.row, 1}, acc, s.valueDim, true);
    }
    for (int64_t i = 0; i < rows; ++i) {
      float inv = runSum[i] > 0.0f ? 1.0f / runSum[i] : 0.0f;
      for (int64_t d = 0; d < s.valueDim; ++d)
        os[i * ost.row + d] = acc[i * s.valueDim + d] * inv;
    }
  });
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_ATTENTION_H
