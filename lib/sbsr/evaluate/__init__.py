"""Evaluate the paper's method on your own data: ``python -m sbsr.evaluate --meshes DIR --sketches DIR``.

* :func:`evaluate_folders` - read the folders, render, encode, rank, score, write the outputs (:mod:`.run`)
* :class:`EvaluationResult` - distances, ranks, metrics, skipped files, timings
* :mod:`.outputs` - ``ranking.csv`` and ``metrics.json``; :mod:`.report` - the self-contained ``report.html``
* :mod:`.cli` - the command line
"""

from .outputs import RANKING_COLUMNS, load_ranking, ranking_rows, write_outputs
from .report import report_html, thumbnail_uri
from .run import (AUTO_ENCODERS, METHOD_NAMES, EvaluationError, EvaluationResult, compute_metrics, evaluate_folders,
                  pick_encoder, resolve_settings, shipped_mask_for)

__all__ = [
    "AUTO_ENCODERS", "METHOD_NAMES", "RANKING_COLUMNS", "EvaluationError", "EvaluationResult", "compute_metrics",
    "evaluate_folders", "load_ranking", "pick_encoder", "ranking_rows", "report_html", "resolve_settings",
    "shipped_mask_for", "thumbnail_uri", "write_outputs",
]
