//===- RuntimeStubs.cpp - The CUDA runtime API on the emulator ------------===//
//
// The runtime calls the kernel launchers and the runtime's CUDA side
// (CudaBackend.cpp) make, answered on the host: one emulated device,
// device memory is DeviceMemory.h's guarded host memory, streams run their
// work at once, and stream capture is not supported (the runtime then
// keeps launching kernel by kernel). cuBLASLt is CublasLt.cpp.
//
// A synchronizing call (cudaStreamSynchronize, cudaMemcpy) returns the
// diagnostics the emulator recorded since the previous one as its error,
// as a GPU reports a kernel's fault at the next synchronization: an
// out-of-bounds access as cudaErrorIllegalAddress, any other check as
// cudaErrorLaunchFailure, with the diagnostics as the error string. So a
// model run under KESTREL_EMU_CHECK=1 fails with the checker's findings.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/emulation/DeviceMemory.h"
#include "kernels/cuda/emulation/Emulator.h"

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// The diagnostics the last failing synchronizing call returned.
std::string &syncErrorText() {
  static std::string text;
  return text;
}

/// A synchronizing call's status (see the file comment).
cudaError_t syncStatus() {
  std::vector<std::string> fresh = kestrel::emu::unsyncedDiagnostics();
  if (fresh.empty())
    return cudaSuccess;
  bool outOfBounds = false;
  std::string text = "kestrel emulator check failed: ";
  for (size_t i = 0; i < fresh.size(); ++i) {
    outOfBounds |= fresh[i].rfind("out-of-bounds", 0) == 0;
    text += (i ? "; " : "") + fresh[i];
  }
  syncErrorText() = text;
  return outOfBounds ? cudaErrorIllegalAddress : cudaErrorLaunchFailure;
}

/// Host access to device memory: [p, p + count) must stay inside the
/// allocation p is in, as the CUDA runtime checks copies.
bool inBounds(const void *p, size_t count, const char *what) {
  return kestrel::emu::checkDeviceRange(p, count, what);
}

} // namespace

extern "C" {

// Launch errors do not exist: an invalid launch aborts with a message.
cudaError_t cudaGetLastError(void) { return cudaSuccess; }
cudaError_t cudaPeekAtLastError(void) { return cudaSuccess; }
const char *cudaGetErrorString(cudaError_t error) {
  switch (error) {
  case cudaSuccess:
    return "no error";
  case cudaErrorIllegalAddress:
  case cudaErrorLaunchFailure:
    if (!syncErrorText().empty())
      return syncErrorText().c_str();
    return "a kernel failed on the CUDA emulator";
  case cudaErrorInvalidValue:
    return "invalid argument (a copy past the end of an allocation, or a "
           "pointer cudaMalloc did not return)";
  case cudaErrorMemoryAllocation:
    return "out of memory";
  case cudaErrorStreamCaptureUnsupported:
    return "stream capture is not supported on the CUDA emulator";
  default:
    return "emulated CUDA error";
  }
}
cudaError_t cudaGetDevice(int *device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaFuncSetAttribute(const void *, enum cudaFuncAttribute, int) {
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count,
                            enum cudaMemcpyKind, cudaStream_t) {
  if (!inBounds(dst, count, "cudaMemcpyAsync destination") ||
      !inBounds(src, count, "cudaMemcpyAsync source"))
    return cudaErrorInvalidValue;
  std::memmove(dst, src, count);
  return cudaSuccess;
}

cudaError_t cudaGetDeviceCount(int *count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  return device == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
  if (device != 0)
    return cudaErrorInvalidDevice;
  std::memset(prop, 0, sizeof(*prop));
  std::strncpy(prop->name, "Kestrel CUDA emulator", sizeof(prop->name) - 1);
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 4;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->sharedMemPerBlock = 48 << 10;
  prop->sharedMemPerBlockOptin = 227 << 10;
  prop->totalGlobalMem = size_t(1) << 34;
  return cudaSuccess;
}
const char *cudaGetErrorName(cudaError_t error) {
  switch (error) {
  case cudaSuccess:
    return "cudaSuccess";
  case cudaErrorIllegalAddress:
    return "cudaErrorIllegalAddress";
  case cudaErrorLaunchFailure:
    return "cudaErrorLaunchFailure";
  case cudaErrorInvalidValue:
    return "cudaErrorInvalidValue";
  case cudaErrorMemoryAllocation:
    return "cudaErrorMemoryAllocation";
  case cudaErrorInvalidDevice:
    return "cudaErrorInvalidDevice";
  case cudaErrorStreamCaptureUnsupported:
    return "cudaErrorStreamCaptureUnsupported";
  default:
    return "cudaErrorEmulated";
  }
}
cudaError_t cudaMalloc(void **ptr, size_t size) {
  *ptr = kestrel::emu::deviceAlloc(size);
  return *ptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFree(void *ptr) {
  return !ptr || kestrel::emu::deviceFree(ptr) ? cudaSuccess
                                               : cudaErrorInvalidValue;
}
// The emulator runs every launch to completion: stream order is program
// order.
cudaError_t cudaMallocAsync(void **ptr, size_t size, cudaStream_t) {
  return cudaMalloc(ptr, size);
}
cudaError_t cudaFreeAsync(void *ptr, cudaStream_t) { return cudaFree(ptr); }
cudaError_t cudaMallocHost(void **ptr, size_t size) {
  return cudaMalloc(ptr, size);
}
cudaError_t cudaFreeHost(void *ptr) { return cudaFree(ptr); }
cudaError_t cudaMemcpy(void *dst, const void *src, size_t count,
                       enum cudaMemcpyKind) {
  if (cudaError_t status = syncStatus())
    return status;
  if (!inBounds(dst, count, "cudaMemcpy destination") ||
      !inBounds(src, count, "cudaMemcpy source"))
    return cudaErrorInvalidValue;
  std::memmove(dst, src, count);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *ptr, int value, size_t count, cudaStream_t) {
  if (!inBounds(ptr, count, "cudaMemsetAsync"))
    return cudaErrorInvalidValue;
  std::memset(ptr, value, count);
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned int) {
  static int token;
  *stream = reinterpret_cast<cudaStream_t>(&token);
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return syncStatus(); }
cudaError_t cudaStreamBeginCapture(cudaStream_t, enum cudaStreamCaptureMode) {
  return cudaErrorStreamCaptureUnsupported;
}
cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *graph) {
  *graph = nullptr;
  return cudaErrorStreamCaptureUnsupported;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *, cudaGraph_t,
                                 unsigned long long) {
  return cudaErrorStreamCaptureUnsupported;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t, cudaStream_t) {
  return cudaErrorStreamCaptureUnsupported;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t) { return cudaSuccess; }
cudaError_t cudaGraphDestroy(cudaGraph_t) { return cudaSuccess; }

} // extern "C"
