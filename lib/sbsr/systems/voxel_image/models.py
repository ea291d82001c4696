"""The two-channel encoder of Ji & Wang (Table 1, Fig. 3), the four candidates of §4.1, the
triplet loss of Eq. 1 and the lifted structured loss, and Table 1 computed from the model.

A channel is ``pool0`` then ``m`` conv-lrelu-conv-lrelu-pool units then ``n`` fully connected layers
to a 128-d embedding (``m-conv-n-fc``). Pools are max pools; the last unit's pool is sized so that
the grid is 4^3 (voxels) or 6^2 (images) as in Table 1. Leaky ReLU everywhere (Table 1's note).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from pytorch_metric_learning import distances, losses, reducers
from torch import nn

#: The four candidates of §4.1: (conv units, fc layers).
CANDIDATES = {"1-conv-1-fc": (1, 1), "2-conv-1-fc": (2, 1), "3-conv-1-fc": (3, 1), "2-conv-2-fc": (2, 2)}
#: Output channels of the two convolutions of each unit (Table 1 gives units 1-2; unit 3 is ours).
UNIT_WIDTHS = ((16, 32), (64, 128), (128, 128))
EMBEDDING = 128


@dataclass(frozen=True)
class ChannelConfig:
    """One channel: ``dims`` 3 (voxels) or 2 (images), input channels and side, ``pool0``, the pool
    of units before the last (``pool_mid``), the final grid side, widths and the hidden fc size."""

    dims: int
    in_channels: int
    size: int
    pool0: int
    pool_mid: int
    grid: int
    hidden: int = 4096
    width_scale: float = 1.0


PAPER_VOXEL = ChannelConfig(3, 2, 96, pool0=3, pool_mid=2, grid=4)
PAPER_IMAGE = ChannelConfig(2, 3, 486, pool0=3, pool_mid=3, grid=6)


def _conv(dims: int):
    return nn.Conv3d if dims == 3 else nn.Conv2d


def _pool(dims: int, k: int):
    return (nn.MaxPool3d if dims == 3 else nn.MaxPool2d)(k) if k > 1 else nn.Identity()


class Channel(nn.Module):
    """One encoder channel (voxels or images); ``layers`` keeps Table 1's labels."""

    def __init__(self, cfg: ChannelConfig, n_conv: int, n_fc: int):
        super().__init__()
        if not 1 <= n_conv <= len(UNIT_WIDTHS) or n_fc not in (1, 2):
            raise ValueError(f"unsupported architecture {n_conv}-conv-{n_fc}-fc")
        Conv = _conv(cfg.dims)
        layers: list[tuple[str, nn.Module]] = [("pool0", _pool(cfg.dims, cfg.pool0))]
        side = cfg.size // cfg.pool0
        c = cfg.in_channels
        for u in range(1, n_conv + 1):
            wa, wb = (max(1, round(w * cfg.width_scale)) for w in UNIT_WIDTHS[u - 1])
            layers += [(f"conv{u}a", Conv(c, wa, 3, padding=1)), (f"rect{u}a", nn.LeakyReLU(0.01)),
                       (f"conv{u}b", Conv(wa, wb, 3, padding=1)), (f"rect{u}b", nn.LeakyReLU(0.01))]
            k = cfg.pool_mid if u < n_conv else max(1, side // cfg.grid)
            layers.append((f"pool{u}", _pool(cfg.dims, k)))
            side //= k
            c = wb
        flat = c * side ** cfg.dims
        layers.append((f"flat{n_conv}", nn.Flatten()))
        if n_fc == 2:
            layers += [(f"fc{n_conv + 1}", nn.Linear(flat, cfg.hidden)), (f"rect{n_conv + 1}", nn.LeakyReLU(0.01)),
                       (f"fc{n_conv + 2}", nn.Linear(cfg.hidden, EMBEDDING))]
        else:
            layers.append((f"fc{n_conv + 1}", nn.Linear(flat, EMBEDDING)))
        self.cfg = cfg
        self.labels = [name for name, _ in layers]
        self.layers = nn.Sequential(*[m for _, m in layers])
        for m in self.layers:
            if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.Linear)):  # "MSRA filler" (He initialisation)
                nn.init.kaiming_normal_(m.weight, a=0.01, nonlinearity="leaky_relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class CrossDomainEncoder(nn.Module):
    """Voxel channel and image channel into one 128-d embedding space."""

    def __init__(self, arch: str, voxel: ChannelConfig = PAPER_VOXEL, image: ChannelConfig = PAPER_IMAGE):
        super().__init__()
        if arch not in CANDIDATES:
            raise ValueError(f"unknown architecture {arch!r}; choose from {list(CANDIDATES)}")
        self.arch = arch
        n_conv, n_fc = CANDIDATES[arch]
        self.voxel = Channel(voxel, n_conv, n_fc)
        self.image = Channel(image, n_conv, n_fc)

    def encode_voxels(self, v: torch.Tensor) -> torch.Tensor:
        return self.voxel(v)

    def encode_images(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (B,3,S,S) float in [0, 1]."""
        return self.image(x)


# ---------------------------------------------------------------------------------------- losses
def triplet_loss_eq1(margin: float = 1.0) -> losses.TripletMarginLoss:
    """Eq. 1, L = 1/m sum_i max(D^2(p_i,v_i) - D^2(n_i,v_i) + alpha, 0), as pytorch-metric-learning's
    TripletMarginLoss with squared, unnormalised Euclidean distances and a plain mean over all m
    triplets. (Its defaults differ: L2-normalised embeddings, unsquared distances, and the mean over
    the non-zero losses only.)"""
    dist = distances.LpDistance(normalize_embeddings=False, p=2, power=2)
    return losses.TripletMarginLoss(margin=margin, distance=dist, reducer=reducers.MeanReducer())


def lifted_structure_loss(margin: float = 1.0) -> losses.GeneralizedLiftedStructureLoss:
    """The lifted structured loss on every pair of the batch, voxels and images alike (the fix the paper
    proposes, Song et al. [7]), in its generalized form (Hermans et al. 2017: log-sum-exp over the
    positive pairs as well as the negatives of each item), with Euclidean distances on unnormalised
    embeddings and margin 1 as Eq. 1. pytorch-metric-learning's ``LiftedStructureLoss`` (Song's exact
    form) is cubic in the batch here and barely moved in the quick profile's iterations."""
    return losses.GeneralizedLiftedStructureLoss(neg_margin=margin, pos_margin=0.0,
                                                 distance=distances.LpDistance(normalize_embeddings=False))


def batch_loss(kind: str, fn, v: torch.Tensor, p: torch.Tensor, n: torch.Tensor,
               car: torch.Tensor, neg_car: torch.Tensor) -> torch.Tensor:
    """The loss of one batch of triplets (voxel, positive image, negative image) embeddings."""
    emb = torch.cat([v, p, n])
    m = len(v)
    if kind == "triplet":
        a = torch.arange(m)
        return fn(emb, indices_tuple=(a, a + m, a + 2 * m))
    if kind == "lifted":
        return fn(emb, torch.cat([car, car, neg_car]))
    raise ValueError(f"unknown loss {kind!r}; choose 'triplet' or 'lifted'")


LOSSES = ("triplet", "lifted")


def make_loss(kind: str):
    if kind == "triplet":
        return triplet_loss_eq1()
    if kind == "lifted":
        return lifted_structure_loss()
    raise ValueError(f"unknown loss {kind!r}; choose from {LOSSES}")


# -------------------------------------------------------------------------------- Table 1 from the model
def _size(shape) -> str:
    return " × ".join(str(s) for s in shape)


def human_bytes(n: float) -> str:
    """Bytes in the paper's style: B, KB, MB with base 1024 (one decimal unless whole)."""
    for unit, f in (("MB", 2 ** 20), ("KB", 2 ** 10)):
        if n >= f:
            v = n / f
            return f"{v:.0f}{unit}" if abs(v - round(v)) < 0.05 else f"{v:.1f}{unit}"
    return f"{n:.0f}B"


def architecture_table(model: CrossDomainEncoder) -> pd.DataFrame:
    """Table 1 computed by running one zero sample through each channel: per layer the size in/out
    (channels last, as printed), output memory (float32 bytes), parameter shape and weight bytes
    (weights and biases, every input channel counted)."""
    rows = []
    for channel, net in (("voxel", model.voxel), ("image", model.image)):
        cfg = net.cfg
        x = torch.zeros((1, cfg.in_channels) + (cfg.size,) * cfg.dims)
        with torch.no_grad():
            for label, layer in zip(net.labels, net.layers):
                y = layer(x)
                if isinstance(layer, (nn.Conv2d, nn.Conv3d)):
                    params = _size(tuple(layer.kernel_size) + (layer.in_channels, layer.out_channels))
                elif isinstance(layer, nn.Linear):
                    params = f"{layer.in_features} × {layer.out_features}"
                elif isinstance(layer, (nn.MaxPool2d, nn.MaxPool3d)):
                    params = f"p = {layer.kernel_size}"
                else:
                    params = ""
                rows.append({"channel": channel, "label": label, "size-in": _size(_channels_last(x)),
                             "size-out": _size(_channels_last(y)), "memory_bytes": 4 * y.numel(),
                             "params": params, "weights_bytes": 4 * sum(p.numel() for p in layer.parameters())})
                x = y
    return pd.DataFrame(rows)


def _channels_last(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape[2:]) + (t.shape[1],) if t.ndim > 2 else (t.shape[1],)
