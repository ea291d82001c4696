"""Textureless shaded renderings (thesis Appendix B.1, Fig. B.1 "textureless RGB rendering") and
camera-space normal maps from a :class:`~sbsr.render.raster.Raster`.

Shading is flat Lambert plus ambient with a directional light fixed in camera space (so every view is lit
the same way), over a white background; faces seen from behind (open meshes) are lit two-sided.
"""

from __future__ import annotations

import numpy as np

from .raster import Raster

#: Default light direction in camera space (towards the light): from the upper left, in front.
DEFAULT_LIGHT = (-0.35, 0.55, 1.0)
#: Light grey of the default textureless material.
DEFAULT_BASE_COLOR = (0.78, 0.78, 0.78)

#: Distinct colours for part maps (Tableau-10, light variant first).
PART_PALETTE = np.array([
    [0.31, 0.47, 0.65], [0.95, 0.56, 0.17], [0.88, 0.34, 0.35], [0.46, 0.72, 0.70], [0.35, 0.63, 0.31],
    [0.93, 0.79, 0.28], [0.69, 0.48, 0.63], [1.00, 0.62, 0.66], [0.61, 0.46, 0.37], [0.73, 0.69, 0.67],
])


def face_normals_camera(raster: Raster) -> np.ndarray:
    """(F,3) unit face normals in camera space, flipped to face the camera where the face is seen from
    behind."""
    rot = raster.camera.world_to_camera()[:3, :3]
    n = raster.mesh.face_normals @ rot.T
    return np.where(raster.front[:, None], n, -n)


def normal_map(raster: Raster) -> np.ndarray:
    """(H,W,3) float32 camera-space unit normals (x right, y up, z towards the camera), 0 on background."""
    size = raster.camera.image_size
    out = np.zeros((size, size, 3), dtype=np.float32)
    face = raster.face
    out[raster.mask] = face_normals_camera(raster)[face[raster.mask]]
    return out


def part_map(raster: Raster) -> np.ndarray:
    """(H,W) int16 part id of the visible face, -1 on background."""
    out = np.full(raster.face.shape, -1, dtype=np.int16)
    out[raster.mask] = raster.mesh.part_ids[raster.face[raster.mask]]
    return out


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def part_colors_array(part_colors, n_parts: int) -> np.ndarray:
    """Resolve ``part_colors`` (True for the default palette, or an (P,3) array in [0,1] or uint8)."""
    if part_colors is True:
        return PART_PALETTE[np.arange(n_parts) % len(PART_PALETTE)]
    colors = np.asarray(part_colors, dtype=np.float64)
    if colors.ndim != 2 or colors.shape[1] != 3:
        raise ValueError(f"part_colors must be True or an array of shape (P,3), got shape {colors.shape}")
    if colors.max() > 1.0:
        colors = colors / 255.0
    if len(colors) < n_parts:
        colors = colors[np.arange(n_parts) % len(colors)]
    return colors


def shade(raster: Raster, base_color=DEFAULT_BASE_COLOR, part_colors=None, light_dir=DEFAULT_LIGHT,
          ambient: float = 0.35, background=(1.0, 1.0, 1.0)) -> np.ndarray:
    """Lambert + ambient shading: ``colour * (ambient + (1 - ambient) * max(0, n . l))``.

    Returns (H,W,3) uint8. ``part_colors`` (True or (P,3)) colours each part; otherwise ``base_color``.
    """
    size = raster.camera.image_size
    normals = face_normals_camera(raster)
    lam = np.clip(normals @ _unit(light_dir), 0.0, None)
    intensity = ambient + (1.0 - ambient) * lam                       # (F,)
    if part_colors is not None and part_colors is not False:
        pid = raster.mesh.part_ids
        colors = part_colors_array(part_colors, int(pid.max()) + 1 if len(pid) else 1)[pid]
    else:
        colors = np.broadcast_to(np.asarray(base_color, dtype=np.float64), (len(normals), 3))
    face_rgb = np.round(np.clip(colors * intensity[:, None], 0.0, 1.0) * 255.0).astype(np.uint8)
    img = np.empty((size, size, 3), dtype=np.uint8)
    img[:] = np.round(np.clip(np.asarray(background, dtype=np.float64), 0, 1) * 255.0).astype(np.uint8)
    img[raster.mask] = face_rgb[raster.face[raster.mask]]
    return img
