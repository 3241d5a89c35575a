"""Markdown table of a Benchmarks/train.sh results directory.

  python Tools/bench/train_report.py RESULTS_DIR

RESULTS_DIR holds, per config C and stage S and run R:
  swift-C-sS-rR/metrics.jsonl + swift-C-sS-rR/stderr.txt   (`llava train` over E epochs of K steps each)
  torch-C-sS-rR.json                                          (bench_train_transformers.py --json)
  meta.json  {"configs": {C: {"steps_per_epoch": K, "epochs": E, "samples": n}}, "swift_kernel": ..., ...}
Swift tokens/s: sum of `tokens` / sum of `seconds` over the steps after the first epoch (every image's frozen
features already cached, warm-up over); the best run is reported. PyTorch: its tok_s, best run.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys


def swift_run(path: str, steps_per_epoch: int, samples: int) -> dict:
    rows = [json.loads(line) for line in open(os.path.join(path, "metrics.jsonl")) if line.strip()]
    first = rows[:steps_per_epoch]
    timed = rows[steps_per_epoch:]
    tokens = sum(r["tokens"] for r in timed)
    seconds = sum(r["seconds"] for r in timed)
    out = {"tok_s": tokens / seconds, "s_per_step": seconds / len(timed), "steps": len(timed),
           "mean_length": sum(r["tokens"] for r in first) / samples, "first_loss": rows[0]["loss"]}
    # Frozen vision features are computed in the first epoch only: its extra time per image.
    extra = sum(r["seconds"] for r in first) - seconds / len(timed) * len(first)
    out["vision_s_per_image"] = max(extra, 0.0) / samples
    m = re.search(r"training (\d+) of (\d+) parameters", open(os.path.join(path, "stderr.txt")).read())
    if m:
        out["params_trained"] = int(m.group(1))
    return out


def fmt_params(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.1f}k"


def main() -> None:
    root = sys.argv[1]
    meta = json.load(open(os.path.join(root, "meta.json")))
    lines = [
        "| config | stage | params trained | mean seq len (Swift / PyTorch) | timed steps × batch | Swift tok/s | "
        "PyTorch tok/s | Swift / PyTorch | vision s/image (Swift / PyTorch) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for config, c in meta["configs"].items():
        for stage in meta["stages"]:
            swift = [swift_run(p, c["steps_per_epoch"], c["samples"])
                     for p in sorted(glob.glob(os.path.join(root, f"swift-{config}-s{stage}-r*")))
                     if os.path.exists(os.path.join(p, "metrics.jsonl"))]
            torch = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(root, f"torch-{config}-s{stage}-r*.json")))
                     if os.path.getsize(p) > 0]
            if not swift or not torch:
                lines.append(f"| {config} | {stage} | (missing: {len(swift)} Swift, {len(torch)} PyTorch runs) |")
                continue
            s = max(swift, key=lambda r: r["tok_s"])
            t = max(torch, key=lambda r: r["tok_s"])
            lines.append(
                f"| {config} ({fmt_params(t['params_total'])}) | {stage} | {fmt_params(t['params_trained'])}"
                f"{'' if s.get('params_trained') == t['params_trained'] else ' (Swift ' + fmt_params(s.get('params_trained', 0)) + ')'}"
                f" | {s['mean_length']:.1f} / {t['mean_length']:.1f} | {s['steps']} × {meta['batch_size']}"
                f" | {s['tok_s']:,.0f} | {t['tok_s']:,.0f} | **{s['tok_s'] / t['tok_s']:.2f}×**"
                f" | {s['vision_s_per_image'] * 1e3:.1f} ms / {t['vision_s_per_image'] * 1e3:.1f} ms |"
            )
    t_any = next((json.load(open(p)) for p in glob.glob(os.path.join(root, "torch-*.json")) if os.path.getsize(p) > 0), {})
    lines.append("")
    lines.append(
        f"Kernels: Swift {meta.get('swift_kernel', '?')} (single-threaded OpenBLAS, products split over "
        f"{meta['threads']} cores by the Swift code); PyTorch {t_any.get('torch', '?')} CPU capability "
        f"{t_any.get('cpu_capability', '?')}, {t_any.get('threads', '?')} threads, attention {t_any.get('attn', '?')}, "
        f"logits on {t_any.get('logits', '?')} rows; transformers {t_any.get('transformers', '?')}. float32, batch "
        f"{meta['batch_size']}, AdamW lr 1e-5, grad clip 1.0. Best of {meta['runs']} runs each. {meta.get('env_note', '')}"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
