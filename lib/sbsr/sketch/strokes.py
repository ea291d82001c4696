"""Pure 2-D stroke operations for the freehand-sketch simulator.

Every function takes and returns ``(N, 2)`` float arrays in pixel coordinates (x right, y down).
Functions that are random take a :class:`numpy.random.Generator` and return a record of what they
drew, so that :func:`sbsr.sketch.simulate_sketch` can store every random choice in ``Sketch.meta``.

The operations imitate the differences between a line rendering and a sketch drawn from memory by a
person without art training (the AmateurSketch protocol of Qi et al., thesis §4.2.1.3 and §4.2.3):
strokes are split at corners and chained along smooth continuations (people draw one stroke per
"side", not one per mesh edge), then get low-frequency wobble and a slight bow, over- or
undershoot at their ends, gaps, and retraced copies.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.spatial import cKDTree
from skimage.measure import approximate_polygon

__all__ = [
    "as_points",
    "polyline_length",
    "resample_polyline",
    "split_at_corners",
    "chain_polylines",
    "simplify_polyline",
    "redundant_strokes",
    "smooth_noise",
    "wobble_polyline",
    "misplace_stroke",
    "extend_ends",
    "split_with_gap",
    "retrace_polyline",
    "bounding_box",
    "transform_strokes",
    "fit_into_frame",
    "distance_to_polylines",
]


# --------------------------------------------------------------------------------------------------
# basic geometry
# --------------------------------------------------------------------------------------------------
def as_points(points: Any) -> np.ndarray:
    """``points`` as a float64 ``(N, 2)`` array; raises ``ValueError`` naming the bad shape."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"a polyline must be an (N, 2) array of pixel coordinates, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("a polyline has non-finite coordinates")
    return arr


def _drop_repeats(points: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    """Remove consecutive duplicate points (zero-length segments)."""
    if len(points) < 2:
        return points
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.linalg.norm(np.diff(points, axis=0), axis=1) > eps
    return points[keep]


def _cumulative_length(points: np.ndarray) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(seg)])


def polyline_length(points: Any) -> float:
    """Arc length of a polyline (sum of its segment lengths)."""
    pts = as_points(points)
    if len(pts) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())


def resample_polyline(points: Any, spacing: float) -> np.ndarray:
    """Points at (nearly) uniform arc-length ``spacing`` along the polyline, both ends kept.

    The number of intervals is ``ceil(length / spacing)`` so the actual spacing is at most ``spacing``.
    """
    if spacing <= 0:
        raise ValueError(f"spacing must be positive, got {spacing}")
    pts = _drop_repeats(as_points(points))
    if len(pts) < 2:
        return pts.copy()
    cum = _cumulative_length(pts)
    n = max(1, int(math.ceil(cum[-1] / spacing)))
    s = np.linspace(0.0, cum[-1], n + 1)
    return np.column_stack([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])])


def _point_at(points: np.ndarray, cum: np.ndarray, s: float) -> np.ndarray:
    return np.array([np.interp(s, cum, points[:, 0]), np.interp(s, cum, points[:, 1])])


def _sub_polyline(points: np.ndarray, s0: float, s1: float) -> np.ndarray:
    """The part of the polyline between arc lengths ``s0 < s1`` (interpolated end points)."""
    cum = _cumulative_length(points)
    s0, s1 = max(0.0, s0), min(cum[-1], s1)
    inner = points[(cum > s0) & (cum < s1)]
    return np.vstack([_point_at(points, cum, s0), inner, _point_at(points, cum, s1)])


def _end_direction(points: np.ndarray, at_start: bool, reach: float = 3.0) -> np.ndarray:
    """Unit tangent pointing *out of* the polyline at one end, averaged over ``reach`` pixels."""
    pts = points if not at_start else points[::-1]
    cum = _cumulative_length(pts)
    total = cum[-1]
    if total <= 0:
        return np.array([1.0, 0.0])
    ref = _point_at(pts, cum, max(0.0, total - reach))
    d = pts[-1] - ref
    norm = np.linalg.norm(d)
    if norm == 0:
        d = pts[-1] - pts[0]
        norm = np.linalg.norm(d)
    return d / norm if norm > 0 else np.array([1.0, 0.0])


def _turn_angle(d_out: np.ndarray, d_in: np.ndarray) -> float:
    """Angle in degrees between an outgoing tangent and the next segment's direction."""
    c = float(np.clip(np.dot(d_out, d_in), -1.0, 1.0))
    return math.degrees(math.acos(c))


# --------------------------------------------------------------------------------------------------
# from mesh-edge polylines to "human" strokes
# --------------------------------------------------------------------------------------------------
def split_at_corners(points: Any, corner_angle: float = 50.0, reach: float = 3.0) -> list[np.ndarray]:
    """Split a polyline at vertices where the direction turns by more than ``corner_angle`` degrees.

    Turning is measured between the directions over ``reach`` pixels before and after each vertex,
    so pixel-scale zig-zags of a hidden-line polyline do not count as corners.
    """
    pts = _drop_repeats(as_points(points))
    if len(pts) < 3:
        return [pts]
    cum = _cumulative_length(pts)
    pieces, start = [], 0
    for i in range(1, len(pts) - 1):
        before = pts[i] - _point_at(pts, cum, max(0.0, cum[i] - reach))
        after = _point_at(pts, cum, min(cum[-1], cum[i] + reach)) - pts[i]
        nb, na = np.linalg.norm(before), np.linalg.norm(after)
        if nb == 0 or na == 0:
            continue
        if _turn_angle(before / nb, after / na) > corner_angle and cum[i] - cum[start] > 0:
            pieces.append(pts[start : i + 1])
            start = i
    pieces.append(pts[start:])
    return [p for p in pieces if len(p) >= 2]


def chain_polylines(
    polylines: Sequence[Any], join_tolerance: float = 1.5, max_turn: float = 50.0
) -> list[tuple[np.ndarray, list[int]]]:
    """Greedily join polylines whose end points meet (within ``join_tolerance`` px) and continue
    smoothly (turn below ``max_turn`` degrees) into longer strokes.

    Returns ``(points, source_indices)`` pairs; longer inputs seed chains first, so the result is
    deterministic. Hidden-line removal breaks a silhouette into many fragments; a person draws it as
    one stroke.
    """
    polys = [_drop_repeats(as_points(p)) for p in polylines]
    if not polys:
        return []
    order = sorted(range(len(polys)), key=lambda i: (-polyline_length(polys[i]), i))
    ends = np.array([[p[0], p[-1]] for p in polys]).reshape(-1, 2)  # row 2i = start of i, 2i+1 = end
    out_dir = np.array([[_end_direction(p, at_start=True), _end_direction(p, at_start=False)] for p in polys])
    tree = cKDTree(ends)
    used = np.zeros(len(polys), dtype=bool)
    chains: list[tuple[np.ndarray, list[int]]] = []

    def extend(pieces: list[np.ndarray], tail_dir: np.ndarray, members: list[int]) -> None:
        """Append fragments at the tail of ``pieces`` while one continues smoothly."""
        while True:
            tail = pieces[-1][-1]
            best, best_turn = None, max_turn
            for row in sorted(tree.query_ball_point(tail, join_tolerance)):
                j, is_end = divmod(row, 2)
                if used[j]:
                    continue
                turn = _turn_angle(tail_dir, -out_dir[j, is_end])
                if turn < best_turn:
                    best, best_turn = (j, is_end), turn
            if best is None:
                return
            j, is_end = best
            used[j] = True
            cand = polys[j][::-1] if is_end else polys[j]
            pieces.append(cand[1:] if np.allclose(cand[0], tail) else cand)
            tail_dir = out_dir[j, 1 - is_end]
            members.append(j)

    for i in order:
        if used[i]:
            continue
        used[i] = True
        forward: list[np.ndarray] = [polys[i]]
        members = [i]
        extend(forward, out_dir[i, 1], members)
        backward: list[np.ndarray] = [polys[i][::-1]]
        extend(backward, out_dir[i, 0], members)
        head = [b[::-1] for b in backward[:0:-1]]
        chains.append((np.vstack(head + forward), members))
    return chains


def simplify_polyline(points: Any, tolerance: float) -> np.ndarray:
    """Douglas-Peucker simplification (``skimage.measure.approximate_polygon``); 0 keeps the input."""
    pts = as_points(points)
    if tolerance <= 0 or len(pts) < 3:
        return pts.copy()
    return approximate_polygon(pts, tolerance=tolerance)


def redundant_strokes(
    strokes: Sequence[Any], distance: float, coverage: float = 0.8, spacing: float = 1.0
) -> list[bool]:
    """Flags of strokes that repeat a longer one: at least ``coverage`` of their (resampled) points lie
    within ``distance`` px of a longer, kept stroke. A thin tube rendered as two silhouettes and a few
    creases is drawn by a person as one line; so is a part seen almost edge-on.

    Longer strokes are kept first (ties by index); ``distance <= 0`` flags nothing. Distances are
    measured to points resampled every ``spacing`` px (error at most ``spacing / 2``).
    """
    n = len(strokes)
    if distance <= 0 or n < 2:
        return [False] * n
    dense = [resample_polyline(s, spacing) for s in strokes]
    owner = np.concatenate([np.full(len(d), i) for i, d in enumerate(dense)])
    tree = cKDTree(np.vstack(dense))
    kept = np.zeros(n, dtype=bool)
    flags = [False] * n
    for i in sorted(range(n), key=lambda j: (-polyline_length(dense[j]), j)):
        near = tree.query_ball_point(dense[i], distance)
        covered = [bool(nb) and bool(kept[owner[nb]].any()) for nb in near]
        if np.mean(covered) >= coverage:
            flags[i] = True
        else:
            kept[i] = True
    return flags


# --------------------------------------------------------------------------------------------------
# random perturbations
# --------------------------------------------------------------------------------------------------
def smooth_noise(n: int, correlation: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of Gaussian-smoothed white noise with unit standard deviation.

    ``correlation`` is the smoothing width in samples: the kernel is a Gaussian with
    ``sigma = correlation / (2 pi)``, so wavelengths shorter than about ``correlation`` samples are
    suppressed. The noise is generated with a margin and cropped (no edge effects), and normalised
    by the theoretical standard deviation of filtered unit white noise, so short strokes do not get
    amplified wobble.
    """
    if n <= 0:
        return np.zeros(0)
    sigma = correlation / (2.0 * math.pi)
    if sigma < 0.5:
        return rng.standard_normal(n)
    pad = int(math.ceil(4 * sigma))
    white = rng.standard_normal(n + 2 * pad)
    smooth = gaussian_filter1d(white, sigma, mode="constant", truncate=4.0)[pad : pad + n]
    return smooth * math.sqrt(2.0 * math.sqrt(math.pi) * sigma)


def _normals(points: np.ndarray) -> np.ndarray:
    tangent = np.gradient(points, axis=0)
    norm = np.linalg.norm(tangent, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    tangent = tangent / norm
    return np.column_stack([-tangent[:, 1], tangent[:, 0]])


def wobble_polyline(
    points: Any,
    rng: np.random.Generator,
    amplitude: float,
    wavelength: float,
    bow: float = 0.0,
    spacing: float = 1.5,
) -> tuple[np.ndarray, dict]:
    """Freehand wobble: resample every ``spacing`` px and displace each point along the normal by
    ``amplitude * smooth_noise`` (correlation ``wavelength`` px) plus a parabolic bow of height
    ``bow * length * u`` with ``u ~ U(-1, 1)`` (straight lines drawn by hand arc slightly).

    The random numbers are drawn even when amplitudes are zero, so the stream does not depend on
    the knob values.
    """
    pts = resample_polyline(points, spacing)
    length = polyline_length(pts)
    n = len(pts)
    noise = smooth_noise(n, wavelength / spacing, rng)
    bow_u = float(rng.uniform(-1.0, 1.0))
    if n < 2:
        return pts, {"bow": 0.0, "rms_offset": 0.0}
    s = _cumulative_length(pts) / max(length, 1e-12)
    offset = amplitude * noise + bow * length * bow_u * 4.0 * s * (1.0 - s)
    out = pts + _normals(pts) * offset[:, None]
    return out, {"bow": bow * length * bow_u, "rms_offset": float(np.sqrt(np.mean(offset**2)))}


def misplace_stroke(
    points: Any, rng: np.random.Generator, max_rotation: float, max_shift: float
) -> tuple[np.ndarray, dict]:
    """Rigidly misplace a stroke: turn it about its arc-length midpoint by ``U(-r, r)`` degrees and
    move it by a vector uniform in the disc of radius ``max_shift`` px (strokes drawn from memory do
    not meet exactly where they should)."""
    pts = as_points(points)
    u_rot, u_r, u_phi = rng.random(3)
    angle = math.radians(max_rotation * (2.0 * u_rot - 1.0))
    radius, phi = max_shift * math.sqrt(u_r), 2.0 * math.pi * u_phi
    shift = np.array([radius * math.cos(phi), radius * math.sin(phi)])
    if len(pts) < 2:
        return pts + shift, {"rotation_deg": math.degrees(angle), "shift": shift.tolist()}
    cum = _cumulative_length(pts)
    centre = _point_at(pts, cum, cum[-1] / 2)
    c, s = math.cos(angle), math.sin(angle)
    out = (pts - centre) @ np.array([[c, -s], [s, c]]).T + centre + shift
    return out, {"rotation_deg": math.degrees(angle), "shift": shift.tolist()}


def extend_ends(points: Any, start: float, end: float) -> np.ndarray:
    """Lengthen (positive, overshoot along the end tangent) or shorten (negative, undershoot) the
    polyline by ``start`` px at its first and ``end`` px at its last point.

    Shortening never removes more than 45 % of the stroke at each end.
    """
    pts = _drop_repeats(as_points(points))
    if len(pts) < 2:
        return pts.copy()
    total = polyline_length(pts)
    s0 = -min(start, 0.0)
    s1 = total + min(end, 0.0)
    s0, s1 = min(s0, 0.45 * total), max(s1, 0.55 * total)
    if s0 > 0 or s1 < total:
        pts = _sub_polyline(pts, s0, s1)
    if start > 0:
        pts = np.vstack([pts[0] + start * _end_direction(pts, at_start=True), pts])
    if end > 0:
        pts = np.vstack([pts, pts[-1] + end * _end_direction(pts, at_start=False)])
    return pts


def split_with_gap(
    points: Any, rng: np.random.Generator, gap_length: float, lateral_offset: float
) -> tuple[list[np.ndarray], dict]:
    """Split a stroke in two at a random place in its middle 60 %, leaving a gap of ``gap_length``
    px and shifting the second piece sideways by up to ``lateral_offset`` px (a long line drawn in
    two goes). Strokes shorter than ``3 * gap_length`` are left whole.
    """
    pts = as_points(points)
    total = polyline_length(pts)
    where = float(rng.uniform(0.2, 0.8))
    shift = float(rng.uniform(-1.0, 1.0)) * lateral_offset
    if gap_length <= 0 or total < 3 * gap_length:
        return [pts.copy()], {"split": False}
    mid = where * total
    first = _sub_polyline(pts, 0.0, mid - gap_length / 2)
    second = _sub_polyline(pts, mid + gap_length / 2, total)
    d = second[-1] - second[0]
    nrm = np.linalg.norm(d)
    normal = np.array([-d[1], d[0]]) / nrm if nrm > 0 else np.zeros(2)
    second = second + shift * normal
    return [first, second], {"split": True, "at": where, "gap": gap_length, "shift": shift}


def retrace_polyline(
    points: Any, rng: np.random.Generator, offset: float, min_coverage: float = 0.6
) -> tuple[np.ndarray, dict]:
    """A second pass over (part of) a stroke: a random sub-interval covering at least
    ``min_coverage`` of its length, shifted sideways by up to ``offset`` px and slightly rotated
    about its middle (angle up to ``offset / length`` rad)."""
    pts = as_points(points)
    total = polyline_length(pts)
    coverage = float(rng.uniform(min_coverage, 1.0))
    start = float(rng.uniform(0.0, 1.0 - coverage))
    shift = float(rng.uniform(-1.0, 1.0)) * offset
    angle = float(rng.uniform(-1.0, 1.0)) * (offset / max(total, 1e-9))
    sub = _sub_polyline(pts, start * total, (start + coverage) * total)
    d = sub[-1] - sub[0]
    nrm = np.linalg.norm(d)
    normal = np.array([-d[1], d[0]]) / nrm if nrm > 0 else np.zeros(2)
    centre = sub.mean(axis=0)
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    out = (sub - centre) @ rot.T + centre + shift * normal
    return out, {"coverage": coverage, "start": start, "shift": shift, "angle_rad": angle}


# --------------------------------------------------------------------------------------------------
# placement in the frame
# --------------------------------------------------------------------------------------------------
def bounding_box(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """``[[xmin, ymin], [xmax, ymax]]`` over all points of all strokes."""
    pts = np.vstack([as_points(s) for s in strokes if len(s)])
    return np.array([pts.min(axis=0), pts.max(axis=0)])


def transform_strokes(strokes: Sequence[np.ndarray], scale: float, src_centre, dst_centre) -> list[np.ndarray]:
    """Similarity transform ``p -> dst_centre + scale * (p - src_centre)`` of every stroke."""
    src, dst = np.asarray(src_centre, float), np.asarray(dst_centre, float)
    return [dst + scale * (as_points(s) - src) for s in strokes]


def fit_into_frame(
    strokes: Sequence[np.ndarray], image_size: int, margin: float
) -> tuple[list[np.ndarray], dict]:
    """Shrink (about the bounding-box centre) and shift the strokes so that every point lies in
    ``[margin, image_size - margin]`` (the frame spans ``[0, image_size]``: pixel centres at +0.5, as
    in :class:`sbsr.render.Camera`); identity when they already do."""
    lo, hi = margin, image_size - margin
    if hi <= lo:
        raise ValueError(f"margin {margin} leaves no room in a {image_size} px frame")
    box = bounding_box(strokes)
    extent = box[1] - box[0]
    scale = float(min(1.0, *((hi - lo) / np.maximum(extent, 1e-12))))
    centre = box.mean(axis=0)
    half = scale * extent / 2
    new_centre = np.clip(centre, lo + half, hi - half)
    if scale == 1.0 and np.allclose(new_centre, centre):
        return [as_points(s).copy() for s in strokes], {"scale": 1.0, "shift": [0.0, 0.0]}
    out = transform_strokes(strokes, scale, centre, new_centre)
    return out, {"scale": scale, "shift": (new_centre - centre).tolist()}


# --------------------------------------------------------------------------------------------------
# measurement
# --------------------------------------------------------------------------------------------------
def distance_to_polylines(points: Any, polylines: Sequence[Any], chunk: int = 4096) -> np.ndarray:
    """Exact Euclidean distance of every point to the nearest segment of ``polylines``."""
    pts = as_points(points)
    segs = [as_points(p) for p in polylines if len(p)]
    if not segs:
        raise ValueError("distance_to_polylines needs at least one non-empty polyline")
    a = np.vstack([p[:-1] if len(p) > 1 else p for p in segs])
    b = np.vstack([p[1:] if len(p) > 1 else p for p in segs])
    ab = b - a
    ab2 = np.einsum("ij,ij->i", ab, ab)
    out = np.empty(len(pts))
    rows = max(1, chunk * 256 // max(len(a), 1))
    for i in range(0, len(pts), rows):
        ap = pts[i : i + rows, None, :] - a[None]
        t = np.clip(np.divide(np.einsum("pij,ij->pi", ap, ab), ab2, out=np.zeros(ap.shape[:2]),
                              where=ab2 > 0), 0.0, 1.0)
        out[i : i + rows] = np.linalg.norm(ap - t[..., None] * ab, axis=2).min(axis=1)
    return out
