"""2D maps of feature spaces: t-SNE embeddings and scatter plots coloured by class and domain.

Used wherever a paper shows "visualization of feature distributions" (Song et al. Fig. 3, Ji & Wang Fig. 5).
The embedding (compute) and the figure (plotting) are separate, so a figure can be restyled without rerunning
t-SNE; scikit-learn does the t-SNE.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from sklearn.manifold import TSNE

SYMBOLS = ("circle", "diamond", "square", "x", "triangle-up", "cross", "star", "triangle-down")


def tsne_2d(features: np.ndarray, seed: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """t-SNE of ``features`` (N, D) float to (N, 2) float, seeded (PCA initialisation).

    The perplexity is clipped to ``(N - 1) / 3`` so that small sets (a quick profile) still embed.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 3:
        raise ValueError(f"t-SNE needs an (N, D) array with N >= 3, got shape {x.shape}")
    perp = float(min(perplexity, max(1.0, (len(x) - 1) / 3.0)))
    tsne = TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed, learning_rate="auto")
    return tsne.fit_transform(x).astype(np.float64)


def embedding_scatter(points: np.ndarray, labels: Sequence, domains: Sequence | None = None,
                      title: str = "", hover: Sequence[str] | None = None) -> go.Figure:
    """Scatter of 2D ``points`` (N, 2): colour = ``labels`` (class or object), symbol = ``domains``
    (e.g. "image" / "model"), one legend entry per (label, domain)."""
    pts = np.asarray(points, dtype=float)
    labels = [str(v) for v in labels]
    domains = [str(v) for v in domains] if domains is not None else [""] * len(labels)
    if not (len(pts) == len(labels) == len(domains)):
        raise ValueError(f"points ({len(pts)}), labels ({len(labels)}) and domains ({len(domains)}) differ in length")
    hover = list(hover) if hover is not None else [f"{l} {d}".strip() for l, d in zip(labels, domains)]
    fig = go.Figure()
    dom_order = list(dict.fromkeys(domains))
    palette = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf")
    for li, lab in enumerate(dict.fromkeys(labels)):
        for di, dom in enumerate(dom_order):
            idx = [i for i in range(len(labels)) if labels[i] == lab and domains[i] == dom]
            if not idx:
                continue
            fig.add_trace(go.Scatter(
                x=pts[idx, 0], y=pts[idx, 1], mode="markers", name=f"{lab} ({dom})" if dom else lab,
                legendgroup=lab, text=[hover[i] for i in idx], hoverinfo="text",
                marker=dict(color=palette[li % len(palette)], symbol=SYMBOLS[di % len(SYMBOLS)], size=7,
                            line=dict(width=0.5, color="white"))))
    fig.update_layout(title=title, xaxis=dict(showticklabels=False, title="t-SNE 1"),
                      yaxis=dict(showticklabels=False, title="t-SNE 2", scaleanchor="x"), height=480)
    return fig


__all__ = ["embedding_scatter", "tsne_2d"]
