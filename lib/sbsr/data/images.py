"""Robust loading of sketch images and deterministic PNG encoding.

Sketch files come in every form: any size, grayscale, RGB, palette, 16-bit, with an alpha channel
(strokes on a transparent background), with inverted polarity (light strokes on a dark background) or
scanned/photographed on tinted paper. :func:`load_sketch_image` turns all of them into the project's
convention (see ``CONTRACTS.md``): a ``(size, size)`` uint8 array, white (255) background, dark strokes,
the original drawing padded to a square (never cropped or stretched) and resized. A clean drawing on a
white background passes through unchanged apart from padding and resizing.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

INK_THRESHOLD = 200  # a pixel darker than this counts as ink (background is 255)
MIN_INK_PIXELS = 4  # fewer ink pixels than this: the sketch is empty
WHITE_PAPER = 250  # a background at least this light is left alone by level_background
PAPER_NOISE = 24  # after levelling, pixels within this of white are paper grain and become white


class ImageLoadError(ValueError):
    """An image file cannot be read or decoded; the message names the file."""


class EmptySketchError(ImageLoadError):
    """A sketch image contains no strokes."""


def ink_pixels(gray: np.ndarray, threshold: int = INK_THRESHOLD) -> int:
    """Number of pixels darker than ``threshold`` in a white-background grayscale image."""
    return int(np.count_nonzero(np.asarray(gray) < threshold))


def is_empty(gray: np.ndarray, threshold: int = INK_THRESHOLD, min_pixels: int = MIN_INK_PIXELS) -> bool:
    return ink_pixels(gray, threshold) < min_pixels


def detect_inverted(gray: np.ndarray) -> bool:
    """True when a grayscale drawing is light-on-dark.

    Strokes cover a small part of a sketch, so the background is the majority value: the drawing is
    inverted when the median pixel is dark. The image border (almost always background) breaks ties
    when the median sits at mid-gray.
    """
    g = np.asarray(gray, dtype=np.float64)
    median = float(np.median(g))
    if abs(median - 127.5) > 16:
        return median < 127.5
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return float(np.median(border)) < 127.5


def level_background(gray: np.ndarray, white: int = WHITE_PAPER, noise: int = PAPER_NOISE) -> np.ndarray:
    """Whiten a tinted background (scans, photos, coloured paper) of a dark-on-light drawing.

    The background level is the median pixel (strokes are a minority). Below ``white`` the image is
    scaled so that this level becomes 255, and pixels within ``noise`` of white become white, so that
    paper grain does not count as part of the drawing when it is framed (thesis §4.2.2.1 crops the
    drawing's bounding box). Backgrounds already at least ``white`` are returned unchanged.
    """
    g = np.asarray(gray)
    level = float(np.median(g))
    if level >= white or level <= 0:
        return g
    out = np.clip(np.round(g.astype(np.float64) * (255.0 / level)), 0, 255)
    out[out >= 255 - noise] = 255
    return out.astype(np.uint8)


def _to_gray_white(img: Image.Image) -> np.ndarray:
    """Any PIL image -> (H, W) uint8, composited on white; polarity not yet fixed."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        return np.clip(np.round(arr * (255.0 / top)), 0, 255).astype(np.uint8)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        img.mode == "P" and "transparency" in img.info
    )
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.uint8)
    rgba = img.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255.0
    luma = np.asarray(rgba.convert("RGB").convert("L"), dtype=np.float64)
    if alpha.min() >= 1.0:  # alpha present but fully opaque
        return luma.astype(np.uint8)
    composite = np.round(luma * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    if is_empty(composite) and alpha.max() > 0:
        # light strokes on a transparent background: the alpha channel is the drawing
        return np.round(255.0 * (1.0 - alpha)).astype(np.uint8)
    return composite


def _pad_square_resize(gray: np.ndarray, size: int | None) -> np.ndarray:
    h, w = gray.shape
    if h != w:
        side = max(h, w)
        canvas = np.full((side, side), 255, dtype=np.uint8)
        top, left = (side - h) // 2, (side - w) // 2
        canvas[top : top + h, left : left + w] = gray
        gray = canvas
    if size is not None and gray.shape[0] != size:
        gray = np.asarray(
            Image.fromarray(gray).resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8
        )
    return gray


def normalize_sketch_array(
    image: np.ndarray | Image.Image,
    size: int | None = 224,
    polarity: str = "auto",
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert an in-memory image to a ``(size, size)`` uint8 white-background sketch.

    ``polarity``: ``"auto"`` (detect with :func:`detect_inverted`), ``"dark-on-light"`` (keep) or
    ``"light-on-dark"`` (always invert). A tinted background is then whitened (:func:`level_background`).
    ``size=None`` keeps the padded square's own size.
    Raises :class:`EmptySketchError` when no strokes remain, unless ``allow_empty``.
    """
    if polarity not in ("auto", "dark-on-light", "light-on-dark"):
        raise ValueError(f"polarity must be auto, dark-on-light or light-on-dark, not {polarity!r}")
    if isinstance(image, Image.Image):
        gray = _to_gray_white(image)
    else:
        arr = np.asarray(image)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
            raise ImageLoadError(f"expected an (H,W), (H,W,3) or (H,W,4) image, got shape {arr.shape}")
        if arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        elif arr.dtype != np.uint8:
            if np.issubdtype(arr.dtype, np.floating) and arr.size and float(np.nanmax(arr)) <= 1.0:
                arr = np.nan_to_num(arr) * 255.0
            arr = np.clip(np.round(np.nan_to_num(arr)), 0, 255).astype(np.uint8)
        gray = _to_gray_white(Image.fromarray(np.ascontiguousarray(arr)))  # uint8: L, RGB or RGBA
    if gray.size == 0:
        raise ImageLoadError("image has no pixels")
    invert = polarity == "light-on-dark" or (polarity == "auto" and detect_inverted(gray))
    if invert:
        gray = 255 - gray
    gray = level_background(gray)
    gray = _pad_square_resize(gray, size)
    if not allow_empty and is_empty(gray):
        raise EmptySketchError("sketch image contains no strokes")
    return gray


def load_sketch_image(
    source: str | os.PathLike | bytes | np.ndarray | Image.Image,
    size: int | None = 224,
    polarity: str = "auto",
    allow_empty: bool = False,
) -> np.ndarray:
    """Load a sketch from a file path, encoded bytes, an array or a PIL image (see module docstring).

    Raises :class:`FileNotFoundError` for a missing file, :class:`ImageLoadError` (naming the file)
    for an undecodable one and :class:`EmptySketchError` for a blank one.
    """
    if isinstance(source, (np.ndarray, Image.Image)):
        return normalize_sketch_array(source, size, polarity, allow_empty)
    label = "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source)
    if not isinstance(source, (bytes, bytearray)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"sketch image {path} does not exist")
    try:
        data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            img = img.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"{label}: cannot decode image ({exc})") from exc
    try:
        return normalize_sketch_array(img, size, polarity, allow_empty)
    except EmptySketchError as exc:
        raise EmptySketchError(f"{label}: {exc}") from exc
    except ImageLoadError as exc:
        raise ImageLoadError(f"{label}: {exc}") from exc


def encode_png(image: np.ndarray) -> bytes:
    """Deterministic PNG bytes of a uint8 (H,W) or (H,W,3) array: fixed zlib level, no metadata."""
    arr = np.ascontiguousarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"encode_png expects uint8, got {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ValueError(f"encode_png expects (H,W) or (H,W,3), got {arr.shape}")
    img = Image.fromarray(arr)  # uint8 (H,W) -> "L", (H,W,3) -> "RGB"
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=6, optimize=False)
    return buf.getvalue()


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write ``image`` as a PNG atomically (see :func:`encode_png`)."""
    from sbsr.io import atomic_write_bytes

    return atomic_write_bytes(path, encode_png(image))


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read a PNG written by :func:`write_png` back as uint8 (H,W) or (H,W,3)."""
    with Image.open(path) as img:
        img.load()
        if img.mode not in ("L", "RGB"):
            img = img.convert("RGB" if len(img.getbands()) >= 3 else "L")
        return np.asarray(img, dtype=np.uint8).copy()


def rasterize_strokes(
    strokes: list, size: int = 224, line_width: float = 2.2, margin: float = 0.1, supersample: int = 4
) -> np.ndarray:
    """Rasterise strokes (each a QuickDraw ``[xs, ys(, ts)]`` list or an (N, 2) array) into a (size, size) uint8 white image.

    The drawing's bounding box is centred and scaled (aspect kept) to ``1 - 2*margin`` of the image.
    """
    polylines = []
    for stroke in strokes:
        if isinstance(stroke, np.ndarray):
            arr = np.asarray(stroke, dtype=np.float64)  # (N, 2) points
        else:
            try:  # QuickDraw JSON: [xs, ys] or [xs, ys, ts]
                arr = np.asarray(stroke[:2], dtype=np.float64).T
            except (ValueError, TypeError, IndexError):
                continue
        if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) == 0 or not np.isfinite(arr).all():
            continue
        polylines.append(arr)
    big = size * supersample
    canvas = Image.new("L", (big, big), 255)
    if polylines:
        pts = np.concatenate(polylines)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        extent = float(max(hi - lo)) or 1.0
        scale = big * (1.0 - 2.0 * margin) / extent
        offset = big / 2.0 - (lo + hi) / 2.0 * scale
        draw = ImageDraw.Draw(canvas)
        width = max(1, int(round(line_width * supersample)))
        for pl in polylines:
            xy = [tuple(p) for p in (pl * scale + offset).tolist()]
            if len(xy) == 1:
                x, y = xy[0]
                r = width / 2.0
                draw.ellipse([x - r, y - r, x + r, y + r], fill=0)
            else:
                draw.line(xy, fill=0, width=width, joint="curve")
    return np.asarray(canvas.reduce(supersample), dtype=np.uint8)
