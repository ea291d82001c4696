"""Plotly figures of the NetSpace chapter, drawn from the tables and results of :mod:`.experiments`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ARCH_COLORS = {"LeNetLike": "#1f77b4", "VanillaCNN": "#ff7f0e", "ResNet8": "#2ca02c", "ResNet32": "#d62728"}
PART_COLORS = {"encoder": "#c6dbef", "decoder": "#fdd0a2", "ClassId head": "#c7e9c0", "network": "#e5e5e5"}


def architecture_diagram(table: pd.DataFrame, title: str, per_column: int = 14) -> go.Figure:
    """Boxes, one per layer of :func:`~.experiments.layer_table` in call order (top to bottom, then the next
    column), labelled with the layer, its output shape and parameters; colour = ``part`` when present."""
    fig = go.Figure()
    n = len(table)
    n_cols = max(1, int(np.ceil(n / per_column)))
    for i, r in enumerate(table.itertuples()):
        col, row = divmod(i, per_column)
        x0, y0 = col * 1.1, -row
        color = PART_COLORS.get(getattr(r, "part", "network"), "#e5e5e5")
        fig.add_shape(type="rect", x0=x0, x1=x0 + 1.0, y0=y0 - 0.85, y1=y0, fillcolor=color, line=dict(width=1))
        text = f"<b>{r.layer}</b> {r.description}<br>out {r.output} · {r.params:,} params"
        fig.add_annotation(x=x0 + 0.5, y=y0 - 0.42, text=text, showarrow=False, font=dict(size=9))
    fig.update_xaxes(visible=False, range=[-0.05, n_cols * 1.1])
    fig.update_yaxes(visible=False, range=[-min(n, per_column) - 0.1, 0.2])
    fig.update_layout(title=title, height=70 + 42 * min(n, per_column), width=max(520, 430 * n_cols),
                      margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white")
    return fig


def prep_heatmaps(preps: dict[str, np.ndarray], title: str, aspect_rows: int | None = None) -> go.Figure:
    """PReps as images (Fig. C.5/C.6): one heatmap per entry, a shared diverging colour scale."""
    fig = make_subplots(1, len(preps), subplot_titles=list(preps), horizontal_spacing=0.04)
    vmax = max(float(np.abs(np.asarray(p)).max()) for p in preps.values()) or 1.0
    for k, p in enumerate(preps.values()):
        p = np.asarray(p)
        if aspect_rows:  # reshape to a form factor that reads well (App. C.7)
            p = p.reshape(-1)[: (p.size // aspect_rows) * aspect_rows].reshape(aspect_rows, -1)
        fig.add_trace(go.Heatmap(z=p, zmin=-vmax, zmax=vmax, colorscale="RdBu", showscale=k == 0), 1, k + 1)
        fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=k + 1)
        fig.update_xaxes(showticklabels=False, row=1, col=k + 1)
    fig.update_layout(title=title, height=380)
    return fig


def single_figure(res, title: str) -> go.Figure:
    """Fig. 5.3 for one task: (left) target vs predicted accuracy of the held-out instances, sorted by
    target; (right) accuracy along the line between two anchors, in embedding and in weight space."""
    inst = res.instances.sort_values("target").reset_index(drop=True)
    fig = make_subplots(1, 2, subplot_titles=("held-out instances: target vs predicted",
                                              "interpolation between the anchors"))
    x = np.arange(len(inst))
    fig.add_trace(go.Scatter(x=x, y=inst["target"], mode="markers+lines", name="target", marker_symbol="circle"), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=inst["predicted"], mode="markers+lines", name="predicted",
                             marker_symbol="x"), 1, 1)
    for space, dash in (("embedding", "solid"), ("weights", "dot")):
        d = res.interpolation[res.interpolation["space"] == space]
        fig.add_trace(go.Scatter(x=d["gamma"], y=d["accuracy"], mode="markers+lines", line_dash=dash,
                                 name=f"interpolating {space}"), 1, 2)
    fig.update_xaxes(title_text="test instance (sorted by target accuracy)", row=1, col=1)
    fig.update_xaxes(title_text="γ (0 = worst anchor, 1 = best)", row=1, col=2)
    fig.update_yaxes(title_text="test accuracy (%)")
    fig.update_layout(title=title, height=380)
    return fig


def multi_figure(results: list, title: str) -> go.Figure:
    """Fig. 5.5: per NetSpace (all architectures seen; only LeNetLike and ResNet32 seen), the target and
    predicted accuracy of the test instances and the accuracy along the line between a LeNetLike and a
    ResNet32 embedding; colour = architecture (predicted by the ClassId head for interpolated points)."""
    titles = []
    for r in results:
        titles += [f"targets vs predicted — seen: {', '.join(r.seen)}", "interpolation LeNetLike → ResNet32"]
    fig = make_subplots(len(results), 2, subplot_titles=titles, vertical_spacing=0.18)
    shown = set()
    for k, r in enumerate(results):
        inst = r.instances
        for arch, d in inst.groupby("arch", sort=False):
            c = ARCH_COLORS.get(arch, "grey")
            fig.add_trace(go.Scatter(x=d["target"], y=d["predicted"], mode="markers", marker=dict(color=c, size=9),
                                     name=arch, legendgroup=arch, showlegend=arch not in shown,
                                     text=d["predicted_arch"], hovertemplate="target %{x:.1f}, predicted %{y:.1f} as %{text}"),
                          k + 1, 1)
            shown.add(arch)
        lo = min(inst["target"].min(), inst["predicted"].min())
        hi = max(inst["target"].max(), inst["predicted"].max())
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(color="grey", dash="dot"),
                                 showlegend=False), k + 1, 1)
        it = r.interpolation
        fig.add_trace(go.Scatter(x=it["gamma"], y=it["accuracy"], mode="lines", line=dict(color="lightgrey"),
                                 showlegend=False), k + 1, 2)
        for arch, d in it.groupby("predicted_arch", sort=False):
            c = ARCH_COLORS.get(arch, "grey")
            fig.add_trace(go.Scatter(x=d["gamma"], y=d["accuracy"], mode="markers", marker=dict(color=c, size=10),
                                     name=arch, legendgroup=arch, showlegend=arch not in shown), k + 1, 2)
            shown.add(arch)
        fig.update_xaxes(title_text="target accuracy (%)", row=k + 1, col=1)
        fig.update_yaxes(title_text="predicted accuracy (%)", row=k + 1, col=1)
        fig.update_xaxes(title_text="γ", row=k + 1, col=2)
        fig.update_yaxes(title_text="accuracy (%)", row=k + 1, col=2)
    fig.update_layout(title=title, height=360 * len(results))
    return fig


def sdf_interpolation_figure(items: list, title: str) -> go.Figure:
    """Fig. 5.4: meshes along the line between two chairs, in embedding space (top) and weight space
    (bottom); an empty cell is a network with no zero level set."""
    gammas = sorted({d["gamma"] for d in items if d["space"] != "target"})
    rows = ("embedding", "weights")
    fig = make_subplots(len(rows), len(gammas), specs=[[{"type": "scene"}] * len(gammas)] * len(rows),
                        subplot_titles=[f"{s}: γ={g:.2f}" for s in rows for g in gammas],
                        horizontal_spacing=0.01, vertical_spacing=0.06)
    for d in items:
        if d["space"] == "target" or d["mesh"] is None:
            continue
        v, f = d["mesh"]
        fig.add_trace(go.Mesh3d(x=v[:, 0], y=v[:, 2], z=v[:, 1], i=f[:, 0], j=f[:, 1], k=f[:, 2],
                                color="#8fb0d8" if d["space"] == "embedding" else "#d8a08f", flatshading=True,
                                showscale=False), rows.index(d["space"]) + 1, gammas.index(d["gamma"]) + 1)
    scene = dict(xaxis_visible=False, yaxis_visible=False, zaxis_visible=False, aspectmode="data")
    fig.update_scenes(**scene)
    fig.update_layout(title=title, height=520, margin=dict(l=0, r=0, t=60, b=0))
    return fig


def latent_path_figure(res, title: str) -> go.Figure:
    """Fig. 5.2 as built: test embeddings of the Multi-Architecture space projected on their first two
    principal components, and the interpolation path between a LeNetLike and a ResNet32 coloured by the
    architecture the ClassId head reads from each point."""
    emb, path = res.embeddings, res.path
    allp = np.concatenate([emb, path])
    mu = allp.mean(0)
    _, _, vt = np.linalg.svd(allp - mu, full_matrices=False)
    proj = lambda z: (z - mu) @ vt[:2].T  # noqa: E731
    fig = go.Figure()
    pe = proj(emb)
    for arch in ARCH_COLORS:
        m = (res.instances["arch"] == arch).to_numpy()
        if m.any():
            fig.add_trace(go.Scatter(x=pe[m, 0], y=pe[m, 1], mode="markers", name=f"{arch} (test instance)",
                                     marker=dict(color=ARCH_COLORS[arch], size=11, symbol="diamond")))
    pp = proj(path)
    colors = [ARCH_COLORS.get(a, "grey") for a in res.interpolation["predicted_arch"]]
    fig.add_trace(go.Scatter(x=pp[:, 0], y=pp[:, 1], mode="lines+markers", name="e^γ (colour: ClassId read)",
                             marker=dict(color=colors, size=8), line=dict(color="lightgrey")))
    fig.update_layout(title=title, xaxis_title="PC 1", yaxis_title="PC 2", height=420)
    return fig


__all__ = ["architecture_diagram", "latent_path_figure", "multi_figure", "prep_heatmaps", "sdf_interpolation_figure",
           "single_figure"]
