//===- CostModel.cpp - Predicted latency of one kernel call ---------------===//

#include "predictor/CostModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>

namespace kestrel::predictor {

namespace json = llvm::json;
using llvm::StringRef;

StringRef familyName(Family family) {
  switch (family) {
  case Family::Gemm:
    return "gemm";
  case Family::Gemv:
    return "gemv";
  case Family::Attention:
    return "attention";
  case Family::AttentionDecode:
    return "attention_decode";
  case Family::Norm:
    return "norm";
  case Family::Elementwise:
    return "elementwise";
  case Family::Softmax:
    return "softmax";
  case Family::Reduce:
    return "reduce";
  case Family::DataMovement:
    return "data_movement";
  case Family::Rope:
    return "rope";
  }
  return "unknown";
}

std::optional<Family> parseFamily(StringRef name) {
  for (int f = 0; f < kNumFamilies; ++f)
    if (familyName(Family(f)) == name)
      return Family(f);
  return std::nullopt;
}

int64_t waves(int64_t tasks, int64_t units) {
  units = std::max<int64_t>(units, 1);
  return std::max<int64_t>((tasks + units - 1) / units, 1);
}

namespace {

int64_t roundUp(int64_t x, int64_t to) { return (x + to - 1) / to * to; }
int64_t ceilDiv(int64_t x, int64_t by) { return (x + by - 1) / by; }

int64_t configValue(const KernelWork &w, StringRef key, int64_t fallback) {
  auto it = w.config.find(key.str());
  return it == w.config.end() ? fallback : it->second;
}

/// The CPU library's work splitting (kernels/cpu/ElementTypes.h): chunks
/// of at least kCpuGrain elements (an eighth of that for expensive unary
/// ops), at most four per thread; GEMMs and attention below kCpuSerialWork
/// multiply-adds run on the calling thread.
constexpr int64_t kCpuGrain = 16384, kCpuSerialWork = int64_t(1) << 18;
/// The CPU GEMM (kernels/cpu/Gemm.h): the register tile, the A block and K
/// slice of the packed path, its minimum column tasks, and the rows up to
/// which cpu.gemm.dot streams B once for all rows.
constexpr int64_t kCpuTileM = 8, kCpuTileN = 32, kCpuBlockM = 128,
                  kCpuSliceK = 256, kCpuBlockN = 1024, kCpuGemmTasks = 16,
                  kCpuSkinnyRows = 16;

/// Seconds to move `bytes` whose working set is `footprint` bytes, on
/// `threads` threads, per level of the hierarchy the working set fits in:
/// L1 at 64 bytes per cycle per thread, three quarters of one core's L2 at
/// 40 (the library hands tasks out dynamically, so a thread's share of the
/// data changes from call to call: what stays in L2 is what fits one L2),
/// the last-level cache at 9, the rest at the profile's DRAM bandwidth
/// (one thread reaching about 60% of what all cores do).
double cpuMoveSeconds(const DeviceProfile &p, double bytes, double footprint,
                      int64_t threads) {
  if (bytes <= 0)
    return 0;
  double clock = (p.clockGHz > 0 ? p.clockGHz : 2.5) * 1e9;
  double cores = double(std::max<int64_t>(p.computeUnits, 1));
  double t = double(std::max<int64_t>(threads, 1));
  double share =
      cores > 1 ? std::min(1.0, 0.6 + 0.4 * (t - 1) / (cores - 1)) : 1.0;
  double dram = std::max(p.memoryBandwidthGBs, 1.0) * 1e9 * share;
  footprint = std::max(footprint, 1.0);
  struct Level {
    double capacity, rate;
  } levels[] = {
      {double(p.l1dBytes) * t, clock * 64.0 * t},
      {0.75 * double(p.l2Bytes), clock * 40.0 * t},
      {double(p.lastLevelCacheBytes), clock * 9.0 * t},
  };
  double seconds = 0, covered = 0;
  for (const Level &level : levels) {
    double fits = std::min(1.0, level.capacity / footprint);
    if (fits > covered) {
      seconds += (fits - covered) * bytes / std::max(level.rate, dram);
      covered = fits;
    }
  }
  return seconds + (1.0 - covered) * bytes / dram;
}

/// One parallel region of a CPU call: its compute on one thread and the
/// data it moves (bytes, working set), split into `tasks` equal tasks over
/// the threads in whole waves.
struct CpuRegion {
  double computeS = 0;
  llvm::SmallVector<std::pair<double, double>, 2> moves;
  /// Work no scale corrects (packing, per-task set-up), on one thread.
  double fixedS = 0;
  int64_t tasks = 1;
};

Estimate cpuEstimate(const DeviceProfile &p, const KernelWork &w, int threads,
                     const Calibration *cal) {
  int64_t cores = std::max<int64_t>(p.computeUnits, 1);
  int64_t t = threads <= 0 ? cores : std::min<int64_t>(threads, cores);
  double corePeak = p.peak.f32 * 1e12 / double(cores);
  double clock = (p.clockGHz > 0 ? p.clockGHz : 2.5) * 1e9;
  Family family = w.family;
  llvm::SmallVector<CpuRegion, 2> regions;
  // Per-thread rates: `compute(flops, eff)` seconds on one core.
  auto compute = [&](double flops, double eff) {
    return flops / (corePeak * eff);
  };
  bool gemm = family == Family::Gemm || family == Family::Gemv;
  if (gemm) {
    // cpu.gemm.dot's decode paths (few rows or columns) are the GEMV family.
    family = effectiveFamily(w);
    bool skinny = family == Family::Gemv;
    double work = double(w.batch) * double(w.m) * double(w.n) * double(w.k);
    bool parallel = work >= double(kCpuSerialWork) && t > 1;
    double a = double(w.m) * w.k * 4, b = double(w.k) * w.n * 4,
           c = double(w.m) * w.n * 4;
    if (skinny) {
      // Each task streams its columns of B once for every row.
      // A row of B is read `width` columns at a time (the accumulators
      // of all rows fill three quarters of the vector registers): below
      // about three cache lines per row the stream stalls on each line
      // (half the rate at one line).
      int64_t lanes = std::max<int64_t>(p.simdBits, 128) / 32;
      int64_t registers = p.simdBits >= 512 ? 32 : 16;
      int64_t width = std::clamp<int64_t>(
                          registers * 3 / 4 / std::max<int64_t>(w.m, 1), 1, 8) *
                      lanes;
      double lines = double(width) * 4 / 64;
      double streaming = std::min(1.0, (lines + 1.0) / 4.0);
      // Pre-packed panels (cpu.gemm.packed) stream contiguously.
      if (w.candidate == "cpu.gemm.packed")
        streaming = 1.0;
      CpuRegion r;
      r.computeS = compute(2.0 * w.m * w.n * w.k, 0.9);
      r.moves = {{(a + b + c) / streaming, b}};
      r.tasks = parallel ? std::max<int64_t>(ceilDiv(w.n, 64), 1) : 1;
      regions.push_back(r);
    } else {
      int64_t mPad = roundUp(w.m, kCpuTileM);
      // A packed once, in parallel over row blocks and K slices.
      CpuRegion packA;
      packA.moves = {{2 * double(mPad) * w.k * 4, a}};
      packA.tasks =
          parallel ? ceilDiv(w.m, kCpuBlockM) * ceilDiv(w.k, kCpuSliceK) : 1;
      regions.push_back(packA);
      // Column blocks: each packs its columns of B (read from where B
      // lives, written to and read from L1/L2) and runs all of A
      // against them on the register tile.
      int64_t panels = ceilDiv(w.n, kCpuTileN);
      int64_t blockN = kCpuBlockN;
      if (ceilDiv(w.n, blockN) < kCpuGemmTasks)
        blockN = std::max<int64_t>(1, panels / kCpuGemmTasks) * kCpuTileN;
      CpuRegion main;
      main.computeS =
          compute(2.0 * mPad * roundUp(w.n, kCpuTileN) * double(w.k), 0.85);
      // Packing B costs about 0.4 cycles per element (none when it was
      // packed at load).
      if (w.candidate != "cpu.gemm.packed")
        main.fixedS = 0.4 * double(w.k) * double(w.n) / clock;
      main.moves = {{b, b}, {b + c, double(blockN) * kCpuSliceK * 4}};
      main.tasks = parallel ? ceilDiv(w.n, blockN) : 1;
      regions.push_back(main);
    }
    if (w.batch > 1)
      for (CpuRegion &r : regions) {
        r.computeS *= double(w.batch);
        for (auto &[bytes, footprint] : r.moves)
          bytes *= double(w.batch);
        r.tasks = parallel ? std::max<int64_t>(r.tasks, w.batch) : 1;
      }
  } else if (family == Family::Attention || family == Family::AttentionDecode) {
    double pairs = double(w.m) * double(w.n);
    if (w.causal && w.m > 1)
      pairs = double(w.m) * (double(w.n) - double(w.m) / 2.0 + 0.5);
    int64_t blocks = ceilDiv(w.m, 16);
    double work = double(w.batch) * double(w.m) * double(w.n) * 2.0 * w.k;
    bool parallel = work >= double(kCpuSerialWork) && t > 1;
    CpuRegion r;
    r.tasks = parallel ? w.batch * blocks : 1;
    // QK^T and PV, and the online softmax (an exp and a few FLOPs per
    // score, counted as 16); set-up per task and per query row.
    r.computeS =
        compute(double(w.batch) * pairs * (4.0 * double(w.k) + 16.0), 0.27);
    r.fixedS =
        double(w.batch * blocks) * 0.6e-6 + double(w.batch * w.m) * 0.1e-6;
    // Each query block reads its head's keys and values.
    double kv = w.bytesRead - double(w.batch) * w.m * w.k * w.elementBytes;
    r.moves = {
        {w.bytesRead + w.bytesWritten + std::max(kv, 0.0) * double(blocks - 1),
         w.bytesRead + w.bytesWritten}};
    regions.push_back(r);
  } else {
    double elements = double(w.m) * double(w.n);
    int64_t grain = family == Family::Elementwise && w.flopsPerElement > 4
                        ? kCpuGrain / 8
                        : kCpuGrain;
    int64_t chunks = std::min<int64_t>(ceilDiv(w.m * w.n, grain), 4 * t);
    if (family == Family::Norm || family == Family::Softmax)
      chunks = std::min<int64_t>(chunks, w.m); // whole rows per task
    CpuRegion r;
    r.tasks = t > 1 ? std::max<int64_t>(chunks, 1) : 1;
    // What the library's loops reach, as a share of the SIMD peak: the
    // element-wise loops are vectorized; norms, rotary embedding,
    // reductions and softmax (its exp) run closer to scalar.
    double eff = family == Family::Elementwise    ? 0.25
                 : family == Family::Norm         ? 0.15
                 : family == Family::Rope         ? 0.06
                 : family == Family::DataMovement ? 0.25
                                                  : 0.02;
    r.computeS = compute(elements * w.flopsPerElement, eff);
    double bytes = w.bytesRead + w.bytesWritten;
    r.moves = {{bytes, bytes}};
    regions.push_back(r);
  }

  double computeScale = cal ? cal->computeScale[int(family)] : 1.0;
  double memoryScale = cal ? cal->memoryScale[int(family)] : 1.0;
  double call = cal && cal->callOverheadUs ? *cal->callOverheadUs : 0.3;
  double dispatch =
      cal && cal->parallelOverheadUs ? *cal->parallelOverheadUs : 5.0;
  Estimate e;
  e.overheadUs = call;
  double total = 0;
  for (const CpuRegion &r : regions) {
    // The data the region moves on `threads` threads, in us.
    auto moved = [&](int64_t threads) {
      double us = 0;
      for (auto [bytes, footprint] : r.moves)
        us += cpuMoveSeconds(p, bytes, footprint, threads) * 1e6;
      return us;
    };
    double c = r.computeS * 1e6, m = moved(1), f = r.fixedS * 1e6;
    double time = std::max(computeScale * c, memoryScale * m) + f;
    int64_t used = std::min<int64_t>(t, r.tasks), nWaves = 1;
    if (used > 1) {
      // Handed out to the threads (the library's decision): the caller
      // works alone until the others wake (`dispatch` later, and it waits
      // for them however little work is left), then all share the rest.
      nWaves = waves(r.tasks, used);
      // Equal tasks: the last wave may leave threads idle.
      double spread = double(nWaves) / double(r.tasks);
      double cp = c * spread, mp = moved(used), fp = f * spread;
      double parallel = std::max(computeScale * cp, memoryScale * mp) + fp;
      double rest =
          time > 0 ? std::max(time - dispatch, 0.0) * parallel / time : 0.0;
      c = cp, m = mp, f = fp;
      time = rest;
      e.overheadUs += dispatch;
    }
    // The fixed work counts as compute (it is instructions, not traffic).
    e.computeUs += c + f;
    e.memoryUs += m;
    e.waves = std::max(e.waves, double(nWaves));
    total += time;
  }
  e.bound = computeScale * e.computeUs >= memoryScale * e.memoryUs ? "compute"
                                                                   : "memory";
  e.totalUs = e.overheadUs + total;
  return e;
}

/// The tensor-core rate (FLOP/s per SM) for 2-byte operands, else f32.
double smRate(const DeviceProfile &p, int64_t elementBytes, bool tensorCores) {
  double tflops = tensorCores && elementBytes == 2   ? p.peak.bf16
                  : tensorCores && elementBytes == 1 ? p.peak.fp8
                                                     : p.peak.f32;
  return tflops * 1e12 / double(std::max<int64_t>(p.computeUnits, 1));
}

Estimate cudaEstimate(const DeviceProfile &p, const KernelWork &w,
                      const Calibration *cal) {
  double e = double(w.elementBytes);
  double bw = p.memoryBandwidthGBs * 1e9;
  int64_t sms = std::max<int64_t>(p.computeUnits, 1);
  Estimate est;
  const double launchUs =
      cal && cal->callOverheadUs ? *cal->callOverheadUs : p.launchOverheadUs;
  est.overheadUs = launchUs;
  Family family = effectiveFamily(w);
  StringRef name = w.candidate;
  bool gemm = family == Family::Gemm || family == Family::Gemv;
  double computeS = 0, memoryS = 0;
  // The GEMV kernels, or a guarded GEMM with few rows (the runtime sends
  // it to them).
  if (family == Family::Gemv) {
    double blocks = double(w.batch) * double(ceilDiv(w.n, 32));
    est.waves = double(waves(int64_t(blocks), sms * 8));
    computeS = 2.0 * w.batch * w.m * w.n * w.k / (smRate(p, 4, false) * sms);
    memoryS = w.batch *
              (double(w.k) * w.n + double(w.m) * w.k + double(w.m) * w.n) * e /
              (0.8 * bw);
  } else if (gemm) {
    int64_t tm = 64, tn = 64, tk = 32, warps = 4;
    double eff = 0.3; // CUDA cores, f32 accumulation
    bool tensor = false;
    if (name == "cuda.gemm.mma") {
      tm = configValue(w, "tile_m", 128);
      tn = configValue(w, "tile_n", 128);
      tk = configValue(w, "tile_k", 32);
      warps = configValue(w, "warps_m", 2) * configValue(w, "warps_n", 4);
      tensor = true;
      // mma.sync without the Hopper warpgroup instructions: bigger tiles
      // reuse more of each loaded fragment.
      eff = 0.6 * double(tm * tn) / double(tm * tn + 32 * (tm + tn));
    } else if (name == "cuda.gemm.cublaslt") {
      tm = 128, tn = 128, tk = 32, warps = 8;
      tensor = w.elementBytes <= 2;
      eff = tensor ? 0.7 : 0.8;
    }
    int64_t tiles = w.batch * ceilDiv(w.m, tm) * ceilDiv(w.n, tn);
    // Blocks resident per SM: shared memory (a 3-stage pipeline of A and B
    // tiles) and warps (64 per SM) permitting.
    int64_t smemPerBlock = (tm + tn) * tk * int64_t(e) * 3;
    int64_t bySmem = p.sharedMemoryPerUnitBytes > 0
                         ? p.sharedMemoryPerUnitBytes / smemPerBlock
                         : 1;
    int64_t resident = std::clamp<int64_t>(
        std::min<int64_t>(bySmem, 64 / std::max<int64_t>(warps, 1)), 1, 8);
    est.waves = double(waves(tiles, sms * resident));
    // Each SM runs its share of the tiles one after another at its peak
    // rate; tiles resident together only hide each other's latency (one
    // alone reaches about 70% of what two or more do).
    double rounds = double(waves(tiles, sms));
    double hiding = resident >= 2 ? 1.0 : 0.7;
    double tileFlops = 2.0 * tm * tn * roundUp(w.k, tk);
    computeS =
        rounds * tileFlops / (smRate(p, w.elementBytes, tensor) * eff * hiding);
    double dram = w.batch *
                  (double(w.m) * w.k + double(w.k) * w.n + double(w.m) * w.n) *
                  e;
    double l2 = double(tiles) * double(tm + tn) * w.k * e;
    memoryS = std::max(dram / (0.85 * bw), l2 / (2.5 * bw));
    if (name == "cuda.gemm.cublaslt") {
      est.overheadUs += 2.0; // the heuristic query and descriptor set-up
      if (w.splitOutput) {
        // The product through scratch and the epilogue kernel's launch.
        est.overheadUs += launchUs;
        memoryS += 2.0 * w.batch * double(w.m) * w.n * e / (0.85 * bw);
      }
    }
  } else if (family == Family::Attention || family == Family::AttentionDecode) {
    double pairs = double(w.m) * double(w.n);
    if (w.causal && w.m > 1)
      pairs = double(w.m) * (double(w.n) - double(w.m) / 2.0 + 0.5);
    double flops = double(w.batch) * pairs * (4.0 * double(w.k) + 8.0);
    double bytes = w.bytesRead + w.bytesWritten;
    // The runtime falls back where a kernel cannot run the call: flash
    // needs 16+ queries (else split-KV), split-KV fewer than 16 queries
    // over 16+ keys (else generic).
    // A fallback costs the check that takes it (0.01 us), so the kernel
    // that runs the call wins the tie.
    if (name == "cuda.attention.flash" && w.m < 16) {
      name = "cuda.attention.split_kv";
      est.overheadUs += 0.01;
    }
    if (name == "cuda.attention.split_kv" && (w.m >= 16 || w.n < 16)) {
      name = "cuda.attention.generic";
      est.overheadUs += 0.01;
    }
    int64_t blocks;
    double rate, memEff;
    if (name == "cuda.attention.flash") {
      blocks = w.batch * ceilDiv(w.m, 64);
      rate = smRate(p, w.elementBytes, true) * 0.35;
      memEff = 0.8;
    } else if (name == "cuda.attention.split_kv") {
      blocks = w.batch * 8;
      rate = smRate(p, 4, false) * 0.3;
      memEff = 0.75;
    } else {
      // One warp per query row, rows spread over blocks of 4 warps.
      blocks = ceilDiv(w.batch * w.m, 4);
      rate = smRate(p, 4, false) * 0.15;
      memEff = 0.5;
    }
    int64_t nWaves = waves(blocks, sms * 4);
    est.waves = double(nWaves);
    double usedSms = double(std::min<int64_t>(blocks, sms));
    computeS = flops / (rate * usedSms);
    memoryS = bytes / (memEff * bw * usedSms / double(sms));
  } else {
    double elements = double(w.m) * double(w.n);
    computeS = elements * w.flopsPerElement / (smRate(p, 4, false) * sms * 0.5);
    memoryS = (w.bytesRead + w.bytesWritten) / (0.7 * bw);
  }
  double computeScale = cal ? cal->computeScale[int(family)] : 1.0;
  double memoryScale = cal ? cal->memoryScale[int(family)] : 1.0;
  est.computeUs = computeS * 1e6;
  est.memoryUs = memoryS * 1e6;
  est.bound = computeScale * est.computeUs >= memoryScale * est.memoryUs
                  ? "compute"
                  : "memory";
  est.totalUs = est.overheadUs + std::max(computeScale * est.computeUs,
                                          memoryScale * est.memoryUs);
  return est;
}

} // namespace

Estimate estimate(const DeviceProfile &profile, const KernelWork &work,
                  int threads, const Calibration *calibration) {
  const DeviceProfile &p =
      calibration && calibration->profile ? *calibration->profile : profile;
  return p.kind == DeviceKind::Cpu ? cpuEstimate(p, work, threads, calibration)
                                   : cudaEstimate(p, work, calibration);
}

void fitCalibration(Calibration &cal) {
  std::fill(std::begin(cal.computeScale), std::end(cal.computeScale), 1.0);
  std::fill(std::begin(cal.memoryScale), std::end(cal.memoryScale), 1.0);
  cal.callOverheadUs.reset();
  cal.parallelOverheadUs.reset();
  for (const Calibration::Sample &s : cal.samples) {
    if (s.name == "overhead.call")
      cal.callOverheadUs = s.measuredUs;
    else if (s.name == "overhead.parallel")
      cal.parallelOverheadUs = s.measuredUs;
  }
  if (!cal.profile)
    return;
  // Each sample corrects the limit that binds it: a compute-bound sample
  // the family's compute efficiency, a memory-bound one its bandwidth, by
  // the scale that makes its prediction equal its measurement (bisection:
  // the prediction grows with either scale). The profile's bandwidth is
  // measured, so a family whose samples are all compute-bound keeps memory
  // scale 1; an unsampled compute scale is the geometric mean over the
  // families that have one.
  double logSum[2][kNumFamilies] = {}, allSum = 0;
  int count[2][kNumFamilies] = {}, all = 0;
  for (const Calibration::Sample &s : cal.samples) {
    if (StringRef(s.name).starts_with("overhead."))
      continue;
    Calibration trial = cal;
    Estimate e = estimate(*cal.profile, s.work, s.threads, &trial);
    bool computeBound = e.computeUs >= e.memoryUs;
    Family f = effectiveFamily(s.work);
    double *scale =
        computeBound ? &trial.computeScale[int(f)] : &trial.memoryScale[int(f)];
    double lo = std::log(1e-3), hi = std::log(1e3);
    for (int i = 0; i < 60; ++i) {
      double mid = (lo + hi) / 2;
      *scale = std::exp(mid);
      if (estimate(*cal.profile, s.work, s.threads, &trial).totalUs <
          s.measuredUs)
        lo = mid;
      else
        hi = mid;
    }
    double l = (lo + hi) / 2;
    logSum[computeBound ? 0 : 1][int(f)] += l;
    ++count[computeBound ? 0 : 1][int(f)];
    if (computeBound) {
      allSum += l;
      ++all;
    }
  }
  double fallback = all ? std::exp(allSum / all) : 1.0;
  for (int f = 0; f < kNumFamilies; ++f) {
    cal.computeScale[f] =
        count[0][f] ? std::exp(logSum[0][f] / count[0][f]) : fallback;
    cal.memoryScale[f] =
        count[1][f] ? std::exp(logSum[1][f] / count[1][f]) : 1.0;
  }
  // On a CPU the skinny GEMMs (GEMV family) and the blocked GEMM are the
  // same FMA stream on the same cores; the reference set's GEMV sample is
  // memory-bound (decoding), so a compute-bound one (8-16 rows) is
  // corrected by what the GEMM sample measured of the core's FMA rate,
  // not by the mean over softmax, reductions and attention. (An AMD EPYC
  // whose /proc/cpuinfo shows its base clock and whose 512-bit FMAs issue
  // one per cycle: the mean left those GEMVs predicted at 0.6x.)
  int gemm = int(Family::Gemm), gemv = int(Family::Gemv);
  if (cal.profile->kind == DeviceKind::Cpu && !count[0][gemv] && count[0][gemm])
    cal.computeScale[gemv] = cal.computeScale[gemm];
}

Family effectiveFamily(const KernelWork &w) {
  if (w.family != Family::Gemm && w.family != Family::Gemv)
    return w.family;
  if (StringRef(w.candidate).starts_with("cpu."))
    return (w.candidate == "cpu.gemm.dot" &&
            (w.m <= kCpuSkinnyRows || w.n <= 4)) ||
                   (w.candidate == "cpu.gemm.packed" && w.m <= kCpuSkinnyRows)
               ? Family::Gemv
               : Family::Gemm;
  // CUDA: the GEMV kernels, or a GEMM whose run-time guard sends calls of
  // this few rows to them.
  bool gemv = w.candidate == "cuda.gemm.gemv" ||
              (w.m <= configValue(w, "gemv_max_m", 0));
  return gemv ? Family::Gemv : Family::Gemm;
}

KernelWork gemmWork(StringRef candidate, int64_t m, int64_t n, int64_t k) {
  KernelWork w;
  w.family = m <= kCpuSkinnyRows ? Family::Gemv : Family::Gemm;
  w.candidate = candidate.str();
  w.m = m, w.n = n, w.k = k;
  return w;
}

KernelWork attentionWork(StringRef candidate, int64_t heads, int64_t queries,
                         int64_t keys, int64_t headDim, bool causal) {
  KernelWork w;
  w.family = queries < 16 ? Family::AttentionDecode : Family::Attention;
  w.candidate = candidate.str();
  w.batch = heads, w.m = queries, w.n = keys, w.k = headDim;
  w.causal = causal;
  w.bytesRead =
      double(heads) * double(queries + 2 * keys) * double(headDim) * 4;
  w.bytesWritten = double(heads) * double(queries) * double(headDim) * 4;
  return w;
}

KernelWork rowWork(Family family, StringRef candidate, int64_t rows,
                   int64_t length, double reads, double writes,
                   double flopsPerElement) {
  KernelWork w;
  w.family = family;
  w.candidate = candidate.str();
  w.m = rows, w.n = length;
  w.bytesRead = reads * double(rows * length) * 4;
  w.bytesWritten = writes * double(rows * length) * 4;
  w.flopsPerElement = flopsPerElement;
  return w;
}

std::vector<ReferenceKernel> cpuReferenceKernels() {
  std::vector<ReferenceKernel> refs;
  auto add = [&](std::string name, KernelWork w, int threads,
                 int64_t groups = 1) {
    refs.push_back({std::move(name), std::move(w), threads, groups});
  };
  // The call overheads are measured directly (an empty call; a thread-pool
  // dispatch of empty tasks); their work is only a label.
  KernelWork label =
      rowWork(Family::DataMovement, "cpu.data_movement", 1, 1, 1, 1, 0);
  add("overhead.call", label, 1);
  add("overhead.parallel", label, 0);
  add("gemm.prefill", gemmWork("cpu.gemm.blocked", 128, 1536, 576), 0);
  add("gemv.decode", gemmWork("cpu.gemm.dot", 1, 1536, 576), 0);
  add("attention.prefill",
      attentionWork("cpu.attention", 9, 128, 128, 64, true), 0);
  add("attention.decode",
      attentionWork("cpu.attention", 8, 1, 1024, 128, false), 0);
  add("norm.rms", rowWork(Family::Norm, "cpu.norm", 512, 576, 1, 1, 4), 0);
  KernelWork sum =
      rowWork(Family::Elementwise, "cpu.elementwise", 256, 4096, 2, 1, 1);
  sum.k = 2; // the operand count: a binary add (1: a unary op)
  add("elementwise.add", sum, 0);
  add("softmax.rows",
      rowWork(Family::Softmax, "cpu.softmax", 1152, 128, 1, 1, 6), 0);
  add("reduce.sum",
      rowWork(Family::Reduce, "cpu.reduce", 512, 576, 1, 1.0 / 576, 1), 0);
  add("data_movement.transpose",
      rowWork(Family::DataMovement, "cpu.data_movement", 512 * 9, 64, 1, 1, 0),
      0, /*groups=*/9);
  add("rope.half", rowWork(Family::Rope, "cpu.rope", 9 * 512, 64, 2, 1, 3), 0,
      /*groups=*/512);
  return refs;
}

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

namespace {

llvm::Error fail(StringRef origin, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (origin + ": " + message).str());
}

json::Object workObject(const KernelWork &w) {
  json::Object config;
  for (const auto &[key, value] : w.config)
    config[key] = value;
  return json::Object{{"family", familyName(w.family)},
                      {"candidate", w.candidate},
                      {"config", std::move(config)},
                      {"batch", w.batch},
                      {"m", w.m},
                      {"n", w.n},
                      {"k", w.k},
                      {"element_bytes", w.elementBytes},
                      {"bytes_read", w.bytesRead},
                      {"bytes_written", w.bytesWritten},
                      {"flops_per_element", w.flopsPerElement},
                      {"causal", w.causal}};
}

llvm::Expected<KernelWork> workFrom(const json::Value &v, StringRef origin) {
  const json::Object *o = v.getAsObject();
  if (!o)
    return fail(origin, "a kernel's work must be a JSON object");
  KernelWork w;
  std::optional<StringRef> family = o->getString("family");
  std::optional<Family> f = family ? parseFamily(*family) : std::nullopt;
  if (!f)
    return fail(origin, "field 'family' must name a kernel family (gemm, "
                        "gemv, attention, attention_decode, norm, "
                        "elementwise, softmax, reduce, data_movement, rope)");
  w.family = *f;
  std::optional<StringRef> candidate = o->getString("candidate");
  if (!candidate || candidate->empty())
    return fail(origin, "field 'candidate' must be a non-empty string");
  w.candidate = candidate->str();
  if (const json::Object *config = o->getObject("config")) {
    for (const auto &[key, value] : *config) {
      std::optional<int64_t> i = value.getAsInteger();
      if (!i)
        return fail(origin,
                    "config '" + StringRef(key) + "' must be an integer");
      w.config[key.str()] = *i;
    }
  }
  for (auto [key, field] : {std::pair<StringRef, int64_t *>{"batch", &w.batch},
                            {"m", &w.m},
                            {"n", &w.n},
                            {"k", &w.k},
                            {"element_bytes", &w.elementBytes}}) {
    std::optional<int64_t> i = o->getInteger(key);
    if (!i || *i < 0 || *i > (int64_t(1) << 40))
      return fail(origin,
                  "field '" + key + "' must be an integer in [0, 2^40]");
    *field = *i;
  }
  for (auto [key, field] :
       {std::pair<StringRef, double *>{"bytes_read", &w.bytesRead},
        {"bytes_written", &w.bytesWritten},
        {"flops_per_element", &w.flopsPerElement}}) {
    std::optional<double> d = o->getNumber(key);
    if (!d || !(*d >= 0))
      return fail(origin, "field '" + key + "' must be a number >= 0");
    *field = *d;
  }
  w.causal = o->getBoolean("causal").value_or(false);
  return w;
}

} // namespace

std::string workToJson(const KernelWork &work) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(workObject(work));
  return out;
}

llvm::Expected<KernelWork> parseWork(StringRef text, StringRef origin) {
  llvm::Expected<json::Value> v = json::parse(text);
  if (!v)
    return fail(origin, "not JSON: " + llvm::toString(v.takeError()));
  return workFrom(*v, origin);
}

std::string toJson(const Calibration &cal) {
  json::Array samples;
  for (const Calibration::Sample &s : cal.samples)
    samples.push_back(json::Object{{"name", s.name},
                                   {"threads", s.threads},
                                   {"measured_us", s.measuredUs},
                                   {"work", workObject(s.work)}});
  json::Object fitted;
  for (int f = 0; f < kNumFamilies; ++f)
    fitted[familyName(Family(f))] = json::Object{
        {"compute", cal.computeScale[f]}, {"memory", cal.memoryScale[f]}};
  json::Object root{{"kestrel_calibration", 1},
                    {"samples", std::move(samples)},
                    {"fitted_scale", std::move(fitted)}};
  if (cal.callOverheadUs)
    root["call_overhead_us"] = *cal.callOverheadUs;
  if (cal.parallelOverheadUs)
    root["parallel_overhead_us"] = *cal.parallelOverheadUs;
  if (cal.profile) {
    llvm::Expected<json::Value> profile = json::parse(toJson(*cal.profile));
    if (profile)
      root["profile"] = std::move(*profile);
    else
      llvm::consumeError(profile.takeError());
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return out;
}

llvm::Expected<Calibration> parseCalibration(StringRef text, StringRef origin) {
  llvm::Expected<json::Value> v = json::parse(text);
  if (!v)
    return fail(origin, "not JSON: " + llvm::toString(v.takeError()));
  const json::Object *root = v->getAsObject();
  if (!root || root->getInteger("kestrel_calibration") != 1)
    return fail(origin, "not a Kestrel calibration (no "
                        "\"kestrel_calibration\": 1; write one with "
                        "kestrel-calibrate)");
  Calibration cal;
  if (const json::Value *profile = root->get("profile")) {
    std::string profileText;
    llvm::raw_string_ostream os(profileText);
    os << *profile;
    llvm::Expected<DeviceProfile> p =
        parseDeviceProfile(profileText, (origin + ": profile").str());
    if (!p)
      return p.takeError();
    cal.profile = std::move(*p);
  }
  const json::Array *samples = root->getArray("samples");
  if (!samples || samples->empty())
    return fail(origin, "field 'samples' must be a non-empty array");
  for (auto [i, value] : llvm::enumerate(*samples)) {
    std::string where = llvm::formatv("{0}: samples[{1}]", origin, i).str();
    const json::Object *o = value.getAsObject();
    if (!o)
      return fail(where, "must be an object");
    Calibration::Sample s;
    std::optional<StringRef> name = o->getString("name");
    std::optional<int64_t> threads = o->getInteger("threads");
    std::optional<double> measured = o->getNumber("measured_us");
    const json::Value *work = o->get("work");
    if (!name || !threads || *threads < 0 || !measured || !(*measured > 0) ||
        !work)
      return fail(where, "needs 'name', 'threads' (>= 0), 'measured_us' (> 0) "
                         "and 'work'");
    llvm::Expected<KernelWork> w = workFrom(*work, where);
    if (!w)
      return w.takeError();
    s.name = name->str();
    s.threads = int(*threads);
    s.measuredUs = *measured;
    s.work = std::move(*w);
    cal.samples.push_back(std::move(s));
  }
  fitCalibration(cal);
  return cal;
}

llvm::Expected<Calibration> loadCalibration(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return fail(path, "cannot read: " + buffer.getError().message());
  return parseCalibration((*buffer)->getBuffer(), path);
}

} // namespace kestrel::predictor
