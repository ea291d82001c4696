"""Image and depth metrics of SketchyDepth (thesis §3.4.3-3.4.4).

* :func:`frechet_distance` -- the Frechet distance between two sets of images on the features of an encoder
  the book has (torchmetrics' ``FrechetInceptionDistance`` with a custom feature module): with the offline
  ``minclip-procedural-v1`` it is reported as "FD (minclip features)", not FID. Given a local Inception
  weights file (``inception_weights``), the real FID (2048-d pool features) is computed instead.
* :func:`ssim` -- SSIM of Wang et al. (11x11 Gaussian window, sigma 1.5) via torchmetrics, per image pair,
  averaged.
* :func:`depth_errors` -- AbsRel, RMSE and delta < 1.25 of predicted against true depth.
* :func:`separation_auc` -- how well a depth map separates foreground objects from what surrounds them:
  the ROC AUC of "nearer" as a detector of an object's pixels within its (grown) bounding box.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from scipy import ndimage
from sklearn.metrics import roc_auc_score
from torchmetrics.image import StructuralSimilarityIndexMeasure
from torchmetrics.image.fid import FrechetInceptionDistance

FD_MINCLIP = "FD (minclip features)"


class EncoderFeatures(nn.Module):
    """An :class:`sbsr.encoders.base.Encoder` tap as a torchmetrics feature extractor: uint8 (N,3,H,W)
    -> (N, D) float features (the encoder resizes and normalises)."""

    def __init__(self, encoder, tap: str = "embedding"):
        super().__init__()
        self.encoder, self.tap = encoder, tap
        shape = encoder.tap_shape(tap)
        if len(shape) != 1:
            raise ValueError(f"{encoder.name}/{tap} is not a vector tap (shape {shape}); use 'embedding'")
        self.num_features = int(shape[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.uint8 or x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"EncoderFeatures takes uint8 (N,3,H,W) images, got {x.dtype} {tuple(x.shape)}")
        return self.encoder.encode(x.permute(0, 2, 3, 1).cpu().numpy(), tap=self.tap)


def _as_nchw(images: np.ndarray) -> torch.Tensor:
    a = np.asarray(images)
    if a.dtype != np.uint8 or a.ndim != 4 or a.shape[-1] != 3:
        raise ValueError(f"images must be uint8 (N,H,W,3), got {a.dtype} {a.shape}")
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).contiguous()


class FrechetDistance:
    """Frechet distance of generated sets to one reference set, whose features are computed once.

    ``FrechetDistance(encoder)`` uses the encoder's embedding ("FD (minclip features)" for minclip);
    ``FrechetDistance(inception_weights=path)`` uses torchmetrics' Inception-v3 (2048-d) from a local file.
    """

    def __init__(self, encoder=None, tap: str = "embedding", inception_weights: str | Path | None = None):
        if inception_weights is not None:
            path = Path(inception_weights)
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no Inception weights file (FID needs the pt_inception "
                                        "weights of torch-fidelity, e.g. pt_inception-2015-12-05-6726825d.pth)")
            try:
                self.metric = FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=str(path),
                                                       reset_real_features=False)
            except ModuleNotFoundError as exc:
                raise ModuleNotFoundError(f"FID with {path} needs the torch-fidelity package: {exc}") from exc
            self.name = "FID (Inception-v3)"
            self.input_size = 299
        elif encoder is not None:
            self.metric = FrechetInceptionDistance(feature=EncoderFeatures(encoder, tap), reset_real_features=False)
            self.name = FD_MINCLIP if encoder.name.startswith("minclip") else f"FD ({encoder.name} features)"
            self.input_size = None
        else:
            raise ValueError("FrechetDistance needs an encoder or an inception_weights file")
        self.n_real = 0

    def _prep(self, images: np.ndarray) -> torch.Tensor:
        x = _as_nchw(images)
        if self.input_size is not None:
            x = torch.nn.functional.interpolate(x.float(), size=self.input_size, mode="bilinear",
                                                align_corners=False).round().clamp(0, 255).byte()
        return x

    def set_reference(self, images: np.ndarray) -> "FrechetDistance":
        self.metric.reset()
        self.metric.real_features_sum.zero_()
        self.metric.real_features_cov_sum.zero_()
        self.metric.real_features_num_samples.zero_()
        self.metric.update(self._prep(images), real=True)
        self.n_real = len(images)
        return self

    def __call__(self, images: np.ndarray) -> float:
        """Distance of ``images`` (N,H,W,3) uint8 to the reference set."""
        if self.n_real < 2 or len(images) < 2:
            raise ValueError("the Frechet distance needs at least 2 images in each set")
        self.metric.reset()  # keeps the reference (reset_real_features=False)
        self.metric.update(self._prep(images), real=False)
        return float(self.metric.compute())


def frechet_distance(a: np.ndarray, b: np.ndarray, encoder=None, inception_weights=None) -> float:
    """One-off Frechet distance between image sets ``a`` and ``b`` (uint8 (N,H,W,3) each)."""
    return FrechetDistance(encoder, inception_weights=inception_weights).set_reference(b)(a)


def ssim(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004; Gaussian 11x11, sigma 1.5, data range 1) of uint8 (N,H,W,3) pairs."""
    if pred.shape != target.shape:
        raise ValueError(f"ssim: shapes differ, {pred.shape} vs {target.shape}")
    m = StructuralSimilarityIndexMeasure(data_range=1.0, gaussian_kernel=True, sigma=1.5, kernel_size=11)
    return float(m(_as_nchw(pred).float() / 255, _as_nchw(target).float() / 255))


def depth_errors(pred: np.ndarray, true: np.ndarray, eps: float = 1e-6) -> dict[str, float]:
    """AbsRel = mean |p - t| / t, RMSE = sqrt(mean (p - t)^2), delta<1.25 = share of pixels with
    max(p/t, t/p) < 1.25, over all pixels of (N,H,W) (or any shape) depth arrays."""
    p = np.maximum(np.asarray(pred, np.float64), eps)
    t = np.maximum(np.asarray(true, np.float64), eps)
    if p.shape != t.shape:
        raise ValueError(f"depth_errors: shapes differ, {p.shape} vs {t.shape}")
    ratio = np.maximum(p / t, t / p)
    return {"AbsRel": float(np.mean(np.abs(p - t) / t)), "RMSE": float(np.sqrt(np.mean((p - t) ** 2))),
            "delta<1.25": float(np.mean(ratio < 1.25))}


def separation_auc(depth: np.ndarray, fg_mask: np.ndarray, margin: int = 3) -> float:
    """Foreground/background separation of a depth map: for every foreground object (connected component
    of ``fg_mask``), the ROC AUC of "nearer" as a detector of the object's pixels among the pixels of its
    bounding box grown by ``margin`` px (1 = the object is nearer than everything around it, 0.5 = no
    separation); the mean over objects. (N,H,W) or (H,W) arrays; NaN without objects."""
    depth, fg_mask = np.asarray(depth), np.asarray(fg_mask, bool)
    if depth.shape != fg_mask.shape:
        raise ValueError(f"separation_auc: shapes differ, {depth.shape} vs {fg_mask.shape}")
    if depth.ndim == 2:
        depth, fg_mask = depth[None], fg_mask[None]
    aucs = []
    for d, m in zip(depth, fg_mask):
        labels, n = ndimage.label(m)
        for sl in ndimage.find_objects(labels):
            r0, r1 = max(sl[0].start - margin, 0), min(sl[0].stop + margin, m.shape[0])
            c0, c1 = max(sl[1].start - margin, 0), min(sl[1].stop + margin, m.shape[1])
            box_m, box_d = m[r0:r1, c0:c1], d[r0:r1, c0:c1]
            if 0 < box_m.sum() < box_m.size:
                aucs.append(roc_auc_score(box_m.ravel(), -box_d.ravel()))
    return float(np.mean(aucs)) if aucs else float("nan")


__all__ = ["FD_MINCLIP", "EncoderFeatures", "FrechetDistance", "depth_errors", "frechet_distance",
           "separation_auc", "ssim"]
