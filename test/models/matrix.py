"""Generates the model matrix (issue 18): the real transformers classes of 22
families with tiny configs and random initialization (no downloads), each
through every exporter that works for it, with inputs and reference outputs
from PyTorch (cross-checked with ONNX Runtime).

    .venv/bin/python test/models/matrix.py [--out test/models/matrix]
        [--only FAMILY-or-ENTRY ...]

Needs the fixture packages (scripts/setup-venv.sh --fixtures). Writes, per
entry FAMILY-EXPORTER, a folder with model.onnx (+ model.onnx.data for the
genai builder) and inputs/ and outputs/ (.npy named after the graph's
inputs and outputs), and summary.json: every entry tried, with the exporter's
opset and ONNX Runtime's agreement with PyTorch, or why the exporter could
not produce it. test/models/run_matrix.py compiles and checks what is here.

Exporters:
  dynamo        torch.onnx.export(dynamo=True), use_cache=False: the form
                transformers 5 writes CumSum/GatherND packed-sequence
                detection into
  dynamo-cache  the same with the model's default use_cache=True (decoders;
                only the logits are outputs)
  decode        dynamo, past_key_values.N.key/value inputs and present.N.*
                outputs: the decode form, at a past of 4 tokens
  torchscript   torch.onnx.export(dynamo=False), opset 17, eager attention
  ort-opt       onnxruntime's transformer optimizer over the dynamo (or
                TorchScript) export: com.microsoft Attention/
                MultiHeadAttention/SkipLayerNormalization/BiasGelu/FastGelu
  genai-fp32    onnxruntime-genai's model builder, fp32 for the CPU
  genai-int4    the same, int4 weights (MatMulNBits)

The exporters' per-node metadata (stack traces, FX names: ~70% of a tiny
dynamo file) is dropped before saving; nothing else is changed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 128
BATCH, SEQ, PAST = 2, 5, 4
T = transformers

# Shared by the decoders: hidden 32, 4 heads of 8 (2 KV heads), 2 layers.
DEC = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
           num_attention_heads=4, num_key_value_heads=2, intermediate_size=64,
           max_position_embeddings=64)
ENC = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
           num_attention_heads=4, intermediate_size=64,
           max_position_embeddings=64)


def experts_batched(model):
    # Experts as batched matmuls over gathered expert weights: exportable
    # with dynamic shapes (the eager per-expert loop is data-dependent).
    model.set_experts_implementation("batched_mm")
    return model


# name -> (kind, factory). Kinds: causal (input_ids -> logits), encoder
# (input_ids, attention_mask -> last hidden state), seq2seq (T5), whisper,
# vision (pixel_values -> last hidden state).
FAMILIES = {
    "llama": ("causal", lambda o: T.LlamaForCausalLM(T.LlamaConfig(**DEC | o))),
    "mistral": ("causal", lambda o: T.MistralForCausalLM(
        T.MistralConfig(sliding_window=None, **DEC | o))),
    "qwen2": ("causal", lambda o: T.Qwen2ForCausalLM(T.Qwen2Config(**DEC | o))),
    "qwen3": ("causal", lambda o: T.Qwen3ForCausalLM(
        T.Qwen3Config(**DEC | {"head_dim": 8} | o))),
    "phi3": ("causal", lambda o: T.Phi3ForCausalLM(
        T.Phi3Config(pad_token_id=0, **DEC | o))),
    "gemma": ("causal", lambda o: T.GemmaForCausalLM(
        T.GemmaConfig(**DEC | {"head_dim": 8} | o))),
    # Logit soft-capping and a sliding window shorter than the sequence.
    "gemma2": ("causal", lambda o: T.Gemma2ForCausalLM(T.Gemma2Config(
        sliding_window=3, final_logit_softcapping=30.0,
        attn_logit_softcapping=50.0, **DEC | {"head_dim": 8} | o))),
    "gpt2": ("causal", lambda o: T.GPT2LMHeadModel(T.GPT2Config(
        vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64))),
    "gptj": ("causal", lambda o: T.GPTJForCausalLM(T.GPTJConfig(
        vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64,
        rotary_dim=4))),
    "gpt-neox": ("causal", lambda o: T.GPTNeoXForCausalLM(T.GPTNeoXConfig(
        rotary_pct=0.5, **ENC))),
    "opt": ("causal", lambda o: T.OPTForCausalLM(T.OPTConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, ffn_dim=64,
        num_attention_heads=4, word_embed_proj_dim=32,
        max_position_embeddings=64))),
    "falcon": ("causal", lambda o: T.FalconForCausalLM(T.FalconConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4))),
    "mixtral": ("causal", lambda o: experts_batched(T.MixtralForCausalLM(
        T.MixtralConfig(num_local_experts=4, num_experts_per_tok=2,
                        **DEC | o)))),
    "qwen2-moe": ("causal", lambda o: experts_batched(T.Qwen2MoeForCausalLM(
        T.Qwen2MoeConfig(num_experts=4, num_experts_per_tok=2,
                         moe_intermediate_size=16,
                         shared_expert_intermediate_size=32, **DEC | o)))),
    "bert": ("encoder", lambda o: T.BertModel(T.BertConfig(**ENC),
                                            add_pooling_layer=False)),
    "roberta": ("encoder", lambda o: T.RobertaModel(
        T.RobertaConfig(pad_token_id=1, **dict(ENC, max_position_embeddings=70)),
        add_pooling_layer=False)),
    "distilbert": ("encoder", lambda o: T.DistilBertModel(T.DistilBertConfig(
        vocab_size=VOCAB, dim=32, hidden_dim=64, n_layers=2, n_heads=4,
        max_position_embeddings=64))),
    "t5": ("seq2seq", lambda o: T.T5ForConditionalGeneration(T.T5Config(
        vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=64, num_layers=2,
        num_heads=4, relative_attention_num_buckets=8,
        relative_attention_max_distance=16, decoder_start_token_id=0))),
    "vit": ("vision", lambda o: T.ViTModel(T.ViTConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, image_size=16, patch_size=4),
        add_pooling_layer=False)),
    "clip-text": ("encoder", lambda o: T.CLIPTextModel(T.CLIPTextConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=64))),
    "clip-vision": ("vision", lambda o: T.CLIPVisionModel(T.CLIPVisionConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, image_size=16, patch_size=4))),
    "whisper": ("whisper", lambda o: T.WhisperForConditionalGeneration(
        T.WhisperConfig(vocab_size=VOCAB, d_model=32, encoder_layers=2,
                        decoder_layers=2, encoder_attention_heads=4,
                        decoder_attention_heads=4, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, num_mel_bins=8,
                        max_source_positions=8, max_target_positions=32,
                        pad_token_id=0, bos_token_id=1, eos_token_id=2,
                        decoder_start_token_id=1))),
}

EXPORTERS = {
    "causal": ["dynamo", "dynamo-cache", "decode", "torchscript"],
    "encoder": ["dynamo", "torchscript"],
    "seq2seq": ["dynamo", "torchscript"],
    "whisper": ["dynamo", "torchscript"],
    "vision": ["dynamo", "torchscript"],
}
# onnxruntime's transformer optimizer: the model types it fuses.
ORT_OPTIMIZER = {"bert": "bert", "roberta": "bert", "distilbert": "bert",
                 "gpt2": "gpt2", "vit": "vit", "clip-text": "clip"}
# onnxruntime-genai's builder: the architectures it converts (the Hugging
# Face folder's config names the architecture).
GENAI = ["llama", "mistral", "qwen2", "qwen3", "phi3", "gemma", "gemma2"]


# GroupQueryAttention in onnxruntime needs head sizes that are multiples of
# 16: the builder's entries are twice as wide. (The builder takes a Linear
# with as many outputs as the vocabulary for the LM head: the MLP must be
# another width.)
GENAI_CONFIG = {"hidden_size": 64, "head_dim": 16, "intermediate_size": 96}


def make(family, overrides=None):
    torch.manual_seed(0)
    return FAMILIES[family][1](overrides or {}).eval()


class Forward(torch.nn.Module):
    """The model's first output, from named tensor inputs."""

    def __init__(self, model, kind, use_cache):
        super().__init__()
        self.model, self.kind, self.use_cache = model, kind, use_cache

    def forward(self, *args):
        m = self.model
        if self.kind == "causal":
            kw = dict(input_ids=args[0], use_cache=self.use_cache)
        elif self.kind == "encoder":
            kw = dict(input_ids=args[0], attention_mask=args[1])
        elif self.kind == "seq2seq":
            kw = dict(input_ids=args[0], decoder_input_ids=args[1],
                      use_cache=self.use_cache)
        elif self.kind == "whisper":
            kw = dict(input_features=args[0], decoder_input_ids=args[1],
                      use_cache=self.use_cache)
        else:
            kw = dict(pixel_values=args[0])
        return m(**kw, return_dict=False)[0]


class Decode(torch.nn.Module):
    """input_ids and each layer's past keys and values -> logits and the
    present keys and values (the past with this step's appended)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, *past):
        cache = T.DynamicCache(config=self.model.config)
        for i in range(self.layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.model(input_ids=input_ids, past_key_values=cache,
                         use_cache=True, return_dict=True)
        present = []
        for layer in out.past_key_values.layers[:self.layers]:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


def kv_shape(model, batch, past):
    c = model.config
    heads = getattr(c, "num_key_value_heads", None) or c.num_attention_heads
    if getattr(c, "multi_query", False) and not getattr(
            c, "new_decoder_architecture", False):
        heads = 1
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    return (batch, heads, past, head_dim)


def inputs_for(kind, model, exporter, rng, batch=BATCH, seq=SEQ, past=PAST):
    """Named numpy inputs and, for torch.export, each input's dynamic axes."""
    ids = lambda b, s: rng.integers(3, VOCAB, size=(b, s), dtype=np.int64)
    if kind == "causal" and exporter == "decode":
        feeds = {"input_ids": ids(batch, seq)}
        dims = {"input_ids": {0: "batch", 1: "seq"}}
        for i in range(model.config.num_hidden_layers):
            for kv in ("key", "value"):
                name = f"past_key_values.{i}.{kv}"
                feeds[name] = rng.standard_normal(
                    kv_shape(model, batch, past)).astype(np.float32)
                dims[name] = {0: "batch", 2: "past"}
        return feeds, dims
    if kind == "causal":
        return {"input_ids": ids(batch, seq)}, {"input_ids": {0: "batch", 1: "seq"}}
    if kind == "encoder":
        mask = np.ones((batch, seq), np.int64)
        mask[-1, seq - 2:] = 0  # padding at the end of the last sequence
        return ({"input_ids": ids(batch, seq), "attention_mask": mask},
                {"input_ids": {0: "batch", 1: "seq"},
                 "attention_mask": {0: "batch", 1: "seq"}})
    if kind == "seq2seq":
        return ({"input_ids": ids(batch, seq),
                 "decoder_input_ids": ids(batch, seq - 1)},
                {"input_ids": {0: "batch", 1: "seq"},
                 "decoder_input_ids": {0: "batch", 1: "decoder_seq"}})
    if kind == "whisper":
        c = model.config
        return ({"input_features": rng.standard_normal(
                    (batch, c.num_mel_bins, 2 * c.max_source_positions))
                    .astype(np.float32),
                 "decoder_input_ids": ids(batch, seq - 1)},
                {"input_features": {0: "batch"},
                 "decoder_input_ids": {0: "batch", 1: "decoder_seq"}})
    c = model.config
    return ({"pixel_values": rng.standard_normal(
                (batch, 3, c.image_size, c.image_size)).astype(np.float32)},
            {"pixel_values": {0: "batch"}})


def torch_outputs(module, feeds):
    with torch.no_grad():
        out = module(*[torch.from_numpy(v) for v in feeds.values()])
    out = out if isinstance(out, tuple) else (out,)
    return [o.detach().float().numpy() for o in out]


def output_names(exporter, model):
    if exporter != "decode":
        return ["output"]
    return ["logits"] + [f"present.{i}.{kv}"
                         for i in range(model.config.num_hidden_layers)
                         for kv in ("key", "value")]


def strip_metadata(path):
    m = onnx.load(path, load_external_data=False)
    for node in m.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    onnx.save(m, path)


def export(family, exporter, path, eager=None):
    """Exports FAMILY with EXPORTER to PATH; returns (module, model), the
    module computing the reference from the inputs. The dynamo exporter
    gets SDPA attention, and eager attention where SDPA does not export
    (T5); TorchScript gets eager attention."""
    kind = FAMILIES[family][0]
    model = make(family)
    if eager is None:
        try:
            return export(family, exporter, path, exporter == "torchscript")
        except Exception:
            if exporter == "torchscript":
                raise
            return export(family, exporter, path, True)
    if hasattr(model, "set_attn_implementation"):
        try:
            model.set_attn_implementation("eager" if eager else "sdpa")
        except Exception:
            model.set_attn_implementation("eager")
    # TorchScript cannot export transformers 5's packed-sequence detection
    # (aten::diff), written when no cache is used: it gets the default.
    module = (Decode(model) if exporter == "decode" else
              Forward(model, kind, exporter in ("dynamo-cache", "torchscript")))
    feeds, dims = inputs_for(kind, model, exporter, np.random.default_rng(1))
    args = tuple(torch.from_numpy(v) for v in feeds.values())
    names = list(feeds)
    outs = output_names(exporter, model)
    if exporter == "torchscript":
        axes = {n: d for n, d in dims.items()}
        torch.onnx.export(module, args, path, dynamo=False, opset_version=17,
                          input_names=names, output_names=outs,
                          dynamic_axes=axes)
    else:
        made = {}
        dim = lambda n: made.setdefault(n, torch.export.Dim(n.replace("-", "_")))
        shapes = tuple({a: dim(n) for a, n in dims[name].items()}
                       for name in names)
        shapes = ({"input_ids": shapes[0], "past": shapes[1:]}
                  if exporter == "decode" else {"args": shapes})
        program = torch.onnx.export(module, args, dynamo=True,
                                    input_names=names, output_names=outs,
                                    dynamic_shapes=shapes)
        program.save(path)
    strip_metadata(path)
    return module, model


def rel_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) /
                 max(np.linalg.norm(b.ravel()), 1e-30))


def check_and_write(folder, path, module, model, kind, exporter):
    """References at (BATCH, SEQ) from PyTorch, written when ONNX Runtime
    agrees (relative L2 <= 1e-4) there and at another shape; returns ORT's
    worst relative L2."""
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    worst = 0.0
    for i, (batch, seq, past) in enumerate(((BATCH, SEQ, PAST), (3, 4, 2))):
        feeds, _ = inputs_for(kind, model, exporter,
                              np.random.default_rng(42 + i), batch, seq, past)
        ref = torch_outputs(module, feeds)
        got = session.run(None, feeds)
        for r, g in zip(ref, got):
            worst = max(worst, rel_l2(g, r))
        if i == 0:
            for sub, values in (("inputs", feeds), ("outputs", dict(
                    zip([o.name for o in session.get_outputs()], ref)))):
                os.makedirs(os.path.join(folder, sub), exist_ok=True)
                for name, value in values.items():
                    np.save(os.path.join(folder, sub, name + ".npy"), value)
    return worst


def opset_of(path):
    m = onnx.load(path, load_external_data=False)
    return [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")][0]


def ort_optimize(family, src, dst):
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions
    kind = ORT_OPTIMIZER[family]
    options = FusionOptions(kind)
    if kind == "bert":
        options.use_multi_head_attention = True
        options.enable_embed_layer_norm = False
    m = optimizer.optimize_model(src, model_type=kind, num_heads=4,
                                 hidden_size=32, optimization_options=options,
                                 opt_level=1, use_gpu=False)
    m.save_model_to_file(dst)
    return sorted({n.op_type for n in onnx.load(dst).graph.node
                   if n.domain == "com.microsoft"})


def run_genai_builder(model, precision, folder, vocab=VOCAB):
    """onnxruntime-genai's builder for the CPU over the transformers MODEL
    (saved with a word-level tokenizer of VOCAB words, written here: no
    download); copies model.onnx, its data and genai_config.json into
    FOLDER. Raises RuntimeError with the builder's last line on failure."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    with tempfile.TemporaryDirectory() as tmp:
        hf = os.path.join(tmp, "hf")
        model.save_pretrained(hf)
        tok = Tokenizer(models.WordLevel(
            vocab={f"t{i}": i for i in range(vocab)}, unk_token="t0"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        T.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="t0",
                                  bos_token="t1", eos_token="t2"
                                  ).save_pretrained(hf)
        out = os.path.join(tmp, "out")
        run = subprocess.run(
            [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i",
             hf, "-o", out, "-p", precision, "-e", "cpu", "-c",
             os.path.join(tmp, "cache")], capture_output=True, text=True)
        if run.returncode:
            raise RuntimeError((run.stdout + run.stderr).strip().splitlines()[-1])
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(out):
            if name.endswith((".onnx", ".onnx.data")) or name == "genai_config.json":
                shutil.copy(os.path.join(out, name), folder)


def genai_build(family, precision, folder):
    """The builder's output for FAMILY in FOLDER (run_genai_builder over the
    tiny random model); returns the model."""
    model = make(family, GENAI_CONFIG)
    run_genai_builder(model, precision, folder)
    return model


def genai_write(folder, model, quantized):
    """References for the builder's model: the prompt (no past) from
    PyTorch's logits (from ONNX Runtime's when the weights are quantized:
    the model's own semantics then differ from PyTorch's), and ORT's
    agreement with PyTorch; returns that relative L2."""
    path = os.path.join(folder, "model.onnx")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(42)
    feeds = {}
    for i in session.get_inputs():
        if i.name == "input_ids":
            feeds[i.name] = rng.integers(3, VOCAB, (BATCH, SEQ), dtype=np.int64)
        elif i.name == "attention_mask":
            feeds[i.name] = np.ones((BATCH, SEQ), np.int64)
        elif i.name == "position_ids":
            feeds[i.name] = np.tile(np.arange(SEQ, dtype=np.int64), (BATCH, 1))
        elif i.name.startswith("past_key_values"):
            feeds[i.name] = np.zeros(kv_shape(model, BATCH, 0), np.float32)
        else:
            raise RuntimeError(f"unknown builder input {i.name}")
    with torch.no_grad():
        ref = model(input_ids=torch.from_numpy(feeds["input_ids"]),
                    use_cache=False).logits.float().numpy()
    got = dict(zip([o.name for o in session.get_outputs()],
                   session.run(None, feeds)))
    err = rel_l2(got["logits"], ref)
    if quantized:
        # The builder asks for accuracy_level 4 (ORT quantizes activations
        # to int8 on the fly, ~1% off the op's definition); the reference is
        # the definition: dequantized weights in f32, accuracy_level 0.
        exact = onnx.load(path)
        for node in exact.graph.node:
            for a in node.attribute:
                if node.op_type == "MatMulNBits" and a.name == "accuracy_level":
                    a.i = 0
        session = ort.InferenceSession(exact.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        ref = session.run(["logits"], feeds)[0]
    for sub, values in (("inputs", feeds), ("outputs", {"logits": ref})):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        for name, value in values.items():
            np.save(os.path.join(folder, sub, name + ".npy"), value)
    return err


def entries():
    for family, (kind, _) in FAMILIES.items():
        for exporter in EXPORTERS[kind]:
            yield family, exporter
        if family in ORT_OPTIMIZER:
            yield family, "ort-opt"
        if family in GENAI:
            yield family, "genai-fp32"
            yield family, "genai-int4"


def generate(family, exporter, out, summary):
    tag = f"{family}-{exporter}"
    folder = os.path.join(out, tag)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    path = os.path.join(folder, "model.onnx")
    kind = FAMILIES[family][0]
    entry = {"family": family, "exporter": exporter}
    try:
        if exporter.startswith("genai"):
            model = genai_build(family, exporter.split("-")[1], folder)
            entry["ort_rel_l2"] = genai_write(folder, model,
                                              exporter == "genai-int4")
        elif exporter == "ort-opt":
            src = os.path.join(out, f"{family}-dynamo", "model.onnx")
            if not os.path.exists(src):
                src = os.path.join(out, f"{family}-torchscript", "model.onnx")
            if not os.path.exists(src):
                raise RuntimeError("no export to optimize")
            model = make(family)
            if hasattr(model, "set_attn_implementation"):
                model.set_attn_implementation("sdpa")
            entry["fused_ops"] = ort_optimize(family, src, path)
            entry["ort_rel_l2"] = check_and_write(
                folder, path, Forward(model, kind, False), model, kind,
                "dynamo")
        else:
            module, model = export(family, exporter, path)
            entry["ort_rel_l2"] = check_and_write(folder, path, module, model,
                                                  kind, exporter)
        entry["opset"] = opset_of(path)
        # int4 weights (block 32) of random Gaussian matrices: ~10% from
        # PyTorch's f32 logits; the reference is ORT's output then.
        tol = 0.3 if exporter == "genai-int4" else 1e-4
        if not entry["ort_rel_l2"] <= tol:
            raise RuntimeError(f"ONNX Runtime disagrees with PyTorch: relative "
                               f"L2 {entry['ort_rel_l2']:.1e}")
        entry["bytes"] = sum(os.path.getsize(os.path.join(d, f))
                             for d, _, fs in os.walk(folder) for f in fs)
        print(f"{tag}: opset {entry['opset']}, ORT vs PyTorch "
              f"{entry['ort_rel_l2']:.1e}, {entry['bytes'] // 1024} KiB",
              flush=True)
    except Exception as e:  # the exporter's failure, recorded
        shutil.rmtree(folder, ignore_errors=True)
        msg = " ".join(str(e).split())
        if "Exception summary" in msg:  # torch.export's long preamble
            msg = msg.split("Exception summary")[1].strip(" #")
        entry["export_failed"] = msg[:300]
        print(f"{tag}: EXPORT FAILED: {msg[:300]}", flush=True)
        if os.environ.get("MATRIX_TRACEBACK"):
            traceback.print_exc()
    summary[tag] = entry


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(HERE, "matrix"))
    p.add_argument("--only", nargs="*")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    summary_path = os.path.join(a.out, "summary.json")
    summary = {}
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)["entries"]
    for family, exporter in entries():
        tag = f"{family}-{exporter}"
        if a.only and family not in a.only and tag not in a.only:
            continue
        generate(family, exporter, a.out, summary)
    with open(summary_path, "w") as f:
        json.dump({"torch": torch.__version__,
                   "transformers": transformers.__version__,
                   "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                   "entries": summary}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
