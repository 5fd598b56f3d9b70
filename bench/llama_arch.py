#!/usr/bin/env python3
"""A Llama-style decoder three ways: PyTorch, ONNX and NumPy, with one math.

The math is that of Hugging Face's LlamaForCausalLM (no transformers
needed): token embedding; per layer RMSNorm, rotary embeddings (rotate-half,
theta 10000), grouped-query causal attention, residual, RMSNorm, SiLU-gated
MLP, residual; final RMSNorm; lm_head. The models return the logits of the
LAST position only ([batch, vocab], f32), as a prefill step of generation
does (HF's logits_to_keep=1), so that a benchmark does not time a
[batch, seq, vocab] download.

Weights are named as in a Hugging Face state dict (torch layout, [out, in]
for linear layers): model.embed_tokens.weight,
model.layers.N.{input_layernorm,post_attention_layernorm}.weight,
model.layers.N.self_attn.{q,k,v,o}_proj.weight,
model.layers.N.mlp.{gate,up,down}_proj.weight, model.norm.weight,
lm_head.weight. In the ONNX file the MatMul weights are stored transposed
([in, out], as exporters store them) under the same name plus "_t".

    # the ONNX file (opset 17, symbolic batch and seq); --no-data writes the
    # weights as external data references to a file that is never written
    python bench/llama_arch.py onnx --hidden 2048 --layers 4 --heads 16 \\
        --kv-heads 4 --ffn 5632 --vocab 32000 -o DIR [--no-data]
    # tiny model: ONNX Runtime vs a NumPy (f64) reference vs PyTorch
    python bench/llama_arch.py self-check
    # PyTorch eager / torch.compile timings in bf16 on CUDA (JSON out)
    python bench/llama_arch.py torch-bench --hidden 2048 ... --json FILE
    # random token ids as .npy (int64) for kestrel-run
    python bench/llama_arch.py ids --batch 1 --seq 512 --vocab 32000 -o F.npy

Needs numpy; onnx for `onnx` (and onnxruntime for `self-check`); torch for
the PyTorch module and `torch-bench` (imported only there).
"""

import argparse
import dataclasses
import json
import math
import os
import statistics
import sys
import tempfile
import time

import numpy as np

F32_MIN = float(np.finfo(np.float32).min)  # HF's causal mask value
INT64_MAX = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------
# The architecture
# ----------------------------------------------------------------------------

@dataclasses.dataclass
class Config:
    vocab: int = 32000
    hidden: int = 2048
    layers: int = 4
    heads: int = 16
    kv_heads: int = 4
    ffn: int = 5632
    eps: float = 1e-5
    theta: float = 10000.0
    max_pos: int = 4096  # rows of the cos/sin caches (--rotary cache)

    def __post_init__(self):
        if self.hidden % self.heads:
            raise ValueError(f"hidden {self.hidden} is not a multiple of "
                             f"heads {self.heads}")
        if self.heads % self.kv_heads:
            raise ValueError(f"heads {self.heads} is not a multiple of "
                             f"kv-heads {self.kv_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head dim {self.head_dim} is odd")

    @property
    def head_dim(self):
        return self.hidden // self.heads

    @property
    def n_rep(self):
        return self.heads // self.kv_heads

    def params(self):
        return sum(int(np.prod(s)) for s in weight_shapes(self).values())

    def as_dict(self):
        d = dataclasses.asdict(self)
        d.update(head_dim=self.head_dim, params=self.params())
        return d


TINY = Config(vocab=256, hidden=64, layers=2, heads=4, kv_heads=2, ffn=128,
              max_pos=128)

LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
           "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
           "mlp.down_proj")


def weight_shapes(cfg):
    """HF state-dict name -> shape (torch layout), in a fixed order."""
    h, d = cfg.hidden, cfg.head_dim
    shapes = {"model.embed_tokens.weight": (cfg.vocab, h)}
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        shapes[p + "input_layernorm.weight"] = (h,)
        shapes[p + "self_attn.q_proj.weight"] = (cfg.heads * d, h)
        shapes[p + "self_attn.k_proj.weight"] = (cfg.kv_heads * d, h)
        shapes[p + "self_attn.v_proj.weight"] = (cfg.kv_heads * d, h)
        shapes[p + "self_attn.o_proj.weight"] = (h, cfg.heads * d)
        shapes[p + "post_attention_layernorm.weight"] = (h,)
        shapes[p + "mlp.gate_proj.weight"] = (cfg.ffn, h)
        shapes[p + "mlp.up_proj.weight"] = (cfg.ffn, h)
        shapes[p + "mlp.down_proj.weight"] = (h, cfg.ffn)
    shapes["model.norm.weight"] = (h,)
    shapes["lm_head.weight"] = (cfg.vocab, h)
    return shapes


def random_weights(cfg, seed=0, std=None):
    """f32 weights by HF name. std=None: N(0, 1/fan_in) for linear layers,
    N(0, 1) for the embedding and 1 + N(0, 0.1) for norms, so activations
    stay O(1) and every weight matters; otherwise N(0, std) (HF's
    initializer_range is 0.02) with norms at 1 + N(0, 0.1)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in weight_shapes(cfg).items():
        if len(shape) == 1:
            w = 1.0 + 0.1 * rng.standard_normal(shape)
        elif std is not None:
            w = std * rng.standard_normal(shape)
        elif name == "model.embed_tokens.weight":
            w = rng.standard_normal(shape)
        else:
            w = rng.standard_normal(shape) / math.sqrt(shape[1])
        out[name] = w.astype(np.float32)
    return out


def inv_freq(cfg):
    """Rotary inverse frequencies (f32), theta^(-2i/d) for i < d/2."""
    d = cfg.head_dim
    return (1.0 / (cfg.theta ** (np.arange(0, d, 2, dtype=np.float64) / d))
            ).astype(np.float32)


def rope_cache(cfg):
    """cos, sin [max_pos, head_dim] f32, as older HF versions cached them."""
    pos = np.arange(cfg.max_pos, dtype=np.float32)
    freqs = np.outer(pos, inv_freq(cfg)).astype(np.float32)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)


# ----------------------------------------------------------------------------
# NumPy reference (float64)
# ----------------------------------------------------------------------------

def reference_logits(cfg, weights, ids, last_only=True):
    """The forward in float64; [batch, vocab] (or [batch, seq, vocab])."""
    w = {k: np.asarray(v, np.float64) for k, v in weights.items()}
    ids = np.asarray(ids)
    b, s = ids.shape
    nh, nkv, d = cfg.heads, cfg.kv_heads, cfg.head_dim

    def rms(x, weight):
        var = np.mean(x * x, axis=-1, keepdims=True)
        return weight * (x / np.sqrt(var + cfg.eps))

    def rotate_half(x):
        return np.concatenate([-x[..., d // 2:], x[..., :d // 2]], axis=-1)

    ang = np.arange(s, dtype=np.float64)[:, None] * \
        inv_freq(cfg).astype(np.float64)[None, :]
    emb = np.concatenate([ang, ang], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)  # [s, d]
    mask = np.where(np.tril(np.ones((s, s), bool)), 0.0, -np.inf)

    x = w["model.embed_tokens.weight"][ids]  # [b, s, h]
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(b, s, nh, d)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(b, s, nkv, d)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(b, s, nkv, d)
        q, k, v = (t.transpose(0, 2, 1, 3) for t in (q, k, v))
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, cfg.n_rep, axis=1)  # head j reads kv head j // n_rep
        v = np.repeat(v, cfg.n_rep, axis=1)
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + mask
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        o = (probs @ v).transpose(0, 2, 1, 3).reshape(b, s, nh * d)
        x = x + o @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        g = h @ w[p + "mlp.gate_proj.weight"].T
        u = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (g / (1.0 + np.exp(-g)) * u) @ w[p + "mlp.down_proj.weight"].T
    x = rms(x, w["model.norm.weight"])
    if last_only:
        x = x[:, -1, :]
    return x @ w["lm_head.weight"].T


# ----------------------------------------------------------------------------
# ONNX (onnx.helper, opset 17), written the way exporters write it
# ----------------------------------------------------------------------------

class _Graph:
    """Nodes, initializers and unique names."""

    def __init__(self):
        from onnx import helper, numpy_helper, TensorProto
        self.helper, self.numpy_helper, self.TP = helper, numpy_helper, \
            TensorProto
        self.nodes, self.inits, self.count = [], [], {}

    def fresh(self, base):
        n = self.count.get(base, 0)
        self.count[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def op(self, op_type, inputs, scope="", outputs=1, **attrs):
        name = self.fresh(f"{scope}/{op_type}")
        outs = [f"{name}_output_{i}" for i in range(outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    def const(self, value, dtype, name=None):
        """A small constant as an initializer (exporters write Constant
        nodes or initializers; both import the same)."""
        arr = np.array(value, dtype=dtype)
        name = name or self.fresh(f"onnx::Const_{arr.dtype.name}")
        self.inits.append(self.numpy_helper.from_array(arr, name))
        return name

    def i64(self, *values):
        return self.const(list(values), np.int64)

    def i64_scalar(self, value):
        return self.const(value, np.int64)

    def f32_scalar(self, value):
        return self.const(value, np.float32)


class _ExternalRefs:
    """Initializers stored as external-data references into one file,
    computed without writing that file (--no-data)."""

    def __init__(self, location, align=4096):
        self.location, self.align, self.offset = location, align, 0

    def tensor(self, name, shape):
        from onnx import TensorProto
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        nbytes = int(np.prod(shape)) * 4
        self.offset = (self.offset + self.align - 1) // self.align * self.align
        for k, v in (("location", self.location),
                     ("offset", str(self.offset)), ("length", str(nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.offset += nbytes
        return t


def onnx_weight_name(hf_name):
    """Initializer name of an HF weight: linear layers (and lm_head) are
    stored transposed, [in, out], with "_t" appended."""
    if hf_name.endswith("_proj.weight") or hf_name == "lm_head.weight":
        return hf_name + "_t"
    return hf_name


def build_onnx(cfg, weights=None, *, rotary="range", mask="where",
               scale="mul", last_only=True, no_data_location=None,
               opset=17):
    """The ModelProto. weights: HF-named f32 arrays (torch layout), or None
    with no_data_location="FILE": every weight becomes an external-data
    reference into FILE (which is not written).

    rotary: "range" (cos/sin from Range over the positions, as the
    TorchScript export of current HF writes it) or "cache" (cos/sin cache
    initializers [max_pos, d] gathered by the positions, as older exports).
    mask: "where" (LessOrEqual of position ranges + Where, HF's export) or
    "trilu" (ConstantOfShape + Trilu + Where). scale: "mul" by 1/sqrt(d)
    (HF eager) or "div" by sqrt(d)."""
    from onnx import helper, TensorProto
    if rotary not in ("range", "cache") or mask not in ("where", "trilu") \
            or scale not in ("mul", "div"):
        raise ValueError(f"bad variant rotary={rotary} mask={mask} "
                         f"scale={scale}")
    if weights is None and no_data_location is None:
        raise ValueError("weights or no_data_location is needed")
    g = _Graph()
    nh, nkv, d, h = cfg.heads, cfg.kv_heads, cfg.head_dim, cfg.hidden
    refs = _ExternalRefs(no_data_location) if weights is None else None

    def W(hf_name):
        """The initializer for an HF weight (transposed for MatMul)."""
        name = onnx_weight_name(hf_name)
        shape = weight_shapes(cfg)[hf_name]
        onnx_shape = shape[::-1] if name != hf_name else shape
        if refs is not None:
            g.inits.append(refs.tensor(name, onnx_shape))
        else:
            arr = np.asarray(weights[hf_name], np.float32)
            if arr.shape != tuple(shape):
                raise ValueError(f"{hf_name}: shape {arr.shape}, expected "
                                 f"{tuple(shape)}")
            if name != hf_name:
                arr = np.ascontiguousarray(arr.T)
            g.inits.append(g.numpy_helper.from_array(arr, name))
        return name

    # Shapes and positions.
    ids = "input_ids"
    ids_shape = g.op("Shape", [ids], "/model")
    batch = g.op("Gather", [ids_shape, g.i64_scalar(0)], "/model", axis=0)
    seq = g.op("Gather", [ids_shape, g.i64_scalar(1)], "/model", axis=0)
    zero = g.i64(0)
    batch_1 = g.op("Unsqueeze", [batch, zero], "/model")
    seq_1 = g.op("Unsqueeze", [seq, zero], "/model")
    positions = g.op("Range", [g.i64_scalar(0), seq, g.i64_scalar(1)],
                     "/model")

    def concat_shape(*parts):
        return g.op("Concat", list(parts), "/model", axis=0)

    shape_q = concat_shape(batch_1, seq_1, g.i64(nh), g.i64(d))
    shape_kv = concat_shape(batch_1, seq_1, g.i64(nkv), g.i64(d))
    shape_o = concat_shape(batch_1, seq_1, g.i64(nh * d))
    if cfg.n_rep > 1:
        shape_expand = concat_shape(batch_1, g.i64(nkv), g.i64(cfg.n_rep),
                                    seq_1, g.i64(d))
        shape_rep = concat_shape(batch_1, g.i64(nh), seq_1, g.i64(d))

    # Rotary cos/sin [1, 1, seq, d].
    scope = "/model/rotary_emb"
    if rotary == "range":
        pos_f = g.op("Cast", [positions], scope, to=TensorProto.FLOAT)
        pos_col = g.op("Unsqueeze", [pos_f, g.i64(1)], scope)
        freqs = g.op("Mul", [pos_col, g.const(inv_freq(cfg), np.float32,
                                              "model.rotary_emb.inv_freq")],
                     scope)
        emb = g.op("Concat", [freqs, freqs], scope, axis=-1)
        cos = g.op("Cos", [emb], scope)
        sin = g.op("Sin", [emb], scope)
    else:
        cos_cache, sin_cache = rope_cache(cfg)
        cos = g.op("Gather", [g.const(cos_cache, np.float32,
                                      "model.rotary_emb.cos_cached"),
                              positions], scope, axis=0)
        sin = g.op("Gather", [g.const(sin_cache, np.float32,
                                      "model.rotary_emb.sin_cached"),
                              positions], scope, axis=0)
    cos4 = g.op("Unsqueeze", [cos, g.i64(0, 1)], scope)
    sin4 = g.op("Unsqueeze", [sin, g.i64(0, 1)], scope)

    # Causal mask [seq, seq]: 0 where key <= query, F32_MIN elsewhere.
    scope = "/model/mask"
    if mask == "where":
        rows = g.op("Unsqueeze", [positions, g.i64(1)], scope)
        cols = g.op("Unsqueeze", [positions, g.i64(0)], scope)
        allowed = g.op("LessOrEqual", [cols, rows], scope)
    else:
        ones = g.op("ConstantOfShape", [concat_shape(seq_1, seq_1)], scope,
                    value=helper.make_tensor("value", TensorProto.FLOAT, [1],
                                             [1.0]))
        lower = g.op("Trilu", [ones], scope, upper=0)
        allowed = g.op("Cast", [lower], scope, to=TensorProto.BOOL)
    causal = g.op("Where", [allowed, g.f32_scalar(0.0),
                            g.f32_scalar(F32_MIN)], scope)

    def rms_norm(x, weight_name, scope):
        sq = g.op("Pow", [x, g.f32_scalar(2.0)], scope)
        mean = g.op("ReduceMean", [sq], scope, axes=[-1], keepdims=1)
        var = g.op("Add", [mean, g.f32_scalar(cfg.eps)], scope)
        root = g.op("Sqrt", [var], scope)
        inv = g.op("Div", [g.f32_scalar(1.0), root], scope)
        normed = g.op("Mul", [x, inv], scope)
        return g.op("Mul", [W(weight_name), normed], scope)

    half_start, half_end = g.i64(0), g.i64(d // 2)
    tail_end, last_axis = g.i64(INT64_MAX), g.i64(3)

    def rope(x, scope):
        x1 = g.op("Slice", [x, half_start, half_end, last_axis], scope)
        x2 = g.op("Slice", [x, half_end, tail_end, last_axis], scope)
        rotated = g.op("Concat", [g.op("Neg", [x2], scope), x1], scope,
                       axis=-1)
        return g.op("Add", [g.op("Mul", [x, cos4], scope),
                            g.op("Mul", [rotated, sin4], scope)], scope)

    def repeat_kv(x, scope):
        if cfg.n_rep == 1:
            return x
        x5 = g.op("Unsqueeze", [x, g.i64(2)], scope)
        x5 = g.op("Expand", [x5, shape_expand], scope)
        return g.op("Reshape", [x5, shape_rep], scope)

    x = g.op("Gather", [W("model.embed_tokens.weight"), ids],
             "/model/embed_tokens", axis=0)
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        scope = f"/model/layers.{i}"
        a = f"{scope}/self_attn"
        hn = rms_norm(x, p + "input_layernorm.weight",
                      f"{scope}/input_layernorm")

        def heads(proj, shape):
            y = g.op("MatMul", [hn, W(p + f"self_attn.{proj}.weight")],
                     f"{a}/{proj}")
            y = g.op("Reshape", [y, shape], a)
            return g.op("Transpose", [y], a, perm=[0, 2, 1, 3])

        q = rope(heads("q_proj", shape_q), a)
        k = repeat_kv(rope(heads("k_proj", shape_kv), a), a)
        v = repeat_kv(heads("v_proj", shape_kv), a)
        kt = g.op("Transpose", [k], a, perm=[0, 1, 3, 2])
        scores = g.op("MatMul", [q, kt], a)
        if scale == "mul":
            scores = g.op("Mul", [scores, g.f32_scalar(1.0 / math.sqrt(d))],
                          a)
        else:
            scores = g.op("Div", [scores, g.f32_scalar(math.sqrt(d))], a)
        scores = g.op("Add", [scores, causal], a)
        probs = g.op("Softmax", [scores], a, axis=-1)
        o = g.op("MatMul", [probs, v], a)
        o = g.op("Transpose", [o], a, perm=[0, 2, 1, 3])
        o = g.op("Reshape", [o, shape_o], a)
        o = g.op("MatMul", [o, W(p + "self_attn.o_proj.weight")],
                 f"{a}/o_proj")
        x = g.op("Add", [x, o], scope)

        m = f"{scope}/mlp"
        hn = rms_norm(x, p + "post_attention_layernorm.weight",
                      f"{scope}/post_attention_layernorm")
        gate = g.op("MatMul", [hn, W(p + "mlp.gate_proj.weight")],
                    f"{m}/gate_proj")
        up = g.op("MatMul", [hn, W(p + "mlp.up_proj.weight")], f"{m}/up_proj")
        act = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{m}/act_fn")],
                   f"{m}/act_fn")
        down = g.op("MatMul", [g.op("Mul", [act, up], m),
                               W(p + "mlp.down_proj.weight")],
                    f"{m}/down_proj")
        x = g.op("Add", [x, down], scope)

    x = rms_norm(x, "model.norm.weight", "/model/norm")
    if last_only:
        x = g.op("Slice", [x, g.i64(-1), tail_end, g.i64(1)], "/lm_head")
    logits = g.op("MatMul", [x, W("lm_head.weight")], "/lm_head")
    out_shape = ["batch", cfg.vocab] if last_only else \
        ["batch", "seq", cfg.vocab]
    if last_only:
        g.nodes.append(helper.make_node("Squeeze", [logits, g.i64(1)],
                                        ["logits"], name="/lm_head/Squeeze"))
    else:
        g.nodes.append(helper.make_node("Identity", [logits], ["logits"],
                                        name="/lm_head/Identity"))
    graph = helper.make_graph(
        g.nodes, "llama_arch",
        [helper.make_tensor_value_info(ids, TensorProto.INT64,
                                       ["batch", "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       out_shape)],
        initializer=g.inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8,
        producer_name="kestrel bench/llama_arch.py")
    model.doc_string = json.dumps({"llama_arch": cfg.as_dict(),
                                   "rotary": rotary, "mask": mask,
                                   "scale": scale, "last_only": last_only})
    return model


def weights_from_onnx(model, cfg, base_dir=None):
    """HF-named f32 weights (torch layout) back from a ModelProto (external
    data is read from base_dir when it is not loaded yet)."""
    from onnx import numpy_helper
    from onnx.external_data_helper import load_external_data_for_tensor, \
        uses_external_data
    by_name = {t.name: t for t in model.graph.initializer}
    out = {}
    for hf_name in weight_shapes(cfg):
        t = by_name[onnx_weight_name(hf_name)]
        if uses_external_data(t):
            if base_dir is None:
                raise ValueError(f"{t.name} is external; base_dir needed")
            load_external_data_for_tensor(t, base_dir)
        arr = numpy_helper.to_array(t).astype(np.float32)
        out[hf_name] = np.ascontiguousarray(arr.T) \
            if onnx_weight_name(hf_name) != hf_name else arr
    return out


def save_onnx(model, out_dir, name="model", external_data=False,
              no_data=False):
    """Writes out_dir/NAME.onnx (+ NAME.onnx.data with external_data).
    no_data: the model already refers to NAME.onnx.data, which is not
    written (and removed if an old one is there)."""
    import onnx
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.onnx")
    data = f"{name}.onnx.data"
    if no_data:
        onnx.save_model(model, path)
        if os.path.exists(os.path.join(out_dir, data)):
            os.remove(os.path.join(out_dir, data))
    elif external_data or model.ByteSize() > 1_800_000_000:
        if os.path.exists(os.path.join(out_dir, data)):
            os.remove(os.path.join(out_dir, data))
        onnx.save_model(model, path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=data,
                        size_threshold=1024)
    else:
        onnx.save_model(model, path)
    return path


def check_onnx_file(path):
    """onnx.checker on a written model without reading its weights. The
    checker insists that external-data files exist, so for a --no-data model
    (whose NAME.onnx.data was never written) it gets an empty sparse
    placeholder for the duration of the check, removed afterwards."""
    import onnx
    from onnx.external_data_helper import uses_external_data
    model = onnx.load(path, load_external_data=False)
    base = os.path.dirname(os.path.abspath(path))
    placeholders = []
    try:
        for t in model.graph.initializer:
            if not uses_external_data(t):
                continue
            info = {e.key: e.value for e in t.external_data}
            f = os.path.join(base, info["location"])
            end = int(info.get("offset", 0)) + int(info.get("length", 0))
            if not os.path.exists(f):
                with open(f, "wb"):
                    pass
                placeholders.append(f)
            if f in placeholders and os.path.getsize(f) < end:
                os.truncate(f, end)  # sparse: no blocks written
        onnx.checker.check_model(path)
    finally:
        for f in placeholders:
            os.remove(f)
    return model


def load_weights_file(path):
    """HF-named weights from .npz (numpy) or .pt/.bin/.pth (a torch state
    dict), as f32 numpy arrays."""
    if path.endswith(".npz"):
        with np.load(path) as z:
            return {k: z[k].astype(np.float32) for k in z.files}
    import torch
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.detach().float().cpu().numpy() for k, v in state.items()}


# ----------------------------------------------------------------------------
# PyTorch (imported lazily: the ONNX side must work without torch)
# ----------------------------------------------------------------------------

def torch_module_class():
    """The LlamaArch nn.Module class (defined on first use)."""
    global _LLAMA_ARCH
    if "_LLAMA_ARCH" in globals():
        return _LLAMA_ARCH
    import torch
    from torch import nn
    import torch.nn.functional as F

    class RMSNorm(nn.Module):
        def __init__(self, n, eps):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(n))
            self.eps = eps

        def forward(self, x):  # HF LlamaRMSNorm: in f32, back to x's dtype
            dtype = x.dtype
            h = x.to(torch.float32)
            var = h.pow(2).mean(-1, keepdim=True)
            h = h * torch.rsqrt(var + self.eps)
            return self.weight * h.to(dtype)

    class Attention(nn.Module):
        def __init__(self, cfg, impl):
            super().__init__()
            self.cfg, self.impl = cfg, impl
            d = cfg.head_dim
            self.q_proj = nn.Linear(cfg.hidden, cfg.heads * d, bias=False)
            self.k_proj = nn.Linear(cfg.hidden, cfg.kv_heads * d, bias=False)
            self.v_proj = nn.Linear(cfg.hidden, cfg.kv_heads * d, bias=False)
            self.o_proj = nn.Linear(cfg.heads * d, cfg.hidden, bias=False)

        @staticmethod
        def rotate_half(x):
            x1, x2 = x.chunk(2, dim=-1)
            return torch.cat((-x2, x1), dim=-1)

        @staticmethod
        def repeat_kv(x, n_rep):  # HF repeat_kv
            if n_rep == 1:
                return x
            b, nkv, s, d = x.shape
            return x[:, :, None].expand(b, nkv, n_rep, s, d).reshape(
                b, nkv * n_rep, s, d)

        def forward(self, x, cos, sin):
            cfg = self.cfg
            b, s, _ = x.shape
            d = cfg.head_dim
            q = self.q_proj(x).view(b, s, cfg.heads, d).transpose(1, 2)
            k = self.k_proj(x).view(b, s, cfg.kv_heads, d).transpose(1, 2)
            v = self.v_proj(x).view(b, s, cfg.kv_heads, d).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if self.impl == "sdpa":  # HF's default attention
                # K/V repeated for GQA (HF's repeat_kv) rather than
                # enable_gqa: the flash kernel takes it on every version
                o = F.scaled_dot_product_attention(
                    q, self.repeat_kv(k, cfg.n_rep),
                    self.repeat_kv(v, cfg.n_rep), is_causal=True,
                    scale=d ** -0.5)
            else:  # HF's eager attention
                k = self.repeat_kv(k, cfg.n_rep)
                v = self.repeat_kv(v, cfg.n_rep)
                scores = torch.matmul(q, k.transpose(2, 3)) * d ** -0.5
                causal = torch.ones(s, s, dtype=torch.bool,
                                    device=x.device).tril()
                scores = scores.masked_fill(~causal, F32_MIN
                                            if scores.dtype == torch.float32
                                            else torch.finfo(scores.dtype).min)
                probs = torch.softmax(scores, dim=-1,
                                      dtype=torch.float32).to(q.dtype)
                o = torch.matmul(probs, v)
            o = o.transpose(1, 2).reshape(b, s, cfg.heads * d)
            return self.o_proj(o)

    class MLP(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.gate_proj = nn.Linear(cfg.hidden, cfg.ffn, bias=False)
            self.up_proj = nn.Linear(cfg.hidden, cfg.ffn, bias=False)
            self.down_proj = nn.Linear(cfg.ffn, cfg.hidden, bias=False)

        def forward(self, x):
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    class DecoderLayer(nn.Module):
        def __init__(self, cfg, impl):
            super().__init__()
            self.self_attn = Attention(cfg, impl)
            self.mlp = MLP(cfg)
            self.input_layernorm = RMSNorm(cfg.hidden, cfg.eps)
            self.post_attention_layernorm = RMSNorm(cfg.hidden, cfg.eps)

        def forward(self, x, cos, sin):
            x = x + self.self_attn(self.input_layernorm(x), cos, sin)
            return x + self.mlp(self.post_attention_layernorm(x))

    class Model(nn.Module):
        def __init__(self, cfg, impl):
            super().__init__()
            self.embed_tokens = nn.Embedding(cfg.vocab, cfg.hidden)
            self.layers = nn.ModuleList(DecoderLayer(cfg, impl)
                                        for _ in range(cfg.layers))
            self.norm = RMSNorm(cfg.hidden, cfg.eps)

    class LlamaArch(nn.Module):
        """HF LlamaForCausalLM's math; state-dict names as HF's. forward
        returns f32 logits of the last position [batch, vocab] (or of every
        position with last_only=False)."""

        def __init__(self, cfg, attn="sdpa", last_only=True):
            super().__init__()
            if attn not in ("sdpa", "eager"):
                raise ValueError(f"attn must be sdpa or eager, not {attn}")
            self.cfg, self.last_only = cfg, last_only
            self.model = Model(cfg, attn)
            self.lm_head = nn.Linear(cfg.hidden, cfg.vocab, bias=False)
            self.register_buffer("inv_freq", torch.from_numpy(inv_freq(cfg)),
                                 persistent=False)

        def _apply(self, fn, *args, **kwargs):
            # .to(bf16) would round the rotary frequencies to bf16 and a
            # module built under `with torch.device("cuda")` would keep them
            # on the CPU (from_numpy): keep them f32, beside the weights.
            out = super()._apply(fn, *args, **kwargs)
            self.inv_freq = torch.from_numpy(inv_freq(self.cfg)).to(
                self.lm_head.weight.device)
            return out

        def forward(self, input_ids):
            s = input_ids.shape[1]
            x = self.model.embed_tokens(input_ids)
            pos = torch.arange(s, device=input_ids.device,
                               dtype=torch.float32)
            freqs = torch.outer(pos, self.inv_freq)
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
            for layer in self.model.layers:
                x = layer(x, cos, sin)
            x = self.model.norm(x)
            if self.last_only:
                x = x[:, -1, :]
            return self.lm_head(x).float()

        def load_weights(self, weights):
            """HF-named numpy arrays (f32) into the parameters (strict)."""
            ref = self.state_dict()
            state = {k: torch.from_numpy(np.asarray(v)).to(
                dtype=ref[k].dtype, device=ref[k].device)
                for k, v in weights.items()}
            self.load_state_dict(state, strict=True)
            return self

        def export_weights(self):
            """HF-named f32 numpy arrays of the parameters."""
            return {k: v.detach().float().cpu().numpy()
                    for k, v in self.state_dict().items()}

    _LLAMA_ARCH = LlamaArch
    return LlamaArch


def torch_module(cfg, attn="sdpa", last_only=True, weights=None):
    """A LlamaArch (f32, CPU) with `weights` loaded when given."""
    module = torch_module_class()(cfg, attn=attn, last_only=last_only).eval()
    if weights is not None:
        module.load_weights(weights)
    return module


# ----------------------------------------------------------------------------
# Self-check
# ----------------------------------------------------------------------------

def rel_l2(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    return float(np.linalg.norm((a - b).ravel()) /
                 max(np.linalg.norm(b.ravel()), 1e-300))


def self_check(tol=1e-5, verbose=True):
    import onnx
    import onnxruntime as ort
    try:
        import torch
    except ImportError:
        torch = None
    failures = []

    def report(what, err):
        ok = err <= tol
        if verbose:
            print(f"  {what}: rel L2 {err:.2e} {'ok' if ok else 'FAIL'}",
                  flush=True)
        if not ok:
            failures.append(f"{what}: {err:.2e}")

    shapes = [(1, 8), (2, 5), (3, 1), (1, 17)]
    variants = [("range", "where", "mul"), ("range", "trilu", "div"),
                ("cache", "trilu", "mul"), ("cache", "where", "div")]
    configs = [("gqa", TINY),
               ("mha", dataclasses.replace(TINY, kv_heads=TINY.heads)),
               ("mqa", dataclasses.replace(TINY, kv_heads=1, layers=1))]
    rng = np.random.default_rng(123)
    for cname, cfg in configs:
        weights = random_weights(cfg, seed=7)
        inputs = [rng.integers(0, cfg.vocab, size=s, dtype=np.int64)
                  for s in shapes]
        refs = [reference_logits(cfg, weights, ids) for ids in inputs]
        print(f"{cname}: hidden {cfg.hidden}, {cfg.layers} layers, heads "
              f"{cfg.heads}, kv-heads {cfg.kv_heads}, ffn {cfg.ffn}, vocab "
              f"{cfg.vocab}", flush=True)
        for rotary, mask, scale in variants:
            model = build_onnx(cfg, weights, rotary=rotary, mask=mask,
                               scale=scale)
            onnx.checker.check_model(model, full_check=True)
            sess = ort.InferenceSession(model.SerializeToString(),
                                        providers=["CPUExecutionProvider"])
            for ids, ref in zip(inputs, refs):
                got = sess.run(["logits"], {"input_ids": ids})[0]
                if got.shape != ref.shape or got.dtype != np.float32:
                    failures.append(f"{cname} onnx {rotary}/{mask}/{scale}: "
                                    f"output {got.shape} {got.dtype}")
                    continue
                report(f"onnxruntime [{rotary}, {mask}, {scale}] "
                       f"{ids.shape[0]}x{ids.shape[1]} vs numpy",
                       rel_l2(got, ref))
            back = weights_from_onnx(model, cfg)
            if any(not np.array_equal(back[k], weights[k]) for k in weights):
                failures.append(f"{cname}: weights_from_onnx round trip")
        if torch is None:
            print("  torch: not importable, skipped")
            continue
        for attn in ("sdpa", "eager"):
            module = torch_module(cfg, attn=attn, weights=weights)
            with torch.no_grad():
                for ids, ref in zip(inputs, refs):
                    got = module(torch.from_numpy(ids)).numpy()
                    report(f"torch f32 {attn} {ids.shape[0]}x{ids.shape[1]} "
                           f"vs numpy", rel_l2(got, ref))
        exported = module.export_weights()
        if set(exported) != set(weights) or any(
                not np.array_equal(exported[k], weights[k]) for k in weights):
            failures.append(f"{cname}: torch export_weights round trip")
        # torch weights -> ONNX -> ORT agrees with torch itself.
        fresh = torch_module(cfg)  # torch's own random init
        model = build_onnx(cfg, fresh.export_weights())
        sess = ort.InferenceSession(model.SerializeToString(),
                                    providers=["CPUExecutionProvider"])
        with torch.no_grad():
            want = fresh(torch.from_numpy(inputs[1])).numpy()
        report("onnxruntime (torch's init) vs torch",
               rel_l2(sess.run(None, {"input_ids": inputs[1]})[0], want))
        # bf16 on the CPU: the module runs in bf16 (loose bound only).
        m16 = torch_module(cfg, weights=weights).to(torch.bfloat16)
        with torch.no_grad():
            got = m16(torch.from_numpy(inputs[0])).numpy()
        err = rel_l2(got, refs[0])
        print(f"  torch bf16 sdpa 1x8 vs numpy: rel L2 {err:.2e} "
              f"{'ok' if err <= 3e-2 else 'FAIL'} (bound 3e-2)")
        if not err <= 3e-2:
            failures.append(f"{cname} torch bf16: {err:.2e}")

    # Files: external data kept (ORT reads it) and --no-data (graph only).
    cfg = TINY
    weights = random_weights(cfg, seed=7)
    ids = inputs[0] % cfg.vocab
    with tempfile.TemporaryDirectory() as tmp:
        model = build_onnx(cfg, weights)
        path = save_onnx(model, os.path.join(tmp, "ext"), external_data=True)
        ext = os.path.join(tmp, "ext", "model.onnx.data")
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        report("external data file, onnxruntime vs numpy",
               rel_l2(sess.run(None, {"input_ids": ids})[0],
                      reference_logits(cfg, weights, ids)))
        if not os.path.isfile(ext):
            failures.append("external data: no model.onnx.data written")
        nd = build_onnx(cfg, None, no_data_location="model.onnx.data")
        path = save_onnx(nd, os.path.join(tmp, "nodata"), no_data=True)
        check_onnx_file(path)
        if os.path.exists(path + ".data"):
            failures.append("--no-data: a data file was written")
        same = [n.op_type for n in nd.graph.node] == \
            [n.op_type for n in model.graph.node]
        if not same:
            failures.append("--no-data graph differs from the full one")
        print(f"  --no-data: {os.path.getsize(path)} B graph, checker ok, "
              f"no data file", flush=True)

    if failures:
        print(f"self-check FAILED ({len(failures)}):")
        for f in failures:
            print(f"  {f}")
        return 1
    print(f"self-check passed (every rel L2 <= {tol:g})")
    return 0


# ----------------------------------------------------------------------------
# PyTorch benchmark (eager and torch.compile, bf16, CUDA)
# ----------------------------------------------------------------------------

def torch_bench(cfg, shapes, *, runs=20, sets=3, warmup=5, device="cuda",
                dtype="bf16", attn="sdpa", do_compile=True,
                compile_mode="default", deadline_s=None, json_path=None,
                ready_file=None, go_file=None, seed=0):
    """Times the model's forward (prefill, last-position logits) in PyTorch
    eager and torch.compile.

    Phase 1 (setup): the model on the device, one eager call per shape and
    torch.compile's compilation for each shape (compile_s). Then it touches
    ready_file and, when go_file is given, waits until that file exists:
    a driver script can overlap this phase with other CPU work (builds) and
    keep its own GPU timings free of it. Phase 2 (timing): per engine and
    shape, `sets` run sets, each with freshly drawn token ids, each of
    `runs` timed calls after warm-up. Two times per call: events_ms, CUDA
    events around the forward alone (ids already on the device); wall_ms,
    a host clock around ids.to(device) + forward + logits.cpu() (which
    synchronizes), the span kestrel-run --bench times for a Kestrel library.
    Medians over all calls. Results go to json_path after every step, so a
    run killed by a timeout keeps what it finished. deadline_s: seconds
    from the start after which nothing new starts."""
    start = time.perf_counter()
    import torch
    result = {"torch": torch.__version__, "device": device, "dtype": dtype,
              "attn": attn, "compile_mode": compile_mode if do_compile
              else None, "arch": cfg.as_dict(), "runs": runs, "sets": sets,
              "warmup": warmup, "results": [], "notes": []}

    def save():
        if json_path:
            tmp = json_path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(result, f, indent=1)
            os.replace(tmp, json_path)

    def left():
        return float("inf") if deadline_s is None else \
            deadline_s - (time.perf_counter() - start)

    def log(msg):
        print(f"[torch-bench {time.perf_counter() - start:6.1f}s] {msg}",
              flush=True)

    def touch(path):
        if path:
            with open(path, "w") as f:
                f.write(f"{time.time()}\n")

    def first_line(e):
        text = str(e).strip()
        return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:300]

    rows = {}  # (engine, shape) -> row, in the order they are timed

    def row_for(engine, b, s):
        key = (engine, f"{b}x{s}")
        if key not in rows:
            rows[key] = {"engine": f"torch-{engine}", "shape": f"{b}x{s}",
                         "status": "not run"}
            result["results"].append(rows[key])
        return rows[key]

    if device.startswith("cuda") and not torch.cuda.is_available():
        result["notes"].append("CUDA is not available: nothing timed")
        save()
        touch(ready_file)
        log("CUDA is not available")
        return result
    dev = torch.device(device)
    cuda = dev.type == "cuda"
    tdtype = {"bf16": torch.bfloat16, "f16": torch.float16,
              "f32": torch.float32}[dtype]
    if cuda:
        result["gpu"] = torch.cuda.get_device_name(dev)
    torch.manual_seed(seed)
    cls = torch_module_class()
    with torch.device(dev):  # init on the device: fast for 300M params
        model = cls(cfg, attn=attn).to(tdtype).eval()
    with torch.no_grad():  # not zeros, not HF's 0.02 either: O(1) activations
        for name, prm in model.named_parameters():
            if prm.dim() == 1:
                prm.normal_(1.0, 0.1)
            elif name == "model.embed_tokens.weight":
                prm.normal_(0.0, 1.0)
            else:
                prm.normal_(0.0, prm.shape[1] ** -0.5)
    log(f"model: {cfg.params() / 1e6:.1f}M params, {dtype}, attn {attn}, "
        f"on {result.get('gpu', device)}")
    gen = torch.Generator().manual_seed(seed + 1)

    def fresh_ids(b, s):
        return torch.randint(0, cfg.vocab, (b, s), generator=gen)

    # Phase 1: warm eager, compile every shape.
    compiled = torch.compile(model, mode=compile_mode, dynamic=False) \
        if do_compile else None
    with torch.inference_mode():
        for b, s in shapes:
            try:
                model(fresh_ids(b, s).to(dev)).cpu()
            except Exception as e:
                row_for("eager", b, s)["status"] = f"failed: {first_line(e)}"
                log(f"eager {b}x{s}: FAILED {first_line(e)}")
            if compiled is None:
                continue
            row = row_for("compile", b, s)
            if left() < 120:
                row["status"] = "skipped (time budget, before compiling)"
                log(f"compile {b}x{s}: skipped, {left():.0f} s left")
                continue
            t0 = time.perf_counter()
            try:
                compiled(fresh_ids(b, s).to(dev)).cpu()
                row["compile_s"] = time.perf_counter() - t0
                row["status"] = "compiled"
                log(f"compile {b}x{s}: compiled in {row['compile_s']:.1f} s")
            except Exception as e:  # a failed compile must not stop the rest
                row["status"] = f"failed: {first_line(e)}"
                log(f"compile {b}x{s}: FAILED {first_line(e)}")
                compiled = None
            save()
    result["setup_s"] = time.perf_counter() - start
    save()
    touch(ready_file)
    if go_file:
        log(f"ready; waiting for {go_file}")
        while not os.path.exists(go_file) and left() > 10:
            time.sleep(0.1)
        if not os.path.exists(go_file):
            result["notes"].append("the go file never came: nothing timed")
            save()
            log("no go file before the deadline")
            return result
    result["wait_s"] = time.perf_counter() - start - result["setup_s"]

    # Phase 2: timing.
    def timed(fn, b, s, label):
        events, walls = [], []
        for k in range(sets):
            ids_host = fresh_ids(b, s)
            for _ in range(warmup if k == 0 else 2):
                fn(ids_host.to(dev)).cpu()
            for _ in range(runs):
                if cuda:
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                ids = ids_host.to(dev)
                if cuda:
                    e0 = torch.cuda.Event(enable_timing=True)
                    e1 = torch.cuda.Event(enable_timing=True)
                    e0.record()
                out = fn(ids)
                if cuda:
                    e1.record()
                logits = out.cpu()
                walls.append((time.perf_counter() - t0) * 1e3)
                if cuda:
                    events.append(e0.elapsed_time(e1))
            if not torch.isfinite(logits).all():
                raise RuntimeError(f"{label}: non-finite logits")
        out = {"wall_ms": statistics.median(walls), "wall_min_ms": min(walls),
               "calls": len(walls)}
        if events:
            out.update(events_ms=statistics.median(events),
                       events_min_ms=min(events))
        return out

    with torch.inference_mode():
        for b, s in shapes:
            for engine in ("eager", "compile"):
                if engine == "compile" and not do_compile:
                    continue
                row = row_for(engine, b, s)
                label = f"{engine} {b}x{s}"
                if row["status"] != ("compiled" if engine == "compile"
                                     else "not run"):
                    continue  # failed or skipped in phase 1
                if left() < 15:
                    row["status"] = "skipped (time budget)"
                    log(f"{label}: skipped, {left():.0f} s left")
                    save()
                    continue
                try:
                    row.update(timed(compiled if engine == "compile"
                                     else model, b, s, label))
                    row["status"] = "ok"
                    log(f"{label}: wall {row['wall_ms']:.3f} ms" +
                        (f", events {row['events_ms']:.3f} ms"
                         if "events_ms" in row else ""))
                except Exception as e:
                    row["status"] = f"failed: {first_line(e)}"
                    log(f"{label}: FAILED {first_line(e)}")
                save()
    result["elapsed_s"] = time.perf_counter() - start
    save()
    return result


# ----------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------

def add_arch_args(p, default=Config()):
    p.add_argument("--hidden", type=int, default=default.hidden)
    p.add_argument("--layers", type=int, default=default.layers)
    p.add_argument("--heads", type=int, default=default.heads)
    p.add_argument("--kv-heads", type=int, default=default.kv_heads)
    p.add_argument("--ffn", type=int, default=default.ffn)
    p.add_argument("--vocab", type=int, default=default.vocab)
    p.add_argument("--eps", type=float, default=default.eps)
    p.add_argument("--theta", type=float, default=default.theta)
    p.add_argument("--max-pos", type=int, default=default.max_pos,
                   help="rows of the cos/sin caches (--rotary cache)")
    p.add_argument("--tiny", action="store_true",
                   help="the self-check's tiny size (hidden 64, 2 layers, "
                   "4 heads, 2 kv-heads, ffn 128, vocab 256)")


def arch_from_args(a):
    if a.tiny:
        return TINY
    return Config(vocab=a.vocab, hidden=a.hidden, layers=a.layers,
                  heads=a.heads, kv_heads=a.kv_heads, ffn=a.ffn, eps=a.eps,
                  theta=a.theta, max_pos=a.max_pos)


def parse_shapes(text):
    shapes = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            b, s = (int(x) for x in part.lower().split("x"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{part}' is not BxS")
        if b < 1 or s < 1:
            raise argparse.ArgumentTypeError(f"'{part}': dims must be >= 1")
        shapes.append((b, s))
    return shapes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    o = sub.add_parser("onnx", help="write the ONNX model")
    add_arch_args(o)
    o.add_argument("-o", "--out", required=True, help="output directory")
    o.add_argument("--name", default="model", help="file name: NAME.onnx")
    o.add_argument("--rotary", choices=["range", "cache"], default="range")
    o.add_argument("--mask", choices=["where", "trilu"], default="where")
    o.add_argument("--scale", choices=["mul", "div"], default="mul")
    o.add_argument("--all-positions", action="store_true",
                   help="logits of every position [batch, seq, vocab]")
    o.add_argument("--seed", type=int, default=0, help="random weights")
    o.add_argument("--init-std", type=float,
                   help="N(0, STD) weights (default: 1/sqrt(fan_in))")
    o.add_argument("--weights", metavar="FILE",
                   help="HF-named weights (.npz, or a torch state dict .pt) "
                   "instead of random ones")
    o.add_argument("--save-weights", metavar="FILE.npz",
                   help="also write the weights used (HF names, torch "
                   "layout) for LlamaArch.load_weights")
    o.add_argument("--external-data", action="store_true",
                   help="weights in NAME.onnx.data beside the graph")
    o.add_argument("--no-data", action="store_true",
                   help="weights as external-data references to "
                   "NAME.onnx.data, which is not written (for kestrelc "
                   "--no-weight-data + kestrel-pack --dummy)")

    s = sub.add_parser("self-check", help="tiny model: onnxruntime vs numpy "
                       "vs torch")
    s.add_argument("--tol", type=float, default=1e-5)

    t = sub.add_parser("torch-bench", help="time PyTorch eager and "
                       "torch.compile")
    add_arch_args(t)
    t.add_argument("--shapes", type=parse_shapes, default=[(1, 512)],
                   help="BxS,... (default 1x512)")
    t.add_argument("--runs", type=int, default=20)
    t.add_argument("--sets", type=int, default=3)
    t.add_argument("--warmup", type=int, default=5)
    t.add_argument("--device", default="cuda")
    t.add_argument("--dtype", choices=["bf16", "f16", "f32"], default="bf16")
    t.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    t.add_argument("--no-compile", action="store_true")
    t.add_argument("--compile-mode", default="default")
    t.add_argument("--deadline", type=float,
                   help="seconds after which nothing new starts")
    t.add_argument("--json", help="write results here (updated as it goes)")
    t.add_argument("--ready-file", help="touched when setup and compiles "
                   "are done")
    t.add_argument("--go-file", help="after setup, wait for this file to "
                   "exist before timing")

    i = sub.add_parser("ids", help="random token ids (.npy, int64)")
    i.add_argument("--batch", type=int, required=True)
    i.add_argument("--seq", type=int, required=True)
    i.add_argument("--vocab", type=int, required=True)
    i.add_argument("--seed", type=int, default=0)
    i.add_argument("-o", "--out", required=True)

    a = p.parse_args(argv)
    if a.cmd == "self-check":
        return self_check(a.tol)
    if a.cmd == "ids":
        rng = np.random.default_rng(a.seed)
        np.save(a.out, rng.integers(0, a.vocab, size=(a.batch, a.seq),
                                    dtype=np.int64))
        return 0
    cfg = arch_from_args(a)
    if a.cmd == "torch-bench":
        r = torch_bench(cfg, a.shapes, runs=a.runs, sets=a.sets,
                        warmup=a.warmup, device=a.device, dtype=a.dtype,
                        attn=a.attn, do_compile=not a.no_compile,
                        compile_mode=a.compile_mode, deadline_s=a.deadline,
                        json_path=a.json, ready_file=a.ready_file,
                        go_file=a.go_file)
        bad = [x for x in r["results"] if x.get("status") != "ok"]
        return 0 if r["results"] and not any(
            x["engine"] == "torch-eager" for x in bad) else 1

    # onnx
    t0 = time.perf_counter()
    if a.no_data:
        if a.weights or a.save_weights:
            p.error("--no-data writes no weights: drop --weights and "
                    "--save-weights")
        model = build_onnx(cfg, None, rotary=a.rotary, mask=a.mask,
                           scale=a.scale, last_only=not a.all_positions,
                           no_data_location=f"{a.name}.onnx.data")
    else:
        weights = load_weights_file(a.weights) if a.weights else \
            random_weights(cfg, a.seed, a.init_std)
        model = build_onnx(cfg, weights, rotary=a.rotary, mask=a.mask,
                           scale=a.scale, last_only=not a.all_positions)
    path = save_onnx(model, a.out, a.name, external_data=a.external_data,
                     no_data=a.no_data)
    with open(os.path.join(a.out, f"{a.name}.arch.json"), "w") as f:
        json.dump({"arch": cfg.as_dict(), "rotary": a.rotary, "mask": a.mask,
                   "scale": a.scale, "last_only": not a.all_positions,
                   "weights": "none (--no-data)" if a.no_data else
                   (a.weights or f"random, seed {a.seed}")}, f, indent=1)
    if not a.no_data and a.save_weights:
        parent = os.path.dirname(os.path.abspath(a.save_weights))
        os.makedirs(parent, exist_ok=True)
        np.savez(a.save_weights, **weights)
    check_onnx_file(path)
    data = path + ".data"
    print(f"wrote {path} ({os.path.getsize(path) / 2**20:.2f} MiB"
          + (f", data {os.path.getsize(data) / 2**20:.1f} MiB"
             if os.path.exists(data) else
             f", weights {cfg.params() * 4 / 2**20:.0f} MiB not written"
             if a.no_data else "")
          + f"): {cfg.params() / 1e6:.1f}M params, {len(model.graph.node)} "
          f"nodes, onnx.checker ok, {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
