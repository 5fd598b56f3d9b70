//===- Gemm.cuh - The tensor-core GEMM template ----------------*- CUDA -*-===//
//
// GemmArgs (one batched GEMM problem with its fused epilogue) and
// gemmMma<BM, BN, BK, WARPS_M, WARPS_N>, the mma.sync kernel that kestrelc
// instantiates per model with the tile configuration it chose:
//
//   #include "kernels/cuda/Gemm.cuh"
//   bool kestrel_gemm_0(kestrel::cuda::Context &c,
//                       const kestrel::cuda::GemmArgs &a) {
//     return kestrel::cuda::gemmMma<128, 128, 32, 2, 4>(c, a);
//   }
//
// By default an instantiation compiles eight kernels, {bf16, f16} x {A, Aᵀ}
// x {B, Bᵀ}; a sixth template argument (gemm_variant bits) narrows that,
// and its kSplit bit makes the kernels write a multi_matmul's outputs side
// by side (GemmArgs::Split) instead of one C.
// Tested configurations: <128,128,32,2,4>, <64,64,32,2,2> and the small-M
// <16,128,64,1,4> / <32,128,64,1,4> (see test/cuda/check-ptxas-spills.sh).
//
// The kernel runs on sm_80 and newer: a multistage cp.async pipeline (2 to 4
// stages, as many as fit in 96 KiB of dynamic shared memory, opted into once
// per device) fills padded shared-memory tiles, warps load fragments with
// ldmatrix and accumulate m16n8k16 products in f32, and the epilogue applies
// alpha, bias, the activation and the residual before one round-to-nearest-
// even store. Operands whose base or row pitch is not 16-byte aligned take
// an element-wise (synchronous) copy instead of cp.async. All inline PTX
// lives in Mma.cuh.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_GEMM_CUH
#define KESTREL_KERNELS_CUDA_GEMM_CUH

#include "kernels/cuda/Common.cuh"
#include "kernels/cuda/Mma.cuh"

#include <atomic>
#include <climits>
#include <cstdint>
#include <string>

namespace kestrel::cuda {

/// C[b] = epilogue(op(A[b]) · op(B[b])) for every batch entry b, where
/// epilogue(acc) = act(alpha * acc + bias[n]) + residual[m, n]. All
/// matrices are row-major with the given row pitches (in elements) and
/// share `dtype`; bias and residual are optional (residual may alias C).
/// Batch entry b's operands start at the sum over batch dims d of
/// index_d(b) * batchStride*[d] (0 where an operand is broadcast); blocks
/// walk the flattened batch. m, n, k and batchCount are below 2^31.
struct GemmArgs {
  static constexpr int kMaxBatchDims = 6;

  DType dtype = DType::BF16;      ///< storage of A, B, C, bias and residual
  const void *a = nullptr;        ///< M x K, or K x M when transA
  const void *b = nullptr;        ///< K x N, or N x K when transB
  void *c = nullptr;              ///< M x N
  const void *bias = nullptr;     ///< [N], or null
  const void *residual = nullptr; ///< C's layout (ldc, batchStrideC), or null
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0; ///< row pitches in elements
  bool transA = false, transB = false;
  float alpha = 1.0f;
  Activation activation = Activation::None;
  int batchRank = 0;      ///< batch dims in use, outermost first
  int64_t batchCount = 1; ///< product of batchDims[0, batchRank)
  int64_t batchDims[kMaxBatchDims] = {};
  int64_t batchStrideA[kMaxBatchDims] = {};
  int64_t batchStrideB[kMaxBatchDims] = {};
  int64_t batchStrideC[kMaxBatchDims] = {};

  /// kestrel.multi_matmul's output, set when numParts > 0 (and then
  /// batchRank is 0; c, ldc, bias and residual above are not read): the N
  /// columns of the product are the parts' outputs side by side, part p
  /// ending at column end[p], and column n of part p (from column
  /// begin = end[p - 1], or 0) is stored at c[p][m * ld[p] + n - begin]
  /// as act(alpha * acc + bias[p][n - begin]). With `glu` (numParts 1) the
  /// columns are (gate, up) pairs, weights interleaved by
  /// packMultiWeights: c[0][m * ld[0] + j] = act(alpha * gate + bias[0][j])
  /// * (alpha * up + bias[1][j]).
  struct Split {
    static constexpr int kMaxParts = 4;
    int numParts = 0;
    bool glu = false;
    int64_t end[kMaxParts] = {};
    int64_t ld[kMaxParts] = {};
    void *c[kMaxParts] = {};
    const void *bias[kMaxParts] = {};
  } split;
};

/// Bits of gemmMma's `Variants`: storage types and (transA, transB)
/// layouts; an instantiation compiles one kernel per type x layout chosen.
namespace gemm_variant {
constexpr unsigned kBf16 = 1u, kF16 = 2u;
constexpr unsigned kNN = 4u, kNT = 8u, kTN = 16u, kTT = 32u;
constexpr unsigned kAll = kBf16 | kF16 | kNN | kNT | kTN | kTT;
/// The kernels write a split output (GemmArgs::Split, a multi_matmul's)
/// instead of C; kestrelc instantiates them for its multi_matmuls.
constexpr unsigned kSplit = 64u;
} // namespace gemm_variant

namespace gemm_detail {

//===----------------------------------------------------------------------===//
// Pieces shared by every GEMM kernel of the library (Matmul.cu too)
//===----------------------------------------------------------------------===//

/// The activations with the CPU library's formulas (UnaryOp semantics).
/// An if-chain rather than a switch: the jump table of a switch made ptxas
/// spill around it in the GEMV kernels.
__device__ __forceinline__ float activate(float x, Activation act) {
  if (act == Activation::Relu)
    return x < 0.0f ? 0.0f : x; // NaN stays NaN
  if (act == Activation::Gelu)
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  if (act == Activation::GeluTanh)
    return 0.5f * x *
           (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  if (act == Activation::Silu)
    // __fdividef (2 ulp) rather than '/', whose slow path is a subroutine
    // call. For x -> -inf the divisor overflows and the result is -0, as
    // on the CPU.
    return __fdividef(x, 1.0f + expf(-x));
  return x;
}

/// Element offsets of batch entry `z`'s A, B and C. The host keeps
/// batchCount below 2^31, so the index math is 32-bit (a 64-bit division
/// is a subroutine call); the dims are unrolled so that the kernel
/// parameter arrays are indexed by constants.
__device__ __forceinline__ void batchOffsets(const GemmArgs &args, int64_t z,
                                             int64_t &a, int64_t &b,
                                             int64_t &c) {
  a = b = c = 0;
  uint32_t rest = uint32_t(z);
#pragma unroll
  for (int d = GemmArgs::kMaxBatchDims - 1; d >= 0; --d) {
    if (d < args.batchRank) {
      uint32_t dim = uint32_t(args.batchDims[d]);
      uint32_t next = rest / dim;
      int64_t i = int64_t(rest - next * dim);
      rest = next;
      a += i * args.batchStrideA[d];
      b += i * args.batchStrideB[d];
      c += i * args.batchStrideC[d];
    }
  }
}

/// Where column `col` (below args.n) of a split output (GemmArgs::Split)
/// goes: its part's output advanced to the column (row r at out[r * ld])
/// and the column's bias, -0 without one (x + -0 is x, -0 included). The
/// part is found by an unrolled walk, so the parameter arrays are indexed
/// by constants.
template <typename T> struct SplitColumn {
  T *out;
  int64_t ld;
  float bias;
};
template <typename T>
__device__ __forceinline__ SplitColumn<T> splitColumn(const GemmArgs &args,
                                                      int col) {
  const GemmArgs::Split &s = args.split;
  T *c = static_cast<T *>(s.c[0]);
  const T *bias = static_cast<const T *>(s.bias[0]);
  int64_t ld = s.ld[0];
  int begin = 0;
#pragma unroll
  for (int q = 1; q < GemmArgs::Split::kMaxParts; ++q) {
    if (q < s.numParts && col >= s.end[q - 1]) {
      c = static_cast<T *>(s.c[q]);
      bias = static_cast<const T *>(s.bias[q]);
      ld = s.ld[q];
      begin = int(s.end[q - 1]);
    }
  }
  col -= begin;
  return {c + col, ld, bias ? toF32(bias[col]) : -0.0f};
}

/// Output column `j` of a gated split output (from product columns 2j and
/// 2j + 1): where it goes and the gate's and up's biases (-0 without).
template <typename T> struct GluColumn {
  T *out;
  int64_t ld;
  float gateBias, upBias;
};
template <typename T>
__device__ __forceinline__ GluColumn<T> gluColumn(const GemmArgs &args, int j) {
  const GemmArgs::Split &s = args.split;
  const T *gate = static_cast<const T *>(s.bias[0]);
  const T *up = static_cast<const T *>(s.bias[1]);
  return {static_cast<T *>(s.c[0]) + j, s.ld[0], gate ? toF32(gate[j]) : -0.0f,
          up ? toF32(up[j]) : -0.0f};
}

template <typename T>
__device__ __forceinline__ void
store(const GemmArgs &args, const SplitColumn<T> &c, int64_t row, float acc) {
  c.out[row * c.ld] =
      fromF32<T>(activate(args.alpha * acc + c.bias, args.activation));
}
template <typename T>
__device__ __forceinline__ void store(const GemmArgs &args,
                                      const GluColumn<T> &c, int64_t row,
                                      float gate, float up) {
  float g = activate(args.alpha * gate + c.gateBias, args.activation);
  c.out[row * c.ld] = fromF32<T>(g * (args.alpha * up + c.upBias));
}

/// Stores column `col` of row `row` of a split output from its f32
/// accumulator.
template <typename T>
__device__ __forceinline__ void storeSplit(const GemmArgs &args, int64_t row,
                                           int col, float acc) {
  store<T>(args, splitColumn<T>(args, col), row, acc);
}

/// Stores output column `j` of row `row` of a gated split output from the
/// accumulators of its gate and up columns (2j and 2j + 1).
template <typename T>
__device__ __forceinline__ void storeGlu(const GemmArgs &args, int64_t row,
                                         int j, float gate, float up) {
  store<T>(args, gluColumn<T>(args, j), row, gate, up);
}

/// Every batch stride of `strides` is a multiple of `q`.
inline bool stridesMultipleOf(const GemmArgs &args, const int64_t *strides,
                              int64_t q) {
  for (int d = 0; d < args.batchRank; ++d)
    if (strides[d] % q != 0)
      return false;
  return true;
}

/// Sets the kernel's dynamic shared memory limit once per device (the
/// attribute call is not a stream operation, but it costs a driver call,
/// so steady-state and graph-captured launches skip it).
template <typename Kernel>
bool optInSharedMemory(Context &ctx, Kernel kernel, int bytes,
                       std::atomic<uint64_t> &done) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    return ctx.fail("matmul: cudaGetDevice failed");
  }
  uint64_t bit = device < 64 ? uint64_t(1) << device : 0;
  if (bit && (done.load(std::memory_order_acquire) & bit))
    return true;
  cudaError_t status = cudaFuncSetAttribute(
      kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return ctx.fail("matmul: cannot give the GEMM kernel " +
                    std::to_string(bytes) +
                    " bytes of shared memory: " + cudaGetErrorString(status));
  }
  done.fetch_or(bit, std::memory_order_acq_rel);
  return true;
}

//===----------------------------------------------------------------------===//
// The mma.sync kernel
//===----------------------------------------------------------------------===//

__device__ __forceinline__ uint16_t bitsOf(bf16 x) {
  return __bfloat16_as_ushort(x);
}
__device__ __forceinline__ uint16_t bitsOf(f16 x) {
  return __half_as_ushort(x);
}
template <typename T> __device__ __forceinline__ T fromBits(uint16_t bits);
template <> __device__ __forceinline__ bf16 fromBits<bf16>(uint16_t bits) {
  return __ushort_as_bfloat16(bits);
}
template <> __device__ __forceinline__ f16 fromBits<f16>(uint16_t bits) {
  return __ushort_as_half(bits);
}

/// The minimum of resident blocks per SM that the kernel's launch bounds
/// declare, which sets ptxas's register budget. Without one, ptxas picks
/// an occupancy step on its own and may spill a few bytes to reach it. A
/// warp tile of at most 32 accumulators per thread (64 on sm_90, whose
/// ptxas fits the 128x128 tile in them) gets 128 registers, so 16 warps
/// fit on an SM; larger ones get up to 255. Test hook:
/// -DKESTREL_GEMM_MIN_BLOCKS=N overrides it (check-ptxas-spills.sh uses it
/// to show that the check fails on a spill).
template <int THREADS, int ACC_REGS> constexpr int mmaMinBlocks() {
#if defined(KESTREL_GEMM_MIN_BLOCKS)
  return KESTREL_GEMM_MIN_BLOCKS;
#else
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  constexpr int kTightAcc = 64;
#else
  constexpr int kTightAcc = 32;
#endif
  constexpr int budget = ACC_REGS <= kTightAcc ? 128 : 255;
  return 65536 / (THREADS * budget) > 1 ? 65536 / (THREADS * budget) : 1;
#endif
}

/// Compile-time shape of one tile configuration and operand layout.
template <int BM, int BN, int BK, int WARPS_M, int WARPS_N, bool TRANS_A,
          bool TRANS_B>
struct MmaConfig {
  static constexpr int kThreads = WARPS_M * WARPS_N * 32;
  static constexpr int kWarpM = BM / WARPS_M; ///< rows of C per warp
  static constexpr int kWarpN = BN / WARPS_N; ///< columns of C per warp
  static constexpr int kFragsM = kWarpM / 16; ///< m16 tiles per warp
  static constexpr int kFragsN = kWarpN / 8;  ///< n8 tiles per warp

  // Shared-memory tiles keep the operand's contiguous dimension contiguous
  // (A: [BM][BK] or, transposed, [BK][BM]; B: [BK][BN] or [BN][BK]), each
  // row padded by 8 elements. A row is then (cols + 8) * 2 bytes, an odd
  // multiple of 16 when cols is a multiple of 16, so the eight 16-byte rows
  // one ldmatrix phase reads fall in eight different 16-byte bank groups.
  static constexpr int kARows = TRANS_A ? BK : BM;
  static constexpr int kACols = TRANS_A ? BM : BK;
  static constexpr int kBRows = TRANS_B ? BN : BK;
  static constexpr int kBCols = TRANS_B ? BK : BN;
  static constexpr int kAStride = kACols + 8;
  static constexpr int kBStride = kBCols + 8;
  static constexpr int kAStageElems = kARows * kAStride;
  static constexpr int kBStageElems = kBRows * kBStride;
  static constexpr int kStageBytes = 2 * (kAStageElems + kBStageElems);

  // As many stages (2 to 4) as fit in 96 KiB: within every sm_80+ part's
  // per-block limit (99 KiB on sm_86/sm_89).
  static constexpr int kSmemBudget = 96 * 1024;
  static constexpr int kStages = 4 * kStageBytes <= kSmemBudget   ? 4
                                 : 3 * kStageBytes <= kSmemBudget ? 3
                                                                  : 2;
  static constexpr int kSmemBytes = kStages * kStageBytes;

  static_assert(BM % (16 * WARPS_M) == 0, "a warp owns whole m16 tiles");
  static_assert(BN % (16 * WARPS_N) == 0,
                "a warp owns pairs of n8 tiles (one ldmatrix.x4 each)");
  static_assert(BK % 16 == 0, "BK is a multiple of the mma's k");
  static_assert(kThreads <= 1024, "too many warps");
  static_assert(2 * kStageBytes <= kSmemBudget,
                "two stages must fit in 96 KiB of shared memory");
};

/// One thread's share of copying an operand's ROWS x COLS tiles (COLS the
/// contiguous dimension, row pitch `ld`) into shared memory laid out
/// [ROWS][COLS + 8], one K tile after another, zero-filling what lies
/// outside the matrix. K_ROWS: K runs down the tile's rows (A stored K x M,
/// B stored K x N), else along its columns.
///
/// Consecutive threads take consecutive 16-byte chunks of a row (coalesced
/// global reads, conflict-free shared writes); thread t's chunks are at
/// column c0 = (t % (COLS / 8)) * 8 of rows r0 + i * kRowStep, so one
/// pointer, one row mask and compile-time shared offsets describe them all
/// (per-chunk addresses held in registers cost ptxas dozens).
/// `vec`: 16-byte cp.async copies (base and ld allow it); otherwise element
/// loads and stores, synchronous.
template <int ROWS, int COLS, int THREADS, int BK, bool K_ROWS>
struct TileLoader {
  static constexpr int kChunksPerRow = COLS / 8;
  static constexpr int kRowStep = THREADS / kChunksPerRow;
  static constexpr int kIters = (ROWS + kRowStep - 1) / kRowStep;
  static_assert(THREADS % kChunksPerRow == 0,
                "a tile row's 16-byte chunks must divide the block's threads");
  static_assert(kIters <= 32, "the row mask has 32 bits");

  const uint16_t *ptr; ///< this thread's first chunk of the next tile
  int dst;             ///< this thread's first chunk in a stage
  int edge;            ///< elements left from ptr to the matrix's K edge
  int fixedValid;      ///< K_ROWS: valid elements of a chunk (else unused)
  uint32_t rowMask;    ///< !K_ROWS: chunk i's row is inside the matrix

  /// The tile at K offset 0 of the operand at `g`: rows from `row0` (K_ROWS:
  /// row0 = 0), columns from `col0` (!K_ROWS: col0 = 0) of a rows x cols
  /// matrix.
  __device__ __forceinline__ TileLoader(const uint16_t *g, int64_t ld, int row0,
                                        int col0, int rows, int cols, int tid) {
    const int r0 = tid / kChunksPerRow, c0 = (tid % kChunksPerRow) * 8;
    ptr = g + int64_t(row0 + r0) * ld + (col0 + c0);
    dst = r0 * (COLS + 8) + c0;
    rowMask = 0;
    if constexpr (K_ROWS) {
      edge = rows - r0; // rows of K left below this thread's first chunk
      fixedValid = min(max(cols - (col0 + c0), 0), 8);
    } else {
      edge = cols - c0; // K columns left from this thread's chunks
      fixedValid = 0;
#pragma unroll
      for (int i = 0; i < kIters; ++i)
        if (row0 + r0 + i * kRowStep < rows &&
            (ROWS % kRowStep == 0 || r0 + i * kRowStep < ROWS))
          rowMask |= 1u << i;
    }
  }

  /// Copies the next K tile into `stage` (an element offset of shared
  /// memory `smem`) and moves on by BK. `safe`: a valid global address
  /// for the zero-byte copies of chunks outside the matrix.
  __device__ __forceinline__ void load(uint16_t *smem, int stage, bool vec,
                                       int64_t ld, const uint16_t *safe) {
#pragma unroll
    for (int i = 0; i < kIters; ++i) {
      const uint16_t *src = ptr + int64_t(i * kRowStep) * ld;
      if constexpr (ROWS % kRowStep != 0) // threads past the tile's rows
        if (dst / (COLS + 8) + i * kRowStep >= ROWS)
          break;
      int valid;
      if constexpr (K_ROWS)
        valid = i * kRowStep < edge ? fixedValid : 0;
      else
        valid = (rowMask >> i) & 1u ? min(max(edge, 0), 8) : 0;
      uint16_t *d = smem + stage + dst + i * kRowStep * (COLS + 8);
      if (vec) {
        cpAsync16(d, valid > 0 ? src : safe, valid * 2);
      } else {
        // Rolled: unrolled, ptxas keeps every element's check live.
#pragma unroll 1
        for (int e = 0; e < 8; ++e)
          d[e] = e < valid ? src[e] : uint16_t(0);
      }
    }
    ptr += K_ROWS ? int64_t(BK) * ld : int64_t(BK);
    edge -= BK;
  }
};

/// Applies the epilogue to C[row, col] and C[row, col + 1] (v0, v1 are the
/// raw accumulators) and stores what lies inside the matrix. `pairs`: C,
/// bias and residual allow 4-byte accesses at even columns.
template <typename T>
__device__ __forceinline__ void
storePair(const GemmArgs &args, T *c, const T *residual, int64_t rowOffset,
          int col, int n, float v0, float v1, bool pairs) {
  if (col >= n)
    return;
  const T *bias = static_cast<const T *>(args.bias);
  v0 *= args.alpha;
  v1 *= args.alpha;
  if (pairs && col + 1 < n) {
    if (bias) {
      uint32_t bb = *reinterpret_cast<const uint32_t *>(bias + col);
      v0 += toF32(fromBits<T>(uint16_t(bb)));
      v1 += toF32(fromBits<T>(uint16_t(bb >> 16)));
    }
    v0 = activate(v0, args.activation);
    v1 = activate(v1, args.activation);
    if (residual) {
      uint32_t rr =
          *reinterpret_cast<const uint32_t *>(residual + rowOffset + col);
      v0 += toF32(fromBits<T>(uint16_t(rr)));
      v1 += toF32(fromBits<T>(uint16_t(rr >> 16)));
    }
    uint32_t out = uint32_t(bitsOf(fromF32<T>(v0))) |
                   uint32_t(bitsOf(fromF32<T>(v1))) << 16;
    *reinterpret_cast<uint32_t *>(c + rowOffset + col) = out;
    return;
  }
  float v[2] = {v0, v1};
#pragma unroll
  for (int e = 0; e < 2; ++e) {
    if (col + e >= n)
      break;
    float x = v[e];
    if (bias)
      x += toF32(bias[col + e]);
    x = activate(x, args.activation);
    if (residual)
      x += toF32(residual[rowOffset + col + e]);
    c[rowOffset + col + e] = fromF32<T>(x);
  }
}

// Thread, warp and tile mapping of gemmMmaKernel:
//
//  - The grid is (tilesM * tilesN, 1, min(batch, 65535)). blockIdx.x is
//    mapped to an (M tile, N tile) pair in groups of 8 M tiles (all N tiles
//    of 8 consecutive M tiles, column by column), so blocks that run
//    together share A rows and B columns in L2. blockIdx.z walks the
//    flattened batch (strided by gridDim.z).
//  - The block owns the BM x BN tile of C at (m0, n0). Warp w owns the
//    kWarpM x kWarpN sub-tile at (warpRow, warpCol) = ((w / WARPS_N) *
//    kWarpM, (w % WARPS_N) * kWarpN), as kFragsM x kFragsN m16n8 tiles, so
//    each thread holds kFragsM * kFragsN * 4 f32 accumulators (layout C/D in
//    Mma.cuh).
//  - K advances BK at a time through a kStages-deep ring of shared tiles.
//    Tile kt is loaded (cp.async) kStages - 1 iterations before it is used;
//    one barrier per iteration both publishes tile kt and frees the stage
//    that tile kt + kStages - 1 overwrites (computed on in iteration kt - 1).
//    All threads load: thread t copies the 16-byte chunks at column
//    (t % (cols / 8)) * 8 of every (threads / (cols / 8))-th row of each
//    tile (TileLoader).
//  - Each k16 step of a stage: one ldmatrix.x4 per m16 tile of A (.trans
//    when A is stored K x M), one ldmatrix.x4 per pair of n8 tiles of B
//    (.trans when B is stored K x N), then kFragsM * kFragsN mma.sync.
//  - SPLIT: the epilogue writes a split output (GemmArgs::Split, one
//    multi_matmul's outputs); a kernel of its own, so that the plain
//    epilogue's registers do not pay for it.
template <typename T, int BM, int BN, int BK, int WARPS_M, int WARPS_N,
          bool TRANS_A, bool TRANS_B, bool SPLIT>
__global__ void
__launch_bounds__(WARPS_M *WARPS_N * 32,
                  (mmaMinBlocks<WARPS_M * WARPS_N * 32,
                                BM / WARPS_M / 16 * (BN / WARPS_N / 8) * 4>()))
    gemmMmaKernel(const __grid_constant__ GemmArgs args, const unsigned flags) {
  using Cfg = MmaConfig<BM, BN, BK, WARPS_M, WARPS_N, TRANS_A, TRANS_B>;
  constexpr int kThreads = Cfg::kThreads;
  constexpr int kStages = Cfg::kStages;
  constexpr int kFragsM = Cfg::kFragsM, kFragsN = Cfg::kFragsN;

  extern __shared__ __align__(128) unsigned char kestrelGemmSmem[];
  uint16_t *smemA = reinterpret_cast<uint16_t *>(kestrelGemmSmem);
  uint16_t *smemB = smemA + kStages * Cfg::kAStageElems;

  const int M = int(args.m), N = int(args.n), K = int(args.k);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int warpRow = (warp / WARPS_N) * Cfg::kWarpM;
  const int warpCol = (warp % WARPS_N) * Cfg::kWarpN;

  constexpr int kGroupM = 8;
  const int tilesM = (M + BM - 1) / BM, tilesN = (N + BN - 1) / BN;
  const int tile = blockIdx.x;
  const int group = tile / (kGroupM * tilesN);
  const int firstTileM = group * kGroupM;
  const int groupRows = min(tilesM - firstTileM, kGroupM);
  const int inGroup = tile - group * kGroupM * tilesN;
  const int m0 = (firstTileM + inGroup % groupRows) * BM;
  const int n0 = (inGroup / groupRows) * BN;

  const bool vecA = flags & 1u, vecB = flags & 2u, pairs = flags & 4u;
  const int kTiles = (K + BK - 1) / BK;

  // Per-lane ldmatrix row offsets (elements) within a stage; see the
  // ldmatrix layout in Mma.cuh. Matrix q = lane >> 3 of an x4 load,
  // row lane & 7 of it.
  //  A [BM][BK]: matrices (rows +0/+8, k +0/+8) = a[0..3]:
  //     row = lane & 15, k = (lane >> 4) * 8.
  //  A [BK][BM] (.trans): matrices (k +0, m +0), (k +0, m +8), (k +8, m +0),
  //     (k +8, m +8): k = (lane & 7) + (lane >> 4) * 8, m = (lane & 8).
  //  B [BK][BN] (.trans): matrices (k +0, n +0), (k +8, n +0), (k +0, n +8),
  //     (k +8, n +8) = b[j][0], b[j][1], b[j+1][0], b[j+1][1]:
  //     k = lane & 15, n = (lane >> 4) * 8.
  //  B [BN][BK]: matrices (n +0, k +0), (n +0, k +8), (n +8, k +0),
  //     (n +8, k +8), same registers: n = (lane & 7) + (lane >> 4) * 8,
  //     k = (lane & 8).
  int aLane, bLane;
  if constexpr (TRANS_A)
    aLane =
        ((lane & 7) + (lane >> 4) * 8) * Cfg::kAStride + warpRow + (lane & 8);
  else
    aLane = (warpRow + (lane & 15)) * Cfg::kAStride + (lane >> 4) * 8;
  if constexpr (TRANS_B)
    bLane =
        (warpCol + (lane & 7) + (lane >> 4) * 8) * Cfg::kBStride + (lane & 8);
  else
    bLane = (lane & 15) * Cfg::kBStride + warpCol + (lane >> 4) * 8;

  for (int64_t z = blockIdx.z; z < args.batchCount; z += gridDim.z) {
    int64_t offA, offB, offC;
    batchOffsets(args, z, offA, offB, offC);
    const uint16_t *A = static_cast<const uint16_t *>(args.a) + offA;
    const uint16_t *B = static_cast<const uint16_t *>(args.b) + offB;

    // A tile: [BM][BK] at (m0, k) or, stored K x M, [BK][BM] at (k, m0);
    // B tile: [BK][BN] at (k, n0) or, stored N x K, [BN][BK] at (n0, k).
    using LoaderA = TileLoader<Cfg::kARows, Cfg::kACols, kThreads, BK, TRANS_A>;
    using LoaderB =
        TileLoader<Cfg::kBRows, Cfg::kBCols, kThreads, BK, !TRANS_B>;
    LoaderA loadA = TRANS_A ? LoaderA(A, args.lda, 0, m0, K, M, tid)
                            : LoaderA(A, args.lda, m0, 0, M, K, tid);
    LoaderB loadB = TRANS_B ? LoaderB(B, args.ldb, n0, 0, N, K, tid)
                            : LoaderB(B, args.ldb, 0, n0, K, N, tid);
    auto loadStage = [&](int stage) {
      loadA.load(smemA, stage * Cfg::kAStageElems, vecA, args.lda,
                 static_cast<const uint16_t *>(args.a));
      loadB.load(smemB, stage * Cfg::kBStageElems, vecB, args.ldb,
                 static_cast<const uint16_t *>(args.b));
    };

    float acc[kFragsM][kFragsN][4];
#pragma unroll
    for (int i = 0; i < kFragsM; ++i)
#pragma unroll
      for (int j = 0; j < kFragsN; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          acc[i][j][e] = 0.0f;

          // Prologue: tiles 0 .. kStages-2, one commit group each (possibly
          // empty, so that group i always holds tile i).
#pragma unroll
    for (int s = 0; s < kStages - 1; ++s) {
      if (s < kTiles)
        loadStage(s);
      cpAsyncCommit();
    }

    int readStage = 0, writeStage = kStages - 1;
#pragma unroll 1
    for (int kt = 0; kt < kTiles; ++kt) {
      // Groups 0..kt are complete once at most kStages-2 are pending.
      cpAsyncWait<kStages - 2>();
      __syncthreads();
      if (kt + kStages - 1 < kTiles)
        loadStage(writeStage);
      cpAsyncCommit();

      const uint16_t *sa = smemA + readStage * Cfg::kAStageElems + aLane;
      const uint16_t *sb = smemB + readStage * Cfg::kBStageElems + bLane;
#pragma unroll
      for (int kk = 0; kk < BK; kk += 16) {
        uint32_t af[kFragsM][4], bfr[kFragsN][2];
#pragma unroll
        for (int i = 0; i < kFragsM; ++i) {
          if constexpr (TRANS_A)
            ldmatrixX4Trans(af[i], sa + kk * Cfg::kAStride + i * 16);
          else
            ldmatrixX4(af[i], sa + i * 16 * Cfg::kAStride + kk);
        }
#pragma unroll
        for (int j = 0; j < kFragsN; j += 2) {
          uint32_t r[4];
          if constexpr (TRANS_B)
            ldmatrixX4(r, sb + j * 8 * Cfg::kBStride + kk);
          else
            ldmatrixX4Trans(r, sb + kk * Cfg::kBStride + j * 8);
          bfr[j][0] = r[0];
          bfr[j][1] = r[1];
          bfr[j + 1][0] = r[2];
          bfr[j + 1][1] = r[3];
        }
#pragma unroll
        for (int i = 0; i < kFragsM; ++i)
#pragma unroll
          for (int j = 0; j < kFragsN; ++j)
            mmaM16N8K16<T>(acc[i][j], af[i], bfr[j], acc[i][j]);
      }
      readStage = readStage + 1 == kStages ? 0 : readStage + 1;
      writeStage = writeStage + 1 == kStages ? 0 : writeStage + 1;
    }
    cpAsyncWait<0>(); // only empty groups can be left

    if constexpr (SPLIT) {
      // Column by column (where a column goes is found once for all its
      // rows); col is even, so a glu's (gate, up) pair is one thread's.
#pragma unroll
      for (int j = 0; j < kFragsN; ++j) {
        const int col = n0 + warpCol + j * 8 + 2 * t;
        if (col >= N)
          continue;
        if (args.split.glu) {
          const GluColumn<T> out = gluColumn<T>(args, col >> 1);
#pragma unroll
          for (int i = 0; i < kFragsM; ++i)
#pragma unroll
            for (int h = 0; h < 2; ++h) {
              const int row = m0 + warpRow + i * 16 + h * 8 + g;
              if (row < M)
                store<T>(args, out, row, acc[i][j][2 * h],
                         acc[i][j][2 * h + 1]);
            }
          continue;
        }
        const bool second = col + 1 < N;
        const SplitColumn<T> out0 = splitColumn<T>(args, col);
        const SplitColumn<T> out1 =
            splitColumn<T>(args, second ? col + 1 : col);
#pragma unroll
        for (int i = 0; i < kFragsM; ++i)
#pragma unroll
          for (int h = 0; h < 2; ++h) {
            const int row = m0 + warpRow + i * 16 + h * 8 + g;
            if (row < M) {
              store<T>(args, out0, row, acc[i][j][2 * h]);
              if (second)
                store<T>(args, out1, row, acc[i][j][2 * h + 1]);
            }
          }
      }
      __syncthreads();
      continue;
    }
    T *C = static_cast<T *>(args.c) + offC;
    const T *R =
        args.residual ? static_cast<const T *>(args.residual) + offC : nullptr;
#pragma unroll
    for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = m0 + warpRow + i * 16 + h * 8 + g;
        if (row >= M)
          continue;
        const int64_t rowOffset = int64_t(row) * args.ldc;
#pragma unroll
        for (int j = 0; j < kFragsN; ++j)
          storePair<T>(args, C, R, rowOffset, n0 + warpCol + j * 8 + 2 * t, N,
                       acc[i][j][2 * h], acc[i][j][2 * h + 1], pairs);
      }
    }
    // The next batch entry's prologue refills stages other warps may still
    // be reading.
    __syncthreads();
  }
}

template <typename T, int BM, int BN, int BK, int WARPS_M, int WARPS_N,
          bool TRANS_A, bool TRANS_B, bool SPLIT>
bool launchMma(Context &ctx, const GemmArgs &args, unsigned flags, dim3 grid) {
  using Cfg = MmaConfig<BM, BN, BK, WARPS_M, WARPS_N, TRANS_A, TRANS_B>;
  auto kernel =
      gemmMmaKernel<T, BM, BN, BK, WARPS_M, WARPS_N, TRANS_A, TRANS_B, SPLIT>;
  if constexpr (Cfg::kSmemBytes > 48 * 1024) {
    static std::atomic<uint64_t> optedIn{0};
    if (!optInSharedMemory(ctx, kernel, Cfg::kSmemBytes, optedIn))
      return false;
  }
  KESTREL_LAUNCH(grid, Cfg::kThreads, Cfg::kSmemBytes, streamOf(ctx), kernel)
  (args, flags);
  return checkLaunch(ctx, "matmul");
}

/// Launches the kernel for args' layout, if `Variants` compiled it.
template <typename T, int BM, int BN, int BK, int WARPS_M, int WARPS_N,
          unsigned Variants, bool SPLIT>
bool launchLayout(Context &ctx, const GemmArgs &args, unsigned flags,
                  dim3 grid) {
  using namespace gemm_variant;
  if (!args.transA && !args.transB) {
    if constexpr ((Variants & kNN) != 0)
      return launchMma<T, BM, BN, BK, WARPS_M, WARPS_N, false, false, SPLIT>(
          ctx, args, flags, grid);
  } else if (!args.transA && args.transB) {
    if constexpr ((Variants & kNT) != 0)
      return launchMma<T, BM, BN, BK, WARPS_M, WARPS_N, false, true, SPLIT>(
          ctx, args, flags, grid);
  } else if (args.transA && !args.transB) {
    if constexpr ((Variants & kTN) != 0)
      return launchMma<T, BM, BN, BK, WARPS_M, WARPS_N, true, false, SPLIT>(
          ctx, args, flags, grid);
  } else {
    if constexpr ((Variants & kTT) != 0)
      return launchMma<T, BM, BN, BK, WARPS_M, WARPS_N, true, true, SPLIT>(
          ctx, args, flags, grid);
  }
  return ctx.fail(std::string("matmul: this mma.sync GEMM instantiation has "
                              "no kernel for transposeA = ") +
                  (args.transA ? "true" : "false") +
                  ", transposeB = " + (args.transB ? "true" : "false"));
}

template <typename T, int BM, int BN, int BK, int WARPS_M, int WARPS_N,
          unsigned Variants>
bool gemmMmaTyped(Context &ctx, const GemmArgs &args) {
  if (args.m <= 0 || args.n <= 0 || args.batchCount <= 0)
    return true;
  if (ctx.ccMajor < 8)
    return ctx.fail("matmul: the mma.sync GEMM needs sm_80 or newer, the "
                    "device is sm_" +
                    std::to_string(ctx.ccMajor * 10 + ctx.ccMinor));
  const int64_t limit = INT_MAX - 1024;
  if (args.m > limit || args.n > limit || args.k > limit)
    return ctx.fail("matmul: GEMM dimensions exceed 2^31");
  int64_t tiles = ((args.m + BM - 1) / BM) * ((args.n + BN - 1) / BN);
  if (tiles > INT_MAX)
    return ctx.fail("matmul: too many GEMM tiles for one launch");
  if (args.batchRank < 0 || args.batchRank > GemmArgs::kMaxBatchDims ||
      args.batchCount > INT_MAX)
    return ctx.fail("matmul: GEMM batch out of range (rank " +
                    std::to_string(args.batchRank) + ", " +
                    std::to_string(args.batchCount) + " entries)");

  unsigned flags = 0;
  if (isAligned(args.a, 16) && args.lda % 8 == 0 &&
      stridesMultipleOf(args, args.batchStrideA, 8))
    flags |= 1u;
  if (isAligned(args.b, 16) && args.ldb % 8 == 0 &&
      stridesMultipleOf(args, args.batchStrideB, 8))
    flags |= 2u;
  if (isAligned(args.c, 4) && args.ldc % 2 == 0 &&
      stridesMultipleOf(args, args.batchStrideC, 2) &&
      (!args.bias || isAligned(args.bias, 4)) &&
      (!args.residual || isAligned(args.residual, 4)))
    flags |= 4u;

  dim3 grid(unsigned(tiles), 1,
            unsigned(args.batchCount < 65535 ? args.batchCount : 65535));
  constexpr bool kSplit = (Variants & gemm_variant::kSplit) != 0;
  if ((args.split.numParts > 0) != kSplit)
    return ctx.fail(kSplit ? "matmul: this mma.sync GEMM instantiation "
                             "writes only a multi_matmul's split output"
                           : "matmul: this mma.sync GEMM instantiation was "
                             "compiled without the split output a "
                             "multi_matmul writes");
  if (kSplit && args.batchRank != 0)
    return ctx.fail("matmul: a split output takes no batch");
  return launchLayout<T, BM, BN, BK, WARPS_M, WARPS_N, Variants, kSplit>(
      ctx, args, flags, grid);
}

} // namespace gemm_detail

/// The tensor-core GEMM for bf16 or f16 storage on sm_80+, with a BM x BN x
/// BK block tile split over WARPS_M x WARPS_N warps. `Variants` selects the
/// kernels compiled (gemm_variant; all eight by default): kestrelc knows
/// the dtype and layout of each matmul and may instantiate just one to save
/// compile time. Launches on ctx.stream; false with ctx.error set on a
/// launch error or a problem it cannot run (a dtype or layout it was not
/// instantiated for, an older device, dimensions past 2^31).
template <int BM, int BN, int BK, int WARPS_M, int WARPS_N,
          unsigned Variants = gemm_variant::kAll>
bool gemmMma(Context &ctx, const GemmArgs &args) {
  if constexpr ((Variants & gemm_variant::kBf16) != 0)
    if (args.dtype == DType::BF16)
      return gemm_detail::gemmMmaTyped<bf16, BM, BN, BK, WARPS_M, WARPS_N,
                                       Variants>(ctx, args);
  if constexpr ((Variants & gemm_variant::kF16) != 0)
    if (args.dtype == DType::F16)
      return gemm_detail::gemmMmaTyped<f16, BM, BN, BK, WARPS_M, WARPS_N,
                                       Variants>(ctx, args);
  return ctx.fail(std::string("matmul: this mma.sync GEMM instantiation does "
                              "not take ") +
                  dtypeName(args.dtype));
}

} // namespace kestrel::cuda

#endif // KESTREL_KERNELS_CUDA_GEMM_CUH
