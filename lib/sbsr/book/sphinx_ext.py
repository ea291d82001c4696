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


def _toc_order(env, root: str) -> list[str]:
    """Documents in table-of-contents order, depth first from the root document."""
    order: list[str] = []

    def visit(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            visit(child)

    visit(root)
    return order


def _write_index(app, exception):
    """``index.html``: a redirect to the root page that also links every chapter (no JavaScript needed).

    Written before sphinx-external-toc's bare redirect, which then leaves it alone.
    """
    if exception is not None or app.builder.format != "html":
        return
    import html as _html

    root = app.config.root_doc
    if root == "index":
        return
    items = []
    for doc in _toc_order(app.env, root):
        title = app.env.titles.get(doc)
        text = title.astext() if title is not None else doc
        items.append(f'<li><a href="{doc}.html">{_html.escape(text)}</a></li>')
    title = app.config.html_title or app.config.project
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f'<meta http-equiv="Refresh" content="0; url={root}.html" />'
        f"<title>{_html.escape(title)}</title></head><body>"
        f"<h1>{_html.escape(title)}</h1><ul>{''.join(items)}</ul></body></html>\n"
    )
    (Path(app.builder.outdir) / "index.html").write_text(page, encoding="utf-8")


def setup(app):
    # Priority below require.js (500) so that plotly.js sets window.Plotly before an AMD loader exists.
    app.add_js_file("plotly.min.js", priority=100)
    app.add_css_file("sbsr.css")
    app.connect("build-finished", _copy_assets)
    app.connect("build-finished", _write_index, priority=400)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
