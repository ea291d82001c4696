"""CLIP image towers from open_clip (OpenAI weights): RN101, ViT-B/32, ViT-B/16.

Only the image tower is built (``open_clip.model._build_vision_tower`` from open_clip's own model
configs); the text tower is not needed for image features and would cost ~250 MB for RN101. A full
open_clip / OpenAI CLIP state dict is accepted (its ``visual.*`` keys are used), and so is an image-tower
state dict without the prefix. Loading is strict: a file with other keys is refused with their names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from sbsr.io import sha256_file

from .base import RANDOM_WEIGHTS_MISSING, Encoder
from .preprocess import CLIP_MEAN, CLIP_STD, Preprocess
from .taps import (openclip_embedding, openclip_resnet_stage, openclip_vit_block, resnet_taps, vit_taps)
from .weights import ResolvedWeights, WeightsFormatError, WeightsSpec, load_state_dict_file

HF_FILENAMES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


@dataclass(frozen=True)
class OpenClipArch:
    arch: str  # open_clip model config name
    kind: str  # "resnet" | "vit"


def clip_weights_spec(encoder: str, env_var: str, hf_repo: str) -> WeightsSpec:
    return WeightsSpec(encoder=encoder, env_var=env_var, hf_repo=hf_repo, hf_filenames=HF_FILENAMES,
                       notes=(f"these are open_clip's pretrained tag 'openai' weights (OpenAI CLIP), hosted as "
                              f"{hf_repo}; the file is an open_clip state dict with 'visual.*' keys.",))


def build_visual(arch: str, seed: int = 0) -> nn.Module:
    """The image tower of open_clip model ``arch`` with a seeded random init (global RNG untouched)."""
    import open_clip
    from open_clip.model import _build_vision_tower

    cfg = open_clip.get_model_config(arch)
    if cfg is None:
        raise KeyError(f"open_clip has no model config {arch!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        visual = _build_vision_tower(cfg["embed_dim"], cfg["vision_cfg"], quick_gelu=cfg.get("quick_gelu", False))
    return visual


def visual_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The image-tower part of a full CLIP state dict (keys ``visual.*``), or the dict itself."""
    if any(k.startswith("visual.") for k in state):
        return {k[len("visual."):]: v for k, v in state.items() if k.startswith("visual.")}
    return state


def load_visual_weights(visual: nn.Module, path) -> None:
    state = visual_state_dict(load_state_dict_file(path))
    expected = visual.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise WeightsFormatError(
            f"{path}: not an open_clip/OpenAI CLIP checkpoint for this architecture: "
            f"{len(missing)} missing keys (e.g. {missing[:3]}), {len(unexpected)} unexpected keys "
            f"(e.g. {unexpected[:3]}). Expected keys like 'visual.conv1.weight' (open_clip format, file "
            f"{HF_FILENAMES[0]}), not timm's model.safetensors.")
    bad = [k for k in expected if tuple(expected[k].shape) != tuple(state[k].shape)]
    if bad:
        raise WeightsFormatError(f"{path}: shape mismatch for {bad[:3]} (e.g. {tuple(state[bad[0]].shape)} vs "
                                 f"{tuple(expected[bad[0]].shape)}): wrong model size?")
    visual.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)


def weights_id_of(path) -> str:
    """Content id of a weights file; Hugging Face cache blobs are already named by their sha256."""
    from pathlib import Path

    real = Path(path).resolve()
    if re.fullmatch(r"[0-9a-f]{64}", real.name):
        return f"sha256:{real.name}"
    return f"sha256:{sha256_file(real)}"


def _taps_for(visual: nn.Module, kind: str, image_size: int = 224):
    if kind == "resnet":
        width = visual.layer1[0].conv1.in_channels  # ModifiedResNet "width" (64 for RN101)
        channels = tuple(width * 4 * 2 ** i for i in range(4))
        return resnet_taps(openclip_resnet_stage, openclip_embedding, channels, visual.output_dim, image_size)
    width = visual.conv1.out_channels
    return vit_taps(openclip_vit_block, openclip_embedding, width, len(visual.transformer.resblocks),
                    visual.grid_size[0], visual.output_dim)


def build_openclip_encoder(name: str, arch: OpenClipArch, weights: ResolvedWeights | None,
                           device: str = "auto", random_label: str = RANDOM_WEIGHTS_MISSING,
                           seed: int = 0, description: str = "") -> Encoder:
    """An :class:`Encoder` for open_clip architecture ``arch``; random (seeded) when ``weights`` is None."""
    visual = build_visual(arch.arch, seed=seed)
    if weights is not None:
        load_visual_weights(visual, weights.path)
        source, wid = f"pretrained: {weights.describe()}", partial(weights_id_of, weights.path)
    else:
        source, wid = random_label, f"random-init:{arch.arch}:seed{seed}"
    tap_fns, tap_shapes = _taps_for(visual, arch.kind)
    return Encoder(name=name, model=visual, tap_fns=tap_fns, tap_shapes=tap_shapes,
                   preprocess=Preprocess(224, CLIP_MEAN, CLIP_STD, "bicubic"), weights_source=source,
                   weights_id=wid, device=device, description=description,
                   channels_last=arch.kind == "resnet")
