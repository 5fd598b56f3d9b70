//===- ModelDef.h - What an emitted model hands the runtime -----*- C++ -*-===//
//
// The contract between code emitted by codegen/host and the runtime: a
// compiled model is a static kestrel_model_def (tables describing its
// inputs, outputs, weights, constants and values) plus two straight-line
// functions. `inferShapes` computes every value's shape from the bound
// inputs (running the few small ops whose *values* decide shapes, such as
// shape arithmetic feeding a reshape, into session-owned "host" buffers);
// the runtime then places the values (arena offsets, output buffers) and
// `execute` runs the kernels. A model whose shapes depend on data computed
// in the run (kestrel.nonzero) has several stages: the runtime does all of
// that for stage 0, then for stage 1 (whose shapes start from what stage 0
// computed), and so on. Internal: applications see only
// kestrel/runtime.h.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_MODELDEF_H
#define KESTREL_RUNTIME_MODELDEF_H

#include "kernels/cpu/Kernels.h"
#include "kestrel/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::runtime {

/// Bumped whenever the layout below changes; checked at open.
constexpr uint32_t kModelAbiVersion = 7;

/// Where a value's data lives during a run.
enum class Storage : uint8_t {
  Input,    ///< a bound input (index = input index)
  Weight,   ///< the weights file (index = weight index)
  Constant, ///< model constants (index = constant index)
  Host,     ///< computed by inferShapes into a session buffer
  Arena,    ///< an intermediate in the session arena
  Output,   ///< written straight into output buffer `index`
  Alias,    ///< a view of value `index` (same data, another shape)
};

struct DimSymbol {
  const char *name;
  int64_t min, max;
};

struct IoDesc {
  const char *name;
  cpu::DType dtype;
  int32_t rank;
  const int64_t *dims;   ///< -1 for symbolic
  const int32_t *symbol; ///< DimSymbol index per dim, -1 for static/unnamed
  int32_t value;         ///< the value it binds (inputs) or reads (outputs)
};

struct WeightDesc {
  const char *name;
  cpu::DType dtype;
  int32_t rank;
  const int64_t *dims;
};

/// A weight the CPU backend's cpu.gemm.packed matmuls read as a packed
/// rhs (cpu::packMatmulRhs): packed once when the model opens, handed to
/// `execute` as Exec::packed[i]. On a device backend, the weights of a
/// kestrel.multi_matmul side by side on the device
/// (cuda::packMultiWeights), handed to `execute` as Exec::devicePacked[i].
struct PackedWeightDesc {
  int32_t weight;  ///< weight index
  bool transposed; ///< stored [N, K] (the matmul's transpose_b)
  /// Nothing else reads the weight (nor any of `parts`): its stored pages
  /// are released once it is packed (they would be read again from the
  /// file if they were).
  bool onlyUse;
  /// With more than one part, the packed rhs is weights parts[0..numParts)
  /// side by side along N (a kestrel.multi_matmul's; parts[0] == weight).
  int32_t numParts;
  const int32_t *parts;
  /// Device backends: a glu's gate and up parts interleaved column by
  /// column (row by row when `transposed`).
  bool glu;
  /// Device backends: the dtype the packed weights are stored in (the
  /// multi_matmul's operands' device dtype); F32 for the CPU.
  cpu::DType dtype;
};

struct ConstantDesc {
  cpu::DType dtype;
  int32_t rank;
  const int64_t *dims;
  const void *data; ///< all elements, or one element when `splat`
  bool splat;
};

struct ValueDesc {
  Storage storage;
  cpu::DType dtype;
  int32_t index; ///< see Storage
  /// Arena: lifetime in positions of the run's order (stage by stage,
  /// program order within one), inclusive.
  int32_t first, last;
  /// The stage whose ops define it (0 for inputs, weights, constants);
  /// arena values are placed in that stage's arena.
  int32_t stage;
};

class Exec;
struct DeviceBackend;

} // namespace kestrel::runtime

namespace kestrel::cuda {
struct Context;
} // namespace kestrel::cuda

/// The model definition (the C API's opaque kestrel_model_def).
struct kestrel_model_def {
  uint32_t abiVersion;     ///< kestrel::runtime::kModelAbiVersion
  uint32_t runtimeVersion; ///< KESTREL_RUNTIME_VERSION
  const char *name;
  uint64_t modelHash; ///< must match the weights file's
  int32_t numSymbols;
  const kestrel::runtime::DimSymbol *symbols;
  int32_t numInputs;
  const kestrel::runtime::IoDesc *inputs;
  int32_t numOutputs;
  const kestrel::runtime::IoDesc *outputs;
  int32_t numWeights;
  const kestrel::runtime::WeightDesc *weights;
  int32_t numConstants;
  const kestrel::runtime::ConstantDesc *constants;
  int32_t numValues;
  const kestrel::runtime::ValueDesc *values;
  /// Arena offsets per value planned at compile time (static shapes), or
  /// null when the arena is planned at run time from the actual shapes.
  const int64_t *staticOffsets;
  int64_t staticArenaBytes;
  /// Stages (at least 1); inferShapes and execute do one at a time.
  int32_t numStages;
  bool (*inferShapes)(kestrel::runtime::Exec &, int32_t stage);
  bool (*execute)(kestrel::runtime::Exec &, int32_t stage);
  /// Null for the CPU backend. For a device backend `execute` launches
  /// kernels over Exec::d (device tensors of `deviceDtypes`) and the
  /// backend moves data between host and device.
  const kestrel::runtime::DeviceBackend *device;
  /// Per value: its element type on the device (the compiled precision).
  const kestrel::cpu::DType *deviceDtypes;
  /// Values whose host data `execute` reads when it launches (range bounds,
  /// dynamic slice bounds): their contents are part of a CUDA graph's key.
  int32_t numHostReads;
  const int32_t *hostReads;
  /// The GPU architectures the model's kernels were compiled for
  /// ("sm_80,sm_90a"); checked against the device at open.
  const char *deviceArchs;
  /// The x86-64 level its CPU code is built for (runtime/CpuLevel.h's
  /// CpuLevel); checked against this CPU at open, before any of that code
  /// runs.
  uint32_t cpuLevel;
  /// Weights packed at open: for the CPU's packed GEMM by the kernel
  /// library the model links (built for its CPU level):
  /// kestrel::cpu::packedMatmulPartsFloats and packMatmulParts; for a device
  /// backend by the backend (the two functions are null).
  int32_t numPackedWeights;
  const kestrel::runtime::PackedWeightDesc *packedWeights;
  int64_t (*packedWeightFloats)(kestrel::cpu::Context &,
                                const kestrel::cpu::Tensor *, int, bool);
  bool (*packWeight)(kestrel::cpu::Context &, const kestrel::cpu::Tensor *, int,
                     bool, float *, kestrel::cpu::PackedMatrix &);
};

namespace kestrel::runtime {

/// The state an emitted function works on: one tensor per value (data,
/// dtype and shape) and the kernel context. Owned by the session.
class Exec {
public:
  cpu::Context ctx;
  std::vector<cpu::Tensor> v;
  /// The model's packed weights (kestrel_model_def::packedWeights).
  const cpu::PackedMatrix *packed = nullptr;

  /// Checks a computed shape against the value's declared dims (-1 for
  /// dynamic) and stores it.
  bool setShape(int32_t value, const cpu::Shape &shape,
                const cpu::Shape &declared);
  /// Allocates the session buffer of a host value (its shape is set).
  bool allocHost(int32_t value);
  /// Checks that value `value` (a 1-D shape operand) has `length` entries.
  bool checkLength(int32_t value, int64_t length, const char *what);

  /// Prefixes the kernel's message with the failing op; returns false.
  bool opFailed(const char *op);
  bool opFailed(const char *op, const char *message);

  std::vector<std::vector<uint8_t>> hostBuffers; ///< per value, Host only

  /// Device backends only: the values as the device sees them (device
  /// pointers, device dtypes, the shapes of `v`), and the kernel context.
  std::vector<cpu::Tensor> d;
  cuda::Context *cuda = nullptr;
  /// The model's packed weights on the device (kestrel_model_def::
  /// packedWeights), in device dtypes.
  const cpu::Tensor *devicePacked = nullptr;
};

/// What a device backend (runtime/cuda) provides to the generic runtime.
/// Every function returns KESTREL_OK or a status with `error` set; none
/// throws.
struct DeviceBackend {
  const char *name;
  /// Finds the device and uploads the weights and constants.
  kestrel_status (*openModel)(const kestrel_model_def *def,
                              const kestrel_options &options,
                              const cpu::Tensor *weights,
                              const cpu::Tensor *constants, void **state,
                              std::string &error);
  void (*closeModel)(void *state);
  kestrel_status (*createSession)(void *modelState, void **state,
                                  std::string &error);
  void (*releaseSession)(void *state);
  /// Runs `def->execute` for `stage` once the stage's shapes (and host
  /// values) are known and its arena is planned (`offsets` per value of the
  /// stage, `arenaBytes` in all); after the last stage, writes output i to
  /// outputs[i] in its declared dtype.
  kestrel_status (*run)(void *state, Exec &exec, int32_t stage,
                        int64_t arenaBytes, const int64_t *offsets,
                        void *const *outputs, std::string &error);
};

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_MODELDEF_H
