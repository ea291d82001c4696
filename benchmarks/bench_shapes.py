"""Procedural shape generation speed: milliseconds per shape for every category (``sbsr.shapes.generate_shape``).

    python benchmarks/bench_shapes.py [--n 20]

A speed target belongs in a benchmark that prints numbers, never in a timed unit test.
"""

from __future__ import annotations

import argparse
import time

from sbsr.shapes import CATEGORIES, generate_shape


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="shapes per category")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be at least 1")
    out = {}
    for cat in CATEGORIES:
        generate_shape(cat, 9, 0)  # warm-up (imports, caches)
        t0 = time.perf_counter()
        for i in range(args.n):
            generate_shape(cat, 9, i)
        out[cat] = (time.perf_counter() - t0) / args.n * 1000.0
        print(f"{cat:>12}: {out[cat]:7.1f} ms per shape")
    return out


if __name__ == "__main__":
    main()
