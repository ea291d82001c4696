"""Experiment drivers of the core paper's setting studies (thesis §4.2.3.1-4.2.3.2, App. B.3).

* The CLIP view study (§4.2.3.1, supplement §1): the same objects in three image domains - freehand
  sketches, line renderings and RGB renderings - at the chair sketch azimuths 0/30/75°;
  :func:`view_study_images` collects them, :func:`encode_domains` embeds them and :func:`run_view_study`
  computes the Eq. 4.4 object matrices (Fig. 4.1), the Eq. 4.5 view matrices (Fig. 4.2) and the summaries
  the text states (same object closest, same view closest, overlapping confidence intervals).
* Sweeps (Tables 4.1, 4.2): :func:`evaluate_settings` evaluates a list of
  :class:`~sbsr.retrieval.pipeline.RetrievalSettings` on an :class:`~sbsr.systems.clip_retrieval.experiments.Evaluator`
  with a progress bar; :func:`size_settings`, :func:`translation_settings`, :func:`rotation_settings` and
  :func:`augment_settings` build the settings of each sweep; :func:`two_stage_sweep` runs "random, then
  uniform around the best"; :func:`best_index` picks the winner.
* The paper's statements checked on reproduced numbers: :func:`view_study_claims` (§4.2.3.1),
  :func:`robust_feature_claims` (Table 4.2), :func:`augmentation_ablation_claims` (Table B.4), rendered
  with :func:`sbsr.book.claims.claims_markdown`.
* The widgets: :func:`rank_queries` ranks a few queries under one setting (live re-ranking),
  :func:`settings_sweep` keeps the top-k of tracked queries for every setting it evaluates (``track=``)
  and :func:`varying_queries` picks the queries whose rank a setting moves most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from ...retrieval.distances import shape_distances_and_views
from ...retrieval.metrics import (StudyMatrix, aggregated_feature_distance, object_matching_accuracy,
                                  ranks_of_targets, view_distance_matrix, view_matching_accuracy)
from ...retrieval.pipeline import METHODS, Framing, RetrievalSettings, encode_images, features_for
from .experiments import best_index, sweep_rows

Accuracy = dict  # {category: {"acc@1": float, "acc@5": float}}

# --------------------------------------------------------------------------------------------------
# the CLIP view study (§4.2.3.1)

#: The chair sketch azimuths of AmateurSketch, the three views of the study ("0°, 30° and 75°").
VIEW_STUDY_AZIMUTHS = (0.0, 30.0, 75.0)
#: The three image domains of the study, in the paper's order.
DOMAINS = ("sketch", "line", "rgb")
DOMAIN_LABELS = {"sketch": "freehand sketch", "line": "line rendering", "rgb": "RGB rendering"}
#: The three domain pairs of Fig. 4.1 / 4.2: sketch-line, sketch-RGB, line-RGB.
DOMAIN_PAIRS = (("sketch", "line"), ("sketch", "rgb"), ("line", "rgb"))


def pair_label(pair: tuple[str, str]) -> str:
    """``("sketch", "rgb") -> "sketch – RGB"``."""
    names = {"sketch": "sketch", "line": "line", "rgb": "RGB"}
    return f"{names[pair[0]]} – {names[pair[1]]}"


def view_study_objects(split, n_objects: int | None = None, azimuths: Sequence[float] = VIEW_STUDY_AZIMUTHS,
                       seed: int | np.random.Generator | None = None) -> list[str]:
    """Gallery shapes of ``split`` that have a sketch at every study azimuth, in gallery order.

    ``n_objects``: keep that many - the first ones, or a seeded random pick (the paper's "10 randomly
    selected objects") when ``seed`` is given; the pick keeps gallery order.
    """
    wanted = {float(a) for a in azimuths}
    have: dict[str, set[float]] = {}
    for sk in split.sketches:
        if sk.azimuth is not None and sk.shape_id is not None:
            have.setdefault(sk.shape_id, set()).add(float(sk.azimuth))
    ids = [sid for sid in split.shape_ids if wanted <= have.get(sid, set())]
    if n_objects is None or n_objects >= len(ids):
        return ids
    if n_objects < 1:
        raise ValueError(f"n_objects must be >= 1, got {n_objects}")
    if seed is None:
        return ids[:n_objects]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    picked = set(rng.choice(len(ids), size=n_objects, replace=False).tolist())
    return [sid for i, sid in enumerate(ids) if i in picked]


def view_study_images(split, shape_ids: Sequence[str], azimuths: Sequence[float] = VIEW_STUDY_AZIMUTHS,
                      domains: Sequence[str] = DOMAINS, image_size: int = 224) -> dict[str, np.ndarray]:
    """The study's images per domain: ``{domain: (N, V, H, W[, 3]) uint8}``, objects in ``shape_ids`` order.

    ``sketch``: the split's sketch of each object at each azimuth, as drawn (no re-framing: §4.2.3.2 "we
    use the sketches [...] as is"); ``line`` / ``rgb``: line and textureless shaded renderings from the
    same azimuths with the fixed camera distance of §4.2.3 (no bounding-box fitting).
    """
    azimuths = [float(a) for a in azimuths]
    out: dict[str, np.ndarray] = {}
    for domain in domains:
        if domain == "sketch":
            index = {(sk.shape_id, float(sk.azimuth)): sk for sk in split.sketches if sk.azimuth is not None}
            missing = [(sid, az) for sid in shape_ids for az in azimuths if (sid, az) not in index]
            if missing:
                raise KeyError(f"{split.name}/{split.category}: no sketch for (shape, azimuth) {missing[:3]}")
            out[domain] = np.stack([np.stack([index[(sid, az)].load(size=image_size) for az in azimuths])
                                    for sid in shape_ids])
        elif domain in ("line", "rgb"):
            sub = split.subset(shape_ids=list(shape_ids))
            out[domain] = sub.views(azimuths, style=domain, image_size=image_size)
        else:
            raise ValueError(f"unknown domain {domain!r}; choose from {DOMAINS}")
    return out


def encode_domains(encoder, images: dict[str, np.ndarray], tap: str = "layer3", cache=None,
                   progress: Callable | None = None) -> dict[str, np.ndarray]:
    """Flattened features ``{domain: (N, V, D) float32}`` of :func:`view_study_images`' output."""
    out = {}
    items = list(images.items())
    for domain, imgs in (progress(items, desc=f"{encoder.name}: encode domains") if progress else items):
        n, v = imgs.shape[:2]
        flat = imgs.reshape(n * v, *imgs.shape[2:])
        out[domain] = encode_images(encoder, flat, tap=tap, cache=cache).reshape(n, v, -1)
    return out


def diagonal_interval_overlap(study: StudyMatrix) -> np.ndarray:
    """Per row of a square study matrix: does the diagonal cell's interval overlap the interval of any
    other cell of the row? (§4.2.3.1: "there is overlap between confidence intervals", so the wrong
    object or view "can occasionally be selected".)"""
    low, high = np.asarray(study.low), np.asarray(study.high)
    if low.ndim != 2 or low.shape[0] != low.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {low.shape}")
    n = low.shape[0]
    out = np.zeros(n, dtype=bool)
    for i in range(n):
        others = np.arange(n) != i
        out[i] = bool(np.any((low[i, others] <= high[i, i]) & (high[i, others] >= low[i, i])))
    return out


def diagonal_is_row_minimum(matrix) -> np.ndarray:
    """Per row: is the diagonal strictly below every other cell of the row (ties count as a miss)?"""
    d = np.asarray(matrix.mean if isinstance(matrix, StudyMatrix) else matrix, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {d.shape}")
    diag = np.diag(d)
    others = np.where(np.eye(len(d), dtype=bool), np.inf, d)
    return diag < others.min(axis=1)


@dataclass
class ViewStudy:
    """Results of the two studies of §4.2.3.1 for every domain pair."""

    shape_ids: list[str]
    azimuths: tuple[float, ...]
    n_heatmap: int
    heatmap_ids: list = field(default_factory=list)   # the objects of the Fig. 4.1 matrices
    objects: dict = field(default_factory=dict)        # pair -> StudyMatrix (n_heatmap, n_heatmap), Eq. 4.4
    objects_all: dict = field(default_factory=dict)    # pair -> StudyMatrix (N, N), Eq. 4.4 on every object
    views: dict = field(default_factory=dict)          # pair -> StudyMatrix (V, V), Eq. 4.5
    view_matching: dict = field(default_factory=dict)  # pair -> (list[ConfidenceInterval], ConfidenceInterval)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(self.views)

    def summary(self):
        """One row per domain pair with the quantities the text of §4.2.3.1 talks about (the Fig. 4.1 rates
        use the ``n_heatmap`` objects of the matrices, the others all N objects)."""
        import pandas as pd

        rows = []
        for pair in self.pairs:
            per_view, overall = self.view_matching[pair]
            vm = self.views[pair]
            diag = np.diag(vm.mean)
            off = vm.mean[~np.eye(len(diag), dtype=bool)]
            rows.append({
                "domains": pair_label(pair),
                "objects (N)": len(self.shape_ids),
                "same object closest, Fig. 4.1 objects (%)": object_matching_accuracy(self.objects[pair]),
                "same object closest, all N (%)": object_matching_accuracy(self.objects_all[pair]),
                "object rows with overlapping CIs": int(diagonal_interval_overlap(self.objects[pair]).sum()),
                "same view closest (%)": overall.estimate,
                "same view closest, 95% CI": f"[{overall.low:.1f}, {overall.high:.1f}]",
                "Eq. 4.5 diagonal lowest (views)": int(diagonal_is_row_minimum(vm).sum()),
                "Eq. 4.5 rows with overlapping CIs": int(diagonal_interval_overlap(vm).sum()),
                "same-view / other-view distance": float(diag.mean() / off.mean()) if off.size else float("nan"),
            })
        return pd.DataFrame(rows)


def run_view_study(features: dict[str, np.ndarray], shape_ids: Sequence[str],
                   azimuths: Sequence[float] = VIEW_STUDY_AZIMUTHS,
                   pairs: Sequence[tuple[str, str]] = DOMAIN_PAIRS, n_heatmap: int = 10,
                   heatmap_seed: int | np.random.Generator | None = 0, alpha: float = 0.05, n_boot: int = 1000,
                   seed: int = 0) -> ViewStudy:
    """Eq. 4.4 and Eq. 4.5 for every domain pair of ``features`` (``{domain: (N, V, D)}``, same objects).

    The Fig. 4.1 matrices use ``n_heatmap`` objects (the paper's 10 random ones; a seeded pick among the
    N, kept in order, or the first ones if ``heatmap_seed`` is None); Eq. 4.4 is also computed on all N
    objects (``objects_all``) for the "same object closest" rate. Eq. 4.5 and the view matching
    averages run over all N objects (the paper's N = 100).
    """
    n = len(shape_ids)
    for dom, f in features.items():
        if f.shape[0] != n or f.shape[1] != len(azimuths):
            raise ValueError(f"features[{dom!r}] has shape {f.shape[:2]}, expected ({n}, {len(azimuths)})")
    k = min(int(n_heatmap), n)
    if heatmap_seed is None or k == n:
        pick = np.arange(k)
    else:
        rng = heatmap_seed if isinstance(heatmap_seed, np.random.Generator) else np.random.default_rng(heatmap_seed)
        pick = np.sort(rng.choice(n, size=k, replace=False))
    study = ViewStudy(list(shape_ids), tuple(float(a) for a in azimuths), k, [shape_ids[i] for i in pick])
    for a, b in pairs:
        fa, fb = features[a], features[b]
        study.objects_all[(a, b)] = aggregated_feature_distance(fa, fb, alpha=alpha)
        full = study.objects_all[(a, b)]
        study.objects[(a, b)] = StudyMatrix(full.mean[np.ix_(pick, pick)], full.low[np.ix_(pick, pick)],
                                            full.high[np.ix_(pick, pick)], full.samples[np.ix_(pick, pick)])
        study.views[(a, b)] = view_distance_matrix(fa, fb, alpha=alpha)
        study.view_matching[(a, b)] = view_matching_accuracy(fa, fb, n_boot=n_boot, seed=seed, alpha=alpha)
    return study


# --------------------------------------------------------------------------------------------------
# sweeps (Tables 4.1, 4.2, B.2, B.4)

OBB_SETTINGS = METHODS["obb"]


def size_settings(sizes: Iterable[float], base: RetrievalSettings = OBB_SETTINGS) -> list[RetrievalSettings]:
    """Table 4.1: sketches and views centred and scaled so the object's box is ``size`` of the image."""
    out = []
    for s in sizes:
        framing = Framing(float(s), True)
        out.append(base.with_(sketch_framing=framing, view_framing=framing, name=f"box {float(s) * 100:.1f}%"))
    return out


def _num(x: float) -> str:
    return f"{float(x):.10g}"


def translation_settings(translations, base: RetrievalSettings = OBB_SETTINGS) -> list[RetrievalSettings]:
    """Table 4.2 #4-8: ``0.5(CLIP(OBB) + CLIP(f(OBB)))`` with ``f`` a translation by ``(tx, ty)`` pixels."""
    return [base.with_(augment=f"augm2-translate({_num(tx)},{_num(ty)})", name=f"transl. ({_num(tx)}, {_num(ty)})")
            for tx, ty in np.asarray(translations, dtype=np.float64).reshape(-1, 2)]


def rotation_settings(angles, base: RetrievalSettings = OBB_SETTINGS) -> list[RetrievalSettings]:
    """Table 4.2 #8-12: the same with ``f`` a rotation by ``angle`` degrees."""
    return [base.with_(augment=f"augm2-rotate({_num(r)})", name=f"rot. {_num(r)}°")
            for r in np.asarray(angles, dtype=np.float64).reshape(-1)]


def augment_settings(kind: str, translation: tuple[float, float], rotation: float,
                     base: RetrievalSettings = OBB_SETTINGS) -> RetrievalSettings:
    """A three-number augmentation spec of :mod:`sbsr.retrieval.augment` (``augm2-affine``, ``augm4``,
    ``augm3-no-...``) with the given translation and rotation."""
    tx, ty = translation
    spec = f"{kind}({_num(tx)},{_num(ty)},{_num(rotation)})"
    return base.with_(augment=spec, name=spec)


def evaluate_settings(evaluator, encoder, settings: Sequence[RetrievalSettings], ks=(1, 5),
                      progress: Callable | None = None, desc: str = "settings",
                      keep_runs: bool = False):
    """acc@k of every setting on every category of ``evaluator``: a list of ``{category: {metric: value}}``.

    ``progress``: a tqdm-like wrapper (e.g. :func:`sbsr.book.progress`). With ``keep_runs`` returns
    ``(accuracies, runs)`` where ``runs[i][category]`` is the :class:`RetrievalRun` of setting ``i``.
    """
    accs, runs = [], []
    items = list(settings)
    for s in (progress(items, desc=f"{encoder.name}: {desc}") if progress else items):
        by_cat = {cat: evaluator.run(encoder, s, cat) for cat in evaluator.categories}
        accs.append({cat: run.accuracy(ks) for cat, run in by_cat.items()})
        if keep_runs:
            runs.append(by_cat)
    return (accs, runs) if keep_runs else accs


@dataclass
class TwoStageSweep:
    """A random stage, then a uniform stage around the random stage's best (§4.2.3.2)."""

    param: str
    random_values: np.ndarray
    random_accs: list
    uniform_values: np.ndarray
    uniform_accs: list
    rankings: dict = field(default_factory=dict, repr=False)  # value -> QueryRanking of tracked queries

    @property
    def values(self) -> np.ndarray:
        return np.concatenate([np.asarray(self.random_values, dtype=np.float64),
                               np.asarray(self.uniform_values, dtype=np.float64)], axis=0)

    @property
    def accuracies(self) -> list:
        return list(self.random_accs) + list(self.uniform_accs)

    def best(self, categories: Sequence[str] | None = None):
        """``(value, accuracy)`` of the best setting over both stages (see :func:`best_index`)."""
        i = best_index(self.accuracies, categories)
        v = self.values[i]
        return (v.tolist() if np.ndim(v) else float(v)), self.accuracies[i]

    def frame(self):
        """Long table: ``stage, <param columns>, category, metric, value`` (one line per setting x metric)."""
        import pandas as pd

        rows = []
        for stage, vals, accs in (("random", self.random_values, self.random_accs),
                                  ("uniform", self.uniform_values, self.uniform_accs)):
            for v, a in zip(np.asarray(vals, dtype=np.float64), accs):
                params = dict(zip(self.param.split(","), np.atleast_1d(v).tolist()))
                for cat, metrics in a.items():
                    for metric, value in metrics.items():
                        rows.append({"stage": stage, **params, "category": cat, "metric": metric, "value": value})
        return pd.DataFrame(rows)


def two_stage_sweep(param: str, evaluate: Callable[[np.ndarray, str], list], random_values,
                    uniform_around_best: Callable[[object], np.ndarray]) -> TwoStageSweep:
    """Run ``evaluate(values, stage) -> accuracies`` on ``random_values``, then on
    ``uniform_around_best(best)`` where ``best`` is the best random value on both categories
    (:func:`best_index`). ``param`` names the value columns (``"size"``, ``"tx,ty"``, ``"angle"``). With
    zero uniform values the second stage is skipped."""
    random_values = np.asarray(random_values, dtype=np.float64)
    if len(random_values) == 0:
        raise ValueError("the random stage needs at least one value")
    accs1 = list(evaluate(random_values, "random"))
    best = random_values[best_index(accs1)]
    uniform_values = np.asarray(uniform_around_best(best.tolist() if best.ndim else float(best)), dtype=np.float64)
    if len(uniform_values):
        accs2 = list(evaluate(uniform_values, "uniform"))
    else:
        accs2 = []
        uniform_values = uniform_values.reshape(0, *random_values.shape[1:])
    return TwoStageSweep(param, random_values, accs1, uniform_values, accs2)


@dataclass(frozen=True)
class TrackedQueries:
    """Queries whose top-k a sweep records at every setting (for the live widgets)."""

    category: str
    query_indices: tuple[int, ...]
    k: int = 5


def value_key(value) -> float | tuple[float, ...]:
    """A hashable key for a sweep value (a float, or a tuple for (tx, ty))."""
    arr = np.asarray(value, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else tuple(float(v) for v in arr.reshape(-1))


def settings_sweep(evaluator, encoder, param: str, make_settings: Callable[[np.ndarray], list], random_values,
                   uniform_around_best: Callable[[object], np.ndarray], progress: Callable | None = None,
                   track: TrackedQueries | None = None) -> TwoStageSweep:
    """:func:`two_stage_sweep` over :class:`RetrievalSettings` built by ``make_settings(values)`` (e.g.
    :func:`size_settings`), evaluated on ``evaluator``; with ``track`` the top-k of those queries at every
    setting is kept in ``sweep.rankings`` (keys: :func:`value_key`)."""
    rankings: dict = {}

    def evaluate(values, stage):
        settings = make_settings(values)
        accs, runs = evaluate_settings(evaluator, encoder, settings, progress=progress,
                                       desc=f"{stage} {param}", keep_runs=True)
        if track is not None:
            for v, by_cat in zip(values, runs):
                r = by_cat[track.category]
                rankings[value_key(v)] = ranking_from_distances(r.settings.name, r.distances, r.best_view,
                                                                r.targets, list(track.query_indices), track.k)
        return accs

    sweep = two_stage_sweep(param, evaluate, random_values, uniform_around_best)
    sweep.rankings = rankings
    return sweep


def mean_accuracy(accuracy: Accuracy, metric: str = "acc@1", categories: Sequence[str] | None = None) -> float:
    """The mean of ``metric`` over categories (all by default) of one ``{category: {metric: value}}``."""
    cats = list(categories or accuracy.keys())
    return float(np.mean([accuracy[c][metric] for c in cats]))


def points_per_query(evaluator) -> float:
    """How many accuracy points one query is worth in a category of ``evaluator`` (100 / queries, averaged
    over categories): the resolution of its acc@k numbers."""
    return float(np.mean([100.0 / max(1, len(evaluator.split(c).sketches)) for c in evaluator.categories]))


def changed_numbers(before: Accuracy, after: Accuracy) -> tuple[list[str], list[str], int]:
    """Which ``"category metric"`` numbers rise and which fall from ``before`` to ``after``, and how many
    numbers there are (e.g. Table B.2: does centring raise all four?)."""
    ups, downs, n = [], [], 0
    for cat, metrics in before.items():
        for metric, value in metrics.items():
            n += 1
            if after[cat][metric] > value:
                ups.append(f"{cat} {metric}")
            elif after[cat][metric] < value:
                downs.append(f"{cat} {metric}")
    return ups, downs, n


def summary_rows(row: str, accuracies: Sequence[Accuracy]) -> list[dict]:
    """Mean ± population std over settings, as :func:`sbsr.systems.clip_retrieval.experiments.sweep_rows` (one setting
    gives std 0)."""

    return sweep_rows(row, list(accuracies))


# --------------------------------------------------------------------------------------------------
# the box-size widget (Table 4.1)


@dataclass
class QueryRanking:
    """Top-k gallery shapes for a few queries at one setting."""

    label: str
    query_indices: np.ndarray  # (q,) indices into the split's sketches
    targets: np.ndarray        # (q,) ground-truth shape index
    top_k: np.ndarray          # (q, k) shape indices, closest first
    best_view: np.ndarray      # (q, k) index of the view that matched each retrieved shape
    target_rank: np.ndarray    # (q,) 1-based rank of the ground truth

    def subset(self, query_indices) -> "QueryRanking":
        """The rows of the given queries (indices into the split's sketches, as in ``query_indices``)."""
        pos = {int(q): i for i, q in enumerate(self.query_indices)}
        missing = [int(q) for q in query_indices if int(q) not in pos]
        if missing:
            raise KeyError(f"queries {missing[:5]} are not in this ranking")
        rows = np.array([pos[int(q)] for q in query_indices], dtype=np.int64)
        return QueryRanking(self.label, self.query_indices[rows], self.targets[rows], self.top_k[rows],
                            self.best_view[rows], self.target_rank[rows])


def varying_queries(target_ranks, n: int) -> list[int]:
    """Positions of the ``n`` queries whose ground-truth rank moves most across settings: ``target_ranks``
    is (settings, Q); queries are ordered by rank range (max - min), then by worst rank, then by position.
    Returned in increasing order. Picks the queries a widget should show to make a setting's effect visible.
    """
    r = np.asarray(target_ranks, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] == 0:
        raise ValueError(f"target_ranks must be (settings, queries), got shape {r.shape}")
    spread, worst = r.max(axis=0) - r.min(axis=0), r.max(axis=0)
    order = np.lexsort((np.arange(r.shape[1]), -worst, -spread))
    return sorted(order[:n].tolist())


def ranking_from_distances(label: str, distances, best_view, targets, query_indices, k: int = 5,
                           rows=None) -> QueryRanking:
    """Rank the queries ``query_indices`` with their rows of (Q, S) ``distances``, ``best_view`` and
    ``targets`` (stable sort: ties keep gallery order). ``rows``: which rows of the arrays hold those
    queries (default: the rows ``query_indices`` themselves, i.e. the arrays cover every query)."""
    q = np.asarray(query_indices, dtype=np.int64)
    r = q if rows is None else np.asarray(rows, dtype=np.int64)
    d = np.asarray(distances, dtype=np.float64)[r]
    t = np.asarray(targets, dtype=np.int64)[r]
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    bv = np.asarray(best_view)[r]
    return QueryRanking(label, q, t, order, np.take_along_axis(bv, order, axis=1), ranks_of_targets(d, t))


def rank_queries(evaluator, encoder, category: str, settings: RetrievalSettings, query_indices,
                 k: int = 5) -> QueryRanking:
    """Rank the gallery for the sketches ``query_indices`` of ``category`` under ``settings`` (the live
    widget: only those queries and the gallery views are encoded; the feature cache serves repeats)."""
    imgs = evaluator.images[category]
    q = np.asarray(query_indices, dtype=np.int64)
    feats_q, feats_g = features_for(imgs.split, encoder, settings, cache=evaluator.cache,
                                    sketches=imgs.sketches[q], views=imgs.views(settings))
    dist, best = shape_distances_and_views(feats_q, feats_g)
    targets = np.asarray(imgs.split.targets())[q]
    return ranking_from_distances(settings.name, dist, best, targets, q, k, rows=np.arange(len(q)))


__all__ = [
    "VIEW_STUDY_AZIMUTHS", "DOMAINS", "DOMAIN_LABELS", "DOMAIN_PAIRS", "pair_label", "view_study_objects",
    "view_study_images", "encode_domains", "diagonal_interval_overlap", "diagonal_is_row_minimum", "ViewStudy",
    "run_view_study", "OBB_SETTINGS", "size_settings", "translation_settings", "rotation_settings",
    "augment_settings", "evaluate_settings", "best_index",
    "TwoStageSweep", "two_stage_sweep", "TrackedQueries", "value_key", "settings_sweep", "mean_accuracy",
    "points_per_query", "changed_numbers", "summary_rows",
    "QueryRanking", "ranking_from_distances", "rank_queries", "varying_queries",
]
