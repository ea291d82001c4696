"""Renderer throughput: views per second of each output of :func:`sbsr.render.render` on a ~1-3k-face mesh.

    python benchmarks/bench_render.py [--n-views 60] [--repeats 3] [--image-size 224] [--json OUT]
                                      [--blender-views 3]

The measurement lives in :mod:`sbsr.render.benchmark` (the data chapter of the book calls the same
function): views sweep the azimuth at elevation 20°, distance 2.5; each output is timed alone, "all" renders
every output in one call, "natural" is :func:`sbsr.render.render_natural`, "blender lines" (Freestyle, only
when a ``blender`` executable is on PATH) includes Blender's start-up per view. Each output is swept
``--repeats`` times and the fastest sweep is reported.
"""

from __future__ import annotations

import argparse

from sbsr.render.benchmark import format_benchmark, run_benchmark


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-views", type=int, default=60, help="views per output (azimuth sweep)")
    ap.add_argument("--repeats", type=int, default=3, help="sweeps per output; the fastest is reported")
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--blender-views", type=int, default=3, help="views for the Blender backend, if present")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.n_views < 1:
        ap.error("--n-views must be at least 1")

    result = run_benchmark(n_views=args.n_views, repeats=args.repeats, image_size=args.image_size,
                           blender_views=args.blender_views)
    print(format_benchmark(result))
    if args.json:
        from sbsr.io import atomic_write_json

        atomic_write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
