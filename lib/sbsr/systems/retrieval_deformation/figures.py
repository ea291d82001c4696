"""Plotly figures of the retrieval-and-deformation chapter (Uy et al. 2021, Figs. 1-4), from computed results.

Compute stays in :mod:`.experiments` (retrievals, parameters, deformed meshes); here only drawing:
:func:`modules_diagram` (Figs. 1/2 as built), :func:`thumbnail` (a small rendering), :func:`method_grid`
(Figs. 3/4 as image grids), :func:`candidate_figure` (the widget's 3D view) and :func:`results_bars`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ...book.figures.retrieval import image_grid
from ...render import Camera, render

THUMB_CAMERA = Camera(azimuth=40.0, elevation=20.0, image_size=96)


def thumbnail(mesh, camera: Camera = THUMB_CAMERA) -> np.ndarray:
    """(H,W,3) uint8 textureless rendering of a mesh, parts coloured."""
    return render(mesh, camera, outputs=("rgb",), part_colors=True).rgb


def modules_diagram(info: dict) -> go.Figure:
    """Figs. 1/2 as built: the target, the retrieval space with soft retrieval, the structure-aware
    deformation module and the losses. ``info`` holds the sizes to print (keys: encoder, n_sources,
    max_parts, k, sigma0, deformer_params, retrieval_params)."""
    boxes = [  # (x0, y0, x1, y1, text, colour)
        (0.0, 0.55, 0.16, 0.95, f"target t<br>({info['encoder']})", "#e8eef7"),
        (0.22, 0.72, 0.44, 0.98, f"retrieval encoder E_R<br>→ 256-d, ×{info['gain']:g}", "#dbe8d4"),
        (0.22, 0.40, 0.44, 0.66, "deformation encoder E_D<br>→ t_D (256)", "#f7e3d4"),
        (0.50, 0.72, 0.72, 0.98, f"soft retrieval (Eq. 1)<br>σ0 = {info['sigma0']:g}, sample K = {info['k']}<br>"
                                 f"of {info['n_sources']} source codes", "#dbe8d4"),
        (0.50, 0.30, 0.72, 0.66, f"per part i of source s:<br>[t_D | s_glob (256) | s_i (32)]<br>"
                                 f"→ MLP (512, 256, 6)<br>≤ {info['max_parts']} parts, any number", "#f7e3d4"),
        (0.78, 0.40, 1.0, 0.66, "scale + translate<br>each part's box<br>→ D_s(t)", "#f7e3d4"),
        (0.78, 0.72, 1.0, 0.98, "L_emb (Eq. 2): |p(d_R, σ0) − p(d_fit, σ_k)|<br>"
                                "L_def (Eq. 4): Σ p_k chamfer<br>+ symmetry loss", "#eeeeee"),
        (0.50, 0.02, 1.0, 0.22, f"alternating updates: retrieval ({info['retrieval_params']:,} parameters) "
                                f"with deformation fixed,<br>then deformation ({info['deformer_params']:,} "
                                "parameters, codes auto-decoded) with retrieval fixed; IDO at test time",
         "#ffffff"),
    ]
    fig = go.Figure()
    for x0, y0, x1, y1, text, col in boxes:
        fig.add_shape(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, fillcolor=col, line=dict(color="#555"))
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=text, showarrow=False, font=dict(size=11))
    arrows = [((0.16, 0.8), (0.22, 0.85)), ((0.16, 0.7), (0.22, 0.53)), ((0.44, 0.85), (0.50, 0.85)),
              ((0.44, 0.53), (0.50, 0.48)), ((0.61, 0.72), (0.61, 0.66)), ((0.72, 0.48), (0.78, 0.53)),
              ((0.89, 0.66), (0.89, 0.72)), ((0.72, 0.85), (0.78, 0.85))]
    for (x0, y0), (x1, y1) in arrows:
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowwidth=1.5, text="")
    fig.update_xaxes(visible=False, range=[-0.02, 1.02])
    fig.update_yaxes(visible=False, range=[-0.02, 1.02])
    fig.update_layout(height=430, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
                      title="The modules as built here (cf. Figs. 1 and 2)")
    return fig


def method_grid(images: list[list[np.ndarray | None]], row_labels: list[str], col_labels: list[str],
                captions: list[list[str | None]] | None = None, title: str | None = None) -> go.Figure:
    """Figs. 3/4: input, then retrieved and deformed renderings per method (one row per example)."""
    return image_grid(images, row_labels=row_labels, col_labels=col_labels, captions=captions, thumb_size=96,
                      cell_px=118, title=title)


def candidate_figure(target: np.ndarray, before: np.ndarray, after: np.ndarray, title: str) -> go.Figure:
    """The widget's view: the target points (grey) with a candidate source before (left) and after (right)
    deformation, as 3D scatter plots of (P,3) point sets."""
    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "scene"}]],
                        subplot_titles=("retrieved (before deformation)", "deformed"))
    for col, pts, name in ((1, before, "source"), (2, after, "deformed")):
        fig.add_trace(go.Scatter3d(x=target[:, 0], y=target[:, 2], z=target[:, 1], mode="markers", name="target",
                                   marker=dict(size=1.6, color="#999"), showlegend=col == 1), 1, col)
        fig.add_trace(go.Scatter3d(x=pts[:, 0], y=pts[:, 2], z=pts[:, 1], mode="markers", name=name,
                                   marker=dict(size=1.8, color="#d62728" if col == 2 else "#1f77b4")), 1, col)
    scene = dict(aspectmode="cube", xaxis=dict(range=[-0.5, 0.5], title="x"), yaxis=dict(range=[-0.5, 0.5], title="z"),
                 zaxis=dict(range=[-0.5, 0.5], title="y (up)"))
    fig.update_layout(scene=scene, scene2=scene, height=420, margin=dict(l=0, r=0, t=60, b=0), title=title)
    return fig


def results_bars(table: pd.DataFrame, title: str) -> go.Figure:
    """Reproduced (bars, ± std over seeds) beside published (markers) chamfer x 1e-2, per class and row."""
    fig = go.Figure()
    for cat in dict.fromkeys(table["category"]):
        sub = table[table["category"] == cat]
        fig.add_trace(go.Bar(x=sub["row"], y=sub["value"], name=f"{cat} (here)",
                             error_y=dict(type="data", array=sub["plus_minus"].fillna(0))))
    for cat in dict.fromkeys(table["category"]):
        sub = table[table["category"] == cat]
        fig.add_trace(go.Scatter(x=sub["row"], y=sub["published_value"], mode="markers", name=f"{cat} (paper)",
                                 marker=dict(symbol="diamond-open", size=10)))
    fig.update_layout(barmode="group", title=title, yaxis_title="chamfer × 1e-2 (lower is better)", height=380)
    return fig


__all__ = ["THUMB_CAMERA", "candidate_figure", "method_grid", "modules_diagram", "results_bars", "thumbnail"]
