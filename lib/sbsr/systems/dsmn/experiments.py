"""Drivers of the DSMN chapter: the runs behind Tables 1-5, as tidy tables.

One run = (benchmark, method, seed). The methods (:data:`RUNS`) are configurations of one training loop
(:mod:`.train`); the published rows map onto them through :data:`TABLE_ROWS`. Identical configurations are
trained once and reused: RevGrad (Table 1/2) is the ablation baseline "L_ce + L_adv" (Table 3), and the full
method "Ours" is the row with 3 sub-networks (Tables 3-5).
"""

from __future__ import annotations

import copy
import argparse
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from sbsr.encoders import get_encoder
from sbsr.io import sha256_file
from sbsr.retrieval.class_metrics import METRICS

from .data import (Benchmark, BenchmarkFeatures, benchmark_spec, encode_benchmark, minclip_pooled_encoder,
                   procedural_benchmark)
from .models import MinclipBackbone, RetrievalNet, resnet50_backbone
from .train import TrainConfig, TrainData, dsmn_parts, evaluate, train

#: Method name -> TrainConfig fields (the rest from the chapter's base config).
RUNS: dict[str, dict] = {
    "no_adaptation": dict(n_sub=0, adv=False, sf=False, jan=False),
    "jan": dict(n_sub=0, adv=False, sf=False, jan=True),
    "revgrad": dict(n_sub=0, adv=True, sf=False, jan=False),      # = L_ce + L_adv
    "adv_dsmn": dict(n_sub=3, adv=True, sf=False, jan=False),     # L_ce + L_adv (+DSMN)
    "adv_sf": dict(n_sub=0, adv=True, sf=True, jan=False),        # L_ce + L_adv + L_sf
    **{f"ds{k}": dict(n_sub=k, adv=True, sf=True, jan=False) for k in range(1, 6)},  # ds3 = the full method
}
RUN_LABELS = {"no_adaptation": "no adaptation (L_ce)", "jan": "JAN (joint MMD)", "revgrad": "RevGrad (DANN)",
              "adv_dsmn": "L_ce + L_adv (+DSMN)", "adv_sf": "L_ce + L_adv + L_sf",
              **{f"ds{k}": f"full method, {k} DS" for k in range(1, 6)}}
RUN_LABELS["ds3"] = "full method (DSMN, 3 DS, + L_sf)"

#: Published table -> (benchmark, {printed row: run}); rows not listed are shown as published only.
TABLE_ROWS: dict[str, tuple[str, dict[str, str]]] = {
    "song2023_table_1": ("MI3DOR", {"No adaptation": "no_adaptation", "JAN [17]": "jan", "RevGard [24]": "revgrad",
                                    "Ours": "ds3"}),
    "song2023_table_2": ("MI3DOR-2", {"No adaptation": "no_adaptation", "JAN [17]": "jan",
                                      "RevGard [24]": "revgrad", "Ours": "ds3"}),
    "song2023_table_3": ("MI3DOR", {"L_ce + L_adv": "revgrad", "L_ce + L_adv(+DSMN)": "adv_dsmn",
                                    "L_ce + L_adv + L_sf": "adv_sf", "L_ce + L_adv + L_sf(+DSMN)": "ds3"}),
    "song2023_table_4": ("MI3DOR", {str(k): f"ds{k}" for k in range(1, 6)}),
    "song2023_table_5": ("MI3DOR-2", {str(k): f"ds{k}" for k in range(1, 6)}),
}


def runs_for(benchmark: str) -> list[str]:
    """The distinct runs the tables need on ``benchmark``, in a fixed order."""
    names = []
    for bench, rows in TABLE_ROWS.values():
        if bench == benchmark:
            names += [r for r in rows.values() if r not in names]
    return [r for r in RUNS if r in names]


@dataclass
class Prepared:
    """A benchmark ready for training: items, features (or pixels) and labels of both halves."""

    which: str
    bench: Benchmark
    features: BenchmarkFeatures | None
    train_data: TrainData
    test_data: TrainData
    test_models: np.ndarray
    test_image_labels: np.ndarray
    test_model_labels: np.ndarray
    backbone_label: str
    finetune: bool
    backbone_factory: object = None

    @property
    def n_classes(self) -> int:
        return len(self.bench.class_names)

    @property
    def data_label(self) -> str:
        return self.bench.description


def prepare_benchmark(which: str, profile: str = "quick", *, cache_dir=None, device: str = "cpu",
                      finetune: bool = False, bench: Benchmark | None = None, encoder=None, progress=None,
                      resnet50_weights=None, **spec_overrides) -> Prepared:
    """Items of ``which`` (procedural unless ``bench`` is given) and their backbone inputs.

    Frozen backbone (``finetune=False``): pooled ``minclip-procedural-v1`` features, cached under
    ``cache_dir``. Fine-tuning: the pixels, normalised per batch, and a fresh copy of minclip's image tower per
    run (``backbone_factory``). ``resnet50_weights``: a path to ImageNet ResNet-50 weights, used frozen
    (pooled 2048-d features) instead of minclip."""
    bench = bench or procedural_benchmark(benchmark_spec(which, profile, **spec_overrides))
    encoder = encoder or get_encoder("minclip-procedural-v1", device=device)
    tr_i, te_i = bench.split("image", "train"), bench.split("image", "test")
    tr_m, te_m = bench.split("model", "train"), bench.split("model", "test")
    labels_i, labels_m = bench.images["label"].to_numpy(), bench.models["label"].to_numpy()
    if resnet50_weights is not None:
        model = resnet50_backbone(resnet50_weights).eval().to(device)
        backbone_id = f"imagenet-resnet50:{sha256_file(resnet50_weights)}:avgpool"
        feats = encode_benchmark(bench, imagenet_encoder(model, device), backbone_id, cache_dir, progress)
        imgs, mods = standardise(feats.images, feats.models, tr_i, tr_m)
        prepare, factory = None, None
        label = "ImageNet ResNet-50 (frozen, pooled 2048-d, cached features)"
    elif not finetune:
        backbone_id = f"{encoder.name}:{encoder.weights_id}:layer4-avgpool"
        feats = encode_benchmark(bench, minclip_pooled_encoder(encoder), backbone_id, cache_dir, progress)
        imgs, mods = standardise(feats.images, feats.models, tr_i, tr_m)
        prepare, factory = None, None
        label = f"{encoder.name} (frozen, layer4 average-pooled, cached features)"
    else:
        feats = None
        imgs = np.stack([bench.image(i) for i in range(len(bench.images))])
        mods = np.stack([bench.views(j) for j in range(len(bench.models))])
        pre = encoder.preprocess

        def prepare(batch: np.ndarray) -> torch.Tensor:
            flat = batch.reshape(-1, *batch.shape[-3:])
            x = pre.normalize(pre.to_uint8_batch(flat).to(device))
            return x.reshape(*batch.shape[:-3], *x.shape[1:])

        visual = encoder.model

        def factory():
            bb = MinclipBackbone(copy.deepcopy(visual))
            bb.out_dim = int(encoder.taps["layer4"][0])
            return bb
        label = f"{encoder.name} (fine-tuned from its offline weights)"
    return Prepared(which, bench, feats,
                    TrainData(imgs[tr_i], labels_i[tr_i], mods[tr_m], prepare),
                    TrainData(imgs[te_i], labels_i[te_i], mods[te_m], prepare),
                    mods[te_m], labels_i[te_i], labels_m[te_m], label, finetune, factory)


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def imagenet_encoder(model: torch.nn.Module, device: str = "cpu", size: int = 224):
    """``encode`` for :func:`encode_benchmark` from a torchvision classifier body: resize to ``size``,
    ImageNet normalisation, the model's output (pooled features)."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    @torch.inference_mode()
    def encode(batch: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(batch).permute(0, 3, 1, 2).float() / 255.0
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        return model(((x - mean) / std).to(device)).cpu().numpy()
    return encode


def standardise(images: np.ndarray, models: np.ndarray, train_images, train_models) -> tuple[np.ndarray, np.ndarray]:
    """Frozen features shifted and scaled per dimension by the mean and standard deviation of the *pooled*
    training items (images and model views together, one affine map for both domains, so no domain
    information is used)."""
    pool = np.concatenate([images[train_images], models[train_models].reshape(-1, models.shape[-1])])
    mu, sd = pool.mean(0), pool.std(0) + 1e-6
    return ((images - mu) / sd).astype(np.float32), ((models - mu) / sd).astype(np.float32)


@dataclass
class RunOutput:
    """A trained run kept for the figures: its net and the test features and distances."""

    net: RetrievalNet
    query_features: np.ndarray
    gallery_features: np.ndarray
    dist: np.ndarray


def run_grid(prep: Prepared, runs: list[str], seeds: list[int], base: TrainConfig, device: str = "cpu",
             keep_seed: int | None = None, progress=None) -> tuple[pd.DataFrame, dict[str, RunOutput]]:
    """Train every run of ``runs`` with every seed; return the tidy metrics (benchmark, run, seed, metric,
    value, seconds_per_epoch) and, for ``keep_seed``, each run's net and test features."""
    rows, kept = [], {}
    jobs = [(r, s) for r in runs for s in seeds]
    for run, seed in (progress(jobs, desc=prep.which) if progress else jobs):
        cfg = replace(base, **RUNS[run], seed=int(seed))
        backbone = prep.backbone_factory() if prep.finetune else None
        res = train(prep.train_data, prep.n_classes, cfg, device=device, backbone=backbone)
        metrics, q, g, dist = evaluate(res.net, prep.test_data, prep.test_image_labels, prep.test_models,
                                       prep.test_model_labels, device=device)
        for m in METRICS:
            rows.append({"benchmark": prep.which, "run": run, "seed": int(seed), "metric": m, "value": metrics[m],
                         "seconds_per_epoch": res.seconds_per_epoch, "epochs": cfg.epochs})
        if keep_seed is not None and seed == keep_seed:
            kept[run] = RunOutput(res.net.cpu(), q, g, dist)
    return pd.DataFrame(rows), kept


def summarise(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation (over seeds, ddof 0) per (benchmark, run, metric)."""
    g = metrics.groupby(["benchmark", "run", "metric"], sort=False)["value"]
    out = g.agg(mean="mean", std=lambda v: float(np.std(v, ddof=0)), n_seeds="count").reset_index()
    return out


def table_rows(metrics: pd.DataFrame, table_id: str, published_rows: list[str]) -> pd.DataFrame:
    """``row, category, metric, value, plus_minus`` for ``make_results``: the mapped rows with their mean and
    seed spread, every other published row with an empty value (published only); unpublished mapped rows
    (No adaptation) follow."""
    bench, mapping = TABLE_ROWS[table_id]
    summ = summarise(metrics[metrics["benchmark"] == bench]).set_index(["run", "metric"])
    out = []
    for row in list(published_rows) + [r for r in mapping if r not in published_rows]:
        run = mapping.get(row)
        for m in METRICS:
            if run is not None and (run, m) in summ.index:
                v, pm = summ.loc[(run, m), "mean"], summ.loc[(run, m), "std"]
            else:
                v, pm = float("nan"), float("nan")
            out.append({"row": row, "category": bench, "metric": m, "value": v, "plus_minus": pm})
    return pd.DataFrame(out)


def epoch_times(metrics: pd.DataFrame, device: str) -> pd.DataFrame:
    """Seconds per training epoch, per benchmark and run (mean over seeds), on ``device``."""
    t = metrics.drop_duplicates(["benchmark", "run", "seed"]).groupby(["benchmark", "run"], sort=False)
    out = t.agg(seconds_per_epoch=("seconds_per_epoch", "mean"), epochs=("epochs", "first")).reset_index()
    out["method"] = out["run"].map(RUN_LABELS)
    out["device"] = device
    return out[["benchmark", "method", "epochs", "seconds_per_epoch", "device"]]


def dsmn_cosines(net: RetrievalNet, features: np.ndarray) -> pd.DataFrame:
    """Fig. 4: cosine similarity between DI(X) and each DS_i(X), one row per sample and sub-network.
    ``features``: (N, D) backbone features (images and model views)."""
    di, ds = dsmn_parts(net, torch.as_tensor(features, dtype=torch.float32))
    rows = []
    for i, d in enumerate(ds, start=1):
        cos = F.cosine_similarity(torch.as_tensor(di), torch.as_tensor(d), dim=1).numpy()
        rows.append(pd.DataFrame({"subnetwork": f"DS{i}", "cosine": cos}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["subnetwork", "cosine"])


def top_k(dist: np.ndarray, k: int = 10) -> np.ndarray:
    """(Q, k) gallery indices, closest first (stable order on ties, like the official evaluation)."""
    return np.argsort(dist, axis=1, kind="stable")[:, :k]


def success_and_failure_queries(dist: np.ndarray, query_labels, gallery_labels, n: int = 3,
                                k: int = 5) -> tuple[list[int], list[int]]:
    """Fig. 5: ``n`` queries whose top-``k`` are all of their class (most confident first) and ``n`` whose
    first result is of another class."""
    ql, gl = np.asarray(query_labels), np.asarray(gallery_labels)
    top = top_k(dist, k)
    hits = (gl[top] == ql[:, None]).sum(1)
    first = gl[top[:, 0]] == ql
    margin = np.sort(dist, axis=1)[:, 0]
    good = [int(i) for i in np.argsort(margin, kind="stable") if hits[i] == k][:n]
    if len(good) < n:
        good += [int(i) for i in np.argsort(-hits, kind="stable") if first[i] and int(i) not in good][:n - len(good)]
    bad = [int(i) for i in np.argsort(margin, kind="stable") if not first[i]][:n]
    return good, bad


def _main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Train DSMN on the quick procedural MI3DOR stand-in and print "
                                                 "the six metrics (no checkpoint is shipped).")
    parser.add_argument("--retrain", action="store_true", help="train (the only action)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default="data/cache")
    args = parser.parse_args(argv)
    prep = prepare_benchmark("MI3DOR", "quick", cache_dir=args.cache_dir, device="cpu")
    res = train(prep.train_data, prep.n_classes, replace(TrainConfig(), seed=args.seed))
    metrics, *_ = evaluate(res.net, prep.test_data, prep.test_image_labels, prep.test_models, prep.test_model_labels)
    print(asdict(res.config), metrics, f"{res.seconds_per_epoch:.3f} s/epoch")


if __name__ == "__main__":
    _main()


__all__ = ["Prepared", "RUNS", "RUN_LABELS", "RunOutput", "TABLE_ROWS", "dsmn_cosines", "epoch_times",
           "prepare_benchmark", "run_grid", "standardise", "runs_for", "success_and_failure_queries", "summarise",
           "table_rows", "top_k"]
