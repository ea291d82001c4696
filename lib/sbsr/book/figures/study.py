"""Figures of the CLIP view study (thesis §4.2.3.1, Fig. 4.1 and 4.2; supplement Fig. 1 and 2).

* :func:`object_distance_heatmaps` - Eq. 4.4 matrices side by side (Fig. 4.1), the row minimum and the
  diagonal (same object) marked, each cell's interval in the hover text;
* :func:`view_distance_heatmaps` - Eq. 4.5 (V x V) matrices with ``mean ± half-width`` in every cell;
* :func:`view_distance_errorbars` - the same as points with confidence intervals (Fig. 4.2's reading:
  is the same view lowest, do the intervals overlap?);
* :func:`view_matching_bars` - how often the same view is the closest one, per view, with intervals.

Image grids (the sampled objects in their domains) use :func:`sbsr.book.figures.retrieval.image_grid`.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# --------------------------------------------------------------------------------------------------
# heatmaps


def _interval_customdata(study) -> np.ndarray:
    return np.stack([np.asarray(study.low), np.asarray(study.high)], axis=-1)


def _colorbar_below(fig: go.Figure, col: int) -> dict:
    """A horizontal colour bar under panel ``col`` (side-by-side panels then stay readable on a narrow page)."""
    lo, hi = fig.layout["xaxis" if col == 1 else f"xaxis{col}"].domain
    return dict(orientation="h", x=0.5 * (lo + hi), xanchor="center", len=0.9 * (hi - lo), y=-0.32, yanchor="top",
                thickness=10, nticks=4, tickformat=".2~e", tickfont=dict(size=9))


def object_distance_heatmaps(matrices: Mapping[str, object], labels: Sequence[str] | None = None,
                             axis_titles: Mapping[str, tuple[str, str]] | None = None,
                             title: str = "Eq. 4.4: distance between objects across domains (cf. Fig. 4.1)",
                             colorscale: str = "Viridis") -> go.Figure:
    """Eq. 4.4 matrices side by side, one per domain pair (``{title: StudyMatrix}``).

    Darker = closer (as in the paper). Open squares mark the diagonal (the same object in both domains),
    white crosses (black outline) each row's minimum: where they coincide, the object was matched. The hover text gives
    each cell's distance and interval. ``axis_titles[name] = (rows, columns)`` names the domains.
    """
    names = list(matrices)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.09)
    for i, name in enumerate(names, start=1):
        m = matrices[name]
        mean = np.asarray(m.mean)
        n = mean.shape[0]
        ticks = list(labels) if labels is not None else [str(j + 1) for j in range(n)]
        fig.add_trace(go.Heatmap(
            z=mean, x=ticks, y=ticks, customdata=_interval_customdata(m), colorscale=colorscale,
            colorbar=_colorbar_below(fig, i),
            hovertemplate="row %{y}, column %{x}<br>d = %{z:.4g}<br>95% CI [%{customdata[0]:.4g}, "
                          "%{customdata[1]:.4g}]<extra></extra>"), row=1, col=i)
        fig.add_trace(go.Scatter(x=ticks, y=ticks, mode="markers", hoverinfo="skip", showlegend=i == 1,
                                 legendgroup="diag", name="same object",
                                 marker=dict(symbol="square-open", size=14, color="#ff7f0e", line=dict(width=2))),
                      row=1, col=i)
        argmin = mean.argmin(axis=1)
        fig.add_trace(go.Scatter(x=[ticks[j] for j in argmin], y=ticks, mode="markers", hoverinfo="skip",
                                 showlegend=i == 1, legendgroup="min", name="row minimum",
                                 marker=dict(symbol="x", size=10, color="white", line=dict(width=1, color="black"))),
                      row=1, col=i)
        rows_t, cols_t = (axis_titles or {}).get(name, ("", ""))
        fig.update_yaxes(autorange="reversed", title_text=rows_t, row=1, col=i, type="category")
        fig.update_xaxes(title_text=cols_t, row=1, col=i, type="category")
    fig.update_layout(title=title, height=560, plot_bgcolor="white", margin=dict(l=60, r=20, t=80, b=40),
                      legend=dict(orientation="h", y=-0.45, x=0.5, xanchor="center", yanchor="top"))
    return fig


def view_distance_heatmaps(matrices: Mapping[str, object], view_labels: Sequence[str],
                           axis_titles: Mapping[str, tuple[str, str]] | None = None,
                           title: str = "Eq. 4.5: distance between views across domains (cf. Fig. 4.2)",
                           colorscale: str = "Viridis") -> go.Figure:
    """Eq. 4.5 (V x V) matrices side by side with ``mean`` and ``± half-width`` of the interval per cell."""
    names = list(matrices)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.09)
    for i, name in enumerate(names, start=1):
        m = matrices[name]
        mean = np.asarray(m.mean)
        half = 0.5 * (np.asarray(m.high) - np.asarray(m.low))
        text = [[f"{mean[r, c]:.3g}<br>±{half[r, c]:.2g}" for c in range(mean.shape[1])] for r in range(mean.shape[0])]
        fig.add_trace(go.Heatmap(
            z=mean, x=list(view_labels), y=list(view_labels), text=text, texttemplate="%{text}",
            customdata=_interval_customdata(m), colorscale=colorscale,
            colorbar=_colorbar_below(fig, i),
            hovertemplate="view %{y} vs view %{x}<br>d = %{z:.4g}<br>95% CI [%{customdata[0]:.4g}, "
                          "%{customdata[1]:.4g}]<extra></extra>"), row=1, col=i)
        rows_t, cols_t = (axis_titles or {}).get(name, ("", ""))
        fig.update_yaxes(autorange="reversed", title_text=rows_t, row=1, col=i, type="category")
        fig.update_xaxes(title_text=cols_t, row=1, col=i, type="category")
    fig.update_layout(title=title, height=470, plot_bgcolor="white", margin=dict(l=60, r=20, t=80, b=40))
    return fig


def view_distance_errorbars(matrices: Mapping[str, object], view_labels: Sequence[str],
                            domain_names: Mapping[str, tuple[str, str]] | None = None,
                            title: str = "Eq. 4.5 with 95% confidence intervals: is the same view the closest?"
                            ) -> go.Figure:
    """For each domain pair: x = view k in the first domain, one series per view h of the second domain
    (mean ± interval over objects). The same view (h = k) is drawn with a filled marker."""
    names = list(matrices)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.07)
    n_v = len(view_labels)
    offsets = np.linspace(-0.18, 0.18, n_v) if n_v > 1 else np.zeros(1)
    for i, name in enumerate(names, start=1):
        m = matrices[name]
        mean, low, high = (np.asarray(a) for a in (m.mean, m.low, m.high))
        for h in range(n_v):
            x = np.arange(n_v) + offsets[h]
            fig.add_trace(go.Scatter(
                x=x, y=mean[:, h], mode="markers", name=f"{view_labels[h]}",
                legendgroup=str(h), showlegend=i == 1,
                error_y=dict(type="data", symmetric=False, array=high[:, h] - mean[:, h],
                             arrayminus=mean[:, h] - low[:, h], thickness=1.5, width=4),
                marker=dict(color=colours[h % len(colours)], size=[11 if k == h else 7 for k in range(n_v)],
                            symbol=["circle" if k == h else "circle-open" for k in range(n_v)]),
                hovertemplate=f"view %{{customdata}} vs view {view_labels[h]}<br>d = %{{y:.4g}}<extra></extra>",
                customdata=list(view_labels)), row=1, col=i)
        first = (domain_names or {}).get(name, ("", ""))[0]
        fig.update_xaxes(tickvals=list(range(n_v)), ticktext=list(view_labels),
                         title_text=f"{first} view".strip(), row=1, col=i)
    fig.update_yaxes(title_text="mean distance", row=1, col=1)
    fig.update_layout(title=title, height=440, legend=dict(orientation="h", y=-0.25, x=0.5, xanchor="center",
                                                           title_text="view of the second domain: "))
    return fig


def view_matching_bars(matching: Mapping[str, tuple], view_labels: Sequence[str],
                       title: str = "How often is the same view the closest one? (derived from Eq. 4.5)"
                       ) -> go.Figure:
    """Bars per domain pair and view: percent of objects whose view k in the first domain is closest to
    view k in the second; ``matching[name] = (per_view intervals, overall interval)`` as returned by
    :func:`sbsr.retrieval.view_matching_accuracy`. The dotted line is chance (1 / V)."""
    fig = go.Figure()
    labels = [*view_labels, "all"]
    for name, (per_view, overall) in matching.items():
        cis = [*per_view, overall]
        est = np.array([c.estimate for c in cis])
        fig.add_trace(go.Bar(
            x=labels, y=est, name=name,
            error_y=dict(type="data", symmetric=False, array=np.array([c.high for c in cis]) - est,
                         arrayminus=est - np.array([c.low for c in cis])),
            hovertemplate=f"{name}<br>view %{{x}}: %{{y:.1f}}%<extra></extra>"))
    fig.add_hline(y=100.0 / max(1, len(view_labels)), line_dash="dot", annotation_text="chance",
                  annotation_position="top left")
    fig.update_layout(barmode="group", title=title, yaxis_title="same view closest (%)", yaxis_range=[0, 105],
                      xaxis_title="view (first domain)", height=400)
    return fig
