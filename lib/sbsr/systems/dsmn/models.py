"""The networks of Song et al. 2023 (§3.2-3.3, §4.3).

* backbone G: the book's offline encoder ``minclip-procedural-v1`` up to its last stage, average-pooled
  (:class:`MinclipBackbone`, 256-d), or torchvision ResNet-50 without its ``fc`` (2048-d) when ImageNet weights
  are given (:func:`resnet50_backbone`); ``None`` when the inputs are cached frozen features;
* DSMN: the fundamental network F (one linear layer) and the domain-specific network DS, a sum of N linear
  sub-networks with different initialisations; DI(X) = F(X) - DS(X) (Eq. 1); N = 0 keeps F alone;
* max-pooling of a model's view features after the DSMN (§3.1), a bottleneck (linear + ReLU, the retrieval
  feature), a two-layer classifier, and the domain discriminator 256 -> 1024 -> 1024 -> 1 of the RevGrad
  reference code.

Note: F and every DS_i are linear maps of the same input, so DI = (W_F - sum_i W_DSi) X + b is itself one
linear map applied to both domains alike. The DSMN changes the parameterisation (and with it what SGD and
weight decay do), not the set of functions the network can represent.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

#: Initialisers of the DS sub-networks, cycled: sub-network i gets INITS[i % len(INITS)] (different inits, §3.3.1).
INITS = ("kaiming_uniform", "xavier_normal", "orthogonal", "normal", "xavier_uniform")


def _init_linear(layer: nn.Linear, kind: str, generator: torch.Generator) -> None:
    w = layer.weight
    with torch.no_grad():
        if kind == "kaiming_uniform":
            bound = (6.0 / w.shape[1]) ** 0.5 / 2 ** 0.5
            w.uniform_(-bound, bound, generator=generator)
        elif kind == "xavier_normal":
            w.normal_(0.0, (2.0 / sum(w.shape)) ** 0.5, generator=generator)
        elif kind == "xavier_uniform":
            bound = (6.0 / sum(w.shape)) ** 0.5
            w.uniform_(-bound, bound, generator=generator)
        elif kind == "orthogonal":
            a = torch.randn(max(w.shape), min(w.shape), generator=generator)
            q, r = torch.linalg.qr(a)
            q = q * torch.sign(torch.diagonal(r))
            w.copy_(q if q.shape == w.shape else q.T)
        elif kind == "normal":
            w.normal_(0.0, 0.01, generator=generator)
        else:
            raise ValueError(f"unknown initialiser {kind!r}; expected one of {INITS}")
        layer.bias.zero_()


class DSMN(nn.Module):
    """Eq. 1: ``DI(X) = F(X) - sum_i DS_i(X)`` with linear F and N linear DS_i, each initialised differently."""

    def __init__(self, in_dim: int, out_dim: int, n_sub: int = 3, seed: int = 0):
        super().__init__()
        if n_sub < 0:
            raise ValueError(f"n_sub must be >= 0, got {n_sub}")
        gen = torch.Generator().manual_seed(int(seed))
        self.fundamental = nn.Linear(in_dim, out_dim)
        _init_linear(self.fundamental, "kaiming_uniform", gen)
        self.specific = nn.ModuleList()
        for i in range(n_sub):
            layer = nn.Linear(in_dim, out_dim)
            _init_linear(layer, INITS[i % len(INITS)], gen)
            self.specific.append(layer)

    @property
    def n_sub(self) -> int:
        return len(self.specific)

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        """``(F(X), [DS_i(X)], DI(X))``."""
        f = self.fundamental(x)
        ds = [layer(x) for layer in self.specific]
        di = f - sum(ds) if ds else f
        return f, ds, di

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.parts(x)[2]


class MinclipBackbone(nn.Module):
    """G(x): minclip's image tower up to ``layer4``, average-pooled (256-d). Input: normalised (B,3,S,S)."""

    def __init__(self, visual: nn.Module):
        super().__init__()
        self.visual = visual
        for p in self.visual.parameters():
            p.requires_grad_(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.visual.forward_stage(x, 4).mean(dim=(2, 3))


def resnet50_backbone(weights: str | os.PathLike) -> nn.Module:
    """torchvision ResNet-50 with ImageNet weights from ``weights`` (a ``state_dict`` saved with torch.save
    or as safetensors), ``fc`` replaced by the identity: (B,3,224,224) -> (B, 2048)."""
    from safetensors.torch import load_file
    from torchvision.models import resnet50

    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: ResNet-50 weights not found (a torchvision state_dict, .pth or .safetensors)")
    try:
        state = load_file(str(path)) if path.suffix == ".safetensors" else torch.load(path, map_location="cpu",
                                                                                        weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise ValueError(f"{path}: not a readable ResNet-50 state_dict ({exc})") from None
    model = resnet50(weights=None)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing:
        raise ValueError(f"{path}: not ResNet-50 weights, missing {missing[:3]}...")
    model.fc = nn.Identity()
    return model


class RetrievalNet(nn.Module):
    """Backbone (optional) -> DSMN -> [max over views] -> bottleneck -> classifier, and the discriminator.

    ``image_features(x)``: x is (B, D) features or (B,3,S,S) images; ``model_features(x)``: (B, V, D) or
    (B, V, 3, S, S). Both return the bottleneck features (the retrieval descriptors)."""

    def __init__(self, in_dim: int, n_classes: int, n_sub: int = 3, dsmn_dim: int = 256, bottleneck: int = 256,
                 hidden: int = 256, disc_hidden: int = 1024, backbone: nn.Module | None = None, seed: int = 0):
        super().__init__()
        self.backbone = backbone
        self.dsmn = DSMN(in_dim, dsmn_dim, n_sub, seed=seed)
        self.bottleneck = nn.Sequential(nn.Linear(dsmn_dim, bottleneck), nn.BatchNorm1d(bottleneck))
        self.classifier = nn.Sequential(nn.Linear(bottleneck, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))
        self.discriminator = nn.Sequential(nn.Linear(bottleneck, disc_hidden), nn.ReLU(), nn.Dropout(0.5),
                                           nn.Linear(disc_hidden, disc_hidden), nn.ReLU(), nn.Dropout(0.5),
                                           nn.Linear(disc_hidden, 1))

    def _g(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.backbone is None else self.backbone(x)

    def di_images(self, x: torch.Tensor) -> torch.Tensor:
        return self.dsmn(self._g(x))

    def di_models(self, x: torch.Tensor) -> torch.Tensor:
        """DI of every view, max-pooled over the views: (B, V, ...) -> (B, dsmn_dim)."""
        b, v = x.shape[:2]
        di = self.dsmn(self._g(x.reshape(b * v, *x.shape[2:])))
        return di.reshape(b, v, -1).amax(dim=1)

    def image_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.bottleneck(self.di_images(x))

    def model_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.bottleneck(self.di_models(x))


__all__ = ["DSMN", "INITS", "MinclipBackbone", "RetrievalNet", "resnet50_backbone"]
