"""Category registry and the deterministic entry points ``generate_shape`` / ``generate_collection``.

A shape is a pure function of ``(category, seed, index)``: its parameters are drawn from
``numpy.random.default_rng(SeedSequence([seed, index, crc32(category)]))`` and the mesh is a pure
function of the parameters, so ``from_dict(shape.to_dict())`` rebuilds identical arrays.
"""

from __future__ import annotations

import json
import zlib
from types import ModuleType
from typing import Any

import numpy as np

from . import airplane, cabinet, chair, household, lamp, table, vessels
from .base import Shape, normalization_transform, to_jsonable
from .orientation import from_build_frame

_CATEGORY_MODULES: dict[str, tuple[ModuleType, str]] = {
    "chair": (chair, ""),
    "lamp": (lamp, ""),
    "table": (table, ""),
    "cabinet": (cabinet, ""),
    "sofa": (household, "sofa"),
    "bed": (household, "bed"),
    "bookshelf": (household, "bookshelf"),
    "vase": (vessels, "vase"),
    "mug": (vessels, "mug"),
    "bottle": (vessels, "bottle"),
    "airplane": (airplane, ""),
}

#: The procedural categories, in a fixed order.
CATEGORIES: tuple[str, ...] = tuple(_CATEGORY_MODULES)


def _hooks(category: str):
    if category not in _CATEGORY_MODULES:
        raise ValueError(f"unknown category {category!r}; expected one of {CATEGORIES}")
    module, prefix = _CATEGORY_MODULES[category]
    if prefix:
        return (getattr(module, f"{prefix.upper()}_PART_NAMES"), getattr(module, f"sample_{prefix}_params"),
                getattr(module, f"build_{prefix}"))
    return module.PART_NAMES, module.sample_params, module.build


#: Part vocabulary per category (the index of a name is the value stored in ``Shape.part_ids``).
PART_NAMES: dict[str, tuple[str, ...]] = {c: tuple(_hooks(c)[0]) for c in CATEGORIES}


def shape_rng(category: str, seed: int, index: int) -> np.random.Generator:
    """The generator behind one shape (independent streams per category, seed and index)."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be non-negative, got seed={seed}, index={index}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index), zlib.crc32(category.encode())]))


def shape_id(category: str, seed: int, index: int) -> str:
    return f"{category}-s{seed}-{index:06d}"


def sample_params(category: str, seed: int, index: int = 0) -> dict:
    """The generating parameters of ``generate_shape(category, seed, index)`` (JSON-serialisable)."""
    params = _hooks(category)[1](shape_rng(category, seed, index))
    return to_jsonable(params)


def build_shape(category: str, params: dict, shape_id: str = "custom", normalize: bool = True) -> Shape:
    """Build (and by default ShapeNet-normalise) the shape described by ``params``; lets callers edit
    parameters (e.g. to deform a retrieved shape part by part) and rebuild."""
    part_names, _, build = _hooks(category)
    params = json.loads(json.dumps(to_jsonable(params)))  # a private, JSON-clean copy
    builder = build(params)
    vertices, faces, part_ids = builder.arrays()
    vertices = from_build_frame(vertices)  # builders model the front towards +Z; the world's front is -Z
    centre, scale = normalization_transform(vertices)
    meta = {"n_components": builder.n_components, "component_sizes": list(builder.component_sizes),
            "units": "metres before normalisation"}
    if normalize:
        vertices = (vertices - centre) / scale
        meta["normalization"] = {"centre": centre.tolist(), "scale": scale}
    return Shape(
        shape_id=shape_id,
        category=category,
        vertices=np.ascontiguousarray(vertices, dtype=np.float64),
        faces=np.ascontiguousarray(faces, dtype=np.int64),
        part_ids=np.ascontiguousarray(part_ids, dtype=np.int64),
        part_names=list(part_names),
        params=params,
        meta=meta,
    )


def generate_shape(category: str, seed: int, index: int = 0) -> Shape:
    """Shape number ``index`` of the ``category`` collection with ``seed`` (deterministic)."""
    return build_shape(category, sample_params(category, seed, index), shape_id(category, seed, index))


def generate_collection(category: str, n: int, seed: int = 0) -> list[Shape]:
    """Shapes 0..n-1 of one category and collection seed."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return [generate_shape(category, seed, i) for i in range(n)]


def from_dict(d: dict[str, Any]) -> Shape:
    """Inverse of :meth:`Shape.to_dict`: arrays are taken when present, otherwise rebuilt from params."""
    if "vertices" in d:
        return Shape(
            shape_id=d["shape_id"], category=d["category"],
            vertices=np.asarray(d["vertices"], np.float64), faces=np.asarray(d["faces"], np.int64),
            part_ids=np.asarray(d["part_ids"], np.int64), part_names=list(d["part_names"]),
            params=d["params"], meta=d.get("meta", {}),
        )
    return build_shape(d["category"], d["params"], d["shape_id"],
                       normalize="normalization" in d.get("meta", {"normalization": True}))
