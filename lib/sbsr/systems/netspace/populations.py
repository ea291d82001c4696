"""Populations of trained instances, the data NetSpace learns from (thesis §5.4, App. C.4-C.5):

* Single-Architecture: ResNet8 instances, each from its own random initialisation, trained with Adam at a
  constant learning rate for a different number of epochs, so that their accuracies spread.
* Multi-Architecture: LeNetLike, VanillaCNN, ResNet8 and ResNet32 trained with SGD, in given numbers per
  architecture (the thesis: 60/50/60/100 for training, 16 + 16 for validation and test), and a ResNet56
  teacher.
* SDF: SIREN MLPs, each fitted to one chair's signed distances.

Every instance is seeded (``seed`` + its index), trained with a progress bar, fused (batch norm into the
convolutions, App. C.6) and stored as a PRep; a population is cached under ``<cache_dir>/netspace`` as one
``.npz`` with a JSON table, keyed by a hash of everything that defines it (written atomically).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ...io import atomic_path
from .models import CLASS_IDS, Siren, Spec, count_parameters
from .prep import Layout, fuse_batchnorm, prep_shape, to_prep
from .train import accuracy, fit_siren, train_classifier


@dataclass
class Population:
    """Trained instances as PReps of one common shape, with a table of who they are."""

    name: str
    table: pd.DataFrame  # arch, class_id, epochs, optimizer, seed, split, accuracy, n_params, train_seconds
    preps: torch.Tensor  # (N, H, W)
    specs: dict[str, Spec] = field(default_factory=dict)

    def plain(self, arch: str) -> nn.Module:
        """An instance of ``arch`` without batch norm: the network a PRep of this population runs in."""
        return self.specs[arch].make(bn=False).eval()

    def split(self, split: str) -> tuple[pd.DataFrame, torch.Tensor]:
        mask = (self.table["split"] == split).to_numpy()
        return self.table[mask].reset_index(drop=True), self.preps[torch.from_numpy(mask)]


def _key(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _load(path: Path, name: str, specs) -> Population | None:
    if not path.is_file():
        return None
    z = np.load(path, allow_pickle=False)
    table = pd.read_json(path.with_suffix(".json"), orient="records")
    return Population(name, table, torch.from_numpy(np.array(z["preps"])), specs)


def _save(path: Path, pop: Population) -> None:
    with atomic_path(path.with_suffix(".json")) as tmp:
        pop.table.to_json(tmp, orient="records", double_precision=15)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, preps=pop.preps.numpy())


def train_population(name: str, task, members: list[dict], specs: dict[str, Spec], *, prep_width: int,
                     cache_dir: str | Path, progress=None, device: str = "cpu") -> Population:
    """Train (or load from the cache) the instances ``members``: dicts with ``arch, epochs, optimizer, lr,
    seed, split``. PReps are padded to the largest architecture's PRep shape (App. C.2)."""
    key = _key([name, task.name, task.data_hash(), members, {a: s.__dict__ for a, s in specs.items()}, prep_width])
    path = Path(cache_dir) / "netspace" / f"pop-{name}-{key}.npz"
    cached = _load(path, name, specs)
    if cached is not None:
        return cached
    shape = max(prep_shape(Layout.of(s.make(bn=False)).n_params, prep_width) for s in specs.values())
    rows, preps = [], []
    it = members if progress is None else progress(members, desc=f"population {name}")
    for m in it:
        spec = specs[m["arch"]]
        t0 = time.process_time()
        model = train_classifier(spec, task, epochs=int(m["epochs"]), optimizer=m["optimizer"], lr=float(m["lr"]),
                                 seed=int(m["seed"]), batch_size=int(m.get("batch_size", 128)), device=device)
        secs = time.process_time() - t0
        plain = fuse_batchnorm(model.cpu(), spec.make(bn=False))
        preps.append(to_prep(plain, shape))
        rows.append({**m, "class_id": CLASS_IDS.get(m["arch"], -1), "n_params": count_parameters(plain),
                     "accuracy": accuracy(plain, task.x_test, task.y_test), "train_cpu_s": secs})
    pop = Population(name, pd.DataFrame(rows), torch.stack(preps), specs)
    _save(path, pop)
    return pop


def single_members(n_train: int, n_val: int, n_test: int, max_epochs: int, *, lr: float = 1e-4, seed: int = 0,
                   arch: str = "ResNet8", batch_size: int = 128) -> list[dict]:
    """Single-Architecture instances: epochs spread evenly over 1..``max_epochs`` and assigned to the
    splits by a seeded permutation (the thesis: 132 instances, 1 to 600 epochs, 100/16/16)."""
    n = n_train + n_val + n_test
    epochs = np.unique(np.round(np.geomspace(1, max_epochs, n)).astype(int)) if n > 1 else np.array([max_epochs])
    epochs = np.resize(epochs, n) if len(epochs) < n else epochs
    splits = np.array(["train"] * n_train + ["val"] * n_val + ["test"] * n_test)
    splits = splits[np.random.default_rng(seed).permutation(n)]
    return [{"arch": arch, "epochs": int(e), "optimizer": "adam", "lr": lr, "seed": seed * 1000 + i, "split": str(s),
             "batch_size": batch_size}
            for i, (e, s) in enumerate(zip(sorted(epochs), splits))]


def multi_members(train_counts: dict[str, int], n_test_per_arch: int, epochs: int, *, lr: float = 0.05,
                  seed: int = 0, batch_size: int = 128) -> list[dict]:
    """Multi-Architecture instances: ``train_counts[arch]`` training and ``n_test_per_arch`` test instances
    of each architecture, SGD for ``epochs`` epochs (the thesis: 300)."""
    out, i = [], 0
    for arch, n in train_counts.items():
        for split, k in (("train", n), ("test", n_test_per_arch)):
            for _ in range(k):
                out.append({"arch": arch, "epochs": epochs, "optimizer": "sgd", "lr": lr, "seed": seed * 1000 + 500 + i,
                            "split": split, "batch_size": batch_size})
                i += 1
    return out


def train_teacher(spec: Spec, task, *, epochs: int, lr: float = 0.05, seed: int = 0, cache_dir: str | Path,
                  batch_size: int = 128, device: str = "cpu") -> tuple[nn.Module, float]:
    """The ResNet56 teacher N* of Eq. 5.3 (SGD), cached as safetensors; returns it (eval mode) and its
    test accuracy."""
    key = _key(["teacher", task.name, task.data_hash(), spec.__dict__, epochs, lr, seed, batch_size])
    path = Path(cache_dir) / "netspace" / f"teacher-{key}.safetensors"
    model = spec.make(bn=True)
    if path.is_file():
        model.load_state_dict(load_file(str(path)))
    else:
        model = train_classifier(spec, task, epochs=epochs, optimizer="sgd", lr=lr, seed=seed, batch_size=batch_size,
                                 device=device).cpu()
        with atomic_path(path) as tmp:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
    model.eval()
    return model, accuracy(model, task.x_test, task.y_test)


def siren_population(points: torch.Tensor, sdf: torch.Tensor, *, hidden: int, steps: int, batch: int, lr: float,
                     prep_width: int, seed: int = 0, cache_dir: str | Path, progress=None) -> Population:
    """One SIREN per shape (App. C.5), as PReps; ``accuracy`` = % of the shape's points whose SDF the MLP
    predicts within 1e-2."""
    key = _key(["siren", hidden, steps, batch, lr, prep_width, seed, hashlib.sha256(sdf.numpy().tobytes()).hexdigest()])
    path = Path(cache_dir) / "netspace" / f"pop-siren-{key}.npz"
    spec_like = {"Siren": None}
    cached = _load(path, "siren", spec_like)
    if cached is not None:
        return cached
    shape = prep_shape(Layout.of(Siren(hidden)).n_params, prep_width)
    rows, preps = [], []
    it = range(len(points)) if progress is None else progress(range(len(points)), desc="SIREN population")
    for i in it:
        t0 = time.process_time()
        net = fit_siren(points[i], sdf[i], hidden=hidden, steps=steps, batch=batch, lr=lr, seed=seed * 1000 + i)
        with torch.no_grad():
            close = float(((net(points[i]) - sdf[i]).abs() < 1e-2).float().mean()) * 100
        preps.append(to_prep(net, shape))
        rows.append({"arch": "Siren", "shape": i, "seed": seed * 1000 + i, "accuracy": close,
                     "train_cpu_s": time.process_time() - t0, "n_params": count_parameters(net)})
    pop = Population("siren", pd.DataFrame(rows), torch.stack(preps), spec_like)
    _save(path, pop)
    return pop


__all__ = ["Population", "multi_members", "single_members", "siren_population", "train_population", "train_teacher"]
