//===- Attention.cu - Attention with online softmax -----------------------===//
//
// kestrel.attention on [B, H, S, D] tensors, the semantics of
// kernels/cpu/Attention.h: scores q.k^T * scale (+ a float mask, or
// -inf where an i1 mask is false or a causal query may not look), softmax
// over the keys, times v; a row whose keys are all masked gets zeros.
// Query head h reads kv head h / (H / Hkv) (GQA/MQA in place).
//
// Two kernels; neither ever writes the Sq x Skv scores to memory:
//
// - flashAttentionMma (bf16/f16, head dims 64 and 128, 16 or more queries,
//   sm_80+): FlashAttention-2's scheme on mma.sync tensor cores. A block of
//   four warps takes 64 queries of one head; each warp keeps its 16 rows of
//   q as A fragments in registers for the whole pass. Per tile of 64 keys,
//   cp.async stages k and v in shared memory, S = q.k^T comes from
//   mma.m16n8k16 with k's fragments read by ldmatrix, the scores are
//   scaled, masked and folded into a running (max, sum) per row in f32
//   registers, and P (rounded to T) multiplies v straight from the score
//   registers (the C fragment of two 8-key tiles is the A fragment of one
//   16-key step) with v's fragments from ldmatrix.trans. Causal blocks past
//   the diagonal are skipped; GQA reads the shared kv head in place.
// - attentionKernel (everything else: f32, other head dims, decode-sized
//   query counts): one warp per query row walks the keys four at a time
//   with a running max, sum and output accumulator in f32 registers. Each
//   lane holds dims lane, lane + 32, ... of q and of the output (head dims
//   up to 256).
//
// and decodeAttentionSplitKv for few queries over many keys (below). Which
// one runs is the caller's AttentionImpl (kestrel-select-kernels' choice):
// the chosen kernel where the call meets its conditions, else the next of
// flash, split-KV, generic.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Common.cuh"
#include "kernels/cuda/Mma.cuh"

#include <cmath>
#include <cstring>
#include <type_traits>

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
  /// Batch, head and row strides of q, k, v and out (their layout).
  AttentionStrides qs, ks, vs, os;
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
    const T *qRow = q + b * p.qs.batch + h * p.qs.head + qi * p.qs.row;
    const T *keys = k + b * p.ks.batch + kvh * p.ks.head;
    const T *values = v + b * p.vs.batch + kvh * p.vs.head;
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
          const T *key = keys + j * p.ks.row;
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
          const T *value = values + j * p.vs.row;
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
    T *o = out + b * p.os.batch + h * p.os.head + qi * p.os.row;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      int64_t d = lane + 32 * i;
      if (d < p.valueDim)
        o[d] = fromF32<T>(acc[i] * inv);
    }
  }
}

//===----------------------------------------------------------------------===//
// flashAttentionMma
//===----------------------------------------------------------------------===//

constexpr int kFlashRows = 64; ///< queries per block (16 per warp)
constexpr int kFlashKeys = 64; ///< keys per shared-memory tile
constexpr int kFlashWarps = 4;

/// Two floats rounded to T and packed as one 32-bit fragment register (the
/// lower-numbered element in bits 0-15).
template <typename T>
__device__ __forceinline__ uint32_t packPair(float lo, float hi) {
  T a = fromF32<T>(lo), b = fromF32<T>(hi);
  uint16_t ua, ub;
  memcpy(&ua, &a, 2);
  memcpy(&ub, &b, 2);
  return uint32_t(ua) | (uint32_t(ub) << 16);
}

/// Two consecutive T at `p` as one fragment register.
template <typename T> __device__ __forceinline__ uint32_t loadPair(const T *p) {
  uint32_t r;
  memcpy(&r, p, 4);
  return r;
}

/// Thread mapping: block (query tile, b * H + h), 4 warps; warp w owns
/// query rows m0 + 16w .. m0 + 16w + 15, and in mma fragment terms lane
/// (g = lane >> 2, t = lane & 3) holds rows g and g + 8 of them.
template <typename T, int D>
__global__ void __launch_bounds__(32 * kFlashWarps)
    flashAttentionMma(AttentionParams p, const T *__restrict__ q,
                      const T *__restrict__ k, const T *__restrict__ v,
                      T *__restrict__ out) {
  constexpr int kStride = D + 8; // padded rows: ldmatrix without conflicts
  constexpr int kChunks = kFlashKeys * D / 8; // 16-byte pieces per tile
  __shared__ __align__(16) uint16_t ks[kFlashKeys * kStride];
  __shared__ __align__(16) uint16_t vs[kFlashKeys * kStride];

  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  int g = lane >> 2, t = lane & 3;
  int64_t bh = blockIdx.y, h = bh % p.heads, b = bh / p.heads;
  int64_t kvh = h / (p.heads / p.kvHeads);
  int64_t m0 = int64_t(blockIdx.x) * kFlashRows;
  int64_t rowBase = m0 + warp * 16;
  const T *qHead = q + b * p.qs.batch + h * p.qs.head;
  const T *kHead = k + b * p.ks.batch + kvh * p.ks.head;
  const T *vHead = v + b * p.vs.batch + kvh * p.vs.head;
  const int64_t qRow = p.qs.row;

  // This warp's q rows as A fragments for the D / 16 steps of q.k^T.
  uint32_t qf[D / 16][4];
  int64_t rowLo = rowBase + g, rowHi = rowBase + g + 8;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    int c = kk * 16 + 2 * t;
    qf[kk][0] = rowLo < p.querySeq ? loadPair(qHead + rowLo * qRow + c) : 0u;
    qf[kk][1] = rowHi < p.querySeq ? loadPair(qHead + rowHi * qRow + c) : 0u;
    qf[kk][2] =
        rowLo < p.querySeq ? loadPair(qHead + rowLo * qRow + c + 8) : 0u;
    qf[kk][3] =
        rowHi < p.querySeq ? loadPair(qHead + rowHi * qRow + c + 8) : 0u;
  }

  float acc[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      acc[n][e] = 0.0f;
  float rowMax[2] = {kNegInf, kNegInf}, rowSum[2] = {0.0f, 0.0f};

  // Keys this block may see: all, or up to the last query's diagonal.
  int64_t keyEnd = p.keySeq;
  if (p.causal) {
    int64_t last = m0 + kFlashRows - 1 + p.keySeq - p.querySeq;
    keyEnd = last + 1 < keyEnd ? (last + 1 > 0 ? last + 1 : 0) : keyEnd;
  }
  int64_t maskBase = b * p.maskStride[0] + h * p.maskStride[1];

#pragma unroll 1
  for (int64_t j0 = 0; j0 < keyEnd; j0 += kFlashKeys) {
    // Stage the k and v tiles (rows past the keys are zero-filled).
    for (int c = threadIdx.x; c < kChunks; c += 32 * kFlashWarps) {
      int row = c / (D / 8), col = (c % (D / 8)) * 8;
      int64_t key = j0 + row;
      bool valid = key < p.keySeq;
      int64_t at = valid ? key : 0;
      cpAsync16(ks + row * kStride + col, kHead + at * p.ks.row + col,
                valid ? 16 : 0);
      cpAsync16(vs + row * kStride + col, vHead + at * p.vs.row + col,
                valid ? 16 : 0);
    }
    cpAsyncCommit();
    cpAsyncWait<0>();
    __syncthreads();

    // S = q.k^T for 16 rows x 64 keys: 8 tiles of 8 keys.
    float s[kFlashKeys / 8][4];
#pragma unroll
    for (int n = 0; n < kFlashKeys / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        s[n][e] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
      for (int n = 0; n < kFlashKeys / 8; n += 2) {
        // Matrices: keys n*8.. (d kk*16.., kk*16+8..), keys (n+1)*8.. (same).
        int key = (n + (lane >> 4)) * 8 + (lane & 7);
        int col = kk * 16 + ((lane >> 3) & 1) * 8;
        uint32_t r[4];
        ldmatrixX4(r, ks + key * kStride + col);
        uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
        mmaM16N8K16<T>(s[n], qf[kk], b0, s[n]);
        mmaM16N8K16<T>(s[n + 1], qf[kk], b1, s[n + 1]);
      }

    // Scale, mask, and the running softmax per row (rows g and g + 8;
    // element e of a tile is row g + 8 * (e >> 1), key 2t + (e & 1)).
    float tileMax[2] = {kNegInf, kNegInf};
#pragma unroll
    for (int n = 0; n < kFlashKeys / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        int64_t row = e < 2 ? rowLo : rowHi;
        int64_t key = j0 + n * 8 + 2 * t + (e & 1);
        float x = s[n][e] * p.scale;
        bool visible = key < p.keySeq && row < p.querySeq &&
                       (!p.causal || key <= row + p.keySeq - p.querySeq);
        if (visible && p.maskKind != MaskKind::None) {
          int64_t at = maskBase + row * p.maskStride[2] + key * p.maskStride[3];
          if (p.maskKind == MaskKind::Bias)
            x += loadAsF32(p.mask, p.maskType, at);
          else if (!static_cast<const uint8_t *>(p.mask)[at])
            visible = false;
        }
        x = visible ? x : kNegInf;
        s[n][e] = x;
        tileMax[e >> 1] = fmaxf(tileMax[e >> 1], x);
      }
    float correction[2], base[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      // The four lanes of a group hold one row's 64 keys between them.
      tileMax[r] =
          fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
      tileMax[r] =
          fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
      float newMax = fmaxf(rowMax[r], tileMax[r]);
      // Nothing visible yet: exponents against 0 give exact zeros.
      base[r] = newMax == kNegInf ? 0.0f : newMax;
      correction[r] = expf(rowMax[r] - base[r]);
      rowMax[r] = newMax;
      rowSum[r] *= correction[r];
    }
#pragma unroll
    for (int n = 0; n < D / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        acc[n][e] *= correction[e >> 1];

        // O += P.v, 16 keys per step: tiles 2kk2 and 2kk2 + 1 of P form the A
        // fragment; v's B fragments come transposed from shared memory.
#pragma unroll
    for (int kk2 = 0; kk2 < kFlashKeys / 16; ++kk2) {
      float pr[2][4];
#pragma unroll
      for (int h2 = 0; h2 < 2; ++h2)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          float w = expf(s[2 * kk2 + h2][e] - base[e >> 1]);
          pr[h2][e] = w;
          rowSum[e >> 1] += w;
        }
      uint32_t pa[4] = {
          packPair<T>(pr[0][0], pr[0][1]), packPair<T>(pr[0][2], pr[0][3]),
          packPair<T>(pr[1][0], pr[1][1]), packPair<T>(pr[1][2], pr[1][3])};
#pragma unroll
      for (int n = 0; n < D / 8; n += 2) {
        // Matrices: keys kk2*16.. and kk2*16+8.. of d tile n, then n + 1.
        int key = kk2 * 16 + ((lane >> 3) & 1) * 8 + (lane & 7);
        int col = (n + (lane >> 4)) * 8;
        uint32_t r[4];
        ldmatrixX4Trans(r, vs + key * kStride + col);
        uint32_t b0[2] = {r[0], r[1]}, b1[2] = {r[2], r[3]};
        mmaM16N8K16<T>(acc[n], pa, b0, acc[n]);
        mmaM16N8K16<T>(acc[n + 1], pa, b1, acc[n + 1]);
      }
    }
    __syncthreads(); // every warp is done with this tile before the next
  }

  // Row sums are split over the group's four lanes.
  float inv[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float total = rowSum[r];
    total += __shfl_xor_sync(0xffffffffu, total, 1);
    total += __shfl_xor_sync(0xffffffffu, total, 2);
    inv[r] = total > 0.0f ? 1.0f / total : 0.0f;
  }
  T *oHead = out + b * p.os.batch + h * p.os.head;
#pragma unroll
  for (int n = 0; n < D / 8; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      int64_t row = e < 2 ? rowLo : rowHi;
      if (row < p.querySeq)
        oHead[row * p.os.row + n * 8 + 2 * t + (e & 1)] =
            fromF32<T>(acc[n][e] * inv[e >> 1]);
    }
}

//===----------------------------------------------------------------------===//
// decodeAttentionSplitKv
//===----------------------------------------------------------------------===//

constexpr int kDecodeWarps = 8;
constexpr int kDecodeMaxDim = 128;
constexpr int kDecodePerLane = kDecodeMaxDim / 32;
constexpr int kDecodeMaxGroup = 8;

/// Decode-shaped attention (a few queries against many keys), split over
/// the keys: a block takes one query position of one kv head and all the
/// query heads that share it (GQA: k and v are read once per group, not
/// once per query head); its 8 warps take contiguous eighths of the keys,
/// each keeping a running (max, sum, accumulator) per query head in
/// registers (lane l holds dims l, l + 32, ...), and the block merges the
/// eight partial softmaxes through shared memory at the end.
template <typename T>
__global__ void __launch_bounds__(32 * kDecodeWarps, 1)
    decodeAttentionSplitKv(AttentionParams p, const T *__restrict__ q,
                           const T *__restrict__ k, const T *__restrict__ v,
                           T *__restrict__ out) {
  __shared__ float partMax[kDecodeWarps][kDecodeMaxGroup];
  __shared__ float partSum[kDecodeWarps][kDecodeMaxGroup];
  __shared__ float partAcc[kDecodeWarps][kDecodeMaxGroup][kDecodeMaxDim];

  int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  int64_t qi = blockIdx.x % p.querySeq, bkv = blockIdx.x / p.querySeq;
  int64_t kvh = bkv % p.kvHeads, b = bkv / p.kvHeads;
  int group = int(p.heads / p.kvHeads);
  const T *keys = k + b * p.ks.batch + kvh * p.ks.head;
  const T *values = v + b * p.vs.batch + kvh * p.vs.head;

  float qv[kDecodeMaxGroup][kDecodePerLane],
      acc[kDecodeMaxGroup][kDecodePerLane];
  float rowMax[kDecodeMaxGroup], rowSum[kDecodeMaxGroup];
#pragma unroll
  for (int g = 0; g < kDecodeMaxGroup; ++g) {
    int64_t h = kvh * group + g;
    const T *qRow = q + b * p.qs.batch + h * p.qs.head + qi * p.qs.row;
#pragma unroll
    for (int i = 0; i < kDecodePerLane; ++i) {
      int64_t d = lane + 32 * i;
      qv[g][i] = g < group && d < p.headDim ? toF32(qRow[d]) : 0.0f;
      acc[g][i] = 0.0f;
    }
    rowMax[g] = kNegInf;
    rowSum[g] = 0.0f;
  }
  // Query qi sees keys j <= qi + Skv - Sq (bottom-right aligned).
  int64_t keyEnd = p.keySeq;
  if (p.causal) {
    int64_t last = qi + p.keySeq - p.querySeq;
    keyEnd = last + 1 < keyEnd ? (last + 1 > 0 ? last + 1 : 0) : keyEnd;
  }
  int64_t chunk = (keyEnd + kDecodeWarps - 1) / kDecodeWarps;
  int64_t begin = warp * chunk;
  int64_t end = begin + chunk < keyEnd ? begin + chunk : keyEnd;

  for (int64_t j = begin; j < end; ++j) {
    const T *key = keys + j * p.ks.row;
    float kd[kDecodePerLane];
#pragma unroll
    for (int i = 0; i < kDecodePerLane; ++i) {
      int64_t d = lane + 32 * i;
      kd[i] = d < p.headDim ? toF32(key[d]) : 0.0f;
    }
    float s[kDecodeMaxGroup];
#pragma unroll
    for (int g = 0; g < kDecodeMaxGroup; ++g) {
      s[g] = 0.0f;
#pragma unroll
      for (int i = 0; i < kDecodePerLane; ++i)
        s[g] += qv[g][i] * kd[i];
    }
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
#pragma unroll
      for (int g = 0; g < kDecodeMaxGroup; ++g)
        s[g] += __shfl_xor_sync(0xffffffffu, s[g], offset);
    const T *value = values + j * p.vs.row;
    float vd[kDecodePerLane];
#pragma unroll
    for (int i = 0; i < kDecodePerLane; ++i) {
      int64_t d = lane + 32 * i;
      vd[i] = d < p.valueDim ? toF32(value[d]) : 0.0f;
    }
#pragma unroll
    for (int g = 0; g < kDecodeMaxGroup; ++g) {
      if (g >= group)
        break;
      int64_t h = kvh * group + g;
      float x = s[g] * p.scale;
      if (p.maskKind != MaskKind::None) {
        int64_t at = b * p.maskStride[0] + h * p.maskStride[1] +
                     qi * p.maskStride[2] + j * p.maskStride[3];
        if (p.maskKind == MaskKind::Bias)
          x += loadAsF32(p.mask, p.maskType, at);
        else if (!static_cast<const uint8_t *>(p.mask)[at])
          x = kNegInf;
      }
      float newMax = fmaxf(rowMax[g], x);
      if (newMax == kNegInf) // nothing visible yet
        continue;
      float correction = expf(rowMax[g] - newMax);
      float weight = expf(x - newMax);
      rowSum[g] = rowSum[g] * correction + weight;
#pragma unroll
      for (int i = 0; i < kDecodePerLane; ++i)
        acc[g][i] = acc[g][i] * correction + weight * vd[i];
      rowMax[g] = newMax;
    }
  }

  // Merge the warps' partial softmaxes: warp g combines query head g.
#pragma unroll
  for (int g = 0; g < kDecodeMaxGroup; ++g) {
    if (lane == 0) {
      partMax[warp][g] = rowMax[g];
      partSum[warp][g] = rowSum[g];
    }
#pragma unroll
    for (int i = 0; i < kDecodePerLane; ++i)
      partAcc[warp][g][lane + 32 * i] = acc[g][i];
  }
  __syncthreads();
  if (warp < group) {
    int g = warp;
    float m = kNegInf;
    for (int w = 0; w < kDecodeWarps; ++w)
      m = fmaxf(m, partMax[w][g]);
    float total = 0.0f, o[kDecodePerLane] = {};
    if (m != kNegInf)
      for (int w = 0; w < kDecodeWarps; ++w) {
        float f = expf(partMax[w][g] - m); // 0 for a warp that saw nothing
        total += partSum[w][g] * f;
#pragma unroll
        for (int i = 0; i < kDecodePerLane; ++i)
          o[i] += partAcc[w][g][lane + 32 * i] * f;
      }
    float inv = total > 0.0f ? 1.0f / total : 0.0f;
    int64_t h = kvh * group + g;
    T *oRow = out + b * p.os.batch + h * p.os.head + qi * p.os.row;
#pragma unroll
    for (int i = 0; i < kDecodePerLane; ++i) {
      int64_t d = lane + 32 * i;
      if (d < p.valueDim)
        oRow[d] = fromF32<T>(o[i] * inv);
    }
  }
}

/// Whether decodeAttentionSplitKv takes this problem: few queries (decode),
/// enough keys to split, head dims up to 128 and at most 8 query heads per
/// kv head.
bool decodeEligible(int64_t Sq, int64_t Skv, int64_t D, int64_t Dv,
                    int64_t heads, int64_t kvHeads) {
  return Sq < 16 && Skv >= 2 * kDecodeWarps && D <= kDecodeMaxDim &&
         Dv <= kDecodeMaxDim && heads / kvHeads <= kDecodeMaxGroup;
}

/// Whether flashAttentionMma takes this problem (see the file comment).
bool flashEligible(const Context &ctx, DType dtype, int64_t Sq, int64_t D,
                   int64_t Dv, const void *q, const void *k, const void *v) {
  auto aligned = [](const void *ptr) {
    return reinterpret_cast<uintptr_t>(ptr) % 16 == 0;
  };
  return (dtype == DType::BF16 || dtype == DType::F16) && D == Dv &&
         (D == 64 || D == 128) && Sq >= 16 && ctx.ccMajor >= 8 && aligned(q) &&
         aligned(k) && aligned(v);
}

} // namespace

bool attention(Context &ctx, const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor *mask, float scale, bool causal, int64_t numHeads,
               int64_t numKvHeads, Tensor &out, AttentionImpl impl,
               AttentionLayout layout) {
  if (!checkAttention(ctx, q, k, v, mask, scale, numHeads, numKvHeads, out,
                      layout))
    return false;
  Shape qd = attentionDims(q.shape, layout),
        kd = attentionDims(k.shape, layout),
        vd = attentionDims(v.shape, layout);
  int64_t B = qd[0], Sq = qd[2], D = qd[3];
  int64_t Skv = kd[2], Dv = vd[3];
  AttentionParams p{};
  p.maskKind = MaskKind::None;
  p.maskType = DType::F32;
  if (mask) {
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
  p.qs = attentionStrides(layout, numHeads, Sq, D);
  p.ks = attentionStrides(layout, numKvHeads, Skv, D);
  p.vs = attentionStrides(layout, numKvHeads, Skv, Dv);
  p.os = attentionStrides(layout, numHeads, Sq, Dv);
  if (impl == AttentionImpl::Flash &&
      flashEligible(ctx, q.dtype, Sq, D, Dv, q.data, k.data, v.data)) {
    dim3 grid(unsigned((Sq + kFlashRows - 1) / kFlashRows),
              unsigned(B * numHeads));
    auto launch = [&](auto tag, auto dim) {
      using T = decltype(tag);
      constexpr int kD = decltype(dim)::value;
      KESTREL_LAUNCH(grid, 32 * kFlashWarps, 0, streamOf(ctx),
                     flashAttentionMma<T, kD>)
      (p, q.as<const T>(), k.as<const T>(), v.as<const T>(), out.as<T>());
    };
    using D64 = std::integral_constant<int, 64>;
    using D128 = std::integral_constant<int, 128>;
    if (q.dtype == DType::BF16)
      D == 64 ? launch(bf16{}, D64{}) : launch(bf16{}, D128{});
    else
      D == 64 ? launch(f16{}, D64{}) : launch(f16{}, D128{});
    return checkLaunch(ctx, "attention (flash, mma.sync)");
  }
  if (impl != AttentionImpl::Generic &&
      decodeEligible(Sq, Skv, D, Dv, numHeads, numKvHeads)) {
    unsigned blocks = unsigned(B * numKvHeads * Sq);
    dispatchFloat(q.dtype, [&](auto tag) {
      using T = decltype(tag);
      KESTREL_LAUNCH(blocks, 32 * kDecodeWarps, 0, streamOf(ctx),
                     decodeAttentionSplitKv<T>)
      (p, q.as<const T>(), k.as<const T>(), v.as<const T>(), out.as<T>());
    });
    return checkLaunch(ctx, "attention (split-KV decode)");
  }
  int64_t rows = B * numHeads * Sq;
  unsigned grid = gridFor(rows, kWarpsPerBlock);
  dispatchFloat(q.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(grid, 32 * kWarpsPerBlock, 0, streamOf(ctx),
                   attentionKernel<T>)
    (p, q.as<const T>(), k.as<const T>(), v.as<const T>(), out.as<T>());
  });
  return checkLaunch(ctx, "attention");
}

} // namespace kestrel::cuda
