"""Feature taps: where in each image tower the features are read.

The paper's "CLIP embedding" (thesis §4.2, Appendix B; supplement of the ECCV-W paper) is the output of
the *third residual stage* of CLIP's ResNet101 image encoder, ``layer3`` of open_clip's
``ModifiedResNet``: 1024 x 14 x 14 = 200,704 values for a 224 x 224 input. Only the stem and
``layer1..layer3`` run for this tap (``layer4`` and the attention pool are skipped).

Tap names (shapes for a 224 x 224 input):

* ResNets (open_clip ``ModifiedResNet``, torchvision ``resnet101``, ``minclip``): ``layer1`` ..
  ``layer4``, the outputs of the four residual stages (NCHW); ``layer3`` is the paper's tap.
* ViTs (open_clip ``VisionTransformer``, torchvision ``vit_b_16``): ``block1`` .. ``block12``, the
  residual stream after that transformer block (1-based) with the class token dropped and the patch
  tokens laid out as ``(768, g, g)`` with ``g = 224 / patch`` (7 for B/32, 14 for B/16). ``layer3`` is an
  alias of ``block8`` (two thirds of the depth, as the paper's ``layer3`` sits after the third of four
  stages): this is our choice, the paper does not name a ViT layer.
* ``embedding``: the final image embedding (CLIP: the projected image embedding ``encode_image``
  without normalisation; torchvision ResNet: the 2048-d average-pooled features before ``fc``;
  torchvision ViT: the 768-d class token after the final LayerNorm, before ``heads``).
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import torch
from torch import nn

TapFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]

VIT_LAYER3_BLOCK = 8


# --- open_clip ModifiedResNet (CLIP RN50/RN101) -----------------------------------------------------
def openclip_resnet_stage(visual: nn.Module, x: torch.Tensor, stage: int) -> torch.Tensor:
    """Output of residual stage ``stage`` (1..4) of open_clip's ``ModifiedResNet``."""
    x = visual.stem(x.to(visual.conv1.weight.dtype))
    for layer in (visual.layer1, visual.layer2, visual.layer3, visual.layer4)[:stage]:
        x = layer(x)
    return x


def openclip_embedding(visual: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return visual(x)


# --- open_clip VisionTransformer -------------------------------------------------------------------
def openclip_vit_block(visual: nn.Module, x: torch.Tensor, block: int) -> torch.Tensor:
    """Patch tokens after transformer block ``block`` (1-based), as ``(N, width, g, g)``."""
    n = x.shape[0]
    x = visual._embeds(x)
    transformer = visual.transformer
    if not getattr(transformer, "batch_first", True):
        x = x.transpose(0, 1)
    for blk in transformer.resblocks[:block]:
        x = blk(x)
    if not getattr(transformer, "batch_first", True):
        x = x.transpose(0, 1)
    tokens = x[:, 1:]  # drop the class token
    gh, gw = visual.grid_size
    return tokens.transpose(1, 2).reshape(n, tokens.shape[-1], gh, gw)


# --- torchvision ResNet -----------------------------------------------------------------------------
def torchvision_resnet_stage(model: nn.Module, x: torch.Tensor, stage: int) -> torch.Tensor:
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4)[:stage]:
        x = layer(x)
    return x


def torchvision_resnet_embedding(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.flatten(model.avgpool(torchvision_resnet_stage(model, x, 4)), 1)


# --- torchvision VisionTransformer ------------------------------------------------------------------
def _torchvision_vit_tokens(model: nn.Module, x: torch.Tensor, block: int | None) -> torch.Tensor:
    x = model._process_input(x)
    cls = model.class_token.expand(x.shape[0], -1, -1)
    x = torch.cat([cls, x], dim=1)
    enc = model.encoder
    x = enc.dropout(x + enc.pos_embedding)
    layers = enc.layers if block is None else enc.layers[:block]
    for layer in layers:
        x = layer(x)
    return enc.ln(x) if block is None else x


def torchvision_vit_block(model: nn.Module, x: torch.Tensor, block: int) -> torch.Tensor:
    n = x.shape[0]
    tokens = _torchvision_vit_tokens(model, x, block)[:, 1:]
    g = model.image_size // model.patch_size
    return tokens.transpose(1, 2).reshape(n, tokens.shape[-1], g, g)


def torchvision_vit_embedding(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return _torchvision_vit_tokens(model, x, None)[:, 0]


# --- tables of taps ---------------------------------------------------------------------------------
def resnet_taps(stage_fn, embedding_fn, channels: tuple[int, int, int, int], embed_dim: int,
                image_size: int = 224, stage_strides: tuple[int, int, int, int] = (4, 8, 16, 32)):
    """Tap functions and output shapes for a four-stage ResNet."""
    fns: dict[str, TapFn] = {f"layer{i}": partial(stage_fn, stage=i) for i in range(1, 5)}
    shapes = {f"layer{i}": (channels[i - 1], image_size // stage_strides[i - 1], image_size // stage_strides[i - 1])
              for i in range(1, 5)}
    fns["embedding"] = embedding_fn
    shapes["embedding"] = (embed_dim,)
    return fns, shapes


def vit_taps(block_fn, embedding_fn, width: int, n_blocks: int, grid: int, embed_dim: int,
             layer3_block: int = VIT_LAYER3_BLOCK):
    """Tap functions and output shapes for a ViT: ``block1..blockN``, ``layer3`` (alias), ``embedding``."""
    fns: dict[str, TapFn] = {f"block{i}": partial(block_fn, block=i) for i in range(1, n_blocks + 1)}
    shapes = {f"block{i}": (width, grid, grid) for i in range(1, n_blocks + 1)}
    fns["layer3"] = fns[f"block{layer3_block}"]
    shapes["layer3"] = shapes[f"block{layer3_block}"]
    fns["embedding"] = embedding_fn
    shapes["embedding"] = (embed_dim,)
    return fns, shapes
