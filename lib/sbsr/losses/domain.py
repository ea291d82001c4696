"""Domain-adaptation objectives: gradient reversal, the DANN domain loss, MMD / JAN alignment and the
Jensen-Shannon divergence (Song et al. 2023, seed 000, Eqs. 3-4; Ganin & Lempitsky 2015; Long et al. 2017).

* :func:`grad_reverse` / :class:`GradientReversal`: identity forward, gradient times ``-weight`` backward.
* :func:`grl_weight`: the DANN ramp ``2 / (1 + exp(-10 p)) - 1`` from 0 to 1 over training progress p.
* :func:`dann_domain_loss`: Eq. 4, binary cross-entropy of a discriminator that calls images 0 and models 1.
* :func:`gaussian_kernel`, :func:`mmd2`, :func:`jmmd2`: (joint) maximum mean discrepancy with a sum of
  Gaussian kernels (biased V-statistic).
* :func:`js_divergence`: row-wise JS divergence between probability vectors (natural log).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.weight = float(weight)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.weight * grad, None


def grad_reverse(x: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """Identity in the forward pass; multiplies the incoming gradient by ``-weight`` in the backward pass."""
    return _GradReverse.apply(x, weight)


class GradientReversal(nn.Module):
    """:func:`grad_reverse` as a module; set ``.weight`` during training (e.g. from :func:`grl_weight`)."""

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self.weight = float(weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.weight)


def grl_weight(progress: float, alpha: float = 10.0) -> float:
    """``2 / (1 + exp(-alpha p)) - 1`` for training progress ``p`` in [0, 1]: 0 at the start, ~1 at the end."""
    p = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-alpha * p)) - 1.0


def dann_domain_loss(d_images: torch.Tensor, d_models: torch.Tensor) -> torch.Tensor:
    """Eq. 4: ``-E_I log(1 - D(x)) - E_M log D(x)`` from discriminator *logits* (any shape, one per item).

    The two expectations are averaged separately and summed, so unequal batch sizes weigh the domains alike.
    """
    li = F.binary_cross_entropy_with_logits(d_images, torch.zeros_like(d_images))
    lm = F.binary_cross_entropy_with_logits(d_models, torch.ones_like(d_models))
    return li + lm


def gaussian_kernel(x: torch.Tensor, y: torch.Tensor, bandwidths: Sequence[float]) -> torch.Tensor:
    """Sum over ``bandwidths`` s of ``exp(-|x_i - y_j|^2 / (2 s^2))``: (N, D), (M, D) -> (N, M)."""
    d2 = torch.cdist(x, y).pow(2)
    return sum(torch.exp(-d2 / (2.0 * s * s)) for s in bandwidths)


def median_bandwidths(x: torch.Tensor, y: torch.Tensor, multipliers: Sequence[float] = (0.5, 1.0, 2.0)) -> list[float]:
    """Bandwidths: the median pairwise distance of the pooled sample (no gradient) times ``multipliers``."""
    z = torch.cat([x, y]).detach()
    d = torch.cdist(z, z)
    med = d[d > 0].median().item() if (d > 0).any() else 1.0
    return [m * med for m in multipliers]


def _mmd_from_kernels(kxx, kyy, kxy) -> torch.Tensor:
    return kxx.mean() + kyy.mean() - 2.0 * kxy.mean()


def mmd2(x: torch.Tensor, y: torch.Tensor, bandwidths: Sequence[float] | None = None) -> torch.Tensor:
    """Squared MMD between samples ``x`` (N, D) and ``y`` (M, D) with a sum of Gaussian kernels (biased
    estimate: mean k(x,x') + mean k(y,y') - 2 mean k(x,y)); bandwidths default to :func:`median_bandwidths`."""
    bw = median_bandwidths(x, y) if bandwidths is None else list(bandwidths)
    return _mmd_from_kernels(gaussian_kernel(x, x, bw), gaussian_kernel(y, y, bw), gaussian_kernel(x, y, bw))


def jmmd2(xs: Sequence[torch.Tensor], ys: Sequence[torch.Tensor],
          bandwidths: Sequence[Sequence[float]] | None = None) -> torch.Tensor:
    """Joint MMD of JAN (Long et al. 2017): the kernel of a sample is the *product* over layers (e.g.
    bottleneck features and softmax predictions) of each layer's Gaussian kernel sum."""
    if len(xs) != len(ys) or not xs:
        raise ValueError("jmmd2 needs the same, non-zero number of layers for both domains")
    kxx = kyy = kxy = None
    for layer, (x, y) in enumerate(zip(xs, ys)):
        bw = median_bandwidths(x, y) if bandwidths is None else list(bandwidths[layer])
        a, b, c = gaussian_kernel(x, x, bw), gaussian_kernel(y, y, bw), gaussian_kernel(x, y, bw)
        kxx, kyy, kxy = (a, b, c) if kxx is None else (kxx * a, kyy * b, kxy * c)
    return _mmd_from_kernels(kxx, kyy, kxy)


def js_divergence(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Row-wise ``JS(p, q) = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2`` (natural log):
    (N, C) probabilities -> (N,). Symmetric, 0 for equal rows, at most log 2."""
    if p.shape != q.shape:
        raise ValueError(f"js_divergence: shapes differ, {tuple(p.shape)} and {tuple(q.shape)}")
    m = 0.5 * (p + q)
    log_m = torch.log(m.clamp_min(eps))
    kl_pm = (p * (torch.log(p.clamp_min(eps)) - log_m)).sum(-1)
    kl_qm = (q * (torch.log(q.clamp_min(eps)) - log_m)).sum(-1)
    return 0.5 * (kl_pm + kl_qm)


__all__ = ["GradientReversal", "dann_domain_loss", "gaussian_kernel", "grad_reverse", "grl_weight", "jmmd2",
           "js_divergence", "median_bandwidths", "mmd2"]
