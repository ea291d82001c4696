"""Encoder throughput: raw forward vs the full feature pipeline, cache-hit speed-up, peak memory.

    python benchmarks/bench_encoders.py --n 64 --batch-size 8 [--encoder random-RN101] [--tap layer3]
                                        [--device auto] [--json OUT]

The measurement lives in :mod:`sbsr.encoders.benchmark` (the encoders chapter calls it too).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sbsr.encoders.benchmark import benchmark_rows, run_benchmark


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="random-RN101")
    ap.add_argument("--tap", default="layer3")
    ap.add_argument("--n", type=int, default=64, help="number of images")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--image-size", type=int, default=256, help="size of the PNG files (resized to 224)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--num-workers", type=int, default=None,
                    help="loader threads of the pipeline (default: 0 on CPU, 4 on GPU)")
    ap.add_argument("--repeats", type=int, default=2, help="interleaved repetitions; the best time of each is kept")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = ap.parse_args(argv)
    result = run_benchmark(args.encoder, args.tap, args.n, args.batch_size, args.image_size, args.device,
                           args.num_workers, args.repeats)
    rows = benchmark_rows(result)
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
