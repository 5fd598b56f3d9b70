//===- WarpTest.cpp - Emulator semantics: warps, mma, planted bugs --------===//
//
// Test-only kernels (launched with KESTREL_LAUNCH, like the library's):
// shuffle and vote results against the CUDA programming guide's rules;
// mma.m16n8k16 and ldmatrix against a naive matmul and direct fragment
// indexing; mma.m16n8k32 e4m3 against a naive double matmul; and planted
// bugs that must fail: wrong fragment indices (results differ) and a
// missing __syncthreads (the race checker reports it, and the result
// depends on the schedule). A divergent __syncthreads
// is reported too.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Launch.cuh"
#include "kernels/cuda/Mma.cuh"

#include "test/cuda/emulator/Harness.h"

namespace {

//===----------------------------------------------------------------------===//
// Shuffles and votes
//===----------------------------------------------------------------------===//

/// out[kind][width][arg][thread] for 64 threads (two warps).
constexpr int kWidths[] = {32, 16, 8, 4};
constexpr int kArgs[] = {0, 1, 3, 5, 17, 31};

__global__ void shuffleKernel(int *out) {
  const int tid = threadIdx.x;
  const int v = 1000 + tid * 7;
  int *o = out;
  for (int w : kWidths)
    for (int a : kArgs) {
      o[0 * 64 + tid] = __shfl_sync(0xffffffffu, v, a, w);
      o[1 * 64 + tid] = __shfl_xor_sync(0xffffffffu, v, a, w);
      o[2 * 64 + tid] = __shfl_down_sync(0xffffffffu, v, unsigned(a), w);
      o[3 * 64 + tid] = __shfl_up_sync(0xffffffffu, v, unsigned(a), w);
      o += 4 * 64;
    }
  const unsigned ballot = __ballot_sync(0xffffffffu, tid % 3 == 0);
  o[tid] = int(ballot);
  o[64 + tid] = __any_sync(0xffffffffu, tid == 40);
  o[128 + tid] = __all_sync(0xffffffffu, tid < 40);
  o[192 + tid] = __all_sync(0xffffffffu, tid < 64);
}

/// The programming guide's rules, written independently of the emulator.
int expectedShuffle(int kind, int lane, int a, int w) {
  const int base = lane / w * w;
  switch (kind) {
  case 0:
    return base + a % w;
  case 1: {
    int s = lane ^ a;
    return s >= base + w ? lane : s;
  }
  case 2:
    return lane + a < base + w ? lane + a : lane;
  default:
    return lane - a >= base ? lane - a : lane;
  }
}

void testShuffles() {
  std::vector<int> out(4 * 64 * 4 * 6 + 4 * 64, -1);
  KESTREL_LAUNCH(1, 64, 0, 0, shuffleKernel)(out.data());
  const int *o = out.data();
  for (int w : kWidths)
    for (int a : kArgs) {
      for (int kind = 0; kind < 4; ++kind)
        for (int tid = 0; tid < 64; ++tid) {
          int src = tid / 32 * 32 + expectedShuffle(kind, tid % 32, a, w);
          EXPECT(o[kind * 64 + tid] == 1000 + src * 7,
                 "shuffle kind %d width %d arg %d thread %d: got %d want %d",
                 kind, w, a, tid, o[kind * 64 + tid], 1000 + src * 7);
        }
      o += 4 * 64;
    }
  for (int tid = 0; tid < 64; ++tid) {
    unsigned want = 0;
    for (int l = 0; l < 32; ++l)
      if ((tid / 32 * 32 + l) % 3 == 0)
        want |= 1u << l;
    EXPECT(unsigned(o[tid]) == want, "ballot thread %d", tid);
    EXPECT(o[64 + tid] == (tid >= 32), "any thread %d", tid);
    EXPECT(o[128 + tid] == (tid < 32), "all (tid < 40) thread %d", tid);
    EXPECT(o[192 + tid] == 1, "all (true) thread %d", tid);
  }
}

/// Lockstep: every lane reads its neighbour's value from before the
/// shuffle, never one already updated in the same round.
__global__ void rotateKernel(int *out, int rounds) {
  int v = threadIdx.x;
  for (int r = 0; r < rounds; ++r)
    v = __shfl_sync(0xffffffffu, v, (threadIdx.x + 1) % 32);
  out[threadIdx.x] = v;
}

void testLockstep() {
  for (emu::Schedule s : {emu::Schedule::Forward, emu::Schedule::Reverse}) {
    emu::setSchedule(s);
    int out[32];
    KESTREL_LAUNCH(1, 32, 0, 0, rotateKernel)(out, 5);
    for (int l = 0; l < 32; ++l)
      EXPECT(out[l] == (l + 5) % 32, "rotate lane %d: got %d", l, out[l]);
  }
  emu::setSchedule(emu::Schedule::Forward);
}

/// A block of 48 threads (a partial second warp): a shuffle reduction per
/// warp, then a barrier and a sum over the warps through shared memory.
__global__ void partialWarpSumKernel(const int *in, int *out) {
  __shared__ int warpSums[2];
  const int t = threadIdx.x, lane = t % 32;
  const unsigned mask = t < 32 ? 0xffffffffu : 0x0000ffffu;
  const int width = t < 32 ? 32 : 16;
  int v = in[t];
  for (int o = width / 2; o > 0; o /= 2)
    v += __shfl_xor_sync(mask, v, o);
  if (lane == 0)
    warpSums[t / 32] = v;
  __syncthreads();
  out[t] = warpSums[0] + warpSums[1];
}

void testPartialWarp() {
  int in[48], out[48];
  int want = 0;
  for (int i = 0; i < 48; ++i)
    want += in[i] = int(randInt(-100, 100));
  for (emu::Schedule s :
       {emu::Schedule::Forward, emu::Schedule::Reverse, emu::Schedule::Warps}) {
    emu::setSchedule(s);
    KESTREL_LAUNCH(1, 48, 0, 0, partialWarpSumKernel)(in, out);
    for (int i = 0; i < 48; ++i)
      EXPECT(out[i] == want, "partial warp sum thread %d: got %d want %d", i,
             out[i], want);
  }
  emu::setSchedule(emu::Schedule::Forward);
}

//===----------------------------------------------------------------------===//
// mma.m16n8k16 and ldmatrix
//===----------------------------------------------------------------------===//

template <typename T> uint16_t bitsOf(float x) {
  T h = T(x);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}
template <typename T> float valueOf(uint16_t b) {
  T h;
  std::memcpy(&h, &b, 2);
  return float(h);
}

uint32_t pack(const uint16_t *m, int ld, int r0, int c0, int r1, int c1) {
  return uint32_t(m[r0 * ld + c0]) | uint32_t(m[r1 * ld + c1]) << 16;
}

/// D (16x8, f32) = A (16x16, row-major) · B (16x8, row-major) + C, one
/// warp, fragments gathered from global memory by the layout in Mma.cuh.
/// PLANTED swaps a[1] and a[2] (row g+8 vs column 2t+8): a wrong fragment
/// index that the comparison must catch.
template <typename T, bool PLANTED>
__global__ void mmaKernel(const uint16_t *A, const uint16_t *B, const float *C,
                          float *D) {
  const int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
  uint32_t a[4], b[2];
  a[0] = pack(A, 16, g, 2 * t, g, 2 * t + 1);
  a[1] = pack(A, 16, g + 8, 2 * t, g + 8, 2 * t + 1);
  a[2] = pack(A, 16, g, 2 * t + 8, g, 2 * t + 9);
  a[3] = pack(A, 16, g + 8, 2 * t + 8, g + 8, 2 * t + 9);
  if (PLANTED)
    std::swap(a[1], a[2]);
  b[0] = pack(B, 8, 2 * t, g, 2 * t + 1, g);
  b[1] = pack(B, 8, 2 * t + 8, g, 2 * t + 9, g);
  float c[4] = {C[g * 8 + 2 * t], C[g * 8 + 2 * t + 1], C[(g + 8) * 8 + 2 * t],
                C[(g + 8) * 8 + 2 * t + 1]};
  float d[4];
  kestrel::cuda::mmaM16N8K16<T>(d, a, b, c);
  D[g * 8 + 2 * t] = d[0];
  D[g * 8 + 2 * t + 1] = d[1];
  D[(g + 8) * 8 + 2 * t] = d[2];
  D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

/// The same product with fragments loaded by ldmatrix from shared memory:
/// A row-major (ldmatrixX4) or stored transposed (ldmatrixX4Trans), B
/// stored K x 8 (ldmatrixX4Trans of the two k halves, as Gemm.cuh does).
/// Also writes every lane's fragments to `frags` for an exact comparison.
template <typename T, bool TRANS_A>
__global__ void ldmatrixMmaKernel(const uint16_t *A, const uint16_t *B,
                                  const float *C, float *D, uint32_t *frags) {
  __shared__ __align__(16) uint16_t sa[16][16 + 8];
  __shared__ __align__(16) uint16_t sb[16][8 + 8];
  const int lane = threadIdx.x, g = lane >> 2, t = lane & 3;
  for (int i = lane; i < 256; i += 32)
    sa[i / 16][i % 16] = TRANS_A ? A[(i % 16) * 16 + i / 16] : A[i];
  for (int i = lane; i < 128; i += 32)
    sb[i / 8][i % 8] = B[i];
  __syncwarp();
  uint32_t a[4], bq[4];
  if (TRANS_A) // sa holds Aᵀ: [k][m]
    kestrel::cuda::ldmatrixX4Trans(a,
                                   &sa[(lane & 7) + (lane >> 4) * 8][lane & 8]);
  else
    kestrel::cuda::ldmatrixX4(a, &sa[lane & 15][(lane >> 4) * 8]);
  // Matrices 0, 1: k rows 0-7, 8-15 (x4 repeats them for lanes 16-31).
  kestrel::cuda::ldmatrixX4Trans(bq, &sb[lane & 15][0]);
  uint32_t b[2] = {bq[0], bq[1]};
  for (int i = 0; i < 4; ++i)
    frags[lane * 6 + i] = a[i];
  frags[lane * 6 + 4] = b[0];
  frags[lane * 6 + 5] = b[1];
  float c[4] = {C[g * 8 + 2 * t], C[g * 8 + 2 * t + 1], C[(g + 8) * 8 + 2 * t],
                C[(g + 8) * 8 + 2 * t + 1]};
  float d[4];
  kestrel::cuda::mmaM16N8K16<T>(d, a, b, c);
  D[g * 8 + 2 * t] = d[0];
  D[g * 8 + 2 * t + 1] = d[1];
  D[(g + 8) * 8 + 2 * t] = d[2];
  D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

/// Max |D - (A·B + C)| over the tile, the reference in double.
double mmaError(const uint16_t *A, const uint16_t *B, const float *C,
                const float *D, bool bf16) {
  double worst = 0;
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      double want = C[m * 8 + n];
      for (int k = 0; k < 16; ++k) {
        double a = bf16 ? valueOf<__nv_bfloat16>(A[m * 16 + k])
                        : valueOf<__half>(A[m * 16 + k]);
        double b = bf16 ? valueOf<__nv_bfloat16>(B[k * 8 + n])
                        : valueOf<__half>(B[k * 8 + n]);
        want += a * b;
      }
      worst = std::max(worst, std::fabs(want - D[m * 8 + n]));
    }
  return worst;
}

template <typename T> void testMmaType(const char *name, bool bf16) {
  for (int trial = 0; trial < 4; ++trial) {
    uint16_t A[256], B[128];
    float C[128], D[128], D2[128];
    for (auto &x : A)
      x = bitsOf<T>(float(randInt(-8, 8)) / 4);
    for (auto &x : B)
      x = bitsOf<T>(float(randInt(-8, 8)) / 4);
    for (auto &x : C)
      x = float(randInt(-8, 8));
    // Small integers / 4: every product and sum is exact in f32.
    KESTREL_LAUNCH(1, 32, 0, 0, mmaKernel<T, false>)(A, B, C, D);
    EXPECT(mmaError(A, B, C, D, bf16) == 0, "mma %s: error %g", name,
           mmaError(A, B, C, D, bf16));
    KESTREL_LAUNCH(1, 32, 0, 0, mmaKernel<T, true>)(A, B, C, D2);
    EXPECT(mmaError(A, B, C, D2, bf16) > 0.5,
           "planted wrong fragment index (%s) not detected: error %g", name,
           mmaError(A, B, C, D2, bf16));
    for (bool transA : {false, true}) {
      uint32_t frags[32 * 6];
      if (transA)
        KESTREL_LAUNCH(1, 32, 0, 0, ldmatrixMmaKernel<T, true>)
      (A, B, C, D2, frags);
      else KESTREL_LAUNCH(1, 32, 0, 0, ldmatrixMmaKernel<T, false>)(A, B, C, D2,
                                                                    frags);
      EXPECT(mmaError(A, B, C, D2, bf16) == 0, "ldmatrix%s + mma %s: error %g",
             transA ? ".trans" : "", name, mmaError(A, B, C, D2, bf16));
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane >> 2, t = lane & 3;
        uint32_t want[6] = {pack(A, 16, g, 2 * t, g, 2 * t + 1),
                            pack(A, 16, g + 8, 2 * t, g + 8, 2 * t + 1),
                            pack(A, 16, g, 2 * t + 8, g, 2 * t + 9),
                            pack(A, 16, g + 8, 2 * t + 8, g + 8, 2 * t + 9),
                            pack(B, 8, 2 * t, g, 2 * t + 1, g),
                            pack(B, 8, 2 * t + 8, g, 2 * t + 9, g)};
        for (int r = 0; r < 6; ++r)
          EXPECT(frags[lane * 6 + r] == want[r],
                 "ldmatrix%s lane %d register %d: got %08x want %08x",
                 transA ? ".trans" : "", lane, r, frags[lane * 6 + r], want[r]);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// mma.m16n8k32 e4m3 (FP8)
//===----------------------------------------------------------------------===//

/// The value of an e4m3 byte (sign, 4 exponent bits with bias 7, 3 mantissa
/// bits; exponent 0 is subnormal; S.1111.111 is NaN, never generated),
/// decoded here independently of the CUDA headers the emulator uses.
double e4m3Value(uint8_t bits) {
  const int sign = bits >> 7, exp = (bits >> 3) & 15, man = bits & 7;
  const double mag =
      exp == 0 ? std::ldexp(man / 8.0, -6) : std::ldexp(1 + man / 8.0, exp - 7);
  return sign ? -mag : mag;
}

/// Four bytes of `m` packed low to high into one register.
uint32_t pack4(const uint8_t *p0, const uint8_t *p1, const uint8_t *p2,
               const uint8_t *p3) {
  return uint32_t(*p0) | uint32_t(*p1) << 8 | uint32_t(*p2) << 16 |
         uint32_t(*p3) << 24;
}

/// D (16x8, f32) = A (16x32, row-major e4m3) · B (32x8, stored col-major:
/// B[n * 32 + k]) + C, one warp, each lane gathering its fragments by the
/// m16n8k32 layout in Mma.cuh (the PTX ISA's formulas, element by element).
/// PLANTED swaps a[1] and a[2] (row g+8 vs column 4t+16).
template <bool PLANTED>
__global__ void mmaE4M3Kernel(const uint8_t *A, const uint8_t *B,
                              const float *C, float *D) {
  const int lane = threadIdx.x, groupID = lane >> 2,
            threadID_in_group = lane & 3;
  uint8_t ai[16], bi[8];
  for (int i = 0; i < 16; ++i) {
    const int row = (i < 4 || (8 <= i && i < 12)) ? groupID : groupID + 8;
    const int col = i < 8 ? threadID_in_group * 4 + (i & 3)
                          : threadID_in_group * 4 + (i & 3) + 16;
    ai[i] = A[row * 32 + col];
  }
  for (int i = 0; i < 8; ++i) {
    const int row = i < 4 ? threadID_in_group * 4 + (i & 3)
                          : threadID_in_group * 4 + (i & 3) + 16;
    const int col = groupID;
    bi[i] = B[col * 32 + row];
  }
  uint32_t a[4], b[2];
  for (int r = 0; r < 4; ++r)
    a[r] = pack4(&ai[4 * r], &ai[4 * r + 1], &ai[4 * r + 2], &ai[4 * r + 3]);
  for (int r = 0; r < 2; ++r)
    b[r] = pack4(&bi[4 * r], &bi[4 * r + 1], &bi[4 * r + 2], &bi[4 * r + 3]);
  if (PLANTED)
    std::swap(a[1], a[2]);
  const int g = groupID, t = threadID_in_group;
  float c[4] = {C[g * 8 + 2 * t], C[g * 8 + 2 * t + 1], C[(g + 8) * 8 + 2 * t],
                C[(g + 8) * 8 + 2 * t + 1]};
  float d[4];
  kestrel::cuda::mmaM16N8K32E4M3(d, a, b, c);
  D[g * 8 + 2 * t] = d[0];
  D[g * 8 + 2 * t + 1] = d[1];
  D[(g + 8) * 8 + 2 * t] = d[2];
  D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

/// Max over the tile of |D - (A·B + C)| / (|C| + sum |a·b|), the reference
/// in double (products of e4m3 values are exact in f32 and double).
double mmaE4M3Error(const uint8_t *A, const uint8_t *B, const float *C,
                    const float *D) {
  double worst = 0;
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      double want = C[m * 8 + n], scale = std::fabs(C[m * 8 + n]);
      for (int k = 0; k < 32; ++k) {
        const double p = e4m3Value(A[m * 32 + k]) * e4m3Value(B[n * 32 + k]);
        want += p;
        scale += std::fabs(p);
      }
      const double err = std::fabs(want - D[m * 8 + n]);
      worst = std::max(worst, scale == 0 ? err : err / scale);
    }
  return worst;
}

/// A random finite e4m3 byte: any sign, exponent and mantissa but NaN.
uint8_t randomE4M3() {
  for (;;) {
    const uint8_t b = uint8_t(randInt(0, 255));
    if ((b & 0x7f) != 0x7f)
      return b;
  }
}

void testMmaE4M3() {
  for (int trial = 0; trial < 8; ++trial) {
    // Even trials: the whole e4m3 range (subnormals to 448), checked to
    // 1e-6 relative. Odd trials: k/4 for |k| <= 8 (exact in e4m3), where
    // every product and sum is exact in f32, checked for equality.
    const bool full = trial % 2 == 0;
    uint8_t A[16 * 32], B[8 * 32];
    float C[128], D[128], D2[128];
    auto small = [] {
      const int k = int(randInt(-8, 8));
      // k/4 in e4m3: find the byte by decoding (only 17 values).
      for (int b = 0; b < 256; ++b)
        if ((b & 0x7f) != 0x7f && e4m3Value(uint8_t(b)) == k / 4.0)
          return uint8_t(b);
      return uint8_t(0);
    };
    for (auto &x : A)
      x = full ? randomE4M3() : small();
    for (auto &x : B)
      x = full ? randomE4M3() : small();
    for (auto &x : C)
      x = full ? float(e4m3Value(randomE4M3())) : float(randInt(-8, 8));
    KESTREL_LAUNCH(1, 32, 0, 0, mmaE4M3Kernel<false>)(A, B, C, D);
    const double err = mmaE4M3Error(A, B, C, D);
    if (full)
      EXPECT(err <= 1e-6, "mma e4m3 (full range): relative error %g", err);
    else
      EXPECT(err == 0, "mma e4m3 (exact values): error %g", err);
    KESTREL_LAUNCH(1, 32, 0, 0, mmaE4M3Kernel<true>)(A, B, C, D2);
    const double planted = mmaE4M3Error(A, B, C, D2);
    EXPECT(planted > 1e-2,
           "planted wrong e4m3 fragment index not detected: relative error %g",
           planted);
  }
}

//===----------------------------------------------------------------------===//
// Planted missing barrier, divergent barrier
//===----------------------------------------------------------------------===//

/// out[t] = in[(t + 1) % n] through shared memory; BARRIER false plants the
/// missing __syncthreads between the writes and the reads.
template <bool BARRIER>
__global__ void neighbourKernel(const int *in, int *out) {
  __shared__ int tile[128]; // plain accesses: the checker sees them
  const int t = threadIdx.x, n = blockDim.x;
  tile[t] = in[t];
  if (BARRIER)
    __syncthreads();
  out[t] = tile[(t + 1) % n];
  __syncthreads(); // the next block reuses the tile
}

void testMissingBarrier() {
  std::vector<int> in(128), out(128);
  for (int i = 0; i < 128; ++i)
    in[i] = 3 * i + 1;
  auto correct = [&] {
    for (int i = 0; i < 128; ++i)
      if (out[i] != in[(i + 1) % 128])
        return false;
    return true;
  };
  emu::setChecking(true);
  for (emu::Schedule s :
       {emu::Schedule::Forward, emu::Schedule::Reverse, emu::Schedule::Warps}) {
    emu::setSchedule(s);
    emu::clearDiagnostics();
    KESTREL_LAUNCH(2, 128, 0, 0, neighbourKernel<true>)(in.data(), out.data());
    EXPECT(correct() && emu::diagnostics().empty(),
           "the kernel with its barrier fails or is reported");
  }
  emu::clearDiagnostics();
  bool anyWrong = false;
  for (emu::Schedule s : {emu::Schedule::Forward, emu::Schedule::Reverse}) {
    emu::setSchedule(s);
    std::fill(out.begin(), out.end(), 0);
    KESTREL_LAUNCH(1, 128, 0, 0, neighbourKernel<false>)(in.data(), out.data());
    anyWrong |= !correct();
  }
  EXPECT(!emu::diagnostics().empty() &&
             emu::diagnostics()[0].find("shared-memory race") !=
                 std::string::npos,
         "planted missing __syncthreads not reported by the race checker");
  EXPECT(anyWrong, "planted missing __syncthreads gives the right result "
                   "under every schedule");
  emu::clearDiagnostics();
  emu::setSchedule(emu::Schedule::Forward);
  emu::setChecking(false);
}

__global__ void divergentBarrierKernel(int *out) {
  if (threadIdx.x < 16)
    return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

void testDivergentBarrier() {
  emu::setChecking(true);
  emu::clearDiagnostics();
  int out[64] = {};
  KESTREL_LAUNCH(1, 64, 0, 0, divergentBarrierKernel)(out);
  EXPECT(!emu::diagnostics().empty() &&
             emu::diagnostics()[0].find("divergent __syncthreads") !=
                 std::string::npos,
         "a __syncthreads that some threads skip is not reported");
  emu::clearDiagnostics();
  emu::setChecking(false);
}

void runWarpTests() {
  testShuffles();
  testLockstep();
  testPartialWarp();
  testMmaType<__nv_bfloat16>("bf16", true);
  testMmaType<__half>("f16", false);
  testMmaE4M3();
  testMissingBarrier();
  testDivergentBarrier();
}

RegisterSuite registered("warp", 70, runWarpTests);

} // namespace
