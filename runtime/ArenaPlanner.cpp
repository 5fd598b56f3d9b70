//===- ArenaPlanner.cpp - Offsets for buffers with lifetimes --------------===//

#include "runtime/ArenaPlanner.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace kestrel::runtime {

int64_t planArena(std::vector<ArenaBuffer> &buffers) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first, then by first use, then by index: a total order, so
  // std::sort gives the one placement (libstdc++ 12's std::stable_sort
  // trips clang's deprecation warning on get_temporary_buffer).
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].bytes != buffers[b].bytes)
      return buffers[a].bytes > buffers[b].bytes;
    if (buffers[a].first != buffers[b].first)
      return buffers[a].first < buffers[b].first;
    return a < b;
  });
  int64_t arena = 0;
  std::vector<size_t> placed;
  std::vector<std::pair<int64_t, int64_t>> busy;
  for (size_t i : order) {
    ArenaBuffer &buf = buffers[i];
    // Occupied ranges of placed buffers alive at the same time, by offset.
    busy.clear();
    for (size_t j : placed) {
      const ArenaBuffer &other = buffers[j];
      if (other.first <= buf.last && buf.first <= other.last)
        busy.push_back({other.offset, other.offset + other.bytes});
    }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + buf.bytes <= begin)
        break;
      offset = std::max(offset, alignArena(end));
    }
    buf.offset = offset;
    arena = std::max(arena, offset + buf.bytes);
    placed.push_back(i);
  }
  return alignArena(arena);
}

} // namespace kestrel::runtime
