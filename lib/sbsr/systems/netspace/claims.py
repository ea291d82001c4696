"""The statements of thesis §5.4, checked on this chapter's results (tables of claim / measured / holds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ...book.claims import claims_table
from .models import CLASS_IDS

#: accuracy points by which a path may dip below its weaker anchor and still count as smooth
TOLERANCE = 5.0


def _interior(d: pd.DataFrame) -> pd.DataFrame:
    return d[(d["gamma"] > 0) & (d["gamma"] < 1)]


def single_claims(res, chance: float) -> pd.DataFrame:
    """Fig. 5.3: predicted instances follow their targets; embedding interpolation is smooth while weight
    interpolation collapses."""
    inst = res.instances
    rho = float(spearmanr(inst["target"], inst["predicted"]).statistic) if len(inst) > 2 else float("nan")
    mae = float((inst["target"] - inst["predicted"]).abs().mean())
    it = res.interpolation
    emb, wts = it[it["space"] == "embedding"], it[it["space"] == "weights"]
    lo = float(min(emb["accuracy"].iloc[0], emb["accuracy"].iloc[-1]))
    e_min, w_min = float(_interior(emb)["accuracy"].min()), float(_interior(wts)["accuracy"].min())
    rho_txt = (f"Spearman ρ(target, predicted) = {rho:.2f}" if rho == rho else
               "the predicted (or target) accuracies do not vary, so ρ is undefined")
    return claims_table([
        ("Predicted instances follow their targets (held-out instances).",
         f"{rho_txt} over {len(inst)} test instances, mean |Δ| = {mae:.1f} points (holds when ρ ≥ 0.5)",
         bool(rho >= 0.5)),
        ("Interpolating embeddings gives instances that perform smoothly between the anchors.",
         f"lowest accuracy inside the embedding path {e_min:.1f} % vs the weaker decoded anchor {lo:.1f} % "
         f"(holds within {TOLERANCE:g} points)", bool(e_min >= lo - TOLERANCE)),
        ("Interpolating the weights directly collapses.",
         f"lowest accuracy inside the weight path {w_min:.1f} % (chance {chance:.1f} %); the embedding path's "
         f"{e_min:.1f} % (holds when the weight path dips more than {TOLERANCE:g} points below the embedding path)",
         bool(w_min < e_min - TOLERANCE)),
    ])


def multi_claims(results: list, param_counts: dict[str, int], chance: float) -> pd.DataFrame:
    """Fig. 5.5: architectures predicted right; the space ordered by parameter count along the line between
    the boundary architectures; unseen architectures drawn by interpolation with better than chance accuracy."""
    rows = []
    order = sorted(CLASS_IDS, key=CLASS_IDS.get)
    counts = [param_counts[a] for a in order]
    for r in results:
        inst = r.instances
        right = float((inst["arch"] == inst["predicted_arch"]).mean() * 100)
        seen = ", ".join(r.seen)
        rows.append((f"[{seen}] The ClassId head reads the architecture of the test instances.",
                     f"{right:.0f} % of {len(inst)} test instances", bool(right >= 75)))
        ids = r.interpolation["class_id"].to_numpy()
        mono = bool(np.all(np.diff(ids) >= 0))
        visited = [order[i] for i in dict.fromkeys(ids.tolist())]
        rows.append((f"[{seen}] The space is ordered by parameter count: going from LeNetLike to ResNet32 the "
                     "architecture grows through the ClassIds in order.",
                     f"architectures along the path: {' → '.join(visited)}; parameter counts by ClassId "
                     f"{', '.join(f'{c:,}' for c in counts)}",
                     mono and counts == sorted(counts) and len(set(ids.tolist())) == len(order)))
        unseen = [a for a in order if a not in r.seen]
        if unseen:
            it = r.interpolation
            got = {a: it[it["predicted_arch"] == a]["accuracy"] for a in unseen}
            txt = "; ".join(f"{a}: {len(v)} points, best {v.max():.1f} %" if len(v) else f"{a}: never drawn"
                            for a, v in got.items())
            ok = all(len(v) and v.max() > chance + TOLERANCE for v in got.values())
            rows.append((f"[{seen}] Instances of the unseen architectures can be drawn by interpolation, with "
                         "good performance.", f"{txt} (chance {chance:.1f} %; holds above chance + {TOLERANCE:g})", ok))
    return claims_table(rows)


def lso_claims(lso: pd.DataFrame) -> pd.DataFrame:
    """Table 5.1: latent space optimisation improves every column."""
    ini = lso[lso["stage"] == "initial"].reset_index(drop=True)
    opt = lso[lso["stage"] == "optimized"].reset_index(drop=True)
    gains = opt["accuracy"] - ini["accuracy"]
    txt = ", ".join(f"{s.split('-')[0]}/{a} {d:+.1f}" for s, a, d in zip(ini["setting"], ini["arch"], gains))
    drift = opt[opt["decoded_as"] != opt["arch"]]
    if len(drift):
        txt += "; decoded as another architecture: " + ", ".join(f"{a}→{d}" for a, d in zip(drift["arch"], drift["decoded_as"]))
    return claims_table([("Latent space optimisation improves the accuracy of every column of Table 5.1.",
                          f"gains (points): {txt}", bool((gains > 0).all()))])


def sdf_claims(res) -> pd.DataFrame:
    """Fig. 5.4: embedding interpolation gives shapes at every step; weight interpolation fails."""
    items = [d for d in res.interpolation if d["space"] in ("embedding", "weights") and 0 < d["gamma"] < 1]
    ok = {s: sum(d["mesh"] is not None for d in items if d["space"] == s) for s in ("embedding", "weights")}
    n = sum(d["space"] == "embedding" for d in items)
    fid = float(res.fidelity["close_%"].mean()) if len(res.fidelity) else float("nan")
    return claims_table([
        ("Interpolating SDF networks' embeddings gives a shape at every step.",
         f"{ok['embedding']} of {n} interior steps have a surface", ok["embedding"] == n),
        ("Interpolating SDF networks' weights directly fails (no or broken surfaces).",
         f"{ok['weights']} of {n} interior steps have a surface (holds when fewer than with embeddings); "
         f"predicted MLPs agree with their targets within 1e-2 at {fid:.0f} % of points", ok["weights"] < ok["embedding"]),
    ])


__all__ = ["TOLERANCE", "lso_claims", "multi_claims", "sdf_claims", "single_claims"]
