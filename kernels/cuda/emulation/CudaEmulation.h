//===- CudaEmulation.h - CUDA built-ins for host compilation ----*- C++ -*-===//
//
// The prelude force-included (-include) into every translation unit built
// for the emulator: the kernel sources compile unmodified as host C++ once
// rewrite_shared.py has turned their static __shared__ arrays into
// checked SharedArrays (launches go through KESTREL_LAUNCH). The CUDA
// headers' host code paths supply __half, __nv_bfloat16 and __nv_fp8_e4m3;
// this file adds the execution-model built-ins (thread coordinates,
// barriers, warp collectives, atomics, device math intrinsics) and defines
// the portable layer Mma.cuh declares under KESTREL_CUDA_EMULATOR.
//
// Static __shared__ variables become function-local statics (arrays as
// SharedArrays): blocks run one at a time, so one instance per kernel is
// one per running block.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_EMULATION_CUDAEMULATION_H
#define KESTREL_KERNELS_CUDA_EMULATION_CUDAEMULATION_H

#ifndef KESTREL_CUDA_EMULATOR
#define KESTREL_CUDA_EMULATOR 1
#endif

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include "kernels/cuda/emulation/Emulator.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#undef __shared__
#define __shared__ static
#undef __forceinline__
#define __forceinline__ inline
#undef __launch_bounds__
#define __launch_bounds__(...)
// Empty rather than __attribute__((noinline)): libstdc++ spells
// __attribute__((__noinline__)) in headers included after this one.
#undef __noinline__
#define __noinline__

#define threadIdx (::kestrel::emu::coords().threadIdx)
#define blockIdx (::kestrel::emu::coords().blockIdx)
#define blockDim (::kestrel::emu::coords().blockDim)
#define gridDim (::kestrel::emu::coords().gridDim)
#define warpSize 32

//===----------------------------------------------------------------------===//
// Barriers and warp collectives
//===----------------------------------------------------------------------===//

inline void __syncthreads() { ::kestrel::emu::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::kestrel::emu::syncwarp(mask);
}
inline void __threadfence() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
inline void __threadfence_block() { __threadfence(); }

template <typename T>
inline T __shfl_sync(unsigned mask, T v, int srcLane, int width = 32) {
  return ::kestrel::emu::shuffle(mask, v, ::kestrel::emu::shflIdxSource,
                                 srcLane, width);
}
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
  return ::kestrel::emu::shuffle(mask, v, ::kestrel::emu::shflXorSource,
                                 laneMask, width);
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::kestrel::emu::shuffle(mask, v, ::kestrel::emu::shflDownSource,
                                 int(delta), width);
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::kestrel::emu::shuffle(mask, v, ::kestrel::emu::shflUpSource,
                                 int(delta), width);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return ::kestrel::emu::ballot(mask, predicate);
}
inline int __any_sync(unsigned mask, int predicate) {
  return ::kestrel::emu::ballot(mask, predicate) != 0;
}
inline int __all_sync(unsigned mask, int predicate) {
  return ::kestrel::emu::ballot(mask, predicate) ==
         (mask & ::kestrel::emu::liveLanes());
}
inline unsigned __activemask() { return ::kestrel::emu::liveLanes(); }

//===----------------------------------------------------------------------===//
// Atomics: fibers switch only at barriers, so a plain read-modify-write is
// atomic.
//===----------------------------------------------------------------------===//

template <typename T> inline T __kestrelEmuAtomic(T *p, T v, int op) {
  T old = *p;
  switch (op) {
  case 0:
    *p = old + v;
    break;
  case 1:
    *p = old < v ? v : old;
    break;
  case 2:
    *p = v < old ? v : old;
    break;
  case 3:
    *p = v;
    break;
  case 4:
    *p = old - v;
    break;
  }
  return old;
}
template <typename T> inline T atomicAdd(T *p, T v) {
  return __kestrelEmuAtomic(p, v, 0);
}
template <typename T> inline T atomicMax(T *p, T v) {
  return __kestrelEmuAtomic(p, v, 1);
}
template <typename T> inline T atomicMin(T *p, T v) {
  return __kestrelEmuAtomic(p, v, 2);
}
template <typename T> inline T atomicExch(T *p, T v) {
  return __kestrelEmuAtomic(p, v, 3);
}
template <typename T> inline T atomicSub(T *p, T v) {
  return __kestrelEmuAtomic(p, v, 4);
}
template <typename T> inline T atomicCAS(T *p, T compare, T v) {
  T old = *p;
  if (old == compare)
    *p = v;
  return old;
}
template <typename T> inline T atomicOr(T *p, T v) {
  T old = *p;
  *p = old | v;
  return old;
}
template <typename T> inline T atomicAnd(T *p, T v) {
  T old = *p;
  *p = old & v;
  return old;
}

//===----------------------------------------------------------------------===//
// Device intrinsics the kernels use, with their device semantics
//===----------------------------------------------------------------------===//

inline unsigned __umulhi(unsigned a, unsigned b) {
  return unsigned((unsigned long long)a * b >> 32);
}
inline int __mulhi(int a, int b) { return int((long long)a * b >> 32); }
inline unsigned long long __umul64hi(unsigned long long a,
                                     unsigned long long b) {
  return (unsigned long long)((unsigned __int128)a * b >> 64);
}
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(unsigned(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
// CUDA's global min/max overloads (fminf/fmaxf for floating point).
template <typename T> inline T min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return std::fmin(a, b);
  else
    return b < a ? b : a;
}
template <typename T> inline T max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    return std::fmax(a, b);
  else
    return a < b ? b : a;
}
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __powf(float a, float b) { return std::pow(a, b); }
inline float __saturatef(float x) {
  return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x;
}
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __int_as_float(int x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
inline float __uint_as_float(unsigned x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
inline int __float_as_int(float f) {
  int x;
  std::memcpy(&x, &f, 4);
  return x;
}
inline unsigned __float_as_uint(float f) {
  unsigned x;
  std::memcpy(&x, &f, 4);
  return x;
}
template <typename T> inline T __ldg(const T *p) { return *p; }
[[noreturn]] inline void __trap() {
  ::kestrel::emu::trap("__trap() in a kernel");
}
inline size_t __cvta_generic_to_shared(const void *p) {
  return reinterpret_cast<size_t>(p);
}

/// cuda_runtime.h's typed overload exists only under nvcc.
template <typename... Params>
inline cudaError_t cudaFuncSetAttribute(void (*kernel)(Params...),
                                        cudaFuncAttribute attribute,
                                        int value) {
  return ::cudaFuncSetAttribute(reinterpret_cast<const void *>(kernel),
                                attribute, value);
}

//===----------------------------------------------------------------------===//
// Mma.cuh's portable layer (declared there under KESTREL_CUDA_EMULATOR)
//===----------------------------------------------------------------------===//

namespace kestrel::cuda {
template <typename In>
inline void mmaM16N8K16(float d[4], const uint32_t a[4], const uint32_t b[2],
                        const float c[4]) {
  static_assert(std::is_same_v<In, __nv_bfloat16> || std::is_same_v<In, __half>,
                "mma.m16n8k16 takes bf16 or f16");
  ::kestrel::emu::mmaM16N8K16(std::is_same_v<In, __nv_bfloat16>, d, a, b, c);
}
inline void mmaM16N8K32E4M3(float d[4], const uint32_t a[4],
                            const uint32_t b[2], const float c[4]) {
  ::kestrel::emu::mmaM16N8K32E4M3(d, a, b, c);
}
inline void ldmatrixX4(uint32_t r[4], const void *rowAddress) {
  ::kestrel::emu::ldmatrixX4(r, rowAddress, false);
}
inline void ldmatrixX4Trans(uint32_t r[4], const void *rowAddress) {
  ::kestrel::emu::ldmatrixX4(r, rowAddress, true);
}
/// cp.async completes at once (zero-filling past bytesValid), so commit
/// and wait have nothing to do.
inline void cpAsync16(void *smem, const void *gmem, int bytesValid) {
  ::kestrel::emu::cpAsync16(smem, gmem, bytesValid);
}
inline void cpAsyncCommit() {}
template <int Pending> inline void cpAsyncWait() {}
} // namespace kestrel::cuda

#endif // KESTREL_KERNELS_CUDA_EMULATION_CUDAEMULATION_H
