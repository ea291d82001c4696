"""The shared torch chamfer distance (sbsr.losses.chamfer) against hand-computed values and the NumPy version."""

import numpy as np
import pytest
import torch

from sbsr.losses import chamfer_distance
from sbsr.shapes.metrics import chamfer_distance as chamfer_numpy


def test_hand_computed_case():
    a = torch.tensor([[0.0, 0, 0], [1, 0, 0]])
    b = torch.tensor([[0.0, 0, 0], [0, 2, 0]])
    # a -> b: (0,0,0) 0; (1,0,0) nearest (0,0,0), squared 1  -> mean 0.5
    # b -> a: (0,0,0) 0; (0,2,0) nearest (0,0,0), squared 4  -> mean 2.0
    assert float(chamfer_distance(a, b)) == pytest.approx(2.5)
    assert float(chamfer_distance(b, a)) == pytest.approx(2.5)


def test_agrees_with_numpy_version():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(70, 3))
    got = float(chamfer_distance(torch.as_tensor(a), torch.as_tensor(b)))
    assert got == pytest.approx(chamfer_numpy(a, b), rel=1e-9)


def test_batched_and_broadcast():
    rng = np.random.default_rng(1)
    a = torch.as_tensor(rng.normal(size=(4, 20, 3)))
    b = torch.as_tensor(rng.normal(size=(1, 30, 3)))
    out = chamfer_distance(a, b)
    assert out.shape == (4,)
    for i in range(4):
        assert float(out[i]) == pytest.approx(chamfer_numpy(a[i].numpy(), b[0].numpy()), rel=1e-9)
    # chunking does not change the values
    assert torch.allclose(chamfer_distance(a, b, max_elements=600), out)


def test_gradient_of_single_pair():
    # one point each, 1 apart along x: CD = 1 + 1 = 2, d/dx = 2 * 2 * (x_a - x_b) = 4
    a = torch.tensor([[1.0, 0, 0]], requires_grad=True)
    b = torch.tensor([[0.0, 0, 0]])
    chamfer_distance(a, b).backward()
    assert a.grad.tolist() == [[4.0, 0.0, 0.0]]


def test_zero_for_identical_sets():
    a = torch.rand(10, 3)
    assert float(chamfer_distance(a, a)) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="must be"):
        chamfer_distance(torch.zeros(5, 2), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="no points"):
        chamfer_distance(torch.zeros(0, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="batch sizes"):
        chamfer_distance(torch.zeros(2, 5, 3), torch.zeros(3, 5, 3))
