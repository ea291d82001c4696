"""Procedural scenes for SketchyDepth (thesis §3.3, §3.4.1): the stand-in for SketchyCOCO + MiDaS depth.

A scene is a ground plane (grass) under a sky, background objects (trees, bushes, clouds) and 0-3 foreground
objects from the procedural shape categories standing on the ground, seen by a perspective
:class:`sbsr.render.Camera`. For each scene we keep

* ``rgb`` (N,S,S,3) uint8: textured ground and sky, Lambert-shaded objects (:func:`sbsr.render.shading.shade`);
* ``depth`` (N,S,S) float32: the TRUE view depth from the z-buffer (ground by ray/plane intersection, objects
  by :func:`sbsr.render.rasterize`), clipped at :data:`FAR` (the sky);
* ``sketch_fg`` / ``sketch_bg`` (N,S,S) uint8: the scene sketch split into the foreground objects' strokes
  (the freehand-sketch simulator :func:`sbsr.sketch.simulate_sketch`, placed on the object's box) and the
  coarse background class strokes SketchyCOCO uses (tree/bush/cloud outlines, grass tufts, the horizon);
* ``classes`` / ``instances`` (N,S,S) int8 masks (:data:`CLASSES`; instance 0 = none);
* ``partial`` (N,S,S,3) uint8: the sketch with the foreground objects' image regions pasted in (§3.3);
* ``kind``: "fb" (foreground + background) or "bo" (background only), as split in §3.4.3;
* ``split``: train / validation / test in the thesis' proportions (test 20 %, then 85/15).

Object sketches come from a bank of ``bank_size`` sketched objects reused across scenes (as SketchyCOCO
reuses its object sketches), which keeps generation to seconds. Everything is a function of the config
(seeded), materialised once into ``<cache_dir>/sketchy_depth/<key>.npz`` with an atomic write.
"""

from __future__ import annotations

import colorsys
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from ...io import atomic_path
from ...render import Camera, draw_polylines, mask_outline, rasterize
from ...render.shading import shade
from ...shapes import generate_shape
from ...sketch import simulate_sketch
from ...sketch.strokes import bounding_box, transform_strokes, wobble_polyline

#: Depth of the sky (world units): every depth is clipped here and normalised by it.
FAR = 30.0
#: Height of the ground plane (the camera looks at the origin from above it).
GROUND_Y = -0.5
#: Class ids of the masks.
CLASSES = {"sky": 0, "grass": 1, "tree": 2, "bush": 3, "cloud": 4, "object": 5}
#: Foreground categories (procedural stand-ins for SketchyCOCO's 14 foreground classes).
FOREGROUND_CATEGORIES = ("chair", "table", "sofa", "lamp", "cabinet", "vase", "bed")
SPLITS = ("train", "validation", "test")
VERSION = 1


@dataclass(frozen=True)
class SceneConfig:
    """What a scene collection is a function of."""

    n_scenes: int = 240
    image_size: int = 64
    seed: int = 0
    bank_size: int = 32          # distinct sketched foreground objects
    p_background_only: float = 0.3
    test_fraction: float = 0.2   # 2816 of 14081 in the thesis
    val_fraction: float = 0.15   # of the training part (1689 of 11265)
    elevation: float = 10.0
    distance: float = 6.0
    fov: float = 50.0

    def key(self) -> str:
        blob = json.dumps({**dataclasses.asdict(self), "version": VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def camera(self) -> Camera:
        return Camera(azimuth=0.0, elevation=self.elevation, distance=self.distance, fov=self.fov,
                      image_size=self.image_size)


@dataclass
class _Mesh:
    vertices: np.ndarray
    faces: np.ndarray
    part_ids: np.ndarray


# --- geometry ------------------------------------------------------------------------------------------------
def ground_depth(camera: Camera, ground_y: float = GROUND_Y) -> tuple[np.ndarray, np.ndarray]:
    """View depth of the plane ``y = ground_y`` at every pixel centre, and the world points hit.

    The ray through pixel (i, j) has camera-space direction ``((j+.5-h)/f, -(i+.5-h)/f, -1)``, whose
    component along the view axis is 1, so the ray parameter ``t`` of the hit IS the view depth.
    Returns ``depth`` (S,S) (``inf`` where the ray misses: the sky) and ``points`` (S,S,3).
    """
    s = camera.image_size
    h, f = s / 2.0, camera.focal_px
    jj, ii = np.meshgrid(np.arange(s) + 0.5, np.arange(s) + 0.5)
    d_cam = np.stack([(jj - h) / f, -(ii - h) / f, -np.ones_like(jj)], axis=-1)
    c2w = camera.camera_to_world()
    d_world = d_cam @ c2w[:3, :3].T
    origin = c2w[:3, 3]
    dy = d_world[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(dy < -1e-9, (ground_y - origin[1]) / dy, np.inf)
    t = np.where(t > 0, t, np.inf)
    points = origin + np.where(np.isfinite(t), t, 0.0)[..., None] * d_world
    return t, points


def horizon_row(camera: Camera) -> float:
    """Pixel row (y, down) of the horizon: the direction with zero world elevation."""
    return camera.image_size / 2.0 - camera.focal_px * np.tan(np.radians(-camera.elevation))


def _place(mesh_v: np.ndarray, scale: float, yaw: float, x: float, z: float) -> np.ndarray:
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    v = (mesh_v * scale) @ rot.T
    v[:, 1] += GROUND_Y - v[:, 1].min()
    v[:, 0] += x
    v[:, 2] += z
    return v


def tree_mesh(height: float, rng: np.random.Generator) -> _Mesh:
    """A conifer: a cone canopy (part 0) on a cylinder trunk (part 1), base at y = 0."""
    trunk_h = 0.25 * height
    trunk = trimesh.creation.cylinder(radius=0.06 * height, height=trunk_h, sections=8)
    trunk.apply_translation([0, 0, trunk_h / 2])
    cone = trimesh.creation.cone(radius=rng.uniform(0.22, 0.35) * height, height=0.8 * height, sections=10)
    cone.apply_translation([0, 0, 0.2 * height])
    v = np.concatenate([cone.vertices, trunk.vertices])[:, [0, 2, 1]] * [1, 1, -1]  # z-up -> y-up
    f = np.concatenate([cone.faces, trunk.faces + len(cone.vertices)])[:, ::-1]
    parts = np.concatenate([np.zeros(len(cone.faces), np.int64), np.ones(len(trunk.faces), np.int64)])
    return _Mesh(v, f, parts)


def bush_mesh(size: float) -> _Mesh:
    ball = trimesh.creation.icosphere(subdivisions=1, radius=size)
    v = ball.vertices * [1.3, 0.7, 1.0]
    return _Mesh(v, ball.faces, np.zeros(len(ball.faces), np.int64))


# --- the object bank ----------------------------------------------------------------------------------------
@dataclass
class BankObject:
    category: str
    index: int
    yaw: float
    mesh: _Mesh
    strokes: list          # freehand strokes of the object alone, (n,2) pixel coordinates
    widths: list


def object_bank(cfg: SceneConfig) -> list[BankObject]:
    """``cfg.bank_size`` foreground objects, each with one simulated freehand sketch from the scene's
    elevation at its own yaw (deterministic per ``cfg.seed``)."""
    rng = np.random.default_rng([cfg.seed, 101])
    bank = []
    size = max(cfg.image_size, 64)
    for k in range(cfg.bank_size):
        cat = FOREGROUND_CATEGORIES[k % len(FOREGROUND_CATEGORIES)]
        shape = generate_shape(cat, cfg.seed, k)
        yaw = float(rng.uniform(-60, 60))
        sk = simulate_sketch(shape, Camera(azimuth=-yaw, elevation=cfg.elevation, image_size=size),
                             skill=0.5, seed=cfg.seed * 1000 + k, image_size=size)
        bank.append(BankObject(cat, k, yaw, _Mesh(shape.vertices, shape.faces, shape.part_ids),
                               [np.asarray(s) for s in sk.strokes], list(sk.widths)))
    return bank


# --- one scene ----------------------------------------------------------------------------------------------
def _hsv(h, s, v) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v))


def _wobbly(points: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    return wobble_polyline(points, rng, amplitude=amplitude, wavelength=8.0, spacing=1.0)[0]


def render_scene(cfg: SceneConfig, bank: list[BankObject], index: int, background_only: bool) -> dict:
    """Render scene ``index``: every array of the module docstring for one scene (see there)."""
    rng = np.random.default_rng([cfg.seed, 7, index])
    cam = cfg.camera()
    s = cfg.image_size
    px = s / 64.0
    g_depth, g_points = ground_depth(cam)
    sky = ~np.isfinite(g_depth) | (g_depth > FAR)

    # sky: gradient and clouds; ground: grass texture in world coordinates (mowing stripes + noise)
    rows = (np.arange(s) + 0.5)[:, None] / s
    top, low = _hsv(0.58 + rng.uniform(-.03, .03), 0.55, 0.85), _hsv(0.57, 0.2, 0.97)
    rgb = (top + (low - top) * np.clip(rows * 1.6, 0, 1)[..., None]) * np.ones((s, s, 1))
    grass = _hsv(rng.uniform(0.22, 0.32), rng.uniform(0.45, 0.7), rng.uniform(0.45, 0.65))
    gx, gz = g_points[..., 0], g_points[..., 2]
    stripe = 0.12 * np.sign(np.sin(2 * np.pi * gx / rng.uniform(1.0, 2.0) + rng.uniform(0, 6)))
    noise = 0.06 * np.sin(3.1 * gx + 1.7 * gz) * np.sin(2.3 * gz - 0.7 * gx)
    shade_g = np.clip(1 + stripe * np.exp(-g_depth / 12) + noise, 0.5, 1.5)
    rgb = np.where(sky[..., None], rgb, grass * shade_g[..., None])
    depth = np.where(sky, FAR, np.minimum(g_depth, FAR))
    classes = np.where(sky, CLASSES["sky"], CLASSES["grass"]).astype(np.int8)
    instances = np.zeros((s, s), np.int8)

    # clouds: flat ellipses on the sky (at the sky's depth)
    hr = horizon_row(cam)
    jj, ii = np.meshgrid(np.arange(s) + 0.5, np.arange(s) + 0.5)
    bg_strokes, bg_widths = [], []
    for _ in range(int(rng.integers(0, 3))):
        cx, cy = rng.uniform(0.1, 0.9) * s, rng.uniform(0.05, 0.6) * hr
        a, b = rng.uniform(0.08, 0.16) * s, rng.uniform(0.03, 0.06) * s
        m = (((jj - cx) / a) ** 2 + ((ii - cy) / b) ** 2 < 1) & sky
        rgb[m] = rgb[m] * 0.2 + 0.8 * np.array([0.98, 0.98, 1.0])
        classes[m] = CLASSES["cloud"]
        t = np.linspace(0, 2 * np.pi, 40)
        bg_strokes.append(_wobbly(np.stack([cx + a * np.cos(t), cy + b * np.sin(t)], 1), rng, 0.6 * px))
        bg_widths.append(1.0 * px)

    # background and foreground instances: (mesh in the world, kind, colour(s))
    items = []
    for _ in range(int(rng.integers(1, 6))):
        m = tree_mesh(rng.uniform(2.0, 4.0), rng)
        v = _place(m.vertices, 1.0, 0, rng.uniform(-9, 9), rng.uniform(-14, -3))
        cols = np.array([_hsv(rng.uniform(0.28, 0.38), 0.6, rng.uniform(0.3, 0.5)), _hsv(0.07, 0.6, 0.35)])
        items.append((_Mesh(v, m.faces, m.part_ids), "tree", cols))
    for _ in range(int(rng.integers(0, 3))):
        m = bush_mesh(rng.uniform(0.3, 0.6))
        v = _place(m.vertices, 1.0, 0, rng.uniform(-5, 5), rng.uniform(-8, -1.5))
        items.append((_Mesh(v, m.faces, m.part_ids), "bush", np.array([_hsv(0.3, 0.5, 0.45)])))
    fg = []
    if not background_only:
        n_obj = int(rng.integers(1, 4))
        xs = np.sort(rng.uniform(-1.6, 1.6, n_obj)) + rng.uniform(-0.2, 0.2)
        for k in range(n_obj):
            obj = bank[int(rng.integers(len(bank)))]
            v = _place(obj.mesh.vertices, rng.uniform(1.4, 2.0), obj.yaw, xs[k], rng.uniform(-1.0, 2.2))
            col = _hsv(rng.random(), rng.uniform(0.3, 0.8), rng.uniform(0.55, 0.9))
            items.append((_Mesh(v, obj.mesh.faces, obj.mesh.part_ids), "object", col[None]))
            fg.append((len(items), obj))

    rasters = []
    for n, (mesh, kind, cols) in enumerate(items, start=1):
        r = rasterize(mesh, cam, cull_backfaces=False)
        img = shade(r, part_colors=cols if len(cols) > 1 else None, base_color=tuple(cols[0]), ambient=0.4)
        d = np.where(r.mask, np.minimum(r.depth, FAR), np.inf)
        win = d < depth
        depth = np.where(win, d, depth)
        rgb = np.where(win[..., None], img / 255.0, rgb)
        classes[win] = CLASSES[kind]
        instances[win] = n
        rasters.append(r)

    # background strokes: visible outlines of trees and bushes, grass tufts, the horizon
    for n, (mesh, kind, _) in enumerate(items, start=1):
        if kind == "object":
            continue
        vis = dataclasses.replace(rasters[n - 1], mask=instances == n)
        for line in mask_outline(vis):
            if len(line.points) >= 3:
                bg_strokes.append(_wobbly(line.points, rng, 0.5 * px))
                bg_widths.append(1.0 * px)
    if 0 <= hr < s:
        xs_h = np.linspace(-2, s + 2, 24)
        bg_strokes.append(_wobbly(np.stack([xs_h, np.full_like(xs_h, hr + 0.5)], 1), rng, 0.8 * px))
        bg_widths.append(1.0 * px)
    ground_px = np.argwhere(classes == CLASSES["grass"])
    for _ in range(int(rng.integers(3, 9)) if len(ground_px) else 0):
        i, j = ground_px[int(rng.integers(len(ground_px)))]
        h = 3.0 * px * min(1.0, 4.0 / depth[i, j]) + 1.0
        x, y = j + 0.5, i + 0.5
        bg_strokes.append(np.array([[x - h, y - h], [x - h / 2, y], [x, y - 1.2 * h], [x + h / 2, y],
                                    [x + h, y - h]]))
        bg_widths.append(0.9 * px)

    # foreground strokes: each bank sketch scaled onto its object's projected box
    fg_strokes, fg_widths = [], []
    for n, obj in fg:
        mask = rasters[n - 1].mask
        if not mask.any() or not obj.strokes:
            continue
        rows_, cols_ = np.nonzero(mask)
        dst = np.array([[cols_.min(), rows_.min()], [cols_.max() + 1, rows_.max() + 1]], float)
        src = bounding_box(obj.strokes)
        scale = float(np.min((dst[1] - dst[0]) / np.maximum(src[1] - src[0], 1e-6)))
        fg_strokes += transform_strokes(obj.strokes, scale, src.mean(0), dst.mean(0))
        fg_widths += [max(0.8, w * scale) for w in obj.widths]

    def ink(strokes, widths):
        if not strokes:
            return np.full((s, s), 255, np.uint8)
        return np.round(255 * (1 - draw_polylines(strokes, s, width=widths))).astype(np.uint8)

    rgb8 = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    sketch_fg, sketch_bg = ink(fg_strokes, fg_widths), ink(bg_strokes, bg_widths)
    fg_mask = np.isin(instances, [n for n, _ in fg])
    partial = compose_partial(sketch_fg, sketch_bg, rgb8, fg_mask)
    return dict(rgb=rgb8, depth=depth.astype(np.float32), sketch_fg=sketch_fg, sketch_bg=sketch_bg,
                classes=classes, instances=instances, partial=partial, fg_mask=fg_mask,
                n_objects=len(fg), categories=",".join(o.category for _, o in fg))


def compose_partial(sketch_fg: np.ndarray, sketch_bg: np.ndarray, rgb: np.ndarray, fg_mask: np.ndarray,
                    shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The partial image of §3.3: the scene sketch (foreground and background strokes) with the foreground
    objects' pixels of ``rgb`` pasted in. ``shift`` = (dx, dy) px moves the foreground (sketch strokes and
    pasted regions) by a translation, the "conditioning perturbation" of App. A.1.6.

    Shapes: sketches (S,S) uint8, ``rgb`` (S,S,3) uint8, ``fg_mask`` (S,S) bool -> (S,S,3) uint8.
    """
    dx, dy = int(shift[0]), int(shift[1])
    if dx or dy:
        sketch_fg = _shift(sketch_fg, dx, dy, 255)
        rgb = _shift(rgb, dx, dy, 255)
        fg_mask = _shift(fg_mask, dx, dy, False)
    sketch = np.minimum(sketch_fg, sketch_bg)
    out = np.repeat(sketch[..., None], 3, axis=2)
    out[fg_mask] = rgb[fg_mask]
    return out


def _shift(a: np.ndarray, dx: int, dy: int, fill) -> np.ndarray:
    out = np.full_like(a, fill)
    s0, s1 = a.shape[:2]
    src = a[max(0, -dy):s0 - max(0, dy), max(0, -dx):s1 - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


# --- the collection -----------------------------------------------------------------------------------------
def split_labels(n: int, test_fraction: float, val_fraction: float, seed: int) -> np.ndarray:
    """train / validation / test labels for ``n`` scenes: a seeded permutation, the first
    ``round(test_fraction * n)`` test, then ``round(val_fraction * rest)`` validation, the rest train."""
    perm = np.random.default_rng([seed, 3]).permutation(n)
    n_test = int(round(test_fraction * n))
    n_val = int(round(val_fraction * (n - n_test)))
    labels = np.empty(n, dtype=object)
    labels[perm[:n_test]] = "test"
    labels[perm[n_test:n_test + n_val]] = "validation"
    labels[perm[n_test + n_val:]] = "train"
    return labels.astype(str)


@dataclass
class Scenes:
    """A materialised scene collection (arrays of the module docstring, first axis = scene)."""

    config: SceneConfig
    arrays: dict
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.arrays["rgb"])

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def indices(self, split: str, kind: str | None = None) -> np.ndarray:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
        m = self.arrays["split"] == split
        if kind is not None:
            m &= self.arrays["kind"] == kind
        return np.flatnonzero(m)

    @property
    def data_hash(self) -> str:
        """sha256 over the arrays the networks train on (partial, depth, rgb)."""
        h = hashlib.sha256()
        for k in ("partial", "depth", "rgb", "split"):
            h.update(np.ascontiguousarray(self.arrays[k]).tobytes())
        return h.hexdigest()

    def describe(self) -> str:
        c = self.config
        counts = {sp: len(self.indices(sp)) for sp in SPLITS}
        n_bo = int((self.arrays["kind"] == "bo").sum())
        return (f"sketchy-depth-procedural-v{VERSION}: {len(self)} scenes at {c.image_size} px "
                f"({counts['train']} train / {counts['validation']} validation / {counts['test']} test; "
                f"{len(self) - n_bo} foreground+background, {n_bo} background-only), seed {c.seed}")


def generate_scenes(cfg: SceneConfig, progress=None) -> Scenes:
    """Render every scene of ``cfg`` (no cache; see :func:`load_scenes`)."""
    if cfg.n_scenes < 3:
        raise ValueError(f"n_scenes must be at least 3 (one per split), got {cfg.n_scenes}")
    bank = object_bank(cfg)
    kinds = np.where(np.random.default_rng([cfg.seed, 5]).random(cfg.n_scenes) < cfg.p_background_only,
                     "bo", "fb")
    it = range(cfg.n_scenes)
    if progress is not None:
        it = progress(it, desc="scenes")
    scenes = [render_scene(cfg, bank, i, kinds[i] == "bo") for i in it]
    arrays = {k: np.stack([sc[k] for sc in scenes]) for k in
              ("rgb", "depth", "sketch_fg", "sketch_bg", "classes", "instances", "partial", "fg_mask")}
    arrays["n_objects"] = np.array([sc["n_objects"] for sc in scenes])
    arrays["categories"] = np.array([sc["categories"] for sc in scenes])
    arrays["kind"] = np.where(arrays["n_objects"] > 0, "fb", "bo")
    arrays["split"] = split_labels(cfg.n_scenes, cfg.test_fraction, cfg.val_fraction, cfg.seed)
    return Scenes(cfg, arrays)


def load_scenes(cfg: SceneConfig, cache_dir: str | Path | None = None, progress=None) -> Scenes:
    """The collection of ``cfg``, from ``<cache_dir>/sketchy_depth/<cfg.key()>.npz`` when present, else
    generated and written there atomically."""
    path = None if cache_dir is None else Path(cache_dir) / "sketchy_depth" / f"scenes-{cfg.key()}.npz"
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return Scenes(cfg, {k: z[k] for k in z.files}, path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable scene cache ({exc}); delete it to regenerate") from exc
    scenes = generate_scenes(cfg, progress)
    if path is not None:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **scenes.arrays)
        scenes.path = path
    return scenes


__all__ = ["CLASSES", "FAR", "FOREGROUND_CATEGORIES", "GROUND_Y", "SPLITS", "SceneConfig", "Scenes",
           "compose_partial", "generate_scenes", "ground_depth", "horizon_row", "load_scenes", "object_bank",
           "render_scene", "split_labels"]
