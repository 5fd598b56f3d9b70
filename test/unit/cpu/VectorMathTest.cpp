//===- VectorMathTest.cpp - The vectorizable exp/tanh/erf against libm ----===//

#include "kernels/cpu/VectorMath.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

using namespace kestrel::cpu;

/// Every 97th float bit pattern in [lo, hi], both signs.
template <typename F> void sweep(float lo, float hi, F check) {
  for (uint32_t bits = 0; bits < 0x7f800000u; bits += 97) {
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    if (v < lo || v > hi)
      continue;
    check(v);
    check(-v);
  }
}

TEST(VectorMath, ExpWithinTwoUlp) {
  double worst = 0;
  sweep(0.0f, 88.7f, [&](float x) {
    double want = std::exp(static_cast<double>(x));
    if (want < std::numeric_limits<float>::min())
      return; // denormal results flush to 0 by design
    double rel = std::fabs(expApprox(x) - want) / want;
    worst = std::max(worst, rel);
  });
  EXPECT_LT(worst, 2.5e-7);
  EXPECT_EQ(expApprox(-INFINITY), 0.0f);
  EXPECT_EQ(expApprox(-1000.0f), 0.0f);
  EXPECT_EQ(expApprox(INFINITY), INFINITY);
  EXPECT_EQ(expApprox(89.0f), INFINITY);
  EXPECT_TRUE(std::isnan(expApprox(NAN)));
  EXPECT_EQ(expApprox(0.0f), 1.0f);
}

TEST(VectorMath, TanhWithinTolerance) {
  double worst = 0;
  sweep(0.0f, 30.0f, [&](float x) {
    worst = std::max(worst, std::fabs(tanhApprox(x) - std::tanh(double(x))));
  });
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(tanhApprox(INFINITY), 1.0f);
  EXPECT_EQ(tanhApprox(-INFINITY), -1.0f);
  EXPECT_TRUE(std::isnan(tanhApprox(NAN)));
  // Relative accuracy near 0, where 1 - 2/(e^2x + 1) would cancel.
  EXPECT_NEAR(tanhApprox(1e-5f) / 1e-5f, 1.0f, 1e-6);
}

TEST(VectorMath, ErfWithinTolerance) {
  double worst = 0;
  sweep(0.0f, 10.0f, [&](float x) {
    worst = std::max(worst, std::fabs(erfApprox(x) - std::erf(double(x))));
  });
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(erfApprox(INFINITY), 1.0f);
  EXPECT_EQ(erfApprox(-INFINITY), -1.0f);
  EXPECT_TRUE(std::isnan(erfApprox(NAN)));
  EXPECT_NEAR(erfApprox(1e-5f) / (1.1283791670955126 * 1e-5), 1.0, 1e-6);
}

} // namespace
