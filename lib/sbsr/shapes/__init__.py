"""Procedural 3D shape collections with part labels, captions and other 3D domains.

Stand-ins for ShapeNetCore v2 classes (the data chapter; thesis §4.2 uses ShapeNet chairs and lamps
for fine-grained sketch-based retrieval): every shape is a deterministic function of
``(category, seed, index)``, built from closed primitives with one part label per face, and
normalised like ShapeNetCore v2 (bounding box centred at the origin, unit diagonal; +Y up, front
towards -Z, the object's left towards -X: :mod:`.orientation`, the one statement of the convention).

Modules: :mod:`.base` (Shape, normalisation, the part-labelled mesh builder), one module per
category family (:mod:`.chair`, :mod:`.lamp`, :mod:`.table`, :mod:`.cabinet`, :mod:`.household`,
:mod:`.vessels`, :mod:`.airplane`), each declaring its :class:`CategorySpec` entry
(:mod:`.spec`), :mod:`.generate` (the registry, ``generate_shape``),
:mod:`.captions` (text), :mod:`.metrics` (Chamfer distance, voxel IoU), :mod:`.domains` (voxels, SDF, point
clouds).
"""

from .base import Shape, normalize_shapenet
from .captions import azimuth_name, caption, describe, elevation_name, view_phrase
from .domains import (
    contains,
    exterior_face_mask,
    fitted_cube,
    sample_point_cloud,
    sample_sdf,
    signed_distance,
    voxel_centers,
    voxelize,
    winding_numbers,
)
from .generate import (
    ALL_CATEGORIES,
    CATEGORIES,
    PART_NAMES,
    REGISTRY,
    build_shape,
    category_spec,
    from_dict,
    generate_collection,
    generate_shape,
    sample_params,
    shape_id,
)
from .metrics import chamfer_distance, pairwise_chamfer, voxel_iou
from .spec import CategorySpec

__all__ = [
    "ALL_CATEGORIES",
    "CATEGORIES",
    "CategorySpec",
    "PART_NAMES",
    "REGISTRY",
    "Shape",
    "azimuth_name",
    "build_shape",
    "caption",
    "category_spec",
    "chamfer_distance",
    "contains",
    "describe",
    "elevation_name",
    "exterior_face_mask",
    "fitted_cube",
    "from_dict",
    "generate_collection",
    "generate_shape",
    "normalize_shapenet",
    "pairwise_chamfer",
    "sample_params",
    "sample_point_cloud",
    "sample_sdf",
    "shape_id",
    "signed_distance",
    "view_phrase",
    "voxel_centers",
    "voxel_iou",
    "voxelize",
    "winding_numbers",
]
