"""Captioned procedural renders: the image-text pairs that train the offline encoder ``minclip``.

The paper's encoder, CLIP {cite}`radford2021clip`, was trained on image-text pairs from the web and never on
freehand sketches; its transfer to sketches is *zero-shot*. The offline stand-in keeps that property:
it is trained on renders of procedural shapes (:mod:`sbsr.shapes`) in three styles, each paired with a
caption generated from the shape's parameters and the viewpoint (:func:`sbsr.shapes.caption`), and never
sees a simulated sketch (:mod:`sbsr.sketch`).

Styles (chosen at random per image):

* ``line``: a line rendering (silhouettes, creases, borders) with a random stroke width and ink;
* ``shaded``: a textureless Lambert rendering with a random colour and light direction on white;
* ``natural``: a coloured, lit object over a photo or procedural texture (:func:`sbsr.render.render_natural`).

Viewpoints cover the whole circle (azimuth 0-360, elevation -5 to 45 degrees) and the camera distance
varies, so that objects appear at different sizes. The collection seeds (``1000 + k``) are disjoint from
the ones of ``procedural-v1`` (1, 2, 3), so the encoder never sees an evaluation shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..render import Camera, render, render_natural
from ..shapes import CATEGORIES, caption, generate_shape

STYLES = ("line", "shaded", "natural")
STYLE_WORDS = {
    "line": ("a line drawing of", "a drawing of", "a sketch-like line rendering of", "an outline drawing of"),
    "shaded": ("a rendering of", "a 3d rendering of", "a grey render of", "a shaded model of"),
    "natural": ("a photo of", "a picture of", "an image of", "a colour photo of"),
}
TRAIN_SEED_BASE = 1000  # collection seeds 1000 + category index: disjoint from procedural-v1 (seeds 1-3)


@dataclass
class CaptionedPool:
    """Images (N,S,S,3) uint8, their captions, shape indices, categories and styles."""

    images: np.ndarray
    captions: list[str]
    shape_index: np.ndarray
    categories: list[str]
    styles: list[str]
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.captions)

    def batches(self, batch_size: int, seed: int = 0, augment: bool = True):
        """Endless iterator of ``(images uint8 (B,S,S,3), captions)``: seeded shuffling, each epoch anew,
        with a random translation of up to 8% of the frame as light augmentation."""
        rng = np.random.default_rng(seed)
        n = len(self)
        while True:
            order = rng.permutation(n)
            for start in range(0, n - batch_size + 1, batch_size):
                idx = order[start:start + batch_size]
                imgs = self.images[idx]
                if augment:
                    imgs = np.stack([_shift(im, rng) for im in imgs])
                yield imgs, [self.captions[i] for i in idx]


def _shift(image: np.ndarray, rng: np.random.Generator, max_fraction: float = 0.08) -> np.ndarray:
    size = image.shape[0]
    dx, dy = (rng.integers(-int(max_fraction * size), int(max_fraction * size) + 1, size=2))
    out = np.empty_like(image)
    fill = image[0, 0]
    out[...] = fill
    ys, yd = (slice(max(0, -dy), size - max(0, dy)), slice(max(0, dy), size - max(0, -dy)))
    xs, xd = (slice(max(0, -dx), size - max(0, dx)), slice(max(0, dx), size - max(0, -dx)))
    out[yd, xd] = image[ys, xs]
    return out


def _random_view(rng: np.random.Generator, image_size: int) -> Camera:
    return Camera(
        azimuth=float(rng.uniform(0.0, 360.0)),
        elevation=float(rng.uniform(-5.0, 45.0)),
        distance=float(rng.uniform(2.0, 3.3)),
        image_size=image_size,
    )


def render_captioned(shape, rng: np.random.Generator, image_size: int = 128, style: str | None = None):
    """One ``(image (S,S,3) uint8, caption, style)`` for ``shape`` from a random viewpoint and style."""
    style = style or STYLES[int(rng.integers(len(STYLES)))]
    cam = _random_view(rng, image_size)
    scale = image_size / 224.0
    if style == "line":
        res = render(shape, cam, outputs=("lines",), line_width=float(rng.uniform(1.5, 3.5)) * scale,
                     line_intensity=float(rng.uniform(0.6, 1.0)))
        img = np.repeat(res.lines[..., None], 3, axis=-1)
    elif style == "shaded":
        light = rng.normal(size=3)
        light[2] = abs(light[2]) + 0.5  # towards the camera
        res = render(shape, cam, outputs=("rgb",), base_color=tuple(rng.uniform(0.35, 0.95, size=3)),
                     light_dir=tuple(light), ambient=float(rng.uniform(0.2, 0.5)))
        img = res.rgb
    elif style == "natural":
        img = render_natural(shape, cam, rng)
    else:
        raise ValueError(f"unknown style {style!r}; choose from {STYLES}")
    words = STYLE_WORDS[style][int(rng.integers(len(STYLE_WORDS[style])))]
    text = caption(shape, cam.azimuth, cam.elevation, rng)
    text = text[0].lower() + text[1:]
    # "a line drawing of an office chair ..." from "an office chair ..."
    return img, f"{words} {text}", style


def build_captioned_pool(
    n_shapes_per_category: int,
    views_per_shape: int = 2,
    image_size: int = 128,
    seed: int = 0,
    categories=CATEGORIES,
    progress=None,
) -> CaptionedPool:
    """Render ``views_per_shape`` captioned images of ``n_shapes_per_category`` shapes of every category.

    Deterministic for a given ``seed``. ``progress`` wraps the shape loop (e.g. :func:`sbsr.book.progress`).
    """
    rng = np.random.default_rng([seed, image_size, views_per_shape])
    jobs = [(ci, cat, i) for ci, cat in enumerate(categories) for i in range(n_shapes_per_category)]
    images, captions, shape_index, cats, styles = [], [], [], [], []
    it = progress(jobs, desc="rendering captioned views") if progress else jobs
    for k, (ci, cat, i) in enumerate(it):
        shape = generate_shape(cat, TRAIN_SEED_BASE + seed * 100 + ci, i)
        for _ in range(views_per_shape):
            img, text, style = render_captioned(shape, rng, image_size)
            images.append(img)
            captions.append(text)
            shape_index.append(k)
            cats.append(cat)
            styles.append(style)
    return CaptionedPool(
        images=np.stack(images),
        captions=captions,
        shape_index=np.asarray(shape_index),
        categories=cats,
        styles=styles,
        meta={"n_shapes_per_category": n_shapes_per_category, "views_per_shape": views_per_shape,
              "image_size": image_size, "seed": seed, "categories": list(categories)},
    )
