"""Drivers of the §4.3 experiments: every inversion of every example, evaluated against the target shape.

Per example the chapter runs the five inversions of :func:`method_settings` from the average styles and
measures, for each picked shape, the Chamfer distance (:func:`sbsr.shapes.metrics.chamfer_distance`,
squared, between 2048 surface samples of the marching-cubes mesh and of the target mesh) and the
volumetric IoU (:func:`sbsr.shapes.metrics.voxel_iou`) of the two meshes' 32^3 voxelizations over the
generator's cube (:func:`.data.target_voxels`: filled interior plus the voxels the surface touches, so
thin legs count even where they are thinner than a voxel) to the target. Picks: the lowest loss (the thesis' rule) and, for the two CLIP inversions, the oracle
pick: the snapshot (every ``snapshot_every`` iterations, as the thesis saved every 25) closest to the
target by Chamfer distance. The oracle sees the target shape, which the method cannot: it stands in for
the thesis' human picking (Fig. 4.8, 4.9) and bounds what a better selection rule could reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
import trimesh

from sbsr.io import atomic_path
from sbsr.render import Camera, render
from sbsr.render.sdf import sdf_to_mesh
from sbsr.shapes import chamfer_distance, sample_point_cloud, voxel_iou

from .data import Example, target_voxels
from .inversion import InversionRun, InversionSettings, invert, sketch_features
from .models import SDFGenerator

AVERAGE = "average initialisation"
M3D = "3D inversion (Eq. 4.6)"
CLIP = "CLIP inversion (Eq. 4.7)"
ARGMAX = "CLIP argmax inversion"
L1 = "CLIP + L1 pull to the average (§4.3.4)"
MULTI = "CLIP, several sketch views (§4.3.4)"
LOWEST, ORACLE = "lowest loss", "oracle pick"
#: The rows of the reconstruction table, in order: (method, pick).
ROWS = ((AVERAGE, "-"), (M3D, LOWEST), (CLIP, LOWEST), (ARGMAX, LOWEST), (CLIP, ORACLE), (ARGMAX, ORACLE),
        (L1, LOWEST), (MULTI, LOWEST))
ORACLE_METHODS = (CLIP, ARGMAX)


@dataclass(frozen=True)
class Protocol:
    """The chapter's knobs (thesis values: 5000 / 1000 iterations, snapshots every 25, lr 0.005)."""

    iterations_3d: int = 5000
    iterations_clip: int = 1000
    snapshot_every: int = 25
    lr: float = 0.005
    resolution: int = 32
    render_size: int = 128
    n_samples: int = 64
    tau: float = 0.004
    l1_pull: float = 0.02
    views: tuple[float, ...] = (0.0, 30.0, 75.0)  # sketch azimuths of the multi-view extension
    n_average: int = 1000                          # samples behind the average styles
    n_points: int = 2048                           # surface samples per mesh for the Chamfer distance


def method_settings(p: Protocol) -> dict[str, InversionSettings]:
    """The five inversions, by method label."""
    common = dict(lr=p.lr, snapshot_every=p.snapshot_every, resolution=p.resolution, render_size=p.render_size,
                  n_samples=p.n_samples, tau=p.tau)
    return {
        M3D: InversionSettings("sdf", p.iterations_3d, **common),
        CLIP: InversionSettings("clip", p.iterations_clip, **common),
        ARGMAX: InversionSettings("clip", p.iterations_clip, reduce="argmax4", **common),
        L1: InversionSettings("clip", p.iterations_clip, l1_pull=p.l1_pull, **common),
        MULTI: InversionSettings("clip", p.iterations_clip, azimuths=tuple(p.views), **common),
    }


@dataclass
class Evaluation:
    """One generated shape against its target: Chamfer distance (NaN when the mesh is empty), IoU, mesh."""

    chamfer: float
    iou: float
    mesh: trimesh.Trimesh = field(repr=False)


@torch.no_grad()
def evaluate_styles(generator: SDFGenerator, styles: Sequence[torch.Tensor], example: Example, resolution: int,
                    n_points: int = 2048) -> Evaluation:
    """Chamfer distance and volumetric IoU of the shape ``styles`` generate to ``example``'s target."""
    sdf = generator.sdf_grid(styles, resolution)[0].cpu().numpy()
    if example.sdf.shape != sdf.shape:
        raise ValueError(f"target grid {example.sdf.shape} and generated grid {sdf.shape} differ")
    mesh = sdf_to_mesh(sdf, generator.config.bound, empty="empty")
    iou = voxel_iou(target_voxels(mesh, generator.config.bound, example.voxels.shape[0]), example.voxels)
    if len(mesh.faces) == 0:
        return Evaluation(float("nan"), iou, mesh)
    pts = sample_point_cloud(mesh, n_points, seed=0, exterior_only=False)[0]
    return Evaluation(chamfer_distance(pts, example.surface), iou, mesh)


@dataclass
class ExampleResult:
    """Everything computed for one example: the runs by method, the evaluated picks by table row and
    every snapshot's evaluation by method (``(iteration, Evaluation)``)."""

    example: Example = field(repr=False)
    runs: dict[str, InversionRun] = field(repr=False)
    picks: dict[tuple[str, str], tuple[int, Evaluation]] = field(repr=False)
    snapshots: dict[str, list[tuple[int, Evaluation]]] = field(repr=False)


def _oracle(evals: list[tuple[int, Evaluation]]) -> tuple[int, Evaluation]:
    key = [e.chamfer if np.isfinite(e.chamfer) else np.inf for _, e in evals]
    return evals[int(np.argmin(key))]


def run_example(generator: SDFGenerator, example: Example, encoder, protocol: Protocol,
                average: Sequence[torch.Tensor], methods: Sequence[str] | None = None, tap: str = "layer3",
                progress=None) -> ExampleResult:
    """Every inversion of :func:`method_settings` (or the listed ``methods``) for one example."""
    settings = method_settings(protocol)
    methods = list(methods or settings)
    feats = sketch_features(encoder, example.sketches, tap) if encoder is not None else {}
    runs, picks, snaps = {}, {}, {}
    picks[(AVERAGE, "-")] = (0, evaluate_styles(generator, average, example, protocol.resolution, protocol.n_points))
    for m in methods:
        st = settings[m]
        run = invert(generator, average, st, target_sdf=example.sdf, target_features=feats, encoder=encoder,
                     progress=progress)
        runs[m] = run
        snaps[m] = [(it, evaluate_styles(generator, s, example, protocol.resolution, protocol.n_points))
                    for it, s in run.snapshots]
        picks[(m, LOWEST)] = (run.best_iteration, evaluate_styles(generator, run.best_styles, example,
                                                                  protocol.resolution, protocol.n_points))
        if m in ORACLE_METHODS:
            picks[(m, ORACLE)] = _oracle(snaps[m])
    return ExampleResult(example, runs, picks, snaps)


def per_example_table(results: Sequence[ExampleResult]) -> pd.DataFrame:
    """One line per example and table row: method, pick, shape_id, iteration, chamfer, iou."""
    rows = []
    for r in results:
        for (m, pick), (it, ev) in r.picks.items():
            rows.append({"method": m, "pick": pick, "shape_id": r.example.shape_id, "iteration": it,
                         "chamfer": ev.chamfer, "iou": ev.iou})
    return pd.DataFrame(rows)


def summary_table(per_example: pd.DataFrame, *, data: str, encoder: str, profile: str) -> pd.DataFrame:
    """Mean and standard deviation (over examples) of the Chamfer distance and the IoU per table row,
    with the number of examples and of empty meshes (no surface: no Chamfer distance)."""
    out = []
    for m, pick in ROWS:
        sub = per_example[(per_example["method"] == m) & (per_example["pick"] == pick)]
        if sub.empty:
            continue
        ch = sub["chamfer"].to_numpy(float)
        ok = ch[np.isfinite(ch)]
        out.append({"method": m, "pick": pick, "n_examples": len(sub), "empty_meshes": int((~np.isfinite(ch)).sum()),
                    "chamfer_mean": float(ok.mean()) if len(ok) else float("nan"),
                    "chamfer_std": float(ok.std(ddof=1)) if len(ok) > 1 else float("nan"),
                    "iou_mean": float(sub["iou"].mean()),
                    "iou_std": float(sub["iou"].std(ddof=1)) if len(sub) > 1 else float("nan"),
                    "data": data, "encoder": encoder, "profile": profile})
    return pd.DataFrame(out)


def timing_table(results: Sequence[ExampleResult], device: str) -> pd.DataFrame:
    """Seconds per inversion step by method (mean over examples), wall clock and CPU time."""
    rows = []
    for m in dict.fromkeys(k for r in results for k in r.runs):
        runs = [r.runs[m] for r in results if m in r.runs]
        rows.append({"method": m, "device": device, "steps per run": len(runs[0].losses) - 1,
                     "seconds per step": float(np.mean([x.seconds_per_step for x in runs])),
                     "CPU seconds per step": float(np.mean([x.cpu_seconds_per_step for x in runs]))})
    return pd.DataFrame(rows)


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a CSV atomically (4 decimals)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format="%.4f")
    return path


@torch.no_grad()
def random_meshes(generator: SDFGenerator, n: int, seed: int, resolution: int) -> list[trimesh.Trimesh]:
    """Marching-cubes meshes of ``n`` random samples (empty meshes where a sample has no surface)."""
    gen = torch.Generator().manual_seed(int(seed))
    grids = generator(generator.sample_z(n, gen), resolution)
    return [sdf_to_mesh(g, generator.config.bound, empty="empty") for g in grids]


def mesh_view(mesh, azimuth: float, elevation: float = 20.0, size: int = 128) -> np.ndarray | None:
    """A textureless RGB rendering (:func:`sbsr.render.render`) of a mesh; None for an empty mesh."""
    if mesh is None or len(mesh.faces) == 0:
        return None
    return render(mesh, Camera(azimuth=azimuth, elevation=elevation, image_size=size), outputs=("rgb",)).rgb


__all__ = [
    "ARGMAX", "AVERAGE", "CLIP", "L1", "LOWEST", "M3D", "MULTI", "ORACLE", "ROWS",
    "Evaluation", "ExampleResult", "Protocol", "evaluate_styles", "mesh_view", "method_settings",
    "per_example_table", "random_meshes", "run_example", "summary_table", "timing_table", "write_table",
]
