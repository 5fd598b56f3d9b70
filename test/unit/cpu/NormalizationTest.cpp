//===- NormalizationTest.cpp - Row kernels against double references -----===//

#include "kernels/cpu/Normalization.h"

#include "test/unit/cpu/RelativeError.h"

#include <gtest/gtest.h>

#include <random>

using namespace kestrel::cpu;
using kestrel::test::relativeL2;

namespace {

std::vector<float> randomVector(int64_t n, unsigned seed, float mean = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(mean, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

TEST(Normalization, SoftmaxAndLogSoftmax) {
  int64_t rows = 5, cols = 37;
  // Large offsets check the max subtraction.
  std::vector<float> x = randomVector(rows * cols, 1, 40.0f);
  std::vector<float> y(x.size()), ly(x.size());
  softmaxRowsF32(rows, cols, x.data(), y.data());
  softmaxRowsF32(rows, cols, x.data(), ly.data(), /*logSoftmax=*/true);
  std::vector<double> want(x.size()), logWant(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double mx = -1e300, sum = 0;
    for (int64_t j = 0; j < cols; ++j)
      mx = std::max(mx, double(x[r * cols + j]));
    for (int64_t j = 0; j < cols; ++j)
      sum += std::exp(x[r * cols + j] - mx);
    for (int64_t j = 0; j < cols; ++j) {
      want[r * cols + j] = std::exp(x[r * cols + j] - mx) / sum;
      logWant[r * cols + j] = x[r * cols + j] - mx - std::log(sum);
    }
  }
  EXPECT_LE(relativeL2(y, want), 1e-6);
  EXPECT_LE(relativeL2(ly, logWant), 1e-6);
}

TEST(Normalization, RmsNormAndLayerNorm) {
  int64_t rows = 4, cols = 129;
  std::vector<float> x = randomVector(rows * cols, 2, 3.0f);
  std::vector<float> w = randomVector(cols, 3), b = randomVector(cols, 4);
  std::vector<float> rms(x.size()), ln(x.size());
  rmsNormRowsF32(rows, cols, x.data(), w.data(), 1e-5f, rms.data());
  layerNormRowsF32(rows, cols, x.data(), w.data(), b.data(), 1e-5f, ln.data());
  std::vector<double> rmsWant(x.size()), lnWant(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double sq = 0, mean = 0, var = 0;
    for (int64_t j = 0; j < cols; ++j) {
      sq += double(x[r * cols + j]) * x[r * cols + j];
      mean += x[r * cols + j];
    }
    mean /= cols;
    for (int64_t j = 0; j < cols; ++j)
      var += (x[r * cols + j] - mean) * (x[r * cols + j] - mean);
    var /= cols;
    for (int64_t j = 0; j < cols; ++j) {
      rmsWant[r * cols + j] =
          x[r * cols + j] / std::sqrt(sq / cols + 1e-5) * w[j];
      lnWant[r * cols + j] =
          (x[r * cols + j] - mean) / std::sqrt(var + 1e-5) * w[j] + b[j];
    }
  }
  EXPECT_LE(relativeL2(rms, rmsWant), 1e-5);
  EXPECT_LE(relativeL2(ln, lnWant), 1e-5);
}

TEST(Normalization, RopeRotateHalfInterleavedAndPartial) {
  // 3 positions x 2 heads of head dim 8; rotary over the first 6 dims.
  int64_t seq = 3, heads = 2, dim = 8, rotary = 6, half = 3;
  std::vector<float> x = randomVector(seq * heads * dim, 5);
  std::vector<float> cos(seq * half), sin(seq * half);
  for (int64_t p = 0; p < seq; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double angle = p * std::pow(10000.0, -2.0 * i / rotary);
      cos[p * half + i] = std::cos(angle);
      sin[p * half + i] = std::sin(angle);
    }
  for (bool interleaved : {false, true}) {
    std::vector<float> y(x.size());
    // Rows are [seq, heads]: row r is position r / heads.
    ropeRowsF32(
        seq * heads, dim, rotary, interleaved, x.data(), cos.data(), sin.data(),
        [&](int64_t r) { return r / heads; }, y.data());
    std::vector<double> want(x.size());
    for (int64_t r = 0; r < seq * heads; ++r) {
      const float *in = x.data() + r * dim;
      int64_t p = r / heads;
      for (int64_t i = 0; i < half; ++i) {
        int64_t a = interleaved ? 2 * i : i,
                b = interleaved ? 2 * i + 1 : i + half;
        double c = cos[p * half + i], s = sin[p * half + i];
        want[r * dim + a] = in[a] * c - in[b] * s;
        want[r * dim + b] = in[b] * c + in[a] * s;
      }
      for (int64_t i = rotary; i < dim; ++i)
        want[r * dim + i] = in[i];
    }
    EXPECT_LE(relativeL2(y, want), 1e-6) << interleaved;
    // Position 0 does not rotate.
    for (int64_t i = 0; i < dim; ++i)
      EXPECT_FLOAT_EQ(y[i], x[i]);
  }
}

} // namespace
