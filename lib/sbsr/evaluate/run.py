"""Evaluate the paper's method on your own meshes and sketches (``python -m sbsr.evaluate``).

The steps are the book's own (thesis §4.2.2.1, Eq. 4.1): :func:`sbsr.data.byo.open_folders` reads the
folders, :meth:`RetrievalSplit.views` renders and caches the line views, the sketches and views are framed,
encoded (averaged over affine copies) and masked exactly as in
:func:`sbsr.retrieval.pipeline.features_for`, and each shape's distance to a sketch is the minimum MSE over
its views (:func:`sbsr.retrieval.distances.shape_distances_and_views`). What this module adds is what a
real collection needs: meshes are read lazily while rendering (each at most once, and not at all when its
views are cached), a mesh or sketch that cannot be used is skipped with its reason instead of stopping the
run, sketches may lack ground truth, progress bars, and the three output files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..data.byo import open_folders
from ..data.meshes import DEFAULT_MAX_FACES, MeshRepairWarning
from ..data.splits import RetrievalSplit, SkipLog
from ..io import atomic_write_json
from ..retrieval.distances import shape_distances_and_views
from ..retrieval.metrics import accuracy_ci, ranks_of_targets
from ..retrieval.pipeline import (METHODS, PAPER_VIEWS, RetrievalRun, RetrievalSettings, as_views, encode_images,
                                  load_mask, method)

AUTO_ENCODERS = ("clip-RN101-openai", "minclip-procedural-v1")  # "auto": the first one available here
METHOD_NAMES = (*METHODS, "full")
METRIC_KS = (1, 5, 10)
ENCODE_CHUNK = 64  # = average_features' chunk: the encoder sees the same batches as in run_retrieval


class EvaluationError(ValueError):
    """The evaluation cannot run (nothing usable left, no mask for ``full``, bad option); says why."""


# --------------------------------------------------------------------------------------------- choices
def shipped_mask_for(encoder, best_on: str = "chair") -> tuple[Path | None, str | None]:
    """The binary mask shipped for ``encoder`` (:func:`sbsr.systems.clip_retrieval.train.shipped_mask`) and why it is not
    used (None when it fits): ``(None, None)`` when none is shipped, ``(path, reason)`` when it was trained
    for other weights than the ones loaded."""
    try:
        from ..systems.clip_retrieval.train import check_mask_matches, shipped_mask
    except ImportError:
        return None, None
    try:
        path = Path(shipped_mask(encoder.name, "binary", best_on))
    except (FileNotFoundError, KeyError, LookupError, ValueError):
        return None, None
    return path, check_mask_matches(path, encoder)


def resolve_settings(method_name: str | None, encoder, mask: str | os.PathLike | None = None,
                     views: Sequence[float] = PAPER_VIEWS, elevation: float = 20.0,
                     best_on: str = "chair") -> tuple[RetrievalSettings, list[str]]:
    """The named settings of the core paper at the given views, and warnings about the choice.

    ``method_name=None`` picks ``full`` when a mask is given, or shipped for the encoder's weights, else
    ``obb-augm4``. ``full`` without any mask is an :class:`EvaluationError` that says what to do.
    """
    notes: list[str] = []
    if method_name is not None and method_name not in METHOD_NAMES:
        raise EvaluationError(f"unknown method {method_name!r}; choose from {', '.join(METHOD_NAMES)}")
    if mask is not None:
        mask = Path(mask).expanduser()
        if not mask.is_file():
            raise EvaluationError(f"mask checkpoint {mask} does not exist")
        if method_name is None:
            method_name = "full"
        try:
            from ..systems.clip_retrieval.train import check_mask_matches
        except ImportError:
            check_mask_matches = None
        try:
            mismatch = check_mask_matches(mask, encoder) if check_mask_matches else None
        except Exception as exc:  # not a safetensors file, bad metadata, ...
            raise EvaluationError(f"mask checkpoint {mask} cannot be read ({type(exc).__name__}: {exc})") from exc
        if mismatch and method_name == "full":
            notes.append(mismatch)
    elif method_name in (None, "full"):
        shipped, mismatch = shipped_mask_for(encoder, best_on)
        if shipped is not None and mismatch is None:
            mask = shipped
        elif shipped is not None and method_name == "full":
            mask = shipped
            notes.append(f"{mismatch}; used anyway because --method full was asked for")
        elif shipped is not None:
            notes.append(f"not using the shipped mask ({mismatch}); method obb-augm4")
    if method_name is None:
        method_name = "full" if mask is not None else "obb-augm4"
    if method_name == "full" and mask is None:
        raise EvaluationError(f"method 'full' needs a learned binary mask for encoder {encoder.name}, and none is "
                              "shipped for it; pass --mask PATH (a FeatureModulation .safetensors checkpoint) or "
                              f"choose another method ({', '.join(METHODS)})")
    if method_name != "full" and mask is not None:
        notes.append(f"--mask is ignored by method {method_name} (only 'full' uses a mask)")
        mask = None
    settings = method(method_name, str(mask) if mask is not None else None)
    return settings.with_(views=as_views([float(v) for v in views], float(elevation))), notes


def pick_encoder(name: str, device: str = "auto"):
    """Build encoder ``name`` (``auto``: the first available of :data:`AUTO_ENCODERS`)."""
    from ..encoders import get_encoder, list_encoders

    if name == "auto":
        info = {i.name: i for i in list_encoders()}
        available = [n for n in AUTO_ENCODERS if info[n].available]
        if not available:
            reasons = "; ".join(f"{n}: {info[n].reason}" for n in AUTO_ENCODERS)
            raise EvaluationError(f"no encoder with trained weights is available here ({reasons}); pass "
                                  "--encoder NAME (python -m sbsr.encoders list)")
        name = available[0]
    return get_encoder(name, device=device)


# --------------------------------------------------------------------------------------------- result
@dataclass
class EvaluationResult:
    """Everything one evaluation produced (also written to ``out``)."""

    split: RetrievalSplit  # the shapes and sketches that were used (skipped ones in split.skipped)
    settings: RetrievalSettings
    encoder: str
    weights_source: str
    distances: np.ndarray  # (Q, S) Eq. 4.1
    best_view: np.ndarray  # (Q, S) index into settings.views
    targets: np.ndarray  # (Q,) index of the ground-truth shape, -1 where unknown
    metrics: dict  # {"acc@k": {"value", "low", "high"}} over the sketches with ground truth
    mesh_notes: dict[str, list[str]] = field(default_factory=dict)  # what reading did, per shape
    warnings: list[str] = field(default_factory=list)  # about the settings (e.g. a mask not used)
    timings: dict[str, float] = field(default_factory=dict)
    cache_stats: dict = field(default_factory=dict)
    cache_dir: Path | None = None    # renders and features of this run
    cache_bytes: int = 0             # the cache folder's size after the run
    bootstrap: dict = field(default_factory=dict)  # n_boot and seed of the intervals
    k: int = 5
    out: Path | None = None
    views: np.ndarray | None = field(default=None, repr=False)  # (S, V, H, W) renders
    sketches: np.ndarray | None = field(default=None, repr=False)  # (Q, H, W) as loaded

    @property
    def shape_ids(self) -> list[str]:
        return self.split.shape_ids

    @property
    def sketch_ids(self) -> list[str]:
        return [s.sketch_id for s in self.split.sketches]

    @property
    def has_ground_truth(self) -> np.ndarray:
        return self.targets >= 0

    @property
    def ranks(self) -> np.ndarray:
        """1-based rank of the ground truth per sketch (0 where unknown)."""
        out = np.zeros(len(self.targets), dtype=np.int64)
        gt = self.has_ground_truth
        if gt.any():
            out[gt] = ranks_of_targets(self.distances[gt], self.targets[gt])
        return out

    def order(self) -> np.ndarray:
        return np.argsort(self.distances, axis=1, kind="stable")

    def to_run(self) -> RetrievalRun:
        """The sketches with ground truth as a :class:`RetrievalRun` (what ``run_retrieval`` returns)."""
        gt = self.has_ground_truth
        return RetrievalRun(self.settings, self.encoder, self.distances[gt], self.best_view[gt], self.targets[gt],
                            self.shape_ids, [s for s, g in zip(self.sketch_ids, gt) if g])

    @property
    def skipped(self) -> SkipLog:
        return self.split.skipped

    @property
    def repaired_meshes(self) -> dict[str, list[str]]:
        """The shapes whose geometry reading changed (faces removed, re-oriented, simplified)."""
        out = {sid: [n for n in notes if not n.startswith("merged")] for sid, notes in self.mesh_notes.items()}
        return {sid: notes for sid, notes in out.items() if notes}

    def displayed(self, q: int | None = None, shape: int | None = None, view: int | None = None) -> np.ndarray:
        """A sketch (``q``) or a view (``shape``, ``view``) framed as the encoder saw it."""
        if q is not None:
            return self.settings.sketch_framing.apply(self.sketches[q:q + 1])[0]
        return self.settings.view_framing.apply(self.views[shape, view][None])[0]


# --------------------------------------------------------------------------------------------- steps
def _bar_factory(progress):
    if callable(progress):
        return progress
    if progress:
        from tqdm.auto import tqdm

        return tqdm
    return None


def _iterate(items, progress, **kw):
    factory = _bar_factory(progress)
    return factory(items, **kw) if factory is not None else items


def render_gallery(split: RetrievalSplit, settings: RetrievalSettings, cache: Path | None, progress=True,
                   notes_file: Path | None = None) -> tuple[np.ndarray, dict[str, list[str]]]:
    """Render (or read from the cache) the views of every shape; drop the shapes that fail.

    Each failing mesh is removed from ``split`` with its reason in ``split.skipped``, and so are the sketches
    whose ground truth it was. Returns the views (S, V, H, W) of the remaining shapes and, per shape, what
    loading changed (kept in ``notes_file`` so that a run on cached views still reports it).
    """
    elevations = {v.elevation for v in settings.views}
    if len(elevations) != 1 or any(v.projection != "perspective" for v in settings.views):
        raise EvaluationError("the evaluation renders perspective views at one elevation")
    azimuths = [v.azimuth for v in settings.views]
    elevation = elevations.pop()
    stored: dict = {}
    if notes_file is not None and notes_file.is_file():
        try:
            stored = json.loads(notes_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            stored = {}
    notes: dict[str, list[str]] = {}
    rows: dict[str, np.ndarray] = {}
    failed: dict[str, str] = {}
    for sid in _iterate(list(split.shapes), progress, desc="rendering", unit="mesh"):
        rec = split.shapes[sid]
        loaded: list = []

        def load(rec=rec, loaded=loaded):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MeshRepairWarning)  # recorded in metadata instead
                mesh = rec.load()
            loaded.append(list(getattr(mesh, "metadata", {}).get("sbsr_notes", [])))
            return mesh

        cache_id = sid
        if rec.path is not None and Path(rec.path).is_file():
            # keyed by the file's bytes and the loading options, not by its folder or name
            options = {k: v for k, v in rec.meta.items() if k != "bytes"}
            content = f"sha256:{file_digest(Path(rec.path))}:{sorted(options.items())}"
            rec = dataclasses.replace(rec, content_key=content)
            cache_id = hashlib.sha256(content.encode()).hexdigest()[:16]
        one = RetrievalSplit(name=split.name, category=split.category, source=CONTENT_SOURCE,
                             shapes={cache_id: dataclasses.replace(rec, loader=load)})
        try:
            rows[sid] = one.views(azimuths, style=settings.view_style, elevation=elevation,
                                  cache=cache if cache is not None else False)[0]
        except Exception as exc:  # one bad mesh must not stop the collection
            failed[sid] = str(exc) if str(exc) else type(exc).__name__
            continue
        if loaded:
            notes[sid] = loaded[0]
            stored[rec.content_key] = loaded[0]
        else:
            notes[sid] = list(stored.get(rec.content_key, []))
    for sid, reason in failed.items():
        rec = split.shapes.pop(sid)
        split.skipped.add("shape", sid, f"unreadable mesh: {reason}", rec.path)
    if failed:
        kept = []
        for sk in split.sketches:
            if sk.shape_id in failed:
                split.skipped.add("sketch", sk.sketch_id, f"its mesh {sk.shape_id} was skipped (unreadable mesh)",
                                  sk.path)
            else:
                kept.append(sk)
        split.sketches = kept
    if notes_file is not None and notes:
        atomic_write_json(notes_file, stored)
    if not split.shapes:
        raise EvaluationError(f"none of the meshes could be used:\n  {_skip_lines(split.skipped, 'shape')}")
    return np.stack([rows[sid] for sid in split.shapes]), {s: n for s, n in notes.items() if n}


def truncate_lines(lines: Sequence[str], limit: int = 20, indent: str = "") -> list[str]:
    """The first ``limit`` lines, then ``"... and N more"`` when some were left out."""
    lines = list(lines)
    return lines[:limit] + ([f"{indent}... and {len(lines) - limit} more"] if len(lines) > limit else [])


def user_cache_dir() -> Path:
    """The evaluate command's default cache: ``$XDG_CACHE_HOME/sbsr``, else ``~/.cache/sbsr`` (the user's
    data may live anywhere; the project's ``data/cache`` is for the book)."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "sbsr"


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder`` (0 when it does not exist)."""
    folder = Path(folder)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def format_bytes(n: int) -> str:
    """1234567 -> '1.2 MB'."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} TB"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Cache folder (under ``views``) of renders keyed by mesh file content: the same file in any folder, under
#: any name, is rendered once.
CONTENT_SOURCE = "by-content"


def _skip_lines(skipped: SkipLog, kind: str, limit: int = 20) -> str:
    items = [i for i in skipped.items if i.kind == kind]
    return "\n  ".join(truncate_lines([f"{i.item_id}: {i.reason}" for i in items], limit)) or "(no files)"


def encode_framed(encoder, images: np.ndarray, framing, settings: RetrievalSettings, cache, bar=None) -> np.ndarray:
    """Features (N, D) of ``images`` framed and augmented as :func:`~sbsr.retrieval.pipeline.features_for`
    does, in chunks of :data:`ENCODE_CHUNK` (the same encoder batches, so the same numbers)."""
    out = []
    for start in range(0, len(images), ENCODE_CHUNK):
        chunk = framing.apply(images[start:start + ENCODE_CHUNK])
        out.append(encode_images(encoder, chunk, settings.tap, settings.augment, cache))
        if bar is not None:
            bar.update(len(chunk))
    if not out:
        return encode_images(encoder, images, settings.tap, settings.augment, cache)
    return np.concatenate(out)


def compute_metrics(distances: np.ndarray, targets: np.ndarray, ks: Sequence[int] = METRIC_KS,
                    n_boot: int = 1000, seed: int = 0) -> dict:
    """acc@k (percent) with 95% percentile-bootstrap intervals over the sketches with ground truth."""
    gt = targets >= 0
    if not gt.any():
        return {}
    out = {}
    for k in ks:
        ci = accuracy_ci(distances[gt], targets[gt], k, n_boot=n_boot, seed=seed)
        out[f"acc@{k}"] = {"value": ci.estimate, "low": ci.low, "high": ci.high}
    return out


# --------------------------------------------------------------------------------------------- entry point
def evaluate_folders(
    meshes: str | os.PathLike,
    sketches: str | os.PathLike,
    pairs: str | os.PathLike | None = None,
    encoder="auto",
    method_name: str | None = None,
    mask: str | os.PathLike | None = None,
    views: Sequence[float] = PAPER_VIEWS,
    elevation: float = 20.0,
    k: int = 5,
    out: str | os.PathLike | None = "sbsr-evaluation",
    device: str = "auto",
    cache_dir: str | os.PathLike | None = None,
    up: str = "y",
    max_faces: int | None = DEFAULT_MAX_FACES,
    max_file_mb: float | None = 512.0,
    best_on: str = "chair",
    n_boot: int = 1000,
    seed: int = 0,
    report_limit: int = 200,
    progress: bool | Callable = True,
) -> EvaluationResult:
    """Rank every mesh under ``meshes`` for every sketch under ``sketches`` with the paper's method.

    ``encoder``: a registry name, ``"auto"`` or an :class:`~sbsr.encoders.Encoder`. ``method_name``: one of
    :data:`METHOD_NAMES` (None: ``full`` when a mask is available, else ``obb-augm4``). ``views``: azimuths in
    degrees at ``elevation``. ``cache_dir``: renders go to ``<cache_dir>/views``, features to
    ``<cache_dir>/features`` (None: :func:`user_cache_dir`); renders are keyed by mesh file content. ``out``: folder
    for ``ranking.csv``, ``metrics.json`` and ``report.html`` (None: write nothing). ``progress``: True (tqdm),
    False, or a tqdm-like factory. Raises the errors of :func:`~sbsr.data.byo.open_folders` and
    :class:`EvaluationError`.
    """
    from ..encoders import FeatureCache

    if k < 1:
        raise EvaluationError(f"k must be >= 1, got {k}")
    if not views:
        raise EvaluationError("at least one view azimuth is needed")
    if max_faces is not None and max_faces < 100:
        raise EvaluationError(f"max_faces must be at least 100, got {max_faces}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out_dir = None
    if out is not None:
        out_dir = Path(out).expanduser().resolve()
        for folder in (meshes, sketches):
            folder = Path(folder).expanduser().resolve()
            if out_dir == folder or folder in out_dir.parents:
                raise EvaluationError(f"the output folder {out_dir} must not be inside the input folder {folder}")
        if out_dir.exists() and not out_dir.is_dir():
            raise EvaluationError(f"output {out_dir} exists and is not a folder")

    split = open_folders(meshes, sketches, pairs, up=up, max_faces=max_faces, max_file_mb=max_file_mb,
                         validate_meshes=False, validate_sketches=True)
    if not split.sketches:
        raise EvaluationError(f"none of the sketches could be used:\n  {_skip_lines(split.skipped, 'sketch')}")
    timings["read folders"] = time.perf_counter() - t0

    t = time.perf_counter()
    enc = pick_encoder(encoder, device) if isinstance(encoder, str) else encoder
    settings, notes_on_settings = resolve_settings(method_name, enc, mask, views, elevation, best_on)
    try:
        weights = load_mask(settings.mask, enc, settings.tap)
    except ValueError as exc:
        raise EvaluationError(str(exc)) from exc
    timings["load encoder"] = time.perf_counter() - t

    cache_root = Path(cache_dir).expanduser() if cache_dir is not None else user_cache_dir()
    t = time.perf_counter()
    view_cache = cache_root / "views"
    gallery, notes = render_gallery(split, settings, view_cache, progress,
                                    notes_file=view_cache / "mesh-notes" / f"{CONTENT_SOURCE}.json")
    timings["render"] = time.perf_counter() - t
    if not split.sketches:
        raise EvaluationError(f"no sketch is left to rank:\n  {_skip_lines(split.skipped, 'sketch')}")

    t = time.perf_counter()
    sketch_images = split.sketch_images()
    feature_cache = FeatureCache(cache_root / "features")
    n_s, n_v = gallery.shape[:2]
    factory = _bar_factory(progress)
    bar = factory(total=len(sketch_images) + n_s * n_v, desc=f"encoding ({enc.name}, {settings.name})",
                  unit="img") if factory is not None else None
    try:
        q = encode_framed(enc, sketch_images, settings.sketch_framing, settings, feature_cache, bar)
        g = encode_framed(enc, gallery.reshape(n_s * n_v, *gallery.shape[2:]), settings.view_framing, settings,
                          feature_cache, bar).reshape(n_s, n_v, -1)
    finally:
        if bar is not None:
            bar.close()
    if weights is not None:
        q, g = q * weights, g * weights
    timings["encode"] = time.perf_counter() - t

    t = time.perf_counter()
    dist, best = shape_distances_and_views(q, g)
    index = {sid: i for i, sid in enumerate(split.shapes)}
    targets = np.array([index.get(s.shape_id, -1) if s.shape_id is not None else -1 for s in split.sketches],
                       dtype=np.int64)
    ks = tuple(sorted({*METRIC_KS, int(k)}))
    metrics = compute_metrics(np.asarray(dist), targets, ks, n_boot=n_boot, seed=seed)
    timings["rank"] = time.perf_counter() - t

    result = EvaluationResult(split=split, settings=settings, encoder=enc.name, weights_source=enc.weights_source,
                              distances=np.asarray(dist, dtype=np.float64), best_view=np.asarray(best),
                              targets=targets, metrics=metrics, mesh_notes=notes, timings=timings,
                              cache_stats=feature_cache.stats.as_dict(), k=int(k), out=out_dir,
                              bootstrap={"n_boot": int(n_boot), "seed": int(seed)}, warnings=notes_on_settings,
                              views=gallery, sketches=sketch_images, cache_dir=cache_root.resolve())
    result.cache_bytes = folder_bytes(cache_root)
    timings["total"] = time.perf_counter() - t0
    if out_dir is not None:
        from .outputs import write_outputs

        write_outputs(result, out_dir, meshes=meshes, sketches=sketches, pairs=pairs, report_limit=report_limit)
    return result


__all__ = ["AUTO_ENCODERS", "METHOD_NAMES", "EvaluationError", "EvaluationResult", "compute_metrics",
           "encode_framed", "evaluate_folders", "pick_encoder", "render_gallery", "resolve_settings",
           "shipped_mask_for"]
