#!/usr/bin/env python3
"""The latency predictor's measured accuracy on this machine's CPU.

Calibrates with the ~10 reference kernels (kestrel-calibrate), then times a
held-out sweep of ~230 kernel calls (kestrel-calibrate --sweep: shapes and
candidates outside the reference set, one thread and all of them) and
compares each measured time with its prediction. Reports per family and
overall: Spearman's rho, the mean absolute percentage error, the share
within +-10%, and the selection regret: for each GEMM (shape x threads) the
measured time of the candidate the predictor ranks first over the measured
best candidate.

usage: bench/predictor_eval.py [--bin build/bin] [--cpu native]
                               [--out DIR] [--markdown]
Writes DIR/calibration.json and DIR/sweep.json (default: a temporary
directory) and prints the table. Standard library only.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for t in range(i, j + 1):
            r[order[t]] = (i + j) / 2.0 + 1
        i = j + 1
    return r


def spearman(xs, ys):
    if len(xs) < 3:
        return float("nan")
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx > 0 and vy > 0 else float("nan")


def accuracy(points, key):
    measured = [p["measured_us"] for p in points]
    predicted = [p[key] for p in points]
    ape = [abs(p - m) / m for p, m in zip(predicted, measured)]
    return {
        "n": len(points),
        "rho": spearman(predicted, measured),
        "mape": sum(ape) / len(ape),
        "within10": sum(a <= 0.10 for a in ape) / len(ape),
    }


# The CPU GEMM candidates in passes/KernelRegistry.cpp's order.
REGISTRY = ["cpu.gemm.packed", "cpu.gemm.dot", "cpu.gemm.blocked"]


def regret(points, key):
    """Per GEMM site (shape x threads): measured(chosen) / measured(best)."""
    sites = defaultdict(list)
    for p in points:
        if p["family"] in ("gemm", "gemv"):
            w = p["work"]
            sites[(w["batch"], w["m"], w["n"], w["k"], p["threads"])].append(p)
    out = []
    for site, cands in sorted(sites.items()):
        if len(cands) < 2:
            continue
        # As kestrel-select-kernels ranks: ties keep the registry's order.
        chosen = min(cands, key=lambda p: (p[key], REGISTRY.index(
            p["candidate"]) if p["candidate"] in REGISTRY else len(REGISTRY)))
        best = min(cands, key=lambda p: p["measured_us"])
        predictions = [p[key] for p in cands]
        differ = max(predictions) > min(predictions) * 1.001
        out.append((chosen["measured_us"] / best["measured_us"], site,
                    chosen["candidate"], best["candidate"], differ))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--cpu", default="native")
    ap.add_argument("--out", default=None)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="kestrel-predictor-")
    os.makedirs(out, exist_ok=True)
    calib = os.path.join(out, "calibration.json")
    sweep = os.path.join(out, "sweep.json")
    tool = os.path.join(args.bin, "kestrel-calibrate")
    subprocess.run([tool, "--cpu", args.cpu, "-o", calib], check=True)
    subprocess.run([tool, "--cpu", args.cpu, "--sweep", "--calibration", calib,
                    "-o", sweep], check=True)
    data = json.load(open(sweep))
    points = data["points"]
    fam = defaultdict(list)
    for p in points:
        fam[p["family"]].append(p)

    print(f"device: {data['device']} ({data['cpu']}), {len(points)} held-out "
          f"points, calibrated from {len(json.load(open(calib))['samples'])} "
          "reference samples")
    header = ("| family | points | Spearman ρ | MAPE | within ±10% | "
              "MAPE, profile alone |")
    print(header)
    print("|" + " --- |" * 6)
    rows = sorted(fam.items()) + [("**all**", points)]
    for name, ps in rows:
        a, b = accuracy(ps, "predicted_us"), accuracy(ps, "profile_only_us")
        print(f"| {name} | {a['n']} | {a['rho']:.3f} | {a['mape'] * 100:.1f}% "
              f"| {a['within10'] * 100:.0f}% | {b['mape'] * 100:.1f}% |")
    reg = regret(points, "predicted_us")
    # Where candidates run the same code (cpu.gemm.dot falls back to the
    # blocked kernel above 16 rows) their predictions tie and the "regret"
    # between them is the machine's noise between two timings of one
    # kernel.
    differ = [r for r in reg if r[4]]
    same = [r for r in reg if not r[4]]

    def summary(rs, what):
        if not rs:
            return
        values = sorted(r[0] for r in rs)
        n = len(values)
        median = values[n // 2] if n % 2 else (values[n // 2 - 1] +
                                               values[n // 2]) / 2
        worst = max(rs)
        print(f"{what} ({len(rs)} GEMM sites, by shape and threads): median "
              f"{(median - 1) * 100:.1f}%, worst {(worst[0] - 1) * 100:.1f}% "
              f"(at batch,m,n,k,threads={worst[1]}: chose {worst[2]}, best "
              f"{worst[3]})")

    print()
    summary(differ, "selection regret among cpu.gemm.{packed,dot,blocked} "
            "where they run different code")
    summary(same, "the same over sites where both run the blocked kernel "
            "(timing noise)")
    if not args.markdown:
        print("\nlargest errors:")
        for p in sorted(points, key=lambda p: -abs(
                math.log(p["predicted_us"] / p["measured_us"])))[:15]:
            print(f"  {p['name']:45s} measured {p['measured_us']:10.2f} us  "
                  f"predicted {p['predicted_us']:10.2f} us")
    print(f"\nfiles: {calib}, {sweep}")


if __name__ == "__main__":
    sys.exit(main())
