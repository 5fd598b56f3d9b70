"""Writes onnxruntime-genai model builder outputs of a tiny random Llama (the
form onnxruntime-genai runs: GroupQueryAttention with a KV cache,
SkipSimplifiedLayerNormalization, fp32 for the CPU) into test/models/genai/.

usage: .venv/bin/python test/models/make_genai.py
Needs the fixture packages (scripts/setup-venv.sh --fixtures): torch and
transformers to make the Hugging Face folder, onnxruntime-genai for the
builder. No downloads: the model has random weights and a word-level
tokenizer written here.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))


def hf_folder(path):
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(
        vocab_size=256, hidden_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, intermediate_size=128,
        max_position_embeddings=128, rms_norm_eps=1e-5)
    transformers.LlamaForCausalLM(cfg).eval().save_pretrained(path)
    vocab = {f"t{i}": i for i in range(256)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="t0"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="t0", bos_token="t1",
        eos_token="t2").save_pretrained(path)


def main():
    out = os.path.join(HERE, "genai", "llama-fp32")
    with tempfile.TemporaryDirectory() as tmp:
        hf_folder(os.path.join(tmp, "hf"))
        subprocess.run([sys.executable, "-m", "onnxruntime_genai.models.builder",
                        "-i", os.path.join(tmp, "hf"), "-o",
                        os.path.join(tmp, "out"), "-p", "fp32", "-e", "cpu",
                        "-c", os.path.join(tmp, "cache")], check=True)
        os.makedirs(out, exist_ok=True)
        for name in ("model.onnx", "model.onnx.data", "genai_config.json"):
            shutil.copy(os.path.join(tmp, "out", name), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
