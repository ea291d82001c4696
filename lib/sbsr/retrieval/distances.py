"""Distances between query features and multi-view shape features (thesis §4.2.2.1).

A sketch query and every view of every gallery shape are embedded with the same image encoder; the
features are flattened (the ResNet101 ``layer3`` tap has 1024x14x14 = 200,704 values) and compared with
the mean squared error. A shape is as close to a query as its closest view (Eq. 4.1)::

    d(Sk, Sh) = min_{v in views} MSE(CLIP(Sk), CLIP(v))

The alternative of Table 4.3 / Table B.5 ("avg") averages the *features* of all views of a shape and
compares the query with that mean feature.

Every function accepts numpy arrays or torch tensors and answers in the same kind (torch results stay
on the input's device). Distances are accumulated in float64 unless ``dtype`` says otherwise (numpy
inputs are handed to torch's CPU matmul without copying, which is several times faster for float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

REDUCTIONS = ("min", "mean", "mean_distance")

#: Upper bound (bytes) on the float64 working copy of a gallery chunk in :func:`mse_distance_matrix`.
DEFAULT_CHUNK_BYTES = 256 * 1024 * 1024


def _is_torch(x: Any) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(x, torch.Tensor)


def _as_2d(x: Any, name: str):
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (N, D), got shape {tuple(x.shape)}")
    return x


def mse_distance_matrix(queries, gallery, *, dtype=None, method: str = "matmul",
                        chunk_bytes: int = DEFAULT_CHUNK_BYTES):
    """Mean squared error between every query row and every gallery row (the MSE of Eq. 4.1).

    ``queries`` (Q, D) and ``gallery`` (G, D), any float dtype, numpy or torch (higher-rank features
    are flattened: pass ``x.reshape(len(x), -1)``). Returns a (Q, G) matrix with
    ``out[q, g] = mean_d (queries[q, d] - gallery[g, d])**2``.

    ``method="matmul"`` (default) uses ``|q|^2 + |g|^2 - 2 q.g`` accumulated in ``dtype`` (float64 by
    default, so that cancellation does not reorder near-ties) and clamps tiny negatives to 0;
    ``method="direct"`` forms the differences explicitly (exact, slower). The gallery is processed in
    chunks so that the working copy stays below ``chunk_bytes`` whatever D is (D = 200,704 for the
    ResNet101 layer3 tap).
    """
    if method not in ("matmul", "direct"):
        raise ValueError(f"method must be 'matmul' or 'direct', got {method!r}")
    _as_2d(queries, "queries")
    _as_2d(gallery, "gallery")
    if queries.shape[1] != gallery.shape[1]:
        raise ValueError(f"feature sizes differ: queries D={queries.shape[1]}, gallery D={gallery.shape[1]}")
    if _is_torch(queries) or _is_torch(gallery):
        return _mse_torch(queries, gallery, dtype=dtype, method=method, chunk_bytes=chunk_bytes)
    return _mse_numpy(np.asarray(queries), np.asarray(gallery), dtype=dtype, method=method,
                      chunk_bytes=chunk_bytes)


def _chunk_rows(n_other: int, d: int, itemsize: int, chunk_bytes: int, method: str) -> int:
    per_row = d * itemsize * (max(n_other, 1) if method == "direct" else 1)
    return max(1, int(chunk_bytes // max(per_row, 1)))


def _mse_numpy(q: np.ndarray, g: np.ndarray, *, dtype, method: str, chunk_bytes: int) -> np.ndarray:
    # torch's CPU matmul is several times faster than numpy's for float64 here; inputs are shared, not copied
    import torch

    out = _mse_torch(torch.from_numpy(np.ascontiguousarray(q)), torch.from_numpy(np.ascontiguousarray(g)),
                     dtype=np.float64 if dtype is None else dtype, method=method, chunk_bytes=chunk_bytes)
    return out.numpy()


def _mse_torch(q, g, *, dtype, method: str, chunk_bytes: int):
    import torch

    q = torch.as_tensor(q)
    g = torch.as_tensor(g, device=q.device)
    if dtype is None:
        dtype = torch.float64
    elif not isinstance(dtype, torch.dtype):  # a numpy dtype or its name
        dtype = getattr(torch, np.dtype(dtype).name)
    if q.device.type == "mps" and dtype == torch.float64:  # MPS has no float64
        dtype = torch.float32
    itemsize = torch.empty((), dtype=dtype).element_size()
    n_q, d = q.shape
    out = torch.empty((n_q, g.shape[0]), dtype=dtype, device=q.device)
    if d == 0:
        return out.zero_()
    qd = q.to(dtype)
    if method == "matmul":
        q_sq = (qd * qd).sum(dim=1)
        step = _chunk_rows(n_q, d, itemsize, chunk_bytes, method)
        for start in range(0, g.shape[0], step):
            gc = g[start:start + step].to(dtype)
            g_sq = (gc * gc).sum(dim=1)
            block = q_sq[:, None] + g_sq[None, :] - 2.0 * (qd @ gc.T)
            out[:, start:start + step] = block.clamp_min(0.0) / d
        return out
    q_step = max(1, min(n_q, 64))
    g_step = _chunk_rows(q_step, d, itemsize, chunk_bytes, method)
    for qs in range(0, n_q, q_step):
        qc = qd[qs:qs + q_step]
        for gs in range(0, g.shape[0], g_step):
            gc = g[gs:gs + g_step].to(dtype)
            diff = qc[:, None, :] - gc[None, :, :]
            out[qs:qs + q_step, gs:gs + g_step] = (diff * diff).sum(dim=2) / d
    return out


def _check_views(query_feats, view_feats, view_mask):
    _as_2d(query_feats, "query_feats")
    if view_feats.ndim != 3:
        raise ValueError(f"view_feats must be 3-D (S, V, D), got shape {tuple(view_feats.shape)}")
    if view_feats.shape[2] != query_feats.shape[1]:
        raise ValueError(f"feature sizes differ: query D={query_feats.shape[1]}, views D={view_feats.shape[2]}")
    n_s, n_v = view_feats.shape[:2]
    if view_mask is None:
        return None
    mask = np.asarray(view_mask.cpu() if _is_torch(view_mask) else view_mask, dtype=bool)
    if mask.shape != (n_s, n_v):
        raise ValueError(f"view_mask must have shape (S, V) = {(n_s, n_v)}, got {mask.shape}")
    if not mask.any(axis=1).all():
        empty = np.flatnonzero(~mask.any(axis=1))
        raise ValueError(f"view_mask leaves shapes without any view: {empty[:10].tolist()}")
    return mask


def view_distances(query_feats, view_feats, view_mask=None, **mse_kwargs):
    """MSE between each query and each view of each shape: (Q, D) x (S, V, D) -> (Q, S, V).

    Views switched off in ``view_mask`` (S, V) bool (``True`` = view exists) get distance ``+inf``; use
    it when shapes have different numbers of views. This is the quantity ranked per view in Table B.1.
    """
    mask = _check_views(query_feats, view_feats, view_mask)
    n_s, n_v, d = view_feats.shape
    flat = view_feats.reshape(n_s * n_v, d)
    dist = mse_distance_matrix(query_feats, flat, **mse_kwargs).reshape(query_feats.shape[0], n_s, n_v)
    if mask is not None:
        if _is_torch(dist):
            import torch

            dist = dist.masked_fill(~torch.as_tensor(mask, device=dist.device)[None], float("inf"))
        else:
            dist = np.where(mask[None], dist, np.inf)
    return dist


def _mean_view_features(view_feats, mask):
    if mask is None:
        return view_feats.mean(1) if _is_torch(view_feats) else np.asarray(view_feats).mean(axis=1)
    if _is_torch(view_feats):
        import torch

        w = torch.as_tensor(mask, device=view_feats.device, dtype=view_feats.dtype)
        return (view_feats * w[..., None]).sum(1) / w.sum(1, keepdim=True)
    w = mask.astype(np.float64)
    return np.einsum("svd,sv->sd", view_feats, w) / w.sum(axis=1, keepdims=True)


def shape_distances(query_feats, view_feats, reduce: str = "min", view_mask=None, **mse_kwargs):
    """Query-to-shape distances (Q, S) from query features (Q, D) and view features (S, V, D).

    ``reduce="min"``: Eq. 4.1, the distance to the closest view (the paper's method).
    ``reduce="mean"``: the "Average" row of Table 4.3 / "avg" of Table B.5, read as *averaging the
    features of all views* ("averaging features from all views", App. B.4) and taking the MSE to that
    mean feature.
    ``reduce="mean_distance"``: the mean over views of the per-view MSE. It differs from ``"mean"`` by a
    per-shape constant (the spread of the shape's view features), so the rankings can differ.
    ``view_mask`` (S, V) bool marks existing views (``True``) when shapes have fewer than V views.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    if reduce == "mean":
        mask = _check_views(query_feats, view_feats, view_mask)
        return mse_distance_matrix(query_feats, _mean_view_features(view_feats, mask), **mse_kwargs)
    dist = view_distances(query_feats, view_feats, view_mask, **mse_kwargs)
    if reduce == "min":
        return dist.amin(dim=2) if _is_torch(dist) else dist.min(axis=2)
    if view_mask is None:
        return dist.mean(dim=2) if _is_torch(dist) else dist.mean(axis=2)
    mask = _check_views(query_feats, view_feats, view_mask)
    if _is_torch(dist):
        import torch

        m = torch.as_tensor(mask, device=dist.device)
        return torch.where(m[None], dist, torch.zeros_like(dist)).sum(2) / m.sum(1).to(dist.dtype)[None]
    return np.where(mask[None], dist, 0.0).sum(axis=2) / mask.sum(axis=1)[None]


def shape_distances_and_views(query_feats, view_feats, view_mask=None, **mse_kwargs):
    """Eq. 4.1 together with its argmin: ``(dist (Q, S), best_view (Q, S) int)``.

    ``best_view[q, s]`` is the index of the view of shape ``s`` closest to query ``q`` (the view Eq. 4.1
    picks; ties go to the lowest index). Used for the view-selection analysis of App. B.2.
    """
    dist = view_distances(query_feats, view_feats, view_mask, **mse_kwargs)
    if _is_torch(dist):
        best, idx = dist.min(dim=2)
        return best, idx
    idx = dist.argmin(axis=2)
    return np.take_along_axis(dist, idx[..., None], axis=2)[..., 0], idx


def best_matching_view(query_feats, view_feats, view_mask=None, **mse_kwargs):
    """Index (Q, S) of the view of each shape that is closest to each query (argmin of Eq. 4.1)."""
    return shape_distances_and_views(query_feats, view_feats, view_mask, **mse_kwargs)[1]
