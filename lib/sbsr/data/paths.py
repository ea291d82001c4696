"""Where data lives: the project's ``data/`` folder and the environment variables that point at real data.

Generated material goes under ``data/`` (git-ignored sub-folders, see ``data/README.md``):

- ``data/datasets/<name>/<profile>/``  materialized named datasets (``procedural-v1``), each with a manifest
- ``data/cache/views/...``             line/RGB/depth renderings cached by :meth:`RetrievalSplit.views`

Environment variables (all optional):

==========================  ====================================================================
``SBSR_DATA_DIR``           replaces the project's ``data/`` folder
``SBSR_SHAPENET_ROOT``      ShapeNetCore v2 folder (``<synset>/<id>/models/model_normalized.obj``)
``SBSR_AMATEURSKETCH_ROOT`` AmateurSketch release folder (layout in :mod:`sbsr.data.amateursketch`)
``SBSR_QUICKDRAW_ROOT``     folder with QuickDraw ``*.ndjson`` files (or one such file)
``SBSR_BYO_ROOT``           bring-your-own folder (layout in :mod:`sbsr.data.byo`)
==========================  ====================================================================
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ENV_DATA_DIR = "SBSR_DATA_DIR"
ENV_ROOTS = {
    "shapenet": "SBSR_SHAPENET_ROOT",
    "amateursketch": "SBSR_AMATEURSKETCH_ROOT",
    "quickdraw": "SBSR_QUICKDRAW_ROOT",
    "byo": "SBSR_BYO_ROOT",
}


def data_dir() -> Path:
    """The data folder: ``$SBSR_DATA_DIR`` or ``<project root>/data`` (``./data`` outside a checkout)."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    try:
        from sbsr.config import find_project_root

        return find_project_root() / "data"
    except Exception:  # no checkout around (installed package): use the working directory
        return Path.cwd().resolve() / "data"


def datasets_dir() -> Path:
    return data_dir() / "datasets"


def cache_dir() -> Path:
    return data_dir() / "cache"


def resolve_root(kind: str, root: str | os.PathLike | None) -> Path:
    """The folder of a real-data source: ``root`` if given, else its environment variable.

    Raises :class:`FileNotFoundError` naming the folder (or the unset variable) when it is missing.
    """
    env_name = ENV_ROOTS[kind]
    if root is None:
        value = os.environ.get(env_name)
        if not value:
            raise FileNotFoundError(
                f"no {kind} folder given: pass root=... or set the environment variable {env_name} "
                f"(expected layouts: data/README.md)"
            )
        root = value
    path = Path(root).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{kind} root {path} does not exist (see data/README.md for the expected layout)")
    return path.resolve()


_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]+")


def safe_name(text: str) -> str:
    """A file-name-safe form of an identifier (path separators and underscores become ``-``)."""
    cleaned = _UNSAFE.sub("-", str(text)).strip("-.")
    return cleaned or "item"


def format_azimuth(azimuth: float) -> str:
    """``30`` for 30.0, ``22.5`` for 22.5, ``-5`` for -5.0: the azimuth as it appears in file names."""
    value = float(azimuth)
    if value.is_integer():
        return str(int(value))
    return f"{value:g}"
