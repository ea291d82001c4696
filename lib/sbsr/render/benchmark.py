"""Renderer throughput: views per second of each output of :func:`sbsr.render.render` on a ~1-3k-face mesh.

Used by ``benchmarks/bench_render.py`` (command line) and by the data chapter (which records the numbers of
the machine that built the book).

The mesh is a procedural chair from :mod:`sbsr.shapes` when that module can make one, otherwise a chair-like
union of trimesh primitives (boxes, 64-sided cylinders, an icosphere; ~2.3k faces) normalised to a unit
bounding-box diagonal like ShapeNet. Views sweep the azimuth at elevation 20°, distance 2.5 (the paper's
camera, thesis §4.2.3.1). Each output is timed alone (one ``render`` call per view, the z-buffer included);
``all`` renders every output in one call; ``natural`` is :func:`sbsr.render.render_natural`; ``blender
lines`` (Freestyle, only when a ``blender`` executable is on PATH) includes Blender's start-up per view.
Each output is swept ``repeats`` times and the fastest sweep is reported (robust to other load on a shared
machine).
"""

from __future__ import annotations

import platform
import sys
import time
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import ndimage

from . import Camera, prepare_mesh, render, render_natural
from .blender import blender_available, render_lines_blender
from .messy import DEFECTS, messy

#: Outputs timed one by one, then every output in one call ("all") and the natural-image composite.
SINGLE_OUTPUTS = ("rgb", "depth", "normals", "parts", "lines")
BLENDER_CASE = "blender lines"


class _Mesh:
    def __init__(self, vertices, faces, part_ids):
        self.vertices, self.faces, self.part_ids = vertices, faces, part_ids


def primitive_chair() -> _Mesh:
    """A chair-like mesh of trimesh primitives with part ids, unit bounding-box diagonal."""
    import trimesh

    parts, pids = [], []

    def add(mesh, pid, offset=(0, 0, 0)):
        mesh.apply_translation(offset)
        parts.append(mesh)
        pids.append(np.full(len(mesh.faces), pid))

    add(trimesh.creation.box((1.0, 0.1, 1.0)), 0)
    add(trimesh.creation.box((1.0, 1.0, 0.1)), 1, (0, 0.55, -0.45))
    for sx in (-1, 1):
        for sz in (-1, 1):
            leg = trimesh.creation.cylinder(radius=0.05, height=1.0, sections=64)
            leg.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, (1, 0, 0)))
            add(leg, 2, (0.45 * sx, -0.55, 0.45 * sz))
    add(trimesh.creation.icosphere(subdivisions=3, radius=0.2), 3, (0, 1.2, -0.45))
    mesh = trimesh.util.concatenate(parts)
    lo, hi = mesh.bounds
    vertices = (mesh.vertices - (lo + hi) / 2) / np.linalg.norm(hi - lo)
    return _Mesh(vertices, np.asarray(mesh.faces), np.concatenate(pids))


def benchmark_mesh():
    """(mesh, description): a procedural chair from sbsr.shapes if available, else :func:`primitive_chair`."""
    try:
        from sbsr.shapes import generate_shape

        shape = generate_shape("chair", 0)
        if len(shape.faces) >= 500:
            return shape, f"sbsr.shapes chair {getattr(shape, 'shape_id', '')}".strip()
    except Exception:  # the benchmark must run even where the shapes package is broken
        pass
    return primitive_chair(), "trimesh primitive chair"


def time_views(fn: Callable[[Camera], object], cameras: Sequence[Camera], repeats: int = 1) -> float:
    """Seconds per view: the best over ``repeats`` sweeps of the mean over ``cameras`` (after one warm-up
    call). The best sweep is the least disturbed by other processes on a shared machine."""
    if not cameras:
        raise ValueError("time_views needs at least one camera")
    fn(cameras[0])
    best = np.inf
    for _ in range(max(1, int(repeats))):
        start = time.perf_counter()
        for cam in cameras:
            fn(cam)
        best = min(best, (time.perf_counter() - start) / len(cameras))
    return float(best)


def run_benchmark(n_views: int = 60, repeats: int = 3, image_size: int = 224, blender_views: int = 3,
                  mesh=None, progress: Callable | None = None) -> dict:
    """Time every output of the renderer; returns a JSON-serialisable dict.

    ``outputs`` maps each case (``rgb``, ``depth``, ``normals``, ``parts``, ``lines``, ``all``, ``natural``
    and, with Blender on PATH and ``blender_views > 0``, ``blender lines``) to ``ms_per_view`` and
    ``views_per_s``. ``blender_views`` of the ``n_views`` cameras are used for Blender (one sweep: each view
    starts Blender). ``mesh`` defaults to :func:`benchmark_mesh`. ``progress`` wraps the list of cases
    (e.g. :func:`sbsr.book.progress`).
    """
    if n_views < 1:
        raise ValueError(f"n_views must be at least 1, got {n_views}")
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8, got {image_size}")
    source = "given mesh"
    if mesh is None:
        mesh, source = benchmark_mesh()
    prepare_mesh(mesh)  # the view-independent topology is cached per mesh; time views only
    cameras = [Camera(azimuth=float(a), image_size=int(image_size))
               for a in np.linspace(0, 360, n_views, endpoint=False)]
    cases: dict[str, tuple[Callable, Sequence[Camera], int]] = {
        name: ((lambda cam, o=name: render(mesh, cam, outputs=(o,))), cameras, repeats) for name in SINGLE_OUTPUTS
    }
    cases["all"] = (lambda cam: render(mesh, cam), cameras, repeats)
    cases["natural"] = (lambda cam: render_natural(mesh, cam, int(cam.azimuth * 1000)), cameras, repeats)
    with_blender = blender_available() and blender_views > 0
    if with_blender:
        cases[BLENDER_CASE] = (lambda cam: render(mesh, cam, outputs=("lines",), backend="blender"),
                               cameras[:blender_views], 1)
    names = list(cases)
    seconds = {}
    for name in (progress(names, desc="render benchmark") if progress else names):
        fn, cams, reps = cases[name]
        seconds[name] = time_views(fn, cams, reps)
    return {
        "mesh": source, "faces": int(len(mesh.faces)), "image_size": int(image_size), "n_views": int(n_views),
        "repeats": int(repeats), "blender_views": int(min(blender_views, n_views)) if with_blender else 0,
        "blender": "timed" if with_blender else ("not on PATH" if not blender_available() else "skipped"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": sys.version.split()[0], "numpy": np.__version__,
        "outputs": {k: {"ms_per_view": 1e3 * v, "views_per_s": 1.0 / v} for k, v in seconds.items()},
    }


def format_benchmark(result: dict) -> str:
    """The result of :func:`run_benchmark` as a plain-text table."""
    lines = [f"mesh: {result['mesh']}, {result['faces']} faces, {result['image_size']}x{result['image_size']}, "
             f"{result['n_views']} views",
             f"{'output':<14}{'ms/view':>10}{'views/s':>10}"]
    for k, v in result["outputs"].items():
        lines.append(f"{k:<14}{v['ms_per_view']:>10.2f}{v['views_per_s']:>10.1f}")
    if result.get("blender") == "not on PATH":
        lines.append("blender: not on PATH, Freestyle backend not timed")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- messy meshes
def line_iou(a: np.ndarray, b: np.ndarray, threshold: int = 128) -> float:
    """Intersection over union of the line pixels (value < ``threshold``) of two lines images (1 when both
    are empty)."""
    la, lb = np.asarray(a) < threshold, np.asarray(b) < threshold
    union = int((la | lb).sum())
    return float((la & lb).sum() / union) if union else 1.0


def line_chamfer(a: np.ndarray, b: np.ndarray, threshold: int = 128) -> float:
    """Symmetric chamfer distance between the line pixels (value < ``threshold``) of two lines images, in
    pixels: the mean over both images' line pixels of the distance to the nearest line pixel of the other
    (0 when both are empty, inf when only one is). Unlike the IoU it measures how far apart two renderers'
    strokes lie, not whether they hit the same pixels."""
    la, lb = np.asarray(a) < threshold, np.asarray(b) < threshold
    if not la.any() and not lb.any():
        return 0.0
    if not la.any() or not lb.any():
        return float("inf")
    to_b = ndimage.distance_transform_edt(~lb)[la]
    to_a = ndimage.distance_transform_edt(~la)[lb]
    return float((to_b.sum() + to_a.sum()) / (len(to_b) + len(to_a)))


def messy_lines_study(shapes, azimuths: Sequence[float] = (0.0, 30.0, 75.0), defects=None, seed: int = 0,
                      image_size: int = 224, blender: bool | None = None, blender_views: int | None = None,
                      keep_images: bool = False, progress: Callable | None = None):
    """Line renderings of clean meshes against the same meshes with real-mesh defects
    (:func:`sbsr.render.messy.messy`), one defect at a time and all together.

    Returns ``(table, images)``: one row per (shape, azimuth, defect) with the line-pixel IoU of the messy
    NumPy rendering against the clean one (``IoU numpy``) and the seconds of the messy render. With Blender
    (on PATH when ``blender=None``, or when asked) the first ``blender_views`` (shape, azimuth) views (all when
    None) are also rendered by Freestyle, clean and messy: ``IoU freestyle`` is Freestyle's messy rendering
    against its clean one (how Freestyle itself copes with the defect), and ``chamfer numpy-freestyle px``
    the chamfer distance (:func:`line_chamfer`) between the two renderers' messy renderings.
    ``images[(shape_id, azimuth, defect)]`` = (clean, messy[, Freestyle messy, Freestyle clean]) when
    ``keep_images``.
    """
    defects = tuple(DEFECTS if defects is None else defects)
    cases = [(d,) for d in defects] + ([defects] if len(defects) > 1 else [])
    use_blender = blender_available() if blender is None else bool(blender)
    rows, images = [], {}
    jobs = [(shape, az) for shape in shapes for az in azimuths]
    n_blender = len(jobs) if blender_views is None else int(blender_views)
    for j, (shape, az) in enumerate(progress(jobs, desc="messy meshes") if progress is not None else jobs):
        sid = getattr(shape, "shape_id", "mesh")
        cam = Camera(azimuth=az, image_size=image_size)
        clean = render(shape, cam, outputs=("lines",)).lines
        with_blender = use_blender and j < n_blender
        fs_clean = render_lines_blender(prepare_mesh(shape), cam) if with_blender else None
        for case in cases:
            bad = messy(shape, seed=seed, defects=case)
            t0 = time.perf_counter()
            lines = render(bad, cam, outputs=("lines",)).lines
            elapsed = time.perf_counter() - t0
            name = case[0] if len(case) == 1 else "all"
            row = {"shape": sid, "azimuth": az, "defect": name, "faces clean": len(shape.faces),
                   "faces messy": len(bad.faces), "IoU numpy": line_iou(clean, lines), "s per view": elapsed}
            kept = [clean, lines]
            if with_blender:
                freestyle = render_lines_blender(prepare_mesh(bad), cam)
                row["IoU freestyle"] = line_iou(fs_clean, freestyle)
                row["chamfer numpy-freestyle px"] = line_chamfer(lines, freestyle)
                kept += [freestyle, fs_clean]
            rows.append(row)
            if keep_images:
                images[(sid, az, name)] = tuple(kept)
    return pd.DataFrame(rows), images
