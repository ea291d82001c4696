"""Command line of :mod:`sbsr.evaluate`::

    python -m sbsr.evaluate --meshes DIR --sketches DIR [--pairs CSV] [--encoder NAME] [--method NAME]
        [--views 0,30,45,75,90] [--elevation 20] [--k 5] [--out DIR] [--device auto] [--cache DIR]
        [--mask PATH] [--up y|z|y-front+z] [--max-faces N] [--max-file-mb MB] [--no-progress]

Exit status: 0 on success, 2 when the input cannot be used (the message says why), 1 on interruption.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..data.meshes import DEFAULT_MAX_FACES, UP_AXES
from ..retrieval.pipeline import PAPER_VIEWS
from .run import METHOD_NAMES, format_bytes, truncate_lines

PER_SKETCH_PRINT_LIMIT = 50


def parse_azimuths(values: list[str]) -> list[float]:
    """``["0,30", "45"]`` -> ``[0.0, 30.0, 45.0]`` (commas and/or spaces)."""
    out = []
    for value in values:
        for part in value.replace(",", " ").split():
            try:
                out.append(float(part))
            except ValueError:
                raise argparse.ArgumentTypeError(f"view azimuth {part!r} is not a number") from None
    if not out:
        raise argparse.ArgumentTypeError("--views needs at least one azimuth")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sbsr.evaluate",
        description="Rank your meshes for your sketches with the paper's zero-shot method; with a pairs CSV, "
                    "report acc@k. Writes ranking.csv, metrics.json and report.html.")
    p.add_argument("--meshes", required=True, type=Path,
                   help="folder tree of .obj/.off/.ply/.glb/.gltf/.stl meshes (ShapeNet layouts work)")
    p.add_argument("--sketches", required=True, type=Path,
                   help="folder of sketch images (PNG/JPG...; any size, colour, alpha or polarity)")
    p.add_argument("--pairs", type=Path, default=None,
                   help="CSV with header sketch,mesh naming each sketch's ground-truth mesh (optional)")
    p.add_argument("--encoder", default="auto",
                   help="encoder name (python -m sbsr.encoders list); auto: clip-RN101-openai if its weights are "
                        "here, else minclip-procedural-v1")
    p.add_argument("--method", default=None, choices=METHOD_NAMES,
                   help="named settings of the paper (Table 4.8); default: full when a mask is shipped for the "
                        "encoder, else obb-augm4")
    p.add_argument("--mask", type=Path, default=None, help="a learned binary mask checkpoint for --method full")
    p.add_argument("--mask-best-on", default="chair", choices=("chair", "lamp"),
                   help="which shipped mask to use: the one selected on chairs or on lamps (default chair)")
    p.add_argument("--views", nargs="+", default=[",".join(f"{v:g}" for v in PAPER_VIEWS)],
                   help="view azimuths in degrees, e.g. 0,30,45,75,90 (default: the paper's five)")
    p.add_argument("--elevation", type=float, default=20.0, help="camera elevation in degrees (default 20)")
    p.add_argument("--k", type=int, default=5, help="length of the ranking written and shown (default 5)")
    p.add_argument("--out", type=Path, default=Path("sbsr-evaluation"), help="output folder")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--cache", type=Path, default=None,
                   help="cache folder for renders and features (default: $XDG_CACHE_HOME/sbsr, else ~/.cache/sbsr; "
                        "renders are keyed by file content, so the same mesh in any folder is rendered once)")
    p.add_argument("--up", default="y", choices=UP_AXES, help="orientation of the mesh files: y = ShapeNetCore v2 (+Y up, front -Z), z = Z up with front -Y, y-front+z = +Y up with front +Z")
    p.add_argument("--max-faces", type=int, default=DEFAULT_MAX_FACES,
                   help=f"simplify meshes with more faces (default {DEFAULT_MAX_FACES})")
    p.add_argument("--max-file-mb", type=float, default=512.0, help="skip mesh files larger than this")
    p.add_argument("--report-limit", type=int, default=200, help="sketches shown in report.html")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the accuracy lines")
    return p


def summary_lines(result, verbose: bool = True) -> list[str]:
    """What the command prints: settings, acc@k with intervals, per-sketch ranks, skipped files."""
    s = result.settings
    gt = result.has_ground_truth
    lines = []
    if verbose:
        lines += [f"encoder  {result.encoder} ({result.weights_source})",
                  f"method   {s.name}: {s.describe()}",
                  f"data     {len(result.shape_ids)} meshes, {len(result.sketch_ids)} sketches "
                  f"({int(gt.sum())} with ground truth), {len(result.skipped)} skipped"]
    for name, m in result.metrics.items():
        lines.append(f"{name:<7} {m['value']:6.2f} %   95% CI [{m['low']:.2f}, {m['high']:.2f}]")
    if not result.metrics:
        lines.append("no ground truth given (--pairs): rankings only")
    if verbose and gt.any():
        lines.append("per-sketch rank of the ground truth:")
        idx = [q for q in range(len(result.sketch_ids)) if gt[q]]
        for q in idx[:PER_SKETCH_PRINT_LIMIT]:
            lines.append(f"  {result.ranks[q]:>5}  {result.sketch_ids[q]}  ->  {result.shape_ids[result.targets[q]]}")
        if len(idx) > PER_SKETCH_PRINT_LIMIT:
            lines.append(f"  ... {len(idx) - PER_SKETCH_PRINT_LIMIT} more in ranking.csv / metrics.json")
    if verbose and len(result.skipped):
        lines.append("skipped:")
        lines += [f"  {i.kind} {i.path or i.item_id}: {i.reason}" for i in result.skipped.items]
    if verbose and result.repaired_meshes:
        lines.append(f"{len(result.repaired_meshes)} mesh(es) repaired or simplified while reading:")
        lines += truncate_lines([f"  {sid}: {'; '.join(notes)}" for sid, notes in result.repaired_meshes.items()],
                                20, indent="  ")
    if verbose:
        lines += [f"note: {w}" for w in result.warnings]
    return lines


def main(argv: list[str] | None = None) -> int:
    from ..data.byo import EmptyFolderError, PairsError
    from ..data.meshes import MeshLoadError
    from ..encoders import WeightsNotFoundError
    from .run import EvaluationError, evaluate_folders

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        views = parse_azimuths(args.views)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = evaluate_folders(
            args.meshes, args.sketches, args.pairs, encoder=args.encoder, method_name=args.method, mask=args.mask,
            views=views, elevation=args.elevation, k=args.k, out=args.out, device=args.device, cache_dir=args.cache,
            up=args.up, max_faces=args.max_faces, max_file_mb=args.max_file_mb, best_on=args.mask_best_on,
            n_boot=args.bootstrap, seed=args.seed, report_limit=args.report_limit, progress=not args.no_progress)
    except (FileNotFoundError, NotADirectoryError, EmptyFolderError, PairsError, EvaluationError,
            WeightsNotFoundError, MeshLoadError, KeyError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    for line in summary_lines(result, verbose=not args.quiet):
        print(line)
    if not args.quiet:
        t = result.timings
        print(f"wrote {result.out / 'ranking.csv'}, {result.out / 'metrics.json'}, {result.out / 'report.html'} "
              f"in {t.get('total', 0):.1f} s (render {t.get('render', 0):.1f} s, encode {t.get('encode', 0):.1f} s; "
              f"features: {result.cache_stats.get('misses', 0)} encoded, {result.cache_stats.get('hits', 0)} cached)")
        print(f"cache {result.cache_dir}: {format_bytes(result.cache_bytes)}")
    return 0
