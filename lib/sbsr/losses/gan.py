"""Adversarial and reconstruction losses of conditional GANs (pix2pix, Isola et al. 2017; thesis ch. 3,
Eq. 3.2-3.10): written for any generator/discriminator pair, not for one system.

* :func:`gan_loss` -- the loss of discriminator logits against a real/fake target: ``"vanilla"`` is the
  binary cross-entropy of Goodfellow et al. (``-log D`` for real, ``-log(1-D)`` for fake, computed from
  logits), ``"lsgan"`` the least-squares loss of Mao et al. (``(D - t)^2``);
* :func:`discriminator_loss` -- pix2pix's discriminator objective: the mean of the real and fake terms
  (pix2pix halves the sum "to slow down D");
* :func:`generator_adversarial_loss` -- the non-saturating generator term (fake logits against "real");
* :func:`l1_loss` -- ``weight * mean |pred - target|`` (Eq. 3.3 / 3.7 with ``alpha = weight``, 100 in
  pix2pix and the thesis).

Patch discriminators return a map of logits; every loss averages over all its entries.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GAN_MODES = ("vanilla", "lsgan")


def gan_loss(logits: torch.Tensor, target_is_real: bool, mode: str = "vanilla") -> torch.Tensor:
    """Mean loss of discriminator ``logits`` (any shape) against the target 1 (real) or 0 (fake).

    >>> round(gan_loss(torch.zeros(4), True).item(), 4)   # -log(sigmoid(0)) = log 2
    0.6931
    """
    if mode not in GAN_MODES:
        raise ValueError(f"unknown GAN loss mode {mode!r}; choose from {GAN_MODES}")
    target = torch.full_like(logits, 1.0 if target_is_real else 0.0)
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(logits, target)
    return F.mse_loss(logits, target)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, mode: str = "vanilla") -> torch.Tensor:
    """``0.5 * (loss(real, 1) + loss(fake, 0))``: the discriminator maximises Eq. 3.2 (minimises its negative)."""
    return 0.5 * (gan_loss(real_logits, True, mode) + gan_loss(fake_logits, False, mode))


def generator_adversarial_loss(fake_logits: torch.Tensor, mode: str = "vanilla") -> torch.Tensor:
    """The generator's side of Eq. 3.2: fool the discriminator (fake logits against the real target)."""
    return gan_loss(fake_logits, True, mode)


def l1_loss(pred: torch.Tensor, target: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """``weight * mean(|pred - target|)`` (Eq. 3.3, 3.7); shapes must match."""
    if pred.shape != target.shape:
        raise ValueError(f"l1_loss: shapes differ, {tuple(pred.shape)} vs {tuple(target.shape)}")
    return weight * (pred - target).abs().mean()


__all__ = ["GAN_MODES", "discriminator_loss", "gan_loss", "generator_adversarial_loss", "l1_loss"]
