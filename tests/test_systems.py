"""The systems registry: every system has its package and its chapters in notebooks/profiles.yml."""

import importlib

import pytest

from sbsr.book.claims import claims_markdown, claims_table
from sbsr.config import load_profiles
from sbsr.systems import SYSTEMS, get


def test_every_system_has_a_package():
    for spec in SYSTEMS:
        mod = importlib.import_module(f"sbsr.systems.{spec.name}")
        assert mod.__doc__, f"sbsr.systems.{spec.name} says nothing about itself"


def test_system_names_are_unique_and_get_names_the_known_ones():
    names = [s.name for s in SYSTEMS]
    assert len(names) == len(set(names))
    assert get("dsmn").source.startswith("000_")
    with pytest.raises(KeyError, match="clip_retrieval"):
        get("no-such-system")


def test_claims_markdown_counts_what_holds():
    table = claims_table([("A.", "a", True), ("B.", "b", False), ("C.", "c", True)])
    text = claims_markdown({"enc": table}, {"enc": "3 queries"})
    assert text.splitlines()[0] == "* **enc** (3 queries): 2 of 3 statements hold."
    assert "B. — **does not hold** here: b." in text


def test_every_system_has_its_chapters_in_the_book(project_root):
    names = load_profiles(project_root / "notebooks" / "profiles.yml").names()
    for spec in SYSTEMS:
        missing = [c for c in spec.chapters if c not in names]
        assert not missing, f"{spec.name}: chapters {missing} are not in notebooks/profiles.yml"
        for chapter in spec.chapters:
            assert (project_root / "notebooks" / f"{chapter}.py").is_file()
