"""Freehand-sketch simulator: from a shape and a viewpoint to an amateur-style raster sketch.

Imitates the AmateurSketch data the thesis evaluates on (§4.2.1.3, §4.2.3 "Datasets"): people with
no art training look at a view of a 3D shape briefly and draw it from memory. Compared with the
line rendering of the same view (silhouettes + creases, width 2.2 px, §4.2.3 "Multi-view line
rendering") such a sketch has

1. a viewpoint that is off by a few degrees and distorted proportions (memory),
2. omitted small parts, short lines and interior detail (abstraction),
3. wobbly, bowed strokes with overshoot, undershoot, gaps and retraced lines (motor control),
4. varying width and darkness, and inconsistent placement and scale in the frame.

Pipeline of :func:`simulate_sketch` (every random draw is stored in ``Sketch.meta``):
perturb camera -> distort mesh -> ``sbsr.render.visible_polylines`` -> omit small parts ->
split at corners and chain fragments into strokes -> simplify -> drop short strokes and details ->
place in frame -> drop strokes that run along longer ones -> per-stroke overshoot / wobble / gaps / retrace -> order -> widths ->
fit into frame -> ``sbsr.render.draw_polylines``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io import to_jsonable
from ..shapes.base import vertex_components
from .knobs import SketchKnobs, knobs_for_skill
from .strokes import (
    bounding_box,
    chain_polylines,
    extend_ends,
    fit_into_frame,
    misplace_stroke,
    polyline_length,
    redundant_strokes,
    retrace_polyline,
    simplify_polyline,
    split_at_corners,
    split_with_gap,
    transform_strokes,
    wobble_polyline,
)

if TYPE_CHECKING:  # pragma: no cover
    from sbsr.render import Camera

__all__ = ["Sketch", "simulate_sketch", "sketch_stats", "distort_proportions", "REFERENCE_SIZE",
           "DIFFERENCES_FROM_HUMAN_SKETCHES"]

#: How the simulated sketches differ from real amateur sketches (for the data chapter; said plainly).
DIFFERENCES_FROM_HUMAN_SKETCHES: tuple[str, ...] = (
    "Knob values are set by hand from looking at the results, not fitted to the AmateurSketch data "
    "(which we do not have); 'skill' is one axis, while people vary along many.",
    "Every line is a visible feature edge (silhouette, crease, border) of the shape: no hidden lines drawn "
    "through, no construction lines, shading, hatching, scribbled fills, erasures or text.",
    "Memory errors are parametric: one viewpoint offset for the whole drawing and smooth per-axis and per-part "
    "scalings. People also make structural errors (wrong number of slats or legs, parts borrowed from other "
    "objects, symmetry imposed), mix viewpoints between parts, get perspective wrong (flattened or "
    "converging the wrong way) and exaggerate salient parts.",
    "Abstraction is by thresholds on length, share of line length per part and redundancy with a longer "
    "line, not by meaning: a small but characteristic part can be dropped and a large dull one kept.",
    "Thin parts become one line only where their lines are within the merge distance; people draw thin "
    "parts as a single stroke much more consistently.",
    "Stroke noise is independent smooth Gaussian wobble plus a bow, uniform over- and undershoot and at "
    "most one gap and one retrace per stroke: no speed or pressure dynamics, tapered ends or end hooks, and "
    "width and darkness change between strokes, never along one.",
    "Strokes are split at every corner sharper than 50 degrees; people often draw an outline in one "
    "continuous stroke round its corners, or in many short feathery strokes.",
    "Occlusion is always right (lines come from hidden-line removal); people let lines cross through "
    "parts in front of them.",
    "The drawing order (silhouettes and long strokes first, with noise) is a heuristic, not learnt from "
    "recorded human stroke orders, which go part by part and by proximity.",
    "Placement varies only in size and offset: the drawing is never rotated, cut by the frame border or "
    "drawn off-centre beyond the free margin.",
    "Tessellation of procedural meshes can add crease lines (faceted tubes) that nobody would draw.",
)

#: Frame size (px) at which the pixel-valued knobs are specified; they scale with image_size / 224.
REFERENCE_SIZE = 224


@dataclass
class Sketch:
    """A simulated sketch: raster image, its strokes in drawing order, their widths, and provenance."""

    image: np.ndarray  # (H, W) uint8 grayscale, 255 background, dark strokes
    strokes: list[np.ndarray]  # (N, 2) float pixel coordinates (x right, y down), drawing order
    widths: list[float]  # px, one per stroke
    meta: dict = field(default_factory=dict)  # cameras, knobs, every random choice, skill


@dataclass
class _Mesh:
    """Minimal mesh accepted by ``sbsr.render`` (``.vertices``, ``.faces``, optional ``.part_ids``)."""

    vertices: np.ndarray
    faces: np.ndarray
    part_ids: np.ndarray | None = None


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _camera_dict(camera: Any) -> dict:
    if dataclasses.is_dataclass(camera):
        return to_jsonable(dataclasses.asdict(camera))
    return {"repr": repr(camera)}


def _input_hash(vertices: np.ndarray, faces: np.ndarray, part_ids: np.ndarray | None, camera: Any,
                image_size: int) -> str:
    """SHA-256 of the mesh arrays and the camera: mixed into the seed so that one seed gives
    independent draws for different shapes and views (and identical draws for identical inputs)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(vertices, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(faces, dtype="<i8").tobytes())
    if part_ids is not None:
        h.update(np.ascontiguousarray(part_ids, dtype="<i8").tobytes())
    h.update(repr(sorted(_camera_dict(camera).items())).encode())
    h.update(str(image_size).encode())
    return h.hexdigest()


def distort_proportions(
    vertices: np.ndarray,
    faces: np.ndarray,
    part_ids: np.ndarray | None,
    rng: np.random.Generator,
    global_amount: float,
    part_amount: float,
    part_names: list[str] | None = None,
) -> tuple[np.ndarray, dict]:
    """Proportions as remembered.

    1. Each world axis is scaled by ``1 + U(-g, g)`` about the bounding-box centre.
    2. Per part label one length factor ``1 + U(-p, p)`` and one thickness factor ``1 + U(-p, p)`` are
       drawn (all legs of a chair change alike) and applied to every connected piece of that label:
       the piece's longest bounding-box axis is scaled by the length factor, anchored at its end
       that touches another piece when only one end does (legs grow downwards from the seat, a
       back upwards), else about the piece's centre (a seat, a stem between base and shade); the
       other two axes are scaled by the thickness factor about the piece's centre (thinner legs).
       "Touches" = the last 10 % of the piece's bounding box, grown by 1 % of the shape diagonal,
       overlaps another piece's bounding box.

    A vertex shared by faces of several parts follows the part of the first such face.
    The random numbers are drawn whatever the amounts, so their stream does not depend on them.
    """
    v = np.asarray(vertices, dtype=np.float64)
    centre = (v.min(axis=0) + v.max(axis=0)) / 2
    axis_u = rng.uniform(-1.0, 1.0, 3)
    axis_scale = 1.0 + global_amount * axis_u
    out = centre + (v - centre) * axis_scale
    record: dict[str, Any] = {"axis_scale": axis_scale.tolist(), "parts": {}}
    if part_ids is None or len(v) == 0:
        return out, record
    part_ids = np.asarray(part_ids, dtype=np.int64)
    faces = np.asarray(faces, dtype=np.int64)
    vertex_part = np.full(len(v), -1, dtype=np.int64)
    vertex_part[faces[::-1].ravel()] = np.repeat(part_ids[::-1], faces.shape[1])  # first face wins
    component = vertex_components(faces, len(v))
    keys = sorted({(int(a), int(b)) for a, b in zip(vertex_part, component) if a >= 0})
    members = {key: np.flatnonzero((vertex_part == key[0]) & (component == key[1])) for key in keys}
    boxes = {key: (out[idx].min(axis=0), out[idx].max(axis=0)) for key, idx in members.items()}
    tol = 0.01 * float(np.linalg.norm(out.max(axis=0) - out.min(axis=0)))

    def touches(key, slab_lo, slab_hi) -> bool:
        return any(np.all(slab_lo - tol <= b_hi) and np.all(b_lo <= slab_hi + tol)
                   for other, (b_lo, b_hi) in boxes.items() if other != key)

    new = out.copy()
    for p in np.unique(part_ids):
        u_len, u_thick = rng.uniform(-1.0, 1.0, 2)
        length_scale, thickness_scale = 1.0 + part_amount * u_len, 1.0 + part_amount * u_thick
        pieces = []
        for key in (key for key in keys if key[0] == p):
            idx = members[key]
            lo, hi = boxes[key]
            axis = int(np.argmax(hi - lo))
            end = 0.1 * (hi[axis] - lo[axis])
            low_slab_hi, high_slab_lo = hi.copy(), lo.copy()
            low_slab_hi[axis], high_slab_lo[axis] = lo[axis] + end, hi[axis] - end
            at_low, at_high = touches(key, lo, low_slab_hi), touches(key, high_slab_lo, hi)
            origin = (lo + hi) / 2
            anchor = "centre"
            if at_low != at_high:  # attached at one end only: grow away from the attachment
                anchor = "low" if at_low else "high"
                origin[axis] = lo[axis] if at_low else hi[axis]
            scale = np.full(3, thickness_scale)
            scale[axis] = length_scale
            new[idx] = origin + (out[idx] - origin) * scale
            pieces.append({"length_axis": "xyz"[axis], "anchored_at": anchor})
        name = part_names[p] if part_names is not None and 0 <= p < len(part_names) else str(int(p))
        record["parts"][name] = {"part_id": int(p), "length_scale": float(length_scale),
                                 "thickness_scale": float(thickness_scale), "pieces": pieces}
    return new, record


# --------------------------------------------------------------------------------------------------
# the simulator
# --------------------------------------------------------------------------------------------------
def simulate_sketch(
    mesh: Any, camera: "Camera", skill: float = 0.5, seed: int = 0, image_size: int = 224, **knobs: Any
) -> Sketch:
    """Simulate an amateur sketch of ``mesh`` seen from ``camera`` (see the module docstring).

    ``skill`` in [0, 1] sets the defaults of every knob (:func:`sbsr.sketch.knobs_for_skill`);
    keyword ``knobs`` override them (``**LINE_RENDERING_KNOBS`` reproduces the line rendering).
    Deterministic: the random generator is ``np.random.default_rng`` seeded with ``seed`` and a hash
    of the inputs, one independent child stream per stage.
    """
    from sbsr.render import draw_polylines, visible_polylines

    k: SketchKnobs = knobs_for_skill(skill, **knobs)
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not (isinstance(image_size, (int, np.integer)) and image_size >= 16):
        raise ValueError(f"image_size must be an integer >= 16, got {image_size!r}")
    image_size = int(image_size)
    px = image_size / REFERENCE_SIZE

    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    part_ids = getattr(mesh, "part_ids", None)
    part_ids = None if part_ids is None else np.asarray(part_ids, dtype=np.int64)
    if part_ids is not None and len(part_ids) != len(faces):
        raise ValueError(f"mesh.part_ids has {len(part_ids)} entries for {len(faces)} faces")
    part_names = getattr(mesh, "part_names", None)
    part_names = list(part_names) if part_names is not None else None

    digest = _input_hash(vertices, faces, part_ids, camera, image_size)
    root = np.random.SeedSequence([int(seed), *(int(digest[i : i + 8], 16) for i in range(0, 32, 8))])
    view_rng, shape_rng, omit_rng, place_rng, stroke_rng, order_rng, style_rng = (
        np.random.default_rng(s) for s in root.spawn(7)
    )
    meta: dict[str, Any] = {
        "skill": float(skill),
        "seed": int(seed),
        "image_size": image_size,
        "pixel_scale": px,
        "input_hash": digest,
        "knobs": k.as_dict(),
        "camera": _camera_dict(camera),
        "part_names": part_names,
    }

    # 1. viewpoint as remembered ----------------------------------------------------------------
    du, dv, u_ortho = view_rng.uniform(-1.0, 1.0, 2).tolist() + [float(view_rng.random())]
    d_az, d_el = k.azimuth_jitter * du, k.elevation_jitter * dv
    orthographic = u_ortho < k.orthographic_prob
    changes: dict[str, Any] = {
        "azimuth": float(camera.azimuth) + d_az,
        "elevation": float(np.clip(float(camera.elevation) + d_el, -89.0, 89.0)),
        "image_size": image_size,
    }
    if orthographic:
        changes["projection"] = "orthographic"
        changes["ortho_scale"] = float(camera.distance) * math.tan(math.radians(float(camera.fov)) / 2)
    drawn_camera = dataclasses.replace(camera, **changes)
    meta["view"] = {"azimuth_offset": d_az, "elevation_offset": d_el, "orthographic": bool(orthographic)}
    meta["perturbed_camera"] = _camera_dict(drawn_camera)

    # 2. proportions as remembered ---------------------------------------------------------------
    distorted, meta["proportions"] = distort_proportions(
        vertices, faces, part_ids, shape_rng, k.proportion_distortion, k.part_distortion, part_names
    )
    polylines = visible_polylines(
        _Mesh(distorted, faces, part_ids), drawn_camera, kinds=tuple(k.kinds), crease_angle=k.crease_angle
    )
    polylines = [p for p in polylines if len(p.points) >= 2 and polyline_length(p.points) > 0]
    meta["n_polylines"] = len(polylines)

    # 3. abstraction: omit small parts ----------------------------------------------------------
    lengths = np.array([polyline_length(p.points) for p in polylines])
    total = float(lengths.sum())
    omitted_parts = []
    part_list = sorted({int(p.part_id) for p in polylines if int(p.part_id) >= 0})
    biggest = max(part_list, key=lambda q: lengths[[int(p.part_id) == q for p in polylines]].sum(), default=None)
    part_draws = {}
    for q in part_list:
        u = float(omit_rng.random())
        share = float(lengths[[int(p.part_id) == q for p in polylines]].sum()) / max(total, 1e-12)
        part_draws[str(q)] = {"share": share, "u": u}
        if q != biggest and share < k.small_part_fraction and u < k.part_omit_prob:
            omitted_parts.append(q)
    kept_polylines = [p for p in polylines if int(p.part_id) not in omitted_parts]
    meta["omission"] = {"part_draws": part_draws, "omitted_parts": omitted_parts}

    # 4. mesh-edge polylines -> strokes -----------------------------------------------------------
    pieces, piece_info = [], []
    for p in kept_polylines:
        for piece in split_at_corners(p.points, k.corner_angle):
            pieces.append(piece)
            piece_info.append((p.kind, int(p.part_id), polyline_length(piece)))
    chains = []
    for pts, members in chain_polylines(pieces, k.join_tolerance * px, max_turn=k.corner_angle):
        longest = max(members, key=lambda i: piece_info[i][2])
        kind = "silhouette" if any(piece_info[i][0] == "silhouette" for i in members) else piece_info[longest][0]
        chains.append({"points": simplify_polyline(pts, k.simplify_tolerance * px), "kind": kind,
                       "part_id": piece_info[longest][1]})

    # 5. abstraction: drop short strokes and interior detail --------------------------------------
    if chains:
        box = bounding_box([c["points"] for c in chains])
        diag = float(np.linalg.norm(box[1] - box[0]))
    else:
        diag = 0.0
    detail_u = omit_rng.random(len(chains))
    dropped = {"short": 0, "detail": 0, "redundant": 0}
    kept = []
    for c, u in zip(chains, detail_u):
        c["length"] = polyline_length(c["points"])
        if c["length"] < k.min_stroke_fraction * diag:
            dropped["short"] += 1
        elif c["kind"] != "silhouette" and u < k.detail_omit_prob:
            dropped["detail"] += 1
        else:
            kept.append(c)
    if not kept and chains:  # never erase the whole drawing
        kept = [max(chains, key=lambda c: c["length"])]
    meta["omission"].update({"n_chains": len(chains), "dropped": dropped, "n_kept": len(kept)})

    # 6. placement in the frame ----------------------------------------------------------------------
    fill_u = float(place_rng.random())
    offset_u = place_rng.uniform(-1.0, 1.0, 2)
    placement: dict[str, Any] = {"fill_u": fill_u, "offset_u": offset_u.tolist()}
    if kept:
        box = bounding_box([c["points"] for c in kept])
        extent, src_centre = box[1] - box[0], box.mean(axis=0)
        if k.frame_fill is not None:
            fill = k.frame_fill[0] + (k.frame_fill[1] - k.frame_fill[0]) * fill_u
            scale = fill * image_size / max(float(extent.max()), 1e-9)
            base_centre = np.full(2, image_size / 2)  # frame spans [0, size]
            placement["fill"] = fill
        else:
            scale, base_centre = 1.0, src_centre
        free = np.maximum(image_size - scale * extent, 0.0) / 2
        dst_centre = base_centre + offset_u * k.frame_offset * free
        placed = transform_strokes([c["points"] for c in kept], scale, src_centre, dst_centre)
        for c, pts in zip(kept, placed):
            c["points"] = pts
        placement.update({"scale": scale, "src_centre": src_centre, "dst_centre": dst_centre})
    meta["placement"] = placement

    # 6b. abstraction: a line running along a longer one is not drawn twice (thin tubes, double edges)
    redundant = redundant_strokes([c["points"] for c in kept], k.merge_distance * px)
    if kept and all(redundant):  # cannot happen (the longest is kept), but never erase the drawing
        redundant[0] = False
    kept = [c for c, r in zip(kept, redundant) if not r]
    meta["omission"]["dropped"]["redundant"] = int(sum(redundant))
    meta["omission"]["n_kept"] = len(kept)

    # 7. motor control: per-stroke perturbations (in frame pixels) -------------------------------
    groups = []  # one list of (points, role) per kept stroke, drawn consecutively
    stroke_records = []
    for ci, (c, rng) in enumerate(zip(kept, stroke_rng.spawn(len(kept)))):
        ends_u, ends_len = rng.random(2), rng.uniform(0.3, 1.0, 2)
        ext = []
        for u, frac in zip(ends_u, ends_len):
            if u < k.overshoot_prob:
                ext.append(k.overshoot_length * px * frac)
            elif u < k.overshoot_prob + k.undershoot_prob:
                ext.append(-k.undershoot_length * px * frac)
            else:
                ext.append(0.0)
        moved, misplaced = misplace_stroke(c["points"], rng, k.stroke_rotation, k.stroke_shift * px)
        extended = extend_ends(moved, ext[0], ext[1])
        wobbled, wob = wobble_polyline(extended, rng, k.wobble_amplitude * px, k.wobble_wavelength * px,
                                       k.bow, k.resample_spacing * px)
        gap_u, gap_frac = float(rng.random()), float(rng.uniform(0.5, 1.0))
        gap_len = k.gap_length * px * gap_frac if gap_u < k.gap_prob else 0.0
        parts, gap = split_with_gap(wobbled, rng, gap_len, k.split_offset * px)
        retrace_u = float(rng.random())
        retraced, ret = retrace_polyline(extended, rng, k.retrace_offset * px)
        retraced, ret_wob = wobble_polyline(retraced, rng, k.wobble_amplitude * px, k.wobble_wavelength * px,
                                            k.bow, k.resample_spacing * px)
        group = [(pts, "main" if j == 0 else "after_gap") for j, pts in enumerate(parts)]
        if retrace_u < k.retrace_prob:
            group.append((retraced, "retrace"))
        groups.append(group)
        stroke_records.append({
            "kind": c["kind"], "part_id": c["part_id"], "length": c["length"] * placement.get("scale", 1.0),
            "misplacement": misplaced, "end_extension": ext, "wobble": wob, "gap": gap, "retraced": retrace_u < k.retrace_prob,
            "retrace": ret | {"wobble": ret_wob},
        })

    # 8. drawing order: silhouettes and long strokes first, with noise -------------------------------
    order_noise = order_rng.standard_normal(len(groups))
    keys = [(0.0 if r["kind"] == "silhouette" else 1.0) - math.log(max(r["length"], 1e-6) / max(diag, 1e-6))
            + k.order_noise * float(z) for r, z in zip(stroke_records, order_noise)]
    order = sorted(range(len(groups)), key=lambda i: (keys[i], i))

    # 9. pen: width and darkness -----------------------------------------------------------------
    base_width = float(style_rng.uniform(*k.width_range))
    strokes, widths, intensities, out_records = [], [], [], []
    for i in order:
        for pts, role in groups[i]:
            w = float(np.clip(base_width * (1.0 + k.width_jitter * style_rng.uniform(-1.0, 1.0)),
                              *k.width_range)) * px
            a = float(style_rng.uniform(*k.intensity_range))
            strokes.append(pts)
            widths.append(w)
            intensities.append(a)
            out_records.append({"source_stroke": i, "role": role, "width": w, "intensity": a})
    meta["pen"] = {"base_width": base_width * px}
    meta["stroke_sources"] = stroke_records
    meta["drawn"] = out_records

    # 10. keep everything inside the frame and rasterise ------------------------------------------------
    if strokes:
        margin = max(widths) / 2 + 1.0
        strokes, meta["frame_fit"] = fit_into_frame(strokes, image_size, margin)
        ink = draw_polylines(strokes, image_size=image_size, width=widths, intensity=intensities)
    else:
        meta["frame_fit"] = {"scale": 1.0, "shift": [0.0, 0.0]}
        ink = np.zeros((image_size, image_size), dtype=np.float32)
    image = np.round(255.0 * (1.0 - np.clip(np.asarray(ink, dtype=np.float64), 0.0, 1.0))).astype(np.uint8)
    return Sketch(image=image, strokes=[np.asarray(s, dtype=np.float64) for s in strokes], widths=widths,
                  meta=to_jsonable(meta))


def sketch_stats(sketch: Sketch, ink_threshold: int = 128) -> dict[str, float]:
    """Summary numbers for the data chapter: ``ink_fraction`` (share of pixels darker than
    ``ink_threshold``), ``mean_darkness`` (mean of 1 - image/255), ``n_strokes``,
    ``mean_stroke_length`` and ``total_stroke_length`` (px), ``mean_width`` (px) and ``bbox_fill``
    (longer side of the inked bounding box / frame size)."""
    img = np.asarray(sketch.image)
    lengths = [polyline_length(s) for s in sketch.strokes]
    ink = img < ink_threshold
    if ink.any():
        ys, xs = np.nonzero(ink)
        fill = max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) / max(img.shape)
    else:
        fill = 0.0
    return {
        "ink_fraction": float(ink.mean()),
        "mean_darkness": float(np.mean(1.0 - img / 255.0)),
        "n_strokes": len(sketch.strokes),
        "mean_stroke_length": float(np.mean(lengths)) if lengths else 0.0,
        "total_stroke_length": float(np.sum(lengths)),
        "mean_width": float(np.mean(sketch.widths)) if sketch.widths else 0.0,
        "bbox_fill": float(fill),
    }
