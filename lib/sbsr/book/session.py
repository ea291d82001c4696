"""Notebook session set-up: parameters, seeding, device, plotly renderer, progress bars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..config import DEVICES, PROFILES, ConfigError, find_project_root, resolve_device, seed_everything
from ..data.paths import ENV_DATA_DIR
from .results import ENV_RESULTS_DIR, results_dir
from .plotting import use_book_renderer
from .tables import use_book_tables


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
        return results_dir()

    @property
    def quick(self) -> bool:
        return self.profile == "quick"

    def describe(self) -> str:
        return f"profile={self.profile}, device={self.device}, seed={self.seed}"


def is_headless() -> bool:
    """True under the batch runner (``python -m sbsr.reproduce`` sets ``SBSR_HEADLESS``)."""
    return os.environ.get("SBSR_HEADLESS") == "1"


def use_folders(data_dir: str | os.PathLike | None = None, results_dir: str | os.PathLike | None = None,
                root: str | os.PathLike | None = None) -> None:
    """Make this process read and write the chapter's folders: generated data under ``data_dir``
    (``$SBSR_DATA_DIR``, :func:`sbsr.data.paths.data_dir`) and result tables under ``results_dir``
    (``$SBSR_RESULTS_DIR``, :func:`sbsr.book.results.results_dir`). Relative paths are taken from the
    project root; ``None`` leaves a folder as it is."""
    base = Path(root) if root is not None else find_project_root()
    for value, var in ((data_dir, ENV_DATA_DIR), (results_dir, ENV_RESULTS_DIR)):
        if value is None:
            continue
        path = Path(value).expanduser()
        path = (path if path.is_absolute() else base / path).resolve()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{path}: {var.lower()} must be a folder, but it is a file")
        os.environ[var] = str(path)


def setup(profile: str = "quick", device: str = "auto", seed: int = 0, data_dir: str | os.PathLike | None = None,
          results_dir: str | os.PathLike | None = None) -> Session:
    """Validate the ``parameters`` cell, seed everything, resolve the device, set the plotly renderer, and
    use the chapter's ``data_dir`` and ``results_dir`` (:func:`use_folders`)."""
    use_folders(data_dir, results_dir)
    if profile not in PROFILES:
        raise ConfigError(f"profile must be one of {PROFILES}, got {profile!r}")
    if device not in DEVICES:
        raise ConfigError(f"device must be one of {DEVICES}, got {device!r}")
    rng = seed_everything(int(seed))
    use_book_renderer()
    use_book_tables()
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
