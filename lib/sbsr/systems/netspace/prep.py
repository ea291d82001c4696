"""Batch-norm fusion (thesis App. C.6, Eq. C.1-C.7) and the parameters representation, PRep (App. C.2).

A PRep is a 2D ``(H, W)`` float tensor: the parameters of a network without batch norm, flattened in
module order (``named_parameters``), written row after row and zero-padded; ``W`` is a multiple of 8 and
``H`` a multiple of 4. :func:`from_prep` is its exact inverse (slices of the PRep, so gradients flow from
the parameters back to a PRep a decoder predicted), and :func:`forward_with` runs a network with
parameters taken from a PRep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from .models import ConvBN


def bn_affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Diagonal of W_BN (Eq. C.2) and b_BN (Eq. C.3): ``gamma / sqrt(var + eps)`` and
    ``beta - gamma * mean / sqrt(var + eps)``, each ``(C,)``."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - scale * bn.running_mean


def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """The weight ``W = W_BN W_conv`` (Eq. C.6) and bias ``b = W_BN b_conv + b_BN`` (Eq. C.7) of the single
    convolution that equals ``bn(conv(x))`` in eval mode. Returns ``(C, C_prev, k, k)`` and ``(C,)``."""
    scale, shift = bn_affine(bn)
    b_conv = conv.bias if conv.bias is not None else torch.zeros_like(scale)
    return conv.weight * scale[:, None, None, None], scale * b_conv + shift


@torch.no_grad()
def fuse_batchnorm(model_bn: nn.Module, model_plain: nn.Module) -> nn.Module:
    """Copy ``model_bn`` (trained, with batch norm) into ``model_plain`` (same architecture built with
    ``bn=False``), fusing every :class:`ConvBN`; returns ``model_plain`` in eval mode."""
    plain = dict(model_plain.named_modules())
    for name, mod in model_bn.named_modules():
        if not isinstance(mod, (ConvBN, nn.Linear)):
            continue
        target = plain.get(name)
        if target is None or type(target) is not type(mod):
            raise ValueError(f"module {name!r} of the batch-norm network has no counterpart in the plain one")
        if isinstance(mod, ConvBN):
            if isinstance(mod.bn, nn.BatchNorm2d):
                w, b = fuse_conv_bn(mod.conv, mod.bn)
            else:
                w, b = mod.conv.weight, mod.conv.bias
            target.conv.weight.copy_(w)
            target.conv.bias.copy_(b)
        elif isinstance(mod, nn.Linear):
            target.weight.copy_(mod.weight)
            target.bias.copy_(mod.bias)
    return model_plain.eval()


def prep_shape(n_params: int, width: int) -> tuple[int, int]:
    """``(H, W)`` of a PRep holding ``n_params`` parameters in rows of ``width`` (App. C.2):
    ``H = ceil(P / W)`` rounded up to a multiple of 4.

    >>> prep_shape(100, 8), prep_shape(128, 8)
    ((16, 8), (16, 8))
    """
    if width <= 0 or width % 8:
        raise ValueError(f"PRep width must be a positive multiple of 8, got {width}")
    h = math.ceil(n_params / width)
    return (h + (-h) % 4, width)


@dataclass(frozen=True)
class Layout:
    """Names and shapes of a network's parameters, in PRep order."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, model: nn.Module) -> "Layout":
        items = list(model.named_parameters())
        return cls(tuple(n for n, _ in items), tuple(tuple(p.shape) for _, p in items))

    @property
    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.shapes)


def to_prep(model: nn.Module, shape: tuple[int, int] | None = None, width: int = 64) -> torch.Tensor:
    """The PRep ``(H, W)`` of ``model`` (a network without batch norm): its parameters in order, zero-padded.
    ``shape`` defaults to :func:`prep_shape` of its parameter count."""
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    shape = shape or prep_shape(flat.numel(), width)
    if flat.numel() > shape[0] * shape[1]:
        raise ValueError(f"{flat.numel()} parameters do not fit a PRep of {shape}")
    out = torch.zeros(shape[0] * shape[1], dtype=flat.dtype)
    out[: flat.numel()] = flat
    return out.reshape(shape)


def from_prep(prep: torch.Tensor, layout: Layout) -> dict[str, torch.Tensor]:
    """The parameters stored in ``prep`` (``(H, W)``), by name: the exact inverse of :func:`to_prep`."""
    flat = prep.reshape(-1)
    if flat.numel() < layout.n_params:
        raise ValueError(f"a PRep of {tuple(prep.shape)} holds fewer than the {layout.n_params} parameters")
    out, i = {}, 0
    for name, shape in zip(layout.names, layout.shapes):
        n = math.prod(shape)
        out[name] = flat[i: i + n].reshape(shape)
        i += n
    return out


def forward_with(model: nn.Module, prep: torch.Tensor, x: torch.Tensor, layout: Layout | None = None) -> torch.Tensor:
    """``model(x)`` with the parameters held in ``prep`` (differentiable in ``prep``)."""
    return functional_call(model, from_prep(prep, layout or Layout.of(model)), (x,))


__all__ = ["Layout", "bn_affine", "forward_with", "from_prep", "fuse_batchnorm", "fuse_conv_bn", "prep_shape", "to_prep"]
