// A Llama-style decoder layer in the kestrel dialect, as the ONNX importer
// produces it before shape refinement: hidden 256, 4 query heads and 2 kv
// heads of 64 (GQA), SwiGLU MLP of 688, one sequence of dynamic length.
// Run: build/bin/kestrel-opt examples/llama-block.mlir \
//        --kestrel-infer-shapes --canonicalize --cse
func.func @decoder_layer(%x: tensor<1x?x256xf32> {kestrel.dim_names = ["", "seq", ""]},
                         %cos: tensor<1x?x32xf32>, %sin: tensor<1x?x32xf32>)
    -> tensor<?x?x?xf32> {
  // Attention block.
  %ln1 = kestrel.weight "layers.0.input_layernorm.weight" : tensor<256xf32>
  %h = kestrel.rms_norm %x, %ln1 {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x?x256xf32>, tensor<256xf32>) -> tensor<?x?x?xf32>
  %wq = kestrel.weight "layers.0.self_attn.q_proj.weight" : tensor<256x256xf32>
  %wk = kestrel.weight "layers.0.self_attn.k_proj.weight" : tensor<128x256xf32>
  %wv = kestrel.weight "layers.0.self_attn.v_proj.weight" : tensor<128x256xf32>
  %q = kestrel.matmul %h, %wq {transpose_b = true} : (tensor<?x?x?xf32>, tensor<256x256xf32>) -> tensor<?x?x?xf32>
  %k = kestrel.matmul %h, %wk {transpose_b = true} : (tensor<?x?x?xf32>, tensor<128x256xf32>) -> tensor<?x?x?xf32>
  %v = kestrel.matmul %h, %wv {transpose_b = true} : (tensor<?x?x?xf32>, tensor<128x256xf32>) -> tensor<?x?x?xf32>
  %qs = kestrel.reshape %q : (tensor<?x?x?xf32>) -> tensor<1x?x4x64xf32>
  %ks = kestrel.reshape %k : (tensor<?x?x?xf32>) -> tensor<1x?x2x64xf32>
  %vs = kestrel.reshape %v : (tensor<?x?x?xf32>) -> tensor<1x?x2x64xf32>
  %qt = kestrel.transpose %qs {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x?x4x64xf32>) -> tensor<?x?x?x?xf32>
  %kt = kestrel.transpose %ks {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x64xf32>) -> tensor<?x?x?x?xf32>
  %vt = kestrel.transpose %vs {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x64xf32>) -> tensor<?x?x?x?xf32>
  %c4 = kestrel.reshape %cos : (tensor<1x?x32xf32>) -> tensor<1x1x?x32xf32>
  %s4 = kestrel.reshape %sin : (tensor<1x?x32xf32>) -> tensor<1x1x?x32xf32>
  %qr = kestrel.rope %qt, %c4, %s4 : (tensor<?x?x?x?xf32>, tensor<1x1x?x32xf32>, tensor<1x1x?x32xf32>) -> tensor<?x?x?x?xf32>
  %kr = kestrel.rope %kt, %c4, %s4 : (tensor<?x?x?x?xf32>, tensor<1x1x?x32xf32>, tensor<1x1x?x32xf32>) -> tensor<?x?x?x?xf32>
  %o = kestrel.attention %qr, %kr, %vt {causal = true, num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %ot = kestrel.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %om = kestrel.reshape %ot : (tensor<?x?x?x?xf32>) -> tensor<1x?x256xf32>
  %wo = kestrel.weight "layers.0.self_attn.o_proj.weight" : tensor<256x256xf32>
  %attn = kestrel.matmul %om, %wo {transpose_b = true} : (tensor<1x?x256xf32>, tensor<256x256xf32>) -> tensor<?x?x?xf32>
  %r1 = kestrel.add %x, %attn : (tensor<1x?x256xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>

  // SwiGLU MLP block.
  %ln2 = kestrel.weight "layers.0.post_attention_layernorm.weight" : tensor<256xf32>
  %h2 = kestrel.rms_norm %r1, %ln2 {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x?x?xf32>, tensor<256xf32>) -> tensor<?x?x?xf32>
  %wg = kestrel.weight "layers.0.mlp.gate_proj.weight" : tensor<688x256xf32>
  %wu = kestrel.weight "layers.0.mlp.up_proj.weight" : tensor<688x256xf32>
  %g = kestrel.matmul %h2, %wg {transpose_b = true} : (tensor<?x?x?xf32>, tensor<688x256xf32>) -> tensor<?x?x?xf32>
  %u = kestrel.matmul %h2, %wu {transpose_b = true} : (tensor<?x?x?xf32>, tensor<688x256xf32>) -> tensor<?x?x?xf32>
  %act = kestrel.fused_elementwise ins(%g, %u : tensor<?x?x?xf32>, tensor<?x?x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    // silu(a) * b = a / (1 + exp(-a)) * b
    %one = arith.constant 1.0 : f32
    %na = arith.negf %a : f32
    %e = math.exp %na : f32
    %d = arith.addf %one, %e : f32
    %s = arith.divf %a, %d : f32
    %m = arith.mulf %s, %b : f32
    kestrel.yield %m : f32
  } -> tensor<?x?x?xf32>
  %wd = kestrel.weight "layers.0.mlp.down_proj.weight" : tensor<256x688xf32>
  %mlp = kestrel.matmul %act, %wd {transpose_b = true} : (tensor<?x?x?xf32>, tensor<256x688xf32>) -> tensor<?x?x?xf32>
  %out = kestrel.add %r1, %mlp : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %out : tensor<?x?x?xf32>
}
