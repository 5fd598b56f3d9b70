//===- Matmul.cu - Batched matmul with a fused epilogue -------------------===//
//
// kestrel::cuda::matmul: the CPU library's checks and shape rules, then the
// implementation the compiler chose (GemmChoice; all on ctx.stream, none
// synchronizing or allocating, so a forward pass can be captured into a
// CUDA graph):
//
//  - MmaSync: the compiler's mma.sync instantiation (Gemm.cuh), bf16/f16,
//    sm_80+;
//  - CublasLt: cuBLASLt for f32/f16/bf16 (the CUDA-core kernel where
//    cuBLASLt has no algorithm for the problem);
//  - Gemv: a memory-bound GEMV-style kernel for M <= 8 (decode), float
//    types; also any call within the choice's gemvMaxM guard;
//  - Simt: a tiled CUDA-core kernel for every type (f8E4M3FN; i64/i32 with
//    wrapping accumulation, whose low bits match the CPU's 64-bit sums).
//
// kestrel.multi_matmul runs one GEMM over its weights packed side by side
// (packMultiWeights) with a split output (GemmArgs::Split): the GEMV,
// CUDA-core and tensor-core epilogues write each part's columns to its own
// output, a glu's interleaved gate and up columns as one; cuBLASLt, which
// cannot, writes the product to stream-ordered scratch that
// splitEpilogueKernel then splits.
//
// Every path applies out = act(alpha * acc + bias[n]) + residual[m, n] and
// rounds once to nearest even, except cuBLASLt with an activation it cannot
// fuse (GELU, SiLU, or ReLU with a residual): its output is rounded to the
// storage type before a follow-up kernel applies the activation and adds
// the residual; and likewise cuBLASLt's product for a split output, which
// splitEpilogueKernel reads as stored.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Gemm.cuh"

#include <cublasLt.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace kestrel::cuda {

using gemm_detail::activate;
using gemm_detail::batchOffsets;
using gemm_detail::storeGlu;
using gemm_detail::storeSplit;
using gemm_detail::stridesMultipleOf;

namespace {

std::string str(int64_t v) { return std::to_string(v); }

Shape leading(const Shape &s, int drop) {
  Shape result;
  result.rank = s.rank - drop;
  for (int d = 0; d < result.rank; ++d)
    result[d] = s[d];
  return result;
}

bool checkEpilogue(Context &ctx, const GemmEpilogue *epilogue,
                   const Tensor &out, int64_t n) {
  if (!epilogue)
    return true;
  if (isIntType(out.dtype) &&
      (epilogue->alpha != 1.0f || epilogue->activation != Activation::None))
    return ctx.fail("matmul: an integer matmul's epilogue takes no alpha or "
                    "activation");
  if (const Tensor *bias = epilogue->bias) {
    if (!checkTensor(ctx, "matmul", "bias", *bias))
      return false;
    if (bias->dtype != out.dtype)
      return ctx.fail(std::string("matmul: bias has dtype ") +
                      dtypeName(bias->dtype) + ", expected " +
                      dtypeName(out.dtype));
    if (bias->shape.rank < 1 || bias->shape[bias->shape.rank - 1] != n ||
        bias->numel() != n)
      return ctx.fail("matmul: bias has shape " + bias->shape.str() +
                      ", expected [" + str(n) + "]");
  }
  if (epilogue->residual && !checkOut(ctx, "matmul", *epilogue->residual,
                                      out.shape, out.dtype, "residual"))
    return false;
  return true;
}

//===----------------------------------------------------------------------===//
// GemmArgs from tensors
//===----------------------------------------------------------------------===//

/// The problem as GemmArgs: batch dims of size 1 dropped, neighbouring
/// batch dims merged where every operand steps through them uniformly, and
/// a batch that only A and C walk densely (B broadcast) folded into M.
GemmArgs makeArgs(const Tensor &lhs, const Tensor &rhs, bool transposeA,
                  bool transposeB, Tensor &out, const GemmEpilogue *epilogue) {
  GemmArgs args;
  const Shape &shape = out.shape;
  int64_t M = shape[shape.rank - 2], N = shape[shape.rank - 1];
  int64_t K = transposeA ? lhs.shape[lhs.shape.rank - 2]
                         : lhs.shape[lhs.shape.rank - 1];
  args.dtype = out.dtype;
  args.a = lhs.data;
  args.b = rhs.data;
  args.c = out.data;
  args.m = M;
  args.n = N;
  args.k = K;
  args.lda = transposeA ? M : K;
  args.ldb = transposeB ? K : N;
  args.ldc = N;
  args.transA = transposeA;
  args.transB = transposeB;
  if (epilogue) {
    args.alpha = epilogue->alpha;
    args.activation = epilogue->activation;
    args.bias = epilogue->bias ? epilogue->bias->data : nullptr;
    args.residual = epilogue->residual ? epilogue->residual->data : nullptr;
  }

  Shape batch = leading(shape, 2);
  Strides sa = broadcastStrides(leading(lhs.shape, 2), batch);
  Strides sb = broadcastStrides(leading(rhs.shape, 2), batch);
  int64_t denseC = M * N;
  int64_t cStride[kMaxRank] = {};
  for (int d = batch.rank - 1; d >= 0; --d) {
    cStride[d] = denseC;
    denseC *= batch[d];
  }
  int rank = 0;
  for (int d = 0; d < batch.rank; ++d) {
    int64_t dim = batch[d];
    if (dim == 1)
      continue;
    int64_t a = sa.stride[d] * M * K, b = sb.stride[d] * K * N, c = cStride[d];
    if (rank > 0 && args.batchStrideA[rank - 1] == a * dim &&
        args.batchStrideB[rank - 1] == b * dim &&
        args.batchStrideC[rank - 1] == c * dim) {
      args.batchDims[rank - 1] *= dim;
    } else {
      args.batchDims[rank] = dim;
      ++rank;
    }
    args.batchStrideA[rank - 1] = a;
    args.batchStrideB[rank - 1] = b;
    args.batchStrideC[rank - 1] = c;
  }
  args.batchRank = rank;
  args.batchCount = 1;
  for (int d = 0; d < rank; ++d)
    args.batchCount *= args.batchDims[d];

  // [batch..., M, K] · [K, N]: one [batch * M, K] · [K, N] product.
  if (rank == 1 && !transposeA && args.batchStrideB[0] == 0 &&
      args.batchStrideA[0] == M * K && args.batchStrideC[0] == M * N) {
    args.m = M * args.batchDims[0];
    args.batchRank = 0;
    args.batchCount = 1;
    args.batchDims[0] = args.batchStrideA[0] = args.batchStrideC[0] = 0;
  }
  return args;
}

/// Grid z for a batch walked with a stride of gridDim.z.
unsigned batchGrid(int64_t count) {
  return unsigned(std::min<int64_t>(std::max<int64_t>(count, 1), 65535));
}

//===----------------------------------------------------------------------===//
// Epilogue per element (CUDA-core kernels)
//===----------------------------------------------------------------------===//

template <typename T>
__device__ __forceinline__ T finishFloat(float acc, const GemmArgs &args,
                                         int col, const T *residual,
                                         int64_t index) {
  float v = args.alpha * acc;
  if (args.bias)
    v += toF32(static_cast<const T *>(args.bias)[col]);
  v = activate(v, args.activation);
  if (residual)
    v += toF32(residual[index]);
  return fromF32<T>(v);
}

template <typename T, bool IsInt = std::is_integral_v<T>> struct Accum {
  using type = float;
  static __device__ __forceinline__ float load(const T *p) { return toF32(*p); }
  static __device__ __forceinline__ T finish(float acc, const GemmArgs &args,
                                             int col, const T *residual,
                                             int64_t index) {
    return finishFloat<T>(acc, args, col, residual, index);
  }
};
/// Integers accumulate in wrapping unsigned arithmetic of T's width: the
/// low bits of the CPU library's 64-bit sums, which is all T keeps.
template <typename T> struct Accum<T, true> {
  using type = std::make_unsigned_t<T>;
  static __device__ __forceinline__ type load(const T *p) { return type(*p); }
  static __device__ __forceinline__ T finish(type acc, const GemmArgs &args,
                                             int col, const T *residual,
                                             int64_t index) {
    if (args.bias)
      acc += type(static_cast<const T *>(args.bias)[col]);
    if (residual)
      acc += type(residual[index]);
    return T(acc);
  }
};

//===----------------------------------------------------------------------===//
// Tiled CUDA-core kernel
//===----------------------------------------------------------------------===//

constexpr int kSimtTile = 64, kSimtK = 16, kSimtThreads = 256;

// 256 threads own a 64x64 tile of C; thread (tx, ty) = (tid % 16, tid / 16)
// owns rows ty + 16i and columns tx + 16j (i, j < 4), so a warp reads one
// or two broadcast A values and 16 consecutive B values per k. The A and B
// tiles are staged in shared memory converted to the accumulator type;
// loads walk the operand's contiguous dimension across threads. The grid is
// (tilesM * tilesN, 1, batch) as for the mma kernel (without grouping).
template <typename T>
__global__ void __launch_bounds__(kSimtThreads)
    gemmSimtKernel(const __grid_constant__ GemmArgs args) {
  using Acc = typename Accum<T>::type;
  __shared__ Acc As[kSimtK][kSimtTile + 1];
  __shared__ Acc Bs[kSimtK][kSimtTile];

  const int M = int(args.m), N = int(args.n), K = int(args.k);
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int tilesN = (N + kSimtTile - 1) / kSimtTile;
  const int m0 = int(blockIdx.x / tilesN) * kSimtTile;
  const int n0 = int(blockIdx.x % tilesN) * kSimtTile;
  const int64_t sAm = args.transA ? 1 : args.lda;
  const int64_t sAk = args.transA ? args.lda : 1;
  const int64_t sBk = args.transB ? 1 : args.ldb;
  const int64_t sBn = args.transB ? args.ldb : 1;

  for (int64_t z = blockIdx.z; z < args.batchCount; z += gridDim.z) {
    int64_t offA, offB, offC;
    batchOffsets(args, z, offA, offB, offC);
    const T *A = static_cast<const T *>(args.a) + offA;
    const T *B = static_cast<const T *>(args.b) + offB;

    Acc acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        acc[i][j] = Acc(0);

    for (int k0 = 0; k0 < K; k0 += kSimtK) {
#pragma unroll
      for (int q = 0; q < kSimtTile * kSimtK / kSimtThreads; ++q) {
        const int e = tid + q * kSimtThreads;
        int mm, ka;
        if (args.transA)
          mm = e % kSimtTile, ka = e / kSimtTile;
        else
          ka = e % kSimtK, mm = e / kSimtK;
        const int m = m0 + mm, ga = k0 + ka;
        As[ka][mm] =
            m < M && ga < K ? Accum<T>::load(A + m * sAm + ga * sAk) : Acc(0);
        int nn, kb;
        if (args.transB)
          kb = e % kSimtK, nn = e / kSimtK;
        else
          nn = e % kSimtTile, kb = e / kSimtTile;
        const int n = n0 + nn, gb = k0 + kb;
        Bs[kb][nn] =
            n < N && gb < K ? Accum<T>::load(B + gb * sBk + n * sBn) : Acc(0);
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < kSimtK; ++kk) {
        Acc a[4], b[4];
#pragma unroll
        for (int i = 0; i < 4; ++i)
          a[i] = As[kk][ty + 16 * i];
#pragma unroll
        for (int j = 0; j < 4; ++j)
          b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j)
            acc[i][j] += a[i] * b[j];
      }
      __syncthreads();
    }

    if constexpr (!std::is_integral_v<T>) {
      if (args.split.numParts > 0) {
        // Columns n and n ^ 1 (a glu's gate and up) are lanes tx and tx ^ 1
        // of the same row; the warp is converged here.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int m = m0 + ty + 16 * i;
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            const int n = n0 + tx + 16 * j;
            if (args.split.glu) {
              float up = __shfl_xor_sync(0xffffffffu, acc[i][j], 1);
              if (!(tx & 1) && m < M && n < N)
                storeGlu<T>(args, m, n >> 1, acc[i][j], up);
            } else if (m < M && n < N) {
              storeSplit<T>(args, m, n, acc[i][j]);
            }
          }
        }
        continue;
      }
    }
    T *C = static_cast<T *>(args.c) + offC;
    const T *R =
        args.residual ? static_cast<const T *>(args.residual) + offC : nullptr;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int m = m0 + ty + 16 * i;
      if (m >= M)
        continue;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int n = n0 + tx + 16 * j;
        if (n < N) {
          const int64_t index = int64_t(m) * args.ldc + n;
          C[index] = Accum<T>::finish(acc[i][j], args, n, R, index);
        }
      }
    }
  }
}

template <typename T> bool launchSimt(Context &ctx, const GemmArgs &args) {
  int64_t tiles = ((args.m + kSimtTile - 1) / kSimtTile) *
                  ((args.n + kSimtTile - 1) / kSimtTile);
  if (tiles > INT_MAX)
    return ctx.fail("matmul: too many GEMM tiles for one launch");
  KESTREL_LAUNCH(dim3(unsigned(tiles), 1, batchGrid(args.batchCount)),
                 kSimtThreads, 0, streamOf(ctx), gemmSimtKernel<T>)
  (args);
  return checkLaunch(ctx, "matmul");
}

//===----------------------------------------------------------------------===//
// Decode GEMV kernels (M <= 8)
//===----------------------------------------------------------------------===//

// The GEMV kernels declare a minimum of one block per SM: without it ptxas
// trims the 8-row variants to an occupancy step (128 or 80 registers) with
// a few bytes of spills.
constexpr int kGemvMaxM = 8, kGemvThreads = 256, kGemvWarps = 8;

template <int Bytes> struct VecWord;
template <> struct VecWord<16> { using type = uint4; };
template <> struct VecWord<8> { using type = uint2; };
template <> struct VecWord<4> { using type = unsigned int; };
template <> struct VecWord<2> { using type = unsigned short; };
template <> struct VecWord<1> { using type = unsigned char; };

/// VEC consecutive elements at p (aligned to VEC * sizeof(T)) as f32.
template <typename T, int VEC>
__device__ __forceinline__ void loadVec(float out[VEC], const T *p) {
  using Word = typename VecWord<int(sizeof(T)) * VEC>::type;
  Word word = __ldg(reinterpret_cast<const Word *>(p));
  T elems[VEC];
  memcpy(elems, &word, sizeof(word));
#pragma unroll
  for (int v = 0; v < VEC; ++v)
    out[v] = toF32(elems[v]);
}

/// Elements per vector load: 16 bytes, at most 8 elements.
template <typename T> constexpr int gemvVec() {
  return int(16 / sizeof(T)) < 8 ? int(16 / sizeof(T)) : 8;
}

// B stored K x N (rows contiguous along N). A block owns 32 columns of C:
// kCX = 32 / VEC threads side by side read VEC columns each (one vector),
// and kKY = 256 / kCX slices of K go down the rows, so every B row segment
// is read once, coalesced. Partial sums are reduced across the slices of a
// warp by shuffles and across warps in shared memory; thread (m, c) then
// finishes C[m, n0 + c]. A (at most MAX_M <= 8 rows) is read through L1.
template <typename T, int VEC, int MAX_M>
__global__ void __launch_bounds__(kGemvThreads, 1)
    gemvKnKernel(const __grid_constant__ GemmArgs args) {
  constexpr int kCols = 32, kCX = kCols / VEC, kKY = kGemvThreads / kCX;
  constexpr int kUnroll = MAX_M * VEC > 16 ? 2 : 4; // loads in flight
  __shared__ float partial[kGemvWarps][MAX_M][kCols];

  const int M = int(args.m), N = int(args.n), K = int(args.k);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int tx = tid % kCX, ky = tid / kCX;
  const int n0 = int(blockIdx.x) * kCols, col = n0 + tx * VEC;
  const int64_t sAm = args.transA ? 1 : args.lda;
  const int64_t sAk = args.transA ? args.lda : 1;

  for (int64_t z = blockIdx.z; z < args.batchCount; z += gridDim.z) {
    int64_t offA, offB, offC;
    batchOffsets(args, z, offA, offB, offC);
    const T *A = static_cast<const T *>(args.a) + offA;
    const T *B = static_cast<const T *>(args.b) + offB;

    float acc[MAX_M][VEC];
#pragma unroll
    for (int m = 0; m < MAX_M; ++m)
#pragma unroll
      for (int v = 0; v < VEC; ++v)
        acc[m][v] = 0.0f;
    if (col < N) { // VEC > 1 only when N % VEC == 0: the vector is inside
#pragma unroll kUnroll
      for (int k = ky; k < K; k += kKY) {
        float b[VEC];
        loadVec<T, VEC>(b, B + int64_t(k) * args.ldb + col);
#pragma unroll
        for (int m = 0; m < MAX_M; ++m) {
          if (m < M) {
            float a = toF32(A[m * sAm + k * sAk]);
#pragma unroll
            for (int v = 0; v < VEC; ++v)
              acc[m][v] += a * b[v];
          }
        }
      }
    }
    // Lanes tx, tx + kCX, ... of a warp hold the same columns.
#pragma unroll
    for (int m = 0; m < MAX_M; ++m) {
      if (m < M) {
#pragma unroll
        for (int offset = kCX; offset < 32; offset <<= 1)
#pragma unroll
          for (int v = 0; v < VEC; ++v)
            acc[m][v] += __shfl_xor_sync(0xffffffffu, acc[m][v], offset);
        if (lane < kCX)
#pragma unroll
          for (int v = 0; v < VEC; ++v)
            partial[warp][m][tx * VEC + v] = acc[m][v];
      }
    }
    __syncthreads();
    const int m = tid / kCols, c = tid % kCols, n = n0 + c;
    if (args.split.numParts > 0) {
      // Warp m finishes row m (kCols is a warp): a glu's gate and up
      // columns are lanes c and c ^ 1.
      if (m < M) {
        float sum = 0.0f;
#pragma unroll
        for (int w = 0; w < kGemvWarps; ++w)
          sum += partial[w][m][c];
        if (args.split.glu) {
          float up = __shfl_xor_sync(0xffffffffu, sum, 1);
          if (!(c & 1) && n < N)
            storeGlu<T>(args, m, n >> 1, sum, up);
        } else if (n < N) {
          storeSplit<T>(args, m, n, sum);
        }
      }
    } else if (m < M && n < N) {
      float sum = 0.0f;
#pragma unroll
      for (int w = 0; w < kGemvWarps; ++w)
        sum += partial[w][m][c];
      T *C = static_cast<T *>(args.c) + offC;
      const T *R = args.residual ? static_cast<const T *>(args.residual) + offC
                                 : nullptr;
      const int64_t index = int64_t(m) * args.ldc + n;
      C[index] = finishFloat<T>(sum, args, n, R, index);
    }
    __syncthreads(); // partial is rewritten for the next batch entry
  }
}

// B stored N x K (rows contiguous along K). Warp w of a block owns column
// n = blockIdx.x * 8 + w: its lanes stride along K, VEC elements at a
// time, dotting the B row with each of the (at most 8) rows of A; a warp
// reduction and lane m's epilogue finish C[m, n].
template <typename T, int VEC, int MAX_M>
__global__ void __launch_bounds__(kGemvThreads, 1)
    gemvNkKernel(const __grid_constant__ GemmArgs args) {
  const int M = int(args.m), N = int(args.n), K = int(args.k);
  const int lane = threadIdx.x & 31;
  const int warp = int(threadIdx.x >> 5);
  const int n = int(blockIdx.x) * kGemvWarps + warp;
  // A glu's gate and up columns (n even and n + 1) are warps w and w + 1,
  // which meet at a barrier; otherwise there is none.
  const bool glu = args.split.numParts > 0 && args.split.glu;
  const bool active = n < N;
  if (!active && !glu)
    return; // whole warps
  __shared__ float upSums[kGemvWarps][MAX_M];
  const int64_t sAm = args.transA ? 1 : args.lda;
  const int64_t sAk = args.transA ? args.lda : 1;

  for (int64_t z = blockIdx.z; z < args.batchCount; z += gridDim.z) {
    int64_t offA, offB, offC;
    batchOffsets(args, z, offA, offB, offC);
    const T *A = static_cast<const T *>(args.a) + offA;
    const T *Brow = static_cast<const T *>(args.b) + offB + n * args.ldb;

    float acc[MAX_M];
#pragma unroll
    for (int m = 0; m < MAX_M; ++m)
      acc[m] = 0.0f;
#pragma unroll 2
    for (int k = active ? lane * VEC : K; k < K; k += 32 * VEC) {
      float b[VEC];
      loadVec<T, VEC>(b, Brow + k);
#pragma unroll
      for (int m = 0; m < MAX_M; ++m) {
        if (m < M) {
          float a[VEC];
          if constexpr (VEC > 1) // A is then row-major with K % VEC == 0
            loadVec<T, VEC>(a, A + m * sAm + k);
          else
            a[0] = toF32(A[m * sAm + k * sAk]);
#pragma unroll
          for (int v = 0; v < VEC; ++v)
            acc[m] += a[v] * b[v];
        }
      }
    }
    if (glu) {
      // The up warps publish their sums, the gate warps finish.
      if (active && (warp & 1)) {
#pragma unroll
        for (int m = 0; m < MAX_M; ++m) {
          if (m < M) {
            float sum = warpReduce(acc[m], SumOp{});
            if (lane == m)
              upSums[warp][m] = sum;
          }
        }
      }
      __syncthreads();
      if (active && !(warp & 1)) {
#pragma unroll
        for (int m = 0; m < MAX_M; ++m) {
          if (m < M) {
            float sum = warpReduce(acc[m], SumOp{});
            if (lane == m)
              storeGlu<T>(args, m, n >> 1, sum, upSums[warp + 1][m]);
          }
        }
      }
      __syncthreads(); // upSums is rewritten for the next batch entry
      continue;
    }
    T *C = static_cast<T *>(args.c) + offC;
    const T *R =
        args.residual ? static_cast<const T *>(args.residual) + offC : nullptr;
#pragma unroll
    for (int m = 0; m < MAX_M; ++m) {
      if (m < M) {
        float sum = warpReduce(acc[m], SumOp{});
        if (lane == m) {
          if (args.split.numParts > 0) {
            storeSplit<T>(args, m, n, sum);
          } else {
            const int64_t index = int64_t(m) * args.ldc + n;
            C[index] = finishFloat<T>(sum, args, n, R, index);
          }
        }
      }
    }
  }
}

template <typename T, int MAX_M>
bool launchGemvRows(Context &ctx, const GemmArgs &args) {
  constexpr int kVec = gemvVec<T>();
  const size_t vecBytes = sizeof(T) * kVec;
  dim3 block(kGemvThreads);
  unsigned z = batchGrid(args.batchCount);
  if (!args.transB) {
    bool vec = isAligned(args.b, vecBytes) && args.ldb % kVec == 0 &&
               args.n % kVec == 0 &&
               stridesMultipleOf(args, args.batchStrideB, kVec);
    dim3 grid(unsigned((args.n + 31) / 32), 1, z);
    if (vec)
      KESTREL_LAUNCH(grid, block, 0, streamOf(ctx),
                     gemvKnKernel<T, kVec, MAX_M>)
    (args);
    else KESTREL_LAUNCH(grid, block, 0, streamOf(ctx),
                        gemvKnKernel<T, 1, MAX_M>)(args);
  } else {
    bool vec = !args.transA && args.k % kVec == 0 &&
               isAligned(args.b, vecBytes) && args.ldb % kVec == 0 &&
               stridesMultipleOf(args, args.batchStrideB, kVec) &&
               isAligned(args.a, vecBytes) && args.lda % kVec == 0 &&
               stridesMultipleOf(args, args.batchStrideA, kVec);
    dim3 grid(unsigned((args.n + kGemvWarps - 1) / kGemvWarps), 1, z);
    if (vec)
      KESTREL_LAUNCH(grid, block, 0, streamOf(ctx),
                     gemvNkKernel<T, kVec, MAX_M>)
    (args);
    else KESTREL_LAUNCH(grid, block, 0, streamOf(ctx),
                        gemvNkKernel<T, 1, MAX_M>)(args);
  }
  return checkLaunch(ctx, "matmul");
}

/// Single-row decode gets its own kernels: no registers held for rows
/// that do not exist.
template <typename T> bool launchGemv(Context &ctx, const GemmArgs &args) {
  return args.m == 1 ? launchGemvRows<T, 1>(ctx, args)
                     : launchGemvRows<T, kGemvMaxM>(ctx, args);
}

//===----------------------------------------------------------------------===//
// cuBLASLt
//===----------------------------------------------------------------------===//

/// out = act(out) + residual over `count` dense elements: the part of the
/// epilogue cuBLASLt could not fuse.
template <typename T>
__global__ void activationResidualKernel(T *out, const T *residual,
                                         Activation act, int64_t count) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    float v = activate(toF32(out[i]), act);
    if (residual)
      v += toF32(residual[i]);
    out[i] = fromF32<T>(v);
  }
}

/// The largest power of two (at most 256) dividing the address and every
/// byte offset added to it.
uint32_t alignmentOf(const void *p, std::initializer_list<int64_t> offsets) {
  uint64_t bits = reinterpret_cast<uintptr_t>(p);
  for (int64_t o : offsets)
    bits |= uint64_t(o);
  uint32_t align = 1;
  while (align < 256 && !(bits & align))
    align <<= 1;
  return align;
}

/// The heuristic's pick per problem, so that a steady-state (or captured)
/// call skips cublasLtMatmulAlgoGetHeuristic. Shared by all threads.
struct LtKey {
  void *handle;
  int64_t dims[12];
  uint32_t align[4];
  int32_t flags[6];
  uint64_t workspace;
};
// Compared with memcmp: no padding bytes.
static_assert(sizeof(LtKey) == 8 + 12 * 8 + 4 * 4 + 6 * 4 + 8);
struct LtCache {
  std::mutex mutex;
  std::vector<std::pair<LtKey, cublasLtMatmulAlgo_t>> entries;
};
LtCache &ltCache() {
  static LtCache cache;
  return cache;
}

/// Frees the cuBLASLt descriptors of one call.
struct LtDescriptors {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t x = nullptr, y = nullptr, d = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~LtDescriptors() {
    if (pref)
      cublasLtMatmulPreferenceDestroy(pref);
    if (d)
      cublasLtMatrixLayoutDestroy(d);
    if (y)
      cublasLtMatrixLayoutDestroy(y);
    if (x)
      cublasLtMatrixLayoutDestroy(x);
    if (op)
      cublasLtMatmulDescDestroy(op);
  }
};

/// Runs `args` (C dense) through cuBLASLt. `handled` is false, with nothing
/// launched, when cuBLASLt cannot take the problem (no handle, dimensions
/// past int32, a descriptor it refuses, no algorithm, a residual that
/// aliases C and must be added after the activation); the caller then uses
/// its own kernels.
template <typename T>
bool runCublasLt(Context &ctx, const GemmArgs &args, bool &handled) {
  handled = false;
  auto handle = static_cast<cublasLtHandle_t>(ctx.cublasLt);
  if (!handle)
    return false;
  cudaDataType_t type = std::is_same_v<T, float> ? CUDA_R_32F
                        : std::is_same_v<T, f16> ? CUDA_R_16F
                                                 : CUDA_R_16BF;
  const int64_t M = args.m, N = args.n, K = args.k;
  if (M > INT_MAX || N > INT_MAX || K > INT_MAX || args.lda > INT_MAX ||
      args.ldb > INT_MAX || args.ldc > INT_MAX)
    return false;

  // cuBLASLt applies bias and ReLU itself; a residual without an
  // activation is its C operand (beta = 1).
  const bool fusedAct = args.activation == Activation::None ||
                        (args.activation == Activation::Relu && !args.residual);
  const bool residualAsC = args.residual && args.activation == Activation::None;
  const bool followUp = !fusedAct;
  if (followUp && args.residual == args.c)
    return false;
  cublasLtEpilogue_t epilogue;
  if (args.activation == Activation::Relu && fusedAct)
    epilogue = args.bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  else
    epilogue = args.bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;

  // The innermost batch dim is strided-batched when both operands step
  // through it; other batch dims are a loop of calls.
  const int rank = args.batchRank;
  const bool innerBatched = rank > 0 && args.batchStrideA[rank - 1] != 0 &&
                            args.batchStrideB[rank - 1] != 0;
  const int64_t inner = innerBatched ? args.batchDims[rank - 1] : 1;
  const int outerRank = innerBatched ? rank - 1 : rank;
  const int64_t outerCount = args.batchCount / inner;
  if (inner > INT_MAX)
    return false;

  // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: cuBLASLt's first operand
  // ("X") is our B, its second ("Y") our A, D is N x M with ld = ldc.
  LtDescriptors lt;
  if (cublasLtMatmulDescCreate(&lt.op, CUBLAS_COMPUTE_32F, CUDA_R_32F) !=
      CUBLAS_STATUS_SUCCESS)
    return false;
  cublasOperation_t opX = args.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opY = args.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(lt.op, CUBLASLT_MATMUL_DESC_TRANSA, &opX,
                                 sizeof(opX));
  cublasLtMatmulDescSetAttribute(lt.op, CUBLASLT_MATMUL_DESC_TRANSB, &opY,
                                 sizeof(opY));
  cublasLtMatmulDescSetAttribute(lt.op, CUBLASLT_MATMUL_DESC_EPILOGUE,
                                 &epilogue, sizeof(epilogue));
  if (args.bias)
    cublasLtMatmulDescSetAttribute(lt.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                   &args.bias, sizeof(args.bias));

  auto layout = [&](cublasLtMatrixLayout_t &l, int64_t rows, int64_t cols,
                    int64_t ld, int64_t batchStride) {
    cublasStatus_t s = cublasLtMatrixLayoutCreate(&l, type, uint64_t(rows),
                                                  uint64_t(cols), ld);
    if (s == CUBLAS_STATUS_SUCCESS && inner > 1) {
      int32_t count = int32_t(inner);
      cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT,
                                       &count, sizeof(count));
      cublasLtMatrixLayoutSetAttribute(
          l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &batchStride,
          sizeof(batchStride));
    }
    return s;
  };
  const int64_t sa = innerBatched ? args.batchStrideA[rank - 1] : 0;
  const int64_t sb = innerBatched ? args.batchStrideB[rank - 1] : 0;
  const int64_t sc = innerBatched ? args.batchStrideC[rank - 1] : 0;
  if (layout(lt.x, args.transB ? K : N, args.transB ? N : K, args.ldb, sb) !=
          CUBLAS_STATUS_SUCCESS ||
      layout(lt.y, args.transA ? M : K, args.transA ? K : M, args.lda, sa) !=
          CUBLAS_STATUS_SUCCESS ||
      layout(lt.d, N, M, args.ldc, sc) != CUBLAS_STATUS_SUCCESS)
    return false;

  // Alignment of every pointer the calls will pass.
  const int64_t es = int64_t(sizeof(T));
  auto stridesBytes = [&](const int64_t *strides) {
    int64_t bits = 0;
    for (int d = 0; d < rank; ++d)
      bits |= strides[d] * es;
    return bits;
  };
  const uint32_t alignA =
      alignmentOf(args.a, {stridesBytes(args.batchStrideA)});
  const uint32_t alignB =
      alignmentOf(args.b, {stridesBytes(args.batchStrideB)});
  const uint32_t alignC =
      alignmentOf(args.c, {stridesBytes(args.batchStrideC)});
  const uint32_t alignR =
      residualAsC
          ? alignmentOf(args.residual, {stridesBytes(args.batchStrideC)})
          : alignC;
  const uint64_t workspace = ctx.workspace ? uint64_t(ctx.workspaceBytes) : 0;

  LtKey key;
  std::memset(&key, 0, sizeof(key));
  key.handle = handle;
  int64_t dims[12] = {
      M,     N,  K,  args.lda, args.ldb,      args.ldc,
      inner, sa, sb, sc,       int64_t(type), args.bias != nullptr};
  std::memcpy(key.dims, dims, sizeof(dims));
  key.align[0] = alignA;
  key.align[1] = alignB;
  key.align[2] = alignR;
  key.align[3] = alignC;
  key.flags[0] = args.transA;
  key.flags[1] = args.transB;
  key.flags[2] = int32_t(epilogue);
  key.flags[3] = residualAsC;
  key.flags[4] = args.bias ? int32_t(alignmentOf(args.bias, {})) : 0;
  key.workspace = workspace;

  cublasLtMatmulAlgo_t algo;
  bool cached = false;
  {
    LtCache &cache = ltCache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    for (auto &entry : cache.entries)
      if (std::memcmp(&entry.first, &key, sizeof(key)) == 0) {
        algo = entry.second;
        cached = true;
        break;
      }
  }
  if (!cached) {
    if (cublasLtMatmulPreferenceCreate(&lt.pref) != CUBLAS_STATUS_SUCCESS)
      return false;
    cublasLtMatmulPreferenceSetAttribute(
        lt.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
        sizeof(workspace));
    // X is our B, Y our A.
    cublasLtMatmulPreferenceSetAttribute(
        lt.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &alignB,
        sizeof(alignB));
    cublasLtMatmulPreferenceSetAttribute(
        lt.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &alignA,
        sizeof(alignA));
    cublasLtMatmulPreferenceSetAttribute(
        lt.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &alignR,
        sizeof(alignR));
    cublasLtMatmulPreferenceSetAttribute(
        lt.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &alignC,
        sizeof(alignC));
    cublasLtMatmulHeuristicResult_t result;
    int found = 0;
    if (cublasLtMatmulAlgoGetHeuristic(handle, lt.op, lt.x, lt.y, lt.d, lt.d,
                                       lt.pref, 1, &result,
                                       &found) != CUBLAS_STATUS_SUCCESS ||
        found == 0)
      return false; // not handled: the library's kernels take it
    algo = result.algo;
    LtCache &cache = ltCache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.entries.size() >= 256)
      cache.entries.erase(cache.entries.begin());
    cache.entries.emplace_back(key, algo);
  }

  handled = true;
  const float alpha = args.alpha, beta = residualAsC ? 1.0f : 0.0f;
  for (int64_t o = 0; o < outerCount; ++o) {
    int64_t offA = 0, offB = 0, offC = 0, rest = o;
    for (int d = outerRank - 1; d >= 0; --d) {
      int64_t i = rest % args.batchDims[d];
      rest /= args.batchDims[d];
      offA += i * args.batchStrideA[d];
      offB += i * args.batchStrideB[d];
      offC += i * args.batchStrideC[d];
    }
    const T *a = static_cast<const T *>(args.a) + offA;
    const T *b = static_cast<const T *>(args.b) + offB;
    T *c = static_cast<T *>(args.c) + offC;
    const T *cIn =
        residualAsC ? static_cast<const T *>(args.residual) + offC : c;
    cublasStatus_t status = cublasLtMatmul(
        handle, lt.op, &alpha, b, lt.x, a, lt.y, &beta, cIn, lt.d, c, lt.d,
        &algo, ctx.workspace, size_t(workspace), streamOf(ctx));
    if (status != CUBLAS_STATUS_SUCCESS)
      return ctx.fail(std::string("matmul: cublasLtMatmul failed (") +
                      cublasLtGetStatusString(status) + ")");
  }
  if (!checkLaunch(ctx, "matmul"))
    return false;
  if (followUp) {
    const int64_t count = args.batchCount * M * N;
    KESTREL_LAUNCH(gridFor(count, 256), 256, 0, streamOf(ctx),
                   activationResidualKernel<T>)
    (static_cast<T *>(args.c), static_cast<const T *>(args.residual),
     args.activation, count);
    return checkLaunch(ctx, "matmul");
  }
  return true;
}

/// A split output's epilogue over a product cuBLASLt wrote densely
/// ([args.m, args.n], rounded to T): one thread per output element.
template <typename T>
__global__ void splitEpilogueKernel(const __grid_constant__ GemmArgs args,
                                    const T *product) {
  const int64_t cols = args.split.glu ? args.n / 2 : args.n;
  const int64_t count = args.m * cols;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / cols;
    const int col = int(i - row * cols);
    const T *p = product + row * args.n;
    if (args.split.glu)
      storeGlu<T>(args, row, col, toF32(p[2 * col]), toF32(p[2 * col + 1]));
    else
      storeSplit<T>(args, row, col, toF32(p[col]));
  }
}

/// The implementation that runs `args` under `choice`: the GEMV guard
/// sends few rows known only at run time to the GEMV kernels.
GemmImpl resolvedImpl(const GemmArgs &args, const GemmChoice &choice) {
  if (isFloatType(args.dtype) && args.m <= choice.gemvMaxM)
    return GemmImpl::Gemv;
  return choice.impl;
}

/// Launches `args` (checked, not empty) with `choice`. A split output
/// (GemmArgs::Split) runs on Kestrel's kernels only: the caller handles
/// cuBLASLt.
bool runGemm(Context &ctx, const GemmArgs &args, const GemmChoice &choice) {
  const DType dtype = args.dtype;
  const bool halfType = dtype == DType::BF16 || dtype == DType::F16;
  const bool floatType = isFloatType(dtype);
  static_assert(kGemvMaxRows == kGemvMaxM);
  if (choice.gemvMaxM < 0 || choice.gemvMaxM > kGemvMaxM)
    return ctx.fail("matmul: the GEMV guard takes at most " + str(kGemvMaxM) +
                    " rows, not " + str(choice.gemvMaxM));
  GemmImpl impl = resolvedImpl(args, choice);
  if (impl == GemmImpl::CublasLt && args.split.numParts > 0)
    return ctx.fail("matmul: cuBLASLt cannot write a split output");

  bool ok = false;
  switch (impl) {
  case GemmImpl::MmaSync:
    if (!choice.mma)
      return ctx.fail("matmul: the tensor-core GEMM was chosen without its "
                      "kernel instantiation");
    if (!halfType)
      return ctx.fail(std::string("matmul: the tensor-core GEMM takes "
                                  "bf16/f16, not ") +
                      dtypeName(dtype));
    if (ctx.ccMajor < 8)
      return ctx.fail("matmul: the tensor-core GEMM needs sm_80 or newer; "
                      "this device is sm_" +
                      str(ctx.ccMajor) + str(ctx.ccMinor));
    return choice.mma(ctx, args);
  case GemmImpl::CublasLt: {
    if (!(halfType || dtype == DType::F32))
      return ctx.fail(std::string("matmul: cuBLASLt takes f32/bf16/f16, not ") +
                      dtypeName(dtype));
    if (args.k > 0) {
      bool handled = false;
      if (dtype == DType::F32)
        ok = runCublasLt<float>(ctx, args, handled);
      else if (dtype == DType::F16)
        ok = runCublasLt<f16>(ctx, args, handled);
      else
        ok = runCublasLt<bf16>(ctx, args, handled);
      if (handled)
        return ok;
    }
    break; // no cuBLASLt algorithm (or K = 0): the CUDA-core kernel
  }
  case GemmImpl::Gemv: {
    if (!floatType || args.m > kGemvMaxM)
      return ctx.fail(std::string("matmul: the GEMV kernels take float types "
                                  "and at most ") +
                      str(kGemvMaxM) + " rows, not " + dtypeName(dtype) +
                      " with " + str(args.m));
    auto gemv = [&](auto tag) { ok = launchGemv<decltype(tag)>(ctx, args); };
    dispatchFloat(dtype, gemv);
    return ok;
  }
  case GemmImpl::Simt:
    break;
  }
  auto simt = [&](auto tag) { ok = launchSimt<decltype(tag)>(ctx, args); };
  if (!dispatchFloat(dtype, simt))
    dtype == DType::I64 ? simt(int64_t{}) : simt(int32_t{});
  return ok;
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

bool matmul(Context &ctx, const Tensor &lhs, const Tensor &rhs, bool transposeA,
            bool transposeB, Tensor &out, const GemmEpilogue *epilogue,
            const GemmChoice &choice) {
  if (!checkMatmulOperands(ctx, lhs, rhs))
    return false;
  Shape shape;
  if (!viaCpu(ctx, [&](cpu::Context &c) {
        return cpu::matmulShape(c, lhs.shape, rhs.shape, transposeA, transposeB,
                                shape);
      }))
    return false;
  if (!checkOut(ctx, "matmul", out, shape, lhs.dtype) ||
      !checkEpilogue(ctx, epilogue, out, shape[shape.rank - 1]))
    return false;
  if (out.numel() == 0)
    return true;

  GemmArgs args = makeArgs(lhs, rhs, transposeA, transposeB, out, epilogue);
  if (args.m >= INT_MAX || args.n >= INT_MAX || args.k >= INT_MAX ||
      args.batchCount >= INT_MAX)
    return ctx.fail("matmul: a GEMM dimension exceeds 2^31 - 1 (batch = " +
                    str(args.batchCount) + ", M = " + str(args.m) +
                    ", N = " + str(args.n) + ", K = " + str(args.k) + ")");

  return runGemm(ctx, args, choice);
}

bool multiMatmul(Context &ctx, const Tensor &lhs, const Tensor *weights,
                 int numWeights, bool transposeB, const MultiEpilogue &epilogue,
                 Tensor *outs, int numOuts, const GemmChoice &choice) {
  if (numWeights < 1 ||
      (epilogue.glu ? numWeights != 2 || numOuts != 1 : numOuts != numWeights))
    return ctx.fail("multi_matmul: " + str(numWeights) + " weights and " +
                    str(numOuts) + " outputs (" +
                    (epilogue.glu ? "a glu takes two weights and one output"
                                  : "one output per weight") +
                    ")");
  auto epilogueOf = [&](int i, bool activate) {
    GemmEpilogue e;
    e.alpha = epilogue.alpha;
    e.bias = epilogue.biases ? epilogue.biases[i] : nullptr;
    e.activation = activate ? epilogue.activation : Activation::None;
    return e;
  };
  if (epilogue.biases)
    for (int i = 0; i < numWeights; ++i)
      if (!epilogue.biases[i])
        return ctx.fail("multi_matmul: bias " + str(i) + " is missing");
  if (!epilogue.glu) {
    // The weights are separate tensors on the device: a GEMM each, every
    // one writing its own output (the CPU packs them side by side).
    for (int i = 0; i < numWeights; ++i) {
      GemmEpilogue e = epilogueOf(i, true);
      if (!matmul(ctx, lhs, weights[i], false, transposeB, outs[i], &e, choice))
        return false;
    }
    return true;
  }
  // act(gate) into the output, up into stream-ordered scratch, then their
  // product in place.
  GemmEpilogue gate = epilogueOf(0, true), up = epilogueOf(1, false);
  if (!matmul(ctx, lhs, weights[0], false, transposeB, outs[0], &gate, choice))
    return false;
  Tensor upOut = outs[0];
  if (upOut.numel() == 0)
    return true;
  auto stream = static_cast<cudaStream_t>(ctx.stream);
  if (cudaError_t status = cudaMallocAsync(&upOut.data, upOut.bytes(), stream);
      status != cudaSuccess)
    return ctx.fail("multi_matmul: cannot allocate " +
                    str(int64_t(upOut.bytes())) +
                    " bytes of scratch for the up projection: " +
                    cudaGetErrorString(status));
  bool ok =
      matmul(ctx, lhs, weights[1], false, transposeB, upOut, &up, choice) &&
      binary(ctx, BinaryOp::Mul, outs[0], upOut, outs[0]);
  if (cudaError_t status = cudaFreeAsync(upOut.data, stream);
      status != cudaSuccess && ok)
    return ctx.fail(std::string("multi_matmul: cudaFreeAsync failed: ") +
                    cudaGetErrorString(status));
  return ok;
}

//===----------------------------------------------------------------------===//
// multi_matmul over weights packed side by side
//===----------------------------------------------------------------------===//

bool packMultiWeights(const Tensor *parts, int numParts, bool transposed,
                      bool glu, Tensor &out, std::string &error) {
  auto fail = [&](const std::string &message) {
    error = "multi_matmul weights: " + message;
    return false;
  };
  if (numParts < 1 || (glu && numParts != 2))
    return fail(str(numParts) + " parts" +
                (glu ? " (a glu packs a gate and an up projection)" : ""));
  const int kDim = transposed ? 1 : 0, nDim = 1 - kDim;
  const DType dtype = parts[0].dtype;
  const int64_t K = parts[0].shape.rank == 2 ? parts[0].shape[kDim] : -1;
  int64_t total = 0;
  for (int i = 0; i < numParts; ++i) {
    const Tensor &p = parts[i];
    if (p.shape.rank != 2 || p.shape[kDim] != K || p.dtype != dtype ||
        (p.numel() > 0 && !p.data))
      return fail(
          "part " + str(i) + " is " + std::string(dtypeName(p.dtype)) + " " +
          p.shape.str() + ", expected " + dtypeName(dtype) +
          (transposed ? " [N, " + str(K) + "]" : " [" + str(K) + ", N]"));
    if (glu && p.shape[nDim] != parts[0].shape[nDim])
      return fail("a glu's gate and up projections differ in width");
    total += p.shape[nDim];
  }
  Shape shape;
  shape.rank = 2;
  shape[kDim] = K;
  shape[nDim] = total;
  if (out.dtype != dtype || out.shape.rank != 2 || out.shape[0] != shape[0] ||
      out.shape[1] != shape[1] || (total * K > 0 && !out.data))
    return fail("the packed tensor is " + std::string(dtypeName(out.dtype)) +
                " " + out.shape.str() + ", expected " + dtypeName(dtype) + " " +
                shape.str());
  const size_t es = dtypeSize(dtype);
  auto *dst = static_cast<uint8_t *>(out.data);
  if (glu) {
    // Gate and up alternate: rows of [N, K], elements of [K, N] rows.
    const int64_t width = parts[0].shape[nDim];
    const auto *gate = static_cast<const uint8_t *>(parts[0].data);
    const auto *up = static_cast<const uint8_t *>(parts[1].data);
    const size_t run = transposed ? size_t(K) * es : es;
    const int64_t runs = transposed ? width : K * width;
    for (int64_t r = 0; r < runs; ++r) {
      std::memcpy(dst + (2 * r) * run, gate + r * run, run);
      std::memcpy(dst + (2 * r + 1) * run, up + r * run, run);
    }
    return true;
  }
  if (transposed) { // [N_i, K] blocks one after another
    for (int i = 0; i < numParts; ++i) {
      if (parts[i].numel() > 0)
        std::memcpy(dst, parts[i].data, parts[i].bytes());
      dst += parts[i].bytes();
    }
    return true;
  }
  // [K, N_i] side by side: each row of the result is the parts' rows.
  for (int64_t k = 0; k < K; ++k)
    for (int i = 0; i < numParts; ++i) {
      const size_t row = size_t(parts[i].shape[1]) * es;
      if (row)
        std::memcpy(dst, static_cast<const uint8_t *>(parts[i].data) + k * row,
                    row);
      dst += row;
    }
  return true;
}

bool multiMatmul(Context &ctx, const Tensor &lhs, const Tensor &packed,
                 bool transposeB, const MultiEpilogue &epilogue, Tensor *outs,
                 int numOuts, const GemmChoice &choice) {
  const char *op = "multi_matmul";
  if (numOuts < 1 || (epilogue.glu && numOuts != 1))
    return ctx.fail("multi_matmul: " + str(numOuts) + " outputs" +
                    (epilogue.glu ? " (a glu has one)" : ""));
  if (!checkMatmulOperands(ctx, lhs, packed))
    return false;
  if (!isFloatType(lhs.dtype) || lhs.shape.rank < 1 || packed.shape.rank != 2)
    return ctx.fail("multi_matmul: takes a float lhs [..., K] and packed "
                    "weights of rank 2, not " +
                    std::string(dtypeName(lhs.dtype)) + " " + lhs.shape.str() +
                    " and " + packed.shape.str());
  const int64_t K = lhs.shape[lhs.shape.rank - 1];
  const int64_t packedK = packed.shape[transposeB ? 1 : 0];
  const int64_t total = packed.shape[transposeB ? 0 : 1];
  if (packedK != K)
    return ctx.fail("multi_matmul: lhs has K = " + str(K) +
                    ", the packed weights " + str(packedK));
  // The parts' widths are the outputs'.
  std::vector<int64_t> widths;
  for (int i = 0; i < numOuts; ++i)
    widths.push_back(
        outs[i].shape.rank >= 1 ? outs[i].shape[outs[i].shape.rank - 1] : -1);
  if (epilogue.glu)
    widths.push_back(widths[0]);
  int64_t sum = 0;
  for (int64_t w : widths)
    sum += w;
  for (size_t i = 0; i < widths.size(); ++i) {
    const size_t o = epilogue.glu ? 0 : i;
    Shape shape = lhs.shape;
    shape[shape.rank - 1] = widths[i];
    if (widths[i] < 0)
      return ctx.fail("multi_matmul: output " + str(int64_t(o)) +
                      " is a scalar, expected [..., N]");
    if (!checkOut(ctx, op, outs[o], shape, lhs.dtype))
      return false;
    if (epilogue.biases) {
      const Tensor *bias = epilogue.biases[i];
      if (!bias)
        return ctx.fail("multi_matmul: bias " + str(int64_t(i)) +
                        " is missing");
      Shape b;
      b.rank = 1;
      b[0] = widths[i];
      if (!checkOut(ctx, op, *bias, b, lhs.dtype, "bias"))
        return false;
    }
  }
  if (sum != total)
    return ctx.fail("multi_matmul: the outputs are " + str(sum) +
                    " columns wide, the packed weights " + str(total));

  // The rows of lhs (a vector is one) against [K, total].
  Tensor rows = lhs;
  if (rows.shape.rank == 1) {
    rows.shape.rank = 2;
    rows.shape[0] = 1;
    rows.shape[1] = K;
  }
  Tensor whole = outs[0];
  whole.shape = rows.shape;
  whole.shape[whole.shape.rank - 1] = total;
  GemmArgs args = makeArgs(rows, packed, false, transposeB, whole, nullptr);
  if (args.batchRank != 0)
    return ctx.fail("multi_matmul: the lhs " + lhs.shape.str() +
                    " is not a dense [rows, K] matrix");
  if (args.m >= INT_MAX || total >= INT_MAX || K >= INT_MAX)
    return ctx.fail(
        "multi_matmul: a GEMM dimension exceeds 2^31 - 1 (M = " + str(args.m) +
        ", N = " + str(total) + ", K = " + str(K) + ")");
  if (args.m == 0)
    return true;
  args.alpha = epilogue.alpha;
  args.activation = epilogue.activation;

  const bool lt = resolvedImpl(args, choice) == GemmImpl::CublasLt;
  const size_t es = dtypeSize(lhs.dtype);
  auto stream = static_cast<cudaStream_t>(ctx.stream);
  constexpr int kParts = GemmArgs::Split::kMaxParts;
  const int numParts = int(widths.size());
  // Up to kParts parts per launch, each launch over its columns of the
  // packed weights (a glu is two parts, one launch).
  int64_t begin = 0;
  for (int first = 0; first < numParts; first += kParts) {
    const int count = std::min(kParts, numParts - first);
    GemmArgs part = args;
    part.b = static_cast<const uint8_t *>(packed.data) +
             (transposeB ? begin * K : begin) * int64_t(es);
    part.split.numParts = epilogue.glu ? 1 : count;
    part.split.glu = epilogue.glu;
    int64_t end = 0;
    for (int i = 0; i < count; ++i) {
      end += widths[size_t(first + i)];
      const int o = epilogue.glu ? 0 : first + i;
      part.split.end[i] = end;
      part.split.ld[i] = widths[size_t(first + i)]; // a glu's are equal
      part.split.c[i] = outs[o].data;
      part.split.bias[i] =
          epilogue.biases ? epilogue.biases[first + i]->data : nullptr;
    }
    part.n = end;
    begin += end;
    if (part.n == 0)
      continue;
    if (!lt) {
      if (!runGemm(ctx, part, choice))
        return false;
      continue;
    }
    // cuBLASLt cannot split its output: the product into stream-ordered
    // scratch, then the epilogue kernel.
    GemmArgs dense = part;
    dense.split = {};
    dense.alpha = 1.0f;
    dense.activation = Activation::None;
    dense.ldc = part.n;
    void *scratch = nullptr;
    const size_t bytes = size_t(part.m * part.n) * es;
    if (cudaError_t status = cudaMallocAsync(&scratch, bytes, stream);
        status != cudaSuccess)
      return ctx.fail(
          "multi_matmul: cannot allocate " + str(int64_t(bytes)) +
          " bytes for cuBLASLt's product: " + cudaGetErrorString(status));
    dense.c = scratch;
    bool ok = runGemm(ctx, dense, choice);
    if (ok) {
      const int64_t outputs =
          part.split.glu ? part.m * part.n / 2 : part.m * part.n;
      auto epilogueKernel = [&](auto tag) {
        using T = decltype(tag);
        KESTREL_LAUNCH(gridFor(outputs, 256), 256, 0, stream,
                       splitEpilogueKernel<T>)
        (part, static_cast<const T *>(scratch));
        ok = checkLaunch(ctx, op);
      };
      dispatchFloat(lhs.dtype, epilogueKernel);
    }
    if (cudaError_t status = cudaFreeAsync(scratch, stream);
        status != cudaSuccess && ok)
      return ctx.fail(std::string("multi_matmul: cudaFreeAsync failed: ") +
                      cudaGetErrorString(status));
    if (!ok)
      return false;
  }
  return true;
}

} // namespace kestrel::cuda
