//===- DeviceMemory.cpp - Emulated device memory with guard pages ---------===//
//
// Every allocation is one anonymous mapping: kGuardBytes of PROT_NONE, the
// data pages, kGuardBytes of PROT_NONE. The registry (address -> mapping)
// is what the fault handler and the host-side range checks consult. A
// fault is recorded in a fixed table inside the handler (no allocation
// there) and reported by settleFaults.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/emulation/DeviceMemory.h"

#include "kernels/cuda/emulation/Emulator.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace kestrel::emu {
namespace {

struct Mapping {
  uintptr_t base = 0; ///< the mapping, guards included
  size_t length = 0;
  uintptr_t data = 0; ///< the usable bytes
  size_t bytes = 0;
};

/// A fault in a guard page, as the handler saw it.
struct Fault {
  uintptr_t address;
  int access; ///< 0 read, 1 write, -1 unknown
  Mapping mapping;
  char where[192];
};

constexpr int kMaxFaults = 16;
constexpr int kMaxOpenPages = 1024;

struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, Mapping> mappings; ///< by base
  size_t page = size_t(sysconf(_SC_PAGESIZE));
  // Written by the fault handler, read by settleFaults (same thread: the
  // faults are synchronous).
  Fault faults[kMaxFaults];
  int faultCount = 0, droppedFaults = 0;
  uintptr_t openPages[kMaxOpenPages];
  int openCount = 0;
  struct sigaction previous;
  bool armed = false;
};

Registry &registry() {
  static Registry *r = new Registry; // outlives static destructors
  return *r;
}

/// The mapping whose address range contains `address` (guards included).
const Mapping *mappingAt(Registry &r, uintptr_t address) {
  auto it = r.mappings.upper_bound(address);
  if (it == r.mappings.begin())
    return nullptr;
  --it;
  const Mapping &m = it->second;
  return address < m.base + m.length ? &m : nullptr;
}

/// The access that faulted: x86-64 reports a write in bit 1 of the page
/// fault error code.
int accessKind(void *context) {
#if defined(__x86_64__)
  auto *uc = static_cast<ucontext_t *>(context);
  return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
#else
  (void)context;
  return -1;
#endif
}

void writeStderr(const char *text) {
  ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

/// SIGSEGV: a fault in a guard page is recorded and its page opened, so the
/// access is retried and succeeds; any other fault goes to the previous
/// handler (by returning with it reinstated, the access faults again).
void onSegv(int, siginfo_t *info, void *context) {
  Registry &r = registry();
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  const Mapping *m = mappingAt(r, address);
  const bool inGuard = m && (address < m->base + kGuardBytes ||
                             address >= m->base + m->length - kGuardBytes);
  if (inGuard && r.openCount < kMaxOpenPages) {
    if (r.faultCount < kMaxFaults) {
      Fault &f = r.faults[r.faultCount++];
      f.address = address;
      f.access = accessKind(context);
      f.mapping = *m;
      describeRunningCode(f.where, sizeof(f.where));
    } else {
      ++r.droppedFaults;
    }
    uintptr_t page = address & ~uintptr_t(r.page - 1);
    if (mprotect(reinterpret_cast<void *>(page), r.page,
                 PROT_READ | PROT_WRITE) == 0) {
      r.openPages[r.openCount++] = page;
      return;
    }
  }
  char where[192];
  describeRunningCode(where, sizeof(where));
  char text[320];
  std::snprintf(text, sizeof(text),
                "kestrel emulator: segmentation fault at address 0x%" PRIxPTR
                " (%s)\n",
                address, where);
  writeStderr(text);
  sigaction(SIGSEGV, &r.previous, nullptr);
}

std::string describeFault(const Fault &f) {
  const Mapping &m = f.mapping;
  const char *access = f.access == 1   ? "write"
                       : f.access == 0 ? "read"
                                       : "access";
  char text[320];
  if (f.address >= m.data + m.bytes)
    std::snprintf(text, sizeof(text),
                  "%s at byte %" PRIuPTR " of a %zu-byte allocation (%" PRIuPTR
                  " bytes past its end, address 0x%" PRIxPTR
                  ", allocation at 0x%" PRIxPTR ")",
                  access, f.address - m.data, m.bytes,
                  f.address - (m.data + m.bytes), f.address, m.data);
  else
    std::snprintf(text, sizeof(text),
                  "%s at byte -%" PRIuPTR " of a %zu-byte allocation (%" PRIuPTR
                  " bytes before its start, address 0x%" PRIxPTR
                  ", allocation at 0x%" PRIxPTR ")",
                  access, m.data - f.address, m.bytes, m.data - f.address,
                  f.address, m.data);
  return text;
}

} // namespace

void *deviceAlloc(size_t bytes) {
  Registry &r = registry();
  const size_t dataLength =
      std::max<size_t>((bytes + r.page - 1) & ~(r.page - 1), r.page);
  const size_t length = dataLength + 2 * kGuardBytes;
  void *p = mmap(nullptr, length, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return nullptr;
  Mapping m;
  m.base = reinterpret_cast<uintptr_t>(p);
  m.length = length;
  const uintptr_t pages = m.base + kGuardBytes;
  if (mprotect(reinterpret_cast<void *>(pages), dataLength,
               PROT_READ | PROT_WRITE) != 0) {
    munmap(p, length);
    return nullptr;
  }
  const bool exact = checking();
  m.data = exact ? pages + dataLength - bytes : pages;
  m.bytes = bytes;
  if (exact) {
    armFaultHandler();
    std::memset(reinterpret_cast<void *>(m.data), 0xff, bytes);
  }
  std::lock_guard<std::mutex> lock(r.mutex);
  r.mappings[m.base] = m;
  return reinterpret_cast<void *>(m.data);
}

bool deviceFree(void *p) {
  Registry &r = registry();
  Mapping m;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    const Mapping *found = mappingAt(r, reinterpret_cast<uintptr_t>(p));
    if (!found || found->data != reinterpret_cast<uintptr_t>(p))
      return false;
    m = *found;
    r.mappings.erase(m.base);
  }
  munmap(reinterpret_cast<void *>(m.base), m.length);
  return true;
}

bool findAllocation(const void *p, DeviceRange &out) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  const Mapping *m = mappingAt(r, address);
  if (!m || address < m->data || address >= m->data + m->bytes)
    return false;
  out.begin = m->data;
  out.bytes = m->bytes;
  return true;
}

bool checkDeviceRange(const void *p, size_t bytes, const char *what) {
  DeviceRange range;
  if (bytes == 0 || !findAllocation(p, range))
    return true;
  const size_t offset = reinterpret_cast<uintptr_t>(p) - range.begin;
  if (offset + bytes <= range.bytes)
    return true;
  if (checking()) {
    char detail[256];
    std::snprintf(detail, sizeof(detail),
                  "%s: %zu bytes from byte %zu of a %zu-byte allocation (%zu "
                  "bytes past its end, allocation at 0x%" PRIxPTR ")",
                  what, bytes, offset, range.bytes,
                  offset + bytes - range.bytes, range.begin);
    char where[192];
    describeRunningCode(where, sizeof(where));
    recordDiagnostic("out-of-bounds global memory", detail, where);
  }
  return false;
}

void armFaultHandler() {
  Registry &r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (!r.armed) {
      struct sigaction action;
      std::memset(&action, 0, sizeof(action));
      action.sa_sigaction = onSegv;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset(&action.sa_mask);
      sigaction(SIGSEGV, &action, &r.previous);
      r.armed = true;
    }
  }
  // The handler may run while a fiber's stack is nearly full.
  thread_local bool stackSet = false;
  if (!stackSet) {
    stack_t stack;
    std::memset(&stack, 0, sizeof(stack));
    stack.ss_size = size_t(64) << 10;
    stack.ss_sp = new char[stack.ss_size]; // for the thread's lifetime
    sigaltstack(&stack, nullptr);
    stackSet = true;
  }
}

void settleFaults() {
  Registry &r = registry();
  if (r.faultCount == 0 && r.openCount == 0)
    return;
  if (r.faultCount > 0) {
    std::string detail = describeFault(r.faults[0]);
    const int more = r.faultCount - 1 + r.droppedFaults;
    if (more > 0)
      detail += " (and " + std::to_string(more) + " more in this launch)";
    recordDiagnostic("out-of-bounds global memory", detail, r.faults[0].where);
  }
  for (int i = 0; i < r.openCount; ++i)
    mprotect(reinterpret_cast<void *>(r.openPages[i]), r.page, PROT_NONE);
  r.faultCount = r.droppedFaults = r.openCount = 0;
}

} // namespace kestrel::emu
