"""Camera model, z-buffer rasterizer and line renderings of 3D shapes (thesis §4.2.3.1 "Multi-view line
rendering", Appendix B.1 textureless renderings, Appendix B.4 orthographic views).

>>> import trimesh
>>> from sbsr.render import Camera, render
>>> result = render(trimesh.creation.box(), Camera(azimuth=30))
>>> result.lines.shape, result.lines.dtype
((224, 224), dtype('uint8'))

The default backend is pure NumPy (:mod:`.raster`, :mod:`.lines`, :mod:`.shading`); ``backend="blender"``
renders the line image with Blender Freestyle like the paper when a ``blender`` executable is on PATH
(:mod:`.blender`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .camera import Camera, matching_ortho_scale, paper_views, schlachter_views
from .lines import KINDS, Polyline, draw_polylines, lines_image, mask_outline, visible_polylines
from .mesh import MeshData, prepare_mesh
from .messy import DEFECTS, messy
from .natural import render_natural
from .raster import Raster, rasterize
from .shading import normal_map, part_map, shade

__all__ = [
    "Camera", "RenderResult", "Polyline", "MeshData", "Raster", "OUTPUTS", "BACKENDS",
    "render", "render_natural", "visible_polylines", "draw_polylines", "lines_image", "rasterize",
    "prepare_mesh", "paper_views", "schlachter_views", "matching_ortho_scale", "mask_outline", "messy", "DEFECTS",
]

OUTPUTS = ("rgb", "depth", "normals", "parts", "lines")
BACKENDS = ("numpy", "blender")

#: Style keywords of :func:`render` and their defaults.
STYLE_DEFAULTS = {
    "line_kinds": KINDS,            # which feature lines to draw (the paper: silhouettes and creases)
    "crease_angle": 30.0,           # degrees between face normals
    "outline": True,                # add the projected mask's boundary to the silhouettes
    "line_intensity": 1.0,          # ink of the strokes, 1 = black
    "bias_px": 3.0,                 # hidden-line depth tolerance, in pixel widths
    "min_line_length": 0.0,         # drop chained lines shorter than this on screen (px; density control)
    "base_color": None,             # textureless material colour (default light grey)
    "part_colors": None,            # True or (P,3): colour each part
    "light_dir": None,              # camera-space direction towards the light
    "ambient": 0.35,
    "cull_backfaces": None,         # None: cull only for closed meshes
    "blender_timeout": 300.0,       # seconds, blender backend only
}


@dataclass
class RenderResult:
    """One view of a mesh. Fields not requested in ``outputs`` are None.

    ``normals`` are in camera space (x right, y up, z towards the camera); ``depth`` is the distance along
    the view axis. ``polylines`` are the visible feature lines the ``lines`` image was drawn from.
    """

    rgb: np.ndarray | None       # (H,W,3) uint8, white background, textureless shading
    depth: np.ndarray | None     # (H,W) float32, np.inf on background
    normals: np.ndarray | None   # (H,W,3) float32 camera-space unit normals, 0 on background
    parts: np.ndarray | None     # (H,W) int16 part id, -1 on background
    lines: np.ndarray | None     # (H,W) uint8 grayscale, 255 background, dark strokes
    mask: np.ndarray             # (H,W) bool object coverage
    polylines: list[Polyline] | None = field(default=None, repr=False)


def _style(style: dict) -> dict:
    unknown = set(style) - set(STYLE_DEFAULTS)
    if unknown:
        raise TypeError(f"render() got unknown style keywords {sorted(unknown)}; "
                        f"known: {sorted(STYLE_DEFAULTS)}")
    return {**STYLE_DEFAULTS, **style}


def render(mesh, camera: Camera | None = None, outputs=OUTPUTS, line_width: float = 2.2,
           backend: str = "numpy", **style) -> RenderResult:
    """Render ``mesh`` (anything with ``.vertices``, ``.faces`` and optional ``.part_ids``) from ``camera``.

    ``outputs`` is any subset of ``("rgb", "depth", "normals", "parts", "lines")``; ``mask`` is always
    returned. ``line_width`` is the stroke width in pixels (2.2 in the paper). Style keywords: see
    :data:`STYLE_DEFAULTS`.
    """
    camera = Camera() if camera is None else camera
    if isinstance(outputs, str):
        outputs = (outputs,)
    outputs = tuple(outputs)
    unknown = set(outputs) - set(OUTPUTS)
    if unknown:
        raise ValueError(f"unknown render outputs {sorted(unknown)}; choose from {OUTPUTS}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown render backend {backend!r}; choose from {BACKENDS}")
    st = _style(style)
    data = prepare_mesh(mesh)
    raster = rasterize(data, camera, cull_backfaces=st["cull_backfaces"])

    rgb = depth = normals = parts = lines = None
    polylines = None
    if "rgb" in outputs:
        kw = {"ambient": st["ambient"], "part_colors": st["part_colors"]}
        if st["base_color"] is not None:
            kw["base_color"] = st["base_color"]
        if st["light_dir"] is not None:
            kw["light_dir"] = st["light_dir"]
        rgb = shade(raster, **kw)
    if "depth" in outputs:
        depth = raster.depth.astype(np.float32)
    if "normals" in outputs:
        normals = normal_map(raster)
    if "parts" in outputs:
        parts = part_map(raster)
    if "lines" in outputs:
        if backend == "blender":
            from .blender import render_lines_blender

            lines = render_lines_blender(data, camera, line_width=line_width, kinds=st["line_kinds"],
                                         crease_angle=st["crease_angle"], timeout=st["blender_timeout"])
        else:
            polylines = visible_polylines(data, camera, kinds=st["line_kinds"], crease_angle=st["crease_angle"],
                                          raster=raster, outline=st["outline"] and "silhouette" in st["line_kinds"],
                                          bias_px=st["bias_px"], min_length=st["min_line_length"])
            ink = draw_polylines(polylines, camera.image_size, width=line_width, intensity=st["line_intensity"])
            lines = lines_image(ink)
    return RenderResult(rgb=rgb, depth=depth, normals=normals, parts=parts, lines=lines,
                        mask=raster.mask.copy(), polylines=polylines)
