"""Line renderings: visible feature edges as polylines, and anti-aliased stroke rasterisation.

This is our stand-in for the Blender Freestyle renders of the thesis (§4.2.3.1 "Multi-view line
rendering": silhouettes and creases, uniform stroke width 2.2):

* **silhouette** edges separate a front-facing from a back-facing face; with ``outline=True`` (the default
  of :func:`sbsr.render.render`) the boundary of the projected object mask is added wherever those edges
  do not already draw it, so open or badly wound meshes still get a complete outline;
* **crease** edges have a dihedral angle (angle between the two face normals) above ``crease_angle``
  (default 30°, i.e. faces meeting at less than 150°; Freestyle's own default threshold is 134.4°
  between faces, i.e. 45.6° between normals); edges shared by more than two faces count as creases;
* **border** edges have a single face.

Hidden-line removal samples every candidate edge about every half pixel and keeps a sample when, in the
3x3 pixel neighbourhood of the pixel it falls in, the z-buffer shows something at least as far as the
sample (minus a small bias), or when its own pixel shows one of the edge's faces. Visible runs are
chained through shared vertices into polylines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import ndimage

from .camera import Camera
from .mesh import prepare_mesh
from .raster import Raster, bbox_pixels, rasterize

KINDS = ("silhouette", "crease", "border")


@dataclass
class Polyline:
    """A visible feature line in pixel coordinates (x right, y down)."""

    points: np.ndarray   # (N,2) float pixel coords, hidden parts removed
    kind: str            # "silhouette" | "crease" | "border"
    part_id: int         # part of the face the edge belongs to (-1 if unknown)
    depth: np.ndarray    # (N,) view depth of each point


def _classify_edges(raster: Raster, kinds: Sequence[str], crease_angle: float):
    """Return (edge indices, kind code 0/1/2) of the candidate feature edges of one view."""
    data = raster.mesh
    f0, f1 = data.edge_faces[:, 0], data.edge_faces[:, 1]
    border = f1 < 0
    # a sliver faces like its proxy; a face wound against its neighbour faces the other way: compare it
    # as if it were turned
    front = raster.front[np.maximum(data.face_proxy, 0)] ^ data.face_proxy_flip
    fr0 = front[f0]
    fr1 = np.where(border, fr0, front[np.maximum(f1, 0)] ^ data.edge_flipped)
    silhouette = ~border & (fr0 != fr1) & data.edge_reliable   # a sliver's facing is noise
    crease = ~border & ((data.dihedral > crease_angle) | data.edge_nonmanifold) & ~silhouette
    if data.closed:
        # creases between two back faces of a closed mesh are never visible (facing after re-orientation)
        crease &= (fr0 ^ data.face_flip[f0]) | (fr1 ^ data.face_flip[f0])
    code = np.full(len(f0), -1, dtype=np.int64)
    if "crease" in kinds:
        code[crease] = 1
    if "border" in kinds:
        code[border] = 2
    if "silhouette" in kinds:
        code[silhouette] = 0
    code[border & data.face_dangling[f0]] = -1        # the loose borders of fins
    code[data.face_interior[f0]] = -1                  # bodies hidden inside others (interior walls)
    sel = np.flatnonzero(code >= 0)
    return sel, code[sel]


def _gap_close(vis: np.ndarray, owner: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill runs of at most ``max_gap`` hidden samples between visible samples of the same edge."""
    out = vis.copy()
    n = len(vis)
    for gap in range(1, max_gap + 1):
        for left in range(1, gap + 1):
            right = gap + 1 - left
            i = np.arange(left, n - right)
            ok = vis[i - left] & vis[i + right] & (owner[i - left] == owner[i + right])
            out[i[ok]] = True
    return out


def _chain(node_a: np.ndarray, node_b: np.ndarray, group: np.ndarray) -> list[list[tuple[int, bool]]]:
    """Chain segments (node_a -> node_b) that meet at nodes shared by exactly two segments of the same
    group. Returns chains as lists of (segment, reversed)."""
    n = len(node_a)
    ends: dict[tuple[int, int], list[int]] = {}
    for s in range(n):
        g = int(group[s])
        ends.setdefault((g, int(node_a[s])), []).append(s)
        ends.setdefault((g, int(node_b[s])), []).append(s)
    used = np.zeros(n, dtype=bool)
    chains = []
    for s0 in range(n):
        if used[s0]:
            continue
        used[s0] = True
        g = int(group[s0])
        chain = [(s0, False)]
        # walk forward from node_b, then backward from node_a
        for direction in (1, -1):
            node = int(node_b[s0]) if direction == 1 else int(node_a[s0])
            while True:
                nbrs = ends[(g, node)]
                if len(nbrs) != 2:
                    break
                nxt = nbrs[0] if nbrs[1] == chain[-1 if direction == 1 else 0][0] else nbrs[1]
                if used[nxt]:
                    break
                used[nxt] = True
                rev = int(node_a[nxt]) != node       # segment stored b->a relative to the walk
                if direction == 1:
                    chain.append((nxt, rev))
                    node = int(node_a[nxt]) if rev else int(node_b[nxt])
                else:
                    chain.insert(0, (nxt, not rev))
                    node = int(node_b[nxt]) if not rev else int(node_a[nxt])
        chains.append(chain)
    return chains


def visible_polylines(mesh, camera: Camera, kinds=KINDS, crease_angle: float = 30.0, *,
                      raster: Raster | None = None, outline: bool = False, bias_px: float = 3.0,
                      sample_step: float = 0.5, max_gap: int = 2, min_length: float = 0.0) -> list[Polyline]:
    """Visible silhouette / crease / border lines of ``mesh`` seen from ``camera`` (thesis §4.2.3.1).

    ``raster`` reuses a z-buffer of the same view; ``outline`` adds the parts of the projected mask's
    boundary that no visible mesh edge draws as silhouette polylines (:func:`mask_outline`); ``bias_px`` is the depth tolerance of the hidden-line test, in units of the
    width of one pixel at the sample's depth; ``sample_step`` the sampling step along edges in pixels;
    ``max_gap`` closes hidden gaps of up to that many samples inside visible edges (z-buffer noise);
    ``min_length`` (pixels) drops chained polylines shorter than that on screen, Freestyle's density control
    for finely tessellated parts (knobs, grilles: many tiny feature edges; 0 keeps everything).
    """
    kinds = tuple(kinds)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown line kinds {sorted(unknown)}; choose from {KINDS}")
    data = prepare_mesh(mesh)
    if raster is None:
        raster = rasterize(data, camera)
    size = camera.image_size
    polylines: list[Polyline] = []
    covered = np.zeros((size, size), dtype=bool)
    sel, code = _classify_edges(raster, kinds, crease_angle)
    if len(sel):
        polylines.extend(_edge_polylines(raster, camera, sel, code, bias_px, sample_step, max_gap, covered))
    if outline and raster.mask.any():
        covered = ndimage.maximum_filter(covered.view(np.uint8), size=5).view(bool)
        # skip the (slower) contour tracing when mesh edges already cover the whole mask boundary
        mask8 = raster.mask.view(np.uint8)
        boundary = (mask8 > ndimage.minimum_filter(mask8, size=3, mode="nearest")).view(bool)
        if np.any(boundary & ~covered):
            polylines.extend(mask_outline(raster, covered=covered))
    if min_length > 0:
        polylines = [p for p in polylines if projected_length(p) >= min_length]
    return polylines


def projected_length(line: Polyline) -> float:
    """Length of a polyline on screen, in pixels."""
    return float(np.linalg.norm(np.diff(line.points, axis=0), axis=1).sum()) if len(line.points) > 1 else 0.0


def _edge_polylines(raster, camera, sel, code, bias_px, sample_step, max_gap, covered) -> list[Polyline]:
    """Sample, test and chain the candidate edges ``sel``; marks the pixels of visible samples in
    ``covered``."""
    data = raster.mesh
    size = camera.image_size
    e = data.edges[sel]
    ef = data.edge_faces[sel]
    c0, c1 = raster.cam_vertices[e[:, 0]], raster.cam_vertices[e[:, 1]]
    p0, p1 = raster.vertex_xy[e[:, 0]], raster.vertex_xy[e[:, 1]]
    length = np.linalg.norm(p1 - p0, axis=1)
    length = np.where(np.isfinite(length), length, 0.0)
    n = np.clip(np.ceil(length / sample_step).astype(np.int64) + 1, 2, 4 * size)
    owner = np.repeat(np.arange(len(sel)), n)
    start = np.cumsum(n) - n
    local = np.arange(int(n.sum())) - start[owner]
    t = local / (n[owner] - 1)
    pts = c0[owner] + t[:, None] * (c1[owner] - c0[owner])
    xy, depth = camera.camera_to_pixels(pts)

    # Hidden-line test against the z-buffer.
    inside = np.all(np.isfinite(xy), axis=1) & (xy[:, 0] >= 0) & (xy[:, 0] < size) & \
        (xy[:, 1] >= 0) & (xy[:, 1] < size)
    col = np.clip(np.floor(np.nan_to_num(xy[:, 0])), 0, size - 1).astype(np.int64)
    row = np.clip(np.floor(np.nan_to_num(xy[:, 1])), 0, size - 1).astype(np.int64)
    far3 = ndimage.maximum_filter(raster.depth, size=3, mode="constant", cval=np.inf)
    bias = bias_px * np.asarray(camera.pixel_size(np.maximum(depth, 1e-9)))
    group = data.face_group
    face_here = raster.face[row, col]
    own = (face_here >= 0) & ((group[face_here] == ef[owner, 0]) | (group[face_here] == ef[owner, 1]))
    vis = inside & ((far3[row, col] >= depth - bias) | own)
    if max_gap > 0:
        vis = _gap_close(vis, owner, max_gap) & inside
    covered[row[vis], col[vis]] = True

    # Visible runs per edge.
    same = owner[1:] == owner[:-1]
    prev_vis = np.concatenate(([False], vis[:-1] & same))     # previous sample visible, same edge
    next_vis = np.concatenate((vis[1:] & same, [False]))
    run_start = np.flatnonzero(vis & ~prev_vis)
    run_end = np.flatnonzero(vis & ~next_vis)
    long_enough = run_end > run_start
    run_start, run_end = run_start[long_enough], run_end[long_enough]
    if len(run_start) == 0:
        return []
    run_edge = owner[run_start]
    n_vert = len(data.vertices)
    # Node ids: mesh vertex at an edge end, otherwise a unique id per sample.
    node_a = np.where(local[run_start] == 0, e[run_edge, 0], n_vert + run_start)
    node_b = np.where(local[run_end] == n[run_edge] - 1, e[run_edge, 1], n_vert + run_end)
    # an edge belongs to the part of its first face, a silhouette to the part of its front-facing face
    f0, f1 = ef[run_edge, 0], ef[run_edge, 1]
    use1 = (f1 >= 0) & ~raster.front[f0] & raster.front[np.maximum(f1, 0)]
    run_part = np.where(use1, data.part_ids[np.maximum(f1, 0)], data.part_ids[f0])
    run_code = code[run_edge]
    # chain only runs of the same kind and part
    _, group = np.unique(np.stack([run_code, run_part], axis=1), axis=0, return_inverse=True)
    group = group.reshape(-1)

    out = []
    for chain in _chain(node_a, node_b, group):
        idx = []
        for s, rev in chain:
            a, b = run_start[s], run_end[s]
            idx.extend([b, a] if rev else [a, b])
        # consecutive pieces meet at a mesh vertex sampled once per edge: drop the repeated point
        idx = np.asarray(idx)
        pts2 = xy[idx]
        keep = np.concatenate(([True], np.any(np.abs(pts2[1:] - pts2[:-1]) > 1e-9, axis=1)))
        s0 = chain[0][0]
        out.append(Polyline(points=pts2[keep], kind=KINDS[int(run_code[s0])], part_id=int(run_part[s0]),
                            depth=depth[idx][keep]))
    return out


def mask_outline(raster: Raster, covered: np.ndarray | None = None, smooth: float = 1.0) -> list[Polyline]:
    """Boundary of the projected object mask (marching squares, lightly smoothed along the contour) as
    silhouette polylines. Where ``covered`` (H,W) is True (pixels already drawn by mesh silhouette edges)
    the outline is left out, so that it only fills in silhouettes the mesh edges miss (open or badly
    wound meshes) and strokes keep a uniform width."""
    from skimage import measure

    size = raster.camera.image_size
    padded = np.pad(raster.mask.astype(np.float64), 1)
    near_depth = None
    out = []
    for contour in measure.find_contours(padded, 0.5):
        pts = contour[:, ::-1] - 1.0 + 0.5            # (row, col) of the padded grid -> pixel xy
        closed = len(pts) > 2 and np.allclose(pts[0], pts[-1])
        if smooth > 0 and len(pts) > 4:
            if closed:
                pts = ndimage.gaussian_filter1d(pts[:-1], smooth, axis=0, mode="wrap")
                pts = np.vstack([pts, pts[:1]])
            else:
                pts = ndimage.gaussian_filter1d(pts, smooth, axis=0, mode="nearest")
        col = np.clip(np.floor(pts[:, 0]), 0, size - 1).astype(np.int64)
        row = np.clip(np.floor(pts[:, 1]), 0, size - 1).astype(np.int64)
        # the frame border is not an outline
        free = np.all((pts > 0.25) & (pts < size - 0.25), axis=1)
        if covered is not None:
            free &= ~covered[row, col]
        if free.sum() < 2:
            continue
        if near_depth is None:
            near_depth = ndimage.minimum_filter(raster.depth, size=3)
            near_face = ndimage.maximum_filter(raster.face, size=3)
        starts = np.flatnonzero(free & ~np.r_[False, free[:-1]])
        ends = np.flatnonzero(free & ~np.r_[free[1:], False])
        for a, b in zip(starts, ends):
            if b - a < 1:
                continue
            sl = slice(a, b + 1)
            faces = near_face[row[sl], col[sl]]
            faces = faces[faces >= 0]
            part = int(np.bincount(raster.mesh.part_ids[faces]).argmax()) if len(faces) else -1
            out.append(Polyline(points=pts[sl], kind="silhouette", part_id=part,
                                depth=near_depth[row[sl], col[sl]]))
    return out


def draw_polylines(polylines: list, image_size: int = 224, width: float | list[float] = 2.2,
                   intensity: float | list[float] = 1.0, max_chunk: float = 8.0) -> np.ndarray:
    """Rasterise strokes as an anti-aliased ink image (H,W) float32 in [0,1] (1 = full ink).

    ``polylines`` are (N,2) pixel-coordinate arrays or :class:`Polyline` objects; ``width`` and
    ``intensity`` are scalars or one value per polyline. A pixel's ink is the box-filter coverage of its
    centre's distance ``d`` to the stroke's centre line, ``clip(width/2 + 0.5 - d, 0, 1) * intensity``
    (round caps and joins); overlapping strokes combine by maximum. The lines image is
    ``255 * (1 - ink)``.
    """
    ink = np.zeros(image_size * image_size, dtype=np.float32)
    n = len(polylines)
    if n == 0:
        return ink.reshape(image_size, image_size)
    widths = np.broadcast_to(np.asarray(width, dtype=np.float64), (n,)) if np.ndim(width) == 0 \
        else np.asarray(width, dtype=np.float64)
    inks = np.broadcast_to(np.asarray(intensity, dtype=np.float64), (n,)) if np.ndim(intensity) == 0 \
        else np.asarray(intensity, dtype=np.float64)
    if len(widths) != n or len(inks) != n:
        raise ValueError(f"width and intensity need one value per polyline ({n})")
    seg_a, seg_b, seg_w, seg_i = [], [], [], []
    for k, line in enumerate(polylines):
        pts = np.asarray(line.points if isinstance(line, Polyline) else line, dtype=np.float64).reshape(-1, 2)
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        if len(pts) == 0:
            continue
        if len(pts) == 1:
            pts = np.repeat(pts, 2, axis=0)
        seg_a.append(pts[:-1])
        seg_b.append(pts[1:])
        seg_w.append(np.full(len(pts) - 1, widths[k]))
        seg_i.append(np.full(len(pts) - 1, inks[k]))
    if not seg_a:
        return ink.reshape(image_size, image_size)
    a, b = np.concatenate(seg_a), np.concatenate(seg_b)
    w, inten = np.concatenate(seg_w), np.concatenate(seg_i)
    # Split long segments into chunks so that bounding boxes stay tight.
    length = np.linalg.norm(b - a, axis=1)
    pieces = np.maximum(np.ceil(length / max_chunk).astype(np.int64), 1)
    if np.any(pieces > 1):
        owner = np.repeat(np.arange(len(a)), pieces)
        k = np.arange(len(owner)) - (np.cumsum(pieces) - pieces)[owner]
        d = (b - a)[owner] / pieces[owner, None]
        a, b = a[owner] + k[:, None] * d, a[owner] + (k[:, None] + 1) * d
        w, inten = w[owner], inten[owner]
    r = w / 2.0 + 0.5
    keep, own, jj, ii = bbox_pixels(np.minimum(a[:, 0], b[:, 0]) - r, np.maximum(a[:, 0], b[:, 0]) + r,
                                    np.minimum(a[:, 1], b[:, 1]) - r, np.maximum(a[:, 1], b[:, 1]) + r,
                                    image_size)
    if len(own) == 0:
        return ink.reshape(image_size, image_size)
    seg = keep[own]
    ax, ay = a[seg, 0], a[seg, 1]
    dx, dy = b[seg, 0] - ax, b[seg, 1] - ay
    px, py = jj + 0.5 - ax, ii + 0.5 - ay
    dd = dx * dx + dy * dy
    t = np.clip(np.divide(px * dx + py * dy, dd, out=np.zeros_like(dd), where=dd > 0), 0.0, 1.0)
    dist = np.hypot(px - t * dx, py - t * dy)
    cov = np.clip(r[seg] - dist, 0.0, 1.0) * inten[seg]
    hit = cov > 0
    np.maximum.at(ink, ii[hit] * image_size + jj[hit], cov[hit].astype(np.float32))
    return np.clip(ink, 0.0, 1.0).reshape(image_size, image_size)


def lines_image(ink: np.ndarray) -> np.ndarray:
    """Ink in [0,1] -> uint8 grayscale lines image, 255 background."""
    return np.round(255.0 * (1.0 - np.clip(ink, 0.0, 1.0))).astype(np.uint8)
