"""Image preprocessing shared by every encoder: uint8 images in, normalised 224x224 tensors out.

Inputs follow the project convention (CONTRACTS.md): uint8 numpy arrays, ``(H, W)`` grayscale or
``(H, W, 3)`` RGB (``(H, W, 1)`` and ``(H, W, 4)`` are accepted too; alpha is composited on white).
Grayscale is repeated to RGB. Images are resized to ``image_size`` x ``image_size`` with PIL (bicubic
for CLIP as in its own preprocessing, bilinear for the torchvision models) *without* cropping, since
the renders and sketches of this project are square and centred; then scaled to [0, 1] and normalised
with the model's mean/std (the CLIP statistics for CLIP models, the ImageNet ones for torchvision).

Resizing stays on the CPU as uint8 (4x less to transfer); the float conversion and normalisation run on
the encoder's device (:meth:`Preprocess.normalize`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import torch
from PIL import Image

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_PIL_FILTERS = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """``(H,W)``, ``(H,W,1)``, ``(H,W,3)`` or ``(H,W,4)`` uint8 -> ``(H,W,3)`` uint8 (alpha over white)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"images must be uint8 arrays, got dtype {arr.dtype} with shape {arr.shape}")
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim == 3 and arr.shape[2] == 1:
        return np.repeat(arr, 3, axis=2)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr
    if arr.ndim == 3 and arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        rgb = arr[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    raise ValueError(f"images must be (H,W) or (H,W,3) uint8 arrays, got shape {arr.shape}")


@dataclass(frozen=True)
class Preprocess:
    """Resize + normalise; its :meth:`params` enter every feature-cache key."""

    image_size: int = 224
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    interpolation: str = "bicubic"

    def __post_init__(self) -> None:
        if self.interpolation not in _PIL_FILTERS:
            raise ValueError(f"interpolation must be one of {sorted(_PIL_FILTERS)}, got {self.interpolation!r}")

    def params(self) -> dict:
        d = asdict(self)
        d["mean"] = [float(v) for v in self.mean]
        d["std"] = [float(v) for v in self.std]
        d["resize"] = "direct (no crop)"
        return d

    def resize_uint8(self, image: np.ndarray) -> np.ndarray:
        """One image -> ``(S,S,3)`` uint8 (no-op copy when already ``S`` x ``S``)."""
        rgb = as_rgb_uint8(image)
        s = self.image_size
        if rgb.shape[0] == s and rgb.shape[1] == s:
            return rgb
        return np.asarray(Image.fromarray(rgb).resize((s, s), _PIL_FILTERS[self.interpolation]))

    def to_uint8_batch(self, images: Sequence[np.ndarray] | np.ndarray | torch.Tensor) -> torch.Tensor:
        """Images -> ``(N,3,S,S)`` uint8 CPU tensor (resized, not yet normalised).

        A uint8 tensor/array of shape ``(N,H,W)``, ``(N,H,W,3)`` or an already channel-first
        ``(N,3,H,W)`` uint8 tensor is accepted as a batch.
        """
        if isinstance(images, torch.Tensor):
            if images.dtype != torch.uint8:
                raise TypeError(f"image tensors must be uint8, got {images.dtype}; float input goes to normalize()")
            t = images.detach().cpu()
            if t.ndim == 4 and t.shape[1] == 3 and t.shape[-1] != 3 and t.shape[2:] == (self.image_size,) * 2:
                return t.contiguous()
            images = t.numpy()
        if isinstance(images, np.ndarray):
            if images.ndim == 3 and images.shape[2] in (3, 4):
                raise ValueError(
                    f"a single array of shape {images.shape} is ambiguous; pass a list of images "
                    "or a batch array (N,H,W) / (N,H,W,3)")
            if images.ndim not in (3, 4):
                raise ValueError(f"a batch array must be (N,H,W) or (N,H,W,3), got shape {images.shape}")
            if images.ndim == 4 and images.shape[1] == 3 and images.shape[3] != 3:
                images = images.transpose(0, 2, 3, 1)
            images = list(images)
        batch = np.stack([self.resize_uint8(im) for im in images]) if len(images) else np.zeros(
            (0, self.image_size, self.image_size, 3), np.uint8)
        return torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))

    def normalize(self, batch_uint8: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``(N,3,S,S)`` uint8 (any device) -> float, ``(x/255 - mean)/std``."""
        x = batch_uint8.to(dtype) / 255.0
        mean = torch.tensor(self.mean, dtype=dtype, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=dtype, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def __call__(self, images) -> torch.Tensor:
        """Images -> normalised ``(N,3,S,S)`` float32 CPU tensor."""
        return self.normalize(self.to_uint8_batch(images))
