"""Seeded settings for the two-stage sweeps of thesis §4.2.3.2 (Tables 4.1 and 4.2).

Stage 1 draws random settings over a wide range; stage 2 samples uniformly in a narrow range around the
best stage-1 value; the best stage-2 value is then reported on its own.

* Bounding-box size (Table 4.1): 50 random sizes in [53.1 %, 98.7 %] of the image, then 20 in
  [51.6 %, 59.2 %]; best 57.7 % (129 px of 224).
* Translation (Table 4.2 #4-5): 20 random (x, y) in [-10 %, +10 %] of 224 px each, then 20 uniform in a
  box around the best (x in [6, 21], y in [-6, -1] in the paper).
* Rotation (Table 4.2 #8-9): 20 random angles in [-40, 40] deg, then 20 uniform in [-30, -20] deg.

Table rows report ``mean +/- std`` of acc@k over the settings of a stage (:func:`summarise_sweep`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def random_sizes(n: int = 50, low: float = 0.531, high: float = 0.987,
                 seed: int | np.random.Generator = 0) -> np.ndarray:
    """Stage 1 of Table 4.1: ``n`` box fractions drawn uniformly from ``[low, high]`` (in draw order)."""
    if not 0.0 < low <= high <= 1.0:
        raise ValueError(f"need 0 < low <= high <= 1, got [{low}, {high}]")
    return _rng(seed).uniform(low, high, size=int(n))


def uniform_around(best: float, n: int = 20, half_width: float = 0.038, low: float | None = None,
                   high: float | None = None, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Stage 2: ``n`` values uniformly covering ``[best - half_width, best + half_width]`` clipped to
    ``[low, high]``.

    Without ``seed`` the values are evenly spaced (``np.linspace``, both ends included) - our reading of
    "we sample 20 settings from 51.6 % to 59.2 %"; with a ``seed`` they are uniform random draws.
    """
    if half_width < 0:
        raise ValueError(f"half_width must be >= 0, got {half_width}")
    lo = best - half_width if low is None else max(low, best - half_width)
    hi = best + half_width if high is None else min(high, best + half_width)
    if lo > hi:
        raise ValueError(f"empty range around {best}: [{lo}, {hi}]")
    if seed is None:
        return np.linspace(lo, hi, int(n))
    return _rng(seed).uniform(lo, hi, size=int(n))


def random_translations(n: int = 20, max_fraction: float = 0.1, image_size: int = 224,
                        seed: int | np.random.Generator = 0, integer: bool = True) -> np.ndarray:
    """Table 4.2 #4: (n, 2) translations ``(tx, ty)``, each uniform in ``+/- max_fraction * image_size``
    pixels (+/-22.4 px), rounded to whole pixels unless ``integer=False`` (the paper reports integers)."""
    limit = max_fraction * image_size
    t = _rng(seed).uniform(-limit, limit, size=(int(n), 2))
    return np.clip(np.rint(t), -np.floor(limit), np.floor(limit)) if integer else t


def uniform_translations_around(best: tuple[float, float], n: int = 20,
                                half_width: tuple[float, float] = (7.5, 2.5), max_fraction: float = 0.1,
                                image_size: int = 224, seed: int | np.random.Generator = 0,
                                integer: bool = True) -> np.ndarray:
    """Table 4.2 #5: (n, 2) translations drawn uniformly from the box ``best +/- half_width`` (clipped to
    ``+/- max_fraction * image_size``). The paper's box x in [6, 21], y in [-6, -1] is ``best=(13.5,
    -3.5), half_width=(7.5, 2.5)``. Rounded to whole pixels unless ``integer=False``."""
    limit = max_fraction * image_size
    best = np.asarray(best, dtype=np.float64)
    hw = np.asarray(half_width, dtype=np.float64)
    lo = np.maximum(best - hw, -limit)
    hi = np.minimum(best + hw, limit)
    if (lo > hi).any():
        raise ValueError(f"empty translation box around {tuple(best)}")
    t = _rng(seed).uniform(lo, hi, size=(int(n), 2))
    return np.clip(np.rint(t), np.ceil(lo), np.floor(hi)) if integer else t


def random_rotations(n: int = 20, low: float = -40.0, high: float = 40.0,
                     seed: int | np.random.Generator = 0) -> np.ndarray:
    """Table 4.2 #8: ``n`` angles (degrees) drawn uniformly from ``[low, high]``."""
    if low > high:
        raise ValueError(f"need low <= high, got [{low}, {high}]")
    return _rng(seed).uniform(low, high, size=int(n))


def uniform_rotations_around(best: float, n: int = 20, half_width: float = 5.0, low: float = -40.0,
                             high: float = 40.0, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Table 4.2 #9: ``n`` angles uniformly covering ``best +/- half_width`` within ``[low, high]`` (the
    paper's [-30, -20] deg is ``best=-25, half_width=5``); evenly spaced unless ``seed`` is given."""
    return uniform_around(best, n=n, half_width=half_width, low=low, high=high, seed=seed)


@dataclass(frozen=True)
class SweepSummary:
    """``mean +/- std`` of the accuracies over a sweep stage and the best setting."""

    mean: np.ndarray | float   # per accuracy column
    std: np.ndarray | float    # per accuracy column (ddof as asked, population by default)
    best_value: object         # the setting with the highest score
    best_index: int
    best_accs: np.ndarray | float  # the accuracies of that setting


def summarise_sweep(values, accs, ddof: int = 0, select: int | None = None) -> SweepSummary:
    """Summarise a sweep: ``values`` (n,) or (n, k) settings, ``accs`` (n,) or (n, m) accuracies.

    ``mean``/``std`` are per accuracy column (as "63.90 +/- 3.33" in Table 4.1; ``ddof=0`` population
    std, pass ``ddof=1`` for the sample std). The best setting maximises column ``select`` of ``accs``,
    or the mean over columns when ``select`` is None ("best values according to the retrieval
    performance on both categories", Table 4.2 #6). Ties go to the first setting.
    """
    vals = np.asarray(values)
    a = np.asarray(accs, dtype=np.float64)
    if a.ndim not in (1, 2) or a.shape[0] == 0:
        raise ValueError(f"accs must be (n,) or (n, m) with n >= 1, got shape {a.shape}")
    if vals.shape[0] != a.shape[0]:
        raise ValueError(f"{vals.shape[0]} settings but {a.shape[0]} accuracy rows")
    score = a if a.ndim == 1 else (a[:, select] if select is not None else a.mean(axis=1))
    i = int(np.argmax(score))
    mean, std = a.mean(axis=0), a.std(axis=0, ddof=ddof) if a.shape[0] > ddof else np.zeros(a.shape[1:])
    if a.ndim == 1:
        mean, std = float(mean), float(std)
    best_value = vals[i].tolist() if vals.ndim > 1 else vals[i].item()
    best_accs = a[i] if a.ndim == 2 else float(a[i])
    return SweepSummary(mean, std, best_value, i, best_accs)
