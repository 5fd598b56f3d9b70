//===- CpuLevel.h - x86-64 microarchitecture levels of CPU code -*- C++ -*-===//
//
// The CPU code of a compiled model (its emitted C++ and the kernel library it
// links) is built for one x86-64 psABI microarchitecture level, chosen by
// `kestrelc --cpu=LEVEL`. The model records the level; the runtime checks at
// open that this CPU has every feature the level needs and refuses the model
// with a message otherwise, before any code built for the level runs.
//
// Plain C++ with no compiler-side dependency: the runtime (inside every
// emitted library, built for the baseline) and kestrelc both use it.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_CPULEVEL_H
#define KESTREL_RUNTIME_CPULEVEL_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::runtime {

/// The x86-64 psABI levels, in order; each includes the ones before it.
enum class CpuLevel : uint32_t {
  X86_64 = 1, ///< SSE2: every x86-64 processor
  V2 = 2,     ///< + SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B, LAHF
  V3 = 3,     ///< + AVX, AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE
  V4 = 4,     ///< + AVX512F, AVX512BW, AVX512CD, AVX512DQ, AVX512VL
};

inline constexpr CpuLevel kCpuLevels[] = {CpuLevel::X86_64, CpuLevel::V2,
                                          CpuLevel::V3, CpuLevel::V4};

/// "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4" (GCC's and Clang's
/// -march names); "unknown" for anything else.
const char *cpuLevelName(CpuLevel level);

/// The level named `name` (as cpuLevelName prints it).
std::optional<CpuLevel> parseCpuLevel(std::string_view name);

/// The features `level` adds to or needs beyond the baseline, as CPU
/// manuals name them ("AVX2", "AVX512BW", ...).
std::vector<const char *> cpuLevelFeatures(CpuLevel level);

/// The features of `level` (and of the levels below it) that this CPU or its
/// operating system lacks; empty when code built for `level` runs here.
/// AVX and AVX-512 count only when the OS saves their registers (XCR0).
std::vector<const char *> missingCpuFeatures(CpuLevel level);

/// The highest level this CPU runs.
CpuLevel hostCpuLevel();

/// This CPU's brand string ("Intel(R) Xeon(R) ..."), or its vendor.
std::string hostCpuName();

/// Empty when code built for `level` runs on this CPU; otherwise what a user
/// needs to hear: the level, the features this CPU lacks and the level to
/// recompile for. `model` names the model in the message.
std::string cpuLevelMismatch(CpuLevel level, const char *model);

/// cpuLevelMismatch for the runtime's open path: true when this CPU runs
/// `level`; otherwise false with the message in `message` (truncated to
/// `size`). It uses no templates or inline functions that the code built
/// for `level` could also define, so it runs correctly whatever copies the
/// linker kept.
bool checkCpuLevel(CpuLevel level, const char *model, char *message,
                   size_t size);

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_CPULEVEL_H
