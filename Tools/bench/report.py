"""Prints the benchmark's Markdown table: Swift `llava bench` next to transformers float32 and bfloat16.

Each input is one JSON line as printed by `llava bench --json` or `bench_transformers.py --json`
(keys encode_s, prefill_s, prefill_tokens, prefill_tok_s, decode_tok_s, peak_rss_gib, blas_kernel).
Ratios are Swift / PyTorch as speed (> 1: Swift is faster; for times that is PyTorch time / Swift time).
RSS is also shown relative to the checkpoint's safetensors size.

Run: python Tools/bench/report.py --model DIR [--swift swift.json] [--torch-f32 f32.json] [--torch-bf16 bf16.json]
     [--env-note TEXT]
"""

from __future__ import annotations

import argparse
import glob
import json
import os


def load(path: str | None) -> dict | None:
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        lines = [line for line in f.read().splitlines() if line.strip().startswith("{")]
    if not lines:
        return None
    return json.loads(lines[-1])


def fmt(v, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--swift")
    ap.add_argument("--torch-f32")
    ap.add_argument("--torch-bf16")
    ap.add_argument("--env-note", default="")
    args = ap.parse_args()

    ckpt_bytes = sum(os.path.getsize(p) for p in glob.glob(os.path.join(args.model, "*.safetensors")))
    ckpt_gib = ckpt_bytes / 2**30
    sw, f32, bf16 = load(args.swift), load(args.torch_f32), load(args.torch_bf16)
    cols = [("Swift", sw), ("PyTorch f32", f32), ("PyTorch bf16", bf16)]

    def g(d, k):
        return None if d is None else d.get(k)

    # (label, key, format, higher_is_better)
    rows = [
        ("image encode (s)", "encode_s", ".3f", False),
        ("prefill (s, incl. encode)", "prefill_s", ".3f", False),
        ("prefill tokens/s", "prefill_tok_s", ".1f", True),
        ("decode tokens/s", "decode_tok_s", ".2f", True),
        ("peak RSS (GiB)", "peak_rss_gib", ".2f", False),
    ]
    header = ["metric"] + [c for c, _ in cols] + ["Swift/PT f32", "Swift/PT bf16"]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, key, spec, higher in rows:
        vals = [g(d, key) for _, d in cols]
        ratios = []
        for ref in vals[1:]:
            s = vals[0]
            if s is None or ref is None or s == 0 or ref == 0:
                ratios.append("—")
            elif key == "peak_rss_gib":
                ratios.append(f"{s / ref:.2f}× RSS")
            else:
                ratios.append(f"{(s / ref if higher else ref / s):.2f}×")
        out.append("| " + " | ".join([label] + [fmt(v, spec) for v in vals] + ratios) + " |")
    rss_vs_ckpt = [
        "—" if g(d, "peak_rss_gib") is None else f"{g(d, 'peak_rss_gib') / ckpt_gib:.2f}×" for _, d in cols
    ]
    out.append("| " + " | ".join(["peak RSS / checkpoint"] + rss_vs_ckpt + ["", ""]) + " |")
    out.append("| " + " | ".join(["prompt tokens"] + [fmt(g(d, "prefill_tokens"), "d") for _, d in cols] + ["", ""])
               + " |")
    out.append("| " + " | ".join(["kernel"] + [str(g(d, "blas_kernel") or "—") for _, d in cols] + ["", ""]) + " |")

    threads = {g(d, "threads") for _, d in cols if d is not None and g(d, "threads") is not None}
    print(f"Checkpoint: {os.path.abspath(args.model)} — safetensors {ckpt_bytes / 1e9:.2f} GB ({ckpt_gib:.2f} GiB)")
    if threads:
        print(f"Threads: {', '.join(str(t) for t in sorted(threads))}")
    if args.env_note:
        print(args.env_note)
    print()
    print("\n".join(out))
    print()
    print("Ratios: Swift speed / PyTorch speed (> 1 means Swift is faster); RSS: Swift RSS / PyTorch RSS.")
    if f32 is not None or bf16 is not None:
        d = f32 or bf16
        print(f"PyTorch: torch {d.get('torch_version')}, transformers {d.get('transformers_version')}, "
              f"CPU capability {d.get('cpu_capability')}, attention {d.get('attn_implementation')}.")


if __name__ == "__main__":
    main()
