//===- CostModelTest.cpp - The latency predictor's arithmetic -------------===//
//
// Roofline limits, wave quantization, the calibration fit and the
// calibration file, on synthetic profiles (so the numbers are exact and do
// not depend on this machine).
//
//===----------------------------------------------------------------------===//

#include "predictor/CostModel.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kestrel::predictor;

namespace {

/// A 4-core CPU: 2 GHz, AVX-512 (peak 4 x 2 x 16 x 2 x 2 = 512 GFLOP/s),
/// 1 MiB L2 per core, 8 MiB LLC, 40 GB/s DRAM.
DeviceProfile cpu() {
  DeviceProfile p;
  p.name = "test-cpu";
  p.description = "a test CPU";
  p.arch = "x86-64-v4";
  p.kind = DeviceKind::Cpu;
  p.computeUnits = 4;
  p.simdBits = 512;
  p.clockGHz = 2.0;
  p.peak.f32 = 4 * 2.0 * 16 * 2 * 2 / 1e3;
  p.memoryBandwidthGBs = 40;
  p.l1dBytes = 32 << 10;
  p.l2Bytes = 1 << 20;
  p.lastLevelCacheBytes = 8 << 20;
  return p;
}

/// A GPU of `sms` SMs at 1 TFLOP/s bf16 each, 1 TB/s.
DeviceProfile gpu(int64_t sms) {
  DeviceProfile p;
  p.name = "test-gpu";
  p.kind = DeviceKind::Cuda;
  p.computeUnits = sms;
  p.peak.bf16 = double(sms);
  p.peak.f32 = double(sms) / 8;
  p.memoryBandwidthGBs = 1000;
  p.sharedMemoryPerUnitBytes = 228 << 10;
  p.launchOverheadUs = 2;
  return p;
}

KernelWork elementwise(int64_t n) {
  KernelWork w;
  w.family = Family::Elementwise;
  w.candidate = "cpu.elementwise";
  w.m = 1, w.n = n;
  w.bytesRead = 2.0 * double(n) * 4;
  w.bytesWritten = double(n) * 4;
  return w;
}

KernelWork mmaGemm(int64_t m, int64_t n, int64_t k) {
  KernelWork w;
  w.family = Family::Gemm;
  w.candidate = "cuda.gemm.mma";
  w.config = {{"tile_m", 128},
              {"tile_n", 128},
              {"tile_k", 32},
              {"warps_m", 2},
              {"warps_n", 4}};
  w.m = m, w.n = n, w.k = k;
  w.elementBytes = 2;
  return w;
}

TEST(CostModel, Waves) {
  EXPECT_EQ(waves(0, 4), 1);
  EXPECT_EQ(waves(1, 4), 1);
  EXPECT_EQ(waves(4, 4), 1);
  EXPECT_EQ(waves(5, 4), 2);
  EXPECT_EQ(waves(132, 132), 1);
  EXPECT_EQ(waves(133, 132), 2);
  EXPECT_EQ(waves(10, 0), 10); // no units counts as one
}

TEST(CostModel, StreamingBeyondTheCachesRunsAtDramBandwidth) {
  DeviceProfile p = cpu();
  // 64 MiB of operands: far beyond the 8 MiB LLC, one thread.
  KernelWork w = elementwise(int64_t(16) << 20 >> 2 << 2);
  Estimate e = estimate(p, w, 1);
  EXPECT_STREQ(e.bound, "memory");
  double bytes = w.bytesRead + w.bytesWritten;
  // One thread reaches 60% of the profile's DRAM bandwidth; the share of
  // the working set the caches hold moves faster.
  double dram = bytes / (0.6 * 40e9) * 1e6;
  EXPECT_LT(e.memoryUs, dram);
  EXPECT_GT(e.memoryUs, 0.8 * dram);
  // Twice the bytes, about twice the time.
  Estimate twice = estimate(p, elementwise(w.n * 2), 1);
  EXPECT_NEAR(twice.memoryUs / e.memoryUs, 2.0, 0.1);
}

TEST(CostModel, LargeCpuGemmIsComputeBoundAndLinearInK) {
  DeviceProfile p = cpu();
  KernelWork w;
  w.family = Family::Gemm;
  w.candidate = "cpu.gemm.blocked";
  w.m = 512, w.n = 1024, w.k = 1024;
  Estimate e = estimate(p, w, 4);
  EXPECT_STREQ(e.bound, "compute");
  KernelWork deeper = w;
  deeper.k = 2048;
  Estimate e2 = estimate(p, deeper, 4);
  double body = e.totalUs - e.overheadUs, body2 = e2.totalUs - e2.overheadUs;
  EXPECT_NEAR(body2 / body, 2.0, 0.05);
  // Never faster than the peak allows.
  double peakUs = 2.0 * 512 * 1024 * 1024 / (p.peak.f32 * 1e12) * 1e6;
  EXPECT_GT(body, peakUs);
}

TEST(CostModel, DecodeGemmPrefersTheDotPathOverPackingB) {
  DeviceProfile p = cpu();
  KernelWork dot;
  dot.family = Family::Gemm;
  dot.candidate = "cpu.gemm.dot";
  dot.m = 1, dot.n = 1536, dot.k = 576;
  KernelWork blocked = dot;
  blocked.candidate = "cpu.gemm.blocked";
  EXPECT_EQ(effectiveFamily(dot), Family::Gemv);
  EXPECT_EQ(effectiveFamily(blocked), Family::Gemm);
  EXPECT_LT(estimate(p, dot, 4).totalUs, estimate(p, blocked, 4).totalUs);
}

TEST(CostModel, GpuTilesQuantizeIntoWavesOverTheSms) {
  DeviceProfile p = gpu(8);
  // 8 tiles of 128x128 fill the 8 SMs once; 9 need a second round.
  Estimate eight = estimate(p, mmaGemm(128 * 2, 128 * 4, 4096), 0);
  Estimate nine = estimate(p, mmaGemm(128 * 3, 128 * 3, 4096), 0);
  EXPECT_STREQ(eight.bound, "compute");
  EXPECT_NEAR(nine.computeUs / eight.computeUs, 2.0, 1e-9);
  // Fewer tiles than SMs take one round however few.
  Estimate one = estimate(p, mmaGemm(128, 128, 4096), 0);
  EXPECT_NEAR(one.computeUs, eight.computeUs, 1e-9);
  // The launch overhead comes from the profile.
  EXPECT_DOUBLE_EQ(one.overheadUs, 2.0);
}

TEST(CostModel, CublasLtPaysForSplittingAMultiMatmulsOutput) {
  // cuBLASLt writes a multi_matmul's product to scratch and a second
  // kernel splits it: one more launch and the product written and read
  // again. Kestrel's kernels split it in their epilogue for nothing.
  DeviceProfile p = gpu(8);
  KernelWork lt = mmaGemm(4096, 4096, 64);
  lt.candidate = "cuda.gemm.cublaslt";
  lt.config.clear();
  lt.elementBytes = 2;
  KernelWork split = lt;
  split.splitOutput = true;
  Estimate one = estimate(p, lt, 0), two = estimate(p, split, 0);
  EXPECT_DOUBLE_EQ(two.overheadUs - one.overheadUs, p.launchOverheadUs);
  EXPECT_NEAR(two.memoryUs - one.memoryUs,
              2.0 * 4096 * 4096 * 2 / (0.85 * 1000e9) * 1e6, 1e-6);
  KernelWork mma = mmaGemm(4096, 4096, 64), mmaSplit = mma;
  mmaSplit.splitOutput = true;
  EXPECT_DOUBLE_EQ(estimate(p, mma, 0).totalUs,
                   estimate(p, mmaSplit, 0).totalUs);
}

TEST(CostModel, MoreSmsCanChangeTheBestTile) {
  // 480 64x64 tiles or 120 128x128 tiles: with 108 SMs the big tile needs
  // two rounds, with 132 one.
  KernelWork big = mmaGemm(1280, 1536, 4096), small = big;
  small.config = {{"tile_m", 64},
                  {"tile_n", 64},
                  {"tile_k", 32},
                  {"warps_m", 2},
                  {"warps_n", 2}};
  double ratio108 = estimate(gpu(108), big, 0).computeUs /
                    estimate(gpu(108), small, 0).computeUs;
  double ratio132 = estimate(gpu(132), big, 0).computeUs /
                    estimate(gpu(132), small, 0).computeUs;
  EXPECT_GT(ratio108, 1.0);
  EXPECT_LT(ratio132, 1.0);
}

TEST(CostModel, CalibrationRecoversAFamilysScale) {
  DeviceProfile p = cpu();
  Calibration cal;
  cal.profile = p;
  // "Measured": an elementwise kernel 1.7x slower than the analytical
  // model at two sizes, and the overheads.
  Calibration::Sample call{"overhead.call", elementwise(1), 1, 0.5};
  Calibration::Sample parallel{"overhead.parallel", elementwise(1), 4, 6.0};
  cal.samples = {call, parallel};
  Calibration base = cal;
  fitCalibration(base);
  for (int64_t n : {int64_t(1) << 20, int64_t(4) << 20}) {
    KernelWork w = elementwise(n);
    Estimate e = estimate(p, w, 4, &base);
    double analytical = e.totalUs - e.overheadUs;
    cal.samples.push_back({"elementwise." + std::to_string(n), w, 4,
                           e.overheadUs + 1.7 * analytical});
  }
  fitCalibration(cal);
  EXPECT_DOUBLE_EQ(*cal.callOverheadUs, 0.5);
  EXPECT_DOUBLE_EQ(*cal.parallelOverheadUs, 6.0);
  int f = int(Family::Elementwise);
  EXPECT_NEAR(cal.memoryScale[f], 1.7, 0.02);
  // Each sample's prediction now matches its measurement.
  for (const Calibration::Sample &s : cal.samples) {
    if (s.name.rfind("elementwise.", 0) == 0) {
      EXPECT_NEAR(estimate(p, s.work, s.threads, &cal).totalUs / s.measuredUs,
                  1.0, 0.02);
    }
  }
  // Unsampled families: compute scale the mean of sampled ones (none
  // here: 1), memory scale 1.
  EXPECT_DOUBLE_EQ(cal.memoryScale[int(Family::Norm)], 1.0);
  EXPECT_DOUBLE_EQ(cal.computeScale[int(Family::Norm)], 1.0);
  // Deterministic.
  Calibration again = cal;
  fitCalibration(again);
  EXPECT_EQ(again.memoryScale[f], cal.memoryScale[f]);
}

/// A compute-bound GEMM sample corrects the CPU's skinny GEMMs too (the
/// same FMA stream), not the mean of the other families' compute scales.
TEST(CostModel, CpuGemvTakesTheGemmSamplesComputeScale) {
  DeviceProfile p = cpu();
  KernelWork gemm;
  gemm.family = Family::Gemm;
  gemm.candidate = "cpu.gemm.blocked";
  gemm.m = 512, gemm.n = 1024, gemm.k = 1024;
  KernelWork softmax = elementwise(1 << 16);
  softmax.family = Family::Softmax;
  softmax.candidate = "cpu.softmax";
  softmax.flopsPerElement = 64;
  Calibration cal;
  cal.profile = p;
  double gemmUs = estimate(p, gemm, 4).totalUs;
  double softmaxUs = estimate(p, softmax, 4).totalUs;
  ASSERT_STREQ(estimate(p, softmax, 4).bound, "compute");
  cal.samples = {{"gemm.prefill", gemm, 4, 1.5 * gemmUs},
                 {"softmax.rows", softmax, 4, 0.5 * softmaxUs}};
  fitCalibration(cal);
  double gemmScale = cal.computeScale[int(Family::Gemm)];
  EXPECT_GT(gemmScale, 1.3);
  EXPECT_DOUBLE_EQ(cal.computeScale[int(Family::Gemv)], gemmScale);
  // Other unsampled families keep the mean of the sampled ones.
  EXPECT_LT(cal.computeScale[int(Family::Norm)], gemmScale);
}

TEST(CostModel, CalibrationFileRoundTripsAndNamesBadFields) {
  Calibration cal;
  cal.profile = cpu();
  cal.samples = {{"overhead.call", elementwise(1), 1, 0.4},
                 {"elementwise.add", elementwise(1 << 20), 4, 300.0}};
  fitCalibration(cal);
  llvm::Expected<Calibration> back = parseCalibration(toJson(cal), "c.json");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->samples.size(), 2u);
  EXPECT_EQ(back->samples[1].work.n, 1 << 20);
  EXPECT_DOUBLE_EQ(back->samples[1].measuredUs, 300.0);
  ASSERT_TRUE(back->profile.has_value());
  EXPECT_EQ(back->profile->computeUnits, 4);
  for (int f = 0; f < kNumFamilies; ++f) {
    EXPECT_NEAR(back->computeScale[f], cal.computeScale[f], 1e-9);
    EXPECT_NEAR(back->memoryScale[f], cal.memoryScale[f], 1e-9);
  }

  auto error = [](const std::string &json) {
    llvm::Expected<Calibration> c = parseCalibration(json, "c.json");
    return c ? std::string() : llvm::toString(c.takeError());
  };
  EXPECT_NE(error("{}").find("not a Kestrel calibration"), std::string::npos);
  EXPECT_NE(error("[1").find("c.json: not JSON"), std::string::npos);
  EXPECT_NE(error(R"({"kestrel_calibration": 1, "samples": []})")
                .find("'samples' must be a non-empty array"),
            std::string::npos);
  EXPECT_NE(error(R"({"kestrel_calibration": 1, "samples": [{"name": "x",
                "threads": 1, "measured_us": 2, "work": {"family": "fft",
                "candidate": "c", "batch": 1, "m": 1, "n": 1, "k": 1,
                "element_bytes": 4, "bytes_read": 0, "bytes_written": 0,
                "flops_per_element": 1}}]})")
                .find("c.json: samples[0]: field 'family'"),
            std::string::npos);
  EXPECT_NE(error(R"({"kestrel_calibration": 1, "samples": [{"name": "x",
                "threads": 1, "measured_us": -2, "work": {}}]})")
                .find("'measured_us' (> 0)"),
            std::string::npos);
}

} // namespace
