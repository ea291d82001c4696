"""The :class:`Shape` record, ShapeNetCore-v2 normalisation and a part-labelled mesh builder.

Every procedural category assembles its mesh from closed primitives (boxes, frusta, sweeps along
paths, surfaces of revolution) with :class:`MeshBuilder`. Each primitive is a closed, consistently
wound component whose signed volume is made positive (outward normals, counter-clockwise seen from
outside); primitives may overlap (there is no boolean union, as in most ShapeNet models, whose parts
interpenetrate too). Every face carries the index of the part it belongs to.

Builders model an object in the *build frame*: +Y up, the front towards +Z, its left side +X (the
left hand of someone sitting on a chair that faces +Z); :func:`sbsr.shapes.generate.build_shape` turns it
into the world convention of :mod:`sbsr.shapes.orientation` (ShapeNetCore v2: front -Z).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from trimesh import creation

# ----------------------------------------------------------------------------------------------
# The Shape record
# ----------------------------------------------------------------------------------------------


@dataclass
class Shape:
    """A procedurally generated, part-labelled, normalised triangle mesh (see CONTRACTS.md)."""

    shape_id: str
    category: str
    vertices: np.ndarray
    faces: np.ndarray
    part_ids: np.ndarray
    part_names: list[str]
    params: dict
    meta: dict = field(default_factory=dict)

    def to_trimesh(self) -> trimesh.Trimesh:
        """A :class:`trimesh.Trimesh` with the same arrays (no vertex merging); part ids ride along
        as the face attribute ``"part_ids"``."""
        return trimesh.Trimesh(
            vertices=self.vertices.copy(),
            faces=self.faces.copy(),
            face_attributes={"part_ids": self.part_ids.copy()},
            process=False,
        )

    @property
    def n_faces(self) -> int:
        return int(len(self.faces))

    def part_mask(self, name: str) -> np.ndarray:
        """Boolean face mask of the part called ``name`` (all False when the shape lacks it)."""
        if name not in self.part_names:
            raise KeyError(f"{self.category} has no part named {name!r}; parts are {self.part_names}")
        return self.part_ids == self.part_names.index(name)

    def component_ids(self) -> np.ndarray:
        """(F,) index of the closed primitive each face belongs to (from ``meta["component_sizes"]``;
        all zeros when unknown). Components may overlap but never share vertices."""
        sizes = self.meta.get("component_sizes")
        if not sizes:
            return np.zeros(len(self.faces), np.int64)
        return np.repeat(np.arange(len(sizes)), sizes)

    def parts_present(self) -> list[str]:
        return [self.part_names[i] for i in np.unique(self.part_ids)]

    def to_dict(self, with_arrays: bool = False) -> dict:
        """A JSON-serialisable description. Without arrays it is enough to rebuild the shape with
        :func:`sbsr.shapes.from_dict` (the generators are deterministic)."""
        d = {
            "shape_id": self.shape_id,
            "category": self.category,
            "part_names": list(self.part_names),
            "params": self.params,
            "meta": self.meta,
        }
        if with_arrays:
            d["vertices"] = self.vertices.tolist()
            d["faces"] = self.faces.tolist()
            d["part_ids"] = self.part_ids.tolist()
        return d

    def to_json(self, with_arrays: bool = False) -> str:
        return json.dumps(self.to_dict(with_arrays), sort_keys=True)


def normalize_shapenet(vertices: np.ndarray) -> np.ndarray:
    """ShapeNetCore v2 normalisation: centre the axis-aligned bounding box at the origin and scale
    uniformly so that the bounding-box diagonal has length 1."""
    v = np.asarray(vertices, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != 3 or len(v) == 0:
        raise ValueError(f"vertices must be a non-empty (V,3) array, got shape {v.shape}")
    lo, hi = v.min(axis=0), v.max(axis=0)
    diag = float(np.linalg.norm(hi - lo))
    if not np.isfinite(diag) or diag <= 0:
        raise ValueError("cannot normalise a degenerate mesh (zero or non-finite bounding-box diagonal)")
    return (v - 0.5 * (lo + hi)) / diag


def normalization_transform(vertices: np.ndarray) -> tuple[np.ndarray, float]:
    """The centre and scale used by :func:`normalize_shapenet` (``v_n = (v - centre) / scale``)."""
    v = np.asarray(vertices, dtype=np.float64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    return 0.5 * (lo + hi), float(np.linalg.norm(hi - lo))


# ----------------------------------------------------------------------------------------------
# Small geometry helpers
# ----------------------------------------------------------------------------------------------


def _cos_sin(deg: float) -> tuple[float, float]:
    """cos and sin of an angle in degrees, exact for multiples of 90."""
    if float(deg) % 90.0 == 0.0:
        k = int(round(float(deg) / 90.0)) % 4
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[k]
    a = np.radians(deg)
    return float(np.cos(a)), float(np.sin(a))


def rot_x(deg: float) -> np.ndarray:
    c, s = _cos_sin(deg)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float64)


def rot_y(deg: float) -> np.ndarray:
    c, s = _cos_sin(deg)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=np.float64)


def rot_z(deg: float) -> np.ndarray:
    c, s = _cos_sin(deg)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=np.float64)


def affine(rotation: np.ndarray | None = None, translation=(0.0, 0.0, 0.0), pivot=None,
           scale=None) -> np.ndarray:
    """4x4 matrix ``x -> R (S x - p) + p + t`` (rotation about ``pivot``, optional axis scale)."""
    m = np.eye(4)
    lin = np.eye(3) if rotation is None else np.asarray(rotation, float)
    if scale is not None:
        lin = lin @ np.diag(np.broadcast_to(np.asarray(scale, float), (3,)))
    m[:3, :3] = lin
    p = np.zeros(3) if pivot is None else np.asarray(pivot, float)
    m[:3, 3] = p - lin @ p + np.asarray(translation, float)
    return m


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Signed volume of a closed triangle mesh (divergence theorem); positive for outward normals."""
    t = vertices[faces]
    return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0)


def vertex_components(faces: np.ndarray, n_vertices: int) -> np.ndarray:
    """Connected-component label of every vertex (vertices joined by the faces' edges; vertices in no face
    are components of their own)."""
    faces = np.asarray(faces, dtype=np.int64)
    rows = faces[:, [0, 1, 2]].ravel()
    cols = faces[:, [1, 2, 0]].ravel()
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_vertices, n_vertices))
    return connected_components(graph, directed=False)[1]


def circle_section(radius: float = 1.0, n: int = 12) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([np.cos(a), np.sin(a)], axis=1) * radius


def rect_section(width: float, height: float, center=(0.0, 0.0)) -> np.ndarray:
    w, h = width / 2, height / 2
    cx, cy = center
    return np.array([[cx - w, cy - h], [cx + w, cy - h], [cx + w, cy + h], [cx - w, cy + h]], float)


def rounded_rect_section(width: float, height: float, radius: float, n_corner: int = 4,
                         center=(0.0, 0.0)) -> np.ndarray:
    """Convex outline of a rectangle with rounded corners (``radius`` clipped to fit)."""
    r = float(min(radius, 0.5 * width - 1e-6, 0.5 * height - 1e-6))
    if r <= 1e-6:
        return rect_section(width, height, center)
    w, h = width / 2 - r, height / 2 - r
    pts = []
    for cx, cy, a0 in ((w, -h, -90.0), (w, h, 0.0), (-w, h, 90.0), (-w, -h, 180.0)):
        a = np.radians(a0 + np.linspace(0, 90, n_corner + 1))
        pts.append(np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1))
    return np.concatenate(pts) + np.asarray(center, float)


def superellipse_section(width: float, height: float, exponent: float = 4.0, n: int = 32) -> np.ndarray:
    """|x/a|^e + |y/b|^e = 1: exponent 2 is an ellipse, large exponents approach a rectangle."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    x = np.sign(c) * np.abs(c) ** (2.0 / exponent) * width / 2
    y = np.sign(s) * np.abs(s) ** (2.0 / exponent) * height / 2
    return np.stack([x, y], axis=1)


def rounded_polyline(points: Sequence[Sequence[float]], radius: float, n_arc: int = 5) -> np.ndarray:
    """Replace every interior corner of a 3D polyline by a circular fillet of ``radius``
    (clipped to half the adjacent segment lengths)."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 3 or radius <= 0:
        return p
    out = [p[0]]
    for i in range(1, len(p) - 1):
        a, b, c = p[i - 1], p[i], p[i + 1]
        u, v = a - b, c - b
        lu, lv = np.linalg.norm(u), np.linalg.norm(v)
        u, v = u / lu, v / lv
        cosang = float(np.clip(u @ v, -1, 1))
        half = np.arccos(cosang) / 2
        if half < 1e-3 or np.pi / 2 - half < 1e-3:  # straight through or reversal
            out.append(b)
            continue
        d = min(radius / np.tan(half), 0.45 * lu, 0.45 * lv)
        r = d * np.tan(half)
        p0, p1 = b + u * d, b + v * d
        bis = (u + v) / np.linalg.norm(u + v)
        centre = b + bis * (r / np.sin(half))
        e0, e1 = p0 - centre, p1 - centre
        ang = np.arccos(np.clip(e0 @ e1 / (np.linalg.norm(e0) * np.linalg.norm(e1)), -1, 1))
        for t in np.linspace(0, 1, n_arc + 1):
            # spherical interpolation of the radius vector
            if ang < 1e-9:
                w0, w1 = 1 - t, t
            else:
                w0, w1 = np.sin((1 - t) * ang) / np.sin(ang), np.sin(t * ang) / np.sin(ang)
            out.append(centre + w0 * e0 + w1 * e1)
    out.append(p[-1])
    return np.asarray(out)


def smooth_profile(knots: Sequence[Sequence[float]], n: int = 24) -> np.ndarray:
    """Monotone-in-height smooth curve through (radius, height) knots (Catmull-Rom spline)."""
    k = np.asarray(knots, float)
    if len(k) < 3:
        return k
    pts = np.concatenate([2 * k[:1] - k[1:2], k, 2 * k[-1:] - k[-2:-1]])
    seg = max(2, n // (len(k) - 1))
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        t = np.linspace(0, 1, seg, endpoint=False)[:, None]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(k[-1:])
    return np.concatenate(out)


def _rotation_minimizing_frames(path: np.ndarray, normal0: np.ndarray | None):
    """Tangents and rotation-minimising normals along a polyline (double reflection,
    Wang et al. 2008)."""
    n = len(path)
    seg = np.diff(path, axis=0)
    seg_len = np.linalg.norm(seg, axis=1)
    if np.any(seg_len < 1e-12):
        raise ValueError("sweep path has repeated points")
    d = seg / seg_len[:, None]
    t = np.empty_like(path)
    t[0], t[-1] = d[0], d[-1]
    if n > 2:
        mid = d[:-1] + d[1:]
        norms = np.linalg.norm(mid, axis=1)
        bad = norms < 1e-9
        mid[bad] = d[1:][bad]
        norms[bad] = 1.0
        t[1:-1] = mid / norms[:, None]
    if normal0 is None:
        helper = np.array([0.0, 1.0, 0.0]) if abs(t[0][1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    else:
        helper = np.asarray(normal0, float)
    r0 = helper - (helper @ t[0]) * t[0]
    if np.linalg.norm(r0) < 1e-9:
        helper = np.array([1.0, 0.0, 0.0]) if abs(t[0][0]) < 0.9 else np.array([0.0, 0.0, 1.0])
        r0 = helper - (helper @ t[0]) * t[0]
    r = np.empty_like(path)
    r[0] = r0 / np.linalg.norm(r0)
    for i in range(n - 1):
        v1 = path[i + 1] - path[i]
        c1 = v1 @ v1
        rl = r[i] - (2 / c1) * (v1 @ r[i]) * v1
        tl = t[i] - (2 / c1) * (v1 @ t[i]) * v1
        v2 = t[i + 1] - tl
        c2 = v2 @ v2
        ri = rl - (2 / c2) * (v2 @ rl) * v2 if c2 > 1e-18 else rl
        ri = ri - (ri @ t[i + 1]) * t[i + 1]
        r[i + 1] = ri / np.linalg.norm(ri)
    return t, r


def sweep_mesh(path, section, scales=None, normal=None, cap: bool = True):
    """Sweep a convex 2D ``section`` (m,2) along a 3D polyline ``path`` (n,3) with rotation-minimising
    frames; ``scales`` (n,) or (n,2) scales the section per path point; ``normal`` fixes the
    direction of the section's first axis at the start. Caps are triangle fans (convex sections).
    Returns (vertices, faces) of a closed tube (winding fixed later by the builder)."""
    path = np.asarray(path, float)
    section = np.asarray(section, float)
    n, m = len(path), len(section)
    t, nrm = _rotation_minimizing_frames(path, normal)
    b = np.cross(t, nrm)
    if scales is None:
        s = np.ones((n, 2))
    else:
        s = np.asarray(scales, float)
        s = np.repeat(s[:, None], 2, axis=1) if s.ndim == 1 else s
    u = section[None, :, 0] * s[:, 0:1]  # (n,m)
    v = section[None, :, 1] * s[:, 1:2]
    verts = path[:, None, :] + u[..., None] * nrm[:, None, :] + v[..., None] * b[:, None, :]
    verts = verts.reshape(-1, 3)
    i = np.arange(n - 1)[:, None]
    j = np.arange(m)[None, :]
    a = i * m + j
    bj = i * m + (j + 1) % m
    c = (i + 1) * m + (j + 1) % m
    d = (i + 1) * m + j
    faces = np.concatenate([np.stack([a, bj, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
    if cap:
        c0, c1 = len(verts), len(verts) + 1
        centres = np.stack([verts[:m].mean(axis=0), verts[-m:].mean(axis=0)])
        verts = np.concatenate([verts, centres])
        jj = np.arange(m)
        start = np.stack([np.full(m, c0), (jj + 1) % m, jj], axis=1)
        end = np.stack([np.full(m, c1), (n - 1) * m + jj, (n - 1) * m + (jj + 1) % m], axis=1)
        faces = np.concatenate([faces, start, end])
    return verts, faces.astype(np.int64)


# ----------------------------------------------------------------------------------------------
# The part-labelled mesh builder
# ----------------------------------------------------------------------------------------------


class MeshBuilder:
    """Collects closed primitives with part labels; ``transform`` contexts compose 4x4 matrices
    applied to everything added inside them. Each added component is re-oriented so that its
    signed volume is positive (outward normals)."""

    def __init__(self, part_names: Sequence[str]):
        self.part_names = list(part_names)
        self._verts: list[np.ndarray] = []
        self._faces: list[np.ndarray] = []
        self._parts: list[np.ndarray] = []
        self._n = 0
        self._stack = [np.eye(4)]
        self.n_components = 0
        self.component_sizes: list[int] = []  # faces per closed component, in order

    # -- transforms -------------------------------------------------------------------------
    @contextlib.contextmanager
    def transform(self, matrix: np.ndarray) -> Iterator[None]:
        self._stack.append(self._stack[-1] @ np.asarray(matrix, float))
        try:
            yield
        finally:
            self._stack.pop()

    # -- core -------------------------------------------------------------------------------
    def add(self, vertices: np.ndarray, faces: np.ndarray, part: str | Sequence[str]) -> None:
        """Add one closed component (vertices in the current local frame). ``part`` names the part of
        every face, or is a sequence with one part name per face."""
        names = [part] if isinstance(part, str) else list(dict.fromkeys(part))
        for name in names:
            if name not in self.part_names:
                raise KeyError(f"unknown part {name!r}; expected one of {self.part_names}")
        v = np.asarray(vertices, np.float64)
        f = np.asarray(faces, np.int64)
        m = self._stack[-1]
        v = v @ m[:3, :3].T + m[:3, 3]
        if signed_volume(v, f) < 0:
            f = f[:, ::-1]
        if isinstance(part, str):
            ids = np.full(len(f), self.part_names.index(part), np.int64)
        else:
            lookup = {name: self.part_names.index(name) for name in names}
            ids = np.array([lookup[name] for name in part], np.int64)
            if len(ids) != len(f):
                raise ValueError(f"got {len(ids)} part names for {len(f)} faces")
        self._verts.append(v)
        self._faces.append(f + self._n)
        self._parts.append(ids)
        self.component_sizes.append(int(len(f)))
        self._n += len(v)
        self.n_components += 1

    def add_trimesh(self, mesh: trimesh.Trimesh, part: str) -> None:
        self.add(mesh.vertices, mesh.faces, part)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self._verts:
            raise ValueError("the builder is empty")
        return np.concatenate(self._verts), np.concatenate(self._faces), np.concatenate(self._parts)

    # -- primitives -------------------------------------------------------------------------
    def box(self, part: str, center, extents, rotation: np.ndarray | None = None) -> None:
        """Axis-aligned box (then rotated about its centre)."""
        m = affine(rotation, translation=center)
        mesh = creation.box(extents=np.asarray(extents, float), transform=m)
        self.add(mesh.vertices, mesh.faces, part)

    def box_between(self, part: str, lo, hi) -> None:
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        self.box(part, (lo + hi) / 2, np.abs(hi - lo))

    def sweep(self, part: str, path, section, scales=None, normal=None) -> None:
        v, f = sweep_mesh(path, section, scales=scales, normal=normal)
        self.add(v, f, part)

    def tube(self, part: str, path, radius: float, sections: int = 10, radius_end: float | None = None,
             normal=None) -> None:
        path = np.asarray(path, float)
        scales = None
        if radius_end is not None:
            scales = np.linspace(1.0, radius_end / radius, len(path))
        self.sweep(part, path, circle_section(radius, sections), scales=scales, normal=normal)

    def rod(self, part: str, p0, p1, r0: float, r1: float | None = None, sections: int = 12,
            square: bool = False, normal=None) -> None:
        """A frustum (or square-section tapered bar when ``square``) from p0 to p1."""
        section = rect_section(2 * r0, 2 * r0) if square else circle_section(r0, sections)
        scales = None if r1 is None else np.array([1.0, r1 / r0])
        if square and normal is None:
            normal = (1.0, 0.0, 0.0)
        self.sweep(part, [p0, p1], section, scales=scales, normal=normal)

    def prism_y(self, part: str, outline_xz, y0: float, y1: float, center=(0.0, 0.0)) -> None:
        """Vertical extrusion of a convex outline given as (x, z) points, between heights y0 < y1."""
        o = np.asarray(outline_xz, float) + np.asarray(center, float)
        m = len(o)
        bottom = np.column_stack([o[:, 0], np.full(m, y0), o[:, 1]])
        top = np.column_stack([o[:, 0], np.full(m, y1), o[:, 1]])
        v = np.concatenate([bottom, top, [[*bottom.mean(0)], [*top.mean(0)]]])
        j = np.arange(m)
        k = (j + 1) % m
        sides = np.concatenate([np.stack([j, k, m + k], 1), np.stack([j, m + k, m + j], 1)])
        caps = np.concatenate([np.stack([np.full(m, 2 * m), k, j], 1),
                               np.stack([np.full(m, 2 * m + 1), m + j, m + k], 1)])
        self.add(v, np.concatenate([sides, caps]), part)

    def slab_z(self, part: str, outline_xy, z0: float, z1: float) -> None:
        """Extrusion of a convex outline given as (x, y) points along Z, between z0 < z1."""
        o = np.asarray(outline_xy, float)
        with self.transform(affine(rot_x(90.0))):
            # rot_x(90) maps local (x, y', z') to world (x, -z', y'): extrude along y', outline z' = -y
            self.prism_y(part, np.column_stack([o[:, 0], -o[:, 1]]), z0, z1)

    def slab_x(self, part: str, outline_zy, x0: float, x1: float) -> None:
        """Extrusion of a convex outline given as (z, y) points along X, between x0 < x1."""
        o = np.asarray(outline_zy, float)
        with self.transform(affine(rot_z(-90.0))):
            # rot_z(-90) maps local (x', y', z) to world (y', -x', z): extrude along y', outline x' = -y
            self.prism_y(part, np.column_stack([-o[:, 1], o[:, 0]]), x0, x1)

    def revolve_y(self, part: str, profile_ry, sections: int = 24, center=(0.0, 0.0, 0.0),
                  split_height: float | None = None, part_above: str | None = None) -> None:
        """Surface of revolution about the vertical axis through ``center`` of a (radius, height)
        profile that starts and ends on the axis (or is closed), via :func:`trimesh.creation.revolve`.
        With ``split_height``, faces whose centroid lies above it (in the profile's frame) are
        labelled ``part_above``."""
        prof = np.asarray(profile_ry, float)
        mesh = creation.revolve(prof, sections=sections)
        # trimesh revolves about +Z; rotate so that +Z -> +Y
        v = mesh.vertices @ rot_x(-90.0).T
        labels: str | list[str] = part
        if split_height is not None:
            above = v[mesh.faces][:, :, 1].mean(axis=1) > split_height
            labels = [part_above if a else part for a in above]
        self.add(v + np.asarray(center, float), mesh.faces, labels)

    def sphere(self, part: str, center, radius: float, count: int = 8) -> None:
        mesh = creation.uv_sphere(radius=radius, count=[count, count])
        self.add(mesh.vertices + np.asarray(center, float), mesh.faces, part)


# ----------------------------------------------------------------------------------------------
# Sampling helpers: JSON-friendly random choices
# ----------------------------------------------------------------------------------------------


class ParamSampler:
    """Wraps a :class:`numpy.random.Generator` and records python-typed (JSON-serialisable) values."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def uniform(self, lo: float, hi: float, digits: int = 4) -> float:
        return round(float(self.rng.uniform(lo, hi)), digits)

    def integer(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi] (inclusive)."""
        return int(self.rng.integers(lo, hi + 1))

    def choice(self, options: Sequence[Any], p: Sequence[float] | None = None) -> Any:
        if p is not None:
            p = np.asarray(p, float)
            p = p / p.sum()
        i = int(self.rng.choice(len(options), p=p))
        return options[i]

    def flip(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)


