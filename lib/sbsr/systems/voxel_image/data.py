"""Data of Ji & Wang §3.1: car voxels, renderings from KDE-sampled viewpoints on random colour
backgrounds, (voxel, positive image, negative image) triplets and an 80/20 split.

Offline the cars are the procedural ``car`` category (:mod:`sbsr.shapes.car`); ShapeNet cars
(synset 02958343) come through :func:`sbsr.data.shapenet.open_shapenet` when a ShapeNet folder is
given. ObjectNet3D's viewpoint annotations are not to be had, so the reference viewpoints are drawn
from a stated distribution concentrated at low elevation (:data:`VIEWPOINT_PRIOR`), and the
kernel density estimate of the paper is fitted to them (:class:`KDEViewpointSampler`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage, stats

from sbsr.data.meshes import load_mesh_file
from sbsr.data.shapenet import ShapeNetCore
from sbsr.io import atomic_path
from sbsr.render import Camera, render
from sbsr.shapes import generate_shape, voxelize

#: The stated reference distribution of photo viewpoints (degrees), standing in for ObjectNet3D's car
#: annotations: azimuth uniform on the circle; elevation |N(0, 9)| + 2 (most photos are taken from
#: about eye level, a few from above); in-plane rotation N(0, 8) (a slightly tilted camera).
VIEWPOINT_PRIOR = {"azimuth": "uniform(0, 360)", "elevation": "|N(0, 9)| + 2", "in_plane": "N(0, 8)"}
#: Ranges every sampled viewpoint lies in (rejection sampling of the KDE).
ELEVATION_RANGE = (-5.0, 60.0)
IN_PLANE_RANGE = (-40.0, 40.0)
#: Fig. 2 colours viewpoints by |in-plane rotation| below / at least this many degrees.
IN_PLANE_SPLIT = 15.0


def reference_viewpoints(n: int = 2000, seed: int = 0) -> np.ndarray:
    """(n, 3) azimuth, elevation, in-plane rotation drawn from :data:`VIEWPOINT_PRIOR`."""
    rng = np.random.default_rng([seed, 4004])
    az = rng.uniform(0.0, 360.0, n)
    el = np.abs(rng.normal(0.0, 9.0, n)) + 2.0
    roll = rng.normal(0.0, 8.0, n)
    return np.stack([az, el, roll], 1)


class KDEViewpointSampler:
    """A Gaussian kernel density estimate (:class:`scipy.stats.gaussian_kde`) of reference viewpoints,
    sampled with rejection into :data:`ELEVATION_RANGE` x :data:`IN_PLANE_RANGE` (azimuth wraps).

    The azimuth enters the KDE as (cos, sin) so that the density is continuous across 0/360 degrees.
    """

    def __init__(self, reference: np.ndarray, bw_method: float | str | None = None):
        ref = np.asarray(reference, float)
        if ref.ndim != 2 or ref.shape[1] != 3 or len(ref) < 5:
            raise ValueError(f"reference viewpoints must be (n>=5, 3) azimuth/elevation/in-plane, got {ref.shape}")
        a = np.radians(ref[:, 0])
        self._kde = stats.gaussian_kde(np.stack([np.cos(a), np.sin(a), ref[:, 1], ref[:, 2]]), bw_method=bw_method)

    def sample(self, n: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """(n, 3) azimuth in [0, 360), elevation and in-plane rotation in their ranges; seeded."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        out = np.empty((0, 3))
        while len(out) < n:
            x = self._kde.resample(max(2 * n, 64), seed=rng)
            az = np.degrees(np.arctan2(x[1], x[0])) % 360.0
            pts = np.stack([az, x[2], x[3]], 1)
            ok = ((pts[:, 1] >= ELEVATION_RANGE[0]) & (pts[:, 1] <= ELEVATION_RANGE[1])
                  & (pts[:, 2] >= IN_PLANE_RANGE[0]) & (pts[:, 2] <= IN_PLANE_RANGE[1]))
            out = np.concatenate([out, pts[ok]])
        return out[:n]


def sphere_points(viewpoints: np.ndarray) -> np.ndarray:
    """Camera positions on the unit sphere (+Y up, azimuth 0 on +Z) of (azimuth, elevation, ...) rows."""
    a, e = np.radians(viewpoints[:, 0]), np.radians(viewpoints[:, 1])
    return np.stack([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)], 1)


def voxel_channels(occupancy: np.ndarray) -> np.ndarray:
    """(..., 2, R, R, R) float32 from (..., R, R, R) occupancy: occupied and empty one-hot channels. Table 1's voxel input has two channels
    (96x96x96x2) without saying what they hold; this is the one-hot occupancy of 3D-R2N2 [3], whose code
    the authors started from."""
    occ = np.asarray(occupancy, bool)
    return np.stack([occ, ~occ], axis=-4).astype(np.float32)


def render_view(shape, azimuth: float, elevation: float, in_plane: float, size: int,
                rng: np.random.Generator) -> np.ndarray:
    """(size, size, 3) uint8 shaded rendering on a random uniform colour background, rotated in the
    image plane by ``in_plane`` degrees (the camera's roll)."""
    cam = Camera(azimuth=float(azimuth), elevation=float(elevation), image_size=int(size), distance=1.7)
    res = render(shape, cam, outputs=("rgb",), base_color=tuple(rng.uniform(0.3, 0.95, size=3)))
    rgb = res.rgb.astype(np.float32)
    mask = res.mask.astype(np.float32)
    if in_plane:
        rgb = ndimage.rotate(rgb, in_plane, axes=(0, 1), reshape=False, order=1, mode="nearest")
        mask = ndimage.rotate(mask, in_plane, axes=(0, 1), reshape=False, order=1, mode="constant", cval=0.0)
    background = rng.uniform(0, 255, size=3).astype(np.float32)
    out = mask[..., None] * rgb + (1 - mask[..., None]) * background
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


@dataclass
class CarData:
    """Voxel occupancy (N,R,R,R) bool of N cars (see :func:`voxel_channels` for the network input), images (N,V,S,S,3) uint8 (V views each), viewpoints
    (N,V,3), car ids, sub-types and the 80/20 split (``train``/``test`` index arrays)."""

    voxels: np.ndarray
    images: np.ndarray
    viewpoints: np.ndarray
    shape_ids: list[str]
    subtypes: list[str]
    train: np.ndarray
    test: np.ndarray
    source: str

    @property
    def n(self) -> int:
        return len(self.shape_ids)


def split_80_20(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded permutation cut 80/20 (train, test), each sorted."""
    perm = np.random.default_rng([seed, 8020]).permutation(n)
    k = int(round(0.8 * n))
    return np.sort(perm[:k]), np.sort(perm[k:])


def build_car_data(n_cars: int, views: int, voxel_res: int, image_size: int, seed: int = 0,
                   meshes=None, progress=None) -> CarData:
    """Voxelise and render ``n_cars`` cars (procedural ``car`` shapes of collection ``seed``, or the
    given ``meshes``: (id, mesh) pairs, e.g. ShapeNet cars), ``views`` KDE viewpoints each."""
    sampler = KDEViewpointSampler(reference_viewpoints(seed=seed))
    if meshes is None:
        meshes = [(None, generate_shape("car", seed, i)) for i in range(n_cars)]
        source = f"procedural car (seed {seed})"
    else:
        meshes = list(meshes)[:n_cars]
        source = "given meshes (e.g. ShapeNetCore v2 cars, synset 02958343)"
    vox, imgs, vps, ids, subs = [], [], [], [], []
    it = progress(meshes, desc="voxels and views") if progress else meshes
    for k, (mid, mesh) in enumerate(it):
        rng = np.random.default_rng([seed, k, 4])
        vp = sampler.sample(views, rng)
        vox.append(voxelize(mesh, voxel_res))
        imgs.append(np.stack([render_view(mesh, *v, image_size, rng) for v in vp]))
        vps.append(vp)
        ids.append(mid or getattr(mesh, "shape_id", f"mesh-{k}"))
        subs.append(mesh.params["body_type"] if hasattr(mesh, "params") else "unknown")
    train, test = split_80_20(len(ids), seed)
    return CarData(np.stack(vox), np.stack(imgs), np.stack(vps), ids, subs, train, test, source)


def shapenet_car_meshes(root: str | Path, limit: int | None = None):
    """(shape id, normalised mesh) pairs of ShapeNet cars through the existing adapter."""
    sn = ShapeNetCore(root)
    ids = sn.shape_ids("car")[:limit]
    return [(sid, load_mesh_file(sn.mesh_path("car", sid))) for sid in ids]


def load_or_build(cache_dir: str | Path, **kwargs) -> CarData:
    """:func:`build_car_data` cached as one ``.npz`` under ``cache_dir/voxel_image/`` (atomic write),
    keyed by the arguments."""
    spec = {k: v for k, v in kwargs.items() if k not in ("progress", "meshes")}
    if kwargs.get("meshes") is not None:  # real meshes: keyed by their ids
        kwargs["meshes"] = list(kwargs["meshes"])
        spec["mesh_ids"] = [str(mid) for mid, _ in kwargs["meshes"]]
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(cache_dir) / "voxel_image" / f"cars-{key}.npz"
    if path.is_file():
        z = np.load(path, allow_pickle=False)
        meta = json.loads(str(z["meta"]))
        return CarData(z["voxels"], z["images"], z["viewpoints"], meta["ids"], meta["subtypes"], z["train"],
                       z["test"], meta["source"])
    data = build_car_data(**kwargs)
    meta = json.dumps({"ids": data.shape_ids, "subtypes": data.subtypes, "source": data.source})
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, voxels=data.voxels,
                                images=data.images, viewpoints=data.viewpoints, train=data.train, test=data.test,
                                meta=np.array(meta))
    return data


def sample_triplets(indices: np.ndarray, views: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """(batch, 4) rows (car, positive view, negative car, negative view): the voxel of ``car``, one of
    its images, and an image of a different car, all among ``indices``."""
    idx = np.asarray(indices)
    if len(idx) < 2:
        raise ValueError("triplets need at least two cars")
    a = rng.choice(idx, size=batch, replace=len(idx) < batch)
    shift = rng.integers(1, len(idx), size=batch)
    pos_in = np.searchsorted(idx, a)
    neg = idx[(pos_in + shift) % len(idx)]
    return np.stack([a, rng.integers(0, views, batch), neg, rng.integers(0, views, batch)], 1)
