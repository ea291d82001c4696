"""Procedural vases, mugs and bottles: surfaces of revolution with handles, feet and caps.

Units are metres before normalisation; +Y is the axis of revolution. A mug's handle is on the
object's right (-X): seen from the front (camera on +Z) it appears on the viewer's left.
"""

from __future__ import annotations

import numpy as np

from .base import MeshBuilder, ParamSampler, rounded_polyline, smooth_profile, superellipse_section
from .spec import CategorySpec, Phrase, Vocabulary

# ----------------------------------------------------------------------------------------------
# Vase
# ----------------------------------------------------------------------------------------------

VASE_PART_NAMES = ("body", "neck", "foot", "handle")
VASE_STYLES = ("cylinder", "bulb", "amphora", "flared", "gourd", "ovoid")

_VASE_KNOTS = {  # (radius fraction, height fraction) knots of the outer profile; None marks the neck start
    "cylinder": [(0.85, 0.0), (0.9, 0.3), (0.95, 0.7), (1.0, 1.0)],
    "bulb": [(0.45, 0.0), (1.0, 0.35), (0.55, 0.68), (0.25, 0.82), (0.34, 1.0)],
    "amphora": [(0.35, 0.0), (0.75, 0.25), (1.0, 0.55), (0.45, 0.78), (0.3, 0.88), (0.42, 1.0)],
    "flared": [(0.5, 0.0), (0.38, 0.25), (0.34, 0.45), (0.55, 0.78), (1.0, 1.0)],
    "gourd": [(0.5, 0.0), (1.0, 0.24), (0.45, 0.52), (0.72, 0.7), (0.3, 0.9), (0.35, 1.0)],
    "ovoid": [(0.5, 0.0), (0.9, 0.3), (1.0, 0.6), (0.7, 0.9), (0.65, 1.0)],
}
_NECK_START = {"cylinder": None, "bulb": 0.72, "amphora": 0.8, "flared": None, "gourd": 0.85, "ovoid": 0.92}


def sample_vase_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    style = s.choice(VASE_STYLES)
    height = s.uniform(0.2, 0.6)
    knots = [[round(r * s.uniform(0.88, 1.12), 4), round(h if h in (0.0, 1.0) else h + s.uniform(-0.04, 0.04), 4)]
             for r, h in _VASE_KNOTS[style]]
    return {
        "style": style,
        "height": height,
        "radius": round(height * s.uniform(0.18, 0.45), 4),
        "knots": knots,
        "wall": s.uniform(0.004, 0.01),
        "handles": s.choice([0, 2], p=[0.6, 0.4] if style in ("amphora", "bulb", "gourd") else [0.85, 0.15]),
        "handle_size": s.uniform(0.5, 1.0),
        "foot": s.flip(0.35),
        "foot_height": s.uniform(0.02, 0.08),
        "lip": s.flip(0.4),
    }


def _vase_outer(p: dict) -> np.ndarray:
    H, R = p["height"], p["radius"]
    knots = np.array(p["knots"], float)
    knots = knots[np.argsort(knots[:, 1], kind="stable")]
    prof = smooth_profile(knots * [R, H], 28)
    prof[:, 0] = np.maximum(prof[:, 0], 0.012)
    prof[:, 1] = np.maximum.accumulate(prof[:, 1])
    keep = np.concatenate([[True], np.diff(prof[:, 1]) > 1e-5])
    return prof[keep]


def build_vase(p: dict) -> MeshBuilder:
    b = MeshBuilder(VASE_PART_NAMES)
    H, R, wall = p["height"], p["radius"], p["wall"]
    y0 = p["foot_height"] if p["foot"] else 0.0
    outer = _vase_outer(p) + [0.0, y0]
    if p["lip"]:
        r_top, y_top = outer[-1]
        outer = np.concatenate([outer, [[r_top + 0.012, y_top + 0.003], [r_top + 0.012, y_top + 0.012]]])
    inner = outer[::-1].copy()
    inner[:, 0] = np.maximum(inner[:, 0] - wall, 0.004)
    inner = inner[inner[:, 1] > y0 + 2 * wall]
    profile = np.concatenate([[[0.0, y0]], outer, inner, [[0.0, y0 + 2 * wall]]])
    neck = _NECK_START[p["style"]]
    if neck is None:
        b.revolve_y("body", profile, sections=28)
    else:
        knots = np.array(p["knots"])
        split = y0 + H * float(np.interp(neck, [0.0, 1.0], [knots[:, 1].min(), knots[:, 1].max()]))
        b.revolve_y("body", profile, sections=28, split_height=split, part_above="neck")
    if p["foot"]:
        rf = outer[0, 0] * 1.15
        b.revolve_y("foot", [[0.0, 0.0], [rf, 0.0], [rf * 0.95, 0.01], [outer[0, 0] * 0.8, y0 + 0.003],
                             [0.0, y0 + 0.003]], sections=28)
    if p["handles"]:
        # ear handles on the left and right sides, from the shoulder down to the belly
        r_of = lambda y: float(np.interp(y, outer[:, 1], outer[:, 0]))  # noqa: E731
        ya = y0 + 0.78 * H
        yb = y0 + (0.78 - 0.35 * p["handle_size"]) * H
        for sgn in (1.0, -1.0):
            xa, xb = sgn * (r_of(ya) - 0.004), sgn * (r_of(yb) - 0.004)
            bulge = sgn * (max(abs(xa), abs(xb)) + 0.25 * R * p["handle_size"] + 0.01)
            path = rounded_polyline([(xa, ya, 0.0), (bulge, ya + 0.02 * H, 0.0), (bulge, yb, 0.0), (xb, yb, 0.0)],
                                    0.04 * H, 4)
            b.tube("handle", path, max(0.005, 0.04 * R), sections=8)
    return b


# ----------------------------------------------------------------------------------------------
# Mug
# ----------------------------------------------------------------------------------------------

MUG_PART_NAMES = ("body", "handle", "saucer")
MUG_STYLES = ("straight", "tapered", "barrel", "conical", "bowl")
MUG_HANDLES = ("round", "square", "ear", "none")


def sample_mug_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    return {
        "style": s.choice(MUG_STYLES),
        "height": s.uniform(0.07, 0.13),
        "radius": s.uniform(0.032, 0.055),
        "wall": s.uniform(0.003, 0.008),
        "handle": s.choice(MUG_HANDLES, p=[0.45, 0.3, 0.15, 0.1]),
        "handle_height": s.uniform(0.45, 0.8),
        "handle_reach": s.uniform(0.02, 0.04),
        "handle_thickness": s.uniform(0.004, 0.009),
        "base_ring": s.flip(0.4),
        "saucer": s.flip(0.25),
    }


def build_mug(p: dict) -> MeshBuilder:
    b = MeshBuilder(MUG_PART_NAMES)
    H, R, wall, style = p["height"], p["radius"], p["wall"], p["style"]
    y0 = 0.008 if p["saucer"] else 0.0
    u = np.linspace(0, 1, 9)
    if style == "straight":
        r = np.full_like(u, R)
    elif style == "tapered":
        r = R * (0.8 + 0.2 * u)
    elif style == "conical":
        r = R * (1.0 - 0.25 * u)
    elif style == "barrel":
        r = R * (0.88 + 0.12 * np.sin(np.pi * u))
    else:  # bowl: a wide low cup
        r = R * (0.7 + 0.5 * np.sqrt(u))
    h = H * (0.75 if style == "bowl" else 1.0)
    outer = np.stack([r, y0 + u * h], 1)
    if p["base_ring"]:
        outer = np.concatenate([[[0.85 * r[0], y0], [0.9 * r[0], y0 + 0.006]], outer[1:]])
    inner = np.stack([r[::-1] - wall, y0 + u[::-1] * h], 1)
    inner = inner[inner[:, 1] > y0 + 1.5 * wall]
    profile = np.concatenate([[[0.0, y0]], outer, [[r[-1] - wall, y0 + h]], inner, [[0.0, y0 + 1.5 * wall]]])
    b.revolve_y("body", profile, sections=28)
    if p["saucer"]:
        rs = 1.9 * R
        b.revolve_y("saucer", [[0.0, 0.0], [rs, 0.0], [rs * 1.02, 0.012], [rs * 0.96, 0.012], [R * 1.1, 0.006],
                               [0.0, 0.006]], sections=28)
    style_h = p["handle"]
    if style_h != "none":
        x_at = lambda y: float(np.interp(y, outer[:, 1], outer[:, 0]))  # noqa: E731
        reach = p["handle_reach"]
        tk = p["handle_thickness"]
        if style_h == "ear":
            ya = y0 + p["handle_height"] * h
            yb = ya - 0.3 * h
        else:
            ya = y0 + min(0.9, p["handle_height"] + 0.1) * h
            yb = y0 + max(0.15, p["handle_height"] - 0.5) * h
        xa, xb = -(x_at(ya) - 0.002), -(x_at(yb) - 0.002)
        xo = min(xa, xb) - reach
        if style_h == "square":
            path = rounded_polyline([(xa, ya, 0.0), (xo, ya, 0.0), (xo, yb, 0.0), (xb, yb, 0.0)], 0.008, 3)
        else:
            t = np.linspace(0, np.pi, 13)
            ym, hy = 0.5 * (ya + yb), 0.5 * (ya - yb)
            xs = np.interp(t, [0, np.pi], [xa, xb]) - (reach + abs(xa - xb) / 2) * np.sin(t)
            path = np.stack([xs, ym + hy * np.cos(t), np.zeros_like(t)], 1)
        b.sweep("handle", path, superellipse_section(2 * tk, 3 * tk, 2.5, 10), normal=(0.0, 0.0, 1.0))
    return b


# ----------------------------------------------------------------------------------------------
# Bottle
# ----------------------------------------------------------------------------------------------

BOTTLE_PART_NAMES = ("body", "neck", "cap")
BOTTLE_STYLES = ("wine", "water", "flask", "jug", "vial")
BOTTLE_CAPS = ("screw", "cork", "none", "dropper")


def sample_bottle_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    style = s.choice(BOTTLE_STYLES)
    return {
        "style": style,
        "height": s.uniform(0.18, 0.35),
        "radius": s.uniform(0.028, 0.06),
        "shoulder": s.uniform(0.55, 0.78),
        "neck_length": s.uniform(0.12, 0.3),
        "neck_radius": s.uniform(0.25, 0.45),
        "shoulder_shape": s.choice(["round", "conical", "square"]),
        "cap": s.choice(BOTTLE_CAPS, p=[0.45, 0.2, 0.2, 0.15]),
        "cap_height": s.uniform(0.015, 0.04),
        "flask_depth": s.uniform(0.4, 0.7),
        "waist": s.flip(0.25),
        "jug_handle": s.flip(0.7) if style == "jug" else False,
    }


def build_bottle(p: dict) -> MeshBuilder:
    b = MeshBuilder(BOTTLE_PART_NAMES)
    H, R, style = p["height"], p["radius"], p["style"]
    if style == "vial":
        R = 0.5 * R
    rn = max(0.008, p["neck_radius"] * R)
    y_sh = p["shoulder"] * H
    # the part above the shoulder line is shared by the shoulder transition and the neck
    neck_fraction = min(0.85, p["neck_length"] * 2.5 * (1.3 if style == "wine" else 1.0))
    y_neck = y_sh + (1.0 - neck_fraction) * (H - y_sh)
    if style == "flask":
        # flattened rectangular body (superellipse prism) with a round neck
        d = p["flask_depth"]
        b.prism_y("body", superellipse_section(2 * R, 2 * R * d, 4.0, 28), 0.0, y_sh)
        b.revolve_y("body", [[0.0, y_sh - 0.01], [R * 0.95, y_sh - 0.01], [rn, y_neck], [0.0, y_neck]], sections=20)
        b.revolve_y("neck", [[0.0, y_neck - 0.005], [rn, y_neck - 0.005], [rn, H], [0.0, H]], sections=16)
    else:
        ys = np.linspace(0.0, y_sh, 6)
        rs = np.full_like(ys, R)
        if p["waist"]:
            rs = R * (1 - 0.12 * np.sin(np.pi * ys / y_sh))
        body = [[0.0, 0.0]] + [[r, y] for r, y in zip(rs, ys)]
        if p["shoulder_shape"] == "round":
            a = np.linspace(0, np.pi / 2, 7)[1:]
            shoulder = [[rn + (R - rn) * np.cos(t), y_sh + (y_neck - y_sh) * np.sin(t)] for t in a]
        elif p["shoulder_shape"] == "conical":
            shoulder = [[rn, y_neck]]
        else:
            shoulder = [[R * 0.98, y_sh + 0.3 * (y_neck - y_sh)], [rn, y_neck]]
        lip = [[rn, H - 0.006], [rn * 1.15, H - 0.004], [rn * 1.15, H], [0.0, H]]
        profile = np.array(body + shoulder + lip)
        b.revolve_y("body", profile, sections=24, split_height=y_neck - 0.002, part_above="neck")
        if p["jug_handle"]:
            path = rounded_polyline([(-0.6 * rn, y_neck - 0.005, 0.0), (-R - 0.03, y_neck - 0.01, 0.0),
                                     (-R - 0.03, 0.55 * y_sh, 0.0), (-R + 0.004, 0.5 * y_sh, 0.0)], 0.02, 4)
            b.tube("body", path, 0.007, sections=8)
    cap = p["cap"]
    ch = p["cap_height"]
    if cap == "screw":
        b.revolve_y("cap", [[0.0, H - ch], [rn * 1.3, H - ch], [rn * 1.3, H + 0.004], [0.0, H + 0.004]], sections=20)
    elif cap == "cork":
        b.revolve_y("cap", [[0.0, H - ch], [rn * 0.95, H - ch], [rn * 1.05, H + ch * 0.6], [0.0, H + ch * 0.6]],
                    sections=16)
    elif cap == "dropper":
        b.revolve_y("cap", [[0.0, H - 0.01], [rn * 1.3, H - 0.01], [rn * 1.3, H + 0.01], [rn * 0.9, H + 0.012],
                            [rn * 0.9, H + 0.03], [rn * 0.5, H + 2.5 * ch], [0.0, H + 2.5 * ch]], sections=16)
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entries
# ----------------------------------------------------------------------------------------------


def describe_vase(p: dict) -> Vocabulary:
    style = {"cylinder": ["cylindrical", "straight-sided"], "bulb": ["bulbous", "round-bellied"],
             "amphora": ["amphora-shaped", "amphora-like"], "flared": ["trumpet-shaped", "flared"],
             "gourd": ["gourd-shaped", "double-bulb"], "ovoid": ["egg-shaped", "ovoid"]}[p["style"]]
    nouns = [f"{w} vase" for w in style]
    attrs: list[Phrase] = []
    attrs.append(["two handles", "a pair of handles", "two side handles"] if p["handles"] else ["no handles"])
    if p["style"] in ("bulb", "amphora", "gourd"):
        attrs.append(["a narrow neck", "a slender neck"])
    if p["foot"]:
        attrs.append(["a foot ring", "a short foot"])
    if p["lip"]:
        attrs.append(["a rolled lip", "a lip at the rim"])
    ratio = p["height"] / (2 * p["radius"])
    if ratio > 1.8:
        attrs.append(["a tall slender body", "a tall body"])
    elif ratio < 1.25:
        attrs.append(["a squat body", "a wide body"])
    return nouns, attrs


VASE = CategorySpec("vase", VASE_PART_NAMES, sample_vase_params, build_vase, describe_vase, "style", VASE_STYLES)


def describe_mug(p: dict) -> Vocabulary:
    nouns = ["cup", "teacup"] if p["style"] == "bowl" else ["mug", "coffee mug", "cup"]
    attrs: list[Phrase] = [{"round": ["a round handle", "a C-shaped handle", "a looped handle"],
                            "square": ["a square handle", "an angular handle"],
                            "ear": ["a small ear-shaped handle", "a small handle"],
                            "none": ["no handle", "no handles"]}[p["handle"]]]
    attrs.append({"straight": ["straight sides", "straight walls"],
                  "tapered": ["sides widening towards the rim", "a flared body"],
                  "conical": ["sides narrowing towards the rim", "a tapered body"],
                  "barrel": ["a barrel-shaped body", "a bulging body"],
                  "bowl": ["a wide bowl shape", "a wide open body"]}[p["style"]])
    if p["saucer"]:
        attrs.append(["a saucer", "a saucer underneath"])
    if p["base_ring"]:
        attrs.append(["a foot ring", "a narrow base ring"])
    return nouns, attrs


MUG = CategorySpec("mug", MUG_PART_NAMES, sample_mug_params, build_mug, describe_mug, "style", MUG_STYLES)


def describe_bottle(p: dict) -> Vocabulary:
    style = p["style"]
    nouns = {"wine": ["wine bottle", "bottle"], "water": ["water bottle", "bottle"], "flask": ["flask", "flat flask"],
             "jug": ["jug", "bottle"], "vial": ["vial", "small slender bottle"]}[style]
    if style == "jug" and p["jug_handle"]:
        nouns = ["jug", "bottle with a handle"]
    attrs: list[Phrase] = []
    if style != "flask":
        attrs.append({"round": ["rounded shoulders", "round shoulders"],
                      "conical": ["sloping shoulders", "conical shoulders"],
                      "square": ["square shoulders", "flat shoulders"]}[p["shoulder_shape"]])
    else:
        attrs.append(["a flat rectangular body", "a flattened body"])
    attrs.append({"screw": ["a screw cap", "a cap"], "cork": ["a cork", "a cork stopper"],
                  "none": ["no cap", "an open neck"], "dropper": ["a dropper cap", "a dropper top"]}[p["cap"]])
    nf = min(0.85, p["neck_length"] * 2.5 * (1.3 if style == "wine" else 1.0))
    if nf > 0.6:
        attrs.append(["a long neck", "a long narrow neck"])
    elif nf < 0.4:
        attrs.append(["a short neck", "a stubby neck"])
    if p["waist"] and style != "flask":
        attrs.append(["a narrow waist", "a pinched waist"])
    if style == "jug" and p["jug_handle"]:
        attrs.append(["a handle", "a side handle"])
    return nouns, attrs


BOTTLE = CategorySpec("bottle", BOTTLE_PART_NAMES, sample_bottle_params, build_bottle, describe_bottle,
                      "style", BOTTLE_STYLES)
