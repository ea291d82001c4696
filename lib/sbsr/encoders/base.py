"""The :class:`Encoder`: one image tower, its preprocessing, its feature taps, its weights' provenance.

``encode`` is batched, runs under ``torch.inference_mode``, picks the device (``auto`` = CUDA when
available), uses fp16 autocast (and channels-last for CNNs) on GPU only, and is plain fp32 on CPU, where
the same input gives bit-identical features (tested).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from sbsr.config import resolve_device

from .preprocess import Preprocess
from .taps import TapFn

RANDOM_WEIGHTS_MISSING = "random (weights missing)"


@dataclass(frozen=True)
class EncoderInfo:
    """One row of ``python -m sbsr.encoders list``."""

    name: str
    family: str
    available: bool
    reason: str
    description: str = ""


class UnknownTapError(KeyError):
    pass


class Encoder:
    """An image encoder with named feature taps (see :mod:`sbsr.encoders.taps`).

    Attributes: ``name`` (registry name, used in every results table), ``taps`` (tap name -> output
    shape for one 224 x 224 image), ``preprocess`` (:class:`Preprocess`), ``weights_source`` (where the
    weights came from, or ``"random (weights missing)"``), ``weights_id`` (content identity for caches),
    ``device``, ``model`` (the ``nn.Module``, in eval mode).
    """

    def __init__(
        self,
        name: str,
        model: nn.Module,
        tap_fns: dict[str, TapFn],
        tap_shapes: dict[str, tuple[int, ...]],
        preprocess: Preprocess,
        weights_source: str,
        weights_id: str | Callable[[], str],
        device: str = "auto",
        description: str = "",
        channels_last: bool = False,
        mixed_precision: bool = True,
    ):
        self.name = name
        self.device = resolve_device(device)
        self.model = model.eval().to(self.device)
        self._tap_fns = dict(tap_fns)
        self._tap_shapes = {k: tuple(v) for k, v in tap_shapes.items()}
        self.preprocess = preprocess
        self.weights_source = weights_source
        self._weights_id = weights_id
        self.description = description
        self.channels_last = channels_last and self.device == "cuda"
        self.mixed_precision = mixed_precision and self.device == "cuda"
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        for p in self.model.parameters():
            p.requires_grad_(False)

    # --- metadata -------------------------------------------------------------------------------
    @property
    def taps(self) -> dict[str, tuple[int, ...]]:
        return dict(self._tap_shapes)

    @property
    def weights_id(self) -> str:
        if callable(self._weights_id):
            self._weights_id = self._weights_id()
        return self._weights_id

    @property
    def is_random(self) -> bool:
        return self.weights_source.startswith("random")

    def tap_shape(self, tap: str) -> tuple[int, ...]:
        self._check_tap(tap)
        return self._tap_shapes[tap]

    def cache_identity(self, tap: str) -> dict:
        """Everything a cached feature depends on besides the image itself."""
        self._check_tap(tap)
        return {"encoder": self.name, "weights_id": self.weights_id, "tap": tap,
                "tap_shape": list(self._tap_shapes[tap]), "preprocess": self.preprocess.params()}

    def __repr__(self) -> str:
        return (f"Encoder({self.name!r}, device={self.device!r}, weights_source={self.weights_source!r}, "
                f"taps={list(self._tap_shapes)})")

    def _check_tap(self, tap: str) -> None:
        if tap not in self._tap_fns:
            raise UnknownTapError(f"encoder {self.name!r} has no tap {tap!r}; available: {', '.join(self._tap_fns)}")

    # --- forward --------------------------------------------------------------------------------
    def _autocast(self):
        if self.mixed_precision:
            return torch.autocast(device_type="cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def features(self, x: torch.Tensor, tap: str = "layer3") -> torch.Tensor:
        """Tap ``tap`` on a normalised ``(N,3,S,S)`` batch already on ``self.device``.

        Not wrapped in ``inference_mode``: gradients flow to ``x`` (the weights stay frozen), which
        serves optimisation-through-the-encoder experiments (CLIP losses).
        """
        self._check_tap(tap)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            return self._tap_fns[tap](self.model, x)

    def encode_preprocessed(self, x: torch.Tensor, tap: str = "layer3") -> torch.Tensor:
        """Inference on a normalised batch; the result stays on the device (fp16 under autocast)."""
        with torch.inference_mode():
            return self.features(x.to(self.device, non_blocking=True), tap)

    def encode_uint8(self, batch_uint8: torch.Tensor, tap: str = "layer3") -> torch.Tensor:
        """Inference on a ``(N,3,S,S)`` uint8 batch from :meth:`Preprocess.to_uint8_batch`.

        The uint8 batch is moved to the device first and normalised there (4x less to transfer).
        """
        with torch.inference_mode():
            x = self.preprocess.normalize(batch_uint8.to(self.device, non_blocking=True))
            return self.features(x, tap)

    def encode(
        self,
        images: Sequence[np.ndarray] | np.ndarray | torch.Tensor,
        tap: str = "layer3",
        batch_size: int = 32,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """uint8 images -> ``(N, *taps[tap])`` CPU tensor of ``dtype``.

        ``images``: a list of uint8 arrays ``(H,W)`` / ``(H,W,3)``, a uint8 batch array/tensor, or an
        already normalised float tensor ``(N,3,S,S)``. For large sets with caching and bounded memory,
        use :func:`sbsr.encoders.cache.encode_with_cache`.
        """
        self._check_tap(tap)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        n = len(images)
        out = torch.empty((n, *self._tap_shapes[tap]), dtype=dtype)
        is_float = isinstance(images, torch.Tensor) and images.is_floating_point()
        for start in range(0, n, batch_size):
            chunk = images[start:start + batch_size]
            if is_float:
                feats = self.encode_preprocessed(chunk, tap)
            else:
                feats = self.encode_uint8(self.preprocess.to_uint8_batch(chunk), tap)
            if feats.shape[1:] != out.shape[1:]:
                raise RuntimeError(f"{self.name}/{tap}: got features of shape {tuple(feats.shape[1:])}, "
                                   f"expected {tuple(out.shape[1:])} (input size must be "
                                   f"{self.preprocess.image_size})")
            out[start:start + feats.shape[0]] = feats.to("cpu", dtype)
        return out
