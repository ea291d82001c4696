"""QuickDraw adapter: category-level doodles from Google's ``*.ndjson`` files (no paired shapes).

Expected input (``$SBSR_QUICKDRAW_ROOT``): one ``.ndjson`` file or a folder of them, e.g. the
"simplified" release ``full_simplified_chair.ndjson`` or ``chair.ndjson``. Each line is a JSON object::

    {"word": "chair", "key_id": "5158…", "countrycode": "US", "recognized": true,
     "drawing": [[[x0, x1, …], [y0, y1, …]], …]}          # raw files add a third list: times

Strokes are rasterised with anti-aliasing (drawn 4x larger, then reduced), centred and scaled to
fit the image with a margin. Words map to project categories through ``aliases`` (``"floor lamp"``
-> ``lamp``, ``"couch"`` -> ``sofa``). Empty drawings and malformed lines are skipped and counted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image, ImageDraw

from .images import rasterize_strokes
from .paths import resolve_root
from .splits import Dataset, RetrievalSplit, SketchRecord, SkipLog

DEFAULT_ALIASES = {"floor lamp": "lamp", "couch": "sofa"}


def _ndjson_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    files = sorted(source.glob("*.ndjson"))
    if not files:
        raise FileNotFoundError(f"QuickDraw folder {source} holds no *.ndjson files")
    return files


def open_quickdraw(
    root: str | os.PathLike | None = None,
    categories: Iterable[str] | None = None,
    n_per_category: int | None = None,
    recognized_only: bool = True,
    aliases: dict[str, str] | None = None,
) -> Dataset:
    """QuickDraw sketches as a :class:`Dataset` with one ``"all"`` split per category (sketches only).

    Files are streamed line by line; reading stops at ``n_per_category`` kept drawings per category.
    """
    source = resolve_root("quickdraw", root)
    aliases = DEFAULT_ALIASES if aliases is None else aliases
    wanted = set(categories) if categories is not None else None
    per_cat: dict[str, list[SketchRecord]] = {}
    logs: dict[str, SkipLog] = {}
    general = SkipLog()
    for path in _ndjson_files(source):
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    word = str(obj["word"])
                    drawing = obj["drawing"]
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    general.add("sketch", f"{path.name}:{lineno}", f"malformed ndjson line ({exc})", path)
                    continue
                category = aliases.get(word, word)
                if wanted is not None and category not in wanted:
                    continue
                records = per_cat.setdefault(category, [])
                log = logs.setdefault(category, SkipLog())
                if n_per_category is not None and len(records) >= n_per_category:
                    continue
                key = str(obj.get("key_id", f"{path.stem}-{lineno}"))
                if recognized_only and obj.get("recognized") is False:
                    continue
                n_points = sum(len(s[0]) for s in drawing if isinstance(s, list) and s and isinstance(s[0], list))
                if not drawing or n_points == 0:
                    log.add("sketch", key, "empty sketch (no stroke points)", path)
                    continue
                records.append(SketchRecord(
                    sketch_id=key, shape_id=None, category=category, strokes=drawing,
                    meta={"word": word, "countrycode": obj.get("countrycode"), "file": path.name},
                ))
    ds = Dataset(name="quickdraw", version="ndjson", root=source)
    for category in sorted(per_cat):
        log = logs[category]
        if category == sorted(per_cat)[0]:
            log.items[:0] = general.items
        ds.add(RetrievalSplit(name="all", category=category, sketches=per_cat[category],
                              source="quickdraw", skipped=log))
    if wanted:
        for category in sorted(wanted - set(per_cat)):
            ds.add(RetrievalSplit(name="all", category=category, source="quickdraw"))
    return ds
