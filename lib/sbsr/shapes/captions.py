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

from .generate import category_spec
from .spec import Vocabulary


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


def describe(category: str, params: dict) -> Vocabulary:
    """(noun synonyms, attribute phrases each with synonyms) implied by a shape's params (the
    category's own vocabulary, ``CategorySpec.describe``)."""
    return category_spec(category).describe(params)


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
