//===- Reduce.cu - Reductions, softmax and top-k --------------------------===//
//
// The CUDA versions of the reduce, softmax and top_k kernels of
// kernels/cpu/Linalg.cpp and DataMovement.cpp, with the same
// semantics: floats accumulate in f32, integers in wrapping i64, i1 max/min
// are or/and; float max/min propagate NaN. The summation order differs from
// the CPU's (trees instead of eight lanes), so sums agree to rounding.
//
// Layouts: after merging neighbouring dims, a reduction is rows of
// contiguous elements (one warp or one block per row), an [outer, n, inner]
// column walk (32 x 8 blocks), or the general case (one warp per output
// element). Softmax uses the same row / column split with an online max and
// sum, so the input is read twice (statistics, then the result).
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Common.cuh"

#include <type_traits>

namespace kestrel::cuda {

namespace {

constexpr float kInf = __builtin_huge_valf();

//===----------------------------------------------------------------------===//
// Group reductions (a warp or the whole block)
//===----------------------------------------------------------------------===//

template <typename A, typename Op>
__device__ __forceinline__ A warpAll(A v, Op op) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

/// Combines `v` over the block (blockDim.x a multiple of 32); every thread
/// gets the result. `scratch` holds 32 values.
template <typename A, typename Op, typename Scratch>
__device__ __forceinline__ A blockAll(A v, Op op, Scratch &&scratch,
                                      A identity) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warpAll(v, op);
  __syncthreads(); // scratch may still be read by a previous call
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  int warps = blockDim.x >> 5;
  v = lane < warps ? scratch[lane] : identity;
  return warpAll(v, op);
}

//===----------------------------------------------------------------------===//
// Reduce
//===----------------------------------------------------------------------===//

/// f32 for float storage, i64 for integers and i1 (0 or 1).
template <typename T>
using AccOf = std::conditional_t<isFloatStorage<T>, float, int64_t>;

template <typename T> __device__ __forceinline__ AccOf<T> loadAcc(T v) {
  if constexpr (isFloatStorage<T>)
    return toF32(v);
  else if constexpr (std::is_same_v<T, uint8_t>)
    return v != 0 ? 1 : 0;
  else
    return int64_t(v);
}

/// The op's combine (mean sums); float max/min propagate NaN.
template <typename A> struct Combine {
  ReduceOp op;
  __device__ __forceinline__ A operator()(A x, A y) const {
    switch (op) {
    case ReduceOp::Max:
      if constexpr (std::is_same_v<A, float>)
        return (x > y || x != x) ? x : y;
      else
        return x < y ? y : x;
    case ReduceOp::Min:
      if constexpr (std::is_same_v<A, float>)
        return (x < y || x != x) ? x : y;
      else
        return y < x ? y : x;
    default:
      if constexpr (std::is_same_v<A, float>)
        return x + y;
      else
        return int64_t(uint64_t(x) + uint64_t(y));
    }
  }
};

template <typename T>
__device__ __forceinline__ T finalize(ReduceOp op, AccOf<T> v, int64_t count) {
  bool mean = op == ReduceOp::Mean;
  if constexpr (isFloatStorage<T>)
    return fromF32<T>(mean ? v / float(count) : v);
  else if constexpr (std::is_same_v<T, uint8_t>)
    return T(v);
  else // a truncating integer mean; an empty reduction gives 0
    return T(mean ? (count > 0 ? v / count : 0) : v);
}

struct ReduceParams {
  ReduceOp op;
  int64_t count; ///< elements per output (for the mean)
};

/// rows x n contiguous elements -> rows outputs. Thread mapping: with
/// `warpPerRow`, warp w of block b takes row b * (blockDim / 32) + w, else
/// block b takes row b (both grid-stride over rows); lanes / threads stride
/// over the row, in 16-byte packs when `packed`.
template <typename T>
__global__ void reduceRowsKernel(ReduceParams p, AccOf<T> identity,
                                 const T *__restrict__ x, T *__restrict__ out,
                                 int64_t rows, int64_t n, bool warpPerRow,
                                 bool packed) {
  using A = AccOf<T>;
  constexpr int V = 16 / sizeof(T);
  __shared__ A scratch[32];
  Combine<A> combine{p.op};
  int64_t first, step;
  int lane, width;
  if (warpPerRow) {
    int warps = blockDim.x >> 5;
    first = int64_t(blockIdx.x) * warps + (threadIdx.x >> 5);
    step = int64_t(gridDim.x) * warps;
    lane = threadIdx.x & 31;
    width = 32;
  } else {
    first = blockIdx.x;
    step = gridDim.x;
    lane = threadIdx.x;
    width = blockDim.x;
  }
  for (int64_t r = first; r < rows; r += step) {
    const T *row = x + r * n;
    A acc = identity;
    if (packed) {
      using P = Pack<T, V>;
      const P *packs = reinterpret_cast<const P *>(row);
      for (int64_t i = lane; i < n / V; i += width) {
        P v = packs[i];
#pragma unroll
        for (int k = 0; k < V; ++k)
          acc = combine(acc, loadAcc(v.v[k]));
      }
    } else {
      for (int64_t i = lane; i < n; i += width)
        acc = combine(acc, loadAcc(row[i]));
    }
    acc = warpPerRow ? warpAll(acc, combine)
                     : blockAll(acc, combine, scratch, identity);
    if (lane == 0)
      out[r] = finalize<T>(p.op, acc, p.count);
  }
}

/// [outer, n, inner] -> [outer, inner]. Thread mapping: 32 x 8 blocks;
/// threadIdx.x takes 32 adjacent inner positions (coalesced), threadIdx.y
/// splits the n reduced entries 8 ways and shared memory combines them;
/// blockIdx.x tiles inner and blockIdx.y walks outer (both grid-stride).
template <typename T>
__global__ void reduceColumnsKernel(ReduceParams p, AccOf<T> identity,
                                    const T *__restrict__ x,
                                    T *__restrict__ out, int64_t outer,
                                    int64_t n, int64_t inner) {
  using A = AccOf<T>;
  __shared__ A part[8][33];
  Combine<A> combine{p.op};
  int64_t tiles = (inner + 31) / 32;
  for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
      int64_t j = t * 32 + threadIdx.x;
      A acc = identity;
      if (j < inner)
        for (int64_t a = threadIdx.y; a < n; a += 8)
          acc = combine(acc, loadAcc(x[(o * n + a) * inner + j]));
      part[threadIdx.y][threadIdx.x] = acc;
      __syncthreads();
      if (threadIdx.y == 0 && j < inner) {
#pragma unroll
        for (int k = 1; k < 8; ++k)
          acc = combine(acc, part[k][threadIdx.x]);
        out[o * inner + j] = finalize<T>(p.op, acc, p.count);
      }
      __syncthreads();
    }
  }
}

/// Any set of reduced dims. Thread mapping: one warp per output element
/// (grid-stride); `kept` maps the output index to x's offset, and the lanes
/// stride over the reduced index space, which `reduced` maps to offsets.
template <typename T>
__global__ void
reduceGeneralKernel(ReduceParams p, AccOf<T> identity, const T *__restrict__ x,
                    T *__restrict__ out, int64_t outputs, StridedIndex<1> kept,
                    StridedIndex<1> reduced) {
  using A = AccOf<T>;
  Combine<A> combine{p.op};
  int warps = blockDim.x >> 5, lane = threadIdx.x & 31;
  for (int64_t e = int64_t(blockIdx.x) * warps + (threadIdx.x >> 5);
       e < outputs; e += int64_t(gridDim.x) * warps) {
    int64_t base[1];
    kept.offsets(e, base);
    A acc = identity;
    for (int64_t r = lane; r < p.count; r += 32) {
      int64_t off[1];
      reduced.offsets(r, off);
      acc = combine(acc, loadAcc(x[base[0] + off[0]]));
    }
    acc = warpAll(acc, combine);
    if (lane == 0)
      out[e] = finalize<T>(p.op, acc, p.count);
  }
}

const char *reduceName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "reduce_sum";
  case ReduceOp::Mean:
    return "reduce_mean";
  case ReduceOp::Max:
    return "reduce_max";
  case ReduceOp::Min:
    return "reduce_min";
  }
  return "reduce";
}

template <typename T> AccOf<T> identityOf(ReduceOp op) {
  bool max = op == ReduceOp::Max, min = op == ReduceOp::Min;
  if constexpr (isFloatStorage<T>)
    return max ? -kInf : (min ? kInf : 0.0f);
  else if constexpr (std::is_same_v<T, uint8_t>)
    return max ? 0 : (min ? 1 : 0);
  else if constexpr (std::is_same_v<T, int32_t>)
    return max ? INT32_MIN : (min ? INT32_MAX : 0);
  else
    return max ? INT64_MIN : (min ? INT64_MAX : 0);
}

template <typename T>
bool launchReduce(Context &ctx, const char *name, ReduceOp op, const Tensor &x,
                  const bool *reducedDim, int64_t count, Tensor &out) {
  cudaStream_t stream = streamOf(ctx);
  ReduceParams p{op, count};
  AccOf<T> identity = identityOf<T>(op);
  const T *in = x.as<const T>();
  T *y = out.as<T>();
  int64_t outputs = out.numel();
  auto rowsLaunch = [&](int64_t rows, int64_t n) {
    bool packed = n % (16 / int64_t(sizeof(T))) == 0 && isAligned(in, 16);
    if (n < 2048) { // a warp per row, 8 rows per block
      int64_t blocks = (rows + 7) / 8;
      KESTREL_LAUNCH(gridFor(blocks, 1), 256, 0, stream, reduceRowsKernel<T>)
      (p, identity, in, y, rows, n, true, packed);
    } else {
      KESTREL_LAUNCH(gridFor(rows, 1), 512, 0, stream, reduceRowsKernel<T>)
      (p, identity, in, y, rows, n, false, packed);
    }
    return checkLaunch(ctx, name);
  };
  if (x.numel() == 0) // nothing to read: identities (the mean of none)
    return rowsLaunch(outputs, 0);
  // Merge runs of reduced / kept dims (size-1 dims are neither).
  int rank = 0;
  int64_t dims[kMaxRank];
  bool flags[kMaxRank];
  for (int d = 0; d < x.shape.rank; ++d) {
    if (x.shape.dims[d] == 1)
      continue;
    if (rank > 0 && flags[rank - 1] == reducedDim[d]) {
      dims[rank - 1] *= x.shape.dims[d];
      continue;
    }
    dims[rank] = x.shape.dims[d];
    flags[rank++] = reducedDim[d];
  }
  if (rank == 0)
    return rowsLaunch(1, 1);
  if (rank == 1)
    return flags[0] ? rowsLaunch(1, dims[0]) : rowsLaunch(dims[0], 1);
  if (rank == 2 && !flags[0])
    return rowsLaunch(dims[0], dims[1]);
  // One reduced run with kept dims after it: [outer, n, inner].
  bool column = rank == 2 || (rank == 3 && !flags[0]);
  int64_t inner = dims[rank - 1];
  if (column && inner >= 32) {
    int64_t outer = rank == 3 ? dims[0] : 1, n = dims[rank - 2];
    int64_t tiles = (inner + 31) / 32;
    dim3 grid(unsigned(tiles < 65535 ? tiles : 65535),
              unsigned(outer < 65535 ? outer : 65535));
    KESTREL_LAUNCH(grid, dim3(32, 8), 0, stream, reduceColumnsKernel<T>)
    (p, identity, in, y, outer, n, inner);
    return checkLaunch(ctx, name);
  }
  // The general case: kept and reduced dims each as a strided space of x.
  StridedSpace<1> kept, reduced;
  int64_t stride = 1;
  int64_t strides[kMaxRank];
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= dims[d];
  }
  for (int d = 0; d < rank; ++d) {
    StridedSpace<1> &l = flags[d] ? reduced : kept;
    l.dims[l.rank] = dims[d];
    l.strides[0][l.rank++] = strides[d];
  }
  kept.simplify();
  reduced.simplify();
  int64_t blocks = (outputs + 7) / 8;
  KESTREL_LAUNCH(gridFor(blocks, 1), 256, 0, stream, reduceGeneralKernel<T>)
  (p, identity, in, y, outputs, StridedIndex<1>::make(kept),
   StridedIndex<1>::make(reduced));
  return checkLaunch(ctx, name);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// A running max and the sum of exp(x - max). The sum becomes NaN as on the
/// CPU when x holds NaN or +inf (exp(inf - inf)); -inf entries add nothing.
/// While m is -inf, s is 0 or (after a NaN) NaN.
struct MaxSum {
  float m, s;
};

__device__ __forceinline__ void push(MaxSum &a, float x) {
  if (x > a.m) {
    a.s = a.s * expf(a.m - x) + ((x - x) + 1.0f); // NaN for x = +inf
    a.m = x;
  } else if (x != -kInf) {
    a.s += expf(x - a.m);
  }
}

struct MergeMaxSum {
  __device__ __forceinline__ MaxSum operator()(MaxSum a, MaxSum b) const {
    float m = fmaxf(a.m, b.m);
    // A side that saw no number scales by 0 (keeping a NaN), not by
    // exp(-inf - -inf).
    float s = a.s * (a.m == -kInf ? 0.0f : expf(a.m - m)) +
              b.s * (b.m == -kInf ? 0.0f : expf(b.m - m));
    return {m, s};
  }
};

__device__ __forceinline__ MaxSum shuffleXor(MaxSum v, int offset) {
  return {__shfl_xor_sync(0xffffffffu, v.m, offset),
          __shfl_xor_sync(0xffffffffu, v.s, offset)};
}

__device__ __forceinline__ MaxSum warpMaxSum(MaxSum v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1)
    v = MergeMaxSum{}(v, shuffleXor(v, offset));
  return v;
}

template <typename Scratch>
__device__ __forceinline__ MaxSum blockMaxSum(MaxSum v, Scratch &&scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warpMaxSum(v);
  __syncthreads();
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  int warps = blockDim.x >> 5;
  v = lane < warps ? scratch[lane] : MaxSum{-kInf, 0.0f};
  return warpMaxSum(v);
}

/// softmax: e^(x - max) / sum; log_softmax: x - (max + log sum).
__device__ __forceinline__ float softmaxValue(float x, float m, float inv,
                                              float shift, bool logSoftmax) {
  return logSoftmax ? x - shift : expf(x - m) * inv;
}

/// rows x n contiguous elements. Thread mapping: as reduceRowsKernel (a
/// warp or a block per row, grid-stride over rows); the first pass builds
/// the row's MaxSum, the second writes.
//===----------------------------------------------------------------------===//
// Cumulative sum
//===----------------------------------------------------------------------===//

/// One thread per line of an [outer, n, inner] walk, adding along n in
/// order (the CPU's order, so integer and f32 results are identical);
/// neighbouring threads take neighbouring inner columns (coalesced when
/// inner > 1). Floats sum in f32, integers in wrapping uint64_t.
template <typename T, typename Acc>
__global__ void cumsumKernel(const T *__restrict__ x, T *__restrict__ y,
                             int64_t outer, int64_t n, int64_t inner,
                             bool exclusive, bool reverse) {
  int64_t lines = outer * inner;
  for (int64_t line = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
       line < lines; line += int64_t(gridDim.x) * blockDim.x) {
    int64_t o = line / inner, j = line % inner;
    Acc sum = Acc(0);
    for (int64_t step = 0; step < n; ++step) {
      int64_t a = reverse ? n - 1 - step : step;
      int64_t at = (o * n + a) * inner + j;
      Acc v;
      if constexpr (std::is_same_v<Acc, float>)
        v = toF32(x[at]);
      else
        v = Acc(x[at]);
      if (exclusive) {
        if constexpr (std::is_same_v<Acc, float>)
          y[at] = fromF32<T>(sum);
        else
          y[at] = T(sum);
        sum += v;
      } else {
        sum += v;
        if constexpr (std::is_same_v<Acc, float>)
          y[at] = fromF32<T>(sum);
        else
          y[at] = T(sum);
      }
    }
  }
}

template <typename T>
__global__ void softmaxRowsKernel(const T *__restrict__ x, T *__restrict__ y,
                                  int64_t rows, int64_t n, bool logSoftmax,
                                  bool warpPerRow) {
  __shared__ MaxSum scratch[32];
  int64_t first, step;
  int lane, width;
  if (warpPerRow) {
    int warps = blockDim.x >> 5;
    first = int64_t(blockIdx.x) * warps + (threadIdx.x >> 5);
    step = int64_t(gridDim.x) * warps;
    lane = threadIdx.x & 31;
    width = 32;
  } else {
    first = blockIdx.x;
    step = gridDim.x;
    lane = threadIdx.x;
    width = blockDim.x;
  }
  for (int64_t r = first; r < rows; r += step) {
    const T *in = x + r * n;
    T *out = y + r * n;
    MaxSum ms{-kInf, 0.0f};
    for (int64_t i = lane; i < n; i += width)
      push(ms, toF32(in[i]));
    ms = warpPerRow ? warpMaxSum(ms) : blockMaxSum(ms, scratch);
    float inv = 1.0f / ms.s, shift = ms.m + logf(ms.s);
    for (int64_t i = lane; i < n; i += width)
      out[i] =
          fromF32<T>(softmaxValue(toF32(in[i]), ms.m, inv, shift, logSoftmax));
  }
}

/// [outer, n, inner] along n. Thread mapping: as reduceColumnsKernel
/// (32 x 8 blocks; threadIdx.x over 32 inner positions, threadIdx.y
/// splitting n 8 ways, merged in shared memory; then the same split
/// writes).
template <typename T>
__global__ void softmaxColumnsKernel(const T *__restrict__ x, T *__restrict__ y,
                                     int64_t outer, int64_t n, int64_t inner,
                                     bool logSoftmax) {
  __shared__ MaxSum part[8][33];
  int64_t tiles = (inner + 31) / 32;
  for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
      int64_t j = t * 32 + threadIdx.x;
      const T *in = x + o * n * inner + j;
      T *out = y + o * n * inner + j;
      MaxSum ms{-kInf, 0.0f};
      if (j < inner)
        for (int64_t a = threadIdx.y; a < n; a += 8)
          push(ms, toF32(in[a * inner]));
      part[threadIdx.y][threadIdx.x] = ms;
      __syncthreads();
      ms = part[0][threadIdx.x];
#pragma unroll
      for (int k = 1; k < 8; ++k)
        ms = MergeMaxSum{}(ms, part[k][threadIdx.x]);
      float inv = 1.0f / ms.s, shift = ms.m + logf(ms.s);
      if (j < inner)
        for (int64_t a = threadIdx.y; a < n; a += 8)
          out[a * inner] = fromF32<T>(
              softmaxValue(toF32(in[a * inner]), ms.m, inv, shift, logSoftmax));
      __syncthreads();
    }
  }
}

//===----------------------------------------------------------------------===//
// Top-k
//===----------------------------------------------------------------------===//

/// Sort keys: f32 for floats, i64 for integers.
template <typename T>
using KeyOf = std::conditional_t<isFloatStorage<T>, float, int64_t>;

template <typename T> __device__ __forceinline__ KeyOf<T> keyOf(T v) {
  if constexpr (isFloatStorage<T>)
    return toF32(v);
  else
    return int64_t(v);
}

/// A total order on keys: NaN above everything (and equal to NaN).
template <typename K> __device__ __forceinline__ bool keyGreater(K a, K b) {
  if constexpr (std::is_same_v<K, float>)
    return a != a ? b == b : a > b;
  else
    return a > b;
}

/// Whether (ka, ia) comes before (kb, ib) in the result: larger (smaller)
/// keys first, ties by lower index.
template <typename K>
__device__ __forceinline__ bool before(K ka, int64_t ia, K kb, int64_t ib,
                                       bool largest) {
  bool ab = keyGreater(ka, kb), ba = keyGreater(kb, ka);
  if (largest ? ab : ba)
    return true;
  if (largest ? ba : ab)
    return false;
  return ia < ib;
}

constexpr int kSortMax = 2048;

/// One line of n <= kSortMax entries (stride `inner`) per block, sorted by
/// a bitonic network in shared memory over the next power of two (padding
/// sorts last); the first k are written. Thread mapping: grid-stride over
/// lines by block; each thread takes compare-exchange pairs strided by
/// blockDim.
template <typename T>
__global__ void topKSortKernel(const T *__restrict__ x, T *__restrict__ values,
                               int64_t *__restrict__ indices, int64_t lines,
                               int64_t n, int64_t inner, int64_t k, int size,
                               bool largest) {
  using K = KeyOf<T>;
  __shared__ K key[kSortMax];
  __shared__ int16_t at[kSortMax]; // the entry's index, n for padding
  for (int64_t l = blockIdx.x; l < lines; l += gridDim.x) {
    int64_t o = l / inner, j = l % inner;
    const T *src = x + o * n * inner + j;
    for (int i = threadIdx.x; i < size; i += blockDim.x) {
      at[i] = int16_t(i < n ? i : n);
      key[i] = i < n ? keyOf(src[i * inner]) : K(0);
    }
    __syncthreads();
    for (int span = 2; span <= size; span <<= 1) {
      for (int stride = span >> 1; stride > 0; stride >>= 1) {
        for (int t = threadIdx.x; t < size / 2; t += blockDim.x) {
          int a = 2 * t - (t & (stride - 1)), b = a + stride;
          bool up = (a & span) == 0; // this run ends in result order
          // b before a in result order (padding last, by index)?
          bool bFirst = at[a] == n ? at[b] != n
                        : at[b] == n
                            ? false
                            : before<K>(key[b], at[b], key[a], at[a], largest);
          if (bFirst == up) {
            K kt = key[a];
            key[a] = key[b];
            key[b] = kt;
            int16_t it = at[a];
            at[a] = at[b];
            at[b] = it;
          }
        }
        __syncthreads();
      }
    }
    for (int r = threadIdx.x; r < k; r += blockDim.x) {
      int64_t from = at[r];
      values[(o * k + r) * inner + j] = src[from * inner];
      indices[(o * k + r) * inner + j] = from;
    }
    __syncthreads();
  }
}

/// A candidate of a selection round: the best entry after the previous
/// pick (index -1: none).
template <typename K> struct Pick {
  K key;
  int64_t index;
};

template <typename K> struct BetterPick {
  bool largest;
  __device__ __forceinline__ Pick<K> operator()(Pick<K> a, Pick<K> b) const {
    if (a.index < 0)
      return b;
    if (b.index < 0)
      return a;
    return before(a.key, a.index, b.key, b.index, largest) ? a : b;
  }
};

/// Lines longer than kSortMax: k selection rounds per line, each a block
/// reduction for the best entry that comes after the previous pick (the
/// order is total, so the picks come out sorted). Thread mapping: one block
/// per line (grid-stride), threads striding over the line. O(k * n).
template <typename T>
__global__ void
topKSelectKernel(const T *__restrict__ x, T *__restrict__ values,
                 int64_t *__restrict__ indices, int64_t lines, int64_t n,
                 int64_t inner, int64_t k, bool largest) {
  using K = KeyOf<T>;
  __shared__ K scratchKey[32];
  __shared__ int64_t scratchIndex[32];
  BetterPick<K> better{largest};
  for (int64_t l = blockIdx.x; l < lines; l += gridDim.x) {
    int64_t o = l / inner, j = l % inner;
    const T *src = x + o * n * inner + j;
    Pick<K> last{K(0), -1};
    for (int64_t r = 0; r < k; ++r) {
      Pick<K> best{K(0), -1};
      for (int64_t a = threadIdx.x; a < n; a += blockDim.x) {
        Pick<K> c{keyOf(src[a * inner]), a};
        if (last.index < 0 ||
            before(last.key, last.index, c.key, c.index, largest))
          best = better(best, c);
      }
      // Block reduction of (key, index) pairs.
      int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1) {
        Pick<K> other{__shfl_xor_sync(0xffffffffu, best.key, offset),
                      __shfl_xor_sync(0xffffffffu, best.index, offset)};
        best = better(best, other);
      }
      __syncthreads();
      if (lane == 0) {
        scratchKey[warp] = best.key;
        scratchIndex[warp] = best.index;
      }
      __syncthreads();
      int warps = blockDim.x >> 5;
      best = lane < warps ? Pick<K>{scratchKey[lane], scratchIndex[lane]}
                          : Pick<K>{K(0), -1};
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1) {
        Pick<K> other{__shfl_xor_sync(0xffffffffu, best.key, offset),
                      __shfl_xor_sync(0xffffffffu, best.index, offset)};
        best = better(best, other);
      }
      if (threadIdx.x == 0) {
        values[(o * k + r) * inner + j] = src[best.index * inner];
        indices[(o * k + r) * inner + j] = best.index;
      }
      last = best;
    }
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

bool reduce(Context &ctx, ReduceOp op, const Tensor &x, const int64_t *axes,
            int numAxes, bool keepDims, Tensor &out) {
  const char *name = reduceName(op);
  if (!checkReduceOp(ctx, op))
    return false;
  Shape shape;
  if (!checkTensor(ctx, name, "x", x))
    return false;
  // reduceShape names the op "reduce" in its messages; check the axes here
  // with the op's name, as the CPU library does.
  bool valid = numAxes > 0 && axes != nullptr;
  for (int i = 0; valid && i < numAxes; ++i)
    valid = axes[i] >= 0 && axes[i] < x.shape.rank &&
            (i == 0 || axes[i - 1] < axes[i]);
  if (!valid) {
    std::string list = "[";
    for (int i = 0; axes && i < numAxes; ++i)
      list += (i ? ", " : "") + std::to_string(axes[i]);
    return ctx.fail(std::string(name) +
                    ": axes must be non-empty, sorted, unique and in [0, " +
                    std::to_string(x.shape.rank) + "), got " + list + "]");
  }
  if (!viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::reduceShape(c, x.shape, axes, numAxes, keepDims,
                                        shape);
              }) ||
      !checkOut(ctx, name, out, shape, x.dtype))
    return false;
  bool numericOnly = op == ReduceOp::Sum || op == ReduceOp::Mean;
  if (x.dtype == DType::I1 && numericOnly)
    return ctx.fail(std::string(name) + ": does not support i1");
  if (out.numel() == 0)
    return true;
  bool reduced[kMaxRank] = {};
  int64_t count = 1;
  for (int i = 0; i < numAxes; ++i) {
    reduced[axes[i]] = true;
    count *= x.shape.dims[axes[i]];
  }
  bool ok = true;
  dispatchAny(x.dtype, [&](auto tag) {
    ok = launchReduce<decltype(tag)>(ctx, name, op, x, reduced, count, out);
  });
  return ok;
}

bool softmax(Context &ctx, const Tensor &x, int64_t axis, bool logSoftmax,
             Tensor &out) {
  const char *name = logSoftmax ? "log_softmax" : "softmax";
  if (!checkTensor(ctx, name, "x", x) ||
      !checkAxis(ctx, name, axis, x.shape.rank) ||
      !checkOut(ctx, name, out, x.shape, x.dtype))
    return false;
  if (!isFloatType(x.dtype))
    return ctx.fail(std::string(name) + ": needs a float tensor, got " +
                    dtypeName(x.dtype));
  if (x.numel() == 0)
    return true;
  int64_t outer = 1, n = x.shape.dims[axis], inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= x.shape.dims[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape.dims[d];
  cudaStream_t stream = streamOf(ctx);
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (inner == 1) {
      if (n <= 1024) // a warp per row, 8 rows per block
        KESTREL_LAUNCH(gridFor((outer + 7) / 8, 1), 256, 0, stream,
                       softmaxRowsKernel<T>)
      (x.as<const T>(), out.as<T>(), outer, n, logSoftmax, true);
      else KESTREL_LAUNCH(gridFor(outer, 1), 512, 0, stream,
                          softmaxRowsKernel<T>)(x.as<const T>(), out.as<T>(),
                                                outer, n, logSoftmax, false);
    } else {
      int64_t tiles = (inner + 31) / 32;
      dim3 grid(unsigned(tiles < 65535 ? tiles : 65535),
                unsigned(outer < 65535 ? outer : 65535));
      KESTREL_LAUNCH(grid, dim3(32, 8), 0, stream, softmaxColumnsKernel<T>)
      (x.as<const T>(), out.as<T>(), outer, n, inner, logSoftmax);
    }
  });
  return checkLaunch(ctx, name);
}

bool cumsum(Context &ctx, const Tensor &x, int64_t axis, bool exclusive,
            bool reverse, Tensor &out) {
  if (!checkCumSum(ctx, x, axis, out))
    return false;
  if (x.numel() == 0)
    return true;
  int64_t outer = 1, n = x.shape.dims[axis], inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= x.shape.dims[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape.dims[d];
  cudaStream_t stream = streamOf(ctx);
  auto launch = [&](auto tag, auto accTag) {
    using T = decltype(tag);
    using Acc = decltype(accTag);
    KESTREL_LAUNCH(gridFor(outer * inner, 256), 256, 0, stream,
                   cumsumKernel<T, Acc>)
    (x.as<const T>(), out.as<T>(), outer, n, inner, exclusive, reverse);
  };
  if (x.dtype == DType::I64)
    launch(int64_t{}, uint64_t{});
  else if (x.dtype == DType::I32)
    launch(int32_t{}, uint64_t{});
  else
    dispatchFloat(x.dtype, [&](auto tag) { launch(tag, float{}); });
  return checkLaunch(ctx, "cumsum");
}

bool topK(Context &ctx, const Tensor &x, int64_t k, int64_t axis, bool largest,
          Tensor &values, Tensor &indices) {
  Shape shape;
  if (!checkTensor(ctx, "top_k", "x", x) ||
      !viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::topKShape(c, x.shape, k, axis, shape);
              }) ||
      !checkOut(ctx, "top_k", values, shape, x.dtype, "values") ||
      !checkOut(ctx, "top_k", indices, shape, DType::I64, "indices"))
    return false;
  if (!isFloatType(x.dtype) && !isIntType(x.dtype))
    return ctx.fail(std::string("top_k: does not support ") +
                    dtypeName(x.dtype));
  int64_t outer = 1, n = x.shape.dims[axis], inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= x.shape.dims[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape.dims[d];
  int64_t lines = outer * inner;
  if (lines == 0)
    return true;
  cudaStream_t stream = streamOf(ctx);
  unsigned grid = gridFor(lines, 1);
  dispatchAny(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, uint8_t>) {
      if (n <= kSortMax) {
        int size = 1;
        while (size < n)
          size <<= 1;
        int threads = size / 2 < 32 ? 32 : (size / 2 > 1024 ? 1024 : size / 2);
        KESTREL_LAUNCH(grid, threads, 0, stream, topKSortKernel<T>)
        (x.as<const T>(), values.as<T>(), indices.as<int64_t>(), lines, n,
         inner, k, size, largest);
      } else {
        KESTREL_LAUNCH(grid, 1024, 0, stream, topKSelectKernel<T>)
        (x.as<const T>(), values.as<T>(), indices.as<int64_t>(), lines, n,
         inner, k, largest);
      }
    }
  });
  return checkLaunch(ctx, "top_k");
}

} // namespace kestrel::cuda
