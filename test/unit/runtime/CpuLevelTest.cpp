//===- CpuLevelTest.cpp - x86-64 levels and the CPU feature check ---------===//
//
// The level table, and the CPUID-based detection against what the kernel
// reports in /proc/cpuinfo (read independently of CPUID here).
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuLevel.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

using namespace kestrel::runtime;

namespace {

TEST(CpuLevel, NamesRoundTrip) {
  for (CpuLevel level : kCpuLevels) {
    std::optional<CpuLevel> parsed = parseCpuLevel(cpuLevelName(level));
    ASSERT_TRUE(parsed.has_value()) << cpuLevelName(level);
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_FALSE(parseCpuLevel("x86-64-v5").has_value());
  EXPECT_FALSE(parseCpuLevel("native").has_value());
  EXPECT_FALSE(parseCpuLevel("").has_value());
}

TEST(CpuLevel, EachLevelAddsFeatures) {
  std::set<std::string> seen;
  for (CpuLevel level : kCpuLevels) {
    std::vector<const char *> features = cpuLevelFeatures(level);
    EXPECT_FALSE(features.empty()) << cpuLevelName(level);
    for (const char *f : features)
      EXPECT_TRUE(seen.insert(f).second) << f << " listed twice";
  }
  EXPECT_TRUE(seen.count("AVX2") && seen.count("AVX512BW") &&
              seen.count("SSE4_2") && seen.count("FMA"));
}

TEST(CpuLevel, HostLevelIsTheHighestWithNothingMissing) {
  CpuLevel host = hostCpuLevel();
  for (CpuLevel level : kCpuLevels) {
    std::vector<const char *> missing = missingCpuFeatures(level);
    std::string message = cpuLevelMismatch(level, "m");
    if (level <= host) {
      EXPECT_TRUE(missing.empty()) << cpuLevelName(level);
      EXPECT_EQ(message, "");
    } else {
      EXPECT_FALSE(missing.empty()) << cpuLevelName(level);
      // The message names the model, the level, a missing feature and the
      // level to recompile for.
      EXPECT_NE(message.find("model 'm' was compiled for " +
                             std::string(cpuLevelName(level))),
                std::string::npos)
          << message;
      EXPECT_NE(message.find(missing.front()), std::string::npos) << message;
      EXPECT_NE(message.find(std::string("--cpu=") + cpuLevelName(host)),
                std::string::npos)
          << message;
    }
  }
  EXPECT_FALSE(hostCpuName().empty());
}

/// The flags line of /proc/cpuinfo, as a set.
std::set<std::string> procCpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0)
      continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;)
      flags.insert(w);
    return flags;
  }
  return {};
}

TEST(CpuLevel, AgreesWithProcCpuinfo) {
  std::set<std::string> flags = procCpuFlags();
  if (flags.empty())
    GTEST_SKIP() << "no /proc/cpuinfo flags";
  // Linux's names for the level features (arch/x86/include/asm/cpufeatures.h).
  const std::map<std::string, std::string> linuxName = {
      {"CMOV", "cmov"},         {"CX8", "cx8"},
      {"FXSR", "fxsr"},         {"MMX", "mmx"},
      {"SSE", "sse"},           {"SSE2", "sse2"},
      {"CMPXCHG16B", "cx16"},   {"LAHF-SAHF", "lahf_lm"},
      {"POPCNT", "popcnt"},     {"SSE3", "pni"},
      {"SSE4_1", "sse4_1"},     {"SSE4_2", "sse4_2"},
      {"SSSE3", "ssse3"},       {"AVX", "avx"},
      {"AVX2", "avx2"},         {"BMI1", "bmi1"},
      {"BMI2", "bmi2"},         {"F16C", "f16c"},
      {"FMA", "fma"},           {"LZCNT", "abm"},
      {"MOVBE", "movbe"},       {"AVX512F", "avx512f"},
      {"AVX512BW", "avx512bw"}, {"AVX512CD", "avx512cd"},
      {"AVX512DQ", "avx512dq"}, {"AVX512VL", "avx512vl"},
  };
  std::set<std::string> missing;
  for (const char *f : missingCpuFeatures(CpuLevel::V4))
    missing.insert(f);
  for (CpuLevel level : kCpuLevels)
    for (const char *f : cpuLevelFeatures(level)) {
      auto it = linuxName.find(f);
      ASSERT_NE(it, linuxName.end()) << f;
      // Linux lists a feature only when it (and its register state) is
      // usable, which is what missingCpuFeatures checks.
      EXPECT_EQ(flags.count(it->second) == 1, missing.count(f) == 0)
          << f << " (" << it->second << ")";
    }
}

} // namespace
