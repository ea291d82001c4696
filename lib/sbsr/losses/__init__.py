"""Training objectives that more than one system can use: the CLIP contrastive loss that learns feature masks
(thesis §4.2.2.2), pix2pix GAN and L1 terms (SketchyDepth, thesis ch. 3) and a batched, differentiable chamfer
distance (the fitting loss of Uy et al. 2021). Import the module you need (``sbsr.losses.gan``, ...)."""

from .chamfer import chamfer_distance
from .contrastive import clip_contrastive_loss
from .gan import discriminator_loss, gan_loss, generator_adversarial_loss, l1_loss

__all__ = ["chamfer_distance", "clip_contrastive_loss", "discriminator_loss", "gan_loss", "generator_adversarial_loss",
           "l1_loss"]
