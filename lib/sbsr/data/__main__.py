"""Command line of :mod:`sbsr.data`.

::

    python -m sbsr.data gallery --out DIR [--categories chair lamp] [--n N] [--seed S] [--azimuths 0 30 75]
    python -m sbsr.data materialize --dataset procedural-v1 --profile quick|full [--root DIR] [--force]
    python -m sbsr.data info [--dataset procedural-v1 --profile quick] [--root DIR] [--checksums]
    python -m sbsr.data info --source shapenet|amateursketch|quickdraw|byo [--root DIR]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sbsr.data", description="datasets of the sbsr book")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("gallery", help="write meshes and line/rgb/depth/sketch PNGs of procedural shapes")
    g.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    g.add_argument("--categories", nargs="+", default=["chair", "lamp"])
    g.add_argument("--n", type=int, default=4, help="shapes per category")
    g.add_argument("--seed", type=int, default=0, help="collection seed")
    g.add_argument("--azimuths", type=float, nargs="+", default=None,
                   help="view azimuths in degrees (default: the category's sketch azimuths)")
    g.add_argument("--elevation", type=float, default=20.0)
    g.add_argument("--image-size", type=int, default=224)
    g.add_argument("--skill", type=float, default=0.5, help="simulated sketcher skill in [0, 1]")

    m = sub.add_parser("materialize", help="build (or verify) a named dataset under data/datasets/")
    m.add_argument("--dataset", default="procedural-v1")
    m.add_argument("--profile", choices=("quick", "full"), default="quick")
    m.add_argument("--root", type=Path, default=None, help="folder (default data/datasets/<dataset>/<profile>)")
    m.add_argument("--force", action="store_true", help="rebuild even when the cache verifies")
    m.add_argument("--no-progress", action="store_true")

    i = sub.add_parser("info", help="summarise a materialized dataset or a real-data folder")
    i.add_argument("--dataset", default="procedural-v1")
    i.add_argument("--profile", choices=("quick", "full"), default="quick")
    i.add_argument("--root", type=Path, default=None)
    i.add_argument("--checksums", action="store_true", help="recompute every sha256")
    i.add_argument("--source", choices=("shapenet", "amateursketch", "quickdraw", "byo"), default=None,
                   help="summarise a real-data folder instead (root or its environment variable)")
    return p


def _print_table(rows: list[dict]) -> None:
    if not rows:
        print("(empty)")
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "gallery":
            from .procedural import write_gallery

            if args.n < 0:
                raise ValueError("--n must be >= 0")
            files = write_gallery(args.out, categories=args.categories, n=args.n, seed=args.seed,
                                  azimuths=args.azimuths, elevation=args.elevation, image_size=args.image_size,
                                  skill=args.skill, progress=sys.stderr.isatty())
            print(f"wrote {len(files)} files to {args.out}")
        elif args.command == "materialize":
            from .procedural import materialize

            ds = materialize(args.dataset, args.profile, root=args.root, force=args.force,
                             progress=not args.no_progress and sys.stderr.isatty())
            print(f"{ds.name} ({ds.profile}) at {ds.root}")
            _print_table(ds.summary())
        else:
            if args.source:
                from .datasets import open_dataset

                kwargs = {"root": args.root}
                if args.source in ("amateursketch", "byo"):
                    kwargs["validate"] = False
                ds = open_dataset(args.source, **kwargs)
                print(f"{args.source} at {ds.root}")
                _print_table(ds.summary())
                return 0
            from .manifest import verify_cache
            from .paths import datasets_dir

            root = args.root or datasets_dir() / args.dataset / args.profile
            status = verify_cache(root, checksums=args.checksums)
            print(f"{root}: {'ok' if status.ok else 'NOT OK'} ({status.reason})")
            if status.manifest is not None:
                man = status.manifest
                print(f"dataset {man.name} v{man.version} profile {man.profile} config {man.config_hash}, "
                      f"{len(man.files)} files, skipped {man.skipped.get('counts', {})}")
                rows = [{"split": s, "category": c, **v} for s, cats in man.counts.items() for c, v in cats.items()]
                _print_table(rows)
            return 0 if status.ok else 1
    except (FileNotFoundError, NotADirectoryError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
