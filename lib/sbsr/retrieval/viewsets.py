"""Named gallery view sets of the core paper: thesis Table 4.4 ("Shape views selection", §4.2.3.2) and
Appendix B.4 / Table B.5 (the views of Schlachter et al. versus the human-preferred sketch views).

A view set is a tuple of :class:`~sbsr.retrieval.pipeline.View` (azimuth, elevation, projection), ready for
``RetrievalSettings.with_(views=...)``. The sketch views differ per category (after Qi et al.: chairs
0°/30°/75°, lamps 0°/45°/90°, elevation 20°), so every named set is built per category; the single source
of those azimuths is :func:`sbsr.render.paper_views`, and of the Schlachter views
:func:`sbsr.render.schlachter_views`.

Table 4.4 (labels exactly as printed, see ``data/published/thesis_table_4_4.csv``):

==============================  ===============================================================
``Sketch views``                the category's three sketch azimuths
``0°, 30°, 45°, 75°, 90°``      the default five views (:data:`~sbsr.retrieval.pipeline.PAPER_VIEWS`)
``7 views: [0° : 15° : 90°]``   0, 15, ..., 90 (MATLAB-style inclusive range)
``7 views: [-5° : 15° : 85°]``  -5, 10, ..., 85: no view coincides with a sketch azimuth
``9 views: sketch views ±5°``   every sketch azimuth and that azimuth ±5°
==============================  ===============================================================

Table B.5: ``sketch views`` versus ``0 (o), 30 (p), 180(o)`` = orthographic 0°, perspective 30°,
orthographic 180° azimuth. The thesis gives no elevation for the Schlachter views; like
:func:`sbsr.render.schlachter_views` we keep the 20° of every other view, so the two sets differ only in
azimuth and projection (the orthographic views are rendered at the scale of the perspective camera; under
OBB framing the object is rescaled anyway).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from .pipeline import PAPER_VIEWS, View

ELEVATION = 20.0  # thesis §4.2.3: camera zenith angle of the sketches and of the line renderings

TABLE_4_4_ROWS = (
    "Sketch views",
    "0°, 30°, 45°, 75°, 90°",
    "7 views: [0° : 15° : 90°]",
    "7 views: [-5° : 15° : 85°]",
    "9 views: sketch views ±5°",
)
TABLE_B_5_VIEW_SETS = ("sketch views", "0 (o), 30 (p), 180(o)")


def view_of_camera(camera) -> View:
    """The :class:`View` of a :class:`sbsr.render.Camera` (azimuth, elevation, projection)."""
    return View(float(camera.azimuth), float(camera.elevation), str(camera.projection))


def sketch_views(category: str, elevation: float = ELEVATION) -> tuple[View, ...]:
    """The human-preferred (sketch) views of ``category``: chairs 0/30/75°, lamps 0/45/90° (thesis
    §4.2.3, after Qi et al.; other categories get the chair views, as in :func:`sbsr.render.paper_views`)."""
    from ..render import paper_views

    return tuple(View(float(c.azimuth), float(elevation)) for c in paper_views(category))


def azimuth_range(start: float, step: float, stop: float) -> tuple[float, ...]:
    """``[start : step : stop]`` as printed in Table 4.4: from ``start`` in steps of ``step`` up to and
    including ``stop`` when it is reached exactly (MATLAB colon notation)."""
    if step <= 0:
        raise ValueError(f"azimuth_range: step must be positive, got {step}")
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n <= 0:
        raise ValueError(f"azimuth_range: empty range [{start} : {step} : {stop}]")
    return tuple(float(start + i * step) for i in range(n))


def views_at(azimuths: Iterable[float], elevation: float = ELEVATION,
             projection: str = "perspective") -> tuple[View, ...]:
    return tuple(View(float(a), float(elevation), projection) for a in azimuths)


def jittered(views: Sequence[View], offsets: Sequence[float] = (-5.0, 0.0, 5.0)) -> tuple[View, ...]:
    """Every view turned by each of ``offsets`` degrees of azimuth ("sketch views ±5°": 3 x 3 = 9 views),
    grouped by original view, duplicates removed (first occurrence kept)."""
    out: dict[View, None] = {}
    for v in views:
        for off in offsets:
            out[View(float(v.azimuth + off), v.elevation, v.projection)] = None
    return tuple(out)


def schlachter_views(elevation: float = ELEVATION) -> tuple[View, ...]:
    """The gallery views of Schlachter et al. as used in thesis App. B.4, in the order of Table B.5:
    orthographic 0°, perspective 30°, orthographic 180° azimuth."""
    from ..render import schlachter_views as cameras

    views = [view_of_camera(c) for c in cameras(elevation=elevation)]
    order = {(0.0, "orthographic"): 0, (30.0, "perspective"): 1, (180.0, "orthographic"): 2}
    return tuple(sorted(views, key=lambda v: order[(v.azimuth, v.projection)]))


def paper_view_sets(category: str, elevation: float = ELEVATION) -> dict[str, tuple[View, ...]]:
    """The view sets of Table 4.4 for ``category``, keyed by the printed row labels (in printed order)."""
    sk = sketch_views(category, elevation)
    sets = (
        sk,
        views_at(PAPER_VIEWS, elevation),
        views_at(azimuth_range(0, 15, 90), elevation),
        views_at(azimuth_range(-5, 15, 85), elevation),
        jittered(sk, (-5.0, 0.0, 5.0)),
    )
    return dict(zip(TABLE_4_4_ROWS, sets))


def appendix_b5_view_sets(category: str, elevation: float = ELEVATION) -> dict[str, tuple[View, ...]]:
    """The two view sets of Table B.5 for ``category``: ``sketch views`` and ``0 (o), 30 (p), 180(o)``."""
    return dict(zip(TABLE_B_5_VIEW_SETS, (sketch_views(category, elevation), schlachter_views(elevation))))


def describe_views(views: Sequence[View]) -> str:
    """Short text of a view set, e.g. ``0° (p), 30° (p), 75° (p)``."""
    return ", ".join(v.label() for v in views)


def run_view_sets(evaluator, encoder, settings, view_sets) -> dict[str, dict[str, object]]:
    """Evaluate ``settings`` once per named view set of each category of ``evaluator``
    (:class:`~sbsr.systems.clip_retrieval.experiments.Evaluator`), the sets coming from ``view_sets(category)`` (e.g.
    :func:`paper_view_sets`; sketch views differ per category, so the settings are built per category).
    Returns ``{label: {category: RetrievalRun}}`` in the order of the labels."""
    out: dict[str, dict[str, object]] = {}
    for cat in evaluator.categories:
        for label, views in view_sets(cat).items():
            out.setdefault(label, {})[cat] = evaluator.run(encoder, settings.with_(views=views), cat)
    return out


def run_accuracies(runs: dict[str, dict[str, object]], ks=(1, 5)) -> dict[str, dict[str, dict[str, float]]]:
    """``{label: {category: {"acc@1": .., "acc@5": ..}}}`` of :func:`run_view_sets` output, ready for
    :func:`~sbsr.systems.clip_retrieval.experiments.accuracy_rows`."""
    return {label: {cat: run.accuracy(ks) for cat, run in by_cat.items()} for label, by_cat in runs.items()}
