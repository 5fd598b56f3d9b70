//===- AttentionHelpers.h - Shared attention import pieces ------*- C++ -*-===//
//
// Head splitting/merging, causal masks and rotary embedding from cos/sin
// caches, shared by the ONNX (opset 23) and com.microsoft attention ops.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_FRONTENDS_ONNX_OPS_ATTENTIONHELPERS_H
#define KESTREL_FRONTENDS_ONNX_OPS_ATTENTIONHELPERS_H

#include "frontends/onnx/NodeContext.h"

namespace kestrel::onnx_frontend {

/// [B, S, N*D] -> [B, N, S, D].
mlir::FailureOr<mlir::Value> splitHeads(NodeContext &ctx, mlir::Value x,
                                        int64_t numHeads, llvm::StringRef what);
/// [B, N, S, D] -> [B, S, N*D].
mlir::FailureOr<mlir::Value> mergeHeads(NodeContext &ctx, mlir::Value x);

/// Attention over [B, N, S, D] operands. `causalOffset` >= 0 asks for ONNX
/// causal masking where query i sees keys j <= i + causalOffset (as a flag
/// when that matches kestrel.attention's bottom-right alignment, as an
/// explicit mask otherwise); -1 means no causal masking.
mlir::FailureOr<mlir::Value> buildAttention(NodeContext &ctx, mlir::Value q,
                                            mlir::Value k, mlir::Value v,
                                            mlir::Value mask,
                                            int64_t causalOffset,
                                            std::optional<float> scale);

/// Rotary embedding of x = [B, N, S, D] from cos/sin caches: with
/// `positions` ([B, S] or one start offset) the caches are [max_pos, R/2]
/// tables gathered at the positions, otherwise they are already [B, S, R/2].
mlir::FailureOr<mlir::Value>
rotaryFromCache(NodeContext &ctx, mlir::Value x, mlir::Value cosCache,
                mlir::Value sinCache, mlir::Value positions, bool interleaved,
                int64_t rotaryDim);

} // namespace kestrel::onnx_frontend

#endif // KESTREL_FRONTENDS_ONNX_OPS_ATTENTIONHELPERS_H
