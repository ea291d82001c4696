"""Distances (Eq. 4.1), acc@k, confidence intervals and the view-study measures (Eq. 4.4 / 4.5), checked
against cases computed by hand."""

import math

import numpy as np
import pytest
import torch

from sbsr.retrieval import (accuracy_at_k, accuracy_ci, accuracy_table, aggregated_feature_distance,
                            best_matching_view, bootstrap_ci, hits_at_k, mean_ci, mse_distance_matrix,
                            object_matching_accuracy, ranks_of_targets, shape_distances, shape_distances_and_views,
                            view_distance_matrix, view_distances, view_level_accuracy_table, view_level_ranks,
                            view_matching_accuracy)

# ----------------------------------------------------------------------------------------------------
# a 2-query x 3-shape x 2-view case with D = 2, features (x, 0): MSE = (dx)^2 / 2
#
#   q0 = 0, q1 = 10; shape 0 views (0, 8), shape 1 views (2, 2), shape 2 views (5, -5)
#   per-view squared differences:        q0: [0, 64] [4, 4] [25, 25]     q1: [100, 4] [64, 64] [25, 225]
#   min  (Eq. 4.1):                       q0: 0, 4, 25                    q1: 4, 64, 25
#   mean feature (4, 2, 0):               q0: 16, 4, 0                    q1: 36, 64, 100
#   mean of distances:                    q0: 32, 4, 25                   q1: 52, 64, 125
# all halved because D = 2.


def _case():
    q = np.array([[0.0, 0.0], [10.0, 0.0]])
    views = np.zeros((3, 2, 2))
    views[:, :, 0] = [[0, 8], [2, 2], [5, -5]]
    return q, views


def test_mse_distance_matrix_hand_case():
    q = np.array([[1.0, 2.0]])
    g = np.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(mse_distance_matrix(q, g), [[0.0, 4.0, 2.5]])
    np.testing.assert_allclose(mse_distance_matrix(q, g, method="direct"), [[0.0, 4.0, 2.5]])


def test_mse_distance_matrix_chunking_methods_and_torch_agree():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(5, 300)).astype(np.float32)
    g = rng.normal(size=(7, 300)).astype(np.float32)
    ref = ((q[:, None, :].astype(np.float64) - g[None]) ** 2).mean(axis=2)
    tiny = 300 * 8 * 2  # forces chunks of two gallery rows
    for method in ("matmul", "direct"):
        np.testing.assert_allclose(mse_distance_matrix(q, g, method=method, chunk_bytes=tiny), ref, rtol=1e-10)
    out = mse_distance_matrix(torch.from_numpy(q), torch.from_numpy(g), chunk_bytes=tiny)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
    out = mse_distance_matrix(torch.from_numpy(q), torch.from_numpy(g), method="direct", dtype=torch.float32)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5)
    assert mse_distance_matrix(torch.from_numpy(q), torch.from_numpy(g), dtype=np.float32).dtype == torch.float32
    assert mse_distance_matrix(q, g, dtype=np.float32).dtype == np.float32
    self_d = mse_distance_matrix(q, q).diagonal()
    assert (self_d >= 0).all() and (self_d < 1e-12).all()  # clamped, never negative
    assert (mse_distance_matrix(q, q, method="direct").diagonal() == 0).all()


def test_mse_distance_matrix_rejects_bad_shapes():
    with pytest.raises(ValueError, match="feature sizes differ"):
        mse_distance_matrix(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="2-D"):
        mse_distance_matrix(np.zeros((2, 3, 1)), np.zeros((2, 3)))


def test_shape_distances_min_mean_and_mean_distance_by_hand():
    q, views = _case()
    np.testing.assert_allclose(shape_distances(q, views, "min"), np.array([[0, 4, 25], [4, 64, 25]]) / 2)
    np.testing.assert_allclose(shape_distances(q, views, "mean"), np.array([[16, 4, 0], [36, 64, 100]]) / 2)
    np.testing.assert_allclose(shape_distances(q, views, "mean_distance"),
                               np.array([[32, 4, 25], [52, 64, 125]]) / 2)
    # the rankings differ: min ranks shape 0 first for q0, the mean ranks it last
    assert list(np.argsort(shape_distances(q, views, "min")[0])) == [0, 1, 2]
    assert list(np.argsort(shape_distances(q, views, "mean")[0])) == [2, 1, 0]
    target = np.array([0, 0])
    assert accuracy_at_k(shape_distances(q, views, "min"), target, 1) == 100.0
    assert accuracy_at_k(shape_distances(q, views, "mean"), target, 1) == 50.0


def test_shape_distances_torch_matches_numpy():
    q, views = _case()
    for reduce in ("min", "mean", "mean_distance"):
        out = shape_distances(torch.tensor(q), torch.tensor(views), reduce)
        np.testing.assert_allclose(out.numpy(), shape_distances(q, views, reduce))


def test_best_matching_view_by_hand():
    q, views = _case()
    dist, idx = shape_distances_and_views(q, views)
    np.testing.assert_array_equal(idx, [[0, 0, 0], [1, 0, 0]])  # ties go to the first view
    np.testing.assert_allclose(dist, shape_distances(q, views, "min"))
    np.testing.assert_array_equal(best_matching_view(torch.tensor(q), torch.tensor(views)).numpy(), idx)


def test_view_mask_excludes_missing_views():
    q, views = _case()
    mask = np.array([[False, True], [True, True], [True, True]])  # shape 0 has only view 1 (x = 8)
    d = view_distances(q, views, view_mask=mask)
    assert np.isinf(d[:, 0, 0]).all()
    np.testing.assert_allclose(shape_distances(q, views, "min", view_mask=mask)[:, 0], [32, 2])
    np.testing.assert_allclose(shape_distances(q, views, "mean", view_mask=mask)[:, 0], [32, 2])
    np.testing.assert_allclose(shape_distances(q, views, "mean_distance", view_mask=mask)[:, 0], [32, 2])
    out = shape_distances(torch.tensor(q), torch.tensor(views), "mean_distance", view_mask=torch.tensor(mask))
    np.testing.assert_allclose(out[:, 0].numpy(), [32, 2])
    with pytest.raises(ValueError, match="without any view"):
        shape_distances(q, views, view_mask=np.array([[False, False], [True, True], [True, True]]))


# ----------------------------------------------------------------------------------------------------
# ranks and acc@k


def test_ranks_ties_pessimistic_and_optimistic():
    d = np.array([[1.0, 1.0, 2.0], [3.0, 2.0, 1.0]])
    np.testing.assert_array_equal(ranks_of_targets(d, [1, 0]), [2, 3])
    np.testing.assert_array_equal(ranks_of_targets(d, [1, 0], ties="optimistic"), [1, 3])
    np.testing.assert_array_equal(ranks_of_targets(np.ones((1, 4)), [2]), [4])  # constant row: last
    with pytest.raises(ValueError, match="NaN"):
        ranks_of_targets(np.array([[np.nan, 1.0]]), [0])
    with pytest.raises(ValueError, match="target indices"):
        ranks_of_targets(d, [0, 3])


def test_accuracy_at_k_by_hand():
    # target ranks 1, 3, 6, 5 among 6 items
    d = np.array([
        [0, 1, 2, 3, 4, 5],
        [0, 1, 2, 3, 4, 5],
        [0, 1, 2, 3, 4, 5],
        [5, 4, 3, 2, 1, 0],
    ], dtype=float)
    target = np.array([0, 2, 5, 1])
    np.testing.assert_array_equal(ranks_of_targets(d, target), [1, 3, 6, 5])
    assert accuracy_at_k(d, target, 1) == 25.0
    assert accuracy_at_k(d, target, 5) == 75.0
    assert accuracy_table(d, target) == {"acc@1": 25.0, "acc@5": 75.0, "acc@10": 100.0}
    assert accuracy_at_k(torch.tensor(d), torch.tensor(target), 3) == 50.0
    np.testing.assert_array_equal(hits_at_k(d, target, 3), [True, True, False, False])


def test_view_level_ranks_table_b1():
    vd = np.array([[[3.0, 1.0], [2.0, 5.0]]])  # one query, 2 shapes x 2 views
    assert view_level_ranks(vd, [0], [0])[0] == 3
    assert view_level_ranks(vd, [0], [1])[0] == 1
    assert view_level_ranks(vd, [1], [1])[0] == 4
    assert view_level_accuracy_table(vd, [0], [0], ks=(1, 3)) == {"acc@1": 0.0, "acc@3": 100.0}
    # masking view 1 of shape 0 (the closest) moves the target (shape 0, view 0) up to rank 2
    assert view_level_ranks(vd, [0], [0], view_mask=np.array([[True, False], [True, True]]))[0] == 2


# ----------------------------------------------------------------------------------------------------
# confidence intervals


def test_bootstrap_ci_contains_mean_and_is_deterministic():
    rng = np.random.default_rng(1)
    hits = 100.0 * (rng.random(200) < 0.5)
    ci = bootstrap_ci(hits, n_boot=2000, seed=3)
    assert ci.low < ci.estimate < ci.high
    assert ci.estimate == pytest.approx(hits.mean())
    # normal approximation: 1.96 * sqrt(p (1-p) / n) * 100 ~ 6.9 points
    assert 5.0 < ci.half_width < 9.0
    assert bootstrap_ci(hits, n_boot=2000, seed=3) == ci
    assert bootstrap_ci(hits, n_boot=2000, seed=4) != ci
    assert bootstrap_ci(np.full(10, 100.0), seed=0) == (100.0, 100.0, 100.0)


def test_accuracy_ci_is_in_percent():
    d = np.tile(np.arange(4.0), (8, 1))
    target = np.array([0, 0, 0, 1, 1, 2, 3, 3])  # hits@1: 3 of 8
    ci = accuracy_ci(d, target, 1, n_boot=500, seed=0)
    assert ci.estimate == 37.5 and 0.0 <= ci.low < 37.5 < ci.high <= 100.0


def test_mean_ci_student_t_by_hand():
    mean, low, high = mean_ci(np.array([1.0, 2.0, 3.0]))
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t_{0.975, 2} * s / sqrt(n)
    assert mean == 2.0 and low == pytest.approx(2 - half) and high == pytest.approx(2 + half)


# ----------------------------------------------------------------------------------------------------
# the view studies of §4.2.3.1 (D = 1, V = 2, N = 2)
#   domain a: object 0 views (0, 2), object 1 views (4, 6)
#   domain b: object 0 views (1, 2), object 1 views (4, 8)

A = np.array([[[0.0], [2.0]], [[4.0], [6.0]]])
B = np.array([[[1.0], [2.0]], [[4.0], [8.0]]])


def test_aggregated_feature_distance_eq_4_4_by_hand():
    s = aggregated_feature_distance(A, B)
    # d(A0,B0) = (1 + 0)/2; d(A0,B1) = (16 + 36)/2; d(A1,B0) = (9 + 16)/2; d(A1,B1) = (0 + 4)/2
    np.testing.assert_allclose(s.mean, [[0.5, 26.0], [12.5, 2.0]])
    np.testing.assert_allclose(s.samples[0, 0], [1.0, 0.0])
    half = 12.706204736174707 * math.sqrt(0.5) / math.sqrt(2)  # t_{0.975,1} * s / sqrt(V)
    assert s.low[0, 0] == pytest.approx(0.5 - half) and s.high[0, 0] == pytest.approx(0.5 + half)
    assert object_matching_accuracy(s) == 100.0
    assert object_matching_accuracy(np.array([[2.0, 1.0], [3.0, 0.0]])) == 50.0
    np.testing.assert_allclose(aggregated_feature_distance(torch.tensor(A), torch.tensor(B)).mean, s.mean)


def test_view_distance_matrix_eq_4_5_by_hand():
    s = view_distance_matrix(A, B)
    # object 0: [[1, 4], [1, 0]]; object 1: [[0, 16], [4, 4]]
    np.testing.assert_allclose(s.samples, [[[1, 4], [1, 0]], [[0, 16], [4, 4]]])
    np.testing.assert_allclose(s.mean, [[0.5, 10.0], [2.5, 2.0]])
    assert (s.low <= s.mean).all() and (s.mean <= s.high).all()
    with pytest.raises(ValueError, match="same objects"):
        view_distance_matrix(A, B[:1])


def test_view_matching_accuracy_by_hand():
    per_view, overall = view_matching_accuracy(A, B, n_boot=200, seed=0)
    # view 0 is matched for both objects; view 1 of object 1 ties (4, 4) and counts as a miss
    assert per_view[0].estimate == 100.0 and per_view[1].estimate == 50.0
    assert overall.estimate == 75.0
    assert per_view[0] == (100.0, 100.0, 100.0)
