"""Experiment plumbing of the core paper's chapters: encoder budgets, cached images, table rows.

Every chapter of the core paper evaluates :class:`~sbsr.retrieval.pipeline.RetrievalSettings` on the
chair and lamp splits of a dataset, for each available encoder, and writes rows of the form
``row, category, metric, value[, plus_minus]`` for :func:`sbsr.book.make_results`. This module holds
what those chapters share, so that no notebook defines it again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import pandas as pd
from IPython.display import display

from ...book.session import Session, setup
from ...data import open_dataset
from ...encoders import FeatureCache, encoder_table, load_encoders
from ...retrieval.pipeline import RetrievalRun, RetrievalSettings, gallery_views, run_retrieval

log = logging.getLogger(__name__)
PAPER_CATEGORIES = ("chair", "lamp")


@dataclass(frozen=True)
class EncoderBudget:
    """How much of a chapter each encoder runs (a CPU budget set by the ``parameters`` cell).

    Light encoders (minclip-sized) run every table on ``n_shapes`` shapes per category (``None``: the
    whole split); the others (RN101 / ViT-B sized, ~0.3 s per image on a CPU) run only ``heavy_tables``
    (``None``: all) on the first ``heavy_shapes`` shapes per category (``None``: the whole split). The full
    profile sets both to ``None``, i.e. the paper's protocol for every encoder.
    """

    light: frozenset[str]
    n_shapes: int | None = None
    heavy_shapes: int | None = None
    heavy_tables: frozenset[str] | None = None

    @classmethod
    def of(cls, light: Iterable[str], n_shapes: int | None = None, heavy_shapes: int | None = None,
           heavy_tables: Iterable[str] | None = None) -> "EncoderBudget":
        """From the parameters cell's lists (papermill passes lists, not sets)."""
        return cls(frozenset(light), n_shapes, heavy_shapes,
                   None if heavy_tables is None else frozenset(heavy_tables))

    def is_light(self, name: str) -> bool:
        return name in self.light

    def shapes(self, name: str) -> int | None:
        """Gallery shapes per category for encoder ``name`` (``None``: the whole split)."""
        return self.n_shapes if self.is_light(name) else self.heavy_shapes

    def runs(self, name: str, table_id: str) -> bool:
        """Whether encoder ``name`` computes table ``table_id``."""
        return self.is_light(name) or self.heavy_tables is None or table_id in self.heavy_tables

    def data_label(self, dataset: str, name: str) -> str:
        """The ``data`` label of encoder ``name``'s results: the dataset, and the gallery cut if any."""
        n = self.shapes(name)
        return dataset if n is None else f"{dataset} (first {n} shapes per category)"

    def not_run_note(self, table: str) -> str:
        """Why a table has no computed values at this profile (no light encoder was available)."""
        return (f"{table} is not computed at this profile: no light encoder is available "
                f"(the heavy ones run only {sorted(self.heavy_tables or [])}).")


@dataclass
class SplitImages:
    """Sketches and gallery views of one split, loaded once and reused across many settings."""

    split: object
    _sketches: np.ndarray | None = None
    _views: dict = field(default_factory=dict)

    @property
    def sketches(self) -> np.ndarray:
        if self._sketches is None:
            self._sketches = self.split.sketch_images()
        return self._sketches

    def views(self, settings: RetrievalSettings) -> np.ndarray:
        key = (settings.views, settings.view_style)
        if key not in self._views:
            self._views[key] = gallery_views(self.split, settings)
        return self._views[key]


class Evaluator:
    """Evaluate settings on the paper's categories of one split, with images and features cached."""

    def __init__(self, dataset, split: str = "validation", categories: Sequence[str] = PAPER_CATEGORIES,
                 cache=None, n_shapes: int | None = None):
        self.dataset = dataset
        self.split_name = split
        self.categories = tuple(categories)
        self.cache = cache
        self.images = {}
        for cat in self.categories:
            sp = dataset.split(split, cat)
            if n_shapes is not None and len(sp.shapes) > n_shapes:
                sp = sp.subset(n_shapes=n_shapes)
            self.images[cat] = SplitImages(sp)

    def split(self, category: str):
        return self.images[category].split

    def run(self, encoder, settings: RetrievalSettings, category: str) -> RetrievalRun:
        imgs = self.images[category]
        return run_retrieval(imgs.split, encoder, settings, cache=self.cache, sketches=imgs.sketches,
                             views=imgs.views(settings))

    def accuracy(self, encoder, settings: RetrievalSettings, ks=(1, 5)) -> dict[str, dict[str, float]]:
        """``{category: {"acc@1": .., "acc@5": ..}}``."""
        return {cat: self.run(encoder, settings, cat).accuracy(ks) for cat in self.categories}


def gallery_sizes(evaluators: dict, shapes_for: dict):
    """The galleries of ``evaluators`` (keyed ``(split, n_shapes)``) and which encoders use each
    (``shapes_for``: encoder name -> ``n_shapes``), with their numbers of shapes and sketch queries."""
    return pd.DataFrame([{"split": split, "category": cat,
                          "encoders": ", ".join(name for name, m in shapes_for.items() if m == n),
                          "shapes": len(ev.split(cat).shapes), "sketch queries": len(ev.split(cat).sketches)}
                         for (split, n), ev in evaluators.items() for cat in ev.categories])


def accuracy_rows(row: str, accuracy: dict[str, dict[str, float]], plus_minus: dict | None = None) -> list[dict]:
    """Rows for :func:`sbsr.book.make_results` from ``{category: {metric: value}}``."""
    rows = []
    for cat, metrics in accuracy.items():
        for metric, value in metrics.items():
            pm = (plus_minus or {}).get(cat, {}).get(metric, float("nan"))
            rows.append({"row": row, "category": cat, "metric": metric, "value": float(value), "plus_minus": pm})
    return rows


def sweep_rows(row: str, accuracies: Sequence[dict[str, dict[str, float]]]) -> list[dict]:
    """Mean ± standard deviation over a sweep's settings (Tables 4.1, 4.2 "random/uniform" rows)."""
    cats = accuracies[0].keys()
    mean = {c: {m: float(np.mean([a[c][m] for a in accuracies])) for m in accuracies[0][c]} for c in cats}
    std = {c: {m: float(np.std([a[c][m] for a in accuracies])) for m in accuracies[0][c]} for c in cats}
    return accuracy_rows(row, mean, std)


def best_setting(values: Sequence, accuracies: Sequence[dict[str, dict[str, float]]],
                 categories: Sequence[str] | None = None, metric: str = "acc@1"):
    """The value whose mean ``metric`` over ``categories`` is highest (ties: the first), and its index
    (:func:`best_index` with one metric)."""
    i = best_index(accuracies, categories, metrics=(metric,))
    return values[i], i


def best_index(accuracies: Sequence[dict[str, dict[str, float]]], categories: Sequence[str] | None = None,
               metrics: Sequence[str] = ("acc@1", "acc@5")) -> int:
    """Index of the best setting: highest mean of ``metrics[0]`` over ``categories`` (all by default),
    ties broken by the next metric, then by order (the first wins). "Best both" of Table 4.2 #6 uses
    both categories, "best chairs"/"best lamps" (#7, #8) one."""
    if not accuracies:
        raise ValueError("best_index needs at least one setting")
    cats = list(categories or accuracies[0].keys())
    keys = [tuple(float(np.mean([a[c][m] for c in cats])) for m in metrics) for a in accuracies]
    best = 0
    for i, key in enumerate(keys):
        if key > keys[best]:
            best = i
    return best


def open_paper_dataset(name: str = "procedural-v1", profile: str = "quick", **kwargs):
    """The dataset a core-paper chapter evaluates on: the procedural stand-in (sized by ``profile``) or a
    real one (``amateursketch``: AmateurSketch sketches with ShapeNetCore v2 shapes, roots from the
    environment variables documented in data/README.md)."""
    if name.startswith("procedural"):
        return open_dataset(name, profile=profile, **kwargs)
    return open_dataset(name, **kwargs)


class Experiment(NamedTuple):
    """What a core-paper chapter opens first (see :func:`open_experiment`)."""

    session: Session
    data: object
    cache: object
    choices: list


def open_experiment(*, profile: str, device: str, seed: int, dataset: str, cache_dir: str | os.PathLike,
                    encoders: Sequence[str], show_encoders: bool = True, data_dir: str | os.PathLike | None = None,
                    results_dir: str | os.PathLike | None = None) -> Experiment:
    """The opening of a core-paper chapter, from its ``parameters`` cell: :func:`setup` (printed), the
    dataset (:func:`~sbsr.systems.clip_retrieval.experiments.open_paper_dataset`), the feature cache under
    ``<cache_dir>/features`` and the encoders (:func:`~sbsr.systems.clip_retrieval.experiments.load_encoders`), whose
    table (which ran, and why the others did not) is displayed unless ``show_encoders`` is false."""
    session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
    print(session.describe())
    data = open_paper_dataset(dataset, profile)
    cache = FeatureCache(Path(cache_dir) / "features")
    choices = load_encoders(encoders, device=session.device)
    if show_encoders:
        display(encoder_table(choices))
    return Experiment(session, data, cache, choices)
