//===- DataMovement.cu - Expand, transpose, slice, concat, gather, ... ----===//
//
// The CUDA versions of kernels/cpu/DataMovement.cpp. Elements move
// as opaque words of their size, or of up to 16 bytes where whole runs of
// elements are contiguous and aligned. Expand, transpose and slice are one
// strided copy into the dense result (the CPU library's StridedSpace
// simplification, then a StridedIndex walk); a transpose that moves the
// contiguous dim goes through 32x32 shared-memory tiles. Index checks that
// need the indices' values run on the device: an out-of-range index sets
// DeviceError::IndexOutOfRange and its elements are written as 0.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Common.cuh"

#include <type_traits>

#include <initializer_list>
#include <vector>

namespace kestrel::cuda {

namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t threadIndex() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t threadCount() {
  return int64_t(gridDim.x) * blockDim.x;
}

__device__ __forceinline__ int64_t loadIndex(const void *indices, bool wide,
                                             int64_t i) {
  return wide ? static_cast<const int64_t *>(indices)[i]
              : int64_t(static_cast<const int32_t *>(indices)[i]);
}

/// The widest word (16 bytes down to 1) that divides `bytes` and aligns
/// every pointer.
size_t widestWord(int64_t bytes, std::initializer_list<const void *> ptrs) {
  size_t word = 16;
  for (; word > 1; word /= 2) {
    bool ok = bytes % int64_t(word) == 0;
    for (const void *p : ptrs)
      ok = ok && isAligned(p, word);
    if (ok)
      break;
  }
  return word;
}

//===----------------------------------------------------------------------===//
// Strided copy
//===----------------------------------------------------------------------===//

/// Thread mapping: one destination word per thread per grid-stride step;
/// the destination is dense, the source offset comes from `index`.
template <typename W>
__global__ void stridedCopyKernel(const W *__restrict__ src,
                                  W *__restrict__ dst, int64_t n,
                                  StridedIndex<1> index) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t off[1];
    index.offsets(i, off);
    dst[i] = src[off[0]];
  }
}

constexpr int kTile = 32, kTileRows = 8;

/// A transpose of [rows, cols] planes: the source is contiguous down rows
/// (stride 1) and strided along cols (srcCol), the destination contiguous
/// along cols and strided down rows (dstRow). Thread mapping: one
/// 32 x 8 block per 32 x 32 tile (grid-stride over planes x tiles), each
/// thread moving 4 words in and 4 out through shared memory, so that both
/// the reads and the writes are coalesced.
template <typename W>
__global__ void transposeTileKernel(const W *__restrict__ src,
                                    W *__restrict__ dst, StridedIndex<2> planes,
                                    int64_t rows, int64_t cols, int64_t srcCol,
                                    int64_t dstRow, int64_t tilesR,
                                    int64_t tilesC, int64_t tiles) {
  __shared__ W tile[kTile][kTile + 1]; // [col][row], padded
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    int64_t tc = t % tilesC, rest = t / tilesC;
    int64_t tr = rest % tilesR, plane = rest / tilesR;
    int64_t off[2];
    planes.offsets(plane, off);
    int64_t r0 = tr * kTile, c0 = tc * kTile;
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      int64_t r = r0 + threadIdx.x, c = c0 + j;
      if (r < rows && c < cols)
        tile[j][threadIdx.x] = src[off[0] + r + c * srcCol];
    }
    __syncthreads();
    for (int j = threadIdx.y; j < kTile; j += kTileRows) {
      int64_t r = r0 + j, c = c0 + threadIdx.x;
      if (r < rows && c < cols)
        dst[off[1] + r * dstRow + c] = tile[threadIdx.x][j];
    }
    __syncthreads();
  }
}

/// Copies the view of `src` with `dims` and element `strides` (0 for
/// broadcast, negative for reversed) into the dense `dst`.
bool stridedCopy(Context &ctx, const char *name, size_t bytes, const void *src,
                 const int64_t *dims, const int64_t *strides, int rank,
                 void *dst) {
  StridedSpace<2> s; // operand 0: the source, 1: the dense destination
  s.rank = rank;
  int64_t dense = 1;
  for (int d = rank - 1; d >= 0; --d) {
    s.dims[d] = dims[d];
    s.strides[0][d] = strides[d];
    s.strides[1][d] = dense;
    dense *= dims[d];
  }
  if (s.numel() == 0)
    return true;
  s.simplify();
  int inner = s.rank - 1;
  int64_t step = s.strides[0][inner];
  int q = -1; // an outer dim that is contiguous in the source
  for (int d = 0; d < inner; ++d)
    if (s.strides[0][d] == 1)
      q = d;
  if (step == 1 || step == 0 || q < 0) {
    // Contiguous source rows move in the widest aligned words.
    size_t word = bytes;
    if (step == 1) {
      for (size_t w = 16; w > bytes; w /= 2) {
        bool ok = (s.dims[inner] * int64_t(bytes)) % int64_t(w) == 0 &&
                  isAligned(src, w) && isAligned(dst, w);
        for (int d = 0; ok && d < inner; ++d)
          ok = (s.strides[0][d] * int64_t(bytes)) % int64_t(w) == 0;
        if (ok) {
          word = w;
          break;
        }
      }
      int64_t factor = int64_t(word / bytes);
      s.dims[inner] /= factor;
      for (int d = 0; d < inner; ++d)
        s.strides[0][d] /= factor;
    }
    StridedSpace<1> source;
    source.rank = s.rank;
    for (int d = 0; d < s.rank; ++d) {
      source.dims[d] = s.dims[d];
      source.strides[0][d] = s.strides[0][d];
    }
    int64_t n = source.numel();
    dispatchWords(word, [&](auto tag) {
      using W = decltype(tag);
      KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                     stridedCopyKernel<W>)
      (static_cast<const W *>(src), static_cast<W *>(dst), n,
       StridedIndex<1>::make(source));
    });
    return checkLaunch(ctx, name);
  }
  // A transpose: [q, inner] planes, tile by tile.
  s.moveDim(q, inner - 1);
  int64_t rows = s.dims[inner - 1], cols = s.dims[inner];
  int64_t tilesR = (rows + kTile - 1) / kTile;
  int64_t tilesC = (cols + kTile - 1) / kTile;
  int64_t tiles = s.numel() / (rows * cols) * tilesR * tilesC;
  unsigned grid = unsigned(tiles < 65535LL * 16 ? tiles : 65535LL * 16);
  dispatchBytes(bytes, [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(grid, dim3(kTile, kTileRows), 0, streamOf(ctx),
                   transposeTileKernel<W>)
    (static_cast<const W *>(src), static_cast<W *>(dst),
     StridedIndex<2>::make(s, inner - 1), rows, cols, step,
     s.strides[1][inner - 1], tilesR, tilesC, tiles);
  });
  return checkLaunch(ctx, name);
}

/// ONNX Slice bounds of one dimension: the first index and the count (the
/// CPU library's sliceDim).
void sliceDim(int64_t dim, int64_t start, int64_t end, int64_t step,
              int64_t &first, int64_t &count) {
  if (dim == 0) {
    first = count = 0;
    return;
  }
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  auto clamp = [](int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
  };
  uint64_t span, stride;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
    span = end > start ? uint64_t(end - start) : 0;
    stride = uint64_t(step);
  } else {
    start = clamp(start, 0, dim - 1);
    end = clamp(end, -1, dim - 1);
    span = start > end ? uint64_t(start - end) : 0;
    stride = uint64_t(0) - uint64_t(step); // |step|, also for INT64_MIN
  }
  first = start;
  count = span == 0 ? 0 : int64_t((span - 1) / stride + 1);
}

//===----------------------------------------------------------------------===//
// Concat and split
//===----------------------------------------------------------------------===//

constexpr int kMaxParts = 32;

/// Up to kMaxParts concat inputs (split outputs) of one launch. `begin[p]`
/// is part p's first word within the launch's span of a whole row;
/// begin[count] is the span.
struct Parts {
  int count = 0;
  void *ptr[kMaxParts] = {};
  int64_t begin[kMaxParts + 1] = {};
};

/// Thread mapping: one word per thread per grid-stride step over
/// outer x span; the part comes from a binary search over `begin`. `whole`
/// points at the span's first word in row 0 (rows `wholeRow` words apart).
template <typename W>
__global__ void concatSplitKernel(Parts parts, W *whole, int64_t wholeRow,
                                  int64_t n, IndexDivisor span, bool split) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t o, c;
    span.divmod(i, o, c);
    int lo = 0, hi = parts.count; // begin[lo] <= c < begin[hi]
    while (hi - lo > 1) {
      int mid = (lo + hi) >> 1;
      if (parts.begin[mid] <= c)
        lo = mid;
      else
        hi = mid;
    }
    int64_t chunk = parts.begin[lo + 1] - parts.begin[lo];
    W *part =
        static_cast<W *>(parts.ptr[lo]) + o * chunk + (c - parts.begin[lo]);
    W *w = whole + o * wholeRow + c;
    if (split)
      *part = *w;
    else
      *w = *part;
  }
}

/// Moves every part between `whole` ([outer, sum of chunks] bytes) and the
/// parts ([outer, chunk bytes] each), kMaxParts per launch.
bool concatSplit(Context &ctx, const char *name, char *whole, int64_t outer,
                 int64_t rowBytes, void *const *ptrs, const int64_t *chunks,
                 int count, bool split) {
  size_t word = widestWord(rowBytes, {whole});
  for (int i = 0; i < count; ++i)
    while (word > 1 && (chunks[i] % int64_t(word) != 0 ||
                        (chunks[i] > 0 && !isAligned(ptrs[i], word))))
      word /= 2;
  int64_t w = int64_t(word), at = 0;
  for (int first = 0; first < count; first += kMaxParts) {
    Parts parts;
    int64_t start = at;
    for (int i = first; i < count && parts.count < kMaxParts; ++i) {
      parts.ptr[parts.count] = ptrs[i];
      parts.begin[parts.count] = (at - start) / w;
      at += chunks[i];
      ++parts.count;
    }
    parts.begin[parts.count] = (at - start) / w;
    int64_t spanWords = (at - start) / w, n = outer * spanWords;
    if (n == 0)
      continue;
    dispatchWords(word, [&](auto tag) {
      using W = decltype(tag);
      KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                     concatSplitKernel<W>)
      (parts, reinterpret_cast<W *>(whole + start), rowBytes / w, n,
       IndexDivisor::make(spanWords, n), split);
    });
    if (!checkLaunch(ctx, name))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

/// out [outer, count, inner] = x [outer, size, inner] at the indices, in
/// words of the inner run. Thread mapping: one output word per thread per
/// grid-stride step. With `write` false (an empty output) only the indices
/// are checked, one per thread.
template <typename W>
__global__ void
gatherKernel(const W *__restrict__ x, const void *__restrict__ indices,
             bool wide, W *__restrict__ out, int64_t n, IndexDivisor inner,
             IndexDivisor count, int64_t size, bool write, int *errorFlag) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t row, j, o, k;
    inner.divmod(i, row, j);
    count.divmod(row, o, k);
    int64_t index = loadIndex(indices, wide, k);
    int64_t at = index < 0 ? index + size : index;
    bool valid = at >= 0 && at < size;
    if (!valid)
      raiseError(errorFlag, DeviceError::IndexOutOfRange);
    if (write)
      out[i] = valid ? x[(o * size + at) * inner.value + j] : W{};
  }
}

/// out[i] = x[offset(i) + at(indices[i]) * axisStride], out with the
/// indices' shape. Thread mapping: one element per thread per grid-stride
/// step; `index` walks the indices' space with x's strides (the axis
/// stride left out).
template <typename W>
__global__ void gatherElementsKernel(const W *__restrict__ x,
                                     const void *__restrict__ indices,
                                     bool wide, W *__restrict__ out, int64_t n,
                                     StridedIndex<1> index, int64_t axisStride,
                                     int64_t size, int *errorFlag) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t off[1];
    index.offsets(i, off);
    int64_t k = loadIndex(indices, wide, i);
    int64_t at = k < 0 ? k + size : k;
    if (at < 0 || at >= size) {
      raiseError(errorFlag, DeviceError::IndexOutOfRange);
      out[i] = W{};
    } else {
      out[i] = x[off[0] + at * axisStride];
    }
  }
}

/// The indexed dims of a gather_nd: sizes and word strides of x's dims
/// [batchDims, batchDims + depth).
struct NdDims {
  int depth = 0;
  int64_t size[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};
};

/// One update element into `o` under `r`, as kernels/cpu does it: the
/// value itself for None, else combined in f32 and rounded to T (integers
/// in their type, wrapping).
template <typename T>
__device__ __forceinline__ void scatterInto(T *o, T u, ScatterReduction r) {
  if (r == ScatterReduction::None)
    *o = u;
  else if constexpr (std::is_integral_v<T>)
    *o = scatterCombine(r, *o, u);
  else
    *o = fromF32<T>(scatterCombine(r, toF32(*o), toF32(u)));
}

/// The index space of a scatter_elements: indices' dims and strides (the
/// updates share them), x's strides, the axis and its size in x.
struct ScatterDims {
  int rank = 0, axis = 0;
  int64_t dims[kMaxRank] = {}, strides[kMaxRank] = {}, xStrides[kMaxRank] = {};
  int64_t axisSize = 0;
};

/// One thread per line of the indices (every coordinate but the axis),
/// walking the axis in order: updates of one line may hit one element,
/// those of different lines never do, so the order is the CPU's.
template <typename T>
__global__ void
scatterElementsKernel(T *__restrict__ out, const void *__restrict__ indices,
                      bool wide, const T *__restrict__ upd, int64_t lines,
                      ScatterDims s, ScatterReduction r, int *errorFlag) {
  for (int64_t line = threadIndex(); line < lines; line += threadCount()) {
    int64_t rest = line, base = 0, xBase = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      if (d == s.axis)
        continue;
      int64_t c = rest % s.dims[d];
      rest /= s.dims[d];
      base += c * s.strides[d];
      xBase += c * s.xStrides[d];
    }
    for (int64_t j = 0; j < s.dims[s.axis]; ++j) {
      int64_t i = base + j * s.strides[s.axis];
      int64_t k = loadIndex(indices, wide, i);
      int64_t pos = k < 0 ? k + s.axisSize : k;
      if (pos < 0 || pos >= s.axisSize) {
        raiseError(errorFlag, DeviceError::IndexOutOfRange);
        continue;
      }
      scatterInto(out + xBase + pos * s.xStrides[s.axis], upd[i], r);
    }
  }
}

/// One thread per element of the slice (x.shape[depth:]), walking the
/// index tuples in order: only the same slice element of two tuples can
/// collide, and one thread handles both.
template <typename T>
__global__ void
scatterNdKernel(T *__restrict__ out, const void *__restrict__ indices,
                bool wide, const T *__restrict__ upd, int64_t tuples,
                int64_t slice, NdDims nd, ScatterReduction r, int *errorFlag) {
  for (int64_t e = threadIndex(); e < slice; e += threadCount()) {
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t offset = 0;
      bool valid = true;
      for (int j = 0; j < nd.depth; ++j) {
        int64_t k = loadIndex(indices, wide, t * nd.depth + j);
        int64_t pos = k < 0 ? k + nd.size[j] : k;
        valid = valid && pos >= 0 && pos < nd.size[j];
        offset += pos * nd.stride[j];
      }
      if (!valid) {
        raiseError(errorFlag, DeviceError::IndexOutOfRange);
        continue;
      }
      scatterInto(out + offset + e, upd[t * slice + e], r);
    }
  }
}

/// out [tuples, slice] = the x slices the index tuples select, in words.
/// Thread mapping: one output word per thread per grid-stride step; each
/// thread reads its tuple (depth indices, shared through the cache by the
/// threads of one slice). With `write` false, one tuple per thread is
/// checked.
template <typename W>
__global__ void
gatherNdKernel(const W *__restrict__ x, const void *__restrict__ indices,
               bool wide, W *__restrict__ out, int64_t n, IndexDivisor slice,
               IndexDivisor perBatch, int64_t batchSpan, NdDims nd, bool write,
               int *errorFlag) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t t, j;
    slice.divmod(i, t, j);
    int64_t batch, within;
    perBatch.divmod(t, batch, within);
    int64_t offset = batch * batchSpan;
    bool valid = true;
#pragma unroll
    for (int e = 0; e < kMaxRank; ++e) {
      if (e < nd.depth) {
        int64_t k = loadIndex(indices, wide, t * nd.depth + e);
        int64_t at = k < 0 ? k + nd.size[e] : k;
        valid = valid && at >= 0 && at < nd.size[e];
        offset += at * nd.stride[e];
      }
    }
    if (!valid)
      raiseError(errorFlag, DeviceError::IndexOutOfRange);
    if (write)
      out[i] = valid ? x[offset + j] : W{};
  }
}

//===----------------------------------------------------------------------===//
// Range and shape
//===----------------------------------------------------------------------===//

/// Thread mapping: one element per thread per grid-stride step. Integers:
/// start + i * delta in wrapping 64 bits; floats: start + i * delta in
/// double, rounded to f32 and then to T (the CPU library's arithmetic).
template <typename T>
__global__ void rangeKernel(T *__restrict__ y, int64_t n, uint64_t startInt,
                            uint64_t deltaInt, double start, double delta) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    if constexpr (isFloatStorage<T>)
      y[i] = fromF32<T>(float(start + double(i) * delta));
    else
      y[i] = T(int64_t(startInt + uint64_t(i) * deltaInt));
  }
}

struct Dims {
  int64_t value[kMaxRank] = {};
};

/// Thread mapping: thread d writes dim d (rank <= 8 threads); the select
/// chain keeps the dims in registers (no local copy of the argument).
__global__ void shapeOfKernel(int64_t *__restrict__ out, int rank, Dims dims) {
  int d = int(threadIdx.x);
  if (d >= rank)
    return;
  int64_t value = 0;
#pragma unroll
  for (int k = 0; k < kMaxRank; ++k)
    value = k == d ? dims.value[k] : value;
  out[d] = value;
}

} // namespace

//===----------------------------------------------------------------------===//
// Expand, transpose, slice
//===----------------------------------------------------------------------===//

bool expand(Context &ctx, const Tensor &x, Tensor &out) {
  if (!checkTensor(ctx, "expand", "x", x) ||
      !checkOut(ctx, "expand", out, out.shape, x.dtype) ||
      !checkBroadcastsTo(ctx, "expand", "x", x.shape, out.shape))
    return false;
  int64_t strides[kMaxRank];
  broadcastStrides(x.shape, out.shape.rank, strides);
  return stridedCopy(ctx, "expand", dtypeSize(x.dtype), x.data, out.shape.dims,
                     strides, out.shape.rank, out.data);
}

bool transpose(Context &ctx, const Tensor &x, const int64_t *perm,
               Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "transpose", "x", x) ||
      !viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::transposeShape(c, x.shape, perm, shape);
              }) ||
      !checkOut(ctx, "transpose", out, shape, x.dtype))
    return false;
  int64_t in[kMaxRank], strides[kMaxRank];
  contiguousStrides(x.shape, in);
  for (int i = 0; i < shape.rank; ++i)
    strides[i] = in[perm[i]];
  return stridedCopy(ctx, "transpose", dtypeSize(x.dtype), x.data, shape.dims,
                     strides, shape.rank, out.data);
}

bool slice(Context &ctx, const Tensor &x, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "slice", "x", x) ||
      !viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::sliceShape(c, x.shape, starts, ends, steps, shape);
              }) ||
      !checkOut(ctx, "slice", out, shape, x.dtype))
    return false;
  if (out.numel() == 0)
    return true;
  int64_t in[kMaxRank], strides[kMaxRank], base = 0;
  contiguousStrides(x.shape, in);
  for (int d = 0; d < x.shape.rank; ++d) {
    int64_t first, count;
    sliceDim(x.shape.dims[d], starts[d], ends[d], steps[d], first, count);
    base += first * in[d];
    // With one element the step is never taken (and may be huge).
    strides[d] = count > 1 ? steps[d] * in[d] : 0;
  }
  size_t bytes = dtypeSize(x.dtype);
  return stridedCopy(ctx, "slice", bytes,
                     x.as<const char>() + base * int64_t(bytes), shape.dims,
                     strides, shape.rank, out.data);
}

//===----------------------------------------------------------------------===//
// Concat and split
//===----------------------------------------------------------------------===//

bool concat(Context &ctx, const Tensor *inputs, int numInputs, int64_t axis,
            Tensor &out) {
  Shape shape;
  if (!viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::concatShape(c, inputs, numInputs, axis, shape);
              }) ||
      !checkOut(ctx, "concat", out, shape, inputs[0].dtype))
    return false;
  if (out.numel() == 0)
    return true;
  int64_t outer = 1, inner = int64_t(dtypeSize(out.dtype));
  for (int d = 0; d < axis; ++d)
    outer *= shape.dims[d];
  for (int d = int(axis) + 1; d < shape.rank; ++d)
    inner *= shape.dims[d];
  std::vector<void *> ptrs(static_cast<size_t>(numInputs));
  std::vector<int64_t> chunks(static_cast<size_t>(numInputs));
  for (int i = 0; i < numInputs; ++i) {
    ptrs[size_t(i)] = inputs[i].data;
    chunks[size_t(i)] = inputs[i].shape.dims[axis] * inner;
  }
  return concatSplit(ctx, "concat", out.as<char>(), outer,
                     shape.dims[axis] * inner, ptrs.data(), chunks.data(),
                     numInputs, false);
}

bool split(Context &ctx, const Tensor &x, int64_t axis, Tensor *outs,
           int numOutputs) {
  if (!checkSplit(ctx, x, axis, outs, numOutputs))
    return false;
  if (x.numel() == 0)
    return true;
  int64_t outer = 1, inner = int64_t(dtypeSize(x.dtype));
  for (int d = 0; d < axis; ++d)
    outer *= x.shape.dims[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape.dims[d];
  std::vector<void *> ptrs(static_cast<size_t>(numOutputs));
  std::vector<int64_t> chunks(static_cast<size_t>(numOutputs));
  for (int i = 0; i < numOutputs; ++i) {
    ptrs[size_t(i)] = outs[i].data;
    chunks[size_t(i)] = outs[i].shape.dims[axis] * inner;
  }
  return concatSplit(ctx, "split", const_cast<char *>(x.as<const char>()),
                     outer, x.shape.dims[axis] * inner, ptrs.data(),
                     chunks.data(), numOutputs, true);
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

namespace {

/// A pad's geometry: the output's dims, the input's dims and element
/// strides, and the begin pads.
struct PadDims {
  int rank = 0;
  int64_t out[kMaxRank] = {}, in[kMaxRank] = {}, stride[kMaxRank] = {},
          begin[kMaxRank] = {};
};

/// Thread mapping: one output element per thread per grid-stride step; its
/// coordinates map through padSource (the function the CPU library uses)
/// to an input element, or to the value.
template <typename W>
__global__ void padKernel(const W *__restrict__ x, const W *__restrict__ value,
                          W *__restrict__ out, int64_t n, PadDims g,
                          PadMode mode) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t rest = i, off = 0;
    bool inside = true;
    for (int d = g.rank - 1; d >= 0; --d) {
      int64_t c = rest % g.out[d];
      rest /= g.out[d];
      int64_t s = padSource(c - g.begin[d], g.in[d], mode);
      inside = inside && s >= 0;
      off += (s < 0 ? 0 : s) * g.stride[d];
    }
    out[i] = inside ? x[off] : value[0];
  }
}

} // namespace

bool pad(Context &ctx, const Tensor &x, const int64_t *pads, PadMode mode,
         const Tensor &value, Tensor &out) {
  if (!viaCpu(ctx, [&](cpu::Context &c) {
        return cpu::checkPad(c, x, pads, mode, value, out);
      }))
    return false;
  int64_t n = out.numel();
  if (n == 0)
    return true;
  PadDims g;
  g.rank = x.shape.rank;
  contiguousStrides(x.shape, g.stride);
  for (int d = 0; d < g.rank; ++d) {
    g.out[d] = out.shape.dims[d];
    g.in[d] = x.shape.dims[d];
    g.begin[d] = pads[d];
  }
  dispatchWords(dtypeSize(x.dtype), [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   padKernel<W>)
    (x.as<const W>(), value.as<const W>(), out.as<W>(), n, g, mode);
  });
  return checkLaunch(ctx, "pad");
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

bool gather(Context &ctx, const Tensor &x, const Tensor &indices, int64_t axis,
            Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "gather", "x", x) ||
      !checkIndexTensor(ctx, "gather", indices) ||
      !viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::gatherShape(c, x.shape, indices.shape, axis, shape);
              }) ||
      !checkOut(ctx, "gather", out, shape, x.dtype))
    return false;
  int64_t size = x.shape.dims[axis], count = indices.numel();
  if (count == 0)
    return true;
  int64_t outer = 1, inner = int64_t(dtypeSize(x.dtype));
  for (int d = 0; d < axis; ++d)
    outer *= x.shape.dims[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape.dims[d];
  bool wide = indices.dtype == DType::I64;
  bool write = out.numel() > 0;
  // An empty output still has its indices checked, as on the CPU.
  size_t word = write ? widestWord(inner, {x.data, out.data}) : 1;
  int64_t innerWords = write ? inner / int64_t(word) : 1;
  int64_t n = write ? outer * count * innerWords : count;
  dispatchWords(word, [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   gatherKernel<W>)
    (x.as<const W>(), indices.data, wide, out.as<W>(), n,
     IndexDivisor::make(innerWords, n),
     IndexDivisor::make(count, write ? outer * count : count), size, write,
     ctx.errorFlag);
  });
  return checkLaunch(ctx, "gather");
}

bool gatherElements(Context &ctx, const Tensor &x, const Tensor &indices,
                    int64_t axis, Tensor &out) {
  if (!checkGatherElements(ctx, x, indices, axis, out))
    return false;
  int rank = x.shape.rank;
  int64_t n = indices.numel();
  if (n == 0)
    return true;
  StridedSpace<1> layout;
  layout.rank = rank;
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  for (int d = 0; d < rank; ++d) {
    layout.dims[d] = indices.shape.dims[d];
    layout.strides[0][d] = d == axis ? 0 : xStrides[d];
  }
  layout.simplify();
  dispatchBytes(dtypeSize(x.dtype), [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   gatherElementsKernel<W>)
    (x.as<const W>(), indices.data, indices.dtype == DType::I64, out.as<W>(), n,
     StridedIndex<1>::make(layout), xStrides[axis], x.shape.dims[axis],
     ctx.errorFlag);
  });
  return checkLaunch(ctx, "gather_elements");
}

bool scatterElements(Context &ctx, const Tensor &x, const Tensor &indices,
                     const Tensor &updates, int64_t axis,
                     ScatterReduction reduction, Tensor &out) {
  if (!checkScatterElements(ctx, x, indices, updates, axis, reduction, out))
    return false;
  if (!copy(ctx, x, out)) // out starts as x
    return false;
  int64_t along = indices.shape.dims[axis];
  if (indices.numel() == 0)
    return true;
  ScatterDims s;
  s.rank = x.shape.rank;
  s.axis = int(axis);
  s.axisSize = x.shape.dims[axis];
  contiguousStrides(indices.shape, s.strides);
  contiguousStrides(x.shape, s.xStrides);
  for (int d = 0; d < s.rank; ++d)
    s.dims[d] = indices.shape.dims[d];
  int64_t lines = indices.numel() / along;
  dispatchAny(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(lines, kThreads), kThreads, 0, streamOf(ctx),
                   scatterElementsKernel<T>)
    (out.as<T>(), indices.data, indices.dtype == DType::I64,
     updates.as<const T>(), lines, s, reduction, ctx.errorFlag);
  });
  return checkLaunch(ctx, "scatter_elements");
}

bool scatterNd(Context &ctx, const Tensor &x, const Tensor &indices,
               const Tensor &updates, ScatterReduction reduction, Tensor &out) {
  if (!checkScatterNd(ctx, x, indices, updates, reduction, out))
    return false;
  if (!copy(ctx, x, out)) // out starts as x
    return false;
  NdDims nd;
  nd.depth = int(indices.shape.dims[indices.shape.rank - 1]);
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  for (int j = 0; j < nd.depth; ++j) {
    nd.size[j] = x.shape.dims[j];
    nd.stride[j] = xStrides[j];
  }
  int64_t tuples = indices.numel() / nd.depth;
  int64_t slice = nd.depth < x.shape.rank ? xStrides[nd.depth - 1] : 1;
  if (tuples == 0 || slice == 0)
    return true;
  dispatchAny(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(slice, kThreads), kThreads, 0, streamOf(ctx),
                   scatterNdKernel<T>)
    (out.as<T>(), indices.data, indices.dtype == DType::I64,
     updates.as<const T>(), tuples, slice, nd, reduction, ctx.errorFlag);
  });
  return checkLaunch(ctx, "scatter_nd");
}

bool gatherNd(Context &ctx, const Tensor &x, const Tensor &indices,
              int64_t batchDims, Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "gather_nd", "x", x) ||
      !checkIndexTensor(ctx, "gather_nd", indices) ||
      !viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::gatherNdShape(c, x.shape, indices.shape, batchDims,
                                          shape);
              }) ||
      !checkOut(ctx, "gather_nd", out, shape, x.dtype))
    return false;
  int b = int(batchDims);
  int64_t depth = indices.shape.dims[indices.shape.rank - 1];
  int64_t tuples = 1;
  for (int d = 0; d < indices.shape.rank - 1; ++d)
    tuples *= indices.shape.dims[d];
  if (tuples == 0)
    return true;
  // Tuples per batch entry, and the input elements each batch entry spans.
  int64_t perBatch = 1, batchSpan = 1;
  for (int d = b; d < indices.shape.rank - 1; ++d)
    perBatch *= indices.shape.dims[d];
  for (int d = b; d < x.shape.rank; ++d)
    batchSpan *= x.shape.dims[d];
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  int64_t bytes = int64_t(dtypeSize(x.dtype)), sliceBytes = bytes;
  for (int d = b + int(depth); d < x.shape.rank; ++d)
    sliceBytes *= x.shape.dims[d];
  bool write = out.numel() > 0;
  // Offsets of whole slices are multiples of the slice: any word dividing
  // the slice's bytes divides them.
  size_t word = write ? widestWord(sliceBytes, {x.data, out.data}) : 1;
  int64_t w = int64_t(word);
  NdDims nd;
  nd.depth = int(depth);
  for (int e = 0; e < nd.depth; ++e) {
    nd.size[e] = x.shape.dims[b + e];
    nd.stride[e] = write ? xStrides[b + e] * bytes / w : 0;
  }
  int64_t sliceWords = write ? sliceBytes / w : 1;
  int64_t n = tuples * sliceWords;
  dispatchWords(word, [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   gatherNdKernel<W>)
    (x.as<const W>(), indices.data, indices.dtype == DType::I64, out.as<W>(), n,
     IndexDivisor::make(sliceWords, n), IndexDivisor::make(perBatch, tuples),
     write ? batchSpan * bytes / w : 0, nd, write, ctx.errorFlag);
  });
  return checkLaunch(ctx, "gather_nd");
}

//===----------------------------------------------------------------------===//
// NonZero
//===----------------------------------------------------------------------===//

// Three passes over tiles of kNonZeroTile elements, a tile per block: count
// each tile's non-zero elements, scan the counts into each tile's first
// output column (and the total), then write each tile's indices. Within a
// tile, round r covers the kNonZeroThreads elements from r * kNonZeroThreads
// (coalesced), a warp ballot ranks the lanes and the warps' counts rank the
// warps, so the indices come out in row-major order.
namespace {

constexpr int kNonZeroThreads = 256, kNonZeroRounds = 16;
constexpr int kNonZeroWarps = kNonZeroThreads / 32;
constexpr int64_t kNonZeroTile = int64_t(kNonZeroThreads) * kNonZeroRounds;
constexpr int kScanThreads = 1024;

struct NonZeroDims {
  int rank;
  int64_t size[kMaxRank];
};

template <typename U>
__global__ void __launch_bounds__(kNonZeroThreads)
    nonZeroCountKernel(const U *__restrict__ x, int64_t n, U mask,
                       int64_t *__restrict__ counts) {
  __shared__ int warpCounts[kNonZeroWarps];
  int64_t base = int64_t(blockIdx.x) * kNonZeroTile;
  int found = 0;
  for (int r = 0; r < kNonZeroRounds; ++r) {
    int64_t i = base + int64_t(r) * kNonZeroThreads + threadIdx.x;
    found += i < n && (x[i] & mask) != 0;
  }
  for (int offset = 16; offset > 0; offset /= 2)
    found += __shfl_down_sync(0xffffffffu, found, offset);
  if (threadIdx.x % 32 == 0)
    warpCounts[threadIdx.x / 32] = found;
  __syncthreads();
  if (threadIdx.x == 0) {
    int64_t total = 0;
    for (int w = 0; w < kNonZeroWarps; ++w)
      total += warpCounts[w];
    counts[blockIdx.x] = total;
  }
}

/// One block: counts[0, tiles) become their exclusive prefix sums, and
/// *total the sum.
__global__ void __launch_bounds__(kScanThreads)
    nonZeroScanKernel(int64_t *__restrict__ counts, int64_t tiles,
                      int64_t *__restrict__ total) {
  __shared__ int64_t warpSums[kScanThreads / 32];
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int64_t carry = 0;
  for (int64_t first = 0; first < tiles; first += kScanThreads) {
    int64_t i = first + threadIdx.x;
    int64_t own = i < tiles ? counts[i] : 0, sum = own;
    for (int offset = 1; offset < 32; offset *= 2) {
      int64_t up = __shfl_up_sync(0xffffffffu, sum, offset);
      if (lane >= offset)
        sum += up;
    }
    if (lane == 31)
      warpSums[warp] = sum;
    __syncthreads();
    int64_t before = carry, all = carry;
    for (int w = 0; w < kScanThreads / 32; ++w) {
      before += w < warp ? warpSums[w] : 0;
      all += warpSums[w];
    }
    if (i < tiles)
      counts[i] = before + sum - own;
    carry = all;
    __syncthreads(); // warpSums is rewritten by the next chunk
  }
  if (threadIdx.x == 0)
    *total = carry;
}

template <typename U>
__global__ void __launch_bounds__(kNonZeroThreads)
    nonZeroWriteKernel(const U *__restrict__ x, int64_t n, U mask,
                       NonZeroDims dims, const int64_t *__restrict__ firsts,
                       const int64_t *__restrict__ total,
                       int64_t *__restrict__ out) {
  __shared__ int warpCounts[kNonZeroWarps];
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int64_t count = *total, next = firsts[blockIdx.x];
  int64_t base = int64_t(blockIdx.x) * kNonZeroTile;
  for (int r = 0; r < kNonZeroRounds; ++r) {
    int64_t i = base + int64_t(r) * kNonZeroThreads + threadIdx.x;
    bool set = i < n && (x[i] & mask) != 0;
    unsigned lanes = __ballot_sync(0xffffffffu, set);
    if (lane == 0)
      warpCounts[warp] = __popc(lanes);
    __syncthreads();
    int64_t before = 0, all = 0;
    for (int w = 0; w < kNonZeroWarps; ++w) {
      before += w < warp ? warpCounts[w] : 0;
      all += warpCounts[w];
    }
    if (set) {
      int64_t j = next + before + __popc(lanes & ((1u << lane) - 1));
      int64_t rest = i;
      for (int d = dims.rank - 1; d >= 0; --d) {
        out[d * count + j] = rest % dims.size[d];
        rest /= dims.size[d];
      }
    }
    next += all;
    __syncthreads(); // warpCounts is rewritten by the next round
  }
}

} // namespace

bool nonZero(Context &ctx, const Tensor &x, Tensor &out) {
  Shape bound;
  if (!checkTensor(ctx, "nonzero", "x", x) ||
      !viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::nonZeroShape(c, x.shape, bound);
              }) ||
      !checkOut(ctx, "nonzero", out, bound, DType::I64))
    return false;
  int64_t n = x.numel();
  if (n == 0) {
    out.shape.dims[1] = 0;
    return true;
  }
  int64_t tiles = (n + kNonZeroTile - 1) / kNonZeroTile;
  if (tiles > 0x7fffffff)
    return ctx.fail("nonzero: " + str(n) + " elements are too many");
  NonZeroDims dims{};
  dims.rank = bound.dims[0];
  for (int d = 0; d < x.shape.rank; ++d)
    dims.size[d] = x.shape.dims[d];
  if (x.shape.rank == 0)
    dims.size[0] = 1;
  auto stream = streamOf(ctx);
  int64_t *scratch = nullptr; // the tiles' counts, then the total
  if (cudaError_t status =
          cudaMallocAsync(reinterpret_cast<void **>(&scratch),
                          size_t(tiles + 1) * sizeof(int64_t), stream);
      status != cudaSuccess)
    return ctx.fail("nonzero: cannot allocate " + str(tiles + 1) +
                    " counts: " + cudaGetErrorString(status));
  uint64_t mask = nonZeroBits(x.dtype);
  auto passes = [&](auto tag) {
    using U = decltype(tag);
    KESTREL_LAUNCH(unsigned(tiles), kNonZeroThreads, 0, stream,
                   nonZeroCountKernel<U>)
    (x.as<const U>(), n, U(mask), scratch);
    KESTREL_LAUNCH(1, kScanThreads, 0, stream, nonZeroScanKernel)
    (scratch, tiles, scratch + tiles);
    KESTREL_LAUNCH(unsigned(tiles), kNonZeroThreads, 0, stream,
                   nonZeroWriteKernel<U>)
    (x.as<const U>(), n, U(mask), dims, scratch, scratch + tiles,
     out.as<int64_t>());
  };
  switch (dtypeSize(x.dtype)) {
  case 1:
    passes(uint8_t{});
    break;
  case 2:
    passes(uint16_t{});
    break;
  case 4:
    passes(uint32_t{});
    break;
  default:
    passes(uint64_t{});
    break;
  }
  bool launched = checkLaunch(ctx, "nonzero");
  int64_t count = 0;
  cudaError_t copied = cudaMemcpyAsync(&count, scratch + tiles, sizeof count,
                                       cudaMemcpyDeviceToHost, stream);
  cudaError_t freed = cudaFreeAsync(scratch, stream);
  cudaError_t synced = cudaStreamSynchronize(stream);
  if (!launched)
    return false;
  for (cudaError_t status : {copied, freed, synced})
    if (status != cudaSuccess)
      return ctx.fail(std::string("nonzero: reading the count back: ") +
                      cudaGetErrorString(status));
  out.shape.dims[1] = count;
  return true;
}

//===----------------------------------------------------------------------===//
// Range and shape_of
//===----------------------------------------------------------------------===//

bool range(Context &ctx, const Tensor &start, const Tensor &limit,
           const Tensor &delta, Tensor &out) {
  Shape shape;
  if (!viaCpu(ctx,
              [&](cpu::Context &c) {
                return cpu::rangeShape(c, start, limit, delta, shape);
              }) ||
      !checkOut(ctx, "range", out, shape, start.dtype))
    return false;
  int64_t n = shape.dims[0];
  if (n == 0)
    return true;
  // start and delta live on the host.
  auto scalarInt = [](const Tensor &t) {
    return t.dtype == DType::I64 ? *t.as<const int64_t>()
                                 : int64_t(*t.as<const int32_t>());
  };
  auto scalarFloat = [](const Tensor &t) -> double {
    switch (t.dtype) {
    case DType::F16:
      return cpu::f16ToF32(*t.as<const uint16_t>());
    case DType::BF16:
      return cpu::bf16ToF32(*t.as<const uint16_t>());
    default:
      return *t.as<const float>();
    }
  };
  bool isInt = isIntType(start.dtype);
  uint64_t startInt = isInt ? uint64_t(scalarInt(start)) : 0;
  uint64_t deltaInt = isInt ? uint64_t(scalarInt(delta)) : 0;
  double startFloat = isInt ? 0.0 : scalarFloat(start);
  double deltaFloat = isInt ? 0.0 : scalarFloat(delta);
  auto launch = [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   rangeKernel<T>)
    (out.as<T>(), n, startInt, deltaInt, startFloat, deltaFloat);
  };
  switch (start.dtype) {
  case DType::I64:
    launch(int64_t{});
    break;
  case DType::I32:
    launch(int32_t{});
    break;
  case DType::F32:
    launch(float{});
    break;
  case DType::F16:
    launch(f16{});
    break;
  case DType::BF16:
    launch(bf16{});
    break;
  default: // rangeShape rejected it
    return ctx.fail(std::string("range: does not support ") +
                    dtypeName(start.dtype));
  }
  return checkLaunch(ctx, "range");
}

bool shapeOf(Context &ctx, const Shape &x, Tensor &out) {
  if (!checkRank(ctx, "shape_of", "x", x.rank) ||
      !checkOut(ctx, "shape_of", out, Shape{x.rank}, DType::I64))
    return false;
  if (x.rank == 0)
    return true;
  // The dims travel as a kernel argument: a cudaMemcpyAsync from pageable
  // host memory would not be capturable into a graph.
  Dims dims;
  for (int d = 0; d < x.rank; ++d)
    dims.value[d] = x.dims[d];
  KESTREL_LAUNCH(1, 32, 0, streamOf(ctx), shapeOfKernel)
  (out.as<int64_t>(), x.rank, dims);
  return checkLaunch(ctx, "shape_of");
}

} // namespace kestrel::cuda
