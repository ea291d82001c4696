"""Other 3D domains (voxels, SDF, point clouds) and the Chamfer distance, on hand-checked cases."""

from __future__ import annotations

import time

import numpy as np
import pytest
import trimesh

from sbsr.shapes import (
    chamfer_distance,
    contains,
    exterior_face_mask,
    generate_shape,
    pairwise_chamfer,
    sample_point_cloud,
    sample_sdf,
    signed_distance,
    voxel_centers,
    voxelize,
    winding_numbers,
)

UNIT = (np.full(3, -0.5), np.full(3, 0.5))


def _box(extents=(1.0, 1.0, 1.0), offset=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=extents)
    m.apply_translation(offset)
    return m


def _two_overlapping_cubes() -> trimesh.Trimesh:
    # unit cubes centred at x=0 and x=0.5: their union is [-0.5, 1] x [-0.5, 0.5]^2
    return trimesh.util.concatenate([_box(), _box(offset=(0.5, 0.0, 0.0))])


def _box_sdf(points, centre, half):
    q = np.abs(points - centre) - half
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)


# ---------------------------------------------------------------------------------------------
# Chamfer
# ---------------------------------------------------------------------------------------------


def test_chamfer_on_point_sets_by_hand():
    cube = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    assert chamfer_distance(cube, cube) == 0.0
    # shift by 0.1: every nearest neighbour is the shifted copy, 0.01 each way
    assert chamfer_distance(cube, cube + [0.1, 0, 0]) == pytest.approx(0.02, abs=1e-15)
    # shift by 2: x=0.5 vertices are 1 from the copy's x=1.5 face, x=-0.5 vertices are 2 away
    # mean squared = (1 + 4) / 2 each way, summed over both directions = 5
    assert chamfer_distance(cube, cube + [2.0, 0, 0]) == pytest.approx(5.0)
    assert chamfer_distance(cube, cube + [2.0, 0, 0], squared=False) == pytest.approx(3.0)


def test_chamfer_between_meshes():
    s = generate_shape("chair", 0, 1)
    d = pairwise_chamfer([s, s, generate_shape("chair", 0, 2)], n_points=256, seed=0)
    assert d[0, 1] == 0.0 and d[1, 0] == 0.0
    assert d[0, 2] > 0 and d[0, 2] == d[2, 0]
    # a unit cube and its translate by t (smaller than half the sample spacing): 2 |t|^2
    t = 1e-5
    d = pairwise_chamfer([_box(), _box(offset=(t, 0.0, 0.0))], n_points=512, seed=3)
    assert d[0, 1] == pytest.approx(2 * t * t, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Inside tests and voxels
# ---------------------------------------------------------------------------------------------


def test_winding_numbers_count_overlaps():
    m = _two_overlapping_cubes()
    pts = np.array([[0.25, 0.0, 0.0], [0.0, 0.1, -0.2], [0.9, 0.0, 0.0], [-0.4, 0.3, 0.3], [1.1, 0.0, 0.0],
                    [0.25, 0.0, 0.7]])
    np.testing.assert_array_equal(winding_numbers(m, pts), [2, 2, 1, 1, 0, 0])
    np.testing.assert_array_equal(contains(m, pts), [True, True, True, True, False, False])


def test_inside_test_is_robust_on_shared_edges():
    # query columns through the cube's face diagonals and edges (the worst case for ray casting)
    axis = np.array([-0.75, -0.25, 0.0, 0.25, 0.75])
    g = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    inside = np.all(np.abs(g) < 0.5, axis=1)
    np.testing.assert_array_equal(winding_numbers(_box(), g), inside.astype(int))


def test_voxelize_cubes_by_hand():
    assert voxelize(_box(), 8, bounds=UNIT).all()
    assert voxelize(_box(), 8).all()  # the fitted cube of a cube is the cube
    # a cube of side 0.55 in the unit grid at R=32: centres -0.5 + (i + .5)/32 inside for i = 7..24
    small = _box(extents=(0.55, 0.55, 0.55))
    for surface in (False, True):
        occ = voxelize(small, 32, bounds=UNIT, surface=surface)
        assert occ.shape == (32, 32, 32) and occ.dtype == bool
        assert occ.sum() == 18 ** 3
        idx = np.flatnonzero(occ.any(axis=(1, 2)))
        np.testing.assert_array_equal(idx, np.arange(7, 25))
    xs, ys, zs = voxel_centers(32, UNIT)
    assert xs[0] == pytest.approx(-0.5 + 0.5 / 32) and zs[-1] == pytest.approx(0.5 - 0.5 / 32)


def test_voxelize_keeps_thin_parts_with_surface_voxels():
    plate = _box(extents=(1.0, 0.001, 1.0), offset=(0.0, 0.03, 0.0))  # inside the layer 0 < y < 1/16
    assert voxelize(plate, 16, bounds=UNIT, surface=False).sum() == 0
    occ = voxelize(plate, 16, bounds=UNIT, surface=True)
    assert occ.sum() == 16 * 16 and occ[:, 8, :].all()


def test_voxelize_overlapping_cubes_and_a_chair():
    occ = voxelize(_two_overlapping_cubes(), 12, bounds=(np.array([-0.5, -0.5, -0.5]), np.array([1.0, 0.5, 0.5])))
    assert occ.all()
    chair = generate_shape("chair", 0, 4)
    t0 = time.perf_counter()
    occ96 = voxelize(chair, 96)
    assert time.perf_counter() - t0 < 5.0
    occ32 = voxelize(chair, 32)
    assert occ96.shape == (96, 96, 96) and occ32.shape == (32, 32, 32)
    assert 0 < occ32.mean() < 0.5 and 0 < occ96.mean() < 0.5
    # the object touches the fitted cube on its longest axis
    ext = chair.vertices.max(0) - chair.vertices.min(0)
    longest = int(np.argmax(ext))
    proj = occ32.any(axis=tuple(a for a in range(3) if a != longest))
    assert proj[0] and proj[-1]


# ---------------------------------------------------------------------------------------------
# Signed distances
# ---------------------------------------------------------------------------------------------


def test_signed_distance_of_a_unit_cube_by_hand():
    pts = np.array([[0.0, 0.0, 0.0], [0.25, 0.0, 0.0], [0.3, -0.2, 0.1], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0],
                    [1.0, 1.0, 1.0], [0.0, -0.75, 0.0]])
    expected = [-0.5, -0.25, -0.2, 0.5, np.sqrt(0.5), np.sqrt(0.75), 0.25]
    np.testing.assert_allclose(signed_distance(_box(), pts), expected, atol=1e-12)
    rng = np.random.default_rng(0)
    p = rng.uniform(-1, 1, size=(3000, 3))
    np.testing.assert_allclose(signed_distance(_box(), p), _box_sdf(p, 0.0, 0.5), atol=1e-12)


def test_signed_distance_of_overlapping_parts_is_that_of_their_union():
    rng = np.random.default_rng(1)
    p = rng.uniform(-1, 1.5, size=(3000, 3))
    exact = _box_sdf(p, np.array([0.25, 0.0, 0.0]), np.array([0.75, 0.5, 0.5]))
    np.testing.assert_allclose(signed_distance(_two_overlapping_cubes(), p), exact, atol=1e-12)


def test_exterior_faces_drop_buried_faces():
    m = _two_overlapping_cubes()
    ext = exterior_face_mask(m)
    c = m.triangles_center
    n = m.face_normals
    # the first cube's +X face (x=0.5) lies inside the second cube, the second's -X face inside the first
    buried = (np.isclose(c[:, 0], 0.5) & (n[:, 0] > 0.9)) | (np.isclose(c[:, 0], 0.0) & (n[:, 0] < -0.9))
    assert buried.sum() == 4
    np.testing.assert_array_equal(ext, ~buried)


def test_sample_sdf():
    chair = generate_shape("chair", 0, 6)
    pts, sdf = sample_sdf(chair, 2000, seed=1, near_surface_fraction=0.75)
    assert pts.shape == (2000, 3) and sdf.shape == (2000,)
    p2, s2 = sample_sdf(chair, 2000, seed=1, near_surface_fraction=0.75)
    np.testing.assert_array_equal(pts, p2)
    np.testing.assert_array_equal(sdf, s2)
    np.testing.assert_array_equal(sdf < 0, contains(chair, pts))
    assert 0.02 < (sdf < 0).mean() < 0.6
    assert np.median(np.abs(sdf[:1500])) < 0.03  # near-surface samples
    assert np.abs(sdf[1500:]).mean() > np.abs(sdf[:1500]).mean()
    cube_pts, cube_sdf = sample_sdf(_box(), 500, seed=0)
    np.testing.assert_allclose(cube_sdf, _box_sdf(cube_pts, 0.0, 0.5), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Point clouds
# ---------------------------------------------------------------------------------------------


def test_point_cloud_on_a_cube():
    pts, normals, labels = sample_point_cloud(_box(), 600, seed=0)
    assert pts.shape == (600, 3) and normals.shape == (600, 3)
    np.testing.assert_allclose(np.abs(pts).max(axis=1), 0.5, atol=1e-12)  # on the surface
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0)
    assert np.all(np.einsum("ij,ij->i", normals, pts) > 0)  # outward
    np.testing.assert_array_equal(labels, -1)  # a bare Trimesh has no parts


def test_point_cloud_of_a_shape_has_part_labels_and_skips_buried_faces():
    chair = generate_shape("chair", 0, 6)
    pts, normals, labels = sample_point_cloud(chair, 1500, seed=2)
    assert set(np.unique(labels)) <= set(np.unique(chair.part_ids))
    assert len(np.unique(labels)) >= 3
    diag = 1.0
    assert not contains(chair, pts + 1e-5 * diag * normals).any()
    p2, _, l2 = sample_point_cloud(chair, 1500, seed=2)
    np.testing.assert_array_equal(pts, p2)
    np.testing.assert_array_equal(labels, l2)
    m = _two_overlapping_cubes()
    all_pts, all_n, _ = sample_point_cloud(m, 2000, seed=0, exterior_only=False)
    assert contains(m, all_pts + 1e-6 * all_n).any()
    ext_pts, ext_n, _ = sample_point_cloud(m, 2000, seed=0)
    assert not contains(m, ext_pts + 1e-6 * ext_n).any()
