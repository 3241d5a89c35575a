"""Writes the benchmark's synthetic 640x480 RGB image (gradients, shapes, noise): deterministic, no downloads.

Run: python Tools/bench/make_bench_image.py [--out PATH] [--width 640] [--height 480]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from PIL import Image, ImageDraw

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_image(width: int, height: int, seed: int = 0) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.stack([255 * x / (width - 1), 255 * y / (height - 1), np.full_like(x, 90.0)], axis=-1)
    img += np.random.default_rng(seed).normal(0, 12, img.shape)  # texture, so JPEG/PNG aren't trivial
    im = Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), mode="RGB")
    d = ImageDraw.Draw(im)
    d.ellipse([0.15 * width, 0.2 * height, 0.45 * width, 0.6 * height], fill=(30, 60, 220))
    d.rectangle([0.6 * width, 0.15 * height, 0.9 * width, 0.5 * height], fill=(245, 215, 40))
    d.line([0, height - 1, width - 1, 0], fill=(0, 0, 0), width=5)
    d.polygon([(0.5 * width, 0.65 * height), (0.7 * width, 0.95 * height), (0.3 * width, 0.95 * height)],
              fill=(200, 30, 40))
    d.text((0.05 * width, 0.05 * height), "LLaVA bench", fill=(255, 255, 255))
    return im


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "bench-out", "bench-image.png"))
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    args = ap.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    make_image(args.width, args.height).save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
