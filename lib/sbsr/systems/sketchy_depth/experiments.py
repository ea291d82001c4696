"""Drivers of the SketchyDepth chapter: each returns tidy tables (pandas) or arrays for the figures.

* :func:`open_variant` -- a trained variant: the shipped checkpoint when it matches the data and the training
  configuration, else trained here with :func:`~.train.train_variant`;
* :func:`generate_test` -- generated RGB and depth of every variant on the test split;
* :func:`table_3_1` -- Table 3.1 (FD / SSIM per row) and :func:`fid_split` (fb / bo, §3.4.3);
* :func:`depth_table` -- §3.4.4 with true depth: errors of G_d's depth and of the monocular stand-in;
* :func:`timing_table` -- seconds per training epoch measured on this machine;
* :func:`diversity` -- App. A.1.6: test-time dropout and small translations of the sketch's objects;
* :func:`depth_sketch` -- §3.4.6: paint a region of the generated depth at a chosen depth, regenerate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from .data import FAR, Scenes, compose_partial
from .metrics import FrechetDistance, depth_errors, separation_auc, ssim
from .train import (MONODEPTH, VARIANTS, TrainConfig, TrainResult, generate, load_checkpoint, monodepth,
                    to_depth, to_tensors, to_uint8, train_variant)

#: The row of Table 3.1 the book cannot compute (SketchyCOCO's own numbers, EdgeGAN and its pix2pix version).
PUBLISHED_ONLY_ROW = "SketchyCOCO (original) [62]"
#: The fb / bo FID values the thesis gives in the text of §3.4.3 (published, for comparison only).
PUBLISHED_FID_SPLIT = {("SketchyCOCO (replicated)", "fb"): 96.70, ("SketchyCOCO (replicated)", "bo"): 184.73,
                       ("SketchyDepth", "fb"): 92.91, ("SketchyDepth", "bo"): 162.24}


def open_variant(variant: str, scenes: Scenes, cfg: TrainConfig, use_shipped: bool, device: str = "cpu",
                 progress=None, train_on_mismatch: bool = True) -> tuple[TrainResult, str]:
    """``(result, where it comes from)``. With ``use_shipped``, the shipped checkpoint is used when it was
    trained on these exact scenes with ``cfg``; when only the data hash differs (e.g. another platform's
    floating point) and ``train_on_mismatch`` is false, it is still used and the source says so; otherwise
    the variant is trained here."""
    reason = "trained here"
    if use_shipped:
        res, info = load_checkpoint(variant, scenes, cfg)
        if res is not None:
            return res, "shipped checkpoint (trained by train.py --retrain on these scenes)"
        if not train_on_mismatch:
            res, _ = load_checkpoint(variant, scenes, cfg, require_data_match=False)
            if res is not None:
                return res, f"shipped checkpoint, used although {info}"
        reason = f"trained here ({info})"
    res = train_variant(variant, scenes, cfg, device=device, progress=progress)
    for n in res.nets.values():
        n.cpu()
    return res, reason


def generate_test(results: dict[str, TrainResult], scenes: Scenes, idx: np.ndarray | None = None) -> dict:
    """``{variant: {"rgb": (N,S,S,3) uint8, "depth": (N,S,S) float or None}}`` on the test split."""
    idx = scenes.indices("test") if idx is None else idx
    ip, _, _ = to_tensors(scenes, idx)
    out = {}
    for v, res in results.items():
        if v == MONODEPTH:
            continue
        i_gen, d_gen = generate(res.nets, ip)
        out[v] = {"rgb": to_uint8(i_gen), "depth": None if d_gen is None else to_depth(d_gen)}
    return out


def table_3_1(outputs: dict, scenes: Scenes, fd: FrechetDistance) -> pd.DataFrame:
    """Rows of Table 3.1 (``row, category, metric, value``): FD to the test set's true images (metric
    "FID", computed with ``fd.name``) and mean SSIM against them."""
    idx = scenes.indices("test")
    real = scenes["rgb"][idx]
    fd.set_reference(real)
    # SketchyCOCO as printed in its own paper has no counterpart here: published only (value NaN)
    rows = [{"row": PUBLISHED_ONLY_ROW, "category": "", "metric": m, "value": float("nan")} for m in ("FID", "SSIM")]
    for v, o in outputs.items():
        label = VARIANTS[v]["label"]
        rows.append({"row": label, "category": "", "metric": "FID", "value": fd(o["rgb"])})
        rows.append({"row": label, "category": "", "metric": "SSIM", "value": ssim(o["rgb"], real)})
    return pd.DataFrame(rows)


def fid_split(outputs: dict, scenes: Scenes, fd: FrechetDistance) -> pd.DataFrame:
    """FD on foreground+background (fb) and background-only (bo) test sketches, each against the true
    images of the same subset (§3.4.3)."""
    idx = scenes.indices("test")
    kinds = scenes["kind"][idx]
    rows = []
    for kind in ("fb", "bo"):
        m = kinds == kind
        if m.sum() < 2:
            continue
        fd.set_reference(scenes["rgb"][idx[m]])
        for v, o in outputs.items():
            label = VARIANTS[v]["label"]
            rows.append({"row": label, "split": kind, "n_test": int(m.sum()), "value": fd(o["rgb"][m]),
                         "published (thesis text)": PUBLISHED_FID_SPLIT.get((label, kind), float("nan"))})
    return pd.DataFrame(rows)


def depth_table(outputs: dict, mono: TrainResult, scenes: Scenes) -> tuple[pd.DataFrame, dict]:
    """Depth errors against the scene's true depth on the test split: G_d's depth (generated jointly with
    the image) and the monocular network run on the generated image (the MiDaS stand-in), plus the monocular
    network on the true image as a reference. The fb/bo separation AUC uses the fb scenes' object masks.
    Also returns the monocular depth maps ``{variant: (N,S,S)}`` on generated images."""
    idx = scenes.indices("test")
    true = scenes["depth"][idx]
    fg = scenes["fg_mask"][idx]
    has_fg = fg.reshape(len(fg), -1).any(1)
    rows, mono_maps = [], {}

    def add(name, pred):
        e = depth_errors(pred, true)
        e["fg/bg AUC"] = separation_auc(pred[has_fg], fg[has_fg])
        rows.append({"depth": name, **e})

    add("true depth (check)", true)
    real_t = torch.from_numpy(scenes["rgb"][idx]).permute(0, 3, 1, 2).float() / 127.5 - 1
    add("monocular net on the true image", to_depth(monodepth(mono.nets, real_t)))
    for v, o in outputs.items():
        label = VARIANTS[v]["label"]
        if o["depth"] is not None:
            add(f"G_d of {label} (joint)", o["depth"])
        gen_t = torch.from_numpy(o["rgb"]).permute(0, 3, 1, 2).float() / 127.5 - 1
        mono_maps[v] = to_depth(monodepth(mono.nets, gen_t))
        add(f"monocular net on {label}'s image (MiDaS stand-in)", mono_maps[v])
    return pd.DataFrame(rows), mono_maps


def timing_table(variants, scenes: Scenes, cfg: TrainConfig, device: str = "cpu",
                 max_batches: int | None = None) -> pd.DataFrame:
    """Seconds per training epoch of every variant, measured now on ``device``: one epoch, or its first
    ``max_batches`` batches scaled to a whole epoch (the table says which)."""
    rows = []
    one = replace(cfg, epochs=1)
    for v in variants:
        res = train_variant(v, scenes, one, device=device, max_batches=max_batches)
        h = res.history[0]
        rows.append({"network": VARIANTS[v]["label"] if v in VARIANTS else "monocular depth (MiDaS stand-in)",
                     "device": device, "train scenes": len(scenes.indices("train")), "batch size": cfg.batch_size,
                     "batches timed": f"{h['batches']} of {h['batches_per_epoch']}",
                     "seconds per epoch": h["seconds"] * h["batches_per_epoch"] / h["batches"]})
    return pd.DataFrame(rows)


def diversity(res: TrainResult, scenes: Scenes, idx: np.ndarray, n_samples: int = 4,
              shifts=((0, 0), (-3, 0), (3, 0), (0, 2))) -> dict:
    """App. A.1.6 on scenes ``idx``: ``n_samples`` generations with dropout on, and one per translation
    ``(dx, dy)`` of the foreground (sketch strokes and pasted objects). Returns the images
    (``dropout`` (K,N,S,S,3), ``shift`` (T,N,S,S,3)) and a table of the mean pairwise L1 distance
    (in [0,1] units) between the K or T outputs, with eval mode (no dropout) as the zero reference."""
    ip, _, _ = to_tensors(scenes, idx)
    torch.manual_seed(0)
    drop = np.stack([to_uint8(generate(res.nets, ip, dropout=True)[0]) for _ in range(n_samples)])
    evals = np.stack([to_uint8(generate(res.nets, ip)[0]) for _ in range(2)])
    shifted = []
    for dx, dy in shifts:
        parts = np.stack([compose_partial(scenes["sketch_fg"][i], scenes["sketch_bg"][i], scenes["rgb"][i],
                                          scenes["fg_mask"][i], (dx, dy)) for i in idx])
        t = torch.from_numpy(parts).permute(0, 3, 1, 2).float() / 127.5 - 1
        shifted.append(to_uint8(generate(res.nets, t)[0]))
    shifted = np.stack(shifted)

    def spread(stack):
        x = stack.astype(np.float64) / 255
        d = [np.abs(x[a] - x[b]).mean() for a in range(len(x)) for b in range(a + 1, len(x))]
        return float(np.mean(d))

    table = pd.DataFrame([
        {"source of diversity": "none (eval mode, run twice)", "outputs": 2, "mean pairwise L1": spread(evals)},
        {"source of diversity": "dropout at test time", "outputs": n_samples, "mean pairwise L1": spread(drop)},
        {"source of diversity": f"translations {list(shifts)} px", "outputs": len(shifts),
         "mean pairwise L1": spread(shifted)},
    ])
    return {"dropout": drop, "shift": shifted, "table": table, "shifts": list(shifts)}


def paint_depth(depth01: np.ndarray, shape: str, cx: float, base_y: float, size: float, value: float) -> tuple:
    """Paint a region of a normalised depth map (S,S) in [0,1] at depth ``value`` (one grey level, as the
    thesis edits depth maps): ``shape`` "tree" (a triangle on a trunk, standing on row ``base_y``), "bush"
    (a half-ellipse) or "hill" (a wide half-ellipse). Coordinates in [0,1] of the image width/height.
    Returns ``(edited, mask)``."""
    s = depth01.shape[0]
    yy, xx = np.mgrid[0:s, 0:s] / s + 0.5 / s
    if shape == "tree":
        top = base_y - size
        half = 0.35 * size * (yy - top) / max(size, 1e-6)
        mask = (yy >= top) & (yy <= base_y - 0.2 * size) & (np.abs(xx - cx) <= half)
        mask |= (yy > base_y - 0.2 * size) & (yy <= base_y) & (np.abs(xx - cx) <= 0.05 * size + 0.5 / s)
    elif shape in ("bush", "hill"):
        a = size * (0.6 if shape == "bush" else 2.0)
        mask = (((xx - cx) / a) ** 2 + ((yy - base_y) / (0.5 * size)) ** 2 <= 1) & (yy <= base_y)
    else:
        raise ValueError(f"unknown depth-sketch shape {shape!r}; choose tree, bush or hill")
    out = depth01.copy()
    out[mask] = value
    return out, mask


def depth_sketch(res: TrainResult, scenes: Scenes, i: int, shape: str = "tree", cx: float = 0.3,
                 base_y: float = 0.55, size: float = 0.35, value: float = 0.3) -> dict:
    """§3.4.6: G_d's depth of scene ``i``, painted (:func:`paint_depth`), fed to G_i with the same partial
    image. Returns the four images of Fig. 3.7 and how much the image changed inside vs outside the region."""
    ip, _, _ = to_tensors(scenes, np.array([i]))
    i_gen, d_gen = generate(res.nets, ip)
    d01 = to_depth(d_gen)[0] / FAR
    edited, mask = paint_depth(d01, shape, cx, base_y, size, value)
    d_new = torch.from_numpy(edited)[None, None].float() * 2 - 1
    i_new, _ = generate(res.nets, ip, depth=d_new)
    a, b = to_uint8(i_gen)[0], to_uint8(i_new)[0]
    diff = np.abs(a.astype(float) - b.astype(float)).mean(-1) / 255
    return {"depth": d01, "image": a, "edited_depth": edited, "new_image": b, "mask": mask,
            "change_inside": float(diff[mask].mean()) if mask.any() else float("nan"),
            "change_outside": float(diff[~mask].mean())}


__all__ = ["PUBLISHED_FID_SPLIT", "PUBLISHED_ONLY_ROW", "depth_sketch", "depth_table", "diversity", "fid_split", "generate_test",
           "open_variant", "paint_depth", "table_3_1", "timing_table"]
