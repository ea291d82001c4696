"""Knowledge-distillation losses (Hinton et al.; thesis §5.3, Eq. 5.1-5.12), written for any student and
teacher: logits are ``(B, K)`` float tensors, labels ``(B,)`` int64.

* :func:`kd_kl` — ``KL(softmax(t/T) || softmax(p/T)) * T^2`` averaged over the samples (Eq. 5.1, 5.3, 5.8;
  the thesis writes ``KL(softmax(p/T), softmax(t/T))`` for the divergence of the student ``p`` from the
  target ``t``, which is PyTorch's ``kl_div(log_softmax(p/T), softmax(t/T))``).
* :func:`soft_target_mse` — the regression form of L_pred (Eq. 5.2): MSE between two outputs.
* :func:`kd_loss` — ``alpha * kd_kl(p, t*) + (1 - alpha) * CE(p, y)`` (Eq. 5.5, 5.10).
* :func:`interpolation_gammas` and :func:`interpolated_targets` — the factors of Eq. 5.12 and the ClassIds
  the interpolated embeddings must take (Eq. 5.7).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def kd_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 4.0) -> torch.Tensor:
    """Temperature-scaled KL divergence of the student from the teacher, times ``T^2`` (Eq. 5.1).

    ``sum_k q_k (log q_k - log p_k)`` per sample with ``q = softmax(t/T)``, ``p = softmax(s/T)``, averaged
    over the batch. Zero when the logits are equal (or differ by a constant per row).
    """
    if student_logits.shape != teacher_logits.shape or student_logits.ndim != 2:
        raise ValueError(f"expected two (B, K) logits of the same shape, got {tuple(student_logits.shape)} "
                         f"and {tuple(teacher_logits.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    t = float(temperature)
    log_p = F.log_softmax(student_logits / t, dim=1)
    q = F.softmax(teacher_logits / t, dim=1)
    return F.kl_div(log_p, q, reduction="batchmean") * t * t


def soft_target_mse(student_out: torch.Tensor, teacher_out: torch.Tensor) -> torch.Tensor:
    """L_pred for regression networks (Eq. 5.2): the mean squared difference of the two outputs."""
    if student_out.shape != teacher_out.shape:
        raise ValueError(f"outputs differ in shape: {tuple(student_out.shape)} vs {tuple(teacher_out.shape)}")
    return F.mse_loss(student_out, teacher_out)


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
            alpha: float = 0.9, temperature: float = 4.0) -> torch.Tensor:
    """The complete distillation loss of Eq. 5.5: ``alpha * L*_pred + (1 - alpha) * CE(p, y)``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return alpha * kd_kl(student_logits, teacher_logits, temperature) + (1 - alpha) * F.cross_entropy(
        student_logits, labels)


def interpolation_gammas(n_classes: int) -> list[float]:
    """The factors of Eq. 5.12, ``gamma = i / (A - 1)`` for ``i = 1 .. A - 2`` (empty for A < 3).

    >>> interpolation_gammas(4)
    [0.3333333333333333, 0.6666666666666666]
    """
    if n_classes < 2:
        raise ValueError(f"need at least two architectures, got {n_classes}")
    return [i / (n_classes - 1) for i in range(1, n_classes - 1)]


def interpolate(a: torch.Tensor, b: torch.Tensor, gamma: float) -> torch.Tensor:
    """``(1 - gamma) * a + gamma * b`` (the interpolated embedding e^gamma of §5.3)."""
    return (1.0 - gamma) * a + gamma * b


def interpolated_targets(class_a: int, class_b: int, gamma: float) -> int:
    """The interpolated ClassId ``c_t^gamma = (1 - gamma) c^A + gamma c^B`` of Eq. 5.7, rounded to the
    nearest class (with Eq. 5.12's gammas it is an integer already).

    >>> interpolated_targets(0, 3, 1 / 3), interpolated_targets(0, 3, 2 / 3)
    (1, 2)
    """
    return int(round((1.0 - gamma) * class_a + gamma * class_b))


__all__ = ["interpolate", "interpolated_targets", "interpolation_gammas", "kd_kl", "kd_loss", "soft_target_mse"]
