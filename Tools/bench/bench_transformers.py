"""Times transformers' LlavaForConditionalGeneration on CPU: image encode, prefill, decode, peak RSS.

The PyTorch side of `Benchmarks/run.sh`, measured the way `llava bench` measures the Swift side:
  encode_s       model.get_image_features(pixel_values): CLIP tower (transformers runs all 24 layers and
                 keeps layer -2) + drop CLS + projector. Best of --runs after a warm-up.
  prefill_s      one forward of the whole prompt *with the image* (so it includes the image encode),
                 use_cache=True, logits of the last position only (logits_to_keep=1, as generate does).
                 prefill_tok_s = prefill_tokens / prefill_s; prefill_text_s = prefill_s - encode_s.
  decode_tok_s   greedy decode with the KV cache from that prefill: (M - 1) one-token forwards after the
                 first token (which comes from the prefill logits), timed as a loop; never stops at EOS.
                 The script also checks once that model.generate(max_new_tokens=M, min_new_tokens=M,
                 do_sample=False) yields the same ids, and reports generate's rate as decode_tok_s_generate
                 ((M - 1) / (generate time - prefill_s)).
  blas_kernel    which library/ISA ran torch's Linear for this dtype (MKL SGEMM for float32, oneDNN brgemm for
                 bfloat16 on x86), from MKL/oneDNN verbose output of one small matmul.
  peak_rss_gib   getrusage(RUSAGE_SELF).ru_maxrss at the end (includes the mmapped safetensors pages that
                 were touched while loading). Run each dtype in its own process so peaks don't mix.

The prompt is `USER: <image>\\n<text> ASSISTANT:` with <text> chosen so that the prompt has exactly
--prompt-tokens text tokens (BOS included) besides the 576 image tokens: 592 tokens by default.

Run: python Tools/bench/bench_transformers.py --model DIR --image PATH [--prompt-tokens 16] [--max-tokens 32]
     [--threads 2] [--dtype float32|bfloat16] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sys
import tempfile
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.dont_write_bytecode = True

import torch

import transformers
from PIL import Image
from transformers import DynamicCache, LlavaForConditionalGeneration, LlavaProcessor

transformers.logging.set_verbosity_error()

FILLER_WORDS = (
    "Describe this picture in detail: what objects, colors and shapes are there, and where is each one placed "
    "relative to the others? Please also mention any text, lines or patterns you can see in it."
).split()


def rss_gib_now() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20
    return float("nan")


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _capture_fd1(fn) -> str:
    """Runs fn with the C-level stdout (fd 1) sent to a temp file; returns what was written."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as f:
        os.dup2(f.fileno(), 1)
        try:
            fn()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        f.seek(0)
        return f.read().decode(errors="replace")


def probe_kernels(dtype: torch.dtype) -> dict:
    """Which library and ISA torch's Linear uses for this dtype, from MKL/oneDNN verbose output of a small matmul.

    On x86 torch runs float32 Linear on MKL's SGEMM and bfloat16 Linear on oneDNN's matmul; neither reads
    OPENBLAS_* (numpy's OpenBLAS is not on the hot path).
    """
    x = torch.randn(4, 256, dtype=dtype)
    w = torch.randn(256, 256, dtype=dtype)
    info: dict = {"cpu_capability": torch.backends.cpu.get_cpu_capability()}

    def run_mkl():
        with torch.backends.mkl.verbose(torch.backends.mkl.VERBOSE_ON):
            torch.nn.functional.linear(x, w)

    def run_onednn():
        with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
            torch.nn.functional.linear(x, w)

    try:
        mkl = _capture_fd1(run_mkl)
        onednn = _capture_fd1(run_onednn)
    except Exception as e:  # verbose hooks are best-effort
        info["kernel"] = f"unknown ({e})"
        return info
    m = re.search(r"MKL_VERBOSE (oneMKL [^\n]*?) Product build", mkl)
    calls = re.findall(r"MKL_VERBOSE ([A-Z]+GEMM)\(", mkl)
    isa = re.search(r"onednn_verbose,[^\n]*,cpu,isa:([^\n]+)", onednn)
    impl = re.findall(r"onednn_verbose,[^\n]*,exec,cpu,matmul,([^,]+),", onednn)
    if isa:
        info["onednn_isa"] = isa.group(1).strip()
    if m:
        info["mkl"] = m.group(1).strip()
    if calls:
        info["kernel"] = f"MKL {calls[0]} ({info.get('mkl', 'MKL')}; torch {info['cpu_capability']})"
    elif impl:
        info["kernel"] = f"oneDNN {impl[0]}"
    else:
        info["kernel"] = f"aten native ({info['cpu_capability']})"
    return info


def build_prompt(processor: LlavaProcessor, image: Image.Image, text_tokens: int) -> tuple[str, dict]:
    """`USER: <image>\\n<words> ASSISTANT:` with exactly `text_tokens` non-image tokens (BOS included)."""
    image_token_id = processor.tokenizer.convert_tokens_to_ids(processor.image_token)

    def encode(words: list[str]) -> tuple[str, dict, int]:
        prompt = "USER: <image>\n" + " ".join(words) + (" " if words else "") + "ASSISTANT:"
        enc = processor(images=image, text=prompt, return_tensors="pt")
        ids = enc["input_ids"][0]
        return prompt, enc, int((ids != image_token_id).sum())

    words: list[str] = []
    prompt, enc, n = encode(words)
    if n > text_tokens:
        raise SystemExit(f"--prompt-tokens {text_tokens} is below the template's minimum of {n}")
    i = 0
    while n < text_tokens:
        trial = words + [FILLER_WORDS[i % len(FILLER_WORDS)]]
        i += 1
        p2, e2, n2 = encode(trial)
        if n2 > text_tokens:  # that word is several tokens: pad with a one-token word instead
            trial = words + ["a"]
            p2, e2, n2 = encode(trial)
            if n2 > text_tokens:
                raise SystemExit(f"cannot build a prompt of exactly {text_tokens} text tokens")
        words, prompt, enc, n = trial, p2, e2, n2
    return prompt, enc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--prompt-tokens", type=int, default=16, help="text tokens besides the image tokens")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32")
    ap.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up; the best is reported")
    ap.add_argument("--no-generate-check", action="store_true", help="skip the model.generate cross-check")
    ap.add_argument("--json", action="store_true", help="print only one JSON line")
    args = ap.parse_args()

    def log(msg: str) -> None:
        if not args.json:
            print(msg, flush=True)
        else:
            print(msg, file=sys.stderr, flush=True)

    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    kernels = probe_kernels(dtype)
    log(f"kernel: {kernels.get('kernel')}")

    t0 = time.perf_counter()
    processor = LlavaProcessor.from_pretrained(args.model, backend="pil")
    model = LlavaForConditionalGeneration.from_pretrained(args.model, dtype=dtype).eval()
    load_s = time.perf_counter() - t0
    load_rss = rss_gib_now()
    cfg = model.config
    log(f"loaded {args.model} as {args.dtype} in {load_s:.1f} s, RSS {load_rss:.2f} GiB, "
        f"attn {cfg._attn_implementation}, threads {torch.get_num_threads()}")

    image = Image.open(args.image).convert("RGB")
    prompt, enc = build_prompt(processor, image, args.prompt_tokens)
    input_ids = enc["input_ids"]
    attention_mask = enc["attention_mask"]
    pixel_values = enc["pixel_values"].to(dtype)
    n_prompt = int(input_ids.shape[1])
    n_image = int((input_ids == cfg.image_token_index).sum())
    M = args.max_tokens
    assert M >= 2
    vfl, vfs = cfg.vision_feature_layer, cfg.vision_feature_select_strategy

    def encode_once() -> float:
        t = time.perf_counter()
        feats = model.get_image_features(pixel_values=pixel_values, vision_feature_layer=vfl,
                                         vision_feature_select_strategy=vfs)
        dt = time.perf_counter() - t
        f = feats.pooler_output[0] if hasattr(feats, "pooler_output") else feats[0]
        assert tuple(f.shape) == (n_image, cfg.text_config.hidden_size), f.shape
        return dt

    def prefill_once():
        cache = DynamicCache(config=cfg.text_config)
        t = time.perf_counter()
        out = model(input_ids=input_ids, pixel_values=pixel_values, attention_mask=attention_mask,
                    past_key_values=cache, use_cache=True, logits_to_keep=1)
        dt = time.perf_counter() - t
        return dt, out

    def decode_once(out) -> tuple[float, list[int]]:
        cache = out.past_key_values
        next_id = out.logits[:, -1].argmax(-1, keepdim=True)
        ids = [int(next_id)]
        mask = attention_mask
        t = time.perf_counter()
        for _ in range(M - 1):
            mask = torch.cat([mask, mask.new_ones(1, 1)], dim=1)
            step = model(input_ids=next_id, attention_mask=mask, past_key_values=cache, use_cache=True,
                         logits_to_keep=1)
            cache = step.past_key_values
            next_id = step.logits[:, -1].argmax(-1, keepdim=True)
            ids.append(int(next_id))
        return time.perf_counter() - t, ids

    encode_times, prefill_times, decode_times = [], [], []
    ids = None
    ru0, w0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with torch.inference_mode():
        for r in range(args.runs + 1):  # run 0 is the warm-up
            te = encode_once()
            tp, out = prefill_once()
            td, ids_r = decode_once(out)
            del out
            if ids is None:
                ids = ids_r
            assert ids_r == ids, "decode is not deterministic across runs"
            log(f"  {'warm-up' if r == 0 else f'run {r}'}: encode {te:.3f} s, prefill {tp:.3f} s "
                f"({n_prompt / tp:.1f} tok/s), decode {(M - 1) / td:.2f} tok/s")
            if r > 0:
                encode_times.append(te)
                prefill_times.append(tp)
                decode_times.append(td)

        ru1, w1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        # CPU seconds per wall second over the timed runs: ~threads on an idle machine; much less means
        # other processes took the cores (the numbers are then not comparable).
        cpu_per_wall = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) / (w1 - w0)
        log(f"  CPU/wall over the runs: {cpu_per_wall:.2f} (threads {torch.get_num_threads()}), "
            f"load average {os.getloadavg()[0]:.2f}")
        gen_rate = None
        if not args.no_generate_check:
            t = time.perf_counter()
            gen = model.generate(input_ids=input_ids, attention_mask=attention_mask, pixel_values=pixel_values,
                                 max_new_tokens=M, min_new_tokens=M, do_sample=False, num_beams=1,
                                 pad_token_id=cfg.pad_token_id)
            gen_s = time.perf_counter() - t
            gen_ids = gen[0, n_prompt:].tolist()
            assert len(gen_ids) == M, len(gen_ids)
            if gen_ids != ids:
                # min_new_tokens masks EOS in generate; the manual loop does not. Only that may differ.
                log(f"  note: generate ids differ from the manual loop: {gen_ids} vs {ids}")
            gen_rate = (M - 1) / (gen_s - min(prefill_times))
            log(f"  generate: {gen_s:.2f} s for {M} tokens -> {gen_rate:.2f} tok/s after prefill")

    encode_s = min(encode_times)
    prefill_s = min(prefill_times)
    decode_s = min(decode_times)
    result = {
        "impl": "transformers",
        "dtype": args.dtype,
        "threads": torch.get_num_threads(),
        "encode_s": round(encode_s, 4),
        "prefill_s": round(prefill_s, 4),
        "prefill_tokens": n_prompt,
        "prefill_tok_s": round(n_prompt / prefill_s, 2),
        "prefill_text_s": round(prefill_s - encode_s, 4),
        "image_tokens": n_image,
        "decode_tokens": M - 1,
        "decode_tok_s": round((M - 1) / decode_s, 3),
        "decode_tok_s_generate": None if gen_rate is None else round(gen_rate, 3),
        "peak_rss_gib": round(peak_rss_gib(), 3),
        "load_rss_gib": round(load_rss, 3),
        "cpu_per_wall": round(cpu_per_wall, 2),
        "load_s": round(load_s, 2),
        "runs": args.runs,
        "prompt": prompt,
        "generated_ids": ids,
        "attn_implementation": cfg._attn_implementation,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "blas_kernel": kernels.get("kernel"),
        "onednn_isa": kernels.get("onednn_isa"),
        "onednn_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        "machine": platform.machine(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
