"""Other 3D domains from a mesh: occupancy voxels, signed distance samples and point clouds.

The procedural meshes are unions of closed, outward-wound components that may overlap (no boolean
union). Inside/outside is therefore decided by the *winding number*, not by ray parity: for a point
``p`` we cast the ray ``p + t (0, 0, 1)``, ``t > 0`` and add +1 for every crossed face whose normal
points up (the ray leaves a component) and -1 for every face whose normal points down (it enters
one). For closed, consistently oriented components this sum is the number of components containing
``p``; the point is inside the solid when it is >= 1 (exact for overlaps, where parity would fail).
Rays that hit an edge or a vertex exactly are counted once with a top-left tie-break rule evaluated
on canonically ordered edges, so results do not depend on floating-point luck at shared edges.

Faces buried inside another component ("interior" faces, e.g. the top of a leg sunk into a seat) are
not part of the solid's boundary; distances and surface samples use only the *exterior* faces,
those whose centroid, nudged along the outward normal, lies outside every component.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree

# ----------------------------------------------------------------------------------------------
# Mesh access
# ----------------------------------------------------------------------------------------------


def mesh_arrays(mesh) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(vertices (V,3) float64, faces (F,3) int64, part_ids (F,) or None) of a Shape or a Trimesh."""
    v = np.asarray(mesh.vertices, dtype=np.float64)
    f = np.asarray(mesh.faces, dtype=np.int64)
    if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
        raise ValueError(f"expected vertices (V,3) and faces (F,3), got {v.shape} and {f.shape}")
    pid = getattr(mesh, "part_ids", None)
    if pid is None:
        attrs = getattr(mesh, "face_attributes", None)
        if attrs is not None and "part_ids" in attrs:
            pid = attrs["part_ids"]
    if pid is not None:
        pid = np.asarray(pid, dtype=np.int64)
        if len(pid) != len(f):
            raise ValueError(f"part_ids has {len(pid)} entries for {len(f)} faces")
    return v, f, pid


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    t = vertices[faces]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    return n / np.where(norm > 0, norm, 1.0)


# ----------------------------------------------------------------------------------------------
# Ray crossings and winding numbers
# ----------------------------------------------------------------------------------------------


def _ray_crossings(vertices: np.ndarray, faces: np.ndarray, query_xy: np.ndarray,
                   max_pairs: int = 4_000_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All crossings of the vertical lines x,y = query_xy with the mesh.

    Returns (query index (K,), z of the crossing (K,), sign (K,) +1 where the face normal points to
    +Z, -1 where it points to -Z). Faces parallel to Z are never crossed (they have no area in
    projection). Ties on shared edges/vertices use the top-left rule on canonical edges.
    """
    q = np.asarray(query_xy, dtype=np.float64).reshape(-1, 2)
    xy = vertices[:, :2]
    f = faces
    p0, p1, p2 = xy[f[:, 0]], xy[f[:, 1]], xy[f[:, 2]]
    area2 = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p1[:, 1] - p0[:, 1]) * (p2[:, 0] - p0[:, 0])
    keep = area2 != 0
    f = f[keep]
    sign = np.where(area2[keep] > 0, 1, -1).astype(np.int64)
    # orient every projected triangle counter-clockwise (the sign remembers the original winding)
    f = f.copy()
    cw = sign < 0
    f[cw, 1], f[cw, 2] = faces[keep][cw, 2], faces[keep][cw, 1]
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    if len(f) == 0 or len(q) == 0:
        return empty

    # uniform 2D grid over the query points and the triangles' bounding boxes
    txy = xy[f]  # (F,3,2)
    tmin, tmax = txy.min(axis=1), txy.max(axis=1)
    lo = np.minimum(q.min(axis=0), tmin.min(axis=0))
    hi = np.maximum(q.max(axis=0), tmax.max(axis=0))
    g = int(np.clip(np.sqrt(len(f)) * 1.5, 4, 256))
    cell = np.maximum((hi - lo) / g, 1e-12)
    ti0 = np.clip(((tmin - lo) / cell).astype(np.int64), 0, g - 1)
    ti1 = np.clip(((tmax - lo) / cell).astype(np.int64), 0, g - 1)
    nx, ny = ti1[:, 0] - ti0[:, 0] + 1, ti1[:, 1] - ti0[:, 1] + 1
    counts = nx * ny
    tri_of_pair = np.repeat(np.arange(len(f)), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    cx = ti0[tri_of_pair, 0] + local // ny[tri_of_pair]
    cy = ti0[tri_of_pair, 1] + local % ny[tri_of_pair]
    cell_of_pair = cx * g + cy
    order = np.argsort(cell_of_pair, kind="stable")
    tris_sorted = tri_of_pair[order]
    cell_start = np.searchsorted(cell_of_pair[order], np.arange(g * g + 1))
    qc = np.clip(((q - lo) / cell).astype(np.int64), 0, g - 1)
    qcell = qc[:, 0] * g + qc[:, 1]
    per_query = cell_start[qcell + 1] - cell_start[qcell]

    z_vals = vertices[:, 2]
    out_q, out_z, out_s = [], [], []
    start = 0
    cum = np.cumsum(per_query)
    while start < len(q):
        # take as many queries as fit in max_pairs
        base = cum[start - 1] if start else 0
        stop = int(np.searchsorted(cum, base + max_pairs, side="right"))
        stop = max(stop, start + 1)
        qi = np.arange(start, stop)
        cnt = per_query[qi]
        qidx = np.repeat(qi, cnt)
        offs = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        tidx = tris_sorted[cell_start[qcell[qidx]] + offs]
        start = stop
        if len(tidx) == 0:
            continue
        px, py = q[qidx, 0], q[qidx, 1]
        fv = f[tidx]
        inside = np.ones(len(tidx), dtype=bool)
        bary = []
        for k in range(3):
            ia, ib = fv[:, k], fv[:, (k + 1) % 3]
            lo_i, hi_i = np.minimum(ia, ib), np.maximum(ia, ib)
            flip = ia != lo_i
            ax, ay = xy[lo_i, 0], xy[lo_i, 1]
            bx, by = xy[hi_i, 0], xy[hi_i, 1]
            e = (bx - ax) * (py - ay) - (by - ay) * (px - ax)  # canonical edge function
            dx, dy = bx - ax, by - ay
            e = np.where(flip, -e, e)
            dx = np.where(flip, -dx, dx)
            dy = np.where(flip, -dy, dy)
            top_left = (dy < 0) | ((dy == 0) & (dx < 0))
            inside &= (e > 0) | ((e == 0) & top_left)
            bary.append(e)
        if not inside.any():
            continue
        # barycentric weight of the vertex opposite edge k is e_k / (2 * area)
        e0, e1, e2 = (b[inside] for b in bary)
        tot = e0 + e1 + e2
        fv_in = fv[inside]
        z = (e1 * z_vals[fv_in[:, 0]] + e2 * z_vals[fv_in[:, 1]] + e0 * z_vals[fv_in[:, 2]]) / tot
        out_q.append(qidx[inside])
        out_z.append(z)
        out_s.append(sign[tidx[inside]])
    if not out_q:
        return empty
    return np.concatenate(out_q), np.concatenate(out_z), np.concatenate(out_s)


def winding_numbers(mesh, points: np.ndarray) -> np.ndarray:
    """Integer winding number of each point with respect to a union of closed, outward-wound
    components (the number of components containing it); see the module docstring."""
    v, f, _ = mesh_arrays(mesh)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    qi, z, s = _ray_crossings(v, f, pts[:, :2])
    above = z > pts[qi, 2]
    return np.bincount(qi[above], weights=s[above], minlength=len(pts)).astype(np.int64)


def contains(mesh, points: np.ndarray) -> np.ndarray:
    """Boolean inside test (winding number >= 1)."""
    return winding_numbers(mesh, points) >= 1


def exterior_face_mask(mesh, eps: float | None = None) -> np.ndarray:
    """Faces on the boundary of the union: their centroid moved by ``eps`` along the outward normal
    lies outside every component (``eps`` defaults to 1e-6 of the bounding-box diagonal)."""
    v, f, _ = mesh_arrays(mesh)
    if eps is None:
        eps = 1e-6 * float(np.linalg.norm(v.max(0) - v.min(0)))
    c = v[f].mean(axis=1) + eps * face_normals(v, f)
    return winding_numbers(mesh, c) <= 0


# ----------------------------------------------------------------------------------------------
# Voxels
# ----------------------------------------------------------------------------------------------


def fitted_cube(mesh, pad: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The cube centred on the bounding box with side = largest extent * (1 + 2 pad)."""
    v, _, _ = mesh_arrays(mesh)
    lo, hi = v.min(0), v.max(0)
    c, side = 0.5 * (lo + hi), float((hi - lo).max()) * (1 + 2 * pad)
    return c - side / 2, c + side / 2


def voxel_centers(resolution: int, bounds: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    """1D arrays of voxel-centre coordinates along x, y, z for a grid over ``bounds``."""
    lo, hi = (np.asarray(b, float) for b in bounds)
    pitch = (hi - lo) / resolution
    return tuple(lo[a] + (np.arange(resolution) + 0.5) * pitch[a] for a in range(3))


def surface_lattice_points(vertices: np.ndarray, faces: np.ndarray, spacing: float) -> np.ndarray:
    """Points of a barycentric lattice on every triangle, with ``ceil(longest edge / spacing)``
    steps per edge: the vertices that subdividing each triangle until its edges are shorter than
    ``spacing`` would produce (as in ``trimesh.voxel.creation.voxelize_subdivide``), without
    building the subdivided mesh."""
    t = vertices[faces]
    edge = np.linalg.norm(t - np.roll(t, 1, axis=1), axis=2).max(axis=1)
    steps = np.maximum(1, np.ceil(edge / spacing)).astype(np.int64)
    out = [t.reshape(-1, 3)]
    for m in np.unique(steps):
        if m == 1:
            continue
        i, j = np.meshgrid(np.arange(m + 1), np.arange(m + 1), indexing="ij")
        keep = i + j <= m
        u, w = i[keep] / m, j[keep] / m  # (P,)
        tri = t[steps == m]  # (K,3,3)
        a, ab, ac = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        pts = a[:, None] + u[None, :, None] * ab[:, None] + w[None, :, None] * ac[:, None]
        out.append(pts.reshape(-1, 3))
    return np.concatenate(out)


def voxelize(mesh, resolution: int = 32, bounds: tuple | None = None, fill: bool = True,
             surface: bool = True) -> np.ndarray:
    """Occupancy grid (R,R,R) bool, indexed ``occ[i, j, k]`` for the voxel centred at
    ``(x_i, y_j, z_k)`` (see :func:`voxel_centers`).

    ``bounds`` (lo, hi) defaults to :func:`fitted_cube` (the object touches the grid, as in
    ShapeNet's binvox files). ``fill`` marks voxels whose centre is inside the solid (winding
    number along +Z columns); ``surface`` also marks voxels touched by the surface, found as the
    voxels holding lattice points of the exterior faces spaced at most half a voxel pitch apart
    (:func:`surface_lattice_points`), so thin parts never vanish.
    """
    if resolution < 1:
        raise ValueError(f"resolution must be positive, got {resolution}")
    v, f, _ = mesh_arrays(mesh)
    lo, hi = (np.asarray(b, float) for b in (bounds if bounds is not None else fitted_cube(mesh)))
    xs, ys, zs = voxel_centers(resolution, (lo, hi))
    r = resolution
    occ = np.zeros((r, r, r), dtype=bool)
    if fill:
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        qi, z, s = _ray_crossings(v, f, np.stack([gx.ravel(), gy.ravel()], 1))
        k = np.searchsorted(zs, z, side="left")  # number of voxel centres strictly below the crossing
        acc = np.zeros((r * r, r + 1), dtype=np.int64)
        np.add.at(acc, (qi, k), s)
        above = np.cumsum(acc[:, ::-1], axis=1)[:, ::-1]  # above[:, k] = sum_{j >= k} acc[:, j]
        occ |= (above[:, 1:] >= 1).reshape(r, r, r)
    if surface:
        pitch = float(((hi - lo) / r).min())
        ext = exterior_face_mask(mesh)
        sv = surface_lattice_points(v, f[ext], spacing=pitch / 2)
        idx = np.floor((sv - lo) / ((hi - lo) / r)).astype(np.int64)
        ok = np.all((idx >= 0) & (idx <= r), axis=1)
        idx = np.minimum(idx[ok], r - 1)
        occ[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    return occ


# ----------------------------------------------------------------------------------------------
# Distances and SDF samples
# ----------------------------------------------------------------------------------------------


class SurfaceDistance:
    """Exact unsigned distance from points to a set of triangles, via a k-d tree over the centroids
    of the triangles subdivided to ``max_edge`` (the surface itself is unchanged)."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, max_edge: float | None = None):
        if len(faces) == 0:
            raise ValueError("no faces to measure distances to")
        diag = float(np.linalg.norm(vertices.max(0) - vertices.min(0)))
        if max_edge is None:
            max_edge = 0.05 * diag
        v, f = trimesh.remesh.subdivide_to_size(vertices, faces, max_edge=max_edge, max_iter=20)
        self.triangles = v[f]
        self.centroids = self.triangles.mean(axis=1)
        self.radii = np.linalg.norm(self.triangles - self.centroids[:, None], axis=2).max(axis=1)
        self.max_radius = float(self.radii.max())
        self.tree = cKDTree(self.centroids)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Exact distances: the nearest centroid's distance d0 bounds the answer from above, so
        only triangles whose bounding sphere reaches within d0 (|p - c| - r <= d0) can hold the
        closest point; those are tested exactly (``trimesh.triangles.closest_point``)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        out = np.empty(len(pts))
        for s in range(0, len(pts), 8192):
            out[s:s + 8192] = self._chunk(pts[s:s + 8192])
        return out

    def _chunk(self, pts: np.ndarray) -> np.ndarray:
        d0, _ = self.tree.query(pts, k=1)
        cand = self.tree.query_ball_point(pts, d0 + self.max_radius + 1e-12)
        counts = np.fromiter((len(c) for c in cand), dtype=np.int64, count=len(pts))
        tri = np.fromiter((i for c in cand for i in c), dtype=np.int64, count=int(counts.sum()))
        pid = np.repeat(np.arange(len(pts)), counts)
        lower = np.linalg.norm(pts[pid] - self.centroids[tri], axis=1) - self.radii[tri]
        keep = lower <= d0[pid] + 1e-12
        return self._exact(pts, pid[keep], tri[keep], len(pts))

    def _exact(self, pts: np.ndarray, point_idx: np.ndarray, tri_idx: np.ndarray, n: int) -> np.ndarray:
        """min over the given (point, triangle) pairs of the exact point-triangle distance."""
        out = np.full(n, np.inf)
        for s in range(0, len(point_idx), 2_000_000):
            pi, ti = point_idx[s:s + 2_000_000], tri_idx[s:s + 2_000_000]
            closest = trimesh.triangles.closest_point(self.triangles[ti], pts[pi])
            np.minimum.at(out, pi, np.linalg.norm(closest - pts[pi], axis=1))
        return out


def signed_distance(mesh, points: np.ndarray, max_edge: float | None = None) -> np.ndarray:
    """Signed distance, negative inside. The sign comes from the winding number; the magnitude is
    the exact distance to the exterior part of the surface, with faces first subdivided to
    ``max_edge`` (default 5% of the bounding-box diagonal) and then classified as exterior one by
    one, so buried pieces of faces near part junctions are dropped as well."""
    v, f, _ = mesh_arrays(mesh)
    diag = float(np.linalg.norm(v.max(0) - v.min(0)))
    vs, fs = trimesh.remesh.subdivide_to_size(v, f, max_edge=max_edge or 0.05 * diag, max_iter=20)
    centres = vs[fs].mean(axis=1) + 1e-6 * diag * face_normals(vs, fs)
    exterior = winding_numbers(mesh, centres) <= 0
    dist = SurfaceDistance(vs, fs[exterior], max_edge=np.inf)(points)
    inside = contains(mesh, points)
    return np.where(inside, -dist, dist)


def sample_sdf(mesh, n: int, seed: int = 0, near_surface_fraction: float = 0.8,
               sigmas: tuple[float, float] = (0.025, 0.008), box_scale: float = 1.05) -> tuple[np.ndarray, np.ndarray]:
    """DeepSDF-style samples: ``near_surface_fraction`` of the points are exterior surface samples
    jittered by N(0, sigma^2) with the two ``sigmas`` used half each (DeepSDF's variances 0.0025 and
    0.00025, halved because our shapes have unit diagonal, not unit radius); the rest are uniform in
    the bounding box's cube scaled by ``box_scale``. Returns points (n,3) and sdf (n,) (negative
    inside)."""
    if not 0.0 <= near_surface_fraction <= 1.0:
        raise ValueError(f"near_surface_fraction must be in [0, 1], got {near_surface_fraction}")
    rng = np.random.default_rng(seed)
    n_near = int(round(n * near_surface_fraction))
    n_far = n - n_near
    pts = []
    if n_near:
        surf, _, _ = sample_point_cloud(mesh, n_near, seed=int(rng.integers(2**31)))
        sig = np.where(np.arange(n_near) % 2 == 0, sigmas[0], sigmas[1])[:, None]
        pts.append(surf + rng.normal(size=(n_near, 3)) * sig)
    if n_far:
        lo, hi = fitted_cube(mesh)
        c, half = 0.5 * (lo + hi), 0.5 * (hi - lo) * box_scale
        pts.append(c + rng.uniform(-1, 1, size=(n_far, 3)) * half)
    points = np.concatenate(pts) if pts else np.zeros((0, 3))
    return points, signed_distance(mesh, points)


# ----------------------------------------------------------------------------------------------
# Point clouds
# ----------------------------------------------------------------------------------------------


def sample_point_cloud(mesh, n: int, seed: int = 0, exterior_only: bool = True
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area-uniform surface samples: points (n,3), unit outward normals (n,3) and part labels (n,)
    (-1 where the mesh has no part ids). With ``exterior_only`` samples that fall inside another
    component (on buried faces) are rejected and redrawn, so the cloud covers the visible boundary."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    v, f, pid = mesh_arrays(mesh)
    rng = np.random.default_rng(seed)
    tm = trimesh.Trimesh(vertices=v, faces=f, process=False)
    normals = face_normals(v, f)
    diag = float(np.linalg.norm(v.max(0) - v.min(0)))
    weights = tm.area_faces.copy()
    if exterior_only:
        weights[~exterior_face_mask(mesh)] = 0.0  # faces entirely buried never contribute
    got_p, got_f = [], []
    total = 0
    for _ in range(20):
        need = n - total
        if need <= 0:
            break
        m = int(need * 1.3) + 16
        p, fi = trimesh.sample.sample_surface(tm, m, face_weight=weights, seed=rng)
        if exterior_only:
            ok = winding_numbers(mesh, p + 1e-6 * diag * normals[fi]) <= 0
            p, fi = p[ok], fi[ok]
        got_p.append(p)
        got_f.append(fi)
        total += len(p)
    points = np.concatenate(got_p)[:n]
    fidx = np.concatenate(got_f)[:n]
    if len(points) < n:
        raise RuntimeError(f"could only draw {len(points)} of {n} exterior surface samples")
    labels = pid[fidx] if pid is not None else np.full(n, -1, np.int64)
    return points, normals[fidx], labels
