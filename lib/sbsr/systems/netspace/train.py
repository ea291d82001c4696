"""Training loops: the classifiers of the populations (App. C.4 "Nets Datasets"), the SIREN MLPs of the SDF
population (App. C.5), and NetSpace itself (§5.3): Single-Architecture (L_pred, Eq. 5.1 / 5.2) and
Multi-Architecture (L_kd with a teacher, L_class and the interpolation loss, Eq. 5.3-5.12).

Nothing is shipped: every network is trained by the chapter and cached under ``cache_dir``.
"""

from __future__ import annotations

import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...losses.distill import interpolate, interpolated_targets, interpolation_gammas, kd_kl, kd_loss, soft_target_mse
from .models import Siren, Spec
from .netspace import NetSpace
from .prep import Layout, forward_with


def seed_all(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Standard CIFAR augmentation [163]: random horizontal flips and 4-px (1/8 of the side) shifts."""
    flip = torch.rand(len(x), generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    pad = max(1, x.shape[-1] // 8)
    xp = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    i, j = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,), generator=gen))
    return xp[..., i: i + x.shape[-2], j: j + x.shape[-1]]


def train_classifier(spec: Spec, task, *, epochs: int, optimizer: str = "adam", lr: float = 1e-4, seed: int = 0,
                     batch_size: int = 128, device: str = "cpu", flip: bool = True) -> nn.Module:
    """A freshly initialised ``spec`` network trained on ``task`` for ``epochs`` epochs with Adam (constant
    ``lr``; Single-Architecture) or SGD (momentum 0.9, weight decay 5e-4, lr x0.1 at 50/60/70 % of the
    epochs: the thesis' 150/180/210 of 300; Multi-Architecture). Returns the batch-norm network in eval mode."""
    gen = seed_all(seed)
    model = spec.make(bn=True).to(device)
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = None
    elif optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
        miles = sorted({max(1, int(epochs * f)) for f in (0.5, 0.6, 0.7)})
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, miles, 0.1)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    x, y = task.x_train, task.y_train
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), batch_size):
            idx = perm[s: s + batch_size]
            xb = _augment(x[idx], gen) if flip else x[idx]
            loss = F.cross_entropy(model(xb.to(device)), y[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        if sched is not None:
            sched.step()
    return model.eval()


@torch.no_grad()
def accuracy(fn, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Top-1 accuracy (%) of ``fn`` (images -> logits) on ``x``, ``y``."""
    correct = 0
    for s in range(0, len(x), batch_size):
        correct += int((fn(x[s: s + batch_size]).argmax(1) == y[s: s + batch_size]).sum())
    return 100.0 * correct / max(1, len(x))


def fit_siren(points: torch.Tensor, sdf: torch.Tensor, *, hidden: int = 256, steps: int = 10_000, batch: int = 20_000,
              lr: float = 1e-4, seed: int = 0) -> Siren:
    """A SIREN fitted to one shape's SDF samples (App. C.5: MSE, Adam, lr x0.9 every 10 % of the steps)."""
    gen = seed_all(seed)
    net = Siren(hidden)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, max(1, steps // 10), 0.9)
    for _ in range(steps):
        idx = torch.randint(0, len(points), (min(batch, len(points)),), generator=gen)
        loss = F.mse_loss(net(points[idx]), sdf[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return net.eval()


def _batch(x, y, n, gen):
    idx = torch.randint(0, len(x), (n,), generator=gen)
    return x[idx], y[idx]


def train_single(ns: NetSpace, plain: nn.Module, preps: torch.Tensor, x: torch.Tensor, *, steps: int,
                 meta_batch: int = 8, image_batch: int = 64, temperature: float = 4.0, lr: float = 1e-4, seed: int = 0,
                 sdf: bool = False, progress=None) -> list[float]:
    """Single-Architecture NetSpace training: predicted instances distil their targets, with L_pred of
    Eq. 5.1 (classifiers: KL at temperature T, times T^2) or Eq. 5.2 (SDF networks, ``sdf=True``: MSE at
    points ``x``). ``preps``: ``(N, H, W)`` training PReps; ``plain``: the architecture without batch norm."""
    gen = seed_all(seed)
    layout = Layout.of(plain)
    opt = torch.optim.Adam([p for p in ns.parameters()], lr=lr)
    losses = []
    it = range(steps) if progress is None else progress(range(steps), desc="NetSpace", leave=False)
    for _ in it:
        idx = torch.randperm(len(preps), generator=gen)[:meta_batch]
        xb = x[torch.randint(0, len(x), (image_batch,), generator=gen)]
        _, pred = ns(preps[idx])
        loss = 0.0
        for target, p in zip(preps[idx], pred):
            with torch.no_grad():
                t = forward_with(plain, target, xb, layout)
            out = forward_with(plain, p, xb, layout)
            loss = loss + (soft_target_mse(out, t) if sdf else kd_kl(out, t, temperature))
        loss = loss / len(idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def train_multi(ns: NetSpace, plains: dict[int, nn.Module], preps: torch.Tensor, class_ids: torch.Tensor,
                teacher: nn.Module, x: torch.Tensor, y: torch.Tensor, *, steps: int, n_classes: int, meta_batch: int = 2,
                image_batch: int = 64, alpha: float = 0.9, temperature: float = 4.0, lr: float = 1e-4, seed: int = 0,
                progress=None) -> list[float]:
    """Multi-Architecture NetSpace training (§5.3): per instance L_kd to the teacher (Eq. 5.5) and L_class
    (Eq. 5.6); per pair of boundary instances (smallest and largest ClassId) the interpolation loss L^gamma
    (Eq. 5.7-5.11) for every gamma of Eq. 5.12 over ``n_classes`` architectures. Each step draws
    ``meta_batch`` instances of each boundary ClassId so that a pair exists (the other ClassIds at random)."""
    gen = seed_all(seed)
    layouts = {c: Layout.of(m) for c, m in plains.items()}
    lo, hi = int(class_ids.min()), int(class_ids.max())
    gammas = interpolation_gammas(n_classes)
    opt = torch.optim.Adam(ns.parameters(), lr=lr)
    losses = []
    it = range(steps) if progress is None else progress(range(steps), desc="NetSpace (multi)", leave=False)
    pools = {c: torch.nonzero(class_ids == c).flatten() for c in class_ids.unique().tolist()}
    for _ in it:
        pick = [pools[c][torch.randint(0, len(pools[c]), (1,), generator=gen)] for c in pools for _ in range(meta_batch)]
        idx = torch.cat(pick)
        xb, yb = _batch(x, y, image_batch, gen)
        with torch.no_grad():
            t_star = teacher(xb)
        e, pred = ns(preps[idx])
        cls_logits = ns.classid(e)
        loss = F.cross_entropy(cls_logits, class_ids[idx], reduction="sum")
        for c, p in zip(class_ids[idx].tolist(), pred):
            loss = loss + kd_loss(forward_with(plains[c], p, xb, layouts[c]), t_star, yb, alpha, temperature)
        ia = [k for k, c in enumerate(class_ids[idx].tolist()) if c == lo]
        ib = [k for k, c in enumerate(class_ids[idx].tolist()) if c == hi]
        for a, b in zip(ia, ib):
            for g in gammas:
                eg = interpolate(e[a], e[b], g)[None]
                cg = interpolated_targets(lo, hi, g)
                loss = loss + F.cross_entropy(ns.classid(eg), torch.tensor([cg]))
                if cg in plains:
                    pg = ns.decoder(eg)[0]
                    loss = loss + kd_loss(forward_with(plains[cg], pg, xb, layouts[cg]), t_star, yb, alpha, temperature)
        loss = loss / len(idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def latent_optimise(ns: NetSpace, e0: torch.Tensor, plains: dict[int, nn.Module], teacher: nn.Module, x: torch.Tensor,
                    y: torch.Tensor, *, steps: int, class_id: int | None = None, alpha: float = 0.9,
                    temperature: float = 4.0, lr: float = 1e-4, image_batch: int = 64, seed: int = 0) -> torch.Tensor:
    """Latent space optimisation (§5.4): Adam on one embedding through the frozen decoder, minimising L_kd
    to the teacher (plus L_class towards ``class_id`` with a ClassId head). Returns the optimised embedding."""
    gen = seed_all(seed)
    for p in ns.parameters():
        p.requires_grad_(False)
    e = e0.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([e], lr=lr)
    for _ in range(steps):
        xb, yb = _batch(x, y, image_batch, gen)
        with torch.no_grad():
            t_star = teacher(xb)
        c = class_id if class_id is not None else next(iter(plains))
        if ns.classid is not None and class_id is not None:
            c = int(ns.classid(e[None]).argmax(1))
            c = c if c in plains else class_id
        out = forward_with(plains[c], ns.decoder(e[None])[0], xb)
        loss = kd_loss(out, t_star, yb, alpha, temperature)
        if ns.classid is not None and class_id is not None:
            loss = loss + F.cross_entropy(ns.classid(e[None]), torch.tensor([class_id]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    for p in ns.parameters():
        p.requires_grad_(True)
    return e.detach()


def timed(fn, *args, **kwargs):
    """``(result, seconds)``: wall time of one call."""
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t
