"""Writes the seed corpus and dictionary of the importer fuzzer.

    make_seeds.py OUT_DIR DICT SUPPORT_MD FIXTURE.onnx...

Seeds: every model of the frontend tests (test/frontends/onnx/Inputs/
models.py, the malformed ones of errors.mlir included), the fixtures with
their weights moved to external data (the fuzzer imports those as
kestrel.weight without reading them, as kestrelc --no-weight-data does, so
a 600 KiB fixture becomes a seed of a few KiB with the same graph), and
corrupted copies of those (mutate_models.py's flips, truncations, zeroed
and duplicated ranges). The dictionary holds the op types of the importer's
table (SUPPORT_MD, docs/onnx-support.md) and the domains, attribute names
and external-data keys the seeds use.
"""
import os
import random
import re
import sys

import onnx

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "frontends", "onnx"))
sys.path.insert(0, os.path.join(here, "..", "frontends", "onnx", "Inputs"))
import models  # noqa: E402
import mutate_models  # noqa: E402

# The file the fuzzer puts beside the model; its size bounds what an
# external tensor may read from it.
WEIGHTS, WEIGHTS_SIZE = "weights.bin", 4096
MUTATIONS_PER_FIXTURE = 4

FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16,
          onnx.TensorProto.BFLOAT16}


def count(tensor):
    n = 1
    for d in tensor.dims:
        n *= d
    return n


def to_external(tensor, nbytes):
    """Points `tensor` at bytes [0, nbytes) of the fuzzer's weights file."""
    tensor.ClearField("raw_data")
    for field in ("float_data", "int32_data", "int64_data"):
        tensor.ClearField(field)
    tensor.data_location = onnx.TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", WEIGHTS), ("offset", "0"),
                       ("length", str(nbytes))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value


def tensors(model):
    """Initializers and Constant nodes' tensors, subgraphs left aside."""
    yield from model.graph.initializer
    for node in model.graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                yield attr.t


def strip(model):
    """Moves what the importer would make a kestrel.weight (more than 16
    floats) to external data, keeping the small literals it folds inline,
    and drops what it never reads: doc strings and the exporter's metadata
    (stack traces, name scopes)."""
    for t in tensors(model):
        if t.data_type in FLOATS and count(t) > 16:
            itemsize = 4 if t.data_type == onnx.TensorProto.FLOAT else 2
            to_external(t, count(t) * itemsize)
    g = model.graph
    for item in [model, g, *g.node, *g.value_info, *g.input, *g.output]:
        for field in ("doc_string", "metadata_props"):
            if item.DESCRIPTOR.fields_by_name.get(field):
                item.ClearField(field)
    # Short value names ("/model/layers.0/self_attn/Concat_9_output_0"
    # becomes "v123"): a third of the bytes, and mutations land on the
    # graph's structure more often.
    names = {}

    def short(name):
        if name and name not in names:
            names[name] = "v%d" % len(names)
        return names.get(name, "")
    for v in [*g.input, *g.output, *g.value_info, *g.initializer]:
        v.name = short(v.name)
    for node in g.node:
        node.name = ""
        node.input[:] = [short(x) for x in node.input]
        node.output[:] = [short(x) for x in node.output]
    return model


def external_to_weights(model):
    """Models.py's external-data model, its (small) tensors read from the
    fuzzer's weights file instead of a file of their own."""
    for t in tensors(model):
        nbytes = len(t.raw_data) or count(t) * 4
        if nbytes <= WEIGHTS_SIZE:
            to_external(t, nbytes)
    return model


def frontend_models():
    """(name, bytes) of every model the frontend tests build, and the three
    malformed files models.py writes as bytes."""
    yield "not_onnx", b"this is a text file, not a protobuf\n"
    yield "empty", b""
    matmuls = models.MODELS["matmuls"]().SerializeToString()
    yield "truncated", matmuls[: len(matmuls) // 2]
    for name in sorted(models.MODELS):
        built = models.MODELS[name]()
        if isinstance(built, tuple):
            built = external_to_weights(built[0])
        yield name, built.SerializeToString()


def dictionary(support_md, seeds):
    words = set()
    for line in open(support_md):
        row = [c.strip() for c in line.split("|")]
        if len(row) > 3 and row[1] in ("ai.onnx", "com.microsoft"):
            words.add(row[2])
    words |= {"ai.onnx", "com.microsoft", WEIGHTS, "location", "offset",
              "length"}
    for data in seeds:
        m = onnx.ModelProto()
        try:
            m.ParseFromString(data)
        except Exception:
            continue
        for node in m.graph.node:
            words.add(node.domain)
            words.update(a.name for a in node.attribute)
    words.discard("")
    escape = re.compile(rb'[^\x20-\x7e]|["\\]')
    lines = []
    for w in sorted(words):
        text = escape.sub(lambda c: b"\\x%02x" % c.group()[0], w.encode())
        lines.append('"%s"' % text.decode())
    return "\n".join(lines) + "\n"


def main():
    out, dict_path, support_md = sys.argv[1:4]
    fixtures = sys.argv[4:]
    os.makedirs(out, exist_ok=True)
    seeds = dict(frontend_models())
    rng = random.Random(2026)
    for path in fixtures:
        name = os.path.basename(os.path.dirname(path))
        model = onnx.load(path, load_external_data=False)
        data = strip(model).SerializeToString()
        seeds["fixture-" + name] = data
        for i in range(MUTATIONS_PER_FIXTURE):
            kind, mutated = mutate_models.mutate(data, rng)
            seeds[f"fixture-{name}-{kind}-{i}"] = mutated
    for name, data in seeds.items():
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(data)
    with open(dict_path, "w") as f:
        f.write(dictionary(support_md, seeds.values()))
    largest = max(len(d) for d in seeds.values())
    print(f"make_seeds: {len(seeds)} seeds ({len(fixtures)} fixtures), "
          f"the largest {largest} bytes")


if __name__ == "__main__":
    main()
