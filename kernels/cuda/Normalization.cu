//===- Normalization.cu - Norms, add-norms and rope -----------------------===//
//
// The CUDA versions of the norm and rotary kernels of
// kernels/cpu/Fused.cpp and Normalization.h, with the same math in
// f32: rms_norm y = x / sqrt(mean(x^2) + eps) * w; layer_norm with the mean
// first and the biased variance from a second, centered pass; their
// add-norm forms normalize x + residual as rounded to the storage type,
// which the first pass writes out as the sum; rope pairs
// (i, i + rotary_dim / 2) or (2i, 2i + 1), dims past rotary_dim copied.
// Activations are templated on their storage type; parameters (weights,
// cos/sin tables) may have another float dtype and load through a run-time
// switch.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Common.cuh"

namespace kestrel::cuda {

namespace {

/// Elements per pack: 16 bytes, 8 bytes for f8 (whose conversions are
/// emulated before sm_89: sixteen unrolled ones cost compile time).
template <typename T>
constexpr int kPack = sizeof(T) >= 2 ? int(16 / sizeof(T)) : 8;

/// A float parameter vector of any float dtype.
struct Param {
  const void *data = nullptr;
  DType dtype = DType::F32;
  __device__ __forceinline__ float operator[](int64_t i) const {
    return loadAsF32(data, dtype, i);
  }
};

/// Which threads share a row: a warp (8 rows per 256-thread block) or the
/// whole block. Uniform across the grid.
struct RowGroup {
  int64_t first, step;
  int lane, width;

  __device__ __forceinline__ static RowGroup make(bool warpPerRow) {
    RowGroup g;
    if (warpPerRow) {
      int warps = blockDim.x >> 5;
      g.first = int64_t(blockIdx.x) * warps + (threadIdx.x >> 5);
      g.step = int64_t(gridDim.x) * warps;
      g.lane = threadIdx.x & 31;
      g.width = 32;
    } else {
      g.first = blockIdx.x;
      g.step = gridDim.x;
      g.lane = threadIdx.x;
      g.width = blockDim.x;
    }
    return g;
  }
};

/// The row sum over the group (every thread gets it).
template <typename Scratch>
__device__ __forceinline__ float groupSum(float v, bool warpPerRow,
                                          Scratch &&scratch) {
  return warpPerRow ? warpReduce(v, SumOp{})
                    : blockReduce(v, SumOp{}, scratch, 0.0f);
}

/// f(i, x[i]) for the group's share of a row, in packs when `packed`.
template <typename T, typename F>
__device__ __forceinline__ void readRow(const T *row, int64_t n,
                                        const RowGroup &g, bool packed, F f) {
  if (packed) {
    using P = Pack<T, kPack<T>>;
    const P *packs = reinterpret_cast<const P *>(row);
    for (int64_t p = g.lane; p < n / kPack<T>; p += g.width) {
      P v = packs[p];
#pragma unroll
      for (int k = 0; k < kPack<T>; ++k)
        f(p * kPack<T> + k, toF32(v.v[k]));
    }
  } else {
    for (int64_t i = g.lane; i < n; i += g.width)
      f(i, toF32(row[i]));
  }
}

/// out[i] = f(i, in[i]) for the group's share of a row.
template <typename T, typename F>
__device__ __forceinline__ void mapRow(const T *in, T *out, int64_t n,
                                       const RowGroup &g, bool packed, F f) {
  if (packed) {
    using P = Pack<T, kPack<T>>;
    const P *src = reinterpret_cast<const P *>(in);
    P *dst = reinterpret_cast<P *>(out);
    for (int64_t p = g.lane; p < n / kPack<T>; p += g.width) {
      P v = src[p], r;
#pragma unroll
      for (int k = 0; k < kPack<T>; ++k)
        r.v[k] = fromF32<T>(f(p * kPack<T> + k, toF32(v.v[k])));
      dst[p] = r;
    }
  } else {
    for (int64_t i = g.lane; i < n; i += g.width)
      out[i] = fromF32<T>(f(i, toF32(in[i])));
  }
}

/// sum[i] = x[i] + r[i] rounded to T, then f(i, sum[i]), for the group's
/// share of a row: the first pass of the add-norm kernels. Later passes
/// read the row back from `sum`; each thread reads only what it wrote.
template <typename T, typename F>
__device__ __forceinline__ void addRow(const T *x, const T *r, T *sum,
                                       int64_t n, const RowGroup &g,
                                       bool packed, F f) {
  if (packed) {
    using P = Pack<T, kPack<T>>;
    const P *a = reinterpret_cast<const P *>(x);
    const P *b = reinterpret_cast<const P *>(r);
    P *dst = reinterpret_cast<P *>(sum);
    for (int64_t p = g.lane; p < n / kPack<T>; p += g.width) {
      P u = a[p], v = b[p], s;
#pragma unroll
      for (int k = 0; k < kPack<T>; ++k) {
        s.v[k] = fromF32<T>(toF32(u.v[k]) + toF32(v.v[k]));
        f(p * kPack<T> + k, toF32(s.v[k]));
      }
      dst[p] = s;
    }
  } else {
    for (int64_t i = g.lane; i < n; i += g.width) {
      T s = fromF32<T>(toF32(x[i]) + toF32(r[i]));
      sum[i] = s;
      f(i, toF32(s));
    }
  }
}

/// Pass 1 of a norm over row `r`: f over x's row, or, for the add-norm
/// forms (`residual` set), over x + residual as written to `sum`. Returns
/// the row the later passes read.
template <typename T, typename F>
__device__ __forceinline__ const T *
firstPass(const T *x, const T *residual, T *sum, int64_t r, int64_t cols,
          const RowGroup &g, bool packed, F f) {
  if (!residual) {
    readRow(x + r * cols, cols, g, packed, f);
    return x + r * cols;
  }
  addRow(x + r * cols, residual + r * cols, sum + r * cols, cols, g, packed, f);
  return sum + r * cols;
}

/// Thread mapping: a warp per row (short rows) or a block per row,
/// grid-stride over rows; pass 1 sums the squares (adding the residual
/// first when there is one), pass 2 writes.
template <typename T>
__global__ void rmsNormKernel(const T *__restrict__ x, const T *residual,
                              T *sum, Param weight, T *__restrict__ y,
                              int64_t rows, int64_t cols, float epsilon,
                              bool warpPerRow, bool packed) {
  __shared__ float scratch[32];
  RowGroup g = RowGroup::make(warpPerRow);
  for (int64_t r = g.first; r < rows; r += g.step) {
    float squares = 0.0f;
    const T *in = firstPass(x, residual, sum, r, cols, g, packed,
                            [&](int64_t, float v) { squares += v * v; });
    squares = groupSum(squares, warpPerRow, scratch);
    float inv = 1.0f / sqrtf(squares / float(cols) + epsilon);
    mapRow(in, y + r * cols, cols, g, packed,
           [&](int64_t i, float v) { return v * inv * weight[i]; });
  }
}

/// Thread mapping: as rmsNormKernel; pass 1 sums (adding the residual
/// first when there is one), pass 2 sums the centered squares, pass 3
/// writes.
template <typename T>
__global__ void layerNormKernel(const T *__restrict__ x, const T *residual,
                                T *sum, Param scale, Param bias,
                                T *__restrict__ y, int64_t rows, int64_t cols,
                                float epsilon, bool warpPerRow, bool packed) {
  __shared__ float scratch[32];
  RowGroup g = RowGroup::make(warpPerRow);
  for (int64_t r = g.first; r < rows; r += g.step) {
    float total = 0.0f;
    const T *in = firstPass(x, residual, sum, r, cols, g, packed,
                            [&](int64_t, float v) { total += v; });
    float mean = groupSum(total, warpPerRow, scratch) / float(cols);
    float squares = 0.0f;
    readRow(in, cols, g, packed,
            [&](int64_t, float v) { squares += (v - mean) * (v - mean); });
    squares = groupSum(squares, warpPerRow, scratch);
    float inv = 1.0f / sqrtf(squares / float(cols) + epsilon);
    mapRow(in, y + r * cols, cols, g, packed, [&](int64_t i, float v) {
      return (v - mean) * inv * scale[i] + (bias.data ? bias[i] : 0.0f);
    });
  }
}

/// Launch shape of the row kernels: a warp per row up to 1024 columns,
/// else a block of about two packs per thread.
struct RowLaunch {
  unsigned grid, threads;
  bool warpPerRow, packed;
};

template <typename T>
RowLaunch rowLaunch(int64_t rows, int64_t cols, const void *x, const void *y,
                    const void *residual = nullptr, const void *sum = nullptr) {
  RowLaunch l;
  l.packed = cols % kPack<T> == 0 && isAligned(x, 16) && isAligned(y, 16) &&
             isAligned(residual, 16) && isAligned(sum, 16);
  l.warpPerRow = cols <= 1024;
  if (l.warpPerRow) {
    l.threads = 256;
    l.grid = gridFor((rows + 7) / 8, 1);
  } else {
    int64_t threads = (cols / kPack<T> / 2 + 31) / 32 * 32;
    l.threads = unsigned(threads < 64 ? 64 : (threads > 1024 ? 1024 : threads));
    l.grid = gridFor(rows, 1);
  }
  return l;
}

/// Rotary embedding: rows of headDim; row r uses table row table(r).
/// Thread mapping: one (row, slot) per thread per grid-stride step, with
/// headDim - rotaryDim / 2 slots per row: slot i < half rotates the pair
/// (a, b), the rest copy the dims past rotaryDim.
template <typename T>
__global__ void ropeKernel(const T *__restrict__ x, Param cos, Param sin,
                           T *__restrict__ y, int64_t n, IndexDivisor slots,
                           StridedIndex<1> table, int64_t headDim, int64_t half,
                           bool interleaved) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n;
       e += int64_t(gridDim.x) * blockDim.x) {
    int64_t r, i;
    slots.divmod(e, r, i);
    const T *in = x + r * headDim;
    T *out = y + r * headDim;
    if (i < half) {
      int64_t t[1];
      table.offsets(r, t);
      float c = cos[t[0] * half + i], s = sin[t[0] * half + i];
      int64_t a = interleaved ? 2 * i : i;
      int64_t b = interleaved ? 2 * i + 1 : i + half;
      float xa = toF32(in[a]), xb = toF32(in[b]);
      out[a] = fromF32<T>(xa * c - xb * s);
      out[b] = fromF32<T>(xb * c + xa * s);
    } else {
      int64_t d = i + half; // rotaryDim + (i - half)
      out[d] = in[d];
    }
  }
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
  const void *r = residual ? residual->data : nullptr;
  void *s = sum ? sum->data : nullptr;
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    RowLaunch l = rowLaunch<T>(rows, cols, x.data, out.data, r, s);
    KESTREL_LAUNCH(l.grid, l.threads, 0, streamOf(ctx), rmsNormKernel<T>)
    (x.as<const T>(), static_cast<const T *>(r), static_cast<T *>(s),
     Param{weight.data, weight.dtype}, out.as<T>(), rows, cols, epsilon,
     l.warpPerRow, l.packed);
  });
  return checkLaunch(ctx, op);
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
  Param b = bias ? Param{bias->data, bias->dtype} : Param{};
  const void *r = residual ? residual->data : nullptr;
  void *s = sum ? sum->data : nullptr;
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    RowLaunch l = rowLaunch<T>(rows, cols, x.data, out.data, r, s);
    KESTREL_LAUNCH(l.grid, l.threads, 0, streamOf(ctx), layerNormKernel<T>)
    (x.as<const T>(), static_cast<const T *>(r), static_cast<T *>(s),
     Param{scale.data, scale.dtype}, b, out.as<T>(), rows, cols, epsilon,
     l.warpPerRow, l.packed);
  });
  return checkLaunch(ctx, op);
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
  int64_t headDim = x.shape.dims[rank - 1];
  int tableRank = cos.shape.rank;
  int offset = rank - tableRank;
  if (x.numel() == 0)
    return true;
  int64_t rows = x.numel() / headDim, half = rotaryDim / 2;
  // The table row of x's row: x's leading dims with the table's strides.
  StridedSpace<1> table;
  table.rank = rank - 1;
  int64_t stride = 1;
  for (int d = rank - 2; d >= 0; --d) {
    table.dims[d] = x.shape.dims[d];
    int i = d - offset; // the table dim aligned with x dim d
    bool broadcast = i < 0 || cos.shape.dims[i] == 1;
    table.strides[0][d] = broadcast ? 0 : stride;
    if (i >= 0)
      stride *= cos.shape.dims[i];
  }
  table.simplify();
  int64_t slots = headDim - half, n = rows * slots;
  dispatchFloat(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, 256), 256, 0, streamOf(ctx), ropeKernel<T>)
    (x.as<const T>(), Param{cos.data, cos.dtype}, Param{sin.data, sin.dtype},
     out.as<T>(), n, IndexDivisor::make(slots, n), StridedIndex<1>::make(table),
     headDim, half, interleaved);
  });
  return checkLaunch(ctx, "rope");
}

} // namespace kestrel::cuda
