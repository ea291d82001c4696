"""Differentiable, batched chamfer distance with :func:`torch.cdist` (the fitting loss of Uy et al. 2021, seed 001).

Convention (the one of pytorch3d's ``chamfer_distance``, which the reference code of seed 001 calls, see
``shared/related/REFERENCES.md``), identical to the NumPy evaluation version
:func:`sbsr.shapes.metrics.chamfer_distance`:

    CD(A, B) = 1/|A| sum_{a in A} min_{b in B} ||a - b||^2  +  1/|B| sum_{b in B} min_{a in A} ||b - a||^2

squared Euclidean nearest-neighbour distances, the mean over the points of each set, the *sum* of the two
directions (not their average, not square-rooted). The tests check both versions agree on the same points.

``torch.cdist`` builds the full (B, N, M) distance matrix, without gradient, to find the nearest neighbours;
the distance is then recomputed from the matched pairs, so the backward pass costs O(N + M) instead of
O(N M) (the gradient is the same as that of the min over the full matrix, wherever the nearest neighbour is
unique). Fine on a CPU up to a few thousand points per set; the batch is split into chunks of at most
``max_elements`` matrix entries.
"""

from __future__ import annotations

import torch


def _check(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.dim() == 2:
        x = x.unsqueeze(0)
    if x.dim() != 3 or x.shape[-1] != 3:
        raise ValueError(f"chamfer_distance: {name} must be (N,3) or (B,N,3), got {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError(f"chamfer_distance: {name} has no points")
    return x


def chamfer_distance(a: torch.Tensor, b: torch.Tensor, max_elements: int = 2**25) -> torch.Tensor:
    """Chamfer distance (module docstring) between point sets ``a`` (B,N,3) and ``b`` (B,M,3) (or one
    (N,3) / (M,3) pair); returns (B,) (a 0-d tensor for unbatched input). Differentiable in both inputs.

    >>> a = torch.tensor([[0.0, 0, 0], [1, 0, 0]]); b = torch.tensor([[0.0, 0, 0]])
    >>> float(chamfer_distance(a, b))  # (0 + 1)/2 + 0/1
    0.5
    """
    unbatched = a.dim() == 2 and b.dim() == 2
    a, b = _check(a, "a"), _check(b, "b")
    if a.shape[0] != b.shape[0]:
        if b.shape[0] == 1:
            b = b.expand(a.shape[0], -1, -1)
        elif a.shape[0] == 1:
            a = a.expand(b.shape[0], -1, -1)
        else:
            raise ValueError(f"chamfer_distance: batch sizes differ ({a.shape[0]} vs {b.shape[0]})")
    step = max(1, int(max_elements // (a.shape[1] * b.shape[1])))
    out = []
    for i in range(0, a.shape[0], step):
        ai, bi = a[i:i + step], b[i:i + step]
        with torch.no_grad():  # nearest neighbours only; the gradient flows through the matched pairs
            d = torch.cdist(ai.detach(), bi.detach())  # (b, N, M)
            nn_ab, nn_ba = d.argmin(dim=2), d.argmin(dim=1)
        near_b = torch.gather(bi, 1, nn_ab[..., None].expand(-1, -1, 3))
        near_a = torch.gather(ai, 1, nn_ba[..., None].expand(-1, -1, 3))
        out.append((ai - near_b).square().sum(-1).mean(1) + (bi - near_a).square().sum(-1).mean(1))
    res = torch.cat(out)
    return res[0] if unbatched else res


__all__ = ["chamfer_distance"]
