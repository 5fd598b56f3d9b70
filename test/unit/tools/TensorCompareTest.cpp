//===- TensorCompareTest.cpp - kestrel-run's --expect pass/fail rule ------===//

#include "tools/kestrel-run/TensorCompare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace kestrel::run;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

CompareResult compareF32(const std::vector<float> &out,
                         const std::vector<float> &ref, double rtol = 1e-4,
                         double atol = 0.0) {
  return compareTensors(Scalar::F32, out.data(), Scalar::F32, ref.data(),
                        out.size(), Tolerance{rtol, atol});
}

TEST(TensorCompareTest, IdenticalTensorsPass) {
  CompareResult r = compareF32({1, -2, 3}, {1, -2, 3});
  EXPECT_TRUE(r.pass);
  EXPECT_TRUE(r.floating);
  EXPECT_EQ(r.maxAbsError, 0.0);
  EXPECT_EQ(r.relL2Error, 0.0);
  EXPECT_TRUE(compareF32({0, 0}, {0, 0}).pass);
  EXPECT_TRUE(compareF32({}, {}).pass);
}

TEST(TensorCompareTest, RelativeL2AgainstRtol) {
  // ||(0, 0.03, 0.04)|| = 0.05 against ||(1, 0, 0)|| = 1.
  CompareResult r = compareF32({1, 0.03f, 0.04f}, {1, 0, 0}, 0.1);
  EXPECT_NEAR(r.relL2Error, 0.05, 1e-6);
  EXPECT_NEAR(r.maxAbsError, 0.04, 1e-6);
  EXPECT_TRUE(r.pass);
  EXPECT_FALSE(compareF32({1, 0.03f, 0.04f}, {1, 0, 0}, 0.01).pass);
}

TEST(TensorCompareTest, AtolRescuesASmallAbsoluteError) {
  // A zero reference makes any error infinitely large relatively.
  CompareResult r = compareF32({1e-7f, 0}, {0, 0});
  EXPECT_TRUE(std::isinf(r.relL2Error));
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(compareF32({1e-7f, 0}, {0, 0}, 1e-4, 1e-6).pass);
  EXPECT_FALSE(compareF32({1e-5f, 0}, {0, 0}, 1e-4, 1e-6).pass);
}

TEST(TensorCompareTest, NaNsMustLineUp) {
  EXPECT_TRUE(compareF32({kNaN, 1}, {kNaN, 1}).pass);
  CompareResult r = compareF32({kNaN, 1}, {0, 1});
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.mismatches, 1u);
  // The error over the other elements is still reported.
  EXPECT_EQ(r.maxAbsError, 0.0);
  // No tolerance forgives a NaN.
  EXPECT_FALSE(compareF32({kNaN, 1}, {0, 1}, 1e9, 1e9).pass);
  EXPECT_FALSE(compareF32({0, 1}, {kNaN, 1}, 1e9, 1e9).pass);
}

TEST(TensorCompareTest, Infinities) {
  EXPECT_TRUE(compareF32({kInf, -kInf, 1}, {kInf, -kInf, 1}).pass);
  CompareResult r = compareF32({kInf, 1}, {1, 1});
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(std::isinf(r.maxAbsError));
  EXPECT_FALSE(compareF32({1, 1}, {kInf, 1}, 1e9).pass);
}

TEST(TensorCompareTest, F64ReferencesCheckF32Outputs) {
  ASSERT_TRUE(isCompatibleReference(Scalar::F32, Scalar::F64));
  std::vector<float> out = {1.0f, 2.0f};
  std::vector<double> ref = {1.0, 2.0000001};
  CompareResult r = compareTensors(Scalar::F32, out.data(), Scalar::F64,
                                   ref.data(), 2, Tolerance{});
  EXPECT_TRUE(r.pass);
  EXPECT_NEAR(r.maxAbsError, 1e-7, 1e-9);
}

TEST(TensorCompareTest, ReducedPrecisionFloats) {
  // f16 1.5 = 0x3e00, bf16 1.5 = 0x3fc0, f8e4m3fn 1.5 = 0x3c.
  uint16_t f16 = 0x3e00, bf16 = 0x3fc0;
  uint8_t f8 = 0x3c;
  EXPECT_EQ(loadAsDouble(Scalar::F16, &f16, 0), 1.5);
  EXPECT_EQ(loadAsDouble(Scalar::BF16, &bf16, 0), 1.5);
  EXPECT_EQ(loadAsDouble(Scalar::F8E4M3FN, &f8, 0), 1.5);
  // Extremes and specials.
  uint16_t f16s[] = {0x7bff, 0x0001, 0xfc00, 0x7e00};
  EXPECT_EQ(loadAsDouble(Scalar::F16, f16s, 0), 65504.0);
  EXPECT_EQ(loadAsDouble(Scalar::F16, f16s, 1), std::ldexp(1.0, -24));
  EXPECT_EQ(loadAsDouble(Scalar::F16, f16s, 2), -INFINITY);
  EXPECT_TRUE(std::isnan(loadAsDouble(Scalar::F16, f16s, 3)));
  uint8_t f8s[] = {0x7e, 0x01, 0x7f, 0xff};
  EXPECT_EQ(loadAsDouble(Scalar::F8E4M3FN, f8s, 0), 448.0);
  EXPECT_EQ(loadAsDouble(Scalar::F8E4M3FN, f8s, 1), std::ldexp(1.0, -9));
  EXPECT_TRUE(std::isnan(loadAsDouble(Scalar::F8E4M3FN, f8s, 2)));
  EXPECT_TRUE(std::isnan(loadAsDouble(Scalar::F8E4M3FN, f8s, 3)));

  // bf16 and f8 outputs check against f32 references (.npy has neither).
  EXPECT_TRUE(isCompatibleReference(Scalar::BF16, Scalar::F32));
  EXPECT_TRUE(isCompatibleReference(Scalar::F8E4M3FN, Scalar::F32));
  EXPECT_FALSE(isCompatibleReference(Scalar::F16, Scalar::F32));
  float ref = 1.5f;
  EXPECT_TRUE(
      compareTensors(Scalar::BF16, &bf16, Scalar::F32, &ref, 1, Tolerance{})
          .pass);
}

TEST(TensorCompareTest, IntegersMatchExactly) {
  EXPECT_FALSE(isCompatibleReference(Scalar::I64, Scalar::I32));
  EXPECT_FALSE(isCompatibleReference(Scalar::I64, Scalar::F64));
  EXPECT_FALSE(isCompatibleReference(Scalar::F32, Scalar::I64));
  std::vector<int64_t> out = {1, 2, 3, int64_t(1) << 60};
  std::vector<int64_t> ref = {1, 5, 3, (int64_t(1) << 60) + 1};
  CompareResult r = compareTensors(Scalar::I64, out.data(), Scalar::I64,
                                   ref.data(), 4, Tolerance{1e9, 1e9});
  EXPECT_FALSE(r.floating);
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.mismatches, 2u);
  EXPECT_EQ(r.maxAbsError, 3.0);
  ref = out;
  EXPECT_TRUE(compareTensors(Scalar::I64, out.data(), Scalar::I64, ref.data(),
                             4, Tolerance{})
                  .pass);

  uint8_t a[] = {0, 1, 1}, b[] = {0, 1, 0};
  r = compareTensors(Scalar::Bool, a, Scalar::Bool, b, 3, Tolerance{});
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.mismatches, 1u);
}

} // namespace
