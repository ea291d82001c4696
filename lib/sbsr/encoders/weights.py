"""Finding pretrained weights on this machine, offline by default.

For every pretrained encoder the search order is (first hit wins, nothing touches the network):

1. the encoder's own environment variable (e.g. ``SBSR_CLIP_RN101=/path/to/file``); when it is set the
   file must exist, otherwise the error names it (no silent fallback);
2. the folder ``SBSR_WEIGHTS_DIR`` (default: ``data/weights`` of the project, or of ``SBSR_DATA_DIR``) with one of the accepted
   file names (``<encoder-name>.safetensors`` or the upstream file name);
3. the Hugging Face hub cache (``HF_HOME`` / ``HF_HUB_CACHE``; open_clip's hub ids) for open_clip models;
4. the torch hub cache (``$TORCH_HOME/hub/checkpoints/<upstream file name>``) for torchvision models.

A download is attempted only with ``allow_download=True`` or ``SBSR_ALLOW_DOWNLOAD=1``. Checkpoints are
read with :mod:`safetensors` or ``torch.load(weights_only=True)``; TorchScript archives (OpenAI's original
``RN101.pt``) cannot be opened that way and are refused with a hint.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from sbsr.io import sha256_file

ALLOW_DOWNLOAD_ENV = "SBSR_ALLOW_DOWNLOAD"
WEIGHTS_DIR_ENV = "SBSR_WEIGHTS_DIR"
CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are not on this machine; the message says how to obtain them and where to put them."""


class WeightsFormatError(ValueError):
    """A weights file exists but cannot be used (wrong format, wrong keys, hash mismatch)."""


@dataclass(frozen=True)
class WeightsSpec:
    """Where the weights of one encoder may be found and how to get them."""

    encoder: str
    env_var: str
    upstream_filenames: tuple[str, ...] = ()  # accepted in SBSR_WEIGHTS_DIR besides <encoder>.<suffix>
    hf_repo: str | None = None  # open_clip's Hugging Face id, e.g. "timm/resnet101_clip.openai"
    hf_filenames: tuple[str, ...] = ()
    torch_hub_filename: str | None = None  # torchvision: file name in $TORCH_HOME/hub/checkpoints
    url: str | None = None  # torchvision download URL
    sha256_prefix: str | None = None  # torchvision file names carry the first hex digits of the sha256
    notes: tuple[str, ...] = field(default_factory=tuple)

    def accepted_names(self) -> list[str]:
        return [f"{self.encoder}{s}" for s in CHECKPOINT_SUFFIXES] + list(self.upstream_filenames)


@dataclass(frozen=True)
class ResolvedWeights:
    path: Path
    origin: str  # human-readable: "env SBSR_CLIP_RN101", "SBSR_WEIGHTS_DIR", "Hugging Face cache", ...

    def describe(self) -> str:
        return f"{self.path} ({self.origin})"


def download_allowed(allow_download: bool | None = None) -> bool:
    """``allow_download`` if given, else the environment variable ``SBSR_ALLOW_DOWNLOAD`` (1/true/yes)."""
    if allow_download is not None:
        return bool(allow_download)
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def weights_dir() -> Path | None:
    """``SBSR_WEIGHTS_DIR``, else ``$SBSR_DATA_DIR/weights``, else ``<project root>/data/weights``."""
    env = os.environ.get(WEIGHTS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    data = os.environ.get("SBSR_DATA_DIR")
    if data:
        return Path(data).expanduser() / "weights"
    try:
        from sbsr.config import find_project_root

        return find_project_root() / "data" / "weights"
    except Exception:  # no project checkout around: only env vars and caches count
        return None


def torch_hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def _hf_cached(repo: str, filename: str) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with open_clip
        return None
    hit = try_to_load_from_cache(repo_id=repo, filename=filename)
    return Path(hit) if isinstance(hit, str) and Path(hit).is_file() else None


def locate_weights(spec: WeightsSpec) -> ResolvedWeights | None:
    """The first weights file found for ``spec`` (see the module docstring), or ``None``. Offline."""
    env = os.environ.get(spec.env_var)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise WeightsNotFoundError(
                f"{spec.env_var}={env} is set but {path} is not a file. "
                + missing_weights_message(spec, short=True))
        return ResolvedWeights(path.resolve(), f"env {spec.env_var}")
    wdir = weights_dir()
    if wdir is not None and wdir.is_dir():
        for name in spec.accepted_names():
            if (wdir / name).is_file():
                return ResolvedWeights((wdir / name).resolve(), f"{WEIGHTS_DIR_ENV} {wdir}")
    if spec.hf_repo:
        for name in spec.hf_filenames:
            hit = _hf_cached(spec.hf_repo, name)
            if hit is not None:
                return ResolvedWeights(hit, f"Hugging Face cache {spec.hf_repo}")
    if spec.torch_hub_filename:
        hit = torch_hub_checkpoint_dir() / spec.torch_hub_filename
        if hit.is_file():
            return ResolvedWeights(hit.resolve(), "torch hub cache")
    return None


def missing_weights_message(spec: WeightsSpec, short: bool = False) -> str:
    """Exactly which files are accepted, where, and how to obtain them."""
    wdir = weights_dir()
    wdir_text = str(wdir) if wdir is not None else f"${WEIGHTS_DIR_ENV}"
    lines = [f"Pretrained weights for encoder '{spec.encoder}' were not found on this machine."]
    if short:
        lines.append(f"Run `python -m sbsr.encoders where {spec.encoder}` for the accepted files and how to get them.")
        return " ".join(lines)
    lines.append("Any one of these is accepted (searched in this order):")
    lines.append(f"  1. a file named by the environment variable {spec.env_var}=/path/to/file")
    lines.append(f"  2. in the folder {wdir_text} (set {WEIGHTS_DIR_ENV} to change it), one of: "
                 + ", ".join(spec.accepted_names()))
    step = 3
    if spec.hf_repo:
        from huggingface_hub import constants

        lines.append(f"  {step}. the Hugging Face hub cache ({constants.HF_HUB_CACHE}) holding "
                     f"{' or '.join(spec.hf_filenames)} of the repository {spec.hf_repo}")
        step += 1
    if spec.torch_hub_filename:
        lines.append(f"  {step}. the torch hub cache: {torch_hub_checkpoint_dir() / spec.torch_hub_filename}")
    lines.append("How to obtain them:")
    if spec.hf_repo:
        lines.append(f"  - on a machine with internet access: `SBSR_ALLOW_DOWNLOAD=1 python -m sbsr.encoders download "
                     f"{spec.encoder}` (fills the Hugging Face cache), or")
        lines.append(f"    `hf download {spec.hf_repo} {spec.hf_filenames[0]}` (also fills that cache), or fetch "
                     f"https://huggingface.co/{spec.hf_repo}/resolve/main/{spec.hf_filenames[0]} and save it as "
                     f"{wdir_text}/{spec.encoder}.safetensors")
    if spec.url:
        lines.append(f"  - `SBSR_ALLOW_DOWNLOAD=1 python -m sbsr.encoders download {spec.encoder}`, or download "
                     f"{spec.url} and save it as {torch_hub_checkpoint_dir() / spec.torch_hub_filename} "
                     f"or {wdir_text}/{spec.torch_hub_filename}")
    lines.append("Checkpoints are read with safetensors or torch.load(weights_only=True): a plain state dict "
                 "(.safetensors/.pt/.pth/.bin); TorchScript archives such as OpenAI's RN101.pt are not accepted.")
    lines.extend(f"Note: {n}" for n in spec.notes)
    lines.append("To run without these weights (clearly labelled 'random (weights missing)'), pass "
                 "allow_random=True to get_encoder.")
    return "\n".join(lines)


def download_weights(spec: WeightsSpec) -> ResolvedWeights:
    """Fetch the weights (network!). Call only when :func:`download_allowed` says so."""
    if spec.hf_repo:
        from huggingface_hub import hf_hub_download

        last: Exception | None = None
        for name in spec.hf_filenames:
            try:
                return ResolvedWeights(Path(hf_hub_download(repo_id=spec.hf_repo, filename=name)),
                                       f"downloaded from Hugging Face {spec.hf_repo}")
            except Exception as exc:  # try the next accepted file name
                last = exc
        raise WeightsNotFoundError(f"download of {spec.hf_repo} failed: {last}\n" + missing_weights_message(spec))
    if spec.url and spec.torch_hub_filename:
        target = torch_hub_checkpoint_dir() / spec.torch_hub_filename
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(spec.url, str(target), hash_prefix=spec.sha256_prefix, progress=True)
        return ResolvedWeights(target, "downloaded to the torch hub cache")
    raise WeightsNotFoundError(missing_weights_message(spec))


def load_state_dict_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from ``.safetensors`` or a pickle read with ``weights_only=True``.

    Unwraps ``{"state_dict": ...}`` / ``{"model": ...}`` containers and a ``module.`` prefix.
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            state = load_file(str(path), device="cpu")
        except Exception as exc:
            raise WeightsFormatError(f"{path}: not a readable safetensors file ({exc})") from exc
    else:
        try:
            with warnings.catch_warnings():  # torch's "looks like a TorchScript archive" note: we refuse those
                warnings.filterwarnings("ignore", message=".*TorchScript archive.*")
                state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise WeightsFormatError(
                f"{path}: cannot be read with torch.load(weights_only=True) ({type(exc).__name__}: {exc}). "
                "Accepted are plain state dicts (.pt/.pth/.bin) or .safetensors; TorchScript archives "
                "(e.g. OpenAI's RN101.pt) are refused.") from exc
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsFormatError(f"{path}: expected a mapping of parameter names to tensors")
    if all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def check_sha256_prefix(path: Path, prefix: str | None) -> None:
    """torchvision file names carry a sha256 prefix; refuse a file whose content does not match it."""
    if prefix and path.name.endswith(f"-{prefix}{path.suffix}"):
        digest = sha256_file(path)
        if not digest.startswith(prefix):
            raise WeightsFormatError(f"{path}: sha256 {digest[:12]}... does not start with {prefix} "
                                     "(corrupt or truncated download; delete it and fetch it again)")
