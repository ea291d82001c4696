import math

import pandas as pd
import pytest

from sbsr.book.results import (
    RESULT_COLUMNS,
    ResultsError,
    load_published,
    make_results,
    published_table_ids,
    read_results,
    results_html,
    side_by_side,
    write_results,
)


@pytest.fixture()
def root(tmp_path, project_root):
    (tmp_path / "data" / "published").mkdir(parents=True)
    for tid in ("thesis_table_4_3", "thesis_table_4_1"):
        src = project_root / "data" / "published" / f"{tid}.csv"
        (tmp_path / "data" / "published" / f"{tid}.csv").write_text(src.read_text())
    return tmp_path


def reproduced_4_3():
    return [
        {"row": "Average", "category": "chair", "metric": "acc@1", "value": 50.0},
        {"row": "Minimum", "category": "chair", "metric": "acc@1", "value": 70.123456},
        {"row": "Minimum", "category": "lamp", "metric": "acc@5", "value": 80.0},
        {"row": "Median (ours)", "category": "lamp", "metric": "acc@5", "value": 1.0},
    ]


def test_published_tables_are_shipped(project_root):
    ids = published_table_ids(project_root)
    assert "thesis_table_4_8" in ids and len(ids) == 24
    t = load_published("thesis_table_4_3", project_root)
    assert t.loc[(t.row == "Minimum") & (t.category == "lamp") & (t.metric == "acc@1"), "value"].item() == 65.67


def test_make_results_attaches_published_values(root):
    res = make_results("thesis_table_4_3", reproduced_4_3(), data="procedural-v1", encoder="enc", profile="quick",
                       root=root)
    assert list(res.columns) == RESULT_COLUMNS
    by = res.set_index(["row", "category", "metric"])
    assert by.loc[("Average", "chair", "acc@1"), "published_value"] == 60.00
    assert by.loc[("Minimum", "lamp", "acc@5"), "published_value"] == 78.83
    assert by.loc[("Minimum", "chair", "acc@1"), "value"] == 70.1235  # rounded to 4 decimals
    assert math.isnan(by.loc[("Median (ours)", "lamp", "acc@5"), "published_value"])
    assert set(res["table"]) == {"Table 4.3"}
    assert set(res["encoder"]) == {"enc"} and set(res["profile"]) == {"quick"}


def test_make_results_rejects_bad_input(root):
    with pytest.raises(ResultsError, match="lacks column 'value'"):
        make_results("thesis_table_4_3", [{"row": "a", "category": "chair", "metric": "acc@1"}],
                     data="d", encoder="e", profile="quick", root=root)
    dup = reproduced_4_3()[:1] * 2
    with pytest.raises(ResultsError, match="repeats keys"):
        make_results("thesis_table_4_3", dup, data="d", encoder="e", profile="quick", root=root)
    with pytest.raises(ResultsError, match="no published table 'thesis_table_9_9'"):
        make_results("thesis_table_9_9", reproduced_4_3(), data="d", encoder="e", profile="quick", root=root)


def test_write_results_merges_runs_and_is_byte_stable(root):
    a = make_results("thesis_table_4_3", reproduced_4_3(), data="d", encoder="A", profile="quick", root=root)
    b = make_results("thesis_table_4_3", reproduced_4_3()[:2], data="d", encoder="B", profile="quick", root=root)
    path = write_results("thesis_table_4_3", a, root)
    write_results("thesis_table_4_3", b, root)
    first = path.read_bytes()
    # Rerunning encoder A replaces its rows and leaves B's: same bytes as before.
    write_results("thesis_table_4_3", a, root)
    assert path.read_bytes() == first
    back = read_results("thesis_table_4_3", root)
    assert sorted(back.groupby("encoder").size().items()) == [("A", 4), ("B", 2)]
    # Published row order first ("Average" before "Minimum"), unpublished rows last.
    rows_a = list(back[back.encoder == "A"]["row"])
    assert rows_a == ["Average", "Minimum", "Minimum", "Median (ours)"]


def test_write_results_refuses_raw_frames(root):
    with pytest.raises(ResultsError, match="make_results"):
        write_results("thesis_table_4_3", pd.DataFrame(reproduced_4_3()), root)


def test_side_by_side_shows_difference(root):
    res = make_results("thesis_table_4_3", reproduced_4_3(), data="d", encoder="e", profile="quick", root=root)
    wide = side_by_side(res)
    assert wide.loc["Average", ("chair acc@1", "reproduced")] == "50.00"
    assert wide.loc["Average", ("chair acc@1", "published")] == "60.00"
    assert wide.loc["Average", ("chair acc@1", "Δ")] == "-10.00"
    assert wide.loc["Median (ours)", ("lamp acc@5", "published")] == "–"


def test_plus_minus_and_banner(root):
    rows = [{"row": "1 | Random 50 from: [53.1%, 98.7%]", "category": "chair", "metric": "acc@1",
             "value": 61.0, "plus_minus": 2.5}]
    res = make_results("thesis_table_4_1", rows, data="procedural-v1", encoder="minclip-procedural-v1",
                       profile="quick", root=root)
    wide = side_by_side(res)
    assert wide.iloc[0][("chair acc@1", "reproduced")] == "61.00 ± 2.50"
    assert wide.iloc[0][("chair acc@1", "published")] == "63.90 ± 3.33"
    html = results_html("thesis_table_4_1", res, root)
    assert "procedural-v1" in html and "minclip-procedural-v1" in html and "Table 4.1" in html


def test_read_results_missing_file_is_explained(root):
    with pytest.raises(ResultsError, match="no reproduced results yet"):
        read_results("thesis_table_4_3", root)


def test_unpublished_rows_keep_their_written_order(root):
    rows = [{"row": r, "category": "chair", "metric": "acc@1", "value": 1.0} for r in ("zeta", "Minimum", "alpha")]
    res = make_results("thesis_table_4_3", rows, data="d", encoder="e", profile="quick", root=root)
    write_results("thesis_table_4_3", res, root)
    assert list(read_results("thesis_table_4_3", root)["row"]) == ["Minimum", "zeta", "alpha"]


def test_a_chapters_results_dir_and_data_dir_are_honoured(tmp_path, monkeypatch):
    """``setup(results_dir=..., data_dir=...)`` sends result tables and generated data where the chapter's
    parameters say (relative paths from the project root), not always to ``<root>/results``."""
    import os

    from sbsr.book import setup, write_results
    from sbsr.book.results import make_results, results_dir
    from sbsr.data.paths import data_dir

    monkeypatch.delenv("SBSR_RESULTS_DIR", raising=False)
    monkeypatch.delenv("SBSR_DATA_DIR", raising=False)
    setup(profile="quick", device="cpu", seed=0, data_dir=tmp_path / "d", results_dir=tmp_path / "r")
    try:
        assert results_dir() == (tmp_path / "r").resolve() and data_dir() == (tmp_path / "d").resolve()
        res = make_results("thesis_table_4_1", [{"row": "x", "category": "chair", "metric": "acc@1", "value": 1.0}],
                           data="d", encoder="e", profile="quick")
        path = write_results("thesis_table_4_1", res)
        assert path == (tmp_path / "r" / "thesis_table_4_1.csv").resolve()
    finally:
        os.environ.pop("SBSR_RESULTS_DIR", None)
        os.environ.pop("SBSR_DATA_DIR", None)
