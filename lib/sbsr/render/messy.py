"""Real-mesh defects applied to a clean mesh, to test (and show) that line renderings do not depend on them.

Real ShapeNet meshes are messy in known ways; :func:`messy` reproduces each on a clean procedural mesh
without changing the surface one sees:

* ``"unmerged"``: vertices not merged along seams (every face gets its own copies of its corners);
* ``"flipped"``: inconsistent winding (a random third of the faces reversed);
* ``"double_sided"``: duplicated, opposite-facing faces (a copy of a random half of the faces, reversed);
* ``"slivers"``: coplanar faces split into fans with slivers (a random third of the faces split into three
  around a point a hair's breadth inside one edge; vertices stored at float32 precision, like OBJ files);
* ``"interior"``: interior faces (a copy of each convex body shrunk by 10% towards its vertex centroid,
  hidden inside it);
* ``"fins"``: non-manifold edges (a triangle hanging inside a convex body from the first edge of a random
  tenth of its faces).

Interior copies and fins go into convex bodies only: a non-convex body (a lamp's arched tube) shrunk
towards a centre, or a fin pointing at it, would come out of the body and change the surface one sees.

>>> from sbsr.shapes import generate_shape
>>> bad = messy(generate_shape("chair", 0, 0), seed=0)
>>> len(bad.faces) > len(generate_shape("chair", 0, 0).faces)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from ..shapes.base import signed_volume, vertex_components

DEFECTS = ("unmerged", "slivers", "flipped", "double_sided", "interior", "fins")
_ORDER = ("interior", "fins", "slivers", "flipped", "double_sided", "unmerged")


@dataclass
class MessyMesh:
    """A triangle soup with part ids (what :func:`sbsr.render.render` needs)."""

    vertices: np.ndarray
    faces: np.ndarray
    part_ids: np.ndarray


def messy(mesh, seed: int = 0, defects=DEFECTS) -> MessyMesh:
    """``mesh`` (``.vertices``, ``.faces``, optional ``.part_ids``) with the real-mesh ``defects`` applied
    (any of :data:`DEFECTS`, deterministic per ``seed``). They are applied in a fixed order, whatever order
    they are given in: interior copies and fins first (so that the later defects reach them too), then
    slivers, flipped winding and double-sided copies (which repeat the final faces), and unmerged vertices
    last. The visible surface is unchanged."""
    if isinstance(defects, str):
        defects = (defects,)
    unknown = set(defects) - set(DEFECTS)
    if unknown:
        raise ValueError(f"unknown mesh defects {sorted(unknown)}; choose from {DEFECTS}")
    rng = np.random.default_rng(seed)
    v = np.asarray(mesh.vertices, dtype=np.float64).copy()
    f = np.asarray(mesh.faces, dtype=np.int64).copy()
    p = getattr(mesh, "part_ids", None)
    p = np.zeros(len(f), np.int64) if p is None else np.asarray(p, dtype=np.int64).copy()
    for defect in _ORDER:                   # a fixed order, whatever order the caller lists them in
        if defect in defects:
            v, f, p = _APPLY[defect](v, f, p, rng)
    return MessyMesh(vertices=v, faces=f, part_ids=p)


def _unmerged(v, f, p, rng):
    return v[f.reshape(-1)], np.arange(3 * len(f), dtype=np.int64).reshape(-1, 3), p


def _flipped(v, f, p, rng):
    pick = rng.random(len(f)) < 1 / 3
    f = f.copy()
    f[pick] = f[pick][:, ::-1]
    return v, f, p


def _double_sided(v, f, p, rng):
    pick = np.flatnonzero(rng.random(len(f)) < 0.5)
    return v, np.concatenate([f, f[pick][:, ::-1]]), np.concatenate([p, p[pick]])


def _slivers(v, f, p, rng):
    # split face (a, b, c) into the fan (a, b, m), (b, c, m), (c, a, m) around a point m a hair's breadth
    # (1e-7 of the face's height) inside edge ab: (a, b, m) is a sliver whose normal, once the vertices are
    # stored at float32 precision like an OBJ file's, points anywhere
    pick = rng.random(len(f)) < 1 / 3
    keep, split = f[~pick], f[pick]
    a, b, c = split[:, 0], split[:, 1], split[:, 2]
    t = rng.uniform(0.3, 0.7, size=len(split))[:, None]
    on_edge = v[a] + t * (v[b] - v[a])
    m = on_edge + 1e-7 * (v[c] - on_edge)
    mid = len(v) + np.arange(len(split))
    v = np.concatenate([v, m]).astype(np.float32).astype(np.float64)
    new = np.concatenate([np.stack([a, b, mid], 1), np.stack([b, c, mid], 1), np.stack([c, a, mid], 1)])
    ps = p[pick]
    return v, np.concatenate([keep, new]), np.concatenate([p[~pick], ps, ps, ps])


def _convex_centres(v, f) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The body (connected component) of every face and, for each convex closed body (its volume within 1%
    of its convex hull's), its vertex centroid: a point strictly inside it, towards which it can be shrunk
    without leaving it."""
    body = vertex_components(f, len(v))[f[:, 0]]
    centres = {}
    for b in np.unique(body):
        faces = f[body == b]
        used = np.unique(faces)
        volume = abs(signed_volume(v, faces))
        try:
            hull = ConvexHull(v[used]).volume
        except QhullError:           # flat or degenerate: no inside
            continue
        if hull > 0 and volume >= 0.99 * hull:
            centres[int(b)] = v[used].mean(axis=0)
    return body, centres


def _interior(v, f, p, rng):
    # every convex body copied, shrunk by 10% towards its vertex centroid: a hidden inner wall
    vs, fs, ps = [v], [f], [p]
    offset = len(v)
    body, centres = _convex_centres(v, f)
    for b, centre in centres.items():
        faces = f[body == b]
        used, local = np.unique(faces, return_inverse=True)
        vs.append(centre + 0.9 * (v[used] - centre))
        fs.append(local.reshape(-1, 3) + offset)
        ps.append(p[body == b])
        offset += len(used)
    return np.concatenate(vs), np.concatenate(fs), np.concatenate(ps)


def _fins(v, f, p, rng):
    # a triangle on edge (a, b) of a face of a convex body whose third vertex lies inside the body: 0.3 of
    # the way from the edge's midpoint towards the body's vertex centroid
    body, centres = _convex_centres(v, f)
    convex = np.isin(body, list(centres))
    pick = np.flatnonzero((rng.random(len(f)) < 0.1) & convex)
    a, b = f[pick, 0], f[pick, 1]
    centre = np.array([centres[int(k)] for k in body[pick]]).reshape(-1, 3)
    mid = 0.5 * (v[a] + v[b])
    tip = mid + 0.3 * (centre - mid)
    tid = len(v) + np.arange(len(pick))
    return (np.concatenate([v, tip]), np.concatenate([f, np.stack([a, b, tid], 1)]),
            np.concatenate([p, p[pick]]))


_APPLY = {"unmerged": _unmerged, "flipped": _flipped, "double_sided": _double_sided, "slivers": _slivers,
          "interior": _interior, "fins": _fins}
