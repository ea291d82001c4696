"""The paper's retrieval method end to end: normalise images, encode (with augmentation), mask, rank.

One :class:`RetrievalSettings` describes every knob of thesis §4.2.2-4.2.3 and Appendix B:

* how sketches and shape views are framed: fitted into a centred box of a given fraction of 224 px
  (OBB = 129/224, the baseline's 170/224), only centred, or left as drawn/rendered (Tables 4.1, B.2);
* robust features: the mean feature of each image and its affine copies (Table 4.2, B.4);
* which views represent a shape, in which style (line / rgb) and projection (Tables 4.4, 4.5, B.5);
* how views are aggregated: the minimum distance (Eq. 4.1) or an average (Table 4.3);
* a learned feature mask/weighting applied to both sides (Eq. 4.2-4.3, Table 4.7);
* the encoder tap (``layer3``, the paper's CLIP embedding).

:data:`METHODS` names the settings of Table 4.8 (and the evaluation command): ``baseline``, ``centered``,
``bb170``, ``obb``, ``obb-augm2``, ``obb-augm4``; ``full`` = ``obb-augm4`` plus a binary mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from .augment import average_features
from .distances import shape_distances, shape_distances_and_views
from .metrics import accuracy_table, ranks_of_targets
from .transforms import BASELINE_FRACTION, OBB_FRACTION, fit_to_box

PAPER_VIEWS = (0.0, 30.0, 45.0, 75.0, 90.0)  # §4.2.3.2: 5 views unless a table says otherwise


@dataclass(frozen=True)
class Framing:
    """How the object is placed in a 224 x 224 image before encoding.

    ``box``: the longer side of the object's bounding box as a fraction of the image (None: keep the
    size); ``center``: move the object to the middle. ``Framing(None, False)`` leaves images as they are.
    """

    box: float | None = OBB_FRACTION
    center: bool = True

    @property
    def identity(self) -> bool:
        return self.box is None and not self.center

    def apply(self, images: np.ndarray, image_size: int = 224) -> np.ndarray:
        if self.identity:
            return np.asarray(images)
        return np.stack([fit_to_box(im, self.box, image_size, center=self.center) for im in images])

    def label(self) -> str:
        if self.identity:
            return "as is"
        if self.box is None:
            return "centred"
        return f"{'centred ' if self.center else ''}box {self.box * 100:.1f}% ({round(self.box * 224)} px)"


AS_IS = Framing(None, False)


@dataclass(frozen=True)
class View:
    """One gallery viewpoint: azimuth (degrees), elevation, projection."""

    azimuth: float
    elevation: float = 20.0
    projection: str = "perspective"

    def label(self) -> str:
        p = {"perspective": "p", "orthographic": "o"}[self.projection]
        return f"{self.azimuth:g}° ({p})"


def as_views(views: Sequence[float | View], elevation: float = 20.0) -> tuple[View, ...]:
    return tuple(v if isinstance(v, View) else View(float(v), elevation) for v in views)


@dataclass(frozen=True)
class RetrievalSettings:
    """Every knob of the zero-shot method (thesis §4.2.2.1) and its learned masking (§4.2.2.2)."""

    sketch_framing: Framing = Framing()
    view_framing: Framing = Framing()
    augment: str = "none"
    views: tuple[View, ...] = as_views(PAPER_VIEWS)
    view_style: str = "line"
    reduce: str = "min"
    tap: str = "layer3"
    mask: str | None = None  # path of a FeatureModulation checkpoint (.safetensors)
    name: str = "custom"

    def with_(self, **kw) -> "RetrievalSettings":
        if "views" in kw:
            kw["views"] = as_views(kw["views"])
        return replace(self, **kw)

    def describe(self) -> str:
        parts = [
            f"sketches {self.sketch_framing.label()}",
            f"views {self.view_framing.label()}",
            f"{len(self.views)} {self.view_style} views [{', '.join(v.label() for v in self.views)}]",
            f"augment {self.augment}",
            f"{self.reduce} over views",
            f"tap {self.tap}",
        ]
        if self.mask:
            parts.append(f"mask {self.mask}")
        return "; ".join(parts)


_OBB = Framing(OBB_FRACTION, True)
_BB170 = Framing(BASELINE_FRACTION, True)
METHODS: dict[str, RetrievalSettings] = {
    # Table 4.8 "Baseline": sketches centred in a 170x170 box, line renderings as rendered (App. B.3.1).
    "baseline": RetrievalSettings(sketch_framing=_BB170, view_framing=AS_IS, name="baseline"),
    # Table B.2 "Baseline w/ centering": the views are centred too (no rescaling).
    "centered": RetrievalSettings(sketch_framing=_BB170, view_framing=Framing(None, True), name="centered"),
    # Tables 4.6, B.3: sketches and views centred and scaled into a 170x170 box.
    "bb170": RetrievalSettings(sketch_framing=_BB170, view_framing=_BB170, name="bb170"),
    # The optimal bounding box, 129x129 (Table 4.1).
    "obb": RetrievalSettings(sketch_framing=_OBB, view_framing=_OBB, name="obb"),
    # Table 4.8 "OBB, Augm. (2 imgs)": original + one copy translated by (19,-4) and rotated by -23.5
    # degrees (Table 4.2 #13, the best two-image setting).
    "obb-augm2": RetrievalSettings(sketch_framing=_OBB, view_framing=_OBB, augment="augm2-affine", name="obb-augm2"),
    # Table 4.2 #14 "Augm. (4 imgs)": original, translated, rotated, rotated and translated.
    "obb-augm4": RetrievalSettings(sketch_framing=_OBB, view_framing=_OBB, augment="augm4", name="obb-augm4"),
}


def method(name: str, mask: str | None = None) -> RetrievalSettings:
    """Named settings; ``full`` is ``obb-augm4`` with the binary mask at ``mask``."""
    if name == "full":
        if not mask:
            raise ValueError("method 'full' needs a learned mask checkpoint (mask=PATH)")
        return replace(METHODS["obb-augm4"], mask=str(mask), name="full")
    try:
        s = METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join([*METHODS, 'full'])}") from None
    return replace(s, mask=str(mask)) if mask else s


# --- features ------------------------------------------------------------------------------------------
def encode_images(encoder, images: np.ndarray, tap: str = "layer3", augment: str = "none", cache=None,
                  batch_size: int = 32) -> np.ndarray:
    """Flattened float32 features (N, D) of ``images``, averaged over the augmented copies (Table 4.2)."""
    from ..encoders import encode_with_cache

    def encode_fn(batch):
        feats = encode_with_cache(encoder, list(batch), tap=tap, cache=cache, batch_size=batch_size)
        return np.asarray(feats, dtype=np.float32).reshape(len(batch), -1)

    if len(images) == 0:
        return np.zeros((0, int(np.prod(encoder.tap_shape(tap)))), dtype=np.float32)
    return np.asarray(average_features(encode_fn, list(images), augment), dtype=np.float32)


def load_mask(path: str | None, encoder=None, tap: str = "layer3") -> np.ndarray | None:
    """The effective weights (flattened) of a learned feature modulation (Eq. 4.2/4.3).

    With ``encoder``, a mask that does not have one weight per feature of its ``tap`` (one trained on
    another encoder) is refused with a ``ValueError`` naming both, before anything is encoded.
    """
    if not path:
        return None
    from .modulation import load_modulation

    module = load_modulation(path)
    weights = module.effective_weight().detach().cpu().numpy().reshape(-1).astype(np.float32)
    if encoder is not None:
        n_features = int(np.prod(encoder.tap_shape(tap)))
        if weights.shape[0] != n_features:
            raise ValueError(f"mask {path} has {weights.shape[0]} weights but the {tap} tap of {encoder.name} "
                             f"has {n_features} features: it belongs to another encoder")
    return weights


def gallery_views(split, settings: RetrievalSettings, progress: bool = False) -> np.ndarray:
    """(S, V, H, W[, 3]) uint8 views of the split's shapes for ``settings.views``, in that order."""
    groups: dict[tuple[float, str], list[int]] = {}
    for i, v in enumerate(settings.views):
        groups.setdefault((v.elevation, v.projection), []).append(i)
    out = None
    for (elev, proj), idx in groups.items():
        kw = {}
        if proj != "perspective":
            from ..render import Camera
            from ..render.camera import matching_ortho_scale

            cam = Camera()
            kw = {"projection": proj, "ortho_scale": matching_ortho_scale(cam.distance, cam.fov)}
        imgs = split.views([settings.views[i].azimuth for i in idx], style=settings.view_style, elevation=elev,
                           progress=progress, **kw)
        if out is None:
            out = np.empty((imgs.shape[0], len(settings.views), *imgs.shape[2:]), dtype=np.uint8)
        out[:, idx] = imgs
    return out


@dataclass
class RetrievalRun:
    """Distances and ranks of one evaluation (queries = sketches, gallery = shapes)."""

    settings: RetrievalSettings
    encoder: str
    distances: np.ndarray  # (Q, S)
    best_view: np.ndarray  # (Q, S) index into settings.views
    targets: np.ndarray  # (Q,)
    shape_ids: list[str]
    sketch_ids: list[str]
    extras: dict = field(default_factory=dict)

    @property
    def ranks(self) -> np.ndarray:
        return ranks_of_targets(self.distances, self.targets)

    def accuracy(self, ks=(1, 5)) -> dict[str, float]:
        return accuracy_table(self.distances, self.targets, ks=ks)

    def top_k(self, k: int = 5) -> np.ndarray:
        return np.argsort(self.distances, axis=1, kind="stable")[:, :k]


def features_for(split, encoder, settings: RetrievalSettings, cache=None, sketches: np.ndarray | None = None,
                 views: np.ndarray | None = None, progress: bool = False):
    """Query features (Q, D) and view features (S, V, D) for ``settings`` (mask applied)."""
    mask = load_mask(settings.mask, encoder, settings.tap)
    if sketches is None:
        sketches = split.sketch_images()
    if views is None:
        views = gallery_views(split, settings, progress=progress)
    q_imgs = settings.sketch_framing.apply(sketches)
    s, v = views.shape[:2]
    v_imgs = settings.view_framing.apply(views.reshape(s * v, *views.shape[2:]))
    q = encode_images(encoder, q_imgs, settings.tap, settings.augment, cache)
    g = encode_images(encoder, v_imgs, settings.tap, settings.augment, cache).reshape(s, v, -1)
    if mask is not None:
        q, g = q * mask, g * mask
    return q, g


def run_retrieval(split, encoder, settings: RetrievalSettings, cache=None, sketches: np.ndarray | None = None,
                  views: np.ndarray | None = None, progress: bool = False) -> RetrievalRun:
    """Rank the split's shapes for each of its sketches with ``settings`` (Eq. 4.1 or the average)."""
    q, g = features_for(split, encoder, settings, cache, sketches, views, progress)
    if settings.reduce == "min":
        dist, best = shape_distances_and_views(q, g)
    else:  # averages have no selected view
        dist = shape_distances(q, g, reduce=settings.reduce)
        best = np.full(np.shape(dist), -1, dtype=np.int64)
    return RetrievalRun(settings, encoder.name, np.asarray(dist), np.asarray(best), np.asarray(split.targets()),
                        list(split.shape_ids), [s.sketch_id for s in split.sketches])
