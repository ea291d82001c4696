"""Named datasets, real-data adapters and caches (issue "Data", items 5-6).

- :mod:`.splits`         the common interface: :class:`Dataset`, :class:`RetrievalSplit`, records, skip logs
- :mod:`.datasets`       :func:`open_dataset` registry (``procedural-v1``, ``shapenet``, ``amateursketch``,
  ``quickdraw``, ``byo``)
- :mod:`.procedural`     materialization of ``procedural-v1`` (sizes in ``datasets.yml``) and the gallery writer
- :mod:`.manifest`       config hashes, manifests with sha256 checksums, cache verification and rebuild
- :mod:`.images`         robust sketch image loading, deterministic PNG encoding
- :mod:`.meshes`         mesh files -> normalised trimesh
- :mod:`.views`          line/RGB/depth views through :mod:`sbsr.render`
- :mod:`.shapenet`, :mod:`.amateursketch`, :mod:`.quickdraw`, :mod:`.byo`   adapters

Command line: ``python -m sbsr.data {gallery,materialize,info}``.
"""

from .datasets import list_datasets, open_dataset
from .images import EmptySketchError, ImageLoadError, detect_inverted, encode_png, load_sketch_image
from .manifest import Manifest, build_cached, config_hash, verify_cache
from .meshes import MeshLoadError, load_mesh_file
from .splits import Dataset, RetrievalSplit, ShapeRecord, SketchRecord, SkipLog

__all__ = [
    "Dataset", "RetrievalSplit", "ShapeRecord", "SketchRecord", "SkipLog",
    "open_dataset", "list_datasets", "materialize", "write_gallery",
    "load_sketch_image", "detect_inverted", "encode_png", "ImageLoadError", "EmptySketchError",
    "load_mesh_file", "MeshLoadError", "Manifest", "config_hash", "verify_cache", "build_cached",
]


def materialize(name: str = "procedural-v1", profile: str = "quick", **kwargs):
    """Build (if needed) and open a procedural dataset; see :func:`sbsr.data.procedural.materialize`."""
    from .procedural import materialize as _materialize

    return _materialize(name, profile, **kwargs)


def write_gallery(out, **kwargs):
    """Write a procedural gallery folder; see :func:`sbsr.data.procedural.write_gallery`."""
    from .procedural import write_gallery as _write_gallery

    return _write_gallery(out, **kwargs)
