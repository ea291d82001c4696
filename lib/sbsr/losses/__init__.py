"""Training objectives that more than one system can use: the CLIP contrastive loss that learns feature masks
(thesis §4.2.2.2), pix2pix GAN and L1 terms (:mod:`.gan`, SketchyDepth), a batched differentiable chamfer
distance (:mod:`.chamfer`, Uy et al. 2021), knowledge distillation (:mod:`.distill`, NetSpace) and the
domain-adaptation losses of image-based 3D model retrieval (:mod:`.domain`, Song et al. 2023)."""

from .chamfer import chamfer_distance
from .contrastive import clip_contrastive_loss
from .domain import GradientReversal, dann_domain_loss, grad_reverse, grl_weight, jmmd2, js_divergence, mmd2
from .gan import discriminator_loss, gan_loss, generator_adversarial_loss, l1_loss

__all__ = ["GradientReversal", "chamfer_distance", "clip_contrastive_loss", "dann_domain_loss", "discriminator_loss",
           "gan_loss", "generator_adversarial_loss", "grad_reverse", "grl_weight", "jmmd2", "js_divergence", "l1_loss",
           "mmd2"]
