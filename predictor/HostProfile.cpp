//===- HostProfile.cpp - The host CPU's device profile, detected ----------===//

#include "predictor/DeviceProfile.h"

#include "runtime/CpuLevel.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kestrel::predictor {

namespace {

/// The first line of a (sysfs) file, or "".
std::string readLine(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// "48K", "2048K", "32M" in bytes; 0 when unreadable.
int64_t parseSize(const std::string &text) {
  if (text.empty())
    return 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (value <= 0)
    return 0;
  switch (end ? *end : '\0') {
  case 'K':
    return int64_t(value) << 10;
  case 'M':
    return int64_t(value) << 20;
  case 'G':
    return int64_t(value) << 30;
  default:
    return int64_t(value);
  }
}

/// Cores this process may run on.
int usableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

/// The maximum clock in GHz: cpufreq's, else /proc/cpuinfo's current one.
double clockGHz(std::string &source) {
  std::string khz =
      readLine("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
  if (!khz.empty() && std::atof(khz.c_str()) > 0) {
    source = "cpufreq cpuinfo_max_freq";
    return std::atof(khz.c_str()) / 1e6;
  }
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("cpu MHz", 0) == 0) {
      size_t colon = line.find(':');
      double mhz =
          colon == std::string::npos ? 0 : std::atof(line.c_str() + colon + 1);
      if (mhz > 0) {
        source = "/proc/cpuinfo cpu MHz (the current clock: no cpufreq here)";
        return mhz / 1e3;
      }
    }
  source = "unknown: 2.0 GHz assumed";
  return 2.0;
}

/// Best-of-five STREAM triad (a = b + s * c) over `threads` threads, in
/// GB/s counting the three arrays' bytes once each.
double measureBandwidth(int64_t arrayBytes, int threads) {
  int64_t n = std::max<int64_t>(arrayBytes / int64_t(sizeof(float)), 1 << 16);
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  auto triad = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      a[i] = b[i] + 0.5f * c[i];
  };
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    int64_t chunk = (n + threads - 1) / threads;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(triad, std::min(n, t * chunk),
                        std::min(n, (t + 1) * chunk));
    for (std::thread &t : pool)
      t.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (seconds > 0)
      best = std::max(best, 3.0 * double(n) * sizeof(float) / seconds / 1e9);
  }
  // Keep the loop's stores observable.
  volatile float sink = a[n / 2];
  (void)sink;
  return best;
}

} // namespace

DeviceProfile detectHostProfile(const HostDetectOptions &options) {
  DeviceProfile p;
  p.name = "host";
  p.kind = DeviceKind::Cpu;
  p.description = runtime::hostCpuName();
  runtime::CpuLevel level = runtime::hostCpuLevel();
  p.arch = runtime::cpuLevelName(level);
  p.computeUnits = usableCores();
  p.simdBits = level == runtime::CpuLevel::V4   ? 512
               : level == runtime::CpuLevel::V3 ? 256
                                                : 128;
  std::string clockSource;
  p.clockGHz = clockGHz(clockSource);

  // Caches: sysfs's cpu0 (data and unified caches by level).
  for (int index = 0; index < 8; ++index) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::string levelText = readLine(dir + "/level");
    if (levelText.empty())
      break;
    std::string type = readLine(dir + "/type");
    if (type == "Instruction")
      continue;
    int64_t size = parseSize(readLine(dir + "/size"));
    int cacheLevel = std::atoi(levelText.c_str());
    if (cacheLevel == 1)
      p.l1dBytes = size;
    else if (cacheLevel == 2)
      p.l2Bytes = size;
    else if (cacheLevel >= 3)
      p.lastLevelCacheBytes = std::max(p.lastLevelCacheBytes, size);
  }
  if (p.lastLevelCacheBytes == 0)
    p.lastLevelCacheBytes = p.l2Bytes;

  // f32 peak: per core per cycle two FMA pipes of simdBits / 32 lanes, each
  // FMA two FLOPs. The CPU kernels compute bf16/f16 in f32; no TF32/FP8.
  double lanes = double(p.simdBits) / 32.0;
  p.peak.f32 = double(p.computeUnits) * p.clockGHz * lanes * 2 * 2 / 1e3;
  p.peak.bf16 = p.peak.f16 = p.peak.f32;

  int threads = options.threads > 0 ? options.threads : int(p.computeUnits);
  bool measure = options.bandwidthArrayBytes > 0;
  // Not measured: a nominal 10 GB/s per core (a DDR4/DDR5 server core's
  // share), until kestrel-calibrate measures it.
  p.memoryBandwidthGBs =
      measure ? measureBandwidth(options.bandwidthArrayBytes, threads)
              : 10.0 * double(p.computeUnits);
  // A kernel call dispatched to the runtime's thread pool.
  p.launchOverheadUs = 1.0;

  std::ostringstream bw;
  if (measure)
    bw << "measured: STREAM triad, " << threads << " threads, 3 x "
       << (options.bandwidthArrayBytes >> 20) << " MiB, best of 5";
  else
    bw << "assumed: 10 GB/s per core (not measured; kestrel-calibrate "
          "measures it)";
  p.sources = {
      {"cores", "sched_getaffinity: the cores this process may use"},
      {"simd_bits", "the widest x86-64 level this CPU runs (CPUID, XCR0)"},
      {"clock_ghz", clockSource},
      {"caches", "sysfs /sys/devices/system/cpu/cpu0/cache"},
      {"peak_tflops", "cores x clock x 2 FMA pipes x SIMD lanes x 2; "
                      "bf16/f16 are computed in f32"},
      {"memory_bandwidth_gbs", bw.str()},
      {"launch_overhead_us",
       "estimate (a kernel call through the thread pool); kestrel-calibrate "
       "replaces it with a measurement"},
  };
  return p;
}

} // namespace kestrel::predictor
