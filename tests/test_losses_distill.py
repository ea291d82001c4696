"""Distillation losses (thesis Eq. 5.1-5.12) against values computed by hand."""

import math

import pytest
import torch

from sbsr.losses.distill import (
    interpolate,
    interpolated_targets,
    interpolation_gammas,
    kd_kl,
    kd_loss,
    soft_target_mse,
)


def test_kd_kl_hand_value_at_t1():
    # q = softmax([ln 3, 0]) = [0.75, 0.25], p = softmax([0, 0]) = [0.5, 0.5]
    # KL(q || p) = 0.75 ln(0.75/0.5) + 0.25 ln(0.25/0.5) = 0.304099 - 0.173287 = 0.130812
    s = torch.tensor([[0.0, 0.0]])
    t = torch.tensor([[math.log(3.0), 0.0]])
    assert kd_kl(s, t, temperature=1.0).item() == pytest.approx(0.130812, abs=1e-6)


def test_kd_kl_temperature_scales_logits_and_multiplies_by_t_squared():
    # at T = 2 the teacher logits [2 ln 3, 0] / 2 give the same q as above; times T^2 = 4: 0.523248
    s = torch.tensor([[0.0, 0.0]])
    t = torch.tensor([[2 * math.log(3.0), 0.0]])
    assert kd_kl(s, t, temperature=2.0).item() == pytest.approx(4 * 0.130812, abs=1e-5)


def test_kd_kl_averages_over_samples_and_is_zero_for_equal_logits():
    # the second sample has equal logits (KL 0): the batch mean halves the first sample's 0.130812
    s = torch.tensor([[0.0, 0.0], [1.0, 2.0]])
    t = torch.tensor([[math.log(3.0), 0.0], [1.0, 2.0]])
    assert kd_kl(s, t, 1.0).item() == pytest.approx(0.130812 / 2, abs=1e-6)
    assert kd_kl(t, t + 5.0, 4.0).item() == pytest.approx(0.0, abs=1e-6)  # shift-invariant


def test_kd_loss_mixes_kl_and_cross_entropy():
    # CE(softmax([0, 0]), 0) = ln 2 = 0.693147; 0.9 * 0.130812 + 0.1 * 0.693147 = 0.117731 + 0.069315 = 0.187046
    s = torch.tensor([[0.0, 0.0]])
    t = torch.tensor([[math.log(3.0), 0.0]])
    y = torch.tensor([0])
    assert kd_loss(s, t, y, alpha=0.9, temperature=1.0).item() == pytest.approx(0.187046, abs=1e-6)


def test_soft_target_mse_hand_value():
    # ((1 - 0)^2 + (2 - 4)^2) / 2 = 2.5
    assert soft_target_mse(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0])).item() == pytest.approx(2.5)


def test_interpolation_factors_and_targets():
    assert interpolation_gammas(4) == pytest.approx([1 / 3, 2 / 3])  # Eq. 5.12 with A = 4
    assert interpolation_gammas(2) == []
    assert [interpolated_targets(0, 3, g) for g in interpolation_gammas(4)] == [1, 2]
    # (1 - 0.25) * [0, 4] + 0.25 * [4, 0] = [1, 3]
    assert interpolate(torch.tensor([0.0, 4.0]), torch.tensor([4.0, 0.0]), 0.25).tolist() == [1.0, 3.0]


def test_clear_errors():
    with pytest.raises(ValueError, match="same shape"):
        kd_kl(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="temperature"):
        kd_kl(torch.zeros(1, 2), torch.zeros(1, 2), 0.0)
    with pytest.raises(ValueError, match="alpha"):
        kd_loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.tensor([0]), alpha=1.5)
    with pytest.raises(ValueError, match="two architectures"):
        interpolation_gammas(1)
