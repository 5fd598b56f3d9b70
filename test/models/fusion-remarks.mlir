// kestrelc --fusion-remarks: the attention and residual-norm passes say,
// per candidate site and with the ONNX node's name, what they fused and why
// they left the rest.
// Mixtral: the routers' softmaxes are not attention; the residual add after
// each MoE block joins the next norm (and the final one).
// RUN: kestrelc --emit=graph %S/fixtures/mixtral-dynamo/model.onnx -o /dev/null --fusion-remarks 2>&1 | FileCheck %s --check-prefix=MIXTRAL
// MIXTRAL: model.onnx: remark: node 'node_softmax': attention not fused: the softmax is not over the last dim of a rank-4 tensor
// MIXTRAL: model.onnx: remark: node 'node_softmax_1': attention not fused: the softmax is not over the last dim of a rank-4 tensor
// MIXTRAL-COUNT-2: remark: node '{{[^']+}}': residual add fused into the norm
// MIXTRAL-NOT: remark
// GPT-2: the token + position embedding sum broadcasts, so the first
// LayerNorm keeps its add; every other residual add went into a matmul.
// RUN: kestrelc --emit=graph %S/fixtures/gpt2-dynamo/model.onnx -o /dev/null --fusion-remarks 2>&1 | FileCheck %s --check-prefix=GPT2
// GPT2: model.onnx: remark: node 'node_layer_norm': residual add not fused into the norm: the add broadcasts (its operands' types differ from its result's)
// GPT2-NOT: remark
// Without the flag, no remarks.
// RUN: kestrelc --emit=graph %S/fixtures/gpt2-dynamo/model.onnx -o /dev/null 2>&1 | FileCheck %s --allow-empty --check-prefix=QUIET
// QUIET-NOT: remark
