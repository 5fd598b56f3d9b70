//===- BufferPlan.cpp - Where every value of a function lives -------------===//

#include "passes/BufferPlan.h"

#include "dialects/kestrel/IR/KestrelOps.h"
#include "runtime/ArenaPlanner.h"

#include "llvm/ADT/SetVector.h"

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
  if (!type.getElementType().isIntOrFloat())
    return -1;
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * (bits == 1 ? 1 : bits / 8);
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

FailureOr<BufferPlan> planBuffers(func::FuncOp func) {
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return func.emitOpError("needs a body of one block to plan buffers");
  Block &body = func.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return func.emitOpError("must end in func.return to plan buffers");

  BufferPlan plan;
  auto add = [&](Value v, ValueStorage storage, int64_t index) -> bool {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type)
      return false;
    ValuePlan p;
    p.value = v;
    p.storage = storage;
    p.index = index;
    if (type.hasStaticShape() && type.getElementType().isIntOrFloat())
      p.bytes = staticTensorBytes(type);
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

  DenseMap<Operation *, int64_t> position;
  for (auto [i, op] : llvm::enumerate(body))
    position[&op] = i;

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
    }
  }

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

  std::vector<runtime::ArenaBuffer> buffers;
  std::vector<int64_t> arenaIds;
  plan.isStatic = true;
  for (auto [i, p] : llvm::enumerate(plan.values)) {
    if (p.storage != ValueStorage::Arena)
      continue;
    ++plan.numArena;
    if (p.bytes < 0) {
      plan.isStatic = false;
      continue;
    }
    buffers.push_back({p.bytes, p.first, p.last});
    arenaIds.push_back(i);
    plan.intermediateBytes += runtime::alignArena(p.bytes);
  }
  if (!plan.isStatic) {
    plan.intermediateBytes = 0;
    return plan;
  }
  plan.arenaBytes = runtime::planArena(buffers);
  for (auto [k, id] : llvm::enumerate(arenaIds))
    plan.values[id].offset = buffers[k].offset;
  return plan;
}

} // namespace kestrel
