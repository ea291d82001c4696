"""The networks of SketchyDepth (thesis §3.3, Fig. 3.2), after pix2pix (junyanz/pytorch-CycleGAN-and-pix2pix,
``models/networks.py``): the U-Net generator and the PatchGAN discriminator.

* :class:`UnetGenerator` -- ``num_downs`` stride-2 4x4 convolutions down to 1x1 and back with skip
  connections, batch norm, dropout 0.5 in the innermost ``ngf*8`` decoder blocks, tanh output. pix2pix's
  ``unet_128`` is ``num_downs=7, ngf=64`` (the thesis' 128 px setting); :func:`unet_for` sizes it to the
  image (``num_downs = log2(size)``) so a 64 px image gets a 6-level U-Net.
* :class:`PatchDiscriminator` -- the ``basic`` 3-layer 70x70 PatchGAN (``n_layers=3, ndf=64``); it sees the
  condition and the output concatenated on channels, and returns a map of logits.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


class _UnetBlock(nn.Module):
    """One level of the U-Net: down, the inner levels, up, then the skip concatenation (except outermost)."""

    def __init__(self, outer: int, inner: int, in_ch: int | None = None, sub: nn.Module | None = None,
                 outermost: bool = False, innermost: bool = False, dropout: bool = False, out_ch: int | None = None):
        super().__init__()
        self.outermost = outermost
        in_ch = outer if in_ch is None else in_ch
        down = nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)
        if outermost:
            up = nn.ConvTranspose2d(inner * 2, out_ch or outer, 4, 2, 1)
            layers = [down, sub, nn.ReLU(True), up, nn.Tanh()]
        elif innermost:
            up = nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False)
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), up, nn.BatchNorm2d(outer)]
        else:
            up = nn.ConvTranspose2d(inner * 2, outer, 4, 2, 1, bias=False)
            layers = [nn.LeakyReLU(0.2, True), down, nn.BatchNorm2d(inner), sub, nn.ReLU(True), up,
                      nn.BatchNorm2d(outer)] + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        y = self.model(x)
        return y if self.outermost else torch.cat([x, y], 1)


class UnetGenerator(nn.Module):
    """pix2pix U-Net: (N, in_ch, S, S) -> (N, out_ch, S, S) in [-1, 1], ``S = 2 ** num_downs``."""

    def __init__(self, in_ch: int, out_ch: int, num_downs: int = 7, ngf: int = 64, dropout: bool = True):
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be >= 5 (pix2pix's structure), got {num_downs}")
        self.num_downs = num_downs
        block = _UnetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = _UnetBlock(ngf * 8, ngf * 8, sub=block, dropout=dropout)
        block = _UnetBlock(ngf * 4, ngf * 8, sub=block)
        block = _UnetBlock(ngf * 2, ngf * 4, sub=block)
        block = _UnetBlock(ngf, ngf * 2, sub=block)
        self.model = _UnetBlock(ngf, ngf, in_ch=in_ch, sub=block, outermost=True, out_ch=out_ch)

    def forward(self, x):
        size = 2 ** self.num_downs
        if x.shape[-1] != size or x.shape[-2] != size:
            raise ValueError(f"UnetGenerator with {self.num_downs} levels takes {size}x{size} inputs, "
                             f"got {tuple(x.shape[-2:])}")
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: 4x4 convs (stride 2 for the first ``n_layers``), batch norm, LeakyReLU 0.2; one logit per patch."""

    def __init__(self, in_ch: int, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * mult),
                       nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False), nn.BatchNorm2d(ndf * mult),
                   nn.LeakyReLU(0.2, True), nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def init_weights(net: nn.Module, gain: float = 0.02) -> nn.Module:
    """pix2pix's ``normal`` init: conv weights N(0, 0.02), batch-norm weights N(1, 0.02), biases 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return net


def unet_for(image_size: int, in_ch: int, out_ch: int, ngf: int = 64) -> UnetGenerator:
    """A U-Net sized to ``image_size`` (a power of two >= 32): ``unet_128`` at 128 px."""
    levels = math.log2(image_size)
    if levels != int(levels) or image_size < 32:
        raise ValueError(f"image_size must be a power of two >= 32, got {image_size}")
    return UnetGenerator(in_ch, out_ch, num_downs=int(levels), ngf=ngf)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def enable_test_dropout(net: nn.Module) -> nn.Module:
    """Eval mode (batch norm uses running statistics) with dropout layers on: pix2pix's test-time noise
    (App. A.1.6 keeps dropout active at test time for diversity)."""
    net.eval()
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.train()
    return net


__all__ = ["PatchDiscriminator", "UnetGenerator", "count_parameters", "enable_test_dropout", "init_weights",
           "unet_for"]
