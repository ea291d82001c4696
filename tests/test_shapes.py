"""Procedural shapes: determinism, normalisation, winding, parts, diversity, captions."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest
import trimesh

from sbsr.shapes import (
    ALL_CATEGORIES,
    CATEGORIES,
    PART_NAMES,
    Shape,
    azimuth_name,
    build_shape,
    caption,
    elevation_name,
    from_dict,
    generate_collection,
    generate_shape,
    normalize_shapenet,
    pairwise_chamfer,
    sample_params,
)
from sbsr.shapes.base import MeshBuilder, signed_volume, vertex_components
from sbsr.shapes.captions import describe
from shape_checks import assert_closed_outward_components


@pytest.fixture(scope="module")
def collections() -> dict[str, list[Shape]]:
    return {c: generate_collection(c, 30, seed=0) for c in CATEGORIES}


def test_categories_cover_the_brief():
    assert {"chair", "lamp", "table", "cabinet"} <= set(CATEGORIES)
    assert len(CATEGORIES) >= 10
    assert set(PART_NAMES) == set(ALL_CATEGORIES) and set(CATEGORIES) < set(ALL_CATEGORIES)


def test_generate_shape_is_deterministic():
    for category in CATEGORIES:
        a = generate_shape(category, seed=3, index=7)
        b = generate_shape(category, seed=3, index=7)
        assert a.shape_id == f"{category}-s3-000007"
        np.testing.assert_array_equal(a.vertices, b.vertices)
        np.testing.assert_array_equal(a.faces, b.faces)
        np.testing.assert_array_equal(a.part_ids, b.part_ids)
        assert a.params == b.params
        c = generate_shape(category, seed=3, index=8)
        assert c.params != a.params
        d = generate_shape(category, seed=4, index=7)
        assert d.params != a.params


def test_collection_matches_individual_shapes():
    shapes = generate_collection("lamp", 4, seed=2)
    assert [s.shape_id for s in shapes] == [f"lamp-s2-{i:06d}" for i in range(4)]
    np.testing.assert_array_equal(shapes[3].vertices, generate_shape("lamp", 2, 3).vertices)


def test_every_category_generates_valid_arrays(collections):
    for category, shapes in collections.items():
        for s in shapes[:10]:
            assert s.category == category
            assert s.vertices.dtype == np.float64 and s.vertices.shape[1] == 3
            assert s.faces.dtype == np.int64 and s.faces.shape[1] == 3
            assert s.faces.min() >= 0 and s.faces.max() < len(s.vertices)
            assert s.part_ids.shape == (len(s.faces),)
            assert s.part_ids.min() >= 0 and s.part_ids.max() < len(s.part_names)
            assert s.part_names == list(PART_NAMES[category])
            assert 20 <= len(s.faces) <= 8000, (s.shape_id, len(s.faces))
            json.dumps(s.params)  # JSON-serialisable
            tm = s.to_trimesh()
            assert len(tm.faces) == len(s.faces)
            np.testing.assert_array_equal(tm.face_attributes["part_ids"], s.part_ids)


def test_normalize_shapenet_on_a_known_box():
    corners = np.array([[x, y, z] for x in (1.0, 3.0) for y in (2.0, 4.0) for z in (0.0, 1.0)])
    out = normalize_shapenet(corners)
    # centre (2, 3, 0.5), diagonal sqrt(2^2 + 2^2 + 1^2) = 3
    expected = (corners - [2.0, 3.0, 0.5]) / 3.0
    np.testing.assert_allclose(out, expected, atol=1e-15)
    assert set(np.round(np.abs(out), 12).ravel()) == {round(1 / 3, 12), round(0.5 / 3, 12)}
    with pytest.raises(ValueError):
        normalize_shapenet(np.zeros((4, 3)))


def test_generated_shapes_are_shapenet_normalised(collections):
    for shapes in collections.values():
        for s in shapes[:10]:
            lo, hi = s.vertices.min(0), s.vertices.max(0)
            np.testing.assert_allclose((lo + hi) / 2, 0.0, atol=1e-9)
            assert abs(np.linalg.norm(hi - lo) - 1.0) < 1e-9


def test_box_face_normals_point_away_from_its_centre():
    b = MeshBuilder(["part"])
    rot = trimesh.transformations.rotation_matrix(0.7, [1, 2, 3])[:3, :3]
    b.box("part", center=(1.0, -2.0, 0.5), extents=(0.3, 0.5, 0.7), rotation=rot)
    v, f, _ = b.arrays()
    t = v[f]
    normals = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    outward = t.mean(axis=1) - np.array([1.0, -2.0, 0.5])
    assert np.all(np.einsum("ij,ij->i", normals, outward) > 0)
    assert signed_volume(v, f) == pytest.approx(0.3 * 0.5 * 0.7)


def test_extrusions_land_where_documented():
    b = MeshBuilder(["part"])
    b.slab_z("part", [[0, 0], [1, 0], [1, 2], [0, 2]], 3, 4)  # (x, y) outline, extruded along z
    v, f, _ = b.arrays()
    np.testing.assert_array_equal(v.min(0), [0, 0, 3])
    np.testing.assert_array_equal(v.max(0), [1, 2, 4])
    b = MeshBuilder(["part"])
    b.slab_x("part", [[0, 0], [1, 0], [1, 2], [0, 2]], 3, 4)  # (z, y) outline, extruded along x
    v, f, _ = b.arrays()
    np.testing.assert_array_equal(v.min(0), [3, 0, 0])
    np.testing.assert_array_equal(v.max(0), [4, 2, 1])
    assert signed_volume(v, f) == pytest.approx(2.0)
    b = MeshBuilder(["part"])
    b.revolve_y("part", [[0, 0], [1, 0], [1, 2], [0, 2]], sections=64)  # a cylinder about +Y
    v, f, _ = b.arrays()
    np.testing.assert_allclose(v[:, 1].min(), 0.0, atol=1e-12)
    np.testing.assert_allclose(v[:, 1].max(), 2.0, atol=1e-12)
    assert signed_volume(v, f) == pytest.approx(2 * np.pi, rel=2e-3)


def test_mirrored_primitives_keep_outward_winding():
    b = MeshBuilder(["part"])
    with b.transform(np.diag([-1.0, 1.0, 1.0, 1.0])):  # a reflection flips triangle orientation
        b.rod("part", (0, 0, 0), (0, 1, 0), 0.1)
    v, f, _ = b.arrays()
    assert signed_volume(v, f) > 0


def test_vertex_components_by_hand():
    # triangles (0,1,2) and (2,3,4) share vertex 2; (5,6,7) stands alone; vertex 8 is in no face
    labels = vertex_components(np.array([[0, 1, 2], [2, 3, 4], [5, 6, 7]]), 9)
    assert len(set(labels[:5])) == 1 and len(set(labels[5:8])) == 1
    assert len({labels[0], labels[5], labels[8]}) == 3


def test_every_component_is_closed_and_outward(collections):
    for shapes in collections.values():
        for s in shapes[:6]:
            assert_closed_outward_components(s)


def test_all_part_names_are_used_in_a_collection(collections):
    for category, shapes in collections.items():
        used = set()
        for s in shapes:
            used.update(s.parts_present())
        assert used == set(PART_NAMES[category]), (category, set(PART_NAMES[category]) - used)


def test_axes_up_and_front():
    for i in range(10):
        s = generate_shape("chair", 0, i)
        seat = s.vertices[np.unique(s.faces[s.part_mask("seat")])]
        back = s.vertices[np.unique(s.faces[s.part_mask("back")])]
        legs = s.vertices[np.unique(s.faces[s.part_mask("leg")])]
        assert back[:, 2].mean() > seat[:, 2].mean()  # the back is behind the seat (front = -Z)
        assert back[:, 1].mean() > seat[:, 1].mean() > legs[:, 1].mean()  # +Y up
        assert np.isclose(s.vertices[:, 1].min(), legs[:, 1].min())  # legs reach the floor
    for i in range(10):
        s = generate_shape("airplane", 0, i)
        fus = s.vertices[np.unique(s.faces[s.part_mask("fuselage")])]
        tail = s.vertices[np.unique(s.faces[s.part_mask("tail")])]
        assert tail[:, 2].mean() > fus[:, 2].mean()  # the nose points to -Z


def test_chair_and_lamp_diversity(collections):
    chairs = collections["chair"]
    assert len(Counter(s.params["leg_style"] for s in chairs)) >= 4
    assert len(Counter(s.params["back_style"] for s in chairs)) >= 4
    assert len(Counter(s.params["seat_shape"] for s in chairs)) >= 3
    assert len(Counter(s.params["arms"] for s in chairs)) >= 3
    lamps = collections["lamp"]
    for key in ("base_style", "stem_style", "shade_style"):
        assert len(Counter(s.params[key] for s in lamps)) >= 3, key
    assert len(Counter(s.params["n_arms"] for s in lamps)) >= 3
    # at least 12 independent parameter families each
    assert len(chairs[0].params) >= 12 and len(lamps[0].params) >= 12


def test_pairwise_chamfer_separates_distinct_chairs(collections):
    chairs = collections["chair"][:20]
    d = pairwise_chamfer(chairs, n_points=512, seed=0)
    off = d[np.triu_indices(len(chairs), 1)]
    assert np.all(off > 5e-4), off.min()
    np.testing.assert_array_equal(np.diag(d), 0.0)


def test_roundtrip_through_dict_and_param_edits():
    s = generate_shape("table", 1, 5)
    d = json.loads(json.dumps(s.to_dict()))
    r = from_dict(d)
    np.testing.assert_array_equal(r.vertices, s.vertices)
    np.testing.assert_array_equal(r.part_ids, s.part_ids)
    full = from_dict(json.loads(json.dumps(s.to_dict(with_arrays=True))))
    np.testing.assert_array_equal(full.faces, s.faces)
    params = sample_params("table", 1, 5)
    assert params == s.params
    taller = dict(params, height=params["height"] * 1.5)
    t = build_shape("table", taller, normalize=False)
    assert t.vertices[:, 1].max() == pytest.approx(taller["height"])


# ---------------------------------------------------------------------------------------------
# Captions
# ---------------------------------------------------------------------------------------------


def _office_chair() -> Shape:
    params = sample_params("chair", 0, 0)
    params.update(leg_style="star", star_arms=5, casters=True, base_radius=0.3, back_style="curved",
                  back_height=0.6, back_tilt=5.0, back_top="flat", back_curvature=0.08, back_taper=1.0,
                  arms="none", stretchers="none", seat_shape="round", seat_cushion=False, back_cushion=False,
                  seat_thickness=0.05, leg_splay=0.0, leg_taper=1.0)
    return build_shape("chair", params, "chair-test")


def test_caption_mentions_the_right_parts():
    s = _office_chair()
    text = caption(s)  # deterministic: first wording of every attribute
    assert text == ("an office chair with a five-star base on casters, a round seat, a tall curved back and no "
                    "arms")
    text = caption(s, azimuth=45.0, elevation=20.0)
    assert text.endswith("seen from the front left and slightly above")
    rng = np.random.default_rng(0)
    nouns, attrs = describe("chair", s.params)
    for _ in range(20):
        t = caption(s, 180.0, 0.0, rng)
        assert any(t.startswith(f"a {n}") or t.startswith(f"an {n}") for n in nouns)
        assert "behind" in t or "back" in t or "rear" in t
        assert "lamp" not in t and "four" not in t  # nothing untrue
    assert caption(s, 0, 0, np.random.default_rng(5)) == caption(s, 0, 0, np.random.default_rng(5))
    assert len({caption(s, 0, 0, np.random.default_rng(i)) for i in range(10)}) >= 5


def test_viewpoint_words():
    assert azimuth_name(0) == "front"
    assert azimuth_name(45) == "front left"
    assert azimuth_name(90) == "left"  # camera on +X sees the object's left side
    assert azimuth_name(-90) == azimuth_name(270) == "right"
    assert azimuth_name(180) == azimuth_name(-180) == "back"
    assert azimuth_name(-30) == "front right"
    assert azimuth_name(22.4) == "front" and azimuth_name(22.5) == "front left"
    assert [elevation_name(e) for e in (-30, 0, 20, 50, 85)] == ["below", "eye level", "slightly above", "above",
                                                                  "high above"]


def test_every_category_has_captions(collections):
    rng = np.random.default_rng(1)
    for category, shapes in collections.items():
        for s in shapes[:5]:
            t = caption(s, float(rng.uniform(-180, 180)), float(rng.uniform(-20, 80)), rng)
            assert re.match(r"^an? [a-z]", t), t
            assert "  " not in t and " ," not in t
            assert caption(s).startswith(("a ", "an "))
