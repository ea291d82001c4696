"""Category registry (one :class:`~sbsr.shapes.spec.CategorySpec` per category) and the deterministic
entry points ``generate_shape`` / ``generate_collection``.

A shape is a pure function of ``(category, seed, index)``: its parameters are drawn from
``numpy.random.default_rng(SeedSequence([seed, index, crc32(category)]))`` and the mesh is a pure
function of the parameters, so ``from_dict(shape.to_dict())`` rebuilds identical arrays.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import numpy as np

from . import airplane, cabinet, car, chair, household, lamp, table, vessels
from ..io import to_jsonable
from .base import Shape, normalization_transform
from .orientation import from_build_frame
from .spec import CategorySpec

#: The categories of the first procedural world, in a fixed order. Frozen: the ``procedural-v1``
#: datasets, the captioned pools that trained ``minclip-procedural-v1`` and its zero-shot classes use
#: exactly these; a category added later is in :data:`ALL_CATEGORIES` and :data:`REGISTRY` only.
V1_SPECS: tuple[CategorySpec, ...] = (
    chair.SPEC, lamp.SPEC, table.SPEC, cabinet.SPEC, household.SOFA, household.BED, household.BOOKSHELF,
    vessels.VASE, vessels.MUG, vessels.BOTTLE, airplane.SPEC,
)

#: Every procedural category, one declarative entry each (declared in its own module), by name.
REGISTRY: dict[str, CategorySpec] = {spec.name: spec for spec in (*V1_SPECS, car.SPEC)}

#: The v1 categories (see :data:`V1_SPECS`), in a fixed order.
CATEGORIES: tuple[str, ...] = tuple(spec.name for spec in V1_SPECS)
#: Every registered category (the v1 ones first, then later additions such as ``car``).
ALL_CATEGORIES: tuple[str, ...] = tuple(REGISTRY)


def category_spec(category: str) -> CategorySpec:
    """The registry entry of ``category`` (a clear error naming the known categories otherwise)."""
    if category not in REGISTRY:
        raise ValueError(f"unknown category {category!r}; expected one of {ALL_CATEGORIES}")
    return REGISTRY[category]


#: Part vocabulary per category (the index of a name is the value stored in ``Shape.part_ids``).
PART_NAMES: dict[str, tuple[str, ...]] = {c: tuple(spec.part_names) for c, spec in REGISTRY.items()}


def shape_rng(category: str, seed: int, index: int) -> np.random.Generator:
    """The generator behind one shape (independent streams per category, seed and index)."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be non-negative, got seed={seed}, index={index}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index), zlib.crc32(category.encode())]))


def shape_id(category: str, seed: int, index: int) -> str:
    return f"{category}-s{seed}-{index:06d}"


def sample_params(category: str, seed: int, index: int = 0) -> dict:
    """The generating parameters of ``generate_shape(category, seed, index)`` (JSON-serialisable)."""
    params = category_spec(category).sample(shape_rng(category, seed, index))
    return to_jsonable(params)


def build_shape(category: str, params: dict, shape_id: str = "custom", normalize: bool = True) -> Shape:
    """Build (and by default ShapeNet-normalise) the shape described by ``params``; lets callers edit
    parameters (e.g. to deform a retrieved shape part by part) and rebuild."""
    spec = category_spec(category)
    part_names = spec.part_names
    params = json.loads(json.dumps(to_jsonable(params)))  # a private, JSON-clean copy
    builder = spec.build(params)
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
