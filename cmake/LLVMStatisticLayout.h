//===- LLVMStatisticLayout.h - llvm::Statistic as libLLVM lays it out -----===//
//
// Force-included (-include) into every C++ file when LLVM was built without
// assertions, as Debian's is. llvm/ADT/Statistic.h picks llvm::Statistic's
// class from NDEBUG, so a file compiled without NDEBUG (build-asan's -O1
// flags, a Debug build) would see another layout than libLLVM/libMLIR: each
// pass's mlir::Pass::Statistic is built by libMLIR as the empty
// NoopStatistic and then updated inline as a TrackingStatistic, reading
// memory nobody initialized. Including the header once with NDEBUG fixes
// the library's layout; every assert, LLVM's inline ones included, stays on.
//
//===----------------------------------------------------------------------===//

#if defined(__cplusplus) && !defined(NDEBUG)
#define NDEBUG
#include "llvm/ADT/Statistic.h"
#undef NDEBUG
#include <cassert> // assert() again, for everything included after
#endif
