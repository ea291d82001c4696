"""Training of Song et al. 2023 (§3.3, §4.3) and of its baselines, with one loop.

Per step: a batch of labelled images and a batch of unlabelled 3D models (train halves).

* L_ce (Eq. 2): cross-entropy of the image predictions.
* L_adv (Eq. 4, weight beta = 0.5): :func:`sbsr.losses.dann_domain_loss` of the discriminator on the bottleneck
  features behind a gradient-reversal layer whose weight ramps ``2 / (1 + exp(-10 p)) - 1`` (the RevGrad
  reference code).
* L_sf (Eq. 3, weight gamma ramped 0 -> 1 with the same schedule): the classifier is applied once more to the
  features behind a gradient-reversal layer; predictions are softened at T = 10; image-image pairs share a
  label, image-model pairs share the image label and the model's pseudo-label (argmax of its prediction);
  ``L_sf = -T^2 (mean JS over image-image pairs + mean JS over image-model pairs)``. Minimising it makes the
  classifier *increase* the JS divergence and, through the reversed gradient, the features *decrease* it
  (the min_G max_C of Eq. 3).
* JAN baseline (metric learning): L_ce + the joint MMD of (bottleneck features, softmax predictions).
* "no adaptation": L_ce only.

SGD, learning rate 0.01 annealed as ``lr / (1 + 10 p)^0.75`` (the RevGrad/DANN schedule; the paper gives only
the initial value), momentum 0.9, weight decay 5e-4; a fine-tuned backbone gets a tenth of the learning rate.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from sbsr.losses.domain import dann_domain_loss, grad_reverse, grl_weight, jmmd2, js_divergence
from sbsr.retrieval.class_metrics import class_retrieval_metrics, official_distances

from .models import RetrievalNet


@dataclass(frozen=True)
class TrainConfig:
    """One training run. ``n_sub`` = 0 drops DS (F alone); ``adv``, ``sf``, ``jan`` switch the losses."""

    n_sub: int = 3
    adv: bool = True
    sf: bool = True
    jan: bool = False
    beta: float = 0.5            # weight of L_adv (Eq. 5)
    gamma_max: float = 1.0       # gamma ramps 0 -> gamma_max (Eq. 5)
    jan_weight: float = 1.0
    temperature: float = 10.0    # T of Eq. 3
    epochs: int = 20
    batch_images: int = 64      # the paper: batch size 64
    batch_models: int = 8
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 5e-4
    backbone_lr_mult: float = 0.1
    seed: int = 0


@dataclass
class TrainData:
    """Inputs of one benchmark. ``images`` (N, ...) and ``models`` (M, V, ...) are features or pixels;
    ``prepare`` turns a slice of either into a float tensor on the device (features: ``torch.as_tensor``)."""

    images: np.ndarray
    image_labels: np.ndarray
    models: np.ndarray
    prepare: Callable[[np.ndarray], torch.Tensor] | None = None

    def batch(self, array: np.ndarray, idx: np.ndarray, device: str) -> torch.Tensor:
        if self.prepare is not None:
            return self.prepare(array[idx]).to(device)
        return torch.as_tensor(np.asarray(array[idx], dtype=np.float32), device=device)


@dataclass
class TrainResult:
    net: RetrievalNet
    config: TrainConfig
    history: list[dict] = field(default_factory=list)  # one dict per epoch: losses and seconds

    @property
    def seconds_per_epoch(self) -> float:
        return float(np.mean([h["seconds"] for h in self.history])) if self.history else float("nan")


def pair_js(p_images: torch.Tensor, labels: torch.Tensor, p_models: torch.Tensor,
            pseudo: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """Mean JS divergence over image-image pairs (i < k) with equal labels and over image-model pairs with
    image label = model pseudo-label; the pair counts N1, N2 (a mean over no pair is 0)."""
    same = labels[:, None] == labels[None, :]
    ii, kk = torch.nonzero(torch.triu(same, diagonal=1), as_tuple=True)
    im, jm = torch.nonzero(labels[:, None] == pseudo[None, :], as_tuple=True)
    zero = p_images.sum() * 0.0
    js_ii = js_divergence(p_images[ii], p_images[kk]).mean() if len(ii) else zero
    js_im = js_divergence(p_images[im], p_models[jm]).mean() if len(im) else zero
    return js_ii, js_im, len(ii), len(im)


def semantic_focus_loss(net: RetrievalNet, f_images: torch.Tensor, labels: torch.Tensor, f_models: torch.Tensor,
                        pseudo: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. 3 through a gradient-reversal layer: ``-T^2 (JS_ii + JS_im)`` of the classifier's predictions at
    temperature T on reversed features (the classifier maximises the divergence, the features minimise it)."""
    p_i = F.softmax(net.classifier(grad_reverse(f_images)) / temperature, dim=1)
    p_m = F.softmax(net.classifier(grad_reverse(f_models)) / temperature, dim=1)
    js_ii, js_im, _, _ = pair_js(p_i, labels, p_m, pseudo)
    return -(temperature ** 2) * (js_ii + js_im)


def _optimizer(net: RetrievalNet, cfg: TrainConfig) -> torch.optim.SGD:
    head = [p for n, p in net.named_parameters() if not n.startswith("backbone.") and p.requires_grad]
    groups = [{"params": head, "lr": cfg.lr, "base_lr": cfg.lr}]
    if net.backbone is not None:
        bb = [p for p in net.backbone.parameters() if p.requires_grad]
        groups.append({"params": bb, "lr": cfg.lr * cfg.backbone_lr_mult, "base_lr": cfg.lr * cfg.backbone_lr_mult})
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def train(data: TrainData, n_classes: int, cfg: TrainConfig, device: str = "cpu", backbone=None,
          progress=None) -> TrainResult:
    """Train a :class:`RetrievalNet` on ``data`` with ``cfg``; deterministic per ``cfg.seed`` on a CPU."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    in_dim = int(data.images.shape[-1]) if backbone is None else int(getattr(backbone, "out_dim", 256))
    net = RetrievalNet(in_dim, n_classes, n_sub=cfg.n_sub, backbone=backbone, seed=cfg.seed).to(device)
    opt = _optimizer(net, cfg)
    n_img, n_mod = len(data.images), len(data.models)
    steps_per_epoch = max(1, int(np.ceil(n_img / cfg.batch_images)))
    total = cfg.epochs * steps_per_epoch
    labels_all = torch.as_tensor(np.asarray(data.image_labels), dtype=torch.long)
    result = TrainResult(net, cfg)
    step = 0
    epochs = range(cfg.epochs) if progress is None else progress(range(cfg.epochs), leave=False)
    for epoch in epochs:
        net.train()
        t0 = time.perf_counter()
        order = rng.permutation(n_img)
        sums = {"ce": 0.0, "adv": 0.0, "sf": 0.0, "jan": 0.0}
        for s in range(steps_per_epoch):
            p = step / max(1, total - 1)
            for g in opt.param_groups:
                g["lr"] = g["base_lr"] / (1.0 + 10.0 * p) ** 0.75
            idx = order[s * cfg.batch_images:(s + 1) * cfg.batch_images]
            if len(idx) < 2:
                idx = order[:cfg.batch_images]
            midx = rng.choice(n_mod, size=min(cfg.batch_models, n_mod), replace=False)
            y = labels_all[idx].to(device)
            f_i = net.image_features(data.batch(data.images, idx, device))
            f_m = net.model_features(data.batch(data.models, midx, device))
            logits_i, logits_m = net.classifier(f_i), net.classifier(f_m)
            loss = F.cross_entropy(logits_i, y)
            sums["ce"] += loss.item()
            ramp = grl_weight(p)
            if cfg.adv:
                d = net.discriminator(grad_reverse(torch.cat([f_i, f_m]), ramp)).squeeze(1)
                l_adv = dann_domain_loss(d[:len(idx)], d[len(idx):])
                loss = loss + cfg.beta * l_adv
                sums["adv"] += l_adv.item()
            if cfg.jan:
                l_jan = jmmd2([f_i, F.softmax(logits_i, 1)], [f_m, F.softmax(logits_m, 1)])
                loss = loss + cfg.jan_weight * ramp * l_jan
                sums["jan"] += l_jan.item()
            if cfg.sf:
                pseudo = logits_m.detach().argmax(1)
                l_sf = semantic_focus_loss(net, f_i, y, f_m, pseudo, cfg.temperature)
                loss = loss + cfg.gamma_max * ramp * l_sf
                sums["sf"] += l_sf.item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        result.history.append({"epoch": epoch, "seconds": time.perf_counter() - t0,
                               **{k: v / steps_per_epoch for k, v in sums.items()}})
    net.eval()
    return result


@torch.no_grad()
def embed(net: RetrievalNet, data: TrainData, array: np.ndarray, kind: str, device: str = "cpu",
          batch: int = 256) -> np.ndarray:
    """Bottleneck features of ``array`` ("image": (N, ...), "model": (M, V, ...)) as (N, bottleneck) numpy."""
    net.eval()
    fn = net.image_features if kind == "image" else net.model_features
    out = [fn(data.batch(array, np.arange(s, min(len(array), s + batch)), device)).cpu()
           for s in range(0, len(array), batch)]
    return torch.cat(out).numpy()


@torch.no_grad()
def dsmn_parts(net: RetrievalNet, x: torch.Tensor) -> tuple[np.ndarray, list[np.ndarray]]:
    """DI(X) and each DS_i(X) of backbone features ``x`` (N, D) (for Fig. 4)."""
    _, ds, di = net.dsmn.parts(net._g(x))
    return di.numpy(), [d.numpy() for d in ds]


def evaluate(net: RetrievalNet, queries: TrainData, query_labels, gallery: np.ndarray, gallery_labels,
             device: str = "cpu") -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """The six metrics of test image queries against the test 3D models; also the features and distances."""
    q = embed(net, queries, queries.images, "image", device)
    g = embed(net, queries, gallery, "model", device)
    dist = official_distances(q, g)
    return class_retrieval_metrics(dist, query_labels, gallery_labels).as_dict(), q, g, dist


__all__ = ["TrainConfig", "TrainData", "TrainResult", "dsmn_parts", "embed", "evaluate", "pair_js",
           "semantic_focus_loss", "train"]
