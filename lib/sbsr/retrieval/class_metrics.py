"""Class-level retrieval metrics of the SHREC / MI3DOR benchmarks: NN, FT, ST, F, DCG and ANMRR.

Song et al. 2023 (seed 000, §4.2) report six numbers "as [57]"; the official definition is the MI3DOR
evaluation script (``Retrieval/cross_performance.m`` of tianbao-li/MI3DOR, image queries against a gallery
of 3D models). Ported exactly, for a query of class c with R = the number of gallery items of class c:

* **NN**: the share of queries whose first result is of the query's class.
* **FT** (first tier): relevant items among the top R, divided by R, averaged over queries.
* **ST** (second tier): relevant items among the top **2R - 1** (not 2R), divided by R, averaged.
* **F** (F-measure at 20): *pooled* over all queries: P = hits in the top 20 / (20 x queries),
  Rc = hits in the top 20 / sum of R over queries, F = 2 P Rc / (P + Rc).
* **DCG**: per query rel_1 + sum_{k=2..R} rel_k / log2(k) (cut at rank R), divided by its ideal value
  1 + sum_{k=2..R} 1 / log2(k); averaged.
* **ANMRR** (lower is better): K = min(4R, 2 T_max) with T_max the largest class in the gallery; only the
  first R ranks are looked at, rank(k) = k when position k is relevant, else K + 1;
  NMRR = (mean rank - R/2 - 0.5) / (K - R/2 + 0.5); averaged over queries.

Rankings sort distances in ascending order with a **stable** sort (MATLAB's ``sort``): tied gallery items keep
their gallery order. Features go through :func:`official_distances` first (negative values set to 0, rows
L2-normalised, Euclidean distances; ``Retrieval/retrieval.m``). When the gallery is smaller than a cut-off
(20 for F, 2R - 1 for ST) the cut-off is the gallery size (the MATLAB script would fail there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Metric names in the printed order of Song et al. Tables 1-5 (the paper's column "DGG" is DCG).
METRICS = ("NN", "FT", "ST", "F", "DCG", "ANMRR")
#: True where larger is better.
HIGHER_IS_BETTER = {"NN": True, "FT": True, "ST": True, "F": True, "DCG": True, "ANMRR": False}
F_CUTOFF = 20


def official_distances(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """(Q, D) and (G, D) features -> (Q, G) Euclidean distances after setting negatives to 0 and
    L2-normalising each row, as the MI3DOR evaluation does. All-zero rows stay zero."""
    q = np.maximum(np.asarray(query, dtype=np.float64), 0.0)
    g = np.maximum(np.asarray(gallery, dtype=np.float64), 0.0)
    if q.ndim != 2 or g.ndim != 2 or q.shape[1] != g.shape[1]:
        raise ValueError(f"features must be (Q, D) and (G, D) with the same D, got {q.shape} and {g.shape}")
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    d2 = (q * q).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2.0 * q @ g.T
    return np.sqrt(np.maximum(d2, 0.0))


def relevance_matrix(dist: np.ndarray, query_labels, gallery_labels) -> np.ndarray:
    """(Q, G) 0/1 matrix: entry (i, k) is 1 when the k-th ranked gallery item of query i (stable ascending
    sort of ``dist[i]``) has the query's label."""
    dist = np.asarray(dist, dtype=np.float64)
    ql, gl = np.asarray(query_labels), np.asarray(gallery_labels)
    if dist.shape != (len(ql), len(gl)):
        raise ValueError(f"dist has shape {dist.shape}, expected ({len(ql)}, {len(gl)}) from the labels")
    order = np.argsort(dist, axis=1, kind="stable")
    return (gl[order] == ql[:, None]).astype(np.float64)


@dataclass(frozen=True)
class ClassRetrieval:
    """The six metrics of one evaluation, and the per-query values behind the averaged ones."""

    NN: float
    FT: float
    ST: float
    F: float
    DCG: float
    ANMRR: float
    per_query: dict  # metric -> (Q,) array for NN, FT, ST, DCG, NMRR

    def as_dict(self) -> dict[str, float]:
        return {m: float(getattr(self, m)) for m in METRICS}


def class_retrieval_metrics(dist: np.ndarray, query_labels, gallery_labels) -> ClassRetrieval:
    """NN, FT, ST, F, DCG and ANMRR of ``dist`` (Q, G), smaller = closer (see the module docstring).

    Raises ``ValueError`` when a query's class has no item in the gallery (R = 0 is undefined).
    """
    ql, gl = np.asarray(query_labels), np.asarray(gallery_labels)
    rel = relevance_matrix(dist, ql, gl)
    n_q, n_g = rel.shape
    if n_q == 0 or n_g == 0:
        raise ValueError("need at least one query and one gallery item")
    classes, counts = np.unique(gl, return_counts=True)
    size = dict(zip(classes.tolist(), counts.tolist()))
    missing = sorted({str(c) for c in ql.tolist() if c not in size})
    if missing:
        raise ValueError(f"query classes absent from the gallery (R = 0): {missing}")
    r = np.array([size[c] for c in ql.tolist()], dtype=np.int64)
    t_max = int(counts.max())
    ranks = np.arange(1, n_g + 1, dtype=np.float64)
    nn = rel[:, 0]
    ft = np.array([rel[i, :r[i]].sum() / r[i] for i in range(n_q)])
    st = np.array([rel[i, :min(2 * r[i] - 1, n_g)].sum() / r[i] for i in range(n_q)])
    cut = min(F_CUTOFF, n_g)
    hits = rel[:, :cut].sum()
    precision, recall = hits / (n_q * cut), hits / r.sum()
    f = 0.0 if hits == 0 else 2.0 * precision * recall / (precision + recall)
    disc = np.ones(n_g)
    disc[1:] = 1.0 / np.log2(ranks[1:])  # rank 1 undiscounted, rank k >= 2 by 1/log2(k)
    dcg = np.array([(rel[i, :r[i]] * disc[:r[i]]).sum() / disc[:r[i]].sum() for i in range(n_q)])
    nmrr = np.empty(n_q)
    for i in range(n_q):
        k_cut = min(4 * r[i], 2 * t_max)
        rank = np.where(rel[i, :r[i]] == 1, ranks[:r[i]], k_cut + 1)
        nmrr[i] = (rank.mean() - r[i] / 2 - 0.5) / (k_cut - r[i] / 2 + 0.5)
    return ClassRetrieval(NN=float(nn.mean()), FT=float(ft.mean()), ST=float(st.mean()), F=float(f),
                          DCG=float(dcg.mean()), ANMRR=float(nmrr.mean()),
                          per_query={"NN": nn, "FT": ft, "ST": st, "DCG": dcg, "NMRR": nmrr})


__all__ = ["F_CUTOFF", "HIGHER_IS_BETTER", "METRICS", "ClassRetrieval", "class_retrieval_metrics",
           "official_distances", "relevance_matrix"]
