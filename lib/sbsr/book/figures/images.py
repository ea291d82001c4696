"""Images in plotly figures: uint8 conversion, thumbnails, PNG data URIs, content crops, and the general
image grid (``images[row][col]`` with row labels, column titles, captions and coloured frames).

Images travel as small PNG data URIs (``go.Image(source=...)``), downsampled to at most ``MAX_THUMB`` pixels,
so a figure of some 40 images stays a few hundred kilobytes in the static book.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

MAX_THUMB = 112


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """(H,W) or (H,W,3|4) image -> (H,W,3) uint8; floats are taken in [0,1] (alpha composited on white)."""
    img = np.asarray(image)
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected an (H,W), (H,W,3) or (H,W,4) image, got shape {img.shape}")
    if img.dtype != np.uint8:
        img = np.clip(np.nan_to_num(img.astype(np.float64)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    elif img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float64) / 255.0
        img = (img[:, :, :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(img)


def thumbnail(image: np.ndarray, size: int = MAX_THUMB) -> np.ndarray:
    """uint8 copy of ``image`` whose longer side is at most ``size`` px (area-averaged); grayscale images
    stay (h,w), colour images become (h,w,3)."""
    img = np.asarray(image)
    gray = img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1)
    img = as_rgb_uint8(img)
    if gray:
        img = np.ascontiguousarray(img[:, :, 0])
    h, w = img.shape[:2]
    scale = size / max(h, w)
    if scale >= 1:
        return img
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img).resize(new, Image.BOX))


def png_data_uri(image: np.ndarray) -> str:
    """A ``data:image/png;base64,...`` URI of an image (8-bit grayscale PNG for (H,W) input, else RGB)."""
    img = np.asarray(image)
    if img.ndim == 2 and img.dtype == np.uint8:
        pil = Image.fromarray(np.ascontiguousarray(img), mode="L")
    else:
        pil = Image.fromarray(as_rgb_uint8(img))
    buf = io.BytesIO()
    pil.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def content_box(image: np.ndarray, margin: float = 0.06, threshold: int = 250) -> tuple[int, int, int] | None:
    """Square box ``(top, left, side)`` around the content of an image on a white background (pixels with
    any channel below ``threshold``) or of a boolean mask, grown by ``margin`` of its side on each side.
    None when there is no content."""
    a = np.asarray(image)
    if a.dtype == bool:
        fg = a if a.ndim == 2 else a.any(axis=2)
    else:
        rgb = as_rgb_uint8(a)
        fg = (rgb < threshold).any(axis=2)
    if not fg.any():
        return None
    ys, xs = np.nonzero(fg)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = max(y1 - y0, x1 - x0)
    side = int(math.ceil(side * (1 + 2 * margin)))
    cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
    return int(round(cy - side / 2)), int(round(cx - side / 2)), side


def crop_to_box(image: np.ndarray, box: tuple[int, int, int] | None) -> np.ndarray:
    """Crop ``image`` to a square ``(top, left, side)`` box; parts outside the image are white."""
    img = np.asarray(image)
    if box is None:
        return img
    top, left, side = box
    if side < 1:
        raise ValueError(f"box side must be positive, got {side}")
    out = np.full((side, side) + img.shape[2:], 255, dtype=img.dtype)
    h, w = img.shape[:2]
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + side, h), min(left + side, w)
    if y1 > y0 and x1 > x0:
        out[y0 - top:y1 - top, x0 - left:x1 - left] = img[y0:y1, x0:x1]
    return out


def _axis_refs(fig, row: int, col: int) -> tuple[str, str]:
    sub = fig.get_subplot(row, col)
    return sub.xaxis.plotly_name.replace("axis", ""), sub.yaxis.plotly_name.replace("axis", "")


def image_grid(
    images: Sequence[Sequence[np.ndarray | None]],
    *,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    captions: Sequence[Sequence[str | None]] | None = None,
    frames: Sequence[Sequence[str | None]] | None = None,
    thumb_size: int = 96,
    cell_px: int = 120,
    frame_width: float = 4.0,
    title: str | None = None,
    width: int | None = None,
    label_margin: int = 130,
):
    """A grid of images (``images[row][col]``, ``None`` leaves a cell empty) with optional row labels (left,
    horizontal; ``<br>`` breaks lines), column titles, a caption under each image and a coloured frame
    around chosen cells (``frames[row][col]`` = a colour or ``None``). ``width=None`` lets the figure fill
    the page (images keep their aspect ratio); ``cell_px`` sets the height of a row."""
    if not 0 < thumb_size <= MAX_THUMB:
        raise ValueError(f"image_grid: thumb_size must be in 1..{MAX_THUMB} (book payload), got {thumb_size}")
    n_rows = len(images)
    if n_rows == 0:
        raise ValueError("image_grid: no rows")
    n_cols = max(len(r) for r in images)
    for name, nested in (("captions", captions), ("frames", frames)):
        if nested is not None and (len(nested) != n_rows or any(len(a) > n_cols for a in nested)):
            raise ValueError(f"image_grid: {name} must have one list per row of images ({n_rows} rows)")
    if row_labels is not None and len(row_labels) != n_rows:
        raise ValueError(f"image_grid: {len(row_labels)} row labels for {n_rows} rows")
    if col_labels is not None and len(col_labels) != n_cols:
        raise ValueError(f"image_grid: {len(col_labels)} column labels for {n_cols} columns")

    fig = make_subplots(
        rows=n_rows, cols=n_cols, subplot_titles=list(col_labels) + [""] * (n_rows - 1) * n_cols
        if col_labels is not None else None,
        horizontal_spacing=0.1 / n_cols, vertical_spacing=0.3 / n_rows,
    )
    for r, row in enumerate(images):
        for c in range(n_cols):
            img = row[c] if c < len(row) else None
            xref, yref = _axis_refs(fig, r + 1, c + 1)
            axis_kw = dict(showticklabels=False, showgrid=False, zeroline=False, ticks="", showline=False)
            caption = captions[r][c] if captions is not None and c < len(captions[r]) else None
            fig.update_xaxes(**axis_kw, row=r + 1, col=c + 1,
                             title=dict(text=caption or "", font=dict(size=10), standoff=2))
            fig.update_yaxes(**axis_kw, autorange="reversed", scaleanchor=xref, row=r + 1, col=c + 1)
            if img is None:
                fig.update_xaxes(visible=False, row=r + 1, col=c + 1)
                fig.update_yaxes(visible=False, row=r + 1, col=c + 1)
                continue
            thumb = thumbnail(img, thumb_size)
            h, w = thumb.shape[:2]
            fig.add_trace(go.Image(source=png_data_uri(thumb), hoverinfo="skip"), row=r + 1, col=c + 1)
            color = frames[r][c] if frames is not None and c < len(frames[r]) else None
            if color:
                fig.add_shape(type="rect", xref=xref, yref=yref, x0=-0.5, y0=-0.5, x1=w - 0.5, y1=h - 0.5,
                              line=dict(color=color, width=frame_width), fillcolor="rgba(0,0,0,0)")
    if col_labels is not None:
        for ann in fig.layout.annotations:
            ann.font = dict(size=11)
    if row_labels is not None:
        for r, label in enumerate(row_labels):
            _, yref = _axis_refs(fig, r + 1, 1)
            fig.add_annotation(text=str(label), xref="paper", x=0.0, xanchor="right", xshift=-8,
                               yref=f"{yref} domain", y=0.5, yanchor="middle", showarrow=False, align="right",
                               font=dict(size=10))
    fig.update_layout(
        title=title, showlegend=False, plot_bgcolor="white", paper_bgcolor="white",
        width=width, height=int(cell_px * 1.15 * n_rows + (80 if title else 30)),
        margin=dict(l=label_margin if row_labels is not None else 10, r=10, t=70 if title else 30, b=10),
    )
    return fig


__all__ = ["MAX_THUMB", "as_rgb_uint8", "content_box", "crop_to_box", "image_grid", "png_data_uri", "thumbnail"]
