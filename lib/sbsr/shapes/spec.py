"""The declarative entry of one procedural shape category (:class:`CategorySpec`).

Every category module declares its own entry next to its sampler, builder and caption vocabulary
(e.g. ``chair.SPEC``, ``household.SOFA``); :mod:`.generate` collects the entries into
``REGISTRY``. This module imports nothing from the category modules, so the category modules, the
registry and the captions import one way only (spec <- categories <- generate <- captions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Phrase = list[str]  # synonyms of one truthful phrase
Vocabulary = tuple[list[str], list[Phrase]]  # (noun synonyms, attribute phrases)


@dataclass(frozen=True)
class CategorySpec:
    """One procedural category: its part vocabulary (the index of a name is the value stored in
    ``Shape.part_ids``), parameter sampler, mesh builder, caption vocabulary and sub-types.

    ``sample(rng) -> params`` draws JSON-friendly parameters, ``build(params) -> MeshBuilder``
    assembles the part-labelled mesh, ``describe(params) -> (nouns, attributes)`` gives the truthful
    caption vocabulary. ``subtype_param`` names the parameter whose value is the shape's sub-type
    (one of ``subtypes``), when the category has sub-types.
    """

    name: str
    part_names: tuple[str, ...]
    sample: Callable[[np.random.Generator], dict]
    build: Callable[[dict], object]
    describe: Callable[[dict], Vocabulary]
    subtype_param: str | None = None
    subtypes: tuple[str, ...] = ()

    def __post_init__(self):
        if len(set(self.part_names)) != len(self.part_names) or not self.part_names:
            raise ValueError(f"category {self.name!r}: part names must be unique and non-empty, got {self.part_names}")
        if (self.subtype_param is None) != (not self.subtypes):
            raise ValueError(f"category {self.name!r}: give both subtype_param and subtypes, or neither")

    def subtype(self, params: dict) -> str | None:
        """The sub-type of a shape with these parameters (None for a category without sub-types)."""
        return None if self.subtype_param is None else params[self.subtype_param]


def count_word(n: int) -> str:
    """1 -> "one" ... 10 -> "ten", other numbers as digits (caption wording)."""
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
            9: "nine", 10: "ten"}.get(int(n), str(int(n)))
