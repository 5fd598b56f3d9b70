//===- CpuLevel.cpp - x86-64 microarchitecture levels of CPU code ---------===//
//
// Feature detection reads CPUID (and XGETBV for the OS's register state)
// directly rather than through __builtin_cpu_supports, whose feature names
// differ between compilers and versions. Built without -march flags, like
// the rest of the runtime: it must run on any x86-64 to say what it lacks.
//
//===----------------------------------------------------------------------===//

#include "runtime/CpuLevel.h"

#if !defined(__x86_64__)
#error "Kestrel's CPU backend targets x86-64"
#endif

#include <cpuid.h>

#include <cstdio>
#include <cstring>

namespace kestrel::runtime {
namespace {

enum class Reg { Eax, Ebx, Ecx, Edx };

/// Which OS-saved register state a feature also needs.
enum class State { None, Avx, Avx512 };

struct Feature {
  const char *name;
  CpuLevel level;
  unsigned leaf, subleaf;
  Reg reg;
  unsigned bit;
  State state;
};

// x86-64 psABI, "Micro-architecture levels"; bit positions from the Intel
// SDM's CPUID tables (AMD's agree).
constexpr Feature kFeatures[] = {
    {"CMOV", CpuLevel::X86_64, 1, 0, Reg::Edx, 15, State::None},
    {"CX8", CpuLevel::X86_64, 1, 0, Reg::Edx, 8, State::None},
    {"FXSR", CpuLevel::X86_64, 1, 0, Reg::Edx, 24, State::None},
    {"MMX", CpuLevel::X86_64, 1, 0, Reg::Edx, 23, State::None},
    {"SSE", CpuLevel::X86_64, 1, 0, Reg::Edx, 25, State::None},
    {"SSE2", CpuLevel::X86_64, 1, 0, Reg::Edx, 26, State::None},
    {"CMPXCHG16B", CpuLevel::V2, 1, 0, Reg::Ecx, 13, State::None},
    {"LAHF-SAHF", CpuLevel::V2, 0x80000001, 0, Reg::Ecx, 0, State::None},
    {"POPCNT", CpuLevel::V2, 1, 0, Reg::Ecx, 23, State::None},
    {"SSE3", CpuLevel::V2, 1, 0, Reg::Ecx, 0, State::None},
    {"SSE4_1", CpuLevel::V2, 1, 0, Reg::Ecx, 19, State::None},
    {"SSE4_2", CpuLevel::V2, 1, 0, Reg::Ecx, 20, State::None},
    {"SSSE3", CpuLevel::V2, 1, 0, Reg::Ecx, 9, State::None},
    {"AVX", CpuLevel::V3, 1, 0, Reg::Ecx, 28, State::Avx},
    {"AVX2", CpuLevel::V3, 7, 0, Reg::Ebx, 5, State::Avx},
    {"BMI1", CpuLevel::V3, 7, 0, Reg::Ebx, 3, State::None},
    {"BMI2", CpuLevel::V3, 7, 0, Reg::Ebx, 8, State::None},
    {"F16C", CpuLevel::V3, 1, 0, Reg::Ecx, 29, State::Avx},
    {"FMA", CpuLevel::V3, 1, 0, Reg::Ecx, 12, State::Avx},
    {"LZCNT", CpuLevel::V3, 0x80000001, 0, Reg::Ecx, 5, State::None},
    {"MOVBE", CpuLevel::V3, 1, 0, Reg::Ecx, 22, State::None},
    {"AVX512F", CpuLevel::V4, 7, 0, Reg::Ebx, 16, State::Avx512},
    {"AVX512BW", CpuLevel::V4, 7, 0, Reg::Ebx, 30, State::Avx512},
    {"AVX512CD", CpuLevel::V4, 7, 0, Reg::Ebx, 28, State::Avx512},
    {"AVX512DQ", CpuLevel::V4, 7, 0, Reg::Ebx, 17, State::Avx512},
    {"AVX512VL", CpuLevel::V4, 7, 0, Reg::Ebx, 31, State::Avx512},
};

/// One CPUID leaf's registers; all zero when the CPU does not have it.
struct Leaf {
  unsigned regs[4] = {0, 0, 0, 0};
  bool has(Reg reg, unsigned bit) const {
    return (regs[static_cast<int>(reg)] >> bit) & 1u;
  }
};

Leaf cpuid(unsigned leaf, unsigned subleaf) {
  Leaf l;
  // __get_cpuid_count checks the leaf against the highest one supported.
  if (!__get_cpuid_count(leaf, subleaf, &l.regs[0], &l.regs[1], &l.regs[2],
                         &l.regs[3]))
    return Leaf{};
  return l;
}

/// XCR0: which register state the OS saves on a context switch.
uint64_t xcr0() {
  if (!cpuid(1, 0).has(Reg::Ecx, 27)) // OSXSAVE: XGETBV is usable
    return 0;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

bool hasState(State state, uint64_t xcr) {
  switch (state) {
  case State::None:
    return true;
  case State::Avx: // SSE and AVX (YMM) state
    return (xcr & 0x6) == 0x6;
  case State::Avx512: // + opmask, ZMM0-15 upper halves, ZMM16-31
    return (xcr & 0xe6) == 0xe6;
  }
  return false;
}

bool hostHas(const Feature &f, uint64_t xcr) {
  return cpuid(f.leaf, f.subleaf).has(f.reg, f.bit) && hasState(f.state, xcr);
}

} // namespace

const char *cpuLevelName(CpuLevel level) {
  switch (level) {
  case CpuLevel::X86_64:
    return "x86-64";
  case CpuLevel::V2:
    return "x86-64-v2";
  case CpuLevel::V3:
    return "x86-64-v3";
  case CpuLevel::V4:
    return "x86-64-v4";
  }
  return "unknown";
}

std::optional<CpuLevel> parseCpuLevel(std::string_view name) {
  for (CpuLevel level : kCpuLevels)
    if (name == cpuLevelName(level))
      return level;
  return std::nullopt;
}

std::vector<const char *> cpuLevelFeatures(CpuLevel level) {
  std::vector<const char *> names;
  for (const Feature &f : kFeatures)
    if (f.level == level)
      names.push_back(f.name);
  return names;
}

namespace {

/// The features of `level` and below this CPU lacks, into `names` (at most
/// `capacity`); returns how many.
size_t missingFeatures(CpuLevel level, const char **names, size_t capacity) {
  uint64_t xcr = xcr0();
  size_t count = 0;
  for (const Feature &f : kFeatures)
    if (f.level <= level && !hostHas(f, xcr) && count < capacity)
      names[count++] = f.name;
  return count;
}

constexpr size_t kMaxFeatures = sizeof(kFeatures) / sizeof(kFeatures[0]);

CpuLevel hostLevel() {
  const char *names[kMaxFeatures];
  CpuLevel best = CpuLevel::X86_64;
  for (CpuLevel level : kCpuLevels)
    if (missingFeatures(level, names, kMaxFeatures) == 0)
      best = level;
  return best;
}

/// The brand string ("Intel(R) Xeon(R) ..."), else the vendor, into `out`.
void hostName(char (&out)[49]) {
  std::memset(out, 0, sizeof(out));
  if (cpuid(0x80000000, 0).regs[0] >= 0x80000004) {
    for (unsigned i = 0; i < 3; ++i) {
      Leaf l = cpuid(0x80000002 + i, 0);
      std::memcpy(out + 16 * i, l.regs, 16);
    }
    size_t first = 0, end = std::strlen(out);
    while (out[first] == ' ')
      ++first;
    while (end > first && out[end - 1] == ' ')
      --end;
    if (end > first) {
      std::memmove(out, out + first, end - first);
      out[end - first] = 0;
      return;
    }
  }
  Leaf vendor = cpuid(0, 0);
  std::memcpy(out, &vendor.regs[1], 4); // EBX, EDX, ECX
  std::memcpy(out + 4, &vendor.regs[3], 4);
  std::memcpy(out + 8, &vendor.regs[2], 4);
  out[12] = 0;
}

} // namespace

std::vector<const char *> missingCpuFeatures(CpuLevel level) {
  const char *names[kMaxFeatures];
  size_t count = missingFeatures(level, names, kMaxFeatures);
  return std::vector<const char *>(names, names + count);
}

CpuLevel hostCpuLevel() { return hostLevel(); }

std::string hostCpuName() {
  char name[49];
  hostName(name);
  return name;
}

bool checkCpuLevel(CpuLevel level, const char *model, char *message,
                   size_t size) {
  const char *missing[kMaxFeatures];
  size_t count = missingFeatures(level, missing, kMaxFeatures);
  if (count == 0)
    return true;
  char lacks[512] = {};
  size_t used = 0;
  for (size_t i = 0; i < count && used < sizeof(lacks); ++i) {
    int n = std::snprintf(lacks + used, sizeof(lacks) - used, "%s%s",
                          i ? ", " : "", missing[i]);
    if (n < 0)
      break;
    used += size_t(n);
  }
  char name[49];
  hostName(name);
  std::snprintf(message, size,
                "model '%s' was compiled for %s (kestrelc --cpu=%s); this CPU "
                "(%s) lacks %s: recompile it with --cpu=%s or lower",
                model ? model : "?", cpuLevelName(level), cpuLevelName(level),
                name, lacks, cpuLevelName(hostLevel()));
  return false;
}

std::string cpuLevelMismatch(CpuLevel level, const char *model) {
  char message[1024];
  return checkCpuLevel(level, model, message, sizeof(message)) ? "" : message;
}

} // namespace kestrel::runtime
