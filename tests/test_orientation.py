"""The orientation convention (ShapeNetCore v2: +Y up, front -Z), stated once in sbsr.shapes.orientation and
used by the camera, the procedural generator and the mesh loader."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import trimesh

from sbsr.data.meshes import load_mesh_file
from sbsr.render import Camera, render
from sbsr.shapes import azimuth_name, generate_shape
from sbsr.shapes.orientation import (FRONT, LEFT, UP, convention_rotation, from_build_frame, to_world,
                                     view_direction)
from sbsr.shapes.generate import PART_NAMES


class Mesh:
    def __init__(self, vertices, faces, part_ids):
        self.vertices, self.faces, self.part_ids = vertices, faces, part_ids


def _marked_body() -> Mesh:
    """A 0.5 box body (part 0) with a flat "front" marker on -Z (part 1) and a "left" marker on -X
    (part 2), both sticking out 0.05: ShapeNet's convention (front -Z, the object's left -X)."""
    parts = [trimesh.creation.box((0.5, 0.5, 0.5)),
             trimesh.creation.box((0.2, 0.2, 0.05)).apply_translation((0, 0, -0.275)),
             trimesh.creation.box((0.05, 0.2, 0.2)).apply_translation((-0.275, 0, 0))]
    v, f, p, off = [], [], [], 0
    for k, m in enumerate(parts):
        v.append(m.vertices), f.append(m.faces + off), p.append(np.full(len(m.faces), k))
        off += len(m.vertices)
    return Mesh(np.concatenate(v), np.concatenate(f), np.concatenate(p))


def _visible_parts(mesh, azimuth, elevation=0.0):
    parts = render(mesh, Camera(azimuth=azimuth, elevation=elevation, image_size=64), outputs=("parts",)).parts
    return set(np.unique(parts[parts >= 0]).tolist())


def test_constants_are_shapenet_v2():
    np.testing.assert_array_equal(UP, [0, 1, 0])
    np.testing.assert_array_equal(FRONT, [0, 0, -1])
    np.testing.assert_array_equal(LEFT, [-1, 0, 0])   # UP x FRONT = (1*-1 - 0*0, 0, 0)


def test_azimuth_zero_sees_the_front_marker():
    mesh = _marked_body()
    assert 1 in _visible_parts(mesh, 0.0)          # front (-Z) marker seen from azimuth 0
    assert 1 not in _visible_parts(mesh, 180.0)    # ... and hidden from the back
    assert 2 in _visible_parts(mesh, 90.0)         # positive azimuth turns towards the object's left (-X)
    assert 2 not in _visible_parts(mesh, -90.0)
    assert azimuth_name(0.0) == "front" and azimuth_name(90.0) == "left"   # the captions agree


def test_camera_position_follows_the_convention():
    # azimuth 0, elevation 0, distance 2.5: on -Z; azimuth 90: on -X; elevation 90: on +Y
    np.testing.assert_allclose(Camera(azimuth=0, elevation=0).position, [0, 0, -2.5], atol=1e-12)
    np.testing.assert_allclose(Camera(azimuth=90, elevation=0).position, [-2.5, 0, 0], atol=1e-12)
    np.testing.assert_allclose(view_direction(0, 90), [0, 1, 0], atol=1e-12)
    # the camera looks at the origin: the origin projects to the image centre
    xy, depth = Camera(azimuth=37, elevation=11).project(np.zeros((1, 3)))
    np.testing.assert_allclose(xy, [[112, 112]], atol=1e-9)
    np.testing.assert_allclose(depth, [2.5])


def test_procedural_front_is_minus_z():
    # a chair's back rest is behind its seat: towards +Z when the front is -Z
    shape = generate_shape("chair", 0, 0)
    seat, back = PART_NAMES["chair"].index("seat"), PART_NAMES["chair"].index("back")
    centroid = shape.vertices[shape.faces].mean(axis=1)      # one point per face (part ids are per face)
    z_seat = centroid[shape.part_ids == seat, 2].mean()
    z_back = centroid[shape.part_ids == back, 2].mean()
    assert z_back > z_seat


class _BuildFrameCamera(Camera):
    """The camera as it was before the convention was fixed (azimuth 0 on +Z, positive azimuth to +X)."""

    def _basis(self):
        a, e = np.radians(self.azimuth), np.radians(self.elevation)
        back = np.array([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)])
        right = np.array([np.cos(a), 0.0, -np.sin(a)])
        up = np.array([-np.sin(e) * np.sin(a), np.cos(e), -np.sin(e) * np.cos(a)])
        return right, up, back


@pytest.mark.parametrize("category", ["chair", "lamp", "airplane"])
def test_procedural_renders_are_bit_identical_to_the_build_frame_ones(category):
    # the fix turned both the shapes (front +Z -> -Z) and the camera by 180 degrees about +Y: every
    # render of a procedural shape is the same array as before
    shape = generate_shape(category, 0, 1)
    old = dataclasses.replace(shape, vertices=from_build_frame(shape.vertices))   # back in the build frame
    for azimuth in (0.0, 30.0, 75.0, 200.0):
        for projection in ("perspective", "orthographic"):
            new_r = render(shape, Camera(azimuth=azimuth, projection=projection, image_size=96))
            old_r = render(old, _BuildFrameCamera(azimuth=azimuth, projection=projection, image_size=96))
            for field in ("rgb", "depth", "normals", "parts", "lines"):
                np.testing.assert_array_equal(getattr(new_r, field), getattr(old_r, field), err_msg=field)


@pytest.mark.parametrize("name", ["y", "z", "y-front+z"])
def test_conventions_are_proper_rotations(name):
    r = convention_rotation(name)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.isclose(np.linalg.det(r), 1.0)
    v = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(to_world(v, name), v @ r.T)


def test_z_up_file_is_turned_front_to_minus_z(tmp_path):
    # the marked body in the Z-up convention (front -Y): (x, y, z)_world = (-x, z, y)_file
    mesh = _marked_body()
    vz = np.stack([-mesh.vertices[:, 0], mesh.vertices[:, 2], mesh.vertices[:, 1]], axis=1)
    path = tmp_path / "zup.obj"
    trimesh.Trimesh(vz, mesh.faces, process=False).export(path)
    loaded = load_mesh_file(path, up="z", normalize=False, repair=False)
    np.testing.assert_allclose(loaded.vertices, mesh.vertices, atol=1e-6)
    assert np.allclose(convention_rotation("z") @ [0, 0, 1], UP) and np.allclose(convention_rotation("z") @ [0, -1, 0], FRONT)
    with pytest.raises(ValueError, match="up must be one of"):
        load_mesh_file(path, up="x")
