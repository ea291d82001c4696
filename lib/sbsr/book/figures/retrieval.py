"""Retrieval examples as plotly image grids: a query in the first column, its top-k gallery shapes after it,
the ground truth framed in green and each result captioned with its rank and distance (thesis Fig. 4.3,
4.4, B.1), drawn with the general grid :func:`sbsr.book.figures.images.image_grid`.

Images travel as small PNG data URIs (``go.Image(source=...)``), downsampled to ``thumb_size`` pixels, so a
figure of some 40 images stays a few hundred kilobytes in the static book.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .images import image_grid, png_data_uri, thumbnail

GROUND_TRUTH_COLOR = "#2ca02c"  # green, as in the paper's figures


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
