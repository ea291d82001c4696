"""The paper's camera: a look-at camera on a sphere around the origin (thesis §4.2.3, "Multi-view line
rendering": distance 2.5, zenith/elevation 20°, azimuths 0°/30°/75° for chairs, 0°/45°/90° for lamps;
Appendix B.4 adds orthographic 0° and 180° views).

Axis conventions
----------------
World: ShapeNetCore v2 axes, +Y up, the object's front faces -Z (stated once, in
:mod:`sbsr.shapes.orientation`). Azimuth 0 puts the camera in front of the object, on -Z, looking at the
origin; a positive azimuth moves it towards the object's left, -X (clockwise seen from above); elevation
lifts it above the XZ plane.

Camera space: OpenGL convention, x right, y up, z pointing from the scene towards the camera (the camera
looks along -z). *Depth* is the distance along the view axis, ``-z_cam``, for both projections.

Pixels: x to the right, y down, pixel ``(row i, column j)`` covers ``[j, j+1) x [i, i+1)`` so its centre is
at ``(j + 0.5, i + 0.5)``; the origin projects to ``(W/2, H/2)``.

Default field of view
---------------------
``fov = 35°`` (vertical). ShapeNet normalises a shape to a unit bounding-box diagonal, so the shape fits in
a sphere of radius 0.5 around the origin. At distance 2.5 that sphere subtends a half-angle of
``asin(0.5 / 2.5) = 11.5°`` against the half field of view of 17.5°, so its image has a radius of at most
``tan(11.5°)/tan(17.5°) ≈ 0.65`` of the half frame (about 73 px of 112 at 224 px): the whole object is
always inside the frame with a margin, at every azimuth and elevation, and typical shapes fill roughly
half of it. (Blender's default 50 mm lens on a 36 mm sensor, which Freestyle renders in the paper probably
used, has a 39.6° field of view: our frame is slightly tighter.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..shapes.orientation import view_basis

PROJECTIONS = ("perspective", "orthographic")


@dataclass(frozen=True)
class Camera:
    """Look-at camera on a sphere around the origin, looking at the origin with +Y up."""

    azimuth: float = 0.0
    elevation: float = 20.0
    distance: float = 2.5
    fov: float = 35.0
    projection: str = "perspective"
    ortho_scale: float = 1.2
    image_size: int = 224

    def __post_init__(self) -> None:
        # Normalise numbers (30 and 30.0 are the same camera: equal reprs, hashes and cache keys).
        for name in ("azimuth", "elevation", "distance", "fov", "ortho_scale"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.projection not in PROJECTIONS:
            raise ValueError(f"Camera.projection must be one of {PROJECTIONS}, got {self.projection!r}")
        if not self.distance > 0:
            raise ValueError(f"Camera.distance must be positive, got {self.distance}")
        if not 0 < self.fov < 180:
            raise ValueError(f"Camera.fov must lie in (0, 180) degrees, got {self.fov}")
        if not self.ortho_scale > 0:
            raise ValueError(f"Camera.ortho_scale must be positive, got {self.ortho_scale}")
        if int(self.image_size) != self.image_size or self.image_size < 1:
            raise ValueError(f"Camera.image_size must be a positive integer, got {self.image_size}")

    # --- geometry -----------------------------------------------------------------------------------
    def _basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit right, up and backward (towards the camera) vectors in world coordinates."""
        return view_basis(self.azimuth, self.elevation)

    @property
    def position(self) -> np.ndarray:
        """Camera centre in world coordinates."""
        return self.distance * self._basis()[2]

    def world_to_camera(self) -> np.ndarray:
        """(4,4) rigid transform from world to camera space (OpenGL convention, camera looks along -z)."""
        right, up, back = self._basis()
        rot = np.stack([right, up, back])
        m = np.eye(4)
        m[:3, :3] = rot
        m[:3, 3] = -rot @ self.position
        return m

    def camera_to_world(self) -> np.ndarray:
        """(4,4) inverse of :meth:`world_to_camera` (the camera's pose, e.g. Blender's ``matrix_world``)."""
        right, up, back = self._basis()
        m = np.eye(4)
        m[:3, :3] = np.stack([right, up, back], axis=1)
        m[:3, 3] = self.position
        return m

    @property
    def focal_px(self) -> float:
        """Pixels per unit of ``x_cam / depth`` (perspective) or per world unit (orthographic)."""
        half = self.image_size / 2.0
        if self.projection == "perspective":
            return half / np.tan(np.radians(self.fov) / 2.0)
        return half / self.ortho_scale

    def pixel_size(self, depth: float | np.ndarray = None) -> float | np.ndarray:
        """World units covered by one pixel at ``depth`` (default: at the origin)."""
        if self.projection == "orthographic":
            return 1.0 / self.focal_px
        depth = self.distance if depth is None else depth
        return np.asarray(depth) / self.focal_px

    def projection_matrix(self, near: float = 0.01, far: float = 100.0) -> np.ndarray:
        """(4,4) OpenGL clip-space projection (square aspect), for interoperability."""
        p = np.zeros((4, 4))
        if self.projection == "perspective":
            f = 1.0 / np.tan(np.radians(self.fov) / 2.0)
            p[0, 0] = p[1, 1] = f
            p[2, 2] = (far + near) / (near - far)
            p[2, 3] = 2 * far * near / (near - far)
            p[3, 2] = -1.0
        else:
            p[0, 0] = p[1, 1] = 1.0 / self.ortho_scale
            p[2, 2] = -2.0 / (far - near)
            p[2, 3] = -(far + near) / (far - near)
            p[3, 3] = 1.0
        return p

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (N,3) -> camera-space points (N,3)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        m = self.world_to_camera()
        return points @ m[:3, :3].T + m[:3, 3]

    def camera_to_pixels(self, cam_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Camera-space points (N,3) -> pixel coordinates (N,2) and depth (N,).

        Points at or behind the camera centre (perspective, depth <= 0) get NaN pixel coordinates.
        """
        cam_points = np.asarray(cam_points, dtype=np.float64).reshape(-1, 3)
        depth = -cam_points[:, 2]
        half = self.image_size / 2.0
        f = self.focal_px
        if self.projection == "perspective":
            with np.errstate(divide="ignore", invalid="ignore"):
                inv = np.where(depth > 0, 1.0 / np.where(depth > 0, depth, 1.0), np.nan)
            x = half + f * cam_points[:, 0] * inv
            y = half - f * cam_points[:, 1] * inv
        else:
            x = half + f * cam_points[:, 0]
            y = half - f * cam_points[:, 1]
        return np.stack([x, y], axis=1), depth

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (N,3) -> pixel coordinates (N,2) (x right, y down, pixel centres at +0.5)
        and view depth (N,)."""
        return self.camera_to_pixels(self.to_camera(points))

    def replace(self, **changes) -> "Camera":
        """A copy with some fields changed, e.g. ``cam.replace(azimuth=30)``."""
        return dataclasses.replace(self, **changes)


def paper_views(category: str = "chair", **camera_kwargs) -> list[Camera]:
    """The human-preferred views of the paper (§4.2.3.1, after Qi et al.): elevation 20° and
    azimuths 0/30/75 for chairs, 0/45/90 for lamps (0/30/75 for any other category)."""
    azimuths = (0.0, 45.0, 90.0) if category == "lamp" else (0.0, 30.0, 75.0)
    return [Camera(azimuth=a, **camera_kwargs) for a in azimuths]


def matching_ortho_scale(distance: float = 2.5, fov: float = 35.0) -> float:
    """Orthographic half-height that shows the plane through the origin at the scale of the perspective
    camera (``distance * tan(fov / 2)``, 0.79 for the defaults)."""
    return float(distance * np.tan(np.radians(fov) / 2.0))


def schlachter_views(**camera_kwargs) -> list[Camera]:
    """The gallery views of Appendix B.4 (after Schlachter et al.): orthographic 0°, orthographic 180°
    and perspective 30° azimuth. Unless ``ortho_scale`` is given, the orthographic views use
    :func:`matching_ortho_scale` so that objects have the same size in all three."""
    ortho = dict(camera_kwargs)
    ortho.setdefault("ortho_scale", matching_ortho_scale(ortho.get("distance", 2.5), ortho.get("fov", 35.0)))
    return [
        Camera(azimuth=0.0, projection="orthographic", **ortho),
        Camera(azimuth=180.0, projection="orthographic", **ortho),
        Camera(azimuth=30.0, **camera_kwargs),
    ]
