#!/usr/bin/env python3
"""A 135M-class Llama through onnxruntime-genai's model builder, for
bench/ort_compare.py: SmolLM2-135M's architecture (hidden 576, 30 layers,
9 query / 3 KV heads, FFN 1536, vocab 49152, tied embeddings) with random
weights from transformers' LlamaConfig, built for the CPU by
test/models/matrix.py's run_genai_builder as int4
(MatMulNBits, block 32; GatherBlockQuantized embedding) or fp32. No
download: the tokenizer is a word-level one written here.

Each data/1xS holds the prompt's inputs (no past: the KV inputs hold 0
tokens) and the logits ONNX Runtime computes at accuracy_level 0, the op's
definition (weights dequantized, f32 activations). The model keeps the
builder's accuracy_level 4 (ORT quantizes activations to int8 on the fly)
unless --accuracy-level says otherwise: ORT is timed as users run it.

Needs the fixture venv (scripts/setup-venv.sh --fixtures: torch,
transformers, onnxruntime-genai).

    .venv/bin/python bench/genai_llama.py -o /tmp/genai-int4
    .venv/bin/python bench/ort_compare.py --models /tmp/genai-int4 \\
        --threads 2 --kestrelc-arg=--dim-range=past_sequence_length=0:2048 \\
        --kestrelc-arg=--dim-range=total_sequence_length=1:2048
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

VOCAB = 49152
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(out, precision, layers):
    import torch
    import transformers as T
    sys.path.insert(0, os.path.join(REPO, "test", "models"))
    from matrix import run_genai_builder
    torch.manual_seed(0)
    config = T.LlamaConfig(
        hidden_size=576, intermediate_size=1536, num_hidden_layers=layers,
        num_attention_heads=9, num_key_value_heads=3, vocab_size=VOCAB,
        max_position_embeddings=2048, rope_theta=100000.0,
        tie_word_embeddings=True, rms_norm_eps=1e-5)
    model = T.LlamaForCausalLM(config).eval()
    try:
        run_genai_builder(model, precision, out, vocab=VOCAB)
    except RuntimeError as e:
        sys.exit(f"builder failed: {e}")
    return config


def with_accuracy_level(model, level):
    for node in model.graph.node:
        for a in node.attribute:
            if node.op_type == "MatMulNBits" and a.name == "accuracy_level":
                a.i = level
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--out", required=True, help="model directory")
    p.add_argument("--precision", choices=["int4", "fp32"], default="int4")
    p.add_argument("--layers", type=int, default=30)
    p.add_argument("--shapes", default="1x1,1x9,1x128",
                   help="prompt shapes BxS (default 1x1,1x9,1x128)")
    p.add_argument("--accuracy-level", type=int,
                   help="rewrite MatMulNBits' accuracy_level in the timed "
                   "model (default: the builder's)")
    args = p.parse_args()
    config = build(args.out, args.precision, args.layers)
    path = os.path.join(args.out, "model.onnx")
    model = onnx.load(path)
    if args.accuracy_level is not None:
        # onnx.save appends to an existing external data file.
        os.remove(path + ".data")
        onnx.save(with_accuracy_level(model, args.accuracy_level), path,
                  save_as_external_data=True, location="model.onnx.data")
        model = onnx.load(path)
    exact = ort.InferenceSession(
        with_accuracy_level(model, 0).SerializeToString(),
        providers=["CPUExecutionProvider"])
    head = config.hidden_size // config.num_attention_heads
    rng = np.random.default_rng(42)
    for shape in args.shapes.split(","):
        b, s = (int(v) for v in shape.split("x"))
        feeds = {}
        for i in exact.get_inputs():
            if i.name == "input_ids":
                feeds[i.name] = rng.integers(3, VOCAB, (b, s), dtype=np.int64)
            elif i.name == "attention_mask":
                feeds[i.name] = np.ones((b, s), np.int64)
            elif i.name == "position_ids":
                feeds[i.name] = np.tile(np.arange(s, dtype=np.int64), (b, 1))
            elif i.name.startswith("past_key_values"):
                feeds[i.name] = np.zeros(
                    (b, config.num_key_value_heads, 0, head), np.float32)
            else:
                sys.exit(f"unknown builder input {i.name}")
        logits = exact.run(["logits"], feeds)[0]
        data = os.path.join(args.out, "data", shape)
        os.makedirs(data, exist_ok=True)
        for name, value in {**feeds, "logits": logits}.items():
            np.save(os.path.join(data, name + ".npy"), value)
    size = sum(os.path.getsize(os.path.join(args.out, f))
               for f in os.listdir(args.out) if f.startswith("model.onnx"))
    print(f"{path}: {size / 2**20:.0f} MiB, data for {args.shapes}")


if __name__ == "__main__":
    main()
