"""The claims of Song et al. 2023 §4.4, checked on the chapter's numbers.

A metric "favours" A over B when A's mean over seeds is better (higher, or lower for ANMRR); a comparison
holds when A is better on at least 4 of the 6 metrics. Each claim also says whether the gap exceeds the
seed spread (the larger of the two standard deviations), so a win inside the noise is reported as such.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbsr.book.claims import claims_table
from sbsr.retrieval.class_metrics import HIGHER_IS_BETTER, METRICS

from .experiments import summarise


def _means(metrics: pd.DataFrame, bench: str) -> pd.DataFrame:
    s = summarise(metrics[metrics["benchmark"] == bench])
    return s.set_index(["run", "metric"])


def better_count(summ: pd.DataFrame, a: str, b: str) -> tuple[int, int]:
    """(metrics where run ``a`` beats ``b`` on the mean, of those the ones beyond the seed spread)."""
    wins = clear = 0
    for m in METRICS:
        ma, mb = summ.loc[(a, m), "mean"], summ.loc[(b, m), "mean"]
        gap = (ma - mb) if HIGHER_IS_BETTER[m] else (mb - ma)
        if gap > 0:
            wins += 1
            clear += int(gap > max(summ.loc[(a, m), "std"], summ.loc[(b, m), "std"]))
    return wins, clear


def _cmp(summ, a, b, label_a, label_b) -> tuple[str, bool]:
    wins, clear = better_count(summ, a, b)
    ft = f"FT {summ.loc[(a, 'FT'), 'mean']:.3f} vs {summ.loc[(b, 'FT'), 'mean']:.3f}"
    return (f"{label_a} better than {label_b} on {wins} of 6 metrics ({clear} beyond the seed spread); {ft}",
            wins >= 4)


def score(summ: pd.DataFrame, run: str) -> float:
    """One number per run: mean over the six metrics, ANMRR counted as 1 - ANMRR."""
    return float(np.mean([summ.loc[(run, m), "mean"] if HIGHER_IS_BETTER[m] else 1 - summ.loc[(run, m), "mean"]
                          for m in METRICS]))


def dsmn_claims(metrics: pd.DataFrame, cosines: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One claims table per benchmark present in ``metrics``; ``cosines[benchmark]`` is the Fig. 4 table."""
    out = {}
    for bench in dict.fromkeys(metrics["benchmark"]):
        summ = _means(metrics, bench)
        runs = set(summ.index.get_level_values(0))
        rows = []
        if {"revgrad", "jan"} <= runs:
            text, ok = _cmp(summ, "revgrad", "jan", "RevGrad", "JAN")
            rows.append(("Adversarial adaptation beats metric learning (RevGrad vs JAN, §4.4.1).", text, ok))
        if {"revgrad", "adv_dsmn", "adv_sf", "ds3"} <= runs:
            text, ok = _cmp(summ, "adv_dsmn", "revgrad", "+DSMN", "L_ce + L_adv")
            rows.append(("The DSMN improves the adversarial baseline (Table 3).", text, ok))
            text, ok = _cmp(summ, "adv_sf", "revgrad", "+L_sf", "L_ce + L_adv")
            rows.append(("The semantic focus loss improves the adversarial baseline (Table 3).", text, ok))
            scores = {r: score(summ, r) for r in ("revgrad", "adv_dsmn", "adv_sf", "ds3")}
            best = max(scores, key=scores.get)
            rows.append(("DSMN and L_sf together perform best of the four ablation rows (Table 3).",
                         "mean of the six metrics (1 - ANMRR): " + ", ".join(f"{r} {v:.3f}" for r, v in scores.items()),
                         best == "ds3"))
        if {f"ds{k}" for k in range(1, 6)} <= runs:
            scores = {k: score(summ, f"ds{k}") for k in range(1, 6)}
            best = max(scores, key=scores.get)
            rows.append(("Three DS sub-networks are best (Tables 4-5).",
                         "mean of the six metrics by number of DS: " + ", ".join(f"{k}: {v:.3f}" for k, v in scores.items())
                         + f"; best {best}", best == 3))
        if bench in cosines and len(cosines[bench]):
            means = cosines[bench].groupby("subnetwork")["cosine"].mean()
            rows.append(("DI(X) and each DS_i(X) are negatively correlated (Fig. 4).",
                         "mean cosine " + ", ".join(f"{k} {v:+.3f}" for k, v in means.items()),
                         bool((means < 0).all())))
        out[bench] = claims_table(rows)
    return out


__all__ = ["better_count", "dsmn_claims", "score"]
