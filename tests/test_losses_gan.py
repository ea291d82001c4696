"""GAN and L1 losses (sbsr.losses.gan) against values computed by hand on tiny tensors."""

import math

import pytest
import torch

from sbsr.losses import discriminator_loss, gan_loss, generator_adversarial_loss, l1_loss

LN3 = math.log(3.0)  # sigmoid(ln 3) = 3 / (1 + 3) = 0.75


def test_vanilla_real_target():
    # -log sigmoid(0) = log 2; -log sigmoid(ln 3) = -log 0.75; mean of the two
    expected = (math.log(2) - math.log(0.75)) / 2
    assert gan_loss(torch.tensor([0.0, LN3]), True).item() == pytest.approx(expected, rel=1e-6)


def test_vanilla_fake_target():
    # -log(1 - sigmoid(ln 3)) = -log 0.25 = log 4
    assert gan_loss(torch.tensor([LN3]), False).item() == pytest.approx(math.log(4), rel=1e-6)


def test_lsgan():
    x = torch.tensor([0.5, 2.0])
    assert gan_loss(x, True, "lsgan").item() == pytest.approx(((0.5 - 1) ** 2 + (2 - 1) ** 2) / 2)  # 0.625
    assert gan_loss(x, False, "lsgan").item() == pytest.approx((0.25 + 4.0) / 2)  # 2.125


def test_discriminator_and_generator_terms():
    real, fake = torch.tensor([[LN3]]), torch.tensor([[LN3]])
    # 0.5 * (-log 0.75 + log 4)
    assert discriminator_loss(real, fake).item() == pytest.approx(0.5 * (-math.log(0.75) + math.log(4)), rel=1e-6)
    # the generator wants its fake judged real: -log 0.75
    assert generator_adversarial_loss(fake).item() == pytest.approx(-math.log(0.75), rel=1e-6)


def test_patch_maps_are_averaged():
    # a 2x2 patch map of zeros: every entry costs log 2, the mean is log 2
    assert gan_loss(torch.zeros(1, 1, 2, 2), True).item() == pytest.approx(math.log(2), rel=1e-6)


def test_l1_weighted():
    # 100 * (|1 - 0| + |2 - 4|) / 2 = 150
    assert l1_loss(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 4.0]), 100.0).item() == pytest.approx(150.0)


def test_errors():
    with pytest.raises(ValueError, match="unknown GAN loss mode"):
        gan_loss(torch.zeros(2), True, "wgan")
    with pytest.raises(ValueError, match="shapes differ"):
        l1_loss(torch.zeros(2), torch.zeros(3))


def test_gradient_direction():
    # minimising the generator term raises the fake logit
    x = torch.tensor([0.0], requires_grad=True)
    generator_adversarial_loss(x).backward()
    assert x.grad.item() < 0
