"""Training of the cross-domain encoder (§4.1): Adam with default settings, 24 triplets per batch,
the test loss on one held-out mini-batch every ``eval_every`` iterations (as in Fig. 4) and on the
whole test set, plus time per iteration and peak memory."""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .data import CarData, sample_triplets, voxel_channels
from .models import CrossDomainEncoder, batch_loss, make_loss


@dataclass
class TrainResult:
    model: CrossDomainEncoder
    history: pd.DataFrame        # iteration, split (train / test minibatch / test set), loss
    seconds_per_iteration: float
    peak_memory_mb: float        # CPU: peak resident set of the process; GPU: max allocated
    device: str


def _images(data: CarData, cars, views, device) -> torch.Tensor:
    x = torch.from_numpy(data.images[cars, views]).to(device)
    return x.permute(0, 3, 1, 2).float().div_(255.0)


def _voxels(data: CarData, cars, device) -> torch.Tensor:
    return torch.from_numpy(voxel_channels(data.voxels[cars])).to(device)


def triplet_batch_loss(model, loss_kind, loss_fn, data: CarData, rows: np.ndarray, device) -> torch.Tensor:
    v = model.encode_voxels(_voxels(data, rows[:, 0], device))
    p = model.encode_images(_images(data, rows[:, 0], rows[:, 1], device))
    n = model.encode_images(_images(data, rows[:, 2], rows[:, 3], device))
    return batch_loss(loss_kind, loss_fn, v, p, n, torch.from_numpy(rows[:, 0]).to(device),
                      torch.from_numpy(rows[:, 2]).to(device))


def train_encoder(model: CrossDomainEncoder, data: CarData, loss_kind: str = "triplet", iterations: int = 100,
                  batch: int = 24, eval_every: int = 20, seed: int = 0, device: str = "cpu",
                  test_set_triplets: int = 48) -> TrainResult:
    """Train ``model`` on triplets of the training cars; every ``eval_every`` iterations record the loss
    on one held-out test mini-batch (a fresh one each time, as the paper) and on a fixed set of
    ``test_set_triplets`` test triplets (the "full test set" curve: the mean loss of its mini-batches of
    ``batch`` triplets, so that both losses are on the scale of a training batch)."""
    torch.manual_seed(seed)
    model = model.to(device)
    loss_fn = make_loss(loss_kind)
    opt = torch.optim.Adam(model.parameters())
    rng = np.random.default_rng([seed, 1])
    test_rng = np.random.default_rng([seed, 2])
    views = data.images.shape[1]
    fixed_test = sample_triplets(data.test, views, test_set_triplets, np.random.default_rng([seed, 3]))
    hist = []
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    t_train = 0.0
    for it in range(1, iterations + 1):
        model.train()
        t0 = time.perf_counter()
        rows = sample_triplets(data.train, views, batch, rng)
        loss = triplet_batch_loss(model, loss_kind, loss_fn, data, rows, device)
        opt.zero_grad()
        loss.backward()
        opt.step()
        t_train += time.perf_counter() - t0
        hist.append((it, "train", float(loss.detach())))
        if it % eval_every == 0 or it == iterations:
            model.eval()
            with torch.no_grad():
                rows = sample_triplets(data.test, views, batch, test_rng)
                hist.append((it, "test mini-batch", float(triplet_batch_loss(model, loss_kind, loss_fn, data, rows,
                                                                             device))))
                hist.append((it, "test set", float(np.mean([
                    float(triplet_batch_loss(model, loss_kind, loss_fn, data, fixed_test[i:i + batch], device))
                    for i in range(0, len(fixed_test), batch)]))))
    if device.startswith("cuda"):
        peak = torch.cuda.max_memory_allocated() / 2 ** 20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    history = pd.DataFrame(hist, columns=["iteration", "split", "loss"])
    return TrainResult(model.eval(), history, t_train / max(iterations, 1), float(peak), device)


@torch.no_grad()
def embed(model: CrossDomainEncoder, data: CarData, cars: np.ndarray, device: str = "cpu",
          chunk: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(voxel embeddings (n,128), image embeddings (n*V,128), car index of each image)."""
    model.eval()
    cars = np.asarray(cars)
    vox = np.concatenate([model.encode_voxels(_voxels(data, cars[i:i + chunk], device)).cpu().numpy()
                          for i in range(0, len(cars), chunk)])
    V = data.images.shape[1]
    img_car = np.repeat(cars, V)
    img_view = np.tile(np.arange(V), len(cars))
    img = np.concatenate([model.encode_images(_images(data, img_car[i:i + chunk], img_view[i:i + chunk],
                                                      device)).cpu().numpy()
                          for i in range(0, len(img_car), chunk)])
    return vox, img, img_car
