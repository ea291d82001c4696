"""ShapeNetCore v2 adapter.

Expected layout (the official ``ShapeNetCore.v2`` release, unzipped)::

    <root>/                                 $SBSR_SHAPENET_ROOT
      03001627/                             synset id (chair)
        1006be65e7bc937e9141f9b58470d646/   model id
          models/model_normalized.obj       the mesh (its .mtl and textures are not needed)
      03636649/ ...                         lamp

Meshes are loaded with trimesh (scenes merged), materials ignored, and normalised like ShapeNetCore v2
(bounding-box centre at the origin, unit diagonal: a no-op on these files, applied for safety). Their axes
are the book's world (+Y up, front -Z, :mod:`sbsr.shapes.orientation`): nothing is turned, and the camera's
azimuth 0 sees the front, like AmateurSketch's 0-degree sketches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from .paths import resolve_root
from .splits import Dataset, RetrievalSplit, ShapeRecord, SkipLog

# ShapeNetCore v2 synset ids (WordNet offsets) of its 55 categories, by common name.
SYNSETS: dict[str, str] = {
    "airplane": "02691156", "bag": "02773838", "basket": "02801938", "bathtub": "02808440",
    "bed": "02818832", "bench": "02828884", "birdhouse": "02843684", "bookshelf": "02871439",
    "bottle": "02876657", "bowl": "02880940", "bus": "02924116", "cabinet": "02933112",
    "camera": "02942699", "can": "02946921", "cap": "02954340", "car": "02958343",
    "chair": "03001627", "clock": "03046257", "dishwasher": "03207941", "display": "03211117",
    "earphone": "03261776", "faucet": "03325088", "file": "03337140", "guitar": "03467517",
    "helmet": "03513137", "jar": "03593526", "knife": "03624134", "lamp": "03636649",
    "laptop": "03642806", "loudspeaker": "03691459", "mailbox": "03710193", "microphone": "03759954",
    "microwave": "03761084", "motorcycle": "03790512", "mug": "03797390", "piano": "03928116",
    "pillow": "03938244", "pistol": "03948459", "pot": "03991062", "printer": "04004475",
    "remote": "04074963", "rifle": "04090263", "rocket": "04099429", "skateboard": "04225987",
    "sofa": "04256520", "stove": "04330267", "table": "04379243", "telephone": "04401088",
    "tower": "04460130", "train": "04468005", "watercraft": "04530566", "washer": "04554684",
}
CATEGORY_OF_SYNSET = {v: k for k, v in SYNSETS.items()}
MODEL_FILE = Path("models") / "model_normalized.obj"


def synset_of(category: str) -> str:
    """Synset id of a category name (a synset id passes through)."""
    if category in CATEGORY_OF_SYNSET:
        return category
    try:
        return SYNSETS[category]
    except KeyError:
        raise KeyError(f"unknown ShapeNet category {category!r}; known: {', '.join(sorted(SYNSETS))}") from None


class ShapeNetCore:
    """A ShapeNetCore v2 folder; ``root`` defaults to ``$SBSR_SHAPENET_ROOT``."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = resolve_root("shapenet", root)
        if not self.root.is_dir():
            raise NotADirectoryError(f"ShapeNet root {self.root} is not a folder")
        self.skipped = SkipLog()

    def categories(self) -> list[str]:
        """Names of the categories present (synset folders that exist)."""
        return [CATEGORY_OF_SYNSET.get(p.name, p.name) for p in sorted(self.root.iterdir())
                if p.is_dir() and p.name.isdigit()]

    def category_dir(self, category: str) -> Path:
        folder = self.root / synset_of(category)
        if not folder.is_dir():
            raise FileNotFoundError(
                f"ShapeNet category {category} ({synset_of(category)}) not found: {folder} does not exist"
            )
        return folder

    def mesh_path(self, category: str, shape_id: str) -> Path:
        return self.category_dir(category) / shape_id / MODEL_FILE

    def shape_ids(self, category: str) -> list[str]:
        """Sorted model ids of ``category`` that have ``models/model_normalized.obj``.

        Folders without that file are skipped with a logged reason (see :attr:`skipped`).
        """
        ids = []
        for model_dir in sorted(p for p in self.category_dir(category).iterdir() if p.is_dir()):
            if (model_dir / MODEL_FILE).is_file():
                ids.append(model_dir.name)
            else:
                self.skipped.add("shape", model_dir.name, f"missing {MODEL_FILE.as_posix()}", model_dir)
        return ids

    def shape(self, category: str, shape_id: str) -> ShapeRecord:
        path = self.mesh_path(category, shape_id)
        stat = path.stat() if path.exists() else None
        key = f"shapenet:{synset_of(category)}/{shape_id}:{stat.st_size if stat else 0}:{stat.st_mtime_ns if stat else 0}"
        return ShapeRecord(shape_id=shape_id, category=CATEGORY_OF_SYNSET.get(category, category), path=path,
                           content_key=key, meta={"synset": synset_of(category)})

    def split(self, category: str, shape_ids: Sequence[str] | None = None, name: str = "all",
              limit: int | None = None, validate: bool = False) -> RetrievalSplit:
        """A gallery-only split of ``category`` (all shapes, the given ids, or the first ``limit``)."""
        log = SkipLog()
        if shape_ids is None:
            before = len(self.skipped)
            shape_ids = self.shape_ids(category)
            log.items.extend(self.skipped.items[before:])
        if limit is not None:
            shape_ids = list(shape_ids)[:limit]
        shapes = {}
        for sid in shape_ids:
            path = self.mesh_path(category, sid)
            if not path.is_file():
                log.add("shape", sid, f"missing {MODEL_FILE.as_posix()}", path)
                continue
            shapes[sid] = self.shape(category, sid)
        sp = RetrievalSplit(name=name, category=CATEGORY_OF_SYNSET.get(category, category), shapes=shapes,
                            source="shapenet", skipped=log)
        return sp.validate(check_sketches=False) if validate else sp

    def dataset(self, categories: Iterable[str] | None = None, limit: int | None = None,
                validate: bool = False) -> Dataset:
        ds = Dataset(name="shapenet", version="core-v2", root=self.root)
        for cat in categories or self.categories():
            ds.add(self.split(cat, limit=limit, validate=validate))
        return ds


def open_shapenet(root: str | os.PathLike | None = None, categories: Iterable[str] | None = None,
                  limit: int | None = None, validate: bool = False) -> Dataset:
    """ShapeNetCore v2 as a :class:`Dataset` with one ``"all"`` split per category (no sketches)."""
    return ShapeNetCore(root).dataset(categories, limit=limit, validate=validate)
