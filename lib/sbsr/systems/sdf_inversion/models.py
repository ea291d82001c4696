"""A style-based SDF generator sized for a CPU, in the spirit of SDF-StyleGAN (thesis §4.3.2.1).

``z`` (Gaussian) -> mapping MLP -> ``w`` -> one affine map per style layer -> style vectors ``s_l``
(the level the thesis inverts) -> modulated 3D convolutions grow a learned constant ``4^3`` volume into a
feature volume ``(F, R, R, R)`` -> for a point ``x`` in ``[-bound, bound]^3``: the trilinear look-up
``Phi(x)`` (:func:`sbsr.render.sdf.grid_lookup`) -> a small MLP -> ``SDF(x)``, squashed into
``[-truncation, truncation]`` by ``truncation * tanh`` (the training targets are clamped there).

Differences from SDF-StyleGAN (reference code Zhengxinyang/SDF-StyleGAN): far smaller (feature volume
16^3 x 16 instead of 32^3 x 32, three modulated convolutions (4^3, 8^3, 16^3) and a 1x1x1 one, a mapping
of 4 layers instead of 8, an MLP of 2 hidden layers of 32 instead
of 4 of 128), no per-layer noise (the reference redraws noise at each forward, which makes inversion
non-deterministic), no equalised learning rate. How it is trained is in :mod:`.train`.

Shapes: a style list holds one ``(B, c_l)`` tensor per layer (:meth:`SDFGenerator.style_dims`); SDF grids
are ``(B, R, R, R)`` indexed ``[i, j, k]`` at the lattice point ``(x_i, y_j, z_k)`` of
:func:`sbsr.render.sdf.lattice_points`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from sbsr.io import atomic_path, atomic_write_json, sha256_file
from sbsr.render.sdf import grid_lookup, lattice_points

FORMAT = "sbsr-sdf-generator-v1"
PACKAGE_WEIGHTS_DIR = Path(__file__).with_name("weights")
SHIPPED_NAME = "sdf-generator-chairs-v1"


@dataclass(frozen=True)
class GeneratorConfig:
    z_dim: int = 64
    w_dim: int = 64
    mapping_layers: int = 4
    const_channels: int = 48
    channels: tuple[int, ...] = (48, 32, 16)          # output channels of each modulated 3x3x3 conv
    upsample: tuple[bool, ...] = (False, True, True)  # x2 nearest-neighbour upsampling before the conv
    feature_channels: int = 16                        # the feature volume's channels (1x1x1 modulated conv)
    mlp_hidden: int = 32
    mlp_layers: int = 2
    bound: float = 0.52                               # half side of the cube the generator covers
    truncation: float = 0.1                           # |SDF| <= truncation

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.upsample):
            raise ValueError("GeneratorConfig: channels and upsample need one entry per style layer")

    @property
    def feature_resolution(self) -> int:
        return 4 * 2 ** sum(self.upsample)

    def to_json(self) -> dict:
        d = asdict(self)
        d["channels"], d["upsample"] = list(self.channels), list(self.upsample)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "GeneratorConfig":
        d = dict(d)
        d["channels"], d["upsample"] = tuple(d["channels"]), tuple(bool(u) for u in d["upsample"])
        return cls(**d)


class ModulatedConv3d(nn.Module):
    """StyleGAN2's modulated convolution in 3D: the weights scaled per input channel by the style
    ``s``, then demodulated (each output filter rescaled to unit norm). Computed in the equivalent
    non-fused form, which runs as one ordinary batched convolution (fast on a CPU):
    ``conv(x * s, W) * d`` with ``d_o = 1 / sqrt(sum_{i,k} (W_oik s_i)^2 + 1e-8)``."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, w_dim: int, demodulate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel, kernel)
                                   / np.sqrt(in_channels * kernel ** 3))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.affine = nn.Linear(w_dim, in_channels)
        nn.init.ones_(self.affine.bias)
        with torch.no_grad():  # a small random part, so that different w give different styles at the start
            self.affine.weight.normal_(0.0, 1.0 / np.sqrt(w_dim))
        self.demodulate = demodulate
        self.padding = kernel // 2

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        out = F.conv3d(x * style[:, :, None, None, None], self.weight, padding=self.padding)
        if self.demodulate:
            w2 = self.weight.pow(2).sum(dim=(2, 3, 4))  # (O, I)
            out = out * torch.rsqrt(style.pow(2) @ w2.T + 1e-8)[:, :, None, None, None]
        return out + self.bias.view(1, -1, 1, 1, 1)


class SDFGenerator(nn.Module):
    """The generator (module docstring). ``forward(z, resolution)`` -> SDF grids ``(B, R, R, R)``."""

    def __init__(self, config: GeneratorConfig | None = None):
        super().__init__()
        cfg = self.config = config or GeneratorConfig()
        layers: list[nn.Module] = []
        for i in range(cfg.mapping_layers):
            layers += [nn.Linear(cfg.z_dim if i == 0 else cfg.w_dim, cfg.w_dim), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)
        self.const = nn.Parameter(torch.randn(1, cfg.const_channels, 4, 4, 4))
        ins = (cfg.const_channels, *cfg.channels[:-1])
        self.convs = nn.ModuleList(ModulatedConv3d(i, o, 3, cfg.w_dim) for i, o in zip(ins, cfg.channels))
        self.to_features = ModulatedConv3d(cfg.channels[-1], cfg.feature_channels, 1, cfg.w_dim, demodulate=False)
        mlp: list[nn.Module] = []
        width = cfg.feature_channels
        for _ in range(cfg.mlp_layers):
            mlp += [nn.Linear(width, cfg.mlp_hidden), nn.LeakyReLU(0.2)]
            width = cfg.mlp_hidden
        mlp.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*mlp)
        # Gaussian the latent codes are drawn from (set after auto-decoder training; standard normal before)
        self.register_buffer("z_mean", torch.zeros(cfg.z_dim))
        self.register_buffer("z_chol", torch.eye(cfg.z_dim))

    # --- the levels of the generator -------------------------------------------------------------
    @property
    def style_layers(self) -> list[ModulatedConv3d]:
        return [*self.convs, self.to_features]

    def style_dims(self) -> list[int]:
        """Length of each style vector ``s_l`` (the input channels of its modulated convolution)."""
        return [m.affine.out_features for m in self.style_layers]

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` latent codes from the generator's Gaussian (``z_mean + z_chol @ eps``)."""
        eps = torch.randn(n, self.config.z_dim, generator=generator, device=self.z_mean.device)
        return self.z_mean + eps @ self.z_chol.T

    def styles(self, z: torch.Tensor) -> list[torch.Tensor]:
        """z (B, z_dim) -> w -> one style vector (B, c_l) per layer."""
        w = self.mapping(z)
        return [m.affine(w) for m in self.style_layers]

    def features(self, styles: Sequence[torch.Tensor]) -> torch.Tensor:
        """Style vectors -> feature volume (B, F, R, R, R) indexed ``[c, i, j, k]`` (x, y, z)."""
        styles = list(styles)
        if len(styles) != len(self.style_layers):
            raise ValueError(f"expected {len(self.style_layers)} style vectors, got {len(styles)}")
        x = self.const.expand(styles[0].shape[0], -1, -1, -1, -1)
        for conv, up, s in zip(self.convs, self.config.upsample, styles):
            if up:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = F.leaky_relu(conv(x, s), 0.2)
        return self.to_features(x, styles[-1])

    def sdf_at(self, features: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """SDF (B, N) at world points (N, 3) or (B, N, 3): trilinear feature look-up, then the MLP."""
        phi = grid_lookup(features, points, self.config.bound)  # (B, N, F)
        return self.config.truncation * torch.tanh(self.mlp(phi)[..., 0])

    def sdf_grid(self, styles: Sequence[torch.Tensor], resolution: int = 32) -> torch.Tensor:
        """SDF on the ``resolution^3`` lattice of ``[-bound, bound]^3``: (B, R, R, R)."""
        feats = self.features(styles)
        pts = torch.as_tensor(lattice_points(resolution, self.config.bound), dtype=feats.dtype, device=feats.device)
        return self.sdf_at(feats, pts).reshape(-1, resolution, resolution, resolution)

    def forward(self, z: torch.Tensor, resolution: int = 32) -> torch.Tensor:
        return self.sdf_grid(self.styles(z), resolution)

    @torch.no_grad()
    def average_styles(self, n: int = 1000, seed: int = 0) -> list[torch.Tensor]:
        """The mean of each style vector over ``n`` random samples (each (1, c_l)): the thesis'
        initialisation of the inversion (§4.3.2.2, 1000 samples)."""
        gen = torch.Generator(device=self.z_mean.device).manual_seed(int(seed))
        return [s.mean(dim=0, keepdim=True) for s in self.styles(self.sample_z(n, gen))]


def count_parameters(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))


# --- save / load ---------------------------------------------------------------------------------------
def sidecar_path(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def shipped_checkpoint() -> Path:
    return PACKAGE_WEIGHTS_DIR / f"{SHIPPED_NAME}.safetensors"


@dataclass
class Provenance:
    """What the JSON sidecar records besides the weights: how to retrain them and what they saw."""

    command: str
    seed: int
    data_sha256: str
    objective: str
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)


def save_generator(model: SDFGenerator, path: str | Path, provenance: Provenance) -> Path:
    """Write ``path`` (.safetensors, fp32) and its ``.json`` sidecar (format, sha256, config, provenance)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: generator checkpoints are .safetensors files")
    state = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT})
    atomic_write_json(sidecar_path(path), {
        "format": FORMAT, "file": path.name, "sha256": sha256_file(path), "size_bytes": path.stat().st_size,
        "n_parameters": count_parameters(model), "config": model.config.to_json(), **asdict(provenance),
        "torch_version": torch.__version__,
    })
    return path


def read_sidecar(path: str | Path) -> dict:
    side = sidecar_path(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{side}: the JSON sidecar of {Path(path).name} is missing") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"{side}: not valid JSON ({exc})") from exc
    if meta.get("format") != FORMAT:
        raise ValueError(f"{side}: format {meta.get('format')!r}, expected {FORMAT!r}")
    return meta


def load_generator(path: str | Path | None = None, verify_sha256: bool = True) -> tuple[SDFGenerator, dict]:
    """Load a checkpoint written by :func:`save_generator` (default: the shipped one); the sidecar's
    sha256 is checked."""
    path = Path(path) if path is not None else shipped_checkpoint()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: SDF generator checkpoint not found (train one with "
                                "`python -m sbsr.systems.sdf_inversion.train --retrain`)")
    meta = read_sidecar(path)
    if verify_sha256 and sha256_file(path) != meta.get("sha256"):
        raise ValueError(f"{path}: sha256 does not match its sidecar's {meta.get('sha256')} (file changed or corrupt)")
    model = SDFGenerator(GeneratorConfig.from_json(meta["config"]))
    try:
        model.load_state_dict(load_file(str(path), device="cpu"), strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{path}: weights do not fit the config in its sidecar: {exc}") from exc
    return model.eval(), meta


__all__ = [
    "FORMAT",
    "GeneratorConfig",
    "ModulatedConv3d",
    "Provenance",
    "SDFGenerator",
    "count_parameters",
    "load_generator",
    "read_sidecar",
    "save_generator",
    "shipped_checkpoint",
]
