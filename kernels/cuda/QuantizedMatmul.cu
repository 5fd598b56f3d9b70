//===- QuantizedMatmul.cu - matmul_nbits for the CUDA backend -------------===//
//
// lhs times block-quantized low-bit weights (kernels/common/Quantized.h)
// that stay packed in device memory and are dequantized as they are read:
// decoding (M <= 8) runs a warp per weight row, its lanes reading the row's
// 32-bit words side by side (coalesced; a word never straddles a block, so
// it takes one scale and zero point); larger M runs a tiled CUDA-core GEMM
// whose 16 x 64 tile of W is dequantized into shared memory. Sums are f32.
// gather_nbits dequantizes the rows of a packed table (a quantized
// embedding) a thread per element.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Quantized.h"
#include "kernels/cuda/Common.cuh"

#include <climits>

namespace kestrel::cuda {

namespace {

constexpr int kNBitsGemvMaxM = 8, kNBitsGemvWarps = 8;

// Warp w of block b owns weight row (output column) n = b * 8 + w. Per
// word: sum q * a and the sum of a over its elements for every row of A,
// then acc += scale * (sum q * a - zero point * sum a).
template <typename T, int MAX_M>
__global__ void __launch_bounds__(kNBitsGemvWarps * 32)
    nbitsGemvKernel(const T *__restrict__ a, NBitsWeights q, int m,
                    T *__restrict__ c) {
  const int lane = threadIdx.x & 31;
  const int64_t n = int64_t(blockIdx.x) * kNBitsGemvWarps + (threadIdx.x >> 5);
  if (n >= q.n)
    return;
  const int perWord = 32 / q.bits, mask = (1 << q.bits) - 1;
  const int64_t words = q.rowBytes() / 4;
  const int64_t wordsPerBlock = q.blockSize / perWord;
  const uint32_t *row =
      reinterpret_cast<const uint32_t *>(q.data + n * q.rowBytes());
  float acc[MAX_M];
#pragma unroll
  for (int r = 0; r < MAX_M; ++r)
    acc[r] = 0.0f;
  for (int64_t w = lane; w < words; w += 32) {
    const uint32_t word = __ldg(row + w);
    const int64_t block = w / wordsPerBlock, k0 = w * perWord;
    const float s = q.scale(n, block), z = q.zeroPoint(n, block);
    float dots[MAX_M], sums[MAX_M];
#pragma unroll
    for (int r = 0; r < MAX_M; ++r)
      dots[r] = sums[r] = 0.0f;
    for (int e = 0; e < perWord && k0 + e < q.k; ++e) {
      const float v = float((word >> (e * q.bits)) & uint32_t(mask));
#pragma unroll
      for (int r = 0; r < MAX_M; ++r) {
        if (r < m) {
          const float x = toF32(a[r * q.k + k0 + e]);
          dots[r] += v * x;
          sums[r] += x;
        }
      }
    }
#pragma unroll
    for (int r = 0; r < MAX_M; ++r)
      acc[r] += s * (dots[r] - z * sums[r]);
  }
#pragma unroll
  for (int r = 0; r < MAX_M; ++r) {
    if (r < m) {
      const float sum = warpReduce(acc[r], SumOp{});
      if (lane == 0)
        c[r * q.n + n] = fromF32<T>(sum);
    }
  }
}

constexpr int kNBitsTile = 64, kNBitsK = 16, kNBitsThreads = 256;

// 256 threads own a 64 x 64 tile of C, thread (tx, ty) = (tid % 16, tid /
// 16) rows ty + 16i and columns tx + 16j, as the CUDA-core float GEMM
// (Matmul.cu); per K step the 64 x 16 slice of A and the 16 x 64 slice of
// W, dequantized, are staged in shared memory. Consecutive threads load
// consecutive k of one weight row (the same or adjacent bytes).
template <typename T>
__global__ void __launch_bounds__(kNBitsThreads)
    nbitsGemmKernel(const T *__restrict__ a, NBitsWeights q, int64_t m,
                    T *__restrict__ c) {
  __shared__ float As[kNBitsK][kNBitsTile + 1];
  __shared__ float Ws[kNBitsK][kNBitsTile + 1];
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int64_t tilesN = (q.n + kNBitsTile - 1) / kNBitsTile;
  const int64_t m0 = int64_t(blockIdx.x) / tilesN * kNBitsTile;
  const int64_t n0 = int64_t(blockIdx.x) % tilesN * kNBitsTile;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
      acc[i][j] = 0.0f;
  for (int64_t k0 = 0; k0 < q.k; k0 += kNBitsK) {
#pragma unroll
    for (int p = 0; p < kNBitsTile * kNBitsK / kNBitsThreads; ++p) {
      const int e = tid + p * kNBitsThreads;
      const int kk = e % kNBitsK, rr = e / kNBitsK;
      const int64_t k = k0 + kk, row = m0 + rr, n = n0 + rr;
      As[kk][rr] = row < m && k < q.k ? toF32(a[row * q.k + k]) : 0.0f;
      Ws[kk][rr] = n < q.n && k < q.k ? q.at(n, k) : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kNBitsK; ++kk) {
      float x[4], w[4];
#pragma unroll
      for (int i = 0; i < 4; ++i)
        x[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j)
        w[j] = Ws[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          acc[i][j] += x[i] * w[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t row = m0 + ty + 16 * i;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (row < m && n < q.n)
        c[row * q.n + n] = fromF32<T>(acc[i][j]);
    }
  }
}

/// out[i, h] = W[h][row(i)] (dequantized), row(i) the index at i (from the
/// end when negative); an index out of range raises the device error and
/// leaves its row zero. Thread mapping: one output element per thread per
/// grid-stride step.
template <typename T>
__global__ void
gatherNBitsKernel(NBitsWeights q, const void *__restrict__ indices, bool wide,
                  T *__restrict__ out, int64_t n, int *errorFlag) {
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = e / q.k, h = e % q.k;
    const int64_t index =
        wide ? static_cast<const int64_t *>(indices)[i]
             : int64_t(static_cast<const int32_t *>(indices)[i]);
    const int64_t row = index < 0 ? index + q.n : index;
    if (row < 0 || row >= q.n) {
      if (h == 0)
        raiseError(errorFlag, DeviceError::IndexOutOfRange);
      out[e] = fromF32<T>(0.0f);
      continue;
    }
    out[e] = fromF32<T>(q.at(row, h));
  }
}

} // namespace

bool gatherNBits(Context &ctx, const Tensor &weight, const Tensor &scales,
                 const Tensor *zeroPoints, const Tensor &indices, int64_t bits,
                 int64_t blockSize, int64_t k, Tensor &out) {
  if (!checkGatherNBits(ctx, weight, scales, zeroPoints, indices, bits,
                        blockSize, k, out))
    return false;
  if (out.numel() == 0)
    return true;
  const NBitsWeights q =
      nbitsWeights(weight, scales, zeroPoints, bits, blockSize, k);
  cudaStream_t stream = streamOf(ctx);
  dispatchFloat(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(out.numel(), 256), 256, 0, stream,
                   gatherNBitsKernel<T>)
    (q, indices.data, indices.dtype == DType::I64, out.as<T>(), out.numel(),
     ctx.errorFlag);
  });
  return checkLaunch(ctx, "gather_nbits");
}

bool matmulNBits(Context &ctx, const Tensor &lhs, const Tensor &weight,
                 const Tensor &scales, const Tensor *zeroPoints, int64_t bits,
                 int64_t blockSize, int64_t k, bool /*int8Lhs*/, Tensor &out) {
  if (!checkMatmulNBits(ctx, lhs, weight, scales, zeroPoints, bits, blockSize,
                        k, out))
    return false;
  const NBitsWeights q =
      nbitsWeights(weight, scales, zeroPoints, bits, blockSize, k);
  const int64_t m = lhs.numel() / k;
  if (m == 0 || q.n == 0)
    return true;
  cudaStream_t stream = streamOf(ctx);
  if (m <= kNBitsGemvMaxM) {
    const int64_t blocks = (q.n + kNBitsGemvWarps - 1) / kNBitsGemvWarps;
    if (blocks > INT_MAX)
      return ctx.fail("matmul_nbits: too many weight rows for one launch");
    dispatchFloat(lhs.dtype, [&](auto tag) {
      using T = decltype(tag);
      KESTREL_LAUNCH(unsigned(blocks), kNBitsGemvWarps * 32, 0, stream,
                     nbitsGemvKernel<T, kNBitsGemvMaxM>)
      (lhs.as<const T>(), q, int(m), out.as<T>());
    });
    return checkLaunch(ctx, "matmul_nbits");
  }
  const int64_t tiles = ((m + kNBitsTile - 1) / kNBitsTile) *
                        ((q.n + kNBitsTile - 1) / kNBitsTile);
  if (tiles > INT_MAX)
    return ctx.fail("matmul_nbits: too many GEMM tiles for one launch");
  dispatchFloat(lhs.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(unsigned(tiles), kNBitsThreads, 0, stream,
                   nbitsGemmKernel<T>)
    (lhs.as<const T>(), q, m, out.as<T>());
  });
  return checkLaunch(ctx, "matmul_nbits");
}

} // namespace kestrel::cuda
