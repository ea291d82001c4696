"""Figures of the DSMN chapter (Song et al. 2023 Figs. 2-5), from precomputed tables and arrays.

t-SNE maps use the shared :mod:`sbsr.book.figures.embedding`; image grids use
:func:`sbsr.book.figures.retrieval.image_grid`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sbsr.book.figures.embedding import embedding_scatter, tsne_2d
from sbsr.book.figures.retrieval import image_grid

from .data import Benchmark

HIT, MISS = "#2ca02c", "#d62728"


def samples_figure(benches: dict[str, Benchmark], n: int = 6, view_index: int = 1):
    """Fig. 2: per benchmark one row of labelled images and one row of 3D models (one view each), test split,
    one item per class for the first ``n`` classes."""
    rows, labels, caps = [], [], []
    for name, b in benches.items():
        imgs, mods, ci, cm = [], [], [], []
        for label in range(min(n, len(b.class_names))):
            i = int(np.flatnonzero((b.images["label"] == label) & (b.images["split"] == "test"))[0])
            j = int(np.flatnonzero((b.models["label"] == label) & (b.models["split"] == "test"))[0])
            imgs.append(b.image(i))
            mods.append(b.views(j)[view_index])
            ci.append(b.class_names[label])
            cm.append(b.class_names[label])
        rows += [imgs, mods]
        labels += [f"{name}<br>2D images", f"{name}<br>3D models"]
        caps += [ci, cm]
    return image_grid(rows, row_labels=labels, captions=caps, thumb_size=96, cell_px=110,
                      title="Samples of the two procedural benchmarks (cf. Fig. 2)")


def tsne_figures(features: dict[str, tuple[np.ndarray, np.ndarray]], image_labels, model_labels,
                 class_names: Sequence[str], seed: int = 0) -> list[go.Figure]:
    """Fig. 3: one t-SNE map per method of test image and model features (``features[name] = (q, g)``)."""
    figs = []
    for name, (q, g) in features.items():
        pts = tsne_2d(np.concatenate([q, g]), seed=seed)
        labels = [class_names[k] for k in np.concatenate([image_labels, model_labels])]
        domains = ["image"] * len(q) + ["model"] * len(g)
        figs.append(embedding_scatter(pts, labels, domains, title=f"t-SNE of test features: {name} (cf. Fig. 3)"))
    return figs


def cosine_figure(cosines: dict[str, pd.DataFrame]) -> go.Figure:
    """Fig. 4: distribution of cos(DI(X), DS_i(X)) per sub-network, one box per (benchmark, DS_i)."""
    fig = go.Figure()
    for bench, table in cosines.items():
        fig.add_trace(go.Box(x=table["subnetwork"], y=table["cosine"], name=bench, boxmean=True))
    fig.add_hline(y=0.0, line_dash="dot", line_color="gray")
    fig.update_layout(boxmode="group", title="Cosine similarity of DI(X) and DS_i(X) (cf. Fig. 4)",
                      yaxis_title="cosine similarity", xaxis_title="sub-network", height=420)
    return fig


def retrieval_grid(bench: Benchmark, query_rows: Sequence[int], gallery_rows: Sequence[int], top: np.ndarray,
                   title: str, row_labels: Sequence[str] | None = None, view_index: int = 1):
    """Query images (benchmark image rows) and their top-k models (``top`` indexes ``gallery_rows``), a model
    framed green when it has the query's class and red otherwise (Fig. 5 and the explorer)."""
    q_labels = bench.images["label"].to_numpy()
    g_labels = bench.models["label"].to_numpy()
    images, caps, frames = [], [], []
    for qi, row in zip(query_rows, top):
        ql = q_labels[qi]
        images.append([bench.image(qi)] + [bench.views(gallery_rows[j])[view_index] for j in row])
        caps.append([f"query: {bench.class_names[ql]}"] + [bench.class_names[g_labels[gallery_rows[j]]] for j in row])
        frames.append([None] + [HIT if g_labels[gallery_rows[j]] == ql else MISS for j in row])
    return image_grid(images, captions=caps, frames=frames, row_labels=row_labels, thumb_size=80, cell_px=100,
                      col_labels=["query"] + [f"top {k + 1}" for k in range(top.shape[1])], title=title)


def metrics_bar(summary: pd.DataFrame, runs: Sequence[str], labels: dict[str, str], metric: str = "FT",
                title: str = "") -> go.Figure:
    """Mean ± seed spread of one metric per run and benchmark (``summary`` from ``experiments.summarise``)."""
    fig = go.Figure()
    for bench, part in summary[summary["metric"] == metric].groupby("benchmark", sort=False):
        part = part.set_index("run").reindex([r for r in runs if r in set(part["run"])])
        fig.add_trace(go.Bar(x=[labels.get(r, r) for r in part.index], y=part["mean"], name=bench,
                             error_y=dict(type="data", array=part["std"])))
    fig.update_layout(barmode="group", title=title, yaxis_title=metric, height=420)
    return fig


__all__ = ["cosine_figure", "metrics_bar", "retrieval_grid", "samples_figure", "tsne_figures"]
