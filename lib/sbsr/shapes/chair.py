"""Procedural chairs: 7 leg styles x 6 back styles x 3 seat outlines x 3 arm styles x stretchers and
cushions, plus continuous proportions (20 parameter families in all).

Units are metres before normalisation; the seat front edge and the open side of the back face +Z.
"""

from __future__ import annotations

import numpy as np

from .base import (
    MeshBuilder,
    ParamSampler,
    affine,
    circle_section,
    rect_section,
    rot_x,
    rot_y,
    rounded_polyline,
    rounded_rect_section,
)
from .spec import CategorySpec, Phrase, Vocabulary, count_word

PART_NAMES = ("seat", "back", "leg", "arm", "stretcher", "cushion")
LEG_STYLES = ("straight", "splayed", "tapered", "star", "pedestal", "sled", "cantilever")
FOUR_LEG_STYLES = ("straight", "splayed", "tapered")
BACK_STYLES = ("solid", "vertical_slats", "horizontal_slats", "frame", "ladder", "curved")
SEAT_SHAPES = ("square", "rounded", "round")
ARM_STYLES = ("none", "solid", "open")
STRETCHER_STYLES = ("none", "h", "box")
BACK_TOPS = ("flat", "arched", "rounded")


def sample_params(rng: np.random.Generator) -> dict:
    """Draw one chair's parameters (every value JSON-serialisable)."""
    s = ParamSampler(rng)
    leg_style = s.choice(LEG_STYLES)
    back_style = s.choice(BACK_STYLES)
    seat_shape = s.choice(SEAT_SHAPES, p=[0.45, 0.35, 0.2])
    width = s.uniform(0.40, 0.62)
    depth = width if seat_shape == "round" else s.uniform(0.38, 0.58)
    four = leg_style in FOUR_LEG_STYLES
    p = {
        "leg_style": leg_style,
        "back_style": back_style,
        "seat_shape": seat_shape,
        "seat_width": width,
        "seat_depth": depth,
        "seat_height": s.uniform(0.38, 0.52),
        "seat_thickness": s.uniform(0.02, 0.09),
        "seat_corner_radius": s.uniform(0.04, 0.14) if seat_shape == "rounded" else 0.0,
        "leg_thickness": s.uniform(0.025, 0.055),
        "leg_section": s.choice(["round", "square"]),
        "leg_inset": s.uniform(0.0, 0.06),
        "leg_splay": s.uniform(0.03, 0.09) if leg_style == "splayed" else 0.0,
        "leg_taper": s.uniform(0.35, 0.65) if leg_style == "tapered" else 1.0,
        "stretchers": s.choice(STRETCHER_STYLES) if four else "none",
        "stretcher_height": s.uniform(0.07, 0.2),
        "star_arms": s.choice([4, 5], p=[0.25, 0.75]) if leg_style == "star" else 0,
        "casters": s.flip(0.7) if leg_style == "star" else False,
        "base_radius": (s.uniform(0.26, 0.34) if leg_style == "star"
                        else s.uniform(0.17, 0.26) if leg_style == "pedestal" else 0.0),
        "base_flare": s.uniform(1.6, 4.0) if leg_style == "pedestal" else 0.0,
        "frame_forward": s.uniform(-0.02, 0.07) if leg_style in ("sled", "cantilever") else 0.0,
        "back_height": s.uniform(0.28, 0.65),
        "back_tilt": s.uniform(0.0, 22.0),
        "back_thickness": s.uniform(0.02, 0.06),
        "back_width_ratio": s.uniform(0.7, 1.0),
        "back_taper": s.uniform(0.75, 1.15),
        "back_top": s.choice(BACK_TOPS) if back_style in ("solid", "curved") else "flat",
        "back_top_amount": s.uniform(0.03, 0.12),
        "back_slats": s.integer(2, 6),
        "back_rail_height": s.uniform(0.04, 0.12),
        "back_curvature": s.uniform(0.04, 0.12) if back_style == "curved" else 0.0,
        "arms": s.choice(ARM_STYLES, p=[0.5, 0.2, 0.3]),
        "arm_height": s.uniform(0.16, 0.28),
        "arm_thickness": s.uniform(0.03, 0.07),
        "seat_cushion": s.flip(0.35),
        "cushion_thickness": s.uniform(0.03, 0.07),
        "back_cushion": s.flip(0.4) if back_style in ("solid", "frame") else False,
    }
    if p["back_style"] == "curved":
        p["back_taper"] = 1.0
    return p


def _half_depth_at(p: dict, x: float) -> float:
    """Distance from the seat centre to the seat's rear edge at lateral offset x."""
    w, d = p["seat_width"], p["seat_depth"]
    x = min(abs(x), w / 2 - 1e-4)
    if p["seat_shape"] == "round":
        r = w / 2
        return float(np.sqrt(max(r * r - x * x, 1e-8)))
    if p["seat_shape"] == "rounded":
        rc = min(p["seat_corner_radius"], w / 2 - 1e-3, d / 2 - 1e-3)
        if x > w / 2 - rc:
            dx = x - (w / 2 - rc)
            return float(d / 2 - rc + np.sqrt(max(rc * rc - dx * dx, 0.0)))
    return d / 2


def seat_outline(p: dict, scale: float = 1.0) -> np.ndarray:
    """Seat outline as (x, z) points."""
    w, d = p["seat_width"] * scale, p["seat_depth"] * scale
    if p["seat_shape"] == "round":
        return circle_section(w / 2, 32)
    if p["seat_shape"] == "rounded":
        return rounded_rect_section(w, d, p["seat_corner_radius"] * scale, n_corner=4)
    return rect_section(w, d)


def _leg_tops(p: dict) -> np.ndarray:
    """Top centres of four legs (front-left, front-right, back-right, back-left) in (x, z)."""
    t = p["leg_thickness"]
    inset = p["leg_inset"] + t / 2
    w, d = p["seat_width"], p["seat_depth"]
    if p["seat_shape"] == "round":
        r = w / 2 - inset - t / 2
        a = np.radians([45.0, 135.0, 225.0, 315.0])
        return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)
    if p["seat_shape"] == "rounded":
        rc = p["seat_corner_radius"]
        inset = max(inset, 0.3 * rc + t / 2)
    x, z = w / 2 - inset, d / 2 - inset
    return np.array([[x, z], [-x, z], [-x, -z], [x, -z]])


def _four_legs(b: MeshBuilder, p: dict, y_top: float) -> np.ndarray:
    tops = _leg_tops(p)
    t = p["leg_thickness"]
    splay = p["leg_splay"]
    square = p["leg_section"] == "square"
    axes = []
    for x, z in tops:
        direction = np.array([x, z]) / max(np.hypot(x, z), 1e-9)
        bx, bz = np.array([x, z]) + splay * direction * np.sqrt(2)
        top = np.array([x, y_top + 0.005, z])
        bottom = np.array([bx, 0.0, bz])
        b.rod("leg", top, bottom, t / 2, t / 2 * p["leg_taper"], sections=10, square=square)
        axes.append((top, bottom))
    return np.array(axes)


def _stretchers(b: MeshBuilder, p: dict, axes: np.ndarray) -> None:
    style = p["stretchers"]
    if style == "none":
        return
    y = p["stretcher_height"]
    r = max(0.008, 0.28 * p["leg_thickness"])

    def at(k: int, yy: float) -> np.ndarray:
        top, bottom = axes[k]
        s = (yy - bottom[1]) / (top[1] - bottom[1])
        return bottom + s * (top - bottom)

    square = p["leg_section"] == "square"
    if style == "h":
        left = (at(0, y), at(3, y))
        right = (at(1, y), at(2, y))
        b.rod("stretcher", *left, r, sections=8, square=square)
        b.rod("stretcher", *right, r, sections=8, square=square)
        b.rod("stretcher", (left[0] + left[1]) / 2, (right[0] + right[1]) / 2, r, sections=8, square=square)
    else:  # box: front rung slightly higher, as on many wooden chairs
        pairs = [(0, 1, y + 0.03), (1, 2, y), (2, 3, y + 0.015), (3, 0, y)]
        for i, j, yy in pairs:
            b.rod("stretcher", at(i, yy), at(j, yy), r, sections=8, square=square)


def _star_base(b: MeshBuilder, p: dict, y_bottom: float) -> None:
    n = p["star_arms"]
    length = p["base_radius"]
    casters = p["casters"]
    wheel_r = 0.026
    tip_y = 2 * wheel_r + 0.012 if casters else 0.025
    hub_y = tip_y + 0.04
    col_r = 0.022 + 0.25 * (p["leg_thickness"] - 0.025)
    # mechanism plate, gas-lift column and its wider sleeve
    b.box("leg", (0.0, y_bottom - 0.015, 0.0), (p["seat_width"] * 0.4, 0.03, p["seat_depth"] * 0.4))
    b.rod("leg", (0, y_bottom - 0.02, 0), (0, hub_y, 0), col_r, sections=12)
    b.rod("leg", (0, y_bottom - 0.16, 0), (0, hub_y - 0.01, 0), col_r * 1.5, sections=12)
    b.rod("leg", (0, hub_y - 0.03, 0), (0, hub_y + 0.03, 0), 0.05, sections=12)
    for k in range(n):
        ang = 90.0 + 360.0 * k / n  # the first spoke points to the front (+Z)
        with b.transform(affine(rot_y(ang - 90.0))):
            # spoke along +Z in this frame
            start = np.array([0.0, hub_y, 0.0])
            end = np.array([0.0, tip_y + 0.012, length])
            b.sweep("leg", [start, end], rect_section(0.045, 0.035), scales=np.array([1.0, 0.65]),
                    normal=(1.0, 0.0, 0.0))
            if casters:
                c = np.array([0.0, wheel_r, length - 0.01])
                b.rod("leg", c + [0, wheel_r, 0], end, 0.009, sections=6)
                b.rod("leg", c - [0.018, 0, 0], c + [0.018, 0, 0], wheel_r, sections=10)
            else:
                b.rod("leg", (0.0, 0.0, length - 0.015), (0.0, tip_y, length - 0.015), 0.018, sections=8)


def _pedestal(b: MeshBuilder, p: dict, y_bottom: float) -> None:
    rb = p["base_radius"]
    rs = 0.025 + 0.5 * (p["leg_thickness"] - 0.025)
    tb = 0.018
    ys = np.linspace(tb, y_bottom, 14)
    u = (ys - tb) / (y_bottom - tb)
    rad = rs + (0.85 * rb - rs) * (1 - u) ** p["base_flare"]
    prof = [[0.0, 0.0], [rb, 0.0], [rb, tb]] + [[r, y] for r, y in zip(rad, ys)] + [[rs * 1.6, y_bottom + 0.004],
                                                                                    [0.0, y_bottom + 0.004]]
    b.revolve_y("leg", prof, sections=24)


def _sled_or_cantilever(b: MeshBuilder, p: dict, y_bottom: float) -> None:
    w, d = p["seat_width"], p["seat_depth"]
    r = 0.009 + 0.25 * p["leg_thickness"]
    fwd = p["frame_forward"]
    x = w / 2 - p["leg_inset"] - r - (0.03 if p["seat_shape"] == "round" else 0.0)
    front = _half_depth_at(p, x) - 0.04
    rear = -_half_depth_at(p, x) + 0.04
    ytop = y_bottom - r + 0.002
    for sgn in (1.0, -1.0):
        xs = sgn * x
        if p["leg_style"] == "sled":
            pts = [(xs, ytop, front - 0.04), (xs, r, front + fwd), (xs, r, rear - 0.04 - fwd / 2),
                   (xs, ytop, rear + 0.02)]
        else:
            pts = [(xs, ytop, rear + 0.06), (xs, ytop, front), (xs, r, front + fwd), (xs, r, -d / 2 - 0.05)]
        b.tube("leg", rounded_polyline(pts, 0.07, n_arc=5), r, sections=10)
    if p["leg_style"] == "cantilever":
        b.rod("leg", (-x, r, -d / 2 - 0.05), (x, r, -d / 2 - 0.05), r, sections=10)
    else:
        b.rod("leg", (-x, ytop, 0.0), (x, ytop, 0.0), r * 0.9, sections=8)


def _back_outline(wb: float, wt: float, bh: float, top: str, amount: float) -> np.ndarray:
    """Convex (x, y) outline of a solid back from y=0 to y=bh."""
    if top == "arched":
        xs = np.linspace(wt / 2, -wt / 2, 9)
        ys = bh - amount * (xs / (wt / 2)) ** 2
        return np.concatenate([[[-wb / 2, 0.0], [wb / 2, 0.0]], np.stack([xs, ys], 1)])
    if top == "rounded":
        rc = min(amount * 1.5, wt / 2 - 1e-3, bh / 2)
        a = np.radians(np.linspace(0, 90, 5))
        right = np.stack([wt / 2 - rc + rc * np.cos(a), bh - rc + rc * np.sin(a)], 1)
        left = np.stack([-wt / 2 + rc - rc * np.sin(a), bh - rc + rc * np.cos(a)], 1)
        return np.concatenate([[[-wb / 2, 0.0], [wb / 2, 0.0]], right, left])
    return np.array([[-wb / 2, 0.0], [wb / 2, 0.0], [wt / 2, bh], [-wt / 2, bh]])


def _back(b: MeshBuilder, p: dict) -> None:
    """The back in a local frame: x across, y up from the seat top, z the thickness (front +Z)."""
    style = p["back_style"]
    wb = p["back_width_ratio"] * p["seat_width"]
    if p["seat_shape"] == "round":
        wb = min(wb, 0.9 * p["seat_width"])
    wt = wb * p["back_taper"]
    bh = p["back_height"]
    bt = p["back_thickness"]
    st = p["seat_thickness"]
    top, amount = p["back_top"], min(p["back_top_amount"], 0.4 * bh)

    def width_at(y: float) -> float:
        return wb + (wt - wb) * y / bh

    if style == "solid":
        b.slab_z("back", _back_outline(wb, wt, bh, top, amount), -bt / 2, bt / 2)
        b.box("back", (0.0, -st / 2, 0.0), (wb * 0.8, st * 0.9, bt))  # joins the panel to the seat
    elif style == "curved":
        xs = np.linspace(-wb / 2, wb / 2, 11)
        path = np.stack([xs, np.zeros_like(xs), p["back_curvature"] * (xs / (wb / 2)) ** 2], 1)
        h = bh + st
        if top == "flat":
            scale_u = np.ones_like(xs)
        else:
            scale_u = 1.0 - (amount / h) * (xs / (wb / 2)) ** 2
        section = rect_section(h, bt, center=(h / 2 - st, 0.0))
        # section's first axis is up (+Y), the second the thickness; scale the height only
        scales = np.stack([scale_u, np.ones_like(xs)], 1)
        path[:, 1] = 0.0
        b.sweep("back", path, section, scales=scales, normal=(0.0, 1.0, 0.0))
    else:
        square = p["leg_section"] == "square"
        pt = float(np.clip(bt, 0.022, 0.045))
        top_y = bh + (0.03 if style == "ladder" else 0.0)
        for sgn in (1.0, -1.0):
            p0 = (sgn * (wb / 2 - pt / 2), -st, 0.0)
            p1 = (sgn * (width_at(top_y) / 2 - pt / 2), top_y, 0.0)
            b.rod("back", p0, p1, pt / 2, sections=10, square=square)
        rail_h = p["back_rail_height"]
        rail_t = 0.8 * bt

        def rail(y0: float, y1: float, thickness: float) -> None:
            wy = width_at(0.5 * (y0 + y1)) - pt
            b.box("back", (0.0, 0.5 * (y0 + y1), 0.0), (wy, y1 - y0, thickness))

        n = p["back_slats"]
        if style in ("frame", "vertical_slats", "horizontal_slats"):
            rail(bh - rail_h, bh, rail_t)
        if style == "frame":
            rail(0.04, 0.04 + 0.6 * rail_h, rail_t)
        elif style == "vertical_slats":
            y0, y1 = 0.04, bh - rail_h
            rail(y0, y0 + 0.03, rail_t * 0.8)
            inner0, inner1 = width_at(y0) - 2 * pt, width_at(y1) - 2 * pt
            sw = min(0.06, inner0 / (1.8 * n))
            for k in range(n):
                f = (k + 1) / (n + 1) - 0.5
                b.sweep("back", [(f * inner0, y0, 0.0), (f * inner1, y1 + 0.005, 0.0)],
                        rect_section(sw, 0.5 * bt), normal=(1.0, 0.0, 0.0))
        elif style == "horizontal_slats":
            y_lo, y_hi = 0.3 * bh, bh - rail_h
            slat_h = min(0.07, (y_hi - y_lo) / (1.6 * n))
            for k in range(n):
                yc = y_lo + (k + 0.5) * (y_hi - y_lo) / n
                rail(yc - slat_h / 2, yc + slat_h / 2, 0.6 * bt)
        elif style == "ladder":
            rung_r = float(np.clip(0.25 * bt, 0.008, 0.014))
            for k in range(n):
                yc = 0.25 * bh + (bh - 0.25 * bh) * k / max(n - 1, 1)
                wy = width_at(yc) / 2 - pt / 2
                b.rod("back", (-wy, yc, 0.0), (wy, yc, 0.0), rung_r, sections=8)
    if p["back_cushion"]:
        ct = p["cushion_thickness"]
        y0 = 0.02 + (p["cushion_thickness"] if p["seat_cushion"] else 0.0)
        outline = rounded_rect_section(0.85 * min(wb, wt), 0.88 * bh - y0, 0.04,
                                       center=(0.0, y0 + 0.5 * (0.88 * bh - y0)))
        b.slab_z("cushion", outline, bt / 2 - 0.005, bt / 2 + ct)


def _arms(b: MeshBuilder, p: dict, z_back: float) -> None:
    style = p["arms"]
    if style == "none":
        return
    w = p["seat_width"]
    sh, st = p["seat_height"], p["seat_thickness"]
    top = sh + p["arm_height"] + (p["cushion_thickness"] if p["seat_cushion"] else 0.0)
    at = p["arm_thickness"]
    front = _half_depth_at(p, w / 2 - at) - 0.03
    if style == "solid":
        for sgn in (1.0, -1.0):
            x = sgn * (w / 2 + at / 2 - 0.005)
            b.box_between("arm", (x - at / 2, sh - st - 0.04, z_back), (x + at / 2, top, front))
        return
    pad_h = 0.028
    square = p["leg_section"] == "square"
    post_r = float(np.clip(0.35 * at, 0.01, 0.02))
    single_post = p["leg_style"] in ("star", "pedestal")
    for sgn in (1.0, -1.0):
        x = sgn * (w / 2 - at / 2 + 0.01)
        if single_post:
            z0, z1 = -0.25 * p["seat_depth"], 0.3 * p["seat_depth"]
            b.box_between("arm", (x - at / 2, top - pad_h, z0), (x + at / 2, top, z1))
            b.rod("arm", (x, sh - st, 0.02), (x, top - pad_h + 0.002, 0.02), post_r, sections=8, square=True)
            b.box_between("arm", (x - 0.012, sh - st - 0.02, -0.05), (x + 0.012, sh - st + 0.005, 0.09))
        else:
            b.box_between("arm", (x - at / 2, top - pad_h, z_back), (x + at / 2, top, front + 0.02))
            zf = front - 0.04
            b.rod("arm", (x, sh - 0.01, zf), (x, top - pad_h + 0.002, zf), post_r, sections=8, square=square)


def build(p: dict) -> MeshBuilder:
    """Assemble the chair mesh described by ``p`` (see :func:`sample_params`)."""
    b = MeshBuilder(PART_NAMES)
    sh, st = p["seat_height"], p["seat_thickness"]
    y_bottom = sh - st
    b.prism_y("seat", seat_outline(p), y_bottom, sh)
    if p["seat_cushion"]:
        b.prism_y("cushion", seat_outline(p, 0.94)
                  if p["seat_shape"] != "square" else rounded_rect_section(0.94 * p["seat_width"],
                                                                         0.94 * p["seat_depth"], 0.04),
                  sh - 0.005, sh + p["cushion_thickness"], center=(0.0, 0.01))

    style = p["leg_style"]
    if style in FOUR_LEG_STYLES:
        axes = _four_legs(b, p, y_bottom)
        _stretchers(b, p, axes)
    elif style == "star":
        _star_base(b, p, y_bottom)
    elif style == "pedestal":
        _pedestal(b, p, y_bottom)
    else:
        _sled_or_cantilever(b, p, y_bottom)

    wb = p["back_width_ratio"] * p["seat_width"]
    z_back = -_half_depth_at(p, wb / 2) + p["back_thickness"] / 2 + 0.005
    with b.transform(affine(rot_x(-p["back_tilt"]), translation=(0.0, sh, z_back))):
        _back(b, p)
    _arms(b, p, z_back - p["back_thickness"] / 2)
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entry
# ----------------------------------------------------------------------------------------------


def describe(p: dict) -> Vocabulary:
    leg = p["leg_style"]
    arms = p["arms"]
    if leg == "star":
        nouns = ["office chair", "swivel chair", "desk chair"]
    elif leg == "pedestal":
        nouns = ["pedestal chair", "tulip chair", "chair"]
    elif leg == "cantilever":
        nouns = ["cantilever chair", "tubular steel chair", "chair"]
    elif leg == "sled":
        nouns = ["sled-base chair", "chair"]
    elif arms != "none":
        nouns = ["armchair", "chair with arms"]
    else:
        nouns = ["chair", "side chair", "dining chair"]
    attrs: list[Phrase] = []
    sec = {"round": ["round", "cylindrical"], "square": ["square"]}[p["leg_section"]]
    if leg == "straight":
        attrs.append([f"four straight {sec[0]} legs"] + [f"four straight {s} legs" for s in sec[1:]]
                     + ["four vertical legs"])
    elif leg == "splayed":
        attrs.append(["four splayed legs", "four legs angled outwards", "splayed legs"])
    elif leg == "tapered":
        attrs.append(["four tapered legs", "four legs that narrow towards the floor", "tapered legs"])
    elif leg == "star":
        n = count_word(p["star_arms"])
        base = [f"a {n}-star base", f"a star base with {n} spokes", "a star base"]
        if p["casters"]:
            base = [b + " on casters" for b in base] + [f"a {n}-spoke base on wheels"]
        attrs.append(base)
    elif leg == "pedestal":
        attrs.append(["a single pedestal base", "a flared central pedestal", "a tulip base"])
    elif leg == "sled":
        attrs.append(["a sled base", "tubular sled runners", "a sled-style tube frame"])
    else:
        attrs.append(["a cantilever tube frame", "a cantilevered tubular base", "a cantilever base"])
    seat = {"square": ["a square seat", "a rectangular seat"],
            "rounded": ["a seat with rounded corners", "a rounded seat"],
            "round": ["a round seat", "a circular seat"]}[p["seat_shape"]]
    if p["seat_thickness"] > 0.065:
        seat = [s.replace("a ", "a thick ", 1) for s in seat]
    elif p["seat_thickness"] < 0.03:
        seat = [s.replace("a ", "a thin ", 1) for s in seat]
    attrs.append(seat)
    style = p["back_style"]
    n = count_word(p["back_slats"])
    back_words = {
        "solid": ["solid back", "solid backrest", "panel back"],
        "vertical_slats": [f"back with {n} vertical slats", "vertically slatted back", "back with vertical slats"],
        "horizontal_slats": [f"back with {n} horizontal slats", "horizontally slatted back",
                             "back with horizontal slats"],
        "frame": ["open-frame back", "open back frame", "hollow frame back"],
        "ladder": ["ladder back", f"ladder back with {n} rungs", "ladder-style back"],
        "curved": ["curved back", "wraparound curved back", "curved backrest"],
    }[style]
    bh = p["back_height"]
    height = "tall " if bh > 0.52 else ("low " if bh < 0.38 else "")
    recline = "reclined " if p["back_tilt"] > 14 else ""
    phrases = [f"a {height}{recline}{w}" for w in back_words]
    phrases = [("an " + ph[2:]) if ph[2] in "aeiou" else ph for ph in phrases]
    attrs.append(phrases)
    attrs.append({"none": ["no arms", "no armrests"],
                  "solid": ["solid arms", "panel armrests", "closed sides"],
                  "open": ["open armrests", "open arms", "armrests"]}[arms])
    if p["stretchers"] == "h":
        attrs.append(["an H-shaped stretcher", "H stretchers between the legs"])
    elif p["stretchers"] == "box":
        attrs.append(["box stretchers", "stretchers on all four sides"])
    if p["seat_cushion"]:
        attrs.append(["a seat cushion", "a cushion on the seat"])
    if p.get("back_cushion"):
        attrs.append(["a padded back", "a back cushion"])
    return nouns, attrs


SPEC = CategorySpec("chair", PART_NAMES, sample_params, build, describe, "leg_style", LEG_STYLES)
