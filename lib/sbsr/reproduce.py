"""The batch runner: execute the book's notebooks headless with papermill.

Usage::

    python -m sbsr.reproduce [--profile quick|full] [--only NOTEBOOK ...] [--device auto|cpu|cuda]

For every notebook listed in ``notebooks/profiles.yml`` (in that order), the runner reads the jupytext text
notebook ``notebooks/<name>.py``, injects the profile's parameters into its ``parameters`` cell, executes it
with papermill (kernel forced to this interpreter, per-cell timeout) from the project root, and writes the
executed notebook to ``book/chapters/<name>.ipynb``, where the book reads it. A failing notebook is
recorded and the run goes on; the summary is printed and written to ``results/run-summary.json``; the exit
status is 1 when any notebook failed and 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from .config import (DEVICES, PROFILES, ConfigError, check_notebook_parameters, check_toc, find_project_root,
                     load_profiles)
from .io import atomic_path, atomic_write_json

KERNEL_NAME = "python3"
NOTEBOOK_DIR = "notebooks"
EXECUTED_DIR = Path("book") / "chapters"
SUMMARY_PATH = Path("results") / "run-summary.json"


@dataclass
class RunRecord:
    notebook: str
    status: str  # "ok" | "failed"
    seconds: float
    output: str
    error: str = ""


class UsageError(Exception):
    """Bad command-line arguments: reported on one line, exit status 2."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog="python -m sbsr.reproduce", description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="quick", help="quick (CPU, minutes; CI) or full (the paper's sizes)")
    p.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks (names or paths)")
    p.add_argument("--device", default=None, help="override every notebook's device: auto, cpu or cuda")
    p.add_argument("--root", default=None, help="project root (default: found from the current folder)")
    p.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (overrides profiles)")
    p.add_argument("--list", action="store_true", help="list the notebooks and exit")
    return p


def _notebook_name(arg: str) -> str:
    """Accept ``01_data``, ``notebooks/01_data.py`` or ``book/chapters/01_data.ipynb``."""
    name = Path(arg).name
    for suffix in (".py", ".ipynb", ".md"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def text_notebook_path(root: Path, name: str) -> Path:
    return root / NOTEBOOK_DIR / f"{name}.py"


#: Cell tags that already decide how a code cell shows in the book (others get ``hide-input``).
VISIBILITY_TAGS = {"parameters", "show-input", "hide-input", "hide-cell", "hide-output", "remove-input", "remove-cell",
                   "remove-output"}


def convert(text_path: Path):
    """Read a jupytext text notebook into an nbformat notebook, checking its ``parameters`` cell."""
    import jupytext

    try:
        nb = jupytext.read(text_path)
    except Exception as exc:  # jupytext raises several types
        raise ConfigError(f"{text_path}: cannot be read as a jupytext notebook: {exc}") from exc
    params = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not params:
        raise ConfigError(f"{text_path}: no cell tagged 'parameters' (papermill needs one)")
    # The book shows papermill's injected cell (the values this run used); the defaults fold away.
    params[0].metadata["tags"] = [*params[0].metadata["tags"], "hide-cell"]
    # Reading flow: a page reads as question, method, table, figure, verdict; the code stays one click away.
    # Every other code cell's source is collapsed, unless its author tagged it show-input (or chose another
    # visibility tag).
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code" and not set(tags) & VISIBILITY_TAGS:
            cell.metadata["tags"] = [*tags, "hide-input"]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    # Pair the executed .ipynb with its text source for readers who open it in Jupyter with jupytext.
    nb.metadata["jupytext"] = {"formats": "book/chapters//ipynb,notebooks//py:percent"}
    return nb


def _kernel_env(root: Path) -> dict[str, str]:
    """Force the kernel to this interpreter: its ``bin`` first on PATH, the project root for imports."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["SBSR_PROJECT_ROOT"] = str(root)
    env["SBSR_HEADLESS"] = "1"
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def run_notebook(root: Path, name: str, parameters: dict, timeout: int) -> RunRecord:
    """Execute one notebook; never raises for a notebook error (the record says ``failed``)."""
    import nbformat
    import papermill as pm

    out_path = root / EXECUTED_DIR / f"{name}.ipynb"
    start = time.perf_counter()
    error = ""
    status = "ok"
    try:
        nb = convert(text_notebook_path(root, name))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        saved = dict(os.environ)
        with tempfile.TemporaryDirectory(prefix="sbsr-run-") as tmpdir:
            src = Path(tmpdir) / f"{name}.ipynb"
            nbformat.write(nb, src)
            os.environ.update(_kernel_env(root))
            try:
                with atomic_path(out_path) as dst:
                    try:
                        pm.execute_notebook(
                            str(src),
                            str(dst),
                            parameters=parameters,
                            kernel_name=KERNEL_NAME,
                            cwd=str(root),
                            execution_timeout=timeout,
                            progress_bar=False,
                            log_output=False,
                            request_save_on_cell_execute=False,
                        )
                    except pm.PapermillExecutionError as exc:
                        # papermill saved the notebook with the error first: the book shows where it failed.
                        status, error = "failed", f"{exc.ename}: {exc.evalue}"
            finally:
                os.environ.clear()
                os.environ.update(saved)
    except Exception as exc:  # kernel died, timeout, unreadable notebook...
        status, error = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0]
    return RunRecord(name, status, round(time.perf_counter() - start, 1), str(out_path.relative_to(root)), error)


def format_summary(records: Sequence[RunRecord]) -> str:
    from tabulate import tabulate

    rows = [(r.notebook, r.status, f"{r.seconds:.1f}", r.error[:80]) for r in records]
    total = sum(r.seconds for r in records)
    failed = sum(r.status != "ok" for r in records)
    table = tabulate(rows, headers=["notebook", "status", "seconds", "error"], tablefmt="github")
    return f"{table}\n{len(records) - failed} ok, {failed} failed, {total:.1f} s"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.profile not in PROFILES:
            raise UsageError(f"unknown profile {args.profile!r} (choose from {', '.join(PROFILES)})")
        if args.device is not None and args.device not in DEVICES:
            raise UsageError(f"unknown device {args.device!r} (choose from {', '.join(DEVICES)})")
        root = Path(args.root).resolve() if args.root else find_project_root()
        profiles = load_profiles(root / NOTEBOOK_DIR / "profiles.yml")
        check_notebook_parameters(profiles, root)
        if (root / "_toc.yml").is_file():  # a book's table of contents follows the execution order
            check_toc(profiles, root)
        names = profiles.names()
        if args.only:
            wanted = [_notebook_name(a) for a in args.only]
            unknown = [w for w in wanted if w not in names]
            if unknown:
                raise UsageError(f"unknown notebook {', '.join(unknown)} (known: {', '.join(names)})")
            names = [n for n in names if n in wanted]
        missing = [n for n in names if not text_notebook_path(root, n).is_file()]
        if missing:
            raise UsageError(f"listed in profiles.yml but missing: {', '.join(f'notebooks/{m}.py' for m in missing)}")
    except (UsageError, ConfigError) as exc:
        print(f"sbsr.reproduce: error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for nb in profiles.notebooks:
            print(f"{nb.name}\t{nb.title}")
        return 0

    from tqdm.auto import tqdm

    records: list[RunRecord] = []
    bar = tqdm(names, desc=f"notebooks ({args.profile})", unit="nb", file=sys.stderr)
    for name in bar:
        bar.set_postfix_str(name)
        params = profiles.parameters(name, args.profile)
        if args.device:
            params["device"] = args.device
        timeout = args.timeout or profiles.cell_timeout(name, args.profile)
        rec = run_notebook(root, name, params, timeout)
        records.append(rec)
        if rec.status != "ok":
            tqdm.write(f"FAILED {name}: {rec.error}", file=sys.stderr)
    bar.close()
    summary = {
        "profile": args.profile,
        "device": args.device or "per-notebook",
        "notebooks": [asdict(r) for r in records],
        "failed": [r.notebook for r in records if r.status != "ok"],
    }
    atomic_write_json(root / SUMMARY_PATH, summary)
    print(format_summary(records))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
