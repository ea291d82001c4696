"""Build the book: run every notebook headless, then build the HTML with Jupyter Book 1.

    python -m sbsr.book.build [--profile quick|full] [--device auto|cpu|cuda] [--skip-run]
    python -m sbsr.book.build --fetch-assets    # only fetch the bundled JavaScript (make setup does this)

Jupyter Book does not execute anything (``execute_notebooks: off``): it renders the notebooks that
:mod:`sbsr.reproduce` executed into ``book/chapters/``. The HTML is built even when a notebook failed (the
page then shows the failing cell), but the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .. import reproduce
from . import websearch
from ..config import find_project_root
from .sphinx_ext import STATIC_VENDOR, VENDOR_ENTRY_POINTS, VendorError, fetch_vendor


def fetch_assets(root: Path, quiet: bool = False) -> int:
    """Fetch the JavaScript the book serves itself (see :mod:`sbsr.book.sphinx_ext`); 0 or 2."""
    try:
        where = fetch_vendor(root)
    except VendorError as exc:
        print(f"sbsr.book.build: error: {exc}", file=sys.stderr)
        return 2
    if not quiet:
        print(f"book assets: {where}")
    return 0


def build_html(root: Path) -> int:
    """``jupyter-book build`` into ``<root>/_build/html``; returns its exit status.

    The page assets are fetched first, so that a missing npm is reported before Sphinx starts, and checked
    afterwards: a book whose pages would reach for a CDN is not a successful build.
    """
    status = fetch_assets(root, quiet=True)
    if status:
        return status
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(root), "--builder", "html"]
    proc = subprocess.run(cmd, cwd=root)
    html = root / "_build" / "html"
    if proc.returncode == 0:
        expected = [html / "index.html"] + [html / "_static" / STATIC_VENDOR / e for e in VENDOR_ENTRY_POINTS]
        missing = [str(p) for p in expected if not p.is_file()]
        if missing:
            print(f"sbsr.book.build: error: not written: {', '.join(missing)}", file=sys.stderr)
            return 1
    return proc.returncode


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sbsr.book.build", description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="quick")
    p.add_argument("--device", default=None)
    p.add_argument("--root", default=None)
    p.add_argument("--skip-run", action="store_true", help="build from the notebooks executed last time")
    p.add_argument("--fetch-assets", action="store_true", help="only fetch the bundled JavaScript into .vendor/")
    args = p.parse_args(argv)
    root = Path(args.root).resolve() if args.root else find_project_root()
    assets_status = fetch_assets(root)  # before the notebooks run: fail in seconds, not after an hour
    if args.fetch_assets or assets_status:
        return assets_status
    run_status = 0
    if not args.skip_run:
        run_args = ["--profile", args.profile, "--root", str(root)]
        if args.device:
            run_args += ["--device", args.device]
        run_status = reproduce.main(run_args)
        if run_status == 2:
            return 2
    try:  # the explorer's in-page sketch search: encoder tap + gallery index (cached; seconds)
        try:
            websearch.build_data(root, args.profile)
        except websearch.DataTooLarge as exc:  # a bigger profile's galleries: the page uses the quick ones
            print(f"sbsr.book.build: {exc}; the page's sketch search uses the quick profile's galleries")
            websearch.build_data(root, "quick")
    except Exception as exc:  # the book still builds; the explorer page then says the search is missing
        print(f"sbsr.book.build: warning: sketch search data not built: {type(exc).__name__}: {exc}", file=sys.stderr)
    html_status = build_html(root)
    if html_status == 0:
        print(f"book: {root / '_build' / 'html' / 'index.html'}")
    return run_status or html_status


if __name__ == "__main__":
    sys.exit(main())
