"""The six MI3DOR/SHREC metrics against rankings computed by hand (sbsr.retrieval.class_metrics)."""

import math

import numpy as np
import pytest

from sbsr.retrieval.class_metrics import class_retrieval_metrics, official_distances, relevance_matrix

# Gallery: classes 0 (2 items), 1 (3 items, the largest: T_max = 3), 2 (1 item).
GALLERY = [0, 0, 1, 1, 1, 2]
QUERIES = [0, 2, 1]
DIST = np.array([
    # q0 (class 0): order 2,0,3,1,4,5 -> labels 1,0,1,0,1,2 -> rel 0,1,0,1,0,0 (R = 2)
    [0.2, 0.4, 0.1, 0.3, 0.5, 0.6],
    # q1 (class 2, a class of size 1): all tied -> stable gallery order 0..5 -> rel 0,0,0,0,0,1 (R = 1)
    [0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
    # q2 (class 1): items 2 and 3 tie at 0.1 -> order 2,3,4,0,5,1 -> rel 1,1,1,0,0,0 (R = 3)
    [0.5, 0.9, 0.1, 0.1, 0.2, 0.7],
])


def test_relevance_follows_a_stable_ascending_sort():
    rel = relevance_matrix(DIST, QUERIES, GALLERY)
    np.testing.assert_array_equal(rel, [[0, 1, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1], [1, 1, 1, 0, 0, 0]])


def test_per_query_values_by_hand():
    r = class_retrieval_metrics(DIST, QUERIES, GALLERY)
    # NN: first result relevant for q2 only
    np.testing.assert_allclose(r.per_query["NN"], [0, 0, 1])
    # FT: q0 1 hit in top R=2 -> 1/2; q1 0 in top 1; q2 3 in top 3 -> 1
    np.testing.assert_allclose(r.per_query["FT"], [0.5, 0.0, 1.0])
    # ST (top 2R-1): q0 top 3 -> 1 hit / 2; q1 top 1 -> 0; q2 top 5 -> 3 / 3
    np.testing.assert_allclose(r.per_query["ST"], [0.5, 0.0, 1.0])
    # DCG cut at R: q0 (0 + 1/log2 2) / (1 + 1/log2 2) = 1/2; q1 0/1; q2 ideal = 1
    np.testing.assert_allclose(r.per_query["DCG"], [0.5, 0.0, 1.0])
    # NMRR: q0 K = min(8, 6) = 6, ranks (7, 2), mean 4.5 -> (4.5 - 1 - 0.5) / (6 - 1 + 0.5) = 3 / 5.5
    #       q1 K = min(4, 6) = 4, rank 5 -> (5 - 0.5 - 0.5) / (4 - 0.5 + 0.5) = 1
    #       q2 K = 6, ranks 1, 2, 3 -> (2 - 1.5 - 0.5) / (6 - 1.5 + 0.5) = 0
    np.testing.assert_allclose(r.per_query["NMRR"], [3 / 5.5, 1.0, 0.0])


def test_averages_and_pooled_f_by_hand():
    r = class_retrieval_metrics(DIST, QUERIES, GALLERY)
    assert r.NN == pytest.approx(1 / 3)
    assert r.FT == pytest.approx(0.5)
    assert r.ST == pytest.approx(0.5)
    assert r.DCG == pytest.approx(0.5)
    assert r.ANMRR == pytest.approx((3 / 5.5 + 1.0) / 3)
    # F: the gallery (6) is shorter than 20, so the cut-off is 6: all 2 + 1 + 3 = 6 relevant items are hits.
    # P = 6 / (3 queries * 6) = 1/3, recall = 6 / (2 + 1 + 3) = 1 -> F = 2 (1/3) / (4/3) = 0.5
    assert r.F == pytest.approx(0.5)


def test_f_measure_is_pooled_at_20():
    # 22 items of class 0 then 3 of class 1; one class-1 query whose class items sit at ranks 1, 21, 25.
    gallery = [0] * 22 + [1] * 3
    order = [22] + list(range(0, 19)) + [19, 23, 20, 21, 24]  # rank -> gallery index
    dist = np.empty((1, 25))
    dist[0, order] = np.arange(25)
    r = class_retrieval_metrics(dist, [1], gallery)
    # hits in the top 20 = 1: P = 1/20, recall = 1/3 -> F = 2 (1/60) / (1/20 + 1/3) = 2/23
    assert r.F == pytest.approx(2 / 23)
    # ST looks at the top 2*3-1 = 5: one hit -> 1/3; FT top 3: one hit -> 1/3
    assert r.ST == pytest.approx(1 / 3) and r.FT == pytest.approx(1 / 3)
    # DCG: rel at rank 1 only within R = 3 -> 1 / (1 + 1 + 1/log2 3)
    assert r.DCG == pytest.approx(1 / (2 + 1 / math.log2(3)))


def test_official_distances_clamp_negatives_and_normalise():
    d = official_distances(np.array([[-1.0, 2.0]]), np.array([[3.0, 0.0], [0.0, 5.0]]))
    # query -> (0, 1); gallery -> (1, 0), (0, 1)
    np.testing.assert_allclose(d, [[math.sqrt(2), 0.0]], atol=1e-12)


def test_a_query_class_missing_from_the_gallery_is_an_error():
    with pytest.raises(ValueError, match="absent from the gallery"):
        class_retrieval_metrics(np.zeros((1, 2)), [5], [0, 1])
    with pytest.raises(ValueError, match="expected"):
        class_retrieval_metrics(np.zeros((2, 2)), [0], [0, 1])
