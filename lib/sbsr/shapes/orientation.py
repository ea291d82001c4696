"""The project's one orientation convention: ShapeNetCore v2's.

ShapeNetCore v2 OBJ files are aligned with **up +Y** and **front -Z** (the release notes of v2): a chair's
seat opens towards -Z, a car's bonnet points to -Z. The object's own right hand is then +X and its left -X
(someone sitting on a chair that faces -Z has +X on the right). Everything in the project uses this:

* :class:`sbsr.render.Camera`: azimuth 0 puts the camera in front of the object (on -Z, looking at the
  origin), a positive azimuth turns it towards the object's left (-X), elevation lifts it above the XZ plane
  (:func:`view_direction`);
* the procedural generator (:mod:`sbsr.shapes.generate`): the category builders model an object with its
  front towards +Z (their *build frame*); :func:`from_build_frame` turns it by 180 degrees about +Y into this
  convention. Negating X and Z is exact in floating point and the camera turned with it, so every
  procedural render is bit-for-bit the same as before the convention was fixed;
* mesh files (:func:`sbsr.data.meshes.load_mesh_file`, the BYO / ShapeNet adapters, the evaluate command):
  files in another convention are turned by a named option (:data:`CONVENTIONS`), e.g. ``up="z"`` for
  Z-up files whose front is -Y (Blender, many STL/PLY exports).
"""

from __future__ import annotations

import numpy as np

#: World up (+Y), the direction the object's front faces (-Z), and the object's left (-X = UP x FRONT).
UP = np.array([0.0, 1.0, 0.0])
FRONT = np.array([0.0, 0.0, -1.0])
LEFT = np.cross(UP, FRONT)

#: The generator's build frame (front towards +Z) -> the world: 180 degrees about +Y.
BUILD_FRAME_TO_WORLD = np.diag([-1.0, 1.0, -1.0])

#: Named conventions of mesh files: name -> (the file's up axis, the axis the file's front faces).
CONVENTIONS: dict[str, tuple[str, str]] = {
    "y": ("+y", "-z"),          # ShapeNetCore v2 (the world): nothing to turn
    "z": ("+z", "-y"),          # Z up, front -Y (Blender, ModelNet-style exports)
    "y-front+z": ("+y", "+z"),  # +Y up with the front towards +Z (the book's build frame, some exporters)
}

_AXES = {"+x": (0, 1.0), "-x": (0, -1.0), "+y": (1, 1.0), "-y": (1, -1.0), "+z": (2, 1.0), "-z": (2, -1.0)}


def _axis(name: str) -> np.ndarray:
    i, s = _AXES[name]
    v = np.zeros(3)
    v[i] = s
    return v


def convention_rotation(convention: str) -> np.ndarray:
    """(3,3) rotation taking a file in ``convention`` (a key of :data:`CONVENTIONS`) into the world
    convention: the file's up goes to :data:`UP` and its front to :data:`FRONT` (a proper rotation,
    determinant +1, so triangle winding is kept)."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown mesh orientation {convention!r}; known: {sorted(CONVENTIONS)}")
    up, front = (_axis(a) for a in CONVENTIONS[convention])
    src = np.stack([up, front, np.cross(up, front)], axis=1)
    dst = np.stack([UP, FRONT, LEFT], axis=1)
    return dst @ src.T


def to_world(vertices: np.ndarray, convention: str) -> np.ndarray:
    """Vertices (V,3) of a mesh in ``convention`` turned into the world convention (exact: the rotations
    only permute and negate coordinates)."""
    r = convention_rotation(convention)
    v = np.asarray(vertices, dtype=np.float64)
    if np.array_equal(r, np.eye(3)):
        return v
    idx = np.argmax(np.abs(r), axis=1)              # world axis i = sign * file axis idx[i]
    return v[:, idx] * r[np.arange(3), idx]


def from_build_frame(vertices: np.ndarray) -> np.ndarray:
    """Vertices modelled in the generator's build frame (front +Z) in the world convention (front -Z)."""
    return np.asarray(vertices, dtype=np.float64) * np.diag(BUILD_FRAME_TO_WORLD)


def view_basis(azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit (right, up, back) vectors of a camera at ``azimuth``/``elevation`` degrees looking at the origin
    with the world up: ``back`` points from the origin towards the camera. Azimuth 0 sees the front
    (camera on :data:`FRONT`), positive azimuth turns towards the object's left, positive elevation looks
    from above."""
    a, e = np.radians(azimuth), np.radians(elevation)
    ca, sa, ce, se = np.cos(a), np.sin(a), np.cos(e), np.sin(e)
    horizontal = ca * FRONT + sa * LEFT
    back = ce * horizontal + se * UP
    right = ca * LEFT - sa * FRONT
    up = -se * horizontal + ce * UP
    return right, up, back


def view_direction(azimuth: float, elevation: float) -> np.ndarray:
    """Unit vector from the origin towards a camera at ``azimuth``/``elevation`` (see :func:`view_basis`)."""
    return view_basis(azimuth, elevation)[2]
