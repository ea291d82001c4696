"""The reproduction-status page: catalogue of published items, status rules, the built page."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sbsr.book import status as st
from sbsr.book.results import RESULT_COLUMNS
from sbsr.config import load_profiles

THESIS = "003_f23f6e658b165824.txt"
SONG = "000_a3fa1e075df665d8.txt"


# --------------------------------------------------------------------------------------------------
# A miniature project: two long tables, one wide table, three figures, two chapters.


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _results(rows, data="procedural-v1", encoder="minclip", profile="quick"):
    out = []
    for table, row, cat, metric, value, pub in rows:
        out.append(dict(zip(RESULT_COLUMNS, [table, row, cat, metric, value, "", pub, "", data, encoder, profile])))
    return out


@pytest.fixture
def mini(tmp_path):
    root = tmp_path
    _write(root / "_config.yml", "title: mini\n")
    _write(
        root / "notebooks" / "profiles.yml",
        yaml.safe_dump(
            {
                "defaults": {"quick": {"seed": 0}, "full": {"seed": 0}},
                "notebooks": [
                    {"name": "01_a", "title": "Chapter A", "tables": ["thesis_table_4_1"], "figures": ["thesis_fig_4_1"]},
                    {"name": "02_b", "title": "Chapter B", "tables": ["thesis_table_4_2", "ji_table_1"],
                     "figures": ["song2023_fig_3"]},
                ],
            }
        ),
    )
    pub = root / "data" / "published"
    # Table 4.1: 4 published numbers (one row has no value and does not count).
    _write(
        pub / "thesis_table_4_1.csv",
        "source_file,table,row,category,metric,value,plus_minus,note\n"
        f"{THESIS},Table 4.1,a,chair,acc@1,50.0,,\n"
        f"{THESIS},Table 4.1,a,chair,acc@5,80.0,,\n"
        f"{THESIS},Table 4.1,b,chair,acc@1,60.0,,\n"
        f"{THESIS},Table 4.1,b,chair,acc@5,90.0,,\n"
        f"{THESIS},Table 4.1,c,chair,acc@1,,,not recoverable\n",
    )
    _write(
        pub / "thesis_table_4_2.csv",
        "source_file,table,row,category,metric,value,plus_minus,note\n"
        f"{THESIS},Table 4.2,a,lamp,acc@1,40.0,,\n"
        f"{THESIS},Table 4.2,a,lamp,acc@5,70.0,,\n",
    )
    # Wide: two label columns, then numbers; "-" is "not reported" -> 3 published cells.
    _write(
        pub / "ji_table_1.csv",
        "source_file,table,channel,label,size,params,note\n"
        "004_1e4e67375dd91999.txt,Table 1,voxel,conv1,32,1.7KB,\n"
        "004_1e4e67375dd91999.txt,Table 1,,fc4,128,-,\n",
    )
    _write(pub / "README.md", "| file | table | what it measures | seed |\n|---|---|---|---|\n"
           "| thesis_table_4_1.csv | Table 4.1 | box size | 003 |\n")
    _write(
        pub / "figures.yml",
        yaml.safe_dump(
            {
                "figures": [
                    {"id": "thesis_fig_4_1", "source_file": THESIS, "figure": "Figure 4.1", "caption": "Distances"},
                    {"id": "thesis_fig_4_10", "source_file": THESIS, "figure": "Figure 4.10", "caption": "Late"},
                    {"id": "song2023_fig_3", "source_file": SONG, "figure": "Fig. 3", "caption": "Features"},
                ]
            }
        ),
    )
    (root / "results").mkdir()
    return root


def _rows_by_id(root):
    return {r.id: r for r in st.status_rows(root)}


def _summary(root, records, profile="quick"):
    _write(root / "results" / "run-summary.json", json.dumps({"profile": profile, "notebooks": records}))


def test_catalogue_order_and_counts(mini):
    rows = st.status_rows(mini)
    # Thesis first (tables, then figures in printed order, 4.10 after 4.1), then Song, then Ji.
    assert [r.id for r in rows] == [
        "thesis_table_4_1", "thesis_table_4_2", "thesis_fig_4_1", "thesis_fig_4_10", "song2023_fig_3", "ji_table_1",
    ]
    by = {r.id: r for r in rows}
    assert by["thesis_table_4_1"].n_published == 4  # the empty published cell does not count
    assert by["ji_table_1"].n_published == 3  # 32, 1.7KB, 128; "-" is not reported
    assert by["thesis_table_4_1"].caption == "box size"  # from data/published/README.md
    assert by["thesis_table_4_1"].seed == st.SEEDS[THESIS]


def test_nothing_computed_is_not_yet(mini):
    rows = st.status_rows(mini)
    assert {r.status for r in rows} == {st.NOT_YET}
    by = {r.id: r for r in rows}
    assert by["thesis_table_4_1"].chapter == "01_a" and by["thesis_table_4_1"].chapter_title == "Chapter A"
    assert by["thesis_table_4_1"].note == "chapter not run yet"
    assert by["thesis_fig_4_10"].chapter is None and by["thesis_fig_4_10"].note == ""
    assert math.isnan(by["thesis_table_4_1"].median_abs_diff) and by["thesis_table_4_1"].mad_text == "–"


def test_full_coverage_is_reproduced_with_median_abs_difference(mini):
    rows = _results(
        [
            ("Table 4.1", "a", "chair", "acc@1", 52.0, 50.0),  # |Δ| 2
            ("Table 4.1", "a", "chair", "acc@5", 79.0, 80.0),  # 1
            ("Table 4.1", "b", "chair", "acc@1", 66.0, 60.0),  # 6
            ("Table 4.1", "b", "chair", "acc@5", 94.0, 90.0),  # 4
            ("Table 4.1", "extra", "chair", "acc@1", 10.0, ""),  # no published counterpart: ignored
        ]
    )
    pd.DataFrame(rows).to_csv(mini / "results" / "thesis_table_4_1.csv", index=False)
    r = _rows_by_id(mini)["thesis_table_4_1"]
    assert r.status == st.REPRODUCED
    assert (r.matched, r.n_published, r.coverage) == (4, 4, "4/4")
    assert r.median_abs_diff == pytest.approx(3.0)  # median of 1, 2, 4, 6
    assert (r.data, r.encoder, r.profile) == ("procedural-v1", "minclip", "quick")


def test_partial_coverage_and_best_run(mini):
    quick = _results([("Table 4.1", "a", "chair", "acc@1", 51.0, 50.0), ("Table 4.1", "a", "chair", "acc@5", 81.0, 80.0)])
    full = _results([("Table 4.1", "a", "chair", "acc@1", 55.0, 50.0), ("Table 4.1", "b", "chair", "acc@1", 57.0, 60.0)],
                    profile="full")
    other = _results([("Table 4.1", "a", "chair", "acc@1", 49.0, 50.0)], encoder="clip-RN101-openai")
    pd.DataFrame(quick + full + other).to_csv(mini / "results" / "thesis_table_4_1.csv", index=False)
    r = _rows_by_id(mini)["thesis_table_4_1"]
    assert r.status == st.PARTIALLY and r.coverage == "2/4"
    assert r.profile == "full"  # 2 numbers each for quick and full: full wins the tie
    assert r.median_abs_diff == pytest.approx(4.0)  # |55-50|=5, |57-60|=3
    assert r.runs == 3 and "3 runs" in r.note


def test_a_run_without_published_counterparts_is_not_yet(mini):
    rows = _results([("Table 4.2", "zz", "lamp", "acc@1", 41.0, "")])
    pd.DataFrame(rows).to_csv(mini / "results" / "thesis_table_4_2.csv", index=False)
    r = _rows_by_id(mini)["thesis_table_4_2"]
    assert r.status == st.NOT_YET and r.runs == 1 and r.coverage == "0/2"


def test_wide_table_counts_result_rows_with_published_values(mini):
    rows = _results([("Table 1", "conv1", "", "params", 1.7, 1.7), ("Table 1", "conv1", "", "size", 32, 32),
                     ("Table 1", "fc4", "", "size", 128, 128)])
    pd.DataFrame(rows).to_csv(mini / "results" / "ji_table_1.csv", index=False)
    r = _rows_by_id(mini)["ji_table_1"]
    assert r.status == st.REPRODUCED and r.coverage == "3/3" and r.median_abs_diff == 0.0


def test_figure_status_follows_the_last_run(mini):
    _summary(mini, [{"notebook": "01_a", "status": "ok"}, {"notebook": "02_b", "status": "failed"}], profile="full")
    by = _rows_by_id(mini)
    assert by["thesis_fig_4_1"].status == st.REPRODUCED and by["thesis_fig_4_1"].profile == "full"
    assert by["song2023_fig_3"].status == st.NOT_YET
    assert by["song2023_fig_3"].note == "chapter failed in the last run"
    assert by["thesis_fig_4_10"].status == st.NOT_YET  # no chapter declares it


def test_summary_line_counts_each_status(mini):
    _summary(mini, [{"notebook": "01_a", "status": "ok"}])
    line = st.summary_line(st.status_rows(mini))
    assert line == ("Tables (3): 0 reproduced, 0 partially, 3 not yet. "
                    "Figures (3): 1 reproduced, 0 partially, 2 not yet.")


@pytest.mark.parametrize(
    "figures, message",
    [
        ({"figures": [{"id": "thesis_fig_1", "source_file": THESIS, "figure": "Figure 1"}]}, "lacks ['caption']"),
        ({"figures": [{"id": "Figure 1", "source_file": THESIS, "figure": "F", "caption": "c"}]}, "is not like"),
        ({"figures": [{"id": "ji_fig_1", "source_file": "x", "figure": "F", "caption": "c"}] * 2}, "listed twice"),
        ({"figs": []}, "'figures' list"),
    ],
)
def test_bad_figure_catalogue_names_the_file(mini, figures, message):
    _write(mini / "data" / "published" / "figures.yml", yaml.safe_dump(figures))
    with pytest.raises(st.StatusError, match=re.escape(message)) as err:
        st.status_rows(mini)
    assert "figures.yml" in str(err.value)


def test_bad_results_file_names_the_file(mini):
    _write(mini / "results" / "thesis_table_4_1.csv", "table,row,value\nTable 4.1,a,1\n")
    with pytest.raises(st.StatusError, match="thesis_table_4_1.csv: missing columns"):
        st.status_rows(mini)


def test_cli_prints_every_item(mini):
    proc = subprocess.run(
        [sys.executable, "-m", "sbsr.book.status", "--root", str(mini), "--format", "csv"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    from io import StringIO

    frame = pd.read_csv(StringIO(proc.stdout))
    assert len(frame) == 6 and set(frame["status"]) == {st.NOT_YET}
    bad = subprocess.run(
        [sys.executable, "-m", "sbsr.book.status", "--root", str(mini / "nowhere")],
        capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2 and "profiles.yml" in bad.stderr


# --------------------------------------------------------------------------------------------------
# The real catalogue


def test_every_published_table_and_figure_of_the_repository_has_a_row(project_root):
    rows = st.status_rows(project_root)
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids))
    tables = {p.stem for p in (project_root / "data" / "published").glob("*.csv")}
    assert {r.id for r in rows if r.kind == "table"} == tables
    figures = yaml.safe_load((project_root / st.FIGURES_FILE).read_text(encoding="utf-8"))["figures"]
    assert {r.id for r in rows if r.kind == "figure"} == {f["id"] for f in figures}
    assert all(r.status in st.STATUSES for r in rows)
    # Every seed with figures contributes; the thesis has figures in chapters 3-5 and appendices A-C.
    assert {f["id"].split("_fig_")[0] for f in figures} == {"thesis", "supp", "song2023", "uy2021", "ji"}


def test_chapters_declare_only_catalogued_items(project_root):
    """A chapter's `tables:`/`figures:` must name items of the catalogue, or the status page cannot track them."""
    known = {it.id for it in st.published_items(project_root)}
    for nb in load_profiles(project_root / "notebooks" / "profiles.yml").notebooks:
        unknown = [i for i in (*nb.tables, *nb.figures) if i not in known]
        assert not unknown, f"notebooks/profiles.yml: {nb.name} declares unknown ids {unknown}"
        assert all("_table_" in t for t in nb.tables) and all("_fig_" in f for f in nb.figures), nb.name


def _seed_dir(project_root: Path) -> Path | None:
    for candidate in (project_root.parent / "shared" / "seeds", project_root / "shared" / "seeds"):
        if candidate.is_dir():
            return candidate
    return None


def test_figure_catalogue_matches_the_captions_in_the_seeds(project_root):
    seeds = _seed_dir(project_root)
    if seeds is None:
        pytest.skip("the seed texts (shared/seeds) are not beside this checkout")
    caption = re.compile(
        r"^\s*(?:FIGURE ([0-9A-Z]+\.[0-9]+):"  # thesis: "FIGURE 4.1: ..."
        r"|\*\*Fig\. (\d+)\.\*\*"  # Song et al.: "**Fig. 1.** ..."
        r"|Fig\. (\d+)\. [A-Z]"  # Song et al.: "Fig. 2. Samples ..."
        r"|.*?Figure (\d+)\. [A-Z])"  # Uy et al., Ji & Wang, supplement: "Figure 1. Given ..."
    )
    found = set()
    for path in sorted(seeds.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = caption.match(line)
            if m:
                number = next(g for g in m.groups() if g)
                found.add((path.name, number))
    catalogue = {
        (f.source_file, f.label.split()[-1]) for f in st.load_figure_catalogue(project_root)
    }
    assert found == catalogue, {"missing": sorted(found - catalogue), "extra": sorted(catalogue - found)}
    assert len(catalogue) == 52


# --------------------------------------------------------------------------------------------------
# The built page


@pytest.mark.slow
def test_status_page_lists_every_item_with_a_status(book_html, project_root):
    page = (book_html / "book" / "status.html").read_text(encoding="utf-8")
    for row in st.status_rows(project_root):
        m = re.search(rf'<tr class="[^"]*sbsr-status-([a-z-]+)[^"]*" id="status-{re.escape(row.id)}"', page)
        assert m, row.id
        assert m.group(1).replace("-", " ") in st.STATUSES, row.id
        assert m.group(1).replace("-", " ") == row.status, row.id
        cells = page[m.end(): page.index("</tr>", m.end())]
        if row.chapter:  # linked to the chapter that reproduces it
            assert f'href="chapters/{row.chapter}.html"' in cells, row.id
    index = (book_html / "index.html").read_text(encoding="utf-8")
    assert 'href="book/status.html"' in index
