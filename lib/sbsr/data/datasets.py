"""Registry of named datasets: one entry point, :func:`open_dataset`, for generated and real data.

=====================  ==================================================================================
``procedural-v1``      generated and cached (:mod:`sbsr.data.procedural`); ``profile="quick"|"full"``
``shapenet``           ShapeNetCore v2 folder (:mod:`sbsr.data.shapenet`); ``root`` or ``$SBSR_SHAPENET_ROOT``
``amateursketch``      AmateurSketch release (:mod:`sbsr.data.amateursketch`); ``root`` or ``$SBSR_AMATEURSKETCH_ROOT``
``quickdraw``          QuickDraw ndjson (:mod:`sbsr.data.quickdraw`); ``root`` or ``$SBSR_QUICKDRAW_ROOT``
``byo``                bring-your-own folder (:mod:`sbsr.data.byo`); ``root`` or ``$SBSR_BYO_ROOT``
=====================  ==================================================================================

Every entry returns a :class:`~sbsr.data.splits.Dataset`; ``dataset.split(split, category)`` is a
:class:`~sbsr.data.splits.RetrievalSplit` with ``shapes``, ``sketches``, ``targets()``,
``sketch_images()`` and ``views(azimuths, style)``.
"""

from __future__ import annotations

from typing import Any, Callable

from .splits import Dataset

REAL_SOURCES = ("shapenet", "amateursketch", "quickdraw", "byo")


def _real(kind: str) -> Callable[..., Dataset]:
    def opener(**kwargs: Any) -> Dataset:
        if kind == "shapenet":
            from .shapenet import open_shapenet as fn
        elif kind == "amateursketch":
            from .amateursketch import open_amateursketch as fn
        elif kind == "quickdraw":
            from .quickdraw import open_quickdraw as fn
        else:
            from .byo import open_byo as fn
        return fn(**kwargs)

    return opener


def list_datasets() -> list[str]:
    """Names accepted by :func:`open_dataset`: the procedural specs of ``datasets.yml`` and the adapters."""
    from .procedural import load_specs

    return sorted(load_specs()) + list(REAL_SOURCES)


def open_dataset(name: str, **kwargs: Any) -> Dataset:
    """Open a dataset by name.

    Procedural names take ``profile`` (``quick``/``full``), ``root``, ``force``, ``progress``; they are
    materialized on first use and re-used while the cache verifies. Adapters take ``root`` and their
    own options (see each module).
    """
    if name in REAL_SOURCES:
        return _real(name)(**kwargs)
    from .procedural import load_specs, materialize

    specs = load_specs()
    if name not in specs:
        raise KeyError(f"unknown dataset {name!r} (known: {', '.join(list_datasets())})")
    return materialize(name, **kwargs)
