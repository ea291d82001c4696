"""Rank any sketch image against a gallery with the full method (thesis §4.2.2, Table 4.8 "Binary").

The full method: sketch and views fitted to the optimal bounding box (OBB), features averaged over the
four affine copies ("Augm. (4 imgs)"), a learned binary mask over the ``layer3`` features (Eq. 4.3), and
the minimum distance over each shape's views (Eq. 4.1). :class:`SketchExplorer` encodes a split's gallery
once; :meth:`SketchExplorer.rank` then takes a sketch in any form :func:`sbsr.data.images.load_sketch_image`
reads - a PNG path, PNG bytes (e.g. from a notebook upload widget), a PIL image or an array, of any size,
with or without alpha, dark-on-light or light-on-dark - and returns the top-k shapes, their distances and
the view of each that matched best.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...data.images import load_sketch_image
from ...retrieval.distances import shape_distances_and_views
from ...retrieval.pipeline import METHODS, RetrievalSettings, encode_images, gallery_views, load_mask, method
from .train import check_mask_matches, shipped_mask


@dataclass
class ExplorerResult:
    """Top-k shapes for one sketch: ids, gallery indices, Eq. 4.1 distances, and the best-matching view
    (index into ``views`` and its azimuth) of each shape; ``query`` is the sketch as it was encoded
    (normalised to 224 px, white background, then framed)."""

    shape_ids: list[str]
    indices: np.ndarray  # (k,) gallery indices, best first
    distances: np.ndarray  # (k,)
    best_views: np.ndarray  # (k,) view index of each shape's closest view
    azimuths: list[float]  # (k,) azimuth of that view
    query: np.ndarray  # (224, 224) uint8
    all_distances: np.ndarray  # (S,) distance to every gallery shape
    gallery_ids: list[str]  # (S,) ids of the whole gallery, in gallery order

    def rank_of(self, shape_id: str) -> int:
        """1-based rank of ``shape_id`` in the whole gallery (ties counted pessimistically, as in acc@k)."""
        if shape_id not in self.gallery_ids:
            raise KeyError(f"{shape_id} is not in the gallery")
        t = self.gallery_ids.index(shape_id)
        return int((self.all_distances <= self.all_distances[t]).sum())

    def table(self):
        import pandas as pd

        return pd.DataFrame({"rank": np.arange(1, len(self.shape_ids) + 1), "shape": self.shape_ids,
                             "distance": self.distances,
                             "best view": [f"{a:g}°" for a in self.azimuths]}).set_index("rank")


class SketchExplorer:
    """Rank arbitrary sketches against ``split``'s gallery with ``settings`` (default: the full method with
    ``mask``; without a mask, "OBB, Augm. (4 imgs)").

    ``mask``: a checkpoint path, ``"shipped"`` (the package's binary mask selected on chairs for this
    encoder, :func:`sbsr.systems.clip_retrieval.train.shipped_mask`) or ``None``. Gallery views and their features are
    computed once (through ``cache``, a :class:`sbsr.encoders.FeatureCache`).
    """

    def __init__(self, split, encoder, mask: str | os.PathLike | None = "shipped",
                 settings: RetrievalSettings | None = None, cache=None, views: np.ndarray | None = None):

        if isinstance(mask, str) and mask == "shipped":

            mask = shipped_mask(encoder.name, "binary", "chair")
            problem = check_mask_matches(mask, encoder)
            if problem:
                warnings.warn(problem, stacklevel=2)
        if settings is None:
            settings = method("full", mask=str(mask)) if mask else METHODS["obb-augm4"]
        elif mask:
            settings = settings.with_(mask=str(mask))
        self.split = split
        self.encoder = encoder
        self.settings = settings
        self.cache = cache
        self.shape_ids = list(split.shape_ids)
        self.views = gallery_views(split, settings) if views is None else np.asarray(views)
        self.mask = load_mask(settings.mask, encoder, settings.tap)
        n_s, n_v = self.views.shape[:2]
        framed = settings.view_framing.apply(self.views.reshape(n_s * n_v, *self.views.shape[2:]))
        # the gallery half of pipeline.features_for (the query half runs per sketch in encode_sketch)
        g = encode_images(encoder, framed, settings.tap, settings.augment, cache).reshape(n_s, n_v, -1)
        if self.mask is not None:
            g = g * self.mask
        self.view_features = g
        self.azimuths = [v.azimuth for v in settings.views]

    def encode_sketch(self, sketch, polarity: str = "auto") -> tuple[np.ndarray, np.ndarray]:
        """``(image, feature)``: the normalised sketch (224 px) and its masked feature (D,)."""

        if isinstance(sketch, (str, os.PathLike)):
            sketch = Path(sketch)
        elif isinstance(sketch, memoryview):
            sketch = sketch.tobytes()
        image = load_sketch_image(sketch, size=224, polarity=polarity)
        framed = self.settings.sketch_framing.apply(image[None])
        q = encode_images(self.encoder, framed, self.settings.tap, self.settings.augment, cache=None)
        if self.mask is not None:
            q = q * self.mask
        return image, q[0]

    def rank(self, sketch, k: int = 5, polarity: str = "auto") -> ExplorerResult:
        """The ``k`` closest gallery shapes to ``sketch`` (Eq. 4.1 with the settings' mask and augmentation)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        image, q = self.encode_sketch(sketch, polarity)
        dist, best = shape_distances_and_views(q[None], self.view_features)
        dist, best = np.asarray(dist)[0], np.asarray(best)[0]
        order = np.argsort(dist, kind="stable")[: min(k, len(dist))]
        res = ExplorerResult(
            shape_ids=[self.shape_ids[i] for i in order], indices=order, distances=dist[order],
            best_views=best[order], azimuths=[self.azimuths[b] for b in best[order]], query=image,
            all_distances=dist, gallery_ids=self.shape_ids,
        )
        return res

    def best_view_images(self, result: ExplorerResult) -> list[np.ndarray]:
        """The gallery view (as rendered, before framing) that matched best, for each shape of ``result``."""
        return [self.views[i, v] for i, v in zip(result.indices, result.best_views)]

    def figure_inputs(self, results: list[ExplorerResult], true_ids: list[str | None] | None = None) -> dict:
        """Arguments for :func:`sbsr.book.figures.retrieval.retrieval_figure` showing, per result, the query and
        the best-matching view of each top-k shape (captioned with shape and view); ``true_ids`` (optional, one
        per result) frames the ground truth and gives its rank."""
        gallery, labels, top, targets, dists, ranks = [], [], [], [], [], []
        for i, res in enumerate(results):
            start = len(gallery)
            gallery += self.best_view_images(res)
            labels += [f"{_short(sid)},{az:g}°" for sid, az in zip(res.shape_ids, res.azimuths)]
            top.append(np.arange(start, len(gallery)))
            dists.append(res.distances)
            true = true_ids[i] if true_ids is not None else None
            targets.append(start + res.shape_ids.index(true) if true in res.shape_ids else -1)
            ranks.append(res.rank_of(true) if true is not None else 0)
        out = {"queries": [r.query for r in results], "gallery": gallery, "top_k": np.stack(top),
               "targets": targets, "distances": np.stack(dists), "gallery_labels": labels}
        if true_ids is not None:
            out["target_ranks"] = ranks
        return out


def _short(shape_id: str) -> str:
    """``chair-s3-000042`` -> ``42`` (captions under 80-px thumbnails have room for a few characters)."""
    parts = shape_id.split("-")
    if len(parts) >= 3 and parts[-1].isdigit():
        return str(int(parts[-1]))
    return shape_id[-8:]


def rank_sketch(sketch, split, encoder, mask: str | os.PathLike | None = "shipped", k: int = 5,
                cache=None, settings: RetrievalSettings | None = None) -> ExplorerResult:
    """One-shot :meth:`SketchExplorer.rank` (builds the gallery features, then ranks one sketch)."""
    return SketchExplorer(split, encoder, mask=mask, settings=settings, cache=cache).rank(sketch, k=k)
