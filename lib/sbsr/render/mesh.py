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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

_CACHE: "OrderedDict[str, MeshData]" = OrderedDict()
_CACHE_SIZE = 64
#: A face whose height (over its longest edge) is below this fraction of the mesh's bounding-box diagonal
#: is a sliver: its normal is noise once coordinates are rounded to float32 (relative precision 6e-8), as
#: in mesh files, so it takes a neighbour's normal (:func:`_sliver_proxies`). The thinnest procedural
#: faces are 9e-7 high.
SLIVER_HEIGHT = 2e-7
_LOCK = threading.Lock()


@dataclass(frozen=True)
class MeshData:
    """A triangle mesh prepared for rendering.

    ``edges`` are the unique undirected edges of the mesh after welding coincident vertices (so triangle
    soups with duplicated vertices still have a topology); ``edge_faces[:, 1] == -1`` marks border edges
    (one face). Edges shared by more than two faces (parts meeting along an edge) keep their first two
    faces and are flagged in ``edge_nonmanifold``. ``closed`` is True when no edge is a border, i.e. the
    mesh is a union of closed surfaces, so back faces can never be seen.

    Robustness to real-mesh defects, all no-ops on a clean, consistently wound mesh: faces repeating the
    welded vertices of an earlier one of the same part (duplicates, double-sided copies) are left out of the topology;
    ``dihedral`` uses locally consistent (unoriented) normals, so a flipped face makes neither a crease
    nor a silhouette; sliver faces (height below ``SLIVER_HEIGHT`` of the diagonal) take the normal and facing of
    a neighbour that continues their surface; a non-manifold edge is a crease unless the surface runs flat across it (fins, interior
    faces); ``closed`` also needs consistent winding (otherwise both sides are rasterised) and ignores the
    loose borders of fins; bodies (connected pieces) lying inside a closed body of the mesh are interior
    (``face_interior``) and draw no lines.
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
    edge_flipped: np.ndarray    # (E,) bool, the edge's two faces are wound inconsistently (one is flipped)
    edge_reliable: np.ndarray   # (E,) bool, both faces have a normal to trust (their own or a proxy's)
    face_proxy: np.ndarray      # (F,) int64, the face whose normal and facing stand for this one: itself,
                                # for a sliver a coplanar neighbour, -1 for a sliver without one
    face_proxy_flip: np.ndarray  # (F,) bool, the proxy is wound against this face
    face_dangling: np.ndarray   # (F,) bool, an open sheet hanging on an edge of the surface (a fin): its
                                # border edges are not drawn
    face_flip: np.ndarray       # (F,) bool, the face is wound inwards: turn it to face out (a closed mesh
                                # with inconsistent winding, re-oriented body by body)
    face_group: np.ndarray      # (F,) int64, the face that stands for this one in the edge topology (itself,
                                # or an earlier face of its part over the same welded vertices)
    face_interior: np.ndarray   # (F,) bool, the face belongs to a body that lies inside a closed body of the
                                # mesh (interior walls, inner copies): it can never be seen, its edges are
                                # never lines


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
    for arr in (data.vertices, data.faces, data.part_ids, data.face_normals, data.edges, data.edge_faces,
                data.edge_flipped, data.edge_reliable, data.face_group, data.face_proxy, data.face_proxy_flip,
                data.face_flip, data.face_dangling, data.face_interior):
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
                        edge_nonmanifold=np.zeros(0, bool), dihedral=np.zeros(0), closed=False, key=key,
                        edge_flipped=np.zeros(0, bool), edge_reliable=np.zeros(0, bool),
                        face_proxy=np.zeros(0, np.int64), face_proxy_flip=np.zeros(0, bool),
                        face_flip=np.zeros(0, bool), face_dangling=np.zeros(0, bool),
                        face_group=np.zeros(0, np.int64), face_interior=np.zeros(0, bool))
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norm = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, norm, out=np.zeros_like(normals), where=norm > 0)
    # slivers: a face whose height is tiny has an unreliable normal
    longest = np.sqrt(np.max(np.sum((tri - tri[:, [1, 2, 0]]) ** 2, axis=2), axis=1))
    diagonal = float(np.linalg.norm(np.ptp(vertices[np.unique(faces)], axis=0)))
    reliable = norm[:, 0] > SLIVER_HEIGHT * diagonal * longest

    # Weld coincident vertices (relative tolerance) so that edge adjacency ignores duplicated vertices.
    if len(vertices):
        scale = max(float(np.ptp(vertices, axis=0).max()), 1e-12)
        quant = np.round(vertices / (scale * 1e-7)).astype(np.int64)
        _, first, weld = np.unique(quant, axis=0, return_index=True, return_inverse=True)
        weld = weld.reshape(-1)
    else:
        first = weld = np.zeros(0, dtype=np.int64)
    wf = weld[faces]                                             # faces in welded ids
    # Faces of one part over the same three welded vertices (duplicates, double-sided opposite copies)
    # count once in the topology: the first of them. They are still rasterised.
    sorted_wf = np.ascontiguousarray(np.concatenate([np.sort(wf, axis=1), part_ids[:, None]], axis=1))
    _, first_face, group_of = np.unique(sorted_wf.view(np.dtype((np.void, 32))).reshape(-1), return_index=True,
                                        return_inverse=True)
    face_group = first_face[group_of.reshape(-1)].astype(np.int64)
    topo = face_group == np.arange(n_faces)
    half = np.stack([wf[:, [0, 1]], wf[:, [1, 2]], wf[:, [2, 0]]], axis=1).reshape(-1, 2)
    half_face = np.repeat(np.arange(n_faces), 3)
    valid = (half[:, 0] != half[:, 1]) & topo[half_face]         # drop edges collapsed by welding
    half, half_face = half[valid], half_face[valid]
    und = np.sort(half, axis=1)
    n_weld = int(weld.max()) + 1 if len(weld) else 1
    code = und[:, 0] * n_weld + und[:, 1]
    order = np.argsort(code, kind="stable")
    code_sorted = code[order]
    starts = np.flatnonzero(np.r_[True, code_sorted[1:] != code_sorted[:-1]])
    counts = np.diff(np.r_[starts, len(code_sorted)])
    edges_w = und[order[starts]]
    h0 = order[starts]
    h1 = order[np.minimum(starts + 1, len(order) - 1)]
    f0 = half_face[h0]
    f1 = np.where(counts >= 2, half_face[h1], -1)
    # Two faces wound consistently run through their shared edge in opposite directions; otherwise one
    # of them is flipped relative to the other and its normal is turned for the angle (and the
    # silhouette test): creases are decided on unoriented, locally consistent normals.
    flipped = (counts >= 2) & (half[h0, 0] == half[h1, 0])
    edge_faces = np.stack([f0, f1], axis=1) if len(starts) else np.zeros((0, 2), dtype=np.int64)
    proxy, proxy_flip = _sliver_proxies(vertices, first, wf, reliable, code_sorted[starts], n_weld, edge_faces,
                                        flipped)
    ok = proxy >= 0
    sign = np.where(proxy_flip, -1.0, 1.0)[:, None]
    eff_normals = np.where(ok[:, None], normals[np.maximum(proxy, 0)] * sign, 0.0)
    n0 = eff_normals[f0]
    n1 = eff_normals[np.maximum(f1, 0)] * np.where(flipped, -1.0, 1.0)[:, None]
    # borders and edges of degenerate (zero-area) or sliver faces without a proxy get no dihedral angle
    has_angle = (f1 >= 0) & np.any(n0 != 0, axis=1) & np.any(n1 != 0, axis=1) & ok[f0] & ok[np.maximum(f1, 0)]
    cosang = np.where(has_angle, np.einsum("ij,ij->i", n0, n1), 1.0)
    dihedral = np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))
    nonmanifold = counts > 2
    if np.any(nonmanifold):
        dihedral, nonmanifold = _nonmanifold_edges(vertices, first, wf, edges_w, half_face, order, starts,
                                                   counts, normals, part_ids, dihedral, nonmanifold)
        dangling, resolved = _dangling_sheets(half, half_face, order, starts, counts, eff_normals, edge_faces,
                                              flipped, dihedral, nonmanifold, n_faces)
    else:
        dangling, resolved = np.zeros(n_faces, dtype=bool), np.zeros(len(counts), dtype=bool)
    edges = first[edges_w] if len(edges_w) else np.zeros((0, 2), dtype=np.int64)
    face_flip = np.zeros(n_faces, dtype=bool)
    # the loose borders of fins do not open the surface they hang in
    border_edge = counts == 1
    closed = bool(len(counts)) and bool(np.all(~border_edge | dangling[f0]))
    # pairs of faces across manifold edges, and edges that are manifold once the fins on them are left out
    # (flipped means nothing on a non-manifold edge)
    manifold = (counts == 2) | resolved
    if closed and np.any(flipped[manifold]):
        face_flip, closed = _consistent_outward(vertices, faces, wf, face_group, edge_faces[manifold],
                                                flipped[manifold], n_faces)
    interior = _interior_bodies(vertices, first, wf, topo & ~dangling, edge_faces[manifold])
    return MeshData(
        vertices=vertices,
        faces=faces,
        part_ids=part_ids,
        face_normals=normals,
        edges=edges.astype(np.int64),
        edge_faces=edge_faces.astype(np.int64),
        edge_nonmanifold=nonmanifold,
        dihedral=dihedral,
        closed=closed,
        key=key,
        edge_flipped=flipped,
        edge_reliable=ok[f0] & ((f1 < 0) | ok[np.maximum(f1, 0)]),
        face_proxy=proxy,
        face_proxy_flip=proxy_flip,
        face_flip=face_flip,
        face_group=face_group,
        face_dangling=dangling[face_group],
        face_interior=interior[face_group],
    )


def _nonmanifold_edges(vertices, first, wf, edges_w, half_face, order, starts, counts, normals, part_ids,
                       dihedral, nonmanifold):
    """Edges with more than two faces: a crease (closed parts meeting along an edge, as before) unless a
    dangling sheet hangs on a flat surface: the faces all belong to one part, their number is odd (every
    closed surface through an edge brings two faces, so an odd count means an open sheet, a fin or an
    interior face) and two of them are coplanar and lie on opposite sides of the edge (the surface runs
    flat across it). Seams between closed parts are kept: the line renderings the shipped models were
    trained on draw them."""
    dihedral = dihedral.copy()
    nonmanifold = nonmanifold.copy()
    for e in np.flatnonzero(nonmanifold):
        hs = order[starts[e]:starts[e] + counts[e]]
        fs = half_face[hs]
        if len(np.unique(part_ids[fs])) > 1 or len(fs) % 2 == 0:
            continue
        a, b = vertices[first[edges_w[e]]]
        axis = (b - a) / max(np.linalg.norm(b - a), 1e-300)
        c = vertices[first[wf[fs]]].mean(axis=1) - a               # the faces' centroids, off the edge
        sides = c - np.outer(c @ axis, axis)
        n = normals[fs]
        coplanar = np.abs(n @ n.T) > np.cos(np.radians(1.0))
        opposite = (sides @ sides.T) < 0
        if np.any(np.triu(coplanar & opposite, 1)):
            nonmanifold[e] = False
            dihedral[e] = 0.0
    return dihedral, nonmanifold


def _dangling_sheets(half, half_face, order, starts, counts, eff_normals, edge_faces, flipped, dihedral,
                     nonmanifold, n_faces):
    """Faces of open sheets hanging on a surface edge (fins). At an edge with three or more faces, the faces
    of pieces with a border (faces joined across manifold edges) are dangling sheets when some faces of
    closed pieces remain; the sheets are marked
    with the whole of their pieces so that their borders are not drawn, and when exactly two faces remain the edge is decided on those two
    (crease or not, as a manifold edge; more than two stay a non-manifold edge, as without the sheets).
    Updates ``edge_faces``, ``flipped``, ``dihedral`` and ``nonmanifold`` in place; returns the dangling
    faces and the edges decided on two faces."""
    dangling = np.zeros(n_faces, dtype=bool)
    resolved = np.zeros(len(counts), dtype=bool)
    border = counts == 1
    # a face belongs to an open sheet when its piece (faces joined across manifold edges) has a border:
    # a fin split into a fan of slivers is one sheet although its face on the edge has no border of its own
    pairs = edge_faces[counts == 2]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_faces, n_faces))
    _, piece = connected_components(graph, directed=False)
    open_piece = np.zeros(piece.max() + 1, dtype=bool)
    open_piece[piece[half_face[order[starts[border]]]]] = True
    has_border = open_piece[piece]
    hanging = np.zeros(len(open_piece), dtype=bool)        # open pieces hanging on an edge of the surface
    for e in np.flatnonzero(counts >= 3):
        hs = order[starts[e]:starts[e] + counts[e]]
        sheet = has_border[half_face[hs]]
        if sheet.all() or not sheet.any():
            continue
        hanging[piece[half_face[hs[sheet]]]] = True
        if (~sheet).sum() != 2:
            continue
        h0, h1 = hs[~sheet]
        f0, f1 = half_face[h0], half_face[h1]
        flip = bool(half[h0, 0] == half[h1, 0])
        n0, n1 = eff_normals[f0], eff_normals[f1] * (-1.0 if flip else 1.0)
        edge_faces[e] = (f0, f1)
        flipped[e] = flip
        ok = np.any(n0 != 0) and np.any(n1 != 0)
        dihedral[e] = float(np.degrees(np.arccos(np.clip(np.dot(n0, n1), -1.0, 1.0)))) if ok else 0.0
        nonmanifold[e] = False
        resolved[e] = True
    dangling[:] = hanging[piece]
    return dangling, resolved


def _sliver_proxies(vertices, first, wf, reliable, edge_codes, n_weld, edge_faces, flipped):
    """For every face, the face whose normal and facing stand for it (see :class:`MeshData`).

    A sliver is, up to rounding, its longest edge run twice: its two shorter edges lie along the longest
    one, so the faces across them continue the surface that the sliver's longest edge borders. Its proxy
    is the first face with a trustworthy normal across one of its two shorter edges (with the relative
    winding of that edge); a sliver with only slivers there has none (-1).
    """
    n_faces = len(wf)
    proxy = np.where(reliable, np.arange(n_faces), -1).astype(np.int64)
    proxy_flip = np.zeros(n_faces, dtype=bool)
    cand = np.flatnonzero(~reliable)
    w = wf[cand]
    cand, w = cand[(w[:, 0] != w[:, 1]) & (w[:, 1] != w[:, 2]) & (w[:, 0] != w[:, 2])], \
        w[(w[:, 0] != w[:, 1]) & (w[:, 1] != w[:, 2]) & (w[:, 0] != w[:, 2])]
    if len(cand) == 0 or len(edge_codes) == 0:
        return proxy, proxy_flip
    pts = vertices[first[w]]                                        # (S,3,3)
    lengths = np.linalg.norm(pts[:, [1, 2, 0]] - pts, axis=2)       # edge k runs from corner k to k+1
    longest = np.argmax(lengths, axis=1)
    for step in (1, 2):                                             # the two shorter edges, in order
        k = (longest + step) % 3
        a, b = w[np.arange(len(w)), k], w[np.arange(len(w)), (k + 1) % 3]
        code = np.minimum(a, b) * n_weld + np.maximum(a, b)
        e = np.minimum(np.searchsorted(edge_codes, code), len(edge_codes) - 1)
        found = edge_codes[e] == code
        other = np.where(edge_faces[e, 0] == cand, edge_faces[e, 1], edge_faces[e, 0])
        take = found & (other >= 0) & reliable[np.maximum(other, 0)] & (proxy[cand] < 0)
        proxy[cand[take]] = other[take]
        proxy_flip[cand[take]] = flipped[e[take]]
    return proxy, proxy_flip


def _consistent_outward(vertices, faces, wf, face_group, pairs, pair_flipped, n_faces):
    """Per-face flips that wind a closed mesh consistently and outwards, body by body (connected
    components over manifold edges; a body's winding is made consistent by walking the face graph, then
    turned outwards when its signed volume is negative). Returns ``(face_flip, closed)``, ``closed`` False
    when a body cannot be wound consistently (non-orientable, or non-manifold edges in the way)."""
    n = n_faces
    graph = coo_matrix((np.ones(2 * len(pairs)), (np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]])),
                       shape=(n, n)).tocsr()
    n_comp, label = connected_components(graph, directed=False)
    pair_key = np.sort(pairs, axis=1) @ np.array([n, 1])
    key_order = np.argsort(pair_key)
    flip = np.zeros(n, dtype=bool)
    seen = np.zeros(n_comp, dtype=bool)
    for root in range(n):
        if seen[label[root]]:
            continue
        seen[label[root]] = True
        order, pred = breadth_first_order(graph, root, directed=False, return_predecessors=True)
        child = order[1:].astype(np.int64)
        parent = pred[child]
        key = np.minimum(child, parent) * n + np.maximum(child, parent)
        step = pair_flipped[key_order[np.searchsorted(pair_key[key_order], key)]]
        flip_list = flip.tolist()
        for f, p, s in zip(child.tolist(), parent.tolist(), step.tolist()):
            flip_list[f] = flip_list[p] ^ s
        flip = np.asarray(flip_list, dtype=bool)
    # consistent everywhere?
    if np.any(flip[pairs[:, 0]] ^ flip[pairs[:, 1]] ^ pair_flipped):
        return np.zeros(n, dtype=bool), False
    tri = vertices[faces]
    vol = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])) * np.where(flip, -1.0, 1.0)
    topo = face_group == np.arange(n)
    body_vol = np.bincount(label, weights=np.where(topo, vol, 0.0), minlength=n_comp)
    flip ^= body_vol[label] < 0
    flip = flip[face_group] ^ _winding_differs(wf, face_group)
    return flip, True


def _winding_differs(faces, face_group):
    """Whether each face is wound against the face that stands for it in the topology (double-sided
    copies): an even permutation of its representative's vertices is the same winding."""
    rep = faces[face_group]
    same = np.zeros(len(faces), dtype=bool)
    for shift in range(3):
        same |= np.all(np.roll(rep, shift, axis=1) == faces, axis=1)
    return ~same


#: Directions of the rays of the inside test (:func:`_inside_closed`): generic, so that rays do not run
#: along the axis-aligned faces and edges of modelled objects.
_RAYS = np.array([[0.5773, 0.6547, 0.4880], [-0.7071, 0.3162, 0.6325], [0.2673, -0.8018, 0.5345]])


def _inside_closed(points: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Whether each point (P,3) lies inside the closed surface ``tri`` (T,3,3): the parity of the number of
    crossings of a ray from the point (Moller-Trumbore), majority of three generic directions. Parity needs
    no consistent winding, so flipped faces do not matter. Each ray meets only the triangles binned in its
    cell of a grid over the plane across the ray, so a large surface costs about O(T + P)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    votes = np.zeros(len(points), dtype=np.int64)
    if len(points) == 0 or len(tri) == 0:
        return votes > 0
    for d in _RAYS / np.linalg.norm(_RAYS, axis=1, keepdims=True):
        u = np.cross(d, [1.0, 0.0, 0.0])
        u /= np.linalg.norm(u)
        basis = np.stack([u, np.cross(d, u)], axis=1)                 # (3,2): the plane across the ray
        t2 = tri @ basis                                              # (T,3,2)
        p2 = points @ basis                                           # (P,2)
        lo, hi = t2.min(axis=1), t2.max(axis=1)
        g = int(np.clip(np.sqrt(len(tri)) / 2, 1, 256))
        origin = lo.min(axis=0)
        cell = np.maximum((hi.max(axis=0) - origin) / g, 1e-300)
        c0 = np.clip(np.floor((lo - origin) / cell), 0, g - 1).astype(np.int64)
        c1 = np.clip(np.floor((hi - origin) / cell), 0, g - 1).astype(np.int64)
        nx, ny = c1[:, 0] - c0[:, 0] + 1, c1[:, 1] - c0[:, 1] + 1
        owner = np.repeat(np.arange(len(tri)), nx * ny)
        k = np.arange(len(owner)) - np.repeat(np.cumsum(nx * ny) - nx * ny, nx * ny)
        cid = (c0[owner, 0] + k % nx[owner]) * g + (c0[owner, 1] + k // nx[owner])
        order = np.argsort(cid, kind="stable")
        starts = np.searchsorted(cid[order], np.arange(g * g + 1))
        binned = owner[order]
        pc = np.floor((p2 - origin) / cell).astype(np.int64)
        on_grid = np.all((pc >= 0) & (pc < g), axis=1)
        pid = np.where(on_grid, np.clip(pc[:, 0], 0, g - 1) * g + np.clip(pc[:, 1], 0, g - 1), 0)
        n = np.where(on_grid, starts[pid + 1] - starts[pid], 0)
        who = np.repeat(np.arange(len(points)), n)
        t_idx = binned[np.repeat(starts[pid], n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)]
        v0 = tri[t_idx, 0]
        e1, e2 = tri[t_idx, 1] - v0, tri[t_idx, 2] - v0
        pvec = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, pvec)
        ok = np.abs(det) > 1e-15
        inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
        tvec = points[who] - v0
        a = np.einsum("ij,ij->i", tvec, pvec) * inv
        qvec = np.cross(tvec, e1)
        b = (qvec @ d) * inv
        t = np.einsum("ij,ij->i", qvec, e2) * inv
        hits = ok & (a >= 0) & (b >= 0) & (a + b <= 1) & (t > 0)
        votes += np.bincount(who[hits], minlength=len(points)) % 2
    return votes >= 2


def _interior_bodies(vertices, first, wf, solid, pairs, samples: int = 24) -> np.ndarray:
    """Faces of pieces that lie inside a closed piece of the same mesh (interior walls and inner copies of
    real meshes). A piece is a connected set of ``solid`` faces joined across the manifold edges ``pairs``
    (so two boxes sharing an edge or overlapping are two pieces); it is closed when each of its edges is
    used an even number of times by its own faces. A piece is interior when up to ``samples`` of its
    vertices all lie inside one closed piece whose bounding box contains its own."""
    n_faces = len(wf)
    interior = np.zeros(n_faces, dtype=bool)
    idx = np.flatnonzero(solid)
    if len(idx) < 2:
        return interior
    keep = solid[pairs[:, 0]] & solid[pairs[:, 1]]
    graph = coo_matrix((np.ones(int(keep.sum())), (pairs[keep, 0], pairs[keep, 1])), shape=(n_faces, n_faces))
    _, label = connected_components(graph, directed=False)
    names, piece = np.unique(label[idx], return_inverse=True)
    if len(names) < 2:
        return interior
    f = wf[idx]
    pts = vertices[first[f]]                                          # (S,3,3)
    lo = np.full((len(names), 3), np.inf)
    hi = np.full((len(names), 3), -np.inf)
    np.minimum.at(lo, piece, pts.min(axis=1))
    np.maximum.at(hi, piece, pts.max(axis=1))
    # closed pieces: each (piece, welded edge) used an even number of times
    und = np.sort(np.stack([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]], axis=1).reshape(-1, 2), axis=1)
    edge_piece = np.repeat(piece, 3)
    _, inverse, counts = np.unique(np.column_stack([edge_piece, und]), axis=0, return_inverse=True,
                                   return_counts=True)
    odd = np.zeros(len(names), dtype=bool)
    odd[edge_piece[(counts % 2 == 1)[inverse.reshape(-1)]]] = True
    closed_piece = ~odd
    tol = 1e-9 * max(float(np.ptp(vertices, axis=0).max()), 1e-12)
    by_piece = np.argsort(piece, kind="stable")
    bounds = np.searchsorted(piece[by_piece], np.arange(len(names) + 1))
    members = [by_piece[bounds[k]:bounds[k + 1]] for k in range(len(names))]
    closed_ids = np.flatnonzero(closed_piece)
    probes = {}
    for a in range(len(names)):
        verts = np.unique(f[members[a]])
        probes[a] = vertices[first[verts[np.linspace(0, len(verts) - 1, min(samples, len(verts))).astype(int)]]]
    found = np.zeros(len(names), dtype=bool)
    for b in closed_ids:                 # every closed piece tests all the pieces its bounding box contains
        guests = np.flatnonzero(np.all(lo >= lo[b] - tol, axis=1) & np.all(hi <= hi[b] + tol, axis=1) & ~found)
        guests = guests[guests != b]
        if len(guests) == 0:
            continue
        inside = _inside_closed(np.concatenate([probes[a] for a in guests]), pts[members[b]])
        sizes = np.array([len(probes[a]) for a in guests])
        found[guests[np.add.reduceat(~inside, np.cumsum(sizes) - sizes) == 0]] = True
    for a in np.flatnonzero(found):
        interior[idx[members[a]]] = True
    return interior
