"""Retrieval accuracy, confidence intervals and the view-study measures of thesis §4.2.3.

* acc@k (§4.2.3.2 "we use standard retrieval tasks top-1, top-5 accuracy measures, which compute the
  percentage of time the ground-truth is returned among top 1 and top 5 ranked retrieval results").
* View-level acc@k of App. B.2 / Table B.1: rank individual (shape, view) pairs; a hit needs both the
  right shape and the right view.
* The two CLIP view studies of §4.2.3.1 (supplement §1.1-1.2): the aggregated feature similarity
  between objects (Eq. 4.4, an (N, N) matrix) and the view-to-view distance across domains averaged over
  objects (Eq. 4.5, a (V, V) matrix), with confidence intervals.

Distances arrive as numpy arrays or torch tensors; results are numpy / Python floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple

import numpy as np
from scipy import stats

from .distances import mse_distance_matrix

TIES = ("pessimistic", "optimistic")


def _np(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# --------------------------------------------------------------------------------------------------
# ranks and acc@k


def ranks_of_targets(dist, target, ties: str = "pessimistic") -> np.ndarray:
    """1-based rank of each query's ground-truth item in its row of ``dist`` (Q, S); smaller = closer.

    ``ties="pessimistic"`` (default) places the target *after* every other item at the same distance:
    ``rank = 1 + #{j != t : d_j <= d_t}``, so a constant distance row never counts as a hit.
    ``ties="optimistic"`` places it before them: ``rank = 1 + #{j : d_j < d_t}``.
    ``target`` (Q,) holds column indices. NaN distances are refused.
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    d = _np(dist).astype(np.float64, copy=False)
    t = _np(target).astype(np.int64).reshape(-1)
    if d.ndim != 2:
        raise ValueError(f"dist must be 2-D (Q, S), got shape {d.shape}")
    if t.shape[0] != d.shape[0]:
        raise ValueError(f"target has {t.shape[0]} entries for {d.shape[0]} queries")
    if ((t < 0) | (t >= d.shape[1])).any():
        raise ValueError(f"target indices must lie in [0, {d.shape[1]})")
    if np.isnan(d).any():
        raise ValueError("dist contains NaN")
    d_t = d[np.arange(d.shape[0]), t][:, None]
    if ties == "pessimistic":
        return (d <= d_t).sum(axis=1).astype(np.int64)  # counts the target itself once
    return 1 + (d < d_t).sum(axis=1).astype(np.int64)


def hits_at_k(dist, target, k: int, ties: str = "pessimistic") -> np.ndarray:
    """Per-query booleans: is the ground truth among the top ``k`` (see :func:`ranks_of_targets`)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return ranks_of_targets(dist, target, ties=ties) <= k


def accuracy_at_k(dist, target, k: int, ties: str = "pessimistic") -> float:
    """acc@k in percent: how often the ground truth is among the ``k`` closest items (§4.2.3.2)."""
    return float(100.0 * hits_at_k(dist, target, k, ties=ties).mean())


def accuracy_table(dist, target, ks: Iterable[int] = (1, 5, 10), ties: str = "pessimistic") -> dict[str, float]:
    """``{"acc@1": ..., "acc@5": ..., ...}`` in percent, from one ranking."""
    ranks = ranks_of_targets(dist, target, ties=ties)
    return {f"acc@{k}": float(100.0 * (ranks <= k).mean()) for k in ks}


def view_level_ranks(view_dist, target_shape, target_view, view_mask=None,
                     ties: str = "pessimistic") -> np.ndarray:
    """App. B.2 / Table B.1: 1-based rank of the ground-truth *view* among all (shape, view) pairs.

    ``view_dist`` (Q, S, V) from :func:`sbsr.retrieval.view_distances`; the top-k list may hold the same
    shape several times. Masked views (``view_mask`` False, or ``inf`` distances) rank last.
    """
    d = _np(view_dist).astype(np.float64, copy=True)
    if d.ndim != 3:
        raise ValueError(f"view_dist must be 3-D (Q, S, V), got shape {d.shape}")
    if view_mask is not None:
        d = np.where(_np(view_mask).astype(bool)[None], d, np.inf)
    n_q, n_s, n_v = d.shape
    ts = _np(target_shape).astype(np.int64).reshape(-1)
    tv = _np(target_view).astype(np.int64).reshape(-1)
    if ts.shape[0] != n_q or tv.shape[0] != n_q:
        raise ValueError("target_shape and target_view need one entry per query")
    if ((tv < 0) | (tv >= n_v)).any():
        raise ValueError(f"target_view indices must lie in [0, {n_v})")
    return ranks_of_targets(d.reshape(n_q, n_s * n_v), ts * n_v + tv, ties=ties)


def view_level_accuracy_table(view_dist, target_shape, target_view, ks: Iterable[int] = (1, 5),
                              view_mask=None, ties: str = "pessimistic") -> dict[str, float]:
    """Table B.1 "correctly selected view": acc@k (percent) over (shape, view) pairs."""
    ranks = view_level_ranks(view_dist, target_shape, target_view, view_mask=view_mask, ties=ties)
    return {f"acc@{k}": float(100.0 * (ranks <= k).mean()) for k in ks}


# --------------------------------------------------------------------------------------------------
# confidence intervals


class ConfidenceInterval(NamedTuple):
    """A point estimate with a two-sided interval; ``low <= estimate <= high`` for the mean."""

    estimate: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)


def bootstrap_ci(values, n_boot: int = 1000, seed: int | np.random.Generator = 0, alpha: float = 0.05,
                 statistic: Callable = np.mean) -> ConfidenceInterval:
    """Percentile bootstrap interval of ``statistic`` (default the mean) over per-query values.

    Pass per-query hits (bool/0-1) times 100 to get acc@k in percent with its interval (see
    :func:`accuracy_ci`). Uses :func:`scipy.stats.bootstrap` with ``method="percentile"``; deterministic
    for a given ``seed`` (an int or a :class:`numpy.random.Generator`). A constant sample gives a
    zero-width interval.
    """
    x = _np(values).astype(np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    estimate = float(statistic(x))
    if np.all(x == x[0]):
        return ConfidenceInterval(estimate, estimate, estimate)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def stat(sample, axis=-1):
        return statistic(sample, axis=axis)

    res = stats.bootstrap((x,), stat, n_resamples=int(n_boot), confidence_level=1.0 - alpha,
                          method="percentile", vectorized=True, rng=rng)
    return ConfidenceInterval(estimate, float(res.confidence_interval.low), float(res.confidence_interval.high))


def accuracy_ci(dist, target, k: int, n_boot: int = 1000, seed: int | np.random.Generator = 0,
                alpha: float = 0.05, ties: str = "pessimistic") -> ConfidenceInterval:
    """acc@k in percent with a bootstrap interval over queries."""
    return bootstrap_ci(100.0 * hits_at_k(dist, target, k, ties=ties), n_boot=n_boot, seed=seed, alpha=alpha)


def mean_ci(samples, axis: int = 0, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t interval ``mean -/+ t_{1-alpha/2, n-1} * s / sqrt(n)`` along ``axis``.

    Returns ``(mean, low, high)`` arrays. With one sample the interval collapses onto the mean.
    """
    x = _np(samples).astype(np.float64)
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    sem = x.std(axis=axis, ddof=1) / np.sqrt(n)
    half = stats.t.ppf(1.0 - alpha / 2.0, df=n - 1) * sem
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------------------------------
# the CLIP view studies of §4.2.3.1


def _check_objects(feats_a, feats_b):
    a, b = feats_a, feats_b
    if a.ndim < 3 or b.ndim < 3:
        raise ValueError("view-study features must be (N, V, D) (or (N, V, ...) flattened per view)")
    if tuple(a.shape[1:]) != tuple(b.shape[1:]):
        raise ValueError(f"domains disagree on (V, D): {tuple(a.shape[1:])} vs {tuple(b.shape[1:])}")
    a = a.reshape(a.shape[0], a.shape[1], -1)
    b = b.reshape(b.shape[0], b.shape[1], -1)
    return a, b


def per_view_object_distances(feats_a, feats_b, **mse_kwargs) -> np.ndarray:
    """(N_a, N_b, V) array: ``MSE(CLIP(A_k^i), CLIP(B_k^j))`` for every object pair and matching view k."""
    a, b = _check_objects(feats_a, feats_b)
    n_v = a.shape[1]
    out = np.empty((a.shape[0], b.shape[0], n_v))
    for k in range(n_v):
        out[:, :, k] = _np(mse_distance_matrix(a[:, k], b[:, k], **mse_kwargs))
    return out


@dataclass
class StudyMatrix:
    """A view-study distance matrix with a confidence interval per cell and the samples behind it."""

    mean: np.ndarray   # the Eq. 4.4 (N, N) or Eq. 4.5 (V, V) matrix
    low: np.ndarray    # lower end of the (1 - alpha) interval per cell
    high: np.ndarray   # upper end
    samples: np.ndarray  # per-cell samples the mean averages: (N, N, V) for Eq. 4.4, (N, V, V) for Eq. 4.5


def aggregated_feature_distance(feats_a, feats_b, alpha: float = 0.05, **mse_kwargs) -> StudyMatrix:
    """Eq. 4.4 (supplement Eq. 1): ``d(A^i, B^j) = 1/V sum_k (CLIP(A_k^i) - CLIP(B_k^j))^2``.

    ``feats_a`` (N_a, V, D) holds the V views of each object in domain i (e.g. freehand sketches),
    ``feats_b`` (N_b, V, D) the same views in domain j (e.g. line renderings); view k of A is compared
    only with view k of B. The squared difference of feature vectors is reduced to a scalar by its mean
    over feature elements (the MSE of Eq. 4.1). The (N_a, N_b) ``mean`` is the figure-4.1 matrix; the
    interval of each cell is a Student-t interval over the V per-view distances (the paper does not say
    over what its intervals run; with V = 3 they are wide).
    """
    per_view = per_view_object_distances(feats_a, feats_b, **mse_kwargs)
    mean, low, high = mean_ci(per_view, axis=2, alpha=alpha)
    return StudyMatrix(mean, low, high, per_view)


def view_distance_matrix(feats_a, feats_b, alpha: float = 0.05, **mse_kwargs) -> StudyMatrix:
    """Eq. 4.5 (supplement Eq. 2): ``d(k^i, h^j) = 1/N sum_A (CLIP(A_k^i) - CLIP(A_h^j))^2``.

    ``feats_a`` and ``feats_b`` (N, V, D) hold the same N objects (same order) in domains i and j. Cell
    (k, h) averages over objects the MSE between view k of an object in domain i and view h of the
    *same* object in domain j; the interval is a Student-t interval over the N objects (figure 4.2).
    """
    a, b = _check_objects(feats_a, feats_b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"Eq. 4.5 pairs the same objects: {a.shape[0]} vs {b.shape[0]} objects")
    n, n_v = a.shape[:2]
    per_object = np.empty((n, n_v, n_v))
    for i in range(n):
        per_object[i] = _np(mse_distance_matrix(a[i], b[i], **mse_kwargs))
    mean, low, high = mean_ci(per_object, axis=0, alpha=alpha)
    return StudyMatrix(mean, low, high, per_object)


def object_matching_accuracy(distance_matrix, ties: str = "pessimistic") -> float:
    """Percent of rows of an Eq. 4.4 (N, N) matrix whose own object (the diagonal) is the closest.

    Summarises figure 4.1 ("comparing the same object between different domains results in the lowest
    average distance in most of the cases").
    """
    d = _np(distance_matrix.mean if isinstance(distance_matrix, StudyMatrix) else distance_matrix)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"expected a square (N, N) matrix, got shape {d.shape}")
    return accuracy_at_k(d, np.arange(d.shape[0]), 1, ties=ties)


def view_matching_accuracy(feats_a, feats_b, n_boot: int = 1000, seed: int | np.random.Generator = 0,
                           alpha: float = 0.05, ties: str = "pessimistic", **mse_kwargs):
    """How often view k of an object in domain i is closest to the *same* view k in domain j.

    Per object A and view k the V candidates ``MSE(CLIP(A_k^i), CLIP(A_h^j))``, h = 1..V, are ranked
    (the per-object terms of Eq. 4.5); a hit means h = k comes first. Returns
    ``(per_view, overall)``: a list of V :class:`ConfidenceInterval` (percent of the N objects, bootstrap
    over objects) and one for all N*V (object, view) pairs (bootstrap over objects, keeping each
    object's V views together). This is a derived summary of figure 4.2, not a number printed in the
    paper.
    """
    study = view_distance_matrix(feats_a, feats_b, **mse_kwargs)
    per_object = study.samples  # (N, V, V): [object, k, h]
    n, n_v, _ = per_object.shape
    hits = np.stack([hits_at_k(per_object[:, k, :], np.full(n, k), 1, ties=ties) for k in range(n_v)], axis=1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    per_view = [bootstrap_ci(100.0 * hits[:, k], n_boot=n_boot, seed=rng, alpha=alpha) for k in range(n_v)]
    overall = bootstrap_ci(100.0 * hits.mean(axis=1), n_boot=n_boot, seed=rng, alpha=alpha)
    return per_view, overall
