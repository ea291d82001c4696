"""A small "own data" collection written the way real ones come: for the book page and the tests.

:func:`write_example_folders` writes procedural shapes (:mod:`sbsr.shapes`) as mesh files in the formats
and conventions found in the wild, and one simulated amateur sketch (:mod:`sbsr.sketch`) per shape as an
image file in the forms found in the wild, plus the ``sketch,mesh`` pairs CSV:

=====================  ==============================================================================
meshes (cycled)        OBJ with one object and one material per part (``mtllib`` absent), millimetres;
                       binary PLY moved off-centre with every face wound inside out;
                       GLB scene with one node per part, placed by node transforms
sketches (cycled)      grey PNG; black strokes on a transparent RGBA PNG; white-on-black JPG;
                       blue ink on cream paper, non-square RGB PNG
=====================  ==============================================================================

Sketch and mesh file names differ on purpose (``sketches/sketch_07.png`` vs ``meshes/lamp/lamp_1.glb``),
so only the pairs CSV tells which mesh a sketch shows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from ..io import atomic_write_bytes, atomic_write_text

MESH_FORMATS = ("obj", "ply", "glb")
SKETCH_FORMATS = ("png-gray", "png-alpha", "jpg-inverted", "png-colour-paper")
SKETCH_AZIMUTHS = {"chair": (0.0, 30.0, 75.0), "lamp": (0.0, 45.0, 90.0)}  # AmateurSketch views
DEFAULT_CATEGORIES = ("chair", "lamp", "table", "sofa", "cabinet")


@dataclass
class ExampleFolders:
    root: Path
    meshes: Path
    sketches: Path
    pairs: Path
    rows: list[dict]  # sketch, mesh, category, azimuth, mesh_format, sketch_format


def _obj_with_parts(shape, scale: float) -> bytes:
    """OBJ text: ``o``/``usemtl`` per part, a missing ``mtllib`` (as exported without its .mtl)."""
    v = np.asarray(shape.vertices) * scale
    faces = np.asarray(shape.faces)
    parts = np.asarray(shape.part_ids)
    lines = ["# exported part by part", "mtllib materials_not_shipped.mtl"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in v]
    for p in np.unique(parts):
        name = shape.part_names[p] if p < len(shape.part_names) else f"part{p}"
        lines += [f"o {name}_{p}", f"usemtl {name}"]
        lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces[parts == p]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _ply_inside_out(shape, offset: Sequence[float]) -> bytes:
    import trimesh

    tm = trimesh.Trimesh(np.asarray(shape.vertices) + np.asarray(offset), np.asarray(shape.faces)[:, ::-1],
                         process=False)
    return tm.export(file_type="ply", encoding="binary")


def _glb_scene(shape) -> bytes:
    import trimesh

    scene = trimesh.Scene()
    v, f, parts = np.asarray(shape.vertices), np.asarray(shape.faces), np.asarray(shape.part_ids)
    for p in np.unique(parts):
        sub = f[parts == p]
        used, inverse = np.unique(sub, return_inverse=True)
        centre = v[used].mean(axis=0)
        part = trimesh.Trimesh(v[used] - centre, inverse.reshape(-1, 3), process=False)
        scene.add_geometry(part, node_name=f"part{p}", geom_name=f"part{p}",
                           transform=trimesh.transformations.translation_matrix(centre))
    return scene.export(file_type="glb")


def sketch_file_bytes(image: np.ndarray, style: str, rng: np.random.Generator) -> tuple[bytes, str]:
    """Encode a (H, W) uint8 white-background sketch in one of :data:`SKETCH_FORMATS`; returns (bytes, suffix)."""
    img = np.asarray(image, dtype=np.uint8)
    ink = 1.0 - img.astype(np.float64) / 255.0
    buf = io.BytesIO()
    if style == "png-gray":
        Image.fromarray(img).save(buf, format="PNG")
        return buf.getvalue(), ".png"
    if style == "png-alpha":
        rgba = np.zeros(img.shape + (4,), dtype=np.uint8)
        rgba[..., 3] = np.round(255 * ink).astype(np.uint8)
        Image.fromarray(rgba).save(buf, format="PNG")
        return buf.getvalue(), ".png"
    if style == "jpg-inverted":
        Image.fromarray(255 - img).save(buf, format="JPEG", quality=92)
        return buf.getvalue(), ".jpg"
    if style == "png-colour-paper":
        paper = np.array([236.0, 228.0, 200.0]) + rng.normal(0.0, 3.0, img.shape + (3,))
        pen = np.array([30.0, 50.0, 150.0])
        rgb = paper * (1 - ink[..., None]) + pen * ink[..., None]
        h, w = img.shape
        pad = w // 4
        canvas = np.broadcast_to(np.array([236.0, 228.0, 200.0]), (h, w + 2 * pad, 3)).copy()
        canvas += rng.normal(0.0, 3.0, canvas.shape)
        canvas[:, pad:pad + w] = rgb
        Image.fromarray(np.clip(np.round(canvas), 0, 255).astype(np.uint8)).save(buf, format="PNG")
        return buf.getvalue(), ".png"
    raise ValueError(f"unknown sketch style {style!r}; choose from {', '.join(SKETCH_FORMATS)}")


def write_example_folders(root: str | Path, n: int = 20, seed: int = 0,
                          categories: Sequence[str] = DEFAULT_CATEGORIES, skill: float = 0.5,
                          elevation: float = 20.0) -> ExampleFolders:
    """Write ``n`` meshes under ``root/meshes/<category>/``, ``n`` sketches under ``root/sketches/`` and
    ``root/pairs.csv`` (see the module docstring). Deterministic given ``seed``."""
    from ..render import Camera
    from ..shapes import generate_shape
    from ..sketch import simulate_sketch

    root = Path(root)
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        category = categories[i % len(categories)]
        index = i // len(categories)
        shape = generate_shape(category, seed, index)
        fmt = MESH_FORMATS[i % len(MESH_FORMATS)]
        mesh_rel = f"{category}/{category}_{index}.{fmt}"
        if fmt == "obj":
            data = _obj_with_parts(shape, scale=1000.0)
        elif fmt == "ply":
            data = _ply_inside_out(shape, offset=rng.uniform(-5, 5, 3))
        else:
            data = _glb_scene(shape)
        atomic_write_bytes(root / "meshes" / mesh_rel, data)
        azimuth = float(rng.choice(SKETCH_AZIMUTHS.get(category, (0.0, 30.0, 45.0, 75.0, 90.0))))
        sketch = simulate_sketch(shape, Camera(azimuth=azimuth, elevation=elevation), skill=skill, seed=seed + i)
        style = SKETCH_FORMATS[i % len(SKETCH_FORMATS)]
        data, suffix = sketch_file_bytes(sketch.image, style, rng)
        sketch_rel = f"sketch_{i:02d}{suffix}"
        atomic_write_bytes(root / "sketches" / sketch_rel, data)
        rows.append({"sketch": sketch_rel, "mesh": mesh_rel, "category": category, "azimuth": azimuth,
                     "mesh_format": fmt, "sketch_format": style})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["sketch", "mesh", "category", "azimuth"], lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    pairs = atomic_write_text(root / "pairs.csv", buf.getvalue())
    return ExampleFolders(root, root / "meshes", root / "sketches", pairs, rows)
