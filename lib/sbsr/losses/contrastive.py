"""The CLIP contrastive loss (thesis §4.2.2.2: "we use the CLIP contrastive loss [13], which is a simple
cross entropy contrastive loss [129]").

A batch holds two sets of line renderings of the same B objects from different viewpoints; rows of ``a``
and ``b`` with the same index show the same object ("we treat object identity as a class label").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def clip_contrastive_loss(a: torch.Tensor, b: torch.Tensor, logit_scale: float | torch.Tensor = 1 / 0.07,
                          labels: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE over L2-normalised rows of ``a`` (B, D) and ``b`` (B, D).

    ``logits = logit_scale * norm(a) @ norm(b).T``; the loss is the mean of the cross-entropy of the rows
    (a -> b) and of the columns (b -> a) with the positives on the diagonal, as in CLIP. Features of
    higher rank (B, C, H, W) are flattened per row. ``logit_scale`` is the multiplier itself (CLIP's
    ``exp(t)``), a float or a tensor (learnable if it requires grad).

    ``labels`` (B,) integer object ids, optional: when the same object occurs more than once in a batch,
    every pair with equal labels is a positive. Each row's target is then the uniform distribution over
    its positives (soft-target cross-entropy); with all labels distinct this equals the diagonal case.
    """
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b need the same batch size, got {a.shape[0]} and {b.shape[0]}")
    a = F.normalize(a.reshape(a.shape[0], -1), dim=1)
    b = F.normalize(b.reshape(b.shape[0], -1), dim=1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b need the same feature size, got {a.shape[1]} and {b.shape[1]}")
    logits = logit_scale * (a @ b.T)
    n = logits.shape[0]
    if labels is None:
        target = torch.arange(n, device=logits.device)
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
    labels = torch.as_tensor(labels, device=logits.device).reshape(-1)
    if labels.shape[0] != n:
        raise ValueError(f"labels has {labels.shape[0]} entries for a batch of {n}")
    positives = (labels[:, None] == labels[None, :]).to(logits.dtype)
    target = positives / positives.sum(dim=1, keepdim=True)
    # ``positives`` is symmetric, so the same targets serve the column direction (logits.T).
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
