"""Notebook session set-up: parameters, seeding, device, plotly renderer, progress bars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

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


class Experiment(NamedTuple):
    """What a core-paper chapter opens first (see :func:`open_experiment`)."""

    session: Session
    data: object
    cache: object
    choices: list


def open_experiment(*, profile: str, device: str, seed: int, dataset: str, cache_dir: str | os.PathLike,
                    encoders: Sequence[str], show_encoders: bool = True) -> Experiment:
    """The opening of a core-paper chapter, from its ``parameters`` cell: :func:`setup` (printed), the
    dataset (:func:`~sbsr.retrieval.experiments.open_paper_dataset`), the feature cache under
    ``<cache_dir>/features`` and the encoders (:func:`~sbsr.retrieval.experiments.load_encoders`), whose
    table (which ran, and why the others did not) is displayed unless ``show_encoders`` is false."""
    from ..encoders import FeatureCache
    from ..retrieval.experiments import encoder_table, load_encoders, open_paper_dataset

    session = setup(profile=profile, device=device, seed=seed)
    print(session.describe())
    data = open_paper_dataset(dataset, profile)
    cache = FeatureCache(Path(cache_dir) / "features")
    choices = load_encoders(encoders, device=session.device)
    if show_encoders:
        from IPython.display import display

        display(encoder_table(choices))
    return Experiment(session, data, cache, choices)


def progress(iterable=None, **kwargs):
    """A tqdm progress bar: a widget in live notebooks, plain text on stderr under the batch runner
    (the book hides stderr, so bars do not clutter the pages)."""
    if is_headless():
        from tqdm.std import tqdm

        kwargs.setdefault("mininterval", 5.0)
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, **kwargs)
