"""Domain-adaptation losses (sbsr.losses.domain) against values computed by hand."""

import math

import pytest
import torch

from sbsr.losses.domain import (GradientReversal, dann_domain_loss, grad_reverse, grl_weight, jmmd2, js_divergence,
                                mmd2)


def test_gradient_reversal_is_identity_forward_and_negates_backward():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y = grad_reverse(x, 0.5)
    assert torch.equal(y, x.detach())
    (3 * y).sum().backward()
    # d(3y)/dx = 3, reversed and scaled by 0.5 -> -1.5
    assert torch.allclose(x.grad, torch.tensor([-1.5, -1.5]))
    x.grad = None
    GradientReversal(2.0)(x).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-2.0, -2.0]))


def test_grl_weight_ramp():
    assert grl_weight(0.0) == 0.0
    assert grl_weight(1.0) == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert grl_weight(0.1) == pytest.approx(2 / (1 + math.exp(-1)) - 1)  # 0.4621
    assert grl_weight(5.0) == grl_weight(1.0)  # progress is clipped to [0, 1]


def test_dann_loss_by_hand():
    # logits 0 -> D = 1/2 for everything: -log(1/2) per domain -> 2 log 2
    assert dann_domain_loss(torch.zeros(3), torch.zeros(5)).item() == pytest.approx(2 * math.log(2))
    # a confident, correct discriminator: images logit -20 (D ~ 0), models +20 (D ~ 1) -> ~0
    assert dann_domain_loss(torch.full((2,), -20.0), torch.full((2,), 20.0)).item() < 1e-8


def test_js_divergence_by_hand():
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.2, 0.8]])
    q = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.2, 0.8]])
    js = js_divergence(p, q)
    # disjoint supports -> log 2
    assert js[0].item() == pytest.approx(math.log(2))
    # m = (0.75, 0.25): KL(p||m) = 0.5 ln(2/3) + 0.5 ln 2 = 0.5 ln(4/3); KL(q||m) = ln(4/3) -> JS = 0.75 ln(4/3)
    assert js[1].item() == pytest.approx(0.75 * math.log(4 / 3))
    assert js[2].item() == pytest.approx(0.0, abs=1e-9)
    assert torch.allclose(js, js_divergence(q, p))  # symmetric
    with pytest.raises(ValueError, match="shapes differ"):
        js_divergence(p, q[:2])


def test_mmd_and_joint_mmd_by_hand():
    x, y = torch.tensor([[0.0]]), torch.tensor([[1.0]])
    # k(x,x) = k(y,y) = 1, k(x,y) = exp(-1/2) with bandwidth 1 -> 2 - 2 exp(-1/2)
    assert mmd2(x, y, [1.0]).item() == pytest.approx(2 - 2 * math.exp(-0.5))
    assert jmmd2([x], [y], [[1.0]]).item() == pytest.approx(2 - 2 * math.exp(-0.5))
    # two layers, each at squared distance 1: product kernel k(x,y) = exp(-1/2)^2 -> 2 - 2 exp(-1)
    assert jmmd2([x, x], [y, y], [[1.0], [1.0]]).item() == pytest.approx(2 - 2 * math.exp(-1))
    z = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    assert mmd2(z, z).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError):
        jmmd2([x], [y, y])
