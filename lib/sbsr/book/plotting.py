"""Plotly figures that draw both live and in the static book, offline.

The ``sbsr`` renderer emits two representations of a figure: plotly's own JSON mimetype (drawn by
JupyterLab) and an HTML snippet that calls ``Plotly.newPlot`` on a global ``Plotly``. The book does not
load plotly.js from a CDN: :mod:`sbsr.book.sphinx_ext` copies the ``plotly.min.js`` shipped inside the
plotly Python package into the book's ``_static`` folder and loads it on every page.
"""

from __future__ import annotations

import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

RENDERER_NAME = "sbsr"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


class BookRenderer(MimetypeRenderer):
    """Plotly JSON for JupyterLab plus CDN-free HTML for the static book."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            full_html=False,
            config=PLOTLY_CONFIG,
            validate=False,
        )
        # Draw even where plotly.js is not on the page yet (e.g. classic notebook): wait for it.
        html = f'<div class="sbsr-plotly">{html}</div>'
        return {
            "application/vnd.plotly.v1+json": {
                "data": fig_dict.get("data", []),
                "layout": fig_dict.get("layout", {}),
                "config": PLOTLY_CONFIG,
            },
            "text/html": html,
        }


def figure_bundle(fig) -> dict:
    """The ``sbsr`` renderer's mime bundle of a plotly figure (for ``display(bundle, raw=True)``)."""
    return BookRenderer().to_mimebundle(fig.to_dict())


def use_book_renderer() -> None:
    """Register and select the ``sbsr`` renderer (idempotent)."""
    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = BookRenderer()
    pio.renderers.default = RENDERER_NAME


def plotly_js_path():
    """Path of the plotly.js bundle shipped inside the plotly package."""
    from importlib.resources import files

    return files("plotly") / "package_data" / "plotly.min.js"
