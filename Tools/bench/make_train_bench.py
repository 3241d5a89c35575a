"""Writes the checkpoints and datasets of the training-throughput benchmark (Benchmarks/train.sh).

Output (default <repo>/bench-out/train, git-ignored):
  tiny/       random-weight float32 LLaVA with exactly the shape of Tests/Fixtures/models/llava15_f32
              (its config.json; CLIP 32 px / patch 8 / hidden 32 / 3 layers, Llama hidden 64 / 2 layers /
              vocab 448, 16 image tokens, context 256) and its tokenizer / processor files (small fixture
              tokenizer: vocab 400 + <image>=400, <pad>=401).
  base100m/   random-weight float32 LLaVA of ~100M parameters:
                vision   CLIP ViT-S/16-shaped, 224 px: hidden 384, 6 layers, 6 heads, MLP 1536 (~11M, frozen)
                projector 2-layer GELU MLP 384 -> 768 -> 768 (~0.9M)
                LLM      Llama hidden 768, 6 layers, 12 heads, MLP 2048, vocab 32064 untied (~92M)
              196 image tokens per image (vision_feature_layer -2, strategy default), context 2048,
              tokenizer: Tests/Fixtures/tokenizers/mistral (32000 pieces + <image>=32000, <pad>=32001).
              (A ViT-B/16 tower alone is 86M; the frozen tower is excluded from the timed steps on both
              sides, so the parameter budget goes to the LLM, which is what training computes.)
  <config>/data.json + <config>/images/   LLaVA-format dataset: --samples samples (default 64 for tiny,
              32 for base100m), each with its own random PNG (224x224 for base100m, 48x48 for tiny) and
              two turns: "<image>\\n" + a short question / a ~20-token answer, then a second question /
              answer. Stage 1 (plain template) uses the first answer as the caption.

Run: python Tools/bench/make_train_bench.py [--out DIR] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.dont_write_bytecode = True

import numpy as np
import torch
from PIL import Image

import transformers
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

transformers.logging.set_verbosity_error()

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE_MODEL = os.path.join(REPO_ROOT, "Tests", "Fixtures", "models", "llava15_f32")
MISTRAL_TOKENIZER = os.path.join(REPO_ROOT, "Tests", "Fixtures", "tokenizers", "mistral")

OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

WORDS = (
    "the a red blue green small large round square circle triangle left right above below near far bright dark "
    "shape color picture image scene object table chair window door tree house car road sky water light shadow "
    "corner center edge top bottom side line point group pair single many few several one two three four five "
    "is are has have shows contains looks appears sits stands lies moves next behind front between inside"
).split()
QUESTIONS = [
    "What is in the picture?",
    "Describe the image briefly.",
    "Which color is the largest shape?",
    "How many objects are there?",
    "Where is the small circle?",
    "What does the scene show?",
]


def words(rng: random.Random, n: int) -> str:
    s = " ".join(rng.choice(WORDS) for _ in range(n))
    return s[0].upper() + s[1:] + "."


def base_config() -> LlavaConfig:
    vision = CLIPVisionConfig(
        hidden_size=384,
        intermediate_size=1536,
        num_hidden_layers=6,
        num_attention_heads=6,
        image_size=224,
        patch_size=16,
        projection_dim=384,
        layer_norm_eps=1e-5,
        hidden_act="quick_gelu",
    )
    text = LlamaConfig(
        vocab_size=32064,
        hidden_size=768,
        intermediate_size=2048,
        num_hidden_layers=6,
        num_attention_heads=12,
        num_key_value_heads=12,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        initializer_range=0.02,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=None,
        tie_word_embeddings=False,
    )
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=32000,
        image_seq_length=(224 // 16) ** 2,
        projector_hidden_act="gelu",
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
        multimodal_projector_bias=True,
        tie_word_embeddings=False,
        pad_token_id=32001,
    )


def write_processor_files(out: str, tokenizer_dir: str, image_size: int, patch: int, max_len: int) -> None:
    shutil.copy(os.path.join(tokenizer_dir, "tokenizer.json"), out)
    with open(os.path.join(tokenizer_dir, "tokenizer_config.json")) as f:
        tc = json.load(f)
    tc["model_max_length"] = max_len
    tc["processor_class"] = "LlavaProcessor"
    tc.setdefault("pad_token", "<pad>")
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2, sort_keys=True)
        f.write("\n")
    pre = {
        "crop_size": {"height": image_size, "width": image_size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": OPENAI_CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": OPENAI_CLIP_STD,
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": image_size},
    }
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f, indent=2, sort_keys=True)
        f.write("\n")
    proc = {
        "image_token": "<image>",
        "num_additional_image_tokens": 1,
        "patch_size": patch,
        "processor_class": "LlavaProcessor",
        "vision_feature_select_strategy": "default",
    }
    with open(os.path.join(out, "processor_config.json"), "w") as f:
        json.dump(proc, f, indent=2, sort_keys=True)
        f.write("\n")
    shutil.copy(os.path.join(FIXTURE_MODEL, "chat_template.json"), out)


def write_model(out: str, config: LlavaConfig, seed: int) -> dict:
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).float().eval()
    model.save_pretrained(out)
    groups = {"vision": 0, "projector": 0, "llm": 0}
    for n, p in model.named_parameters():
        if n.startswith("model.vision_tower."):
            groups["vision"] += p.numel()
        elif n.startswith("model.multi_modal_projector."):
            groups["projector"] += p.numel()
        else:
            groups["llm"] += p.numel()
    groups["total"] = sum(groups.values())
    return groups


def write_data(out: str, n: int, image_px: int, answer_words: int, seed: int) -> None:
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    img_dir = os.path.join(out, "images")
    os.makedirs(img_dir, exist_ok=True)
    samples = []
    for i in range(n):
        name = f"{i:04d}.png"
        arr = nprng.integers(0, 256, size=(image_px, image_px, 3), dtype=np.uint8)
        Image.fromarray(arr, "RGB").save(os.path.join(img_dir, name))
        samples.append({
            "id": f"bench-{i:04d}",
            "image": name,
            "conversations": [
                {"from": "human", "value": "<image>\n" + rng.choice(QUESTIONS)},
                {"from": "gpt", "value": words(rng, answer_words)},
                {"from": "human", "value": rng.choice(QUESTIONS)},
                {"from": "gpt", "value": words(rng, answer_words)},
            ],
        })
    with open(os.path.join(out, "data.json"), "w") as f:
        json.dump(samples, f, indent=1)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "bench-out", "train"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tiny-samples", type=int, default=64)
    ap.add_argument("--base-samples", type=int, default=32)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)

    for name in ("tiny", "base100m"):
        out = os.path.join(os.path.abspath(args.out), name)
        if os.path.exists(os.path.join(out, "data.json")) and not args.force:
            print(f"{out} exists (use --force to rebuild)")
            continue
        if os.path.exists(out):
            shutil.rmtree(out)
        os.makedirs(out)
        if name == "tiny":
            config = LlavaConfig.from_pretrained(FIXTURE_MODEL)
            counts = write_model(out, config, args.seed)
            for f in ("tokenizer.json", "tokenizer_config.json", "preprocessor_config.json",
                      "processor_config.json", "chat_template.json"):
                shutil.copy(os.path.join(FIXTURE_MODEL, f), out)
            # The small tokenizer splits words into ~3 pieces: 6 words ~ 20 tokens, and the llava_v1
            # sequence (system sentence + 16 image tokens + 2 turns) stays inside the 256-token context.
            write_data(out, args.tiny_samples, 48, 6, args.seed)
        else:
            config = base_config()
            counts = write_model(out, config, args.seed)
            write_processor_files(out, MISTRAL_TOKENIZER, 224, 16, 2048)
            write_data(out, args.base_samples, 224, 16, args.seed)  # ~20 Mistral tokens per answer
        with open(os.path.join(out, "bench_checkpoint.json"), "w") as f:
            json.dump({"parameters": counts, "seed": args.seed, "transformers": transformers.__version__,
                       "torch": torch.__version__}, f, indent=2)
            f.write("\n")
        print(f"wrote {out}: parameters {counts}")


if __name__ == "__main__":
    main()
