"""Notebook session set-up: parameters, seeding, device, plotly renderer, progress bars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import DEVICES, PROFILES, ConfigError, find_project_root, resolve_device, seed_everything
from .plotting import use_book_renderer


@dataclass
class Session:
    """What a chapter needs to know about its run."""

    profile: str
    device: str
    seed: int
    rng: np.random.Generator
    root: Path
    headless: bool

    @property
    def results_dir(self) -> Path:
        return self.root / "results"

    @property
    def quick(self) -> bool:
        return self.profile == "quick"

    def describe(self) -> str:
        return f"profile={self.profile}, device={self.device}, seed={self.seed}"


def is_headless() -> bool:
    """True under the batch runner (``python -m sbsr.reproduce`` sets ``SBSR_HEADLESS``)."""
    return os.environ.get("SBSR_HEADLESS") == "1"


def setup(profile: str = "quick", device: str = "auto", seed: int = 0) -> Session:
    """Validate the ``parameters`` cell, seed everything, resolve the device, set the plotly renderer."""
    if profile not in PROFILES:
        raise ConfigError(f"profile must be one of {PROFILES}, got {profile!r}")
    if device not in DEVICES:
        raise ConfigError(f"device must be one of {DEVICES}, got {device!r}")
    rng = seed_everything(int(seed))
    use_book_renderer()
    return Session(
        profile=profile,
        device=resolve_device(device),
        seed=int(seed),
        rng=rng,
        root=find_project_root(),
        headless=is_headless(),
    )


def progress(iterable=None, **kwargs):
    """A tqdm progress bar: a widget in live notebooks, plain text on stderr under the batch runner
    (the book hides stderr, so bars do not clutter the pages)."""
    if is_headless():
        from tqdm.std import tqdm

        kwargs.setdefault("mininterval", 5.0)
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, **kwargs)
