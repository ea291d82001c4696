"""Procedural airplanes: fuselage, wings, tail and engines (14 parameter families).

Units: the fuselage is 1 long before normalisation; the nose points to +Z (the front), +Y is up.
"""

from __future__ import annotations

import numpy as np

from .base import MeshBuilder, ParamSampler, affine, rot_x, rot_z
from .spec import CategorySpec, Phrase, Vocabulary

PART_NAMES = ("fuselage", "wing", "tail", "engine")
TAILS = ("conventional", "t_tail", "v_tail", "twin_fin")
ENGINES = ("none", "wing2", "wing4", "rear2", "propeller")
WING_POSITIONS = ("low", "mid", "high")


def sample_params(rng: np.random.Generator) -> dict:
    s = ParamSampler(rng)
    return {
        "fuselage_radius": s.uniform(0.035, 0.08),
        "nose": s.choice(["round", "pointed", "blunt"]),
        "tail_upsweep": s.uniform(0.0, 0.6),
        "wing_span": s.uniform(0.6, 1.25),
        "wing_root_chord": s.uniform(0.1, 0.25),
        "wing_taper": s.uniform(0.2, 0.8),
        "wing_sweep": s.uniform(0.0, 40.0),
        "wing_dihedral": s.uniform(-4.0, 8.0),
        "wing_position": s.choice(WING_POSITIONS),
        "wing_z": s.uniform(0.4, 0.6),
        "tail": s.choice(TAILS, p=[0.45, 0.25, 0.15, 0.15]),
        "tail_span": s.uniform(0.22, 0.45),
        "fin_height": s.uniform(0.1, 0.2),
        "engines": s.choice(ENGINES, p=[0.1, 0.4, 0.2, 0.15, 0.15]),
        "engine_size": s.uniform(0.7, 1.3),
    }


def _fuselage_profile(p: dict) -> np.ndarray:
    """(radius, height) profile along the fuselage axis (height 0 = tail, 1 = nose)."""
    r = p["fuselage_radius"]
    nose = p["nose"]
    z = np.linspace(0, 1, 25)
    tail_len, nose_len = 0.3, {"round": 0.12, "pointed": 0.22, "blunt": 0.06}[nose]
    rad = np.full_like(z, r)
    t = z < tail_len
    rad[t] = r * (0.25 + 0.75 * np.sin(0.5 * np.pi * z[t] / tail_len))
    n = z > 1 - nose_len
    u = (1 - z[n]) / nose_len
    rad[n] = r * (np.sqrt(np.clip(u * (2 - u), 0, 1)) if nose != "pointed" else u ** 0.7)
    rad = np.maximum(rad, 1e-3)
    prof = np.stack([rad, z], 1)
    return np.concatenate([[[0.0, 0.0]], prof, [[0.0, 1.0]]])


def _lifting_surface(b: MeshBuilder, part: str, root_le_z: float, root_chord: float, half_span: float,
                     taper: float, sweep: float, thickness: float) -> None:
    """A tapered, swept surface spanning +X from x=0, in the XZ plane, extruded in Y."""
    tip_chord = root_chord * taper
    tip_le = root_le_z - half_span * np.tan(np.radians(sweep))
    outline = np.array([[0.0, root_le_z], [half_span, tip_le], [half_span, tip_le - tip_chord],
                        [0.0, root_le_z - root_chord]])
    b.prism_y(part, outline, -thickness / 2, thickness / 2)


def build(p: dict) -> MeshBuilder:
    b = MeshBuilder(PART_NAMES)
    r = p["fuselage_radius"]
    # fuselage: revolve about Y, then lay the axis along +Z (nose forward); the tail sweeps up
    prof = _fuselage_profile(p)
    with b.transform(affine(rot_x(90.0))):
        b.revolve_y("fuselage", prof, sections=20)
    # wings
    y_w = {"low": -0.6 * r, "mid": 0.0, "high": 0.65 * r}[p["wing_position"]]
    wz = p["wing_z"] + 0.5 * p["wing_root_chord"]
    half = p["wing_span"] / 2
    for sgn in (1.0, -1.0):
        m = affine(rot_z(sgn * p["wing_dihedral"]), translation=(0.0, y_w, 0.0))
        if sgn < 0:
            m = m @ affine(scale=(-1.0, 1.0, 1.0))
        with b.transform(m):
            _lifting_surface(b, "wing", wz, p["wing_root_chord"], half, p["wing_taper"], p["wing_sweep"],
                             0.012 + 0.08 * p["wing_root_chord"] * 0.3)
    # tail
    tail = p["tail"]
    fin_h = p["fin_height"]
    fin_chord = 0.16
    fin_sweep = np.tan(np.radians(20.0 + 0.5 * p["wing_sweep"]))
    tail_root_z = 0.16
    ht_span = p["tail_span"] / 2

    def fin(x: float, lean: float = 0.0) -> None:
        outline_zy = np.array([[tail_root_z + 0.02, 0.5 * r], [0.0 + 0.01, 0.5 * r],
                               [0.02 + fin_sweep * fin_h - 0.02, r + fin_h],
                               [0.02 + fin_sweep * fin_h + 0.6 * fin_chord * 0.5, r + fin_h]])
        with b.transform(affine(rot_z(lean), translation=(x, 0.0, 0.0))):
            b.slab_x("tail", outline_zy[[1, 0, 3, 2]], -0.006, 0.006)

    if tail == "v_tail":
        fin(0.0, 35.0)
        fin(0.0, -35.0)
    else:
        if tail == "twin_fin":
            y_ht = 0.3 * r
            for sgn in (1.0, -1.0):
                fin(sgn * ht_span * 0.9)
        else:
            fin(0.0)
            y_ht = r + fin_h - 0.01 if tail == "t_tail" else 0.3 * r
        z_ht = tail_root_z if tail != "t_tail" else tail_root_z + 0.02 + fin_sweep * fin_h * 0.9
        for sgn in (1.0, -1.0):
            m = affine(translation=(0.0, y_ht, 0.0))
            if sgn < 0:
                m = m @ affine(scale=(-1.0, 1.0, 1.0))
            with b.transform(m):
                _lifting_surface(b, "tail", z_ht, 0.11, ht_span, 0.55, 15.0 + 0.5 * p["wing_sweep"], 0.01)
    # engines
    eng = p["engines"]
    s = p["engine_size"]
    if eng in ("wing2", "wing4"):
        xs = [0.33] if eng == "wing2" else [0.25, 0.55]
        for f in xs:
            for sgn in (1.0, -1.0):
                x = sgn * f * half
                z_le = wz - f * half * np.tan(np.radians(p["wing_sweep"]))
                y = y_w + np.tan(np.radians(p["wing_dihedral"])) * f * half - 0.045 * s
                b.rod("engine", (x, y, z_le + 0.06 * s), (x, y, z_le - 0.1 * s), 0.03 * s, 0.024 * s, sections=12)
                b.box("engine", (x, y + 0.025 * s, z_le - 0.03), (0.008, 0.05 * s, 0.1 * s))
    elif eng == "rear2":
        for sgn in (1.0, -1.0):
            x = sgn * (r + 0.035 * s)
            b.rod("engine", (x, 0.3 * r, 0.38), (x, 0.3 * r, 0.24), 0.03 * s, 0.025 * s, sections=12)
            b.box("engine", (sgn * (r + 0.01 * s), 0.3 * r, 0.31), (0.04 * s, 0.01, 0.06))
    elif eng == "propeller":
        b.rod("engine", (0.0, 0.0, 0.985), (0.0, 0.0, 1.04), 0.35 * r, 0.05 * r, sections=12)
        blade = 0.12 * s
        for ang in (0.0, 120.0, 240.0):
            with b.transform(affine(rot_z(ang), translation=(0.0, 0.0, 1.01))):
                b.box("engine", (0.0, blade / 2, 0.0), (0.025, blade, 0.006), rotation=None)
    return b


# ----------------------------------------------------------------------------------------------
# Caption vocabulary and the registry entry
# ----------------------------------------------------------------------------------------------


def describe(p: dict) -> Vocabulary:
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


SPEC = CategorySpec("airplane", PART_NAMES, sample_params, build, describe, "engines", ENGINES)
