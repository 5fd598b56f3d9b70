//===- CostModel.h - Predicted latency of one kernel call -------*- C++ -*-===//
//
// The latency predictor: for one kernel call (a candidate of the kernel
// registry with its configuration, at one op's shapes) an analytical
// estimate from the device profile, then a correction fitted to measured
// samples.
//
// The analytical part is a roofline with the losses a kernel really has:
//  - compute: the FLOPs the kernel executes, padded to its tile (tile
//    quantization), at the peak rate of its element type on the compute
//    units it keeps busy, in whole waves (a GPU's tiles over its SMs, a
//    CPU's tasks over its threads);
//  - memory: the bytes it moves (operands once, the result once, plus the
//    candidate's own traffic such as packing), at the bandwidth of the
//    smallest level of the memory hierarchy the working set fits in;
//  - overhead: what starting the call costs (a launch, a thread-pool
//    dispatch).
// time = overhead + max(compute, memory), per kernel family.
//
// Calibration (few-shot, after HELP): a device is described by its
// measured times on a fixed set of about ten reference kernels
// (referenceKernels); each family's scale and the call overheads are fitted
// to them (fitCalibration), so the same analytical model adapts to a new
// device from ten numbers. Everything is deterministic: the same work,
// profile and calibration always give the same prediction.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_PREDICTOR_COSTMODEL_H
#define KESTREL_PREDICTOR_COSTMODEL_H

#include "predictor/DeviceProfile.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kestrel::predictor {

/// The kernel families the model distinguishes; each has its own fitted
/// scale.
enum class Family {
  Gemm,            ///< matmuls with more than a few rows
  Gemv,            ///< decode-shaped matmuls (few rows: weight streaming)
  Attention,       ///< attention with many queries (prefill)
  AttentionDecode, ///< attention with a few queries over many keys
  Norm,
  Elementwise,
  Softmax,
  Reduce,
  DataMovement, ///< copies, transposes, gathers, slices, concats
  Rope,
};
constexpr int kNumFamilies = 10;

/// "gemm", "gemv", "attention", "attention_decode", "norm", "elementwise",
/// "softmax", "reduce", "data_movement", "rope".
llvm::StringRef familyName(Family family);
std::optional<Family> parseFamily(llvm::StringRef name);

/// One kernel call as the predictor sees it.
struct KernelWork {
  Family family = Family::Elementwise;
  /// The registry candidate ("cpu.gemm.blocked") and its configuration.
  std::string candidate;
  std::map<std::string, int64_t> config;
  /// The shape, by family:
  ///   gemm / gemv:        batch, m (rows), n (columns), k (reduction)
  ///   attention(_decode): batch (batch x query heads), m (queries),
  ///                       n (keys), k (head dim)
  ///   others:             m (rows), n (row length)
  int64_t batch = 1, m = 1, n = 1, k = 1;
  /// Bytes per element of the operands as stored (4 for f32, 2 for bf16).
  int64_t elementBytes = 4;
  /// Extra bytes the op reads beyond m x n x elementBytes (a second operand,
  /// weights of a norm, a gather's indices) and writes; families other than
  /// GEMM and attention count their traffic with these.
  double bytesRead = 0, bytesWritten = 0;
  /// FLOPs per output element for the non-GEMM families (an erf costs more
  /// than an add).
  double flopsPerElement = 1;
  /// Whether the causal mask halves attention's work.
  bool causal = false;
  /// A GEMM whose outputs lie side by side in its columns (a
  /// kestrel.multi_matmul's): a kernel that cannot split its output (CUDA's
  /// cuBLASLt) writes the product to scratch and a second launch splits it.
  bool splitOutput = false;
};

/// What a calibration contributes: per family a scale on the analytical
/// time, and the measured cost of starting a call.
struct Calibration {
  /// Per family, what multiplies the analytical compute time (the inverse
  /// of the efficiency the kernel reaches beyond the model's) and the
  /// analytical memory time.
  double computeScale[kNumFamilies] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  double memoryScale[kNumFamilies] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  /// Replaces the profile's launch overhead when set (us).
  std::optional<double> callOverheadUs;
  /// Added when a CPU call splits over more than one thread (us).
  std::optional<double> parallelOverheadUs;
  /// What it was fitted from.
  struct Sample {
    std::string name;
    KernelWork work;
    int threads = 1;
    double measuredUs = 0;
  };
  std::vector<Sample> samples;
  /// The profile the samples were measured on (the host's, as detected by
  /// kestrel-calibrate); predictions with this calibration use it.
  std::optional<DeviceProfile> profile;
};

struct Estimate {
  double computeUs = 0, memoryUs = 0, overheadUs = 0;
  /// overhead + max(computeScale x compute, memoryScale x memory), per
  /// parallel region.
  double totalUs = 0;
  /// Waves of tiles (GPU) or tasks (CPU) over the compute units.
  double waves = 1;
  /// Which roofline limit binds: "compute" or "memory".
  const char *bound = "memory";
};

/// The predicted time of `work` on `profile` with `threads` CPU threads
/// (ignored on a GPU), corrected by `calibration` when given.
Estimate estimate(const DeviceProfile &profile, const KernelWork &work,
                  int threads, const Calibration *calibration = nullptr);

/// Waves needed to run `tasks` equal tasks on `units` units at once:
/// ceil(tasks / units), at least 1.
int64_t waves(int64_t tasks, int64_t units);

/// The family whose scales `work`'s estimate uses: a GEMM on a decode path
/// (cpu.gemm.dot with few rows, the CUDA GEMV kernels) is a GEMV.
Family effectiveFamily(const KernelWork &work);

/// Fits `calibration`'s scales and overheads to its samples: the call
/// overhead from the sample "overhead.call" (an empty call), the thread
/// hand-off from "overhead.parallel", then per family the geometric mean of
/// measured / analytical (overheads taken out) for the limit that binds
/// each sample (compute or memory); an unsampled compute scale is the
/// geometric mean of the sampled ones, an unsampled memory scale 1.
void fitCalibration(Calibration &calibration);

/// The work of the CPU kernel calls the calibration times (and of any
/// call described by its shape): a GEMM [m x k] x [k x n] (the GEMV family
/// up to 16 rows); attention over `heads` heads of `queries` x `keys` (the
/// decode family below 16 queries), K and V with the query's heads; a
/// row-wise kernel over `rows` x `length` f32 elements reading and writing
/// `reads` and `writes` times their bytes.
KernelWork gemmWork(llvm::StringRef candidate, int64_t m, int64_t n, int64_t k);
KernelWork attentionWork(llvm::StringRef candidate, int64_t heads,
                         int64_t queries, int64_t keys, int64_t headDim,
                         bool causal);
KernelWork rowWork(Family family, llvm::StringRef candidate, int64_t rows,
                   int64_t length, double reads, double writes,
                   double flopsPerElement);

/// The reference kernels kestrel-calibrate measures on a CPU (about ten:
/// one or two per family, chosen so each family's limiting resource shows),
/// with the thread count each runs on (0: all the profile's cores) and the
/// timer's layout: a data_movement call transposes [m / groups, groups, n],
/// a rope call runs `groups` positions (tools/kestrel-calibrate/Measure.cpp).
struct ReferenceKernel {
  std::string name;
  KernelWork work;
  int threads = 0;
  int64_t groups = 1;
};
std::vector<ReferenceKernel> cpuReferenceKernels();

/// Reads and writes a calibration file (JSON); errors name the file and
/// the field.
llvm::Expected<Calibration> loadCalibration(llvm::StringRef path);
llvm::Expected<Calibration> parseCalibration(llvm::StringRef json,
                                             llvm::StringRef origin);
std::string toJson(const Calibration &calibration);

/// KernelWork as JSON (the calibration file's samples, the evaluation's
/// points) and back.
std::string workToJson(const KernelWork &work);
llvm::Expected<KernelWork> parseWork(llvm::StringRef json,
                                     llvm::StringRef origin);

} // namespace kestrel::predictor

#endif // KESTREL_PREDICTOR_COSTMODEL_H
