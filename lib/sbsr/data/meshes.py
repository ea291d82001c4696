"""Reading mesh files (OBJ, OFF, PLY, GLB/GLTF, STL) into one triangle mesh, normalised like ShapeNetCore v2."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MESH_SUFFIXES = (".obj", ".off", ".ply", ".glb", ".gltf", ".stl")


class MeshLoadError(ValueError):
    """A mesh file cannot be read or holds no triangles; the message names the file."""


def normalize_shapenet(vertices: np.ndarray) -> np.ndarray:
    """ShapeNetCore v2 normalisation: bounding-box centre at the origin, unit bounding-box diagonal.

    Uses :func:`sbsr.shapes.normalize_shapenet` when that module is present (one definition for the
    project); this local copy has the same definition.
    """
    try:
        from sbsr.shapes import normalize_shapenet as shared
    except ImportError:
        shared = None
    if shared is not None:
        return np.asarray(shared(np.asarray(vertices, dtype=np.float64)), dtype=np.float64)
    v = np.asarray(vertices, dtype=np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    diag = float(np.linalg.norm(hi - lo))
    return (v - (lo + hi) / 2.0) / (diag if diag > 0 else 1.0)


def load_mesh_file(path: str | os.PathLike, normalize: bool = True):
    """Load ``path`` as one :class:`trimesh.Trimesh` (scenes are merged, materials ignored).

    ``normalize`` applies :func:`normalize_shapenet` (idempotent on ShapeNetCore v2 models).
    Raises :class:`FileNotFoundError` or :class:`MeshLoadError`, both naming the file.
    """
    import trimesh

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mesh file {path} does not exist")
    if path.stat().st_size == 0:
        raise MeshLoadError(f"{path}: empty file")
    kwargs = {"skip_materials": True} if path.suffix.lower() == ".obj" else {}
    try:
        mesh = trimesh.load(path, force="mesh", process=False, **kwargs)
    except Exception as exc:  # trimesh raises many kinds; all mean "unreadable"
        raise MeshLoadError(f"{path}: cannot read mesh ({type(exc).__name__}: {exc})") from exc
    if not isinstance(mesh, trimesh.Trimesh):
        raise MeshLoadError(f"{path}: no triangle mesh inside (got {type(mesh).__name__})")
    if len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise MeshLoadError(f"{path}: mesh has no triangles")
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    if not np.isfinite(vertices).all():
        raise MeshLoadError(f"{path}: mesh has non-finite vertex coordinates")
    if normalize:
        vertices = normalize_shapenet(vertices)
    return trimesh.Trimesh(vertices=vertices, faces=np.asarray(mesh.faces, dtype=np.int64), process=False)


def export_obj_bytes(mesh) -> bytes:
    """Deterministic OBJ text of any object with ``.vertices``/``.faces`` (trimesh's OBJ exporter)."""
    import trimesh

    tm = mesh if isinstance(mesh, trimesh.Trimesh) else trimesh.Trimesh(
        vertices=np.asarray(mesh.vertices, dtype=np.float64), faces=np.asarray(mesh.faces, dtype=np.int64), process=False
    )
    text = trimesh.exchange.obj.export_obj(
        tm, include_normals=False, include_color=False, include_texture=False, write_texture=False
    )
    return text.encode("utf-8")
