"""Training objectives (thesis §4.2.2.2): the CLIP contrastive loss used to learn feature masks."""

from .contrastive import clip_contrastive_loss
from .gan import discriminator_loss, gan_loss, generator_adversarial_loss, l1_loss

__all__ = ["clip_contrastive_loss", "discriminator_loss", "gan_loss", "generator_adversarial_loss", "l1_loss"]
