#!/usr/bin/env python3
"""Llama-, Mixtral- and GPT-2-shaped models from transformers' own classes
at a benchmark size (random init, no downloads), exported as the committed
fixtures are (test/models/generate.py: torch.onnx with dynamo, symbolic
batch and sequence), with inputs and PyTorch reference logits at one shape,
for bench/ort_compare.py.

    .venv/bin/python bench/hf_shapes.py --hidden 256 --layers 2 \\
        --shape 2x16 -o /tmp/hf256
    .venv/bin/python bench/ort_compare.py --models /tmp/hf256 ...

Needs the fixture packages (scripts/setup-venv.sh --fixtures: torch,
transformers); never part of CI.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test",
                                "models"))
import generate  # noqa: E402  (test/models/generate.py)
import torch  # noqa: E402
import transformers  # noqa: E402


def models(hidden, layers, heads):
    vocab = generate.VOCAB
    cfg = dict(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers,
               num_attention_heads=heads, intermediate_size=4 * hidden,
               max_position_embeddings=512)

    seeded = generate.seeded
    yield "llama", seeded(lambda: transformers.LlamaForCausalLM(
        transformers.LlamaConfig(num_key_value_heads=heads // 2,
                                 rms_norm_eps=1e-5, **cfg)))

    def mixtral():
        m = transformers.MixtralForCausalLM(transformers.MixtralConfig(
            num_key_value_heads=heads // 2, num_local_experts=4,
            num_experts_per_tok=2, **dict(cfg, intermediate_size=hidden)))
        m.set_experts_implementation("batched_mm")
        return m

    yield "mixtral", seeded(mixtral)
    yield "gpt2", seeded(lambda: transformers.GPT2LMHeadModel(
        transformers.GPT2Config(vocab_size=vocab, n_embd=hidden, n_layer=layers,
                                n_head=heads, n_positions=512)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--shape", default="2x16", help="BxS of the reference")
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args()
    batch, seq = map(int, a.shape.split("x"))
    generate.SHAPES = [(batch, seq)]
    for name, factory in models(a.hidden, a.layers, a.heads):
        folder = os.path.join(a.out, f"{name}-h{a.hidden}")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "model.onnx")
        module = generate.LogitsOnly(factory(), with_mask=False)
        generate.export(module, path, with_mask=False, dynamo=True)
        err = generate.write_data(folder, module, False, path)
        print(f"{folder}: ONNX Runtime vs PyTorch relative L2 {err:.1e}")


if __name__ == "__main__":
    main()
