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
#include <cstring>
#include <vector>

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
  for (int r = 0; r < R; ++r) {
    float sum = 0;
    for (int l = 0; l < W; ++l)
      sum += acc[r][l];
    out[r * ldc] = sum;
  }
}

/// The rows directRows takes at once: their accumulators (16 lanes each)
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

} // namespace

bool matmulNBits(Context &ctx, const Tensor &lhs, const Tensor &weight,
                 const Tensor &scales, const Tensor *zeroPoints, int64_t bits,
                 int64_t blockSize, int64_t k, Tensor &out) {
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
  if (M <= kDirectRows && (bits == 4 || bits == 8)) {
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
            directRowGroup<8, 16>(rows, q, n, x, padded, y, N);
          else if (blob >= 16)
            directRowGroup<4, 16>(rows, q, n, x, padded, y, N);
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
