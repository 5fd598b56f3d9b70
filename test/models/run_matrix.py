"""The model matrix (test/models/matrix, written by matrix.py): every entry
compiled by kestrelc for each target and run by kestrel-run against its
PyTorch reference (relative L2 <= 1e-4; f32 on the CUDA emulator too), with
the fused sites from --stats. Prints one line per entry and target and a
Markdown table (--markdown FILE).

The expected results are in test/models/matrix/expected.txt: an entry and
target listed there must fail, with the listed text in its error (what is
missing); every other entry that exported must match. An unexpected failure
or an unexpected pass fails the run (update the list when something starts
working). Entries the exporter could not produce (summary.json says why)
are listed and not run.

usage: run_matrix.py KESTRELC KESTREL_RUN OUT_DIR [--targets cpu,cuda-emu]
                     [--only ENTRY,...] [--jobs N] [--markdown FILE]
                     [--matrix DIR]
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MATRIX = os.path.join(HERE, "matrix")
RTOL = "1e-4"
INT8_RTOL = "3e-2"


def expected_failures(path):
    """{(entry, target): text the error must contain}."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            entry, target, text = line.split(None, 2)
            out[(entry, target)] = text.strip().strip('"')
    return out


def symbolic_dims(model_path):
    """The symbolic dims of the graph's inputs (a past may be empty)."""
    import onnx
    m = onnx.load(model_path, load_external_data=False)
    names = set()
    for i in m.graph.input:
        for d in i.type.tensor_type.shape.dim:
            if d.dim_param:
                names.add(d.dim_param)
    return sorted(names)


def first_error(text):
    """The first error line, with the detail lines indented under it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "error" in line.lower() or "FAIL" in line or "mismatch" in line:
            detail = [l.strip() for l in lines[i + 1:i + 3]
                      if l.startswith("  ")]
            return " ".join([line.strip()] + detail)
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no output)"


def fused_sites(stats):
    """'attn 2, norm 5, rope 4, multi 4; softmax left 0/2; 9 kernels/layer'
    from --stats (the last part where there are two attention layers)."""
    m = re.search(r"fused ops: (.*); softmax left (\d+) of (\d+)", stats)
    if not m:
        return ""
    counts = dict(re.findall(r"(\w+) (\d+) \([+-]\d+\)", m.group(1)))
    norms = sum(int(counts.get(k, 0)) for k in
                ("rms_norm", "layer_norm", "add_rms_norm", "add_layer_norm"))
    text = (f"attn {counts.get('attention', 0)}, norm {norms}, rope "
            f"{counts.get('rope', 0)}, multi {counts.get('multi_matmul', 0)}; "
            f"softmax left {m.group(2)}/{m.group(3)}")
    layer = re.search(r"; per layer (\d+(?: to \d+)?) \(", stats)
    if layer:
        text += f"; {layer.group(1)} kernels/layer"
    return text


def run_entry(args, entry, target):
    folder = os.path.join(args.matrix, entry)
    model = os.path.join(folder, "model.onnx")
    out = os.path.join(args.out, entry, target)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.kestrelc, model, "-o", out, "--name", "model", "--stats",
           "--target", target]
    if target != "cpu":
        cmd += ["--precision", "f32"]
    for d in symbolic_dims(model):
        cmd += ["--dim-range", f"{d}={0 if 'past' in d else 1}:64"]
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    result = {"entry": entry, "target": target,
              "compile_s": time.monotonic() - start}
    if r.returncode:
        result.update(ok=False, stage="compile",
                      error=first_error(r.stderr + r.stdout))
        return result
    result["fused"] = fused_sites(r.stdout)
    left = re.search(r"softmax left (\d+) of", r.stdout)
    if target == "cpu" and left and int(left.group(1)) > 0:
        # Why each attention site stayed unfused (router softmaxes of MoE
        # blocks are not attention sites and are not named).
        remarks = subprocess.run(
            cmd[:2] + ["--emit=graph", "-o", os.devnull, "--fusion-remarks"] +
            cmd[cmd.index("--target"):], capture_output=True, text=True)
        result["unfused"] = sorted(set(re.findall(
            r"attention not fused: (.*)", remarks.stdout + remarks.stderr)))
    run = [args.kestrel_run, out]
    for sub, flag in (("inputs", "--input"), ("outputs", "--expect")):
        for f in sorted(os.listdir(os.path.join(folder, sub))):
            run += [flag, f"{f[:-4]}={os.path.join(folder, sub, f)}"]
    # The builder's int4 models ask for int8 activations (MatMulNBits'
    # accuracy_level 4), which the CPU computes: ~1e-2 from the reference,
    # the op's definition (ORT's own int8 results are matched per op by
    # test/frontends/onnx/contrib.mlir).
    rtol = INT8_RTOL if target == "cpu" and entry.endswith("genai-int4") \
        else RTOL
    r = subprocess.run(run + ["--rtol", rtol, "--threads", "1"],
                       capture_output=True, text=True)
    errs = [float(x) for x in re.findall(r"relative L2 error ([0-9.eE+-]+)",
                                         r.stdout + r.stderr)]
    result["rel_l2"] = max(errs) if errs else None
    if r.returncode:
        result.update(ok=False, stage="run",
                      error=first_error(r.stderr + r.stdout))
    else:
        result["ok"] = True
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kestrelc")
    p.add_argument("kestrel_run")
    p.add_argument("out")
    p.add_argument("--targets", default="cpu,cuda-emu")
    p.add_argument("--only", default="")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--markdown")
    p.add_argument("--matrix", default=MATRIX)
    args = p.parse_args()
    with open(os.path.join(args.matrix, "summary.json")) as f:
        summary = json.load(f)["entries"]
    xfail = expected_failures(os.path.join(args.matrix, "expected.txt"))
    only = set(filter(None, args.only.split(",")))
    targets = args.targets.split(",")
    work = [(e, t) for e in sorted(summary) for t in targets
            if "export_failed" not in summary[e] and (not only or e in only)]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda w: run_entry(args, *w), work))

    bad = []
    for r in results:
        key = (r["entry"], r["target"])
        want = xfail.get(key)
        if r["ok"] and want is None:
            verdict = "ok"
        elif r["ok"]:
            verdict = "UNEXPECTED PASS (remove it from expected.txt)"
            bad.append(key)
        elif want is not None and want in r["error"]:
            verdict = f"expected failure: {r['error']}"
        else:
            verdict = f"FAILED ({r['stage']}): {r['error']}"
            if want is not None:
                verdict += f" [expected text: {want}]"
            bad.append(key)
        r["verdict"] = verdict
        err = f" rel L2 {r['rel_l2']:.1e}" if r.get("rel_l2") is not None else ""
        why = "; not fused: " + ", ".join(r["unfused"]) if r.get("unfused") else ""
        print(f"{r['entry']} [{r['target']}]: {verdict}{err}"
              f"{'; ' + r['fused'] if r.get('fused') else ''}{why}")
    skipped = sorted(e for e in summary if "export_failed" in summary[e]
                     and (not only or e in only))
    for e in skipped:
        print(f"{e}: not exported ({summary[e]['export_failed'][:120]})")
    for t in targets:
        rs = [r for r in results if r["target"] == t]
        print(f"{t}: {sum(r['ok'] for r in rs)} of {len(rs)} exported entries "
              f"match their references")
    print(f"entries the exporters could not produce: {len(skipped)}")

    if args.markdown:
        write_markdown(args.markdown, summary, results, targets, skipped)
    if bad:
        print(f"{len(bad)} unexpected result(s)")
        return 1
    return 0


def write_markdown(path, summary, results, targets, skipped):
    by = {(r["entry"], r["target"]): r for r in results}
    entries = sorted({r["entry"] for r in results})
    lines = ["| entry | opset | " + " | ".join(targets) +
             " | fused sites (CPU) |", "| --- | --- |" +
             " --- |" * len(targets) + " --- |"]
    for e in entries:
        cells = []
        for t in targets:
            r = by.get((e, t))
            if r is None:
                cells.append("")
            elif r["ok"]:
                cells.append(f"match ({r['rel_l2']:.0e})"
                             if r.get("rel_l2") is not None else "match")
            else:
                cells.append(f"{r['stage']}: {r['error'][:90]}".replace("|", "\\|"))
        cpu = by.get((e, "cpu")) or {}
        fused = cpu.get("fused", "")
        if cpu.get("unfused"):
            fused += " (attention not fused: " + "; ".join(cpu["unfused"]) + ")"
        lines.append(f"| {e} | {summary[e].get('opset', '')} | " +
                     " | ".join(cells) + f" | {fused} |")
    for e in skipped:
        lines.append(f"| {e} | | not exported: "
                     f"{summary[e]['export_failed'][:90].replace('|', '/')} |"
                     + " |" * len(targets))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
