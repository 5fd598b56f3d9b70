//===- FuseParallelMatmuls.cpp - Matmuls of one input into one GEMM -------===//
//
// Implements kestrel-fuse-parallel-matmuls: float matmuls that read the same
// lhs and whose rhs are weights (attention's Q, K and V projections; an
// MLP's gate and up projections) become one `kestrel.multi_matmul`, one
// GEMM over the weights side by side, so the input is read once and one
// kernel runs where there were several:
//
//  - a gated pair, `mul(act(x · Wg [+ bg]), x · Wu [+ bu])` with act silu,
//    gelu or gelu_tanh (the epilogue pass has put act into the gate's
//    fused_matmul), becomes one multi_matmul with `glu`: SwiGLU/GeGLU in
//    the epilogue, the product of the two never written;
//  - the other matmuls of one lhs with the same epilogue (alpha,
//    activation, biases or none; no residual) become one multi_matmul with
//    a result per matmul.
//
// Runs after kestrel-fuse-matmul-epilogue (it reads the epilogues that pass
// forms) and before kestrel-fuse-elementwise (which would take the gated
// pair's mul).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/kestrel/IR/KestrelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "kestrel-fuse-parallel-matmuls"

namespace kestrel {
#define GEN_PASS_DEF_FUSEPARALLELMATMULS
#include "passes/Passes.h.inc"
} // namespace kestrel

using namespace mlir;
using namespace kestrel;

namespace {

/// A matmul the pass can merge: its lhs, a weight as rhs and its epilogue.
struct Candidate {
  Operation *op;
  Value lhs, weight, bias;
  bool transposeB;
  float alpha;
  StringRef activation;
};

/// Whether `v` is defined by an op without operands (a weight or a
/// constant), which may move up to wherever the merged op goes.
bool isMovableLeaf(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && isa<WeightOp, ConstantOp>(def);
}

std::optional<Candidate> asCandidate(Operation *op) {
  Candidate c{op, {}, {}, {}, false, 1.0f, "none"};
  if (auto m = dyn_cast<MatmulOp>(op)) {
    if (m.getTransposeA())
      return std::nullopt;
    c.lhs = m.getLhs();
    c.weight = m.getRhs();
    c.transposeB = m.getTransposeB();
  } else if (auto f = dyn_cast<FusedMatmulOp>(op)) {
    if (f.getTransposeA() || f.getResidual())
      return std::nullopt;
    c.lhs = f.getLhs();
    c.weight = f.getRhs();
    c.bias = f.getBias();
    c.transposeB = f.getTransposeB();
    c.alpha = f.getAlpha().convertToFloat();
    c.activation = f.getActivation();
  } else {
    return std::nullopt;
  }
  auto lhsType = cast<RankedTensorType>(c.lhs.getType());
  auto wType = cast<RankedTensorType>(c.weight.getType());
  if (!isa<FloatType>(lhsType.getElementType()) || wType.getRank() != 2 ||
      !isa_and_present<WeightOp>(c.weight.getDefiningOp()) ||
      (c.bias && !isMovableLeaf(c.bias)))
    return std::nullopt;
  return c;
}

struct FuseParallelMatmulsPass
    : public kestrel::impl::FuseParallelMatmulsBase<FuseParallelMatmulsPass> {
  using FuseParallelMatmulsBase::FuseParallelMatmulsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Candidates by lhs, in program order.
    llvm::MapVector<Value, SmallVector<Candidate>> byLhs;
    func.walk([&](Operation *op) {
      if (std::optional<Candidate> c = asCandidate(op))
        byLhs[c->lhs].push_back(*c);
    });
    for (auto &[lhs, group] : byLhs) {
      if (group.size() < 2)
        continue;
      SmallVector<Candidate> rest = fuseGatedPairs(group);
      fuseSplits(rest);
    }
  }

  /// Moves the weight and bias ops of `members` before `at` where they come
  /// after it, so that an op built at `at` can read them.
  static void hoistLeaves(ArrayRef<Candidate> members, Operation *at) {
    for (const Candidate &c : members)
      for (Value v : {c.weight, c.bias})
        if (v && !v.getDefiningOp()->isBeforeInBlock(at))
          v.getDefiningOp()->moveBefore(at);
  }

  /// The earliest op of `members` (they share a block: they read one lhs
  /// and live in a single-block function).
  static Operation *earliest(ArrayRef<Candidate> members) {
    Operation *first = members.front().op;
    for (const Candidate &c : members)
      if (c.op->isBeforeInBlock(first))
        first = c.op;
    return first;
  }

  /// `mul(act(x·Wg), x·Wu)` into a glu multi_matmul; returns the candidates
  /// not taken.
  SmallVector<Candidate> fuseGatedPairs(ArrayRef<Candidate> group) {
    SmallVector<Candidate> rest(group.begin(), group.end());
    for (size_t g = 0; g < rest.size(); ++g) {
      const Candidate gate = rest[g];
      if (gate.activation != "silu" && gate.activation != "gelu" &&
          gate.activation != "gelu_tanh")
        continue;
      Value gated = gate.op->getResult(0);
      auto mul = gated.hasOneUse() ? dyn_cast<MulOp>(*gated.getUsers().begin())
                                   : nullptr;
      if (!mul || mul.getLhs() == mul.getRhs() ||
          mul.getType() != gated.getType())
        continue;
      Value other = mul.getLhs() == gated ? mul.getRhs() : mul.getLhs();
      auto upIt = llvm::find_if(rest, [&](const Candidate &c) {
        return c.op->getResult(0) == other;
      });
      if (upIt == rest.end())
        continue;
      const Candidate up = *upIt;
      if (up.activation != "none" || up.alpha != gate.alpha ||
          up.transposeB != gate.transposeB || !other.hasOneUse() ||
          other.getType() != gated.getType() ||
          bool(up.bias) != bool(gate.bias))
        continue;
      Candidate pair[2] = {gate, up};
      Operation *at = earliest(pair);
      hoistLeaves(pair, at);
      OpBuilder builder(at);
      Location loc = builder.getFusedLoc(
          {gate.op->getLoc(), up.op->getLoc(), mul.getLoc()});
      SmallVector<Value> biases;
      if (gate.bias)
        biases = {gate.bias, up.bias};
      // (The lhs as the op reads it now: an earlier merge may have replaced
      // the value the candidate was collected with.)
      auto fused = MultiMatmulOp::create(
          builder, loc, TypeRange{mul.getType()}, gate.op->getOperand(0),
          ValueRange{gate.weight, up.weight}, biases,
          builder.getBoolAttr(gate.transposeB),
          builder.getF32FloatAttr(gate.alpha),
          builder.getStringAttr(gate.activation), builder.getBoolAttr(true));
      if (report)
        fused->emitRemark("gate and up matmuls fused into one GEMM with a ")
            << (gate.activation == "silu" ? "SwiGLU" : "GeGLU") << " epilogue";
      mul.replaceAllUsesWith(fused.getResult(0));
      mul.erase();
      gate.op->erase();
      up.op->erase();
      ++numFused;
      // Drop both from `rest` (the larger index first).
      size_t u = size_t(upIt - rest.begin());
      rest.erase(rest.begin() + std::max(g, u));
      rest.erase(rest.begin() + std::min(g, u));
      g = size_t(-1); // restart: the indices moved
    }
    return rest;
  }

  /// The candidates with one epilogue into one multi_matmul per epilogue.
  void fuseSplits(ArrayRef<Candidate> group) {
    SmallVector<bool> taken(group.size(), false);
    for (size_t i = 0; i < group.size(); ++i) {
      if (taken[i])
        continue;
      const Candidate &head = group[i];
      SmallVector<Candidate> members{head};
      for (size_t j = i + 1; j < group.size(); ++j) {
        const Candidate &c = group[j];
        if (!taken[j] && c.transposeB == head.transposeB &&
            c.alpha == head.alpha && c.activation == head.activation &&
            bool(c.bias) == bool(head.bias)) {
          members.push_back(c);
          taken[j] = true;
        }
      }
      if (members.size() < 2)
        continue;
      Operation *at = earliest(members);
      hoistLeaves(members, at);
      OpBuilder builder(at);
      SmallVector<Location> locs;
      SmallVector<Value> weights, biases;
      SmallVector<Type> types;
      for (const Candidate &c : members) {
        locs.push_back(c.op->getLoc());
        weights.push_back(c.weight);
        if (c.bias)
          biases.push_back(c.bias);
        types.push_back(c.op->getResult(0).getType());
      }
      auto fused = MultiMatmulOp::create(
          builder, builder.getFusedLoc(locs), types, head.op->getOperand(0),
          weights, biases, builder.getBoolAttr(head.transposeB),
          builder.getF32FloatAttr(head.alpha),
          builder.getStringAttr(head.activation), builder.getBoolAttr(false));
      if (report)
        fused->emitRemark()
            << members.size() << " matmuls of one input fused into one GEMM";
      for (auto [k, c] : llvm::enumerate(members)) {
        c.op->getResult(0).replaceAllUsesWith(fused.getResult(k));
        c.op->erase();
      }
      ++numFused;
    }
  }
};

} // namespace
