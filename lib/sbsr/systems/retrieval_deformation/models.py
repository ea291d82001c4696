"""Networks of joint retrieval and deformation (Uy et al. 2021, §2.1-2.2).

* :func:`deform_parts`: the part-aware deformation function: every part of a source is scaled about the
  centre of its axis-aligned bounding box and translated, ``x' = c + (1 + s) * (x - c) + t`` with the 6
  parameters ``(s, t)`` of its part (zeros are the identity).
* :class:`DeformationModule` (§2.2, Fig. 2 right): per source a global code (``n1 = 256``) and per part a local
  code (``n2 = 32``), both free variables optimised in an auto-decoder fashion; the target code
  ``t_D = E_D(t)`` (``n3 = 256``); the 3-layer MLP (512, 256, 6) ``P`` applied to every part separately, so a
  source may have any number of parts (padded to the largest count, masked).
* Target encoders, trained from scratch here: :class:`ImageEncoder` (a small CNN; the paper uses an
  ImageNet ResNet) and :class:`PointNetEncoder` (PointNet with max pooling).
* :class:`RetrievalModule`: the retrieval space ``R``: the target embedded by its own encoder, the sources by
  a PointNet on their points, ``d_R^2`` the squared Euclidean distance; plus the learned per-source scalars
  ``sigma_k`` of Eq. 2.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

GLOBAL_CODE = 256  # n1
PART_CODE = 32  # n2
TARGET_CODE = 256  # n3
MLP_WIDTHS = (512, 256, 6)
#: fixed output gain of the retrieval embeddings: squared distances between 256-d embeddings of unit-scale
#: entries are O(10^2), far below sigma_0^2 = 10^4, which would make Eq. 1 uniform at the start; a gain of
#: 10 puts them at O(10^4)
EMBED_GAIN = 10.0


def part_boxes(points: np.ndarray, labels: np.ndarray, n_parts: np.ndarray, max_parts: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Centres (N,max_parts,3) of every part's axis-aligned bounding box and the (N,max_parts) mask of the
    parts present, from points (N,P,3) and per-point part indices (N,P)."""
    n = len(points)
    centers = np.zeros((n, max_parts, 3), np.float32)
    mask = np.zeros((n, max_parts), bool)
    for i in range(n):
        for k in range(int(n_parts[i])):
            sel = points[i][labels[i] == k]
            if len(sel):
                centers[i, k] = 0.5 * (sel.min(0) + sel.max(0))
                mask[i, k] = True
    return centers, mask


def deform_parts(points: torch.Tensor, labels: torch.Tensor, centers: torch.Tensor, params: torch.Tensor
                 ) -> torch.Tensor:
    """Deform every part of a batch of sources.

    Parameters: ``points`` (B,P,3), ``labels`` (B,P) long part index of each point, ``centers`` (B,K,3)
    part box centres, ``params`` (B,K,6) per part ``(s_x, s_y, s_z, t_x, t_y, t_z)``.
    Returns (B,P,3): ``c + (1 + s) * (x - c) + t`` with ``c, s, t`` of each point's part.
    """
    idx = labels.unsqueeze(-1)
    c = torch.gather(centers, 1, idx.expand(-1, -1, 3))
    p = torch.gather(params, 1, idx.expand(-1, -1, 6))
    return c + (1.0 + p[..., :3]) * (points - c) + p[..., 3:]


def reflect_x(points: torch.Tensor) -> torch.Tensor:
    """The mirror image across the plane x = 0 (the shapes' plane of bilateral symmetry)."""
    return points * points.new_tensor([-1.0, 1.0, 1.0])


class ImageEncoder(nn.Module):
    """A small CNN: four stride-2 3x3 convolutions with batch norm and ReLU (32, 64, 128, 128 channels),
    global average pooling, a linear layer to ``dim``. Input (B,3,H,W) in [0,1]."""

    def __init__(self, dim: int = TARGET_CODE, width: int = 32):
        super().__init__()
        chans = [3, width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(chans[-1], dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x - 0.5).mean(dim=(2, 3)))


class PointNetEncoder(nn.Module):
    """PointNet (Qi et al. 2017) without the transform nets: a shared MLP (64, 128, 256) on every point,
    max pooling, a linear layer to ``dim``. Input (B,P,3)."""

    def __init__(self, dim: int = TARGET_CODE, widths=(64, 128, 256)):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for w in widths:
            layers += [nn.Linear(cin, w), nn.ReLU()]
            cin = w
        self.point_mlp = nn.Sequential(*layers)
        self.head = nn.Linear(cin, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.point_mlp(x).max(dim=1).values)


def make_encoder(modality: str, dim: int = TARGET_CODE) -> nn.Module:
    """The target encoder of a modality: ``"image"`` (CNN) or ``"points"`` (PointNet)."""
    if modality == "image":
        return ImageEncoder(dim)
    if modality == "points":
        return PointNetEncoder(dim)
    raise ValueError(f"unknown target modality {modality!r}; expected 'image' or 'points'")


class DeformationModule(nn.Module):
    """The structure-aware neural deformation module of §2.2 (module docstring).

    ``forward(target, sources)`` with ``target`` the encoder's input (B,...) and ``sources`` (B,K) source
    indices returns (B,K,max_parts,6) deformation parameters (zero on padded parts).
    """

    def __init__(self, n_sources: int, max_parts: int, modality: str = "image", global_dim: int = GLOBAL_CODE,
                 part_dim: int = PART_CODE, target_dim: int = TARGET_CODE, widths=MLP_WIDTHS):
        super().__init__()
        if widths[-1] != 6:
            raise ValueError(f"the MLP must end in 6 deformation parameters, got widths {widths}")
        self.n_sources, self.max_parts, self.modality = int(n_sources), int(max_parts), modality
        self.global_codes = nn.Parameter(torch.randn(n_sources, global_dim) * 0.01)
        self.part_codes = nn.Parameter(torch.randn(n_sources, max_parts, part_dim) * 0.01)
        self.encoder = make_encoder(modality, target_dim)
        layers: list[nn.Module] = []
        cin = global_dim + part_dim + target_dim
        for i, w in enumerate(widths):
            layers.append(nn.Linear(cin, w))
            if i < len(widths) - 1:
                layers.append(nn.ReLU())
            cin = w
        self.mlp = nn.Sequential(*layers)
        with torch.no_grad():  # start near the identity deformation
            self.mlp[-1].weight.mul_(0.01)
            self.mlp[-1].bias.zero_()

    def encode(self, target: torch.Tensor) -> torch.Tensor:
        return self.encoder(target)

    def params_from_code(self, code: torch.Tensor, sources: torch.Tensor) -> torch.Tensor:
        """(B,K,max_parts,6) from target codes (B,n3) and source indices (B,K)."""
        b, k = sources.shape
        g = self.global_codes[sources]  # (B,K,n1)
        p = self.part_codes[sources]  # (B,K,M,n2)
        m = self.max_parts
        x = torch.cat([code[:, None, None, :].expand(b, k, m, -1), g[:, :, None, :].expand(b, k, m, -1), p], -1)
        return self.mlp(x)

    def forward(self, target: torch.Tensor, sources: torch.Tensor) -> torch.Tensor:
        return self.params_from_code(self.encode(target), sources)


class RetrievalModule(nn.Module):
    """The retrieval space ``R`` (§2.1): ``embed_target`` (B,...) -> (B,256), the target encoder's output
    scaled by :data:`EMBED_GAIN`; the sources' embeddings (S,256) are free codes optimised with the module
    (auto-decoded, like the deformation codes), initialised so that two sources lie about ``sigma0`` apart;
    ``log_sigma`` (S,) the learned per-source scalars of Eq. 2 (initialised at ``sigma_init``).

    Why free source codes: a PointNet on the source points (the reference code's choice) starts with all
    sources nearly on top of each other (distances differing by ~1 % of ``sigma0``), so Eq. 1 stays
    uniform for longer than the quick profile trains."""

    def __init__(self, n_sources: int, modality: str = "image", dim: int = 256, sigma_init: float = 0.01,
                 sigma0: float = 100.0):
        super().__init__()
        self.target_encoder = make_encoder(modality, dim)
        self.source_codes = nn.Parameter(torch.randn(n_sources, dim) * (sigma0 / math.sqrt(2 * dim)))
        self.log_sigma = nn.Parameter(torch.full((n_sources,), math.log(sigma_init)))

    def embed_target(self, target: torch.Tensor) -> torch.Tensor:
        return EMBED_GAIN * self.target_encoder(target)

    def embed_sources(self, source_points: torch.Tensor | None = None) -> torch.Tensor:
        """(S,256) source embeddings (``source_points`` is accepted for a point-based source encoder and
        unused by the free codes)."""
        return self.source_codes

    def distances(self, target: torch.Tensor, source_points: torch.Tensor) -> torch.Tensor:
        """(B,S) squared Euclidean distances d_R^2 between targets and all sources."""
        return squared_distances(self.embed_target(target), self.embed_sources(source_points))


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N,M) squared Euclidean distances between rows of ``a`` (N,D) and ``b`` (M,D)."""
    return (a[:, None, :] - b[None, :, :]).square().sum(-1)


def count_parameters(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


__all__ = ["DeformationModule", "EMBED_GAIN", "GLOBAL_CODE", "ImageEncoder", "MLP_WIDTHS", "PART_CODE",
           "PointNetEncoder", "RetrievalModule", "TARGET_CODE", "count_parameters", "deform_parts",
           "make_encoder", "part_boxes", "reflect_x", "squared_distances"]
