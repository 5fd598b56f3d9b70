//===- GemmTest.cpp - The CPU GEMM kernel against a double reference -----===//

#include "kernels/cpu/Gemm.h"

#include "test/unit/cpu/RelativeError.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <thread>

using namespace kestrel::cpu;
using kestrel::test::relativeL2;

namespace {

struct Case {
  int64_t m, n, k;
  bool transA, transB, accumulate;
};

/// Threads that take tasks round-robin: results must not depend on it.
void runOnThreads(int64_t n, const std::function<void(int64_t)> &body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int64_t i = t; i < n; i += 3)
        body(i);
    });
  for (auto &th : threads)
    th.join();
}

/// Fills `v` from a standard normal distribution.
void fillNormal(std::vector<float> &v, std::mt19937 &rng) {
  std::normal_distribution<float> dist;
  for (float &x : v)
    x = dist(rng);
}

/// A·B (+ C when `accumulate`) in double precision, C row-major M x N.
std::vector<double> referenceProduct(int64_t m, int64_t n, int64_t k,
                                     MatrixRef a, MatrixRef b,
                                     const std::vector<float> &c,
                                     bool accumulate) {
  std::vector<double> want(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = accumulate ? c[i * n + j] : 0.0;
      for (int64_t l = 0; l < k; ++l)
        sum += double(a.at(i, l)) * double(b.at(l, j));
      want[i * n + j] = sum;
    }
  return want;
}

class GemmTest : public ::testing::TestWithParam<Case> {};

TEST_P(GemmTest, MatchesDoubleReference) {
  Case p = GetParam();
  std::mt19937 rng(p.m * 131 + p.n * 17 + p.k);
  std::vector<float> a(p.m * p.k), b(p.k * p.n), c(p.m * p.n);
  fillNormal(a, rng);
  fillNormal(b, rng);
  fillNormal(c, rng);
  // Stored row-major as given; transposed operands are read through swapped
  // strides, as emitted code does for transpose_a / transpose_b.
  MatrixRef ar =
      p.transA ? MatrixRef{a.data(), 1, p.m} : MatrixRef{a.data(), p.k, 1};
  MatrixRef br =
      p.transB ? MatrixRef{b.data(), 1, p.k} : MatrixRef{b.data(), p.n, 1};
  std::vector<double> want =
      referenceProduct(p.m, p.n, p.k, ar, br, c, p.accumulate);
  std::vector<float> serial = c, threaded = c, blocked = c;
  gemmF32(p.m, p.n, p.k, ar, br, serial.data(), p.n, p.accumulate);
  gemmF32(p.m, p.n, p.k, ar, br, threaded.data(), p.n, p.accumulate,
          runOnThreads);
  // cpu.gemm.blocked: the blocked kernel where the decode paths would run.
  gemmF32(p.m, p.n, p.k, ar, br, blocked.data(), p.n, p.accumulate, runSerially,
          GemmPath::Blocked);
  EXPECT_LE(relativeL2(serial, want), 1e-5);
  EXPECT_LE(relativeL2(blocked, want), 1e-5);
  EXPECT_EQ(serial, threaded) << "the schedule changed the result";
}

void PrintTo(const Case &c, std::ostream *os) {
  *os << c.m << "x" << c.n << "x" << c.k;
}

std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  const Case &c = info.param;
  return std::to_string(c.m) + "x" + std::to_string(c.n) + "x" +
         std::to_string(c.k) + (c.transA ? "_tA" : "") +
         (c.transB ? "_tB" : "") + (c.accumulate ? "_acc" : "");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GemmTest,
    ::testing::Values(Case{1, 1, 1, false, false, false},
                      Case{7, 13, 5, false, false, false},
                      Case{8, 32, 256, false, false, true},
                      Case{65, 33, 129, false, true, false},
                      Case{33, 65, 300, true, false, true},
                      Case{130, 1030, 70, false, true, false},
                      Case{257, 96, 513, true, true, false},
                      Case{3, 2000, 17, false, false, false},
                      // Few rows with W^T operands take the dot-product path.
                      Case{1, 700, 333, false, true, false},
                      Case{4, 300, 1024, false, true, true},
                      // Matrix-vector products take the column-dot path,
                      // few rows with row-major B the register-block path.
                      Case{128, 1, 64, false, false, false},
                      Case{300, 3, 70, false, true, true},
                      Case{5, 5, 16, false, false, false},
                      Case{16, 130, 64, true, false, true},
                      Case{11, 67, 200, false, false, false}),
    caseName);

/// M = 1..17 rows of A (with and without accumulation) against an n x k
/// B, stored as given or transposed, against a double reference and bit
/// for bit between schedules.
void checkEveryM(bool transposedB, int64_t n, int64_t k, int64_t seed) {
  for (int64_t m = 1; m <= 17; ++m)
    for (bool accumulate : {false, true}) {
      std::mt19937 rng(m * seed + accumulate);
      std::vector<float> a(m * k), b(k * n), c(m * n);
      fillNormal(a, rng);
      fillNormal(b, rng);
      fillNormal(c, rng);
      MatrixRef ar{a.data(), k, 1};
      MatrixRef br =
          transposedB ? MatrixRef{b.data(), 1, k} : MatrixRef{b.data(), n, 1};
      std::vector<double> want =
          referenceProduct(m, n, k, ar, br, c, accumulate);
      std::vector<float> serial = c, threaded = c;
      gemmF32(m, n, k, ar, br, serial.data(), n, accumulate);
      gemmF32(m, n, k, ar, br, threaded.data(), n, accumulate, runOnThreads);
      EXPECT_LE(relativeL2(serial, want), 1e-6) << "M = " << m;
      EXPECT_EQ(serial, threaded) << "M = " << m;
    }
}

/// The skinny-rows path (M <= 16 rows of A, B as stored) at every M, with
/// N not a multiple of any block width and a partial last block.
TEST(Gemm, SkinnyRowsEveryM) { checkEveryM(false, 203, 45, 7); }

/// B stored transposed (a Linear weight as [out, in], a tied embedding as
/// the LM head, attention's keys) at every M up to 17: the dot-product path
/// up to 4 rows, the blocked kernel beyond, a K with a tail past the
/// 16-lane blocks.
TEST(Gemm, SkinnyDotEveryM) { checkEveryM(true, 131, 83, 11); }

/// cpu.gemm.packed: B packed once (as stored or transposed) at every M up
/// to 40 and K across the 256-row slices, against a double reference and
/// bit for bit between schedules; above 16 rows the sums are the blocked
/// kernel's exactly (the same panels, packed earlier).
void checkPacked(int64_t n, int64_t k, int64_t seed) {
  for (bool transposedB : {false, true}) {
    std::mt19937 rng(seed + transposedB);
    std::vector<float> b(k * n);
    fillNormal(b, rng);
    MatrixRef br =
        transposedB ? MatrixRef{b.data(), 1, k} : MatrixRef{b.data(), n, 1};
    // Poisoned past the packed size: nothing may read beyond it.
    std::vector<float> packed(packedGemmBFloats(k, n) + 64,
                              std::numeric_limits<float>::quiet_NaN());
    packGemmBF32(k, n, br, packed.data());
    for (int64_t m = 1; m <= 40; ++m) {
      std::vector<float> a(m * k), zero(m * n, 0.0f);
      fillNormal(a, rng);
      MatrixRef ar{a.data(), k, 1};
      std::vector<double> want = referenceProduct(m, n, k, ar, br, zero, false);
      std::vector<float> serial(m * n, -1.0f), threaded(m * n, -2.0f),
          other(m * n, -3.0f);
      gemmF32Packed(m, n, k, ar, packed.data(), serial.data(), n);
      gemmF32Packed(m, n, k, ar, packed.data(), threaded.data(), n,
                    runOnThreads);
      EXPECT_LE(relativeL2(serial, want), 1e-6)
          << "M = " << m << (transposedB ? " (B transposed)" : "");
      EXPECT_EQ(serial, threaded) << "M = " << m;
      if (m > 16) {
        gemmF32(m, n, k, ar, br, other.data(), n, false, runSerially,
                GemmPath::Blocked);
        EXPECT_EQ(serial, other) << "M = " << m << ": not the blocked sums";
      }
    }
  }
}

/// N with a partial last panel and run, K with a partial last slice.
TEST(Gemm, PackedEveryM) { checkPacked(203, 300, 5); }
/// Narrow N (one partial panel), K within one slice, and a wide N over
/// several 128-column chunks with an exact K slice.
TEST(Gemm, PackedNarrowAndWide) {
  checkPacked(7, 45, 9);
  checkPacked(576, 256, 13);
}

TEST(Gemm, EmptyKZeroesOrKeepsC) {
  std::vector<float> c = {1, 2, 3, 4};
  float dummy = 0;
  gemmF32(2, 2, 0, {&dummy, 0, 1}, {&dummy, 1, 0}, c.data(), 2, true);
  EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4}));
  gemmF32(2, 2, 0, {&dummy, 0, 1}, {&dummy, 1, 0}, c.data(), 2, false);
  EXPECT_EQ(c, (std::vector<float>{0, 0, 0, 0}));
}

/// The kernels' scratch (a GEMM's C that threads write side by side)
/// starts on a cache line at every size, the mmap-backed ones included.
TEST(Gemm, ScratchIsCacheLineAligned) {
  for (size_t floats : {size_t(1), size_t(1000), size_t(1) << 20}) {
    AlignedFloats buffer;
    float *p = gemm_detail::scratch(buffer, floats);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << floats;
    p = gemm_detail::scratch(buffer, 3 * floats);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << 3 * floats;
  }
}

} // namespace
