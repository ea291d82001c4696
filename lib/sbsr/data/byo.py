"""Bring-your-own data: your meshes, your sketches, a CSV pairing them.

Two entry points:

* :func:`open_folders` (used by ``python -m sbsr.evaluate``): any folder tree of meshes, any folder of
  sketches, an optional ``sketch,mesh`` pairs CSV; one gallery of every mesh, every sketch a query.
* :func:`open_byo`: one root folder laid out as below, split into (split, category) galleries.

Layout of :func:`open_byo` (``$SBSR_BYO_ROOT``)::

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
import functools
import hashlib
import os
from pathlib import Path
from typing import Sequence

from sbsr.io import ensure_within, existing_dir

from .meshes import DEFAULT_MAX_FACES, MESH_SUFFIXES, load_mesh_file
from .paths import resolve_root, safe_name
from .splits import Dataset, RetrievalSplit, ShapeRecord, SketchRecord, SkipLog

SKETCH_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
LOADER_VERSION = "meshes-v2"  # bump when load_mesh_file's output changes for the same file and options

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
    mesh_files = list_files(meshes_dir, MESH_SUFFIXES)

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
            shapes[sid] = mesh_record(sid, category, shape_path[sid])
        sp = RetrievalSplit(name=split, category=category, shapes=shapes, sketches=sketches.get((split, category), []),
                            source=f"{name}-{root.name}", skipped=SkipLog(log.items if first else ()))
        first = False
        ds.add(sp.validate() if validate else sp)
    return ds


# ============================================================================================ any folders
class EmptyFolderError(ValueError):
    """A folder holds no file of the kind asked for; the message names it and what else it holds."""


class PairsError(ValueError):
    """A pairs CSV names files that are not there (or are ambiguous); the message lists every such row."""


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def list_files(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """Files under ``folder`` (recursively, sorted) with one of ``suffixes``; hidden files and folders
    (``.DS_Store``, ``._x.png`` resource forks, ``.cache/``) are left out."""
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in suffixes and not _hidden(p, folder))


def _require_files(folder: Path, suffixes: Sequence[str], what: str) -> list[Path]:
    files = list_files(folder, suffixes)
    if files:
        return files
    others = [p for p in folder.rglob("*") if p.is_file()]
    hint = ""
    if others:
        examples = ", ".join(p.relative_to(folder).as_posix() for p in others[:3])
        hint = f"; it holds {len(others)} other file(s), e.g. {examples}"
    raise EmptyFolderError(f"no {what} found under {folder} (looked for {', '.join(suffixes)}){hint}")


def shape_ids_for(files: Sequence[Path], folder: Path) -> dict[Path, str]:
    """Shape id of each mesh file: its path under ``folder`` without the suffix.

    ShapeNet layouts get their model id whatever level ``folder`` is: under the folder above the synsets
    ``<synset>/<id>/models/model_normalized.obj`` (Core v2) and ``<synset>/<id>/model.obj`` (Core v1) become
    ``<synset>/<id>``; under a synset folder ``<id>/models/model_normalized.obj`` and ``<id>/model.obj``
    become ``<id>``. Files that would share an id (``a.obj`` beside ``a.ply``) keep their suffix.
    """
    folder = Path(folder)
    ids: dict[Path, str] = {}
    for f in files:
        parts = f.relative_to(folder).with_suffix("").parts
        if len(parts) >= 3 and parts[-2:] == ("models", "model_normalized"):
            parts = parts[:-2]
        elif len(parts) >= 2 and parts[-1] == "model":
            parts = parts[:-1]
        ids[f] = "/".join(parts)
    counts: dict[str, int] = {}
    for sid in ids.values():
        counts[sid] = counts.get(sid, 0) + 1
    return {f: (f.relative_to(folder).as_posix() if counts[sid] > 1 else sid) for f, sid in ids.items()}


def mesh_record(shape_id: str, category: str, path: Path, up: str = "y", max_faces: int | None = DEFAULT_MAX_FACES,
                repair: bool = True) -> ShapeRecord:
    """A :class:`ShapeRecord` loading ``path`` with the given options; the view cache key covers the file
    (size, modification time) and the options, so editing a mesh or an option re-renders only it."""
    st = path.stat()
    options = {"up": up, "max_faces": max_faces, "repair": repair}
    key = f"{path}:{st.st_size}:{st.st_mtime_ns}:{LOADER_VERSION}:{sorted(options.items())}"
    return ShapeRecord(shape_id, category, path=path, content_key=key, meta={"bytes": st.st_size, **options},
                       loader=functools.partial(load_mesh_file, path, **options))


class _Names:
    """Resolves the names a pairs CSV uses for files of one folder: the path under the folder (or under the
    CSV's folder), the id, the file name, or the stem (the last two only when unique)."""

    def __init__(self, folder: Path, ids: dict[Path, str], csv_dir: Path, suffixes: Sequence[str]):
        self.folder, self.csv_dir, self.suffixes = folder.resolve(), csv_dir, tuple(suffixes)
        self.by_rel = {p.relative_to(folder).as_posix(): p for p in ids}
        self.by_id = {sid: p for p, sid in ids.items()}
        self.by_name: dict[str, list[Path]] = {}
        for p, sid in ids.items():
            for key in {p.name, p.stem, sid.rsplit("/", 1)[-1]}:
                self.by_name.setdefault(key, []).append(p)

    def resolve(self, value: str) -> tuple[Path | None, str]:
        """(path, "") or (None, why not)."""
        text = value.strip().replace("\\", "/")
        if not text:
            return None, "empty"
        raw = Path(text)
        for candidate in ([raw] if raw.is_absolute() else [self.folder / raw, self.csv_dir / raw]):
            resolved = candidate.resolve()
            if resolved.is_relative_to(self.folder):
                rel = resolved.relative_to(self.folder).as_posix()
                if rel in self.by_rel:
                    return self.by_rel[rel], ""
        text = text.strip("/")
        if text in self.by_rel:
            return self.by_rel[text], ""
        if text in self.by_id:
            return self.by_id[text], ""
        found = sorted(set(self.by_name.get(text, [])))
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            names = ", ".join(p.relative_to(self.folder).as_posix() for p in found[:4])
            return None, f"ambiguous: matches {len(found)} files ({names}); give the path under {self.folder}"
        if raw.is_absolute() and not raw.resolve().is_relative_to(self.folder):
            return None, f"outside {self.folder}"
        if (self.folder / raw).is_file() and raw.suffix.lower() not in self.suffixes:
            return None, f"is not a supported file (expected {', '.join(self.suffixes)})"
        return None, f"not found under {self.folder} ({self.known_ids()})"

    def known_ids(self, n: int = 3) -> str:
        """A few of the names that would work, e.g. "known ids include a, b, c and 7 more"."""
        ids = sorted(self.by_id)
        if not ids:
            return "it holds no files"
        more = f" and {len(ids) - n} more" if len(ids) > n else ""
        return "known ids include " + ", ".join(repr(i) for i in ids[:n]) + more


def read_pairs(pairs: str | os.PathLike, mesh_names: _Names, sketch_names: _Names) -> dict[Path, dict]:
    """``{sketch path: {"mesh": mesh path, "line": n, **other columns}}`` from a ``sketch,mesh`` CSV.

    Every row naming a missing, ambiguous or unsupported file is collected and reported at once in a
    :class:`PairsError`, as are sketches paired with two different meshes.
    """
    path = Path(pairs)
    if not path.is_file():
        raise FileNotFoundError(f"pairs CSV {path} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; the header must include sketch,mesh "
                             f"(found {header or 'no header'})")
        rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
                for row in reader]
    problems: list[str] = []
    out: dict[Path, dict] = {}
    for line, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue  # blank line
        sketch, why_s = sketch_names.resolve(row.get("sketch", ""))
        mesh, why_m = mesh_names.resolve(row.get("mesh", ""))
        if sketch is None:
            problems.append(f"line {line}: sketch {row.get('sketch')!r} {why_s}")
        if mesh is None:
            problems.append(f"line {line}: mesh {row.get('mesh')!r} {why_m}")
        if sketch is None or mesh is None:
            continue
        if sketch in out and out[sketch]["mesh"] != mesh:
            problems.append(f"line {line}: sketch {row['sketch']!r} is already paired with "
                            f"{out[sketch]['mesh'].name} on line {out[sketch]['line']}")
            continue
        out[sketch] = {**{k: v for k, v in row.items() if k not in REQUIRED_COLUMNS}, "mesh": mesh, "line": line}
    if problems:
        shown = "\n  ".join(problems[:50]) + (f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else "")
        raise PairsError(f"{path}: {len(problems)} row(s) name files that cannot be used:\n  {shown}")
    if not out:
        raise PairsError(f"{path}: no sketch,mesh rows")
    return out


def folder_source_name(meshes: Path, options: dict) -> str:
    """A readable, collision-free name for the view cache of a mesh folder."""
    digest = hashlib.sha256(f"{Path(meshes).resolve()}|{sorted(options.items())}".encode()).hexdigest()[:10]
    return f"own-{safe_name(Path(meshes).name)}-{digest}"


def open_folders(meshes: str | os.PathLike, sketches: str | os.PathLike, pairs: str | os.PathLike | None = None,
                 up: str = "y", max_faces: int | None = DEFAULT_MAX_FACES, max_file_mb: float | None = 512.0,
                 validate_meshes: bool = True, validate_sketches: bool = True) -> RetrievalSplit:
    """One retrieval split of your own data: every mesh under ``meshes`` is in the gallery, every sketch
    under ``sketches`` is a query (ground truth from ``pairs`` when it names the sketch, else none).

    Meshes: any folder tree of .obj/.off/.ply/.glb/.gltf/.stl files (ShapeNet layouts included, see
    :func:`shape_ids_for`), read by :func:`sbsr.data.meshes.load_mesh_file` (normalised like ShapeNetCore v2,
    repaired, capped at ``max_faces`` faces, ``up`` axis). Files over ``max_file_mb`` are skipped.
    Sketches: images of any size, colour, alpha or polarity (:mod:`sbsr.data.images`).
    ``pairs``: CSV with header ``sketch,mesh`` (paths under the folders, ids, or unique file names/stems).

    Raises :class:`EmptyFolderError` for a folder without meshes/sketches, :class:`PairsError` listing every
    row that names a missing file. With ``validate_*`` unreadable meshes and unreadable or blank sketches are
    dropped, each with its reason in ``split.skipped`` (sketches of a dropped mesh too); without, the caller
    checks them (``python -m sbsr.evaluate`` does so while rendering, to read each mesh once).
    """
    meshes_dir = existing_dir(meshes, "meshes folder")
    sketches_dir = existing_dir(sketches, "sketches folder")
    mesh_files = _require_files(meshes_dir, MESH_SUFFIXES, "mesh files")
    sketch_files = _require_files(sketches_dir, SKETCH_SUFFIXES, "sketch images")
    mesh_ids = shape_ids_for(mesh_files, meshes_dir)
    sketch_ids = {p: p.relative_to(sketches_dir).as_posix() for p in sketch_files}

    paired: dict[Path, dict] = {}
    if pairs is not None:
        csv_dir = Path(pairs).expanduser().resolve().parent
        sketch_stems = {p: p.relative_to(sketches_dir).with_suffix("").as_posix() for p in sketch_files}
        paired = read_pairs(Path(pairs).expanduser(), _Names(meshes_dir, mesh_ids, csv_dir, MESH_SUFFIXES),
                            _Names(sketches_dir, sketch_stems, csv_dir, SKETCH_SUFFIXES))

    options = {"up": up, "max_faces": max_faces}
    log = SkipLog()
    shapes: dict[str, ShapeRecord] = {}
    for path in mesh_files:
        sid = mesh_ids[path]
        size_mb = path.stat().st_size / 2**20
        if max_file_mb is not None and size_mb > max_file_mb:
            log.add("shape", sid, f"file is {size_mb:.0f} MB, over the {max_file_mb:g} MB limit "
                    "(raise --max-file-mb to read it)", path)
            continue
        parts = path.relative_to(meshes_dir).parts
        shapes[sid] = mesh_record(sid, parts[0] if len(parts) > 1 else "object", path, up=up, max_faces=max_faces)
    records = []
    for path in sketch_files:
        pair = paired.get(path)
        target = mesh_ids[pair["mesh"]] if pair else None
        meta = {k: v for k, v in (pair or {}).items() if k not in ("mesh",)}
        try:
            azimuth = float(meta["azimuth"]) if meta.get("azimuth") else None
            elevation = float(meta["elevation"]) if meta.get("elevation") else None
        except ValueError:
            azimuth = elevation = None
        records.append(SketchRecord(sketch_id=sketch_ids[path], shape_id=target,
                                    category=shapes[target].category if target in shapes else "object",
                                    azimuth=azimuth, elevation=elevation, path=path, meta=meta))
    for sk in records:  # ground truth that was skipped for its size
        if sk.shape_id is not None and sk.shape_id not in shapes:
            log.add("sketch", sk.sketch_id, f"its mesh {sk.shape_id} was skipped (too large)", sk.path)
    records = [sk for sk in records if sk.shape_id is None or sk.shape_id in shapes]
    split = RetrievalSplit(name="all", category="all", shapes=shapes, sketches=records,
                           source=folder_source_name(meshes_dir, options), skipped=log)
    if validate_meshes or validate_sketches:
        split.validate(check_meshes=validate_meshes, check_sketches=validate_sketches)
    return split
