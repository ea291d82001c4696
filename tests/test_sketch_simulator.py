"""Tests of sbsr.sketch.simulate_sketch against the renderer (sbsr.render) on trimesh primitives."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import trimesh

from sbsr.render import Camera, render, visible_polylines
from sbsr.sketch import LINE_RENDERING_KNOBS, Sketch, distort_proportions, simulate_sketch, sketch_stats
from sbsr.sketch.strokes import distance_to_polylines

CAMERA = Camera(azimuth=30.0, elevation=20.0)
# keep the geometry of the line rendering (view, proportions, framing) but draw like an amateur
SAME_GEOMETRY = dict(azimuth_jitter=0.0, elevation_jitter=0.0, proportion_distortion=0.0, part_distortion=0.0,
                     frame_fill=None, frame_offset=0.0)


def _box_with_leg(leg_size=(0.06, 0.5, 0.06)):
    """A 'seat' box with a thin 'leg' box under one corner; part 0 = seat, part 1 = leg."""
    seat = trimesh.creation.box([0.6, 0.1, 0.6])
    leg = trimesh.creation.box(leg_size)
    leg.apply_translation([0.25, -0.05 - leg_size[1] / 2, 0.25])
    mesh = trimesh.util.concatenate([seat, leg])
    part_ids = np.r_[np.zeros(len(seat.faces), int), np.ones(len(leg.faces), int)]
    return SimpleNamespace(vertices=np.asarray(mesh.vertices), faces=np.asarray(mesh.faces),
                           part_ids=part_ids, part_names=["seat", "leg"])


MESH = _box_with_leg()


def _two_legs():
    seat = trimesh.creation.box([0.6, 0.1, 0.6])
    legs = [trimesh.creation.box([0.06, 0.5, 0.06]) for _ in range(2)]
    legs[0].apply_translation([-0.25, -0.3, 0.0])
    legs[1].apply_translation([0.25, -0.3, 0.0])
    mesh = trimesh.util.concatenate([seat, *legs])
    part_ids = np.r_[np.zeros(12, int), np.ones(24, int)]
    return SimpleNamespace(vertices=np.asarray(mesh.vertices), faces=np.asarray(mesh.faces), part_ids=part_ids,
                           part_names=["seat", "leg"])


def _ink(image):
    return np.asarray(image) < 128


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_deterministic_per_seed():
    a = simulate_sketch(MESH, CAMERA, skill=0.3, seed=7)
    b = simulate_sketch(MESH, CAMERA, skill=0.3, seed=7)
    assert a.image.dtype == np.uint8 and a.image.shape == (224, 224)
    assert a.image.tobytes() == b.image.tobytes()
    assert len(a.strokes) == len(b.strokes)
    assert all(x.tobytes() == y.tobytes() for x, y in zip(a.strokes, b.strokes))
    assert a.widths == b.widths
    assert json.dumps(a.meta, sort_keys=True) == json.dumps(b.meta, sort_keys=True)


def test_different_seeds_differ():
    images = [simulate_sketch(MESH, CAMERA, skill=0.3, seed=s).image for s in range(3)]
    assert images[0].tobytes() != images[1].tobytes() != images[2].tobytes()
    # the mesh is hashed into the seed: one seed, two shapes -> independent view jitter
    other = _box_with_leg(leg_size=(0.08, 0.4, 0.08))
    m1 = simulate_sketch(MESH, CAMERA, skill=0.0, seed=0).meta["view"]
    m2 = simulate_sketch(other, CAMERA, skill=0.0, seed=0).meta["view"]
    assert m1["azimuth_offset"] != m2["azimuth_offset"]


def test_no_perturbation_reproduces_line_rendering():
    reference = render(MESH, CAMERA, outputs=("lines",)).lines
    sketch = simulate_sketch(MESH, CAMERA, skill=1.0, seed=3, **LINE_RENDERING_KNOBS)
    assert _iou(_ink(sketch.image), _ink(reference)) > 0.95
    assert sketch.widths == pytest.approx([2.2] * len(sketch.widths))
    # the default skill-1 sketch keeps the geometry up to placement and pen
    sk1 = simulate_sketch(MESH, CAMERA, skill=1.0, seed=3, frame_fill=None)
    assert _iou(_ink(sk1.image), _ink(reference)) > 0.7


def test_low_skill_wobbles_and_high_skill_does_not():
    polylines = [p.points for p in visible_polylines(MESH, CAMERA)]

    def mean_distance(skill, **kw):
        sk = simulate_sketch(MESH, CAMERA, skill=skill, seed=1, **SAME_GEOMETRY, **kw)
        return float(np.mean(distance_to_polylines(np.vstack(sk.strokes), polylines)))

    clean = mean_distance(1.0)
    wobbly = mean_distance(0.0, overshoot_prob=0.0, undershoot_prob=0.0)
    assert clean < 1e-6
    assert wobbly > 0.7
    assert mean_distance(0.5, overshoot_prob=0.0, undershoot_prob=0.0) < wobbly


def test_omission_of_short_strokes_and_small_parts():
    full = simulate_sketch(MESH, CAMERA, skill=1.0, seed=0, **LINE_RENDERING_KNOBS)
    low = simulate_sketch(MESH, CAMERA, skill=0.0, seed=0, retrace_prob=0.0, gap_prob=0.0)
    om = low.meta["omission"]
    assert om["dropped"]["short"] + om["dropped"]["detail"] + om["dropped"]["redundant"] > 0
    assert len(low.strokes) == om["n_kept"] < om["n_chains"]
    assert len(low.strokes) < len(full.strokes)
    # the leg is a small part: forced omission removes every stroke of part 1
    no_leg = simulate_sketch(MESH, CAMERA, skill=1.0, seed=0, **{**LINE_RENDERING_KNOBS,
                             "small_part_fraction": 0.5, "part_omit_prob": 1.0})
    assert no_leg.meta["omission"]["omitted_parts"] == [1]
    assert {s["part_id"] for s in no_leg.meta["stroke_sources"]} == {0}
    lowest_leg_pixel = np.nonzero(_ink(full.image).any(axis=1))[0].max()
    assert not _ink(no_leg.image)[lowest_leg_pixel - 5 :].any()


@pytest.mark.parametrize("seed", range(4))
def test_sketch_stays_inside_frame_and_widths_in_range(seed):
    sk = simulate_sketch(MESH, CAMERA, skill=0.0, seed=seed, frame_fill=(0.95, 1.0), frame_offset=1.0)
    border = np.r_[sk.image[0], sk.image[-1], sk.image[:, 0], sk.image[:, -1]]
    assert np.all(border == 255)
    pts = np.vstack(sk.strokes)
    assert pts.min() >= 0 and pts.max() <= 224
    assert all(1.5 <= w <= 3.5 for w in sk.widths)
    assert len(sk.widths) == len(sk.strokes)


def test_width_override_and_image_size_scaling():
    sk = simulate_sketch(MESH, CAMERA, skill=0.0, seed=0, width_range=(1.0, 1.2))
    assert all(1.0 <= w <= 1.2 for w in sk.widths)
    big = simulate_sketch(MESH, CAMERA, skill=0.0, seed=0, image_size=448)
    assert big.image.shape == (448, 448)
    assert all(3.0 <= w <= 7.0 for w in big.widths) and max(big.widths) > 3.5


def test_frame_fill_sets_size_in_frame():
    sk = simulate_sketch(MESH, CAMERA, skill=1.0, seed=0, **{**LINE_RENDERING_KNOBS, "frame_fill": (0.6, 0.6)})
    assert sketch_stats(sk)["bbox_fill"] == pytest.approx(0.6, abs=0.03)
    centre = np.vstack(sk.strokes)
    box_centre = (centre.min(axis=0) + centre.max(axis=0)) / 2
    np.testing.assert_allclose(box_centre, [112, 112], atol=1.0)


def test_meta_records_perturbed_camera_and_choices():
    sk = simulate_sketch(MESH, CAMERA, skill=0.0, seed=5)
    meta = json.loads(json.dumps(sk.meta))  # JSON-serialisable
    assert meta["camera"]["azimuth"] == 30.0
    drawn = Camera(**meta["perturbed_camera"])
    assert drawn.azimuth == pytest.approx(30.0 + meta["view"]["azimuth_offset"])
    assert drawn.elevation == pytest.approx(20.0 + meta["view"]["elevation_offset"])
    assert 0 < abs(drawn.azimuth - 30.0) <= 10.0 and abs(drawn.elevation - 20.0) <= 5.0
    assert set(meta["proportions"]["parts"]) == {"seat", "leg"}
    assert len(meta["drawn"]) == len(sk.strokes)
    assert meta["skill"] == 0.0 and meta["seed"] == 5 and meta["knobs"]["azimuth_jitter"] == 10.0
    ortho = simulate_sketch(MESH, CAMERA, skill=0.5, seed=5, orthographic_prob=1.0)
    assert ortho.meta["perturbed_camera"]["projection"] == "orthographic"


def test_distort_proportions_hand_computed():
    v = np.array([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]])
    f = np.array([[0, 1, 1]])
    same, rec = distort_proportions(v, f, None, np.random.default_rng(0), 0.0, 0.0)
    np.testing.assert_allclose(same, v)
    scaled, rec = distort_proportions(v, f, None, np.random.default_rng(0), 0.1, 0.0)
    np.testing.assert_allclose(scaled, v * np.array(rec["axis_scale"]))
    assert all(0.9 <= s <= 1.1 for s in rec["axis_scale"])
    # the leg of MESH gets longer or shorter but stays attached under the seat (anchored at its top)
    out, rec = distort_proportions(MESH.vertices, MESH.faces, MESH.part_ids, np.random.default_rng(1),
                                   0.0, 0.3, MESH.part_names)
    leg = rec["parts"]["leg"]
    assert leg["pieces"] == [{"length_axis": "y", "anchored_at": "high"}]
    # the seat touches the single leg at its +x end only, so it grows away from it
    assert rec["parts"]["seat"]["pieces"] == [{"length_axis": "x", "anchored_at": "high"}]
    leg_vertices = np.unique(MESH.faces[MESH.part_ids == 1])
    assert out[leg_vertices, 1].max() == pytest.approx(MESH.vertices[leg_vertices, 1].max())
    assert np.ptp(out[leg_vertices, 1]) == pytest.approx(0.5 * leg["length_scale"])
    assert np.ptp(out[leg_vertices, 0]) == pytest.approx(0.06 * leg["thickness_scale"])
    seat_vertices = np.unique(MESH.faces[MESH.part_ids == 0])
    assert out[seat_vertices, 0].max() == pytest.approx(0.3)
    # two separate pieces of one label (two legs) get the same factors, each about its own anchor
    two = _two_legs()
    out, rec = distort_proportions(two.vertices, two.faces, two.part_ids, np.random.default_rng(2), 0.0, 0.3,
                                   two.part_names)
    assert rec["parts"]["leg"]["pieces"] == [{"length_axis": "y", "anchored_at": "high"}] * 2
    assert rec["parts"]["seat"]["pieces"] == [{"length_axis": "x", "anchored_at": "centre"}]
    seat_vertices = np.unique(two.faces[two.part_ids == 0])
    np.testing.assert_allclose(out[seat_vertices].mean(axis=0), two.vertices[seat_vertices].mean(axis=0),
                               atol=1e-12)  # attached at both ends: scaled about its own centre
    for sign in (-1, 1):
        idx = np.unique(two.faces[two.part_ids == 1])
        idx = idx[np.sign(two.vertices[idx, 0]) == sign]
        assert np.ptp(out[idx, 1]) == pytest.approx(0.5 * rec["parts"]["leg"]["length_scale"])
        assert out[idx, 0].mean() == pytest.approx(two.vertices[idx, 0].mean())  # legs do not spread


def test_sketch_stats_hand_computed():
    image = np.full((10, 10), 255, np.uint8)
    image[2, 1:9] = 0
    image[5, 5] = 200
    sk = Sketch(image=image, strokes=[np.array([[1.0, 2.0], [9.0, 2.0]]), np.array([[0.0, 0.0], [3.0, 4.0]])],
                widths=[1.0, 3.0], meta={})
    stats = sketch_stats(sk)
    assert stats["ink_fraction"] == pytest.approx(8 / 100)
    assert stats["mean_darkness"] == pytest.approx((8 + 55 / 255) / 100)
    assert stats["n_strokes"] == 2
    assert stats["mean_stroke_length"] == pytest.approx(6.5)
    assert stats["total_stroke_length"] == pytest.approx(13.0)
    assert stats["mean_width"] == pytest.approx(2.0)
    assert stats["bbox_fill"] == pytest.approx(0.8)


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="unknown sketch knob"):
        simulate_sketch(MESH, CAMERA, wobble=1.0)
    with pytest.raises(ValueError, match="seed"):
        simulate_sketch(MESH, CAMERA, seed=-1)
    with pytest.raises(ValueError, match="part_ids"):
        simulate_sketch(SimpleNamespace(vertices=MESH.vertices, faces=MESH.faces, part_ids=[0]), CAMERA)


def _generate_shape():
    try:
        from sbsr.shapes import generate_shape
    except ImportError:
        try:
            from sbsr.shapes.generate import generate_shape
        except ImportError:
            pytest.skip("sbsr.shapes.generate_shape is not available")
    return generate_shape


@pytest.mark.parametrize("category, azimuth", [("chair", 30.0), ("lamp", 45.0)])
def test_procedural_shapes_at_paper_views(category, azimuth):
    shape = _generate_shape()(category, 0, 1)
    camera = Camera(azimuth=azimuth, elevation=20.0)
    reference = render(shape, camera, outputs=("lines",)).lines
    clean = simulate_sketch(shape, camera, skill=1.0, seed=0, **LINE_RENDERING_KNOBS)
    assert _iou(_ink(clean.image), _ink(reference)) > 0.9
    amateur = simulate_sketch(shape, camera, skill=0.0, seed=0, retrace_prob=0.0, gap_prob=0.0)
    assert len(amateur.strokes) < amateur.meta["n_polylines"]
    assert len(amateur.strokes) < len(clean.strokes)
    assert np.all(amateur.image[[0, -1]] == 255) and np.all(amateur.image[:, [0, -1]] == 255)
    assert _iou(_ink(amateur.image), _ink(reference)) < 0.5  # not a line rendering
