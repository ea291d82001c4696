"""Sphinx extension for the book: everything a page needs is bundled, nothing comes from a CDN.

* **Offline assets.** plotly.js is copied from the plotly Python package. require.js, the Jupyter widgets
  HTML manager (``embed-amd.js``, which bundles the core ``@jupyter-widgets/base``, ``controls`` and
  ``output`` models and views, so the ipywidgets controls render without loading anything) and MathJax 3
  come from the npm registry: :func:`fetch_vendor` runs ``npm pack`` for the pinned versions of
  :data:`VENDOR_PACKAGES` (one tarball each, no dependency tree), checks each tarball against its pinned
  sha512 and unpacks only the files the book uses into the git-ignored folder ``.vendor/`` (about 15 MB on
  disk; nothing of it is committed, so the repository stays small). ``make setup`` does this once; a build
  that finds the folder missing does it too. The files are copied to ``_static/vendor/`` and
  ``_config.yml`` points myst-nb's ``nb_ipywidgets_js`` and Sphinx's ``mathjax_path`` at them.
  Third-party widget libraries (none are used) would still be looked up on the html-manager's CDN.
* **Clean pages.** sphinx-thebe's scripts (injected twice by Jupyter Book, which makes the browser report
  a redeclared constant, and pointing at a CDN) are dropped: the book has no live-code button. The
  theme's colour mode gets an explicit default so that pydata-sphinx-theme logs no error.
* **"Run this chapter yourself".** Every chapter page built from ``book/chapters/*.ipynb`` gets a note
  under its introduction: a download link for the notebook, the parameters it was executed with, and
  the commands to rerun it with live widgets (JupyterLab) or other parameters (papermill, the runner).
* **Reproduction status.** The ``sbsr-status`` directive renders :mod:`sbsr.book.status` (one row per
  published table and figure) and is re-read on every build, since it depends on ``results/``.
* **Sketch search.** The runtime and data file of :mod:`sbsr.book.websearch` go to ``_static/sbsr-websearch/``;
  the explorer page's panel loads them (no other page does).
* ``index.html`` links every page (see :func:`_write_index`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import websearch
from .plotting import plotly_js_path

CSS = """
.sbsr-banner { border-left: 4px solid #4c72b0; background: #f3f6fb; padding: .5em .8em; margin: .6em 0;
  font-size: .9em; }
table.sbsr-results { font-size: .85em; border-collapse: collapse; }
table.sbsr-results th, table.sbsr-results td { padding: .2em .5em; text-align: right; white-space: nowrap; }
table.sbsr-results tbody th { text-align: left; }
.sbsr-plotly { overflow-x: auto; }
table.sbsr-status { font-size: .8em; }
table.sbsr-status td { vertical-align: top; }
table.sbsr-status tr.sbsr-status-reproduced td.sbsr-status-cell { background: #e3f4e1; }
table.sbsr-status tr.sbsr-status-partially td.sbsr-status-cell { background: #fdf3d7; }
table.sbsr-status tr.sbsr-status-not-yet td.sbsr-status-cell { background: #f6e3e3; }
"""

# Loaded between require.js and embed-amd.js on pages with widgets (see nb_ipywidgets_js in _config.yml).
WIDGETS_SETUP_JS = """\
// sbsr: make the Jupyter widgets HTML manager work from the book's own files.
(function () {
  // embed-amd.js loads its icon fonts relative to the AMD path of its module: point that path at the
  // folder this script and the manager's files were copied to (pages live at different depths).
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": here + "html-manager" } });
  // The ipywidgets controls typeset their descriptions with the MathJax 2 API (MathJax.Hub.Queue); the
  // book loads MathJax 3. Forward those calls to MathJax 3 instead of letting them throw.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function (job) {
        var el = job && job[2];
        var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
        return ready.then(function () {
          return mj.typesetPromise ? mj.typesetPromise(el ? [el] : undefined) : null;
        });
      },
    };
  });
})();
"""
WIDGETS_SETUP_FILE = "sbsr-widgets-setup.js"

VENDOR_DIR = ".vendor"  # under the project root; git-ignored
STATIC_VENDOR = "vendor"  # under the built book's _static/


@dataclass(frozen=True)
class NpmPackage:
    """One npm package whose files the book serves itself.

    ``files`` maps a path inside the tarball (``package/...``; a trailing ``/`` takes the whole folder) to
    its place under ``_static/vendor/``. ``integrity`` is the registry's ``dist.integrity`` of the tarball.
    """

    name: str
    version: str
    integrity: str
    files: tuple[tuple[str, str], ...]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


VENDOR_PACKAGES: tuple[NpmPackage, ...] = (
    NpmPackage(
        "requirejs",
        "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        (("package/require.js", "require.js"),),
    ),
    # embed-amd.js derives its public path from its own URL, so its icon fonts sit beside it.
    NpmPackage(
        "@jupyter-widgets/html-manager",
        "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        (("package/dist/embed-amd.js", "html-manager/embed-amd.js"), ("package/dist/*.font", "html-manager/")),
    ),
    # The combined TeX+MathML/CHTML component plus what it may load lazily (TeX extensions, fonts, menu,
    # accessibility); the other combined bundles and the SVG output are left out.
    NpmPackage(
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        (
            ("package/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
            ("package/es5/input/", "mathjax/input/"),
            ("package/es5/output/chtml/", "mathjax/output/chtml/"),
            ("package/es5/ui/", "mathjax/ui/"),
            ("package/es5/a11y/", "mathjax/a11y/"),
            ("package/es5/sre/", "mathjax/sre/"),
            ("package/es5/adaptors/", "mathjax/adaptors/"),
            ("package/LICENSE", "mathjax/LICENSE"),
        ),
    ),
)
FONT_SUFFIXES = (".woff", ".woff2", ".ttf", ".eot", ".svg")
# What every page expects to find under _static/vendor/ (checked before and after a build).
VENDOR_ENTRY_POINTS = ("require.js", "html-manager/embed-amd.js", "mathjax/tex-mml-chtml.js")


class VendorError(RuntimeError):
    """The bundled JavaScript could not be obtained; the message says what to install or run."""


def vendor_dir(root: str | os.PathLike) -> Path:
    return Path(root) / VENDOR_DIR


def _stamp(root) -> Path:
    return vendor_dir(root) / "versions.json"


def _wanted_versions() -> dict[str, str]:
    return {p.name: p.version for p in VENDOR_PACKAGES}


def vendor_ready(root: str | os.PathLike) -> bool:
    """True when ``.vendor/`` holds the pinned versions of every package."""
    stamp = _stamp(root)
    if not stamp.is_file():
        return False
    try:
        versions = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return versions == _wanted_versions() and all(
        (vendor_dir(root) / entry).is_file() for entry in VENDOR_ENTRY_POINTS
    )


def _npm_executable() -> str:
    for candidate in (shutil.which("npm"), str(Path(sys.executable).parent / "npm")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise VendorError(
        "npm is needed once to fetch the book's JavaScript (require.js, the widgets HTML manager, MathJax) "
        "from the npm registry; install Node.js (Debian: apt-get install npm) and run `make setup`"
    )


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode("ascii")


def _extract(pkg: NpmPackage, tarball: Path, dest: Path) -> None:
    """Copy the members of ``pkg.files`` out of ``tarball`` into ``dest`` (regular files only)."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        for src, dst in pkg.files:
            if src.endswith("*.font"):
                folder = src[: -len("*.font")]
                chosen = [
                    (m, dst + posixpath.basename(m.name))
                    for m in members
                    if posixpath.dirname(m.name) + "/" == folder and m.name.endswith(FONT_SUFFIXES)
                ]
            elif src.endswith("/"):
                chosen = [(m, dst + m.name[len(src):]) for m in members if m.name.startswith(src)]
            else:
                chosen = [(m, dst) for m in members if m.name == src]
            if not chosen:
                raise VendorError(f"{tarball.name}: has no {src!r} (is {pkg.spec} the pinned version?)")
            for member, rel in chosen:
                target = (dest / rel).resolve()
                if dest.resolve() not in target.parents:
                    raise VendorError(f"{tarball.name}: member {member.name!r} would land outside {dest}")
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as fh:  # type: ignore[union-attr]
                    target.write_bytes(fh.read())


def fetch_vendor(root: str | os.PathLike, force: bool = False) -> Path:
    """Fetch the pinned npm packages into ``<root>/.vendor`` (a no-op when already there).

    ``npm pack`` downloads one tarball per package (no dependencies, no install scripts). Each tarball
    must match its pinned sha512; the folder is assembled beside the old one and swapped in at the end.
    """
    root = Path(root).resolve()
    target = vendor_dir(root)
    if not force and vendor_ready(root):
        return target
    npm = _npm_executable()
    # Staged under a hidden name beside the target (same file system; Sphinx ignores hidden folders).
    with tempfile.TemporaryDirectory(prefix=".sbsr-vendor-", dir=root) as tmp:
        tmp = Path(tmp)
        packs, staging = tmp / "packs", tmp / "vendor"
        packs.mkdir()
        staging.mkdir()
        for pkg in VENDOR_PACKAGES:
            before = set(packs.iterdir())
            cmd = [npm, "pack", pkg.spec, "--pack-destination", str(packs), "--ignore-scripts", "--silent"]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, timeout=600)
            except subprocess.TimeoutExpired as exc:
                raise VendorError(f"`{' '.join(cmd[:3])}` got no answer from the npm registry in 600 s") from exc
            new = sorted(set(packs.iterdir()) - before)
            if proc.returncode != 0 or len(new) != 1:
                raise VendorError(f"`{' '.join(cmd[:3])}` failed: {(proc.stderr or proc.stdout).strip()[-500:]}")
            got = _integrity(new[0])
            if got != pkg.integrity:
                raise VendorError(f"{pkg.spec}: tarball {new[0].name} has integrity {got}, expected {pkg.integrity}")
            _extract(pkg, new[0], staging)
        (staging / "versions.json").write_text(json.dumps(_wanted_versions(), indent=2) + "\n", encoding="utf-8")
        old = tmp / "old"
        if target.exists():
            target.rename(old)
        staging.rename(target)
    return target


# --------------------------------------------------------------------------------------------------
# Sphinx hooks


def _project_root(app) -> Path:
    return Path(app.srcdir)


def copy_assets(root: str | os.PathLike, outdir: str | os.PathLike) -> Path:
    """Put plotly.js, the book's CSS and ``.vendor/`` (fetched if missing) into ``<outdir>/_static``."""
    static = Path(outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(str(plotly_js_path()), static / "plotly.min.js")
    (static / "sbsr.css").write_text(CSS, encoding="utf-8")
    src = fetch_vendor(root)
    dest = static / STATIC_VENDOR
    shutil.copytree(src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("versions.json"))
    (dest / WIDGETS_SETUP_FILE).write_text(WIDGETS_SETUP_JS, encoding="utf-8")
    websearch.install(root, static)  # the explorer page's sketch search (data file built by sbsr.book.build)
    return static


def copy_widget_fonts(root: str | os.PathLike, outdir: str | os.PathLike, docnames) -> list[Path]:
    """Copy the html-manager's icon fonts next to every page, into ``<page folder>/@jupyter-widgets/``.

    The widgets bundle resolves the font-awesome files of widget icons against the *page*
    (``@jupyter-widgets/<hash>.woff2``), not against the script, so every folder holding a page
    needs a copy or the browser requests missing files. Returns the folders written.
    """
    fonts = sorted(f for f in (vendor_dir(root) / "html-manager").glob("*") if f.suffix in FONT_SUFFIXES)
    written = []
    for folder in sorted({posixpath.dirname(doc) for doc in docnames}):
        target = Path(outdir) / folder / "@jupyter-widgets"
        target.mkdir(parents=True, exist_ok=True)
        for f in fonts:
            shutil.copyfile(f, target / f.name)
        written.append(target)
    return written


def _install_assets(app) -> None:
    """``builder-inited``: copy the assets before pages are written (their links carry checksums)."""
    if app.builder.format != "html":
        return
    from sphinx.errors import ExtensionError

    try:
        copy_assets(_project_root(app), app.builder.outdir)
    except VendorError as exc:
        raise ExtensionError(f"sbsr.book: {exc}") from exc


def _install_widget_fonts(app, exception):
    """``build-finished``: the icon fonts next to every written page (see :func:`copy_widget_fonts`)."""
    if exception is not None or app.builder.format != "html":
        return
    copy_widget_fonts(_project_root(app), app.builder.outdir, app.env.found_docs)


def _set_theme_defaults(app, config):
    """pydata-sphinx-theme logs an error for an empty colour mode: give it its documented default
    (``default_mode`` is read from ``html_context``)."""
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def _drop_thebe(app, pagename, templatename, context, doctree):
    """Remove sphinx-thebe's scripts and style sheet from the page (the book has no live-code button)."""

    def is_thebe(asset) -> bool:
        name = posixpath.basename(os.fspath(getattr(asset, "filename", None) or ""))
        return name.startswith("sphinx-thebe") or "THEBE_JS_URL" in str(getattr(asset, "attributes", {}).get("body", ""))

    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if isinstance(assets, list):
            assets[:] = [a for a in assets if not is_thebe(a)]


# --------------------------------------------------------------------------------------------------
# "Run this chapter yourself"

CHAPTER_DIR = "book/chapters/"


def _parameter_names(nb: dict) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (Python ``name = value`` lines)."""
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", []))
            return re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=", source, re.M)
    return []


def _papermill_value(value) -> str:
    text = str(value)
    return text if re.fullmatch(r"[\w./:+-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def rerun_note(name: str, nb: dict, full_parameters: dict | None = None) -> str:
    """MyST text of the "Run this chapter yourself" note for the chapter notebook ``name``."""
    used = dict(nb.get("metadata", {}).get("papermill", {}).get("parameters") or {})
    names = _parameter_names(nb) or list(used)
    profile = used.get("profile", "quick")
    shown = ", ".join(f"`{k}={used[k]!r}`" for k in names if k in used) or "the defaults of its parameters cell"
    full = dict(full_parameters or {"profile": "full"})
    opts = " ".join(f"-p {k} {_papermill_value(v)}" for k, v in full.items())
    return "\n".join(
        [
            ":::{admonition} Run this chapter yourself",
            ":class: tip dropdown sbsr-rerun",
            f"This page shows notebook {{download}}`{name}.ipynb <{name}.ipynb>` (download it here) as "
            f"executed by `python -m sbsr.reproduce` with profile `{profile}`: {shown}.",
            "",
            "- **Live widgets**: the widgets on this page show their saved state. Open the notebook in "
            "JupyterLab and run all cells to make them redraw: "
            f"`.venv/bin/pip install jupyterlab && .venv/bin/jupyter lab book/chapters/{name}.ipynb`.",
            f"- **Other parameters** ({', '.join(f'`{n}`' for n in names) or 'see its parameters cell'}): "
            "papermill replaces the injected values, so pass every parameter of the profile you want, "
            f"e.g. the `full` profile: `.venv/bin/papermill book/chapters/{name}.ipynb out.ipynb {opts}` "
            "(change any value, e.g. `-p seed 1`). "
            f"The runner does the same and also updates `results/`: "
            f"`.venv/bin/python -m sbsr.reproduce --only {name} --profile full`; "
            "then `.venv/bin/python -m sbsr.book.build --skip-run` rebuilds these pages "
            "(see {doc}`/book/reproduce`).",
            ":::",
        ]
    )


def _full_parameters(app, name: str) -> dict | None:
    from ..config import ConfigError, load_profiles

    path = _project_root(app) / "notebooks" / "profiles.yml"
    try:
        return load_profiles(path).parameters(name, "full")
    except (ConfigError, KeyError):
        return None


def _inject_rerun_note(app, docname: str, source: list[str]) -> None:
    """``source-read``: insert the note as a markdown cell after the chapter notebook's first cell."""
    if not docname.startswith(CHAPTER_DIR) or not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return  # not JSON: leave it to myst-nb to report
    name = docname[len(CHAPTER_DIR):]
    note = rerun_note(name, nb, _full_parameters(app, name))
    cell = {"cell_type": "markdown", "metadata": {"tags": ["sbsr-rerun"]}, "source": note}
    if nb.get("nbformat", 4) >= 4 and nb.get("nbformat_minor", 0) >= 5:
        cell["id"] = "sbsr-rerun-note"
    cells = nb.setdefault("cells", [])
    first_md = next((i for i, c in enumerate(cells) if c.get("cell_type") == "markdown"), -1)
    cells.insert(first_md + 1, cell)
    source[0] = json.dumps(nb)


# --------------------------------------------------------------------------------------------------
# The reproduction-status directive


def _status_directive():
    from docutils import nodes
    from docutils.parsers.rst import Directive
    from sphinx import addnodes

    from . import status as status_mod

    class StatusDirective(Directive):
        """``sbsr-status``: the rows of :func:`sbsr.book.status.status_rows`, one section and table per seed."""

        has_content = False
        headers = ("published", "status", "data", "encoder", "profile", "median |Δ|", "chapter")

        def run(self):
            env = self.state.document.settings.env
            env.sbsr_status_docs = getattr(env, "sbsr_status_docs", set()) | {env.docname}
            try:
                rows = status_mod.status_rows(Path(env.srcdir))
            except status_mod.StatusError as exc:
                raise self.error(f"sbsr-status: {exc}") from exc
            out = [self._para(status_mod.summary_line(rows))]
            seeds = list(dict.fromkeys(r.seed for r in rows))
            for seed in seeds:
                sub = [r for r in rows if r.seed == seed]
                section = nodes.section(ids=[nodes.make_id(f"status-{seed}")], names=[nodes.fully_normalize_name(seed)])
                section += nodes.title(text=seed)
                section += self._para(status_mod.summary_line(sub))
                section += self._table(sub, env.found_docs)
                self.state.document.note_implicit_target(section, section)
                out.append(section)
            return out

        @staticmethod
        def _para(value: str):
            para = nodes.paragraph()
            para += nodes.Text(value)
            return para

        def _table(self, rows, found_docs):
            table = nodes.table(classes=["sbsr-status"])
            group = nodes.tgroup(cols=len(self.headers))
            table += group
            for _ in self.headers:
                group += nodes.colspec(colwidth=1)
            head, hrow = nodes.thead(), nodes.row()
            for h in self.headers:
                hrow += nodes.entry("", self._para(h))
            head += hrow
            group += head
            body = nodes.tbody()
            for r in rows:
                row = nodes.row(classes=["sbsr-status-" + r.status.replace(" ", "-")], ids=[f"status-{r.id}"])
                what = nodes.paragraph()
                what += nodes.strong(text=r.label)
                if r.caption:
                    what += nodes.Text(" " + r.caption + " ")
                what += nodes.literal(text=r.id)
                chapter = nodes.paragraph()
                doc = f"{CHAPTER_DIR}{r.chapter}" if r.chapter else None
                if doc and doc in found_docs:
                    ref = addnodes.pending_xref(
                        "", refdomain="std", reftype="doc", reftarget="/" + doc, refexplicit=True, refwarn=True
                    )
                    ref += nodes.inline(text=r.chapter_title or r.chapter)
                    chapter += ref
                else:
                    chapter += nodes.Text(r.chapter_title or r.chapter or "–")
                if r.note:
                    chapter += nodes.Text(f" ({r.note})")
                cells = [
                    what,
                    self._para(r.status + (f" ({r.coverage})" if r.coverage else "")),
                    self._para(r.data or "–"),
                    self._para(r.encoder or "–"),
                    self._para(r.profile or "–"),
                    self._para(r.mad_text),
                    chapter,
                ]
                for i, cell in enumerate(cells):
                    row += nodes.entry("", cell, classes=["sbsr-status-cell"] if i == 1 else [])
                body += row
            group += body
            return table

    return StatusDirective


def _status_always_outdated(app, env, added, changed, removed):
    return sorted(getattr(env, "sbsr_status_docs", set()) - set(removed))


def _status_purge(app, env, docname):
    if hasattr(env, "sbsr_status_docs"):
        env.sbsr_status_docs.discard(docname)


def _status_merge(app, env, docnames, other):
    env.sbsr_status_docs = getattr(env, "sbsr_status_docs", set()) | getattr(other, "sbsr_status_docs", set())


# --------------------------------------------------------------------------------------------------
# index.html


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
    app.add_directive("sbsr-status", _status_directive())
    app.connect("config-inited", _set_theme_defaults)
    app.connect("builder-inited", _install_assets)
    app.connect("source-read", _inject_rerun_note)
    app.connect("env-get-outdated", _status_always_outdated)
    app.connect("env-purge-doc", _status_purge)
    app.connect("env-merge-info", _status_merge)
    app.connect("html-page-context", _drop_thebe, priority=100)
    app.connect("build-finished", _write_index, priority=400)
    app.connect("build-finished", _install_widget_fonts)
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
