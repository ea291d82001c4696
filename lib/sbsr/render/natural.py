"""Natural-image-like renderings: shaded objects with random colours and lighting, composited over crops
of photographs bundled with scikit-image or over procedural textures. They stand in for the natural
images of image-based retrieval (the photo queries of the surveyed work, seed 000) in the book's
experiments, where no real photographs of our shapes exist.

Everything random is drawn from the ``numpy.random.Generator`` passed in, so an image is a function of
(mesh, camera, seed).
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image
from scipy import ndimage

from .camera import Camera
from .raster import Raster, rasterize
from .shading import face_normals_camera

#: scikit-image sample photographs shipped inside the wheel (no download needed).
PHOTOS_RGB = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field")
PHOTOS_GRAY = ("brick", "grass", "gravel", "camera", "moon")
BACKGROUND_KINDS = ("photo", "noise", "gradient", "stripes", "checker")


@functools.lru_cache(maxsize=None)
def _photo(name: str) -> np.ndarray:
    from skimage import data

    img = getattr(data, name)()
    img.setflags(write=False)
    return img


def available_photos() -> list[str]:
    """Names of the bundled scikit-image photographs that load offline on this machine."""
    names = []
    for name in PHOTOS_RGB + PHOTOS_GRAY:
        try:
            _photo(name)
        except Exception:  # pragma: no cover - depends on the installed wheel
            continue
        names.append(name)
    return names


def _random_color(rng: np.random.Generator, sat=(0.1, 0.9), val=(0.25, 0.95)) -> np.ndarray:
    import colorsys

    return np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(*sat), rng.uniform(*val)))


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    pil = Image.fromarray(np.ascontiguousarray(img))
    return np.asarray(pil.resize((size, size), Image.BILINEAR))


def photo_background(rng: np.random.Generator, size: int = 224, names=None) -> np.ndarray:
    """A random square crop of a bundled photograph, (size,size,3) float in [0,1]. Gray photographs get a
    random tint."""
    names = list(names or available_photos())
    if not names:
        return noise_background(rng, size)
    name = names[rng.integers(len(names))]
    img = _photo(name)
    h, w = img.shape[:2]
    side = int(round(min(h, w) * rng.uniform(0.3, 1.0)))
    y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = _resize(img[y0:y0 + side, x0:x0 + side], size).astype(np.float64) / 255.0
    if crop.ndim == 2:
        crop = crop[..., None] * (0.4 + 0.6 * _random_color(rng, val=(0.7, 1.0)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return crop[..., :3]


def noise_background(rng: np.random.Generator, size: int = 224) -> np.ndarray:
    """Fractal value noise mapped between two random colours."""
    field = np.zeros((size, size))
    amp, total = 1.0, 0.0
    cells = int(rng.integers(2, 6))
    for _ in range(int(rng.integers(2, 5))):
        grid = Image.fromarray(rng.random((cells + 1, cells + 1)).astype(np.float32), mode="F")
        field += amp * np.asarray(grid.resize((size, size), Image.BICUBIC), dtype=np.float64)
        total += amp
        amp *= rng.uniform(0.4, 0.7)
        cells *= 2
    field = (field - field.min()) / max(np.ptp(field), 1e-9)
    c0, c1 = _random_color(rng), _random_color(rng)
    return c0 + field[..., None] * (c1 - c0)


def _coords(size: int, rng: np.random.Generator):
    theta = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:size, 0:size] / size
    return x * np.cos(theta) + y * np.sin(theta), -x * np.sin(theta) + y * np.cos(theta)


def gradient_background(rng: np.random.Generator, size: int = 224) -> np.ndarray:
    """Linear or radial gradient between two random colours."""
    if rng.random() < 0.5:
        u, _ = _coords(size, rng)
        t = (u - u.min()) / max(np.ptp(u), 1e-9)
    else:
        cy, cx = rng.uniform(0, size, 2)
        y, x = np.mgrid[0:size, 0:size]
        t = np.hypot(x - cx, y - cy)
        t = t / t.max()
    c0, c1 = _random_color(rng), _random_color(rng)
    return c0 + t[..., None] * (c1 - c0)


def stripes_background(rng: np.random.Generator, size: int = 224) -> np.ndarray:
    """Soft or hard stripes at a random angle and frequency."""
    u, _ = _coords(size, rng)
    wave = np.sin(2 * np.pi * rng.uniform(2, 14) * u + rng.uniform(0, 2 * np.pi))
    t = (wave > 0).astype(np.float64) if rng.random() < 0.5 else 0.5 + 0.5 * wave
    c0, c1 = _random_color(rng), _random_color(rng)
    return c0 + t[..., None] * (c1 - c0)


def checker_background(rng: np.random.Generator, size: int = 224) -> np.ndarray:
    """Rotated checkerboard."""
    u, v = _coords(size, rng)
    f = rng.uniform(3, 12)
    t = ((np.floor(u * f) + np.floor(v * f)) % 2).astype(np.float64)
    c0, c1 = _random_color(rng), _random_color(rng)
    return c0 + t[..., None] * (c1 - c0)


_BACKGROUNDS = {
    "photo": photo_background,
    "noise": noise_background,
    "gradient": gradient_background,
    "stripes": stripes_background,
    "checker": checker_background,
}


def random_background(rng: np.random.Generator, size: int = 224, kinds=BACKGROUND_KINDS,
                      photo_probability: float = 0.5) -> np.ndarray:
    """A (size,size,3) float background: a photo crop with ``photo_probability`` (when "photo" is among
    ``kinds``), otherwise a procedural texture chosen uniformly."""
    kinds = tuple(kinds)
    unknown = set(kinds) - set(_BACKGROUNDS)
    if unknown:
        raise ValueError(f"unknown background kinds {sorted(unknown)}; choose from {BACKGROUND_KINDS}")
    procedural = [k for k in kinds if k != "photo"]
    if "photo" in kinds and (not procedural or rng.random() < photo_probability):
        kind = "photo"
    else:
        kind = procedural[rng.integers(len(procedural))]
    return _BACKGROUNDS[kind](rng, size)


def _shade_random(raster: Raster, rng: np.random.Generator) -> np.ndarray:
    """Per-face colours: random albedo per part (or one for the whole object), a random key light with
    Blinn-Phong highlights plus a fill light and ambient term. Returns (F,3) in [0,1]."""
    normals = face_normals_camera(raster)
    pid = raster.mesh.part_ids
    n_parts = int(pid.max()) + 1 if len(pid) else 1
    if rng.random() < 0.35:
        albedo = np.broadcast_to(_random_color(rng), (n_parts, 3))
    else:
        albedo = np.stack([_random_color(rng) for _ in range(n_parts)])
    albedo = albedo[pid]
    key = np.array([rng.uniform(-1, 1), rng.uniform(-0.3, 1), rng.uniform(0.3, 1.2)])
    key /= np.linalg.norm(key)
    fill = np.array([-key[0], rng.uniform(-0.5, 0.5), 1.0])
    fill /= np.linalg.norm(fill)
    light_color = 1.0 - 0.25 * rng.random(3) * (rng.random() < 0.5)
    ambient = rng.uniform(0.15, 0.45)
    diffuse = np.clip(normals @ key, 0, None)[:, None] * light_color + \
        rng.uniform(0.0, 0.35) * np.clip(normals @ fill, 0, None)[:, None]
    half = key + np.array([0.0, 0.0, 1.0])
    half /= np.linalg.norm(half)
    spec = rng.uniform(0.0, 0.5) * np.clip(normals @ half, 0, None) ** rng.uniform(8, 64)
    return np.clip(albedo * (ambient + (1 - ambient) * diffuse) + spec[:, None] * light_color, 0, 1)


def render_natural(mesh, camera: Camera | None = None, rng: np.random.Generator | int | None = None, *,
                   raster: Raster | None = None, background_kinds=BACKGROUND_KINDS,
                   photo_probability: float = 0.5) -> np.ndarray:
    """A natural-image-like view of ``mesh``: randomly coloured and lit, with a soft drop shadow,
    anti-aliased edges, over a random background, with mild colour jitter, blur and sensor noise.

    Returns (H,W,3) uint8; deterministic for a given ``rng`` seed (an int or a Generator).
    """
    camera = Camera() if camera is None else camera
    rng = np.random.default_rng(rng)
    raster = rasterize(mesh, camera) if raster is None else raster
    size = camera.image_size
    # Draw every random choice in a fixed order, whatever the mesh, so that equal seeds give equal
    # backgrounds and camera effects.
    bg = random_background(rng, size, background_kinds, photo_probability)
    use_shadow = rng.random() < 0.7
    shadow_shift = rng.uniform(-0.06, 0.06, 2) * size + np.array([0.04 * size, 0.0])
    shadow_blur, shadow_strength = rng.uniform(2, 8), rng.uniform(0.2, 0.6)
    contrast, brightness = rng.uniform(0.85, 1.15), rng.uniform(-0.06, 0.06)
    blur = rng.uniform(0.3, 1.0) if rng.random() < 0.3 else 0.0
    noise = rng.normal(0.0, rng.uniform(0.0, 0.02), (size, size, 3))
    face_rgb = _shade_random(raster, rng)

    mask = raster.mask
    if mask.any() and use_shadow:
        # drop shadow: the mask, offset and blurred, darkens the background
        shadow = ndimage.shift(mask.astype(np.float64), shadow_shift, order=1, mode="constant")
        shadow = ndimage.gaussian_filter(shadow, shadow_blur)
        bg = bg * (1 - shadow_strength * shadow[..., None])
    img = bg
    if mask.any():
        # fill the background with the nearest object colour so that soft edges blend the right colours
        _, (ri, ci) = ndimage.distance_transform_edt(~mask, return_indices=True)
        obj = face_rgb[raster.face[ri, ci]]
        alpha = np.clip(ndimage.gaussian_filter(mask.astype(np.float64), 0.55), 0, 1)[..., None]
        img = alpha * obj + (1 - alpha) * bg

    # Camera-like effects: contrast/brightness, optional blur, sensor noise.
    img = (img - 0.5) * contrast + 0.5 + brightness
    if blur > 0:
        img = ndimage.gaussian_filter(img, (blur, blur, 0))
    img = img + noise
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
