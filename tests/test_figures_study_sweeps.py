"""Figures of the view study (sbsr.book.figures.study) and of the sweeps (sbsr.book.figures.sweeps)."""

import numpy as np
import pandas as pd
import pytest

from sbsr.book.figures import study as fs
from sbsr.book.figures import sweeps as fw
from sbsr.book.figures.retrieval import GROUND_TRUTH_COLOR
from sbsr.retrieval.metrics import ConfidenceInterval, StudyMatrix
from sbsr.systems.clip_retrieval.studies import QueryRanking


def matrix(mean, half=0.1):
    mean = np.asarray(mean, float)
    return StudyMatrix(mean, mean - half, mean + half, mean[..., None])


def test_object_heatmaps_mark_diagonal_and_row_minimum():
    a = matrix([[1.0, 2.0, 3.0], [0.5, 1.0, 2.0], [3.0, 2.0, 1.0]])
    b = matrix(np.eye(3) + 1)
    fig = fs.object_distance_heatmaps({"sketch – line": a, "line – RGB": b}, labels=["1", "2", "3"],
                                      axis_titles={"sketch – line": ("sketch", "line")})
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(fig.data) == 6 and len(heat) == 2
    np.testing.assert_array_equal(np.asarray(heat[0].z), a.mean)
    np.testing.assert_allclose(np.asarray(heat[0].customdata)[0, 1], [1.9, 2.1])
    minima = [t for t in fig.data if t.name == "row minimum"]
    assert list(minima[0].x) == ["1", "1", "3"]  # row 2's minimum is object 1, not itself
    assert list(minima[1].x) == ["2", "1", "1"]  # 1 + identity: the diagonal is the row maximum
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.xaxis.title.text == "line"
    # one colour bar per panel, each right of its panel
    assert heat[0].colorbar.x < heat[1].colorbar.x


def test_view_heatmaps_write_mean_and_half_width():
    fig = fs.view_distance_heatmaps({"p": matrix([[0.1234, 0.5], [0.5, 0.2]], half=0.05)}, ["0°", "30°"])
    assert fig.data[0].text[0][0] == "0.123<br>±0.05"
    assert list(fig.data[0].x) == ["0°", "30°"]


def test_view_errorbars_one_series_per_second_view_with_interval_lengths():
    m = StudyMatrix(np.array([[1.0, 2.0], [3.0, 0.5]]), np.array([[0.5, 1.0], [2.0, 0.0]]),
                    np.array([[2.0, 2.5], [3.5, 1.5]]), np.zeros((2, 2, 2)))
    fig = fs.view_distance_errorbars({"a": m, "b": m}, ["0°", "30°"], domain_names={"a": ("sketch", "line")})
    assert len(fig.data) == 4
    first = fig.data[0]  # view h = 0 of the second domain
    np.testing.assert_allclose(first.y, [1.0, 3.0])
    np.testing.assert_allclose(first.error_y.array, [1.0, 0.5])
    np.testing.assert_allclose(first.error_y.arrayminus, [0.5, 1.0])
    assert list(first.marker.symbol) == ["circle", "circle-open"]  # filled where k == h
    assert first.name == "0°" and fig.data[2].showlegend is False
    assert fig.layout.xaxis.title.text == "sketch view"


def test_view_matching_bars():
    ci = ConfidenceInterval
    fig = fs.view_matching_bars({"sketch – line": ([ci(50, 40, 60), ci(100, 100, 100)], ci(75, 60, 90))},
                                ["0°", "30°"])
    bar = fig.data[0]
    assert list(bar.x) == ["0°", "30°", "all"] and list(bar.y) == [50, 100, 75]
    np.testing.assert_allclose(bar.error_y.array, [10, 0, 15])
    assert fig.layout.shapes[0].y0 == 50.0  # chance = 1 / 2 views


def sweep_frame():
    rows = []
    for stage, sizes in (("random", [0.55, 0.9]), ("uniform", [0.58, 0.6])):
        for s in sizes:
            for cat in ("chair", "lamp"):
                for metric in ("acc@1", "acc@5"):
                    rows.append({"stage": stage, "size": s, "category": cat, "metric": metric, "value": 100 * s})
    return pd.DataFrame(rows)


def test_accuracy_vs_parameter_marks_best_and_paper():
    fig = fw.accuracy_vs_parameter(sweep_frame(), "size", scale=100, best=0.6, paper_best=129 / 224, x_suffix="%")
    assert len(fig.data) == 2 * 2 * 2  # metrics x categories x stages
    lines = sorted(round(s.x0, 3) for s in fig.layout.shapes)
    assert lines == [57.589, 57.589, 60.0, 60.0]
    assert sorted(a.text for a in fig.layout.annotations if a.text in ("best found", "paper's best", "new text")) == [
        "best found", "paper's best"]  # labelled once, in the first panel
    uniform_chair = [t for t in fig.data if t.name == "chair, uniform"][0]
    assert uniform_chair.mode == "lines+markers"
    np.testing.assert_allclose(uniform_chair.x, [58.0, 60.0])
    with pytest.raises(ValueError, match="lacks columns"):
        fw.accuracy_vs_parameter(sweep_frame().drop(columns="stage"), "size")


def test_translation_sweep_marks_best_and_paper():
    frame = pd.DataFrame([{"stage": st, "tx": tx, "ty": ty, "category": c, "metric": "acc@1", "value": v}
                          for st, tx, ty, v in (("random", 0, 0, 50), ("uniform", 19, -4, 60))
                          for c in ("chair", "lamp")])
    fig = fw.translation_sweep_figure(frame, best=(19, -4))
    stars = [t for t in fig.data if t.name == "best found"]
    paper = [t for t in fig.data if t.name == "paper's best"]
    assert len(stars) == 2 and list(stars[0].x) == [19] and list(paper[0].y) == [-4.0]
    assert fig.layout.yaxis.autorange == "reversed"


def test_rerank_figure_frames_the_ground_truth_and_frames_only_shown_images():
    queries = np.full((2, 32, 32), 255, np.uint8)
    views = np.stack([np.stack([np.full((32, 32), 10 * s + v, np.uint8) for v in range(2)]) for s in range(4)])
    ranking = QueryRanking("x", np.array([5, 9]), np.array([2, 3]), np.array([[2, 0, 1], [0, 1, 2]]),
                           np.array([[1, 0, 0], [1, 1, 1]]), np.array([1, 4]))
    calls = []
    fig = fw.rerank_figure(queries, views, ranking, frame=lambda im: calls.append(int(im[0, 0])) or im)
    assert len(calls) == 2 * 4
    assert calls[:4] == [255, 21, 0, 10]  # query, then each shape in the view that matched it
    green = [s for s in fig.layout.shapes if s.line.color == GROUND_TRUTH_COLOR]
    assert len(green) == 1  # query 1's ground truth (shape 3) is not in its top 3
    assert "GT rank 4" in [a.title.text for a in fig.select_xaxes()]
    noted = fw.rerank_figure(queries, views, ranking, query_notes=["OBB: 3", "OBB: 1"])
    assert "GT rank 1 (OBB: 3)" in [a.title.text for a in noted.select_xaxes()]
    with pytest.raises(ValueError, match="query images"):
        fw.rerank_figure(queries[:1], views, ranking)

