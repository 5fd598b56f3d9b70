//===- PlanMemory.cpp - Liveness-based arena planning ---------------------===//
//
// Implements kestrel-plan-memory: lifetimes from op order, then greedy
// placement of the largest intermediates first at the lowest free offset
// among those alive at the same time.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-plan-memory"

namespace kestrel {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

constexpr int64_t kAlignment = 64;

/// One intermediate tensor: bytes and the op indices it is live over.
struct Buffer {
  Value value;
  int64_t bytes;
  int64_t first, last;
  int64_t offset = -1;
};

/// Bytes of a static tensor (i1 as one byte per element, like the runtime).
int64_t tensorBytes(RankedTensorType type) {
  int64_t bits = type.getElementTypeBitWidth();
  int64_t bytes = bits == 1 ? 1 : bits / 8;
  return type.getNumElements() * bytes;
}

int64_t alignUp(int64_t v) {
  return (v + kAlignment - 1) / kAlignment * kAlignment;
}

/// Places `buffers` (sizes and lifetimes set) and returns the arena size.
int64_t placeBuffers(std::vector<Buffer> &buffers) {
  std::vector<size_t> order(buffers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  // Largest first; ties by earlier definition for a deterministic plan.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return buffers[a].bytes > buffers[b].bytes;
  });
  int64_t arena = 0;
  std::vector<size_t> placed;
  for (size_t i : order) {
    Buffer &buf = buffers[i];
    // Occupied ranges of placed buffers alive at the same time, by offset.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t j : placed) {
      const Buffer &other = buffers[j];
      if (other.first <= buf.last && buf.first <= other.last)
        busy.push_back({other.offset, other.offset + other.bytes});
    }
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + buf.bytes <= begin)
        break;
      offset = std::max(offset, alignUp(end));
    }
    buf.offset = offset;
    arena = std::max(arena, offset + buf.bytes);
    placed.push_back(i);
  }
  return alignUp(arena);
}

struct PlanMemoryPass : public kestrel::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("kestrel-plan-memory expects a single-block function");
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = i;
    int64_t end = body.getOperations().size();

    std::vector<Buffer> buffers;
    DenseMap<Operation *, SmallVector<size_t>> buffersOf;
    for (Operation &op : body) {
      if (!isa<KestrelDialect>(op.getDialect()) ||
          isa<ConstantOp, WeightOp>(op))
        continue;
      for (Value result : op.getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        if (!type)
          continue;
        if (!type.hasStaticShape()) {
          op.emitOpError("result type ")
              << type
              << " is dynamic; kestrel-plan-memory needs static shapes (fix "
                 "the input shapes, e.g. kestrelc --input-shape)";
          return signalPassFailure();
        }
        int64_t last = position[&op];
        for (Operation *user : result.getUsers()) {
          Operation *inBody = body.findAncestorOpInBlock(*user);
          last = std::max(last,
                          isa<func::ReturnOp>(inBody) ? end : position[inBody]);
        }
        buffersOf[&op].push_back(buffers.size());
        buffers.push_back({result, tensorBytes(type), position[&op], last});
      }
    }
    int64_t total = 0;
    for (const Buffer &b : buffers)
      total += alignUp(b.bytes);
    int64_t arena = placeBuffers(buffers);
    LLVM_DEBUG(llvm::dbgs()
               << func.getName() << ": " << buffers.size() << " intermediates, "
               << total << " bytes apart, " << arena << " bytes planned\n");

    Builder b(&getContext());
    for (auto &[op, indices] : buffersOf) {
      SmallVector<int64_t> offsets;
      for (size_t i : indices)
        offsets.push_back(buffers[i].offset);
      op->setAttr("kestrel.arena_offsets", b.getDenseI64ArrayAttr(offsets));
    }
    func->setAttr("kestrel.arena_bytes", b.getI64IntegerAttr(arena));
    func->setAttr("kestrel.intermediate_bytes", b.getI64IntegerAttr(total));
  }
};

} // namespace
