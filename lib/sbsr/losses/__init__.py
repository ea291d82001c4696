"""Training objectives (thesis §4.2.2.2): the CLIP contrastive loss used to learn feature masks."""

from .contrastive import clip_contrastive_loss

__all__ = ["clip_contrastive_loss"]
