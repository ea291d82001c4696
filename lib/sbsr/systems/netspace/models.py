"""The networks NetSpace embeds (thesis App. C.3, Fig. C.3/C.4): LeNetLike, VanillaCNN, ResNet8/32/56 for
image classification, and the SIREN MLP of the SDF experiment (App. C.5).

Every classifier is built with ``bn=True`` (convolutions without bias followed by batch norm, as trained)
or ``bn=False`` (plain convolutions with bias, no batch norm: the fused form a PRep holds, App. C.6). Both
have the same module names, so :func:`sbsr.systems.netspace.prep.fuse_batchnorm` maps one onto the other.

The ResNets are the CIFAR ResNets of He et al. (three stages of ``n`` basic blocks, 16/32/64 channels, a
1x1 convolution with batch norm on the shortcut when the shape changes, average pooling with kernel 8,
stride 8, then one linear layer). With 10 classes at 32 px they have exactly the printed counts of
Table C.1 (78,042 / 466,906 / 855,770); at 64 px with 200 classes the pooling leaves 2x2 cells, and the
counts match the printed Tiny-ImageNet ones too. LeNetLike is LeNet-5 on RGB (62,006 at 32 px, the printed
count). Fig. C.3 (VanillaCNN's layers) is an image the text of the thesis does not carry: VanillaCNN here is
a plain three-convolution network of about the printed size, and its count differs from the printed one.
``width`` multiplies every channel count (1 = the paper; the quick profile uses narrower networks).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

ARCHITECTURES = ("LeNetLike", "VanillaCNN", "ResNet8", "ResNet32", "ResNet56")
#: ClassId of each architecture NetSpace embeds in the Multi-Architecture setting (Table C.1)
CLASS_IDS = {"LeNetLike": 0, "VanillaCNN": 1, "ResNet8": 2, "ResNet32": 3}
RESNET_BLOCKS = {"ResNet8": 1, "ResNet32": 5, "ResNet56": 9}


class ConvBN(nn.Module):
    """A convolution followed by batch norm (``bn=True``) or a convolution with bias (``bn=False``)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, padding: int = 0, bn: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding, bias=not bn)
        self.bn = nn.BatchNorm2d(cout) if bn else nn.Identity()

    def forward(self, x):
        return self.bn(self.conv(x))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, bn: bool):
        super().__init__()
        self.c1 = ConvBN(cin, cout, 3, stride, 1, bn)
        self.c2 = ConvBN(cout, cout, 3, 1, 1, bn)
        self.shortcut = ConvBN(cin, cout, 1, stride, 0, bn) if (stride != 1 or cin != cout) else nn.Identity()

    def forward(self, x):
        return torch.relu(self.c2(torch.relu(self.c1(x))) + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR ResNet with ``n`` basic blocks per stage (6n + 2 layers)."""

    def __init__(self, n: int, n_classes: int = 10, image_size: int = 32, width: float = 1.0, bn: bool = True,
                 in_channels: int = 3):
        super().__init__()
        c = [max(1, int(round(16 * width))), max(1, int(round(32 * width))), max(1, int(round(64 * width)))]
        self.stem = ConvBN(in_channels, c[0], 3, 1, 1, bn)
        layers, cin = [], c[0]
        for stage, cout in enumerate(c):
            for b in range(n):
                layers.append(BasicBlock(cin, cout, 2 if (stage > 0 and b == 0) else 1, bn))
                cin = cout
        self.layers = nn.Sequential(*layers)
        k = min(8, image_size // 4)  # 8 as printed; smaller inputs (the quick profile) pool their whole map
        self.pool = nn.AvgPool2d(k, k)
        cells = max(1, (image_size // 4) // k)
        self.fc = nn.Linear(c[2] * cells * cells, n_classes)

    def forward(self, x):
        x = self.pool(self.layers(torch.relu(self.stem(x))))
        return self.fc(torch.flatten(x, 1))


class LeNetLike(nn.Module):
    """LeNet-5 on RGB: conv 5x5 (6), max-pool, conv 5x5 (16), max-pool, FC 120, FC 84, FC classes.
    Larger inputs are average-pooled to the 5x5 cells LeNet expects at 32 px."""

    def __init__(self, n_classes: int = 10, image_size: int = 32, width: float = 1.0, bn: bool = True,
                 in_channels: int = 3):
        super().__init__()
        c1, c2 = max(1, int(round(6 * width))), max(1, int(round(16 * width)))
        h1, h2 = max(1, int(round(120 * width))), max(1, int(round(84 * width)))
        self.c1 = ConvBN(in_channels, c1, 5, bn=False)
        self.c2 = ConvBN(c1, c2, 5, bn=False)
        self.pool = nn.AdaptiveAvgPool2d(5) if image_size != 32 else nn.Identity()
        self.fc1, self.fc2, self.fc3 = nn.Linear(c2 * 25, h1), nn.Linear(h1, h2), nn.Linear(h2, n_classes)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
        x = self.pool(torch.max_pool2d(torch.relu(self.c2(x)), 2))
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc3(torch.relu(self.fc2(x)))


class VanillaCNN(nn.Module):
    """Three 3x3 convolutions (32, 64, 64) with max-pooling, global average pooling, FC 128, FC classes."""

    def __init__(self, n_classes: int = 10, image_size: int = 32, width: float = 1.0, bn: bool = True,
                 in_channels: int = 3):
        super().__init__()
        c = [max(1, int(round(k * width))) for k in (32, 64, 64, 128)]
        self.c1 = ConvBN(in_channels, c[0], 3, 1, 1, bn=False)
        self.c2 = ConvBN(c[0], c[1], 3, 1, 1, bn=False)
        self.c3 = ConvBN(c[1], c[2], 3, 1, 1, bn=False)
        self.fc1, self.fc2 = nn.Linear(c[2], c[3]), nn.Linear(c[3], n_classes)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.c2(x)), 2)
        x = torch.relu(self.c3(x)).mean(dim=(2, 3))
        return self.fc2(torch.relu(self.fc1(x)))


class Siren(nn.Module):
    """SIREN MLP of App. C.5: 3 -> hidden (sin(30 x)) -> hidden (sin) -> 1, Sitzmann et al.'s initialisation."""

    def __init__(self, hidden: int = 256, omega: float = 30.0):
        super().__init__()
        self.omega = omega
        self.l1, self.l2, self.l3 = nn.Linear(3, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)
        with torch.no_grad():
            self.l1.weight.uniform_(-1 / 3, 1 / 3)
            for lin in (self.l2, self.l3):
                bound = (6 / hidden) ** 0.5 / omega
                lin.weight.uniform_(-bound, bound)

    def forward(self, x):
        x = torch.sin(self.omega * self.l1(x))
        x = torch.sin(self.omega * self.l2(x))
        return self.l3(x).squeeze(-1)


def build(name: str, n_classes: int = 10, image_size: int = 32, width: float = 1.0, bn: bool = True,
          in_channels: int = 3) -> nn.Module:
    """The classifier ``name`` (one of :data:`ARCHITECTURES`)."""
    if name in RESNET_BLOCKS:
        return ResNet(RESNET_BLOCKS[name], n_classes, image_size, width, bn, in_channels)
    if name == "LeNetLike":
        return LeNetLike(n_classes, image_size, width, bn, in_channels)
    if name == "VanillaCNN":
        return VanillaCNN(n_classes, image_size, width, bn, in_channels)
    raise KeyError(f"unknown architecture {name!r} (known: {', '.join(ARCHITECTURES)})")


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (batch-norm running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass(frozen=True)
class Spec:
    """How a population's networks are built: architecture, task size, width."""

    arch: str
    n_classes: int
    image_size: int
    width: float = 1.0
    in_channels: int = 3

    def make(self, bn: bool = True) -> nn.Module:
        return build(self.arch, self.n_classes, self.image_size, self.width, bn, self.in_channels)


__all__ = ["ARCHITECTURES", "CLASS_IDS", "ConvBN", "LeNetLike", "ResNet", "Siren", "Spec", "VanillaCNN", "build",
           "count_parameters"]
