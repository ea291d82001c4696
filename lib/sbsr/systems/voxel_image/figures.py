"""Plotly figures of the voxel/image chapter (computed tables in, figures out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sbsr.book.figures.embedding import embedding_scatter

from .data import IN_PLANE_SPLIT, sphere_points


def fig2_viewpoints(viewpoints: np.ndarray, title: str) -> go.Figure:
    """Fig. 2: camera positions on the unit sphere, red where |in-plane rotation| < 15°, green otherwise."""
    p = sphere_points(viewpoints)
    small = np.abs(viewpoints[:, 2]) < IN_PLANE_SPLIT
    fig = go.Figure()
    for mask, name, colour in ((small, f"in-plane rotation < {IN_PLANE_SPLIT:.0f}°", "red"),
                               (~small, f"in-plane rotation ≥ {IN_PLANE_SPLIT:.0f}°", "green")):
        fig.add_trace(go.Scatter3d(x=p[mask, 0], y=p[mask, 2], z=p[mask, 1], mode="markers", name=name,
                                   marker=dict(size=2.5, color=colour)))
    u, v = np.mgrid[0:2 * np.pi:30j, 0:np.pi:15j]
    fig.add_trace(go.Surface(x=np.cos(u) * np.sin(v), y=np.sin(u) * np.sin(v), z=np.cos(v), opacity=0.12,
                             showscale=False, colorscale=[[0, "gray"], [1, "gray"]], hoverinfo="skip"))
    fig.update_layout(title=title, height=480, scene=dict(xaxis_title="x", yaxis_title="z (front)",
                                                          zaxis_title="y (up)", aspectmode="data"))
    return fig


def fig4_curves(curves: pd.DataFrame, loss_kind: str, title: str) -> go.Figure:
    """Fig. 4: train and test loss over iterations, one panel per candidate."""
    archs = list(dict.fromkeys(curves["arch"]))
    fig = make_subplots(rows=1, cols=len(archs), subplot_titles=archs, shared_yaxes=True)
    colours = {"train": "#1f77b4", "test mini-batch": "#ff7f0e", "test set": "#2ca02c"}
    for j, arch in enumerate(archs):
        sub = curves[(curves.arch == arch) & (curves.loss_kind == loss_kind)]
        for split, colour in colours.items():
            s = sub[sub.split == split]
            fig.add_trace(go.Scatter(x=s.iteration, y=s.loss, name=split, legendgroup=split, showlegend=j == 0,
                                     mode="lines" if split == "train" else "lines+markers",
                                     line=dict(color=colour, width=1 if split == "train" else 2)), 1, j + 1)
        fig.update_xaxes(title_text="iteration", row=1, col=j + 1)
    fig.update_yaxes(title_text=f"{loss_kind} loss", row=1, col=1)
    fig.update_layout(title=title, height=380)
    return fig


def fig5_map(maps: dict, with_voxels: bool, title: str) -> go.Figure:
    """Fig. 5: t-SNE of the test images of the objects (marker colour = object), optionally with voxels."""
    objects, img_car = maps["objects"], maps["img_car"]
    if with_voxels:
        pts = maps["images+voxels"]
        labels = list(img_car) + list(objects)
        domains = ["image"] * len(img_car) + ["voxel"] * len(objects)
    else:
        pts, labels, domains = maps["images"], list(img_car), ["image"] * len(img_car)
    return embedding_scatter(pts, [f"car {c}" for c in labels], domains, title=title)
