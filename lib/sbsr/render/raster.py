"""A vectorised NumPy z-buffer rasterizer.

Every triangle is tested against the pixel centres of the scanline spans it covers, all triangles at once:
the candidate (triangle, pixel) pairs are laid out in one flat array, barycentric coordinates and the
screen-affine depth key (``1/depth`` under perspective, ``depth`` under orthographic projection, both exact
for planar triangles) are evaluated per pair, and the nearest surface per pixel is kept with
``np.minimum.at``. Pixel centres exactly on a shared edge belong to both triangles (no cracks).

Back faces are culled when the mesh is closed (every edge has two faces), which halves the work for
watertight part meshes; open or inconsistently wound meshes are rendered two-sided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import Camera
from .mesh import MeshData, prepare_mesh



@dataclass
class Raster:
    """Per-view buffers of one mesh."""

    camera: Camera
    mesh: MeshData
    depth: np.ndarray        # (H,W) float64 view depth, inf on background
    face: np.ndarray         # (H,W) int64 visible face index, -1 on background
    mask: np.ndarray         # (H,W) bool
    vertex_xy: np.ndarray    # (V,2) pixel coordinates of the vertices
    vertex_depth: np.ndarray  # (V,) view depth of the vertices
    cam_vertices: np.ndarray  # (V,3) camera-space vertices
    front: np.ndarray        # (F,) bool, face is front-facing (winding appears clockwise in y-down pixels)


def bbox_pixels(x_min, x_max, y_min, y_max, size: int):
    """Flatten the pixel-centre grids inside many boxes.

    Pixel ``(i, j)`` is a candidate of box ``k`` when its centre ``(j+0.5, i+0.5)`` lies in
    ``[x_min, x_max] x [y_min, y_max]`` (clipped to the image). Returns ``(keep, owner, j, i)``: the boxes
    that have at least one pixel, and for every candidate pixel the index into ``keep``'s boxes and its
    column and row.
    """
    j0 = np.maximum(np.ceil(x_min - 0.5), 0).astype(np.int64)
    j1 = np.minimum(np.floor(x_max - 0.5), size - 1).astype(np.int64)
    i0 = np.maximum(np.ceil(y_min - 0.5), 0).astype(np.int64)
    i1 = np.minimum(np.floor(y_max - 0.5), size - 1).astype(np.int64)
    nx = j1 - j0 + 1
    ny = i1 - i0 + 1
    keep = np.flatnonzero((nx > 0) & (ny > 0))
    nx, ny, j0, i0 = nx[keep], ny[keep], j0[keep], i0[keep]
    counts = nx * ny
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(keep)), counts)
    start = np.cumsum(counts) - counts
    local = np.arange(total, dtype=np.int64) - start[owner]
    nxo = nx[owner]
    ly = local // nxo
    lx = local - ly * nxo
    return keep, owner, j0[owner] + lx, i0[owner] + ly


def triangle_spans(x: np.ndarray, y: np.ndarray, size: int):
    """Scanline spans of many screen triangles.

    ``x``, ``y`` are (K,3) vertex pixel coordinates. Every pixel row whose centre line ``y = i + 0.5``
    crosses a triangle gives one span: the columns ``j`` whose centres ``j + 0.5`` lie in the crossing
    interval (widened by 1e-6 px so that centres exactly on a shared edge belong to both triangles: no
    cracks). The work thus follows the triangles' areas, not their bounding boxes (thin slanted triangles
    such as cylinder caps stay cheap). Returns per span ``(triangle, row, first column, n columns)``,
    spans with no pixel left out.
    """
    i0 = np.maximum(np.ceil(y.min(axis=1) - 0.5), 0).astype(np.int64)
    i1 = np.minimum(np.floor(y.max(axis=1) - 0.5), size - 1).astype(np.int64)
    ny = np.where((x.max(axis=1) >= 0.5) & (x.min(axis=1) <= size - 0.5), i1 - i0 + 1, 0)
    ny = np.maximum(ny, 0)
    tri = np.repeat(np.arange(len(x)), ny)
    row = i0[tri] + (np.arange(len(tri)) - (np.cumsum(ny) - ny)[tri])
    yc = (row + 0.5)[:, None]
    xa, ya = x[tri], y[tri]
    xb, yb = xa[:, [1, 2, 0]], ya[:, [1, 2, 0]]
    dy = yb - ya
    crosses = (yc >= np.minimum(ya, yb) - 1e-9) & (yc <= np.maximum(ya, yb) + 1e-9) & (np.abs(dy) > 1e-12)
    t = np.divide(yc - ya, dy, out=np.zeros_like(dy), where=crosses)
    xi = xa + t * (xb - xa)
    x_lo = np.where(crosses, xi, np.inf).min(axis=1)
    x_hi = np.where(crosses, xi, -np.inf).max(axis=1)
    with np.errstate(invalid="ignore"):
        j0 = np.maximum(np.ceil(x_lo - 0.5 - 1e-6), 0)
        j1 = np.minimum(np.floor(x_hi - 0.5 + 1e-6), size - 1)
        nx = np.where(np.isfinite(j0) & np.isfinite(j1), j1 - j0 + 1, 0)
    keep = nx > 0
    return tri[keep], row[keep], j0[keep].astype(np.int64), nx[keep].astype(np.int64)


def rasterize(mesh, camera: Camera, cull_backfaces: bool | None = None) -> Raster:
    """Z-buffer ``mesh`` seen from ``camera`` at ``camera.image_size`` pixels (pixel-centre sampling).

    ``cull_backfaces=None`` culls only when the mesh is closed.
    """
    data = prepare_mesh(mesh)
    size = camera.image_size
    cam_v = camera.to_camera(data.vertices)
    xy, vdepth = camera.camera_to_pixels(cam_v)
    faces = data.faces
    n_faces = len(faces)

    depth_buf = np.full(size * size, np.inf)
    face_buf = np.full(size * size, -1, dtype=np.int64)
    front = np.zeros(n_faces, dtype=bool)
    if n_faces == 0:
        return Raster(camera, data, depth_buf.reshape(size, size), face_buf.reshape(size, size),
                      np.zeros((size, size), bool), xy, vdepth, cam_v, front)

    tx = xy[faces, 0]
    ty = xy[faces, 1]
    tdepth = vdepth[faces]
    x0, x1, x2 = tx[:, 0], tx[:, 1], tx[:, 2]
    y0, y1, y2 = ty[:, 0], ty[:, 1], ty[:, 2]
    den = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    front = den < 0
    perspective = camera.projection == "perspective"
    ok = np.abs(den) > 1e-12
    if perspective:
        ok &= np.all(tdepth > 1e-4 * camera.distance, axis=1)
    if cull_backfaces is None:
        cull_backfaces = data.closed
    if cull_backfaces:
        ok &= front ^ data.face_flip          # faces wound inwards face out once turned
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return Raster(camera, data, depth_buf.reshape(size, size), face_buf.reshape(size, size),
                      np.zeros((size, size), bool), xy, vdepth, cam_v, front)
    x0, x1, x2, y0, y1, y2, den = (a[idx] for a in (x0, x1, x2, y0, y1, y2, den))
    # Depth key, affine in screen space over a planar triangle: -1/depth (perspective) or depth;
    # key = q0 + aq * (x - x0) + bq * (y - y0).
    q = -1.0 / tdepth[idx] if perspective else tdepth[idx]
    a1 = (y2 - y0) / den
    b1 = -(x2 - x0) / den
    a2 = -(y1 - y0) / den
    b2 = (x1 - x0) / den
    aq = a1 * (q[:, 1] - q[:, 0]) + a2 * (q[:, 2] - q[:, 0])
    bq = b1 * (q[:, 1] - q[:, 0]) + b2 * (q[:, 2] - q[:, 0])

    span_tri, span_row, span_j0, span_n = triangle_spans(np.stack([x0, x1, x2], axis=1),
                                                         np.stack([y0, y1, y2], axis=1), size)
    if len(span_tri) == 0:
        return Raster(camera, data, depth_buf.reshape(size, size), face_buf.reshape(size, size),
                      np.zeros((size, size), bool), xy, vdepth, cam_v, front)
    # key at each span's first pixel centre (relative to the triangle's first vertex, for precision)
    span_aq = aq[span_tri]
    span_key = q[span_tri, 0] + span_aq * (span_j0 + 0.5 - x0[span_tri]) + \
        bq[span_tri] * (span_row + 0.5 - y0[span_tri])
    span = np.repeat(np.arange(len(span_tri)), span_n)
    offset = np.arange(len(span)) - (np.cumsum(span_n) - span_n)[span]
    key = span_key[span] + span_aq[span] * offset
    pix = (span_row * size + span_j0)[span] + offset

    key_buf = np.full(size * size, np.inf)
    np.minimum.at(key_buf, pix, key)
    win = key <= key_buf[pix]
    face_buf[pix[win]] = idx[span_tri[span[win]]]
    hit = np.isfinite(key_buf)
    if perspective:
        depth_buf[hit] = -1.0 / key_buf[hit]
    else:
        depth_buf[hit] = key_buf[hit]
    return Raster(camera, data, depth_buf.reshape(size, size), face_buf.reshape(size, size),
                  hit.reshape(size, size), xy, vdepth, cam_v, front)
