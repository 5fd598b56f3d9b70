//===- Common.cuh - Shared pieces of the CUDA kernel library ----*- CUDA
//-*-===//
//
// Element loads and stores through f32, dtype dispatch, broadcast index
// math, warp and block reductions, and the launch check every launcher
// ends with; then 16-byte packs, index division by run-time constants and
// the device side of a strided walk over kernels/common's StridedSpace.
// The host argument checks are kernels/common's. Included by the library's
// .cu files and by the kernels kestrelc generates per model.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_COMMON_CUH
#define KESTREL_KERNELS_CUDA_COMMON_CUH

#include "kernels/common/Strided.h"
#include "kernels/cuda/Kernels.h"
#include "kernels/cuda/Launch.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <type_traits>

namespace kestrel::cuda {

using bf16 = __nv_bfloat16;
using f16 = __half;
using f8e4m3 = __nv_fp8_e4m3;

//===----------------------------------------------------------------------===//
// Loads and stores through f32
//===----------------------------------------------------------------------===//

template <typename T> __device__ __forceinline__ float toF32(T x) {
  return static_cast<float>(x);
}
template <> __device__ __forceinline__ float toF32(bf16 x) {
  return __bfloat162float(x);
}
template <> __device__ __forceinline__ float toF32(f16 x) {
  return __half2float(x);
}
template <> __device__ __forceinline__ float toF32(f8e4m3 x) {
  return static_cast<float>(x);
}

template <typename T> __device__ __forceinline__ T fromF32(float x) {
  return static_cast<T>(x);
}
template <> __device__ __forceinline__ bf16 fromF32(float x) {
  return __float2bfloat16_rn(x);
}
template <> __device__ __forceinline__ f16 fromF32(float x) {
  return __float2half_rn(x);
}
template <> __device__ __forceinline__ f8e4m3 fromF32(float x) {
  return f8e4m3(x); // saturating (__NV_SATFINITE), NaN stays NaN
}

//===----------------------------------------------------------------------===//
// Dtype dispatch: calls f(T{}) with the C++ type of `dtype`.
//===----------------------------------------------------------------------===//

/// Floating-point storage types; false for others.
template <typename F> bool dispatchFloat(DType dtype, F &&f) {
  switch (dtype) {
  case DType::F32:
    f(float{});
    return true;
  case DType::F16:
    f(f16{});
    return true;
  case DType::BF16:
    f(bf16{});
    return true;
  case DType::F8E4M3FN:
    f(f8e4m3{});
    return true;
  default:
    return false;
  }
}

/// Every numeric type (floats, i64, i32; i1 as uint8_t).
template <typename F> bool dispatchAny(DType dtype, F &&f) {
  switch (dtype) {
  case DType::I64:
    f(int64_t{});
    return true;
  case DType::I32:
    f(int32_t{});
    return true;
  case DType::I1:
    f(uint8_t{});
    return true;
  default:
    return dispatchFloat(dtype, f);
  }
}

/// Unsigned integer of one element's size (for dtype-agnostic moves).
template <typename F> bool dispatchBytes(size_t size, F &&f) {
  switch (size) {
  case 1:
    f(uint8_t{});
    return true;
  case 2:
    f(uint16_t{});
    return true;
  case 4:
    f(uint32_t{});
    return true;
  case 8:
    f(uint64_t{});
    return true;
  default:
    return false;
  }
}

//===----------------------------------------------------------------------===//
// Broadcast indexing
//===----------------------------------------------------------------------===//

/// Output dims and, per operand, element strides aligned to the output's
/// rank (0 where the operand is broadcast). Passed to kernels by value.
struct Strides {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};
};

/// Strides of `in` broadcast to `out` (NumPy rules: `in` right-aligned,
/// dims of 1 broadcast).
inline Strides broadcastStrides(const Shape &in, const Shape &out) {
  Strides s;
  s.rank = out.rank;
  int64_t stride = 1;
  for (int i = out.rank - 1; i >= 0; --i) {
    s.dims[i] = out.dims[i];
    int j = i - (out.rank - in.rank);
    if (j < 0 || in.dims[j] == 1) {
      s.stride[i] = 0;
    } else {
      s.stride[i] = stride;
    }
    if (j >= 0)
      stride *= in.dims[j];
  }
  return s;
}

/// The operand offset of output element `linear`.
__device__ __forceinline__ int64_t broadcastOffset(const Strides &s,
                                                   int64_t linear) {
  int64_t offset = 0;
  for (int i = s.rank - 1; i >= 0; --i) {
    int64_t d = s.dims[i];
    offset += (linear % d) * s.stride[i];
    linear /= d;
  }
  return offset;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename Op>
__device__ __forceinline__ float warpReduce(float v, Op op) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

/// Reduces `v` over the block (blockDim.x a multiple of 32, at most 1024);
/// every thread gets the result. `scratch` holds 32 floats (a __shared__
/// array, or a pointer into shared memory).
template <typename Op, typename Scratch>
__device__ __forceinline__ float blockReduce(float v, Op op, Scratch &&scratch,
                                             float identity) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warpReduce(v, op);
  __syncthreads(); // scratch may still be read by a previous call
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  int warps = (blockDim.x + 31) >> 5;
  v = lane < warps ? scratch[lane] : identity;
  return warpReduce(v, op);
}

struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

/// Sets the run's device error flag (the first error wins).
__device__ __forceinline__ void raiseError(int *flag, DeviceError code) {
  if (flag)
    atomicCAS(flag, 0, static_cast<int>(code));
}

//===----------------------------------------------------------------------===//
// Launch helpers (host)
//===----------------------------------------------------------------------===//

inline cudaStream_t streamOf(const Context &ctx) {
  return static_cast<cudaStream_t>(ctx.stream);
}

/// Checks the launch just made; false with ctx.error naming `what`.
inline bool checkLaunch(Context &ctx, const char *what) {
  cudaError_t status = cudaGetLastError();
  if (status == cudaSuccess)
    return true;
  return ctx.fail(std::string(what) +
                  ": CUDA launch failed: " + cudaGetErrorString(status));
}

/// Grid size for `n` elements at `threads` per block and `perThread`
/// elements per thread, capped for grid-stride loops.
inline unsigned gridFor(int64_t n, int threads, int perThread = 1) {
  int64_t blocks =
      (n + int64_t(threads) * perThread - 1) / (int64_t(threads) * perThread);
  if (blocks < 1)
    blocks = 1;
  if (blocks > 65535LL * 16)
    blocks = 65535LL * 16;
  return static_cast<unsigned>(blocks);
}

//===----------------------------------------------------------------------===//
// Storage traits and 16-byte packs
//===----------------------------------------------------------------------===//

template <typename T>
constexpr bool isFloatStorage =
    std::is_same_v<T, float> || std::is_same_v<T, f16> ||
    std::is_same_v<T, bf16> || std::is_same_v<T, f8e4m3>;

/// N elements moved as one aligned load or store.
template <typename T, int N> struct alignas(sizeof(T) * N) Pack { T v[N]; };

/// A 16-byte word for dtype-agnostic moves.
struct alignas(16) Word16 {
  uint64_t lo, hi;
};

/// dispatchBytes plus 16-byte words.
template <typename F> bool dispatchWords(size_t size, F &&f) {
  if (size == 16) {
    f(Word16{});
    return true;
  }
  return dispatchBytes(size, f);
}

inline bool isAligned(const void *p, size_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

/// An f8 load behind a call: the conversion is emulated before sm_89, and
/// inlining it into every run-time dtype switch multiplies compile time.
__device__ __noinline__ inline float loadF8AsF32(const void *p, int64_t i) {
  return toF32(static_cast<const f8e4m3 *>(p)[i]);
}

/// Element `i` of float storage `dtype` at `p`, as f32: for parameters
/// (weights, tables, masks) whose dtype may differ from the activations'.
__device__ __forceinline__ float loadAsF32(const void *p, DType dtype,
                                           int64_t i) {
  switch (dtype) {
  case DType::F16:
    return toF32(static_cast<const f16 *>(p)[i]);
  case DType::BF16:
    return toF32(static_cast<const bf16 *>(p)[i]);
  case DType::F8E4M3FN:
    return loadF8AsF32(p, i);
  default:
    return static_cast<const float *>(p)[i];
  }
}

__device__ __noinline__ inline void storeF8FromF32(void *p, int64_t i,
                                                   float v) {
  static_cast<f8e4m3 *>(p)[i] = fromF32<f8e4m3>(v);
}

/// Stores `v` as element `i` of float storage `dtype` at `p` (round to
/// nearest even).
__device__ __forceinline__ void storeFromF32(void *p, DType dtype, int64_t i,
                                             float v) {
  switch (dtype) {
  case DType::F16:
    static_cast<f16 *>(p)[i] = fromF32<f16>(v);
    break;
  case DType::BF16:
    static_cast<bf16 *>(p)[i] = fromF32<bf16>(v);
    break;
  case DType::F8E4M3FN:
    storeF8FromF32(p, i, v);
    break;
  default:
    static_cast<float *>(p)[i] = v;
    break;
  }
}

//===----------------------------------------------------------------------===//
// Index division by run-time constants
//===----------------------------------------------------------------------===//

/// n / d for n < 2^31 and 1 <= d <= 2^31 as a multiply-high, add and shift
/// (the round-up method CUTLASS's FastDivmod uses): m = 2^32 (2^s - d) / d
/// + 1 with s = ceil(log2 d), q = (umulhi(n, m) + n) >> s.
struct FastDivmod {
  uint32_t divisor = 1, multiplier = 1, shift = 0;

  static FastDivmod make(uint32_t d) {
    FastDivmod f;
    f.divisor = d;
    while ((uint64_t(1) << f.shift) < d)
      ++f.shift;
    f.multiplier = uint32_t(
        ((uint64_t(1) << 32) * ((uint64_t(1) << f.shift) - d)) / d + 1);
    return f;
  }
  __host__ __device__ __forceinline__ uint32_t div(uint32_t n) const {
#ifdef __CUDA_ARCH__
    uint32_t high = __umulhi(n, multiplier);
#else
    uint32_t high = uint32_t((uint64_t(n) * multiplier) >> 32);
#endif
    return (high + n) >> shift;
  }
};

/// Division of non-negative indices below a bound known on the host: the
/// multiply-high when the bound is at most 2^31, else a 64-bit division.
struct IndexDivisor {
  int64_t value = 1;
  FastDivmod fast;
  bool narrow = true;

  /// Divides numerators in [0, limit) by d >= 1.
  static IndexDivisor make(int64_t d, int64_t limit) {
    IndexDivisor v;
    v.value = d < 1 ? 1 : d;
    v.narrow = limit <= (int64_t(1) << 31) && v.value <= (int64_t(1) << 31);
    if (v.narrow)
      v.fast = FastDivmod::make(uint32_t(v.value));
    return v;
  }
  __device__ __forceinline__ void divmod(int64_t n, int64_t &q,
                                         int64_t &r) const {
    if (narrow) {
      uint32_t q32 = fast.div(uint32_t(n));
      q = q32;
      r = int64_t(uint32_t(n) - q32 * fast.divisor);
    } else {
      q = n / value;
      r = n - q * value;
    }
  }
};

//===----------------------------------------------------------------------===//
// Strided index spaces
//===----------------------------------------------------------------------===//

/// Device side: maps a row-major linear index over the first `rank` dims of
/// a layout to every operand's element offset. Passed by value; the loops
/// are unrolled over kMaxRank so that every array index is static.
template <int N> struct StridedIndex {
  int rank = 1;
  IndexDivisor div[kMaxRank];
  int64_t stride[N][kMaxRank] = {};

  /// The first `dims` dims of `layout` (all by default).
  static StridedIndex make(const StridedSpace<N> &layout, int dims = -1) {
    StridedIndex s;
    s.rank = dims < 0 ? layout.rank : dims;
    int64_t count = 1;
    for (int d = 0; d < s.rank; ++d)
      count *= layout.dims[d];
    for (int d = 0; d < s.rank; ++d) {
      s.div[d] = IndexDivisor::make(layout.dims[d], count);
      for (int k = 0; k < N; ++k)
        s.stride[k][d] = layout.strides[k][d];
    }
    return s;
  }

  __device__ __forceinline__ void offsets(int64_t linear,
                                          int64_t (&off)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k)
      off[k] = 0;
#pragma unroll
    for (int d = kMaxRank - 1; d > 0; --d) {
      if (d < rank) {
        int64_t q, r;
        div[d].divmod(linear, q, r);
#pragma unroll
        for (int k = 0; k < N; ++k)
          off[k] += r * stride[k][d];
        linear = q;
      }
    }
    if (rank > 0) {
#pragma unroll
      for (int k = 0; k < N; ++k)
        off[k] += linear * stride[k][0];
    }
  }
};

//===----------------------------------------------------------------------===//
// Shape functions
//===----------------------------------------------------------------------===//

/// Runs one of the CPU library's shape functions (they read shapes and
/// host scalars only) and forwards its message on failure.
template <typename Fn> bool viaCpu(Context &ctx, Fn &&fn) {
  cpu::Context cpuCtx;
  if (fn(cpuCtx))
    return true;
  return ctx.fail(std::move(cpuCtx.error));
}

} // namespace kestrel::cuda

#endif // KESTREL_KERNELS_CUDA_COMMON_CUH
