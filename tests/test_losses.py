"""The CLIP contrastive loss (thesis §4.2.2.2) against a 2x2 case computed by hand."""

import math

import pytest
import torch

from sbsr.losses import clip_contrastive_loss


def _hand_case():
    # a rows: (1, 0), (0, 1); b rows: (1, 0), (1, 1)/sqrt(2) after normalisation; scale 2
    # logits = 2 * a @ b.T = [[2, sqrt2], [0, sqrt2]]
    r2 = math.sqrt(2)
    rows = [-math.log(math.exp(2) / (math.exp(2) + math.exp(r2))),   # row 0, positive column 0
            -math.log(math.exp(r2) / (math.exp(0) + math.exp(r2)))]  # row 1, positive column 1
    cols = [-math.log(math.exp(2) / (math.exp(2) + math.exp(0))),    # column 0: logits (2, 0)
            -math.log(math.exp(r2) / (math.exp(r2) + math.exp(r2)))]  # column 1: logits (sqrt2, sqrt2)
    return 0.5 * (sum(rows) / 2 + sum(cols) / 2), (r2, rows, cols)


def test_clip_loss_hand_2x2():
    expected, _ = _hand_case()
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    loss = clip_contrastive_loss(a, b, logit_scale=2.0)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    # rows are L2-normalised: rescaling them changes nothing; a tensor scale works too
    assert clip_contrastive_loss(3 * a, 0.5 * b, logit_scale=torch.tensor(2.0, dtype=torch.float64)).item() \
        == pytest.approx(expected, rel=1e-12)
    # swapping a and b transposes the logits: the symmetric loss is unchanged
    assert clip_contrastive_loss(b, a, logit_scale=2.0).item() == pytest.approx(expected, rel=1e-12)


def test_clip_loss_labels():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    b = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    distinct = clip_contrastive_loss(a, b, 2.0, labels=torch.tensor([4, 7]))
    assert distinct.item() == pytest.approx(_hand_case()[0], rel=1e-12)
    # same object twice: every pair is positive, each row's target is (1/2, 1/2)
    r2 = math.sqrt(2)

    def soft_ce(x, y):
        lse = math.log(math.exp(x) + math.exp(y))
        return -0.5 * ((x - lse) + (y - lse))

    rows = soft_ce(2, r2) + soft_ce(0, r2)
    cols = soft_ce(2, 0) + soft_ce(r2, r2)
    same = clip_contrastive_loss(a, b, 2.0, labels=[1, 1])
    assert same.item() == pytest.approx(0.5 * (rows / 2 + cols / 2), rel=1e-12)
    with pytest.raises(ValueError, match="labels"):
        clip_contrastive_loss(a, b, 2.0, labels=[1, 2, 3])


def test_clip_loss_gradients_and_shapes():
    torch.manual_seed(0)
    a = torch.randn(4, 2, 3, 3, requires_grad=True)  # feature maps are flattened per row
    b = torch.randn(4, 18)
    scale = torch.tensor(10.0, requires_grad=True)
    loss = clip_contrastive_loss(a, b, scale)
    loss.backward()
    assert a.grad is not None and a.grad.abs().sum() > 0 and scale.grad is not None
    # perfect alignment with a large scale drives the loss towards 0
    x = torch.eye(4)
    assert clip_contrastive_loss(x, x, 100.0).item() < 1e-6
    assert clip_contrastive_loss(x, x.flip(0), 100.0).item() > 10
    with pytest.raises(ValueError, match="batch size"):
        clip_contrastive_loss(torch.randn(3, 2), torch.randn(2, 2))
