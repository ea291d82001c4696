"""Depth-driven creative effects (thesis §3.4.5, App. A.1.1-A.1.3; Fig. 3.5, 3.6, A.2-A.4).

Every effect is a per-pixel blend ``out = (1 - w) * image + w * target(image)`` between the image and a
full-strength version of the effect, with the weight ``w`` driven by the depth map (:func:`depth_weight`):
it starts at the depth ``start``, grows towards far (``direction=+1``) or near (``direction=-1``) pixels, and
peaks at ``strength``. So ``strength = 0`` returns the image unchanged, bit for bit.

Targets (kornia, no weights): ``bokeh`` a Gaussian blur (shallow depth of field), ``light`` a darker copy
(relighting; the thesis darkens near pixels), ``fog`` a fog colour overlay, ``hue`` a hue rotation (HSV),
``grayscale`` colour-to-grayscale, ``cartoon`` the cartoon overlay of App. A.1.2 (grayscale, median blur,
adaptive threshold for edges, bilateral smoothing, edges in black).

Images are float tensors (N,3,H,W) in [0,1]; depths (N,1,H,W) normalised to [0,1] (0 near, 1 the sky).
:func:`photo3d_frames` makes the "3D photo" (a dolly-zoom towards the scene) from one image and its depth.
"""

from __future__ import annotations

import math

import kornia
import torch
import torch.nn.functional as F

EFFECTS = ("bokeh", "light", "fog", "hue", "grayscale", "cartoon")
#: Default direction per effect, as in the thesis' figures: far pixels blurred/fogged/desaturated/hue-shifted,
#: near pixels darkened and cartooned.
DEFAULT_DIRECTION = {"bokeh": 1, "light": -1, "fog": 1, "hue": 1, "grayscale": 1, "cartoon": -1}
FOG_COLOUR = (0.86, 0.88, 0.9)


def depth_weight(depth: torch.Tensor, start: float, direction: int, strength: float) -> torch.Tensor:
    """Per-pixel weight in [0, strength]: 0 up to ``start``, then a linear ramp reaching ``strength`` at
    depth 1 (``direction=+1``) or at depth 0 (``direction=-1``)."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 (towards far) or -1 (towards near), got {direction!r}")
    if not 0 <= start <= 1:
        raise ValueError(f"start must lie in [0, 1], got {start}")
    if direction > 0:
        ramp = (depth - start) / max(1.0 - start, 1e-6)
    else:
        ramp = (start - depth) / max(start, 1e-6)
    return float(strength) * ramp.clamp(0, 1)


def cartoon(image: torch.Tensor, edge_window: int = 7, edge_offset: float = 0.03) -> torch.Tensor:
    """The cartoon overlay of App. A.1.2: edges from an adaptive threshold of the median-blurred grayscale
    image, drawn in black over a bilateral-filtered copy."""
    gray = kornia.filters.median_blur(kornia.color.rgb_to_grayscale(image), 3)
    local = kornia.filters.box_blur(gray, (edge_window, edge_window), border_type="replicate")
    edges = (gray < local - edge_offset).float()
    smooth = kornia.filters.bilateral_blur(image, (5, 5), 0.1, (1.5, 1.5))
    return smooth * (1 - edges)


def effect_target(image: torch.Tensor, effect: str) -> torch.Tensor:
    """The full-strength version of ``effect`` on ``image`` (N,3,H,W) in [0,1]."""
    if effect == "bokeh":
        sigma = max(image.shape[-1] / 40.0, 0.8)
        k = 2 * math.ceil(3 * sigma) + 1
        return kornia.filters.gaussian_blur2d(image, (k, k), (sigma, sigma), border_type="replicate")
    if effect == "light":
        return image * 0.3
    if effect == "fog":
        return torch.tensor(FOG_COLOUR, dtype=image.dtype, device=image.device).view(1, 3, 1, 1).expand_as(image)
    if effect == "hue":
        return kornia.enhance.adjust_hue(image, math.pi * 0.6)
    if effect == "grayscale":
        return kornia.color.rgb_to_grayscale(image).expand_as(image)
    if effect == "cartoon":
        return cartoon(image)
    raise ValueError(f"unknown effect {effect!r}; choose from {EFFECTS}")


def apply_effect(image: torch.Tensor, depth: torch.Tensor, effect: str, start: float = 0.3,
                 direction: int | None = None, strength: float = 1.0) -> torch.Tensor:
    """``(1 - w) * image + w * target`` with ``w = depth_weight(depth, start, direction, strength)``.

    ``image`` (N,3,H,W) in [0,1], ``depth`` (N,1,H,W) in [0,1]; ``direction=None`` takes the effect's
    default (:data:`DEFAULT_DIRECTION`). ``strength=0`` is the identity.
    """
    if image.ndim != 4 or image.shape[1] != 3 or depth.shape != (image.shape[0], 1, *image.shape[2:]):
        raise ValueError(f"apply_effect needs image (N,3,H,W) and depth (N,1,H,W), got {tuple(image.shape)} "
                         f"and {tuple(depth.shape)}")
    direction = DEFAULT_DIRECTION[effect] if direction is None else direction
    w = depth_weight(depth, start, direction, strength)
    if float(strength) == 0.0:
        return image.clone()
    return ((1 - w) * image + w * effect_target(image, effect)).clamp(0, 1)


def photo3d_frames(image: torch.Tensor, depth: torch.Tensor, n_frames: int = 8, travel: float = 0.35,
                   far: float = 1.0) -> torch.Tensor:
    """A "3D photo" (Fig. 3.6): the camera moves forward by ``travel`` times the nearest depth; each output
    pixel samples the image at ``c + (p - c) * (z - t) / z`` (backward warping with the pixel's own depth,
    ``z = depth * far``), so near content grows faster than far content (parallax).

    ``image`` (3,H,W) in [0,1], ``depth`` (1,H,W) in [0,1] -> frames (n_frames,3,H,W); frame 0 is the input.
    """
    _, h, w = image.shape
    z = (depth[0] * far).clamp_min(1e-3)
    step = travel * float(z.min().clamp_min(0.02))
    ys, xs = torch.meshgrid(torch.linspace(-1 + 1 / h, 1 - 1 / h, h), torch.linspace(-1 + 1 / w, 1 - 1 / w, w),
                            indexing="ij")
    frames = []
    for k in range(n_frames):
        t = step * k / max(n_frames - 1, 1)
        scale = ((z - t) / z).clamp_min(0.05)
        grid = torch.stack([xs * scale, ys * scale], -1)[None].to(image)
        frames.append(F.grid_sample(image[None], grid, mode="bilinear", padding_mode="border", align_corners=False)[0])
    return torch.stack(frames)


__all__ = ["DEFAULT_DIRECTION", "EFFECTS", "apply_effect", "cartoon", "depth_weight", "effect_target",
           "photo3d_frames"]
