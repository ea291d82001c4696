"""``procedural-v1`` and friends: datasets generated from :mod:`sbsr.shapes`, :mod:`sbsr.render` and
:mod:`sbsr.sketch`, standing in for ShapeNet + AmateurSketch with the thesis' protocol (§4.2.3, App. B).

Materialized layout (``data/datasets/<name>/<profile>/``)::

    manifest.json                                config, config hash, counts, skipped, sha256 of every file
    splits/<split>/<category>/index.json         shapes (id, collection seed, index), sketches, view params
    splits/<split>/<category>/sketches/<shape>_<azimuth>_sketch.png
    splits/<split>/<category>/views/<shape>_<azimuth>_line.png

Splits: ``validation`` and ``test`` (galleries with one simulated sketch per sketch azimuth and shape),
``train`` (line views only, for the feature-masking experiment §4.2.3.3). Shapes are not stored: they
are regenerated on demand by ``generate_shape(category, seed, index)``, which is deterministic.
"""

from __future__ import annotations

import json
import logging
import zlib
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import yaml

from sbsr.io import atomic_write_bytes, atomic_write_json

from .images import encode_png, is_empty
from .manifest import BuildResult, build_cached, config_hash, read_manifest, source_fingerprint
from .meshes import export_obj_bytes
from .paths import datasets_dir, format_azimuth, safe_name
from .splits import Dataset, RetrievalSplit, ShapeRecord, SketchRecord, SkipLog
from .views import render_styles, view_params

log = logging.getLogger("sbsr.data")

PROFILES = ("quick", "full")
SKETCH_SPLITS = ("validation", "test")
SPLIT_ORDER = ("validation", "test", "train")
GENERATOR_MODULES = ("sbsr.shapes", "sbsr.render", "sbsr.sketch", "sbsr.data.procedural", "sbsr.data.views",
                     "sbsr.data.images")
GALLERY_STYLES = ("line", "rgb", "depth", "sketch")


# ------------------------------------------------------------------------------------------- specs
def load_specs(path: str | Path | None = None) -> dict[str, dict]:
    """The dataset specifications (``datasets.yml`` beside this module unless ``path`` is given)."""
    if path is None:
        text = resources.files("sbsr.data").joinpath("datasets.yml").read_text(encoding="utf-8")
        label = "sbsr/data/datasets.yml"
    else:
        text, label = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{label}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{label}: expected a mapping of dataset names")
    for name, spec in raw.items():
        for key in ("version", "seed", "split_seeds", "sketch_azimuths", "view_azimuths", "profiles"):
            if key not in spec:
                raise ValueError(f"{label}: dataset {name!r} lacks {key!r}")
    return raw


def get_spec(name: str, path: str | Path | None = None) -> dict:
    specs = load_specs(path)
    if name not in specs:
        raise KeyError(f"unknown procedural dataset {name!r} (known: {', '.join(sorted(specs))})")
    return specs[name]


def sizes_for(spec: dict, profile: str) -> dict[str, dict[str, int]]:
    if profile not in spec["profiles"]:
        raise ValueError(f"unknown profile {profile!r} (choose from {', '.join(spec['profiles'])})")
    return {split: {c: int(n) for c, n in (cats or {}).items()} for split, cats in spec["profiles"][profile].items()}


def sketch_azimuths_for(spec: dict, category: str) -> list[float]:
    table = spec["sketch_azimuths"]
    return [float(a) for a in table.get(category, table.get("default", [0, 45, 90]))]


def dataset_config(name: str, spec: dict, profile: str) -> dict:
    """What a materialization depends on (hashed into the manifest): spec values, sizes, code fingerprint."""
    return {
        "name": name,
        "version": spec["version"],
        "profile": profile,
        "seed": int(spec["seed"]),
        "split_seeds": {k: int(v) for k, v in spec["split_seeds"].items()},
        "elevation": float(spec.get("elevation", 20.0)),
        "image_size": int(spec.get("image_size", 224)),
        "line_width": float(spec.get("line_width", 2.2)),
        "sketch_azimuths": {k: [float(a) for a in v] for k, v in spec["sketch_azimuths"].items()},
        "view_azimuths": [float(a) for a in spec["view_azimuths"]],
        "skill": [float(s) for s in spec.get("skill", [0.2, 0.8])],
        "sizes": sizes_for(spec, profile),
        "code": {m: source_fingerprint([m]) for m in GENERATOR_MODULES},
    }


def collection_seed(config: dict, split: str) -> int:
    return 100 * int(config["seed"]) + int(config["split_seeds"][split])


def sketch_draw(seed: int, split: str, category: str, index: int, azimuth: float,
                skill_range: Sequence[float] = (0.2, 0.8)) -> tuple[float, int]:
    """Deterministic (skill, simulator seed) of one sketch, independent of every other sketch."""
    az_key = int(round((float(azimuth) % 360.0) * 1000))
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(split.encode()), zlib.crc32(category.encode()),
                                 int(index), az_key])
    rng = np.random.default_rng(ss)
    lo, hi = float(skill_range[0]), float(skill_range[1])
    return float(rng.uniform(lo, hi)), int(rng.integers(0, 2**31 - 1))


# ------------------------------------------------------------------------------------------- generation
def _generate(category: str, seed: int, index: int):
    from sbsr.shapes import generate_shape

    return generate_shape(category, seed=seed, index=index)


def _simulate(shape, azimuth: float, elevation: float, image_size: int, skill: float, seed: int) -> np.ndarray:
    from sbsr.sketch import simulate_sketch

    from .views import make_camera

    camera = make_camera(azimuth, elevation, image_size)
    return np.asarray(simulate_sketch(shape, camera, skill=skill, seed=seed, image_size=image_size).image, dtype=np.uint8)


def _progress(items, enabled: bool, desc: str):
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc)


def build_procedural(out: Path, config: dict, progress: bool = False) -> BuildResult:
    """Write every split of ``config`` (see :func:`dataset_config`) into ``out``."""
    elevation, size, width = config["elevation"], config["image_size"], config["line_width"]
    vparams = view_params("line", elevation=elevation, image_size=size, line_width=width)
    counts: dict[str, Any] = {}
    skipped = SkipLog()
    for split in [s for s in SPLIT_ORDER if s in config["sizes"]] + [s for s in config["sizes"] if s not in SPLIT_ORDER]:
        seed = collection_seed(config, split)
        for category, n in config["sizes"][split].items():
            folder = out / "splits" / split / category
            shapes_rows, sketch_rows = [], []
            split_log = SkipLog()
            sk_az = config["sketch_azimuths"].get(category, config["sketch_azimuths"].get("default", [0, 45, 90]))
            for index in _progress(range(n), progress, f"{split}/{category}"):
                try:
                    shape = _generate(category, seed, index)
                except Exception as exc:
                    split_log.add("shape", f"{category}-s{seed}-{index:06d}", f"generation failed: {exc}")
                    continue
                sid = shape.shape_id
                view_files: list[Path] = []
                try:
                    for az in config["view_azimuths"]:
                        image = render_styles(shape, az, ("line",), elevation=elevation, image_size=size,
                                              line_width=width)["line"]
                        view_files.append(atomic_write_bytes(
                            folder / "views" / f"{safe_name(sid)}_{format_azimuth(az)}_line.png", encode_png(image)))
                except Exception as exc:
                    for f in view_files:
                        f.unlink(missing_ok=True)
                    split_log.add("shape", sid, f"rendering failed: {exc}")
                    continue
                shapes_rows.append({"shape_id": sid, "index": index})
                if split not in SKETCH_SPLITS:
                    continue
                for az in sk_az:
                    skill, sk_seed = sketch_draw(config["seed"], split, category, index, az, config["skill"])
                    sketch_id = f"{sid}_{format_azimuth(az)}"
                    try:
                        image = _simulate(shape, az, elevation, size, skill, sk_seed)
                    except Exception as exc:
                        split_log.add("sketch", sketch_id, f"simulation failed: {exc}")
                        continue
                    if is_empty(image):
                        split_log.add("sketch", sketch_id, "empty sketch")
                        continue
                    rel = f"sketches/{safe_name(sid)}_{format_azimuth(az)}_sketch.png"
                    atomic_write_bytes(folder / rel, encode_png(image))
                    sketch_rows.append({"sketch_id": sketch_id, "shape_id": sid, "azimuth": float(az),
                                        "elevation": elevation, "skill": skill, "seed": sk_seed, "file": rel})
            atomic_write_json(folder / "index.json", {
                "split": split, "category": category, "collection_seed": seed,
                "shapes": shapes_rows, "sketches": sketch_rows,
                "views": {"style": "line", "azimuths": config["view_azimuths"], "params": vparams, "dir": "views"},
                "skipped": split_log.to_dict(),
            })
            counts.setdefault(split, {})[category] = {"shapes": len(shapes_rows), "sketches": len(sketch_rows)}
            skipped.extend(split_log)
    return BuildResult(counts=counts, skipped=skipped.to_dict())


# ------------------------------------------------------------------------------------------- loading
def _shape_loader(category: str, seed: int, index: int, expected_id: str):
    def load():
        shape = _generate(category, seed, index)
        if shape.shape_id != expected_id:
            raise ValueError(f"regenerated shape id {shape.shape_id} differs from the materialized {expected_id}; "
                             "the generator changed: rematerialize the dataset")
        return shape

    return load


def load_materialized(root: str | Path) -> Dataset:
    """Open a materialized procedural dataset folder (does not verify checksums; see :func:`materialize`)."""
    root = Path(root)
    manifest = read_manifest(root)
    config = manifest.config
    ds = Dataset(name=manifest.name, version=str(manifest.version), profile=manifest.profile, root=root,
                 manifest=manifest)
    for index_path in sorted((root / "splits").glob("*/*/index.json")):
        idx = json.loads(index_path.read_text(encoding="utf-8"))
        folder = index_path.parent
        split, category, seed = idx["split"], idx["category"], int(idx["collection_seed"])
        shapes = {
            row["shape_id"]: ShapeRecord(
                row["shape_id"], category, loader=_shape_loader(category, seed, int(row["index"]), row["shape_id"]),
                content_key=f"procedural:{category}:{seed}:{row['index']}:{config_hash(config.get('code'))}",
                meta={"collection_seed": seed, "index": int(row["index"])},
            )
            for row in idx["shapes"]
        }
        sketches = [
            SketchRecord(row["sketch_id"], row["shape_id"], category, azimuth=float(row["azimuth"]),
                         elevation=float(row["elevation"]), path=folder / row["file"],
                         meta={"skill": row["skill"], "seed": row["seed"]})
            for row in idx["sketches"]
        ]
        views = idx.get("views") or {}
        ds.add(RetrievalSplit(
            name=split, category=category, shapes=shapes, sketches=sketches,
            source=f"{manifest.name}-{manifest.profile}", skipped=SkipLog.from_dict(idx.get("skipped")),
            view_dir=folder / views.get("dir", "views"), view_dir_params=views.get("params"),
            view_dir_azimuths=tuple(float(a) for a in views.get("azimuths", ())),
        ))
    order = {s: i for i, s in enumerate(SPLIT_ORDER)}
    ds.splits = dict(sorted(ds.splits.items(), key=lambda kv: order.get(kv[0], len(order))))
    return ds


def materialize(
    name: str = "procedural-v1",
    profile: str = "quick",
    root: str | Path | None = None,
    force: bool = False,
    checksums: bool = True,
    progress: bool = False,
    spec: dict | None = None,
) -> Dataset:
    """Build (if needed) and open ``data/datasets/<name>/<profile>``.

    A missing, partial, stale (config or code changed) or corrupted folder is rebuilt; a valid one is
    reused. ``spec`` overrides the entry of ``datasets.yml`` (tests use tiny sizes).
    """
    spec = spec if spec is not None else get_spec(name)
    config = dataset_config(name, spec, profile)
    root = Path(root) if root is not None else datasets_dir() / name / profile
    manifest, built = build_cached(
        root, name=name, version=str(spec["version"]), profile=profile, config=config,
        build=lambda staging: build_procedural(staging, config, progress=progress),
        force=force, checksums=checksums,
    )
    if built:
        log.info("materialized %s/%s into %s: %s", name, profile, root, manifest.counts)
    return load_materialized(root)


# ------------------------------------------------------------------------------------------- gallery
def gallery_azimuths(category: str, spec: dict | None = None) -> list[float]:
    spec = spec if spec is not None else get_spec("procedural-v1")
    return sketch_azimuths_for(spec, category)


def write_gallery(
    out: str | Path,
    categories: Iterable[str] = ("chair", "lamp"),
    n: int = 4,
    seed: int = 0,
    azimuths: Sequence[float] | None = None,
    elevation: float = 20.0,
    image_size: int = 224,
    line_width: float = 2.2,
    skill: float = 0.5,
    progress: bool = False,
) -> list[Path]:
    """Write ``n`` shapes per category: ``<shape>.obj`` and ``<shape>_<azimuth>_{line,rgb,depth,sketch}.png``.

    Deterministic: the same arguments give byte-identical files. Azimuths default to the category's
    sketch azimuths (chairs 0/30/75, lamps 0/45/90). Also writes ``gallery.json`` listing everything.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    listing = []
    for category in categories:
        azs = [float(a) for a in (azimuths if azimuths is not None else gallery_azimuths(category))]
        for index in _progress(range(n), progress, f"gallery {category}"):
            shape = _generate(category, seed, index)
            sid = safe_name(shape.shape_id)
            written.append(atomic_write_bytes(out / f"{sid}.obj", export_obj_bytes(shape)))
            entry = {"shape_id": shape.shape_id, "category": category, "seed": seed, "index": index,
                     "mesh": f"{sid}.obj", "views": []}
            for az in azs:
                images = render_styles(shape, az, ("line", "rgb", "depth"), elevation=elevation,
                                       image_size=image_size, line_width=line_width)
                sk_skill, sk_seed = sketch_draw(seed, "gallery", category, index, az, (skill, skill))
                images["sketch"] = _simulate(shape, az, elevation, image_size, sk_skill, sk_seed)
                files = {}
                for style in GALLERY_STYLES:
                    name = f"{sid}_{format_azimuth(az)}_{style}.png"
                    written.append(atomic_write_bytes(out / name, encode_png(images[style])))
                    files[style] = name
                entry["views"].append({"azimuth": az, "elevation": elevation, "sketch_seed": sk_seed, **files})
            listing.append(entry)
    written.append(atomic_write_json(out / "gallery.json", {
        "categories": list(categories), "n": n, "seed": seed, "elevation": elevation, "image_size": image_size,
        "line_width": line_width, "skill": skill, "shapes": listing,
    }))
    return written
