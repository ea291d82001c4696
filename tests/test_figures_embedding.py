import numpy as np
import pytest

from sbsr.book.figures.embedding import embedding_scatter, tsne_2d


def test_tsne_is_seeded_and_keeps_separated_clusters_apart():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.1, (10, 5))
    b = rng.normal(0, 0.1, (10, 5)) + 10.0
    x = np.vstack([a, b])
    p1, p2 = tsne_2d(x, seed=3), tsne_2d(x, seed=3)
    assert p1.shape == (20, 2)
    np.testing.assert_allclose(p1, p2)
    within = np.linalg.norm(p1[:10] - p1[:10].mean(0), axis=1).mean()
    between = np.linalg.norm(p1[:10].mean(0) - p1[10:].mean(0))
    assert between > 2 * within


def test_tsne_rejects_too_few_points():
    with pytest.raises(ValueError, match="N >= 3"):
        tsne_2d(np.zeros((2, 4)))


def test_scatter_has_one_trace_per_label_and_domain():
    pts = np.arange(12, dtype=float).reshape(6, 2)
    fig = embedding_scatter(pts, ["a", "a", "b", "b", "a", "b"], ["img", "vox", "img", "vox", "img", "img"])
    assert sorted(t.name for t in fig.data) == ["a (img)", "a (vox)", "b (img)", "b (vox)"]
    assert len(fig.data[0].x) == 2  # a (img): rows 0 and 4
    with pytest.raises(ValueError, match="differ in length"):
        embedding_scatter(pts, ["a"] * 5)
