"""Shape views (line, RGB, depth renderings) through :mod:`sbsr.render`, as uint8 images.

Thesis §4.2.3: line renderings with silhouette and crease lines, stroke width 2.2, camera distance
2.5, elevation (zenith) 20°; the azimuths vary per experiment. Defaults come from
:class:`sbsr.render.Camera`; everything that changes a picture goes into :func:`view_params`, whose
hash names the cache folder.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Iterable

import numpy as np

from .manifest import config_hash, source_fingerprint

VIEW_STYLES = ("line", "rgb", "depth")
_STYLE_ALIASES = {"line": "line", "lines": "line", "rgb": "rgb", "depth": "depth"}
_RENDER_OUTPUT = {"line": "lines", "rgb": "rgb", "depth": "depth"}
DEFAULT_LINE_WIDTH = 2.2


def canonical_style(style: str) -> str:
    try:
        return _STYLE_ALIASES[style]
    except KeyError:
        raise ValueError(f"unknown view style {style!r} (choose from {', '.join(VIEW_STYLES)})") from None


def make_camera(azimuth: float, elevation: float = 20.0, image_size: int = 224, **camera_kw):
    from sbsr.render import Camera

    return Camera(azimuth=float(azimuth), elevation=float(elevation), image_size=int(image_size), **camera_kw)


def view_params(
    style: str, elevation: float = 20.0, image_size: int = 224, line_width: float = DEFAULT_LINE_WIDTH, **kw
) -> dict:
    """Everything except the azimuth that determines a view, plus the renderer's code fingerprint."""
    style = canonical_style(style)
    camera_kw = {k: v for k, v in kw.items() if k in ("distance", "fov", "projection", "ortho_scale")}
    render_kw = {k: v for k, v in kw.items() if k not in camera_kw}
    cam = make_camera(0.0, elevation, image_size, **camera_kw)
    cam_dict = {k: v for k, v in asdict(cam).items() if k != "azimuth"}
    return {
        "style": style,
        "camera": cam_dict,
        "line_width": float(line_width) if style == "line" else None,
        "render": render_kw,
        "code": source_fingerprint(["sbsr.render"]),
    }


def view_params_hash(params: dict) -> str:
    return config_hash(params)


def depth_to_uint8(depth: np.ndarray) -> np.ndarray:
    """Depth (inf on background) -> uint8: white background, object from 0 (nearest) to 254 (farthest)."""
    depth = np.asarray(depth, dtype=np.float64)
    out = np.full(depth.shape, 255, dtype=np.uint8)
    mask = np.isfinite(depth)
    if mask.any():
        d = depth[mask]
        near, far = float(d.min()), float(d.max())
        scale = 254.0 / (far - near) if far > near else 0.0
        out[mask] = np.clip(np.round((d - near) * scale), 0, 254).astype(np.uint8)
    return out


def render_styles(
    mesh,
    azimuth: float,
    styles: Iterable[str] = ("line",),
    elevation: float = 20.0,
    image_size: int = 224,
    line_width: float = DEFAULT_LINE_WIDTH,
    **kw,
) -> dict[str, np.ndarray]:
    """Render one camera once and return a uint8 image per requested style."""
    from sbsr.render import render

    styles = [canonical_style(s) for s in styles]
    camera_kw = {k: v for k, v in kw.items() if k in ("distance", "fov", "projection", "ortho_scale")}
    render_kw = {k: v for k, v in kw.items() if k not in camera_kw}
    camera = make_camera(azimuth, elevation, image_size, **camera_kw)
    outputs = tuple(dict.fromkeys(_RENDER_OUTPUT[s] for s in styles))
    result = render(mesh, camera, outputs=outputs, line_width=line_width, **render_kw)
    images: dict[str, np.ndarray] = {}
    for s in styles:
        if s == "line":
            images[s] = np.asarray(result.lines, dtype=np.uint8)
        elif s == "rgb":
            images[s] = np.asarray(result.rgb, dtype=np.uint8)
        else:
            images[s] = depth_to_uint8(result.depth)
    return images


def render_view(mesh, azimuth: float, style: str = "line", **kw) -> np.ndarray:
    """One uint8 view of ``mesh`` (``style`` in :data:`VIEW_STYLES`)."""
    style = canonical_style(style)
    return render_styles(mesh, azimuth, (style,), **kw)[style]
