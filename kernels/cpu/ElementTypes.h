//===- ElementTypes.h - Element storage, conversion and dispatch -*- C++
//-*-===//
//
// Internal to the kernel library: the storage type of every DType, inline
// scalar conversions for the hot loops, dispatch from a DType to a template
// instantiation, and work splitting over the session's threads. The
// argument checks are kernels/common's (Checks.h).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CPU_ELEMENTTYPES_H
#define KESTREL_KERNELS_CPU_ELEMENTTYPES_H

#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace kestrel::cpu::detail {

//===----------------------------------------------------------------------===//
// Storage types
//===----------------------------------------------------------------------===//

struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};
struct Float8E4M3FN {
  uint8_t bits;
};
/// i1: one byte, 0 or 1 (any non-zero byte reads as true).
using Bool = uint8_t;

template <typename T> struct TypeTag { using type = T; };

template <typename T>
constexpr bool isFloatStorage =
    std::is_same_v<T, float> || std::is_same_v<T, Half> ||
    std::is_same_v<T, BFloat16> || std::is_same_v<T, Float8E4M3FN>;
template <typename T>
constexpr bool isIntStorage =
    std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t>;

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t rest = uint32_t(h & 0x7fffu) << 13;
  // Rebiasing by 2^112 also turns f16 subnormals into the right value.
  uint32_t bits = rest >= (0x7c00u << 13)
                      ? (rest | 0x7f800000u)
                      : floatBits(bitsToFloat(rest) * 0x1p112f);
  return bitsToFloat(bits | sign);
}

/// Round to nearest even; overflow gives infinity, NaN stays (quiet) NaN.
inline uint16_t floatToHalf(float value) {
  uint32_t f = floatBits(value);
  uint32_t sign = f & 0x80000000u;
  f ^= sign;
  uint16_t out;
  if (f >= 0x47800000u) { // >= 2^16: past the largest finite f16, inf, NaN
    out = f > 0x7f800000u ? 0x7e00 : 0x7c00;
  } else if (f < 0x38800000u) { // < 2^-14: subnormal or zero
    // Adding 0.5 puts the f16 subnormal step (2^-24) at the f32 ulp, so the
    // FPU's round to nearest even does the rounding.
    out = uint16_t(floatBits(bitsToFloat(f) + 0.5f) - 0x3f000000u);
  } else {
    uint32_t odd = (f >> 13) & 1u;
    f += (uint32_t(15 - 127) << 23) + 0xfffu + odd;
    out = uint16_t(f >> 13);
  }
  return uint16_t(out | (sign >> 16));
}

inline float bf16ToFloat(uint16_t h) { return bitsToFloat(uint32_t(h) << 16); }

inline uint16_t floatToBf16(float value) {
  uint32_t f = floatBits(value);
  if ((f & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((f >> 16) | 0x40u); // quiet NaN
  f += 0x7fffu + ((f >> 16) & 1u);
  return uint16_t(f >> 16);
}

inline float f8ToFloat(uint8_t v) {
  uint32_t exponent = (v >> 3) & 0xfu, mantissa = v & 7u;
  float magnitude;
  if (exponent == 15 && mantissa == 7)
    magnitude = bitsToFloat(0x7fc00000u);
  else if (exponent == 0)
    magnitude = float(mantissa) * 0x1p-9f;
  else
    magnitude = bitsToFloat(((exponent + 120) << 23) | (mantissa << 20));
  return (v & 0x80u) ? -magnitude : magnitude;
}

/// Round to nearest even, saturating to +-448 (infinities too); NaN stays NaN.
inline uint8_t floatToF8(float value) {
  uint32_t f = floatBits(value);
  uint8_t sign = uint8_t((f >> 24) & 0x80u);
  uint32_t a = f & 0x7fffffffu;
  if (a > 0x7f800000u)
    return uint8_t(sign | 0x7fu);
  if (a >= 0x43e00000u) // >= 448
    return uint8_t(sign | 0x7eu);
  if (a < 0x3c800000u) // < 2^-6: multiples of 2^-9
    return uint8_t(sign | uint8_t(std::nearbyint(bitsToFloat(a) * 512.0f)));
  a += 0x7ffffu + ((a >> 20) & 1u);
  return uint8_t(sign | (((a >> 23) - 120) << 3) | ((a >> 20) & 7u));
}

inline float toF32(float v) { return v; }
inline float toF32(Half v) { return halfToFloat(v.bits); }
inline float toF32(BFloat16 v) { return bf16ToFloat(v.bits); }
inline float toF32(Float8E4M3FN v) { return f8ToFloat(v.bits); }

template <typename T> inline T fromF32(float v);
template <> inline float fromF32<float>(float v) { return v; }
template <> inline Half fromF32<Half>(float v) { return {floatToHalf(v)}; }
template <> inline BFloat16 fromF32<BFloat16>(float v) {
  return {floatToBf16(v)};
}
template <> inline Float8E4M3FN fromF32<Float8E4M3FN>(float v) {
  return {floatToF8(v)};
}

/// Truncation toward zero with saturation (NaN gives 0): no undefined
/// float-to-integer conversions.
template <typename I> inline I floatToInt(float v) {
  constexpr float limit = std::is_same_v<I, int64_t> ? 0x1p63f : 0x1p31f;
  if (!(v == v))
    return 0;
  if (v >= limit)
    return std::numeric_limits<I>::max();
  if (v < -limit)
    return std::numeric_limits<I>::min();
  return static_cast<I>(v);
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

inline bool isFloat(DType t) { return isFloatType(t); }
inline bool isInt(DType t) { return isIntType(t); }

/// fn(TypeTag<storage>) for a float DType; false (fn not called) otherwise.
template <typename Fn> bool visitFloat(DType t, Fn &&fn) {
  switch (t) {
  case DType::F32:
    fn(TypeTag<float>{});
    return true;
  case DType::F16:
    fn(TypeTag<Half>{});
    return true;
  case DType::BF16:
    fn(TypeTag<BFloat16>{});
    return true;
  case DType::F8E4M3FN:
    fn(TypeTag<Float8E4M3FN>{});
    return true;
  default:
    return false;
  }
}

template <typename Fn> bool visitInt(DType t, Fn &&fn) {
  switch (t) {
  case DType::I64:
    fn(TypeTag<int64_t>{});
    return true;
  case DType::I32:
    fn(TypeTag<int32_t>{});
    return true;
  default:
    return false;
  }
}

/// Floats and integers (not i1).
template <typename Fn> bool visitNumeric(DType t, Fn &&fn) {
  return visitFloat(t, fn) || visitInt(t, fn);
}

template <typename Fn> bool visitAny(DType t, Fn &&fn) {
  if (t == DType::I1) {
    fn(TypeTag<Bool>{});
    return true;
  }
  return visitNumeric(t, fn);
}

/// An unsigned integer type of each element size: data movement copies
/// elements as opaque words.
template <typename Fn> bool visitWord(size_t bytes, Fn &&fn) {
  switch (bytes) {
  case 1:
    fn(TypeTag<uint8_t>{});
    return true;
  case 2:
    fn(TypeTag<uint16_t>{});
    return true;
  case 4:
    fn(TypeTag<uint32_t>{});
    return true;
  case 8:
    fn(TypeTag<uint64_t>{});
    return true;
  default:
    return false;
  }
}

//===----------------------------------------------------------------------===//
// f32 staging for kernels that compute in f32
//===----------------------------------------------------------------------===//

/// n float elements of `type` at `src` to f32 (and back, rounding to
/// nearest even).
void convertToF32(DType type, const void *src, float *dst, int64_t n);
void convertFromF32(DType type, const float *src, void *dst, int64_t n);

/// x's data as f32: the data itself for f32, else a converted copy kept in
/// `storage`.
const float *asF32(const Tensor &x, std::vector<float> &storage);

//===----------------------------------------------------------------------===//
// Work splitting
//===----------------------------------------------------------------------===//

/// Elements per task: below this a thread hand-off costs more than it saves.
constexpr int64_t kGrain = 16384;

/// body(begin, end) over [0, n) in chunks of at least `grain`; one call on
/// the calling thread when the work is small.
template <typename Fn>
void parallelRange(Context &ctx, int64_t n, int64_t grain, Fn &&body) {
  if (n <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks = std::min<int64_t>((n + grain - 1) / grain,
                                     int64_t(std::max(ctx.numThreads, 1)) * 4);
  if (chunks <= 1 || ctx.numThreads <= 1) {
    body(int64_t(0), n);
    return;
  }
  int64_t per = (n + chunks - 1) / chunks;
  chunks = (n + per - 1) / per;
  ctx.parallelFor(
      chunks, [&](int64_t c) { body(c * per, std::min(n, (c + 1) * per)); });
}

/// The ParallelFor a header kernel should use for `work` units (roughly
/// multiply-adds): serial below the hand-off cost.
inline const ParallelFor &parallelFor(Context &ctx, int64_t work,
                                      int64_t threshold = 1 << 18) {
  static const ParallelFor serial = runSerially;
  if (ctx.numThreads <= 1 || work < threshold)
    return serial;
  return ctx.parallelFor;
}

} // namespace kestrel::cpu::detail

#endif // KESTREL_KERNELS_CPU_ELEMENTTYPES_H
