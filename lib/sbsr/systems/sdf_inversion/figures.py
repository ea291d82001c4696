"""Plotly figures of the §4.3 chapter, from meshes, images and tables computed elsewhere.

* :func:`mesh_grid` - rows x columns of 3D meshes (Fig. 4.5, the generator's random samples);
* :func:`view_rows` - rows of images (Fig. 4.6-4.9: inversions, target sketch, target shape);
* :func:`inversion_explorer` - one inversion's loss curve beside the mesh of one snapshot (the widget);
* :func:`metric_bars` - the reconstruction table as bars with their spread.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sbsr.book.figures.retrieval import image_grid
from sbsr.render import Camera

MESH_COLOR = "#9fb6cd"


def _scene_camera(azimuth: float = 30.0, elevation: float = 20.0) -> dict:
    """A plotly scene camera at the book camera's position for ``azimuth``/``elevation`` (+Y up)."""
    eye = Camera(azimuth=azimuth, elevation=elevation).position
    eye = 1.6 * eye / np.linalg.norm(eye)
    return {"eye": dict(zip("xyz", map(float, eye))), "up": {"x": 0, "y": 1, "z": 0}}


def mesh_trace(mesh, color: str = MESH_COLOR) -> go.Mesh3d:
    """A flat-shaded Mesh3d of a trimesh (coordinates rounded to 1e-3 to keep the page small)."""
    v = np.round(np.asarray(mesh.vertices, dtype=float), 3)
    f = np.asarray(mesh.faces, dtype=int)
    return go.Mesh3d(x=v[:, 0], y=v[:, 1], z=v[:, 2], i=f[:, 0], j=f[:, 1], k=f[:, 2], color=color,
                     flatshading=True, lighting={"ambient": 0.45, "diffuse": 0.8}, hoverinfo="skip")


def _scene_axes(bound: float) -> dict:
    ax = {"visible": False, "range": [-bound, bound]}
    return {"xaxis": ax, "yaxis": ax, "zaxis": ax, "aspectmode": "cube", "camera": _scene_camera()}


def mesh_grid(meshes: Sequence[Sequence[object | None]], *, row_labels: Sequence[str], col_labels: Sequence[str],
              title: str, bound: float = 0.52, cell_px: int = 210) -> go.Figure:
    """``meshes[row][col]`` (trimesh or None; an empty mesh is drawn as "empty") in 3D scenes."""
    n_rows, n_cols = len(meshes), max(len(r) for r in meshes)
    fig = make_subplots(rows=n_rows, cols=n_cols, specs=[[{"type": "scene"}] * n_cols] * n_rows,
                        column_titles=list(col_labels), row_titles=list(row_labels),
                        horizontal_spacing=0.01, vertical_spacing=0.02)
    for r, row in enumerate(meshes):
        for c, mesh in enumerate(row):
            scene = f"scene{'' if r * n_cols + c == 0 else r * n_cols + c + 1}"
            fig.layout[scene].update(_scene_axes(bound))
            if mesh is None or len(mesh.faces) == 0:
                fig.add_trace(go.Scatter3d(x=[0], y=[0], z=[0], mode="text", text=["empty"], hoverinfo="skip"),
                              row=r + 1, col=c + 1)
            else:
                fig.add_trace(mesh_trace(mesh), row=r + 1, col=c + 1)
    fig.update_layout(title=title, height=cell_px * n_rows + 80, showlegend=False, margin=dict(l=10, r=60, t=70, b=10))
    return fig


def view_rows(rows: Sequence[Sequence[np.ndarray | None]], *, row_labels: Sequence[str], col_labels: Sequence[str],
              title: str) -> go.Figure:
    """Rows of images (None: empty cell) with labels, e.g. inversions above the target sketch and shape."""
    return image_grid(rows, row_labels=row_labels, col_labels=col_labels, title=title, thumb_size=96, cell_px=110,
                      label_margin=190)


def inversion_explorer(losses: Sequence[float], snapshot_iteration: int, best_iteration: int, mesh, *,
                       title: str, bound: float = 0.52, chamfer: float | None = None) -> go.Figure:
    """One inversion's loss per iteration (log scale) with the chosen snapshot and the lowest loss marked,
    beside the snapshot's mesh."""
    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "xy"}, {"type": "scene"}]], column_widths=[0.5, 0.5],
                        subplot_titles=["loss", f"shape at iteration {snapshot_iteration}"
                                        + (f" (Chamfer {chamfer:.4f})" if chamfer is not None and np.isfinite(chamfer)
                                           else "")])
    it = np.arange(len(losses))
    fig.add_trace(go.Scatter(x=it, y=list(losses), mode="lines", name="loss", line={"color": "#555"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=[best_iteration], y=[losses[best_iteration]], mode="markers", name="lowest loss",
                             marker={"color": "#d62728", "size": 10, "symbol": "star"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=[snapshot_iteration], y=[losses[snapshot_iteration]], mode="markers", name="snapshot",
                             marker={"color": "#1f77b4", "size": 10}), row=1, col=1)
    if mesh is not None and len(mesh.faces):
        fig.add_trace(mesh_trace(mesh), row=1, col=2)
    fig.layout.scene.update(_scene_axes(bound))
    fig.update_yaxes(type="log", title_text="loss", row=1, col=1)
    fig.update_xaxes(title_text="iteration", row=1, col=1)
    fig.update_layout(title=title, height=420, margin=dict(l=50, r=10, t=80, b=40))
    return fig


def metric_bars(summary: pd.DataFrame, metric: str, *, title: str) -> go.Figure:
    """Mean +- standard deviation of ``metric`` ("chamfer" or "iou") per table row."""
    labels = [f"{m}<br>({p})" if p != "-" else m for m, p in zip(summary["method"], summary["pick"])]
    fig = go.Figure(go.Bar(x=labels, y=summary[f"{metric}_mean"],
                           error_y={"type": "data", "array": summary[f"{metric}_std"].fillna(0.0)},
                           marker_color="#7f9fbf"))
    fig.update_layout(title=title, yaxis_title={"chamfer": "Chamfer distance (lower is better)",
                                                "iou": "volumetric IoU (higher is better)"}[metric],
                      height=430, margin=dict(l=60, r=10, t=60, b=150))
    return fig


__all__ = ["inversion_explorer", "mesh_grid", "mesh_trace", "metric_bars", "view_rows"]
