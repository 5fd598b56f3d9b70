//===- QuantizedMatmul.cpp - matmul_nbits for the CPU backend -------------===//
//
// lhs times block-quantized low-bit weights (kernels/common/Quantized.h)
// that stay packed: the weights are dequantized inside the product, never
// whole. Up to 16 rows (decoding, short prompts) of 4- and 8-bit weights:
// each weight row is read once per group of up to 8 rows and dequantized in
// registers, 8 or 16 bytes at a time, into per-lane sums against the lhs
// rows (split into even and odd elements for 4 bits, matching the nibbles),
// so the product moves bits / 8 bytes per weight instead of 4. 2-bit
// weights at up to 4 rows: each weight row dequantized once into scratch
// and dotted with every row. More rows: the blocked GEMM (Gemm.h) with each
// KC x NR panel of W dequantized where a float GEMM would copy it.
//
//===----------------------------------------------------------------------===//

#include "kernels/common/Quantized.h"
#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__SSSE3__)
#include <immintrin.h>
#endif

namespace kestrel::cpu {

using namespace detail;

namespace {

/// W[k0, k0 + len)[n] into w[0, len): block by block, with the 4- and 8-bit
/// layouts unpacked a byte at a time (the loops vectorize).
void dequantizeSegment(const NBitsWeights &q, int64_t n, int64_t k0,
                       int64_t len, float *w) {
  const uint8_t *row = q.data + n * q.rowBytes();
  const int64_t end = k0 + len;
  for (int64_t b = k0 / q.blockSize; b * q.blockSize < end; ++b) {
    int64_t lo = std::max(k0, b * q.blockSize);
    int64_t count = std::min(end, (b + 1) * q.blockSize) - lo;
    const float s = q.scale(n, b), z = q.zeroPoint(n, b);
    float *__restrict o = w + (lo - k0);
    if (q.bits == 8) {
      const uint8_t *__restrict bytes = row + lo;
      for (int64_t i = 0; i < count; ++i)
        o[i] = (float(bytes[i]) - z) * s;
    } else if (q.bits == 4 && lo % 2 == 0) {
      const uint8_t *__restrict bytes = row + lo / 2;
      int64_t pairs = count / 2;
      for (int64_t i = 0; i < pairs; ++i) {
        o[2 * i] = (float(bytes[i] & 15) - z) * s;
        o[2 * i + 1] = (float(bytes[i] >> 4) - z) * s;
      }
      if (count % 2)
        o[count - 1] = (float(bytes[pairs] & 15) - z) * s;
    } else {
      for (int64_t i = 0; i < count; ++i)
        o[i] = (float(q.value(n, lo + i)) - z) * s;
    }
  }
}

/// W lanes of f32 and of bytes as GCC/clang vector types: the
/// accumulators below stay in registers (as plain arrays the compilers keep
/// them in memory, a store and reload per block), and each level's
/// -march lowers them to its widest vectors.
template <int W> struct Lanes;
template <> struct Lanes<16> {
  typedef float F __attribute__((vector_size(64)));
  typedef int32_t I __attribute__((vector_size(64)));
  typedef uint8_t B __attribute__((vector_size(16)));
};
template <> struct Lanes<8> {
  typedef float F __attribute__((vector_size(32)));
  typedef int32_t I __attribute__((vector_size(32)));
  typedef uint8_t B __attribute__((vector_size(8)));
};
template <> struct Lanes<4> {
  typedef float F __attribute__((vector_size(16)));
  typedef int32_t I __attribute__((vector_size(16)));
  typedef uint8_t B __attribute__((vector_size(4)));
};

/// The f32 lanes of the level's vector registers: wider vector types are
/// split by the compiler into several, and GCC keeps 64-byte ones in memory
/// without AVX-512 (20x slower at AVX2).
#if defined(__AVX512F__)
constexpr int kNativeLanes = 16;
#elif defined(__AVX__)
constexpr int kNativeLanes = 8;
#else
constexpr int kNativeLanes = 4;
#endif

/// The sum of W lanes, halves added pairwise (a chain of W - 1 dependent
/// scalar adds would cost more than a short row's products).
template <int W> float laneSum(typename Lanes<W>::F v) {
#if defined(__AVX__)
  __m256 eight;
  if constexpr (W == 16) {
    typename Lanes<8>::F halves[2];
    std::memcpy(halves, &v, sizeof(halves));
    eight = __m256(halves[0] + halves[1]);
  } else if constexpr (W == 8) {
    eight = __m256(v);
  }
  if constexpr (W >= 8) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(eight),
                          _mm256_extractf128_ps(eight, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    return _mm_cvtss_f32(_mm_add_ss(x, _mm_movehdup_ps(x)));
  }
#endif
  float sum = 0;
  for (int l = 0; l < W; ++l)
    sum += v[l];
  return sum;
}

/// 4- and 8-bit weights against few rows: weight row n times rows [0, R)
/// of `a`, W bytes of the row at a time dequantized in registers (q * s -
/// z * s per lane) and multiplied into per-lane sums; nothing is stored.
/// For 4 bits byte j of a block holds elements 2j (low half) and 2j + 1, so
/// `a` comes split: row r's even elements at a[r * stride], its odd ones at
/// a[r * stride + stride / 2] (each half padded with zeros past K, so the
/// padding of the last block adds nothing); for 8 bits a row is the
/// zero-padded lhs row. `out[r * ldc]` receives row r's result.
template <int Bits, int R, int W>
void directRows(const NBitsWeights &q, int64_t n, const float *a,
                int64_t stride, float *out, int64_t ldc) {
  using F = typename Lanes<W>::F;
  using I = typename Lanes<W>::I;
  using B = typename Lanes<W>::B;
  const uint8_t *row = q.data + n * q.rowBytes();
  const int64_t blob = q.blockSize * Bits / 8;
  const int64_t half = stride / 2;
  F acc[R];
  for (int r = 0; r < R; ++r)
    acc[r] = F{};
  for (int64_t b = 0; b < q.blocks; ++b) {
    const float s = q.scale(n, b), zs = q.zeroPoint(n, b) * s;
    for (int64_t c = 0; c < blob; c += W) {
      B bytes;
      std::memcpy(&bytes, row + b * blob + c, sizeof(bytes));
      // Bytes widen to i32 lanes, then convert (GCC 12 scalarizes a
      // direct u8 -> f32 conversion).
      F lo, hi;
      if constexpr (Bits == 4) {
        lo =
            __builtin_convertvector(__builtin_convertvector(bytes & 15, I), F) *
                s -
            zs;
        hi =
            __builtin_convertvector(__builtin_convertvector(bytes >> 4, I), F) *
                s -
            zs;
      } else {
        lo = __builtin_convertvector(__builtin_convertvector(bytes, I), F) * s -
             zs;
      }
      const int64_t at = b * blob + c;
      for (int r = 0; r < R; ++r) {
        F x;
        std::memcpy(&x, a + r * stride + at, sizeof(x));
        acc[r] += lo * x;
        if constexpr (Bits == 4) {
          std::memcpy(&x, a + r * stride + half + at, sizeof(x));
          acc[r] += hi * x;
        }
      }
    }
  }
  for (int r = 0; r < R; ++r)
    out[r * ldc] = laneSum<W>(acc[r]);
}

/// The rows directRows takes at once: their accumulators (a register each)
/// and the dequantized lanes in at most three quarters of the registers.
constexpr int64_t kDirectGroupRows =
    gemm_detail::kVectorRegisters >= 32 ? 8 : 4;

/// directRows for a run-time row count in [1, kDirectGroupRows].
template <int Bits, int W, int R = 1>
void directRowGroup(int64_t rows, const NBitsWeights &q, int64_t n,
                    const float *a, int64_t stride, float *out, int64_t ldc) {
  if constexpr (R < kDirectGroupRows)
    if (rows > R)
      return directRowGroup<Bits, W, R + 1>(rows, q, n, a, stride, out, ldc);
  directRows<Bits, R, W>(q, n, a, stride, out, ldc);
}

/// Rows of lhs up to which 4- and 8-bit weights take directRows (in groups
/// of kDirectGroupRows, each weight row re-read from L1 per group), and up to
/// which other widths dequantize each weight row once into scratch and dot it
/// with every row; more rows run the blocked GEMM.
constexpr int64_t kDirectRows = 16, kDotRows = 4;

//===----------------------------------------------------------------------===//
// int8 lhs (MatMulNBits' accuracy_level 4) against 4-bit weights
//===----------------------------------------------------------------------===//
//
// Each lhs row is quantized per weight block to int8 with one scale (max |x|
// / 127); a block's product is then the integer dot of its nibbles and
// those bytes (u8 x s8 pairs summed into i16, then pairs of those into i32:
// pmaddubsw and pmaddwd, exact), scaled by both scales, less the zero
// point's share, zero point x scale x the sum of the int8 values. The
// weights' and the lhs' bytes are a quarter of the f32 path's lanes, and
// the integer products need no conversion of the weights to floats.

/// The integer dot of one chunk of kBytes weight bytes (2 x kBytes nibbles)
/// against the lhs' even and odd int8 values, as kLanes i32 sums of 4
/// bytes' products each (lane l: bytes [4l, 4l + 4) of the chunk), per
/// level. `valid` bytes of the chunk are weights (the rest read as 0).
#if defined(__SSSE3__)
#if defined(__AVX512BW__)
struct Int8Chunk {
  static constexpr int kBytes = 64, kLanes = 16;
  using Bytes = __m512i;
  static void unpack(const uint8_t *w, int64_t valid, Bytes &lo, Bytes &hi) {
    const __m512i bytes =
        valid >= kBytes
            ? _mm512_loadu_si512(w)
            : _mm512_maskz_loadu_epi8((__mmask64(1) << valid) - 1, w);
    const __m512i mask = _mm512_set1_epi8(15);
    lo = _mm512_and_si512(bytes, mask);
    hi = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), mask);
  }
  static Lanes<16>::I dot(const Bytes &lo, const Bytes &hi, const int8_t *even,
                          const int8_t *odd) {
    const __m512i pairs =
        _mm512_add_epi16(_mm512_maddubs_epi16(lo, _mm512_loadu_si512(even)),
                         _mm512_maddubs_epi16(hi, _mm512_loadu_si512(odd)));
    return Lanes<16>::I(_mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
  }
  /// Lane l's block value, for a chunk whose `blocks` blocks (of
  /// `blockLanes` lanes) start at `values` (fewer in a last chunk).
  static Lanes<16>::F spread(const float *values, int64_t blockLanes,
                             int64_t blocks) {
    if (blockLanes >= kLanes)
      return Lanes<16>::F(_mm512_set1_ps(values[0]));
    if (blockLanes == 8)
      return Lanes<16>::F(
          _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(values[0]),
                               _mm512_set1_ps(values[blocks > 1 ? 1 : 0])));
    // 4 lanes a block.
    const __m512i index =
        _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m128 four = _mm_maskz_loadu_ps(
        __mmask8((1u << std::min<int64_t>(blocks, 4)) - 1), values);
    return Lanes<16>::F(_mm512_mask_permutexvar_ps(
        _mm512_setzero_ps(), 0xffff, index, _mm512_zextps128_ps512(four)));
  }
};
#elif defined(__AVX2__)
struct Int8Chunk {
  static constexpr int kBytes = 32, kLanes = 8;
  using Bytes = __m256i;
  static void unpack(const uint8_t *w, int64_t valid, Bytes &lo, Bytes &hi) {
    __m256i bytes;
    if (valid >= kBytes) {
      bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w));
    } else {
      alignas(32) uint8_t tail[kBytes] = {};
      std::memcpy(tail, w, size_t(valid));
      bytes = _mm256_load_si256(reinterpret_cast<const __m256i *>(tail));
    }
    const __m256i mask = _mm256_set1_epi8(15);
    lo = _mm256_and_si256(bytes, mask);
    hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
  }
  static Lanes<8>::I dot(const Bytes &lo, const Bytes &hi, const int8_t *even,
                         const int8_t *odd) {
    const __m256i e =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(even));
    const __m256i o =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(odd));
    const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, e),
                                           _mm256_maddubs_epi16(hi, o));
    return Lanes<8>::I(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
  }
  static Lanes<8>::F spread(const float *values, int64_t blockLanes,
                            int64_t blocks) {
    if (blockLanes >= kLanes)
      return Lanes<8>::F(_mm256_set1_ps(values[0]));
    return Lanes<8>::F(
        _mm256_blend_ps(_mm256_set1_ps(values[0]),
                        _mm256_set1_ps(values[blocks > 1 ? 1 : 0]), 0xf0));
  }
};
#elif defined(__SSSE3__)
/// x86-64-v2: 16-byte chunks (a block or part of one).
struct Int8Chunk {
  static constexpr int kBytes = 16, kLanes = 4;
  using Bytes = __m128i;
  static void unpack(const uint8_t *w, int64_t, Bytes &lo, Bytes &hi) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(w));
    const __m128i mask = _mm_set1_epi8(15);
    lo = _mm_and_si128(bytes, mask);
    hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
  }
  static Lanes<4>::I dot(const Bytes &lo, const Bytes &hi, const int8_t *even,
                         const int8_t *odd) {
    const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i *>(even));
    const __m128i o = _mm_loadu_si128(reinterpret_cast<const __m128i *>(odd));
    const __m128i pairs =
        _mm_add_epi16(_mm_maddubs_epi16(lo, e), _mm_maddubs_epi16(hi, o));
    return Lanes<4>::I(_mm_madd_epi16(pairs, _mm_set1_epi16(1)));
  }
  static Lanes<4>::F spread(const float *values, int64_t, int64_t) {
    return Lanes<4>::F(_mm_set1_ps(values[0]));
  }
};
#endif

/// The lhs rows for the int8 product: each row's elements, padded with
/// zeros to whole chunks, quantized per block to int8 (rounded to nearest
/// even) and split into even and odd elements (the nibbles' order, as
/// directRows splits them). Per row and i32 lane of the chunks (8
/// elements): the block's scale, and the scale times the lane's values'
/// sum (what a zero point multiplies).
struct Int8Lhs {
  int64_t stride = 0; ///< bytes per row: a padded row's elements
  int64_t lanes = 0;  ///< lanes per row: stride / 8
  std::vector<int8_t> values;
  std::vector<float> scales, scaledSums;
};

Int8Lhs quantizeInt8(const float *a, int64_t M, int64_t K,
                     const NBitsWeights &q) {
  Int8Lhs l;
  // Whole chunks of both halves (the last one's padding is zeros).
  const int64_t bs = q.blockSize, chunk = 2 * Int8Chunk::kBytes;
  l.stride = (q.blocks * bs + chunk - 1) / chunk * chunk;
  l.lanes = l.stride / 8;
  const int64_t half = l.stride / 2;
  l.values.assign(static_cast<size_t>(M * l.stride), 0);
  l.scales.assign(static_cast<size_t>(M * l.lanes), 0.0f);
  l.scaledSums.assign(static_cast<size_t>(M * l.lanes), 0.0f);
  for (int64_t m = 0; m < M; ++m) {
    const float *x = a + m * K;
    int8_t *to = l.values.data() + m * l.stride;
    float *scales = l.scales.data() + m * l.lanes;
    float *sums = l.scaledSums.data() + m * l.lanes;
    for (int64_t b = 0; b < q.blocks; ++b) {
      const int64_t lo = b * bs, hi = std::min(K, lo + bs);
      float amax = 0;
      bool finite = true;
      for (int64_t i = lo; i < hi; ++i) {
        amax = std::max(amax, std::fabs(x[i]));
        finite = finite && std::isfinite(x[i]);
      }
      // A block with an infinity or NaN makes the row's results NaN (its
      // values are 0); the f32 product gives NaN or an infinity.
      const float scale = finite ? amax / 127.0f : NAN;
      float inverse = finite && amax > 0 ? 127.0f / amax : 0;
      // Below ~3.7e-37 the f32 inverse overflows: a double one then.
      const bool tiny = !std::isfinite(inverse);
      for (int64_t i = lo; i < hi; ++i) {
        float v = tiny ? float(std::nearbyint(double(x[i]) * 127.0 / amax))
                       : std::nearbyint(x[i] * inverse);
        int32_t iv =
            finite ? int32_t(std::fmax(-127.0f, std::fmin(127.0f, v))) : 0;
        // Element i is byte i / 2 of its half: lane i / 8.
        to[(i % 2) * half + i / 2] = int8_t(iv);
        sums[i / 8] += float(iv);
      }
      for (int64_t lane = lo / 8; lane < (lo + bs) / 8; ++lane) {
        scales[lane] = scale;
        sums[lane] *= scale;
      }
    }
  }
  return l;
}

/// Weight row n (4-bit) times rows [0, R) of `l` from row m0, a chunk at a
/// time: the nibbles and the weight's block scales (and scale x zero point)
/// once, then per row the integer dot, times both scales, less the zero
/// point's share. out[r * ldc] receives row r's result.
template <int R>
void int8Rows(const NBitsWeights &q, int64_t n, const float *scaledZeros,
              const Int8Lhs &l, int64_t m0, float *out, int64_t ldc) {
  using C = Int8Chunk;
  using F = typename Lanes<C::kLanes>::F;
  const uint8_t *row = q.data + n * q.rowBytes();
  const float *ws = q.scales + n * q.blocks;
  const int64_t bytes = q.rowBytes(), blob = q.blockSize / 2;
  const int64_t blockLanes = blob / 4, half = l.stride / 2;
  const int blobShift = __builtin_ctzll(uint64_t(blob));
  F acc[R];
  for (int r = 0; r < R; ++r)
    acc[r] = F{};
  for (int64_t c = 0; c < bytes; c += C::kBytes) {
    typename C::Bytes lo, hi;
    C::unpack(row + c, bytes - c, lo, hi);
    // Blocks are a power of 2 of bytes: shifts, not divisions.
    const int64_t b = c >> blobShift,
                  blocks = (bytes - c + blob - 1) >> blobShift;
    const F wl = C::spread(ws + b, blockLanes, blocks);
    const F zl = C::spread(scaledZeros + b, blockLanes, blocks);
    for (int r = 0; r < R; ++r) {
      const int8_t *x = l.values.data() + (m0 + r) * l.stride;
      const int64_t lane = (m0 + r) * l.lanes + c / 4;
      F al, sl;
      std::memcpy(&al, l.scales.data() + lane, sizeof(al));
      std::memcpy(&sl, l.scaledSums.data() + lane, sizeof(sl));
      const F dot =
          __builtin_convertvector(C::dot(lo, hi, x + c, x + half + c), F);
      acc[r] += dot * (wl * al) - zl * sl;
    }
  }
  for (int r = 0; r < R; ++r)
    out[r * ldc] = laneSum<C::kLanes>(acc[r]);
}

/// int8Rows for a run-time row count in [1, kDirectGroupRows].
template <int R = 1>
void int8RowGroup(int64_t rows, const NBitsWeights &q, int64_t n,
                  const float *scaledZeros, const Int8Lhs &l, int64_t m0,
                  float *out, int64_t ldc) {
  if constexpr (R < kDirectGroupRows)
    if (rows > R)
      return int8RowGroup<R + 1>(rows, q, n, scaledZeros, l, m0, out, ldc);
  int8Rows<R>(q, n, scaledZeros, l, m0, out, ldc);
}

/// Weight row n's block scales times its zero points.
void scaledZeroPoints(const NBitsWeights &q, int64_t n, float *out) {
  const float *s = q.scales + n * q.blocks;
  if (q.zeroBytes) {
    const uint8_t *z = q.zeroBytes + n * q.blocks;
    for (int64_t b = 0; b < q.blocks; ++b)
      out[b] = float(int32_t(z[b])) * s[b];
  } else if (q.zeroFloats) {
    const float *z = q.zeroFloats + n * q.blocks;
    for (int64_t b = 0; b < q.blocks; ++b)
      out[b] = z[b] * s[b];
  } else {
    const float z = float(1 << (q.bits - 1));
    for (int64_t b = 0; b < q.blocks; ++b)
      out[b] = z * s[b];
  }
}

/// C [M, N] = the int8 product of `a`'s rows and the weights, `columns`
/// weight rows per task.
void int8Product(const NBitsWeights &q, const float *a, int64_t M, float *c,
                 int64_t N, int64_t columns, const ParallelFor &parallel) {
  const Int8Lhs l = quantizeInt8(a, M, q.k, q);
  parallel((N + columns - 1) / columns, [&](int64_t task) {
    thread_local std::vector<float> zeros;
    zeros.resize(static_cast<size_t>(q.blocks));
    for (int64_t n = task * columns; n < std::min(N, (task + 1) * columns);
         ++n) {
      scaledZeroPoints(q, n, zeros.data());
      for (int64_t m0 = 0; m0 < M; m0 += kDirectGroupRows)
        int8RowGroup(std::min(kDirectGroupRows, M - m0), q, n, zeros.data(), l,
                     m0, c + m0 * N + n, N);
    }
  });
}
#endif // __SSSE3__

} // namespace

bool int8MatmulNBitsApplies(int64_t rows, int64_t bits, int64_t blockSize) {
#if defined(__SSSE3__)
  // Blocks of 16 would put 8 blocks in a chunk of 64 bytes.
  return rows <= kDirectRows && bits == 4 && blockSize >= 32;
#else
  // x86-64 without SSSE3 has no u8 x s8 products: f32 (more accurate than
  // accuracy_level 4 asks for).
  (void)rows, (void)bits, (void)blockSize;
  return false;
#endif
}

bool matmulNBits(Context &ctx, const Tensor &lhs, const Tensor &weight,
                 const Tensor &scales, const Tensor *zeroPoints, int64_t bits,
                 int64_t blockSize, int64_t k, bool int8Lhs, Tensor &out) {
  if (!checkMatmulNBits(ctx, lhs, weight, scales, zeroPoints, bits, blockSize,
                        k, out))
    return false;
  const NBitsWeights q =
      nbitsWeights(weight, scales, zeroPoints, bits, blockSize, k);
  const int64_t M = lhs.numel() / k, N = q.n, K = k;
  if (M == 0 || N == 0)
    return true;
  std::vector<float> lhsF32;
  const float *a = asF32(lhs, lhsF32);
  AlignedFloats outF32;
  float *c = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(static_cast<size_t>(M * N));
    c = outF32.data();
  }
  const ParallelFor &parallel = parallelFor(ctx, M * N * K);
  constexpr int64_t kColumns = 16;
  const int64_t tasks = (N + kColumns - 1) / kColumns;
  if (int8Lhs && int8MatmulNBitsApplies(M, bits, blockSize)) {
#if defined(__SSSE3__) // else int8MatmulNBitsApplies is false
    int8Product(q, a, M, c, N, kColumns, parallel);
#endif
  } else if (M <= kDirectRows && (bits == 4 || bits == 8)) {
    // lhs rows zero-padded to whole blocks (for 4 bits, split into their
    // even and odd elements), then each weight row against every group of
    // up to kDirectGroupRows rows.
    const int64_t padded = q.blocks * blockSize;
    AlignedFloats split(static_cast<size_t>(M * padded), 0.0f);
    for (int64_t m = 0; m < M; ++m) {
      const float *x = a + m * K;
      float *to = split.data() + m * padded;
      if (bits == 4)
        for (int64_t i = 0; i < K; ++i)
          to[(i % 2) * (padded / 2) + i / 2] = x[i];
      else
        std::copy(x, x + K, to);
    }
    const int64_t blob = blockSize * bits / 8;
    parallel(tasks, [&](int64_t task) {
      for (int64_t n = task * kColumns; n < std::min(N, (task + 1) * kColumns);
           ++n)
        for (int64_t m0 = 0; m0 < M; m0 += kDirectGroupRows) {
          int64_t rows = std::min(kDirectGroupRows, M - m0);
          const float *x = split.data() + m0 * padded;
          float *y = c + m0 * N + n;
          if (bits == 8)
            directRowGroup<8, kNativeLanes>(rows, q, n, x, padded, y, N);
          else if (blob >= kNativeLanes)
            directRowGroup<4, kNativeLanes>(rows, q, n, x, padded, y, N);
          else
            directRowGroup<4, 8>(rows, q, n, x, padded, y, N);
        }
    });
  } else if (M <= kDotRows) {
    parallel(tasks, [&](int64_t task) {
      thread_local AlignedFloats row;
      float *w = gemm_detail::scratch(row, static_cast<size_t>(K));
      for (int64_t n = task * kColumns; n < std::min(N, (task + 1) * kColumns);
           ++n) {
        dequantizeSegment(q, n, 0, K, w);
        for (int64_t m = 0; m < M; ++m)
          c[m * N + n] = gemm_detail::dotF32(a + m * K, w, K);
      }
    });
  } else {
    using namespace gemm_detail;
    blockedGemm<false>(
        M, N, K, MatrixRef{a, K, 1}, c, N, /*accumulate=*/false, parallel,
        [&](int64_t j0, int64_t nc, int64_t k0, int64_t kc,
            AlignedFloats &buffer) -> const float * {
          // The panels of columns [j0, j0 + nc), rows [k0, k0 + kc): each
          // column dequantized contiguous, then stored down its panel.
          int64_t width = (nc + kNR - 1) / kNR * kNR;
          float *panels =
              scratch(buffer, static_cast<size_t>(width * std::min(kKC, K)));
          thread_local AlignedFloats segment;
          float *seg = scratch(segment, static_cast<size_t>(kKC));
          for (int64_t cp = 0; cp < width; ++cp) {
            float *panel = panels + (cp / kNR) * kc * kNR + cp % kNR;
            if (cp < nc) {
              dequantizeSegment(q, j0 + cp, k0, kc, seg);
              for (int64_t r = 0; r < kc; ++r)
                panel[r * kNR] = seg[r];
            } else {
              for (int64_t r = 0; r < kc; ++r)
                panel[r * kNR] = 0.0f;
            }
          }
          return panels;
        });
  }
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, c, out.data, M * N);
  return true;
}

bool gatherNBits(Context &ctx, const Tensor &weight, const Tensor &scales,
                 const Tensor *zeroPoints, const Tensor &indices, int64_t bits,
                 int64_t blockSize, int64_t k, Tensor &out) {
  if (!checkGatherNBits(ctx, weight, scales, zeroPoints, indices, bits,
                        blockSize, k, out))
    return false;
  const NBitsWeights q =
      nbitsWeights(weight, scales, zeroPoints, bits, blockSize, k);
  const int64_t count = indices.numel();
  std::vector<int64_t> rows(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t index = indices.dtype == DType::I64
                        ? indices.as<const int64_t>()[i]
                        : int64_t(indices.as<const int32_t>()[i]);
    int64_t at = index < 0 ? index + q.n : index;
    if (at < 0 || at >= q.n)
      return ctx.fail("gather_nbits: index " + str(index) + " (at position " +
                      str(i) + ") is out of range for a table of " + str(q.n) +
                      " rows");
    rows[size_t(i)] = at;
  }
  parallelRange(ctx, count, std::max<int64_t>(1, kGrain / k),
                [&](int64_t r0, int64_t r1) {
                  std::vector<float> row(static_cast<size_t>(k));
                  for (int64_t r = r0; r < r1; ++r) {
                    float *to = out.dtype == DType::F32
                                    ? out.as<float>() + r * k
                                    : row.data();
                    dequantizeSegment(q, rows[size_t(r)], 0, k, to);
                    if (out.dtype != DType::F32)
                      convertFromF32(out.dtype, row.data(),
                                     out.as<char>() +
                                         r * k * int64_t(dtypeSize(out.dtype)),
                                     k);
                  }
                });
  return true;
}

} // namespace kestrel::cpu
