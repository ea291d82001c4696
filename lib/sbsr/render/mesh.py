"""View-independent mesh data the renderer needs: face normals, part ids and the edge topology used for
line extraction (silhouettes, creases, borders). Computed once per mesh and cached by content hash, so
rendering many views of one shape pays for it once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

_CACHE: "OrderedDict[str, MeshData]" = OrderedDict()
_CACHE_SIZE = 64
_LOCK = threading.Lock()


@dataclass(frozen=True)
class MeshData:
    """A triangle mesh prepared for rendering.

    ``edges`` are the unique undirected edges of the mesh after welding coincident vertices (so triangle
    soups with duplicated vertices still have a topology); ``edge_faces[:, 1] == -1`` marks border edges
    (one face). Edges shared by more than two faces (parts meeting along an edge) keep their first two
    faces and are flagged in ``edge_nonmanifold``. ``closed`` is True when no edge is a border, i.e. the
    mesh is a union of closed surfaces, so back faces can never be seen.
    """

    vertices: np.ndarray        # (V,3) float64
    faces: np.ndarray           # (F,3) int64
    part_ids: np.ndarray        # (F,) int64 (0 when the mesh has none)
    face_normals: np.ndarray    # (F,3) unit normals from the winding (0 for degenerate faces)
    edges: np.ndarray           # (E,2) vertex indices into ``vertices`` (a representative of each weld class)
    edge_faces: np.ndarray      # (E,2) face indices, -1 where missing
    edge_nonmanifold: np.ndarray  # (E,) bool
    dihedral: np.ndarray        # (E,) angle between the two face normals in degrees (0 for borders and
                                # edges of degenerate faces)
    closed: bool
    key: str


def _mesh_key(vertices: np.ndarray, faces: np.ndarray, part_ids: np.ndarray | None) -> str:
    h = hashlib.blake2b(digest_size=16)
    for arr in (vertices, faces) + ((part_ids,) if part_ids is not None else ()):
        h.update(str(arr.shape).encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def prepare_mesh(mesh) -> MeshData:
    """Return (cached) :class:`MeshData` for any object with ``.vertices`` (V,3) and ``.faces`` (F,3) and an
    optional ``.part_ids`` (F,). A :class:`MeshData` is returned unchanged."""
    if isinstance(mesh, MeshData):
        return mesh
    try:
        vertices = np.asarray(mesh.vertices, dtype=np.float64)
        faces = np.asarray(mesh.faces, dtype=np.int64)
    except AttributeError as exc:
        raise TypeError(f"render needs a mesh with .vertices and .faces, got {type(mesh).__name__}") from exc
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ValueError(f"mesh.vertices must have shape (V,3), got {vertices.shape}")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise ValueError(f"mesh.faces must have shape (F,3) (triangles), got {faces.shape}")
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError("mesh.faces index vertices that do not exist")
    part_ids = getattr(mesh, "part_ids", None)
    if part_ids is not None:
        part_ids = np.asarray(part_ids, dtype=np.int64).reshape(-1)
        if part_ids.shape != (len(faces),):
            raise ValueError(f"mesh.part_ids must have one entry per face ({len(faces)}), got {part_ids.shape}")
    key = _mesh_key(vertices, faces, part_ids)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    # private read-only copies: later in-place edits of the caller's arrays cannot corrupt the cache
    vertices, faces = vertices.copy(), faces.copy()
    part_ids = None if part_ids is None else part_ids.copy()
    data = _build(vertices, faces, part_ids, key)
    for arr in (data.vertices, data.faces, data.part_ids, data.face_normals, data.edges, data.edge_faces):
        arr.setflags(write=False)
    with _LOCK:
        _CACHE[key] = data
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return data


def _build(vertices, faces, part_ids, key) -> MeshData:
    n_faces = len(faces)
    if part_ids is None:
        part_ids = np.zeros(n_faces, dtype=np.int64)
    if n_faces == 0:
        empty = np.zeros((0, 2), dtype=np.int64)
        return MeshData(vertices=vertices, faces=faces.reshape(0, 3), part_ids=part_ids,
                        face_normals=np.zeros((0, 3)), edges=empty, edge_faces=empty,
                        edge_nonmanifold=np.zeros(0, bool), dihedral=np.zeros(0), closed=False, key=key)
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, norm, out=np.zeros_like(normals), where=norm > 0)

    # Weld coincident vertices (relative tolerance) so that edge adjacency ignores duplicated vertices.
    if len(vertices):
        scale = max(float(np.ptp(vertices, axis=0).max()), 1e-12)
        quant = np.round(vertices / (scale * 1e-7)).astype(np.int64)
        _, first, weld = np.unique(quant, axis=0, return_index=True, return_inverse=True)
        weld = weld.reshape(-1)
    else:
        first = weld = np.zeros(0, dtype=np.int64)
    wf = weld[faces]                                             # faces in welded ids
    half = np.stack([wf[:, [0, 1]], wf[:, [1, 2]], wf[:, [2, 0]]], axis=1).reshape(-1, 2)
    half_face = np.repeat(np.arange(n_faces), 3)
    valid = half[:, 0] != half[:, 1]                             # drop edges collapsed by welding
    half, half_face = half[valid], half_face[valid]
    und = np.sort(half, axis=1)
    n_weld = int(weld.max()) + 1 if len(weld) else 1
    code = und[:, 0] * n_weld + und[:, 1]
    order = np.argsort(code, kind="stable")
    code_sorted = code[order]
    starts = np.flatnonzero(np.r_[True, code_sorted[1:] != code_sorted[:-1]])
    counts = np.diff(np.r_[starts, len(code_sorted)])
    edges_w = und[order[starts]]
    f0 = half_face[order[starts]]
    f1 = np.where(counts >= 2, half_face[order[np.minimum(starts + 1, len(order) - 1)]], -1)
    edge_faces = np.stack([f0, f1], axis=1) if len(starts) else np.zeros((0, 2), dtype=np.int64)
    n0, n1 = normals[f0], normals[np.maximum(f1, 0)]
    # borders and edges of degenerate (zero-area) faces get no dihedral angle, so no false creases
    has_angle = (f1 >= 0) & np.any(n0 != 0, axis=1) & np.any(n1 != 0, axis=1)
    cosang = np.where(has_angle, np.einsum("ij,ij->i", n0, n1), 1.0)
    dihedral = np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))
    edges = first[edges_w] if len(edges_w) else np.zeros((0, 2), dtype=np.int64)
    return MeshData(
        vertices=vertices,
        faces=faces,
        part_ids=part_ids,
        face_normals=normals,
        edges=edges.astype(np.int64),
        edge_faces=edge_faces.astype(np.int64),
        edge_nonmanifold=counts > 2,
        dihedral=dihedral,
        closed=bool(len(counts)) and bool(np.all(counts >= 2)),
        key=key,
    )
