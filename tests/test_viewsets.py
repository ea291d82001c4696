"""The named view sets of thesis Table 4.4 and Table B.5, checked against lists written out by hand."""

import pytest

from sbsr.retrieval.pipeline import PAPER_VIEWS, View
from sbsr.retrieval.viewsets import (TABLE_4_4_ROWS, appendix_b5_view_sets, azimuth_range, describe_views, jittered,
                                     paper_view_sets, schlachter_views, sketch_views)


def azimuths(views):
    return [v.azimuth for v in views]


def test_table_4_4_labels_are_the_published_rows():
    from sbsr.book.results import published_rows

    assert list(TABLE_4_4_ROWS) == published_rows("thesis_table_4_4")
    assert list(paper_view_sets("chair")) == published_rows("thesis_table_4_4")


def test_sketch_views_per_category():
    assert azimuths(sketch_views("chair")) == [0, 30, 75]
    assert azimuths(sketch_views("lamp")) == [0, 45, 90]
    assert all(v.elevation == 20.0 and v.projection == "perspective" for v in sketch_views("lamp"))


def test_sketch_views_agree_with_the_dataset_definition():
    from sbsr.data.amateursketch import SKETCH_AZIMUTHS

    for cat, az in SKETCH_AZIMUTHS.items():
        assert tuple(azimuths(sketch_views(cat))) == az


@pytest.mark.parametrize("start,step,stop,expected", [
    (0, 15, 90, [0, 15, 30, 45, 60, 75, 90]),
    (-5, 15, 85, [-5, 10, 25, 40, 55, 70, 85]),
    (0, 40, 90, [0, 40, 80]),  # stop not reached exactly: not included
])
def test_azimuth_range_is_inclusive_colon_notation(start, step, stop, expected):
    assert list(azimuth_range(start, step, stop)) == expected


def test_azimuth_range_rejects_bad_steps():
    with pytest.raises(ValueError, match="step"):
        azimuth_range(0, 0, 90)
    with pytest.raises(ValueError, match="empty"):
        azimuth_range(10, 5, 0)


def test_table_4_4_chair_sets():
    sets = paper_view_sets("chair")
    assert azimuths(sets["Sketch views"]) == [0, 30, 75]
    assert azimuths(sets["0°, 30°, 45°, 75°, 90°"]) == list(PAPER_VIEWS)
    assert azimuths(sets["7 views: [0° : 15° : 90°]"]) == [0, 15, 30, 45, 60, 75, 90]
    assert azimuths(sets["7 views: [-5° : 15° : 85°]"]) == [-5, 10, 25, 40, 55, 70, 85]
    assert azimuths(sets["9 views: sketch views ±5°"]) == [-5, 0, 5, 25, 30, 35, 70, 75, 80]
    assert all(v.elevation == 20.0 and v.projection == "perspective" for s in sets.values() for v in s)


def test_table_4_4_lamp_sets_differ_only_where_the_sketch_views_do():
    chair, lamp = paper_view_sets("chair"), paper_view_sets("lamp")
    assert azimuths(lamp["Sketch views"]) == [0, 45, 90]
    assert azimuths(lamp["9 views: sketch views ±5°"]) == [-5, 0, 5, 40, 45, 50, 85, 90, 95]
    for label in ("0°, 30°, 45°, 75°, 90°", "7 views: [0° : 15° : 90°]", "7 views: [-5° : 15° : 85°]"):
        assert lamp[label] == chair[label]


def test_jittered_removes_duplicates_and_keeps_projection():
    views = (View(0.0), View(5.0, 10.0, "orthographic"))
    out = jittered(views, (-5, 0, 5))
    assert out == (View(-5.0), View(0.0), View(5.0),
                   View(0.0, 10.0, "orthographic"), View(5.0, 10.0, "orthographic"), View(10.0, 10.0, "orthographic"))
    assert jittered((View(0.0), View(5.0)), (0, 5)) == (View(0.0), View(5.0), View(10.0))


def test_schlachter_views_of_appendix_b4():
    assert schlachter_views() == (View(0.0, 20.0, "orthographic"), View(30.0, 20.0, "perspective"),
                                  View(180.0, 20.0, "orthographic"))
    assert {v.elevation for v in schlachter_views(elevation=10.0)} == {10.0}
    assert describe_views(schlachter_views()) == "0° (o), 30° (p), 180° (o)"


def test_b5_sets_build_the_published_row_labels():
    from sbsr.book.results import published_rows

    for cat in ("chair", "lamp"):
        sets = appendix_b5_view_sets(cat)
        assert sets["sketch views"] == sketch_views(cat)
        assert sets["0 (o), 30 (p), 180(o)"] == schlachter_views()
        labels = {f"OBB, {name}, {agg}" for name in sets for agg in ("min", "avg")}
        assert labels == set(published_rows("thesis_table_B_5"))


class _FakeRun:
    def __init__(self, views, category):
        self.views, self.category = views, category

    def accuracy(self, ks=(1, 5)):
        return {f"acc@{k}": float(len(self.views) * 10 + k) for k in ks}


class _FakeEvaluator:
    """Records the settings it is run with; accuracy = 10 x number of views + k."""

    categories = ("chair", "lamp")

    def __init__(self):
        self.calls = []

    def run(self, encoder, settings, category):
        self.calls.append((category, settings.views, settings.reduce))
        return _FakeRun(settings.views, category)


def test_run_view_sets_builds_settings_per_category():
    from sbsr.retrieval.pipeline import METHODS
    from sbsr.retrieval.viewsets import run_accuracies, run_view_sets

    ev = _FakeEvaluator()
    runs = run_view_sets(ev, None, METHODS["obb"].with_(reduce="mean"), appendix_b5_view_sets)
    assert list(runs) == ["sketch views", "0 (o), 30 (p), 180(o)"]
    assert azimuths(runs["sketch views"]["lamp"].views) == [0, 45, 90]
    assert azimuths(runs["sketch views"]["chair"].views) == [0, 30, 75]
    assert runs["0 (o), 30 (p), 180(o)"]["chair"].views == schlachter_views()
    assert {reduce for _, _, reduce in ev.calls} == {"mean"} and len(ev.calls) == 4
    acc = run_accuracies(run_view_sets(_FakeEvaluator(), None, METHODS["obb"], paper_view_sets))
    assert acc["9 views: sketch views ±5°"]["lamp"] == {"acc@1": 91.0, "acc@5": 95.0}
    assert acc["Sketch views"]["chair"] == {"acc@1": 31.0, "acc@5": 35.0}
