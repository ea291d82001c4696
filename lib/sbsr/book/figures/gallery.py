"""Plotly figures of the data chapter: image grids, 3D meshes with part colours, point clouds, voxel grids,
SDF samples, Chamfer-distance distributions and the renderer benchmark.

Every builder returns a :class:`plotly.graph_objects.Figure` and keeps the page light: images are
downsampled to at most :data:`THUMBNAIL_SIZE` px and sent as PNG data URIs (at most :data:`MAX_IMAGES`
per figure); 3D traces carry float32 arrays (plotly sends them base64-encoded) and only the vertices each
part uses. Shapes follow ShapeNetCore v2 axes (+Y up, front towards -Z, :mod:`sbsr.shapes.orientation`), so 3D scenes put +Y up and look
from the front-right like :class:`sbsr.render.Camera` at azimuth 30°, elevation 20°.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from ...shapes.orientation import view_direction
from .images import MAX_THUMB, as_rgb_uint8, content_box, crop_to_box, image_grid, png_data_uri, thumbnail

#: Longest side of an image in a grid (px).
THUMBNAIL_SIZE = 112
#: Most images in one grid figure.
MAX_IMAGES = 40
#: Part colours (index = part id), shared by the 2D part maps and the 3D figures.
PART_COLORS: tuple[str, ...] = tuple(qualitative.Set2) + tuple(qualitative.Pastel1)
#: Colour of faces or points without a part id.
NO_PART_COLOR = "#b0b0b0"


# ----------------------------------------------------------------------------------------------- images
def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.strip()
    if color.startswith("rgb"):
        return tuple(int(float(c)) for c in color[color.index("(") + 1:color.index(")")].split(",")[:3])
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))


def part_color(part_id: int) -> str:
    """Colour of a part id (cycles through :data:`PART_COLORS`; negative ids are grey)."""
    return NO_PART_COLOR if part_id < 0 else PART_COLORS[int(part_id) % len(PART_COLORS)]


def depth_image(depth: np.ndarray) -> np.ndarray:
    """Depth map -> (H,W) uint8: nearest object point 0 (black), farthest 254, background (inf) 255."""
    d = np.asarray(depth, dtype=np.float64)
    fg = np.isfinite(d)
    out = np.full(d.shape, 255, np.uint8)
    if fg.any():
        lo, hi = d[fg].min(), d[fg].max()
        out[fg] = np.round(254 * (d[fg] - lo) / max(hi - lo, 1e-12)).astype(np.uint8)
    return out


def normals_image(normals: np.ndarray) -> np.ndarray:
    """Camera-space unit normals (H,W,3) -> RGB uint8 ``(n + 1) / 2``; background (zero normal) white."""
    n = np.asarray(normals, dtype=np.float64)
    if n.ndim != 3 or n.shape[2] != 3:
        raise ValueError(f"expected (H,W,3) normals, got shape {n.shape}")
    bg = ~np.any(n != 0, axis=2)
    out = np.round(255 * (np.clip(n, -1, 1) + 1) / 2).astype(np.uint8)
    out[bg] = 255
    return out


def parts_image(parts: np.ndarray) -> np.ndarray:
    """Part-id map (H,W) (-1 background) -> RGB uint8 in the colours of :func:`part_color`, white background."""
    p = np.asarray(parts, dtype=np.int64)
    out = np.full(p.shape + (3,), 255, np.uint8)
    for pid in np.unique(p[p >= 0]):
        out[p == pid] = _hex_to_rgb(part_color(int(pid)))
    return out


def gallery_grid(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, ncols: int | None = None,
                 row_titles: Sequence[str] | None = None, title: str | None = None, size: int = THUMBNAIL_SIZE,
                 max_images: int = MAX_IMAGES, crop: bool = False, width_hint: int = 640) -> go.Figure:
    """A flat list of images laid out ``ncols`` to a row (default ``min(len(images), 8)``), each captioned by
    ``titles``, each row labelled by ``row_titles``: :func:`sbsr.book.figures.images.image_grid` underneath.

    ``crop`` crops every image to its content first (:func:`content_box`; white backgrounds only).
    ``width_hint`` is the expected page width in px, used to size the cells. Raises ``ValueError`` for more
    than ``max_images`` images (keep the page light: make several figures).
    """
    images = list(images)
    if not images:
        raise ValueError("gallery_grid needs at least one image")
    if len(images) > max_images:
        raise ValueError(f"{len(images)} images in one grid; at most {max_images} keep the page light")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(titles)} titles for {len(images)} images")
    ncols = int(ncols or min(len(images), 8))
    if ncols < 1:
        raise ValueError(f"ncols must be positive, got {ncols}")
    nrows = math.ceil(len(images) / ncols)
    if row_titles is not None and len(row_titles) != nrows:
        raise ValueError(f"{len(row_titles)} row titles for {nrows} rows")
    if crop:
        images = [crop_to_box(im, content_box(im)) for im in images]
    rows = [images[i:i + ncols] for i in range(0, len(images), ncols)]
    captions = [list(titles[i:i + ncols]) for i in range(0, len(images), ncols)] if titles is not None else None
    cell = int(min(size, width_hint / ncols))
    return image_grid(rows, row_labels=row_titles, captions=captions, thumb_size=min(size, MAX_THUMB),
                      cell_px=cell + (16 if titles is not None else 0), title=title,
                      label_margin=90 if row_titles is not None else 10)


# ---------------------------------------------------------------------------------------------- 3D scenes
def scene_layout(azimuth: float = 30.0, elevation: float = 20.0, distance: float = 1.9,
                 show_axes: bool = False) -> dict:
    """A plotly ``scene`` with +Y up, the camera at ``azimuth``/``elevation`` like :class:`sbsr.render.Camera`
    (azimuth 0 = in front, on -Z; positive turns towards the object's left, -X), equal axis scales."""
    direction = view_direction(azimuth, elevation)
    eye = dict(x=distance * float(direction[0]), y=distance * float(direction[1]), z=distance * float(direction[2]))
    axis = dict(visible=show_axes, showbackground=False)
    return dict(
        camera=dict(up=dict(x=0, y=1, z=0), eye=eye, projection=dict(type="perspective")),
        aspectmode="data", xaxis=dict(axis, title="x"), yaxis=dict(axis, title="y (up)"),
        zaxis=dict(axis, title="z (back)"),
    )


def _part_names(mesh, part_names):
    if part_names is not None:
        return list(part_names)
    names = getattr(mesh, "part_names", None)
    return list(names) if names is not None else None


def mesh_traces(mesh, part_names: Sequence[str] | None = None, name: str = "", visible: bool = True,
                showlegend: bool = True, opacity: float = 1.0) -> list[go.Mesh3d]:
    """One flat-shaded ``go.Mesh3d`` per part of ``mesh`` (``.vertices``, ``.faces``, optional
    ``.part_ids``/``.part_names``), each carrying only the vertices its faces use, coloured by part."""
    v = np.asarray(mesh.vertices, dtype=np.float64)
    f = np.asarray(mesh.faces, dtype=np.int64)
    if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
        raise ValueError(f"expected vertices (V,3) and faces (F,3), got {v.shape} and {f.shape}")
    pid = getattr(mesh, "part_ids", None)
    pid = np.full(len(f), -1, np.int64) if pid is None else np.asarray(pid, dtype=np.int64)
    if len(pid) != len(f):
        raise ValueError(f"part_ids has {len(pid)} entries for {len(f)} faces")
    names = _part_names(mesh, part_names)
    traces = []
    for p in np.unique(pid):
        faces = f[pid == p]
        used, local = np.unique(faces, return_inverse=True)
        local = local.reshape(faces.shape).astype(np.int32)
        pts = v[used].astype(np.float32)
        label = (names[p] if names is not None and 0 <= p < len(names) else f"part {p}") if p >= 0 else "mesh"
        traces.append(go.Mesh3d(
            x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], i=local[:, 0], j=local[:, 1], k=local[:, 2],
            color=part_color(int(p)), flatshading=True, opacity=opacity, name=label,
            legendgroup=f"{name}:{label}" if name else label, showlegend=showlegend, visible=visible,
            hovertemplate=f"{name + ': ' if name else ''}{label}<extra></extra>",
            lighting=dict(ambient=0.45, diffuse=0.8, specular=0.1, roughness=0.8),
            lightposition=dict(x=1000, y=2000, z=3000),
        ))
    return traces


def mesh_figure(meshes, labels: Sequence[str] | None = None, title: str | None = None, height: int = 480,
                azimuth: float = 30.0, elevation: float = 20.0) -> go.Figure:
    """Interactive 3D view of one mesh or of several (a dropdown picks which one is shown), parts coloured
    and named in the legend. ``meshes`` is one mesh or a sequence; ``labels`` names each in the dropdown."""
    single = hasattr(meshes, "vertices")
    meshes = [meshes] if single else list(meshes)
    if not meshes:
        raise ValueError("mesh_figure needs at least one mesh")
    labels = list(labels) if labels is not None else [getattr(m, "shape_id", f"mesh {i}") for i, m in
                                                      enumerate(meshes)]
    if len(labels) != len(meshes):
        raise ValueError(f"{len(labels)} labels for {len(meshes)} meshes")
    fig = go.Figure()
    owner = []
    for i, (m, lab) in enumerate(zip(meshes, labels)):
        for tr in mesh_traces(m, name=lab, visible=i == 0):
            fig.add_trace(tr)
            owner.append(i)
    if len(meshes) > 1:
        buttons = [dict(label=lab, method="update",
                        args=[{"visible": [o == i for o in owner]}, {"title.text": f"{title} — {lab}" if title else lab}])
                   for i, lab in enumerate(labels)]
        fig.update_layout(updatemenus=[dict(buttons=buttons, direction="down", x=0.0, xanchor="left", y=1.0,
                                            yanchor="bottom", showactive=True)])
        title = f"{title} — {labels[0]}" if title else labels[0]
    fig.update_layout(title=dict(text=title, x=0.5 if len(meshes) > 1 else None), height=height,
                      scene=scene_layout(azimuth, elevation), margin=dict(l=0, r=0, t=60, b=0),
                      legend=dict(title="part", itemclick="toggle"))
    return fig


def point_cloud_traces(points: np.ndarray, labels: np.ndarray | None = None,
                       label_names: Sequence[str] | None = None, marker_size: float = 2.0,
                       showlegend: bool = True) -> list[go.Scatter3d]:
    """Scatter3d markers, one trace per part label (coloured like the mesh parts) or one trace without labels."""
    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"expected points (N,3), got {pts.shape}")
    lab = np.full(len(pts), -1, np.int64) if labels is None else np.asarray(labels, dtype=np.int64)
    if len(lab) != len(pts):
        raise ValueError(f"{len(lab)} labels for {len(pts)} points")
    traces = []
    for p in np.unique(lab):
        sel = pts[lab == p]
        name = (label_names[p] if label_names is not None and 0 <= p < len(label_names) else f"part {p}") \
            if p >= 0 else "points"
        traces.append(go.Scatter3d(x=sel[:, 0], y=sel[:, 1], z=sel[:, 2], mode="markers", name=name,
                                   legendgroup=name, showlegend=showlegend,
                                   marker=dict(size=marker_size, color=part_color(int(p))),
                                   hovertemplate=f"{name}<extra></extra>"))
    return traces


def point_cloud_figure(points: np.ndarray, labels: np.ndarray | None = None,
                       label_names: Sequence[str] | None = None, title: str | None = None,
                       height: int = 480) -> go.Figure:
    """Interactive point cloud with part labels (one trace per label)."""
    fig = go.Figure(point_cloud_traces(points, labels, label_names))
    fig.update_layout(title=title, height=height, scene=scene_layout(), margin=dict(l=0, r=0, t=40, b=0),
                      legend=dict(title="part", itemsizing="constant"))
    return fig


def downsample_occupancy(occupancy: np.ndarray, max_resolution: int) -> np.ndarray:
    """Max-pool a boolean (R,R,R) grid by an integer factor until every side is <= ``max_resolution``."""
    occ = np.asarray(occupancy, dtype=bool)
    if occ.ndim != 3:
        raise ValueError(f"expected a 3D occupancy grid, got shape {occ.shape}")
    factor = max(1, math.ceil(max(occ.shape) / max_resolution))
    if factor == 1:
        return occ
    pad = [(0, (-s) % factor) for s in occ.shape]
    occ = np.pad(occ, pad)
    r = [s // factor for s in occ.shape]
    return occ.reshape(r[0], factor, r[1], factor, r[2], factor).any(axis=(1, 3, 5))


def voxel_surface(occupancy: np.ndarray, bounds: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exposed faces of the occupied voxels as a triangle mesh: (vertices (V,3) float64, faces (F,3) int64).

    A cube face is emitted where an occupied voxel borders an empty one or the grid's border (2 triangles
    each, outward winding). ``occupancy[i, j, k]`` is the voxel at x_i, y_j, z_k of ``bounds`` = (lo, hi)
    (default: the unit cube [-0.5, 0.5]^3), as produced by :func:`sbsr.shapes.voxelize`.
    """
    occ = np.asarray(occupancy, dtype=bool)
    if occ.ndim != 3:
        raise ValueError(f"expected a 3D occupancy grid, got shape {occ.shape}")
    lo, hi = (np.full(3, -0.5), np.full(3, 0.5)) if bounds is None else (np.asarray(b, float) for b in bounds)
    pitch = (hi - lo) / np.array(occ.shape)
    padded = np.pad(occ, 1)
    quads = []
    # for each axis and direction: the 4 corners (in voxel units, relative to the voxel's low corner) of the
    # face, ordered counter-clockwise seen from outside
    unit = np.eye(3, dtype=np.int64)
    for axis in range(3):
        u, w = unit[(axis + 1) % 3], unit[(axis + 2) % 3]
        for sign in (+1, -1):
            shift = [slice(1, -1)] * 3
            shift[axis] = slice(1 + sign, padded.shape[axis] - 1 + sign)
            exposed = occ & ~padded[tuple(shift)]
            idx = np.argwhere(exposed)
            if len(idx) == 0:
                continue
            base = idx + (unit[axis] if sign > 0 else 0)
            corners = [np.zeros(3, np.int64), u, u + w, w] if sign > 0 else [np.zeros(3, np.int64), w, u + w, u]
            quads.append(np.stack([base + c for c in corners], axis=1))  # (n,4,3)
    if not quads:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    q = np.concatenate(quads)
    corners, inverse = np.unique(q.reshape(-1, 3), axis=0, return_inverse=True)
    qi = inverse.reshape(-1, 4)
    faces = np.concatenate([qi[:, [0, 1, 2]], qi[:, [0, 2, 3]]]).astype(np.int64)
    return lo + corners * pitch, faces


def voxel_traces(occupancy: np.ndarray, bounds: tuple | None = None, max_resolution: int = 32,
                 color: str = "#8da0cb", showlegend: bool = True) -> list[go.Mesh3d]:
    """The exposed voxel faces (:func:`voxel_surface`) of a grid max-pooled to ``max_resolution``."""
    occ = downsample_occupancy(occupancy, max_resolution)
    v, f = voxel_surface(occ, bounds)
    v = v.astype(np.float32)
    f = f.astype(np.int32)
    return [go.Mesh3d(x=v[:, 0], y=v[:, 1], z=v[:, 2], i=f[:, 0], j=f[:, 1], k=f[:, 2], color=color,
                      flatshading=True, name=f"voxels {'x'.join(map(str, occ.shape))}", showlegend=showlegend,
                      hoverinfo="skip", lighting=dict(ambient=0.4, diffuse=0.9, specular=0.05),
                      lightposition=dict(x=1000, y=2000, z=3000))]


def sdf_traces(points: np.ndarray, sdf: np.ndarray, max_points: int = 3000, clip: float | None = None,
               max_abs: float | None = None, marker_size: float = 2.0, seed: int = 0,
               showscale: bool = True) -> list[go.Scatter3d]:
    """SDF samples as markers coloured by signed distance (blue inside, red outside, white on the surface),
    at most ``max_points`` (a seeded subset) of those with ``|sdf| <= max_abs`` (all when None). ``clip``
    bounds the colour scale (default: the median of |sdf| of the shown samples)."""
    pts = np.asarray(points, dtype=np.float64)
    d = np.asarray(sdf, dtype=np.float64).ravel()
    if pts.ndim != 2 or pts.shape[1] != 3 or len(d) != len(pts):
        raise ValueError(f"expected points (N,3) and sdf (N,), got {pts.shape} and {d.shape}")
    if max_abs is not None:
        near = np.abs(d) <= max_abs
        pts, d = pts[near], d[near]
    if len(pts) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(pts), max_points, replace=False))
        pts, d = pts[keep], d[keep]
    c = float(clip) if clip is not None else float(np.median(np.abs(d))) if len(d) else 1.0
    c = max(c, 1e-6)
    pts = pts.astype(np.float32)
    return [go.Scatter3d(
        x=pts[:, 0], y=pts[:, 1], z=pts[:, 2], mode="markers", name="SDF samples", showlegend=False,
        marker=dict(size=marker_size, color=d.astype(np.float32), colorscale="RdBu_r", cmin=-c, cmax=c,
                    colorbar=dict(title="SDF", len=0.6, thickness=12) if showscale else None,
                    showscale=showscale),
        hovertemplate="sdf %{marker.color:.3f}<extra></extra>",
    )]


def domains_figure(occupancy: np.ndarray, sdf_points: np.ndarray, sdf_values: np.ndarray,
                   cloud_points: np.ndarray, cloud_labels: np.ndarray | None = None,
                   label_names: Sequence[str] | None = None, voxel_bounds: tuple | None = None,
                   max_resolution: int = 32, max_sdf_points: int = 3000, sdf_max_abs: float | None = 0.02,
                   title: str | None = None, height: int = 430) -> go.Figure:
    """One shape in three 3D domains side by side: occupancy voxels, SDF samples (those within
    ``sdf_max_abs`` of the surface, None for all), labelled point cloud."""
    occ = downsample_occupancy(occupancy, max_resolution)
    grid = f"{occ.shape[0]}³" if len(set(occ.shape)) == 1 else "×".join(map(str, occ.shape))
    sdf_title = "SDF samples" + (f", |sdf| ≤ {sdf_max_abs:g}" if sdf_max_abs is not None else "")
    titles = (f"voxels {grid}", sdf_title, "point cloud, part labels")
    fig = make_subplots(rows=1, cols=3, specs=[[{"type": "scene"}] * 3], subplot_titles=titles,
                        horizontal_spacing=0.01)
    for tr in voxel_traces(occ, voxel_bounds, max_resolution, showlegend=False):
        fig.add_trace(tr, row=1, col=1)
    for tr in sdf_traces(sdf_points, sdf_values, max_points=max_sdf_points, max_abs=sdf_max_abs):
        tr.marker.colorbar.update(x=0.6, y=0.5, len=0.5, thickness=10, title="SDF")
        fig.add_trace(tr, row=1, col=2)
    for tr in point_cloud_traces(cloud_points, cloud_labels, label_names):
        fig.add_trace(tr, row=1, col=3)
    scene = scene_layout(distance=2.9)
    fig.update_layout(scene=scene, scene2=scene, scene3=scene, title=title, height=height,
                      margin=dict(l=0, r=0, t=70 if title else 40, b=0),
                      legend=dict(title="part", itemsizing="constant", orientation="h", x=0.5, xanchor="center",
                                  y=-0.02, yanchor="top"))
    return fig


# ---------------------------------------------------------------------------------------- distributions
def upper_triangle(distances: np.ndarray) -> np.ndarray:
    """The values above the diagonal of a square (N,N) matrix (each unordered pair once)."""
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {d.shape}")
    return d[np.triu_indices(len(d), k=1)]


def chamfer_distribution(distances: Mapping[str, np.ndarray], reference: np.ndarray | None = None,
                         reference_name: str = "between categories", kind: str = "box",
                         title: str | None = None, log_x: bool = True, height: int | None = None) -> go.Figure:
    """Distribution of pairwise Chamfer distances per category: one trace per category from its (N,N)
    matrix (each pair once), plus an optional ``reference`` (1-D values, e.g. pairs of shapes of different
    categories). ``kind`` is ``"box"`` (horizontal boxes with every pair as a point) or ``"histogram"``
    (overlaid, normalised to probability)."""
    if kind not in ("box", "histogram"):
        raise ValueError(f"kind must be 'box' or 'histogram', got {kind!r}")
    if not distances:
        raise ValueError("chamfer_distribution needs at least one category")
    series = [(cat, upper_triangle(d)) for cat, d in distances.items()]
    if reference is not None:
        series.append((reference_name, np.asarray(reference, dtype=np.float64).ravel()))
    fig = go.Figure()
    for i, (name, values) in enumerate(series):
        color = "#555555" if reference is not None and i == len(series) - 1 else qualitative.Plotly[i % 10]
        if kind == "box":
            fig.add_trace(go.Box(x=values.astype(np.float32), name=name, orientation="h", boxpoints="all",
                                 jitter=0.4, pointpos=0, marker=dict(size=3, opacity=0.5), line=dict(width=1.5),
                                 marker_color=color, showlegend=False,
                                 hovertemplate=f"{name}: %{{x:.4f}}<extra></extra>"))
        else:
            fig.add_trace(go.Histogram(x=values.astype(np.float32), name=name, opacity=0.55,
                                       histnorm="probability", marker_color=color, nbinsx=30))
    xaxis = dict(title="Chamfer distance (shapes of unit bounding-box diagonal)")
    if log_x:
        xaxis["type"] = "log"
    fig.update_layout(title=title, xaxis=xaxis, barmode="overlay" if kind == "histogram" else None,
                      height=height or (120 + 38 * len(series) if kind == "box" else 420),
                      margin=dict(l=10, r=10, t=50 if title else 20, b=40), plot_bgcolor="white")
    if kind == "box":
        fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(showgrid=True, gridcolor="#e5e5e5")
    return fig


def benchmark_figure(result: Mapping, title: str | None = None) -> go.Figure:
    """Bar chart of views per second per output from :func:`sbsr.render.benchmark.run_benchmark` (log axis:
    Blender's start-up makes it orders of magnitude slower than the NumPy outputs)."""
    outputs = result.get("outputs", {})
    if not outputs:
        raise ValueError("benchmark result has no outputs")
    names = list(outputs)
    vps = [float(outputs[n]["views_per_s"]) for n in names]
    colors = ["#555555" if "blender" in n else "#4c72b0" if n in ("all", "natural") else "#8da0cb" for n in names]
    fig = go.Figure(go.Bar(x=names, y=vps, marker_color=colors, text=[f"{v:.3g}" for v in vps],
                           textposition="outside", hovertemplate="%{x}: %{y:.3g} views/s<extra></extra>"))
    fig.update_layout(
        title=title or f"Renderer throughput ({result.get('image_size', '?')} px, {result.get('faces', '?')} faces)",
        yaxis=dict(title="views per second", type="log"), xaxis=dict(title="output"), height=380,
        margin=dict(l=10, r=10, t=50, b=40), plot_bgcolor="white", showlegend=False,
    )
    fig.update_yaxes(showgrid=True, gridcolor="#e5e5e5")
    return fig
