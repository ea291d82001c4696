"""Drivers for the chapter: every row of Tables 1 and 2 of Uy et al. 2021 (§3.1) per class, as tidy tables.

For one class, one seed and one target modality, :func:`run_class` trains

* **DF**: the deformation module on random pairs (:func:`.train.train_deformer_random`);
* **R**: the shape-to-shape chamfer matrix of the sources and training targets projected by metric MDS
  (scikit-learn, ``metric="precomputed"``, ``n_init``, ``eps``, ``random_state`` given explicitly) to
  ``min(256, N - 1)`` dimensions, and a target encoder regressed onto it with an L2 loss;
* **DAR**: deformation-aware retrieval: the retrieval module trained with Eq. 2 on the fitting distances of
  the fixed DF deformer;
* **Uniform Sampling** and **Ours**: joint training from DF, with uniform or biased (Eq. 1) candidates,

and evaluates on the test targets (view 0 of each): the chamfer distance between the retrieved source
(deformed by the row's deformer, or not) and the target's true points, in the paper's unit (x 1e-2, shapes
normalised to a unit bounding-box diagonal), averaged over the test targets. Table 2 uses oracle retrieval:
every source is deformed and the best one kept. *Ours w/ IDO* refines the network's parameters by the inner
deformation optimisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.manifold import MDS

from ...losses.chamfer import chamfer_distance
from .data import ClassData, load_class, source_shape
from .models import deform_parts, squared_distances
from .train import (Prepared, TrainConfig, fit_matrix, ido, predicted_params, prepare, train_deformer_random,
                    train_joint, train_regression)

UNIT = 100.0  # chamfer x 1e-2: the paper's unit
TABLE1_ROWS = ("R", "R+DF", "DAR (Retrieval Only)", "DAR+DF", "Uniform Sampling", "Ours", "Ours w/ IDO")
TABLE2_ROWS = ("DF", "Uniform Sampling", "Ours", "Ours w/ IDO")
#: the retriever and deformer behind each Table 1 row (None: not deformed)
ROW_METHODS = {"R": ("R", None), "R+DF": ("R", "DF"), "DAR (Retrieval Only)": ("DAR", None),
               "DAR+DF": ("DAR", "DF"), "Uniform Sampling": ("Uniform", "Uniform"), "Ours": ("Ours", "Ours"),
               "Ours w/ IDO": ("Ours", "Ours+IDO")}


@dataclass
class Sizes:
    """Database sizes of a profile."""

    n_sources: int = 16
    n_train: int = 24
    n_test: int = 12
    n_points: int = 512
    n_views: int = 2
    image_size: int = 64


@dataclass
class ClassRun:
    """Everything one (class, seed, modality) run produced: data, modules, retrievals, fits, timings."""

    category: str
    seed: int
    modality: str
    data: ClassData
    prep: Prepared
    models: dict  # "DF", "Uniform", "Ours", "DAR" -> Trained
    r_encoder: torch.nn.Module
    r_sources: np.ndarray  # (S, D) MDS coordinates of the sources
    retrieved: dict  # retriever -> (T,) source index
    fits: dict  # deformer name (or "raw") -> (T,S) chamfer, native units
    ido_retrieved: np.ndarray  # (T,) chamfer after IDO on Ours' retrieved source
    ido_oracle: np.ndarray  # (T,S) chamfer after IDO on every pair
    history: list = field(default_factory=list)

    def table1(self) -> pd.DataFrame:
        t = np.arange(len(self.prep.truth["test"]))
        rows = []
        for row, (retr, defo) in ROW_METHODS.items():
            if defo == "Ours+IDO":
                vals = self.ido_retrieved
            else:
                vals = self.fits["raw" if defo is None else defo][t, self.retrieved[retr]]
            rows.append({"row": row, "category": self.category, "seed": self.seed, "modality": self.modality,
                         "value": float(np.mean(vals)) * UNIT})
        return pd.DataFrame(rows)

    def table2(self) -> pd.DataFrame:
        rows = []
        for row in TABLE2_ROWS:
            m = {"DF": self.fits["DF"], "Uniform Sampling": self.fits["Uniform"], "Ours": self.fits["Ours"],
                 "Ours w/ IDO": self.ido_oracle}[row]
            rows.append({"row": row, "category": self.category, "seed": self.seed, "modality": self.modality,
                         "value": float(np.mean(m.min(axis=1))) * UNIT})
        return pd.DataFrame(rows)

    def extra(self) -> pd.DataFrame:
        """Numbers behind the claims beyond the printed rows: undeformed oracle, retrieval agreement."""
        t = np.arange(len(self.prep.truth["test"]))
        best = self.fits["Ours"].argmin(1)
        return pd.DataFrame([{"category": self.category, "seed": self.seed, "modality": self.modality,
                              "oracle_undeformed": float(self.fits["raw"].min(1).mean()) * UNIT,
                              "ours_top1_is_oracle": float(np.mean(self.retrieved["Ours"] == best)),
                              "ours_deformed_any_source": float(self.fits["Ours"][t].mean()) * UNIT}])


def chamfer_matrix(points: torch.Tensor, chunk: int = 64) -> np.ndarray:
    """(N,N) chamfer distances between point sets (N,P,3) (the shared convention of
    :mod:`sbsr.losses.chamfer`)."""
    n = len(points)
    ii, jj = torch.triu_indices(n, n, offset=1)
    vals = []
    with torch.no_grad():
        for k in range(0, len(ii), chunk):
            vals.append(chamfer_distance(points[ii[k:k + chunk]], points[jj[k:k + chunk]]))
    out = np.zeros((n, n))
    v = torch.cat(vals).cpu().numpy() if vals else np.zeros(0)
    out[ii.numpy(), jj.numpy()] = v
    out[jj.numpy(), ii.numpy()] = v
    return out


def mds_embedding(dist: np.ndarray, n_components: int = 256, seed: int = 0) -> np.ndarray:
    """Metric MDS of a precomputed dissimilarity matrix (N,N) to ``min(n_components, N - 1)`` dimensions,
    standardised to unit overall standard deviation (retrieval by nearest neighbour does not see the scale)."""
    d = min(int(n_components), len(dist) - 1)
    mds = MDS(n_components=d, metric="precomputed", metric_mds=True, n_init=1, init="random", max_iter=300,
              eps=1e-6, random_state=seed, normalized_stress=False)
    x = mds.fit_transform(dist)
    return (x / (x.std() + 1e-12)).astype(np.float32)


@torch.no_grad()
def retrieve(retriever, prep: Prepared, pool: str = "test") -> np.ndarray:
    """(T,) index of the nearest source in the retrieval space for the targets of ``pool`` (view 0)."""
    retriever.eval()
    idx = torch.arange(len(prep.truth[pool]), device=prep.src_points.device)
    d2 = retriever.distances(prep.target_input(pool, idx), prep.src_points)
    retriever.train()
    return d2.argmin(1).cpu().numpy()


@torch.no_grad()
def candidates(retriever, prep: Prepared, k: int, pool: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """The K nearest sources (T,K) of every target and their Eq. 1 probabilities over all sources (T,K)."""
    retriever.eval()
    idx = torch.arange(len(prep.truth[pool]), device=prep.src_points.device)
    d2 = retriever.distances(prep.target_input(pool, idx), prep.src_points)
    retriever.train()
    p = torch.softmax(-d2 / 100.0 ** 2, dim=1)
    order = d2.argsort(1)[:, :k]
    return order.cpu().numpy(), torch.gather(p, 1, order).cpu().numpy()


def run_class(category: str, seed: int = 0, modality: str = "image", sizes: Sizes | None = None,
              cfg: TrainConfig | None = None, cache_dir=None, progress=None) -> ClassRun:
    """Train every module of Tables 1-2 for one class and evaluate it (module docstring)."""
    sizes = sizes or Sizes()
    cfg = cfg or TrainConfig()
    data = load_class(category, sizes.n_sources, sizes.n_train, sizes.n_test, sizes.n_points, sizes.n_views,
                      sizes.image_size, seed=seed, cache_dir=cache_dir)
    prep = prepare(data, modality, cfg.device)
    models = {"DF": train_deformer_random(prep, cfg, seed=seed, progress=progress)}
    models["DAR"] = train_joint(prep, cfg, models["DF"].deformer, seed=seed, update_deformer=False,
                                progress=progress)
    models["Uniform"] = train_joint(prep, cfg, models["DF"].deformer, "uniform", seed=seed, progress=progress)
    models["Ours"] = train_joint(prep, cfg, models["DF"].deformer, "biased", seed=seed, progress=progress)
    # R: MDS of the chamfer matrix of sources + training targets, an encoder regressed onto it
    t0 = time.perf_counter()
    pts = torch.cat([prep.src_points, prep.truth["train"]])
    coords = mds_embedding(chamfer_matrix(pts), seed=seed)
    mds_seconds = time.perf_counter() - t0
    s = prep.n_sources
    r_enc, r_hist = train_regression(prep, coords[s:], cfg, seed=seed, progress=progress)
    with torch.no_grad():
        r_enc.eval()
        q = r_enc(prep.target_input("test", torch.arange(len(prep.truth["test"]), device=prep.src_points.device)))
        r_enc.train()
        r_ret = squared_distances(q, torch.as_tensor(coords[:s], device=q.device)).argmin(1).cpu().numpy()
    retrieved = {"R": r_ret, **{k: retrieve(models[k].retriever, prep) for k in ("DAR", "Uniform", "Ours")}}
    fits = {"raw": fit_matrix(None, prep).cpu().numpy()}
    for k in ("DF", "Uniform", "Ours"):
        fits[k] = fit_matrix(models[k].deformer, prep).cpu().numpy()
    # IDO from Ours' predictions: on the retrieved source, and on every source (Table 2)
    n_t = len(prep.truth["test"])
    dev = prep.src_points.device
    tt = torch.arange(n_t, device=dev)
    src = torch.as_tensor(retrieved["Ours"], device=dev)[:, None]
    fin, _ = ido(prep, "test", tt, src, predicted_params(models["Ours"].deformer, prep, "test", tt, src), cfg)
    all_src = torch.arange(s, device=dev)[None].expand(n_t, -1)
    fin_all, _ = ido(prep, "test", tt, all_src,
                     predicted_params(models["Ours"].deformer, prep, "test", tt, all_src), cfg)
    history = [dict(h, category=category, seed=seed, modality=modality) for m in models.values()
               for h in m.history if m.history]
    # DAR reuses DF's deformer: its history list holds only the retrieval epochs (the DF epochs are DF's)
    history += [dict(h, category=category, seed=seed, modality=modality) for h in r_hist]
    history.append({"stage": "R (MDS, once)", "epoch": 0, "seconds": mds_seconds, "category": category, "seed": seed,
                    "modality": modality})
    return ClassRun(category, seed, modality, data, prep, models, r_enc, coords[:s], retrieved, fits,
                    fin[:, 0].cpu().numpy(), fin_all.cpu().numpy(), history)


def aggregate(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean and standard deviation over seeds per (row, category): the ``value`` / ``plus_minus`` of the
    results files (plus_minus is the std over seeds; NaN with one seed)."""
    df = pd.concat(tables, ignore_index=True)
    g = df.groupby(["row", "category"], sort=False)["value"]
    out = g.agg(value="mean", plus_minus="std", n_seeds="count").reset_index()
    out["metric"] = "chamfer_x1e-2"
    return out


def epoch_times(runs: list[ClassRun]) -> pd.DataFrame:
    """Seconds per training epoch, by stage (mean over classes, seeds and epochs)."""
    df = pd.DataFrame([h for r in runs for h in r.history])
    g = df.groupby(["modality", "stage"], sort=False)["seconds"]
    return g.agg(seconds_per_epoch="mean", epochs="count").reset_index()


# ------------------------------------------------------------------------------------------------------
# Geometry for the figures (compute apart from plotting)
# ------------------------------------------------------------------------------------------------------


def deformed_mesh(run: ClassRun, source: int, params: np.ndarray | None):
    """The mesh of ``source`` with its parts deformed by ``params`` (M,6) (None: undeformed), as an object
    with ``vertices``, ``faces`` and ``part_ids`` (renderable by :func:`sbsr.render.render`)."""
    shape = source_shape(run.data, source)
    if params is None:
        return shape
    present = sorted(set(int(x) for x in shape.part_ids))
    local = {p: i for i, p in enumerate(present)}
    vlab = np.zeros(len(shape.vertices), np.int64)
    for f, pid in zip(shape.faces, shape.part_ids):
        vlab[f] = local[int(pid)]
    v = deform_parts(torch.as_tensor(shape.vertices, dtype=torch.float32)[None], torch.as_tensor(vlab)[None],
                     run.prep.src_centers[source:source + 1].cpu(),
                     torch.as_tensor(params, dtype=torch.float32)[None])[0].numpy()
    out = shape.to_trimesh()
    out.vertices = v.astype(np.float64)
    out.part_ids = shape.part_ids
    return out


def row_params(run: ClassRun, row_deformer: str | None, targets: np.ndarray, sources: np.ndarray,
               pool: str = "test") -> np.ndarray | None:
    """(T,M,6) parameters of a deformer for target/source pairs (None when the row does not deform)."""
    if row_deformer is None:
        return None
    name = "Ours" if row_deformer == "Ours+IDO" else row_deformer
    dev = run.prep.src_points.device
    t = torch.as_tensor(targets, device=dev)
    s = torch.as_tensor(sources, device=dev)[:, None]
    p = predicted_params(run.models[name].deformer, run.prep, pool, t, s)
    if row_deformer == "Ours+IDO":
        cfg = TrainConfig()
        _, p = ido(run.prep, pool, t, s, p, cfg)
    return p[:, 0].cpu().numpy()


def natural_queries(run: ClassRun, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Retrieve (Ours) and deform for external images (N,H,W,3) uint8: (N,) sources and (N,M,6) params."""
    dev = run.prep.src_points.device
    x = torch.as_tensor(images, device=dev).permute(0, 3, 1, 2).float() / 255.0
    ours = run.models["Ours"]
    with torch.no_grad():
        ours.retriever.eval()
        src = ours.retriever.distances(x, run.prep.src_points).argmin(1)
        ours.retriever.train()
        ours.deformer.eval()
        p = ours.deformer(x, src[:, None]) * run.prep.src_mask[src[:, None]][..., None]
        ours.deformer.train()
    return src.cpu().numpy(), p[:, 0].cpu().numpy()


__all__ = ["ClassRun", "ROW_METHODS", "Sizes", "TABLE1_ROWS", "TABLE2_ROWS", "UNIT", "aggregate", "candidates",
           "chamfer_matrix", "deformed_mesh", "epoch_times", "mds_embedding", "natural_queries", "retrieve",
           "row_params", "run_class"]
