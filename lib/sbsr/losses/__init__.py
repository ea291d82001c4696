"""Training objectives: the CLIP contrastive loss used to learn feature masks (thesis §4.2.2.2) and a batched,
differentiable chamfer distance (the fitting loss of Uy et al. 2021)."""

from .chamfer import chamfer_distance
from .contrastive import clip_contrastive_loss

__all__ = ["chamfer_distance", "clip_contrastive_loss"]
