"""Seeded sweep sampling and summaries (Tables 4.1 and 4.2)."""

import math

import numpy as np
import pytest

from sbsr.systems.clip_retrieval.sweeps import (random_rotations, random_sizes, random_translations, summarise_sweep, uniform_around,
                                                uniform_rotations_around, uniform_translations_around)


def test_random_sizes_range_and_seed():
    s = random_sizes(50, seed=0)
    assert s.shape == (50,) and s.min() >= 0.531 and s.max() <= 0.987
    np.testing.assert_array_equal(s, random_sizes(50, seed=0))
    assert not np.array_equal(s, random_sizes(50, seed=1))
    with pytest.raises(ValueError):
        random_sizes(5, low=0.9, high=0.5)


def test_uniform_around_is_even_grid_clipped():
    g = uniform_around(0.554, n=20, half_width=0.038)
    assert g[0] == pytest.approx(0.516) and g[-1] == pytest.approx(0.592) and len(g) == 20
    np.testing.assert_allclose(np.diff(g), (0.592 - 0.516) / 19)
    g = uniform_around(0.98, n=5, half_width=0.04, high=0.987)
    assert g[0] == pytest.approx(0.94) and g[-1] == pytest.approx(0.987)
    r = uniform_around(0.554, n=20, half_width=0.038, seed=3)
    assert r.min() >= 0.516 and r.max() <= 0.592 and not np.allclose(np.diff(r), np.diff(r)[0])


def test_translations_ranges():
    t = random_translations(200, seed=0)
    assert t.shape == (200, 2) and np.abs(t).max() <= 22 and np.array_equal(t, np.rint(t))
    assert np.abs(t).max() >= 20
    u = uniform_translations_around((13.5, -3.5), n=20, half_width=(7.5, 2.5), seed=0)
    assert u[:, 0].min() >= 6 and u[:, 0].max() <= 21 and u[:, 1].min() >= -6 and u[:, 1].max() <= -1
    np.testing.assert_array_equal(u, uniform_translations_around((13.5, -3.5), seed=0))
    edge = uniform_translations_around((22, 0), half_width=(5, 5), integer=False, seed=1)
    assert edge[:, 0].max() <= 22.4


def test_rotations_ranges():
    r = random_rotations(20, seed=0)
    assert r.min() >= -40 and r.max() <= 40
    g = uniform_rotations_around(-25.0, n=21, half_width=5.0)
    assert g[0] == -30 and g[-1] == -20 and g[10] == pytest.approx(-25)


def test_summarise_sweep_by_hand():
    s = summarise_sweep([0.5, 0.6, 0.7], [60.0, 70.0, 65.0])
    assert s.mean == 65.0 and s.std == pytest.approx(math.sqrt(50 / 3))
    assert s.best_value == 0.6 and s.best_index == 1 and s.best_accs == 70.0
    assert summarise_sweep([0.5, 0.6, 0.7], [60.0, 70.0, 65.0], ddof=1).std == pytest.approx(5.0)
    two = [[60, 70], [70, 50], [66, 66]]  # e.g. chairs, lamps; row means 65, 60, 66
    t = summarise_sweep([[1, 2], [3, 4], [5, 6]], two)
    assert t.best_index == 2 and t.best_value == [5, 6]
    np.testing.assert_allclose(t.mean, [196 / 3, 62])
    assert summarise_sweep([1, 2, 3], two, select=0).best_index == 1
    with pytest.raises(ValueError, match="settings"):
        summarise_sweep([1, 2], [1.0, 2.0, 3.0])
