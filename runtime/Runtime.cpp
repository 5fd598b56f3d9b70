//===- Runtime.cpp - The Kestrel runtime C API ----------------------------===//
//
// Models (an emitted kestrel_model_def plus its mapped weights file) and
// sessions (bound inputs, the arena, output buffers and CPU threads of one
// stream of runs). Every failure returns a status and leaves a message in a
// thread-local string; nothing throws out of the API or aborts.
//
//===----------------------------------------------------------------------===//

#include "kestrel/runtime.h"

#include "runtime/ArenaPlanner.h"
#include "runtime/CpuLevel.h"
#include "runtime/ModelDef.h"
#include "runtime/ThreadPool.h"
#include "runtime/WeightsFile.h"

#include <dirent.h>
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

using kestrel::cpu::DType;
using kestrel::cpu::Shape;
using kestrel::cpu::Tensor;
using namespace kestrel::runtime;

namespace {

thread_local std::string lastError;

kestrel_status fail(kestrel_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

kestrel_status fail(kestrel_status status, const char *format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  lastError = buffer;
  return status;
}

// The C API's kestrel_dtype and kernels/common's DType are one set of
// values; conversions happen here, at the boundary, and only through these.
static_assert(KESTREL_F32 == int(DType::F32) &&
                  KESTREL_F16 == int(DType::F16) &&
                  KESTREL_BF16 == int(DType::BF16) &&
                  KESTREL_F8E4M3FN == int(DType::F8E4M3FN) &&
                  KESTREL_I64 == int(DType::I64) &&
                  KESTREL_I32 == int(DType::I32) &&
                  KESTREL_BOOL == int(DType::I1),
              "kestrel_dtype and DType disagree");

/// `dtype` as a DType; an out-of-range value becomes DType{} (unknown, size
/// 0) rather than wrapping onto a valid one.
DType fromApi(kestrel_dtype dtype) {
  int value = int(dtype);
  return value > 0 && value <= 0xff ? static_cast<DType>(value) : DType{};
}

kestrel_dtype toApi(DType dtype) { return static_cast<kestrel_dtype>(dtype); }

std::string shapeString(const int64_t *dims, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

/// A 64-byte aligned, growable byte buffer.
class AlignedBuffer {
public:
  ~AlignedBuffer() { std::free(ptr); }
  /// Makes room for `bytes`; false when out of memory.
  bool reserve(size_t bytes) {
    if (bytes <= capacity)
      return true;
    size_t rounded = (bytes + 63) / 64 * 64;
    void *fresh = std::aligned_alloc(64, rounded);
    if (!fresh)
      return false;
    std::free(ptr);
    ptr = static_cast<uint8_t *>(fresh);
    capacity = rounded;
    return true;
  }
  /// Whether [p, p + bytes) overlaps the buffer.
  bool overlaps(const void *p, size_t bytes) const {
    auto *b = static_cast<const uint8_t *>(p);
    return ptr && b < ptr + capacity && b + bytes > ptr;
  }
  uint8_t *data() {
    // Zero-size tensors still get a valid, aligned pointer.
    if (!ptr)
      reserve(64);
    return ptr;
  }

private:
  uint8_t *ptr = nullptr;
  size_t capacity = 0;
};

/// The C API's tensor info for one input or output, with owned arrays.
struct IoInfo {
  std::vector<int64_t> dims, dimMin, dimMax;
  std::vector<const char *> dimNames;
};

} // namespace

struct kestrel_model {
  const kestrel_model_def *def = nullptr;
  void *library = nullptr; ///< dlopen handle when opened from a directory
  std::unique_ptr<WeightsFile> weights;
  int numThreads = 0;
  std::vector<Tensor> weightTensors;
  std::vector<std::unique_ptr<AlignedBuffer>> constantBuffers;
  std::vector<Tensor> constantTensors;
  /// Weights packed for the CPU's packed GEMM (def->packedWeights).
  std::vector<std::unique_ptr<AlignedBuffer>> packedBuffers;
  std::vector<kestrel::cpu::PackedMatrix> packed;
  std::vector<IoInfo> inputInfo, outputInfo;
  void *deviceState = nullptr; ///< the device backend's (weights on the GPU)

  ~kestrel_model() {
    if (deviceState)
      def->device->closeModel(deviceState);
    weights.reset();
    if (library)
      dlclose(library);
  }
};

struct kestrel_session {
  kestrel_model *model = nullptr;
  std::unique_ptr<ThreadPool> pool;
  Exec exec;

  struct Binding {
    bool bound = false;
    const void *data = nullptr;
    Shape shape;
  };
  std::vector<Binding> inputs;
  /// Inputs bound to a previous run's outputs (decode loops feed them back)
  /// are copied first: this run may reallocate or overwrite those buffers.
  std::vector<std::vector<uint8_t>> inputCopies;

  /// Per stage: its arena, planned for the sizes of the last plan.
  struct StageArena {
    AlignedBuffer arena;
    std::vector<int64_t> plannedSizes; ///< its values' sizes
    int64_t plannedArenaBytes = -1;    ///< -1 until the first plan
  };
  std::vector<StageArena> stages;
  std::vector<int64_t> offsets; ///< per value (Arena values only)
  std::vector<std::unique_ptr<AlignedBuffer>> outputBuffers;
  std::vector<std::vector<int64_t>> outputShapes;
  bool haveOutputs = false;
  void *deviceState = nullptr; ///< the device backend's (stream, arena)

  ~kestrel_session() {
    if (deviceState)
      model->def->device->releaseSession(deviceState);
  }
};

namespace {

Shape toShape(int32_t rank, const int64_t *dims) {
  Shape s;
  s.rank = rank;
  for (int32_t i = 0; i < rank; ++i)
    s.dims[i] = dims[i];
  return s;
}

void fillInfo(const kestrel_model_def *def, const IoDesc &desc, IoInfo &info) {
  for (int32_t d = 0; d < desc.rank; ++d) {
    info.dims.push_back(desc.dims[d]);
    int32_t sym = desc.symbol ? desc.symbol[d] : -1;
    if (desc.dims[d] >= 0) {
      info.dimNames.push_back("");
      info.dimMin.push_back(desc.dims[d]);
      info.dimMax.push_back(desc.dims[d]);
    } else if (sym >= 0) {
      info.dimNames.push_back(def->symbols[sym].name);
      info.dimMin.push_back(def->symbols[sym].min);
      info.dimMax.push_back(def->symbols[sym].max);
    } else {
      info.dimNames.push_back("");
      info.dimMin.push_back(0);
      info.dimMax.push_back(INT64_MAX);
    }
  }
}

kestrel_status checkDef(const kestrel_model_def *def) {
  if (def->abiVersion != kModelAbiVersion)
    return fail(KESTREL_ERROR_VERSION_MISMATCH,
                "model '%s' was compiled for model ABI %u; this runtime "
                "implements ABI %u (recompile it with this kestrelc)",
                def->name ? def->name : "?", def->abiVersion, kModelAbiVersion);
  if (def->runtimeVersion != KESTREL_RUNTIME_VERSION)
    return fail(KESTREL_ERROR_VERSION_MISMATCH,
                "model '%s' was compiled for runtime API version %u; this "
                "runtime is version %d",
                def->name ? def->name : "?", def->runtimeVersion,
                KESTREL_RUNTIME_VERSION);
  if (!def->inferShapes || !def->execute || def->numValues < 0 ||
      def->numStages < 1 || (def->device && !def->deviceDtypes))
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "model definition is incomplete");
  for (int32_t i = 0; i < def->numValues; ++i)
    if (def->values[i].stage < 0 || def->values[i].stage >= def->numStages)
      return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                  "model '%s': value %d is in stage %d of %d",
                  def->name ? def->name : "?", i, def->values[i].stage,
                  def->numStages);
  // Before anything of the model's own code runs: it is built for this
  // level (kestrelc --cpu), and on a CPU without it the first instruction
  // it lacks would kill the process.
  auto level = static_cast<CpuLevel>(def->cpuLevel);
  bool known = false;
  for (CpuLevel l : kCpuLevels)
    known |= l == level;
  if (!known)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "model '%s' records CPU level %u, which this runtime does not "
                "know",
                def->name ? def->name : "?", def->cpuLevel);
  if (def->numPackedWeights < 0 ||
      (def->numPackedWeights > 0 &&
       (!def->packedWeights ||
        (!def->device && (!def->packedWeightFloats || !def->packWeight)))))
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "model '%s': its packed weights are not described",
                def->name ? def->name : "?");
  for (int32_t i = 0; i < def->numPackedWeights; ++i) {
    const PackedWeightDesc &p = def->packedWeights[i];
    if (p.numParts < 1 || (p.numParts > 1 && !p.parts) ||
        (p.glu && (p.numParts != 2 || !def->device)))
      return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                  "model '%s': packed weight %d has %d parts%s",
                  def->name ? def->name : "?", i, p.numParts,
                  p.glu ? " and is a glu (two parts, device backends only)"
                        : "");
    for (int32_t k = 0; k < p.numParts; ++k) {
      int32_t w = p.numParts > 1 ? p.parts[k] : p.weight;
      if (w < 0 || w >= def->numWeights)
        return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                    "model '%s': packed weight %d names weight %d of %d",
                    def->name ? def->name : "?", i, w, def->numWeights);
    }
  }
  char message[1024];
  if (!checkCpuLevel(level, def->name, message, sizeof(message)))
    return fail(KESTREL_ERROR_UNSUPPORTED_CPU, "%s", message);
  return KESTREL_OK;
}

/// NAME.kweights beside the library that defines `def` (the default weights
/// path), or "" when the loader cannot say which file that is.
std::string weightsBesideLibrary(const kestrel_model_def *def) {
  Dl_info info;
  if (!dladdr(def, &info) || !info.dli_fname || !*info.dli_fname)
    return "";
  // The loader names a library by the path it found it at, which is
  // relative when LD_LIBRARY_PATH is; the main program (a model linked into
  // the executable) by its argv[0]. Resolve both to absolute paths.
  std::string path = info.dli_fname;
  char resolved[PATH_MAX];
  if (path.find('/') == std::string::npos) {
    ssize_t n = readlink("/proc/self/exe", resolved, sizeof(resolved) - 1);
    if (n > 0)
      path.assign(resolved, static_cast<size_t>(n));
  } else if (realpath(path.c_str(), resolved)) {
    path = resolved;
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return dir + "/" + def->name + ".kweights";
}

kestrel_status openModel(const kestrel_model_def *def, const char *weightsPath,
                         const kestrel_options *options, void *library,
                         kestrel_model **outModel) {
  if (kestrel_status s = checkDef(def))
    return s;
  // NULL or "": NAME.kweights beside libNAME.so, wherever it was loaded from.
  std::string defaultWeights;
  if ((!weightsPath || !*weightsPath) && def->numWeights > 0) {
    defaultWeights = weightsBesideLibrary(def);
    if (defaultWeights.empty())
      return fail(
          KESTREL_ERROR_IO,
          "model '%s': no weights path was given and the library "
          "that defines the model cannot be located to find %s.kweights "
          "beside it; pass the weights file's path",
          def->name, def->name);
    weightsPath = defaultWeights.c_str();
  }
  if (weightsPath && !*weightsPath)
    weightsPath = nullptr;
  auto model = std::make_unique<kestrel_model>();
  model->def = def;
  kestrel_options defaults;
  kestrel_options_init(&defaults);
  if (!options)
    options = &defaults;
  if (options->struct_size != sizeof(kestrel_options))
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_options.struct_size is %u, expected %zu (initialize "
                "options with kestrel_options_init)",
                options->struct_size, sizeof(kestrel_options));
  if (options->num_threads < 0)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_options.num_threads is %d; use 0 for all cores or a "
                "positive count",
                options->num_threads);
  if (options->device_id < 0)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_options.device_id is %d; GPU ordinals start at 0",
                options->device_id);
  if (options->use_cuda_graph != 0 && options->use_cuda_graph != 1)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_options.use_cuda_graph is %d; use 0 or 1",
                options->use_cuda_graph);
  model->numThreads = options->num_threads;

  // The weights file: mapped and fully checked.
  if (def->numWeights > 0 || weightsPath) {
    WeightsFile::Options wopts;
    wopts.verifyChecksum = options->verify_checksum != 0;
    std::string error;
    WeightsError kind = WeightsError::None;
    model->weights =
        WeightsFile::open(weightsPath, def->modelHash, wopts, error, &kind);
    if (!model->weights) {
      kestrel_status status =
          kind == WeightsError::Io           ? KESTREL_ERROR_IO
          : kind == WeightsError::Version    ? KESTREL_ERROR_VERSION_MISMATCH
          : kind == WeightsError::OtherModel ? KESTREL_ERROR_MODEL_MISMATCH
                                             : KESTREL_ERROR_CORRUPT;
      if (!defaultWeights.empty())
        return fail(status,
                    "%s (weights_path was NULL: the default is %s.kweights "
                    "beside the library that defines the model)",
                    error.c_str(), def->name);
      return fail(status, "%s", error.c_str());
    }
  }
  for (int32_t i = 0; i < def->numWeights; ++i) {
    const WeightDesc &w = def->weights[i];
    const WeightView *view = model->weights->find(w.name);
    if (!view)
      return fail(KESTREL_ERROR_MODEL_MISMATCH,
                  "%s: weights file has no tensor '%s' (written for another "
                  "model?)",
                  weightsPath, w.name);
    Shape expected = toShape(w.rank, w.dims);
    if (static_cast<uint32_t>(view->type) != static_cast<uint32_t>(w.dtype) ||
        view->dims.size() != static_cast<size_t>(w.rank) ||
        !std::equal(view->dims.begin(), view->dims.end(), w.dims))
      return fail(KESTREL_ERROR_MODEL_MISMATCH,
                  "%s: tensor '%s' is %s %s; the model expects %s %s",
                  weightsPath, w.name, dtypeName(view->type),
                  shapeString(view->dims.data(), view->dims.size()).c_str(),
                  kestrel::dtypeName(w.dtype), expected.str().c_str());
    Tensor t;
    t.data = const_cast<void *>(view->data);
    t.dtype = w.dtype;
    t.shape = expected;
    model->weightTensors.push_back(t);
  }

  // Constants: dense ones point at the emitted tables, splats expand once.
  for (int32_t i = 0; i < def->numConstants; ++i) {
    const ConstantDesc &c = def->constants[i];
    Tensor t;
    t.dtype = c.dtype;
    t.shape = toShape(c.rank, c.dims);
    if (c.splat) {
      auto buffer = std::make_unique<AlignedBuffer>();
      size_t elem = kestrel::dtypeSize(c.dtype);
      size_t n = static_cast<size_t>(t.shape.numel());
      if (!buffer->reserve(n * elem))
        return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                    "cannot allocate %zu bytes for a constant", n * elem);
      uint8_t *out = buffer->data();
      for (size_t k = 0; k < n; ++k)
        std::memcpy(out + k * elem, c.data, elem);
      t.data = out;
      model->constantBuffers.push_back(std::move(buffer));
    } else {
      t.data = const_cast<void *>(c.data);
    }
    model->constantTensors.push_back(t);
  }

  // Matmul weights the CPU's packed GEMM reads: packed once, here, by the
  // model's own kernel library (the CPU level was checked above). A device
  // backend packs its own.
  for (int32_t i = 0; !def->device && i < def->numPackedWeights; ++i) {
    const PackedWeightDesc &p = def->packedWeights[i];
    std::vector<Tensor> parts;
    for (int32_t k = 0; k < p.numParts; ++k)
      parts.push_back(
          model->weightTensors[p.numParts > 1 ? p.parts[k] : p.weight]);
    kestrel::cpu::Context ctx;
    ctx.parallelFor = [](int64_t n, const std::function<void(int64_t)> &body) {
      for (int64_t k = 0; k < n; ++k)
        body(k);
    };
    int64_t floats = def->packedWeightFloats(ctx, parts.data(),
                                             int(parts.size()), p.transposed);
    if (floats < 0)
      return fail(KESTREL_ERROR_INTERNAL, "model '%s': weight '%s': %s",
                  def->name, def->weights[p.weight].name, ctx.error.c_str());
    auto buffer = std::make_unique<AlignedBuffer>();
    if (!buffer->reserve(size_t(floats) * sizeof(float)))
      return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                  "model '%s': cannot allocate %zu bytes to pack weight '%s'",
                  def->name, size_t(floats) * sizeof(float),
                  def->weights[p.weight].name);
    kestrel::cpu::PackedMatrix packed;
    if (!def->packWeight(ctx, parts.data(), int(parts.size()), p.transposed,
                         reinterpret_cast<float *>(buffer->data()), packed))
      return fail(KESTREL_ERROR_INTERNAL, "model '%s': weight '%s': %s",
                  def->name, def->weights[p.weight].name, ctx.error.c_str());
    model->packed.push_back(packed);
    model->packedBuffers.push_back(std::move(buffer));
    if (p.onlyUse)
      for (const Tensor &w : parts)
        model->weights->release(w.data, w.bytes());
  }

  // Device models: find the GPU and upload weights and constants once.
  if (def->device) {
    std::string error;
    kestrel_status status = def->device->openModel(
        def, *options, model->weightTensors.data(),
        model->constantTensors.data(), &model->deviceState, error);
    if (status != KESTREL_OK)
      return fail(status, "model '%s': %s", def->name, error.c_str());
  }

  model->inputInfo.resize(def->numInputs);
  for (int32_t i = 0; i < def->numInputs; ++i)
    fillInfo(def, def->inputs[i], model->inputInfo[i]);
  model->outputInfo.resize(def->numOutputs);
  for (int32_t i = 0; i < def->numOutputs; ++i)
    fillInfo(def, def->outputs[i], model->outputInfo[i]);
  // Owned from here on: on failure above, the caller still owns it.
  model->library = library;
  *outModel = model.release();
  return KESTREL_OK;
}

kestrel_status tensorInfo(const kestrel_model *model, size_t index, bool input,
                          kestrel_tensor_info *out) {
  if (!model || !out)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_model_%s_info: %s is NULL", input ? "input" : "output",
                !model ? "model" : "out_info");
  size_t count = input ? model->def->numInputs : model->def->numOutputs;
  if (index >= count)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_model_%s_info: index %zu is out of range (the model "
                "has %zu)",
                input ? "input" : "output", index, count);
  const IoDesc &desc =
      input ? model->def->inputs[index] : model->def->outputs[index];
  const IoInfo &info =
      input ? model->inputInfo[index] : model->outputInfo[index];
  out->name = desc.name;
  out->dtype = toApi(desc.dtype);
  out->rank = desc.rank;
  out->dims = info.dims.data();
  out->dim_names = info.dimNames.data();
  out->dim_min = info.dimMin.data();
  out->dim_max = info.dimMax.data();
  return KESTREL_OK;
}

/// Plans the arena of `stage` for the current shapes (re-planned only when
/// a size changed): session->offsets per value of the stage; returns the
/// arena's size.
int64_t planValues(kestrel_session *session, int32_t stage) {
  const kestrel_model_def *def = session->model->def;
  Exec &exec = session->exec;
  kestrel_session::StageArena &arena = session->stages[stage];
  int64_t arenaBytes = def->staticArenaBytes;
  if (def->staticOffsets) {
    if (session->offsets.empty())
      session->offsets.assign(def->staticOffsets,
                              def->staticOffsets + def->numValues);
  } else {
    if (session->offsets.empty())
      session->offsets.assign(def->numValues, 0);
    std::vector<int64_t> sizes;
    std::vector<ArenaBuffer> buffers;
    std::vector<int32_t> ids;
    for (int32_t i = 0; i < def->numValues; ++i) {
      if (def->values[i].storage != Storage::Arena ||
          def->values[i].stage != stage)
        continue;
      // Device values take their device dtype's size.
      DType dtype = def->device ? def->deviceDtypes[i] : exec.v[i].dtype;
      int64_t bytes =
          exec.v[i].numel() * static_cast<int64_t>(kestrel::dtypeSize(dtype));
      sizes.push_back(bytes);
      buffers.push_back({bytes, def->values[i].first, def->values[i].last});
      ids.push_back(i);
    }
    if (sizes != arena.plannedSizes || arena.plannedArenaBytes < 0) {
      arena.plannedArenaBytes = planArena(buffers);
      for (size_t k = 0; k < ids.size(); ++k)
        session->offsets[ids[k]] = buffers[k].offset;
      arena.plannedSizes = std::move(sizes);
    }
    arenaBytes = arena.plannedArenaBytes;
  }
  return arenaBytes;
}

/// Allocates the buffers of the outputs `stage` defines, for the current
/// shapes (a NonZero's, the most it can write).
kestrel_status reserveOutputs(kestrel_session *session, int32_t stage) {
  const kestrel_model_def *def = session->model->def;
  Exec &exec = session->exec;
  for (int32_t i = 0; i < def->numOutputs; ++i) {
    if (def->values[def->outputs[i].value].stage != stage)
      continue;
    const Tensor &t = exec.v[def->outputs[i].value];
    // In the output's declared dtype (a weight returned as an output may be
    // stored in another).
    size_t bytes = static_cast<size_t>(t.numel()) *
                   kestrel::dtypeSize(def->outputs[i].dtype);
    if (!session->outputBuffers[i]->reserve(bytes))
      return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                  "cannot allocate %zu bytes for output '%s'", bytes,
                  def->outputs[i].name);
  }
  return KESTREL_OK;
}

/// Places the values `stage` defines, of the current shapes, in the
/// stage's host arena and points them at their data (the CPU backend).
kestrel_status placeValues(kestrel_session *session, int32_t stage) {
  const kestrel_model_def *def = session->model->def;
  Exec &exec = session->exec;
  kestrel_session::StageArena &arena = session->stages[stage];
  int64_t arenaBytes = planValues(session, stage);
  if (!arena.arena.reserve(static_cast<size_t>(arenaBytes)))
    return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                "cannot allocate a %lld-byte arena for these input shapes",
                static_cast<long long>(arenaBytes));
  uint8_t *base = arena.arena.data();
  if (kestrel_status s = reserveOutputs(session, stage))
    return s;
  for (int32_t i = 0; i < def->numValues; ++i) {
    const ValueDesc &desc = def->values[i];
    if (desc.stage != stage)
      continue;
    if (desc.storage == Storage::Arena)
      exec.v[i].data = base + session->offsets[i];
    else if (desc.storage == Storage::Output)
      exec.v[i].data = session->outputBuffers[desc.index]->data();
  }
  for (int32_t i = 0; i < def->numValues; ++i)
    if (def->values[i].storage == Storage::Alias &&
        def->values[i].stage == stage)
      exec.v[i].data = exec.v[def->values[i].index].data;
  return KESTREL_OK;
}

} // namespace

//===----------------------------------------------------------------------===//
// Exec (called by emitted code)
//===----------------------------------------------------------------------===//

namespace kestrel::runtime {

bool Exec::setShape(int32_t value, const cpu::Shape &shape,
                    const cpu::Shape &declared) {
  if (shape.rank != declared.rank)
    return ctx.fail("value %" + std::to_string(value) + " has shape " +
                    shape.str() + " where the compiled model expects rank " +
                    std::to_string(declared.rank));
  for (int i = 0; i < shape.rank; ++i)
    if (declared.dims[i] >= 0 && declared.dims[i] != shape.dims[i])
      return ctx.fail("value %" + std::to_string(value) + " has shape " +
                      shape.str() + " where the compiled model expects " +
                      declared.str() + " (-1: any)");
  uint64_t count = 1;
  for (int i = 0; i < shape.rank; ++i) {
    if (shape.dims[i] < 0)
      return ctx.fail("value %" + std::to_string(value) + " has shape " +
                      shape.str() + " with a negative dim");
    if (shape.dims[i] != 0 &&
        count > (uint64_t(1) << 58) / uint64_t(shape.dims[i]))
      return ctx.fail("value %" + std::to_string(value) + " would have shape " +
                      shape.str() + ", which is too large");
    count *= uint64_t(shape.dims[i]);
  }
  v[value].shape = shape;
  return true;
}

bool Exec::allocHost(int32_t value) {
  std::vector<uint8_t> &buffer = hostBuffers[value];
  buffer.resize(std::max<size_t>(v[value].bytes(), 8));
  v[value].data = buffer.data();
  return true;
}

bool Exec::opFailed(const char *op) {
  ctx.error = std::string(op) + ": " + ctx.error;
  return false;
}

bool Exec::opFailed(const char *op, const char *message) {
  ctx.error = std::string(op) + ": " + message;
  return false;
}

bool Exec::checkLength(int32_t value, int64_t length, const char *what) {
  if (v[value].shape.rank != 1 || v[value].shape.dims[0] != length)
    return ctx.fail(std::string(what) + " has shape " + v[value].shape.str() +
                    "; expected " + std::to_string(length) + " entries");
  return true;
}

} // namespace kestrel::runtime

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

extern "C" {

void kestrel_options_init(kestrel_options *options) {
  if (!options)
    return;
  options->struct_size = sizeof(kestrel_options);
  options->num_threads = 0;
  options->verify_checksum = 1;
  options->device_id = 0;
  options->use_cuda_graph = 1;
}

const char *kestrel_last_error(void) { return lastError.c_str(); }

const char *kestrel_status_name(kestrel_status status) {
  switch (status) {
  case KESTREL_OK:
    return "KESTREL_OK";
  case KESTREL_ERROR_INVALID_ARGUMENT:
    return "KESTREL_ERROR_INVALID_ARGUMENT";
  case KESTREL_ERROR_SHAPE:
    return "KESTREL_ERROR_SHAPE";
  case KESTREL_ERROR_DTYPE:
    return "KESTREL_ERROR_DTYPE";
  case KESTREL_ERROR_MISSING_INPUT:
    return "KESTREL_ERROR_MISSING_INPUT";
  case KESTREL_ERROR_IO:
    return "KESTREL_ERROR_IO";
  case KESTREL_ERROR_CORRUPT:
    return "KESTREL_ERROR_CORRUPT";
  case KESTREL_ERROR_VERSION_MISMATCH:
    return "KESTREL_ERROR_VERSION_MISMATCH";
  case KESTREL_ERROR_MODEL_MISMATCH:
    return "KESTREL_ERROR_MODEL_MISMATCH";
  case KESTREL_ERROR_OUT_OF_MEMORY:
    return "KESTREL_ERROR_OUT_OF_MEMORY";
  case KESTREL_ERROR_EXECUTION:
    return "KESTREL_ERROR_EXECUTION";
  case KESTREL_ERROR_NO_DEVICE:
    return "KESTREL_ERROR_NO_DEVICE";
  case KESTREL_ERROR_INTERNAL:
    return "KESTREL_ERROR_INTERNAL";
  case KESTREL_ERROR_UNSUPPORTED_CPU:
    return "KESTREL_ERROR_UNSUPPORTED_CPU";
  }
  return "KESTREL_ERROR_UNKNOWN";
}

const char *kestrel_dtype_name(kestrel_dtype dtype) {
  return kestrel::dtypeName(fromApi(dtype));
}

size_t kestrel_dtype_size(kestrel_dtype dtype) {
  return kestrel::dtypeSize(fromApi(dtype));
}

kestrel_status kestrel_model_open(const kestrel_model_def *def,
                                  const char *weights_path,
                                  const kestrel_options *options,
                                  kestrel_model **out_model) {
  if (!out_model)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_model_open: out_model is NULL");
  *out_model = nullptr;
  if (!def)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_model_open: def is NULL (pass NAME_model())");
  try {
    return openModel(def, weights_path, options, nullptr, out_model);
  } catch (const std::bad_alloc &) {
    return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                "kestrel_model_open: out of memory");
  }
}

kestrel_status kestrel_model_open_dir(const char *dir, const char *name,
                                      const kestrel_options *options,
                                      kestrel_model **out_model) {
  if (!out_model)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_model_open_dir: out_model is NULL");
  *out_model = nullptr;
  if (!dir)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_model_open_dir: dir is NULL");
  std::string modelName = name ? name : "";
  if (modelName.empty()) {
    DIR *d = opendir(dir);
    if (!d)
      return fail(KESTREL_ERROR_IO, "%s: cannot open directory: %s", dir,
                  std::strerror(errno));
    std::vector<std::string> found;
    while (dirent *entry = readdir(d)) {
      std::string file = entry->d_name;
      if (file.size() > 6 && file.rfind("lib", 0) == 0 &&
          file.compare(file.size() - 3, 3, ".so") == 0)
        found.push_back(file.substr(3, file.size() - 6));
    }
    closedir(d);
    if (found.size() != 1)
      return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                  "%s: expected exactly one compiled model (libNAME.so), "
                  "found %zu; pass its name",
                  dir, found.size());
    modelName = found.front();
  }
  std::string libPath = std::string(dir) + "/lib" + modelName + ".so";
  std::string weightsPath = std::string(dir) + "/" + modelName + ".kweights";
  void *library = dlopen(libPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return fail(KESTREL_ERROR_IO, "cannot load %s: %s", libPath.c_str(),
                dlerror());
  std::string symbol = modelName + "_model";
  auto entry = reinterpret_cast<const kestrel_model_def *(*)(void)>(
      dlsym(library, symbol.c_str()));
  if (!entry) {
    dlclose(library);
    return fail(KESTREL_ERROR_IO, "%s does not define %s()", libPath.c_str(),
                symbol.c_str());
  }
  const kestrel_model_def *def = entry();
  if (!def) {
    dlclose(library);
    return fail(KESTREL_ERROR_INVALID_ARGUMENT, "%s: %s() returned NULL",
                libPath.c_str(), symbol.c_str());
  }
  try {
    kestrel_status s =
        openModel(def, weightsPath.c_str(), options, library, out_model);
    if (s != KESTREL_OK && !*out_model)
      dlclose(library);
    return s;
  } catch (const std::bad_alloc &) {
    dlclose(library);
    return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                "kestrel_model_open_dir: out of memory");
  }
}

void kestrel_model_release(kestrel_model *model) { delete model; }

const char *kestrel_model_name(const kestrel_model *model) {
  return model ? model->def->name : "";
}

size_t kestrel_model_num_inputs(const kestrel_model *model) {
  return model ? model->def->numInputs : 0;
}

size_t kestrel_model_num_outputs(const kestrel_model *model) {
  return model ? model->def->numOutputs : 0;
}

kestrel_status kestrel_model_input_info(const kestrel_model *model,
                                        size_t index,
                                        kestrel_tensor_info *out_info) {
  return tensorInfo(model, index, /*input=*/true, out_info);
}

kestrel_status kestrel_model_output_info(const kestrel_model *model,
                                         size_t index,
                                         kestrel_tensor_info *out_info) {
  return tensorInfo(model, index, /*input=*/false, out_info);
}

kestrel_status kestrel_session_create(kestrel_model *model,
                                      kestrel_session **out_session) {
  if (!out_session)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_create: out_session is NULL");
  *out_session = nullptr;
  if (!model)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_create: model is NULL");
  try {
    auto session = std::make_unique<kestrel_session>();
    const kestrel_model_def *def = model->def;
    session->model = model;
    // Device models run only shape arithmetic on the CPU: one thread.
    session->pool =
        std::make_unique<ThreadPool>(def->device ? 1 : model->numThreads);
    ThreadPool *pool = session->pool.get();
    Exec &exec = session->exec;
    exec.ctx.numThreads = pool->size();
    if (pool->size() > 1)
      exec.ctx.parallelFor = [pool](int64_t n,
                                    const std::function<void(int64_t)> &body) {
        pool->parallelFor(n, body);
      };
    else
      exec.ctx.parallelFor = [](int64_t n,
                                const std::function<void(int64_t)> &body) {
        for (int64_t i = 0; i < n; ++i)
          body(i);
      };
    exec.v.resize(def->numValues);
    exec.packed = model->packed.data();
    exec.hostBuffers.resize(def->numValues);
    for (int32_t i = 0; i < def->numValues; ++i) {
      const ValueDesc &desc = def->values[i];
      exec.v[i].dtype = desc.dtype;
      if (desc.storage == Storage::Weight)
        exec.v[i] = model->weightTensors[desc.index];
      else if (desc.storage == Storage::Constant)
        exec.v[i] = model->constantTensors[desc.index];
    }
    session->inputs.resize(def->numInputs);
    session->inputCopies.resize(def->numInputs);
    for (int32_t i = 0; i < def->numOutputs; ++i)
      session->outputBuffers.push_back(std::make_unique<AlignedBuffer>());
    session->outputShapes.resize(def->numOutputs);
    session->stages = std::vector<kestrel_session::StageArena>(
        static_cast<size_t>(def->numStages));
    if (def->device) {
      std::string error;
      kestrel_status status = def->device->createSession(
          model->deviceState, &session->deviceState, error);
      if (status != KESTREL_OK)
        return fail(status, "kestrel_session_create: %s", error.c_str());
    }
    *out_session = session.release();
    return KESTREL_OK;
  } catch (const std::bad_alloc &) {
    return fail(KESTREL_ERROR_OUT_OF_MEMORY,
                "kestrel_session_create: out of memory");
  } catch (const std::system_error &e) {
    return fail(KESTREL_ERROR_INTERNAL,
                "kestrel_session_create: cannot start threads: %s", e.what());
  }
}

void kestrel_session_release(kestrel_session *session) { delete session; }

kestrel_status kestrel_session_set_input(kestrel_session *session,
                                         const char *name, kestrel_dtype dtype,
                                         const int64_t *shape, size_t rank,
                                         const void *data, size_t bytes) {
  if (!session)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_set_input: session is NULL");
  if (!name)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_set_input: name is NULL");
  const kestrel_model_def *def = session->model->def;
  int32_t index = -1;
  for (int32_t i = 0; i < def->numInputs; ++i)
    if (std::strcmp(def->inputs[i].name, name) == 0)
      index = i;
  if (index < 0) {
    std::string names;
    for (int32_t i = 0; i < def->numInputs; ++i)
      names += std::string(i ? ", " : "") + def->inputs[i].name;
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "model '%s' has no input '%s' (inputs: %s)", def->name, name,
                names.c_str());
  }
  const IoDesc &in = def->inputs[index];
  // A failed call unbinds the input: a run then fails with
  // KESTREL_ERROR_MISSING_INPUT instead of reading the earlier data, which
  // the caller may have meant to replace (and may have freed).
  kestrel_session::Binding &binding = session->inputs[index];
  binding.bound = false;
  if (fromApi(dtype) != in.dtype)
    return fail(KESTREL_ERROR_DTYPE, "input '%s' is %s; got %s", name,
                kestrel::dtypeName(in.dtype), kestrel_dtype_name(dtype));
  if (rank != static_cast<size_t>(in.rank))
    return fail(KESTREL_ERROR_SHAPE, "input '%s' has rank %d; got rank %zu",
                name, in.rank, rank);
  if (rank > 0 && !shape)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "input '%s': shape is NULL for rank %zu", name, rank);
  Shape s;
  s.rank = static_cast<int>(rank);
  for (size_t d = 0; d < rank; ++d) {
    s.dims[d] = shape[d];
    if (shape[d] < 0)
      return fail(KESTREL_ERROR_SHAPE, "input '%s': dim %zu is %lld", name, d,
                  static_cast<long long>(shape[d]));
    if (in.dims[d] >= 0 && in.dims[d] != shape[d])
      return fail(KESTREL_ERROR_SHAPE,
                  "input '%s' has shape %s; got %s (dim %zu must be %lld)",
                  name, shapeString(in.dims, in.rank).c_str(),
                  shapeString(shape, rank).c_str(), d,
                  static_cast<long long>(in.dims[d]));
    int32_t sym = in.symbol ? in.symbol[d] : -1;
    if (in.dims[d] < 0 && sym >= 0) {
      const DimSymbol &symbol = def->symbols[sym];
      if (shape[d] < symbol.min || shape[d] > symbol.max)
        return fail(KESTREL_ERROR_SHAPE,
                    "input '%s': dim %zu ('%s') is %lld, outside the range "
                    "[%lld, %lld] the model was compiled for",
                    name, d, symbol.name, static_cast<long long>(shape[d]),
                    static_cast<long long>(symbol.min),
                    static_cast<long long>(symbol.max));
    }
  }
  size_t expected =
      static_cast<size_t>(s.numel()) * kestrel::dtypeSize(in.dtype);
  if (bytes != expected)
    return fail(KESTREL_ERROR_SHAPE,
                "input '%s': %zu bytes given; shape %s of %s needs %zu", name,
                bytes, s.str().c_str(), kestrel::dtypeName(in.dtype), expected);
  if (!data && expected > 0)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT, "input '%s': data is NULL",
                name);
  binding.bound = true;
  binding.data = data;
  binding.shape = s;
  return KESTREL_OK;
}

kestrel_status kestrel_session_run(kestrel_session *session) {
  if (!session)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_run: session is NULL");
  const kestrel_model_def *def = session->model->def;
  Exec &exec = session->exec;
  session->haveOutputs = false;

  // Every input bound, and dims that share a name agree.
  std::vector<int64_t> symbolValue(def->numSymbols, -1);
  std::vector<const char *> symbolSource(def->numSymbols, nullptr);
  for (int32_t i = 0; i < def->numInputs; ++i) {
    const IoDesc &in = def->inputs[i];
    const kestrel_session::Binding &binding = session->inputs[i];
    if (!binding.bound)
      return fail(KESTREL_ERROR_MISSING_INPUT,
                  "input '%s' is not bound (kestrel_session_set_input)",
                  in.name);
    for (int32_t d = 0; d < in.rank; ++d) {
      int32_t sym = in.symbol ? in.symbol[d] : -1;
      if (in.dims[d] >= 0 || sym < 0)
        continue;
      int64_t value = binding.shape.dims[d];
      if (symbolValue[sym] >= 0 && symbolValue[sym] != value)
        return fail(KESTREL_ERROR_SHAPE,
                    "dim '%s' is %lld in input '%s' but %lld in input '%s'",
                    def->symbols[sym].name,
                    static_cast<long long>(symbolValue[sym]), symbolSource[sym],
                    static_cast<long long>(value), in.name);
      symbolValue[sym] = value;
      symbolSource[sym] = in.name;
    }
    Tensor &t = exec.v[in.value];
    t.data = const_cast<void *>(binding.data);
    t.shape = binding.shape;
    size_t bytes = t.bytes();
    for (const auto &out : session->outputBuffers)
      if (bytes && out->overlaps(binding.data, bytes)) {
        std::vector<uint8_t> &copy = session->inputCopies[i];
        copy.assign(static_cast<const uint8_t *>(binding.data),
                    static_cast<const uint8_t *>(binding.data) + bytes);
        t.data = copy.data();
        break;
      }
    alignas(64) static const uint8_t kEmpty[64] = {};
    if (!t.data)
      t.data = const_cast<uint8_t *>(kEmpty); // zero-size input, never read
  }

  try {
    // Stage by stage: its shapes (from what the stages before computed),
    // its arena and outputs, its kernels.
    for (int32_t stage = 0; stage < def->numStages; ++stage) {
      exec.ctx.error.clear();
      if (!def->inferShapes(exec, stage))
        return fail(KESTREL_ERROR_SHAPE, "%s: %s", def->name,
                    exec.ctx.error.c_str());
      if (def->device) {
        int64_t arenaBytes = planValues(session, stage);
        if (kestrel_status s = reserveOutputs(session, stage))
          return s;
        std::vector<void *> outputs;
        for (const auto &buffer : session->outputBuffers)
          outputs.push_back(buffer->data());
        std::string error;
        kestrel_status status =
            def->device->run(session->deviceState, exec, stage, arenaBytes,
                             session->offsets.data(), outputs.data(), error);
        if (status != KESTREL_OK)
          return fail(status, "%s: %s", def->name, error.c_str());
        continue;
      }
      if (kestrel_status s = placeValues(session, stage))
        return s;
      if (!def->execute(exec, stage))
        return fail(KESTREL_ERROR_EXECUTION, "%s: %s", def->name,
                    exec.ctx.error.c_str());
    }
  } catch (const std::bad_alloc &) {
    return fail(KESTREL_ERROR_OUT_OF_MEMORY, "%s: out of memory", def->name);
  } catch (const std::exception &e) {
    return fail(KESTREL_ERROR_INTERNAL, "%s: %s", def->name, e.what());
  }

  // The outputs' final shapes (a NonZero's count is known only now).
  for (int32_t i = 0; i < def->numOutputs; ++i) {
    const Shape &shape = exec.v[def->outputs[i].value].shape;
    session->outputShapes[i].assign(shape.dims, shape.dims + shape.rank);
  }
  if (def->device) {
    session->haveOutputs = true;
    return KESTREL_OK;
  }
  // Outputs not computed in place (returned twice, or an input, constant,
  // weight or host value) are copied.
  for (int32_t i = 0; i < def->numOutputs; ++i) {
    int32_t value = def->outputs[i].value;
    const ValueDesc &desc = def->values[value];
    if (desc.storage == Storage::Output && desc.index == i)
      continue;
    const Tensor &t = exec.v[value];
    if (t.bytes())
      std::memcpy(session->outputBuffers[i]->data(), t.data, t.bytes());
  }
  session->haveOutputs = true;
  return KESTREL_OK;
}

kestrel_status
kestrel_session_get_output(kestrel_session *session, const char *name,
                           kestrel_dtype *out_dtype, const int64_t **out_shape,
                           size_t *out_rank, const void **out_data,
                           size_t *out_bytes) {
  if (!session || !name)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_get_output: %s is NULL",
                !session ? "session" : "name");
  if (!out_dtype || !out_shape || !out_rank || !out_data || !out_bytes)
    return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                "kestrel_session_get_output: an out_ pointer is NULL");
  const kestrel_model_def *def = session->model->def;
  for (int32_t i = 0; i < def->numOutputs; ++i) {
    if (std::strcmp(def->outputs[i].name, name) != 0)
      continue;
    if (!session->haveOutputs)
      return fail(KESTREL_ERROR_INVALID_ARGUMENT,
                  "output '%s': the session has no results (run it first; "
                  "the last run failed or none happened)",
                  name);
    const std::vector<int64_t> &shape = session->outputShapes[i];
    *out_dtype = toApi(def->outputs[i].dtype);
    *out_shape = shape.data();
    *out_rank = shape.size();
    *out_data = session->outputBuffers[i]->data();
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    *out_bytes =
        static_cast<size_t>(n) * kestrel::dtypeSize(def->outputs[i].dtype);
    return KESTREL_OK;
  }
  std::string names;
  for (int32_t i = 0; i < def->numOutputs; ++i)
    names += std::string(i ? ", " : "") + def->outputs[i].name;
  return fail(KESTREL_ERROR_INVALID_ARGUMENT,
              "model '%s' has no output '%s' (outputs: %s)", def->name, name,
              names.c_str());
}

} // extern "C"
