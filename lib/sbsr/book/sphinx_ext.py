"""Sphinx extension for the book: bundled plotly.js and the book's CSS, no CDN."""

from __future__ import annotations

import shutil
from pathlib import Path

from .plotting import plotly_js_path

CSS = """
.sbsr-banner { border-left: 4px solid #4c72b0; background: #f3f6fb; padding: .5em .8em; margin: .6em 0;
  font-size: .9em; }
table.sbsr-results { font-size: .85em; border-collapse: collapse; }
table.sbsr-results th, table.sbsr-results td { padding: .2em .5em; text-align: right; white-space: nowrap; }
table.sbsr-results tbody th { text-align: left; }
.sbsr-plotly { overflow-x: auto; }
"""


def _copy_assets(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.builder.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(str(plotly_js_path()), static / "plotly.min.js")
    (static / "sbsr.css").write_text(CSS, encoding="utf-8")


def setup(app):
    # Priority below require.js (500) so that plotly.js sets window.Plotly before an AMD loader exists.
    app.add_js_file("plotly.min.js", priority=100)
    app.add_css_file("sbsr.css")
    app.connect("build-finished", _copy_assets)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
