"""Build the book: run every notebook headless, then build the HTML with Jupyter Book 1.

    python -m sbsr.book.build [--profile quick|full] [--device auto|cpu|cuda] [--skip-run]

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
from ..config import find_project_root


def build_html(root: Path) -> int:
    """``jupyter-book build`` into ``<root>/_build/html``; returns its exit status."""
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(root), "--builder", "html"]
    proc = subprocess.run(cmd, cwd=root)
    index = root / "_build" / "html" / "index.html"
    if proc.returncode == 0 and not index.is_file():
        print(f"sbsr.book.build: error: {index} was not written", file=sys.stderr)
        return 1
    return proc.returncode


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sbsr.book.build", description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="quick")
    p.add_argument("--device", default=None)
    p.add_argument("--root", default=None)
    p.add_argument("--skip-run", action="store_true", help="build from the notebooks executed last time")
    args = p.parse_args(argv)
    root = Path(args.root).resolve() if args.root else find_project_root()
    run_status = 0
    if not args.skip_run:
        run_args = ["--profile", args.profile, "--root", str(root)]
        if args.device:
            run_args += ["--device", args.device]
        run_status = reproduce.main(run_args)
        if run_status == 2:
            return 2
    html_status = build_html(root)
    if html_status == 0:
        print(f"book: {root / '_build' / 'html' / 'index.html'}")
    return run_status or html_status


if __name__ == "__main__":
    sys.exit(main())
