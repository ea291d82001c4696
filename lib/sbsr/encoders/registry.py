"""The encoder registry: the names that appear in every results table.

=========================  =====================================================  ====================
name                       model and weights                                       ``layer3`` tap
=========================  =====================================================  ====================
``clip-RN101-openai``      CLIP ResNet101, OpenAI weights (open_clip tag openai)  (1024, 14, 14)
``clip-ViT-B-32-openai``   CLIP ViT-B/32, OpenAI weights                          block 8: (768, 7, 7)
``clip-ViT-B-16-openai``   CLIP ViT-B/16, OpenAI weights                          block 8: (768, 14, 14)
``imagenet-resnet101``     torchvision ResNet101 IMAGENET1K_V1                     (1024, 14, 14)
``imagenet-vit-b-16``      torchvision ViT-B/16 IMAGENET1K_V1                      block 8: (768, 14, 14)
``random-RN101``           CLIP ResNet101 architecture, untrained (seed 0)         (1024, 14, 14)
``minclip-procedural-v1``  :mod:`sbsr.encoders.minclip`, trained offline here      (128, 14, 14)
=========================  =====================================================  ====================

Pretrained weights are searched offline (:mod:`sbsr.encoders.weights`); a download happens only with
``allow_download=True`` or ``SBSR_ALLOW_DOWNLOAD=1``. Without weights :func:`get_encoder` raises
:class:`~sbsr.encoders.weights.WeightsNotFoundError` saying how to get them, unless
``allow_random=True``: then the architecture is returned with seeded random weights and
``weights_source == "random (weights missing)"`` so that tables can label the row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pandas as pd

from .base import RANDOM_WEIGHTS_MISSING, Encoder, EncoderInfo
from .openclip import OpenClipArch, build_openclip_encoder, clip_weights_spec
from .torchvision_models import TorchvisionArch, build_torchvision_encoder, torchvision_weights_spec
from .weights import (ResolvedWeights, WeightsNotFoundError, WeightsSpec, download_allowed, download_weights,
                      locate_weights, missing_weights_message, weights_dir)

MINCLIP_NAME = "minclip-procedural-v1"
MINCLIP_ENV = "SBSR_MINCLIP"


@dataclass(frozen=True)
class EncoderSpec:
    name: str
    family: str  # "open_clip" | "torchvision" | "random" | "minclip"
    description: str
    weights: WeightsSpec | None  # None: needs no external weights
    build: Callable[[ResolvedWeights | None, str], Encoder]  # (weights or None for random, device)


def _clip(name: str, arch: str, kind: str, env_var: str, hf_repo: str, description: str) -> EncoderSpec:
    a = OpenClipArch(arch, kind)
    return EncoderSpec(name, "open_clip", description, clip_weights_spec(name, env_var, hf_repo),
                       lambda w, device: build_openclip_encoder(name, a, w, device, description=description))


def _tv(name: str, builder: str, weights_enum: str, kind: str, env_var: str, description: str) -> EncoderSpec:
    a = TorchvisionArch(builder, weights_enum, kind)
    spec = torchvision_weights_spec(name, env_var, a)
    return EncoderSpec(name, "torchvision", description, spec,
                       lambda w, device: build_torchvision_encoder(name, a, w, spec, device, description=description))


# --- minclip -------------------------------------------------------------------------------------------
def minclip_checkpoint_path() -> Path:
    """``SBSR_MINCLIP`` if set, else the checkpoint shipped in the package (``weights/``)."""
    from .minclip import PACKAGE_WEIGHTS_DIR

    env = os.environ.get(MINCLIP_ENV)
    return Path(env).expanduser() if env else PACKAGE_WEIGHTS_DIR / f"{MINCLIP_NAME}.safetensors"


def minclip_missing_message() -> str:
    path = minclip_checkpoint_path()
    return (f"The minclip checkpoint {path} (and its .json sidecar) was not found. It is trained offline on "
            f"procedural renders with sbsr.encoders.minclip.train_minclip and saved with save_minclip; the "
            f"shipped one lives in lib/sbsr/encoders/weights/{MINCLIP_NAME}.safetensors. Set {MINCLIP_ENV}="
            f"/path/to/checkpoint.safetensors to use another one. Pass allow_random=True to get_encoder to run "
            f"the untrained architecture (labelled 'random (weights missing)').")


def build_minclip_encoder(path: Path | None, device: str = "auto", name: str = MINCLIP_NAME) -> Encoder:
    """An :class:`Encoder` over minclip's image tower: taps ``layer1..layer4`` and ``embedding``."""
    from .minclip import build_minclip, load_minclip
    from .taps import resnet_taps

    if path is not None:
        model, meta = load_minclip(path)
        source, wid = f"pretrained: {path} (sha256 {meta['sha256'][:12]})", f"sha256:{meta['sha256']}"
    else:
        model, source, wid = build_minclip(seed=0), RANDOM_WEIGHTS_MISSING, "random-init:minclip:seed0"
    cfg = model.config
    visual = model.visual
    tap_fns, tap_shapes = resnet_taps(lambda m, x, stage: m.forward_stage(x, stage), lambda m, x: m(x),
                                      cfg.widths, cfg.embed_dim, cfg.image_size)
    enc = Encoder(name=name, model=visual, tap_fns=tap_fns, tap_shapes=tap_shapes, preprocess=cfg.preprocess(),
                  weights_source=source, weights_id=wid, device=device,
                  description="small CLIP-style dual encoder trained on procedural renders", channels_last=True)
    enc.clip_model = model  # the full dual encoder (text tower included), for zero-shot experiments
    return enc


# --- the registry ----------------------------------------------------------------------------------------
REGISTRY: dict[str, EncoderSpec] = {
    s.name: s
    for s in (
        _clip("clip-RN101-openai", "RN101-quickgelu", "resnet", "SBSR_CLIP_RN101", "timm/resnet101_clip.openai",
              "CLIP ResNet101 image encoder, OpenAI weights (the paper's encoder)"),
        _clip("clip-ViT-B-32-openai", "ViT-B-32-quickgelu", "vit", "SBSR_CLIP_VIT_B_32",
              "timm/vit_base_patch32_clip_224.openai", "CLIP ViT-B/32 image encoder, OpenAI weights"),
        _clip("clip-ViT-B-16-openai", "ViT-B-16-quickgelu", "vit", "SBSR_CLIP_VIT_B_16",
              "timm/vit_base_patch16_clip_224.openai", "CLIP ViT-B/16 image encoder, OpenAI weights"),
        _tv("imagenet-resnet101", "resnet101", "ResNet101_Weights.IMAGENET1K_V1", "resnet", "SBSR_IMAGENET_RESNET101",
            "torchvision ResNet101, ImageNet-1k weights (IMAGENET1K_V1)"),
        _tv("imagenet-vit-b-16", "vit_b_16", "ViT_B_16_Weights.IMAGENET1K_V1", "vit", "SBSR_IMAGENET_VIT_B_16",
            "torchvision ViT-B/16, ImageNet-1k weights (IMAGENET1K_V1)"),
        EncoderSpec("random-RN101", "random", "CLIP ResNet101 architecture, untrained (seeded init, seed 0): a control",
                    None, lambda w, device: build_openclip_encoder(
                        "random-RN101", OpenClipArch("RN101-quickgelu", "resnet"), None, device,
                        random_label="random init (seed 0)", seed=0,
                        description="CLIP ResNet101 architecture, untrained (control)")),
        EncoderSpec(MINCLIP_NAME, "minclip", "small CLIP-style dual encoder trained offline on procedural renders",
                    None, lambda w, device: build_minclip_encoder(w.path if w else None, device)),
    )
}

ENCODER_NAMES: tuple[str, ...] = tuple(REGISTRY)


def _spec(name: str) -> EncoderSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown encoder {name!r}; known encoders: {', '.join(REGISTRY)}") from None


def encoder_availability(name: str) -> EncoderInfo:
    """Whether ``name`` can be built here with its real weights, and why (not). Loads nothing."""
    spec = _spec(name)
    if spec.family == "random":
        return EncoderInfo(name, spec.family, True, "no weights needed (seeded random init)", spec.description)
    if spec.family == "minclip":
        path = minclip_checkpoint_path()
        if path.is_file() and path.with_suffix(".json").is_file():
            return EncoderInfo(name, spec.family, True, f"checkpoint {path}", spec.description)
        return EncoderInfo(name, spec.family, False,
                           f"checkpoint not found: {path} (train it with train_minclip, or set {MINCLIP_ENV})",
                           spec.description)
    assert spec.weights is not None
    try:
        found = locate_weights(spec.weights)
    except WeightsNotFoundError as exc:
        return EncoderInfo(name, spec.family, False, str(exc).split("\n")[0], spec.description)
    if found is not None:
        return EncoderInfo(name, spec.family, True, f"weights {found.describe()}", spec.description)
    wdir = weights_dir()
    where = f"{wdir}/{name}.safetensors" if wdir is not None else f"$SBSR_WEIGHTS_DIR/{name}.safetensors"
    extra = "; or SBSR_ALLOW_DOWNLOAD=1 to fetch it" if download_allowed() else ""
    return EncoderInfo(name, spec.family, False,
                       f"weights missing: set {spec.weights.env_var}=/path/to/weights or put {where}{extra} "
                       f"(`python -m sbsr.encoders where {name}` for details)", spec.description)


def list_encoders() -> list[EncoderInfo]:
    """Every registered encoder with ``available`` and the reason (see ``python -m sbsr.encoders list``)."""
    return [encoder_availability(name) for name in REGISTRY]


def weights_instructions(name: str) -> str:
    """The full text on where the weights of ``name`` are looked for and how to get them."""
    spec = _spec(name)
    if spec.family == "random":
        return f"{name}: needs no weights."
    if spec.family == "minclip":
        return minclip_missing_message()
    assert spec.weights is not None
    return missing_weights_message(spec.weights)


def get_encoder(name: str, device: str = "auto", allow_random: bool = False,
                allow_download: bool | None = None) -> Encoder:
    """Build encoder ``name`` on ``device`` (``auto`` | ``cpu`` | ``cuda``).

    Missing weights raise :class:`WeightsNotFoundError` (the message says how to obtain them), unless
    ``allow_random``: then the architecture comes with seeded random weights and
    ``weights_source == "random (weights missing)"``. Downloads only with ``allow_download=True`` or
    ``SBSR_ALLOW_DOWNLOAD=1``.
    """
    spec = _spec(name)
    if spec.family == "random":
        return spec.build(None, device)
    if spec.family == "minclip":
        path = minclip_checkpoint_path()
        if path.is_file():
            return spec.build(ResolvedWeights(path, "minclip checkpoint"), device)
        if allow_random:
            return spec.build(None, device)
        raise WeightsNotFoundError(minclip_missing_message())
    assert spec.weights is not None
    found = locate_weights(spec.weights)
    if found is None and download_allowed(allow_download):
        found = download_weights(spec.weights)
    if found is None:
        if allow_random:
            return spec.build(None, device)
        raise WeightsNotFoundError(missing_weights_message(spec.weights))
    return spec.build(found, device)


@dataclass
class EncoderChoice:
    """An encoder a chapter asked for: built when available here, else ``None`` with the reason."""

    name: str
    encoder: object | None
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.encoder is not None


def load_encoders(names: Sequence[str], device: str = "auto") -> list[EncoderChoice]:
    """Build every named encoder that is available here; unavailable ones carry the reason (no random
    stand-ins: a table row is only labelled with an encoder that really produced it)."""
    info = {i.name: i for i in list_encoders()}
    out = []
    for name in names:
        if name not in info:
            raise ValueError(f"unknown encoder {name!r}; known: {', '.join(info)}")
        if not info[name].available:
            out.append(EncoderChoice(name, None, info[name].reason))
            continue
        out.append(EncoderChoice(name, get_encoder(name, device=device)))
    return out


def encoder_table(choices: Iterable[EncoderChoice]) -> pd.DataFrame:
    """One row per choice: the encoder, whether it is used here and why not."""
    return pd.DataFrame([{"encoder": c.name, "used": c.available, "why not": c.reason} for c in choices])
