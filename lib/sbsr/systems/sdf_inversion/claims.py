"""The statements of thesis §4.3.3-4.3.4, checked on the reconstruction numbers.

The thesis judges its shapes by eye; here each statement is turned into a comparison of Chamfer distances
(lower is closer to the target shape) over the same examples, written out in "measured here".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbsr.book.claims import claims_table

from .experiments import ARGMAX, AVERAGE, CLIP, L1, LOWEST, M3D, MULTI, ORACLE


def _chamfer(per_example: pd.DataFrame, method: str, pick: str) -> pd.Series:
    sub = per_example[(per_example["method"] == method) & (per_example["pick"] == pick)]
    return sub.set_index("shape_id")["chamfer"].astype(float)


def _wins(a: pd.Series, b: pd.Series) -> tuple[int, int]:
    """(examples where a is closer than b, examples compared); an empty mesh (NaN) never wins."""
    a, b = a.align(b, join="inner")
    aa, bb = a.fillna(np.inf).to_numpy(), b.fillna(np.inf).to_numpy()
    return int((aa < bb).sum()), len(a)


def _mean(s: pd.Series) -> str:
    s = s.dropna()
    return f"{s.mean():.4f}" if len(s) else "n/a"


def reconstruction_claims(per_example: pd.DataFrame) -> pd.DataFrame:
    """Claims table (``sbsr.book.claims``) from :func:`~.experiments.per_example_table`."""
    avg = _chamfer(per_example, AVERAGE, "-")
    rows = []

    def versus(claim: str, a: pd.Series, b: pd.Series, name_a: str, name_b: str, need: str = "most"):
        if a.empty or b.empty:
            return
        k, n = _wins(a, b)
        holds = k > n / 2 if need == "most" else k >= 1
        rows.append((claim, f"{name_a} closer than {name_b} in {k} of {n} examples (mean Chamfer "
                            f"{_mean(a)} vs {_mean(b)})", holds))

    versus("With SDF supervision (Eq. 4.6) the inversion returns shapes resembling the targets in most cases "
           "(§4.3.3.3).", _chamfer(per_example, M3D, LOWEST), avg, "3D inversion", "the average shape")
    versus("With the CLIP loss (Eq. 4.7) the shapes take on characteristics of the target sketch (§4.3.3.4); "
           "read here as: closer to the target shape than the average shape it starts from.",
           _chamfer(per_example, CLIP, LOWEST), avg, "CLIP inversion (lowest loss)", "the average shape")
    versus("The lowest loss does not always pick the best shape: better shapes appear during the optimisation "
           "(§4.3.3.4; read here as: in at least one example a snapshot is closer than the lowest-loss shape).",
           _chamfer(per_example, CLIP, ORACLE), _chamfer(per_example, CLIP, LOWEST), "the oracle snapshot",
           "the lowest-loss shape", need="any")
    versus("Reducing the embedding with the argmax gives shapes that miss fewer parts (§4.3.3.4; read here as: "
           "closer to the target than plain CLIP inversion).", _chamfer(per_example, ARGMAX, LOWEST),
           _chamfer(per_example, CLIP, LOWEST), "argmax inversion", "CLIP inversion")
    versus("Proposed extension (§4.3.4): an L1 pull towards the average style vectors keeps shapes reasonable "
           "(read here as: closer to the target than plain CLIP inversion).", _chamfer(per_example, L1, LOWEST),
           _chamfer(per_example, CLIP, LOWEST), "CLIP + L1 pull", "CLIP inversion")
    versus("Proposed extension (§4.3.4): sketches from several views of the same shape constrain the inversion "
           "(read here as: closer to the target than one front sketch).", _chamfer(per_example, MULTI, LOWEST),
           _chamfer(per_example, CLIP, LOWEST), "several sketch views", "the front sketch only")
    return claims_table(rows)


def clip_beats_average(per_example: pd.DataFrame) -> tuple[bool, str]:
    """Whether the CLIP inversion's lowest-loss shapes are closer to their targets than the average shape
    on average (mean Chamfer distance over the examples both have), and the sentence that says so."""
    a, b = _chamfer(per_example, CLIP, LOWEST), _chamfer(per_example, AVERAGE, "-")
    a, b = a.align(b, join="inner")
    k, n = _wins(a, b)
    beats = bool(np.nanmean(a.to_numpy()) < np.nanmean(b.to_numpy())) if a.notna().any() else False
    verdict = "beats" if beats else "does not beat"
    return beats, (f"The CLIP loss {verdict} the average shape: mean Chamfer distance {_mean(a)} for the CLIP "
                   f"inversion against {_mean(b)} for the average initialisation, closer in {k} of {n} examples.")


__all__ = ["clip_beats_average", "reconstruction_claims"]
