"""ImageNet-trained torchvision encoders: ResNet101 (IMAGENET1K_V1) and ViT-B/16 (IMAGENET1K_V1).

The baselines of thesis Table 4.6 ("CLIP and ImageNet pre-training comparison"). The architecture is
built with ``weights=None`` (no download) and the state dict is loaded from a local file found as in
:mod:`sbsr.encoders.weights` (torch hub cache included). Preprocessing: direct resize to 224 (bilinear,
torchvision's interpolation) and ImageNet mean/std; no 256-resize + centre crop, which would cut the
objects of our centred renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
import torchvision
from torch import nn

from .base import RANDOM_WEIGHTS_MISSING, Encoder
from .openclip import weights_id_of
from .preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from .taps import (resnet_taps, torchvision_resnet_embedding, torchvision_resnet_stage, torchvision_vit_block,
                   torchvision_vit_embedding, vit_taps)
from .weights import ResolvedWeights, WeightsFormatError, WeightsSpec, check_sha256_prefix, load_state_dict_file


@dataclass(frozen=True)
class TorchvisionArch:
    builder: str  # torchvision.models function name
    weights_enum: str  # e.g. "ResNet101_Weights.IMAGENET1K_V1"
    kind: str  # "resnet" | "vit"

    def weights_meta(self):
        enum_name, member = self.weights_enum.split(".")
        return getattr(getattr(torchvision.models, enum_name), member)


def torchvision_weights_spec(encoder: str, env_var: str, arch: TorchvisionArch) -> WeightsSpec:
    url = arch.weights_meta().url
    filename = Path(url).name  # e.g. resnet101-63fe2227.pth
    prefix = filename.rsplit("-", 1)[-1].split(".")[0]
    return WeightsSpec(encoder=encoder, env_var=env_var, upstream_filenames=(filename,), torch_hub_filename=filename,
                       url=url, sha256_prefix=prefix,
                       notes=(f"torchvision weights {arch.weights_enum} ({url}).",))


def build_architecture(arch: TorchvisionArch, seed: int = 0) -> nn.Module:
    """The architecture with a seeded random init (ResNets: zero-initialised residual branches, which
    keeps the untrained activations in a sane range; pretrained weights overwrite all of it)."""
    kwargs = {"zero_init_residual": True} if arch.kind == "resnet" else {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return getattr(torchvision.models, arch.builder)(weights=None, **kwargs)


def build_torchvision_encoder(name: str, arch: TorchvisionArch, weights: ResolvedWeights | None,
                              spec: WeightsSpec | None = None, device: str = "auto", seed: int = 0,
                              description: str = "") -> Encoder:
    model = build_architecture(arch, seed)
    if weights is not None:
        if spec is not None:
            check_sha256_prefix(weights.path, spec.sha256_prefix)
        state = load_state_dict_file(weights.path)
        result = model.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise WeightsFormatError(
                f"{weights.path}: not a torchvision {arch.builder} state dict: missing {result.missing_keys[:3]}, "
                f"unexpected {result.unexpected_keys[:3]}")
        source, wid = f"pretrained: {weights.describe()}", partial(weights_id_of, weights.path)
    else:
        source, wid = RANDOM_WEIGHTS_MISSING, f"random-init:{arch.builder}:seed{seed}"
    if arch.kind == "resnet":
        tap_fns, tap_shapes = resnet_taps(torchvision_resnet_stage, torchvision_resnet_embedding,
                                          (256, 512, 1024, 2048), model.fc.in_features)
    else:
        grid = model.image_size // model.patch_size
        tap_fns, tap_shapes = vit_taps(torchvision_vit_block, torchvision_vit_embedding, model.hidden_dim,
                                       len(model.encoder.layers), grid, model.hidden_dim)
    return Encoder(name=name, model=model, tap_fns=tap_fns, tap_shapes=tap_shapes,
                   preprocess=Preprocess(224, IMAGENET_MEAN, IMAGENET_STD, "bilinear"), weights_source=source,
                   weights_id=wid, device=device, description=description, channels_last=arch.kind == "resnet")
