"""Feature modulation layer (thesis §4.2.2.2, Eq. 4.2 and 4.3; App. B.5).

``m(x) = x * w_m`` (Hadamard product) with one trainable weight per feature of the CLIP tap (ResNet101
``layer3``: 1024x14x14 = 200,704 weights). The CLIP weights stay frozen; only ``w_m`` is trained with the
contrastive loss (:func:`sbsr.losses.clip_contrastive_loss`).

* ``mode="continuous"`` (feature *weighting*): the forward pass uses ``w_m`` as is.
* ``mode="binary"`` (feature *masking*, Eq. 4.3): the forward pass uses ``1[w >= threshold]``
  (threshold 0.1 in the paper); "the backward pass is the same for all the scenarios", i.e. the
  gradient flows to ``w`` as if the layer were continuous (straight-through estimator).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch
from torch import nn

from ..io import atomic_path

MODES = ("continuous", "binary")
_FORMAT = "sbsr.FeatureModulation/1"


class FeatureModulation(nn.Module):
    """``m(x) = x * w`` over a feature tap of shape ``shape`` (Eq. 4.2), continuous or binary (Eq. 4.3).

    ``forward`` accepts ``x`` of shape ``(..., *shape)`` or ``(..., prod(shape))`` (flattened features).
    ``init`` is the initial value of every weight (1.0 keeps all features at the start).
    """

    def __init__(self, shape: tuple[int, ...] | int, mode: str = "continuous", threshold: float = 0.1,
                 init: float = 1.0):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
        if not shape or any(s <= 0 for s in shape):
            raise ValueError(f"shape must be a non-empty tuple of positive sizes, got {shape}")
        self.shape = shape
        self.mode = mode
        self.threshold = float(threshold)
        self.init = float(init)
        self.weight = nn.Parameter(torch.full(shape, float(init)))

    def effective_weight(self) -> torch.Tensor:
        """The weights the forward pass multiplies by: ``w`` or, in binary mode, ``1[w >= threshold]``
        carrying the straight-through gradient (value of the mask, gradient of the identity)."""
        if self.mode == "continuous":
            return self.weight
        hard = (self.weight >= self.threshold).to(self.weight.dtype)
        return self.weight + (hard - self.weight).detach()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.effective_weight()
        k = len(self.shape)
        if tuple(x.shape[-k:]) == self.shape:
            return x * w
        if x.shape[-1] == w.numel():
            return x * w.reshape(-1)
        raise ValueError(f"FeatureModulation{self.shape} cannot take input of shape {tuple(x.shape)}")

    @torch.no_grad()
    def kept_fraction(self) -> float:
        """Share of features kept by the binary mask (``w >= threshold``), whatever the mode."""
        return float((self.weight >= self.threshold).float().mean())

    def extra_repr(self) -> str:
        return f"shape={self.shape}, mode={self.mode!r}, threshold={self.threshold}, weights={self.weight.numel()}"

    def config(self) -> dict:
        return {"shape": list(self.shape), "mode": self.mode, "threshold": self.threshold, "init": self.init}

    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> Path:
        return save_modulation(self, path, metadata)

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> "FeatureModulation":
        return load_modulation(path, device)


def save_modulation(module: FeatureModulation, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """Write the weights and the layer's configuration to a ``.safetensors`` file, atomically.

    ``metadata`` (JSON-serialisable) is stored beside the configuration, e.g. the training epoch.
    """
    from safetensors.torch import save_file

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"modulation checkpoint {path} must end in .safetensors")
    meta = {"format": _FORMAT, "config": json.dumps(module.config())}
    if metadata:
        meta["user"] = json.dumps(metadata, default=str)
    with atomic_path(path) as tmp:
        save_file({"weight": module.weight.detach().cpu().contiguous()}, str(tmp), metadata=meta)
    return path


def load_modulation(path: str | os.PathLike, device: str | torch.device = "cpu") -> FeatureModulation:
    """Rebuild a :class:`FeatureModulation` saved with :func:`save_modulation` (no pickle involved)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"modulation checkpoint {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
        tensors = load_file(str(path), device="cpu")
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise ValueError(f"modulation checkpoint {path} is not a readable safetensors file: {exc}") from exc
    if meta.get("format") != _FORMAT or "config" not in meta:
        raise ValueError(f"modulation checkpoint {path} lacks the {_FORMAT} metadata")
    cfg = json.loads(meta["config"])
    if set(tensors) != {"weight"}:
        raise ValueError(f"modulation checkpoint {path} should hold only 'weight', found {sorted(tensors)}")
    weight = tensors["weight"]
    if list(weight.shape) != list(cfg["shape"]) or math.prod(cfg["shape"]) != weight.numel():
        raise ValueError(f"modulation checkpoint {path}: weight shape {tuple(weight.shape)} "
                         f"disagrees with its config {cfg['shape']}")
    module = FeatureModulation(tuple(cfg["shape"]), mode=cfg["mode"], threshold=cfg["threshold"],
                               init=cfg.get("init", 1.0))
    module.load_state_dict({"weight": weight})
    return module.to(device)


def modulation_metadata(path: str | os.PathLike) -> dict:
    """The user metadata stored by :func:`save_modulation` (``{}`` if none)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    return json.loads(meta["user"]) if "user" in meta else {}
