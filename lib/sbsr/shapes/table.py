"""Procedural tables with part structure for retrieval-and-deformation experiments: top, legs, apron,
stretchers, drawers and a lower shelf. 5 kinds x 4 top outlines x 6 leg styles, 16 parameter families.

Units are metres before normalisation; the long side runs along X and the front (drawers) faces +Z.
"""

from __future__ import annotations

import numpy as np

from .base import MeshBuilder, ParamSampler, circle_section, rect_section, rounded_rect_section, superellipse_section
from .spec import CategorySpec, Phrase, Vocabulary, count_word

PART_NAMES = ("top", "leg", "apron", "stretcher", "drawer", "shelf")
KINDS = ("dining", "coffee", "desk", "side", "bar")
TOP_SHAPES = ("rect", "rounded", "round", "oval")
LEG_STYLES = ("straight", "tapered", "splayed", "pedestal", "trestle", "panel")
FOUR_LEG_STYLES = ("straight", "tapered", "splayed")

_SIZES = {  # kind: (height range, width range, depth range)
    "dining": ((0.72, 0.78), (1.0, 2.0), (0.7, 1.0)),
    "coffee": ((0.35, 0.48), (0.8, 1.3), (0.45, 0.7)),
    "desk": ((0.72, 0.78), (1.0, 1.6), (0.55, 0.8)),
    "side": ((0.5, 0.65), (0.4, 0.6), (0.4, 0.6)),
    "bar": ((0.95, 1.1), (0.6, 1.2), (0.6, 0.8)),
}


def sample_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    kind = s.choice(KINDS)
    (h0, h1), (w0, w1), (d0, d1) = _SIZES[kind]
    top = s.choice(TOP_SHAPES, p=[0.4, 0.25, 0.2, 0.15] if kind != "desk" else [0.7, 0.3, 0.0, 0.0])
    width = s.uniform(w0, w1)
    depth = s.uniform(d0, d1)
    if top == "round":
        width = depth = s.uniform(0.5, 1.3) if kind in ("dining", "coffee") else s.uniform(0.4, 0.8)
    leg_style = s.choice(LEG_STYLES)
    if top in ("round", "oval") and leg_style == "panel":
        leg_style = "pedestal"
    four = leg_style in FOUR_LEG_STYLES
    return {
        "kind": kind,
        "top_shape": top,
        "width": width,
        "depth": depth,
        "height": s.uniform(h0, h1),
        "top_thickness": s.uniform(0.02, 0.07),
        "top_corner_radius": s.uniform(0.04, 0.2),
        "top_overhang": s.uniform(0.0, 0.1),
        "leg_style": leg_style,
        "leg_thickness": s.uniform(0.03, 0.08),
        "leg_section": s.choice(["square", "round"]),
        "leg_taper": s.uniform(0.35, 0.7) if leg_style == "tapered" else 1.0,
        "leg_splay": s.uniform(0.04, 0.1) if leg_style == "splayed" else 0.0,
        "apron": s.flip(0.6) if four else False,
        "apron_height": s.uniform(0.05, 0.12),
        "stretchers": s.choice(["none", "h", "box"], p=[0.5, 0.25, 0.25]) if four else "none",
        "stretcher_height": s.uniform(0.08, 0.25),
        "drawers": s.choice([0, 1, 2, 3], p=[0.4, 0.3, 0.2, 0.1]) if top in ("rect", "rounded") else 0,
        "drawer_unit": s.flip(0.5) if kind == "desk" else False,
        "shelf": s.flip(0.35) if kind in ("coffee", "side", "desk") else False,
        "shelf_height": s.uniform(0.08, 0.25),
        "pedestal_foot": s.choice(["disc", "cross", "tripod"]) if leg_style == "pedestal" else "none",
        "pedestal_count": (2 if (leg_style == "pedestal" and top in ("rect", "rounded", "oval")
                                 and width > 1.2) else 1),
    }


def _top_outline(p: dict) -> np.ndarray:
    w, d = p["width"], p["depth"]
    shape = p["top_shape"]
    if shape == "round":
        return circle_section(w / 2, 40)
    if shape == "oval":
        return superellipse_section(w, d, 2.0, 40)
    if shape == "rounded":
        return rounded_rect_section(w, d, p["top_corner_radius"], 4)
    return rect_section(w, d)


def _support_box(p: dict) -> tuple[float, float]:
    """Half extents (x, z) of the rectangle where legs stand (inside the overhang)."""
    w, d = p["width"], p["depth"]
    ov = p["top_overhang"] + p["leg_thickness"] / 2
    if p["top_shape"] in ("round", "oval"):
        return w / 2 / np.sqrt(2) - ov, d / 2 / np.sqrt(2) - ov
    return w / 2 - ov, d / 2 - ov


def build(p: dict) -> MeshBuilder:
    b = MeshBuilder(PART_NAMES)
    H, tt = p["height"], p["top_thickness"]
    under = H - tt
    b.prism_y("top", _top_outline(p), under, H)
    hx, hz = _support_box(p)
    lt = p["leg_thickness"]
    square = p["leg_section"] == "square"
    style = p["leg_style"]
    apron_h = p["apron_height"] if p["apron"] else 0.0

    if style in FOUR_LEG_STYLES:
        corners = np.array([[hx, hz], [-hx, hz], [-hx, -hz], [hx, -hz]])
        axes = []
        for x, z in corners:
            out = np.array([np.sign(x), np.sign(z)]) * p["leg_splay"]
            top = np.array([x, under + 0.005, z])
            bottom = np.array([x + out[0], 0.0, z + out[1]])
            b.rod("leg", top, bottom, lt / 2, lt / 2 * p["leg_taper"], sections=10, square=square)
            axes.append((top, bottom))
        if p["apron"]:
            at = 0.022
            y0, y1 = under - apron_h, under
            b.box_between("apron", (-hx, y0, hz - at / 2 - lt * 0.2), (hx, y1, hz + at / 2 - lt * 0.2))
            b.box_between("apron", (-hx, y0, -hz - at / 2 + lt * 0.2), (hx, y1, -hz + at / 2 + lt * 0.2))
            b.box_between("apron", (hx - at / 2 - lt * 0.2, y0, -hz), (hx + at / 2 - lt * 0.2, y1, hz))
            b.box_between("apron", (-hx - at / 2 + lt * 0.2, y0, -hz), (-hx + at / 2 + lt * 0.2, y1, hz))
        if p["stretchers"] != "none":
            ys = p["stretcher_height"]
            r = max(0.01, 0.3 * lt)

            def at_h(k: int, y: float) -> np.ndarray:
                t, bt = axes[k]
                s = (y - bt[1]) / (t[1] - bt[1])
                return bt + s * (t - bt)

            if p["stretchers"] == "h":
                b.rod("stretcher", at_h(0, ys), at_h(3, ys), r, sections=8, square=square)
                b.rod("stretcher", at_h(1, ys), at_h(2, ys), r, sections=8, square=square)
                b.rod("stretcher", (at_h(0, ys) + at_h(3, ys)) / 2, (at_h(1, ys) + at_h(2, ys)) / 2, r,
                      sections=8, square=square)
            else:
                for i, j in ((0, 1), (1, 2), (2, 3), (3, 0)):
                    b.rod("stretcher", at_h(i, ys), at_h(j, ys), r, sections=8, square=square)
    elif style == "pedestal":
        n = p["pedestal_count"]
        xs = [0.0] if n == 1 else [-0.55 * hx, 0.55 * hx]
        col_r = max(0.035, 0.9 * lt)
        foot_r = min(0.8 * min(p["width"], p["depth"]) / 2, 0.45)
        for x in xs:
            b.rod("leg", (x, 0.02, 0.0), (x, under + 0.005, 0.0), col_r, col_r * 0.8, sections=16)
            b.box("leg", (x, under - 0.015, 0.0), (col_r * 3, 0.03, col_r * 3))
            foot = p["pedestal_foot"]
            if foot == "disc":
                b.revolve_y("leg", [[0.0, 0.0], [foot_r, 0.0], [foot_r * 0.9, 0.03], [col_r, 0.06], [0.0, 0.06]],
                            sections=24, center=(x, 0.0, 0.0))
            else:
                k = 4 if foot == "cross" else 3
                for i in range(k):
                    a = np.radians(45.0 + 360.0 * i / k) if foot == "cross" else np.radians(360.0 * i / k)
                    tip = np.array([x + foot_r * np.sin(a), 0.02, foot_r * np.cos(a)])
                    b.sweep("leg", [(x, 0.06, 0.0), tip], rect_section(0.05, 0.05), scales=np.array([1.0, 0.6]),
                            normal=(0.0, 1.0, 0.0))
    elif style == "trestle":
        zt = 0.75 * p["depth"] / 2
        for x in (-hx, hx):
            b.box_between("leg", (x - lt / 2, 0.05, -lt), (x + lt / 2, under, lt))
            b.box_between("leg", (x - lt / 2, 0.0, -zt), (x + lt / 2, 0.06, zt))
            b.box_between("leg", (x - lt / 2, under - 0.05, -zt), (x + lt / 2, under, zt))
        b.box_between("stretcher", (-hx, 0.3 * under - 0.03, -lt / 3), (hx, 0.3 * under + 0.03, lt / 3))
    else:  # panel ("waterfall") sides
        zt = p["depth"] / 2 - p["top_overhang"]
        pt = max(lt, tt)
        for x in (-hx, hx):
            b.box_between("leg", (x - pt / 2, 0.0, -zt), (x + pt / 2, under + 0.002, zt))
        b.box_between("stretcher", (-hx, under - 0.25, -zt + 0.02), (hx, under - 0.23, zt - 0.02))

    # drawers in the apron zone, shelf and the desk's drawer unit
    n = p["drawers"]
    if n:
        dh = max(apron_h, 0.1) - 0.02
        span = 2 * hx - lt - 0.02
        wdr = span / n
        for i in range(n):
            x0 = -span / 2 + i * wdr + 0.01
            b.box_between("drawer", (x0, under - dh - 0.01, hz - 0.2), (x0 + wdr - 0.02, under - 0.01, hz + 0.012))
            xc = x0 + (wdr - 0.02) / 2
            b.box_between("drawer", (xc - 0.05, under - 0.01 - dh / 2 - 0.008, hz + 0.012),
                          (xc + 0.05, under - 0.01 - dh / 2 + 0.008, hz + 0.03))
    if p["drawer_unit"]:
        uw = min(0.42, 0.35 * p["width"])
        x1 = hx - lt / 2
        x0 = x1 - uw
        y_bot = 0.06
        y_top = under - (0.12 if n else 0.0)
        b.box_between("drawer", (x0, y_bot, -hz + 0.02), (x1, y_top, hz))
        rows = 3
        for r in range(rows):
            y0 = y_bot + (y_top - y_bot) * r / rows + 0.01
            y1 = y_bot + (y_top - y_bot) * (r + 1) / rows - 0.01
            b.box_between("drawer", (x0 + 0.01, y0, hz), (x1 - 0.01, y1, hz + 0.02))
            b.box_between("drawer", (0.5 * (x0 + x1) - 0.05, 0.5 * (y0 + y1) - 0.008, hz + 0.02),
                          (0.5 * (x0 + x1) + 0.05, 0.5 * (y0 + y1) + 0.008, hz + 0.035))
    if p["shelf"]:
        ys = p["shelf_height"]
        if style in FOUR_LEG_STYLES or style == "panel" or style == "trestle":
            b.box_between("shelf", (-hx, ys, -hz * 0.9), (hx, ys + 0.02, hz * 0.9))
        else:
            b.revolve_y("shelf", [[0.0, ys], [0.6 * min(hx, hz) + 0.1, ys], [0.6 * min(hx, hz) + 0.1, ys + 0.02],
                                  [0.0, ys + 0.02]], sections=24)
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entry
# ----------------------------------------------------------------------------------------------


def describe(p: dict) -> Vocabulary:
    nouns = {"dining": ["dining table", "table"], "coffee": ["coffee table", "low table"],
             "desk": ["desk", "writing desk", "office desk"], "side": ["side table", "end table"],
             "bar": ["bar table", "tall bar-height table"]}[p["kind"]]
    attrs: list[Phrase] = [{"rect": ["a rectangular top", "a rectangular tabletop"],
                            "rounded": ["a top with rounded corners", "a rounded rectangular top"],
                            "round": ["a round top", "a circular top"],
                            "oval": ["an oval top", "an elliptical top"]}[p["top_shape"]]]
    leg = p["leg_style"]
    if leg == "straight":
        attrs.append([f"four straight {p['leg_section']} legs", "four straight legs"])
    elif leg == "tapered":
        attrs.append(["four tapered legs", "tapered legs"])
    elif leg == "splayed":
        attrs.append(["four splayed legs", "legs angled outwards"])
    elif leg == "pedestal":
        foot = {"disc": "a round foot", "cross": "a cross-shaped foot", "tripod": "three feet"}[p["pedestal_foot"]]
        if p["pedestal_count"] == 1:
            attrs.append([f"a central pedestal with {foot}", "a single central pedestal"])
        else:
            attrs.append(["two pedestals", f"two pedestal columns, each with {foot}"])
    elif leg == "trestle":
        attrs.append(["trestle legs", "a trestle base"])
    else:
        attrs.append(["solid panel sides", "slab legs", "waterfall panel sides"])
    if p["apron"]:
        attrs.append(["an apron under the top", "an apron"])
    if p["stretchers"] == "h":
        attrs.append(["an H-shaped stretcher", "H stretchers"])
    elif p["stretchers"] == "box":
        attrs.append(["box stretchers", "stretchers on all sides"])
    if p["drawers"]:
        n = p["drawers"]
        attrs.append([f"{count_word(n)} drawer{'s' if n > 1 else ''} under the top",
                      f"{count_word(n)} front drawer{'s' if n > 1 else ''}"])
    if p["drawer_unit"]:
        attrs.append(["a drawer unit on one side", "a pedestal of drawers"])
    if p["shelf"]:
        attrs.append(["a lower shelf", "a shelf underneath"])
    return nouns, attrs


SPEC = CategorySpec("table", PART_NAMES, sample_params, build, describe, "kind", KINDS)
