"""Image-space operations of the retrieval sweeps (thesis §4.2.3.2, App. B.3.1 and B.5).

* :func:`object_bbox` - the object's bounding box on a plain background.
* :func:`fit_to_box` - crop the object, scale its longer side to ``box_fraction * image_size`` and paste
  it centred ("OBB": 129x129 of 224x224 = 57.6 %, reported as 57.7 % in Table 4.1), or keep its
  original position (``center=False``, the "Baseline" vs "Baseline w/ centering" of Table B.2).
* :func:`affine` - translation / rotation / scaling about the image centre with white fill, the ``f`` of
  "0.5(CLIP(OBB) + CLIP(f(OBB)))" (Table 4.2).
* :func:`random_affine` - the training augmentation of App. B.5.

Conventions: images are uint8 ``(H, W)`` or ``(H, W, 3)``; ``x`` runs right (columns), ``y`` runs down
(rows); ``tx, ty`` are pixels; a positive ``rotation_deg`` turns the picture counter-clockwise as
displayed (as :func:`skimage.transform.rotate`, ``PIL.Image.rotate`` and
``torchvision.transforms.functional.rotate``; note that ``torchvision...functional.affine`` uses the
opposite sign). The thesis does not state its sign convention, so its "-23.5 deg" may be our +23.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from skimage import transform as sktf

#: The paper's optimal bounding box: 129 px of a 224 px image (§4.2.2.1, Table 4.1).
OBB_FRACTION = 129 / 224
#: The baseline's centred box (App. B.3.1: 170x170, the smallest square holding the original sketches).
BASELINE_FRACTION = 170 / 224
#: Default difference from the background (0-255) above which a pixel counts as object.
DEFAULT_THRESHOLD = 8


def _check_image(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {img.shape}")
    if img.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {img.dtype}")
    return img


def _background_value(background) -> float:
    if isinstance(background, str):
        values = {"white": 255.0, "black": 0.0}
        if background not in values:
            raise ValueError(f"background must be 'white', 'black' or a number, got {background!r}")
        return values[background]
    return float(background)


def foreground_mask(image: np.ndarray, background="white", threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Boolean (H, W) mask of pixels differing from ``background`` by more than ``threshold`` in any channel."""
    img = _check_image(image).astype(np.int16)
    diff = np.abs(img - _background_value(background))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    return diff > threshold


@dataclass(frozen=True)
class BBox:
    """Pixel bounding box; ``y1``/``x1`` are exclusive (``image[y0:y1, x0:x1]`` is the object)."""

    y0: int
    x0: int
    y1: int
    x1: int

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def center(self) -> tuple[float, float]:
        """Centre ``(x, y)`` in pixel-index coordinates."""
        return ((self.x0 + self.x1 - 1) / 2.0, (self.y0 + self.y1 - 1) / 2.0)


def object_bbox(image: np.ndarray, background="white", threshold: float = DEFAULT_THRESHOLD) -> BBox | None:
    """Bounding box of the pixels that differ from the background (``None`` for an empty image)."""
    mask = foreground_mask(image, background, threshold)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return BBox(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def _resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out_shape = shape + img.shape[2:]
    if out_shape == img.shape:
        return img.copy()
    shrinking = shape[0] < img.shape[0] or shape[1] < img.shape[1]
    res = sktf.resize(img, out_shape, order=1, mode="edge", anti_aliasing=shrinking, preserve_range=True)
    return np.clip(np.rint(res), 0, 255).astype(np.uint8)


def fit_to_box(image: np.ndarray, box_fraction: float | None = OBB_FRACTION, image_size: int = 224,
               center: bool = True, background="white", threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """Crop the object's bounding box, scale it, and paste it on a blank ``image_size`` square (§4.2.2.1).

    The object is scaled so that its longer side is ``round(box_fraction * image_size)`` pixels (aspect
    ratio kept; the paper's OBB is 129/224). ``box_fraction=None`` keeps the object's size (only the
    ``image_size / input size`` rescale applies), which with ``center=True`` gives "Baseline w/
    centering" of Table B.2. ``center=True`` pastes the object in the middle; ``center=False`` keeps its
    bounding-box centre where it was (in relative image coordinates), cropping what leaves the canvas.
    Returns a uint8 image of shape (image_size, image_size[, C]) on the background colour; an empty input
    gives a blank canvas.
    """
    img = _check_image(image)
    if box_fraction is not None and not 0.0 < box_fraction <= 1.0:
        raise ValueError(f"box_fraction must lie in (0, 1], got {box_fraction}")
    bg = _background_value(background)
    canvas = np.full((image_size, image_size) + img.shape[2:], bg, dtype=np.uint8)
    box = object_bbox(img, background, threshold)
    if box is None:
        return canvas
    crop = img[box.y0:box.y1, box.x0:box.x1]
    if box_fraction is None:
        scale = image_size / max(img.shape[0], img.shape[1])
    else:
        scale = round(box_fraction * image_size) / max(box.height, box.width)
    new_h = max(1, int(round(box.height * scale)))
    new_w = max(1, int(round(box.width * scale)))
    obj = _resize(crop, (new_h, new_w))
    if center:
        top = (image_size - new_h) // 2
        left = (image_size - new_w) // 2
    else:
        cx, cy = box.center
        cx = (cx + 0.5) * image_size / img.shape[1] - 0.5
        cy = (cy + 0.5) * image_size / img.shape[0] - 0.5
        top = int(round(cy - (new_h - 1) / 2.0))
        left = int(round(cx - (new_w - 1) / 2.0))
    # paste with clipping at the canvas border
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + new_h, image_size), min(left + new_w, image_size)
    if y1 > y0 and x1 > x0:
        canvas[y0:y1, x0:x1] = obj[y0 - top:y1 - top, x0 - left:x1 - left]
    return canvas


@dataclass(frozen=True)
class AffineParams:
    """Parameters of :func:`affine`: pixels, degrees (counter-clockwise positive), scale factor."""

    tx: float = 0.0
    ty: float = 0.0
    rotation_deg: float = 0.0
    scale: float = 1.0


def affine_matrix(tx: float, ty: float, rotation_deg: float, scale: float, center: Sequence[float]) -> np.ndarray:
    """3x3 forward map (x, y, 1) -> (x', y', 1): scale and rotate about ``center``, then translate."""
    cx, cy = center
    theta = np.deg2rad(rotation_deg)
    # y points down, so a counter-clockwise turn on screen is a clockwise one in (x, y) maths.
    c, s = np.cos(theta), np.sin(theta)
    lin = scale * np.array([[c, s], [-s, c]])
    m = np.eye(3)
    m[:2, :2] = lin
    m[:2, 2] = np.array([cx, cy]) - lin @ np.array([cx, cy]) + np.array([tx, ty])
    return m


def affine(image: np.ndarray, tx: float = 0.0, ty: float = 0.0, rotation_deg: float = 0.0, scale: float = 1.0,
           fill: float | Sequence[float] = 255, order: int = 1) -> np.ndarray:
    """Translate by ``(tx, ty)`` px, rotate by ``rotation_deg`` (counter-clockwise) and scale about the
    image centre; uncovered pixels take ``fill`` (white). Bilinear by default; uint8 in, uint8 out.

    This is the ``f`` of the "Robust features" study (Table 4.2) and the augmentation of App. B.5.
    """
    img = _check_image(image)
    h, w = img.shape[:2]
    m = affine_matrix(tx, ty, rotation_deg, scale, ((w - 1) / 2.0, (h - 1) / 2.0))
    tform = sktf.AffineTransform(matrix=m)
    fills = np.broadcast_to(np.asarray(fill, dtype=np.float64), img.shape[2:] if img.ndim == 3 else ())
    if img.ndim == 2:
        out = sktf.warp(img, tform.inverse, order=order, mode="constant", cval=float(fills),
                        preserve_range=True)
    else:
        out = np.stack([sktf.warp(img[..., c], tform.inverse, order=order, mode="constant",
                                  cval=float(fills[c]), preserve_range=True) for c in range(img.shape[2])],
                       axis=2)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def apply_affine(image: np.ndarray, params: AffineParams, fill: float | Sequence[float] = 255) -> np.ndarray:
    """:func:`affine` with an :class:`AffineParams`."""
    return affine(image, params.tx, params.ty, params.rotation_deg, params.scale, fill=fill)


def random_affine(rng: np.random.Generator | int, max_translate: float = 0.1, max_rotate: float = 10.0,
                  max_scale: float = 0.1, image_size: int = 224) -> AffineParams:
    """Training augmentation parameters of App. B.5, drawn uniformly.

    Translation: ``tx, ty`` in ``[-max_translate, +max_translate] * image_size`` pixels (+/-10 % of 224);
    rotation in ``[-max_rotate, +max_rotate]`` degrees (+/-10 deg); scale factor in
    ``[1 - max_scale, 1 + max_scale]`` (the paper: the bounding box grows or shrinks by up to 10 %; we
    read this as torchvision's ``RandomAffine(scale=(0.9, 1.1))``). ``rng`` is a Generator or a seed.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    limit = max_translate * image_size
    tx, ty = rng.uniform(-limit, limit, size=2)
    rot = rng.uniform(-max_rotate, max_rotate)
    scale = rng.uniform(1.0 - max_scale, 1.0 + max_scale)
    return AffineParams(float(tx), float(ty), float(rot), float(scale))
