"""Optimisation-based inversion of the SDF generator at the style-vector level (thesis §4.3.2.2).

The style vectors ``s`` (one per modulated layer, :meth:`SDFGenerator.styles`) start from their average
over 1000 random samples and are updated by Adam (learning rate 0.005, batch 1) to minimise

* Eq. 4.6, 3D supervision: ``MSE(SDF_gt, SGAN(s))`` on the generator's lattice (both clamped to the
  generator's truncation);
* Eq. 4.7, 2D supervision: ``MSE(E(sketch), E(Rend(SGAN(s), rend_p)))`` with ``E`` an image encoder's
  ``layer3`` tap (CLIP RN101 in the thesis) and ``Rend`` the differentiable SDF renderer
  :func:`sbsr.render.sdf.render_sdf` at elevation 20 and the sketch's azimuth. The rendering is resized to
  the encoder's input size and normalised in torch, so gradients flow through the encoder to ``s``.

Variants: ``reduce="argmax4"`` compares the features after the thesis' "argmax" reduction by a factor of 4
(:func:`reduce_channels`); ``l1_pull`` adds ``lambda mean|s - s_avg|`` (§4.3.4's first proposal);
several ``azimuths`` sum the loss over several sketches of the same shape (§4.3.4's multi-view proposal).
The best shape is the one with the lowest loss (as in the thesis); snapshots of ``s`` are kept every
``snapshot_every`` iterations for the oracle pick that stands in for the thesis' human picking.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from sbsr.render.camera import Camera
from sbsr.render.sdf import render_sdf

from .models import SDFGenerator

REDUCTIONS = ("none", "argmax4")
LOSSES = ("sdf", "clip")


def reduce_channels(features: torch.Tensor, factor: int = 4) -> torch.Tensor:
    """The thesis' "argmax" reduction of an embedding by ``factor`` (§4.3.3.4), in our reading: the
    channels ``(N, C, ...)`` are split into ``C / factor`` groups of ``factor`` consecutive channels and
    each group keeps its largest value (the value at the argmax), giving ``(N, C / factor, ...)``. The
    thesis does not say how its argmax stays differentiable; a max does, passing the gradient to the
    winning channel of each group."""
    n, c = features.shape[:2]
    if c % factor:
        raise ValueError(f"reduce_channels: {c} channels are not divisible by {factor}")
    return features.reshape(n, c // factor, factor, *features.shape[2:]).amax(dim=2)


@dataclass(frozen=True)
class InversionSettings:
    """One inversion experiment (thesis values in the comments)."""

    loss: str                           # "sdf" (Eq. 4.6) or "clip" (Eq. 4.7)
    iterations: int                     # 5000 (sdf), 1000 (clip)
    lr: float = 0.005                   # Adam, batch 1
    snapshot_every: int = 25            # the thesis saved shapes every 25 iterations
    reduce: str = "none"                # "argmax4": the argmax variant
    l1_pull: float = 0.0                # weight of mean|s - s_avg| (§4.3.4 extension)
    azimuths: tuple[float, ...] = (0.0,)  # sketch azimuths compared (thesis: the front view only)
    elevation: float = 20.0
    resolution: int = 32                # generator lattice the loss and the renderer use
    render_size: int = 64               # rendered pixels (resized to the encoder's input)
    n_samples: int = 48                 # samples per ray
    tau: float = 0.004                  # renderer softness (world units; chair parts are ~0.03 thick)
    tap: str = "layer3"

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"InversionSettings.loss must be one of {LOSSES}, got {self.loss!r}")
        if self.reduce not in REDUCTIONS:
            raise ValueError(f"InversionSettings.reduce must be one of {REDUCTIONS}, got {self.reduce!r}")
        if self.iterations < 1 or self.snapshot_every < 1:
            raise ValueError("InversionSettings: iterations and snapshot_every must be >= 1")


@dataclass
class InversionRun:
    """The outcome of one inversion: the loss at every iteration (of the styles before that step), the
    lowest-loss styles and their iteration, snapshots ``(iteration, styles)`` and the time per step."""

    losses: list[float]
    best_iteration: int
    best_styles: list[torch.Tensor] = field(repr=False)
    snapshots: list[tuple[int, list[torch.Tensor]]] = field(repr=False)
    seconds_per_step: float
    cpu_seconds_per_step: float


def encoder_input(image: torch.Tensor, encoder) -> torch.Tensor:
    """A rendered grey image (H, W) in [0, 1] -> the encoder's normalised (1, 3, S, S) input, in torch
    (bilinear resize to the encoder's size, then its mean/std), so gradients reach the image."""
    s = encoder.preprocess.image_size
    x = image[None, None]
    if image.shape[-1] != s:
        x = F.interpolate(x, size=(s, s), mode="bilinear", align_corners=False)
    return encoder.preprocess.normalize(x.expand(-1, 3, -1, -1) * 255.0)


def sketch_features(encoder, sketches: dict[float, np.ndarray], tap: str = "layer3") -> dict[float, torch.Tensor]:
    """Encoder features (1, ...) of each target sketch (no gradient)."""
    return {az: encoder.encode([img], tap=tap).to(encoder.device) for az, img in sketches.items()}


class _Objective:
    """The loss of one inversion as a function of the style vectors."""

    def __init__(self, generator: SDFGenerator, settings: InversionSettings, init: Sequence[torch.Tensor],
                 target_sdf: np.ndarray | None, target_features: dict[float, torch.Tensor] | None, encoder):
        self.g, self.st, self.enc = generator, settings, encoder
        self.init = [s.detach() for s in init]
        dev = init[0].device
        if settings.loss == "sdf":
            if target_sdf is None:
                raise ValueError("the sdf loss (Eq. 4.6) needs a target SDF grid")
            t = torch.as_tensor(np.asarray(target_sdf), dtype=torch.float32, device=dev)
            if t.shape != (settings.resolution,) * 3:
                raise ValueError(f"target SDF grid is {tuple(t.shape)}, the settings' lattice is {settings.resolution}^3")
            self.target = t.clamp(-generator.config.truncation, generator.config.truncation)
        else:
            if encoder is None or not target_features:
                raise ValueError("the clip loss (Eq. 4.7) needs an encoder and target sketch features")
            missing = [a for a in settings.azimuths if float(a) not in target_features]
            if missing:
                raise KeyError(f"no target sketch at azimuths {missing}")
            self.cameras = {float(a): Camera(azimuth=float(a), elevation=settings.elevation) for a in settings.azimuths}
            self.targets = {a: self._reduce(target_features[a]) for a in self.cameras}

    def _reduce(self, f: torch.Tensor) -> torch.Tensor:
        return reduce_channels(f) if self.st.reduce == "argmax4" else f

    def __call__(self, styles: list[torch.Tensor]) -> torch.Tensor:
        sdf = self.g.sdf_grid(styles, self.st.resolution)[0]
        if self.st.loss == "sdf":
            loss = F.mse_loss(sdf, self.target)
        else:
            loss = sdf.new_zeros(())
            for az, cam in self.cameras.items():
                img = render_sdf(sdf, cam, bound=self.g.config.bound, image_size=self.st.render_size,
                                 n_samples=self.st.n_samples, tau=self.st.tau).image
                feats = self._reduce(self.enc.features(encoder_input(img, self.enc), self.st.tap).float())
                loss = loss + F.mse_loss(feats, self.targets[az])
        if self.st.l1_pull:
            pull = torch.stack([(s - s0).abs().mean() for s, s0 in zip(styles, self.init)]).mean()
            loss = loss + self.st.l1_pull * pull
        return loss


def invert(generator: SDFGenerator, init_styles: Sequence[torch.Tensor], settings: InversionSettings, *,
           target_sdf: np.ndarray | None = None, target_features: dict[float, torch.Tensor] | None = None,
           encoder=None, progress=None) -> InversionRun:
    """Optimise the style vectors from ``init_styles`` (module docstring); deterministic on a CPU.

    ``target_sdf`` (R, R, R) for ``loss="sdf"``; ``target_features`` (by azimuth, from
    :func:`sketch_features`) and ``encoder`` for ``loss="clip"``. The generator's weights stay fixed.
    """
    for p in generator.parameters():
        p.requires_grad_(False)
    objective = _Objective(generator, settings, init_styles, target_sdf, target_features, encoder)
    styles = [s.detach().clone().requires_grad_(True) for s in init_styles]
    opt = torch.optim.Adam(styles, lr=settings.lr)
    losses: list[float] = []
    best, best_it = float("inf"), 0
    best_styles = [s.detach().clone() for s in styles]
    snapshots: list[tuple[int, list[torch.Tensor]]] = []
    steps = range(settings.iterations + 1)  # the last pass only evaluates the final styles
    bar = progress(steps, desc=f"inversion ({settings.loss})", leave=False) if progress else steps
    t0, c0 = time.perf_counter(), time.process_time()
    for it in bar:
        loss = objective(styles)
        value = float(loss.detach())
        losses.append(value)
        if value < best:
            best, best_it = value, it
            best_styles = [s.detach().clone() for s in styles]
        if it % settings.snapshot_every == 0 or it == settings.iterations:
            snapshots.append((it, [s.detach().clone() for s in styles]))
        if it == settings.iterations:
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    n = max(1, settings.iterations)
    return InversionRun(losses, best_it, best_styles, snapshots, (time.perf_counter() - t0) / n,
                        (time.process_time() - c0) / n)


__all__ = [
    "InversionRun",
    "InversionSettings",
    "encoder_input",
    "invert",
    "reduce_channels",
    "sketch_features",
]
