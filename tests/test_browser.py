"""The built book in a real browser, offline: Debian's Chromium driven by Playwright, network blocked.

Every page of the table of contents is opened from ``_build/html`` through ``file://``; any request to
another scheme is aborted (and reported), so a page that still needs a CDN fails here. On each page the
test waits for every plotly figure to draw its SVG, every embedded widget view to render and MathJax to
typeset, and records console errors, uncaught exceptions and failed requests. Screenshots of three
representative pages (the root page, the first chapter with a widget, the status page) are saved under
``test-artifacts/screenshots/``.

Chromium comes from Debian (``make test`` installs the ``chromium`` package when it is missing); Playwright
only drives it (``executable_path``), it never downloads a browser of its own.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("SBSR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
WAIT_MS = 20_000  # per page and per kind of element; pages normally settle in a second or two
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
STATUS_DOC = "book/status"


def _unavailable(reason: str):
    """Fail in CI (where `make test` installs everything), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def toc_docs(project_root: Path) -> list[str]:
    """Every document of ``_toc.yml``, in order (root first)."""
    toc = yaml.safe_load((project_root / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return docs


@dataclass
class PageReport:
    doc: str
    problems: list[str] = field(default_factory=list)  # console errors, page errors, failed requests
    blocked: list[str] = field(default_factory=list)  # non-file:// requests (aborted)
    plots_expected: int = 0
    plots_drawn: int = 0
    views_expected: int = 0
    views_rendered: int = 0
    widget_errors: int = 0
    math_expected: bool = False
    math_rendered: int = 0
    screenshot: Path | None = None


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (a test dependency in pyproject.toml)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield instance
        finally:
            instance.close()


def _screenshot_docs(docs: list[str], html: Path) -> list[str]:
    """The root page, the first chapter that embeds a widget (else the first chapter), the status page."""
    chapters = [d for d in docs if d.startswith("book/chapters/") and (html / f"{d}.html").is_file()]
    with_widget = [d for d in chapters if "widget-view+json" in (html / f"{d}.html").read_text(encoding="utf-8")]
    picked = [docs[0], (with_widget or chapters or docs[1:2] or [docs[0]])[0]]
    if STATUS_DOC in docs:
        picked.append(STATUS_DOC)
    return list(dict.fromkeys(picked))


def _visit(context, html: Path, doc: str, shot: Path | None) -> PageReport:
    report = PageReport(doc)
    path = html / f"{doc}.html"
    if not path.is_file():
        report.problems.append(f"not built: {path} (is its notebook executed?)")
        return report
    source = path.read_text(encoding="utf-8")
    report.plots_expected = source.count("Plotly.newPlot(")
    report.math_expected = "tex-mml-chtml.js" in source and ('class="math' in source or "\\(" in source)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and report.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: report.problems.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: report.problems.append(f"request failed: {r.url} ({r.failure})"))
    try:
        page.goto((html / f"{doc}.html").as_uri(), wait_until="load", timeout=60_000)
        report.views_expected = page.locator(WIDGET_VIEW).count()
        if report.views_expected:
            # html-manager puts each view in a .widget-subarea before its <script>; wait until all are filled.
            page.wait_for_function(
                """n => { const areas = [...document.querySelectorAll('.widget-subarea')];
                          return areas.length >= n && areas.every(a => a.querySelector(
                              '.jupyter-widgets, [class*="widget-"]')); }""",
                arg=report.views_expected,
                timeout=WAIT_MS,
            )
        if report.plots_expected:
            page.wait_for_function(
                """n => [...document.querySelectorAll('.plotly-graph-div')]
                          .filter(d => d.querySelector('svg.main-svg')).length >= n""",
                arg=report.plots_expected,
                timeout=WAIT_MS,
            )
        if report.math_expected:
            page.wait_for_function("() => document.querySelector('mjx-container') !== null", timeout=WAIT_MS)
    except Exception as exc:  # a timeout names what did not appear; the counts below say how far it got
        report.problems.append(f"waiting: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    report.views_rendered = page.evaluate(
        """() => [...document.querySelectorAll('.widget-subarea')]
                  .filter(a => a.querySelector('.jupyter-widgets, [class*="widget-"]')).length"""
    )
    report.widget_errors = page.evaluate(
        "() => [...document.querySelectorAll('.jupyter-widgets')]"
        ".filter(e => /Error (displaying|creating) widget/.test(e.textContent)).length"
    )
    report.plots_drawn = page.evaluate(
        "() => [...document.querySelectorAll('.plotly-graph-div')].filter(d => d.querySelector('svg.main-svg')).length"
    )
    report.math_rendered = page.locator("mjx-container").count()
    if shot is not None:
        page.wait_for_timeout(300)  # let transitions (sidebar, fonts) settle
        page.screenshot(path=str(shot), full_page=True)
        report.screenshot = shot
    page.close()
    return report


@pytest.fixture(scope="module")
def page_reports(book_html, browser, project_root, artifacts_dir) -> dict[str, PageReport]:
    """Open every page once with the network blocked; a report per document."""
    docs = toc_docs(project_root)
    shots_dir = artifacts_dir / "screenshots"
    shutil.rmtree(shots_dir, ignore_errors=True)
    shots_dir.mkdir(parents=True)
    shot_docs = _screenshot_docs(docs, book_html)
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    blocked: list[str] = []

    def only_local(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    reports = {}
    try:
        for doc in docs:
            shot = shots_dir / (doc.replace("/", "__") + ".png") if doc in shot_docs else None
            start = len(blocked)
            reports[doc] = _visit(context, book_html, doc, shot)
            reports[doc].blocked = blocked[start:]
    finally:
        context.close()
    return reports


def test_every_page_loads_offline_without_errors(page_reports):
    bad = {d: r.blocked + r.problems for d, r in page_reports.items() if r.blocked or r.problems}
    assert not bad, "pages with network requests or JavaScript errors:\n" + "\n".join(
        f"{d}: {p}" for d, ps in bad.items() for p in ps
    )


def test_every_plotly_figure_draws_its_svg(page_reports, book_html):
    for doc, r in page_reports.items():
        assert r.plots_drawn >= r.plots_expected, f"{doc}: {r.plots_drawn} of {r.plots_expected} plotly figures drawn"
    # The figures are drawn by the bundled plotly.js, not by a CDN copy.
    assert (book_html / "_static" / "plotly.min.js").stat().st_size > 1_000_000


def test_every_widget_view_renders(page_reports):
    for doc, r in page_reports.items():
        assert r.views_rendered >= r.views_expected, f"{doc}: {r.views_rendered} of {r.views_expected} widget views"
        assert r.widget_errors == 0, f"{doc}: a widget view shows an error"


def test_math_is_typeset_by_the_bundled_mathjax(page_reports):
    for doc, r in page_reports.items():
        if r.math_expected:
            assert r.math_rendered > 0, f"{doc}: MathJax did not typeset"


def source_expectations(project_root, doc: str) -> tuple[bool, bool]:
    """(maths, figure) that the *source* of a page promises, independent of its HTML: a chapter whose text
    notebook has a ``$...$`` formula in a Markdown cell must typeset maths; one that shows a plotly figure
    (``.show()`` or ``live(``) must draw at least one. A book page (``book/*.md``) promises maths when it has
    ``$...$`` or a ``{math}`` block."""
    name = doc.split("/")[-1]
    if doc.startswith("book/chapters/"):
        path = project_root / "notebooks" / f"{name}.py"
        text = path.read_text(encoding="utf-8")
        cells = re.split(r"^(?=# %%)", text, flags=re.M)
        markdown = "\n".join(c for c in cells if c.startswith("# %% [markdown]"))
        maths = re.search(r"\$[^$\n]+\$", markdown) is not None
        figure = re.search(r"\.show\(\)|\blive\(", text) is not None
        return maths, figure
    path = project_root / f"{doc}.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return (re.search(r"\$[^$\n]+\$|\{math\}", text) is not None), False


def test_pages_show_the_maths_and_figures_their_sources_promise(page_reports, project_root):
    """A page whose notebook has formulas or figures must show them: an empty page (a failed cell, maths left
    as raw dollars, a figure that never reached the HTML) fails here even if nothing on it errs."""
    missing = []
    for doc, r in page_reports.items():
        maths, figure = source_expectations(project_root, doc)
        if maths and r.math_rendered == 0:
            missing.append(f"{doc}: its source has maths, the page typeset none")
        if figure and r.plots_drawn == 0:
            missing.append(f"{doc}: its source shows figures, the page drew none")
    assert not missing, "\n".join(missing)


def test_source_expectations_read_the_notebook_text(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "x.py").write_text("# %% [markdown]\n# A formula $a^2$.\n\n# %%\nfig.show()\n")
    (tmp_path / "notebooks" / "y.py").write_text("# %% [markdown]\n# No formula.\n\n# %%\n# a comment $x$\nprint(1)\n")
    assert source_expectations(tmp_path, "book/chapters/x") == (True, True)
    assert source_expectations(tmp_path, "book/chapters/y") == (False, False)  # code comments do not count
    assert source_expectations(tmp_path, "book/missing") == (False, False)


def test_the_book_exercises_what_it_checks(page_reports):
    """A book with no figure, widget or formula would pass the checks above vacuously."""
    chapters = [r for d, r in page_reports.items() if d.startswith("book/chapters/")]
    assert chapters, "no chapter pages in _toc.yml"
    assert sum(r.plots_expected for r in chapters) > 0
    assert sum(r.views_expected for r in chapters) > 0
    assert any(r.math_expected for r in page_reports.values())


def test_screenshots_of_three_representative_pages(page_reports, project_root):
    from PIL import Image

    shots = [r.screenshot for r in page_reports.values() if r.screenshot is not None]
    assert len(shots) == 3, shots
    for shot in shots:
        with Image.open(shot) as im:
            assert im.width == VIEWPORT["width"] and im.height >= VIEWPORT["height"], (shot, im.size)
            # Not a blank page: a rendered page has many distinct colours.
            colours = im.convert("RGB").resize((160, 160)).getcolors(maxcolors=160 * 160)
            assert colours is not None and len(colours) > 20, shot


def test_pages_reference_no_cdn(book_html, project_root):
    """Static check of the HTML: no script or style sheet is loaded from another host."""
    remote = re.compile(r'<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//[^"]+"', re.I)
    for doc in toc_docs(project_root):
        path = book_html / f"{doc}.html"
        assert path.is_file(), f"{doc}: not built"
        text = path.read_text(encoding="utf-8")
        hits = [m.group(0) for m in remote.finditer(text) if "stylesheet" in m.group(0) or "<script" in m.group(0)]
        assert not hits, f"{doc}: {hits}"
        assert "data-jupyter-widgets-cdn" not in text, doc


# --- interactive pages: sketch search and static twins -------------------------------------------------------
EXPLORER_DOC = "book/chapters/23_explorer"
TWIN_DOC = "book/chapters/11_bounding_box"
#: The page's distances may differ from Python's by the float16 index and float rounding (measured: < 1e-4).
DISTANCE_RTOL = 1e-3


@pytest.fixture
def offline_page(browser):
    """A fresh page whose requests other than file:// are aborted (and listed in ``page.blocked``)."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    blocked, problems = [], []

    def only_local(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    page.blocked, page.problems = blocked, problems
    yield page
    context.close()


def _open(page, html: Path, doc: str):
    path = html / f"{doc}.html"
    assert path.is_file(), f"not built: {path}"
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)


def test_explorer_ranks_a_drawn_sketch_like_python(book_html, offline_page, project_root):
    """Draw strokes on the explorer page (file://, network off): its top-5 is Python's for the same image."""
    import numpy as np

    from sbsr.book.websearch import draw_on_page
    from sbsr.encoders import FeatureCache, get_encoder
    from sbsr.systems.clip_retrieval.experiments import open_paper_dataset
    from sbsr.systems.clip_retrieval.explorer import SketchExplorer

    page = offline_page
    _open(page, book_html, EXPLORER_DOC)
    page.wait_for_function("window.sbsrWebsearch && window.sbsrWebsearch.ready", timeout=60_000)
    n = draw_on_page(page)
    page.wait_for_function("n => sbsrWebsearch.count >= n", arg=n, timeout=120_000)
    got = page.evaluate("""() => { const r = sbsrWebsearch.last, m = sbsrWebsearch.model.meta;
        return {ids: r.shape_ids, dist: r.distances, query: r.query, gallery: r.gallery, meta: m,
                shown: [...document.querySelectorAll('.sbsr-websearch-id')].map(e => e.textContent)}; }""")
    assert not page.blocked and not page.problems, page.blocked + page.problems
    assert got["shown"] == got["ids"] and len(got["ids"]) == 5
    query = np.asarray(got["query"], dtype=np.uint8).reshape(224, 224)
    assert (query < 200).sum() > 100  # the strokes are in the image the page ranked
    meta = got["meta"]
    split = open_paper_dataset(meta["dataset"], meta["profile"]).split(meta["split"], got["gallery"])
    explorer = SketchExplorer(split, get_encoder(meta["encoder"], device="cpu"), mask="shipped",
                              cache=FeatureCache(project_root / "data" / "cache" / "features"))
    want = explorer.rank(query, k=5)
    assert got["ids"] == want.shape_ids
    np.testing.assert_allclose(got["dist"], want.distances, rtol=DISTANCE_RTOL)


def test_static_twin_slider_redraws_the_figure(book_html, offline_page):
    """The bounding-box chapter's size slider works without a kernel: moving it changes the figure."""
    page = offline_page
    _open(page, book_html, TWIN_DOC)
    page.wait_for_function("() => document.querySelector('.sbsr-twin .sbsr-twin-slot svg.main-svg') !== null",
                           timeout=WAIT_MS)
    figure = "() => { const g = document.querySelector('.sbsr-twin .sbsr-twin-slot'); " \
             "return JSON.stringify([g.layout.title, g.data.length, g.layout.images && g.layout.images.length]); }"
    before, state = page.evaluate(figure), page.locator(".sbsr-twin").first.get_attribute("data-state")
    slider = page.locator(".sbsr-twin input[type=range]").first
    slider.focus()
    page.keyboard.press("ArrowLeft" if int(slider.get_attribute("value")) > 0 else "ArrowRight")
    page.wait_for_function(f"s => document.querySelector('.sbsr-twin').getAttribute('data-state') !== s", arg=state,
                           timeout=WAIT_MS)
    assert page.evaluate(figure) != before
    # the dead ipywidgets slider and the initial figure of the same cell are hidden in favour of the twin
    cell = "document.querySelector('.sbsr-twin').closest('.cell_output')"
    page.wait_for_function(f"() => {cell}.querySelector('.widget-subarea .jupyter-widgets') !== null", timeout=WAIT_MS)
    hidden = page.evaluate(f"() => [...{cell}.children].filter(c => !c.contains(document.querySelector('.sbsr-twin')))"
                           ".map(c => getComputedStyle(c).display === 'none')")
    assert len(hidden) >= 2 and all(hidden), hidden
    assert not page.blocked and not page.problems, page.blocked + page.problems
