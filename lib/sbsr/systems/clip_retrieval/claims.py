"""The core paper's statements checked in code (thesis §4.2.3, App. B.3; supplement §1).

Each function takes one encoder's results and returns a claims table (:func:`sbsr.book.claims.claims_table`:
claim, what was measured here, whether it holds here); the chapters print them with
:func:`sbsr.book.claims.claims_markdown`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...book.claims import claims_table
from ...retrieval.metrics import object_matching_accuracy
from .studies import (Accuracy, TwoStageSweep, ViewStudy, diagonal_interval_overlap, diagonal_is_row_minimum,
                      pair_label)


def view_study_claims(study: ViewStudy):
    """The five statements of §4.2.3.1 (supplement §1.1-1.2) checked on ``study``: a table with the
    claim, what was measured here and whether it holds. Needs the pairs sketch-line, sketch-RGB and
    line-RGB."""
    sl, sr, lr = ("sketch", "line"), ("sketch", "rgb"), ("line", "rgb")
    for p in (sl, sr, lr):
        if p not in study.views:
            raise KeyError(f"the claims need the domain pair {p}; the study has {study.pairs}")
    obj = {p: object_matching_accuracy(study.objects[p]) for p in (sl, sr, lr)}
    obj_all = {p: object_matching_accuracy(study.objects_all[p]) for p in (sl, sr, lr)}
    same_view = {p: study.view_matching[p][1].estimate for p in (sl, sr, lr)}
    diag_min = {p: diagonal_is_row_minimum(study.views[p]) for p in (sl, sr, lr)}
    overlap = {p: diagonal_interval_overlap(study.views[p]) for p in (sl, sr)}
    n_v = len(study.azimuths)

    def pct(d):
        return ", ".join(f"{pair_label(p)} {v:.0f}%" for p, v in d.items())

    rows = [
        ("In all three configurations the same object has the lowest distance in most cases (Fig. 4.1).",
         f"same object closest among {study.n_heatmap} objects: {pct(obj)} "
         f"(all {len(study.shape_ids)}: {pct(obj_all)})",
         all(v > 50.0 for v in obj.values())),
        ("Matching objects is easier between sketches and line renderings than between sketches and RGB "
         "renderings (Fig. 4.1).",
         f"same object closest, all {len(study.shape_ids)} objects: sketch – line {obj_all[sl]:.0f}% vs "
         f"sketch – RGB {obj_all[sr]:.0f}%", obj_all[sl] > obj_all[sr]),
        ("For all configurations the lowest average distance is between the same views (Fig. 4.2).",
         "views whose Eq. 4.5 row minimum is the same view: "
         + ", ".join(f"{pair_label(p)} {int(v.sum())}/{n_v}" for p, v in diag_min.items()),
         all(bool(v.all()) for v in diag_min.values())),
        ("Matching views of sketches with line renderings is more reliable than with RGB renderings (Fig. 4.2).",
         f"same view closest over objects: sketch – line {same_view[sl]:.0f}% vs sketch – RGB {same_view[sr]:.0f}%",
         same_view[sl] > same_view[sr]),
        ("With sketches, the confidence intervals of the same and of other views can overlap (Fig. 4.2).",
         "Eq. 4.5 rows whose same-view interval overlaps another view's: "
         + ", ".join(f"{pair_label(p)} {int(v.sum())}/{n_v}" for p, v in overlap.items()),
         any(bool(v.any()) for v in overlap.values())),
    ]
    return claims_table(rows).rename(columns={"claim": "claim (§4.2.3.1)"})


def _mean_of(accs: Sequence[Accuracy], category: str, metric: str = "acc@1") -> float:
    return float(np.mean([a[category][metric] for a in accs]))


def _all_numbers(acc: Accuracy) -> float:
    """The mean of every number of a row (both categories, both metrics): the paper's "best balance"."""
    return float(np.mean([v for metrics in acc.values() for v in metrics.values()]))


def robust_feature_claims(obb: Accuracy, transl: TwoStageSweep, rot: TwoStageSweep, combined: Accuracy,
                          augm4: Accuracy, similar_px: float = 5.0):
    """The statements of §4.2.3.2 "Robust features" (Table 4.2) checked on one encoder's results.

    ``transl`` and ``rot`` are the two-stage sweeps (values ``(tx, ty)`` and angles), ``combined`` the
    "transl. & rot." row, ``augm4`` the "Augm. (4 imgs)" row. Top-1 accuracy is the measure unless a claim
    names another; "similar" translations lie within ``similar_px`` pixels (the paper's best chair and lamp
    translations, (17, -5) and (19, -2), are 3.6 px apart).
    """
    cats = list(obb)
    rows = []
    t_rand = {c: _mean_of(transl.random_accs, c) for c in cats}
    rows.append(("Averaging with a translated copy helps: random translations beat OBB on average (#4 vs #3).",
                 ", ".join(f"{c}: {t_rand[c]:.1f} vs {obb[c]['acc@1']:.1f}" for c in cats),
                 all(t_rand[c] > obb[c]["acc@1"] for c in cats)))
    if transl.uniform_accs:
        t_uni = {c: _mean_of(transl.uniform_accs, c) for c in cats}
        rows.append(("Sampling around the best random translation does better on average (#5 vs #4).",
                     ", ".join(f"{c}: {t_uni[c]:.1f} vs {t_rand[c]:.1f}" for c in cats),
                     all(t_uni[c] >= t_rand[c] for c in cats)))
    per_cat = {c: transl.best([c]) for c in cats}
    if len(cats) == 2:
        (a, (va, _)), (b, (vb, _)) = per_cat.items()
        dist = float(np.hypot(va[0] - vb[0], va[1] - vb[1]))
        rows.append(("The best translations for chairs and for lamps are similar (#7, #8).",
                     f"{a} ({va[0]:g}, {va[1]:g}) vs {b} ({vb[0]:g}, {vb[1]:g}): {dist:.1f} px apart",
                     dist <= similar_px))
        cross = [(c, o, per_cat[c][1][o]["acc@1"], t_rand[o]) for c, o in ((a, b), (b, a))]
        rows.append(("The translation best for one category also beats the random translations on the "
                     "other (#7, #8 vs #4).",
                     ", ".join(f"best for {c} on {o}: {v:.1f} vs {r:.1f}" for c, o, v, r in cross),
                     all(v > r for _, _, v, r in cross)))
        ra, rb = rot.best([a])[0], rot.best([b])[0]
        rows.append(("One rotation is best for both categories (#10-12: -23.5° for both).",
                     f"best for {a}: {ra:g}°, for {b}: {rb:g}°, for both: {rot.best()[0]:g}°", ra == rb))
    r_rand = {c: _mean_of(rot.random_accs, c) for c in cats}
    rows.append(("Averaging with a rotated copy helps: random rotations beat OBB on average (#8 vs #3).",
                 ", ".join(f"{c}: {r_rand[c]:.1f} vs {obb[c]['acc@1']:.1f}" for c in cats),
                 all(r_rand[c] > obb[c]["acc@1"] for c in cats)))
    deltas = {f"{c} {m}": combined[c][m] - obb[c][m] for c in cats for m in obb[c]}
    rows.append(("Translation and rotation together raise top-1 and top-5 on both categories (#13 vs #3; "
                 "the paper: +2 to +5 points).",
                 ", ".join(f"{k} {v:+.1f}" for k, v in deltas.items()), all(v > 0 for v in deltas.values())))
    rows.append(("Averaging more copies is better: Augm. (4 imgs) beats transl. & rot. on the mean of the "
                 "four numbers (#14 vs #13).",
                 f"{_all_numbers(augm4):.1f} vs {_all_numbers(combined):.1f}",
                 _all_numbers(augm4) > _all_numbers(combined)))
    return claims_table(rows)


def augmentation_ablation_claims(rows_acc: dict, full: str, without_original: str):
    """Table B.4's statements: removing the original image hurts most, and the four-image augmentation
    "strikes the best balance" (highest mean of the four numbers). ``rows_acc``: ``{row label:
    Accuracy}`` with the 3-image rows, the ``full`` 4-image row and the ``without_original`` row."""
    means = {k: _all_numbers(v) for k, v in rows_acc.items()}
    three = {k: v for k, v in means.items() if k != full}
    worst = min(three, key=three.get)
    best = max(means, key=means.get)
    listing = ", ".join(f"{k}: {v:.1f}" for k, v in means.items())
    return claims_table([
        ("Removing the original image causes the largest drop among the 3-image variants.",
         f"lowest mean of the four numbers: {worst} ({listing})", worst == without_original),
        ("The 4-image augmentation strikes the best balance (highest mean of the four numbers).",
         f"highest: {best}", best == full),
    ])


__all__ = ["augmentation_ablation_claims", "robust_feature_claims", "view_study_claims"]
