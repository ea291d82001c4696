"""Robust features: average the features of a view and its affine copies (thesis §4.2.3.2, Table 4.2).

"We apply the same affine transformations to all queries and shape views [...] We then average the
embeddings for each original view instance and its transformed variant": ``0.5(CLIP(OBB) +
CLIP(f(OBB)))``. The best setting, "Augm. (4 imgs)", averages the original, translated, rotated, and
rotated-and-translated images (Table 4.2 #14); App. B.3.3 (Table B.4) drops one of the four at a time.

Named specs (``parse_augment_spec``)::

    none                                   original only
    augm2-translate(tx,ty)                 original + translated               (Table 4.2 #4-8)
    augm2-rotate(deg)                      original + rotated                  (Table 4.2 #8-12)
    augm2-affine(tx,ty,deg)                original + rotated&translated       (Table 4.2 #13)
    augm4(tx,ty,deg)                       original, transl., rot., rot.&transl. (Table 4.2 #14)
    augm3-no-original(tx,ty,deg)           Table B.4 "w/o original img."
    augm3-no-translate(tx,ty,deg)          Table B.4 "w/o transl."
    augm3-no-rotate(tx,ty,deg)             Table B.4 "w/o rot."
    augm3-no-combined(tx,ty,deg)           Table B.4 "w/o transl & rot."

Arguments may be omitted (``augm4``) to use the paper's values: translation (19, -4) px and rotation
-23.5 deg (sign conventions: see :mod:`sbsr.retrieval.transforms`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .transforms import affine

#: Table 4.2 #6: best translation on both categories (pixels, x right / y down).
PAPER_TRANSLATION = (19.0, -4.0)
#: Table 4.2 #10-12: best rotation (degrees).
PAPER_ROTATION = -23.5


@dataclass(frozen=True)
class AugmentSpec:
    """Which affine copies of a view to encode; their features are averaged (Table 4.2, Table B.4).

    The images, in order: the original (``include_original``), one translated copy per translation
    (``with_translated``), one rotated copy per rotation (``with_rotated``) and, if ``combined``, one
    rotated-then-translated copy per (rotation, translation) pair.
    Example: "Augm. (4 imgs)" is ``AugmentSpec(translations=[(19, -4)], rotations=[-23.5], combined=True)``.
    """

    translations: tuple[tuple[float, float], ...] = ()
    rotations: tuple[float, ...] = ()
    combined: bool = False
    include_original: bool = True
    with_translated: bool = True
    with_rotated: bool = True
    name: str = field(default="", compare=False)

    def __post_init__(self):
        object.__setattr__(self, "translations", tuple((float(x), float(y)) for x, y in self.translations))
        object.__setattr__(self, "rotations", tuple(float(r) for r in self.rotations))
        if self.n_images == 0:
            raise ValueError("an AugmentSpec must produce at least one image")

    @property
    def transforms(self) -> list[tuple[float, float, float]]:
        """The ``(tx, ty, rotation_deg)`` of every image; ``(0, 0, 0)`` is the original."""
        out = [(0.0, 0.0, 0.0)] if self.include_original else []
        if self.with_translated:
            out += [(tx, ty, 0.0) for tx, ty in self.translations]
        if self.with_rotated:
            out += [(0.0, 0.0, r) for r in self.rotations]
        if self.combined:
            out += [(tx, ty, r) for r in self.rotations for tx, ty in self.translations]
        return out

    @property
    def n_images(self) -> int:
        return len(self.transforms)


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SPEC_RE = re.compile(r"^(?P<kind>[a-z0-9-]+?)(?:\((?P<args>[^)]*)\))?$")

#: Name -> keyword arguments of AugmentSpec for the three-number specs (tx, ty, rotation).
_THREE_ARG_SPECS = {
    "augm2-affine": dict(combined=True, with_translated=False, with_rotated=False),
    "augm4": dict(combined=True),
    "augm3-no-original": dict(combined=True, include_original=False),
    "augm3-no-translate": dict(combined=True, with_translated=False),
    "augm3-no-rotate": dict(combined=True, with_rotated=False),
    "augm3-no-combined": dict(combined=False),
}
SPEC_NAMES = ("none", "augm2-translate", "augm2-rotate", *_THREE_ARG_SPECS)


def _args(text: str | None, n: int, default: Sequence[float], name: str) -> list[float]:
    if text is None or text.strip() == "":
        return [float(v) for v in default]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != n or not all(re.fullmatch(_NUM, p) for p in parts):
        raise ValueError(f"augmentation spec {name!r} needs {n} numbers in brackets, got ({text})")
    return [float(p) for p in parts]


def parse_augment_spec(name: str) -> AugmentSpec:
    """An :class:`AugmentSpec` from one of the names in the module docstring (see ``SPEC_NAMES``)."""
    m = _SPEC_RE.match(name.strip().lower().replace(" ", ""))
    if not m:
        raise ValueError(f"cannot parse augmentation spec {name!r}")
    kind, args = m.group("kind"), m.group("args")
    if kind == "none":
        if args:
            raise ValueError(f"augmentation spec 'none' takes no arguments, got {name!r}")
        return AugmentSpec(name=name)
    if kind == "augm2-translate":
        tx, ty = _args(args, 2, PAPER_TRANSLATION, name)
        return AugmentSpec(translations=((tx, ty),), name=name)
    if kind == "augm2-rotate":
        (r,) = _args(args, 1, (PAPER_ROTATION,), name)
        return AugmentSpec(rotations=(r,), name=name)
    if kind not in _THREE_ARG_SPECS:
        raise ValueError(f"unknown augmentation spec {name!r}; known: {', '.join(SPEC_NAMES)}")
    tx, ty, r = _args(args, 3, (*PAPER_TRANSLATION, PAPER_ROTATION), name)
    return AugmentSpec(translations=((tx, ty),), rotations=(r,), name=name, **_THREE_ARG_SPECS[kind])


def _spec(spec) -> AugmentSpec:
    if isinstance(spec, str):
        return parse_augment_spec(spec)
    if isinstance(spec, AugmentSpec):
        return spec
    raise TypeError(f"expected an augmentation spec name or AugmentSpec, got {type(spec).__name__}")


def augmented_views(image: np.ndarray, spec: str | AugmentSpec = "none",
                    fill: float = 255) -> list[np.ndarray]:
    """The images whose features are averaged for ``image`` (original first when included)."""
    out = []
    for tx, ty, r in _spec(spec).transforms:
        if tx == 0.0 and ty == 0.0 and r == 0.0:
            out.append(np.asarray(image).copy())
        else:
            out.append(affine(image, tx, ty, r, fill=fill))
    return out


def average_features(encode_fn: Callable, images: Sequence[np.ndarray],
                     spec: str | AugmentSpec = "none", chunk_size: int = 64,
                     fill: float = 255):
    """Robust features (Table 4.2): for each image the mean of ``encode_fn`` over its augmented views.

    ``encode_fn(list_of_images) -> (M, ...)`` features (torch tensor or numpy array), e.g.
    ``lambda ims: encoder.encode(ims, tap="layer3")``. Images are processed ``chunk_size`` at a time so
    that at most ``chunk_size * n_images`` augmented images exist at once. Returns (N, ...) of the same
    kind as ``encode_fn``'s output.
    """
    s = _spec(spec)
    a = s.n_images
    results = []
    for start in range(0, len(images), max(1, int(chunk_size))):
        chunk = images[start:start + chunk_size]
        batch = [v for img in chunk for v in augmented_views(img, s, fill=fill)]
        feats = encode_fn(batch)
        if feats.shape[0] != len(batch):
            raise ValueError(f"encode_fn returned {feats.shape[0]} features for {len(batch)} images")
        feats = feats.reshape(len(chunk), a, *feats.shape[1:])
        results.append(feats.mean(1) if hasattr(feats, "detach") else np.asarray(feats).mean(axis=1))
    if not results:
        raise ValueError("average_features needs at least one image")
    if hasattr(results[0], "detach"):
        import torch

        return torch.cat(results, dim=0)
    return np.concatenate(results, axis=0)
