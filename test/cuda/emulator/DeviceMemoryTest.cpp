//===- DeviceMemoryTest.cpp - Out-of-bounds global accesses are reported --===//
//
// The emulator's device memory (DeviceMemory.h) under checking mode, with
// test kernels that read or write one element at a chosen index: in
// bounds nothing is reported; one past the end, far past it, or before
// the start beyond the first page's slack, the report names the access,
// the allocation's size, the distance and the kernel, block and thread;
// the guard page opened for the rest of a launch is closed again for the
// next; the next synchronizing runtime call returns the finding as
// cudaErrorIllegalAddress with it as the error string (how a model run
// fails). Host copies past an allocation are refused and reported, and
// outside checking mode allocations are 256-byte aligned, like
// cudaMalloc's.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Launch.cuh"

#include "test/cuda/emulator/Harness.h"

#include <cuda_runtime.h>

namespace {

__global__ void readAt(const float *p, int64_t index, float *out) {
  if (threadIdx.x == 5)
    out[blockIdx.x] = p[index];
}

__global__ void writeAt(float *p, int64_t index) {
  if (threadIdx.x == 7)
    p[index] = 1.0f;
}

/// The diagnostics recorded so far, then forgotten (synced too): they are
/// this suite's expectations, not failures.
std::vector<std::string> takeDiagnostics() {
  std::vector<std::string> found = emu::diagnostics();
  emu::unsyncedDiagnostics();
  emu::clearDiagnostics();
  return found;
}

bool contains(const std::vector<std::string> &all, const std::string &text) {
  for (const std::string &s : all)
    if (s.find(text) != std::string::npos)
      return true;
  return false;
}

std::string joined(const std::vector<std::string> &all) {
  std::string text;
  for (const std::string &s : all)
    text += "\n    " + s;
  return all.empty() ? "(nothing)" : text;
}

void testKernelAccesses() {
  float *p = nullptr, *out = nullptr;
  EXPECT(cudaMalloc(reinterpret_cast<void **>(&p), 100) == cudaSuccess &&
             cudaMalloc(reinterpret_cast<void **>(&out), 8) == cudaSuccess,
         "cudaMalloc");
  EXPECT((reinterpret_cast<uintptr_t>(p) + 100) % 4096 == 0,
         "checking mode: the allocation ends at its guard page");

  KESTREL_LAUNCH(2, 32, 0, 0, readAt)(p, 24, out);
  std::vector<std::string> d = takeDiagnostics();
  EXPECT(d.empty(), "in bounds: %s", joined(d).c_str());
  EXPECT(cudaStreamSynchronize(0) == cudaSuccess, "in bounds: synchronize");

  // One past the end, read by thread 5 of both blocks: one report for the
  // launch (the guard page stays open until it ends).
  KESTREL_LAUNCH(2, 32, 0, 0, readAt)(p, 25, out);
  const cudaError_t status = cudaStreamSynchronize(0);
  const std::string expected =
      "out-of-bounds global memory: read at byte 100 of a 100-byte "
      "allocation (0 bytes past its end";
  EXPECT(status == cudaErrorIllegalAddress &&
             std::string(cudaGetErrorString(status)).find(expected) !=
                 std::string::npos,
         "one past the end: synchronize returned %s (%s)",
         cudaGetErrorName(status), cudaGetErrorString(status));
  d = takeDiagnostics();
  EXPECT(d.size() == 1 && contains(d, expected) &&
             contains(d, "(kernel readAt, block (0,0,0), thread (5,0,0))"),
         "one past the end: %s", joined(d).c_str());

  // The page is closed again for the next launch.
  KESTREL_LAUNCH(1, 32, 0, 0, readAt)(p, 25, out);
  d = takeDiagnostics();
  EXPECT(d.size() == 1 && contains(d, expected), "one past the end, again: %s",
         joined(d).c_str());

  // Far past the end (inside the 64 KiB guard).
  KESTREL_LAUNCH(1, 32, 0, 0, writeAt)(p, 25 + 5000);
  d = takeDiagnostics();
  EXPECT(d.size() == 1 &&
             contains(d, "write at byte 20100 of a 100-byte allocation (20000 "
                         "bytes past its end") &&
             contains(d, "thread (7,0,0)"),
         "far past the end: %s", joined(d).c_str());

  // Before the start: the first page's slack (4096 - 100 bytes) is not
  // guarded; past it, the leading guard is.
  KESTREL_LAUNCH(1, 32, 0, 0, writeAt)(p, -1000);
  d = takeDiagnostics();
  EXPECT(d.size() == 1 &&
             contains(d, "write at byte -4000 of a 100-byte allocation (4000 "
                         "bytes before its start"),
         "before the start: %s", joined(d).c_str());
  emu::unsyncedDiagnostics();

  // Host copies are checked against the allocation, not faulted.
  std::vector<float> host(26, 1.0f);
  EXPECT(cudaMemcpy(p, host.data(), 104, cudaMemcpyHostToDevice) ==
             cudaErrorInvalidValue,
         "a copy past the end is refused");
  d = takeDiagnostics();
  EXPECT(d.size() == 1 &&
             contains(d, "cudaMemcpy destination: 104 bytes from byte 0 of a "
                         "100-byte allocation (4 bytes past its end"),
         "a copy past the end: %s", joined(d).c_str());
  EXPECT(cudaMemcpyAsync(host.data(), p + 20, 24, cudaMemcpyDeviceToHost, 0) ==
             cudaErrorInvalidValue,
         "a copy from past the end is refused");
  d = takeDiagnostics();
  EXPECT(d.size() == 1 && contains(d, "cudaMemcpyAsync source: 24 bytes from "
                                      "byte 80 of a 100-byte allocation"),
         "a copy from past the end: %s", joined(d).c_str());
  EXPECT(cudaMemcpy(p, host.data(), 100, cudaMemcpyHostToDevice) == cudaSuccess,
         "a copy of the whole allocation");

  EXPECT(cudaFree(p + 1) == cudaErrorInvalidValue,
         "cudaFree of a pointer cudaMalloc did not return");
  EXPECT(cudaFree(p) == cudaSuccess && cudaFree(out) == cudaSuccess &&
             cudaFree(nullptr) == cudaSuccess,
         "cudaFree");
}

void runDeviceMemoryTests() {
  // Diagnostics from before are failures as usual; the ones this suite
  // provokes are its expectations.
  const bool wasChecking = emu::checking();
  emu::setChecking(true);
  for (const std::string &diag : emu::diagnostics()) {
    std::printf("FAIL emulator check: %s\n", diag.c_str());
    ++failures;
  }
  emu::unsyncedDiagnostics();
  emu::clearDiagnostics();
  testKernelAccesses();
  emu::setChecking(false);
  void *p = nullptr;
  EXPECT(cudaMalloc(&p, 100) == cudaSuccess &&
             reinterpret_cast<uintptr_t>(p) % 256 == 0,
         "outside checking mode, allocations are 256-byte aligned");
  cudaFree(p);
  emu::setChecking(wasChecking);
}

RegisterSuite registered("device-memory", 75, runDeviceMemoryTests);

} // namespace
