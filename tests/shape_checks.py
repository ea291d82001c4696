"""Checks shared by the shape tests (imported by test modules; pytest puts tests/ on sys.path)."""

from __future__ import annotations

import numpy as np
import trimesh

from sbsr.shapes.base import signed_volume


def assert_closed_outward_components(shape) -> np.ndarray:
    """Every connected component of ``shape`` is a watertight, consistently and outward wound surface, and
    their number is the one the generator recorded. Returns the component id of every face."""
    cid = shape.component_ids()
    assert cid.max() + 1 == shape.meta["n_components"], shape.shape_id
    for k in range(cid.max() + 1):
        faces = shape.faces[cid == k]
        comp = trimesh.Trimesh(shape.vertices, faces, process=True)
        assert comp.is_watertight and comp.is_winding_consistent, (shape.shape_id, k)
        assert signed_volume(shape.vertices, faces) > 0, (shape.shape_id, k)
    return cid
