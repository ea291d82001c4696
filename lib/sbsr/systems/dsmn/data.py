"""The two benchmarks of Song et al. 2023 (§4.1), as procedural stand-ins, and an adapter for the real MI3DOR.

MI3DOR (SHREC 2019) pairs 21,000 labelled ImageNet photographs with 7,690 unlabelled 3D models (21 classes),
half of each for training; MI3DOR-2 pairs 19,694 Google images with 3,982 ModelNet40 models (40 classes),
with cleaner image backgrounds. Neither is available offline, so the book builds two benchmarks **in their
shape** from the procedural categories (:data:`sbsr.shapes.CATEGORIES`):

* **labelled 2D "natural" images**: one procedural object per image, randomly coloured and lit by
  :func:`sbsr.render.render_natural`, seen from a random azimuth, elevation and distance. The cluttered
  benchmark (the MI3DOR stand-in) composites the object over photo crops and textures, adds one or two
  smaller *distractor objects of other classes* behind it (background semantics, what the semantic focus loss
  is meant to suppress) and sometimes an occluder over it. The clean benchmark (the MI3DOR-2 stand-in) uses
  plain gradient backgrounds and no clutter, and has more 3D models per class.
* **unlabelled 3D models**: other objects of the same classes, each rendered as 12 Phong-shaded grey views
  on white, cameras at 30° elevation every 30° of azimuth (§3.2, MVCNN-style).

Every item is a pure function of (benchmark spec, split, class, index), so images can be re-rendered on
demand for figures; the backbone features of a whole benchmark are cached in one file under the cache folder.

:func:`load_mi3dor_folder` reads the real MI3DOR folder layout (the file lists of tianbao-li/MI3DOR:
``list_source_train.txt``, ``list_target_train.txt``, ``list_source_test.txt``, ``list_target_test.txt``,
one ``relative/path label`` per line, a model's views on consecutive lines) into the same interface.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from PIL import Image

from sbsr.io import atomic_path
from sbsr.render import Camera, rasterize, render, render_natural
from sbsr.render.natural import BACKGROUND_KINDS, _random_color
from sbsr.render.shading import face_normals_camera
from sbsr.shapes import CATEGORIES, generate_shape

SPLITS = ("train", "test")
N_VIEWS = 12
VIEW_ELEVATION = 30.0
MI3DOR_LISTS = {("image", "train"): "list_source_train.txt", ("model", "train"): "list_target_train.txt",
                ("image", "test"): "list_source_test.txt", ("model", "test"): "list_target_test.txt"}


@dataclass(frozen=True)
class BenchmarkSpec:
    """A procedural benchmark in the shape of MI3DOR: sizes per class and split, and the image style."""

    name: str                       # e.g. "mi3dor-procedural"
    stands_in_for: str              # "MI3DOR" or "MI3DOR-2" (the category of the published tables)
    cluttered: bool                 # photo/texture backgrounds, distractor objects and occluders
    images_per_class: tuple[int, int]  # (train, test) labelled 2D images per class
    models_per_class: tuple[int, int]  # (train, test) unlabelled 3D models per class
    categories: tuple[str, ...] = CATEGORIES
    background_alpha: float = 0.3   # background faded towards white (1 = as rendered, 0 = white)
    max_distractors: int = 1        # cluttered: 0..max distractor objects of other classes
    image_size: int = 128           # pixels (the backbone's input size)
    n_views: int = N_VIEWS
    view_elevation: float = VIEW_ELEVATION
    seed: int = 0

    def __post_init__(self):
        for what in ("images_per_class", "models_per_class"):
            v = tuple(int(x) for x in getattr(self, what))
            if len(v) != 2 or min(v) < 1:
                raise ValueError(f"BenchmarkSpec.{what} must be two positive counts (train, test), got {v}")
            object.__setattr__(self, what, v)
        unknown = set(self.categories) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories {sorted(unknown)}; expected some of {CATEGORIES}")
        object.__setattr__(self, "categories", tuple(self.categories))

    @property
    def key(self) -> str:
        """A short hash of everything the rendered items depend on (cache file names)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        (ti, si), (tm, sm) = self.images_per_class, self.models_per_class
        style = (f"photo/texture backgrounds faded to {self.background_alpha:g}, up to {self.max_distractors} "
                 "distractor object(s), occluders" if self.cluttered
                 else f"clean gradient backgrounds faded to {self.background_alpha:g}")
        return (f"{self.name} (procedural stand-in for {self.stands_in_for}): {len(self.categories)} classes, "
                f"{ti}+{si} images and {tm}+{sm} models per class (train+test), {style}, "
                f"{self.n_views} Phong views at {self.view_elevation:g}°, {self.image_size} px")


#: The two benchmarks at each profile (quick: CI on two CPU cores; full: a GPU run).
BENCHMARKS: dict[str, dict[str, BenchmarkSpec]] = {
    "quick": {
        "MI3DOR": BenchmarkSpec("mi3dor-procedural", "MI3DOR", True, (20, 8), (6, 6)),
        "MI3DOR-2": BenchmarkSpec("mi3dor2-procedural", "MI3DOR-2", False, (20, 4), (10, 8), background_alpha=0.15,
                                  seed=1),
    },
    "full": {
        "MI3DOR": BenchmarkSpec("mi3dor-procedural", "MI3DOR", True, (100, 100), (36, 36)),
        "MI3DOR-2": BenchmarkSpec("mi3dor2-procedural", "MI3DOR-2", False, (100, 10), (80, 20), background_alpha=0.15,
                                  seed=1),
    },
}


def benchmark_spec(which: str, profile: str = "quick", **overrides) -> BenchmarkSpec:
    """The spec of ``which`` ("MI3DOR" or "MI3DOR-2") at ``profile``, with fields replaced by ``overrides``."""
    if profile not in BENCHMARKS:
        raise ValueError(f"unknown profile {profile!r}; expected one of {list(BENCHMARKS)}")
    if which not in BENCHMARKS[profile]:
        raise ValueError(f"unknown benchmark {which!r}; expected one of {list(BENCHMARKS[profile])}")
    return replace(BENCHMARKS[profile][which], **overrides)


# --- rendering ----------------------------------------------------------------------------------------------
def phong_view(mesh, camera: Camera, albedo=(0.72, 0.72, 0.72), ambient: float = 0.25, diffuse: float = 0.65,
               specular: float = 0.35, shininess: float = 24.0) -> np.ndarray:
    """One view of ``mesh`` with the Phong reflection model (flat per face, headlight-style key light above
    the camera), grey albedo on white: (S, S, 3) uint8, S = ``camera.image_size``."""
    raster = rasterize(mesh, camera)
    normals = face_normals_camera(raster)                              # (F, 3) camera space, towards viewer
    light = np.array([0.3, 0.5, 1.0])
    light /= np.linalg.norm(light)
    view = np.array([0.0, 0.0, 1.0])
    ndl = np.clip(normals @ light, 0.0, None)
    reflect = 2.0 * ndl[:, None] * normals - light                    # mirror direction of the light
    spec = np.clip(reflect @ view, 0.0, None) ** shininess * (ndl > 0)
    rgb = np.clip(np.asarray(albedo) * (ambient + diffuse * ndl)[:, None] + specular * spec[:, None], 0, 1)
    size = camera.image_size
    img = np.full((size, size, 3), 255, dtype=np.uint8)
    img[raster.mask] = np.round(rgb[raster.face[raster.mask]] * 255).astype(np.uint8)
    return img


def model_views(mesh, size: int = 128, n_views: int = N_VIEWS, elevation: float = VIEW_ELEVATION) -> np.ndarray:
    """The §3.2 multi-view rendering: ``n_views`` Phong views at ``elevation``, azimuths every 360/n degrees:
    (n_views, size, size, 3) uint8."""
    step = 360.0 / n_views
    return np.stack([phong_view(mesh, Camera(azimuth=k * step, elevation=elevation, image_size=size))
                     for k in range(n_views)])


def _paste(img: np.ndarray, layer: np.ndarray, mask: np.ndarray, where: np.ndarray) -> np.ndarray:
    keep = mask & where
    out = img.copy()
    out[keep] = layer[keep]
    return out


def natural_image(mesh, rng: np.random.Generator, size: int = 128, cluttered: bool = True,
                  distractors: list | None = None, background_alpha: float = 1.0) -> np.ndarray:
    """A labelled "natural" image of ``mesh``: (size, size, 3) uint8.

    Clean: :func:`render_natural` over a gradient background. Cluttered: over photo crops and textures,
    with each mesh of ``distractors`` rendered smaller, off-centre, *behind* the object, and with probability
    1/2 a flat occluder (a coloured rectangle or ellipse) over part of the object. Everything but the object
    is then faded towards white: ``alpha * pixel + (1 - alpha) * white`` with ``alpha = background_alpha``.
    """
    camera = Camera(azimuth=rng.uniform(0, 360), elevation=rng.uniform(0, 40), distance=rng.uniform(2.1, 3.0),
                    image_size=size)
    raster = rasterize(mesh, camera)
    kinds = BACKGROUND_KINDS if cluttered else ("gradient",)
    img = render_natural(mesh, camera, rng, raster=raster, background_kinds=kinds,
                         photo_probability=0.6 if cluttered else 0.0)
    obj = raster.mask
    if not cluttered:
        return _fade(img, obj, background_alpha)
    for other in distractors or ():
        cam = Camera(azimuth=rng.uniform(0, 360), elevation=rng.uniform(0, 40), distance=rng.uniform(3.5, 5.0),
                     image_size=size)
        res = render(other, cam, outputs=("rgb",), base_color=tuple(_random_color(rng)), ambient=rng.uniform(0.3, 0.5))
        shift = (rng.uniform(-0.35, 0.35, 2) * size).astype(int)
        layer, mask = np.roll(res.rgb, shift, axis=(0, 1)), np.roll(res.mask, shift, axis=(0, 1))
        img = _paste(img, layer, mask, ~obj)
    if rng.random() < 0.5 and obj.any():
        ys, xs = np.nonzero(obj)
        cy, cx = rng.choice(ys), rng.choice(xs)
        h, w = rng.uniform(0.12, 0.3, 2) * size
        yy, xx = np.mgrid[0:size, 0:size]
        if rng.random() < 0.5:
            occ = (np.abs(yy - cy) < h / 2) & (np.abs(xx - cx) < w / 2)
        else:
            occ = ((yy - cy) / (h / 2)) ** 2 + ((xx - cx) / (w / 2)) ** 2 < 1
        color = np.round(_random_color(rng) * 255).astype(np.uint8)
        img = _paste(img, np.broadcast_to(color, img.shape), occ, np.ones_like(occ))
        obj = obj & ~occ
    return _fade(img, obj, background_alpha)


def _fade(img: np.ndarray, keep: np.ndarray, alpha: float) -> np.ndarray:
    if alpha >= 1.0:
        return img
    faded = np.round(alpha * img.astype(np.float64) + (1.0 - alpha) * 255.0).astype(np.uint8)
    return np.where(keep[..., None], img, faded)


# --- the benchmark interface ---------------------------------------------------------------------------------
@dataclass
class Benchmark:
    """Items of one benchmark. ``images`` and ``models`` are tables with columns ``split``, ``label`` (int),
    ``category``; :meth:`image` / :meth:`views` return an item's pixels ((S,S,3) / (V,S,S,3) uint8)."""

    name: str
    stands_in_for: str
    key: str
    class_names: tuple[str, ...]
    images: pd.DataFrame
    models: pd.DataFrame
    load_image: Callable[[int], np.ndarray] = field(repr=False)
    load_views: Callable[[int], np.ndarray] = field(repr=False)
    description: str = ""

    def image(self, i: int) -> np.ndarray:
        return self.load_image(int(i))

    def views(self, j: int) -> np.ndarray:
        return self.load_views(int(j))

    def split(self, kind: str, split: str) -> np.ndarray:
        """Row indices of ``kind`` ("image" | "model") in ``split``."""
        table = {"image": self.images, "model": self.models}[kind]
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        return np.flatnonzero(table["split"].to_numpy() == split)


def _items(spec: BenchmarkSpec, per_class: tuple[int, int]) -> pd.DataFrame:
    rows = []
    for split, n in zip(SPLITS, per_class):
        for label, cat in enumerate(spec.categories):
            offset = 0 if split == "train" else per_class[0]
            rows += [{"split": split, "label": label, "category": cat, "index": offset + k} for k in range(n)]
    return pd.DataFrame(rows)


def _item_seed(spec: BenchmarkSpec, kind: str, i: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([spec.seed, {"image": 1, "model": 2}[kind], int(i)])


def procedural_benchmark(spec: BenchmarkSpec) -> Benchmark:
    """The benchmark of ``spec``: image objects come from collection seed ``10 * seed + 1`` and models from
    ``10 * seed + 2`` (different objects, as photographs and CAD models are in MI3DOR)."""
    images, models = _items(spec, spec.images_per_class), _items(spec, spec.models_per_class)

    def load_image(i: int) -> np.ndarray:
        row = images.iloc[i]
        mesh = generate_shape(row["category"], 10 * spec.seed + 1, int(row["index"]))
        rng = np.random.default_rng(_item_seed(spec, "image", i))
        others = [c for c in spec.categories if c != row["category"]]
        n_distract = int(rng.integers(0, spec.max_distractors + 1)) if spec.cluttered and others else 0
        distractors = [generate_shape(others[rng.integers(len(others))], 10 * spec.seed + 3, int(rng.integers(1000)))
                       for _ in range(n_distract)]
        return natural_image(mesh, rng, spec.image_size, spec.cluttered, distractors, spec.background_alpha)

    def load_views(j: int) -> np.ndarray:
        row = models.iloc[j]
        mesh = generate_shape(row["category"], 10 * spec.seed + 2, int(row["index"]))
        return model_views(mesh, spec.image_size, spec.n_views, spec.view_elevation)

    return Benchmark(spec.name, spec.stands_in_for, spec.key, spec.categories, images, models, load_image,
                     load_views, spec.describe())


# --- the real MI3DOR folder ----------------------------------------------------------------------------------
def _read_list(path: Path) -> list[tuple[str, int]]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing MI3DOR file list (expected 'relative/path label' per line)")
    out = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise ValueError(f"{path}, line {n}: expected 'relative/path label', got {line!r}")
        out.append((parts[0], int(parts[1])))
    return out


def _load_rgb(path: Path, size: int) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: image listed in the MI3DOR file lists does not exist")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB").resize((size, size), Image.BILINEAR))
    except OSError as exc:
        raise ValueError(f"{path}: not a readable image ({exc})") from None


def load_mi3dor_folder(root: str | os.PathLike, n_views: int = N_VIEWS, image_size: int = 128,
                       name: str = "MI3DOR", class_names: tuple[str, ...] | None = None) -> Benchmark:
    """The real MI3DOR (or MI3DOR-2) folder in the layout of tianbao-li/MI3DOR: four file lists under
    ``root`` (:data:`MI3DOR_LISTS`), paths relative to ``root``; a 3D model is ``n_views`` consecutive lines of
    the target lists with one label. Images are resized to ``image_size``."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: MI3DOR folder not found")
    img_rows, img_paths, mod_rows, mod_paths = [], [], [], []
    for (kind, split), fname in MI3DOR_LISTS.items():
        entries = _read_list(root / fname)
        if kind == "image":
            img_rows += [{"split": split, "label": lab} for _, lab in entries]
            img_paths += [root / p for p, _ in entries]
            continue
        if len(entries) % n_views:
            raise ValueError(f"{root / fname}: {len(entries)} lines is not a multiple of n_views={n_views}")
        for start in range(0, len(entries), n_views):
            group = entries[start:start + n_views]
            labels = {lab for _, lab in group}
            if len(labels) != 1:
                raise ValueError(f"{root / fname}, lines {start + 1}-{start + n_views}: the views of one model "
                                 f"carry different labels {sorted(labels)}")
            mod_rows.append({"split": split, "label": group[0][1]})
            mod_paths.append([root / p for p, _ in group])
    n_classes = 1 + max(r["label"] for r in img_rows + mod_rows)
    names = tuple(class_names) if class_names else tuple(f"class {c}" for c in range(n_classes))
    if len(names) < n_classes:
        raise ValueError(f"{len(names)} class names for {n_classes} labels")
    images, models = pd.DataFrame(img_rows), pd.DataFrame(mod_rows)
    images["category"] = [names[k] for k in images["label"]]
    models["category"] = [names[k] for k in models["label"]]
    digest = hashlib.sha256()
    for fname in MI3DOR_LISTS.values():
        digest.update((root / fname).read_bytes())
    digest.update(f"{n_views}/{image_size}".encode())
    return Benchmark(name, name, digest.hexdigest()[:16], names, images, models,
                     lambda i: _load_rgb(img_paths[i], image_size),
                     lambda j: np.stack([_load_rgb(p, image_size) for p in mod_paths[j]]),
                     f"{name} folder {root}: {len(images)} images, {len(models)} models of {n_views} views")


# --- backbone features, cached ---------------------------------------------------------------------------------
@dataclass
class BenchmarkFeatures:
    """Frozen-backbone features: ``images`` (N, D) and ``models`` (M, V, D) float32, in benchmark row order."""

    images: np.ndarray
    models: np.ndarray
    backbone: str


def encode_benchmark(bench: Benchmark, encode: Callable[[np.ndarray], np.ndarray], backbone_id: str,
                     cache_dir: str | os.PathLike | None = None, progress=None, chunk: int = 64) -> BenchmarkFeatures:
    """Features of every image and model view of ``bench`` from ``encode`` ((B,S,S,3) uint8 -> (B, D)),
    cached in ``<cache_dir>/dsmn/<bench.key>-<backbone hash>.npz`` (written atomically; a damaged file is
    recomputed)."""
    path = None
    if cache_dir is not None:
        tag = hashlib.sha256(backbone_id.encode()).hexdigest()[:12]
        path = Path(cache_dir) / "dsmn" / f"{bench.name}-{bench.key}-{tag}.npz"
        if path.is_file():
            try:
                with np.load(path) as z:
                    if str(z["backbone"]) == backbone_id:
                        return BenchmarkFeatures(z["images"], z["models"], backbone_id)
            except (OSError, ValueError, KeyError):
                pass  # damaged: recompute below
    n_img, n_mod = len(bench.images), len(bench.models)
    wrap = progress or (lambda it, **kw: it)
    img_feats = []
    for start in wrap(range(0, n_img, chunk), desc=f"{bench.name} images"):
        img_feats.append(encode(np.stack([bench.image(i) for i in range(start, min(n_img, start + chunk))])))
    per = max(1, chunk // 12)
    mod_feats = []
    for start in wrap(range(0, n_mod, per), desc=f"{bench.name} models"):
        views = [bench.views(j) for j in range(start, min(n_mod, start + per))]
        v = views[0].shape[0]
        f = encode(np.concatenate(views))
        mod_feats.append(f.reshape(len(views), v, -1))
    feats = BenchmarkFeatures(np.concatenate(img_feats).astype(np.float32),
                              np.concatenate(mod_feats).astype(np.float32), backbone_id)
    if path is not None:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, images=feats.images, models=feats.models, backbone=np.array(backbone_id))
    return feats


def minclip_pooled_encoder(encoder, batch_size: int = 64) -> Callable[[np.ndarray], np.ndarray]:
    """``encode`` for :func:`encode_benchmark` from a :class:`sbsr.encoders.Encoder`: its ``layer4`` tap,
    average-pooled over space (the analogue of ResNet-50's pooled 2048-d feature, §4.3)."""
    def encode(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return encoder.encode(batch, tap="layer4", batch_size=batch_size).mean(dim=(2, 3)).numpy()
    return encode


__all__ = ["BENCHMARKS", "MI3DOR_LISTS", "N_VIEWS", "SPLITS", "Benchmark", "BenchmarkFeatures", "BenchmarkSpec",
           "benchmark_spec", "encode_benchmark", "load_mi3dor_folder", "minclip_pooled_encoder", "model_views",
           "natural_image", "phong_view", "procedural_benchmark"]
