"""The common interface of every dataset: shapes, sketches, retrieval splits, skip logs.

Protocol (thesis §4.2.3, Appendix B): a retrieval split is one category's gallery of shapes plus the
sketch queries whose ground truth is a shape of that gallery. Each gallery shape has sketches at the
category's sketch azimuths (chairs 0/30/75°, lamps 0/45/90°, elevation 20°), so 200 validation
shapes give the 600 queries behind the validation accuracies (e.g. 69.17 = 415/600) and the
201-chair / 111-lamp test galleries give 603 / 333 queries (75.95 = 458/603, 74.17 = 247/333).
Every adapter (procedural, ShapeNet, AmateurSketch, QuickDraw, bring-your-own) returns a
:class:`Dataset` of such :class:`RetrievalSplit` objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .images import (EmptySketchError, ImageLoadError, is_empty, load_sketch_image, rasterize_strokes, read_png,
                     write_png)
from .manifest import config_hash
from .paths import cache_dir, format_azimuth, safe_name
from .views import canonical_style, render_view, view_params, view_params_hash

log = logging.getLogger("sbsr.data")


# --------------------------------------------------------------------------------------------- records
@dataclass
class ShapeRecord:
    """One gallery shape. ``load()`` returns a mesh (a :class:`sbsr.shapes.Shape` or ``trimesh.Trimesh``)."""

    shape_id: str
    category: str
    path: Path | None = None
    loader: Callable[[], Any] | None = field(default=None, repr=False, compare=False)
    content_key: str = ""  # identifies the geometry for the view cache (file stamp or generator key)
    meta: dict = field(default_factory=dict)

    def load(self):
        if self.loader is not None:
            return self.loader()
        if self.path is None:
            raise ValueError(f"shape {self.shape_id} has neither a file nor a loader")
        from .meshes import load_mesh_file

        return load_mesh_file(self.path)


@dataclass
class SketchRecord:
    """One sketch query: a raster file (``path``) or vector strokes (``strokes``, QuickDraw)."""

    sketch_id: str
    shape_id: str | None
    category: str
    azimuth: float | None = None
    elevation: float | None = None
    path: Path | None = None
    strokes: list | None = field(default=None, repr=False)
    meta: dict = field(default_factory=dict)

    def load(self, size: int = 224) -> np.ndarray:
        """The sketch as a (size, size) uint8 image, white background (see :mod:`sbsr.data.images`)."""
        if self.path is not None:
            return load_sketch_image(self.path, size=size)
        if self.strokes is not None:
            image = rasterize_strokes(self.strokes, size=size)
            if is_empty(image):
                raise EmptySketchError(f"sketch {self.sketch_id}: no strokes")
            return image
        raise ValueError(f"sketch {self.sketch_id} has neither a file nor strokes")


@dataclass
class SkippedItem:
    kind: str  # "shape" | "sketch"
    item_id: str
    reason: str
    path: str | None = None


class SkipLog:
    """Items left out of a dataset, each with a logged reason; :meth:`counts` tallies them."""

    def __init__(self, items: Iterable[SkippedItem] = ()):
        self.items: list[SkippedItem] = list(items)

    def add(self, kind: str, item_id: str, reason: str, path: str | Path | None = None) -> None:
        item = SkippedItem(kind, str(item_id), reason, None if path is None else str(path))
        self.items.append(item)
        log.warning("skipped %s %s: %s", kind, item_id, reason)

    def extend(self, other: "SkipLog") -> None:
        self.items.extend(other.items)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            out[item.kind] = out.get(item.kind, 0) + 1
        return out

    def to_dict(self) -> dict:
        return {"counts": self.counts(), "items": [vars(i) for i in self.items]}

    @classmethod
    def from_dict(cls, raw: dict | None) -> "SkipLog":
        return cls(SkippedItem(**i) for i in (raw or {}).get("items", []))

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"SkipLog({self.counts()})"


# --------------------------------------------------------------------------------------------- splits
@dataclass
class RetrievalSplit:
    """One category's gallery (``shapes``, in gallery order) and its sketch queries."""

    name: str
    category: str
    shapes: dict[str, ShapeRecord] = field(default_factory=dict)
    sketches: list[SketchRecord] = field(default_factory=list)
    source: str = ""
    skipped: SkipLog = field(default_factory=SkipLog)
    view_dir: Path | None = None  # pre-rendered views <shape>_<az>_<style>.png
    view_dir_params: dict | None = None  # view_params() they were rendered with
    view_dir_azimuths: tuple[float, ...] = ()

    # -- bookkeeping -------------------------------------------------------------------------------
    @property
    def shape_ids(self) -> list[str]:
        return list(self.shapes)

    def __len__(self) -> int:
        return len(self.shapes)

    def targets(self) -> np.ndarray:
        """For each sketch, the index of its ground-truth shape in :attr:`shape_ids` (int64)."""
        index = {sid: i for i, sid in enumerate(self.shapes)}
        missing = [s.sketch_id for s in self.sketches if s.shape_id not in index]
        if missing:
            raise KeyError(f"{len(missing)} sketches have no shape in the {self.name}/{self.category} gallery, "
                           f"e.g. {missing[:3]}; call validate() first")
        return np.array([index[s.shape_id] for s in self.sketches], dtype=np.int64)

    def sketch_azimuths(self) -> list[float]:
        return sorted({float(s.azimuth) for s in self.sketches if s.azimuth is not None})

    def subset(self, n_shapes: int | None = None, shape_ids: Sequence[str] | None = None,
               seed: int | None = None) -> "RetrievalSplit":
        """A smaller split: given ``shape_ids``, or ``n_shapes`` (first ones, or a seeded random pick)."""
        ids = list(self.shapes)
        if shape_ids is not None:
            unknown = [s for s in shape_ids if s not in self.shapes]
            if unknown:
                raise KeyError(f"unknown shape ids {unknown[:3]} in {self.name}/{self.category}")
            ids = list(shape_ids)
        elif n_shapes is not None:
            if seed is not None:
                rng = np.random.default_rng(seed)
                picked = set(rng.choice(len(ids), size=min(n_shapes, len(ids)), replace=False).tolist())
                ids = [sid for i, sid in enumerate(ids) if i in picked]
            else:
                ids = ids[:n_shapes]
        keep = set(ids)
        return RetrievalSplit(
            name=self.name, category=self.category, shapes={s: self.shapes[s] for s in ids},
            sketches=[s for s in self.sketches if s.shape_id in keep], source=self.source,
            skipped=SkipLog(self.skipped.items), view_dir=self.view_dir, view_dir_params=self.view_dir_params,
            view_dir_azimuths=self.view_dir_azimuths,
        )

    def validate(self, check_meshes: bool = True, check_sketches: bool = True, image_size: int = 224) -> "RetrievalSplit":
        """Drop unreadable meshes, empty/unreadable sketches and sketches without a gallery shape.

        Each dropped item is logged and recorded in :attr:`skipped`; nothing raises. Returns ``self``.
        """
        dropped: set[str] = set()
        if check_meshes:
            for sid in list(self.shapes):
                rec = self.shapes[sid]
                try:
                    rec.load()
                except Exception as exc:  # any failure of one mesh must not stop the set
                    self.skipped.add("shape", sid, f"unreadable mesh: {exc}", rec.path)
                    del self.shapes[sid]
                    dropped.add(sid)
        kept: list[SketchRecord] = []
        for sk in self.sketches:
            if sk.shape_id in dropped:
                self.skipped.add("sketch", sk.sketch_id, f"its shape {sk.shape_id} was skipped (unreadable mesh)",
                                 sk.path)
                continue
            if self.shapes and sk.shape_id is not None and sk.shape_id not in self.shapes:
                self.skipped.add("sketch", sk.sketch_id, f"its shape {sk.shape_id} is not in the gallery", sk.path)
                continue
            if check_sketches:
                try:
                    sk.load(size=image_size)
                except EmptySketchError as exc:
                    self.skipped.add("sketch", sk.sketch_id, f"empty sketch: {exc}", sk.path)
                    continue
                except (ImageLoadError, FileNotFoundError, OSError, ValueError) as exc:
                    self.skipped.add("sketch", sk.sketch_id, f"unreadable sketch: {exc}", sk.path)
                    continue
            kept.append(sk)
        self.sketches = kept
        return self

    # -- images ------------------------------------------------------------------------------------
    def sketch_images(self, size: int = 224) -> np.ndarray:
        """All sketches as a (Q, size, size) uint8 array, in :attr:`sketches` order."""
        if not self.sketches:
            return np.zeros((0, size, size), dtype=np.uint8)
        return np.stack([s.load(size=size) for s in self.sketches])

    def views(
        self,
        azimuths: Sequence[float],
        style: str = "line",
        elevation: float = 20.0,
        image_size: int = 224,
        cache: bool | str | Path = True,
        progress: bool = False,
        **render_kw,
    ) -> np.ndarray:
        """Views of every gallery shape: (S, V, H, W) uint8 (``(S, V, H, W, 3)`` for ``rgb``).

        Pre-rendered views of a materialized dataset are used when their parameters match; other
        views are rendered with :mod:`sbsr.render` and cached as PNGs under
        ``data/cache/views/<source>/<params hash>/`` (``cache=False`` disables, a path relocates it).
        """
        style = canonical_style(style)
        azimuths = [float(a) for a in azimuths]
        params = view_params(style, elevation=elevation, image_size=image_size, **render_kw)
        use_dir = (
            self.view_dir is not None
            and self.view_dir_params is not None
            and view_params_hash(self.view_dir_params) == view_params_hash(params)
        )
        cache_root: Path | None = None
        if cache:
            base = Path(cache) if isinstance(cache, (str, Path)) else cache_dir() / "views"
            cache_root = base / safe_name(self.source or "dataset") / view_params_hash(params)
        ids = list(self.shapes)
        iterator = ids
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(ids, desc=f"{self.name}/{self.category} {style} views")
        out: list[np.ndarray] = []
        for sid in iterator:
            rec = self.shapes[sid]
            mesh = None
            row = []
            for az in azimuths:
                name = f"{safe_name(sid)}_{format_azimuth(az)}_{style}.png"
                pre = self.view_dir / name if use_dir and az in self.view_dir_azimuths else None
                if pre is not None and pre.is_file():
                    row.append(read_png(pre))
                    continue
                cached = None
                if cache_root is not None:
                    key = config_hash({"id": sid, "content": rec.content_key}, 8)
                    cached = cache_root / f"{safe_name(sid)}-{key}_{format_azimuth(az)}_{style}.png"
                    if cached.is_file():
                        try:
                            row.append(read_png(cached))
                            continue
                        except (OSError, ValueError, SyntaxError):
                            log.warning("re-rendering corrupted cached view %s", cached)
                if mesh is None:
                    mesh = rec.load()
                image = render_view(mesh, az, style, elevation=elevation, image_size=image_size, **render_kw)
                if cached is not None:
                    write_png(cached, image)
                row.append(image)
            out.append(np.stack(row))
        if not out:
            shape = (0, len(azimuths), image_size, image_size) + ((3,) if style == "rgb" else ())
            return np.zeros(shape, dtype=np.uint8)
        return np.stack(out)

    def summary(self) -> dict:
        return {
            "split": self.name, "category": self.category, "shapes": len(self.shapes),
            "sketches": len(self.sketches), "skipped": len(self.skipped),
        }


@dataclass
class Dataset:
    """A named collection of retrieval splits: ``splits[split_name][category]``."""

    name: str
    splits: dict[str, dict[str, RetrievalSplit]] = field(default_factory=dict)
    version: str = ""
    profile: str | None = None
    root: Path | None = None
    manifest: Any = None
    meta: dict = field(default_factory=dict)

    def split(self, name: str, category: str) -> RetrievalSplit:
        if name not in self.splits:
            raise KeyError(f"dataset {self.name} has no split {name!r} (has {sorted(self.splits)})")
        if category not in self.splits[name]:
            raise KeyError(f"split {self.name}/{name} has no category {category!r} (has {sorted(self.splits[name])})")
        return self.splits[name][category]

    def split_names(self) -> list[str]:
        return list(self.splits)

    def categories(self, split: str | None = None) -> list[str]:
        if split is not None:
            return list(self.splits[split])
        return sorted({c for cats in self.splits.values() for c in cats})

    def add(self, split: RetrievalSplit) -> RetrievalSplit:
        self.splits.setdefault(split.name, {})[split.category] = split
        return split

    @property
    def skipped(self) -> SkipLog:
        out = SkipLog()
        for cats in self.splits.values():
            for sp in cats.values():
                out.extend(sp.skipped)
        return out

    def summary(self) -> list[dict]:
        return [sp.summary() for cats in self.splits.values() for sp in cats.values()]

    def validate(self, check_meshes: bool = True, check_sketches: bool = True) -> "Dataset":
        for cats in self.splits.values():
            for sp in cats.values():
                sp.validate(check_meshes=check_meshes, check_sketches=check_sketches)
        return self
