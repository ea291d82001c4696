"""The claims of thesis §3.4.3-3.4.4, checked on the chapter's tables (stated whichever way they come out)."""

from __future__ import annotations

import pandas as pd

from ...book.claims import claims_table

BASE, NO_D, NO_J, FULL = ("SketchyCOCO (replicated)", "SketchyDepth (w/o G_d and D_d)", "SketchyDepth (w/o D_j)",
                          "SketchyDepth")


def _wide(rows: pd.DataFrame) -> dict:
    return {(r.row, r.metric): float(r.value) for r in rows.itertuples()}


def table_3_1_claims(rows: pd.DataFrame, split: pd.DataFrame | None = None, fd_name: str = "FD") -> pd.DataFrame:
    """``rows``: the reproduced Table 3.1 (``row, metric, value``); ``split``: :func:`~.experiments.fid_split`."""
    v = _wide(rows.dropna(subset=["value"]))
    fid = {k[0]: x for k, x in v.items() if k[1] == "FID"}
    ss = {k[0]: x for k, x in v.items() if k[1] == "SSIM"}
    out = [
        ("SketchyDepth yields a better (lower) FID than the baseline.",
         f"{fd_name}: SketchyDepth {fid[FULL]:.3g} vs baseline {fid[BASE]:.3g}", fid[FULL] < fid[BASE]),
        ("Without G_d and D_d the gain is lost: FID no better than the full method's "
         "(the thesis: the same as the baseline).",
         f"w/o G_d and D_d {fid[NO_D]:.3g} vs SketchyDepth {fid[FULL]:.3g} (baseline {fid[BASE]:.3g})",
         fid[NO_D] > fid[FULL]),
        ("Without D_j the gain is lost: FID no better than the full method's (the thesis: no better than "
         "the baseline).",
         f"w/o D_j {fid[NO_J]:.3g} vs SketchyDepth {fid[FULL]:.3g} (baseline {fid[BASE]:.3g})",
         fid[NO_J] > fid[FULL]),
        ("The full method's SSIM is slightly lower than the baseline's.",
         f"SSIM SketchyDepth {ss[FULL]:.3f} vs baseline {ss[BASE]:.3f}", ss[FULL] < ss[BASE]),
        ("Without G_d and D_d, SSIM rises above the baseline's.",
         f"SSIM w/o G_d and D_d {ss[NO_D]:.3f} vs baseline {ss[BASE]:.3f}", ss[NO_D] > ss[BASE]),
    ]
    if split is not None and len(split):
        s = {(r.row, r.split): float(r.value) for r in split.itertuples()}
        if all((k, sp) in s for k in (BASE, FULL) for sp in ("fb", "bo")):
            g_fb, g_bo = s[(BASE, "fb")] - s[(FULL, "fb")], s[(BASE, "bo")] - s[(FULL, "bo")]
            out.append(("SketchyDepth helps more on background-only sketches than on foreground+background ones "
                        "(larger FID gain on bo).",
                        f"gain fb {g_fb:+.3g}, gain bo {g_bo:+.3g}", g_bo > g_fb))
    return claims_table(out)


def depth_claims(depth: pd.DataFrame) -> pd.DataFrame:
    """§3.4.4: the jointly generated depth beats the monocular estimate on the generated image."""
    d = depth.set_index("depth")
    joint = d.loc[f"G_d of {FULL} (joint)"]
    mono = d.loc[f"monocular net on {FULL}'s image (MiDaS stand-in)"]
    return claims_table([
        ("SketchyDepth's depth fits the scene better than a monocular estimate on its generated image "
         "(here: lower AbsRel against the true depth).",
         f"AbsRel joint {joint['AbsRel']:.3f} vs monocular {mono['AbsRel']:.3f}", joint["AbsRel"] < mono["AbsRel"]),
        ("The monocular depth separates foreground objects from the background less neatly (App. A.1.3).",
         f"fg/bg AUC joint {joint['fg/bg AUC']:.3f} vs monocular {mono['fg/bg AUC']:.3f}",
         joint["fg/bg AUC"] > mono["fg/bg AUC"]),
    ])


__all__ = ["depth_claims", "table_3_1_claims"]
