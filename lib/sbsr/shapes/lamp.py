"""Procedural lamps: 4 base styles (disc, square, tripod, ceiling canopy) x 4 stems (straight, arched,
segmented desk arm, gooseneck) x 4 shades (cone, cylinder, dome, bell) x 1-4 arms, with continuous
heights and sizes (17 parameter families).

Units are metres before normalisation. A single-arm lamp reaches towards +Z (its front); the arms of
a multi-arm lamp are spread evenly around the stem starting from +Z.
"""

from __future__ import annotations

import numpy as np

from .base import (
    MeshBuilder,
    ParamSampler,
    affine,
    rot_y,
    rounded_polyline,
    rounded_rect_section,
    smooth_profile,
)
from .spec import CategorySpec, Phrase, Vocabulary, count_word

PART_NAMES = ("base", "stem", "arm", "joint", "shade", "bulb")
BASE_STYLES = ("disc", "square", "tripod", "ceiling")
STEM_STYLES = ("straight", "arched", "segmented", "gooseneck")
SHADE_STYLES = ("cone", "cylinder", "dome", "bell")


def sample_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    base = s.choice(BASE_STYLES, p=[0.32, 0.23, 0.2, 0.25])
    if base == "ceiling":
        stem = "straight"
        kind = "pendant"
        n_arms = s.choice([1, 3, 4, 5], p=[0.4, 0.25, 0.2, 0.15])
    else:
        stem = s.choice(STEM_STYLES, p=[0.4, 0.2, 0.2, 0.2] if base != "tripod" else [0.7, 0.3, 0.0, 0.0])
        kind = s.choice(["table", "floor"], p=[0.55, 0.45])
        if stem == "arched":
            kind = "floor"
        if stem == "straight":
            n_arms = s.choice([1, 2, 3], p=[0.55, 0.2, 0.25])
        elif stem == "arched":
            n_arms = s.choice([1, 2, 3], p=[0.6, 0.2, 0.2])
        else:
            n_arms = 1
    if stem in ("segmented", "gooseneck") and kind == "floor":
        kind = s.choice(["table", "floor"], p=[0.7, 0.3])
    height = s.uniform(1.3, 1.85) if kind == "floor" else s.uniform(0.4, 0.75)
    if kind == "pendant":
        height = s.uniform(0.5, 1.2)
    shade = s.choice(SHADE_STYLES)
    shade_scale = 1.0 if kind != "floor" or n_arms > 1 else 1.3
    if stem == "arched":
        shade_scale *= 1.25
    multi = n_arms > 1
    p = {
        "kind": kind,
        "base_style": base,
        "stem_style": stem,
        "shade_style": shade,
        "n_arms": n_arms,
        "height": height,
        "base_radius": s.uniform(0.08, 0.17) * (1.4 if kind == "floor" else 1.0),
        "base_height": s.uniform(0.012, 0.06),
        "base_dome": s.flip(0.4),
        "stem_radius": s.uniform(0.007, 0.018) * (1.3 if kind == "floor" else 1.0),
        "shade_radius": s.uniform(0.08, 0.2) * shade_scale * (0.6 if multi else 1.0),
        "shade_height": s.uniform(0.08, 0.25) * shade_scale * (0.6 if multi else 1.0),
        "shade_top_ratio": s.uniform(0.35, 0.8) if shade in ("cone", "bell") else 1.0,
        "shade_facing": "down" if stem != "straight" or kind == "pendant" else s.choice(["down", "up"], p=[0.8, 0.2]),
        "arm_span": s.uniform(0.15, 0.4) * (1.5 if kind == "floor" else 1.0),
        "arm_rise": s.uniform(-0.05, 0.15),
        "arch_reach": s.uniform(0.3, 0.55),
        "segment_angles": [s.uniform(-35.0, 10.0), s.uniform(40.0, 100.0), s.uniform(20.0, 70.0)],
        "gooseneck_waves": s.integer(1, 3),
        "gooseneck_amplitude": s.uniform(0.02, 0.06),
        "tripod_spread": s.uniform(0.18, 0.35) * (1.6 if kind == "floor" else 1.0),
        "bulb": s.flip(0.5),
        "finial": s.flip(0.3),
    }
    if multi and stem == "straight":
        p["shade_facing"] = s.choice(["down", "up"], p=[0.5, 0.5])
    return p


def _shade_profile(p: dict, radius: float, height: float) -> np.ndarray:
    """Closed (radius, height) profile of a shade shell, opening at height 0, apex up."""
    style = p["shade_style"]
    thick = max(0.004, 0.03 * radius)
    top = p["shade_top_ratio"] * radius
    if style == "cylinder":
        outer = np.array([[radius, 0.0], [radius, height]])
        inner_top = radius - thick
    elif style == "cone":
        outer = np.array([[radius, 0.0], [top, height]])
        inner_top = top - thick
    elif style == "dome":
        a = np.radians(np.linspace(0, 90, 10))
        outer = np.stack([radius * np.cos(a), height * np.sin(a)], 1)[:-1]
        outer = np.concatenate([outer, [[0.12 * radius, height]]])
        inner_top = 0.12 * radius - thick
    else:  # bell: concave flare towards the rim
        u = np.linspace(0, 1, 9)
        r = top + (radius - top) * (1 - u) ** 2.2
        outer = np.stack([r, u * height], 1)
        inner_top = top - thick
    inner_top = max(inner_top, 0.4 * thick)
    # inner surface: offset the outer one inwards, close at the top as a ring around the socket
    inner = outer.copy()
    inner[:, 0] = np.maximum(inner[:, 0] - thick, 0.4 * thick)
    inner[-1] = [inner_top, height - thick]
    inner[:, 1] = np.minimum(inner[:, 1], height - thick)
    prof = np.concatenate([outer, [[inner_top, height]], inner[::-1]])
    prof = np.concatenate([prof, prof[:1]])
    # remove consecutive duplicates
    keep = np.concatenate([[True], np.linalg.norm(np.diff(prof, axis=0), axis=1) > 1e-9])
    return prof[keep]


def _shade(b: MeshBuilder, p: dict, mount: np.ndarray, direction: np.ndarray, radius: float, height: float) -> None:
    """A shade whose apex is at ``mount`` and whose opening faces ``direction`` (unit vector)."""
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    # rotation taking -Y (the opening direction of the canonical shade) to d
    down = np.array([0.0, -1.0, 0.0])
    v = np.cross(down, d)
    c = float(down @ d)
    if np.linalg.norm(v) < 1e-9:
        rot = np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    else:
        vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
        rot = np.eye(3) + vx + vx @ vx / (1 + c)
    with b.transform(affine(rot, translation=mount)):
        sections = 24 if p["n_arms"] == 1 else 16
        b.revolve_y("shade", _shade_profile(p, radius, height) - [0.0, height], sections=sections)
        if p["bulb"]:
            b.sphere("bulb", (0.0, -0.35 * height - 0.02, 0.0), min(0.045, 0.35 * radius), count=8)
        b.rod("joint", (0.0, 0.005, 0.0), (0.0, -0.35 * height, 0.0), min(0.018, 0.3 * radius), sections=10)
        if p["finial"] and p["shade_facing"] == "down":
            b.sphere("joint", (0.0, 0.02, 0.0), 0.015, count=6)


def _base(b: MeshBuilder, p: dict, stem_r: float) -> float:
    """Builds the base; returns the height where the stem starts."""
    style, r, h = p["base_style"], p["base_radius"], p["base_height"]
    if style == "disc":
        if p["base_dome"]:
            prof = smooth_profile([[r, 0.0], [0.9 * r, 0.6 * h], [0.5 * r, h], [stem_r * 1.5, 1.2 * h]], 16)
            prof = np.concatenate([[[0.0, 0.0]], prof, [[0.0, 1.2 * h]]])
            b.revolve_y("base", prof, sections=24)
            return 1.2 * h
        b.revolve_y("base", [[0.0, 0.0], [r, 0.0], [r, h], [0.0, h]], sections=24)
        return h
    if style == "square":
        side = 1.7 * r
        b.prism_y("base", rounded_rect_section(side, side, 0.15 * side * p["base_dome"], n_corner=3), 0.0, h)
        return h
    if style == "tripod":
        hub = 0.3 * p["height"] if p["kind"] == "floor" else 0.25 * p["height"]
        spread = p["tripod_spread"]
        for k in range(3):
            a = np.radians(90.0 + 120.0 * k)
            foot = np.array([spread * np.sin(a), 0.0, spread * np.cos(a)])
            b.rod("base", (0.0, hub + 0.02, 0.0), foot, 1.1 * stem_r, 0.8 * stem_r, sections=8)
        b.sphere("joint", (0.0, hub, 0.0), 2.2 * stem_r, count=8)
        return hub
    raise ValueError(f"not a standing base: {style}")


def _arm_tips(p: dict, top: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Arms branching from ``top``: returns (path, shade mount, opening direction) per arm."""
    n = p["n_arms"]
    span, rise = p["arm_span"], p["arm_rise"]
    facing = np.array([0.0, -1.0, 0.0]) if p["shade_facing"] == "down" else np.array([0.0, 1.0, 0.0])
    out = []
    for k in range(n):
        a = np.radians(360.0 * k / n)
        radial = np.array([np.sin(a), 0.0, np.cos(a)])
        if p["shade_facing"] == "down":
            end = top + radial * span + [0.0, rise + 0.05, 0.0]
            path = rounded_polyline([top, top + radial * span * 0.6 + [0, rise + 0.08, 0], end + [0, 0.03, 0],
                                     end], 0.05, 4)
            mount = end
        else:
            end = top + radial * span + [0.0, rise, 0.0]
            path = rounded_polyline([top, top + radial * span, end], 0.05, 4)
            mount = end
        out.append((path, mount, facing))
    return out


def build(p: dict) -> MeshBuilder:
    b = MeshBuilder(PART_NAMES)
    H = p["height"]
    stem_r = p["stem_radius"]
    R, SH = p["shade_radius"], p["shade_height"]
    style = p["stem_style"]

    if p["base_style"] == "ceiling":
        # pendant / chandelier: canopy at the top, cord or rod down to a hub
        b.revolve_y("base", [[0.0, H - 0.03], [0.07, H - 0.03], [0.05, H], [0.0, H]], sections=20)
        if p["n_arms"] == 1:
            hub = np.array([0.0, 0.0 + SH + 0.02, 0.0])
            b.rod("stem", (0.0, H - 0.02, 0.0), hub, 0.35 * stem_r, sections=6)
            _shade(b, p, hub, (0.0, -1.0, 0.0), R * 1.3, SH * 1.2)
        else:
            hub = np.array([0.0, 0.35 * H, 0.0])
            b.rod("stem", (0.0, H - 0.02, 0.0), hub, stem_r, sections=8)
            b.sphere("joint", hub, 2.5 * stem_r, count=8)
            span = p["arm_span"]
            for k in range(p["n_arms"]):
                a = np.radians(360.0 * k / p["n_arms"])
                radial = np.array([np.sin(a), 0.0, np.cos(a)])
                tip = hub + radial * span + [0.0, 0.06 + max(p["arm_rise"], 0.0), 0.0]
                path = rounded_polyline([hub, hub + radial * span * 0.7 + [0, -0.08, 0], tip], 0.06, 4)
                b.tube("arm", path, 0.7 * stem_r, sections=8)
                if p["shade_facing"] == "up":  # candle-style cups
                    _shade(b, p, tip + [0.0, 0.01, 0.0], (0.0, 1.0, 0.0), R * 0.8, SH * 0.8)
                else:
                    _shade(b, p, tip + [0.0, 0.02, 0.0], (0.0, -1.0, 0.0), R * 0.8, SH * 0.8)
        return b

    y0 = _base(b, p, stem_r)
    if style == "straight":
        top_y = H - (SH if p["shade_facing"] == "down" and p["n_arms"] == 1 else 0.15 * SH)
        if p["n_arms"] > 1:
            top_y = H - SH - 0.05
        b.rod("stem", (0.0, y0 - 0.005, 0.0), (0.0, top_y, 0.0), stem_r, sections=10)
        top = np.array([0.0, top_y, 0.0])
        if p["n_arms"] == 1:
            if p["shade_facing"] == "down":
                _shade(b, p, np.array([0.0, H, 0.0]), (0.0, -1.0, 0.0), R, SH)
                b.rod("stem", (0.0, top_y - 0.01, 0.0), (0.0, H, 0.0), 0.6 * stem_r, sections=6)
            else:
                _shade(b, p, top, (0.0, 1.0, 0.0), R, SH)
        else:
            b.sphere("joint", top, 2.0 * stem_r, count=8)
            for path, mount, facing in _arm_tips(p, top):
                b.tube("arm", path, 0.7 * stem_r, sections=8)
                _shade(b, p, mount, facing, R, SH)
        return b

    if style == "arched":
        reach = p["arch_reach"] * H
        rise_y = H * 0.7
        b.rod("stem", (0.0, y0 - 0.005, 0.0), (0.0, rise_y * 0.55, 0.0), 1.3 * stem_r, sections=10)
        for k in range(p["n_arms"]):
            ang = 360.0 * k / p["n_arms"]
            with b.transform(affine(rot_y(ang))):
                c = np.array([reach, rise_y * 0.5, 0.0])
                a = np.radians(np.linspace(180.0, 20.0, 14))
                arc = np.stack([c[0] + reach * np.cos(a), c[1] + (H - c[1]) * np.sin(a), np.zeros_like(a)], 1)
                # the arcs reach towards +Z for the first arm: rotate x -> z
                arc = arc[:, [2, 1, 0]]
                path = np.concatenate([[[0.0, rise_y * 0.5 - 0.1, 0.0]], arc])
                b.tube("arm", path, stem_r, sections=8)
                tip = arc[-1]
                _shade(b, p, tip + [0.0, -0.01, 0.0], (0.0, -1.0, 0.25), R, SH)
        return b

    if style == "segmented":
        # desk lamp: two or three articulated segments with round joints
        length = 0.42 * H if p["kind"] == "table" else 0.3 * H
        angles = p["segment_angles"]  # degrees from vertical, towards +Z
        pts = [np.array([0.0, y0, 0.0])]
        b.rod("joint", (-0.02, y0 + 0.02, 0.0), (0.02, y0 + 0.02, 0.0), 0.02, sections=10)
        pts[0] = pts[0] + [0.0, 0.02, 0.0]
        for ang in angles[:2]:
            a = np.radians(ang)
            pts.append(pts[-1] + length * np.array([0.0, np.cos(a), np.sin(a)]))
        for q0, q1 in zip(pts[:-1], pts[1:]):
            b.rod("arm", q0 + [0.015, 0, 0], q1 + [0.015, 0, 0], 0.8 * stem_r, sections=6)
            b.rod("arm", q0 - [0.015, 0, 0], q1 - [0.015, 0, 0], 0.8 * stem_r, sections=6)
        for q in pts[1:]:
            b.rod("joint", q - [0.025, 0, 0], q + [0.025, 0, 0], 0.018, sections=10)
        direction = np.array([0.0, -np.cos(np.radians(angles[2])), np.sin(np.radians(angles[2]))])
        _shade(b, p, pts[-1], direction, 0.6 * R, 0.75 * SH)
        return b

    # gooseneck: a rigid lower stem, then a wavy flexible neck bending forward (+Z)
    low = y0 + 0.35 * (H - y0)
    b.rod("stem", (0.0, y0 - 0.005, 0.0), (0.0, low, 0.0), stem_r * 1.2, sections=10)
    t = np.linspace(0, 1, 24)
    reach = 0.35 * H
    y = low + (H - low) * np.sin(0.5 * np.pi * t)
    z = reach * (1 - np.cos(0.5 * np.pi * t))
    x = p["gooseneck_amplitude"] * np.sin(np.pi * p["gooseneck_waves"] * t)
    path = np.stack([x, y, z], 1)
    b.tube("arm", path, 0.8 * stem_r, sections=8)
    tip = path[-1]
    _shade(b, p, tip, (0.0, -1.0, 0.6), 0.7 * R, 0.8 * SH)
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entry
# ----------------------------------------------------------------------------------------------


_SHADE_WORDS = {"cone": ["conical", "cone-shaped", "tapered"], "cylinder": ["cylindrical", "drum"],
                "dome": ["dome", "domed"], "bell": ["bell-shaped", "bell"]}


def describe(p: dict) -> Vocabulary:
    kind, stem, n = p["kind"], p["stem_style"], p["n_arms"]
    if kind == "pendant":
        nouns = ["pendant lamp", "hanging lamp", "ceiling pendant light"] if n == 1 else \
            ["chandelier", f"{count_word(n)}-arm chandelier", "hanging light with arms"]
    elif stem == "arched":
        nouns = ["arc floor lamp", "arched floor lamp", "floor lamp"]
    elif stem == "segmented":
        nouns = ["desk lamp", "architect lamp", "articulated desk lamp"]
    elif stem == "gooseneck":
        nouns = ["gooseneck lamp", "gooseneck desk lamp", "lamp"]
    elif kind == "floor":
        nouns = ["floor lamp", "standing lamp"]
    else:
        nouns = ["table lamp", "lamp"]
    attrs: list[Phrase] = []
    base = p["base_style"]
    if base == "disc":
        attrs.append(["a domed round base", "a round domed base"] if p["base_dome"]
                     else ["a round base", "a disc base"])
    elif base == "square":
        attrs.append(["a square base", "a square foot"])
    elif base == "tripod":
        attrs.append(["a tripod base", "three splayed legs", "a three-legged stand"])
    else:
        attrs.append(["a ceiling canopy", "a ceiling mount"])
    if kind == "pendant":
        attrs.append(["a long cord", "a hanging cord"] if n == 1 else ["a central drop rod", "a rod from the ceiling"])
    elif stem == "straight":
        attrs.append(["a straight stem", "a straight pole", "a vertical stem"])
    elif stem == "arched":
        attrs.append(["a long arched arm", "a curved arm arching over", "an arching arm"] if n == 1 else
                      [f"{count_word(n)} long arched arms", f"{count_word(n)} arms arching outwards"])
    elif stem == "segmented":
        attrs.append(["a jointed two-segment arm", "an articulated arm", "an adjustable jointed arm"])
    else:
        attrs.append(["a flexible gooseneck", "a wavy flexible neck", "a bendable neck"])
    shade = _SHADE_WORDS[p["shade_style"]]
    if n == 1:
        phr = [f"a {w} shade" for w in shade]
    else:
        phr = [f"{count_word(n)} {w} shades" for w in shade]
        if stem != "arched":
            attrs.append([f"{count_word(n)} curved arms", f"{count_word(n)} branching arms"])
    if p["shade_facing"] == "up":
        phr = [f"{x} facing up" for x in phr] + [f"{x.replace(' shade', ' upturned shade')}" for x in phr[:1]]
    attrs.append(phr)
    if p["bulb"]:
        attrs.append(["a visible bulb", "an exposed bulb"] if n == 1 else ["visible bulbs", "exposed bulbs"])
    return nouns, attrs


SPEC = CategorySpec("lamp", PART_NAMES, sample_params, build, describe, "kind", ("table", "floor", "pendant"))
