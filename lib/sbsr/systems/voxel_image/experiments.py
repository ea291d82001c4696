"""Drivers of the voxel/image chapter, each returning tidy tables: Table 1 from the model (wide),
the candidates' learning curves (Fig. 4), the t-SNE maps and voxel/image separation (Fig. 5, §4.2),
and cross-domain retrieval (triplet vs lifted structure)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from sbsr.book.figures.embedding import tsne_2d
from sbsr.book.results import published_dir
from sbsr.retrieval.distances import mse_distance_matrix, shape_distances
from sbsr.retrieval.metrics import accuracy_table

from .data import CarData
from .models import PAPER_IMAGE, PAPER_VOXEL, CrossDomainEncoder, architecture_table, human_bytes
from .train import embed

TABLE_COLUMNS = ["channel", "label", "size-in", "size-out", "memory", "params", "weights"]


def parse_bytes(text: str) -> float:
    """"2MB" -> 2097152, "307.5KB" -> 314880, "576B" -> 576, "0" -> 0 (base 1024, as the paper)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*(MB|KB|B)?\s*", str(text))
    if not m:
        return float("nan")
    return float(m.group(1)) * {"MB": 2 ** 20, "KB": 2 ** 10, "B": 1, None: 1}[m.group(2)]


def published_table_1(root=None) -> pd.DataFrame:
    pub = pd.read_csv(published_dir(root) / "ji_table_1.csv", dtype=str, keep_default_na=False)
    pub["channel"] = pub["channel"].replace("", np.nan).ffill()
    return pub


def table_1_wide(data: str, encoder: str, profile: str, root=None) -> pd.DataFrame:
    """Table 1 of the 2-conv-2-fc encoder at the paper's input sizes (96^3 x 2 voxels, 486^2 x 3
    images), in the published wide schema, each printed cell beside the computed one.

    ``memory`` is the layer's output in float32; ``weights`` the bytes of its weights and biases
    with every input channel counted; the total memory counts the image outputs twice (positive and
    negative image), as the caption says. ``consistent`` says whether the printed memory and weights
    agree with the computed bytes within 5 % (the paper rounds to one decimal)."""
    comp = architecture_table(CrossDomainEncoder("2-conv-2-fc", PAPER_VOXEL, PAPER_IMAGE))
    mem_total = comp.loc[comp.channel == "voxel", "memory_bytes"].sum() + \
        2 * comp.loc[comp.channel == "image", "memory_bytes"].sum()
    total = pd.DataFrame([{"channel": "total", "label": "", "size-in": "", "size-out": "", "params": "",
                           "memory_bytes": mem_total, "weights_bytes": comp["weights_bytes"].sum()}])
    comp = pd.concat([comp, total], ignore_index=True)
    comp["memory"] = comp["memory_bytes"].map(human_bytes)
    comp["weights"] = comp["weights_bytes"].map(lambda b: human_bytes(b) if b else "0")
    pub = published_table_1(root)
    out = comp.merge(pub[TABLE_COLUMNS + ["table"]], on=["channel", "label"], how="left", suffixes=("", " (published)"))
    out["published memory_bytes"] = out["memory (published)"].map(parse_bytes)
    out["published weights_bytes"] = out["weights (published)"].map(parse_bytes)
    notes = []
    for _, r in out.iterrows():
        bad = []
        for col in ("size-in", "size-out"):
            if str(r[f"{col} (published)"]).replace("4 * 4 * 4 * 128 = ", "").replace("6 * 6 * 128 = ", "") \
                    not in (r[col], "nan", ""):
                bad.append(col)
        for col in ("memory", "weights"):
            pb, cb = r[f"published {col}_bytes"], r[f"{col}_bytes"]
            if np.isfinite(pb) and not (abs(pb - cb) <= 0.05 * max(cb, 1)):
                bad.append(col)
        if isinstance(r["params (published)"], str) and r["params (published)"] and r["params"] and \
                r["params (published)"].replace(" ", "") != r["params"].replace(" ", ""):
            bad.append("params")
        notes.append(", ".join(bad))
    out["inconsistent"] = notes
    out["table"] = "Table 1"
    out["data"], out["encoder"], out["profile"] = data, encoder, profile
    cols = ["table"] + TABLE_COLUMNS + [f"{c} (published)" for c in TABLE_COLUMNS[2:]] + \
        ["memory_bytes", "published memory_bytes", "weights_bytes", "published weights_bytes", "inconsistent",
         "data", "encoder", "profile"]
    return out[cols]


def learning_curves(results: dict) -> pd.DataFrame:
    """Tidy curves of every (architecture, loss) run: arch, loss_kind, iteration, split, loss."""
    frames = [r.history.assign(arch=a, loss_kind=k) for (a, k), r in results.items()]
    return pd.concat(frames, ignore_index=True)[["arch", "loss_kind", "iteration", "split", "loss"]]


def fig5_objects(data: CarData, n_objects: int = 10) -> np.ndarray:
    """The first ``n_objects`` test cars (Fig. 5: 300 test images of 10 objects)."""
    return np.asarray(data.test[:n_objects])


def embedding_maps(model, data: CarData, objects: np.ndarray, seed: int = 0, device: str = "cpu") -> dict:
    """t-SNE of the objects' test images alone, then of images and voxels together, and the numbers
    behind the paper's finding (voxels far from their images): mean Euclidean distance of a voxel
    to its own object's images, of an image to the other images of its object, and of an image to
    images of other objects."""
    vox, img, img_car = embed(model, data, objects, device)
    both = np.concatenate([img, vox])
    d_vi = np.linalg.norm(vox[:, None] - img.reshape(len(objects), -1, img.shape[1]), axis=2).mean()
    dd = np.linalg.norm(img[:, None] - img[None], axis=2)
    same = img_car[:, None] == img_car[None]
    off = ~np.eye(len(img), dtype=bool)
    sep = {"voxel to own images": float(d_vi), "image to own object's images": float(dd[same & off].mean()),
           "image to other objects' images": float(dd[~same].mean())}
    return {"images": tsne_2d(img, seed=seed), "images+voxels": tsne_2d(both, seed=seed), "img_car": img_car,
            "objects": objects, "separation": sep}


def retrieval_table(model, data: CarData, device: str = "cpu") -> dict[str, float]:
    """Cross-domain retrieval among the test cars: voxel -> image (a hit when one of the car's images
    is among the top k objects, images grouped per car by their closest view) and image -> voxel."""
    cars = np.asarray(data.test)
    vox, img, _ = embed(model, data, cars, device)
    V = data.images.shape[1]
    target = np.arange(len(cars))
    v2i = accuracy_table(shape_distances(vox, img.reshape(len(cars), V, -1), reduce="min"), target, ks=(1, 5))
    i2v = accuracy_table(mse_distance_matrix(img, vox), np.repeat(target, V), ks=(1, 5))
    return {"voxel→image top-1": v2i["acc@1"], "voxel→image top-5": v2i["acc@5"],
            "image→voxel top-1": i2v["acc@1"], "image→voxel top-5": i2v["acc@5"]}


def scaled(cfg, size: int, pool0: int, hidden: int, width_scale: float):
    """A channel config at the profile's sizes (quick: small inputs and widths)."""
    return replace(cfg, size=size, pool0=pool0, hidden=hidden, width_scale=width_scale)
