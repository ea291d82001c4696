"""Helpers for the book's notebooks: session set-up, results beside the published tables, figures.

A chapter starts with::

    from sbsr.book import setup
    session = setup(profile=profile, device=device, seed=seed)

which validates the parameters, seeds every generator, picks the device and makes plotly figures render
both live (JupyterLab) and in the static HTML book (plotly.js is bundled by :mod:`sbsr.book.sphinx_ext`).
"""

from .results import (
    RESULT_COLUMNS,
    load_published,
    make_results,
    published_rows,
    read_results,
    results_html,
    show_results,
    side_by_side,
    write_results,
)
from .session import Session, progress, setup, use_folders
from .widgets import live

__all__ = [
    "RESULT_COLUMNS",
    "Session",
    "live",
    "load_published",
    "make_results",
    "progress",
    "published_rows",
    "read_results",
    "results_html",
    "setup",
    "use_folders",
    "show_results",
    "side_by_side",
    "write_results",
]
