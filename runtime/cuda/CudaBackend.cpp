//===- CudaBackend.cpp - The runtime's CUDA side --------------------------===//
//
// Host code only (the CUDA runtime API and cuBLASLt); the kernels are in
// kernels/cuda. Compiled into the CUDA runtime archive that every
// --target=cuda library links.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaBackend.h"

#include "kernels/cuda/Kernels.h"
#ifndef KESTREL_CUDA_EMULATOR
#include "runtime/cuda/CublasLtLoader.h"
#endif

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace kestrel::runtime {
namespace {

using cpu::DType;
using cpu::Shape;
using cpu::Tensor;

constexpr size_t kWorkspaceBytes = size_t(32) << 20; // cuBLASLt scratch

/// Errors after which the CUDA context is unusable (every later call in
/// this process fails).
bool isSticky(cudaError_t status) {
  switch (status) {
  case cudaErrorIllegalAddress:
  case cudaErrorLaunchFailure:
  case cudaErrorIllegalInstruction:
  case cudaErrorMisalignedAddress:
  case cudaErrorInvalidAddressSpace:
  case cudaErrorInvalidPc:
  case cudaErrorHardwareStackError:
  case cudaErrorAssert:
  case cudaErrorECCUncorrectable:
    return true;
  default:
    return false;
  }
}

std::string cudaMessage(const std::string &what, cudaError_t status) {
  std::string message = what + ": " + cudaGetErrorName(status) + " (" +
                        cudaGetErrorString(status) + ")";
  if (isSticky(status))
    message += "; the GPU context is lost: every later CUDA call in this "
               "process fails, so restart it";
  return message;
}

kestrel_status statusOf(cudaError_t status) {
  switch (status) {
  case cudaErrorMemoryAllocation:
    return KESTREL_ERROR_OUT_OF_MEMORY;
  case cudaErrorInsufficientDriver:
  case cudaErrorNoDevice:
    return KESTREL_ERROR_NO_DEVICE;
  default:
    return KESTREL_ERROR_EXECUTION;
  }
}

#define CUDA_TRY(call, what)                                                   \
  do {                                                                         \
    cudaError_t status_ = (call);                                              \
    if (status_ != cudaSuccess) {                                              \
      error = cudaMessage(what, status_);                                      \
      return statusOf(status_);                                                \
    }                                                                          \
  } while (0)

/// Makes `device` current for the scope and restores the caller's device:
/// the application's own CUDA code keeps its current device.
class DeviceScope {
public:
  explicit DeviceScope(int device) {
    if (cudaGetDevice(&previous) != cudaSuccess)
      previous = -1;
    status = previous == device ? cudaSuccess : cudaSetDevice(device);
  }
  ~DeviceScope() {
    if (previous >= 0)
      cudaSetDevice(previous);
  }
  cudaError_t status;

private:
  int previous = -1;
};

/// A growable device allocation (contents are not kept when it grows).
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() {
    if (ptr)
      cudaFree(ptr);
  }
  /// Makes room for `bytes` (at least 256, so zero-size tensors get a valid
  /// pointer); sets `moved` when the data pointer changed.
  cudaError_t reserve(size_t bytes, bool &moved) {
    bytes = std::max<size_t>((bytes + 255) / 256 * 256, 256);
    if (bytes <= capacity)
      return cudaSuccess;
    if (ptr)
      cudaFree(ptr);
    ptr = nullptr;
    capacity = 0;
    moved = true;
    cudaError_t status = cudaMalloc(&ptr, bytes);
    if (status == cudaSuccess)
      capacity = bytes;
    return status;
  }
  void *data() const { return ptr; }

private:
  void *ptr = nullptr;
  size_t capacity = 0;
};

struct CudaModel {
  const kestrel_model_def *def = nullptr;
  int device = 0;
  bool useGraph = true;
  cudaDeviceProp props{};
  /// Device copies of weights and constants, per value (null for others).
  std::vector<std::unique_ptr<DeviceBuffer>> uploads;
  std::vector<void *> valueData;
  /// The multi_matmul weights packed side by side (def->packedWeights).
  std::vector<std::unique_ptr<DeviceBuffer>> packedBuffers;
  std::vector<Tensor> packed;
};

struct CudaSession {
  CudaModel *model = nullptr;
  cudaStream_t stream = nullptr;
  cublasLtHandle_t lt = nullptr;
  DeviceBuffer workspace, errorFlag;
  std::vector<std::unique_ptr<DeviceBuffer>> arenas; ///< per stage
  int *hostFlag = nullptr; ///< pinned, for the error flag's read-back
  std::vector<std::unique_ptr<DeviceBuffer>> buffers; ///< per value
  std::vector<std::unique_ptr<DeviceBuffer>> staging; ///< per value
  cuda::Context ctx;

  // The captured forward and what it was captured for.
  cudaGraphExec_t graph = nullptr;
  std::vector<const void *> graphData;
  std::vector<Shape> graphShapes;
  std::vector<uint8_t> graphHostKey; ///< the host values execute reads
  int captureFailures = 0;           ///< graphs are off after a few

  ~CudaSession() {
    DeviceScope scope(model->device);
    if (stream)
      cudaStreamSynchronize(stream); // nothing in flight on freed memory
    if (graph)
      cudaGraphExecDestroy(graph);
    if (lt)
      cublasLtDestroy(lt);
    if (hostFlag)
      cudaFreeHost(hostFlag);
    if (stream)
      cudaStreamDestroy(stream);
  }
};

/// Converts a host tensor into `dtype` on the host (constants whose device
/// precision differs from the stored one).
bool convertOnHost(const Tensor &in, DType dtype, std::vector<uint8_t> &out,
                   std::string &error) {
  cpu::Context ctx;
  ctx.parallelFor = [](int64_t n, const std::function<void(int64_t)> &body) {
    for (int64_t i = 0; i < n; ++i)
      body(i);
  };
  out.resize(static_cast<size_t>(in.numel()) * cpu::dtypeSize(dtype));
  Tensor t;
  t.data = out.data();
  t.dtype = dtype;
  t.shape = in.shape;
  if (!cpu::cast(ctx, in, t)) {
    error = ctx.error;
    return false;
  }
  return true;
}

/// Whether code compiled for `archs` ("sm_80,sm_90a") runs on compute
/// capability major.minor: SASS for sm_XY runs on X.Z with Z >= Y; the
/// arch-specific sm_90a only on 9.0.
bool runsOn(const char *archs, int major, int minor) {
  if (!archs)
    return false;
  std::string list = archs;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string::npos)
      end = list.size();
    std::string arch = list.substr(pos, end - pos); // "sm_86", "sm_90a"
    pos = end + 1;
    if (arch.size() < 5 || arch.compare(0, 3, "sm_") != 0)
      continue;
    int archMajor = arch[3] - '0', archMinor = arch[4] - '0';
    bool specific = arch.size() > 5 && arch[5] == 'a';
    if (specific ? (major == archMajor && minor == archMinor)
                 : (major == archMajor && minor >= archMinor))
      return true;
  }
  return false;
}

kestrel_status openModel(const kestrel_model_def *def,
                         const kestrel_options &options, const Tensor *weights,
                         const Tensor *constants, void **state,
                         std::string &error) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  cudaGetLastError(); // not sticky; keep it out of later checks
  if (status != cudaSuccess || count == 0) {
    error = "no CUDA driver / no GPU found: compile with --target=cpu or run "
            "on a machine with an NVIDIA GPU (cudaGetDeviceCount: " +
            std::string(status == cudaSuccess ? "0 devices"
                                              : cudaGetErrorString(status)) +
            ")";
    return KESTREL_ERROR_NO_DEVICE;
  }
#ifndef KESTREL_CUDA_EMULATOR
  // cuBLASLt is loaded here, not by the dynamic loader (CublasLtLoader.h).
  // Not finding it is not an error (GEMMs run on Kestrel's own kernels),
  // unless KESTREL_CUBLASLT names a library that does not load.
  std::string cublasError;
  if (!loadCublasLt(cublasError)) {
    const char *requested = std::getenv("KESTREL_CUBLASLT");
    if (requested && *requested) {
      error = "KESTREL_CUBLASLT=" + std::string(requested) + ": " + cublasError;
      return KESTREL_ERROR_IO;
    }
  }
#endif
  if (options.device_id >= count) {
    error = "kestrel_options.device_id is " +
            std::to_string(options.device_id) + " but this machine has " +
            std::to_string(count) + " GPU(s)";
    return KESTREL_ERROR_INVALID_ARGUMENT;
  }
  auto model = std::make_unique<CudaModel>();
  model->def = def;
  model->device = options.device_id;
  model->useGraph = options.use_cuda_graph != 0;
  DeviceScope scope(model->device);
  CUDA_TRY(scope.status, "cudaSetDevice");
  CUDA_TRY(cudaGetDeviceProperties(&model->props, model->device),
           "cudaGetDeviceProperties");
  std::string gpu = "GPU " + std::to_string(model->device) + " (" +
                    model->props.name + ", sm_" +
                    std::to_string(model->props.major) +
                    std::to_string(model->props.minor) + ")";
  if (model->props.major < 8) {
    error = gpu + ": Kestrel's CUDA kernels need sm_80 or newer";
    return KESTREL_ERROR_NO_DEVICE;
  }
  if (!runsOn(def->deviceArchs, model->props.major, model->props.minor)) {
    error = "the model was compiled for " +
            std::string(def->deviceArchs ? def->deviceArchs : "?") +
            ", which does not run on " + gpu +
            ": recompile it with kestrelc --target=cuda:sm_" +
            std::to_string(model->props.major) +
            std::to_string(model->props.minor) +
            (model->props.major == 9 ? "a" : "");
    return KESTREL_ERROR_NO_DEVICE;
  }

  // The weights of each multi_matmul side by side, in their device dtype,
  // for its single GEMM; a weight nothing else reads is not uploaded alone.
  std::vector<uint8_t> converted;
  std::vector<bool> packedOnly(size_t(def->numWeights), false);
  for (int32_t i = 0; i < def->numPackedWeights; ++i) {
    const PackedWeightDesc &p = def->packedWeights[i];
    const DType dtype = p.dtype;
    std::vector<std::vector<uint8_t>> partData(size_t(p.numParts));
    std::vector<Tensor> parts;
    size_t bytes = 0;
    int64_t total = 0;
    for (int32_t k = 0; k < p.numParts; ++k) {
      const int32_t w = p.numParts > 1 ? p.parts[k] : p.weight;
      Tensor part = weights[w];
      if (part.dtype != dtype) {
        if (!convertOnHost(part, dtype, partData[size_t(k)], error))
          return KESTREL_ERROR_INTERNAL;
        part.data = partData[size_t(k)].data();
        part.dtype = dtype;
      }
      parts.push_back(part);
      bytes += part.bytes();
      if (part.shape.rank == 2)
        total += part.shape[p.transposed ? 0 : 1];
      if (p.onlyUse)
        packedOnly[size_t(w)] = true;
    }
    converted.resize(bytes);
    Tensor host;
    host.data = converted.data();
    host.dtype = dtype;
    host.shape.rank = 2;
    const int64_t K =
        parts[0].shape.rank == 2 ? parts[0].shape[p.transposed ? 1 : 0] : 0;
    host.shape[p.transposed ? 1 : 0] = K;
    host.shape[p.transposed ? 0 : 1] = total;
    if (!cuda::packMultiWeights(parts.data(), p.numParts, p.transposed, p.glu,
                                host, error)) {
      error =
          "weight '" + std::string(def->weights[p.weight].name) + "': " + error;
      return KESTREL_ERROR_INTERNAL;
    }
    auto buffer = std::make_unique<DeviceBuffer>();
    bool moved = false;
    CUDA_TRY(buffer->reserve(bytes, moved),
             "uploading " + std::to_string(bytes) +
                 " bytes of weights packed with '" +
                 std::string(def->weights[p.weight].name) + "'");
    if (bytes)
      CUDA_TRY(
          cudaMemcpy(buffer->data(), host.data, bytes, cudaMemcpyHostToDevice),
          "cudaMemcpy (packed weights)");
    host.data = buffer->data();
    model->packed.push_back(host);
    model->packedBuffers.push_back(std::move(buffer));
  }

  // Weights and constants, once per tensor and device dtype (weight ops of
  // one name share a weight).
  model->uploads.resize(def->numValues);
  model->valueData.assign(def->numValues, nullptr);
  std::map<std::tuple<Storage, int32_t, DType>, void *> uploaded;
  for (int32_t i = 0; i < def->numValues; ++i) {
    const ValueDesc &desc = def->values[i];
    if (desc.storage != Storage::Weight && desc.storage != Storage::Constant)
      continue;
    if (desc.storage == Storage::Weight && packedOnly[size_t(desc.index)])
      continue;
    auto key = std::make_tuple(desc.storage, desc.index, def->deviceDtypes[i]);
    if (auto it = uploaded.find(key); it != uploaded.end()) {
      model->valueData[i] = it->second;
      continue;
    }
    const Tensor &host = desc.storage == Storage::Weight
                             ? weights[desc.index]
                             : constants[desc.index];
    DType dtype = def->deviceDtypes[i];
    const void *data = host.data;
    size_t bytes = host.bytes();
    if (dtype != host.dtype) {
      if (!convertOnHost(host, dtype, converted, error))
        return KESTREL_ERROR_INTERNAL;
      data = converted.data();
      bytes = converted.size();
    }
    auto buffer = std::make_unique<DeviceBuffer>();
    bool moved = false;
    CUDA_TRY(
        buffer->reserve(bytes, moved),
        "uploading " + std::to_string(bytes) + " bytes of " +
            (desc.storage == Storage::Weight
                 ? "weight '" + std::string(def->weights[desc.index].name) + "'"
                 : std::string("a constant")));
    if (bytes)
      CUDA_TRY(cudaMemcpy(buffer->data(), data, bytes, cudaMemcpyHostToDevice),
               "cudaMemcpy (weights)");
    model->valueData[i] = buffer->data();
    uploaded[key] = buffer->data();
    model->uploads[i] = std::move(buffer);
  }
  *state = model.release();
  return KESTREL_OK;
}

void closeModel(void *state) {
  auto *model = static_cast<CudaModel *>(state);
  DeviceScope scope(model->device);
  delete model;
}

kestrel_status createSession(void *modelState, void **state,
                             std::string &error) {
  auto *model = static_cast<CudaModel *>(modelState);
  auto session = std::make_unique<CudaSession>();
  session->model = model;
  DeviceScope scope(model->device);
  CUDA_TRY(scope.status, "cudaSetDevice");
  CUDA_TRY(cudaStreamCreateWithFlags(&session->stream, cudaStreamNonBlocking),
           "cudaStreamCreate");
  bool moved = false;
  CUDA_TRY(session->errorFlag.reserve(sizeof(int), moved),
           "cudaMalloc (error flag)");
  CUDA_TRY(cudaMallocHost(reinterpret_cast<void **>(&session->hostFlag),
                          sizeof(int)),
           "cudaMallocHost");
  // cuBLASLt is optional: without it matmuls use Kestrel's own kernels.
  if (cublasLtCreate(&session->lt) != CUBLAS_STATUS_SUCCESS)
    session->lt = nullptr;
  if (session->lt)
    CUDA_TRY(session->workspace.reserve(kWorkspaceBytes, moved),
             "cudaMalloc (cuBLASLt workspace)");
  int numValues = model->def->numValues;
  for (int32_t k = 0; k < model->def->numStages; ++k)
    session->arenas.push_back(std::make_unique<DeviceBuffer>());
  session->buffers.resize(numValues);
  session->staging.resize(numValues);
  cuda::Context &ctx = session->ctx;
  ctx.stream = session->stream;
  ctx.cublasLt = session->lt;
  ctx.workspace = session->lt ? session->workspace.data() : nullptr;
  ctx.workspaceBytes = session->lt ? kWorkspaceBytes : 0;
  ctx.errorFlag = static_cast<int *>(session->errorFlag.data());
  ctx.smCount = model->props.multiProcessorCount;
  ctx.ccMajor = model->props.major;
  ctx.ccMinor = model->props.minor;
  *state = session.release();
  return KESTREL_OK;
}

void releaseSession(void *state) { delete static_cast<CudaSession *>(state); }

/// The host data `execute` reads when it launches (kestrel_model_def::
/// hostReads), as bytes: a captured graph has them baked in.
std::vector<uint8_t> hostKey(const kestrel_model_def *def, const Exec &exec) {
  std::vector<uint8_t> key;
  for (int32_t k = 0; k < def->numHostReads; ++k) {
    const Tensor &t = exec.v[def->hostReads[k]];
    auto *p = static_cast<const uint8_t *>(t.data);
    if (p)
      key.insert(key.end(), p, p + t.bytes());
  }
  return key;
}

/// Captures `def->execute` into s.graph for the current pointers, shapes
/// and host values. A failure leaves no graph (the caller's eager results
/// stand) and, after three, turns graphs off for the session.
void capture(CudaSession &s, const kestrel_model_def *def, Exec &exec) {
  if (s.graph)
    cudaGraphExecDestroy(s.graph);
  s.graph = nullptr;
  s.graphData.clear();
  s.graphShapes.clear();
  cudaGraph_t graph = nullptr;
  bool ok = cudaStreamBeginCapture(
                s.stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess;
  if (ok) {
    ok = def->execute(exec, 0);
    ok = cudaStreamEndCapture(s.stream, &graph) == cudaSuccess && ok;
  }
  cudaGraphExec_t instance = nullptr;
  if (ok)
    ok = cudaGraphInstantiate(&instance, graph, 0) == cudaSuccess;
  if (graph)
    cudaGraphDestroy(graph);
  cudaGetLastError(); // a failed capture is not this run's error
  if (!ok) {
    ++s.captureFailures;
    return;
  }
  s.graph = instance;
  for (const Tensor &t : exec.d) {
    s.graphData.push_back(t.data);
    s.graphShapes.push_back(t.shape);
  }
  s.graphHostKey = hostKey(def, exec);
}

/// A per-value device buffer of the session (inputs, host-value mirrors,
/// outputs, dtype staging).
kestrel_status bufferFor(std::vector<std::unique_ptr<DeviceBuffer>> &buffers,
                         int32_t value, size_t bytes, void *&data, bool &moved,
                         std::string &error) {
  if (!buffers[value])
    buffers[value] = std::make_unique<DeviceBuffer>();
  CUDA_TRY(buffers[value]->reserve(bytes, moved),
           "cudaMalloc (" + std::to_string(bytes) + " bytes)");
  data = buffers[value]->data();
  return KESTREL_OK;
}

/// Copies host value `value` (inputs and host values) to its device
/// tensor, converting to the device dtype on the device.
kestrel_status upload(CudaSession &s, Exec &exec, int32_t value, bool &moved,
                      std::string &error) {
  const Tensor &host = exec.v[value];
  Tensor &dev = exec.d[value];
  if (kestrel_status st =
          bufferFor(s.buffers, value, dev.bytes(), dev.data, moved, error))
    return st;
  if (!host.bytes())
    return KESTREL_OK;
  if (host.dtype == dev.dtype) {
    CUDA_TRY(cudaMemcpyAsync(dev.data, host.data, host.bytes(),
                             cudaMemcpyHostToDevice, s.stream),
             "cudaMemcpyAsync (input)");
    return KESTREL_OK;
  }
  Tensor stage = host;
  if (kestrel_status st =
          bufferFor(s.staging, value, host.bytes(), stage.data, moved, error))
    return st;
  CUDA_TRY(cudaMemcpyAsync(stage.data, host.data, host.bytes(),
                           cudaMemcpyHostToDevice, s.stream),
           "cudaMemcpyAsync (input)");
  if (!cuda::cast(s.ctx, stage, dev)) {
    error = "converting an input to the device precision: " + s.ctx.error;
    return KESTREL_ERROR_EXECUTION;
  }
  return KESTREL_OK;
}

kestrel_status run(void *state, Exec &exec, int32_t stage, int64_t arenaBytes,
                   const int64_t *offsets, void *const *outputs,
                   std::string &error) {
  auto &s = *static_cast<CudaSession *>(state);
  const kestrel_model_def *def = s.model->def;
  DeviceScope scope(s.model->device);
  CUDA_TRY(scope.status, "cudaSetDevice");
  cudaGetLastError(); // an earlier, non-sticky error is not this run's
  // On every return: nothing of this run (copies from the caller's
  // buffers, kernels) is still in flight.
  struct SyncOnExit {
    cudaStream_t stream;
    ~SyncOnExit() { cudaStreamSynchronize(stream); }
  } sync{s.stream};
  bool moved = false;
  DeviceBuffer &arena = *s.arenas[stage];
  CUDA_TRY(arena.reserve(static_cast<size_t>(arenaBytes), moved),
           "cudaMalloc (a " + std::to_string(arenaBytes) + "-byte arena)");
  auto *base = static_cast<uint8_t *>(arena.data());

  // The device view of every value the stage defines.
  exec.cuda = &s.ctx;
  exec.devicePacked = s.model->packed.data();
  exec.d.resize(def->numValues);
  for (int32_t i = 0; i < def->numValues; ++i) {
    const ValueDesc &desc = def->values[i];
    if (desc.stage != stage)
      continue;
    Tensor &t = exec.d[i];
    t.shape = exec.v[i].shape;
    t.dtype = def->deviceDtypes[i];
    switch (desc.storage) {
    case Storage::Weight:
    case Storage::Constant:
      t.data = s.model->valueData[i];
      break;
    case Storage::Arena:
      t.data = base + offsets[i];
      break;
    case Storage::Input:
    case Storage::Host:
      if (kestrel_status st = upload(s, exec, i, moved, error))
        return st;
      break;
    case Storage::Output:
      if (kestrel_status st =
              bufferFor(s.buffers, i, t.bytes(), t.data, moved, error))
        return st;
      break;
    case Storage::Alias:
      break;
    }
  }
  for (int32_t i = 0; i < def->numValues; ++i)
    if (def->values[i].storage == Storage::Alias &&
        def->values[i].stage == stage)
      exec.d[i].data = exec.d[def->values[i].index].data;

  if (stage == 0)
    CUDA_TRY(cudaMemsetAsync(s.ctx.errorFlag, 0, sizeof(int), s.stream),
             "cudaMemsetAsync (error flag)");
  s.ctx.error.clear();
  // Replay the captured forward when every pointer, shape and host value
  // it was captured with is the same; otherwise launch the kernels one by
  // one (which also does one-time setup, such as shared-memory opt-ins and
  // cuBLASLt's algorithm choice, outside a capture) and capture the same
  // sequence for the runs that follow. A model of several stages reads
  // counts back between them: no graph.
  bool useGraph =
      s.model->useGraph && s.captureFailures < 3 && def->numStages == 1;
  bool same = useGraph && s.graph && s.graphData.size() == exec.d.size();
  for (size_t i = 0; same && i < exec.d.size(); ++i)
    same =
        s.graphData[i] == exec.d[i].data && s.graphShapes[i] == exec.d[i].shape;
  same = same && s.graphHostKey == hostKey(def, exec);
  if (same) {
    CUDA_TRY(cudaGraphLaunch(s.graph, s.stream), "cudaGraphLaunch");
  } else {
    if (!def->execute(exec, stage)) {
      error = s.ctx.error;
      return KESTREL_ERROR_EXECUTION;
    }
    if (useGraph)
      capture(s, def, exec);
  }

  // Outputs, in their declared dtypes, after the last stage.
  bool last = stage == def->numStages - 1;
  for (int32_t k = 0; last && k < def->numOutputs; ++k) {
    int32_t value = def->outputs[k].value;
    Tensor src = exec.d[value];
    if (src.dtype != def->outputs[k].dtype) {
      Tensor converted = src;
      converted.dtype = def->outputs[k].dtype;
      if (kestrel_status st = bufferFor(s.staging, value, converted.bytes(),
                                        converted.data, moved, error))
        return st;
      if (!cuda::cast(s.ctx, src, converted)) {
        error = "converting output '" + std::string(def->outputs[k].name) +
                "': " + s.ctx.error;
        return KESTREL_ERROR_EXECUTION;
      }
      src = converted;
    }
    if (src.bytes())
      CUDA_TRY(cudaMemcpyAsync(outputs[k], src.data, src.bytes(),
                               cudaMemcpyDeviceToHost, s.stream),
               "cudaMemcpyAsync (output)");
  }
  CUDA_TRY(cudaMemcpyAsync(s.hostFlag, s.ctx.errorFlag, sizeof(int),
                           cudaMemcpyDeviceToHost, s.stream),
           "cudaMemcpyAsync (error flag)");
  CUDA_TRY(cudaStreamSynchronize(s.stream), "running the model");
  if (*s.hostFlag) {
    error = cuda::deviceErrorMessage(*s.hostFlag);
    return KESTREL_ERROR_EXECUTION;
  }
  return KESTREL_OK;
}

} // namespace

const DeviceBackend kCudaBackend = {
    "cuda", openModel, closeModel, createSession, releaseSession, run,
};

} // namespace kestrel::runtime
