"""Accuracy-versus-parameter figures of the setting sweeps (thesis §4.2.3.2, Tables 4.1 and 4.2).

* :func:`accuracy_vs_parameter` - a one-dimensional sweep (box size, rotation angle): acc@1 and acc@5
  of both categories against the parameter, random and uniform stages as different symbols, the best
  setting found and the paper's best marked with vertical lines;
* :func:`translation_sweep_figure` - the two-dimensional translation sweep: every (tx, ty) tried,
  coloured by accuracy, the best found (star) and the paper's (19, -4) (cross) marked;
* :func:`rerank_figure` - a few queries and their top-k shapes at one setting, the ground truth framed
  (the live box-size widget of Table 4.1; show it with :func:`sbsr.book.live`).

Inputs are the long tables of :meth:`sbsr.systems.clip_retrieval.studies.TwoStageSweep.frame` (``stage, <param>,
category, metric, value``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .retrieval import GROUND_TRUTH_COLOR, image_grid

CATEGORY_COLOURS = {"chair": "#1f77b4", "lamp": "#ff7f0e"}
STAGE_SYMBOLS = {"random": "circle-open", "uniform": "diamond", "fixed": "square"}


def _check(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"sweep table lacks columns {missing} (has {list(frame.columns)})")


def accuracy_vs_parameter(frame: pd.DataFrame, param: str, x_title: str | None = None, scale: float = 1.0,
                          best: float | None = None, paper_best: float | None = None,
                          metrics: Sequence[str] = ("acc@1", "acc@5"), title: str | None = None,
                          x_suffix: str = "") -> go.Figure:
    """acc@k against ``param`` (multiplied by ``scale`` for display, e.g. 100 for percent), one panel per
    metric, one colour per category, one symbol per stage; uniform-stage points joined by a line.
    ``best`` / ``paper_best`` (in ``param`` units) draw dashed / dotted vertical lines."""
    _check(frame, ["stage", param, "category", "metric", "value"])
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=list(metrics), horizontal_spacing=0.08)
    for i, metric in enumerate(metrics, start=1):
        sub = frame[frame.metric == metric]
        for cat in dict.fromkeys(sub.category):
            for stage in dict.fromkeys(sub.stage):
                d = sub[(sub.category == cat) & (sub.stage == stage)].sort_values(param)
                if d.empty:
                    continue
                fig.add_trace(go.Scatter(
                    x=d[param] * scale, y=d["value"], name=f"{cat}, {stage}", legendgroup=f"{cat}{stage}",
                    showlegend=i == 1, mode="lines+markers" if stage == "uniform" else "markers",
                    line=dict(color=CATEGORY_COLOURS.get(cat), width=1),
                    marker=dict(color=CATEGORY_COLOURS.get(cat), symbol=STAGE_SYMBOLS.get(stage, "circle"), size=8),
                    hovertemplate=f"{cat} ({stage})<br>{param} = %{{x:.4g}}{x_suffix}<br>{metric} = %{{y:.2f}}"
                                  "<extra></extra>"), row=1, col=i)
        for value, dash, label in ((best, "dash", "best found"), (paper_best, "dot", "paper's best")):
            if value is not None:
                note = dict(annotation_text=label, annotation_position="top") if i == 1 else {}
                fig.add_vline(x=float(value) * scale, line_dash=dash, line_color="#444", row=1, col=i, **note)
        fig.update_xaxes(title_text=x_title or param, ticksuffix=x_suffix, row=1, col=i)
    fig.update_yaxes(title_text="accuracy (%)", row=1, col=1)
    fig.update_layout(title=title, height=440, legend=dict(orientation="h", y=-0.22, x=0.5,
                                                                       xanchor="center"))
    return fig


def translation_sweep_figure(frame: pd.DataFrame, best: Sequence[float] | None = None,
                             paper_best: Sequence[float] | None = (19.0, -4.0), metric: str = "acc@1",
                             title: str | None = None) -> go.Figure:
    """The (tx, ty) translations tried, one panel per category, coloured by ``metric``; star = best found
    on both categories, cross = the paper's best. y grows downwards (image rows), as in the images."""
    _check(frame, ["stage", "tx", "ty", "category", "metric", "value"])
    sub = frame[frame.metric == metric]
    cats = list(dict.fromkeys(sub.category))
    fig = make_subplots(rows=1, cols=len(cats), subplot_titles=[f"{c}: {metric}" for c in cats],
                        horizontal_spacing=0.12)
    lo, hi = float(sub["value"].min()), float(sub["value"].max())
    for i, cat in enumerate(cats, start=1):
        for stage in dict.fromkeys(sub.stage):
            d = sub[(sub.category == cat) & (sub.stage == stage)]
            fig.add_trace(go.Scatter(
                x=d["tx"], y=d["ty"], mode="markers", name=stage, legendgroup=stage, showlegend=i == 1,
                marker=dict(color=d["value"], colorscale="Viridis", cmin=lo, cmax=hi, size=12,
                            symbol="circle" if stage == "random" else "diamond",
                            line=dict(width=1, color="#333"),
                            colorbar=dict(title=f"{metric} (%)", x=1.02, thickness=12) if i == len(cats) else None,
                            showscale=i == len(cats)),
                hovertemplate=f"{cat} ({stage})<br>t = (%{{x:g}}, %{{y:g}}) px<br>{metric} = %{{marker.color:.2f}}"
                              "<extra></extra>"), row=1, col=i)
        for point, symbol, label in ((best, "star", "best found"), (paper_best, "x", "paper's best")):
            if point is not None:
                fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name=label, legendgroup=label,
                                         showlegend=i == 1, marker=dict(symbol=symbol, size=18, color="#d62728",
                                                                        line=dict(width=1, color="black")),
                                         hovertemplate=f"{label}: (%{{x:g}}, %{{y:g}})<extra></extra>"),
                              row=1, col=i)
        fig.update_xaxes(title_text="tx (px, right)", zeroline=True, row=1, col=i)
        fig.update_yaxes(title_text="ty (px, down)", autorange="reversed", zeroline=True, row=1, col=i)
    fig.update_layout(title=title, height=450, legend=dict(orientation="h", y=-0.22, x=0.5,
                                                                       xanchor="center"))
    return fig


def rerank_figure(query_images: Sequence[np.ndarray], gallery_views: np.ndarray, ranking,
                  frame: Callable[[np.ndarray], np.ndarray] | None = None, title: str | None = None,
                  thumb_size: int = 80, query_notes: Sequence[str] | None = None) -> go.Figure:
    """Each query of ``ranking`` (a :class:`sbsr.systems.clip_retrieval.studies.QueryRanking`) with its top-k shapes.

    ``query_images``: one sketch per row of ``ranking``; ``gallery_views`` (S, V, H, W[, 3]): the views
    of every gallery shape; each retrieved shape is shown in the view that matched the query (Eq. 4.1's
    argmin). ``frame`` (e.g. ``Framing(0.6).apply`` on one image) is applied to every image shown, so
    only those are re-framed. The ground truth is framed in green; the caption under the query gives its
    rank, followed by ``query_notes[i]`` if given (e.g. the rank under another setting).
    """
    def show(img):
        return frame(img) if frame is not None else img

    if len(query_images) != len(ranking.query_indices):
        raise ValueError(f"{len(query_images)} query images for {len(ranking.query_indices)} ranked queries")
    images, frames, captions = [], [], []
    k = ranking.top_k.shape[1]
    for i, query in enumerate(query_images):
        row, colour = [show(query)], [None]
        for j in range(k):
            s, v = int(ranking.top_k[i, j]), int(ranking.best_view[i, j])
            row.append(show(gallery_views[s, max(v, 0)]))
            colour.append(GROUND_TRUTH_COLOR if s == int(ranking.targets[i]) else None)
        images.append(row)
        frames.append(colour)
        note = f" ({query_notes[i]})" if query_notes is not None else ""
        captions.append([f"GT rank {int(ranking.target_rank[i])}{note}", *[f"#{j + 1}" for j in range(k)]])
    cols = ["query", *[f"top {j + 1}" for j in range(k)]]
    return image_grid(images, col_labels=cols, frames=frames, captions=captions, thumb_size=thumb_size,
                      cell_px=thumb_size + 20, title=title)

