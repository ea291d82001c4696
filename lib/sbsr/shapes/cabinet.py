"""Procedural cabinets built from panels: carcass frame, top, doors, drawers, handles, shelves and a
base (legs or plinth). 5 front layouts x 3 handle styles x 3 bases, 14 parameter families.

Units are metres before normalisation; doors and drawers face +Z.
"""

from __future__ import annotations

import numpy as np

from .base import MeshBuilder, ParamSampler
from .spec import CategorySpec, Phrase, Vocabulary, count_word

PART_NAMES = ("frame", "top", "door", "drawer", "handle", "shelf", "base")
FRONTS = ("doors", "drawers", "mixed", "open", "glass")
HANDLES = ("bar", "knob", "none")
BASES = ("legs", "plinth", "none")


def sample_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    width = s.uniform(0.4, 1.6)
    front = s.choice(FRONTS, p=[0.3, 0.25, 0.2, 0.12, 0.13])
    return {
        "width": width,
        "height": s.uniform(0.5, 2.0),
        "depth": s.uniform(0.3, 0.6),
        "panel": s.uniform(0.015, 0.03),
        "front": front,
        "n_doors": (1 if width < 0.6 else s.choice([1, 2, 3], p=[0.25, 0.6, 0.15] if width > 1.1 else [0.4, 0.6, 0.0])),
        "n_drawer_rows": s.integer(2, 6),
        "drawer_columns": 2 if (width > 1.0 and s.flip(0.5)) else 1,
        "mixed_drawer_fraction": s.uniform(0.15, 0.4),
        "n_shelves": s.integer(1, 4),
        "handle": s.choice(HANDLES, p=[0.5, 0.35, 0.15]),
        "handle_vertical": s.flip(0.5),
        "base": s.choice(BASES, p=[0.4, 0.35, 0.25]),
        "base_height": s.uniform(0.05, 0.22),
        "top_overhang": s.uniform(0.0, 0.04) if s.flip(0.5) else 0.0,
        "top_thickness": s.uniform(0.02, 0.05),
        "leg_taper": s.uniform(0.5, 1.0),
    }


def _handle(b: MeshBuilder, p: dict, x: float, y: float, z: float, vertical: bool) -> None:
    style = p["handle"]
    if style == "none":
        return
    if style == "knob":
        b.rod("handle", (x, y, z - 0.002), (x, y, z + 0.025), 0.012, sections=8)
        b.sphere("handle", (x, y, z + 0.03), 0.016, count=6)
        return
    half = 0.07
    a, c = ((x, y - half), (x, y + half)) if vertical else ((x - half, y), (x + half, y))
    b.rod("handle", (a[0], a[1], z + 0.03), (c[0], c[1], z + 0.03), 0.007, sections=6)
    for q in (a, c):
        b.rod("handle", (q[0], q[1], z - 0.002), (q[0], q[1], z + 0.033), 0.006, sections=6)


def build(p: dict) -> MeshBuilder:
    b = MeshBuilder(PART_NAMES)
    W, H, D, t = p["width"], p["height"], p["depth"], p["panel"]
    base_h = p["base_height"] if p["base"] != "none" else 0.0
    y0, y1 = base_h, H - p["top_thickness"]
    hw, hd = W / 2, D / 2
    # carcass: sides, bottom, back (the "frame")
    b.box_between("frame", (-hw, y0, -hd), (-hw + t, y1, hd))
    b.box_between("frame", (hw - t, y0, -hd), (hw, y1, hd))
    b.box_between("frame", (-hw + t, y0, -hd), (hw - t, y0 + t, hd))
    b.box_between("frame", (-hw + t, y0, -hd), (hw - t, y1, -hd + t))
    ov = p["top_overhang"]
    b.box_between("top", (-hw - ov, y1, -hd - ov / 2), (hw + ov, H, hd + ov))
    # base
    if p["base"] == "legs":
        r = 0.02
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (hw - 0.04), sz * (hd - 0.04)
                b.rod("base", (x, y0 + 0.005, z), (x, 0.0, z), r, r * p["leg_taper"], sections=8)
    elif p["base"] == "plinth":
        b.box_between("base", (-hw + 0.02, 0.0, -hd + 0.02), (hw - 0.02, y0 + 0.002, hd - 0.04))

    front_z = hd
    inner_lo, inner_hi = y0 + t, y1
    xl, xr = -hw + t, hw - t
    gap = 0.004
    thick = 0.018

    def doors(ylo: float, yhi: float, glass: bool) -> None:
        n = p["n_doors"]
        dw = (xr - xl) / n
        for i in range(n):
            a, c = xl + i * dw + gap, xl + (i + 1) * dw - gap
            if glass:
                fr = 0.05
                b.box_between("door", (a, ylo + gap, front_z), (a + fr, yhi - gap, front_z + thick))
                b.box_between("door", (c - fr, ylo + gap, front_z), (c, yhi - gap, front_z + thick))
                b.box_between("door", (a + fr, ylo + gap, front_z), (c - fr, ylo + gap + fr, front_z + thick))
                b.box_between("door", (a + fr, yhi - gap - fr, front_z), (c - fr, yhi - gap, front_z + thick))
            else:
                b.box_between("door", (a, ylo + gap, front_z), (c, yhi - gap, front_z + thick))
            # handle near the opening edge
            if n == 1:
                hx = c - 0.06
            elif n == 2:
                hx = c - 0.06 if i == 0 else a + 0.06
            else:
                hx = c - 0.06 if i < n - 1 else a + 0.06
            hy = min(yhi - 0.12, ylo + 0.5 * (yhi - ylo)) if yhi - ylo > 0.9 else 0.5 * (ylo + yhi)
            _handle(b, p, hx, hy, front_z + thick, True)

    def drawers(ylo: float, yhi: float, rows: int) -> None:
        cols = p["drawer_columns"]
        rh = (yhi - ylo) / rows
        cw = (xr - xl) / cols
        for r in range(rows):
            for c in range(cols):
                a, cc = xl + c * cw + gap, xl + (c + 1) * cw - gap
                lo, hi = ylo + r * rh + gap, ylo + (r + 1) * rh - gap
                b.box_between("drawer", (a, lo, front_z), (cc, hi, front_z + thick))
                _handle(b, p, 0.5 * (a + cc), 0.5 * (lo + hi) + 0.15 * (hi - lo), front_z + thick,
                        p["handle_vertical"] and rh > 0.25)

    def shelves(ylo: float, yhi: float) -> None:
        n = p["n_shelves"]
        for i in range(n):
            y = ylo + (yhi - ylo) * (i + 1) / (n + 1)
            b.box_between("shelf", (xl, y - t / 2, -hd + t), (xr, y + t / 2, hd - 0.01))

    front = p["front"]
    if front == "doors":
        doors(inner_lo - t, inner_hi, glass=False)
    elif front == "drawers":
        drawers(inner_lo - t, inner_hi, p["n_drawer_rows"])
    elif front == "mixed":
        split = inner_hi - p["mixed_drawer_fraction"] * (inner_hi - inner_lo)
        rows = max(1, min(2, p["n_drawer_rows"] // 2))
        drawers(split, inner_hi, rows)
        doors(inner_lo - t, split, glass=False)
    elif front == "open":
        shelves(inner_lo, inner_hi)
    else:  # glass doors over shelves
        shelves(inner_lo, inner_hi)
        doors(inner_lo - t, inner_hi, glass=True)
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entry
# ----------------------------------------------------------------------------------------------


def describe(p: dict) -> Vocabulary:
    front, tall = p["front"], p["height"] > 1.5
    nouns = {"doors": ["wardrobe", "tall cabinet"] if tall else ["cabinet", "cupboard"],
             "drawers": ["chest of drawers", "dresser", "drawer cabinet"],
             "mixed": ["sideboard", "cabinet with drawers and doors"] if not tall else ["tall cabinet", "cupboard"],
             "open": ["open cabinet", "open shelving unit"],
             "glass": ["display cabinet", "glass-door cabinet", "vitrine"]}[front]
    attrs: list[Phrase] = []
    nd = p["n_doors"]
    door_phr = [f"{count_word(nd)} door{'s' if nd > 1 else ''}", f"{count_word(nd)} front door{'s' if nd > 1 else ''}"]
    rows = p["n_drawer_rows"]
    if front == "doors":
        attrs.append(door_phr)
    elif front == "drawers":
        cols = p["drawer_columns"]
        attrs.append([f"{count_word(rows)} rows of drawers", f"{count_word(rows * cols)} drawers"])
    elif front == "mixed":
        r = max(1, min(2, rows // 2))
        attrs.append([f"{count_word(r * p['drawer_columns'])} drawer{'s' if r * p['drawer_columns'] > 1 else ''} above "
                      f"{count_word(nd)} door{'s' if nd > 1 else ''}", "drawers above doors"])
    elif front == "open":
        attrs.append([f"{count_word(p['n_shelves'])} open shelves" if p["n_shelves"] > 1 else "one open shelf",
                      "an open front with shelves"])
    else:
        attrs.append([f"{count_word(nd)} glass door{'s' if nd > 1 else ''}", "framed glass doors"])
    if front in ("doors", "drawers", "mixed", "glass"):
        attrs.append({"bar": ["bar handles", "long handles"], "knob": ["knobs", "round knobs"],
                      "none": ["no handles", "handleless fronts"]}[p["handle"]])
    attrs.append({"legs": ["short legs", "four short legs"], "plinth": ["a plinth base", "a recessed plinth"],
                  "none": ["no legs", "a flat base"]}[p["base"]])
    if p["height"] > 1.4:
        attrs.append(["a tall body", "a tall frame"])
    elif p["height"] < 0.8:
        attrs.append(["a low body", "a low frame"])
    return nouns, attrs


SPEC = CategorySpec("cabinet", PART_NAMES, sample_params, build, describe, "front", FRONTS)
