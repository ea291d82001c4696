"""Reading mesh files (OBJ, OFF, PLY, GLB/GLTF, STL) into one triangle mesh, normalised like ShapeNetCore v2.

Real collections are messy; :func:`load_mesh_file` copes with

* **scenes** (several parts, materials or nodes: GLB/GLTF, multi-object OBJ): every triangle geometry is
  placed by its node transform and merged; point clouds and line sets in the scene are ignored;
* **broken faces**: faces with a repeated vertex, zero area, a non-finite vertex, or repeating another face
  are removed, then unused vertices; closed bodies wound inside out (or inconsistently) are re-oriented so
  that their normals point outwards, which the renderer's back-face culling relies on (open and non-manifold
  meshes are left as they are: the renderer draws both sides of them);
* **huge meshes**: above ``max_faces`` triangles the mesh is simplified by vertex clustering
  (Rossignac & Borrel 1993: vertices in one cell of a uniform grid merge into their mean), with the finest
  grid that meets the cap;
* **other orientations**: the world is ShapeNetCore v2's (+Y up, front -Z, :mod:`sbsr.shapes.orientation`);
  ``up="z"`` turns Z-up files whose front is -Y (Blender, many STL/PLY exports, ModelNet) into it,
  ``up="y-front+z"`` turns +Y-up files whose front faces +Z (:data:`UP_AXES` lists the named conventions).

Everything the loader changed is warned about (:class:`MeshRepairWarning`) and listed in
``mesh.metadata["sbsr_notes"]``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..shapes import normalize_shapenet
from ..shapes.orientation import CONVENTIONS, to_world

MESH_SUFFIXES = (".obj", ".off", ".ply", ".glb", ".gltf", ".stl")
UP_AXES = tuple(CONVENTIONS)  # named orientations of mesh files: "y" (ShapeNet), "z", "y-front+z"
DEFAULT_MAX_FACES = 200_000  # the NumPy renderer draws ~200k faces per view in about a second


class MeshLoadError(ValueError):
    """A mesh file cannot be read or holds no triangles; the message names the file."""


class MeshRepairWarning(UserWarning):
    """A mesh was changed while loading (faces removed, re-oriented, simplified); the message names the file."""


# --------------------------------------------------------------------------------------------- reading
def _read_triangles(path: Path):
    """(vertices, faces, notes) of every triangle geometry in the file, scene transforms applied."""
    import trimesh

    kwargs = {"skip_materials": True} if path.suffix.lower() == ".obj" else {}
    try:
        loaded = trimesh.load(path, process=False, **kwargs)
    except Exception as exc:  # trimesh raises many kinds; all mean "unreadable"
        raise MeshLoadError(f"{path}: cannot read mesh ({type(exc).__name__}: {exc})") from exc
    notes: list[str] = []
    if isinstance(loaded, trimesh.Scene):
        try:
            geometries = loaded.dump(concatenate=False)  # copies with the node transforms applied
        except Exception as exc:
            raise MeshLoadError(f"{path}: cannot assemble the scene ({type(exc).__name__}: {exc})") from exc
        meshes = [g for g in geometries if isinstance(g, trimesh.Trimesh) and len(g.faces)]
        ignored = len(geometries) - len(meshes)
        if not geometries:
            raise MeshLoadError(f"{path}: cannot read mesh (no geometry found in the file)")
        if not meshes:
            kinds = sorted({type(g).__name__ for g in geometries}) or ["nothing"]
            raise MeshLoadError(f"{path}: no triangle mesh inside (the scene holds {', '.join(kinds)})")
        if len(meshes) > 1:
            notes.append(f"merged {len(meshes)} parts of a scene")
        if ignored:
            notes.append(f"ignored {ignored} scene geometries without triangles (points, lines or empty)")
        vertices, faces, offset = [], [], 0
        for m in meshes:
            vertices.append(np.asarray(m.vertices, dtype=np.float64))
            faces.append(np.asarray(m.faces, dtype=np.int64) + offset)
            offset += len(m.vertices)
        return np.concatenate(vertices), np.concatenate(faces), notes
    if not isinstance(loaded, trimesh.Trimesh):
        raise MeshLoadError(f"{path}: no triangle mesh inside (got {type(loaded).__name__})")
    return np.asarray(loaded.vertices, dtype=np.float64), np.asarray(loaded.faces, dtype=np.int64), notes


# --------------------------------------------------------------------------------------------- repairs
def clean_faces(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Remove faces that cannot be drawn, then unused vertices.

    Dropped, in this order: faces indexing a missing vertex, faces touching a non-finite vertex, faces with
    a repeated vertex index, faces of zero area (below ``1e-12`` of the squared bounding-box diagonal) and
    faces over the same three vertices as an earlier face. Returns ``(vertices, faces, counts)``.
    """
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    counts: dict[str, int] = {}

    def drop(keep: np.ndarray, what: str) -> None:
        nonlocal f
        n = int((~keep).sum())
        if n:
            counts[what] = n
            f = f[keep]

    drop(((f >= 0) & (f < len(v))).all(axis=1), "indexing a missing vertex")
    finite = np.isfinite(v).all(axis=1)
    drop(finite[f].all(axis=1), "touching a non-finite vertex")
    drop((f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2]), "with a repeated vertex")
    if len(f):
        used = v[np.unique(f)]
        diag2 = float(np.sum((used.max(axis=0) - used.min(axis=0)) ** 2))
        tri = v[f]
        area2 = np.sum(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]) ** 2, axis=1)
        drop(area2 > (1e-12 * diag2) ** 2, "of zero area")
    if len(f):
        keep = np.zeros(len(f), dtype=bool)
        keep[_first_of_each_row(np.sort(f, axis=1))] = True
        drop(keep, "repeating another face")
    used_ids, f = np.unique(f, return_inverse=True)
    return v[used_ids], f.reshape(-1, 3).astype(np.int64), counts


def orient_closed_bodies(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, bool]:
    """Outward, consistent winding for a closed (watertight) mesh; other meshes come back unchanged.

    Each connected body is wound consistently and flipped when its signed volume is negative
    (:func:`trimesh.repair.fix_normals` with ``multibody=True``). Returns ``(faces, changed)``.
    """
    import trimesh

    tm = trimesh.Trimesh(vertices=vertices, faces=faces.copy(), process=False)
    if len(faces) < 4 or not tm.is_watertight:
        return faces, False
    trimesh.repair.fix_normals(tm, multibody=True)
    new = np.asarray(tm.faces, dtype=np.int64)
    return new, bool(not np.array_equal(new, faces))


def _first_of_each_row(rows: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row of an int64 (N, 3) array, in input order."""
    rows = np.ascontiguousarray(rows)
    as_bytes = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).reshape(-1)
    _, first = np.unique(as_bytes, return_index=True)
    return np.sort(first)


def _cluster(vertices: np.ndarray, faces: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    lo = vertices.min(axis=0)
    size = float(np.ptp(vertices, axis=0).max()) / cells or 1.0
    grid = np.minimum(np.floor((vertices - lo) / size).astype(np.int64), cells)  # 0..cells per axis
    key = (grid[:, 0] * (cells + 1) + grid[:, 1]) * (cells + 1) + grid[:, 2]
    _, cluster, counts = np.unique(key, return_inverse=True, return_counts=True)
    cluster = cluster.reshape(-1)
    centre = np.zeros((len(counts), 3))
    for axis in range(3):
        centre[:, axis] = np.bincount(cluster, weights=vertices[:, axis], minlength=len(counts))
    centre /= counts[:, None]
    f = cluster[faces]
    f = f[(f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])]
    if len(f):
        f = f[_first_of_each_row(np.sort(f, axis=1))]
    used, f = np.unique(f, return_inverse=True)
    return centre[used], f.reshape(-1, 3)


def decimate_by_clustering(vertices: np.ndarray, faces: np.ndarray, max_faces: int
                           ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_faces`` triangles by vertex clustering on the finest uniform grid that meets the cap.

    Vertex clustering (Rossignac & Borrel 1993): the bounding box is cut into cubic cells, the vertices of a
    cell merge into their mean, collapsed and repeated faces go. The number of cells along the longest side
    is searched by a few steps of the power law ``faces ~ cells^2`` (surfaces), keeping the finest grid that
    meets the cap. Deterministic.
    """
    if max_faces < 1:
        raise ValueError(f"max_faces must be >= 1, got {max_faces}")
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    if len(faces) <= max_faces:
        return vertices, faces
    best, best_cells, too_fine = None, 0, 1 << 14
    cells = 64
    for _ in range(8):
        candidate = _cluster(vertices, faces, cells)
        n = len(candidate[1])
        if n <= max_faces:
            if cells > best_cells:
                best, best_cells = candidate, cells
            if n >= 0.9 * max_faces:
                break
        else:
            too_fine = min(too_fine, cells)
        guess = int(cells * np.sqrt(max_faces / max(n, 1)) * 0.97)
        cells = int(np.clip(guess, best_cells + 1, too_fine - 1))
        if cells <= best_cells or cells >= too_fine:
            break
    if best is None:  # even the coarsest grids tried are too fine: halve until the cap holds
        cells = min(too_fine, 64)
        while best is None:
            cells = max(1, cells // 2)
            candidate = _cluster(vertices, faces, cells)
            if len(candidate[1]) <= max_faces or cells == 1:
                best = candidate
    return best


# --------------------------------------------------------------------------------------------- entry point
def load_mesh_file(path: str | os.PathLike, normalize: bool = True, repair: bool = True,
                   max_faces: int | None = None, up: str = "y"):
    """Load ``path`` as one :class:`trimesh.Trimesh` (see the module docstring for what is handled).

    ``normalize`` applies :func:`normalize_shapenet` (idempotent on ShapeNetCore v2 models); ``repair``
    removes undrawable faces and re-orients closed bodies; ``max_faces`` (None: no cap) simplifies bigger
    meshes by vertex clustering; ``up`` names the file's orientation (:data:`UP_AXES`: ``"y"`` ShapeNet's +Y up / front -Z, ``"z"`` Z up /
    front -Y, ``"y-front+z"``); the mesh comes back in ShapeNet's.
    Changes are warned about (:class:`MeshRepairWarning`) and listed in ``mesh.metadata["sbsr_notes"]``.
    Raises :class:`FileNotFoundError` or :class:`MeshLoadError`, both naming the file.
    """
    import trimesh

    if up not in UP_AXES:
        raise ValueError(f"up must be one of {UP_AXES} (the mesh file's orientation), got {up!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mesh file {path} does not exist")
    if path.stat().st_size == 0:
        raise MeshLoadError(f"{path}: empty file")
    vertices, faces, notes = _read_triangles(path)
    if len(faces) == 0 or len(vertices) == 0:
        raise MeshLoadError(f"{path}: mesh has no triangles")
    if repair:
        n_faces = len(faces)
        vertices, faces, dropped = clean_faces(vertices, faces)
        if len(faces) == 0:
            raise MeshLoadError(f"{path}: none of its {n_faces} faces can be drawn "
                                f"({', '.join(f'{n} {w}' for w, n in dropped.items())})")
        if dropped:
            notes.append("removed faces: " + ", ".join(f"{n} {what}" for what, n in dropped.items()))
    elif not np.isfinite(vertices).all():
        raise MeshLoadError(f"{path}: mesh has non-finite vertex coordinates")
    if max_faces is not None and len(faces) > max_faces:
        n_before = len(faces)
        vertices, faces = decimate_by_clustering(vertices, faces, int(max_faces))
        notes.append(f"simplified from {n_before} to {len(faces)} faces (vertex clustering, cap {max_faces})")
    if repair:
        faces, changed = orient_closed_bodies(vertices, faces)
        if changed:
            notes.append("re-oriented a closed mesh whose faces pointed inwards or were wound inconsistently")
    vertices = to_world(vertices, up)
    if normalize:
        try:
            vertices = normalize_shapenet(vertices)
        except ValueError as exc:
            raise MeshLoadError(f"{path}: {exc}") from exc
    for note in notes:
        if not note.startswith("merged"):  # merging parts is normal, not a repair
            warnings.warn(f"{path}: {note}", MeshRepairWarning, stacklevel=2)
    mesh = trimesh.Trimesh(vertices=vertices, faces=np.asarray(faces, dtype=np.int64), process=False)
    mesh.metadata["sbsr_notes"] = notes
    return mesh


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
