"""The tasks NetSpace's networks solve here. CIFAR-10 and Tiny-ImageNet cannot be downloaded offline, so
two procedural image-classification tasks of clearly different difficulty stand in for them, plus a real
one that ships with scikit-learn, and procedural chairs' signed distances for the SDF networks:

* ``cifar-like``: 10 procedural categories (:data:`sbsr.shapes.CATEGORIES`, the first ten), one object per
  image with a random shape, colour, view, distance and lighting over a random background
  (:func:`sbsr.render.natural.render_natural`), 32 px.
* ``tin-like``: harder: 22 classes = every category x the side it is seen from (front half-circle of
  azimuths or back half), always over photographs, objects smaller and farther, at 64 px (32 px at the quick
  profile).
* ``digits``: scikit-learn's bundled 8x8 handwritten digits (1,797 real images, 10 classes), upsampled to
  32 px grey (a seeded 70/30 split): a real-data check of the Single-Architecture experiment.
* chairs' SDFs: :func:`sbsr.shapes.sample_sdf` of procedural chairs (the thesis: ShapeNet chairs).

Images are cached under ``<cache_dir>/netspace`` (uint8 ``.npz``, written atomically).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...io import atomic_path
from ...render.camera import Camera
from ...render.natural import render_natural
from ...shapes import CATEGORIES, generate_shape, sample_sdf

TASKS = ("cifar-like", "tin-like", "digits")
TASK_TITLES = {
    "cifar-like": "cifar-like: 10 procedural categories, natural composites (stands in for CIFAR-10)",
    "tin-like": "tin-like: 22 classes (category x seen from front/back), photo backgrounds (stands in for "
                "Tiny-ImageNet)",
    "digits": "digits: scikit-learn's handwritten digits, real 8x8 images upsampled to 32 px",
}


@dataclass
class ImageTask:
    """Images ``(N, C, S, S)`` float in [-1, 1] and int64 labels, train and test."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    image_size: int

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    def describe(self) -> str:
        return (f"{self.name}: {self.n_classes} classes, {self.image_size} px, {len(self.x_train)} train / "
                f"{len(self.x_test)} test images")

    def data_hash(self) -> str:
        h = hashlib.sha256()
        for t in (self.x_train, self.y_train, self.x_test, self.y_test):
            h.update(t.numpy().tobytes())
        return h.hexdigest()[:16]


def _classes(task: str) -> list[tuple[str, int | None]]:
    if task == "cifar-like":
        return [(c, None) for c in CATEGORIES[:10]]
    if task == "tin-like":
        return [(c, side) for c in CATEGORIES for side in (0, 1)]
    raise KeyError(f"unknown procedural task {task!r}")


def _render_split(task: str, image_size: int, per_class: int, shape_indices: range, seed: int):
    rng = np.random.default_rng(seed)
    shapes: dict[tuple[str, int], object] = {}
    xs, ys = [], []
    for label, (cat, side) in enumerate(_classes(task)):
        for _ in range(per_class):
            idx = int(rng.choice(shape_indices))
            if (cat, idx) not in shapes:
                shapes[cat, idx] = generate_shape(cat, 0, idx)
            if side is None:
                az, dist, photo = rng.uniform(0, 360), rng.uniform(2.0, 2.8), 0.5
            else:  # front (azimuth within 60 degrees of the front) or back
                az, dist, photo = rng.uniform(-60, 60) + 180 * side, rng.uniform(2.6, 3.6), 1.0
            cam = Camera(azimuth=az, elevation=rng.uniform(-5, 40), distance=dist, image_size=image_size)
            xs.append(render_natural(shapes[cat, idx], cam, rng=int(rng.integers(2**31)), photo_probability=photo))
            ys.append(label)
    return np.stack(xs), np.array(ys, dtype=np.int64)


def _to_tensor(x: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(x).float() / 127.5 - 1.0
    return t.permute(0, 3, 1, 2).contiguous() if t.ndim == 4 else t[:, None]


def load_task(task: str, *, cache_dir: str | Path, image_size: int | None = None, train_per_class: int = 30,
              test_per_class: int = 10, seed: int = 0, shapes_per_class: int = 40, held_out_shapes: bool = True,
              progress=None) -> ImageTask:
    """The image task ``task`` (one of :data:`TASKS`), rendered once and cached. Training images show
    ``shapes_per_class`` shapes per category; test images show other shapes (``held_out_shapes``) or new
    views, colours and backgrounds of the same ones (like CIFAR's test images, new photos of the classes)."""
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r} (known: {', '.join(TASKS)})")
    if task == "digits":  # at most train_per_class images per class on average (all 1,258 at the full profile)
        d = load_digits(seed=seed, image_size=image_size or 32)
        n = min(len(d.y_train), 10 * train_per_class)
        d.x_train, d.y_train = d.x_train[:n], d.y_train[:n]
        return d
    size = image_size or (32 if task == "cifar-like" else 64)
    key = json.dumps([task, size, train_per_class, test_per_class, seed, shapes_per_class, held_out_shapes])
    path = Path(cache_dir) / "netspace" / f"{task}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.npz"
    if path.is_file():
        z = np.load(path)
        arrs = [z[k] for k in ("xtr", "ytr", "xte", "yte")]
    else:
        xtr, ytr = _render_split(task, size, train_per_class, range(0, shapes_per_class), seed)
        test_shapes = range(1000, 1000 + shapes_per_class) if held_out_shapes else range(0, shapes_per_class)
        xte, yte = _render_split(task, size, test_per_class, test_shapes, seed + 1)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, xtr=xtr, ytr=ytr, xte=xte, yte=yte)
        arrs = [xtr, ytr, xte, yte]
    xtr, ytr, xte, yte = arrs
    return ImageTask(task, _to_tensor(xtr), torch.from_numpy(ytr), _to_tensor(xte), torch.from_numpy(yte),
                     len(_classes(task)), size)


def load_digits(seed: int = 0, image_size: int = 32, test_fraction: float = 0.3) -> ImageTask:
    """scikit-learn's handwritten digits (bundled, real), upsampled to ``image_size`` px, a seeded split."""
    from sklearn.datasets import load_digits as _sk_digits

    d = _sk_digits()
    x = torch.from_numpy(d.images).float()[:, None] / 8.0 - 1.0
    x = torch.nn.functional.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    y = torch.from_numpy(d.target).long()
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(len(y)))
    n_test = int(round(test_fraction * len(y)))
    te, tr = perm[:n_test], perm[n_test:]
    return ImageTask("digits", x[tr], y[tr], x[te], y[te], 10, image_size)


def chair_sdfs(n: int, *, n_points: int = 4000, seed: int = 0, cache_dir: str | Path | None = None):
    """``n`` procedural chairs' SDF samples: points ``(n, P, 3)`` float32 and signed distances ``(n, P)``."""
    path = Path(cache_dir) / "netspace" / f"chairs-sdf-{n}-{n_points}-{seed}.npz" if cache_dir else None
    if path is not None and path.is_file():
        z = np.load(path)
        return torch.from_numpy(np.array(z["p"])), torch.from_numpy(np.array(z["d"]))
    pts, sdf = [], []
    for i in range(n):
        p, d = sample_sdf(generate_shape("chair", seed, i), n_points, seed=seed + i)
        pts.append(p.astype(np.float32))
        sdf.append(d.astype(np.float32))
    p, d = np.stack(pts), np.stack(sdf)
    if path is not None:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, p=p, d=d)
    return torch.from_numpy(p), torch.from_numpy(d)


__all__ = ["ImageTask", "TASKS", "TASK_TITLES", "chair_sdfs", "load_digits", "load_task"]
