"""Differentiable rendering of signed distance fields, trilinear grid look-ups and marching cubes.

The renderer serves optimisation through an image loss (thesis §4.3.2.2, Eq. 4.7:
``Rend(SGAN(s), rend_p)``). Every pixel's ray is sampled at ``n_samples`` evenly spaced points inside
the field's box ``[-bound, bound]^3``:

* soft silhouette: ``sigmoid(-min_i sdf_i / tau)``, the ray's smallest sampled distance through a
  sigmoid (a ray passing a surface at distance ``delta`` outside gets ``sigmoid(-delta / tau) < 1/2``,
  so a sphere's disc has the right radius);
* depth: the samples' soft occupancies ``alpha_i = sigmoid(-sdf_i / tau)`` composited front to back
  (weights ``T_i alpha_i``, ``T_i = prod_{j<i} (1 - alpha_j)``) give the expected first-hit distance;
* shade: Lambertian, ``albedo (ambient + (1 - ambient) max(0, n.l))`` with ``n`` the normalised SDF gradient at
  the first hit and ``l`` a light fixed to the camera; the image is the shade over a white background,
  mixed by the silhouette.

Every step is a torch operation (``grid_sample`` for the look-ups), so gradients flow from the image to
the field's values and to whatever produced them.

Rays come from :class:`sbsr.render.camera.Camera` (its pose :meth:`~Camera.camera_to_world` and focal
length :attr:`~Camera.focal_px`), so the world axes and the azimuth convention are the camera module's.

Grid convention
---------------
A field on a grid is a tensor ``(X, Y, Z)`` (or ``(C, X, Y, Z)`` for features) whose entry ``[i, j, k]``
is the value at the lattice point ``(x_i, y_j, z_k)``, ``x_i = -bound + 2 bound i / (R - 1)``: the same
index order as :func:`sbsr.shapes.voxelize`, with values at the lattice points (``align_corners=True``)
and the cube ``[-bound, bound]^3`` as its extent. ``F.grid_sample`` addresses a volume ``(D, H, W)`` with
coordinates ``(w, h, d)``, so :func:`grid_lookup` passes points as ``(z, y, x)``.

>>> import torch
>>> from sbsr.render import Camera
>>> pts = lattice_points(32, 0.5)
>>> sphere = torch.as_tensor(np.linalg.norm(pts, axis=1) - 0.3, dtype=torch.float32).reshape(32, 32, 32)
>>> out = render_sdf(sphere, Camera(azimuth=30), bound=0.5, image_size=32)
>>> tuple(out.image.shape), float(out.silhouette.max()) > 0.99
((32, 32), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
import trimesh
from skimage import measure

from .camera import Camera

#: Keywords of :func:`render_sdf` and their defaults.
RENDER_DEFAULTS = {
    "n_samples": 64,                 # samples per ray inside the field's box
    "tau": 0.005,                    # softness of the occupancy sigmoid, in world units
    "ambient": 0.3,                  # shade of a surface facing away from the light (times albedo)
    "albedo": 0.75,                  # grey level of a surface facing the light
    "light_dir": (0.4, 0.6, 1.0),    # camera-space direction towards the light (x right, y up, z to camera)
    "background": 1.0,               # grey level behind the object (white)
    "normal_eps": None,              # central-difference step of callable fields (default: 2 bound / 256)
}


class EmptySurfaceError(ValueError):
    """The field has no zero crossing, so there is no surface to extract (e.g. an untrained generator)."""


# ------------------------------------------------------------------------------------------- lattice
def lattice(resolution: int, bound: float) -> np.ndarray:
    """(R,) coordinates of the lattice points along one axis: ``linspace(-bound, bound, R)``."""
    if int(resolution) != resolution or resolution < 2:
        raise ValueError(f"lattice resolution must be an integer >= 2, got {resolution}")
    if not bound > 0:
        raise ValueError(f"lattice bound must be positive, got {bound}")
    return np.linspace(-bound, bound, int(resolution))


def lattice_points(resolution: int, bound: float) -> np.ndarray:
    """(R^3, 3) float64 lattice points in ``[i, j, k]`` C order (x slowest), so that
    ``values.reshape(R, R, R)[i, j, k]`` is the value at ``(x_i, y_j, z_k)``."""
    g = lattice(resolution, bound)
    return np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)


def grid_lookup(volume: torch.Tensor, points: torch.Tensor, bound: float) -> torch.Tensor:
    """Trilinear interpolation of a grid at world points.

    Parameters
    ----------
    volume : (X, Y, Z), (C, X, Y, Z) or (B, C, X, Y, Z) float tensor, values at the lattice points of
        ``[-bound, bound]^3`` (module docstring).
    points : (N, 3) or (B, N, 3) world coordinates; outside the cube the border value is used.

    Returns
    -------
    (N,) for an (X, Y, Z) volume, (N, C) for (C, X, Y, Z), (B, N, C) for a batch.
    """
    v = volume
    squeeze_c = v.ndim == 3
    if squeeze_c:
        v = v[None]
    batched = v.ndim == 5
    if not batched:
        if v.ndim != 4:
            raise ValueError(f"grid_lookup: volume must be (X,Y,Z), (C,X,Y,Z) or (B,C,X,Y,Z), got {tuple(volume.shape)}")
        v = v[None]
    p = torch.as_tensor(points, dtype=v.dtype, device=v.device)
    if p.shape[-1] != 3:
        raise ValueError(f"grid_lookup: points must end in 3 coordinates, got {tuple(p.shape)}")
    if p.ndim == 2:
        p = p[None].expand(v.shape[0], -1, -1)
    if p.shape[0] != v.shape[0]:
        raise ValueError(f"grid_lookup: {p.shape[0]} point sets for {v.shape[0]} volumes")
    grid = (p / bound)[..., [2, 1, 0]].reshape(v.shape[0], 1, 1, -1, 3)  # grid_sample wants (z, y, x)
    out = F.grid_sample(v, grid, mode="bilinear", padding_mode="border", align_corners=True)  # (B,C,1,1,N)
    out = out[:, :, 0, 0, :].transpose(1, 2)  # (B, N, C)
    if not batched:
        out = out[0]
    return out[..., 0] if squeeze_c else out


def grid_gradient(sdf: torch.Tensor, bound: float) -> torch.Tensor:
    """(3, X, Y, Z) spatial gradient of an (X, Y, Z) grid field (central differences inside, one-sided
    at the faces; differentiable)."""
    if sdf.ndim != 3:
        raise ValueError(f"grid_gradient: expected an (X,Y,Z) grid, got {tuple(sdf.shape)}")
    pitch = 2.0 * bound / (sdf.shape[0] - 1)
    return torch.stack(torch.gradient(sdf, spacing=pitch, dim=(0, 1, 2)), dim=0)


# ------------------------------------------------------------------------------------------- rays
def camera_rays(camera: Camera, image_size: int | None = None, dtype=torch.float32,
                device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """World-space rays through the pixel centres of ``camera`` rendered at ``image_size`` pixels
    (default ``camera.image_size``): origins (H*W, 3) and unit directions (H*W, 3), row by row."""
    cam = camera if image_size is None else camera.replace(image_size=int(image_size))
    n = cam.image_size
    half, f = n / 2.0, cam.focal_px
    c = (np.arange(n) + 0.5 - half) / f
    xs, ys = np.meshgrid(c, -c)  # pixel row i -> y down, column j -> x right
    c2w = cam.camera_to_world()
    rot, centre = c2w[:3, :3], c2w[:3, 3]
    if cam.projection == "perspective":
        d = np.stack([xs, ys, -np.ones_like(xs)], axis=-1).reshape(-1, 3)
        o = np.broadcast_to(centre, d.shape)
    else:
        d = np.broadcast_to(np.array([0.0, 0.0, -1.0]), (n * n, 3))
        o = centre + np.stack([xs, ys, np.zeros_like(xs)], axis=-1).reshape(-1, 3) @ rot.T
    d = d @ rot.T
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    as_t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)  # noqa: E731
    return as_t(o), as_t(d)


def ray_box(origins: torch.Tensor, dirs: torch.Tensor, bound: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Slab test against ``[-bound, bound]^3``: entry and exit distances (N,) and a hit mask (N,)."""
    safe = torch.where(dirs.abs() < 1e-12, torch.full_like(dirs, 1e-12), dirs)
    t0, t1 = (-bound - origins) / safe, (bound - origins) / safe
    near = torch.minimum(t0, t1).amax(dim=1).clamp(min=0.0)
    far = torch.maximum(t0, t1).amin(dim=1)
    return near, far, far > near


# ------------------------------------------------------------------------------------------- render
@dataclass
class SDFRender:
    """One differentiable view: ``image`` (H, W) grey levels in [0, 1] (white background),
    ``silhouette`` (H, W) soft coverage in [0, 1], ``depth`` (H, W) expected hit distance along the ray
    (0 where nothing is hit)."""

    image: torch.Tensor
    silhouette: torch.Tensor
    depth: torch.Tensor


def _options(options: dict) -> dict:
    unknown = set(options) - set(RENDER_DEFAULTS)
    if unknown:
        raise TypeError(f"render_sdf() got unknown keywords {sorted(unknown)}; known: {sorted(RENDER_DEFAULTS)}")
    return {**RENDER_DEFAULTS, **options}


def render_sdf(field: torch.Tensor | Callable[[torch.Tensor], torch.Tensor], camera: Camera | None = None, *,
               bound: float, image_size: int | None = None, **options) -> SDFRender:
    """Render a signed distance field (negative inside) from ``camera`` (see the module docstring).

    ``field`` is an (X, Y, Z) grid over ``[-bound, bound]^3`` or a callable mapping (N, 3) world points
    to (N,) signed distances (its box is ``[-bound, bound]^3`` too). ``image_size`` overrides the
    camera's. Keywords: :data:`RENDER_DEFAULTS`.
    """
    opt = _options(options)
    camera = Camera() if camera is None else camera
    n = int(image_size or camera.image_size)
    s = int(opt["n_samples"])
    if s < 2:
        raise ValueError(f"render_sdf: n_samples must be >= 2, got {s}")
    if callable(field) and not isinstance(field, torch.Tensor):
        eps = opt["normal_eps"] or 2.0 * bound / 256
        dtype, device = torch.float32, "cpu"
        values = field

        def gradient(p: torch.Tensor) -> torch.Tensor:
            offs = torch.eye(3, dtype=p.dtype, device=p.device) * eps
            return torch.stack([(field(p + o) - field(p - o)) / (2 * eps) for o in offs], dim=-1)
    else:
        if field.ndim != 3:
            raise ValueError(f"render_sdf: a grid field must be (X,Y,Z), got {tuple(field.shape)}")
        dtype, device = field.dtype, field.device
        grad_grid = grid_gradient(field, bound)

        def values(p: torch.Tensor) -> torch.Tensor:
            return grid_lookup(field, p, bound)

        def gradient(p: torch.Tensor) -> torch.Tensor:
            return grid_lookup(grad_grid, p, bound)

    origins, dirs = camera_rays(camera, n, dtype=dtype, device=device)
    near, far, hit = ray_box(origins, dirs, bound)
    o, d = origins[hit], dirs[hit]
    frac = (torch.arange(s, dtype=dtype, device=device) + 0.5) / s
    t = near[hit, None] + (far[hit] - near[hit])[:, None] * frac[None]  # (M, S)
    sdf = values((o[:, None] + d[:, None] * t[..., None]).reshape(-1, 3)).reshape(-1, s)
    # coverage from the ray's smallest sampled distance (unbiased: a ray passing the surface at distance
    # delta outside gets sigmoid(-delta / tau) < 1/2); shading at the composited first hit
    cover = torch.sigmoid(-sdf.amin(dim=1) / opt["tau"])
    alpha = torch.sigmoid(-sdf / opt["tau"])
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1.0 - alpha[:, :-1]], dim=1), dim=1)
    w = trans * alpha
    depth = (w * t).sum(dim=1) / w.sum(dim=1).clamp(min=1e-6)
    normal = gradient(o + d * depth[:, None])
    normal = normal / (normal * normal).sum(dim=1, keepdim=True).clamp(min=1e-12).sqrt()
    light = np.asarray(opt["light_dir"], dtype=np.float64)
    light = camera.camera_to_world()[:3, :3] @ (light / np.linalg.norm(light))
    lam = (normal @ torch.as_tensor(light, dtype=dtype, device=device)).clamp(min=0.0)
    shade = opt["albedo"] * (opt["ambient"] + (1.0 - opt["ambient"]) * lam)
    colour = cover * shade + (1.0 - cover) * opt["background"]

    def scatter(vals: torch.Tensor, fill: float) -> torch.Tensor:
        full = torch.full((n * n,), fill, dtype=dtype, device=device)
        return full.masked_scatter(hit, vals).reshape(n, n)

    return SDFRender(image=scatter(colour, float(opt["background"])), silhouette=scatter(cover, 0.0),
                     depth=scatter(depth * (cover > 0.5), 0.0))


# ------------------------------------------------------------------------------------------- meshes
def sdf_to_mesh(sdf, bound: float, level: float = 0.0, empty: str = "raise") -> trimesh.Trimesh:
    """The ``level`` iso-surface of an (X, Y, Z) grid over ``[-bound, bound]^3`` by marching cubes
    (scikit-image), in world coordinates with outward normals (negative inside).

    A field with no crossing of ``level`` (all inside, all outside, or not finite) has no surface:
    ``empty="raise"`` raises :class:`EmptySurfaceError` saying so, ``empty="empty"`` returns a mesh
    without vertices.
    """
    if empty not in ("raise", "empty"):
        raise ValueError(f"sdf_to_mesh: empty must be 'raise' or 'empty', got {empty!r}")
    vol = sdf.detach().cpu().numpy() if isinstance(sdf, torch.Tensor) else np.asarray(sdf)
    vol = vol.astype(np.float64)
    if vol.ndim != 3 or min(vol.shape) < 2:
        raise ValueError(f"sdf_to_mesh: expected an (X,Y,Z) grid with at least 2 points per axis, got {vol.shape}")
    finite = np.isfinite(vol)
    lo, hi = (float(vol[finite].min()), float(vol[finite].max())) if finite.any() else (np.nan, np.nan)
    if not finite.all() or not lo < level < hi:
        if empty == "empty":
            return trimesh.Trimesh(vertices=np.zeros((0, 3)), faces=np.zeros((0, 3), np.int64), process=False)
        why = "has non-finite values" if not finite.all() else f"ranges over [{lo:.4g}, {hi:.4g}]"
        raise EmptySurfaceError(f"the SDF grid {vol.shape} {why} and never crosses level {level}: no surface "
                                "to extract (an untrained or collapsed generator gives such fields)")
    pitch = [2.0 * bound / (r - 1) for r in vol.shape]
    verts, faces, _, _ = measure.marching_cubes(vol, level=level, spacing=pitch, gradient_direction="descent")
    return trimesh.Trimesh(vertices=verts - bound, faces=faces.astype(np.int64), process=False)


__all__ = [
    "RENDER_DEFAULTS",
    "EmptySurfaceError",
    "SDFRender",
    "camera_rays",
    "grid_gradient",
    "grid_lookup",
    "lattice",
    "lattice_points",
    "ray_box",
    "render_sdf",
    "sdf_to_mesh",
]
