//===- ArenaPlanner.h - Offsets for buffers with lifetimes ------*- C++ -*-===//
//
// The placement half of memory planning, shared by the compiler (static
// shapes, kestrel-plan-memory) and the runtime (re-planning when symbolic
// dims change): buffers with sizes and [first, last] op-index lifetimes get
// offsets in one arena so that buffers alive at the same time never overlap.
// No MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_ARENAPLANNER_H
#define KESTREL_RUNTIME_ARENAPLANNER_H

#include <cstdint>
#include <vector>

namespace kestrel::runtime {

constexpr int64_t kArenaAlignment = 64;

inline int64_t alignArena(int64_t bytes) {
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

struct ArenaBuffer {
  int64_t bytes = 0;
  int64_t first = 0; ///< index of the op that defines it
  int64_t last = 0;  ///< index of its last use (inclusive)
  int64_t offset = -1;
};

/// Places every buffer (largest first, ties by definition order) at the
/// lowest aligned offset free over its lifetime; returns the arena size
/// (aligned).
int64_t planArena(std::vector<ArenaBuffer> &buffers);

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_ARENAPLANNER_H
