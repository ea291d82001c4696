"""Training objectives: the CLIP contrastive loss used to learn feature masks (thesis §4.2.2.2) and the
domain-adaptation losses of image-based 3D model retrieval (:mod:`.domain`, Song et al. 2023)."""

from .contrastive import clip_contrastive_loss
from .domain import (GradientReversal, dann_domain_loss, grad_reverse, grl_weight, jmmd2, js_divergence,
                     mmd2)

__all__ = ["GradientReversal", "clip_contrastive_loss", "dann_domain_loss", "grad_reverse", "grl_weight",
           "jmmd2", "js_divergence", "mmd2"]
