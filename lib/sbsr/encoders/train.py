"""Train the offline encoder ``minclip-procedural-v1`` and measure it.

    python -m sbsr.encoders.train --profile full [--out PATH] [--seed 0] [--device auto]

The ``full`` profile trains the checkpoint shipped in ``lib/sbsr/encoders/weights/`` (a few tens of
minutes on a 2-core CPU, about a minute on a GPU); ``quick`` runs a few steps for CI. Training pairs are
captioned procedural renders (:mod:`sbsr.data.captioned`): lines, shaded and natural-image styles, never
simulated sketches, so that sketches stay zero-shot as in the paper.

The recorded validation metric (:func:`validation_metrics`) is zero-shot category classification with
text prompts on a fixed set of held-out shapes rendered as line drawings and shaded views; a test loads
the shipped checkpoint and recomputes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..shapes import CATEGORIES, generate_shape
from .minclip import MinClip, MinClipConfig, WordTokenizer, save_minclip, train_minclip

TRAIN_PROFILES = {
    "quick": {"n_shapes_per_category": 4, "views_per_shape": 2, "steps": 8, "batch_size": 16},
    "full": {"n_shapes_per_category": 300, "views_per_shape": 3, "steps": 1500, "batch_size": 64},
}
IMAGE_SIZE = 128
LEARNING_RATE = 2e-3
PROMPT_TEMPLATES = ("a line drawing of a {}", "a rendering of a {}", "a photo of a {}", "a drawing of a {}")
VALIDATION_SEED = 5000  # held-out collection seeds 5000 + category index (disjoint from training and procedural-v1)


def model_config(captions) -> MinClipConfig:
    """The architecture of ``minclip-procedural-v1``: 128 px input, widths 32-64-128-256, 48 text tokens."""
    return MinClipConfig(image_size=IMAGE_SIZE, context_length=48,
                         vocabulary=tuple(WordTokenizer.vocabulary_from(captions)))


def validation_images(n_per_category: int = 4, image_size: int = IMAGE_SIZE):
    """Fixed held-out renders: per category ``n_per_category`` shapes, each as a line drawing and a shaded
    view at azimuth 30, elevation 20. Returns (images (N,S,S,3) uint8, labels (N,), styles)."""
    from ..render import Camera, render

    images, labels, styles = [], [], []
    cam = Camera(azimuth=30.0, elevation=20.0, image_size=image_size)
    for ci, cat in enumerate(CATEGORIES):
        for i in range(n_per_category):
            shape = generate_shape(cat, VALIDATION_SEED + ci, i)
            res = render(shape, cam, outputs=("rgb", "lines"), line_width=2.2 * image_size / 224)
            images += [np.repeat(res.lines[..., None], 3, axis=-1), res.rgb]
            labels += [ci, ci]
            styles += ["line", "shaded"]
    return np.stack(images), np.asarray(labels), styles


@torch.inference_mode()
def zero_shot_logits(model: MinClip, images, class_names=CATEGORIES, templates=PROMPT_TEMPLATES) -> torch.Tensor:
    """Cosine similarities (N, C) between images and prompt-ensembled class embeddings (CLIP's zero-shot
    classifier: the mean of the normalised text embeddings of every template)."""
    model = model.eval()
    pre = model.config.preprocess()
    dev = next(model.parameters()).device
    x = pre.normalize(pre.to_uint8_batch(images).to(dev))
    img = torch.nn.functional.normalize(model.encode_image(x).float(), dim=1)
    cls = []
    for name in class_names:
        t = model.encode_text([tpl.format(name) for tpl in templates]).float()
        t = torch.nn.functional.normalize(t, dim=1).mean(0)
        cls.append(torch.nn.functional.normalize(t, dim=0))
    return img @ torch.stack(cls).T


def validation_metrics(model: MinClip) -> dict:
    """Zero-shot classification accuracy (%) on :func:`validation_images`, overall and per style."""
    images, labels, styles = validation_images()
    pred = zero_shot_logits(model, images).argmax(1).cpu().numpy()
    hit = pred == labels
    styles = np.asarray(styles)
    return {
        "zero_shot_accuracy": round(float(hit.mean() * 100), 4),
        "zero_shot_accuracy_line": round(float(hit[styles == "line"].mean() * 100), 4),
        "zero_shot_accuracy_shaded": round(float(hit[styles == "shaded"].mean() * 100), 4),
        "n_images": int(len(labels)),
    }


def train(profile: str = "full", seed: int = 0, device: str = "cpu", progress=None, log_fn=None,
          steps: int | None = None):
    """Build the captioned pool and train; returns ``(model, params, history)``."""
    from ..data.captioned import build_captioned_pool

    if profile not in TRAIN_PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {sorted(TRAIN_PROFILES)}")
    p = dict(TRAIN_PROFILES[profile])
    if steps is not None:
        p["steps"] = int(steps)
    t0 = time.perf_counter()
    pool = build_captioned_pool(p["n_shapes_per_category"], p["views_per_shape"], IMAGE_SIZE, seed=seed,
                                progress=progress)
    t_pool = time.perf_counter() - t0
    config = model_config(pool.captions)
    model, history = train_minclip(pool.batches(p["batch_size"], seed=seed), steps=p["steps"], lr=LEARNING_RATE,
                                   device=device, seed=seed, log_every=max(1, min(50, p["steps"] // 10)),
                                   config=config, log_fn=log_fn)
    params = {**p, "profile": profile, "seed": seed, "lr": LEARNING_RATE, "image_size": IMAGE_SIZE,
              "n_images": len(pool), "styles": sorted(set(pool.styles)), "categories": list(CATEGORIES),
              "pool_seconds": round(t_pool, 1), "train_seconds": round(time.perf_counter() - t0 - t_pool, 1),
              "device": device, "torch_threads": torch.get_num_threads()}
    return model, params, history


def main(argv=None) -> int:
    from ..config import resolve_device
    from .registry import minclip_checkpoint_path

    ap = argparse.ArgumentParser(prog="python -m sbsr.encoders.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="full", choices=sorted(TRAIN_PROFILES))
    ap.add_argument("--out", default=None, help="checkpoint path (.safetensors); default: the shipped one")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out) if args.out else minclip_checkpoint_path()
    device = resolve_device(args.device)

    def log(entry):
        print(f"step {entry['step']:5d}  loss {entry['loss']:.4f}  batch_acc {entry['batch_acc']:.1f}  "
              f"scale {entry['logit_scale']:.1f}  {entry['seconds']:.0f}s", flush=True)

    model, params, history = train(args.profile, args.seed, device, log_fn=log, steps=args.steps)
    metrics = validation_metrics(model.cpu())
    print("validation:", metrics, flush=True)
    save_minclip(model, out, params=params, metrics=metrics, history=history, name="minclip-procedural-v1")
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
