"""Chamfer distance between shapes, to measure fine-grained (within-class) diversity.

Definition used throughout (squared-L2 Chamfer, as in most point-cloud and ShapeNet work):

    CD(A, B) = 1/|A| sum_{a in A} min_{b in B} ||a - b||^2  +  1/|B| sum_{b in B} min_{a in A} ||b - a||^2

i.e. the *sum* of the two mean squared nearest-neighbour distances (not their average, not
square-rooted). It is symmetric, zero for identical point sets, and for a point set and its
translate by a small vector t (|t| below half the smallest inter-point spacing) equals 2 |t|^2.
Between meshes it is evaluated on ``n_points`` area-uniform exterior surface samples of each mesh
(:func:`sbsr.shapes.domains.sample_point_cloud`, the same seed for every mesh), so it is a
Monte-Carlo estimate that is exactly 0 for identical meshes.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.spatial import cKDTree

from .domains import sample_point_cloud


def chamfer_distance(points_a: np.ndarray, points_b: np.ndarray, squared: bool = True) -> float:
    """Symmetric Chamfer distance between two point sets (see the module docstring). With
    ``squared=False`` the nearest distances are not squared (the "L1-Chamfer" of some papers)."""
    a = np.asarray(points_a, dtype=np.float64).reshape(-1, 3)
    b = np.asarray(points_b, dtype=np.float64).reshape(-1, 3)
    if len(a) == 0 or len(b) == 0:
        raise ValueError("chamfer distance needs two non-empty point sets")
    d_ab, _ = cKDTree(b).query(a, k=1)
    d_ba, _ = cKDTree(a).query(b, k=1)
    if squared:
        return float(np.mean(d_ab ** 2) + np.mean(d_ba ** 2))
    return float(np.mean(d_ab) + np.mean(d_ba))


def voxel_iou(occupancy_a: np.ndarray, occupancy_b: np.ndarray) -> float:
    """Volumetric intersection over union of two boolean occupancy grids of the same shape:
    ``|A and B| / |A or B|``; two empty grids give 1.0 (they agree everywhere)."""
    a = np.asarray(occupancy_a, dtype=bool)
    b = np.asarray(occupancy_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"voxel_iou needs grids of the same shape, got {a.shape} and {b.shape}")
    union = int(np.count_nonzero(a | b))
    return 1.0 if union == 0 else float(np.count_nonzero(a & b)) / union


def surface_samples(shapes: Sequence, n_points: int = 2048, seed: int = 0) -> list[np.ndarray]:
    """``n_points`` exterior surface samples per shape, every shape with the same ``seed`` (so that
    identical meshes get identical samples and a distance of exactly 0)."""
    return [sample_point_cloud(s, n_points, seed=seed)[0] for s in shapes]


def pairwise_chamfer(shapes: Sequence, n_points: int = 2048, seed: int = 0, squared: bool = True) -> np.ndarray:
    """(N,N) symmetric matrix of Chamfer distances (module docstring) between the shapes' surface
    samples (``n_points`` each, all drawn with ``seed``); zero diagonal."""
    clouds = surface_samples(shapes, n_points, seed)
    trees = [cKDTree(c) for c in clouds]
    n = len(clouds)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d_ij, _ = trees[j].query(clouds[i], k=1)
            d_ji, _ = trees[i].query(clouds[j], k=1)
            if squared:
                v = float(np.mean(d_ij ** 2) + np.mean(d_ji ** 2))
            else:
                v = float(np.mean(d_ij) + np.mean(d_ji))
            out[i, j] = out[j, i] = v
    return out
