//===- DeviceProfile.h - What the latency predictor knows of a device -*- C++
//-*-===//
//
// A device profile is the predictor's description of one device: its peak
// arithmetic rate per element type, its memory bandwidth, its caches, its
// compute units and what launching a kernel costs. The GPUs' profiles are
// datasheet numbers, each with its source (predictor/devices/*.json); the
// host CPU's is detected and measured (detectHostProfile). Calibration
// from measured samples corrects what a profile predicts; the profile is
// where the prediction starts.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PREDICTOR_DEVICEPROFILE_H
#define KESTREL_PREDICTOR_DEVICEPROFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kestrel::predictor {

enum class DeviceKind { Cpu, Cuda };

/// Peak arithmetic rates in TFLOP/s (multiply-add counted as two), dense;
/// 0 where the device has no such path.
struct PeakRates {
  double f32 = 0, tf32 = 0, bf16 = 0, f16 = 0, fp8 = 0;
};

struct DeviceProfile {
  std::string name;        ///< "h100-sxm", "host"
  std::string description; ///< "NVIDIA H100 SXM5 80GB (Hopper, GH100)"
  DeviceKind kind = DeviceKind::Cuda;
  /// The code it runs: "sm_90a" (CUDA) or the x86-64 level ("x86-64-v4").
  std::string arch;
  /// SMs (CUDA) or cores (CPU).
  int64_t computeUnits = 0;
  PeakRates peak;
  double memoryBandwidthGBs = 0; ///< GB/s (10^9 bytes)
  /// The last-level cache: L2 on a GPU, L3 (or L2 without one) on a CPU.
  int64_t lastLevelCacheBytes = 0;
  /// CUDA: shared memory per SM.
  int64_t sharedMemoryPerUnitBytes = 0;
  /// CPU: vector width, clock, per-core caches.
  int64_t simdBits = 0;
  double clockGHz = 0;
  int64_t l1dBytes = 0, l2Bytes = 0;
  /// What starting one kernel costs before it does anything, in us.
  double launchOverheadUs = 0;
  /// Where each number comes from, by field name.
  std::map<std::string, std::string> sources;

  /// FLOPs per byte of memory traffic at which `tflops` stops being
  /// bandwidth-bound (the roofline's ridge point).
  double ridgePoint(double tflops) const {
    return memoryBandwidthGBs > 0 ? tflops * 1e3 / memoryBandwidthGBs : 0;
  }
};

/// Parses a profile from JSON text; `origin` (a file name) prefixes errors,
/// which name the field that is missing, mistyped, out of range or unknown.
llvm::Expected<DeviceProfile> parseDeviceProfile(llvm::StringRef json,
                                                 llvm::StringRef origin);

/// The profile `nameOrPath` names: a path to a .json file, or the name of
/// one of predictor/devices/ ("h100-sxm"); the error lists the known names.
llvm::Expected<DeviceProfile> loadDeviceProfile(llvm::StringRef nameOrPath);

/// The names of the profiles in predictor/devices/, sorted.
std::vector<std::string> builtinDeviceProfiles();

/// The profile as JSON that parseDeviceProfile reads back.
std::string toJson(const DeviceProfile &profile);

struct HostDetectOptions {
  /// Bytes per array of the bandwidth measurement (three arrays); 0 skips
  /// the measurement and assumes 10 GB/s per core.
  int64_t bandwidthArrayBytes = int64_t(64) << 20;
  /// Threads for the measurement; 0 for every core this process may use.
  int threads = 0;
};

/// This machine's CPU: cores this process may run on, the widest vector
/// level it runs (runtime/CpuLevel.h), caches (sysfs), the maximum clock,
/// the f32 peak they imply (two FMA pipes per core) and the memory
/// bandwidth of a STREAM-triad loop over `bandwidthArrayBytes` arrays,
/// measured now (best of five).
DeviceProfile detectHostProfile(const HostDetectOptions &options = {});

} // namespace kestrel::predictor

#endif // KESTREL_PREDICTOR_DEVICEPROFILE_H
