"""Tokenizer speed: Python `tokenizers` side, and the text / report helpers of Benchmarks/tokenizer.sh.

  python Tools/bench/bench_tokenizer.py make-text OUT.json [--bytes 1000000]
      concatenated .py sources of the installed transformers package, cut to ~--bytes UTF-8 bytes (at a
      character boundary), written as ONE JSON string on one line.
  python Tools/bench/bench_tokenizer.py python --tokenizer DIR --text FILE.json --runs 5 --ids OUT.json
         [--loader transformers|file]
      A `tokenizers.Tokenizer` (Rust) encodes the text in-process (add_special_tokens=True, as
      `llava tokenize`), best of --runs; prints one JSON line {load_s, encode_s: [...], best_s, tokens,
      rayon_threads, loader}; writes the ids to OUT.json. Threads: whatever RAYON_NUM_THREADS the caller set.
        --loader transformers (default): AutoTokenizer.from_pretrained(DIR).backend_tokenizer -- the pipeline
          `llava tokenize` reproduces (transformers 5 rebuilds a LlamaTokenizer's pipeline: Metaspace
          "first", no normalizer, whatever tokenizer.json says);
        --loader file: Tokenizer.from_file(DIR/tokenizer.json) -- the file's own pipeline (for the mistral
          fixture the legacy Prepend+Replace normalizer, which also prepends "▁" after every special token
          found in the text, so its ids differ from transformers' wherever the text contains "<s>"/"</s>").
  python Tools/bench/bench_tokenizer.py report RESULTS_DIR
      Markdown table from RESULTS_DIR/{meta.json, swift.json, python-*.json} and whether each side's ids
      equal Swift's.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

sys.dont_write_bytecode = True


def make_text(out: str, n_bytes: int) -> None:
    import transformers

    root = os.path.dirname(transformers.__file__)
    parts, size = [], 0
    for path in sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
        with open(path, encoding="utf-8", errors="replace") as f:
            s = f.read()
        parts.append(s)
        size += len(s.encode("utf-8"))
        if size >= n_bytes:
            break
    text = "".join(parts).encode("utf-8")[:n_bytes].decode("utf-8", errors="ignore")
    with open(out, "w") as f:
        f.write(json.dumps(text, ensure_ascii=False))
        f.write("\n")
    print(f"{out}: {len(text.encode('utf-8'))} bytes, {len(text)} characters")


def bench_python(tokenizer_dir: str, text_file: str, runs: int, ids_out: str, loader: str) -> None:
    t0 = time.perf_counter()
    if loader == "file":
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))
    else:
        import transformers
        from transformers import AutoTokenizer

        transformers.logging.set_verbosity_error()
        tok = AutoTokenizer.from_pretrained(tokenizer_dir).backend_tokenizer
    load = time.perf_counter() - t0
    with open(text_file) as f:
        text = json.loads(f.readline())
    times = []
    ids = None
    for _ in range(runs):
        t = time.perf_counter()
        enc = tok.encode(text)
        times.append(time.perf_counter() - t)
        ids = enc.ids
    with open(ids_out, "w") as f:
        json.dump(ids, f)
    print(json.dumps({"load_s": load, "encode_s": times, "best_s": min(times), "tokens": len(ids),
                      "rayon_threads": os.environ.get("RAYON_NUM_THREADS", "default"), "loader": loader}))


PYTHON_RUNS = [
    ("python-1", "Python tokenizers (AutoTokenizer backend), RAYON_NUM_THREADS=1"),
    ("python-default", "Python tokenizers (AutoTokenizer backend), default threads"),
    ("python-file-1", "Python tokenizers, Tokenizer.from_file, RAYON_NUM_THREADS=1"),
]


def report(root: str) -> None:
    meta = json.load(open(os.path.join(root, "meta.json")))
    swift = json.load(open(os.path.join(root, "swift.json")))
    ids_swift = json.load(open(os.path.join(root, "ids-swift.json")))
    py = {name: json.load(open(os.path.join(root, name + ".json"))) for name, _ in PYTHON_RUNS
          if os.path.exists(os.path.join(root, name + ".json"))}
    same = {name: json.load(open(os.path.join(root, f"ids-{name}.json"))) == ids_swift for name in py}
    mb = meta["bytes"] / 1e6
    n = len(ids_swift)
    net = swift["best_s"] - swift["empty_best_s"]
    ref = py["python-1"]["best_s"]
    lines = [
        f"Text: {meta['bytes']:,} bytes ({meta['source']}), one JSON line; tokenizer {meta['tokenizer']}; "
        f"Swift: {n:,} ids.",
        "",
        "| implementation | what is timed | best of N (s) | MB/s | tokens/s | speed vs tokenizers (1 thread) | ids == Swift |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(name: str, what: str, s: float, ids: str) -> str:
        return f"| {name} | {what} | {s:.3f} | {mb / s:.2f} | {n / s:,.0f} | {ref / s:.2f}× | {ids} |"

    lines.append(row("Swift `llava tokenize`", f"whole process, raw, best of {swift['runs']}", swift["best_s"], "–"))
    lines.append(f"| Swift `llava tokenize` | empty input (process start + load), best of {swift['runs']} | "
                 f"{swift['empty_best_s']:.3f} | – | – | – | – |")
    lines.append(row("Swift `llava tokenize`", "net = raw − empty (JSON parse + encode + print)", net, "–"))
    for name, label in PYTHON_RUNS:
        if name in py:
            r = py[name]
            lines.append(row(label, f"encode() in-process, best of {len(r['encode_s'])}", r["best_s"],
                             "yes" if same[name] else f"**no** ({r['tokens']:,} ids)"))
    lines.append("")
    lines.append(f"Python load (import + construct): AutoTokenizer {py['python-1']['load_s'] * 1e3:.0f} ms"
                 + (f", Tokenizer.from_file {py['python-file-1']['load_s'] * 1e3:.0f} ms" if "python-file-1" in py else "")
                 + f". tokenizers {meta.get('tokenizers', '?')}, transformers {meta.get('transformers', '?')}, "
                 f"{meta.get('cores', '?')} cores.")
    for name in py:
        if not same[name]:
            other = json.load(open(os.path.join(root, f"ids-{name}.json")))
            k = next((i for i, (x, y) in enumerate(zip(ids_swift, other)) if x != y), min(len(ids_swift), len(other)))
            lines.append(f"{name}: first difference at id {k}: Swift {ids_swift[k:k + 6]} vs {other[k:k + 6]}.")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-text")
    m.add_argument("out")
    m.add_argument("--bytes", type=int, default=1_000_000)
    p = sub.add_parser("python")
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--ids", required=True)
    p.add_argument("--loader", choices=("transformers", "file"), default="transformers")
    r = sub.add_parser("report")
    r.add_argument("root")
    args = ap.parse_args()
    if args.cmd == "make-text":
        make_text(args.out, args.bytes)
    elif args.cmd == "python":
        bench_python(args.tokenizer, args.text, args.runs, args.ids, args.loader)
    else:
        report(args.root)


if __name__ == "__main__":
    main()
