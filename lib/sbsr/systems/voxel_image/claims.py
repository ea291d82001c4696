"""The claims of Ji & Wang checked in code (§4.1 learning curves, §4.2 the voxels' place in the map,
the lifted structure loss as the fix)."""

from __future__ import annotations

import pandas as pd

from sbsr.book.claims import claims_table


def _final_test(curves: pd.DataFrame, arch: str, loss_kind: str = "triplet") -> float:
    s = curves[(curves.arch == arch) & (curves.loss_kind == loss_kind) & (curves.split == "test set")]
    return float(s.loss.iloc[-1])


def _overfit_gap(curves: pd.DataFrame, arch: str, loss_kind: str = "triplet") -> float:
    """Final test-set loss minus the mean training loss of the last 20 % of iterations."""
    s = curves[(curves.arch == arch) & (curves.loss_kind == loss_kind)]
    tr = s[s.split == "train"]
    tail = tr[tr.iteration > 0.8 * tr.iteration.max()].loss.mean()
    return _final_test(curves, arch, loss_kind) - float(tail)


def _early_drop(curves: pd.DataFrame, arch: str, loss_kind: str = "triplet") -> float:
    """Relative drop of the test-set loss from its first to its second evaluation."""
    s = curves[(curves.arch == arch) & (curves.loss_kind == loss_kind) & (curves.split == "test set")].loss
    return float((s.iloc[0] - s.iloc[1]) / max(s.iloc[0], 1e-9)) if len(s) > 1 else 0.0


def curve_claims(curves: pd.DataFrame) -> pd.DataFrame:
    archs = list(dict.fromkeys(curves.arch))
    final = {a: _final_test(curves, a) for a in archs}
    gap = {a: _overfit_gap(curves, a) for a in archs}
    drop = {a: _early_drop(curves, a) for a in archs}
    best = min(final, key=final.get)
    fmt = ", ".join(f"{a} {v:.3f}" for a, v in final.items())
    return claims_table([
        ("2-conv-2-fc has the lowest test loss of the four candidates (§4.1).",
         f"final test-set triplet loss: {fmt}", best == "2-conv-2-fc"),
        ("The shallowest, 1-conv-1-fc, overfits first (largest test-minus-train gap).",
         "test − train gap: " + ", ".join(f"{a} {v:.3f}" for a, v in gap.items()),
         max(gap, key=gap.get) == "1-conv-1-fc"),
        ("3-conv-1-fc is slow to start (its test loss falls least early on).",
         "relative drop of the test-set loss between the first two evaluations: "
         + ", ".join(f"{a} {v:.2f}" for a, v in drop.items()), min(drop, key=drop.get) == "3-conv-1-fc"),
    ])


def embedding_claims(separation: dict[str, dict[str, float]], retrieval: pd.DataFrame, arch: str) -> pd.DataFrame:
    t, lifted = separation["triplet"], separation["lifted"]
    own_t = t["image to own object's images"]
    ratio_t = t["voxel to own images"] / own_t
    ratio_l = lifted["voxel to own images"] / lifted["image to own object's images"]
    r = retrieval[retrieval.arch == arch].set_index("loss")
    top1_t = (r.loc["triplet", "voxel→image top-1"] + r.loc["triplet", "image→voxel top-1"]) / 2
    top1_l = (r.loc["lifted", "voxel→image top-1"] + r.loc["lifted", "image→voxel top-1"]) / 2
    return claims_table([
        ("With the triplet loss, voxels are embedded far from their images (§4.2): a voxel is farther "
         "from its own images than those images are from each other.",
         f"{arch}: voxel→own images {t['voxel to own images']:.3f} vs image→same-object images "
         f"{own_t:.3f} (ratio {ratio_t:.2f})", ratio_t > 1.0),
        ("The lifted structured loss brings the voxels closer to their images (the proposed fix).",
         f"ratio {ratio_t:.2f} (triplet) vs {ratio_l:.2f} (lifted)", ratio_l < ratio_t),
        ("The lifted structured loss improves cross-domain retrieval (mean of voxel→image and image→voxel top-1).",
         f"{top1_t:.1f}% (triplet) vs {top1_l:.1f}% (lifted)", top1_l > top1_t),
    ])
