import pandas as pd

from sbsr.book.tables import frame_html, tidy


def test_whole_number_floats_print_as_integers_and_others_stay():
    df = pd.DataFrame({"n": [3.0, 12.0, float("nan")], "acc": [70.5, 1.0, 2.0], "name": ["a", "b", "c"]})
    out = tidy(df)
    assert str(out["n"].dtype) == "Int64" and out["n"].tolist()[:2] == [3, 12] and out["n"].isna().iloc[2]
    assert str(out["acc"].dtype) == "float64"
    html = frame_html(df)
    assert ">12<" in html and ">12.0<" not in html and ">70.5<" in html


def test_a_bare_range_index_is_dropped_but_a_meaningful_one_kept():
    bare = frame_html(pd.DataFrame({"x": ["a", "b"]}))
    assert "<th>0</th>" not in bare and "<th>1</th>" not in bare
    labelled = frame_html(pd.DataFrame({"x": [1.5, 2.5]}, index=["chair", "lamp"]))
    assert "<th>chair</th>" in labelled
