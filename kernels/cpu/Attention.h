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

/// out[B, H, Sq, Dv] = softmax(q·kᵀ·scale + mask)·v, every tensor in
/// `s.layout`. A row whose keys are all masked out gets zeros (softmax of
/// nothing).
inline void attentionF32(const AttentionShape &s, const float *q,
                         const float *k, const float *v, float *out,
                         const AttentionMask &mask = {},
                         const ParallelFor &parallel = runSerially) {
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
  parallel(s.batch * s.heads * queryBlocks, [&](int64_t task) {
    int64_t qb = task % queryBlocks, bh = task / queryBlocks;
    int64_t b = bh / s.heads, h = bh % s.heads, kvh = h / group;
    int64_t q0 = qb * kQueryBlock;
    int64_t rows = std::min(kQueryBlock, s.querySeq - q0);
    const float *qs = q + b * qst.batch + h * qst.head + q0 * qst.row;
    const float *ks = k + b * kst.batch + kvh * kst.head;
    const float *vs = v + b * vst.batch + kvh * vst.head;
    float *os = out + b * ost.batch + h * ost.head + q0 * ost.row;

    std::vector<float> scores(kQueryBlock * kKeyBlock);
    std::vector<float> acc(kQueryBlock * s.valueDim, 0.0f);
    float rowMax[kQueryBlock], rowSum[kQueryBlock];
    std::fill(rowMax, rowMax + kQueryBlock, negInf);
    std::fill(rowSum, rowSum + kQueryBlock, 0.0f);

    // Keys past the last row's causal limit are never seen by this block.
    int64_t keyEnd =
        s.causal ? std::min(s.keySeq, q0 + rows + offset) : s.keySeq;
    for (int64_t k0 = 0; k0 < keyEnd; k0 += kKeyBlock) {
      int64_t cols = std::min(kKeyBlock, keyEnd - k0);
      // scores = q_block · k_blockᵀ
      gemmF32(rows, cols, s.headDim, {qs, qst.row, 1},
              {ks + k0 * kst.row, 1, kst.row}, scores.data(), kKeyBlock, false);
      for (int64_t i = 0; i < rows; ++i) {
        float *row = scores.data() + i * kKeyBlock;
        int64_t qi = q0 + i;
        float blockMax = negInf;
        for (int64_t j = 0; j < cols; ++j) {
          int64_t kj = k0 + j;
          float x = row[j] * s.scale;
          int64_t at = b * mask.strides[0] + h * mask.strides[1] +
                       qi * mask.strides[2] + kj * mask.strides[3];
          if (mask.bias)
            x += mask.bias[at];
          if ((mask.keep && !mask.keep[at]) || (s.causal && kj > qi + offset))
            x = negInf;
          row[j] = x;
          blockMax = std::max(blockMax, x);
        }
        float newMax = std::max(rowMax[i], blockMax);
        if (newMax == negInf) { // nothing visible yet in this row
          for (int64_t j = 0; j < cols; ++j)
            row[j] = 0.0f;
          continue;
        }
        // Rescale what was accumulated under the old max.
        float correction = expApprox(rowMax[i] - newMax);
        float sum = 0.0f;
        for (int64_t j = 0; j < cols; ++j) {
          row[j] = expApprox(row[j] - newMax);
          sum += row[j];
        }
        rowSum[i] = rowSum[i] * correction + sum;
        rowMax[i] = newMax;
        float *a = acc.data() + i * s.valueDim;
        for (int64_t d = 0; d < s.valueDim; ++d)
          a[d] *= correction;
      }
      // acc += p_block · v_block
      gemmF32(rows, s.valueDim, cols, {scores.data(), kKeyBlock, 1},
              {vs + k0 * vst.row, vst.row, 1}, acc.data(), s.valueDim, true);
    }
    for (int64_t i = 0; i < rows; ++i) {
      float inv = rowSum[i] > 0.0f ? 1.0f / rowSum[i] : 0.0f;
      for (int64_t d = 0; d < s.valueDim; ++d)
        os[i * ost.row + d] = acc[i * s.valueDim + d] * inv;
    }
  });
}

} // namespace kestrel::cpu

#endif // KESTREL_KERNELS_CPU_ATTENTION_H
