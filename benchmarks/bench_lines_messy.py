"""Line renderings of messy meshes (real ShapeNet defects) against the clean ones: line-pixel IoU per defect.

    python benchmarks/bench_lines_messy.py [--categories chair,lamp,table,cabinet,airplane] [--per-category 2]
                                           [--azimuths 0,30,75] [--seed 0] [--blender auto|yes|no]
                                           [--blender-views N] [--csv OUT]

The defects are those of :func:`sbsr.render.messy.messy` (unmerged vertices, slivers, flipped winding,
double-sided faces, interior walls, fins), applied to procedural shapes one at a time and all together; the
measurement lives in :func:`sbsr.render.benchmark.messy_lines_study` (the data chapter calls it too). With
a ``blender`` executable on PATH Blender Freestyle renders the first ``--blender-views`` views (all by
default) clean and messy too: its own messy-vs-clean IoU is reported beside ours, with the chamfer distance
(pixels) between the two renderers' messy renderings.
"""

from __future__ import annotations

import argparse

from sbsr.render.benchmark import messy_lines_study
from sbsr.shapes import generate_shape


def main(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--categories", default="chair,lamp,table,cabinet,airplane")
    ap.add_argument("--per-category", type=int, default=2)
    ap.add_argument("--azimuths", default="0,30,75")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blender", choices=("auto", "yes", "no"), default="auto")
    ap.add_argument("--blender-views", type=int, default=None, help="views that Freestyle renders (default all)")
    ap.add_argument("--csv", default=None, help="also write the per-view table to this CSV file")
    args = ap.parse_args(argv)
    shapes = [generate_shape(c, args.seed, i) for c in args.categories.split(",") for i in range(args.per_category)]
    azimuths = [float(a) for a in args.azimuths.split(",")]
    blender = {"auto": None, "yes": True, "no": False}[args.blender]
    table, _ = messy_lines_study(shapes, azimuths, seed=args.seed, blender=blender, blender_views=args.blender_views)
    cols = [c for c in ("IoU numpy", "IoU freestyle", "chamfer numpy-freestyle px", "s per view") if c in table]
    summary = table.groupby("defect", sort=False)[cols].agg(["min", "mean"]).round(3)
    print(summary.to_string())
    if args.csv:
        table.to_csv(args.csv, index=False)
    return table


if __name__ == "__main__":
    main()
