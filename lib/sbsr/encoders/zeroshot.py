"""Zero-shot evaluation of the offline encoder: text-to-image category classification per image domain.

CLIP's headline property is zero-shot classification: an image is assigned the class whose text prompt
embedding is most similar (Radford et al.). The chapter on encoders measures it for ``minclip`` on four
domains of held-out procedural shapes of every category: line renderings, shaded renderings and
natural-image-like renders (the styles it was trained on) and simulated freehand sketches (never seen in
training: the zero-shot domain of the paper).
"""

from __future__ import annotations

import numpy as np

from ..shapes import CATEGORIES, generate_shape

DOMAINS = ("line", "shaded", "natural", "sketch")
HELD_OUT_SEED = 6000  # collection seeds 6000 + category index: disjoint from training (1000+) and validation (5000+)


def domain_images(domain: str, n_per_category: int = 4, azimuths=(0.0, 30.0, 75.0), image_size: int = 224,
                  seed: int = 0):
    """Held-out images of every category in one domain: (images (N,S,S,3) uint8, labels (N,))."""
    from ..render import Camera, render, render_natural

    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; choose from {DOMAINS}")
    images, labels = [], []
    for ci, cat in enumerate(CATEGORIES):
        for i in range(n_per_category):
            shape = generate_shape(cat, HELD_OUT_SEED + ci, i)
            az = float(azimuths[i % len(azimuths)])
            cam = Camera(azimuth=az, elevation=20.0, image_size=image_size)
            if domain == "line":
                img = render(shape, cam, outputs=("lines",)).lines
            elif domain == "shaded":
                img = render(shape, cam, outputs=("rgb",)).rgb
            elif domain == "natural":
                img = render_natural(shape, cam, np.random.default_rng([seed, ci, i]))
            else:
                from ..sketch import simulate_sketch

                img = simulate_sketch(shape, cam, skill=0.5, seed=seed * 100_003 + ci * 1000 + i,
                                      image_size=image_size).image
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=-1)
            images.append(img)
            labels.append(ci)
    return np.stack(images), np.asarray(labels)


def zero_shot_accuracy(model, images, labels, class_names=CATEGORIES) -> tuple[float, np.ndarray]:
    """Top-1 accuracy (%) of prompt-ensembled zero-shot classification, and the confusion matrix."""
    from .train import zero_shot_logits

    pred = zero_shot_logits(model, images, class_names).argmax(1).cpu().numpy()
    k = len(class_names)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    return float((pred == labels).mean() * 100), confusion
