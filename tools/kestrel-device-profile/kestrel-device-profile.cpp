//===- kestrel-device-profile.cpp - Show, check or detect device profiles -===//
//
//   kestrel-device-profile --list
//       the profiles in predictor/devices/
//   kestrel-device-profile NAME|FILE.json...
//       each profile checked, with what it implies (ridge points)
//   kestrel-device-profile --host [-o FILE.json]
//       this machine's CPU, detected and its bandwidth measured, as JSON
//
//===----------------------------------------------------------------------===//

#include "predictor/DeviceProfile.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
namespace kp = kestrel::predictor;

namespace {

cl::list<std::string> profiles(cl::Positional,
                               cl::desc("<profile name or .json file>..."));
cl::opt<bool> list("list", cl::desc("List the profiles in predictor/devices"));
cl::opt<bool> host("host",
                   cl::desc("Detect this machine's CPU (cores, SIMD width, "
                            "caches, clock) and measure its memory "
                            "bandwidth; print the profile as JSON"));
cl::opt<std::string> output("o", cl::desc("--host: write the JSON here"),
                            cl::value_desc("file"), cl::init("-"));

void summarize(const kp::DeviceProfile &p) {
  bool cpu = p.kind == kp::DeviceKind::Cpu;
  outs() << p.name << ": " << p.description << "\n"
         << "  " << (cpu ? "cpu " : "cuda ") << p.arch << ", " << p.computeUnits
         << (cpu ? " cores" : " SMs");
  if (cpu)
    outs() << ", " << p.simdBits << "-bit SIMD, " << format("%.2f", p.clockGHz)
           << " GHz";
  outs() << ", " << format("%.0f", p.memoryBandwidthGBs) << " GB/s, "
         << (p.lastLevelCacheBytes >> 20) << " MiB last-level cache\n";
  outs() << "  peak TFLOP/s and ridge point (FLOP/byte):";
  for (auto [name, rate] :
       {std::pair{"f32", p.peak.f32}, std::pair{"tf32", p.peak.tf32},
        std::pair{"bf16", p.peak.bf16}, std::pair{"f16", p.peak.f16},
        std::pair{"fp8", p.peak.fp8}})
    if (rate > 0)
      outs() << " " << name << " " << format("%.4g", rate) << " ("
             << format("%.1f", p.ridgePoint(rate)) << ")";
  outs() << "\n  launch overhead " << format("%.2f", p.launchOverheadUs)
         << " us\n";
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kestrel-device-profile: the latency predictor's device profiles\n");
  if (list) {
    for (const std::string &name : kp::builtinDeviceProfiles())
      outs() << name << "\n";
    return 0;
  }
  if (host) {
    if (!profiles.empty()) {
      errs() << "kestrel-device-profile: error: --host takes no profile "
                "names\n";
      return 1;
    }
    kp::DeviceProfile p = kp::detectHostProfile();
    std::error_code ec;
    raw_fd_ostream os(output, ec, sys::fs::OF_Text);
    if (ec) {
      errs() << "kestrel-device-profile: error: cannot write " << output << ": "
             << ec.message() << "\n";
      return 1;
    }
    os << kp::toJson(p);
    return 0;
  }
  if (profiles.empty()) {
    errs() << "kestrel-device-profile: error: name a profile (--list shows "
              "them), a .json file, or --host\n";
    return 1;
  }
  int failures = 0;
  for (const std::string &name : profiles) {
    Expected<kp::DeviceProfile> p = kp::loadDeviceProfile(name);
    if (!p) {
      errs() << "kestrel-device-profile: error: " << toString(p.takeError())
             << "\n";
      ++failures;
      continue;
    }
    summarize(*p);
  }
  return failures ? 1 : 0;
}
