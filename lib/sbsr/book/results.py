"""The results convention: every reproduced table beside the published one.

A reproduced table is written to ``results/<table_id>.csv`` where ``<table_id>`` is the file stem of the
matching published table in ``data/published/`` (for example ``thesis_table_4_1``). Columns, in order:
:data:`RESULT_COLUMNS`. ``value``/``plus_minus`` are always computed by a notebook;
``published_value``/``published_plus_minus`` are looked up from the published CSV by
``(row, category, metric)``, never the other way round.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..config import find_project_root
from ..io import atomic_path

RESULT_COLUMNS = [
    "table",
    "row",
    "category",
    "metric",
    "value",
    "plus_minus",
    "published_value",
    "published_plus_minus",
    "data",
    "encoder",
    "profile",
]
PUBLISHED_COLUMNS = ["source_file", "table", "row", "category", "metric", "value", "plus_minus", "note"]
KEY = ["row", "category", "metric"]
RUN_KEY = ["data", "encoder", "profile"]
DECIMALS = 4

# What produced the published numbers, by seed file: shown in the banner above each table.
PUBLISHED_SETTING = {
    "003_f23f6e658b165824.txt": "the thesis (Berardi): AmateurSketch sketches (Qi et al.) and ShapeNetCore v2 "
    "shapes, OpenAI CLIP",
    "000_a3fa1e075df665d8.txt": "Song et al.: MI3DOR / MI3DOR-2 images and 3D models",
    "001_035a26d89623bb81.txt": "Uy et al.: ShapeNet images and meshes",
    "004_1e4e67375dd91999.txt": "Ji et al.: voxel/image triplet encoder",
}


# Tables of a seed that were made in another setting than the seed's main one (by table id).
PUBLISHED_TABLE_SETTING = {
    "thesis_table_3_1": "the thesis (Berardi), SketchyDepth: SketchyCOCO scene sketches, FID on Inception features",
    "thesis_table_5_1": "the thesis (Berardi), NetSpace: networks trained on Tiny-ImageNet",
    "thesis_table_C_1": "the thesis (Berardi), NetSpace: networks trained on CIFAR-10 and Tiny-ImageNet",
}


class ResultsError(ValueError):
    """A results or published table is malformed; the message names the file."""


def published_dir(root: str | os.PathLike | None = None) -> Path:
    return Path(root or find_project_root()) / "data" / "published"


#: Environment variable naming the results folder of this run (set from a chapter's ``results_dir``).
ENV_RESULTS_DIR = "SBSR_RESULTS_DIR"


def results_dir(root: str | os.PathLike | None = None) -> Path:
    """``<root>/results`` when ``root`` is given; else ``$SBSR_RESULTS_DIR`` (a chapter's ``results_dir``,
    see :func:`sbsr.book.setup`) or the project's ``results/``."""
    if root is None and os.environ.get(ENV_RESULTS_DIR):
        return Path(os.environ[ENV_RESULTS_DIR])
    return Path(root or find_project_root()) / "results"


def published_table_ids(root: str | os.PathLike | None = None) -> list[str]:
    return sorted(p.stem for p in published_dir(root).glob("*.csv"))


def load_published(table_id: str, root: str | os.PathLike | None = None) -> pd.DataFrame:
    """The published table ``data/published/<table_id>.csv`` (long format)."""
    path = published_dir(root) / f"{table_id}.csv"
    if not path.is_file():
        known = ", ".join(published_table_ids(root)) or "none"
        raise ResultsError(f"{path}: no published table {table_id!r} (known: {known})")
    df = pd.read_csv(path, dtype={"row": str, "category": str, "metric": str}, keep_default_na=False)
    missing = [c for c in PUBLISHED_COLUMNS if c not in df.columns]
    if missing:
        raise ResultsError(f"{path}: not a long-format results table, missing columns {missing}")
    for col in ("value", "plus_minus"):
        df[col] = pd.to_numeric(df[col].replace("", float("nan")), errors="raise")
    return df


# Wide published tables (data/published/README.md): the first two printed columns label the row, the others
# hold the numbers. Kept in step with sbsr.book.status.WIDE_LABEL_COLUMNS / WIDE_META_COLUMNS.
_WIDE_META = ("source_file", "table", "note")


def _number(cell: str) -> float:
    """A printed cell as a number: thousands separators and a trailing % dropped; NaN when it is not one
    (``-`` = not reported, or a shape such as ``3 × 3 × 16``)."""
    try:
        return float(str(cell).strip().rstrip("%").replace(",", ""))
    except ValueError:
        return float("nan")


def load_published_wide(table_id: str, root: str | os.PathLike | None = None) -> pd.DataFrame:
    """A wide published table (``ji_table_1``, ``thesis_table_C_1``) in the long schema: ``category`` = the
    first label column (filled down), ``row`` = the second, ``metric`` = each printed data column, ``value``
    = the cell as a number (NaN when it is not one)."""
    path = published_dir(root) / f"{table_id}.csv"
    if not path.is_file():
        raise ResultsError(f"{path}: no published table {table_id!r}")
    wide = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = [c for c in wide.columns if c not in _WIDE_META]
    if len(cols) < 3 or not {"source_file", "table"} <= set(wide.columns):
        raise ResultsError(f"{path}: not a wide published table (needs source_file, table, two label columns, data)")
    cat_col, row_col, data_cols = cols[0], cols[1], cols[2:]
    category = wide[cat_col].replace("", pd.NA).ffill().fillna("")
    recs = []
    for i, r in wide.iterrows():
        for m in data_cols:
            recs.append({"source_file": r["source_file"], "table": r["table"], "row": r[row_col],
                         "category": category[i], "metric": m, "value": _number(r[m]), "plus_minus": float("nan"),
                         "note": r.get("note", "")})
    return pd.DataFrame(recs, columns=PUBLISHED_COLUMNS)


def _published_any(table_id: str, root=None) -> pd.DataFrame:
    """:func:`load_published`, or :func:`load_published_wide` for a wide table."""
    try:
        return load_published(table_id, root)
    except ResultsError as exc:
        if "not a long-format" not in str(exc):
            raise
        return load_published_wide(table_id, root)


def published_rows(table_id: str, root: str | os.PathLike | None = None) -> list[str]:
    """Row labels of a published table, in printed order."""
    return list(dict.fromkeys(_published_any(table_id, root)["row"]))


def make_results(
    table_id: str,
    reproduced: pd.DataFrame | Iterable[dict],
    *,
    data: str,
    encoder: str,
    profile: str,
    root: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Attach published values to computed ones.

    ``reproduced`` holds ``row, category, metric, value`` and optionally ``plus_minus``; ``row`` uses the
    published row label when the row reproduces a published one (other rows are allowed: their published
    value stays empty).
    """
    rep = pd.DataFrame(list(reproduced) if not isinstance(reproduced, pd.DataFrame) else reproduced).copy()
    for col in ("row", "category", "metric", "value"):
        if col not in rep.columns:
            raise ResultsError(f"reproduced table for {table_id} lacks column {col!r}")
    if "plus_minus" not in rep.columns:
        rep["plus_minus"] = float("nan")
    rep = rep[["row", "category", "metric", "value", "plus_minus"]]
    rep["category"] = rep["category"].fillna("").astype(str)
    if rep.duplicated(KEY).any():
        dup = rep[rep.duplicated(KEY, keep=False)].head(3).to_dict("records")
        raise ResultsError(f"reproduced table for {table_id} repeats keys, e.g. {dup}")
    pub = _published_any(table_id, root)
    pub = pub[KEY + ["value", "plus_minus", "table"]].rename(
        columns={"value": "published_value", "plus_minus": "published_plus_minus"}
    )
    out = rep.merge(pub.drop(columns="table"), on=KEY, how="left")
    out.insert(0, "table", pub["table"].iloc[0] if len(pub) else table_id)
    out["data"], out["encoder"], out["profile"] = data, encoder, profile
    for col in ("value", "plus_minus"):
        out[col] = pd.to_numeric(out[col]).astype(float).round(DECIMALS)
    return out[RESULT_COLUMNS]


def write_results(
    table_id: str, results: pd.DataFrame, root: str | os.PathLike | None = None
) -> Path:
    """Write ``results/<table_id>.csv`` atomically.

    Rows of the same ``(data, encoder, profile)`` as ``results`` replace earlier ones; rows of other runs
    (another encoder, another profile) are kept. Rows are ordered by the published row order, so that
    rerunning with the same parameters writes a byte-identical file.
    """
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise ResultsError(f"results for {table_id} lack columns {missing}; build them with make_results()")
    path = results_dir(root) / f"{table_id}.csv"
    frames = [results[RESULT_COLUMNS]]
    if path.exists():
        old = read_results(table_id, root)
        runs = set(map(tuple, results[RUN_KEY].astype(str).values))
        keep = ~old[RUN_KEY].astype(str).apply(tuple, axis=1).isin(runs)
        frames.insert(0, old[keep])
    merged = pd.concat([f for f in frames if len(f)], ignore_index=True)
    merged = _ordered(merged, table_id, root)
    with atomic_path(path) as tmp:
        merged.to_csv(tmp, index=False, float_format=f"%.{DECIMALS}f")
    return path


def _ordered(df: pd.DataFrame, table_id: str, root) -> pd.DataFrame:
    order = {r: i for i, r in enumerate(published_rows(table_id, root))}
    # Unpublished rows follow the published ones, in the order they were first written.
    for r in df["row"]:
        order.setdefault(r, len(order))
    df = df.copy()
    df["_row_order"] = df["row"].map(order)
    df = df.sort_values(
        ["profile", "data", "encoder", "_row_order", "category", "metric"], kind="mergesort"
    )
    return df.drop(columns="_row_order").reset_index(drop=True)


def read_results_file(path: str | os.PathLike) -> pd.DataFrame:
    """A results CSV (:data:`RESULT_COLUMNS`) with numeric value columns; a :class:`ResultsError` names the
    file and what is wrong with it."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"row": str, "category": str, "metric": str}, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ResultsError(f"{path}: not a readable CSV: {exc}") from exc
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise ResultsError(f"{path}: missing columns {missing} (write it with sbsr.book.write_results)")
    for col in ("value", "plus_minus", "published_value", "published_plus_minus"):
        df[col] = pd.to_numeric(df[col].replace("", float("nan")), errors="coerce")
    return df


def read_results(table_id: str, root: str | os.PathLike | None = None) -> pd.DataFrame:
    path = results_dir(root) / f"{table_id}.csv"
    if not path.is_file():
        raise ResultsError(f"{path}: no reproduced results yet; run the notebook that computes {table_id}")
    return read_results_file(path)


def _fmt(value: float, pm: float = float("nan"), decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    s = f"{value:.{decimals}f}"
    if pm is not None and not (isinstance(pm, float) and math.isnan(pm)):
        s += f" ± {pm:.{decimals}f}"
    return s


def side_by_side(results: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Wide view of one run: a line per row label, and for each category/metric the columns
    ``reproduced``, ``published`` and ``Δ`` (reproduced − published)."""
    df = results.copy()
    df["reproduced"] = [_fmt(v, p, decimals) for v, p in zip(df["value"], df["plus_minus"])]
    df["published"] = [_fmt(v, p, decimals) for v, p in zip(df["published_value"], df["published_plus_minus"])]
    delta = df["value"] - df["published_value"]
    df["Δ"] = [("–" if math.isnan(d) else f"{d:+.{decimals}f}") for d in delta]
    df["column"] = [f"{c} {m}".strip() for c, m in zip(df["category"], df["metric"])]
    row_order = list(dict.fromkeys(df["row"]))
    col_order = list(dict.fromkeys(df["column"]))
    wide = df.pivot(index="row", columns="column", values=["reproduced", "published", "Δ"])
    wide = wide.swaplevel(0, 1, axis=1)
    cols = [(c, k) for c in col_order for k in ("reproduced", "published", "Δ")]
    wide = wide.reindex(index=row_order, columns=pd.MultiIndex.from_tuples(cols))
    wide.index.name = None
    return wide


def banner(table_id: str, data: str, encoder: str, profile: str, root=None) -> str:
    pub = _published_any(table_id, root)
    source = pub["source_file"].iloc[0] if len(pub) else ""
    setting = PUBLISHED_TABLE_SETTING.get(table_id, PUBLISHED_SETTING.get(source, source))
    printed = pub["table"].iloc[0] if len(pub) else table_id
    return (
        f"<div class='sbsr-banner'><b>Reproduced</b> with data <code>{html.escape(data)}</code> and encoder "
        f"<code>{html.escape(encoder)}</code> (profile <code>{html.escape(profile)}</code>). "
        f"<b>Published</b>: {html.escape(printed)} of {html.escape(setting)}. "
        "Δ = reproduced − published. The settings differ, so Δ measures the gap between our miniature and "
        "the paper, not an error.</div>"
    )


def results_html(table_id: str, results: pd.DataFrame | None = None, root=None, decimals: int = 2) -> str:
    """HTML for every run in a results table: one banner and one side-by-side table per run."""
    if results is None:
        results = read_results(table_id, root)
    parts = []
    for (data, encoder, profile), run in results.groupby(RUN_KEY, sort=False):
        parts.append(banner(table_id, data, encoder, profile, root))
        parts.append(side_by_side(run, decimals).to_html(classes="sbsr-results", border=0, na_rep="–"))
    return "\n".join(parts)


def show_results(table_id: str, results: pd.DataFrame | None = None, root=None, decimals: int = 2) -> None:
    """Display :func:`results_html` in a notebook."""
    from IPython.display import HTML, display

    display(HTML(results_html(table_id, results, root, decimals)))
