"""Retrieval examples as plotly image grids: a query in the first column, its top-k gallery shapes after it,
the ground truth framed in green and each result captioned with its rank and distance (thesis Fig. 4.3,
4.4, B.1); :func:`image_grid` is the general grid underneath (e.g. the views of Fig. B.2).

Images travel as small PNG data URIs (``go.Image(source=...)``), downsampled to ``thumb_size`` pixels, so a
figure of some 40 images stays a few hundred kilobytes in the static book.
"""

from __future__ import annotations

import base64
import io
from typing import Sequence

import numpy as np

GROUND_TRUTH_COLOR = "#2ca02c"  # green, as in the paper's figures
MAX_THUMB = 112


def thumbnail(image: np.ndarray, size: int = 96) -> np.ndarray:
    """``image`` (H,W) or (H,W,3) uint8 shrunk so that its longer side is at most ``size`` (never enlarged)."""
    from PIL import Image

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"thumbnail: expected a uint8 image, got {arr.dtype}")
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ValueError(f"thumbnail: expected (H,W) or (H,W,3) image, got shape {arr.shape}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]
    h, w = arr.shape[:2]
    scale = min(1.0, size / max(h, w))
    if scale >= 1.0:
        return arr
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(arr).resize(new, Image.Resampling.LANCZOS))


def png_data_uri(image: np.ndarray) -> str:
    """A ``data:image/png;base64,...`` URI of a uint8 image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


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
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

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


def retrieval_figure(
    queries: Sequence[np.ndarray],
    gallery: Sequence[np.ndarray],
    top_k: np.ndarray,
    targets: Sequence[int],
    *,
    distances: np.ndarray | None = None,
    target_ranks: Sequence[int] | None = None,
    row_labels: Sequence[str] | None = None,
    gallery_labels: Sequence[str] | None = None,
    title: str | None = None,
    thumb_size: int = 96,
    cell_px: int = 120,
    ground_truth_color: str = GROUND_TRUTH_COLOR,
):
    """One row per query: the query image, then its top-k gallery images.

    ``queries``: (R) images; ``gallery``: one thumbnail per gallery shape (indexed by shape index);
    ``top_k``: (R, k) shape indices, best first; ``targets``: (R,) ground-truth shape index of each query;
    ``distances``: (R, k) distances of the shown shapes (captions); ``target_ranks``: (R,) 1-based rank of
    the ground truth, written under the query (useful when it is not among the shown k);
    ``row_labels``: text left of each row; ``gallery_labels``: a short name per gallery shape.
    The ground truth is framed in ``ground_truth_color`` wherever it appears.
    """
    top_k = np.asarray(top_k, dtype=np.int64)
    if top_k.ndim != 2:
        raise ValueError(f"retrieval_figure: top_k must be (queries, k), got shape {top_k.shape}")
    n, k = top_k.shape
    targets = np.asarray(targets, dtype=np.int64).reshape(-1)
    if len(queries) != n or len(targets) != n:
        raise ValueError(f"retrieval_figure: {len(queries)} queries and {len(targets)} targets for {n} rows of top_k")
    if top_k.size and (top_k.min() < 0 or top_k.max() >= len(gallery)):
        raise ValueError(f"retrieval_figure: top_k indexes outside the gallery of {len(gallery)} shapes")
    if distances is not None:
        distances = np.asarray(distances, dtype=np.float64)
        if distances.shape != top_k.shape:
            raise ValueError(f"retrieval_figure: distances {distances.shape} do not match top_k {top_k.shape}")
    if target_ranks is not None and len(target_ranks) != n:
        raise ValueError(f"retrieval_figure: {len(target_ranks)} target ranks for {n} queries")
    images, captions, frames = [], [], []
    for i in range(n):
        images.append([queries[i]] + [gallery[j] for j in top_k[i]])
        q_caption = f"GT rank {int(target_ranks[i])}" if target_ranks is not None else "query"
        row_caps = [q_caption]
        for j in range(k):
            parts = [f"#{j + 1}"]
            if gallery_labels is not None:
                parts.append(str(gallery_labels[top_k[i, j]]))
            if distances is not None:
                parts.append(f"d={distances[i, j]:.3g}")
            row_caps.append(" ".join(parts))
        captions.append(row_caps)
        frames.append([None] + [ground_truth_color if top_k[i, j] == targets[i] else None for j in range(k)])
    col_labels = ["query"] + [f"top {j + 1}" for j in range(k)]
    return image_grid(images, row_labels=row_labels, col_labels=col_labels, captions=captions, frames=frames,
                      thumb_size=thumb_size, cell_px=cell_px, title=title)


def contrasting_queries(ranks_a: Sequence[int], ranks_b: Sequence[int], k: int = 5,
                        n: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Queries on which two methods disagree, for a figure like thesis Fig. 4.3.

    Returns ``(lost_by_b, won_by_b)`` (query indices, at most ``n`` each):

    * ``lost_by_b``: the ground truth is in a's top-k but not in b's (Fig. 4.3 rows 1 and 3), largest rank
      increase first;
    * ``won_by_b``: b ranks the ground truth first and a does not (rows 2 and 4), largest gain first.

    When fewer than ``n`` queries meet the strict condition, the others whose rank moves the same way (b
    worse, resp. b better) fill the list. Ties keep the query order.
    """
    ra = np.asarray(ranks_a, dtype=np.int64)
    rb = np.asarray(ranks_b, dtype=np.int64)
    if ra.shape != rb.shape or ra.ndim != 1:
        raise ValueError(f"contrasting_queries: rank arrays must be 1-D and alike, got {ra.shape} and {rb.shape}")

    def pick(strict: np.ndarray, loose: np.ndarray, change: np.ndarray) -> np.ndarray:
        order = np.argsort(-change, kind="stable")
        first = [i for i in order if strict[i]]
        rest = [i for i in order if loose[i] and not strict[i]]
        return np.array((first + rest)[:n], dtype=np.int64)

    lost = pick((ra <= k) & (rb > k), rb > ra, rb - ra)
    won = pick((rb == 1) & (ra > 1), ra > rb, ra - rb)
    return lost, won
