"""Joint training of retrieval and deformation (Uy et al. 2021, §2.1) and the inner deformation optimisation.

* Soft retrieval (Eq. 1): ``p(s; t, S, d, sigma) = softmax_s(-d^2(s, t) / sigma^2(s))`` over a set of
  sources, ``sigma_0 = 100`` on the retrieval distances; K = 10 candidates are *sampled* from it without
  replacement (Gumbel top-k on the logits, so the exp() of widely spread distances never overflows, a trip
  of the reference code).
* Embedding loss (Eq. 2-3): ``sum_k |p(s_k; t, S_t, d_R, sigma_0) - p(s_k; t, S_t, d_fit, sigma_k)|`` with
  ``d_fit`` the chamfer distance after deformation and ``sigma_k`` learned per source (the reference code
  computes them and then overwrites them; here they are used, as the paper writes).
* Deformation loss (Eq. 4): ``sum_k p(s_k; t, S_t, d_R, sigma_0) L_fit(D_{s_k}(t), t_true)`` plus the
  bilateral symmetry loss (chamfer between the deformed source and its mirror image), weight ``sym_weight``.
* Alternating updates: per batch, first the retrieval module (deformer fixed), then the deformation module
  (retrieval fixed), on the same sampled candidates.
* The deformation module is first trained on random pairs (uniform candidates, equal weights): that is the
  *DF* of the paper's baselines and the starting point of joint training.
* IDO: Adam on the deformation parameters of each (target, source) pair, from the network's prediction,
  minimising chamfer + symmetry.

No checkpoint is shipped: the chapter trains every module it reports at run time (the quick profile's
budget allows it), so each number comes from the code on the page.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ...losses.chamfer import chamfer_distance
from .data import ClassData
from .models import DeformationModule, RetrievalModule, deform_parts, make_encoder, part_boxes, reflect_x

SIGMA0 = 100.0
K_CANDIDATES = 10


@dataclass
class TrainConfig:
    """Knobs of every training loop (epochs per stage, batch, K, sigma_0, learning rates, IDO)."""

    epochs_df: int = 30  # deformation on random pairs (DF)
    epochs_joint: int = 30  # joint training (Ours, Uniform Sampling), starting from DF
    epochs_retrieval: int = 30  # retrieval-only training (R regression, DAR)
    batch_size: int = 12
    k: int = K_CANDIDATES
    sigma0: float = SIGMA0
    sigma_init: float = 0.01  # initial sigma_k (chamfer units)
    lr: float = 1e-3
    lr_codes: float = 1e-2  # auto-decoded global and part codes
    lr_retrieval: float = 3e-3  # retrieval encoders
    lr_sigma: float = 1e-3  # the learned sigma_k of Eq. 2
    sym_weight: float = 0.1
    train_points: int | None = 256  # points per shape in the training losses (None: all)
    sym_points: int = 128  # points of each deformed shape in the symmetry loss
    ido_steps: int = 30
    ido_lr: float = 5e-3
    device: str = "cpu"


@dataclass
class Prepared:
    """One class as tensors: sources (points, labels, part box centres, part masks) and per target pool the
    encoder input (images (N,V,3,H,W) or points (N,P,3)) and the true points (N,P,3)."""

    category: str
    modality: str
    src_points: torch.Tensor
    src_labels: torch.Tensor
    src_centers: torch.Tensor
    src_mask: torch.Tensor
    inputs: dict
    truth: dict
    max_parts: int

    @property
    def n_sources(self) -> int:
        return int(self.src_points.shape[0])

    def subsample(self, n_points: int | None) -> "Prepared":
        """The same class with the first ``n_points`` points of every shape (the samples are in random
        order, so this is a uniform subsample); part box centres stay those of the full samples."""
        if n_points is None or n_points >= self.src_points.shape[1]:
            return self
        n = int(n_points)
        inputs = {k: (v[:, :n] if self.modality == "points" else v) for k, v in self.inputs.items()}
        return Prepared(self.category, self.modality, self.src_points[:, :n], self.src_labels[:, :n],
                        self.src_centers, self.src_mask, inputs, {k: v[:, :n] for k, v in self.truth.items()},
                        self.max_parts)

    def target_input(self, pool: str, idx: torch.Tensor, view: torch.Tensor | None = None) -> torch.Tensor:
        x = self.inputs[pool][idx]
        if self.modality == "image":
            v = torch.zeros_like(idx) if view is None else view
            x = x[torch.arange(len(idx)), v]
        return x


def prepare(data: ClassData, modality: str = "image", device: str = "cpu") -> Prepared:
    """Tensors of ``data`` for ``modality`` ("image" or "points") on ``device``."""
    if modality not in ("image", "points"):
        raise ValueError(f"unknown target modality {modality!r}; expected 'image' or 'points'")
    s = data.sources
    max_parts = int(s.n_parts.max())
    centers, mask = part_boxes(s.points, s.labels, s.n_parts, max_parts)
    inputs, truth = {}, {}
    for pool in ("train", "test"):
        t = getattr(data, pool)
        truth[pool] = torch.as_tensor(t.points, device=device)
        if modality == "image":
            inputs[pool] = torch.as_tensor(t.images, device=device).permute(0, 1, 4, 2, 3).float() / 255.0
        else:
            inputs[pool] = truth[pool]
    return Prepared(data.category, modality, torch.as_tensor(s.points, device=device),
                    torch.as_tensor(s.labels, device=device), torch.as_tensor(centers, device=device),
                    torch.as_tensor(mask, device=device), inputs, truth, max_parts)


# ------------------------------------------------------------------------------------------------------
# Eq. 1-4
# ------------------------------------------------------------------------------------------------------


def soft_retrieval_probs(d: torch.Tensor, sigma) -> torch.Tensor:
    """Eq. 1: ``p(s) = exp(-d(s)^2 / sigma(s)^2) / sum_s' exp(-d(s')^2 / sigma(s')^2)`` over the last axis;
    ``d`` (...,S) distances (not squared), ``sigma`` a scalar or broadcastable to ``d``."""
    sigma = torch.as_tensor(sigma, dtype=d.dtype, device=d.device)
    return torch.softmax(-d.square() / sigma.square(), dim=-1)


def sample_candidates(logits: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(B,k) indices sampled without replacement from ``softmax(logits)`` (B,S) (Gumbel top-k)."""
    if k > logits.shape[-1]:
        raise ValueError(f"cannot sample {k} candidates from {logits.shape[-1]} sources")
    u = torch.rand(logits.shape, generator=generator, device="cpu").to(logits.device).clamp_(1e-12, 1 - 1e-7)
    return torch.topk(logits - torch.log(-torch.log(u)), k, dim=-1).indices


def embedding_loss(d_r: torch.Tensor, d_fit: torch.Tensor, sigma0: float, sigma_k: torch.Tensor) -> torch.Tensor:
    """Eq. 2, averaged over the batch: ``sum_k |p(s_k; d_R, sigma_0) - p(s_k; d_fit, sigma_k)|`` for
    (B,K) retrieval distances ``d_r``, fitting distances ``d_fit`` (Eq. 3) and per-candidate ``sigma_k``."""
    p_r = soft_retrieval_probs(d_r, sigma0)
    p_f = soft_retrieval_probs(d_fit, sigma_k)
    return (p_r - p_f).abs().sum(-1).mean()


def deformation_loss(p_r: torch.Tensor, fit: torch.Tensor) -> torch.Tensor:
    """Eq. 4, averaged over the batch: ``sum_k p_k L_fit,k`` for (B,K) weights and fitting losses."""
    return (p_r * fit).sum(-1).mean()


def symmetry_loss(points: torch.Tensor) -> torch.Tensor:
    """(N,) chamfer distance between point sets (N,P,3) and their mirror images across x = 0."""
    return chamfer_distance(points, reflect_x(points))


# ------------------------------------------------------------------------------------------------------
# Deforming candidates
# ------------------------------------------------------------------------------------------------------


def deform_with(prep: Prepared, sources: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Deformed source points (B,K,P,3) for source indices (B,K) and parameters (B,K,M,6)."""
    b, k = sources.shape
    flat = sources.reshape(-1)
    out = deform_parts(prep.src_points[flat], prep.src_labels[flat], prep.src_centers[flat],
                       params.reshape(b * k, prep.max_parts, 6))
    return out.reshape(b, k, -1, 3)


def fit_losses(deformed: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """(B,K) chamfer between deformed candidates (B,K,P,3) and their targets' true points (B,Q,3)."""
    b, k = deformed.shape[:2]
    tt = truth[:, None].expand(b, k, -1, -1).reshape(b * k, -1, 3)
    return chamfer_distance(deformed.reshape(b * k, -1, 3), tt).reshape(b, k)


# ------------------------------------------------------------------------------------------------------
# Training loops
# ------------------------------------------------------------------------------------------------------


@dataclass
class Trained:
    """What a training run returns: the modules (either may be None) and one row per epoch."""

    deformer: DeformationModule | None
    retriever: RetrievalModule | None
    history: list = field(default_factory=list)


def _batches(n: int, batch: int, gen: torch.Generator) -> list[torch.Tensor]:
    perm = torch.randperm(n, generator=gen)
    return [perm[i:i + batch] for i in range(0, n, batch)]


def _deformer_optimizer(deformer: DeformationModule, cfg: TrainConfig) -> torch.optim.Optimizer:
    codes = [deformer.global_codes, deformer.part_codes]
    rest = [p for n, p in deformer.named_parameters() if n not in ("global_codes", "part_codes")]
    return torch.optim.Adam([{"params": rest, "lr": cfg.lr}, {"params": codes, "lr": cfg.lr_codes}])


def _deform_step(deformer, opt, prep, tin, truth, cand, weights, cfg) -> float:
    params = deformer(tin, cand) * prep.src_mask[cand][..., None]
    deformed = deform_with(prep, cand, params)
    fit = fit_losses(deformed, truth)
    sym = symmetry_loss(deformed.flatten(0, 1)[:, :cfg.sym_points]).reshape(fit.shape)
    loss = deformation_loss(weights, fit + cfg.sym_weight * sym)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


def _random_view(prep: Prepared, idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor | None:
    if prep.modality != "image":
        return None
    n_views = prep.inputs["train"].shape[1]
    return torch.randint(n_views, (len(idx),), generator=gen)


def train_deformer_random(prep: Prepared, cfg: TrainConfig, seed: int = 0, progress=None) -> Trained:
    """DF: the deformation module trained on random pairs (K uniform candidates per target, equal weights)."""
    prep = prep.subsample(cfg.train_points)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    deformer = DeformationModule(prep.n_sources, prep.max_parts, prep.modality).to(prep.src_points.device)
    opt = _deformer_optimizer(deformer, cfg)
    n_train = len(prep.truth["train"])
    k = min(cfg.k, prep.n_sources)
    history = []
    for epoch in _iter(range(cfg.epochs_df), progress, f"{prep.category} DF"):
        t0, losses = time.perf_counter(), []
        for idx in _batches(n_train, cfg.batch_size, gen):
            idx = idx.to(prep.src_points.device)
            cand = sample_candidates(torch.zeros(len(idx), prep.n_sources), k, gen).to(idx.device)
            weights = torch.full(cand.shape, 1.0 / k, device=idx.device)
            tin = prep.target_input("train", idx, _random_view(prep, idx, gen))
            losses.append(_deform_step(deformer, opt, prep, tin, prep.truth["train"][idx], cand, weights, cfg))
        history.append({"stage": "DF", "epoch": epoch, "seconds": time.perf_counter() - t0,
                        "loss": float(np.mean(losses))})
    return Trained(deformer, None, history)


def train_joint(prep: Prepared, cfg: TrainConfig, deformer_init: DeformationModule | None = None,
                sampling: str = "biased", seed: int = 0, update_deformer: bool = True, progress=None,
                label: str | None = None) -> Trained:
    """Joint training (§2.1): per batch sample K candidates from Eq. 1 (``sampling="biased"``) or uniformly
    (``"uniform"``, the ablation), update the retrieval module with Eq. 2 (deformer fixed), then the
    deformation module with Eq. 4 (retrieval fixed). ``update_deformer=False`` trains retrieval only on a
    fixed deformer (deformation-aware retrieval, DAR). Starts from a copy of ``deformer_init``."""
    if sampling not in ("biased", "uniform"):
        raise ValueError(f"sampling must be 'biased' or 'uniform', got {sampling!r}")
    prep = prep.subsample(cfg.train_points)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    dev = prep.src_points.device
    deformer = (copy.deepcopy(deformer_init) if deformer_init is not None
                else DeformationModule(prep.n_sources, prep.max_parts, prep.modality).to(dev))
    retriever = RetrievalModule(prep.n_sources, prep.modality, sigma_init=cfg.sigma_init, sigma0=cfg.sigma0).to(dev)
    opt_r = torch.optim.Adam([
        {"params": [p for n, p in retriever.named_parameters() if n != "log_sigma"], "lr": cfg.lr_retrieval},
        {"params": [retriever.log_sigma], "lr": cfg.lr_sigma}])
    opt_d = _deformer_optimizer(deformer, cfg)
    n_train = len(prep.truth["train"])
    k = min(cfg.k, prep.n_sources)
    stage = label or ("DAR" if not update_deformer else ("Ours" if sampling == "biased" else "Uniform"))
    epochs = cfg.epochs_joint if update_deformer else cfg.epochs_retrieval
    history = []
    for epoch in _iter(range(epochs), progress, f"{prep.category} {stage}"):
        t0, lr_, ld_ = time.perf_counter(), [], []
        for idx in _batches(n_train, cfg.batch_size, gen):
            idx = idx.to(dev)
            tin = prep.target_input("train", idx, _random_view(prep, idx, gen))
            truth = prep.truth["train"][idx]
            # soft retrieval (Eq. 1): distances to every source, K candidates sampled
            d2_all = retriever.distances(tin, prep.src_points)
            logits = -d2_all.detach() / cfg.sigma0 ** 2
            if sampling == "uniform":
                logits = torch.zeros_like(logits)
            cand = sample_candidates(logits.cpu(), k, gen).to(dev)
            # retrieval step (deformer fixed): Eq. 2 with d_fit of Eq. 3
            with torch.no_grad():
                params = deformer(tin, cand) * prep.src_mask[cand][..., None]
                d_fit = fit_losses(deform_with(prep, cand, params), truth)
            d_r = torch.gather(d2_all, 1, cand).clamp_min(0).sqrt()
            sigma_k = retriever.log_sigma.exp()[cand]
            loss_r = embedding_loss(d_r, d_fit, cfg.sigma0, sigma_k)
            opt_r.zero_grad()
            loss_r.backward()
            opt_r.step()
            lr_.append(float(loss_r.detach()))
            # deformation step (retrieval fixed): Eq. 4 weighted by p(s_k; t, S_t, d_R, sigma_0)
            if update_deformer:
                with torch.no_grad():
                    d_r = torch.gather(retriever.distances(tin, prep.src_points), 1, cand).clamp_min(0).sqrt()
                    weights = soft_retrieval_probs(d_r, cfg.sigma0)
                ld_.append(_deform_step(deformer, opt_d, prep, tin, truth, cand, weights, cfg))
        history.append({"stage": stage, "epoch": epoch, "seconds": time.perf_counter() - t0,
                        "loss": float(np.mean(ld_)) if ld_ else float("nan"), "loss_emb": float(np.mean(lr_))})
    return Trained(deformer if update_deformer else deformer_init, retriever, history)


def train_regression(prep: Prepared, coords: np.ndarray, cfg: TrainConfig, seed: int = 0, progress=None
                     ) -> tuple[torch.nn.Module, list]:
    """The R baseline's encoder: a target encoder regressed (L2) onto the MDS coordinates (N_train, D) of the
    training targets."""
    prep = prep.subsample(cfg.train_points)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 2)
    dev = prep.src_points.device
    enc = make_encoder(prep.modality, coords.shape[1]).to(dev)
    y = torch.as_tensor(coords, dtype=torch.float32, device=dev)
    opt = torch.optim.Adam(enc.parameters(), lr=cfg.lr)
    history = []
    for epoch in _iter(range(cfg.epochs_retrieval), progress, f"{prep.category} R"):
        t0, losses = time.perf_counter(), []
        for idx in _batches(len(y), cfg.batch_size, gen):
            idx = idx.to(dev)
            loss = (enc(prep.target_input("train", idx, _random_view(prep, idx, gen))) - y[idx]).square().sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        history.append({"stage": "R", "epoch": epoch, "seconds": time.perf_counter() - t0,
                        "loss": float(np.mean(losses))})
    return enc, history


def _iter(it, progress, desc):
    return progress(it, desc=desc, leave=False) if progress is not None else it


# ------------------------------------------------------------------------------------------------------
# Evaluation helpers
# ------------------------------------------------------------------------------------------------------


@torch.no_grad()
def predicted_params(deformer: DeformationModule, prep: Prepared, pool: str, targets: torch.Tensor,
                     sources: torch.Tensor) -> torch.Tensor:
    """(B,K,M,6) parameters the network predicts for targets (B,) and source indices (B,K) (view 0)."""
    deformer.eval()
    p = deformer(prep.target_input(pool, targets), sources) * prep.src_mask[sources][..., None]
    deformer.train()
    return p


@torch.no_grad()
def fit_matrix(deformer: DeformationModule | None, prep: Prepared, pool: str = "test", chunk: int = 4
               ) -> torch.Tensor:
    """(T,S) chamfer between every target of ``pool`` and every source, deformed by ``deformer``
    (undeformed when None)."""
    n_t, s = len(prep.truth[pool]), prep.n_sources
    out = []
    for i in range(0, n_t, chunk):
        idx = torch.arange(i, min(n_t, i + chunk), device=prep.src_points.device)
        cand = torch.arange(s, device=idx.device)[None].expand(len(idx), -1)
        if deformer is None:
            params = torch.zeros(len(idx), s, prep.max_parts, 6, device=idx.device)
        else:
            params = predicted_params(deformer, prep, pool, idx, cand)
        out.append(fit_losses(deform_with(prep, cand, params), prep.truth[pool][idx]))
    return torch.cat(out)


def ido(prep: Prepared, pool: str, targets: torch.Tensor, sources: torch.Tensor, init: torch.Tensor,
        cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Inner deformation optimisation: Adam on the parameters (B,K,M,6) of targets (B,) x sources (B,K),
    from ``init``, minimising chamfer + ``sym_weight`` x symmetry; returns the final chamfer (B,K) and
    parameters."""
    params = init.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([params], lr=cfg.ido_lr)
    truth = prep.truth[pool][targets]
    mask = prep.src_mask[sources][..., None]
    for _ in range(cfg.ido_steps):
        deformed = deform_with(prep, sources, params * mask)
        sym = symmetry_loss(deformed.flatten(0, 1)[:, :cfg.sym_points]).reshape(sources.shape)
        loss = fit_losses(deformed, truth) + cfg.sym_weight * sym
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        final = fit_losses(deform_with(prep, sources, params * mask), truth)
    return final, (params * mask).detach()
