"""One home per system the book reproduces.

The shared layers stay generic: :mod:`sbsr.shapes`, :mod:`sbsr.render`, :mod:`sbsr.sketch`, :mod:`sbsr.data`,
:mod:`sbsr.encoders`, :mod:`sbsr.retrieval` (metrics, distances), :mod:`sbsr.losses` and :mod:`sbsr.book`.
Each system of the seeds has one subpackage here, with the same inner shape everywhere (only the files it
needs)::

    systems/<name>/
        __init__.py      what the system is, the seed and sections it implements
        data.py          the system's data (built on sbsr.data / sbsr.shapes / sbsr.render)
        models.py        its networks
        train.py         training loops; ``python -m sbsr.systems.<name>.train --retrain`` for a shipped checkpoint
        experiments.py   drivers that return tidy tables (pandas) for the chapter
        claims.py        the paper's claims checked in code: tables of (claim, measured here, holds here)
        figures.py       plotly figures from those tables (compute apart from plotting)

A loss or metric that two systems use lives in the shared layer, not here. The registry below is data:
adding a system adds an entry (and its chapter in ``notebooks/profiles.yml``); the tests check that every
entry has its package and its chapter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemSpec:
    """One system: its package name, what it is, where it is printed and which chapters reproduce it."""

    name: str  # the subpackage under sbsr.systems
    title: str
    source: str  # seed file in shared/seeds (and data/published tables' source_file)
    sections: str  # the sections of the seed it implements
    chapters: tuple[str, ...]  # notebook names in notebooks/profiles.yml


SYSTEMS: tuple[SystemSpec, ...] = (
    SystemSpec("clip_retrieval", "Fine-tuned but zero-shot sketch-based 3D shape retrieval with CLIP",
               "003_f23f6e658b165824.txt", "thesis §4.2, App. B; supplement 002",
               ("10_view_study", "11_bounding_box", "12_robust_features", "13_views_aggregation", "14_backbones",
                "20_feature_masking", "21_test_set", "22_appendix", "23_explorer")),
    SystemSpec("sketchy_depth", "SketchyDepth: RGB images and depth maps from scene sketches",
               "003_f23f6e658b165824.txt", "thesis ch. 3, App. A", ("40_sketchy_depth",)),
    SystemSpec("sdf_inversion", "CLIP-guided 3D reconstruction by inverting an SDF generator",
               "003_f23f6e658b165824.txt", "thesis §4.3", ("41_sdf_inversion",)),
    SystemSpec("netspace", "NetSpace: learning the space of trained networks",
               "003_f23f6e658b165824.txt", "thesis ch. 5, App. C", ("42_netspace",)),
    SystemSpec("dsmn", "DSMN and the semantic focus loss: unsupervised image-based 3D model retrieval",
               "000_a3fa1e075df665d8.txt", "Song et al. 2023, §3-4", ("43_dsmn",)),
    SystemSpec("retrieval_deformation", "Joint learning of 3D shape retrieval and deformation",
               "001_035a26d89623bb81.txt", "Uy et al. 2021, §2-3", ("44_retrieval_deformation",)),
    SystemSpec("voxel_image", "Cross-domain encoding of 3D voxels and 2D images with a triplet loss",
               "004_1e4e67375dd91999.txt", "Ji & Wang, §3-4", ("45_voxel_image",)),
)


def get(name: str) -> SystemSpec:
    """The system called ``name``; a ``KeyError`` lists the known ones."""
    for spec in SYSTEMS:
        if spec.name == name:
            return spec
    raise KeyError(f"no system {name!r} (known: {', '.join(s.name for s in SYSTEMS)})")


__all__ = ["SYSTEMS", "SystemSpec", "get"]
