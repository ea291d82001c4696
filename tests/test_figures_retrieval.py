"""The retrieval-example figure (thesis Fig. 4.3, 4.4, B.1): layout, ground-truth frames, captions, payload."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from sbsr.book.figures.retrieval import (GROUND_TRUTH_COLOR, contrasting_queries, image_grid, png_data_uri,
                                         retrieval_figure, thumbnail)


def solid(value, size=224, rgb=False):
    shape = (size, size, 3) if rgb else (size, size)
    return np.full(shape, value, dtype=np.uint8)


def decode(uri):
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def test_thumbnail_shrinks_never_enlarges():
    assert thumbnail(solid(7), 96).shape == (96, 96)
    assert thumbnail(solid(7, rgb=True), 56).shape == (56, 56, 3)
    assert thumbnail(np.zeros((40, 80), np.uint8), 96).shape == (40, 80)
    assert thumbnail(np.zeros((100, 200), np.uint8), 50).shape == (25, 50)
    floats = thumbnail(np.full((4, 4), 0.5, np.float32))  # floats in [0, 1] become uint8
    assert floats.dtype == np.uint8 and floats.shape == (4, 4) and int(floats[0, 0]) in (127, 128)


def test_png_data_uri_round_trips():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(decode(png_data_uri(img)), img)


def small_case():
    gallery = [solid(10 * i) for i in range(6)]  # shape i is a grey level 10*i
    queries = [solid(200), solid(250)]
    top_k = np.array([[0, 1, 2], [3, 4, 5]])
    return queries, gallery, top_k


def test_retrieval_figure_layout_frames_and_captions():
    queries, gallery, top_k = small_case()
    dist = np.array([[0.1, 0.5, 0.7], [0.2, 0.3, 0.4]])
    fig = retrieval_figure(queries, gallery, top_k, targets=[1, 9], distances=dist, target_ranks=[2, 8],
                           row_labels=["chair q0", "chair q1"], gallery_labels=[f"s{i}" for i in range(10)],
                           thumb_size=64)
    assert len(fig.data) == 2 * 4  # (query + 3 results) per row
    # images in row-major order; cell (row 1, col 3) = shape top_k[0, 1] = 1 (grey 10)
    pixels = [decode(t.source) for t in fig.data]
    assert pixels[0].shape == (64, 64) and pixels[0][0, 0] == 200
    assert [p[0, 0] for p in pixels] == [200, 0, 10, 20, 250, 30, 40, 50]
    # one ground-truth frame: query 0's target (shape 1) at rank 2; query 1's target (9) is not shown
    frames = [s for s in fig.layout.shapes if s.line.color == GROUND_TRUTH_COLOR]
    assert len(frames) == 1
    assert (frames[0].xref, frames[0].yref) == (fig.data[2].xaxis, fig.data[2].yaxis)
    assert (frames[0].x0, frames[0].x1, frames[0].y0, frames[0].y1) == (-0.5, 63.5, -0.5, 63.5)
    # captions: rank, gallery label, distance; the query cell tells the ground truth's rank
    layout = fig.layout
    assert layout.xaxis.title.text == "GT rank 2"
    assert layout.xaxis3.title.text == "#2 s1 d=0.5"
    assert layout.xaxis8.title.text == "#3 s5 d=0.4"
    texts = [a.text for a in layout.annotations]
    assert texts == ["query", "top 1", "top 2", "top 3", "chair q0", "chair q1"]
    # row labels sit left of the rows, vertically centred on the first cell of each row
    assert [a.yref for a in layout.annotations[4:]] == [f"{fig.data[0].yaxis} domain", f"{fig.data[4].yaxis} domain"]


def test_retrieval_figure_frames_every_occurrence_and_validates_inputs():
    queries, gallery, top_k = small_case()
    fig = retrieval_figure(queries, gallery, top_k, targets=[0, 5])
    frames = [s for s in fig.layout.shapes if s.line.color == GROUND_TRUTH_COLOR]
    assert sorted((s.xref for s in frames)) == sorted([fig.data[1].xaxis, fig.data[7].xaxis])
    assert fig.layout.xaxis2.title.text == "#1"  # no distances, no labels: rank only
    with pytest.raises(ValueError, match="outside the gallery"):
        retrieval_figure(queries, gallery, top_k + 1, targets=[0, 0])
    with pytest.raises(ValueError, match="distances"):
        retrieval_figure(queries, gallery, top_k, targets=[0, 0], distances=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="targets"):
        retrieval_figure(queries, gallery, top_k, targets=[0])


def test_image_grid_empty_cells_and_payload_limit():
    fig = image_grid([[solid(0), None], [solid(1, rgb=True)]], row_labels=["a", "b"], col_labels=["x", "y"],
                     frames=[[None, None], ["red"]], thumb_size=32)
    assert len(fig.data) == 2
    assert [s.line.color for s in fig.layout.shapes] == ["red"]
    assert fig.layout.xaxis2.visible is False
    with pytest.raises(ValueError, match="thumb_size"):
        image_grid([[solid(0)]], thumb_size=224)
    with pytest.raises(ValueError, match="row labels"):
        image_grid([[solid(0)]], row_labels=["a", "b"])


def test_contrasting_queries_by_hand():
    ranks_3 = np.array([1, 2, 4, 9, 1, 3, 1])
    ranks_9 = np.array([1, 7, 12, 1, 6, 1, 2])
    lost, won = contrasting_queries(ranks_3, ranks_9, k=5, n=2)
    # in the top 5 with 3 views but not with 9: queries 1 (+5), 2 (+8), 4 (+5) -> 2 first, then 1 (first tie)
    assert lost.tolist() == [2, 1]
    # first with 9 views, not with 3: queries 3 (gain 8) and 5 (gain 2)
    assert won.tolist() == [3, 5]
    # too few strict cases: filled with other queries moving the same way (6 drops from 1 to 2)
    lost1, won1 = contrasting_queries(ranks_3, ranks_9, k=5, n=4)
    assert lost1.tolist() == [2, 1, 4, 6]
    assert won1.tolist() == [3, 5]
    with pytest.raises(ValueError):
        contrasting_queries([1, 2], [1])
