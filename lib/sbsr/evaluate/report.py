"""``report.html``: one self-contained page (inline CSS, images as base64 PNG data URIs, no scripts).

For each sketch: the sketch as the encoder saw it (framed by the method), then its top-k shapes, each shown
by the view that Eq. 4.1 selected (the view closest to the sketch), framed likewise, with the distance; the
ground truth, when known, is framed in green, and shown after the top-k with its rank when it is not among
them. Above: the settings, acc@k with 95% bootstrap intervals, every skipped file with its reason, and what
reading the meshes changed.
"""

from __future__ import annotations

import base64
import html
from typing import Sequence

import numpy as np
from PIL import Image

from ..data.images import encode_png

THUMB = 112  # px: the book's figure size for image grids

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;
vertical-align:top;font-size:.9em} th{background:#f4f4f4}
.muted{color:#666;font-size:.9em} .sketch{display:flex;gap:.6em;align-items:flex-start;margin:.8em 0;
padding:.5em;border-bottom:1px solid #eee;flex-wrap:wrap}
figure{margin:0;text-align:center;font-size:.75em;width:%(w)dpx} figure img{display:block;width:%(t)dpx;height:%(t)dpx;
border:3px solid #fff;image-rendering:auto} figure.query img{border-color:#888} figure.gt img{border-color:#1a9c3a}
figure.gt figcaption{color:#1a7c30;font-weight:600} figcaption{overflow-wrap:anywhere}
.sep{align-self:center;color:#999;font-size:1.4em;padding:0 .2em} .rank{font-weight:600}
""" % {"t": THUMB, "w": THUMB + 6}


def thumbnail_uri(image: np.ndarray, size: int = THUMB) -> str:
    """A ``data:image/png;base64,...`` URI of a uint8 (H, W) or (H, W, 3) image resized to ``size``."""
    arr = np.asarray(image, dtype=np.uint8)
    if arr.shape[0] != size or arr.shape[1] != size:
        arr = np.asarray(Image.fromarray(arr).resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)
    return "data:image/png;base64," + base64.b64encode(encode_png(arr)).decode("ascii")


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _figure(uri: str, caption: str, cls: str = "", title: str = "") -> str:
    return (f'<figure class="{cls}" title="{_e(title)}"><img alt="{_e(title or caption)}" src="{uri}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _table(header: Sequence[str] | None, rows: Sequence[Sequence]) -> str:
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def sketch_section(result, q: int, order: np.ndarray, k: int) -> str:
    """The row of one sketch: the query, its top-k shapes (best view each) and the ground truth."""
    sketch = result.split.sketches[q]
    target = int(result.targets[q])
    rank = int(result.ranks[q]) if target >= 0 else 0
    azimuths = [v.azimuth for v in result.settings.views]
    status = (f"ground truth <b>{_e(result.shape_ids[target])}</b> at rank <span class='rank'>{rank}</span>"
              if target >= 0 else "no ground truth")
    parts = [_figure(thumbnail_uri(result.displayed(q=q)), f"{_e(sketch.sketch_id)}<br>{status}", "query",
                     sketch.sketch_id), '<span class="sep">&rarr;</span>']

    def shape_figure(s: int, r: int) -> str:
        view = int(result.best_view[q, s])
        sid = result.shape_ids[s]
        caption = (f"<span class='rank'>#{r}</span> {_e(sid)}<br>d={result.distances[q, s]:.4g}, "
                   f"view {azimuths[view]:g}&deg;")
        return _figure(thumbnail_uri(result.displayed(shape=s, view=view)), caption, "gt" if s == target else "", sid)

    for r, s in enumerate(order[q, :k], start=1):
        parts.append(shape_figure(int(s), r))
    if target >= 0 and rank > k:
        parts += ['<span class="sep">&hellip;</span>', shape_figure(target, rank)]
    return f'<div class="sketch">{"".join(parts)}</div>'


def report_html(result, inputs: dict | None = None, limit: int = 200) -> str:
    """The whole report of an :class:`~sbsr.evaluate.run.EvaluationResult` as one HTML string."""
    s = result.settings
    gt = result.has_ground_truth
    inputs = inputs or {}
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>Sketch-based shape retrieval report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>Sketch-based 3D shape retrieval: report</h1>",
           f"<p class='muted'>Berardi &amp; Gryaditskaya's zero-shot method (thesis &sect;4.2, Eq. 4.1): each mesh is "
           f"rendered as line drawings, sketches and views are encoded, a mesh's distance to a sketch is the "
           f"smallest feature MSE over its views.</p>"]
    settings_rows = [
        ("encoder", f"{result.encoder} ({result.weights_source})"),
        ("method", f"{s.name}: {s.describe()}"),
        ("views", ", ".join(f"{v.azimuth:g}°" for v in s.views) + f" at elevation {s.views[0].elevation:g}°"),
        ("gallery", f"{len(result.shape_ids)} meshes"),
        ("queries", f"{len(result.sketch_ids)} sketches, {int(gt.sum())} with ground truth"),
        *((name, str(value)) for name, value in inputs.items() if value is not None),
    ]
    out.append("<h2>Settings</h2>" + _table(None, settings_rows))
    if result.warnings:
        out.append("<ul>" + "".join(f"<li>{_e(w)}</li>" for w in result.warnings) + "</ul>")
    if result.metrics:
        rows = [(name, f"{m['value']:.2f}", f"[{m['low']:.2f}, {m['high']:.2f}]") for name, m in result.metrics.items()]
        out.append("<h2>Accuracy</h2>" + _table(["metric", "% of sketches", "95% bootstrap interval"], rows))
        out.append(f"<p class='muted'>Over the {int(gt.sum())} sketches whose ground truth is known; acc@k counts "
                   "a hit when the ground-truth mesh is among the k closest (ties count against it).</p>")
    else:
        out.append("<h2>Accuracy</h2><p>No ground truth was given (--pairs), so only the rankings are shown.</p>")
    skipped = result.skipped.items
    out.append(f"<h2>Skipped files ({len(skipped)})</h2>")
    if skipped:
        out.append(_table(["kind", "file", "reason"], [(i.kind, i.path or i.item_id, i.reason) for i in skipped]))
    else:
        out.append("<p>None: every mesh and sketch was used.</p>")
    if result.mesh_notes:
        out.append(f"<h2>Notes from reading the meshes ({len(result.mesh_notes)}; "
                   f"{len(result.repaired_meshes)} repaired or simplified)</h2>")
        out.append(_table(["mesh", "what changed"], [(sid, "; ".join(n)) for sid, n in result.mesh_notes.items()]))
    n = len(result.sketch_ids)
    shown = min(n, int(limit))
    out.append(f"<h2>Rankings (top {result.k})</h2>")
    if shown < n:
        out.append(f"<p class='muted'>The first {shown} of {n} sketches; ranking.csv holds all of them.</p>")
    order = result.order()
    out += [sketch_section(result, q, order, result.k) for q in range(shown)]
    out.append("</body></html>")
    return "\n".join(out)
