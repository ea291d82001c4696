"""NetSpace (thesis §5.3, Fig. 5.1, App. C.1): an encoder from PReps to a fixed-size embedding, a decoder
back to PReps, and the ClassId head of the Multi-Architecture setting.

* :class:`Encoder`: convolutions along the width (kernel 1x3, stride 2) with LeakyReLU, a max over the
  width, convolutions along the height (kernel 3, stride 2), a max over the height: ``(B, E)`` for any
  PRep height and width.
* :class:`Decoder`: a linear map of the embedding to a small image, then blocks that raise the depth with a
  3x3 convolution and trade it for space (pixel shuffle, x2 per side), a last convolution to one channel,
  a crop to the PRep size and a learned per-entry scale and bias.
* :class:`ClassIdHead`: one convolution and one linear layer interleaved by LeakyReLU (App. C.1).

The paper's embedding has 4096 entries and PReps up to 10,000 wide; the sizes here are arguments (the
chapter states those it uses).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, embedding: int = 64, channels: tuple[int, ...] = (16, 32), height_channels: tuple[int, ...] = (64,)):
        super().__init__()
        w, c = [], 1
        for co in channels:
            w += [nn.Conv2d(c, co, (1, 3), (1, 2), (0, 1)), nn.LeakyReLU(0.2)]
            c = co
        self.width_convs = nn.Sequential(*w)
        h = []
        for co in (*height_channels, embedding):
            h += [nn.Conv1d(c, co, 3, 2, 1), nn.LeakyReLU(0.2)]
            c = co
        self.height_convs = nn.Sequential(*h[:-1])  # no activation on the embedding
        self.embedding = embedding

    def forward(self, prep: torch.Tensor) -> torch.Tensor:
        """``prep``: ``(B, H, W)`` -> ``(B, E)``."""
        if prep.ndim != 3:
            raise ValueError(f"expected PReps of shape (B, H, W), got {tuple(prep.shape)}")
        x = self.width_convs(prep[:, None]).amax(dim=3)  # (B, C, H)
        return self.height_convs(x).amax(dim=2)


class Decoder(nn.Module):
    def __init__(self, prep_shape: tuple[int, int], embedding: int = 64, channels: tuple[int, ...] = (32, 16, 8)):
        super().__init__()
        self.prep_shape = tuple(prep_shape)
        k = len(channels)
        self.h0, self.w0 = math.ceil(prep_shape[0] / 2 ** k), math.ceil(prep_shape[1] / 2 ** k)
        self.c0 = channels[0]
        self.fc = nn.Linear(embedding, self.c0 * self.h0 * self.w0)
        blocks, c = [], self.c0
        for co in (*channels[1:], channels[-1]):
            blocks += [nn.Conv2d(c, 4 * co, 3, 1, 1), nn.LeakyReLU(0.2), nn.PixelShuffle(2)]
            c = co
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(c, 1, 3, 1, 1)
        self.scale = nn.Parameter(torch.ones(prep_shape))
        self.bias = nn.Parameter(torch.zeros(prep_shape))

    @torch.no_grad()
    def init_affine(self, preps: torch.Tensor, scale: float = 0.5) -> None:
        """Start from the training PReps: bias = their mean, scale = ``scale`` x their std per entry."""
        self.bias.copy_(preps.mean(0))
        self.scale.copy_(preps.std(0).clamp_min(1e-4) * scale if len(preps) > 1 else torch.full_like(self.scale, 0.01))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        x = torch.nn.functional.leaky_relu(self.fc(e), 0.2).view(-1, self.c0, self.h0, self.w0)
        x = self.out(self.blocks(x))[:, 0, : self.prep_shape[0], : self.prep_shape[1]]
        return x * self.scale + self.bias


class ClassIdHead(nn.Module):
    def __init__(self, embedding: int, n_classes: int, channels: int = 4):
        super().__init__()
        self.conv = nn.Conv1d(1, channels, 3, 2, 1)
        self.fc = nn.Linear(channels * math.ceil(embedding / 2), n_classes)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.nn.functional.leaky_relu(self.conv(e[:, None]), 0.2).flatten(1))


class NetSpace(nn.Module):
    """Encoder, decoder and (with ``n_classes``) the ClassId head."""

    def __init__(self, prep_shape: tuple[int, int], embedding: int = 64, n_classes: int | None = None,
                 enc_channels=(16, 32), enc_height_channels=(64,), dec_channels=(32, 16, 8)):
        super().__init__()
        self.encoder = Encoder(embedding, enc_channels, enc_height_channels)
        self.decoder = Decoder(prep_shape, embedding, dec_channels)
        self.classid = ClassIdHead(embedding, n_classes) if n_classes else None

    def forward(self, prep):
        e = self.encoder(prep)
        return e, self.decoder(e)


__all__ = ["ClassIdHead", "Decoder", "Encoder", "NetSpace"]
