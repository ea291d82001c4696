"""Unit tests of the pure 2-D stroke operations and the knob table of sbsr.sketch (no renderer)."""

import math

import numpy as np
import pytest

from sbsr.sketch import LINE_RENDERING_KNOBS, SKILL_ENDPOINTS, knobs_for_skill
from sbsr.sketch import strokes as S

SQUARE = np.array([[10, 10], [50, 10], [50, 50], [10, 50], [10, 10]], dtype=float)
LINE = np.array([[0.0, 0.0], [100.0, 0.0]])


def test_length_and_resample_hand_computed():
    assert S.polyline_length([[0, 0], [3, 4], [3, 10]]) == pytest.approx(11.0)
    r = S.resample_polyline([[0, 0], [10, 0]], spacing=3.0)  # ceil(10/3) = 4 intervals of 2.5
    np.testing.assert_allclose(r[:, 0], [0, 2.5, 5, 7.5, 10])
    np.testing.assert_allclose(r[:, 1], 0)
    with pytest.raises(ValueError, match="spacing"):
        S.resample_polyline(LINE, 0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        S.polyline_length(np.zeros((3, 3)))


def test_split_square_at_corners():
    pieces = S.split_at_corners(SQUARE, corner_angle=50)
    assert len(pieces) == 4
    assert [S.polyline_length(p) for p in pieces] == pytest.approx([40, 40, 40, 40])
    # a 30-degree bend is below the threshold: one piece
    bent = np.array([[0, 0], [10, 0], [10 + 10 * math.cos(math.radians(30)), 10 * math.sin(math.radians(30))]])
    assert len(S.split_at_corners(bent, corner_angle=50)) == 1
    assert len(S.split_at_corners(bent, corner_angle=20)) == 2


def test_chain_joins_smooth_fragments_only():
    frags = [
        np.array([[0.0, 0.0], [10.0, 0.0]]),
        np.array([[20.0, 0.0], [10.5, 0.0]]),  # reversed, end meets within tolerance
        np.array([[20.0, 0.0], [20.0, 10.0]]),  # right angle: stays separate
    ]
    chains = S.chain_polylines(frags, join_tolerance=1.0, max_turn=45)
    assert len(chains) == 2
    longest, members = max(chains, key=lambda c: S.polyline_length(c[0]))
    assert sorted(members) == [0, 1]
    assert S.polyline_length(longest) == pytest.approx(20.0)
    # with a permissive turn limit all three join
    assert len(S.chain_polylines(frags, join_tolerance=1.0, max_turn=120)) == 1
    # the longest fragment in the middle grows at both ends, in order
    middle = [np.array([[10.0, 0.0], [12.0, 0.0], [30.0, 0.0]]), np.array([[10.0, 0.0], [5.0, 0.0], [0.0, 0.0]]),
              np.array([[30.0, 0.0], [35.0, 0.0]]), np.array([[-8.0, 0.0], [0.0, 0.0]])]
    ((pts, members),) = S.chain_polylines(middle, join_tolerance=0.5, max_turn=10)
    assert sorted(members) == [0, 1, 2, 3]
    assert np.all(np.diff(pts[:, 0]) > 0) and pts[0, 0] == -8 and pts[-1, 0] == 35
    # too far apart: nothing joins
    assert len(S.chain_polylines(frags, join_tolerance=0.1, max_turn=45)) == 3


def test_simplify_removes_small_noise():
    x = np.linspace(0, 100, 51)
    noisy = np.column_stack([x, 0.3 * np.sin(x)])
    simple = S.simplify_polyline(noisy, tolerance=1.0)
    assert len(simple) == 2
    np.testing.assert_allclose(simple[[0, -1]], noisy[[0, -1]])
    assert len(S.simplify_polyline(noisy, tolerance=0)) == 51


def test_smooth_noise_unit_std_and_correlated():
    rng = np.random.default_rng(0)
    smooth = S.smooth_noise(50_000, correlation=40, rng=rng)
    assert smooth.std() == pytest.approx(1.0, rel=0.1)
    lag1 = np.corrcoef(smooth[:-1], smooth[1:])[0, 1]
    assert lag1 > 0.9
    white = S.smooth_noise(50_000, correlation=1, rng=rng)
    assert abs(np.corrcoef(white[:-1], white[1:])[0, 1]) < 0.05


def test_wobble_zero_amplitude_stays_on_line_and_amplitude_is_rms():
    rng = np.random.default_rng(1)
    flat, rec = S.wobble_polyline(LINE, rng, amplitude=0.0, wavelength=30, bow=0.0)
    assert np.abs(flat[:, 1]).max() < 1e-12
    assert rec["rms_offset"] == 0
    long_line = np.array([[0.0, 0.0], [3000.0, 0.0]])
    wob, rec = S.wobble_polyline(long_line, np.random.default_rng(2), amplitude=2.0, wavelength=30)
    assert np.sqrt(np.mean(wob[:, 1] ** 2)) == pytest.approx(2.0, rel=0.25)
    # bow: the middle point moves by bow * length * u, the ends do not
    bowed, rec = S.wobble_polyline(LINE, np.random.default_rng(3), amplitude=0.0, wavelength=30, bow=0.05)
    assert abs(bowed[0, 1]) < 1e-12 and abs(bowed[-1, 1]) < 1e-12
    assert np.abs(bowed[:, 1]).max() == pytest.approx(abs(rec["bow"]), rel=0.01)
    assert abs(rec["bow"]) <= 0.05 * 100


def test_extend_ends_overshoot_and_undershoot():
    seg = np.array([[0.0, 0.0], [10.0, 0.0]])
    over = S.extend_ends(seg, 2.0, 3.0)
    np.testing.assert_allclose(over[[0, -1]], [[-2, 0], [13, 0]])
    under = S.extend_ends(seg, -2.0, -3.0)
    np.testing.assert_allclose(under[[0, -1]], [[2, 0], [7, 0]])
    capped = S.extend_ends(seg, -100.0, -100.0)  # at most 45 % per end
    np.testing.assert_allclose(capped[[0, -1]], [[4.5, 0], [5.5, 0]])


def test_split_with_gap_removes_gap_length():
    rng = np.random.default_rng(4)
    pieces, rec = S.split_with_gap(LINE, rng, gap_length=6.0, lateral_offset=0.0)
    assert rec["split"] and len(pieces) == 2
    assert sum(S.polyline_length(p) for p in pieces) == pytest.approx(94.0)
    assert np.linalg.norm(pieces[1][0] - pieces[0][-1]) == pytest.approx(6.0)
    assert 20 <= pieces[0][-1, 0] + 3 <= 80
    whole, rec = S.split_with_gap(LINE, rng, gap_length=0.0, lateral_offset=1.0)
    assert not rec["split"] and len(whole) == 1


def test_retrace_covers_part_of_stroke():
    rng = np.random.default_rng(5)
    again, rec = S.retrace_polyline(LINE, rng, offset=0.0, min_coverage=0.6)
    assert S.polyline_length(again) == pytest.approx(100 * rec["coverage"])
    assert rec["coverage"] >= 0.6
    assert np.abs(again[:, 1]).max() < 1e-9
    shifted, rec = S.retrace_polyline(LINE, rng, offset=2.0)
    assert 0 < np.abs(shifted[:, 1]).max() <= 2.0 + 1e-9 + 100 * abs(rec["angle_rad"])


def test_fit_into_frame():
    inside = [np.array([[20.0, 20.0], [40.0, 40.0]])]
    same, rec = S.fit_into_frame(inside, 64, margin=2)
    np.testing.assert_allclose(same[0], inside[0])
    assert rec["scale"] == 1.0
    outside = [np.array([[-30.0, 10.0], [90.0, 20.0]])]
    fitted, rec = S.fit_into_frame(outside, 64, margin=2)
    assert fitted[0].min() >= 2 - 1e-9 and fitted[0].max() <= 62 + 1e-9
    assert rec["scale"] == pytest.approx(60 / 120)


def test_distance_to_polylines():
    d = S.distance_to_polylines([[50.0, 3.0], [-4.0, 0.0]], [LINE])
    np.testing.assert_allclose(d, [3.0, 4.0], atol=1e-12)
    corner = S.distance_to_polylines([[13.0, 14.0], [30.0, 30.0]], [SQUARE])
    np.testing.assert_allclose(corner, [3.0, 20.0], atol=1e-12)


def test_knobs_interpolate_validate_and_override():
    k0, k1 = knobs_for_skill(0.0), knobs_for_skill(1.0)
    for name, (a, b) in SKILL_ENDPOINTS.items():
        assert getattr(k0, name) == pytest.approx(a) and getattr(k1, name) == pytest.approx(b)
    half = knobs_for_skill(0.5)
    assert half.azimuth_jitter == pytest.approx(5.0)
    assert half.width_range == pytest.approx((1.75, 2.95))
    assert knobs_for_skill(0.5, wobble_amplitude=7.0).wobble_amplitude == 7.0
    assert knobs_for_skill(0.0, **LINE_RENDERING_KNOBS).frame_fill is None
    with pytest.raises(TypeError, match="unknown sketch knob"):
        knobs_for_skill(0.5, wobbel=1.0)
    with pytest.raises(ValueError, match="skill"):
        knobs_for_skill(1.5)
    with pytest.raises(ValueError, match="probability"):
        knobs_for_skill(0.5, gap_prob=2.0)
    with pytest.raises(ValueError, match="width_range"):
        knobs_for_skill(0.5, width_range=(3.0, 1.0))


def test_misplace_stroke_is_rigid_and_bounded():
    moved, rec = S.misplace_stroke(LINE, np.random.default_rng(6), max_rotation=5.0, max_shift=3.0)
    assert S.polyline_length(moved) == pytest.approx(100.0)
    assert abs(rec["rotation_deg"]) <= 5.0 and np.hypot(*rec["shift"]) <= 3.0
    mid = moved.mean(axis=0)
    np.testing.assert_allclose(mid, [50.0 + rec["shift"][0], rec["shift"][1]], atol=1e-9)
    d = moved[-1] - moved[0]
    assert math.degrees(math.atan2(d[1], d[0])) == pytest.approx(rec["rotation_deg"])
    same, _ = S.misplace_stroke(LINE, np.random.default_rng(6), 0.0, 0.0)
    np.testing.assert_allclose(same, LINE)


def test_redundant_strokes_flags_parallel_repeats_only():
    long_line = np.array([[0.0, 0.0], [100.0, 0.0]])
    close = np.array([[10.0, 2.0], [90.0, 2.0]])  # runs 2 px beside the long line
    far = np.array([[10.0, 8.0], [90.0, 8.0]])
    crossing = np.array([[50.0, -40.0], [50.0, 40.0]])
    flags = S.redundant_strokes([close, long_line, far, crossing], distance=3.0)
    assert flags == [True, False, False, False]
    assert S.redundant_strokes([close, long_line], distance=1.5) == [False, False]
    assert S.redundant_strokes([close, long_line], distance=0.0) == [False, False]
