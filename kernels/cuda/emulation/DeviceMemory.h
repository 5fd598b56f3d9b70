//===- DeviceMemory.h - Emulated device memory with guard pages -*- C++ -*-===//
//
// Device allocations of the CUDA emulator (cudaMalloc in RuntimeStubs.cpp,
// the tests' buffers): each is its own mapping with inaccessible guard
// pages on both sides, so the bounds of every allocation are known and an
// access past them faults.
//
// In checking mode (KESTREL_EMU_CHECK=1) an allocation ends exactly where
// its trailing guard begins, and a SIGSEGV handler (on an alternate stack)
// turns a fault in a guard page into an "out-of-bounds global memory"
// diagnostic naming the access (read or write), the allocation (size) and
// how far outside it the address lies, and the kernel, block and thread --
// then opens that guard page until the launch ends, so the kernel runs on
// and the diagnostic is reported like the race checker's. Outside
// checking mode an allocation starts 256-byte aligned as cudaMalloc's do
// (a guard page still stops an access more than the slack past its end).
//
// Thread safety: allocations are registered under a lock, from any
// thread; the fault handler reads the registry without it, so no thread
// may allocate or free while another runs a kernel.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_EMULATION_DEVICEMEMORY_H
#define KESTREL_KERNELS_CUDA_EMULATION_DEVICEMEMORY_H

#include <cstddef>
#include <cstdint>

namespace kestrel::emu {

/// Bytes of inaccessible address space on each side of an allocation: an
/// access that far outside it still faults in its own guard.
constexpr size_t kGuardBytes = size_t(64) << 10;

/// Allocates `bytes` of emulated device memory (see the file comment for
/// its placement); null when the mapping fails. In checking mode the bytes
/// start as 0xff, as uninitialized device memory holds garbage; otherwise
/// as zeros.
void *deviceAlloc(size_t bytes);
/// Frees what deviceAlloc returned; false (nothing freed) for any other
/// pointer.
bool deviceFree(void *p);

/// An allocation's usable bytes.
struct DeviceRange {
  uintptr_t begin = 0;
  size_t bytes = 0;
};
/// The allocation whose usable bytes contain `p`; false when none does.
bool findAllocation(const void *p, DeviceRange &out);

/// Whether [p, p + bytes) stays inside the allocation that contains p (true
/// when p is in none, e.g. host memory): host-side accesses to device
/// memory (cudaMemcpy, the cuBLASLt reference) check their extent here
/// instead of faulting. A violation is an out-of-bounds diagnostic (in
/// checking mode) naming `what`.
bool checkDeviceRange(const void *p, size_t bytes, const char *what);

/// Installs the guard-page fault handler (once per process) and an
/// alternate signal stack for the calling thread (once per thread).
void armFaultHandler();
/// Turns the guard-page faults recorded since the last call into one
/// diagnostic and makes the guard pages they opened inaccessible again:
/// called at the end of every launch and of host code that touches
/// device memory.
void settleFaults();

} // namespace kestrel::emu

#endif // KESTREL_KERNELS_CUDA_EMULATION_DEVICEMEMORY_H
