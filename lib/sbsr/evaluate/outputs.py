"""The three output files of an evaluation: ``ranking.csv``, ``metrics.json``, ``report.html``."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np

from ..io import atomic_write_json, atomic_write_text
from .report import report_html

RANKING_COLUMNS = ("sketch", "rank", "mesh", "distance", "best_view", "ground_truth")


def ranking_rows(result, k: int | None = None) -> list[dict]:
    """Top-``k`` rows per sketch (plus the ground truth's row when it ranks lower).

    ``best_view``: azimuth (degrees) of the mesh's view closest to the sketch (the argmin of Eq. 4.1);
    ``ground_truth``: 1/0, empty when the sketch has none.
    """
    k = result.k if k is None else k
    order = result.order()
    ranks = result.ranks
    azimuths = [v.azimuth for v in result.settings.views]
    rows = []
    for q, sketch in enumerate(result.sketch_ids):
        target = int(result.targets[q])
        picks = [(r, int(s)) for r, s in enumerate(order[q, :k], start=1)]
        if target >= 0 and ranks[q] > k:
            picks.append((int(ranks[q]), target))
        for r, s in picks:
            rows.append({"sketch": sketch, "rank": r, "mesh": result.shape_ids[s],
                         "distance": f"{result.distances[q, s]:.6g}",
                         "best_view": f"{azimuths[int(result.best_view[q, s])]:g}",
                         "ground_truth": "" if target < 0 else int(s == target)})
    return rows


def metrics_dict(result, inputs: dict) -> dict:
    gt = result.has_ground_truth
    kinds = result.skipped.counts()
    ranks = result.ranks
    order = result.order()
    return {
        "encoder": result.encoder,
        "weights_source": result.weights_source,
        "method": result.settings.name,
        "settings": result.settings.describe(),
        "mask": result.settings.mask,
        "views": [{"azimuth": v.azimuth, "elevation": v.elevation} for v in result.settings.views],
        "k": result.k,
        "inputs": inputs,
        "counts": {"meshes": len(result.shape_ids), "sketches": len(result.sketch_ids),
                   "with_ground_truth": int(gt.sum()), "skipped_meshes": kinds.get("shape", 0),
                   "skipped_sketches": kinds.get("sketch", 0)},
        "metrics": result.metrics,
        "confidence": {"level": 0.95, "method": "percentile bootstrap over sketches", **result.bootstrap},
        "per_sketch": [
            {"sketch": sid, "ground_truth": result.shape_ids[int(t)] if t >= 0 else None,
             "rank": int(r) if t >= 0 else None, "top1": result.shape_ids[int(order[q, 0])]}
            for q, (sid, t, r) in enumerate(zip(result.sketch_ids, result.targets, ranks))
        ],
        "skipped": [vars(i) for i in result.skipped.items],
        "mesh_notes": result.mesh_notes,
        "warnings": result.warnings,
        "feature_cache": result.cache_stats,
        "timings_s": {name: round(float(v), 3) for name, v in result.timings.items()},
    }


def write_outputs(result, out_dir: Path, meshes=None, sketches=None, pairs=None, report_limit: int = 200
                  ) -> dict[str, Path]:
    """Write the three files atomically into ``out_dir``; returns their paths."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = {"meshes": str(Path(meshes).resolve()) if meshes is not None else None,
              "sketches": str(Path(sketches).resolve()) if sketches is not None else None,
              "pairs": str(Path(pairs).resolve()) if pairs is not None else None}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=RANKING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ranking_rows(result))
    paths = {"ranking": atomic_write_text(out_dir / "ranking.csv", buf.getvalue()),
             "report": atomic_write_text(out_dir / "report.html", report_html(result, inputs, report_limit))}
    result.timings["write"] = time.perf_counter() - start
    result.timings["total"] = result.timings.get("total", 0.0) + result.timings["write"]
    paths["metrics"] = atomic_write_json(out_dir / "metrics.json", metrics_dict(result, inputs))
    result.out = out_dir
    return paths


def load_ranking(path: str | Path):
    """``ranking.csv`` as a pandas DataFrame (types restored)."""
    import pandas as pd

    df = pd.read_csv(path, dtype={"sketch": str, "mesh": str})
    df["ground_truth"] = df["ground_truth"].map(lambda v: bool(v) if not (isinstance(v, float) and np.isnan(v))
                                                else None)
    return df
