"""Procedural cars: body, cabin, windows, wheels, lights, bumpers, spoiler, roof rack, mirrors and
the cargo bed of a pickup, in six sub-types (sedan, coupe, hatchback, SUV, pickup, sports car).

A stand-in for ShapeNetCore v2 cars (synset 02958343; Ji & Wang, seed 004, train on them). Units
are metres before normalisation; the car's front faces +Z, +Y is up, its left side is +X. The
body and the cabin are side outlines (z, y) extruded across the width, so every part is a closed
convex primitive.
"""

from __future__ import annotations

import numpy as np

from .base import MeshBuilder, ParamSampler
from .spec import CategorySpec, Phrase, Vocabulary

PART_NAMES = ("body", "cabin", "window", "wheel", "light", "bumper", "spoiler", "roof_rack", "mirror", "cargo_bed")
BODY_TYPES = ("sedan", "coupe", "hatchback", "suv", "pickup", "sports")
LIGHT_SHAPES = ("rect", "round")

_SIZES = {  # body type: (length, ground clearance, body height, cabin height, wheel radius) ranges
    "sedan": ((4.4, 5.0), (0.13, 0.18), (0.55, 0.68), (0.45, 0.55), (0.30, 0.36)),
    "coupe": ((4.2, 4.7), (0.12, 0.16), (0.52, 0.62), (0.38, 0.48), (0.31, 0.36)),
    "hatchback": ((3.7, 4.3), (0.13, 0.18), (0.55, 0.68), (0.50, 0.60), (0.28, 0.33)),
    "suv": ((4.4, 5.0), (0.20, 0.28), (0.70, 0.85), (0.58, 0.72), (0.36, 0.43)),
    "pickup": ((5.0, 5.7), (0.22, 0.30), (0.72, 0.88), (0.55, 0.68), (0.37, 0.44)),
    "sports": ((4.1, 4.6), (0.09, 0.12), (0.42, 0.50), (0.32, 0.40), (0.31, 0.35)),
}
_SPOILER_P = {"sedan": 0.15, "coupe": 0.35, "hatchback": 0.25, "suv": 0.0, "pickup": 0.0, "sports": 0.7}
_RACK_P = {"sedan": 0.05, "coupe": 0.0, "hatchback": 0.2, "suv": 0.55, "pickup": 0.0, "sports": 0.0}


def sample_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    kind = s.choice(BODY_TYPES)
    length, clearance, body_h, cabin_h, wheel_r = _SIZES[kind]
    return {
        "body_type": kind,
        "length": s.uniform(*length),
        "width": s.uniform(1.70, 1.95),
        "ground_clearance": s.uniform(*clearance),
        "body_height": s.uniform(*body_h),
        "cabin_height": s.uniform(*cabin_h),
        "wheel_radius": s.uniform(*wheel_r),
        "wheel_width": s.uniform(0.18, 0.28),
        "wheelbase": s.uniform(0.56, 0.64),      # axle distance, fraction of the length
        "hood_slope": s.uniform(0.05, 0.25),     # drop of the bonnet towards the nose, fraction of body height
        "windshield_rake": s.uniform(0.35, 0.6),  # horizontal run of the windshield / cabin height
        "cabin_inset": s.uniform(0.06, 0.12),    # cabin narrower than the body by this much on each side
        "lights": s.choice(LIGHT_SHAPES, p=[0.65, 0.35]),
        "spoiler": s.flip(_SPOILER_P[kind]),
        "roof_rack": s.flip(_RACK_P[kind]),
        "mirrors": s.flip(0.8),
    }


def _cabin_outline(p: dict) -> tuple[np.ndarray, float, float]:
    """(z, y) outline of the cabin (counter-clockwise seen from +X), its rear and front base z."""
    L, kind = p["length"], p["body_type"]
    y0 = p["ground_clearance"] + p["body_height"]
    h = p["cabin_height"]
    y1 = y0 + h
    rake = p["windshield_rake"] * h
    # base of the cabin (rear z, front z) as fractions of the length from the nose (z = +L/2)
    rear_frac, front_frac, back_rake = {
        "sedan": (0.78, 0.30, 0.55), "coupe": (0.74, 0.32, 0.9), "hatchback": (0.97, 0.30, 0.15),
        "suv": (0.96, 0.28, 0.1), "pickup": (0.62, 0.28, 0.1), "sports": (0.70, 0.36, 1.1),
    }[kind]
    zr, zf = L / 2 - rear_frac * L, L / 2 - front_frac * L
    roof_r, roof_f = zr + back_rake * h, zf - rake
    if roof_f - roof_r < 0.25 * (zf - zr):  # keep a roof on short cabins
        mid = 0.5 * (roof_f + roof_r)
        roof_r, roof_f = mid - 0.125 * (zf - zr), mid + 0.125 * (zf - zr)
    outline = np.array([[zr, y0], [zf, y0], [roof_f, y1], [roof_r, y1]])
    return outline, zr, zf


def build(p: dict) -> MeshBuilder:
    b = MeshBuilder(PART_NAMES)
    L, W, kind = p["length"], p["width"], p["body_type"]
    gc, bh, r = p["ground_clearance"], p["body_height"], p["wheel_radius"]
    y_top = gc + bh
    zf, zr = L / 2, -L / 2
    # body: a side outline extruded across the width; the bonnet drops towards the nose
    drop = p["hood_slope"] * bh
    nose = 0.06 * L
    body = np.array([[zr, gc], [zf - 0.35 * nose, gc], [zf, gc + 0.45 * bh], [zf - nose, y_top - drop],
                     [zr + 0.02 * L, y_top], [zr, y_top - 0.1 * bh]])
    b.slab_x("body", body, -W / 2, W / 2)
    # cabin and its side windows (thin panels just outside the cabin's sides)
    cab, cz_r, cz_f = _cabin_outline(p)
    wc = W / 2 - p["cabin_inset"]
    b.slab_x("cabin", cab, -wc, wc)
    centre = cab.mean(axis=0)
    win = centre + 0.78 * (cab - centre)
    win[:2, 1] = cab[0, 1] + 0.12 * p["cabin_height"]
    for sgn in (1.0, -1.0):
        x0 = sgn * wc
        b.slab_x("window", win, min(x0, x0 + sgn * 0.012), max(x0, x0 + sgn * 0.012))
    # wheels: cylinders along X, slightly proud of the body
    half_base = 0.5 * p["wheelbase"] * L
    ww = p["wheel_width"]
    for z in (half_base, -half_base):
        for sgn in (1.0, -1.0):
            xo = sgn * (W / 2 + 0.02)
            b.rod("wheel", (xo - sgn * ww, r, z), (xo, r, z), r, sections=18)
    # lights: two headlights on the nose, two tail lights on the back
    y_head = gc + 0.45 * bh + 0.5 * (y_top - drop - gc - 0.45 * bh)
    for sgn in (1.0, -1.0):
        x = sgn * (W / 2 - 0.28)
        if p["lights"] == "round":
            b.rod("light", (x, y_head, zf - 0.6 * nose), (x, y_head, zf - 0.6 * nose + 0.06), 0.085, sections=12)
        else:
            b.box("light", (x, y_head, zf - 0.6 * nose + 0.02), (0.32, 0.09, 0.06))
        b.box("light", (x, y_top - 0.25 * bh, zr - 0.01), (0.26, 0.1, 0.04))
    # bumpers across the width, front and back
    bump_h = 0.14 * bh + 0.04
    b.box("bumper", (0.0, gc + 0.5 * bump_h, zf - 0.35 * nose + 0.05), (W * 0.96, bump_h, 0.12))
    b.box("bumper", (0.0, gc + 0.5 * bump_h, zr - 0.04), (W * 0.96, bump_h, 0.1))
    # pickup: an open cargo bed (two side walls and a tailgate) behind the cabin
    if kind == "pickup":
        wall_h, t = 0.32 * p["cabin_height"], 0.05
        z0, z1 = zr + 0.02, cz_r - 0.05
        for sgn in (1.0, -1.0):
            b.box_between("cargo_bed", (sgn * W / 2 - (t if sgn > 0 else 0.0), y_top - 0.01, z0),
                          (sgn * W / 2 + (0.0 if sgn > 0 else t), y_top + wall_h, z1))
        b.box_between("cargo_bed", (-W / 2, y_top - 0.01, z0), (W / 2, y_top + wall_h, z0 + t))
    # spoiler: a wing on two posts at the back of the boot (on the roof for hatchbacks)
    if p["spoiler"]:
        if kind == "hatchback":
            roof_r = cab[3]
            b.box("spoiler", (0.0, roof_r[1] + 0.02, roof_r[0] - 0.08), (2 * wc * 0.9, 0.035, 0.22))
        else:
            zs = zr + 0.12
            post_h = 0.12 + (0.06 if kind == "sports" else 0.0)
            for sgn in (1.0, -1.0):
                b.box("spoiler", (sgn * 0.32 * W, y_top + 0.5 * post_h, zs), (0.05, post_h, 0.08))
            b.box("spoiler", (0.0, y_top + post_h + 0.015, zs - 0.02), (0.92 * W, 0.03, 0.24))
    # roof rack: two rails along the roof
    if p["roof_rack"]:
        roof = cab[2:]
        z_lo, z_hi = min(roof[:, 0]) + 0.05, max(roof[:, 0]) - 0.05
        for sgn in (1.0, -1.0):
            b.box_between("roof_rack", (sgn * 0.8 * wc - 0.025, roof[0, 1], z_lo),
                          (sgn * 0.8 * wc + 0.025, roof[0, 1] + 0.06, z_hi))
    # side mirrors at the base of the windshield
    if p["mirrors"]:
        for sgn in (1.0, -1.0):
            b.box("mirror", (sgn * (wc + 0.1), y_top + 0.12, cz_f - 0.12), (0.16, 0.09, 0.06))
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entry
# ----------------------------------------------------------------------------------------------

_NOUNS = {"sedan": ["sedan", "saloon car", "four-door car"], "coupe": ["coupe", "two-door coupe"],
          "hatchback": ["hatchback", "compact hatchback", "small hatchback car"],
          "suv": ["sport utility vehicle", "big off-road car", "tall utility vehicle"],
          "pickup": ["pickup truck", "pickup"], "sports": ["sports car", "low sports car", "race-styled car"]}


def describe(p: dict) -> Vocabulary:
    kind = p["body_type"]
    nouns = list(_NOUNS[kind])
    attrs: list[Phrase] = []
    attrs.append(["large wheels", "four large wheels"] if p["wheel_radius"] > 0.38 else
                 ["four wheels", "four round wheels"])
    attrs.append({"rect": ["rectangular headlights", "wide headlights"],
                  "round": ["round headlights", "circular headlights"]}[p["lights"]])
    if p["ground_clearance"] > 0.2:
        attrs.append(["high ground clearance", "a raised body"])
    elif p["ground_clearance"] < 0.12:
        attrs.append(["a very low body", "a low stance"])
    if kind == "pickup":
        attrs.append(["an open cargo bed", "a cargo bed at the back"])
    if p["spoiler"]:
        attrs.append(["a roof spoiler", "a spoiler above the rear window"] if kind == "hatchback" else
                     ["a rear spoiler", "a wing on the back"])
    if p["roof_rack"]:
        attrs.append(["a roof rack", "roof rails"])
    if p["mirrors"]:
        attrs.append(["side mirrors", "wing mirrors"])
    return nouns, attrs


SPEC = CategorySpec("car", PART_NAMES, sample_params, build, describe, "body_type", BODY_TYPES)
