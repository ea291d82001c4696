"""AmateurSketch adapter (Qi et al., freehand sketches of ShapeNet chairs and lamps; thesis §4.2.3).

The thesis uses: sketches at elevation ~20° and azimuths 0/30/75° (chairs), 0/45/90° (lamps); the
test galleries hold 201 chairs and 111 lamps, each with one sketch per azimuth; validation = 200
shapes (600 sketches) per category taken from the training split (:func:`validation_split`).

Expected layout (put the release's files in this shape; file names other than the pattern are
skipped with a logged reason)::

    <root>/                             $SBSR_AMATEURSKETCH_ROOT
      chair/                            one folder per category (chair, lamp)
        sketches/
          <shape_id>_<azimuth>.png      e.g. 1006be65e7bc937e9141f9b58470d646_30.png
          (or <azimuth>/<shape_id>.png  azimuth sub-folders are accepted too)
        train.txt                       shape ids of the training split, one per line
        test.txt                        shape ids of the test split (201 chairs, 111 lamps)
        shapes/<shape_id>.obj           optional meshes (.obj/.off/.ply/.glb); otherwise they come from
                                        ShapeNetCore v2: <shapenet_root>/<synset>/<shape_id>/models/model_normalized.obj
      lamp/ ...

Without ``train.txt``/``test.txt`` all shapes form one split named ``all``. Shape ids are ShapeNet
model ids. PNG and JPG sketches are read with :func:`sbsr.data.images.load_sketch_image` (any size,
alpha, inverted polarity).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

import numpy as np

from .meshes import MESH_SUFFIXES
from .paths import ENV_ROOTS, resolve_root
from .splits import Dataset, RetrievalSplit, ShapeRecord, SketchRecord, SkipLog

SKETCH_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_PATTERN = r"^(?P<shape>.+)_(?P<azimuth>-?\d+(?:\.\d+)?)$"
SKETCH_ELEVATION = 20.0
SKETCH_AZIMUTHS = {"chair": (0.0, 30.0, 75.0), "lamp": (0.0, 45.0, 90.0)}
PAPER_TEST_GALLERY = {"chair": 201, "lamp": 111}
PAPER_VALIDATION_SHAPES = 200


def _read_id_list(path: Path) -> list[str]:
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _file_key(path: Path) -> str:
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _scan_sketches(folder: Path, category: str, pattern: re.Pattern, log: SkipLog) -> list[SketchRecord]:
    records = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix.lower() not in SKETCH_SUFFIXES:
            continue
        rel = path.relative_to(folder)
        m = pattern.match(path.stem)
        if m is not None:
            shape_id, azimuth = m.group("shape"), float(m.group("azimuth"))
        elif len(rel.parts) == 2 and re.fullmatch(r"-?\d+(?:\.\d+)?", rel.parts[0]):
            shape_id, azimuth = path.stem, float(rel.parts[0])
        else:
            log.add("sketch", rel.as_posix(), "file name matches neither <shape>_<azimuth> nor <azimuth>/<shape>", path)
            continue
        records.append(SketchRecord(
            sketch_id=f"{category}/{shape_id}_{azimuth:g}", shape_id=shape_id, category=category,
            azimuth=azimuth, elevation=SKETCH_ELEVATION, path=path, meta={"source": "amateursketch"},
        ))
    return records


def _shape_record(category: str, shape_id: str, cat_dir: Path, shapenet_root: Path | None) -> ShapeRecord | None:
    for suffix in MESH_SUFFIXES:
        path = cat_dir / "shapes" / f"{shape_id}{suffix}"
        if path.is_file():
            return ShapeRecord(shape_id, category, path=path, content_key=_file_key(path))
    if shapenet_root is not None:
        from .shapenet import MODEL_FILE, synset_of

        path = shapenet_root / synset_of(category) / shape_id / MODEL_FILE
        if path.is_file():
            return ShapeRecord(shape_id, category, path=path, content_key=_file_key(path),
                               meta={"synset": synset_of(category)})
    return None


def open_amateursketch(
    root: str | os.PathLike | None = None,
    shapenet_root: str | os.PathLike | None = None,
    categories: Iterable[str] | None = None,
    pattern: str = DEFAULT_PATTERN,
    n_validation: int | None = PAPER_VALIDATION_SHAPES,
    validation_seed: int = 0,
    validate: bool = True,
) -> Dataset:
    """The AmateurSketch release as a :class:`Dataset`: splits ``train``/``test`` (or ``all``) per category,
    plus ``validation`` (``n_validation`` shapes of ``train``, see :func:`validation_split`).

    ``shapenet_root`` defaults to ``$SBSR_SHAPENET_ROOT`` when set; it is needed unless the release
    folder has ``<category>/shapes/``. Shapes without a mesh, unreadable meshes and empty sketches are
    skipped with a logged reason (``validate=True`` loads every mesh and sketch once to find them).
    """
    root = resolve_root("amateursketch", root)
    if shapenet_root is None and os.environ.get(ENV_ROOTS["shapenet"]):
        shapenet_root = os.environ[ENV_ROOTS["shapenet"]]
    sn_root = resolve_root("shapenet", shapenet_root) if shapenet_root is not None else None
    regex = re.compile(pattern)
    cats = list(categories) if categories is not None else sorted(
        p.name for p in root.iterdir() if p.is_dir() and (p / "sketches").is_dir()
    )
    if not cats:
        raise FileNotFoundError(f"AmateurSketch root {root} has no <category>/sketches/ folder (see module docs)")
    ds = Dataset(name="amateursketch", version="release", root=root, meta={"shapenet_root": str(sn_root) if sn_root else None})
    for cat in cats:
        cat_dir = root / cat
        if not (cat_dir / "sketches").is_dir():
            raise FileNotFoundError(f"AmateurSketch category folder {cat_dir / 'sketches'} does not exist")
        log = SkipLog()
        sketches = _scan_sketches(cat_dir / "sketches", cat, regex, log)
        lists = {name: _read_id_list(cat_dir / f"{name}.txt") for name in ("train", "test")
                 if (cat_dir / f"{name}.txt").is_file()}
        if not lists:
            lists = {"all": sorted({s.shape_id for s in sketches})}
        listed = {sid for ids in lists.values() for sid in ids}
        for sk in sketches:
            if sk.shape_id not in listed:
                log.add("sketch", sk.sketch_id, "its shape is in no split list (train.txt/test.txt)", sk.path)
        for split_name, ids in lists.items():
            shapes: dict[str, ShapeRecord] = {}
            split_log = SkipLog(log.items if split_name == next(iter(lists)) else ())
            for sid in ids:
                rec = _shape_record(cat, sid, cat_dir, sn_root)
                if rec is None:
                    where = f"{cat_dir / 'shapes'}" + (f" or {sn_root}" if sn_root else " (no ShapeNet root given)")
                    split_log.add("shape", sid, f"no mesh found in {where}")
                    continue
                shapes[sid] = rec
            keep = set(ids)
            sp = RetrievalSplit(name=split_name, category=cat, shapes=shapes,
                                sketches=[s for s in sketches if s.shape_id in keep],
                                source=f"amateursketch-{cat}", skipped=split_log)
            if validate:
                sp.validate()
            else:
                missing = [s for s in sp.sketches if s.shape_id not in sp.shapes]
                for s in missing:
                    split_log.add("sketch", s.sketch_id, f"its shape {s.shape_id} has no mesh", s.path)
                sp.sketches = [s for s in sp.sketches if s.shape_id in sp.shapes]
            ds.add(sp)
        if n_validation and "train" in ds.splits and cat in ds.splits["train"]:
            ds.add(validation_split(ds.split("train", cat), n_validation, seed=validation_seed))
    return ds


def validation_split(train: RetrievalSplit, n_shapes: int = PAPER_VALIDATION_SHAPES, seed: int = 0) -> RetrievalSplit:
    """The thesis' validation set: ``n_shapes`` shapes of the training split with all their sketches
    (200 shapes x 3 azimuths = 600 queries per category), picked by a seeded permutation of the
    sorted shape ids. Gallery = those shapes."""
    ids = sorted(sid for sid in train.shapes if any(s.shape_id == sid for s in train.sketches))
    rng = np.random.default_rng(seed)
    chosen = [ids[i] for i in sorted(rng.permutation(len(ids))[: min(n_shapes, len(ids))])]
    sub = train.subset(shape_ids=chosen)
    sub.name = "validation"
    sub.skipped = SkipLog()
    return sub
