//===- BufferPlan.cpp - Where every value of a function lives -------------===//

#include "passes/BufferPlan.h"

#include "dialects/kestrel/IR/KestrelOps.h"
#include "runtime/ArenaPlanner.h"

#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <limits>

using namespace mlir;

namespace kestrel {

const char *storageName(ValueStorage storage) {
  switch (storage) {
  case ValueStorage::Input:
    return "input";
  case ValueStorage::Weight:
    return "weight";
  case ValueStorage::Constant:
    return "constant";
  case ValueStorage::Host:
    return "host";
  case ValueStorage::Arena:
    return "arena";
  case ValueStorage::Output:
    return "output";
  case ValueStorage::Alias:
    return "alias";
  }
  return "?";
}

int64_t staticTensorBytes(RankedTensorType type) {
  if (!type.getElementType().isIntOrFloat() || !type.hasStaticShape())
    return -1;
  int64_t bits = type.getElementTypeBitWidth();
  int64_t bytes = bits == 1 ? 1 : bits / 8;
  for (int64_t d : type.getShape())
    if (__builtin_mul_overflow(bytes, d, &bytes))
      return -2;
  return bytes;
}

/// Operands whose values (not just shapes) decide result shapes.
static SmallVector<Value> shapeOperands(Operation *op) {
  if (auto reshape = dyn_cast<ReshapeOp>(op))
    return reshape.getShape() ? SmallVector<Value>{reshape.getShape()}
                              : SmallVector<Value>{};
  if (auto expand = dyn_cast<ExpandOp>(op))
    return expand.getShape() ? SmallVector<Value>{expand.getShape()}
                             : SmallVector<Value>{};
  if (auto slice = dyn_cast<DynamicSliceOp>(op))
    return {slice.getStarts(), slice.getEnds(), slice.getSteps()};
  if (auto range = dyn_cast<RangeOp>(op))
    return {range.getStart(), range.getLimit(), range.getDelta()};
  return {};
}

/// A NonZero that `execute` runs (not one computed with the shapes): what
/// reads its result waits for the next stage.
static bool endsStage(Operation *op, const llvm::SetVector<Operation *> &host) {
  return isa<NonZeroOp>(op) && !host.contains(op);
}

/// Numbers the values, decides their storage and lifetimes; no offsets.
static FailureOr<BufferPlan> analyzeBuffers(func::FuncOp func) {
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return func.emitOpError("needs a body of one block to plan buffers");
  Block &body = func.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return func.emitOpError("must end in func.return to plan buffers");

  BufferPlan plan;
  Value oversized; // the first value whose static size overflows int64
  auto add = [&](Value v, ValueStorage storage, int64_t index) -> bool {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type)
      return false;
    ValuePlan p;
    p.value = v;
    p.storage = storage;
    p.index = index;
    if (type.hasStaticShape() && type.getElementType().isIntOrFloat()) {
      p.bytes = staticTensorBytes(type);
      if (p.bytes == -2 && !oversized)
        oversized = v;
    }
    plan.ids[v] = plan.values.size();
    plan.values.push_back(p);
    return true;
  };
  for (BlockArgument arg : body.getArguments())
    if (!add(arg, ValueStorage::Input, arg.getArgNumber()))
      return func.emitOpError("argument ")
             << arg.getArgNumber() << " is not a ranked tensor";

  // Host ops: the backward closure of the shape operands, not through
  // shape_of (which needs its operand's shape only).
  llvm::SetVector<Operation *> host;
  SmallVector<Value> worklist;
  for (Operation &op : body)
    llvm::append_range(worklist, shapeOperands(&op));
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || isa<ConstantOp, WeightOp>(def) || !host.insert(def))
      continue;
    if (!isa<ShapeOfOp>(def))
      llvm::append_range(worklist, def->getOperands());
  }

  DenseMap<Value, int64_t> returned;
  for (auto [i, v] : llvm::enumerate(ret.getOperands()))
    returned.try_emplace(v, i);

  // Stages: an op runs in the first stage in which every value it reads is
  // known. The length of a value a NonZero run by `execute` writes is known
  // only once its stage has run, so its readers go to the next stage (and
  // so does the end of the run: the runtime reads the final shapes there).
  for (Operation &op : body.without_terminator()) {
    int64_t stage = 0;
    for (Value operand : op.getOperands())
      if (Operation *def = operand.getDefiningOp())
        stage = std::max(stage, plan.stages.lookup(def) +
                                    (endsStage(def, host) ? 1 : 0));
    plan.stages[&op] = stage;
    plan.numStages =
        std::max(plan.numStages, stage + 1 + (endsStage(&op, host) ? 1 : 0));
  }

  // Positions in the order the ops run: stage by stage, in program order
  // within a stage.
  DenseMap<Operation *, int64_t> position;
  {
    SmallVector<Operation *> order;
    for (Operation &op : body.without_terminator())
      order.push_back(&op);
    std::stable_sort(order.begin(), order.end(),
                     [&](Operation *a, Operation *b) {
                       return plan.stages.lookup(a) < plan.stages.lookup(b);
                     });
    for (auto [i, op] : llvm::enumerate(order))
      position[op] = i;
    // The terminator reads the results after every stage.
    position[ret] = int64_t(order.size());
  }

  for (Operation &op : body.without_terminator()) {
    for (Value result : op.getResults()) {
      ValueStorage storage = ValueStorage::Arena;
      int64_t index = -1;
      if (isa<ConstantOp>(op)) {
        storage = ValueStorage::Constant;
      } else if (isa<WeightOp>(op)) {
        storage = ValueStorage::Weight;
      } else if (host.contains(&op)) {
        storage = ValueStorage::Host;
      } else if (auto it = returned.find(result); it != returned.end()) {
        storage = ValueStorage::Output;
        index = it->second;
      } else if (isa<ReshapeOp>(op)) {
        storage = ValueStorage::Alias;
        const ValuePlan &source = plan.of(op.getOperand(0));
        index = source.storage == ValueStorage::Alias
                    ? source.index
                    : plan.id(op.getOperand(0));
      }
      if (!add(result, storage, index))
        return op.emitOpError("result is not a ranked tensor");
      ValuePlan &p = plan.values.back();
      p.first = p.last = position[&op];
      p.stage = plan.stages.lookup(&op);
    }
  }

  if (oversized)
    return emitError(oversized.getLoc())
           << "a value of type " << oversized.getType()
           << " holds more than 2^63 bytes";

  // Lifetimes: every use of a value or of an alias of it.
  for (Operation &op : body) {
    for (Value operand : op.getOperands()) {
      auto it = plan.ids.find(operand);
      if (it == plan.ids.end())
        continue;
      ValuePlan *p = &plan.values[it->second];
      if (p->storage == ValueStorage::Alias)
        p = &plan.values[p->index];
      p->last = std::max(p->last, position[&op]);
    }
  }

  // Later stages are placed when they start, from shapes known only then.
  plan.isStatic = plan.numStages == 1;
  for (const ValuePlan &p : plan.values) {
    if (p.storage != ValueStorage::Arena)
      continue;
    ++plan.numArena;
    if (p.bytes < 0)
      plan.isStatic = false;
    else if (p.bytes > std::numeric_limits<int64_t>::max() -
                           runtime::kArenaAlignment ||
             __builtin_add_overflow(plan.intermediateBytes,
                                    runtime::alignArena(p.bytes),
                                    &plan.intermediateBytes))
      return func.emitOpError("intermediate values of more than 2^63 bytes");
  }
  if (!plan.isStatic)
    plan.intermediateBytes = 0;
  return plan;
}

FailureOr<BufferPlan> planBuffers(func::FuncOp func) {
  FailureOr<BufferPlan> analyzed = analyzeBuffers(func);
  if (failed(analyzed) || !analyzed->isStatic)
    return analyzed;
  BufferPlan &plan = *analyzed;
  std::vector<runtime::ArenaBuffer> buffers;
  std::vector<int64_t> arenaIds;
  for (auto [i, p] : llvm::enumerate(plan.values)) {
    if (p.storage != ValueStorage::Arena)
      continue;
    buffers.push_back({p.bytes, p.first, p.last});
    arenaIds.push_back(i);
  }
  plan.arenaBytes = runtime::planArena(buffers);
  for (auto [k, id] : llvm::enumerate(arenaIds))
    plan.values[id].offset = buffers[k].offset;
  return plan;
}

FailureOr<BufferPlan> readBufferPlan(func::FuncOp func) {
  FailureOr<BufferPlan> analyzed = analyzeBuffers(func);
  if (failed(analyzed))
    return failure();
  BufferPlan &plan = *analyzed;
  auto planning = func->getAttrOfType<StringAttr>(kArenaPlanningAttr);
  auto arenaBytes = func->getAttrOfType<IntegerAttr>(kArenaBytesAttr);
  if (!plan.isStatic) {
    if (!planning || planning.getValue() != "runtime")
      return func.emitOpError("has intermediates of dynamic shape but no ")
             << kArenaPlanningAttr
             << " = \"runtime\" (run kestrel-plan-memory before codegen)";
    return plan;
  }
  if (!arenaBytes)
    return func.emitOpError("has no ")
           << kArenaBytesAttr << " (run kestrel-plan-memory before codegen)";
  plan.arenaBytes = arenaBytes.getInt();
  if (plan.arenaBytes < 0)
    return func.emitOpError() << kArenaBytesAttr << " is negative";

  // Every arena value's offset from its op, inside the arena.
  std::vector<int64_t> arenaIds;
  for (Operation &op : func.getBody().front().without_terminator()) {
    bool inArena = llvm::any_of(op.getResults(), [&](Value r) {
      return plan.of(r).storage == ValueStorage::Arena;
    });
    auto offsets = op.getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
    if (!inArena) {
      if (offsets)
        return op.emitOpError("has ")
               << kArenaOffsetsAttr << " but no result in the arena";
      continue;
    }
    if (!offsets || offsets.size() != int64_t(op.getNumResults()))
      return op.emitOpError("needs ")
             << kArenaOffsetsAttr << " with one offset per result ("
             << op.getNumResults() << ")";
    for (auto [result, offset] :
         llvm::zip(op.getResults(), offsets.asArrayRef())) {
      ValuePlan &p = plan.values[plan.id(result)];
      if (p.storage != ValueStorage::Arena)
        continue;
      if (offset < 0 || offset % runtime::kArenaAlignment ||
          offset > plan.arenaBytes - p.bytes)
        return op.emitOpError("result #")
               << cast<OpResult>(result).getResultNumber() << " at offset "
               << offset << " is not a " << runtime::kArenaAlignment
               << "-byte aligned place for " << p.bytes
               << " bytes in an arena of " << plan.arenaBytes;
      p.offset = offset;
      if (p.bytes > 0) // an empty tensor occupies nothing
        arenaIds.push_back(plan.id(result));
    }
  }
  // Values live at the same time may not share bytes.
  std::sort(arenaIds.begin(), arenaIds.end(), [&](int64_t a, int64_t b) {
    return plan.values[a].offset < plan.values[b].offset;
  });
  for (size_t i = 0; i < arenaIds.size(); ++i) {
    const ValuePlan &a = plan.values[arenaIds[i]];
    for (size_t j = i + 1; j < arenaIds.size(); ++j) {
      const ValuePlan &b = plan.values[arenaIds[j]];
      if (b.offset >= a.offset + a.bytes)
        break;
      if (a.first <= b.last && b.first <= a.last)
        return b.value.getDefiningOp()->emitOpError("result #")
               << cast<OpResult>(b.value).getResultNumber()
               << " overlaps a value live at the same time in the arena "
                  "(offsets "
               << a.offset << " and " << b.offset << ")";
    }
  }
  return plan;
}

} // namespace kestrel
