"""The knobs of the sketch simulator and their defaults as a function of ``skill``.

``skill`` in ``[0, 1]``: 0 imitates a quick, abstract sketch drawn from memory by someone with no art
training (AmateurSketch protocol, thesis §4.2.1.3); 1 is close to the line rendering the retrieval
gallery is made of (§4.2.3, "Multi-view line rendering": silhouettes and creases, width 2.2 px).
Each knob is linearly interpolated between its value at skill 0 and at skill 1 and can be overridden
by keyword. Lengths are pixels at a 224 px frame and scale with ``image_size / 224``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SketchKnobs", "knobs_for_skill", "LINE_RENDERING_KNOBS", "SKILL_ENDPOINTS"]


@dataclass(frozen=True)
class SketchKnobs:
    """All parameters of :func:`sbsr.sketch.simulate_sketch` (see :data:`SKILL_ENDPOINTS`)."""

    # -- what is remembered: viewpoint and proportions
    azimuth_jitter: float  # degrees, azimuth offset ~ U(-a, a)
    elevation_jitter: float  # degrees, elevation offset ~ U(-e, e)
    proportion_distortion: float  # per-axis scale of the whole shape ~ 1 + U(-d, d)
    part_distortion: float  # per part: length and thickness scales ~ 1 + U(-d, d)
    # -- what is drawn: abstraction / omission
    min_stroke_fraction: float  # strokes shorter than this fraction of the bbox diagonal are dropped
    small_part_fraction: float  # parts whose visible lines are below this share of all lines ...
    part_omit_prob: float  # ... are dropped with this probability
    detail_omit_prob: float  # probability to drop each non-silhouette stroke (creases, borders)
    simplify_tolerance: float  # px, Douglas-Peucker tolerance (0 = off)
    merge_distance: float  # px; a stroke running within this of a longer one (80 % of it) is dropped
    # -- how it is drawn: stroke quality
    stroke_rotation: float  # degrees, each stroke is turned about its middle by U(-r, r)
    stroke_shift: float  # px, each stroke is moved by up to this (uniform in a disc)
    wobble_amplitude: float  # px, RMS of the smooth normal displacement
    wobble_wavelength: float  # px, correlation length of the wobble
    bow: float  # max bow height as a fraction of stroke length
    overshoot_prob: float  # per stroke end
    overshoot_length: float  # px, overshoot ~ U(0.3, 1) * this
    undershoot_prob: float  # per stroke end (exclusive with overshoot)
    undershoot_length: float  # px, undershoot ~ U(0.3, 1) * this
    gap_prob: float  # per stroke: split in two with a gap
    gap_length: float  # px, gap ~ U(0.5, 1) * this
    split_offset: float  # px, sideways shift of the second piece ~ U(-1, 1) * this
    retrace_prob: float  # per stroke: draw (part of) it again
    retrace_offset: float  # px, sideways shift of the retrace ~ U(-1, 1) * this
    width_range: tuple[float, float]  # px, stroke widths stay inside
    width_jitter: float  # per-stroke relative width variation around the sketch's pen width
    intensity_range: tuple[float, float]  # ink darkness per stroke (pencil pressure)
    order_noise: float  # randomness of the drawing order (0 = silhouettes, longest first)
    # -- where it is drawn
    frame_fill: tuple[float, float] | None  # longer bbox side / frame size ~ U(range); None = camera framing
    frame_offset: float  # shift of the centre ~ U(-1, 1) * this * free margin, per axis
    # -- fixed processing (not skill dependent)
    orthographic_prob: float = 0.0  # probability to draw without perspective (orthographic camera)
    corner_angle: float = 50.0  # degrees; polylines are split into strokes at sharper turns
    join_tolerance: float = 1.5  # px; fragments whose ends meet within this are chained
    resample_spacing: float = 1.5  # px between points of the output strokes
    kinds: tuple[str, ...] = ("silhouette", "crease", "border")
    crease_angle: float = 30.0  # degrees, passed to sbsr.render.visible_polylines

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


#: (value at skill 0, value at skill 1) for every skill-dependent knob.
SKILL_ENDPOINTS: dict[str, tuple[Any, Any]] = {
    "azimuth_jitter": (10.0, 0.0),
    "elevation_jitter": (5.0, 0.0),
    "proportion_distortion": (0.15, 0.0),
    "part_distortion": (0.15, 0.0),
    "min_stroke_fraction": (0.06, 0.0),
    "small_part_fraction": (0.08, 0.0),
    "part_omit_prob": (0.6, 0.0),
    "detail_omit_prob": (0.35, 0.0),
    "simplify_tolerance": (1.5, 0.0),
    "merge_distance": (4.0, 0.0),
    "stroke_rotation": (4.0, 0.0),
    "stroke_shift": (2.5, 0.0),
    "wobble_amplitude": (1.0, 0.0),
    "wobble_wavelength": (60.0, 100.0),
    "bow": (0.035, 0.0),
    "overshoot_prob": (0.45, 0.0),
    "overshoot_length": (9.0, 0.0),
    "undershoot_prob": (0.2, 0.0),
    "undershoot_length": (5.0, 0.0),
    "gap_prob": (0.25, 0.0),
    "gap_length": (6.0, 0.0),
    "split_offset": (1.5, 0.0),
    "retrace_prob": (0.3, 0.0),
    "retrace_offset": (2.0, 0.0),
    "width_range": ((1.5, 3.5), (2.0, 2.4)),
    "width_jitter": (0.25, 0.05),
    "intensity_range": ((0.55, 1.0), (0.9, 1.0)),
    "order_noise": (0.6, 0.1),
    "frame_fill": ((0.5, 0.95), (0.75, 0.85)),
    "frame_offset": (0.6, 0.0),
}

#: Overrides under which the simulator reproduces the plain line rendering (same camera, no
#: distortion, omission or perturbation, constant width 2.2 px, camera framing).
LINE_RENDERING_KNOBS: dict[str, Any] = {
    "azimuth_jitter": 0.0,
    "elevation_jitter": 0.0,
    "proportion_distortion": 0.0,
    "part_distortion": 0.0,
    "min_stroke_fraction": 0.0,
    "small_part_fraction": 0.0,
    "part_omit_prob": 0.0,
    "detail_omit_prob": 0.0,
    "simplify_tolerance": 0.0,
    "merge_distance": 0.0,
    "stroke_rotation": 0.0,
    "stroke_shift": 0.0,
    "wobble_amplitude": 0.0,
    "bow": 0.0,
    "overshoot_prob": 0.0,
    "undershoot_prob": 0.0,
    "gap_prob": 0.0,
    "retrace_prob": 0.0,
    "width_range": (2.2, 2.2),
    "width_jitter": 0.0,
    "intensity_range": (1.0, 1.0),
    "frame_fill": None,
    "frame_offset": 0.0,
    "orthographic_prob": 0.0,
}


def _lerp(a: Any, b: Any, t: float) -> Any:
    if isinstance(a, tuple):
        return tuple(_lerp(x, y, t) for x, y in zip(a, b))
    return float(a + (b - a) * t)


def knobs_for_skill(skill: float = 0.5, **overrides: Any) -> SketchKnobs:
    """Knob values for ``skill`` in ``[0, 1]``, with keyword ``overrides`` applied on top.

    Unknown names raise ``TypeError`` listing the valid ones; ranges must be ``(low, high)`` with
    ``low <= high``; probabilities must lie in ``[0, 1]``.
    """
    if not (isinstance(skill, (int, float)) and math.isfinite(skill) and 0.0 <= skill <= 1.0):
        raise ValueError(f"skill must be a number in [0, 1], got {skill!r}")
    names = {f.name for f in dataclasses.fields(SketchKnobs)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(f"unknown sketch knob(s) {unknown}; valid knobs: {sorted(names)}")
    values = {name: _lerp(a, b, float(skill)) for name, (a, b) in SKILL_ENDPOINTS.items()}
    for name, value in overrides.items():
        values[name] = tuple(value) if isinstance(value, list) else value
    knobs = SketchKnobs(**values)
    _validate(knobs)
    return knobs


def _validate(k: SketchKnobs) -> None:
    for name in ("part_omit_prob", "detail_omit_prob", "overshoot_prob", "undershoot_prob", "gap_prob",
                 "retrace_prob", "orthographic_prob"):
        p = getattr(k, name)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"knob {name} is a probability, got {p}")
    if k.overshoot_prob + k.undershoot_prob > 1.0:
        raise ValueError("overshoot_prob + undershoot_prob must not exceed 1")
    ranges = [("width_range", k.width_range), ("intensity_range", k.intensity_range)]
    if k.frame_fill is not None:
        ranges.append(("frame_fill", k.frame_fill))
    for name, r in ranges:
        if len(r) != 2 or not r[0] <= r[1]:
            raise ValueError(f"knob {name} must be (low, high) with low <= high, got {r}")
    if k.width_range[0] <= 0:
        raise ValueError(f"width_range must be positive, got {k.width_range}")
    if not (0.0 <= k.intensity_range[0] and k.intensity_range[1] <= 1.0):
        raise ValueError(f"intensity_range must lie in [0, 1], got {k.intensity_range}")
    if k.frame_fill is not None and not (0.0 < k.frame_fill[0] and k.frame_fill[1] <= 1.0):
        raise ValueError(f"frame_fill must lie in (0, 1], got {k.frame_fill}")
    for name in ("azimuth_jitter", "elevation_jitter", "proportion_distortion", "part_distortion",
                 "min_stroke_fraction", "small_part_fraction", "simplify_tolerance", "merge_distance", "wobble_amplitude",
                 "stroke_rotation", "stroke_shift",
                 "bow", "overshoot_length", "undershoot_length", "gap_length", "split_offset",
                 "retrace_offset", "width_jitter", "order_noise", "frame_offset"):
        if getattr(k, name) < 0:
            raise ValueError(f"knob {name} must be non-negative, got {getattr(k, name)}")
    if k.proportion_distortion >= 1 or k.part_distortion >= 1:
        raise ValueError("proportion_distortion and part_distortion must be below 1")
    if k.wobble_wavelength <= 0 or k.resample_spacing <= 0:
        raise ValueError("wobble_wavelength and resample_spacing must be positive")
