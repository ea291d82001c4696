"""Truthful text captions of procedural shapes and of the viewpoint, for CLIP-style text training.

A caption names the object (a noun chosen from synonyms that all fit its parameters), lists some of
its part attributes (each phrase has synonyms; every phrase is implied by the generating params)
and, when a viewpoint is given, says where the camera is.

Viewpoint convention (the same as :class:`sbsr.render.Camera`): azimuth 0 puts the camera in front
of the object (on -Z); positive azimuth turns the camera towards -X, which is the object's own
*left* (the left hand of a person sitting on a chair that faces -Z). Side words always refer to the
object's own left and right: azimuth +90 is "seen from the left", -90 (= 270) "seen from the right",
180 "seen from the back", +45 "seen from the front left". Elevation is the camera's angle above
the ground plane: below -10 "from below", -10..10 "at eye level", 10..40 "slightly from above",
40..70 "from above", 70 and more "from high above".

With ``rng=None`` the caption is deterministic: the first noun, every attribute with its first
wording, in a fixed order and template.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Phrase = list[str]  # synonyms of one truthful phrase

# ----------------------------------------------------------------------------------------------
# Viewpoint words
# ----------------------------------------------------------------------------------------------

_AZIMUTH_SECTORS = (
    # (centre azimuth, canonical name, wordings)
    (0.0, "front", ["the front", "the front side", "straight ahead"]),
    (45.0, "front left", ["the front left", "the front-left", "the front, slightly to its left"]),
    (90.0, "left", ["the left", "the left side", "its left side"]),
    (135.0, "back left", ["the back left", "the rear left", "behind, on its left"]),
    (180.0, "back", ["the back", "behind", "the rear"]),
    (-135.0, "back right", ["the back right", "the rear right", "behind, on its right"]),
    (-90.0, "right", ["the right", "the right side", "its right side"]),
    (-45.0, "front right", ["the front right", "the front-right", "the front, slightly to its right"]),
)


def azimuth_name(azimuth: float) -> str:
    """One of the 8 sector names ("front", "front left", "left", ..., "front right"), each
    spanning 45 degrees centred on multiples of 45."""
    sector = int(np.floor((float(azimuth) + 22.5) / 45.0)) % 8  # [-22.5, 22.5) is the front
    return _AZIMUTH_SECTORS[sector][1]


def elevation_name(elevation: float) -> str:
    e = float(elevation)
    if e < -10:
        return "below"
    if e < 10:
        return "eye level"
    if e < 40:
        return "slightly above"
    if e < 70:
        return "above"
    return "high above"


_ELEVATION_WORDS = {
    "below": [" and from below", ", looking up at it"],
    "eye level": ["", " at eye level"],
    "slightly above": [" and slightly above", ", slightly from above"],
    "above": [" and from above", ", looking down on it"],
    "high above": [", from high above", ", almost from the top"],
}


def view_phrase(azimuth: float | None, elevation: float | None, rng: np.random.Generator | None = None) -> str:
    """E.g. "seen from the front left and slightly above" (empty when azimuth is None)."""
    if azimuth is None:
        return ""
    name = azimuth_name(azimuth)
    wordings = next(w for _, n, w in _AZIMUTH_SECTORS if n == name)
    verbs = ["seen from", "viewed from", "as seen from"]
    pick = (lambda opts: opts[0]) if rng is None else (lambda opts: opts[int(rng.integers(len(opts)))])
    side = pick(wordings)
    verb = pick(verbs)
    text = f"{verb} {side}" if side != "behind" else f"{pick(['seen', 'viewed'])} from behind"
    if side == "straight ahead":
        text = f"{pick(['seen', 'viewed'])} straight from the front"
    if elevation is not None:
        text += pick(_ELEVATION_WORDS[elevation_name(elevation)])
    return text


# ----------------------------------------------------------------------------------------------
# Category vocabularies: (nouns, attribute phrases) from params
# ----------------------------------------------------------------------------------------------


def _count(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
            9: "nine", 10: "ten"}.get(int(n), str(int(n)))


def _chair(p: dict) -> tuple[list[str], list[Phrase]]:
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
        n = _count(p["star_arms"])
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
    n = _count(p["back_slats"])
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


_SHADE_WORDS = {"cone": ["conical", "cone-shaped", "tapered"], "cylinder": ["cylindrical", "drum"],
                "dome": ["dome", "domed"], "bell": ["bell-shaped", "bell"]}


def _lamp(p: dict) -> tuple[list[str], list[Phrase]]:
    kind, stem, n = p["kind"], p["stem_style"], p["n_arms"]
    if kind == "pendant":
        nouns = ["pendant lamp", "hanging lamp", "ceiling pendant light"] if n == 1 else \
            ["chandelier", f"{_count(n)}-arm chandelier", "hanging light with arms"]
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
                      [f"{_count(n)} long arched arms", f"{_count(n)} arms arching outwards"])
    elif stem == "segmented":
        attrs.append(["a jointed two-segment arm", "an articulated arm", "an adjustable jointed arm"])
    else:
        attrs.append(["a flexible gooseneck", "a wavy flexible neck", "a bendable neck"])
    shade = _SHADE_WORDS[p["shade_style"]]
    if n == 1:
        phr = [f"a {w} shade" for w in shade]
    else:
        phr = [f"{_count(n)} {w} shades" for w in shade]
        if stem != "arched":
            attrs.append([f"{_count(n)} curved arms", f"{_count(n)} branching arms"])
    if p["shade_facing"] == "up":
        phr = [f"{x} facing up" for x in phr] + [f"{x.replace(' shade', ' upturned shade')}" for x in phr[:1]]
    attrs.append(phr)
    if p["bulb"]:
        attrs.append(["a visible bulb", "an exposed bulb"] if n == 1 else ["visible bulbs", "exposed bulbs"])
    return nouns, attrs


def _table(p: dict) -> tuple[list[str], list[Phrase]]:
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
        attrs.append([f"{_count(n)} drawer{'s' if n > 1 else ''} under the top",
                      f"{_count(n)} front drawer{'s' if n > 1 else ''}"])
    if p["drawer_unit"]:
        attrs.append(["a drawer unit on one side", "a pedestal of drawers"])
    if p["shelf"]:
        attrs.append(["a lower shelf", "a shelf underneath"])
    return nouns, attrs


def _cabinet(p: dict) -> tuple[list[str], list[Phrase]]:
    front, tall = p["front"], p["height"] > 1.5
    nouns = {"doors": ["wardrobe", "tall cabinet"] if tall else ["cabinet", "cupboard"],
             "drawers": ["chest of drawers", "dresser", "drawer cabinet"],
             "mixed": ["sideboard", "cabinet with drawers and doors"] if not tall else ["tall cabinet", "cupboard"],
             "open": ["open cabinet", "open shelving unit"],
             "glass": ["display cabinet", "glass-door cabinet", "vitrine"]}[front]
    attrs: list[Phrase] = []
    nd = p["n_doors"]
    door_phr = [f"{_count(nd)} door{'s' if nd > 1 else ''}", f"{_count(nd)} front door{'s' if nd > 1 else ''}"]
    rows = p["n_drawer_rows"]
    if front == "doors":
        attrs.append(door_phr)
    elif front == "drawers":
        cols = p["drawer_columns"]
        attrs.append([f"{_count(rows)} rows of drawers", f"{_count(rows * cols)} drawers"])
    elif front == "mixed":
        r = max(1, min(2, rows // 2))
        attrs.append([f"{_count(r * p['drawer_columns'])} drawer{'s' if r * p['drawer_columns'] > 1 else ''} above "
                      f"{_count(nd)} door{'s' if nd > 1 else ''}", "drawers above doors"])
    elif front == "open":
        attrs.append([f"{_count(p['n_shelves'])} open shelves" if p["n_shelves"] > 1 else "one open shelf",
                      "an open front with shelves"])
    else:
        attrs.append([f"{_count(nd)} glass door{'s' if nd > 1 else ''}", "framed glass doors"])
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


def _sofa(p: dict) -> tuple[list[str], list[Phrase]]:
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
        attrs.append([f"{_count(n)} back cushion{'s' if n > 1 else ''}", "loose back cushions"])
    elif back == "low":
        attrs.append(["a low back", "a low backrest"])
    else:
        attrs.append(["a solid upholstered back", "a tight back"])
    k = n if p["split_cushions"] else 1
    attrs.append([f"{_count(k)} seat cushions", f"{_count(k)} separate seat cushions"] if k > 1
                 else ["a single bench seat cushion", "one long seat cushion"])
    attrs.append({"short": ["short square legs", "short legs"], "tapered": ["tapered legs", "short tapered legs"],
                  "plinth": ["a plinth base", "no visible legs"],
                  "sled": ["metal sled legs", "sled feet"]}[p["leg_style"]])
    if p["chaise"] != "none":
        attrs.append([f"a chaise on its {p['chaise']}", f"a chaise extension on the {p['chaise']}"])
    return nouns, attrs


def _bed(p: dict) -> tuple[list[str], list[Phrase]]:
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
    pillows = f"{_count(np_)} pillow{'s' if np_ > 1 else ''}"
    attrs.append([pillows, f"{pillows} at the head"])
    if p["blanket"]:
        attrs.append(["a blanket", "a folded-back blanket", "a bedspread"])
    return nouns, attrs


def _bookshelf(p: dict) -> tuple[list[str], list[Phrase]]:
    style = p["side_style"]
    nouns = (["ladder shelf", "leaning A-frame bookshelf"] if style == "ladder"
             else ["bookshelf", "bookcase", "shelving unit"])
    n = p["n_shelves"]
    attrs: list[Phrase] = [[f"{_count(n)} shelves", f"{_count(n)} levels"]]
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
            attrs.append([f"{_count(d)} vertical divider{'s' if d > 1 else ''}", "vertical dividers"])
    if p["books"]:
        attrs.append(["some books", "books on its shelves", "a few rows of books"])
    if p["height"] > 1.5:
        attrs.append(["a tall frame", "a tall body"])
    elif p["height"] < 0.9:
        attrs.append(["a low frame", "a low body"])
    return nouns, attrs


def _vase(p: dict) -> tuple[list[str], list[Phrase]]:
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


def _mug(p: dict) -> tuple[list[str], list[Phrase]]:
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


def _bottle(p: dict) -> tuple[list[str], list[Phrase]]:
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


def _airplane(p: dict) -> tuple[list[str], list[Phrase]]:
    eng = p["engines"]
    nouns = {"none": ["glider", "engineless airplane"], "wing2": ["twin-engine jet", "airliner", "jet airplane"],
             "wing4": ["four-engine airliner", "four-engine jet"],
             "rear2": ["jet with rear-mounted engines", "business jet"],
             "propeller": ["propeller plane", "propeller airplane", "light aircraft"]}[eng]
    sweep = p["wing_sweep"]
    wings = (["straight wings", "unswept wings"] if sweep < 12 else
             ["moderately swept wings", "slightly swept wings"] if sweep < 28 else
             ["swept-back wings", "strongly swept wings"])
    attrs: list[Phrase] = [wings]
    attrs.append({"low": ["low-mounted wings", "a low wing"], "mid": ["mid-mounted wings", "a mid wing"],
                  "high": ["high-mounted wings", "a high wing"]}[p["wing_position"]])
    attrs.append({"conventional": ["a conventional tail", "a standard tail"], "t_tail": ["a T-tail", "a T-shaped tail"],
                  "v_tail": ["a V-tail", "a V-shaped tail"],
                  "twin_fin": ["twin tail fins", "two tail fins"]}[p["tail"]])
    attrs.append({"round": ["a rounded nose", "a round nose"], "pointed": ["a pointed nose", "a sharp nose"],
                  "blunt": ["a blunt nose", "a short blunt nose"]}[p["nose"]])
    if eng == "wing2":
        attrs.append(["two engines under the wings", "two wing-mounted engines"])
    elif eng == "wing4":
        attrs.append(["four engines under the wings", "four wing-mounted engines"])
    elif eng == "rear2":
        attrs.append(["two engines at the rear", "rear-mounted engines"])
    elif eng == "propeller":
        attrs.append(["a nose propeller", "a propeller on the nose"])
    if p["wing_dihedral"] > 4:
        attrs.append(["wings angled upwards", "upturned wings"])
    return nouns, attrs


_VOCAB = {"chair": _chair, "lamp": _lamp, "table": _table, "cabinet": _cabinet, "sofa": _sofa, "bed": _bed,
          "bookshelf": _bookshelf, "vase": _vase, "mug": _mug, "bottle": _bottle, "airplane": _airplane}


def describe(category: str, params: dict) -> tuple[list[str], list[Phrase]]:
    """(noun synonyms, attribute phrases each with synonyms) implied by a shape's params."""
    if category not in _VOCAB:
        raise ValueError(f"no caption vocabulary for category {category!r}")
    return _VOCAB[category](params)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(items: list[str], rng: np.random.Generator | None) -> str:
    if len(items) == 1:
        return items[0]
    conj = " and " if rng is None or len(items) < 3 or rng.random() < 0.8 else ", and "
    return ", ".join(items[:-1]) + conj + items[-1]


def caption(shape: Any, azimuth: float | None = None, elevation: float | None = None, rng=None) -> str:
    """A truthful caption of ``shape`` (a Shape, or anything with ``category`` and ``params``) and,
    when ``azimuth`` is given, of the viewpoint, e.g. "an office chair with a five-star base on
    casters, a tall curved back and no arms, seen from the front left and slightly above".
    ``rng`` (Generator or int seed) varies noun, wording, attribute subset/order and template."""
    if rng is not None and not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    nouns, attrs = describe(shape.category, shape.params)

    def pick(opts):
        return opts[0] if rng is None else opts[int(rng.integers(len(opts)))]

    noun = pick(nouns)
    if rng is None:
        chosen = [a[0] for a in attrs]
    else:
        k = int(rng.integers(min(2, len(attrs)), len(attrs) + 1))
        idx = np.sort(rng.choice(len(attrs), size=k, replace=False))
        if rng.random() < 0.3:
            idx = rng.permutation(idx)
        chosen = [pick(attrs[i]) for i in idx]
    view = view_phrase(azimuth, elevation, rng)
    templates = ["{art} {noun} with {attrs}", "{art} {noun} that has {attrs}", "{art} {noun} featuring {attrs}"]
    template = templates[0] if rng is None else pick(templates)
    text = template.format(art=_article(noun), noun=noun, attrs=_join(chosen, rng)) if chosen else \
        f"{_article(noun)} {noun}"
    if view:
        text += ", " + view
    return text
