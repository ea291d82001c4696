"""Sources and targets for joint retrieval and deformation (Uy et al. 2021, §3), from the procedural generator.

Per class (chair, table, cabinet) a *source database* and disjoint *train* and *test targets* are drawn from
:func:`sbsr.shapes.generate_shape` with different generator seeds (so no target is a source). Every shape is
normalised like ShapeNetCore v2 (bounding box centred at the origin, unit diagonal; done by the generator),
and represented by ``n_points`` area-uniform exterior surface samples with their part labels
(:func:`sbsr.shapes.sample_point_cloud`). A source's *parts* are its semantic parts present (seat, back, legs,
...): their number varies between sources (3 to 6), as the paper's PartNet / ComplementMe segmentations do.
Targets are also given as rendered RGB images (:func:`sbsr.render.render`, the image-to-mesh benchmark of
Table 1) from ``n_views`` seeded camera azimuths, and, for Fig. 3, as natural-image composites
(:func:`sbsr.render.render_natural`).

Everything is cached in one ``.npz`` per (class, sizes, seed) under ``cache_dir``, written atomically.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...io import atomic_path
from ...render import Camera, render, render_natural
from ...shapes import generate_shape, sample_point_cloud

CLASSES = ("chair", "table", "cabinet")
#: generator seeds of the three disjoint pools (sources, train targets, test targets)
POOL_SEEDS = {"source": 101, "train": 202, "test": 303}
ELEVATION = 20.0
AZIMUTH_RANGE = (15.0, 75.0)  # the object's front-left quarter (the shapes are bilaterally symmetric)


@dataclass
class ShapeSet:
    """One pool of shapes of a class.

    ``points`` (N,P,3) float32 surface samples, ``labels`` (N,P) int64 part index *within the shape*
    (0..n_parts-1), ``n_parts`` (N,), ``part_names`` per shape, ``ids`` shape ids, ``images`` (N,V,H,W,3)
    uint8 renderings (None for sources) and ``azimuths`` (N,V).
    """

    ids: list[str]
    points: np.ndarray
    labels: np.ndarray
    n_parts: np.ndarray
    part_names: list[list[str]]
    images: np.ndarray | None
    azimuths: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class ClassData:
    """The database and the targets of one class."""

    category: str
    sources: ShapeSet
    train: ShapeSet
    test: ShapeSet
    seed: int

    def fingerprint(self) -> str:
        """sha256 of the arrays (the training data a checkpoint was trained on)."""
        h = hashlib.sha256()
        for s in (self.sources, self.train, self.test):
            h.update(np.ascontiguousarray(s.points).tobytes())
            h.update(np.ascontiguousarray(s.labels).tobytes())
            if s.images is not None:
                h.update(np.ascontiguousarray(s.images).tobytes())
        return h.hexdigest()


def shape_points(shape, n_points: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(P,3) surface samples, (P,) part index within the shape (0..k-1, in the order of the class
    vocabulary) and the names of the k parts present."""
    pts, _, lab = sample_point_cloud(shape, n_points, seed=seed)
    present = sorted(set(int(x) for x in lab))
    remap = {p: i for i, p in enumerate(present)}
    local = np.array([remap[int(x)] for x in lab], np.int64)
    return pts.astype(np.float32), local, [shape.part_names[p] for p in present]


def render_target(shape, azimuth: float, image_size: int) -> np.ndarray:
    """(H,W,3) uint8 textureless rendering of ``shape`` from ``azimuth`` (elevation 20°)."""
    cam = Camera(azimuth=float(azimuth), elevation=ELEVATION, image_size=int(image_size))
    return render(shape, cam, outputs=("rgb",)).rgb


def natural_target(shape, azimuth: float, image_size: int, seed: int) -> np.ndarray:
    """(H,W,3) uint8 natural-image composite of ``shape`` (random colours, lighting and background)."""
    cam = Camera(azimuth=float(azimuth), elevation=ELEVATION, image_size=int(image_size))
    return render_natural(shape, cam, rng=seed)


def build_pool(category: str, pool: str, n: int, n_points: int, n_views: int, image_size: int,
               seed: int) -> ShapeSet:
    """``n`` shapes of ``category`` from the generator seed of ``pool`` (offset by ``seed``)."""
    if pool not in POOL_SEEDS:
        raise ValueError(f"unknown pool {pool!r}; expected one of {tuple(POOL_SEEDS)}")
    gen_seed = POOL_SEEDS[pool] + 1000 * int(seed)
    rng = np.random.default_rng([gen_seed, len(category)])
    ids, pts, labs, nparts, names, imgs, azs = [], [], [], [], [], [], []
    for i in range(int(n)):
        shape = generate_shape(category, gen_seed, i)
        p, lab, nm = shape_points(shape, n_points, seed=i)
        ids.append(shape.shape_id)
        pts.append(p)
        labs.append(lab)
        nparts.append(len(nm))
        names.append(nm)
        if pool != "source":
            az = rng.uniform(*AZIMUTH_RANGE, size=n_views)
            azs.append(az)
            imgs.append(np.stack([render_target(shape, a, image_size) for a in az]))
    return ShapeSet(ids, np.stack(pts), np.stack(labs), np.array(nparts, np.int64), names,
                    np.stack(imgs) if imgs else None, np.stack(azs) if azs else None)


def _save(path: Path, data: ClassData) -> None:
    arrays, meta = {}, {"category": data.category, "seed": data.seed}
    for pool in ("sources", "train", "test"):
        s = getattr(data, pool)
        arrays[f"{pool}_points"] = s.points
        arrays[f"{pool}_labels"] = s.labels
        arrays[f"{pool}_n_parts"] = s.n_parts
        if s.images is not None:
            arrays[f"{pool}_images"] = s.images
            arrays[f"{pool}_azimuths"] = s.azimuths
        meta[pool] = {"ids": s.ids, "part_names": s.part_names}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def _load(path: Path) -> ClassData:
    try:
        with np.load(path) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            pools = {}
            for pool in ("sources", "train", "test"):
                pools[pool] = ShapeSet(meta[pool]["ids"], z[f"{pool}_points"], z[f"{pool}_labels"],
                                       z[f"{pool}_n_parts"], meta[pool]["part_names"],
                                       z[f"{pool}_images"] if f"{pool}_images" in z else None,
                                       z[f"{pool}_azimuths"] if f"{pool}_azimuths" in z else None)
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable retrieval-deformation cache ({exc}); delete it to rebuild") from exc
    return ClassData(meta["category"], pools["sources"], pools["train"], pools["test"], int(meta["seed"]))


def load_class(category: str, n_sources: int, n_train: int, n_test: int, n_points: int = 512,
               n_views: int = 2, image_size: int = 64, seed: int = 0,
               cache_dir: str | Path | None = None) -> ClassData:
    """The sources and targets of ``category`` (module docstring), from ``cache_dir`` when cached there."""
    if category not in CLASSES:
        raise ValueError(f"unknown class {category!r}; the paper's classes are {CLASSES}")
    key = f"{category}-S{n_sources}-T{n_train}-E{n_test}-P{n_points}-V{n_views}-I{image_size}-s{seed}"
    path = Path(cache_dir) / "retrieval_deformation" / f"{key}.npz" if cache_dir is not None else None
    if path is not None and path.is_file():
        return _load(path)
    data = ClassData(
        category,
        build_pool(category, "source", n_sources, n_points, n_views, image_size, seed),
        build_pool(category, "train", n_train, n_points, n_views, image_size, seed),
        build_pool(category, "test", n_test, n_points, 1, image_size, seed),
        int(seed))
    if path is not None:
        _save(path, data)
    return data


def source_shape(data: ClassData, index: int):
    """The mesh of source ``index`` (rebuilt from its id: the generator is deterministic)."""
    return _shape_from_id(data.sources.ids[index])


def target_shape(data: ClassData, pool: str, index: int):
    return _shape_from_id(getattr(data, pool).ids[index])


def _shape_from_id(sid: str):
    category, s, idx = sid.rsplit("-", 2)
    return generate_shape(category, int(s[1:]), int(idx))


__all__ = ["CLASSES", "ClassData", "ShapeSet", "build_pool", "load_class", "natural_target", "render_target",
           "shape_points", "source_shape", "target_shape"]
