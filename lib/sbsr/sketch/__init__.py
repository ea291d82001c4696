"""The freehand-sketch simulator (amateur sketches drawn from memory, thesis §4.2.1.3 / §4.2.3).

- :func:`simulate_sketch` -- mesh + camera -> :class:`Sketch` (raster image, strokes, widths, meta)
- :func:`knobs_for_skill` / :class:`SketchKnobs` -- the knobs and their skill-dependent defaults
- :data:`LINE_RENDERING_KNOBS` -- overrides that turn every perturbation off
- :func:`sketch_stats` -- ink fraction, stroke counts and lengths for the data chapter
- :data:`DIFFERENCES_FROM_HUMAN_SKETCHES` -- how the simulation differs from real amateur sketches
- :mod:`sbsr.sketch.strokes` -- the pure 2-D stroke operations
"""

from .knobs import LINE_RENDERING_KNOBS, SKILL_ENDPOINTS, SketchKnobs, knobs_for_skill
from .simulator import (
    DIFFERENCES_FROM_HUMAN_SKETCHES,
    REFERENCE_SIZE,
    Sketch,
    distort_proportions,
    simulate_sketch,
    sketch_stats,
)

__all__ = [
    "Sketch",
    "simulate_sketch",
    "sketch_stats",
    "SketchKnobs",
    "knobs_for_skill",
    "LINE_RENDERING_KNOBS",
    "SKILL_ENDPOINTS",
    "REFERENCE_SIZE",
    "distort_proportions",
    "DIFFERENCES_FROM_HUMAN_SKETCHES",
]
