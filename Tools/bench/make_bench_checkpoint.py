"""Writes a random-weight LLaVA checkpoint with the shape of a real small LLaVA, for benchmarks.

Shape: CLIP ViT-L/14-336 vision tower (hidden 1024, 24 layers, 16 heads, MLP 4096, patch 14, image 336,
quick_gelu) + 2-layer GELU projector + a TinyLlama-1.1B-shaped Llama (hidden 2048, 22 layers, 32 heads,
4 KV heads, MLP 5632, vocab 32064 as llava-hf pads 32002 to a multiple of 64, rms_norm_eps 1e-5,
max_position_embeddings 2048, rope_theta 10000). vision_feature_layer -2, strategy "default" (drop CLS),
image_token_index 32000, pad 32001: 576 image tokens per image, as llava-1.5.

Weights: random (seeded), transformers' own initializers (normal, std 0.02 for the Llama), created directly
in bfloat16 so the build needs ~3 GB of RAM, not ~6. Saved with `save_pretrained` (bf16 safetensors, sharded,
5.23 key layout) plus llava-hf hub-era processor files:
  tokenizer.json / tokenizer_config.json   a 32000-piece Llama/Mistral SentencePiece BPE tokenizer + `<image>`
                                           (32000) and `<pad>` (32001) as special tokens
  preprocessor_config.json                 flat CLIPImageProcessor config (shortest_edge 336, crop 336,
                                           OpenAI CLIP mean/std, bicubic)
  processor_config.json                    flat: num_additional_image_tokens 1, patch_size 14, ...
  chat_template.json                       llava-1.5 (vicuna) template

Tokenizer source, first that exists:
  1. a tokenizer.json under Tests/Fixtures/tokenizers/ whose BPE vocab has 32000 (or 32002) pieces;
  2. mistral_common's bundled tokenizer.model.v1 (Mistral-7B v0.1 SentencePiece, 32000 pieces, Llama-style
     byte-fallback BPE): its vocab and merges (transformers' SentencePieceExtractor) in a LlamaTokenizer.
The benchmark only needs a real-size vocab and a tokenizer both sides read from the same tokenizer.json.

Run: python Tools/bench/make_bench_checkpoint.py [--out DIR] [--seed N] [--force]
Default DIR: <repo>/bench-out/llava-bench-1b (git-ignored).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import tempfile
import time
from importlib.metadata import version

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.dont_write_bytecode = True

import torch

import transformers
from transformers import (
    AddedToken,
    CLIPImageProcessorPil,
    CLIPVisionConfig,
    LlamaConfig,
    LlamaTokenizer,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
)

transformers.logging.set_verbosity_error()

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "bench-out", "llava-bench-1b")

BASE_VOCAB = 32000
IMAGE_TOKEN_ID = 32000
PAD_TOKEN_ID = 32001
PADDED_VOCAB = 32064
IMAGE_SIZE = 336
PATCH = 14
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# llava-hf/llava-1.5-7b-hf chat_template.json.
CHAT_TEMPLATE_VICUNA = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}{% endif %}"
    "{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}"
    "{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}"
    "{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)


def build_config() -> LlavaConfig:
    vision = CLIPVisionConfig(
        hidden_size=1024,
        intermediate_size=4096,
        num_hidden_layers=24,
        num_attention_heads=16,
        image_size=IMAGE_SIZE,
        patch_size=PATCH,
        projection_dim=768,
        layer_norm_eps=1e-5,
        hidden_act="quick_gelu",
    )
    text = LlamaConfig(
        vocab_size=PADDED_VOCAB,
        hidden_size=2048,
        intermediate_size=5632,
        num_hidden_layers=22,
        num_attention_heads=32,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        initializer_range=0.02,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=None,  # as on the hub: a padding_idx would zero that embedding row
        tie_word_embeddings=False,
    )
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=IMAGE_TOKEN_ID,
        image_seq_length=(IMAGE_SIZE // PATCH) ** 2,
        projector_hidden_act="gelu",
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
        multimodal_projector_bias=True,
        tie_word_embeddings=False,
        pad_token_id=PAD_TOKEN_ID,
    )


def find_fixture_tokenizer() -> str | None:
    """A tokenizer.json under Tests/Fixtures/tokenizers/ with a 32000- or 32002-piece BPE vocab."""
    root = os.path.join(REPO_ROOT, "Tests", "Fixtures", "tokenizers")
    candidates = sorted(glob.glob(os.path.join(root, "**", "*.json"), recursive=True))
    # Prefer files that name the family.
    candidates.sort(key=lambda p: (not any(k in p.lower() for k in ("mistral", "llama")), p))
    for path in candidates:
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        model = data.get("model") if isinstance(data, dict) else None
        if not isinstance(model, dict) or model.get("type") != "BPE":
            continue
        vocab = model.get("vocab") or {}
        if len(vocab) in (BASE_VOCAB, BASE_VOCAB + 2) and vocab.get("<s>") == 1 and vocab.get("</s>") == 2:
            return path
    return None


def build_tokenizer() -> tuple[LlamaTokenizer, str]:
    path = find_fixture_tokenizer()
    if path is not None:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(path, os.path.join(tmp, "tokenizer.json"))
            tok = LlamaTokenizer.from_pretrained(tmp)
        source = os.path.relpath(path, REPO_ROOT)
    else:
        # Same construction as Tools/fixtures/small_tokenizer.py (LlamaTokenizer, non-legacy Metaspace,
        # byte-fallback BPE, BOS prepended), with the real 32000-piece vocab and merges of the SentencePiece
        # model. Note: non-legacy Metaspace differs from SentencePiece only for text that starts with spaces.
        import mistral_common
        from tokenizers.models import BPE
        from transformers.convert_slow_tokenizer import SentencePieceExtractor

        spm = os.path.join(os.path.dirname(mistral_common.__file__), "data", "tokenizer.model.v1")
        kw = SentencePieceExtractor(spm).extract(BPE)
        tok = LlamaTokenizer(
            vocab=kw["vocab"],
            merges=kw["merges"],
            unk_token="<unk>",
            bos_token="<s>",
            eos_token="</s>",
            add_bos_token=True,
            add_eos_token=False,
            legacy=False,
            add_prefix_space=True,
        )
        source = f"mistral_common {version('mistral_common')} data/tokenizer.model.v1 (Mistral-7B v0.1 SentencePiece)"
    # What llava-hf's convert_llava_weights_to_hf.py does to the 32000-token Llama vocab.
    if "<image>" not in tok.get_vocab():
        tok.add_tokens(AddedToken("<image>", special=True, normalized=False), special_tokens=True)
    if tok.pad_token != "<pad>":
        tok.add_special_tokens({"pad_token": "<pad>"})
    assert tok.convert_tokens_to_ids("<image>") == IMAGE_TOKEN_ID, tok.convert_tokens_to_ids("<image>")
    assert tok.convert_tokens_to_ids("<pad>") == PAD_TOKEN_ID, tok.convert_tokens_to_ids("<pad>")
    assert len(tok) == BASE_VOCAB + 2, len(tok)
    ids = tok("USER: <image>\nHi").input_ids
    assert ids[0] == 1 and IMAGE_TOKEN_ID in ids, ids  # BOS prepended, <image> kept whole
    tok.padding_side = "left"
    tok.model_max_length = 2048
    return tok, source


def clean_tokenizer_config(out: str) -> None:
    """Drop load-time keys that save_pretrained leaks into tokenizer_config.json."""
    path = os.path.join(out, "tokenizer_config.json")
    with open(path) as f:
        cfg = json.load(f)
    for k in ("is_local", "local_files_only"):
        cfg.pop(k, None)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def write_hub_processor_files(out: str, processor: LlavaProcessor) -> None:
    """llava-hf hub-era layout: flat preprocessor_config.json + flat processor_config.json + chat_template.json.

    transformers 5.23 LlavaProcessor.save_pretrained nests the image processor in processor_config.json and
    writes chat_template.jinja; rewrite as the hub files are.
    """
    processor.save_pretrained(out)
    processor.image_processor.save_pretrained(out)  # preprocessor_config.json
    with open(os.path.join(out, "processor_config.json")) as f:
        pc = json.load(f)
    pc.pop("image_processor", None)
    pc = {
        k: pc[k]
        for k in ("image_token", "num_additional_image_tokens", "patch_size", "processor_class",
                  "vision_feature_select_strategy")
        if k in pc
    }
    with open(os.path.join(out, "processor_config.json"), "w") as f:
        json.dump(pc, f, indent=2, sort_keys=True)
        f.write("\n")
    jinja = os.path.join(out, "chat_template.jinja")
    if os.path.exists(jinja):
        os.remove(jinja)
    with open(os.path.join(out, "chat_template.json"), "w") as f:
        json.dump({"chat_template": CHAT_TEMPLATE_VICUNA}, f, indent=2)
        f.write("\n")


def dir_safetensors_bytes(out: str) -> int:
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "*.safetensors")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-shard-size", default="2GB")
    ap.add_argument("--force", action="store_true", help="rebuild even if DIR already has a checkpoint")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    if os.path.exists(os.path.join(out, "config.json")) and not args.force:
        print(f"{out} exists (use --force to rebuild)")
        return
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()

    tokenizer, tok_source = build_tokenizer()
    config = build_config()

    torch.manual_seed(args.seed)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # build and initialize in bf16: ~2.8 GB instead of ~5.7 GB
    try:
        model = LlavaForConditionalGeneration(config)
    finally:
        torch.set_default_dtype(prev)
    model.eval()
    n_params = sum(p.numel() for p in model.parameters())
    dtypes = {p.dtype for p in model.parameters()}
    assert dtypes == {torch.bfloat16}, dtypes
    t_init = time.perf_counter() - t0

    tmp_out = out + ".partial"
    if os.path.exists(tmp_out):
        shutil.rmtree(tmp_out)
    os.makedirs(tmp_out)
    model.save_pretrained(tmp_out, max_shard_size=args.max_shard_size)
    del model

    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE},
        crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        image_mean=OPENAI_CLIP_MEAN,
        image_std=OPENAI_CLIP_STD,
        resample=3,
        do_center_crop=True,
        do_convert_rgb=True,
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=PATCH,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,  # CLS, as llava-hf's processor_config.json
        chat_template=CHAT_TEMPLATE_VICUNA,
    )
    write_hub_processor_files(tmp_out, processor)
    clean_tokenizer_config(tmp_out)

    # Check the written files read back: processor expands <image> to 576 tokens.
    ref = LlavaProcessor.from_pretrained(tmp_out, backend="pil")
    from PIL import Image

    enc = ref(images=Image.new("RGB", (640, 480), (120, 80, 40)), text="USER: <image>\nHi ASSISTANT:",
              return_tensors="pt")
    n_img = int((enc["input_ids"] == IMAGE_TOKEN_ID).sum())
    assert n_img == 576, n_img
    assert tuple(enc["pixel_values"].shape) == (1, 3, IMAGE_SIZE, IMAGE_SIZE), enc["pixel_values"].shape

    meta = {
        "what": "random-weight LLaVA: CLIP ViT-L/14-336 + TinyLlama-1.1B-shaped Llama, bf16",
        "seed": args.seed,
        "parameters": n_params,
        "safetensors_bytes": dir_safetensors_bytes(tmp_out),
        "tokenizer_source": tok_source,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }
    with open(os.path.join(tmp_out, "bench_checkpoint.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.rename(tmp_out, out)
    total = time.perf_counter() - t0
    print(
        f"wrote {out}: {n_params / 1e9:.3f} B params, safetensors {meta['safetensors_bytes'] / 1e9:.2f} GB "
        f"({meta['safetensors_bytes'] / 2**30:.2f} GiB); init {t_init:.1f} s, total {total:.1f} s; "
        f"tokenizer: {tok_source}"
    )


if __name__ == "__main__":
    main()
