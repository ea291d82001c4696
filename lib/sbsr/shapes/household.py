"""Procedural sofas, beds and bookshelves (simpler than chairs, but with parts).

Units are metres before normalisation; the front (where one sits, the foot of a bed, the open side of
a bookshelf) faces +Z.
"""

from __future__ import annotations

import numpy as np

from .base import MeshBuilder, ParamSampler, affine, rot_x, rounded_rect_section
from .spec import CategorySpec, Phrase, Vocabulary, count_word

# ----------------------------------------------------------------------------------------------
# Sofa
# ----------------------------------------------------------------------------------------------

SOFA_PART_NAMES = ("base", "seat_cushion", "back", "back_cushion", "arm", "leg")
SOFA_ARMS = ("none", "square", "rolled", "sloped", "thin")
SOFA_LEGS = ("short", "tapered", "plinth", "sled")
SOFA_BACKS = ("solid", "cushions", "low")


def sample_sofa_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    n = s.choice([1, 2, 3, 4], p=[0.15, 0.3, 0.4, 0.15])
    return {
        "n_seats": n,
        "seat_width": s.uniform(0.5, 0.7),
        "depth": s.uniform(0.8, 1.0),
        "seat_height": s.uniform(0.38, 0.48),
        "cushion_thickness": s.uniform(0.08, 0.16),
        "split_cushions": s.flip(0.65),
        "leg_style": s.choice(SOFA_LEGS, p=[0.35, 0.3, 0.25, 0.1]),
        "leg_height": s.uniform(0.05, 0.18),
        "arm_style": s.choice(SOFA_ARMS, p=[0.1, 0.3, 0.25, 0.2, 0.15]),
        "arm_height": s.uniform(0.1, 0.26),
        "arm_width": s.uniform(0.1, 0.26),
        "back_style": s.choice(SOFA_BACKS, p=[0.35, 0.45, 0.2]),
        "back_height": s.uniform(0.3, 0.55),
        "back_thickness": s.uniform(0.12, 0.25),
        "back_tilt": s.uniform(0.0, 14.0),
        "chaise": s.choice(["none", "left", "right"], p=[0.7, 0.15, 0.15]) if n >= 2 else "none",
        "chaise_length": s.uniform(0.45, 0.75),
        "corner_radius": s.uniform(0.01, 0.08),
    }


def _soft_box(b: MeshBuilder, part: str, lo, hi, radius: float) -> None:
    """A box with rounded vertical edges (rounded outline in XZ, extruded in Y)."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    size = hi - lo
    centre = (lo + hi) / 2
    b.prism_y(part, rounded_rect_section(size[0], size[2], radius, 3), lo[1], hi[1], center=(centre[0], centre[2]))


def build_sofa(p: dict) -> MeshBuilder:
    b = MeshBuilder(SOFA_PART_NAMES)
    n, sw, D = p["n_seats"], p["seat_width"], p["depth"]
    arms = p["arm_style"]
    aw = 0.0 if arms == "none" else (0.06 if arms == "thin" else p["arm_width"])
    inner = n * sw
    W = inner + 2 * aw
    legs = p["leg_style"]
    lh = 0.0 if legs == "plinth" else p["leg_height"]
    sh, ct = p["seat_height"], p["cushion_thickness"]
    base_top = sh - ct
    bt = p["back_thickness"]
    rad = p["corner_radius"]
    zb, zf = -D / 2, D / 2
    chaise = p["chaise"]
    cl = p["chaise_length"]
    # base (the upholstered frame under the seat cushions)
    _soft_box(b, "base", (-inner / 2, lh, zb), (inner / 2, base_top, zf), rad)
    if chaise != "none":
        sgn = 1.0 if chaise == "left" else -1.0
        x0, x1 = sorted((sgn * inner / 2, sgn * (inner / 2 - sw)))
        _soft_box(b, "base", (x0, lh, zf - 0.1), (x1, base_top, zf + cl), rad)
    if legs == "plinth":
        b.box_between("leg", (-inner / 2 + 0.05, 0.0, zb + 0.05), (inner / 2 - 0.05, 0.04, zf - 0.05))
    # seat cushions
    zc0 = zb + bt
    k = n if p["split_cushions"] else 1
    cw = inner / k
    for i in range(k):
        x0 = -inner / 2 + i * cw
        zend = zf + 0.02
        if chaise != "none":
            sgn = 1.0 if chaise == "left" else -1.0
            on_chaise = (sgn > 0 and i == k - 1) or (sgn < 0 and i == 0)
            if on_chaise and k > 1:
                zend = zf + cl
        _soft_box(b, "seat_cushion", (x0 + 0.005, base_top - 0.005, zc0), (x0 + cw - 0.005, sh, zend), max(rad, 0.03))
    if chaise != "none" and k == 1:
        sgn = 1.0 if chaise == "left" else -1.0
        x0, x1 = sorted((sgn * inner / 2, sgn * (inner / 2 - sw)))
        _soft_box(b, "seat_cushion", (x0 + 0.005, base_top - 0.005, zf - 0.05), (x1 - 0.005, sh, zf + cl),
                  max(rad, 0.03))
    # back, tilted about its bottom rear edge
    bh = p["back_height"] * (0.55 if p["back_style"] == "low" else 1.0)
    with b.transform(affine(rot_x(-p["back_tilt"]), pivot=(0.0, lh, zb))):
        _soft_box(b, "back", (-inner / 2, lh, zb), (inner / 2, sh + bh, zb + bt), rad)
        if p["back_style"] == "cushions":
            for i in range(n):
                x0 = -inner / 2 + i * sw
                _soft_box(b, "back_cushion", (x0 + 0.01, sh - 0.01, zb + bt - 0.02),
                          (x0 + sw - 0.01, sh + 0.9 * bh, zb + bt + 0.12), 0.05)
    # arms
    top = sh + p["arm_height"]
    for sgn in (1.0, -1.0):
        if arms == "none":
            break
        xa0, xa1 = sorted((sgn * inner / 2, sgn * (inner / 2 + aw)))
        if arms in ("square", "thin"):
            _soft_box(b, "arm", (xa0, lh, zb), (xa1, top, zf), rad)
        elif arms == "rolled":
            r = 0.5 * aw + 0.03
            _soft_box(b, "arm", (xa0, lh, zb), (xa1, top - r, zf), rad)
            xc = 0.5 * (xa0 + xa1) + sgn * 0.02
            b.rod("arm", (xc, top - r, zb), (xc, top - r, zf + 0.02), r, sections=14)
        else:  # sloped: lower at the front
            outline_zy = np.array([[zb, lh], [zf, lh], [zf, top - 0.12], [zf - 0.15, top - 0.05], [zb, top]])
            b.slab_x("arm", outline_zy, xa0, xa1)
    # legs
    if legs in ("short", "tapered"):
        xs = [-W / 2 + 0.06, W / 2 - 0.06] + ([0.0] if n >= 3 else [])
        for x in xs:
            for z in (zb + 0.06, zf - 0.06):
                b.rod("leg", (x, lh + 0.005, z), (x, 0.0, z), 0.025, 0.025 * (0.5 if legs == "tapered" else 1.0),
                      sections=8, square=legs == "short")
    elif legs == "sled":
        for x in (-W / 2 + 0.05, W / 2 - 0.05):
            b.box_between("leg", (x - 0.015, 0.0, zb + 0.05), (x + 0.015, 0.025, zf - 0.05))
            for z in (zb + 0.08, zf - 0.08):
                b.box_between("leg", (x - 0.015, 0.0, z - 0.015), (x + 0.015, lh + 0.005, z + 0.015))
    return b


# ----------------------------------------------------------------------------------------------
# Bed
# ----------------------------------------------------------------------------------------------

BED_PART_NAMES = ("frame", "mattress", "headboard", "footboard", "leg", "pillow", "blanket")
HEADBOARDS = ("panel", "slats", "arched", "padded")
FOOTBOARDS = ("none", "low", "panel")
BED_LEGS = ("short", "posts", "platform")


def sample_bed_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    width = s.choice([0.9, 1.4, 1.6, 1.8, 2.0], p=[0.2, 0.25, 0.25, 0.15, 0.15]) + s.uniform(-0.02, 0.02)
    return {
        "width": width,
        "length": s.uniform(1.95, 2.2),
        "frame_height": s.uniform(0.2, 0.45),
        "frame_thickness": s.uniform(0.12, 0.25),
        "mattress_thickness": s.uniform(0.15, 0.3),
        "headboard": s.choice(HEADBOARDS),
        "headboard_height": s.uniform(0.35, 1.0),
        "headboard_slats": s.integer(4, 10),
        "footboard": s.choice(FOOTBOARDS, p=[0.5, 0.3, 0.2]),
        "footboard_height": s.uniform(0.1, 0.4),
        "legs": s.choice(BED_LEGS, p=[0.5, 0.2, 0.3]),
        "leg_height": s.uniform(0.05, 0.2),
        "post_height": s.uniform(0.8, 1.5),
        "n_pillows": 1 if width < 1.2 else s.choice([1, 2], p=[0.25, 0.75]),
        "blanket": s.flip(0.5),
        "blanket_cover": s.uniform(0.45, 0.8),
    }


def build_bed(p: dict) -> MeshBuilder:
    b = MeshBuilder(BED_PART_NAMES)
    W, L = p["width"], p["length"]
    hw, hl = W / 2, L / 2
    fh, ft = p["frame_height"], p["frame_thickness"]
    legs = p["legs"]
    y_frame0 = 0.0 if legs == "platform" else min(p["leg_height"], fh - 0.08)
    b.box_between("frame", (-hw, y_frame0, -hl), (hw, fh, hl))
    mt = p["mattress_thickness"]
    top = fh + mt
    _soft_box(b, "mattress", (-hw + 0.02, fh - 0.03, -hl + 0.03), (hw - 0.02, top, hl - 0.02), 0.06)
    if p["blanket"]:
        zc = hl - p["blanket_cover"] * L
        b.box_between("blanket", (-hw - 0.01, top - 0.6 * mt, zc), (hw + 0.01, top + 0.025, hl + 0.01))
    # pillows
    n = p["n_pillows"]
    pw = (W - 0.12) / n
    for i in range(n):
        x0 = -hw + 0.06 + i * pw
        _soft_box(b, "pillow", (x0 + 0.02, top - 0.01, -hl + 0.06), (x0 + pw - 0.02, top + 0.12, -hl + 0.5), 0.08)
    # headboard at the back (-Z)
    hh = top + p["headboard_height"]
    hz0, hz1 = -hl - 0.06, -hl
    style = p["headboard"]
    if style == "panel":
        b.box_between("headboard", (-hw - 0.02, y_frame0, hz0), (hw + 0.02, hh, hz1))
    elif style == "padded":
        b.box_between("headboard", (-hw - 0.02, y_frame0, hz0), (hw + 0.02, fh + 0.1, hz1))
        outline = rounded_rect_section(W + 0.04, hh - fh - 0.05, 0.12, center=(0.0, 0.5 * (hh + fh + 0.05)))
        b.slab_z("headboard", outline, hz0, hz1 + 0.05)
    elif style == "arched":
        xs = np.linspace(hw + 0.02, -hw - 0.02, 11)
        ys = hh - 0.25 * p["headboard_height"] * (xs / (hw + 0.02)) ** 2
        outline = np.concatenate([[[-hw - 0.02, y_frame0], [hw + 0.02, y_frame0]], np.stack([xs, ys], 1)])
        b.slab_z("headboard", outline, hz0, hz1)
    else:  # slats between two posts and a top rail
        for x in (-hw - 0.02, hw + 0.02):
            b.box_between("headboard", (x - 0.04, y_frame0, hz0), (x + 0.04, hh, hz1))
        b.box_between("headboard", (-hw, hh - 0.08, hz0), (hw, hh, hz1))
        b.box_between("headboard", (-hw, fh, hz0), (hw, fh + 0.06, hz1))
        k = p["headboard_slats"]
        for i in range(k):
            x = -hw + (i + 1) * W / (k + 1)
            b.box_between("headboard", (x - 0.02, fh + 0.06, hz0 + 0.015), (x + 0.02, hh - 0.08, hz1 - 0.015))
    # footboard at the front (+Z)
    if p["footboard"] != "none":
        fz0, fz1 = hl, hl + 0.05
        fb_top = fh + (p["footboard_height"] if p["footboard"] == "panel" else 0.5 * p["footboard_height"])
        if p["footboard"] == "panel":
            fb_top = max(fb_top, top + 0.05)
        b.box_between("footboard", (-hw - 0.02, y_frame0, fz0), (hw + 0.02, fb_top, fz1))
    # legs / posts
    if legs == "short":
        for x in (-hw + 0.05, hw - 0.05):
            for z in (-hl + 0.05, hl - 0.05):
                b.rod("leg", (x, y_frame0 + 0.005, z), (x, 0.0, z), 0.03, 0.025, sections=8)
    elif legs == "posts":
        ph = max(p["post_height"] + top, hh + 0.1)
        for x in (-hw - 0.03, hw + 0.03):
            for z in (-hl - 0.03, hl + 0.03):
                b.rod("leg", (x, 0.0, z), (x, ph, z), 0.035, 0.025, sections=8, square=True)
        if p["post_height"] > 1.2:  # canopy frame
            for z in (-hl - 0.03, hl + 0.03):
                b.box_between("leg", (-hw - 0.03, ph - 0.04, z - 0.02), (hw + 0.03, ph, z + 0.02))
            for x in (-hw - 0.03, hw + 0.03):
                b.box_between("leg", (x - 0.02, ph - 0.04, -hl - 0.03), (x + 0.02, ph, hl + 0.03))
    return b


# ----------------------------------------------------------------------------------------------
# Bookshelf
# ----------------------------------------------------------------------------------------------

BOOKSHELF_PART_NAMES = ("side", "shelf", "back", "base", "divider", "book")
BOOKSHELF_SIDES = ("panel", "frame", "ladder")


def sample_bookshelf_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    return {
        "width": s.uniform(0.4, 1.5),
        "height": s.uniform(0.6, 2.0),
        "depth": s.uniform(0.22, 0.4),
        "board": s.uniform(0.015, 0.035),
        "side_style": s.choice(BOOKSHELF_SIDES, p=[0.6, 0.25, 0.15]),
        "n_shelves": s.integer(2, 6),
        "back": s.flip(0.6),
        "plinth": s.flip(0.4),
        "dividers": s.choice([0, 1, 2], p=[0.6, 0.25, 0.15]),
        "books": s.flip(0.55),
        "book_fill": s.uniform(0.2, 0.85),
        "book_seed": s.integer(0, 2**31 - 1),
        "ladder_lean": s.uniform(8.0, 15.0),
    }


def build_bookshelf(p: dict) -> MeshBuilder:
    b = MeshBuilder(BOOKSHELF_PART_NAMES)
    W, H, D, t = p["width"], p["height"], p["depth"], p["board"]
    hw, hd = W / 2, D / 2
    style = p["side_style"]
    y0 = 0.08 if p["plinth"] and style != "ladder" else 0.0
    n = p["n_shelves"]
    levels = [y0 + (H - y0 - t) * i / n for i in range(n + 1)]  # bottoms of the boards
    if style == "ladder":
        # leaning ladder shelf: shelves get shallower towards the top
        lean = np.tan(np.radians(p["ladder_lean"]))
        for x in (-hw, hw - t):
            b.sweep("side", [(x + t / 2, 0.0, hd), (x + t / 2, H, hd - H * lean)],
                    np.array([[-t / 2, -0.02], [t / 2, -0.02], [t / 2, 0.02], [-t / 2, 0.02]]), normal=(1.0, 0.0, 0.0))
            b.sweep("side", [(x + t / 2, 0.0, -hd - 0.1), (x + t / 2, H * 0.97, hd - H * lean - 0.02)],
                    np.array([[-t / 2, -0.015], [t / 2, -0.015], [t / 2, 0.015], [-t / 2, 0.015]]),
                    normal=(1.0, 0.0, 0.0))
        shelf_spans = []
        for y in levels[1:]:
            zf = hd - (y + t) * lean
            zb = zf - max(0.12, D * (1 - 0.5 * y / H))
            b.box_between("shelf", (-hw + t, y, zb), (hw - t, y + t, zf))
            shelf_spans.append((zb, zf))
        bottoms = levels[1:]
    else:
        if style == "panel":
            for x in (-hw, hw - t):
                b.box_between("side", (x, 0.0, -hd), (x + t, H, hd))
        else:  # frame: four posts
            for x in (-hw + 0.02, hw - 0.02):
                for z in (-hd + 0.02, hd - 0.02):
                    b.box_between("side", (x - 0.02, 0.0, z - 0.02), (x + 0.02, H, z + 0.02))
        for y in levels:
            b.box_between("shelf", (-hw + t, y, -hd), (hw - t, y + t, hd))
        if p["back"]:
            b.box_between("back", (-hw + t, y0, -hd), (hw - t, H, -hd + 0.008))
        if p["plinth"]:
            b.box_between("base", (-hw + t, 0.0, -hd + 0.02), (hw - t, y0 + 0.002, hd - 0.03))
        for k in range(p["dividers"]):
            x = -hw + W * (k + 1) / (p["dividers"] + 1)
            for y_lo, y_hi in zip(levels[:-1], levels[1:]):
                b.box_between("divider", (x - t / 2, y_lo + t, -hd), (x + t / 2, y_hi, hd - 0.01))
        shelf_spans = [(-hd, hd)] * n
        bottoms = levels[:-1]
    if p["books"]:
        rng = np.random.default_rng(p["book_seed"])
        gap = (H - y0) / n - t
        for (zb, zf), y in zip(shelf_spans, bottoms):
            if rng.random() > 0.85:
                continue
            x = -hw + t + 0.01
            x_end = -hw + t + p["book_fill"] * (W - 2 * t) * rng.uniform(0.6, 1.0)
            while x < x_end:
                bw = rng.uniform(0.02, 0.05)
                bh = min(gap * rng.uniform(0.55, 0.92), 0.4)
                bd = min(zf - zb - 0.02, rng.uniform(0.15, 0.25))
                b.box_between("book", (x, y + t, zf - bd - 0.01), (x + bw, y + t + bh, zf - 0.01))
                x += bw + 0.002
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entries
# ----------------------------------------------------------------------------------------------


def describe_sofa(p: dict) -> Vocabulary:
    n = p["n_seats"]
    nouns = {1: ["single-seat sofa", "armchair sofa"], 2: ["loveseat", "two-seater sofa"],
             3: ["three-seater sofa", "sofa", "couch"], 4: ["four-seat sofa", "long couch"]}[n]
    if p["chaise"] != "none":
        nouns = ["sectional sofa", "corner sofa with a chaise"] + nouns[:1]
    attrs: list[Phrase] = [{"none": ["no arms", "no armrests"], "square": ["square arms", "boxy armrests"],
                            "rolled": ["rolled arms", "scrolled armrests"],
                            "sloped": ["sloped arms", "slanted armrests"],
                            "thin": ["thin track arms", "slim arms"]}[p["arm_style"]]]
    back = p["back_style"]
    if back == "cushions":
        attrs.append([f"{count_word(n)} back cushion{'s' if n > 1 else ''}", "loose back cushions"])
    elif back == "low":
        attrs.append(["a low back", "a low backrest"])
    else:
        attrs.append(["a solid upholstered back", "a tight back"])
    k = n if p["split_cushions"] else 1
    attrs.append([f"{count_word(k)} seat cushions", f"{count_word(k)} separate seat cushions"] if k > 1
                 else ["a single bench seat cushion", "one long seat cushion"])
    attrs.append({"short": ["short square legs", "short legs"], "tapered": ["tapered legs", "short tapered legs"],
                  "plinth": ["a plinth base", "no visible legs"],
                  "sled": ["metal sled legs", "sled feet"]}[p["leg_style"]])
    if p["chaise"] != "none":
        attrs.append([f"a chaise on its {p['chaise']}", f"a chaise extension on the {p['chaise']}"])
    return nouns, attrs


SOFA = CategorySpec("sofa", SOFA_PART_NAMES, sample_sofa_params, build_sofa, describe_sofa)


def describe_bed(p: dict) -> Vocabulary:
    nouns = ["single bed", "twin bed"] if p["width"] < 1.2 else ["double bed", "bed"]
    if p["legs"] == "posts":
        nouns = (["four-poster bed", "canopy bed"] if p["post_height"] > 1.2
                 else ["four-poster bed", "bed with corner posts"])
    attrs: list[Phrase] = []
    hb = {"panel": ["a panel headboard", "a flat headboard"],
          "slats": ["a slatted headboard", "a headboard with slats"],
          "arched": ["an arched headboard", "a curved-top headboard"],
          "padded": ["a padded headboard", "an upholstered headboard"]}[p["headboard"]]
    if p["headboard_height"] > 0.8:
        hb = [f"a tall {h.split(' ', 1)[1]}" for h in hb]
    attrs.append(hb)
    attrs.append({"none": ["no footboard", "an open foot end"], "low": ["a low footboard"],
                  "panel": ["a panel footboard", "a footboard"]}[p["footboard"]])
    if p["legs"] == "short":
        attrs.append(["short legs", "four short legs"])
    elif p["legs"] == "platform":
        attrs.append(["a platform base", "a base down to the floor"])
    np_ = p["n_pillows"]
    pillows = f"{count_word(np_)} pillow{'s' if np_ > 1 else ''}"
    attrs.append([pillows, f"{pillows} at the head"])
    if p["blanket"]:
        attrs.append(["a blanket", "a folded-back blanket", "a bedspread"])
    return nouns, attrs


BED = CategorySpec("bed", BED_PART_NAMES, sample_bed_params, build_bed, describe_bed)


def describe_bookshelf(p: dict) -> Vocabulary:
    style = p["side_style"]
    nouns = (["ladder shelf", "leaning A-frame bookshelf"] if style == "ladder"
             else ["bookshelf", "bookcase", "shelving unit"])
    n = p["n_shelves"]
    attrs: list[Phrase] = [[f"{count_word(n)} shelves", f"{count_word(n)} levels"]]
    if style == "panel":
        attrs.append(["solid side panels", "panel sides"])
    elif style == "frame":
        attrs.append(["a frame of four posts", "open post sides"])
    if style != "ladder":
        attrs.append(["a back panel", "a closed back"] if p["back"] else ["an open back", "no back panel"])
        if p["plinth"]:
            attrs.append(["a plinth", "a base plinth"])
        if p["dividers"]:
            d = p["dividers"]
            attrs.append([f"{count_word(d)} vertical divider{'s' if d > 1 else ''}", "vertical dividers"])
    if p["books"]:
        attrs.append(["some books", "books on its shelves", "a few rows of books"])
    if p["height"] > 1.5:
        attrs.append(["a tall frame", "a tall body"])
    elif p["height"] < 0.9:
        attrs.append(["a low frame", "a low body"])
    return nouns, attrs


BOOKSHELF = CategorySpec("bookshelf", BOOKSHELF_PART_NAMES, sample_bookshelf_params, build_bookshelf,
                         describe_bookshelf, "side_style", BOOKSHELF_SIDES)
