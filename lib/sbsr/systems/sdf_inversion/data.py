"""The data of §4.3: target chairs as signed distance grids, their sketches, and the generator's training set.

Thesis (§4.3.3.1-2): 10 random chairs of AmateurSketch, each as {freehand sketch at azimuth 0, SDF of its
ShapeNet mesh}. Here: chairs of a retrieval split of any :mod:`sbsr.data` dataset (the procedural stand-in
offline, AmateurSketch + ShapeNet when present), their sketches at the requested azimuths, and the signed
distance of their meshes on the generator's lattice (:func:`sdf_target`), cached on disk.

The generator's training chairs are the ``train`` collection of ``procedural-v1`` (the same seeds the
dataset's train split uses), so the test chairs are never seen in training.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.spatial import cKDTree

from sbsr.data.procedural import collection_seed, dataset_config, get_spec
from sbsr.io import atomic_path
from sbsr.render.sdf import lattice_points
from sbsr.shapes import contains, generate_shape, sample_point_cloud, signed_distance, voxelize


def mesh_key(mesh) -> str:
    """sha256 of a mesh's vertices and faces (identifies cached SDF grids)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(np.asarray(mesh.vertices, dtype=np.float64)).tobytes())
    h.update(np.ascontiguousarray(np.asarray(mesh.faces, dtype=np.int64)).tobytes())
    return h.hexdigest()


def sdf_target(mesh, resolution: int, bound: float, truncation: float, n_surface: int = 20000) -> np.ndarray:
    """The mesh's signed distance (negative inside) on the ``resolution^3`` lattice of
    ``[-bound, bound]^3``, clamped to ``[-truncation, truncation]``: (R, R, R) float32 indexed
    ``[i, j, k]`` at ``(x_i, y_j, z_k)``.

    Exact where it matters and about 3x faster than :func:`sbsr.shapes.signed_distance` on every point:
    the distance to ``n_surface`` exterior surface samples bounds the true distance from above and
    exceeds it by at most the samples' spacing, so lattice points whose sample distance is above
    ``truncation + margin`` (margin 0.02, several spacings) are beyond the truncation and get
    ``+-truncation`` by the winding-number inside test; only the others get the exact signed distance.
    """
    pts = lattice_points(resolution, bound)
    surf = sample_point_cloud(mesh, n_surface, seed=0)[0]
    approx, _ = cKDTree(surf).query(pts)
    near = approx < truncation + 0.02
    out = np.where(contains(mesh, pts), -truncation, truncation).astype(np.float64)
    if near.any():
        out[near] = signed_distance(mesh, pts[near])
    return np.clip(out, -truncation, truncation).astype(np.float32).reshape((resolution,) * 3)


def cached_sdf_target(mesh, resolution: int, bound: float, truncation: float,
                      cache_dir: str | Path | None) -> np.ndarray:
    """:func:`sdf_target`, read from / written to ``<cache_dir>/sdf_inversion/sdf/`` (keyed by the mesh's
    content and the lattice); ``cache_dir=None`` computes without caching."""
    if cache_dir is None:
        return sdf_target(mesh, resolution, bound, truncation)
    path = Path(cache_dir) / "sdf_inversion" / "sdf" / f"{mesh_key(mesh)[:24]}_r{resolution}_b{bound:g}_t{truncation:g}.npy"
    if path.is_file():
        try:
            arr = np.load(path, allow_pickle=False)
            if arr.shape == (resolution,) * 3:
                return arr
        except (ValueError, OSError):
            pass  # unreadable cache entry: recompute and overwrite
    arr = sdf_target(mesh, resolution, bound, truncation)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, arr, allow_pickle=False)
    return arr


def training_seed(dataset: str = "procedural-v1") -> int:
    """The collection seed of the dataset's ``train`` split (shapes ``generate_shape(cat, seed, index)``)."""
    spec = get_spec(dataset)
    return collection_seed(dataset_config(dataset, spec, "quick"), "train")


def training_chairs(n: int, dataset: str = "procedural-v1") -> list:
    """The first ``n`` chairs of the dataset's train collection."""
    seed = training_seed(dataset)
    return [generate_shape("chair", seed=seed, index=i) for i in range(int(n))]


@dataclass
class Example:
    """One target: the shape, its sketches by azimuth ((224, 224) uint8), its SDF grid, surface samples
    and its voxelization (:func:`target_voxels`)."""

    shape_id: str
    mesh: object = field(repr=False)
    sketches: dict[float, np.ndarray] = field(repr=False)
    sdf: np.ndarray = field(repr=False)
    surface: np.ndarray = field(repr=False)
    voxels: np.ndarray = field(repr=False)


#: Resolution of the voxel grids behind the volumetric IoU.
IOU_RESOLUTION = 32


def target_voxels(mesh, bound: float, resolution: int = IOU_RESOLUTION) -> np.ndarray:
    """(R, R, R) bool occupancy of a mesh over the cube ``[-bound, bound]^3``
    (:func:`sbsr.shapes.voxelize`: voxels whose centre is inside, plus voxels the surface touches, so thin
    parts never vanish); an empty mesh gives an empty grid."""
    if mesh is None or len(mesh.faces) == 0:
        return np.zeros((resolution,) * 3, dtype=bool)
    return voxelize(mesh, resolution, bounds=(np.full(3, -bound), np.full(3, bound)))


def pick_shape_ids(split, n: int, seed: int, azimuths: Sequence[float]) -> list[str]:
    """A seeded random pick of ``n`` shapes of ``split`` that have a sketch at every one of ``azimuths``."""
    have: dict[str, set[float]] = {}
    for sk in split.sketches:
        if sk.azimuth is not None:
            have.setdefault(sk.shape_id, set()).add(float(sk.azimuth))
    ok = [sid for sid in split.shape_ids if set(map(float, azimuths)) <= have.get(sid, set())]
    if len(ok) < n:
        raise ValueError(f"{split.name}/{split.category} has only {len(ok)} shapes with sketches at "
                         f"{list(azimuths)}, {n} requested")
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(ok), size=n, replace=False).tolist())
    return [ok[i] for i in picked]


def load_examples(split, shape_ids: Sequence[str], azimuths: Sequence[float], *, resolution: int, bound: float,
                  truncation: float, cache_dir: str | Path | None, n_surface: int = 2048,
                  sketch_size: int = 224) -> list[Example]:
    """The :class:`Example` of each shape id: mesh, sketches at ``azimuths``, SDF grid,
    ``n_surface`` exterior surface samples (seed 0) for the Chamfer distance and the voxels for the IoU."""
    out = []
    for sid in shape_ids:
        mesh = split.shapes[sid].load()
        sketches = {}
        for az in azimuths:
            recs = [s for s in split.sketches if s.shape_id == sid and s.azimuth is not None
                    and abs(float(s.azimuth) - float(az)) < 1e-6]
            if not recs:
                raise KeyError(f"shape {sid} has no sketch at azimuth {az}")
            sketches[float(az)] = recs[0].load(size=sketch_size)
        sdf = cached_sdf_target(mesh, resolution, bound, truncation, cache_dir)
        surface = sample_point_cloud(mesh, n_surface, seed=0)[0]
        out.append(Example(sid, mesh, sketches, sdf, surface, target_voxels(mesh, bound)))
    return out


__all__ = [
    "Example",
    "cached_sdf_target",
    "load_examples",
    "mesh_key",
    "pick_shape_ids",
    "sdf_target",
    "target_voxels",
    "training_chairs",
    "training_seed",
]
