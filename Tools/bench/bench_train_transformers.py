"""Training throughput of transformers (PyTorch, CPU, float32): the per-step work of `llava train`.

  python Tools/bench/bench_train_transformers.py --model DIR --data FILE --image-folder DIR --stage {1,2}
         --batch-size B --steps N [--warmup 2] [--threads 2] [--logits targets|all] [--attn sdpa|eager] [--json]

What one optimizer step does (as `llava train --lr 1e-5 --no-shuffle`, Sources/LLaVATraining/Trainer.swift):
  - stage 1: only the projector trains (vision tower and LLM requires_grad False); stage 2: projector + LLM
    (vision frozen). LlavaForConditionalGeneration.from_pretrained(DIR, dtype=float32).
  - samples in file order, B per step; the text is rendered as the Swift templates do
    (Sources/LLaVATraining/Data/ConversationTemplate.swift): plain for stage 1 ("<image>" + caption + "\\n"),
    llava_v1 for stage 2 (Vicuna system sentence + " USER: <image>\\n{q} ASSISTANT: {a}</s>USER: ..."),
    `<image>` expanded to image_seq_length copies, the whole text tokenized in one call with BOS
    (tokenizers.Tokenizer.from_file(DIR/tokenizer.json)); labels -100 except tokens inside the supervised
    spans (by the tokenizer's offsets); right padding with the pad id + attention_mask.
  - forward: input embeddings with the projected image features scattered into the image rows, the Llama
    (model.model.language_model) with the attention mask, lm_head and next-token cross-entropy summed over
    target tokens / their count; backward; clip_grad_norm_(1.0); AdamW(lr 1e-5, betas (0.9, 0.999), eps
    1e-8, weight decay 0) step; cosine-with-warmup schedule (warmup 3%); zero_grad.
    --logits targets (default) applies lm_head only to the rows whose next token is a target, as the Swift
    trainer does; --logits all computes the logits of every position (what model(..., labels=...) does).
  - vision: the frozen CLIP tower runs once per image BEFORE the timed loop, under no_grad
    (hidden_states[vision_feature_layer], CLS dropped for strategy "default"), and the timed steps reuse
    those features -- the same advantage the Swift trainer has (it caches frozen features per image).
    The tower's time per image is reported separately (vision_s_per_image).
Timing: --warmup steps first (not timed), then --steps steps cycling through the data's batches in order;
tokens/s = real tokens (sum of attention_mask, image tokens included, padding excluded) / wall seconds of
the timed steps. torch.set_num_threads(--threads).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.dont_write_bytecode = True

import torch
from PIL import Image
from tokenizers import Tokenizer

import transformers
from transformers import AutoImageProcessor, LlavaForConditionalGeneration, get_cosine_schedule_with_warmup

transformers.logging.set_verbosity_error()

VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)
IGNORE = -100


def render(sample: dict, template: str, n_image: int) -> tuple[str, list[tuple[int, int]]]:
    """Text and supervised character spans, as ConversationTemplate.swift."""
    images = "<image>" * n_image
    turns = sample["conversations"]
    spans = []
    if template == "plain":
        caption = next(t["value"] for t in turns if t["from"] == "gpt")
        text = images
        start = len(text)
        text += caption + "\n"
        spans.append((start, len(text)))
        return text, spans
    text = VICUNA_SYSTEM + " "
    for i, t in enumerate(turns):
        value = t["value"]
        if i == 0 and sample.get("image"):
            rest = value.replace("<image>", "").strip()
            value = images if not rest else images + "\n" + rest
        if t["from"] == "human":
            text += "USER: " + value + " "
        else:
            text += "ASSISTANT:"
            start = len(text)
            text += " " + value + "</s>"
            spans.append((start, len(text)))
    return text, spans


def tokenize(tok: Tokenizer, text: str, spans) -> tuple[list[int], list[int]]:
    enc = tok.encode(text)  # add_special_tokens=True: BOS
    ids = enc.ids
    labels = [IGNORE] * len(ids)
    for i, (a, b) in enumerate(enc.offsets):
        if b > a and any(s <= a and b <= e for s, e in spans):
            labels[i] = ids[i]
    return ids, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--image-folder", required=True)
    ap.add_argument("--stage", type=int, choices=(1, 2), required=True)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--logits", choices=("targets", "all"), default="targets")
    ap.add_argument("--attn", choices=("sdpa", "eager"), default="sdpa")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32,
                                                          attn_implementation=args.attn)
    model.train()  # no dropout in these configs (all 0.0)
    cfg = model.config
    image_id = cfg.image_token_index
    pad_id = cfg.pad_token_id if cfg.pad_token_id is not None else 0
    n_image = cfg.image_seq_length
    vision = model.model.vision_tower
    projector = model.model.multi_modal_projector
    lm = model.model.language_model
    lm_head = model.lm_head

    for n, p in model.named_parameters():
        if n.startswith("model.vision_tower."):
            p.requires_grad_(False)
        elif n.startswith("model.multi_modal_projector."):
            p.requires_grad_(True)
        else:
            p.requires_grad_(args.stage == 2)
    params = [p for p in model.parameters() if p.requires_grad]
    n_trained = sum(p.numel() for p in params)

    # Data: tokenize every sample, features of every image once (no_grad), timed separately.
    with open(args.data) as f:
        data = json.load(f)
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    template = "plain" if args.stage == 1 else "llava_v1"
    processor = AutoImageProcessor.from_pretrained(args.model)
    samples = []
    vision_s = 0.0
    layer = cfg.vision_feature_layer
    for s in data:
        text, spans = render(s, template, n_image)
        ids, labels = tokenize(tok, text, spans)
        assert sum(i == image_id for i in ids) == n_image, "image tokens"
        max_len = cfg.text_config.max_position_embeddings
        ids, labels = ids[:max_len], labels[:max_len]
        pixels = processor(images=Image.open(os.path.join(args.image_folder, s["image"])).convert("RGB"),
                           return_tensors="pt")["pixel_values"].float()
        t0 = time.perf_counter()
        with torch.no_grad():
            hs = vision(pixels, output_hidden_states=True).hidden_states[layer]
            feats = hs[:, 1:] if cfg.vision_feature_select_strategy == "default" else hs
        vision_s += time.perf_counter() - t0
        samples.append({"ids": ids, "labels": labels, "feats": feats[0].contiguous()})
    vision_per_image = vision_s / len(samples)

    b = args.batch_size
    batches = []
    for k in range(0, len(samples), b):
        group = samples[k:k + b]
        t_max = max(len(x["ids"]) for x in group)
        input_ids = torch.full((len(group), t_max), pad_id, dtype=torch.long)
        labels = torch.full((len(group), t_max), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(group), t_max), dtype=torch.long)
        for i, x in enumerate(group):
            t = len(x["ids"])
            input_ids[i, :t] = torch.tensor(x["ids"])
            labels[i, :t] = torch.tensor(x["labels"])
            mask[i, :t] = 1
        image_mask = input_ids == image_id
        embed_ids = input_ids.masked_fill(image_mask, 0)  # as transformers: image rows replaced by features
        feats = torch.cat([x["feats"] for x in group], dim=0)
        shift_labels = labels[:, 1:]
        target_rows = shift_labels != IGNORE
        batches.append({
            "embed_ids": embed_ids, "image_mask": image_mask, "mask": mask, "feats": feats,
            "labels": labels, "target_rows": target_rows, "targets": shift_labels[target_rows],
            "tokens": int(mask.sum()), "padded": int(mask.numel()),
        })

    optimizer = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    total_steps = args.warmup + args.steps
    scheduler = get_cosine_schedule_with_warmup(optimizer, math.ceil(0.03 * total_steps), total_steps)
    embed = lm.get_input_embeddings()
    vocab = cfg.text_config.vocab_size

    def step(batch) -> float:
        x = embed(batch["embed_ids"])
        proj = projector(batch["feats"])
        x = x.masked_scatter(batch["image_mask"].unsqueeze(-1), proj.to(x.dtype))
        hidden = lm(inputs_embeds=x, attention_mask=batch["mask"], use_cache=False).last_hidden_state
        n_targets = batch["targets"].numel()
        if args.logits == "targets":
            logits = lm_head(hidden[:, :-1][batch["target_rows"]])
            loss = torch.nn.functional.cross_entropy(logits, batch["targets"], reduction="sum") / n_targets
        else:
            logits = lm_head(hidden)
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, vocab),
                                                     batch["labels"][:, 1:].reshape(-1),
                                                     ignore_index=IGNORE, reduction="sum") / n_targets
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    for k in range(args.warmup):
        step(batches[k % len(batches)])
    tokens = padded = 0
    losses = []
    t0 = time.perf_counter()
    for k in range(args.steps):
        batch = batches[k % len(batches)]
        losses.append(step(batch))
        tokens += batch["tokens"]
        padded += batch["padded"]
    seconds = time.perf_counter() - t0

    lengths = [len(x["ids"]) for x in samples]
    result = {
        "stage": args.stage,
        "batch_size": b,
        "steps": args.steps,
        "samples": len(samples),
        "mean_length": sum(lengths) / len(lengths),
        "params_trained": n_trained,
        "params_total": sum(p.numel() for p in model.parameters()),
        "tokens": tokens,
        "padded_tokens": padded,
        "seconds": seconds,
        "tok_s": tokens / seconds,
        "s_per_step": seconds / args.steps,
        "vision_s_per_image": vision_per_image,
        "first_loss": losses[0],
        "logits": args.logits,
        "attn": args.attn,
        "threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:20s} {v}")


if __name__ == "__main__":
    main()
