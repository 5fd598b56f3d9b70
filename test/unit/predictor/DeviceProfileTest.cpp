//===- DeviceProfileTest.cpp - Device profiles: parsing, checks, the host -===//

#include "predictor/DeviceProfile.h"

#include <gtest/gtest.h>

#include <string>

using namespace kestrel::predictor;

namespace {

/// The error of parsing `json`, or "" when it parses.
std::string parseError(const std::string &json) {
  llvm::Expected<DeviceProfile> p = parseDeviceProfile(json, "t.json");
  if (p)
    return "";
  return llvm::toString(p.takeError());
}

const char *kCuda = R"({
  "name": "g", "kind": "cuda", "arch": "sm_90a", "sm_count": 100,
  "peak_tflops": {"f32": 50, "tf32": 400, "bf16": 800, "f16": 800, "fp8": 0},
  "memory_bandwidth_gbs": 2000, "l2_bytes": 1048576,
  "shared_memory_per_sm_bytes": 65536, "launch_overhead_us": 2,
  "sources": {"peak_tflops": "a datasheet"}
})";

TEST(DeviceProfile, EveryShippedProfileParsesWithItsSources) {
  std::vector<std::string> names = builtinDeviceProfiles();
  for (const char *expected :
       {"a100-80gb", "h100-sxm", "h200", "l40s", "rtx-4090"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end())
        << expected;
  for (const std::string &name : names) {
    llvm::Expected<DeviceProfile> p = loadDeviceProfile(name);
    ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
    EXPECT_EQ(p->name, name);
    EXPECT_EQ(p->kind, DeviceKind::Cuda);
    // Every number has its source written beside it.
    for (const char *field :
         {"peak_tflops", "memory_bandwidth_gbs", "sm_count", "l2_bytes",
          "shared_memory_per_sm_bytes", "launch_overhead_us"})
      EXPECT_TRUE(p->sources.count(field)) << name << ": " << field;
    // Tensor cores: half precision above TF32, TF32 at least f32.
    EXPECT_GT(p->peak.bf16, p->peak.tf32) << name;
    EXPECT_GE(p->peak.tf32, p->peak.f32 - 1e-9) << name;
  }
}

TEST(DeviceProfile, RidgePointsOrderTheDevices) {
  // The H200 has the H100's compute and more bandwidth: a lower ridge.
  llvm::Expected<DeviceProfile> h100 = loadDeviceProfile("h100-sxm");
  llvm::Expected<DeviceProfile> h200 = loadDeviceProfile("h200");
  ASSERT_TRUE(bool(h100) && bool(h200));
  EXPECT_NEAR(h100->ridgePoint(h100->peak.bf16), 989.4e3 / 3350, 1e-6);
  EXPECT_LT(h200->ridgePoint(h200->peak.bf16),
            h100->ridgePoint(h100->peak.bf16));
}

TEST(DeviceProfile, RoundTripsThroughJson) {
  llvm::Expected<DeviceProfile> p = parseDeviceProfile(kCuda, "t.json");
  ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
  llvm::Expected<DeviceProfile> q = parseDeviceProfile(toJson(*p), "again");
  ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
  EXPECT_EQ(q->computeUnits, 100);
  EXPECT_EQ(q->peak.bf16, 800);
  EXPECT_EQ(q->sources.at("peak_tflops"), "a datasheet");
}

TEST(DeviceProfile, ErrorsNameTheField) {
  std::string ok = kCuda;
  auto with = [&](const std::string &from, const std::string &to) {
    std::string s = ok;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_EQ(parseError(ok), "");
  EXPECT_NE(parseError("{").find("t.json: not JSON"), std::string::npos);
  EXPECT_NE(parseError("[1]").find("a device profile is a JSON object"),
            std::string::npos);
  EXPECT_NE(parseError(with("\"sm_count\": 100,", ""))
                .find("missing field 'sm_count'"),
            std::string::npos);
  EXPECT_NE(parseError(with("\"bf16\": 800", "\"bf16\": -1"))
                .find("field 'peak_tflops.bf16' must be a number in [0, "),
            std::string::npos);
  EXPECT_NE(parseError(with("\"sm_count\": 100", "\"sm_count\": 1.5"))
                .find("field 'sm_count' must be an integer"),
            std::string::npos);
  EXPECT_NE(parseError(with("\"kind\": \"cuda\"", "\"kind\": \"tpu\""))
                .find("field 'kind' must be \"cpu\" or \"cuda\""),
            std::string::npos);
  EXPECT_NE(parseError(with("\"arch\"", "\"l2_size\": 1, \"arch\""))
                .find("unknown field 'l2_size'"),
            std::string::npos);
  EXPECT_NE(parseError(with("\"fp8\": 0", "\"fp8\": 0, \"int8\": 1"))
                .find("unknown field 'peak_tflops.int8'"),
            std::string::npos);
}

TEST(DeviceProfile, UnknownNamesListTheKnownOnes) {
  llvm::Expected<DeviceProfile> p = loadDeviceProfile("h300");
  ASSERT_FALSE(bool(p));
  std::string error = llvm::toString(p.takeError());
  EXPECT_NE(error.find("no such device profile"), std::string::npos);
  EXPECT_NE(error.find("h100-sxm"), std::string::npos);
}

TEST(DeviceProfile, DetectsTheHost) {
  HostDetectOptions options;
  options.bandwidthArrayBytes = 8 << 20;
  DeviceProfile p = detectHostProfile(options);
  EXPECT_EQ(p.kind, DeviceKind::Cpu);
  EXPECT_GE(p.computeUnits, 1);
  EXPECT_TRUE(p.simdBits == 128 || p.simdBits == 256 || p.simdBits == 512);
  EXPECT_GT(p.clockGHz, 0);
  EXPECT_GT(p.peak.f32, 0);
  EXPECT_GT(p.memoryBandwidthGBs, 0.1);
  // What it detects reads back as a profile.
  llvm::Expected<DeviceProfile> q = parseDeviceProfile(toJson(p), "host");
  ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
  EXPECT_EQ(q->simdBits, p.simdBits);
}

} // namespace
