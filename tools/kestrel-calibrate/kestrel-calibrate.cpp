//===- kestrel-calibrate.cpp - Measure a device for the latency predictor -===//
//
//   kestrel-calibrate --target=cpu -o CALIB.json
//       detects this machine's CPU (the host profile, bandwidth measured),
//       times the ~10 reference kernels (predictor/CostModel.h) and writes
//       the samples with the fitted corrections; kestrelc --calibration
//       CALIB.json predicts with them.
//   kestrel-calibrate --target=cpu --sweep [--calibration CALIB.json] -o OUT
//       times a larger held-out set (~230 calls over every family, shapes
//       and candidates not in the reference set) and writes each with its
//       measured time and its predicted time, from the profile alone and
//       with the calibration: bench/predictor_eval.py's input.
//
// The kernels are timed by kestrel-measure-LEVEL (beside this tool), built
// against the kernel library of the CPU level the models are compiled for
// (--cpu, by default the highest this machine runs, as kestrelc's).
//
//===----------------------------------------------------------------------===//

#include "predictor/CostModel.h"
#include "predictor/DeviceProfile.h"
#include "runtime/CpuLevel.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
namespace kp = kestrel::predictor;

namespace {

cl::OptionCategory category("kestrel-calibrate options");
cl::opt<std::string> target("target",
                            cl::desc("The device to calibrate: cpu (cuda: "
                                     "see docs/predictor.md)"),
                            cl::init("cpu"), cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Where to write the JSON"),
                            cl::value_desc("file"), cl::Required,
                            cl::cat(category));
cl::opt<bool> sweep("sweep",
                    cl::desc("Time the larger held-out set and write each "
                             "call's measured and predicted time"),
                    cl::cat(category));
cl::opt<std::string>
    calibrationPath("calibration",
                    cl::desc("--sweep: predict with this calibration (default: "
                             "calibrate first)"),
                    cl::value_desc("CALIB.json"), cl::cat(category));
cl::opt<std::string> cpuLevel("cpu",
                              cl::desc("The x86-64 level whose kernels are "
                                       "timed (default: native, the highest "
                                       "this machine runs)"),
                              cl::init("native"), cl::cat(category));
cl::opt<int> threadsOpt("kernel-threads",
                        cl::desc("Threads the kernels run on (default: every "
                                 "core this process may use)"),
                        cl::init(0), cl::cat(category));

int fail(const Twine &message) {
  errs() << "kestrel-calibrate: error: " << message << "\n";
  return 1;
}

struct Point {
  std::string name;
  kp::KernelWork work;
  int threads = 0; ///< 0: all
  int64_t groups = 1;
};

/// The runner's input line for `p` (tools/kestrel-calibrate/Measure.cpp).
std::string line(const Point &p) {
  const kp::KernelWork &w = p.work;
  return formatv("{0} {1} {2} {3} {4} {5} {6} {7} {8} {9}\n", p.name,
                 kp::familyName(w.family), w.candidate, p.threads, w.batch, w.m,
                 w.n, w.k, p.groups, w.causal ? 1 : 0)
      .str();
}

std::vector<Point> referencePoints() {
  std::vector<Point> points;
  for (kp::ReferenceKernel &r : kp::cpuReferenceKernels())
    points.push_back({r.name, r.work, r.threads, r.groups});
  return points;
}

/// The held-out set: shapes and candidates the reference set does not
/// have, at one thread and at all of them.
std::vector<Point> sweepPoints() {
  std::vector<Point> points;
  auto add = [&](std::string name, kp::KernelWork w, int64_t groups = 1) {
    for (int threads : {1, 0})
      points.push_back(
          {name + (threads ? ".t1" : ".tall"), w, threads, groups});
  };
  const std::pair<int64_t, int64_t> nk[] = {
      {576, 576}, {1536, 576}, {576, 1536}, {192, 576}, {4096, 256}};
  for (int64_t m : {1, 4, 8, 16, 32, 128, 512})
    for (auto [n, k] : nk)
      for (StringRef c :
           {"cpu.gemm.dot", "cpu.gemm.blocked", "cpu.gemm.packed"})
        add(formatv("gemm.{0}x{1}x{2}.{3}", m, n, k, c.drop_front(9)).str(),
            kp::gemmWork(c, m, n, k));
  for (int64_t d : {64, 128})
    for (auto [q, keys] : {std::pair<int64_t, int64_t>{1, 64},
                           {1, 512},
                           {1, 2048},
                           {16, 16},
                           {64, 64},
                           {256, 256},
                           {512, 512}})
      add(formatv("attention.h9.{0}x{1}.d{2}", q, keys, d).str(),
          kp::attentionWork("cpu.attention", 9, q, keys, d, q > 1));
  for (auto [m, n] : {std::pair<int64_t, int64_t>{1, 576},
                      {9, 576},
                      {512, 576},
                      {32, 2048},
                      {1024, 4096}})
    add(formatv("norm.{0}x{1}", m, n).str(),
        kp::rowWork(kp::Family::Norm, "cpu.norm", m, n, 1, 1, 4));
  for (int64_t n : {256, 4096, 65536, 1 << 20, 4 << 20}) {
    kp::KernelWork add2 =
        kp::rowWork(kp::Family::Elementwise, "cpu.elementwise", 1, n, 2, 1, 1);
    add2.k = 2;
    add(formatv("elementwise.add.{0}", n).str(), add2);
    kp::KernelWork exp =
        kp::rowWork(kp::Family::Elementwise, "cpu.elementwise", 1, n, 1, 1, 12);
    add(formatv("elementwise.exp.{0}", n).str(), exp);
  }
  for (auto [m, n] : {std::pair<int64_t, int64_t>{9, 16},
                      {144, 128},
                      {4608, 512},
                      {64, 4096}})
    add(formatv("softmax.{0}x{1}", m, n).str(),
        kp::rowWork(kp::Family::Softmax, "cpu.softmax", m, n, 1, 1, 6));
  for (auto [m, n] :
       {std::pair<int64_t, int64_t>{1, 576}, {128, 576}, {512, 4096}})
    add(formatv("reduce.{0}x{1}", m, n).str(),
        kp::rowWork(kp::Family::Reduce, "cpu.reduce", m, n, 1, 1.0 / double(n),
                    1));
  for (auto [m, n, g] : {std::tuple<int64_t, int64_t, int64_t>{9, 64, 9},
                         {512 * 9, 64, 9},
                         {2048, 576, 1},
                         {16, 64, 1},
                         {128 * 32, 128, 32}})
    add(formatv("data_movement.{0}x{1}.g{2}", m, n, g).str(),
        kp::rowWork(kp::Family::DataMovement, "cpu.data_movement", m, n, 1, 1,
                    0),
        g);
  for (auto [heads, seq, d] : {std::tuple<int64_t, int64_t, int64_t>{9, 1, 64},
                               {9, 512, 64},
                               {32, 256, 128},
                               {3, 128, 64}})
    add(formatv("rope.h{0}.s{1}.d{2}", heads, seq, d).str(),
        kp::rowWork(kp::Family::Rope, "cpu.rope", heads * seq, d, 2, 1, 3),
        seq);
  return points;
}

/// Runs kestrel-measure-LEVEL over `points`; name -> microseconds.
Expected<StringMap<double>>
measure(StringRef level, const std::vector<Point> &points, int rounds) {
  std::string self = sys::fs::getMainExecutable(
      "kestrel-calibrate", reinterpret_cast<void *>(&measure));
  SmallString<256> runner(sys::path::parent_path(self));
  sys::path::append(runner, ("kestrel-measure-" + level).str());
  if (!sys::fs::can_execute(runner))
    return createStringError(inconvertibleErrorCode(),
                             "no kernel timer for " + level + " at " + runner +
                                 " (build target kestrel-measure-" + level +
                                 ")");
  SmallString<128> in, out;
  if (std::error_code ec =
          sys::fs::createTemporaryFile("kestrel-calib", "in", in))
    return errorCodeToError(ec);
  if (std::error_code ec =
          sys::fs::createTemporaryFile("kestrel-calib", "out", out))
    return errorCodeToError(ec);
  FileRemover removeIn(in), removeOut(out);
  {
    std::error_code ec;
    raw_fd_ostream os(in, ec);
    if (ec)
      return errorCodeToError(ec);
    for (const Point &p : points)
      os << line(p);
  }
  std::optional<StringRef> redirects[] = {StringRef(in), StringRef(out),
                                          std::nullopt};
  std::string message;
  std::string roundsText = std::to_string(rounds);
  int rc = sys::ExecuteAndWait(runner, {runner, "--rounds", roundsText},
                               std::nullopt, redirects, 0, 0, &message);
  if (rc != 0)
    return createStringError(inconvertibleErrorCode(),
                             runner + " failed (exit " + Twine(rc) + ")" +
                                 (message.empty() ? "" : ": " + message));
  ErrorOr<std::unique_ptr<MemoryBuffer>> text = MemoryBuffer::getFile(out);
  if (!text)
    return errorCodeToError(text.getError());
  StringMap<double> times;
  SmallVector<StringRef> lines;
  (*text)->getBuffer().split(lines, '\n', -1, false);
  for (StringRef l : lines) {
    auto [name, value] = l.split(' ');
    double us = 0;
    if (value.trim().getAsDouble(us) || !(us > 0))
      return createStringError(inconvertibleErrorCode(),
                               "malformed timer output: " + l);
    times[name] = us;
  }
  for (const Point &p : points)
    if (!times.count(p.name))
      return createStringError(inconvertibleErrorCode(),
                               "the timer did not time " + p.name);
  return times;
}

Expected<kp::Calibration> calibrate(StringRef level) {
  kp::HostDetectOptions detect;
  detect.threads = threadsOpt;
  kp::Calibration cal;
  cal.profile = kp::detectHostProfile(detect);
  std::vector<Point> points = referencePoints();
  for (Point &p : points)
    if (p.threads == 0 && threadsOpt > 0)
      p.threads = threadsOpt;
  // Five rounds: the reference set is small, and one noisy sample skews a
  // whole family.
  Expected<StringMap<double>> times = measure(level, points, 5);
  if (!times)
    return times.takeError();
  for (const Point &p : points)
    cal.samples.push_back(
        {p.name, p.work, p.threads ? p.threads : int(cal.profile->computeUnits),
         times->lookup(p.name)});
  kp::fitCalibration(cal);
  return cal;
}

int writeOutput(StringRef text) {
  std::error_code ec;
  ToolOutputFile out(output, ec, sys::fs::OF_Text);
  if (ec)
    return fail("cannot write " + output + ": " + ec.message());
  out.os() << text;
  out.keep();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kestrel-calibrate: time reference kernels on this device for the "
      "latency predictor\n");
  if (target == "cuda")
    return fail("--target=cuda: calibration on a GPU is not available in "
                "this version; CUDA predictions use the device profile alone "
                "(kestrelc --device=h100-sxm|h200|...)");
  if (target != "cpu")
    return fail("unknown --target '" + target + "' (expected cpu or cuda)");
  if (threadsOpt < 0)
    return fail("--kernel-threads must be 0 (every core) or more");
  std::string level = cpuLevel;
  if (level == "native")
    level = kestrel::runtime::cpuLevelName(kestrel::runtime::hostCpuLevel());
  std::optional<kestrel::runtime::CpuLevel> parsed =
      kestrel::runtime::parseCpuLevel(level);
  if (!parsed)
    return fail("unknown --cpu '" + level +
                "' (expected native, x86-64, x86-64-v2, x86-64-v3 or "
                "x86-64-v4)");
  std::vector<const char *> missing =
      kestrel::runtime::missingCpuFeatures(*parsed);
  if (!missing.empty())
    return fail("this CPU cannot run " + level + " code (it lacks " +
                missing.front() + ")");

  kp::Calibration cal;
  if (!sweep || calibrationPath.empty()) {
    Expected<kp::Calibration> fitted = calibrate(level);
    if (!fitted)
      return fail(toString(fitted.takeError()));
    cal = std::move(*fitted);
  } else {
    Expected<kp::Calibration> loaded = kp::loadCalibration(calibrationPath);
    if (!loaded)
      return fail(toString(loaded.takeError()));
    cal = std::move(*loaded);
  }
  if (!sweep)
    return writeOutput(kp::toJson(cal));

  std::vector<Point> points = sweepPoints();
  int all = int(cal.profile->computeUnits);
  for (Point &p : points)
    if (p.threads == 0)
      p.threads = threadsOpt > 0 ? threadsOpt : all;
  Expected<StringMap<double>> times = measure(level, points, 2);
  if (!times)
    return fail(toString(times.takeError()));
  json::Array rows;
  for (const Point &p : points) {
    kp::Estimate calibrated =
        kp::estimate(*cal.profile, p.work, p.threads, &cal);
    kp::Estimate profileOnly = kp::estimate(*cal.profile, p.work, p.threads);
    Expected<json::Value> work = json::parse(kp::workToJson(p.work));
    if (!work)
      return fail(toString(work.takeError()));
    rows.push_back(json::Object{{"name", p.name},
                                {"family", kp::familyName(p.work.family)},
                                {"candidate", p.work.candidate},
                                {"threads", p.threads},
                                {"measured_us", times->lookup(p.name)},
                                {"predicted_us", calibrated.totalUs},
                                {"profile_only_us", profileOnly.totalUs},
                                {"compute_us", profileOnly.computeUs},
                                {"memory_us", profileOnly.memoryUs},
                                {"overhead_us", calibrated.overheadUs},
                                {"bound", calibrated.bound},
                                {"work", std::move(*work)}});
  }
  json::Object root{{"kestrel_sweep", 1},
                    {"cpu", level},
                    {"device", cal.profile->description},
                    {"points", std::move(rows)}};
  std::string text;
  raw_string_ostream os(text);
  os << formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return writeOutput(text);
}
