"""Bring-your-own data: your meshes, your sketches, a CSV pairing them.

Layout (``$SBSR_BYO_ROOT``)::

    <root>/
      meshes/          .obj .off .ply .glb .gltf .stl; sub-folders allowed (meshes/chair/a.obj)
      sketches/        .png .jpg .jpeg (any size; alpha and inverted colours are handled)
      mapping.csv      header: sketch,mesh[,category][,azimuth][,elevation][,split]

``sketch`` and ``mesh`` are paths relative to ``sketches/`` and ``meshes/`` (or to ``<root>``); they
must stay inside ``<root>``. The shape id of a mesh is its path under ``meshes/`` without the suffix.
Category of a mesh: the ``category`` of its rows, else its first sub-folder under ``meshes/``, else
``object``. Split: the ``split`` column (default ``all``). Each (split, category) gallery holds the
meshes its rows refer to plus every mesh no row refers to (distractors). Meshes are normalised like
ShapeNetCore v2. Rows naming missing files, unreadable meshes and empty sketches are skipped with a
logged reason and counted; a missing root, ``meshes/``, ``sketches/`` or ``mapping.csv`` is an error.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from sbsr.io import ensure_within

from .meshes import MESH_SUFFIXES
from .paths import resolve_root
from .splits import Dataset, RetrievalSplit, ShapeRecord, SketchRecord, SkipLog

REQUIRED_COLUMNS = ("sketch", "mesh")
OPTIONAL_COLUMNS = ("category", "azimuth", "elevation", "split")


def _resolve(root: Path, folder: Path, value: str) -> Path | None:
    """A CSV path: relative to ``folder`` first, then to ``root``; refused (None) outside ``root``."""
    raw = Path(value.strip())
    for base in (folder, root):
        candidate = raw if raw.is_absolute() else base / raw
        try:
            resolved = ensure_within(candidate, root, "mapping path")
        except ValueError:
            return None
        if resolved.is_file():
            return resolved
    return None


def _optional_float(text: str | None) -> float | None:
    if text is None or not str(text).strip():
        return None
    return float(text)


def open_byo(root: str | os.PathLike | None = None, mapping: str = "mapping.csv", validate: bool = True,
             name: str = "byo") -> Dataset:
    """Read a bring-your-own folder (layout in the module docstring) into a :class:`Dataset`."""
    root = resolve_root("byo", root)
    meshes_dir, sketches_dir, csv_path = root / "meshes", root / "sketches", root / mapping
    for path, what in ((meshes_dir, "meshes folder"), (sketches_dir, "sketches folder"), (csv_path, "mapping CSV")):
        if not path.exists():
            raise FileNotFoundError(f"bring-your-own {what} {path} does not exist (see data/README.md)")

    log = SkipLog()
    mesh_files = sorted(p for p in meshes_dir.rglob("*") if p.is_file() and p.suffix.lower() in MESH_SUFFIXES)

    def shape_id_of(path: Path) -> str:
        return path.resolve().relative_to(meshes_dir.resolve()).with_suffix("").as_posix()

    def folder_category(path: Path) -> str:
        parts = path.resolve().relative_to(meshes_dir.resolve()).parts
        return parts[0] if len(parts) > 1 else "object"

    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{csv_path}: missing column(s) {missing}; the header must include sketch,mesh")
        rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]

    shape_category: dict[str, str] = {}
    shape_path: dict[str, Path] = {}
    referenced: dict[tuple[str, str], list[str]] = {}
    sketches: dict[tuple[str, str], list[SketchRecord]] = {}
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        sk_path = _resolve(root, sketches_dir, row["sketch"]) if row.get("sketch") else None
        mesh_path = _resolve(root, meshes_dir, row["mesh"]) if row.get("mesh") else None
        if sk_path is None:
            log.add("sketch", f"line {i}", f"sketch file {row.get('sketch')!r} not found inside {root}", csv_path)
            continue
        if mesh_path is None or mesh_path.suffix.lower() not in MESH_SUFFIXES:
            log.add("sketch", f"line {i}", f"mesh file {row.get('mesh')!r} not found inside {root} "
                    f"(or not one of {', '.join(MESH_SUFFIXES)})", csv_path)
            continue
        try:
            azimuth, elevation = _optional_float(row.get("azimuth")), _optional_float(row.get("elevation"))
        except ValueError:
            log.add("sketch", f"line {i}", f"azimuth/elevation not numbers: {row.get('azimuth')!r}, "
                    f"{row.get('elevation')!r}", csv_path)
            continue
        in_meshes = mesh_path.is_relative_to(meshes_dir.resolve())
        sid = shape_id_of(mesh_path) if in_meshes else mesh_path.relative_to(root).with_suffix("").as_posix()
        if sid not in shape_category:
            shape_category[sid] = row.get("category") or (folder_category(mesh_path) if in_meshes else "object")
        category = shape_category[sid]  # a mesh keeps the category of its first row
        shape_path[sid] = mesh_path
        split = row.get("split") or "all"
        referenced.setdefault((split, category), []).append(sid)
        sketches.setdefault((split, category), []).append(SketchRecord(
            sketch_id=sk_path.relative_to(root).as_posix(), shape_id=sid, category=category,
            azimuth=azimuth, elevation=elevation, path=sk_path, meta={"csv_line": i},
        ))

    distractors: dict[str, list[str]] = {}
    for path in mesh_files:
        sid = shape_id_of(path)
        if sid not in shape_path:
            shape_path[sid] = path.resolve()
            shape_category[sid] = folder_category(path)
            distractors.setdefault(shape_category[sid], []).append(sid)

    keys = set(referenced) | {(s, c) for s in ({k[0] for k in referenced} or {"all"}) for c in distractors}
    ds = Dataset(name=name, version="byo", root=root)
    first = True
    for split, category in sorted(keys):
        ids = list(dict.fromkeys(referenced.get((split, category), []) + distractors.get(category, [])))
        shapes = {}
        for sid in ids:
            p = shape_path[sid]
            st = p.stat()
            shapes[sid] = ShapeRecord(sid, category, path=p, content_key=f"{p}:{st.st_size}:{st.st_mtime_ns}")
        sp = RetrievalSplit(name=split, category=category, shapes=shapes, sketches=sketches.get((split, category), []),
                            source=f"{name}-{root.name}", skipped=SkipLog(log.items if first else ()))
        first = False
        ds.add(sp.validate() if validate else sp)
    return ds
