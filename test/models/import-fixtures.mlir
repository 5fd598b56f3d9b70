// Every committed fixture (test/models/generate.py: transformers' model
// classes, tiny configs, random init, exported with torch.onnx) imports and
// verifies with dynamic batch/sequence and with static shapes.
// DYN: func.func @main(%{{.+}}: tensor<?x?xi64> {kestrel.dim_names = ["batch", "seq"], kestrel.name = "input_ids"}
// RUN: kestrelc --emit=graph %S/fixtures/bert-dynamo/model.onnx | FileCheck %s --check-prefixes=DYN,BERT_DYNAMO-DYN
// RUN: kestrelc --emit=graph %S/fixtures/bert-dynamo/model.onnx --input-shape input_ids=2x5 --input-shape attention_mask=2x5 | FileCheck %s --check-prefix=BERT_DYNAMO-STATIC
// BERT_DYNAMO-DYN-SAME: -> (tensor<?x?x64xf32> {kestrel.name = "output"})
// BERT_DYNAMO-STATIC: -> (tensor<2x5x64xf32> {kestrel.name = "output"})
// BERT_DYNAMO-STATIC: return %{{.+}} : tensor<2x5x64xf32>
// RUN: kestrelc --emit=graph %S/fixtures/bert-ort-optimized/model.onnx | FileCheck %s --check-prefixes=DYN,BERT_ORT_OPTIMIZED-DYN
// RUN: kestrelc --emit=graph %S/fixtures/bert-ort-optimized/model.onnx --input-shape input_ids=2x5 --input-shape attention_mask=2x5 | FileCheck %s --check-prefix=BERT_ORT_OPTIMIZED-STATIC
// BERT_ORT_OPTIMIZED-DYN-SAME: -> (tensor<?x?x64xf32> {kestrel.name = "output"})
// BERT_ORT_OPTIMIZED-STATIC: -> (tensor<2x5x64xf32> {kestrel.name = "output"})
// BERT_ORT_OPTIMIZED-STATIC: return %{{.+}} : tensor<2x5x64xf32>
// RUN: kestrelc --emit=graph %S/fixtures/gpt2-dynamo/model.onnx | FileCheck %s --check-prefixes=DYN,GPT2_DYNAMO-DYN
// RUN: kestrelc --emit=graph %S/fixtures/gpt2-dynamo/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=GPT2_DYNAMO-STATIC
// GPT2_DYNAMO-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// GPT2_DYNAMO-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// GPT2_DYNAMO-STATIC: return %{{.+}} : tensor<2x5x256xf32>
// RUN: kestrelc --emit=graph %S/fixtures/gptj-dynamo/model.onnx | FileCheck %s --check-prefixes=DYN,GPTJ_DYNAMO-DYN
// RUN: kestrelc --emit=graph %S/fixtures/gptj-dynamo/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=GPTJ_DYNAMO-STATIC
// GPTJ_DYNAMO-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// GPTJ_DYNAMO-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// GPTJ_DYNAMO-STATIC: return %{{.+}} : tensor<2x5x256xf32>
// RUN: kestrelc --emit=graph %S/fixtures/gptj-opset17/model.onnx | FileCheck %s --check-prefixes=DYN,GPTJ_OPSET17-DYN
// RUN: kestrelc --emit=graph %S/fixtures/gptj-opset17/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=GPTJ_OPSET17-STATIC
// GPTJ_OPSET17-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// GPTJ_OPSET17-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// GPTJ_OPSET17-STATIC: return %{{.+}} : tensor<2x5x256xf32>
// RUN: kestrelc --emit=graph %S/fixtures/llama-dynamo/model.onnx | FileCheck %s --check-prefixes=DYN,LLAMA_DYNAMO-DYN
// RUN: kestrelc --emit=graph %S/fixtures/llama-dynamo/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=LLAMA_DYNAMO-STATIC
// LLAMA_DYNAMO-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// LLAMA_DYNAMO-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// LLAMA_DYNAMO-STATIC: return %{{.+}} : tensor<2x5x256xf32>
// RUN: kestrelc --emit=graph %S/fixtures/llama-opset17/model.onnx | FileCheck %s --check-prefixes=DYN,LLAMA_OPSET17-DYN
// RUN: kestrelc --emit=graph %S/fixtures/llama-opset17/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=LLAMA_OPSET17-STATIC
// LLAMA_OPSET17-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// LLAMA_OPSET17-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// LLAMA_OPSET17-STATIC: return %{{.+}} : tensor<2x5x256xf32>
// RUN: kestrelc --emit=graph %S/fixtures/mixtral-dynamo/model.onnx | FileCheck %s --check-prefixes=DYN,MIXTRAL_DYNAMO-DYN
// RUN: kestrelc --emit=graph %S/fixtures/mixtral-dynamo/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=MIXTRAL_DYNAMO-STATIC
// MIXTRAL_DYNAMO-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// MIXTRAL_DYNAMO-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// MIXTRAL_DYNAMO-STATIC: return %{{.+}} : tensor<2x5x256xf32>
// RUN: kestrelc --emit=graph %S/fixtures/mixtral-opset17/model.onnx | FileCheck %s --check-prefixes=DYN,MIXTRAL_OPSET17-DYN
// RUN: kestrelc --emit=graph %S/fixtures/mixtral-opset17/model.onnx --input-shape input_ids=2x5 | FileCheck %s --check-prefix=MIXTRAL_OPSET17-STATIC
// MIXTRAL_OPSET17-DYN-SAME: -> (tensor<?x?x256xf32> {kestrel.name = "output"})
// MIXTRAL_OPSET17-STATIC: -> (tensor<2x5x256xf32> {kestrel.name = "output"})
// MIXTRAL_OPSET17-STATIC: return %{{.+}} : tensor<2x5x256xf32>
