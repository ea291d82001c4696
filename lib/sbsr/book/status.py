"""The reproduction status: one row per published table and figure of every seed.

    python -m sbsr.book.status [--root DIR] [--format text|csv|json]

Sources:

* the published tables, ``data/published/<table_id>.csv`` (see :mod:`sbsr.book.results`);
* the published figures, catalogued in ``data/published/figures.yml`` (id, seed file, label, caption);
* which chapter reproduces what: the ``tables:`` and ``figures:`` lists of ``notebooks/profiles.yml``;
* what was computed: ``results/<table_id>.csv`` and ``results/run-summary.json`` (the last run).

A table is **reproduced** when, for one run (one ``data``/``encoder``/``profile``), every published
number has a computed counterpart, **partially** when some have, **not yet** otherwise. The row shows the
run that covers most numbers (the ``full`` profile first on a tie) and the median of
``|reproduced − published|`` over the numbers it covers. The settings differ from the papers' (see each
chapter's banner), so that median measures the gap to the paper, not an error. A figure is reproduced
when a chapter declares it and that chapter ran without error in the last run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..config import ConfigError, find_project_root, load_profiles
from ..io import read_data_file
from .results import KEY, RESULT_COLUMNS, RUN_KEY, ResultsError, load_published, read_results_file

REPRODUCED, PARTIALLY, NOT_YET = "reproduced", "partially", "not yet"
STATUSES = (REPRODUCED, PARTIALLY, NOT_YET)
FIGURES_FILE = Path("data") / "published" / "figures.yml"
RUN_SUMMARY = Path("results") / "run-summary.json"
# Wide published tables (data/published/README.md): the first two printed columns label the row, the
# others hold the numbers; "-" means "not reported". This reproduces the README's own cell counts.
WIDE_LABEL_COLUMNS = 2
WIDE_META_COLUMNS = ("source_file", "table", "note")

# The seeds by file name, in the words of the status page.
SEEDS = {
    "000_a3fa1e075df665d8.txt": "Song et al. 2023",
    "001_035a26d89623bb81.txt": "Uy et al. 2021",
    "002_64a19fa29d46cca3.txt": "Berardi & Gryaditskaya 2023 (supplement)",
    "003_f23f6e658b165824.txt": "Berardi 2023 (thesis)",
    "004_1e4e67375dd91999.txt": "Ji & Wang 2016",
}
SEED_ORDER = ("003", "002", "000", "001", "004")  # the core work first


class StatusError(ValueError):
    """A catalogue or results file is malformed; the message names the file."""


@dataclass(frozen=True)
class PublishedItem:
    """A published table or figure."""

    id: str  # thesis_table_4_1, thesis_fig_4_1
    kind: str  # "table" | "figure"
    source_file: str  # seed file name
    label: str  # as printed: "Table 4.1", "Figure 4.1"
    caption: str = ""  # first sentence of the caption (figures) or what the table measures


@dataclass
class StatusRow:
    """One line of the status page."""

    id: str
    kind: str
    seed: str
    label: str
    caption: str
    status: str
    chapter: str | None = None  # notebook name, e.g. 01_overview
    chapter_title: str | None = None
    data: str | None = None
    encoder: str | None = None
    profile: str | None = None
    matched: int = 0  # published numbers with a computed counterpart (tables)
    n_published: int = 0  # published numbers (tables)
    median_abs_diff: float = float("nan")
    runs: int = 0  # runs in results/<id>.csv
    note: str = ""

    @property
    def coverage(self) -> str:
        return f"{self.matched}/{self.n_published}" if self.kind == "table" and self.n_published else ""

    @property
    def mad_text(self) -> str:
        return "–" if math.isnan(self.median_abs_diff) else f"{self.median_abs_diff:.2f}"


# --------------------------------------------------------------------------------------------------
# The catalogue of published items


def _seed_rank(source_file: str) -> int:
    prefix = source_file[:3]
    return SEED_ORDER.index(prefix) if prefix in SEED_ORDER else len(SEED_ORDER)


def _number_key(label: str) -> tuple:
    """Sort "Table 4.10" after "Table 4.9" and appendices (letters) after chapters."""
    parts = re.findall(r"[A-Z]|\d+", label.split(maxsplit=1)[-1])
    return tuple((1, p) if p.isalpha() else (0, int(p)) for p in parts)


def _table_descriptions(root: Path) -> dict[str, str]:
    """``what it measures`` of each table, read from the file list in ``data/published/README.md``."""
    readme = root / "data" / "published" / "README.md"
    if not readme.is_file():
        return {}
    out = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*([\w.-]+)\.csv\s*\|[^|]*\|([^|]*)\|", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def published_tables(root: str | os.PathLike) -> list[PublishedItem]:
    """Every published table, ``data/published/*.csv``."""
    root = Path(root)
    described = _table_descriptions(root)
    items = []
    for path in sorted((root / "data" / "published").glob("*.csv")):
        try:
            head = pd.read_csv(path, nrows=1, dtype=str, keep_default_na=False)
        except (ValueError, pd.errors.ParserError) as exc:
            raise StatusError(f"{path}: not a readable CSV: {exc}") from exc
        if head.empty or not {"source_file", "table"} <= set(head.columns):
            raise StatusError(f"{path}: needs the columns source_file and table and at least one row")
        items.append(
            PublishedItem(path.stem, "table", head["source_file"][0], head["table"][0], described.get(path.stem, ""))
        )
    return items


def load_figure_catalogue(root: str | os.PathLike) -> list[PublishedItem]:
    """The published figures, ``data/published/figures.yml``: a list of ``{id, source_file, figure, caption}``."""
    path = Path(root) / FIGURES_FILE
    raw = read_data_file(path, error=StatusError, what="figure catalogue")
    entries = raw.get("figures") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise StatusError(f"{path}: expected a mapping with a 'figures' list")
    items, seen = [], set()
    for i, entry in enumerate(entries):
        missing = [k for k in ("id", "source_file", "figure", "caption") if not (isinstance(entry, dict) and entry.get(k))]
        if missing:
            raise StatusError(f"{path}: figures[{i}] lacks {missing}")
        fid = str(entry["id"])
        if not re.fullmatch(r"[a-z0-9]+_fig_[A-Z0-9]+(_\d+)?", fid):
            raise StatusError(f"{path}: figures[{i}] id {fid!r} is not like thesis_fig_4_1 or song2023_fig_3")
        if fid in seen:
            raise StatusError(f"{path}: figure id {fid!r} is listed twice")
        seen.add(fid)
        items.append(PublishedItem(fid, "figure", str(entry["source_file"]), str(entry["figure"]), str(entry["caption"])))
    return items


def published_items(root: str | os.PathLike) -> list[PublishedItem]:
    """Tables then figures, seed by seed (the thesis first), in printed order."""
    items = published_tables(root) + load_figure_catalogue(root)
    return sorted(items, key=lambda it: (_seed_rank(it.source_file), it.kind != "table", _number_key(it.label)))


# --------------------------------------------------------------------------------------------------
# Status of one item


def _published_cells(table_id: str, root: Path) -> tuple[dict[tuple[str, str, str], int] | None, int]:
    """The published numbers: how many per ``(row, category, metric)`` key (long tables; a key can repeat
    when a printed column is only told apart in ``note``) or only their count (wide tables)."""
    try:
        pub = load_published(table_id, root)
    except ResultsError:
        path = root / "data" / "published" / f"{table_id}.csv"
        wide = pd.read_csv(path, dtype=str, keep_default_na=False)
        data_cols = [c for c in wide.columns if c not in WIDE_META_COLUMNS][WIDE_LABEL_COLUMNS:]
        cells = wide[data_cols].map(str.strip)
        return None, int(((cells != "") & (cells != "-")).to_numpy().sum())
    pub = pub[pub["value"].notna()]
    keys = Counter(map(tuple, pub[KEY].astype(str).to_numpy()))
    return dict(keys), len(pub)


def _read_results_file(path: Path) -> pd.DataFrame:
    try:
        return read_results_file(path)
    except ResultsError as exc:
        raise StatusError(str(exc)) from exc


def _run_coverage(run: pd.DataFrame, keys: dict | None) -> tuple[int, float]:
    """(published numbers covered by this run, median |reproduced − published| over them)."""
    ok = run[run["value"].notna() & run["published_value"].notna()]
    if keys is None:
        matched = len(ok)
    else:
        run_keys = [tuple(k) for k in ok[KEY].astype(str).to_numpy()]
        ok = ok.loc[[k in keys for k in run_keys]] if len(ok) else ok
        matched = sum(keys[k] for k in {k for k in run_keys if k in keys})
    diffs = (ok["value"] - ok["published_value"]).abs()
    return matched, float(diffs.median()) if len(ok) else float("nan")


def table_status(item: PublishedItem, root: Path, row: StatusRow) -> StatusRow:
    """Fill ``row`` from ``results/<id>.csv``: the best-covering run, its coverage and median |Δ|."""
    keys, n_published = _published_cells(item.id, root)
    row.n_published = n_published
    path = root / "results" / f"{item.id}.csv"
    if not path.is_file():
        row.status = NOT_YET
        return row
    if keys is None and not set(RESULT_COLUMNS) <= set(pd.read_csv(path, nrows=0).columns):
        return _wide_table_status(path, row, n_published)
    df = _read_results_file(path)
    best = None
    groups = list(df.groupby(RUN_KEY, sort=False)) if len(df) else []
    for (data, encoder, profile), run in groups:
        matched, mad = _run_coverage(run, keys)
        rank = (matched, profile == "full")
        if best is None or rank > best[0]:
            best = (rank, data, encoder, profile, matched, mad)
    row.runs = len(groups)
    if best is None:
        row.status = NOT_YET
        return row
    _, row.data, row.encoder, row.profile, row.matched, row.median_abs_diff = best
    row.matched = min(row.matched, n_published)
    if n_published and row.matched >= n_published:
        row.status = REPRODUCED
    elif row.matched > 0:
        row.status = PARTIALLY
    else:
        row.status = NOT_YET
    if row.runs > 1:
        row.note = f"{row.runs} runs in results/{item.id}.csv"
    return row


def _wide_table_status(path: Path, row: StatusRow, n_published: int) -> StatusRow:
    """A results file in the wide schema of its published table: every printed column ``C`` sits beside
    ``C (published)``; the covered numbers are the cells where both are filled (no median |Δ|: the
    cells are sizes and byte counts as printed, compared in the chapter)."""
    wide = pd.read_csv(path, dtype=str, keep_default_na=False)
    pairs = [c[: -len(" (published)")] for c in wide.columns if c.endswith(" (published)")]
    if not pairs or any(c not in wide.columns for c in pairs + RUN_KEY):
        raise StatusError(f"{path}: a wide results table needs columns C and 'C (published)' and {RUN_KEY}")
    best = None
    groups = list(wide.groupby(RUN_KEY, sort=False))
    for (data, encoder, profile), run in groups:
        filled = [((run[c].str.strip() != "") & (run[f"{c} (published)"].str.strip() != "")).sum() for c in pairs]
        rank = (int(sum(filled)), profile == "full")
        if best is None or rank > best[0]:
            best = (rank, data, encoder, profile)
    row.runs = len(groups)
    if best is None:
        row.status = NOT_YET
        return row
    (matched, _), row.data, row.encoder, row.profile = best
    row.matched = min(matched, n_published)
    row.status = REPRODUCED if n_published and row.matched >= n_published else (PARTIALLY if matched else NOT_YET)
    return row


def _run_summary(root: Path) -> dict[str, dict]:
    path = root / RUN_SUMMARY
    if not path.is_file():
        return {}
    summary = read_data_file(path, error=StatusError, what="run summary")
    return {r["notebook"]: {**r, "profile": summary.get("profile")} for r in summary.get("notebooks", [])}


def status_rows(root: str | os.PathLike | None = None) -> list[StatusRow]:
    """The status of every published table and figure, in page order."""
    root = Path(root) if root else find_project_root()
    try:
        profiles = load_profiles(root / "notebooks" / "profiles.yml")
    except ConfigError as exc:
        raise StatusError(str(exc)) from exc
    claims: dict[str, tuple[str, str]] = {}
    for nb in profiles.notebooks:
        for item_id in (*nb.tables, *nb.figures):
            claims.setdefault(item_id, (nb.name, nb.title))
    runs = _run_summary(root)
    rows = []
    for item in published_items(root):
        chapter, title = claims.get(item.id, (None, None))
        row = StatusRow(
            id=item.id,
            kind=item.kind,
            seed=SEEDS.get(item.source_file, item.source_file),
            label=item.label,
            caption=item.caption,
            status=NOT_YET,
            chapter=chapter,
            chapter_title=title,
        )
        run = runs.get(chapter) if chapter else None
        if item.kind == "table":
            table_status(item, root, row)
        elif chapter and run and run.get("status") == "ok":
            row.status, row.profile = REPRODUCED, run.get("profile")
        if chapter and run is None:
            row.note = "; ".join(filter(None, [row.note, "chapter not run yet"]))
        elif chapter and run.get("status") != "ok":
            row.note = "; ".join(filter(None, [row.note, "chapter failed in the last run"]))
        rows.append(row)
    return rows


def summary_line(rows: list[StatusRow]) -> str:
    """E.g. ``Tables: 3 reproduced, 1 partially, 20 not yet. Figures: ...``."""
    parts = []
    for kind, name in (("table", "Tables"), ("figure", "Figures")):
        sub = [r for r in rows if r.kind == kind]
        counts = ", ".join(f"{sum(r.status == s for r in sub)} {s}" for s in STATUSES)
        parts.append(f"{name} ({len(sub)}): {counts}.")
    return " ".join(parts)


def status_frame(rows: list[StatusRow]) -> pd.DataFrame:
    """The rows as a table (one line per item), with ``coverage`` and ``median_abs_diff`` columns."""
    records = []
    for r in rows:
        rec = asdict(r)
        rec["coverage"] = r.coverage
        records.append(rec)
    return pd.DataFrame(records)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m sbsr.book.status", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=None, help="project root (default: found from the current folder)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    args = p.parse_args(argv)
    try:
        rows = status_rows(Path(args.root).resolve() if args.root else None)
    except (StatusError, ConfigError) as exc:
        print(f"sbsr.book.status: error: {exc}", file=sys.stderr)
        return 2
    frame = status_frame(rows)
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", indent=1))
    else:
        from tabulate import tabulate

        cols = ["id", "status", "coverage", "data", "encoder", "profile", "median_abs_diff", "chapter", "note"]
        print(tabulate(frame[cols].astype(object).where(frame[cols].notna(), ""), headers=cols, tablefmt="github", showindex=False))
        print(summary_line(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
