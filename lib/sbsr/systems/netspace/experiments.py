"""Drivers of the NetSpace chapter (thesis §5.4): each returns tidy tables (pandas) and keeps what the
figures need. Compute only; :mod:`.figures` draws, :mod:`.claims` checks the statements.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from skimage import measure

from .models import CLASS_IDS, Siren, count_parameters, build
from .netspace import NetSpace
from .populations import Population
from .prep import Layout, forward_with
from .train import accuracy, latent_optimise, seed_all, train_multi, train_single

#: Table C.1's configurations: (block, classes, input size) of the published parameter counts
TABLE_C1_BLOCKS = (("CIFAR-10", 10, 32), ("Tiny-ImageNet", 200, 64))
TABLE_C1_NETS = ("LeNetLike", "VanillaCNN", "ResNet8", "ResNet32", "ResNet56")


def make_netspace(shape, cfg: dict, n_classes: int | None = None) -> NetSpace:
    return NetSpace(tuple(shape), cfg["embedding"], n_classes, tuple(cfg["enc_channels"]),
                    tuple(cfg["enc_height_channels"]), tuple(cfg["dec_channels"]))


def parameter_counts() -> pd.DataFrame:
    """Parameters of every architecture as built, at the two printed configurations, with batch norm (as
    trained: what Table C.1 counts) and after fusion (what a PRep holds)."""
    rows = []
    for block, n_cls, size in TABLE_C1_BLOCKS:
        for arch in TABLE_C1_NETS:
            rows.append({"block": block, "Net": arch, "ClassId": CLASS_IDS.get(arch, "-"),
                         "params": count_parameters(build(arch, n_cls, size, bn=True)),
                         "params_fused": count_parameters(build(arch, n_cls, size, bn=False))})
    return pd.DataFrame(rows)


def accuracy_with(plain, prep, task) -> float:
    """Test accuracy (%) of the network ``plain`` with its parameters read from ``prep``."""
    layout = Layout.of(plain)
    return accuracy(lambda x: forward_with(plain, prep, x, layout), task.x_test, task.y_test)


@dataclass
class SingleResult:
    task: str
    netspace: NetSpace
    instances: pd.DataFrame  # test instances: target and predicted accuracy
    interpolation: pd.DataFrame  # gamma, space ("embedding" | "weights"), accuracy
    target_prep: torch.Tensor
    predicted_prep: torch.Tensor
    losses: list[float]
    seconds_per_epoch: float
    extra: dict = field(default_factory=dict)


def run_single(task, pop: Population, cfg: dict, *, seed: int = 0, progress=None) -> SingleResult:
    """Single-Architecture experiment on one task (Fig. 5.3): train NetSpace on the training instances with
    L_pred (Eq. 5.1), predict the held-out ones, interpolate between the worst and the best test instance in
    embedding space and in weight space."""
    seed_all(seed)
    arch = pop.table["arch"].iloc[0]
    plain = pop.plain(arch)
    tr_tab, tr = pop.split("train")
    te_tab, te = pop.split("test")
    ns = make_netspace(pop.preps.shape[1:], cfg)
    ns.decoder.init_affine(tr, cfg.get("init_scale", 0.5))
    t0 = time.process_time()
    losses = train_single(ns, plain, tr, task.x_train, steps=cfg["steps"], meta_batch=cfg["meta_batch"],
                          image_batch=cfg["image_batch"], lr=cfg["lr"], seed=seed, progress=progress)
    secs = time.process_time() - t0
    per_epoch = secs / max(1, cfg["steps"]) * math.ceil(len(tr) / cfg["meta_batch"])
    ns.eval()
    with torch.no_grad():
        emb, pred = ns(te)
        rows = [{"instance": i, "epochs": int(r.epochs), "target": float(r.accuracy),
                 "predicted": accuracy_with(plain, pred[i], task)} for i, r in te_tab.iterrows()]
        inst = pd.DataFrame(rows)
        a, b = int(inst["target"].idxmin()), int(inst["target"].idxmax())
        gammas = np.linspace(0, 1, cfg.get("n_interp", 6))
        rows = []
        for g in gammas:
            p_e = ns.decoder(((1 - g) * emb[a] + g * emb[b])[None])[0]
            p_w = (1 - g) * te[a] + g * te[b]
            rows.append({"gamma": g, "space": "embedding", "accuracy": accuracy_with(plain, p_e, task)})
            rows.append({"gamma": g, "space": "weights", "accuracy": accuracy_with(plain, p_w, task)})
    return SingleResult(task.name, ns, inst, pd.DataFrame(rows), te[b], pred[b], losses, per_epoch,
                        {"anchors": (a, b), "n_train": len(tr)})


@dataclass
class MultiResult:
    task: str
    seen: tuple[str, ...]
    netspace: NetSpace
    instances: pd.DataFrame  # arch, target acc, predicted acc, predicted arch
    interpolation: pd.DataFrame  # gamma, predicted arch, accuracy
    plains: dict
    losses: list[float]
    seconds_per_epoch: float
    target_prep: torch.Tensor | None = None
    predicted_prep: torch.Tensor | None = None
    embeddings: np.ndarray | None = None  # (n_test, E)
    path: np.ndarray | None = None  # (n_interp, E): the interpolated embeddings


def run_multi(task, pop: Population, teacher, cfg: dict, *, seen: tuple[str, ...], seed: int = 0,
              progress=None) -> MultiResult:
    """Multi-Architecture experiment (Fig. 5.5): NetSpace with the ClassId head trained on the training
    instances of the architectures ``seen`` with L_kd, L_class and L^gamma; the test instances predicted;
    then the line between a LeNetLike and a ResNet32 test embedding decoded into the architecture its
    ClassId head predicts."""
    seed_all(seed)
    archs = [a for a in CLASS_IDS if a in pop.specs]
    plains = {CLASS_IDS[a]: pop.plain(a) for a in archs}
    tab = pop.table
    keep = tab["arch"].isin(seen).to_numpy()
    tr_mask = torch.from_numpy(keep & (tab["split"] == "train").to_numpy())
    te_mask = torch.from_numpy(keep & (tab["split"] == "test").to_numpy())
    tr, te = pop.preps[tr_mask], pop.preps[te_mask]
    tr_cls = torch.tensor(tab["class_id"].to_numpy()[tr_mask.numpy()], dtype=torch.long)
    te_tab = tab[te_mask.numpy()].reset_index(drop=True)
    ns = make_netspace(pop.preps.shape[1:], cfg, n_classes=len(CLASS_IDS))
    ns.decoder.init_affine(tr, cfg.get("init_scale", 0.5))
    t0 = time.process_time()
    losses = train_multi(ns, plains, tr, tr_cls, teacher, task.x_train, task.y_train, steps=cfg["steps"],
                         n_classes=len(CLASS_IDS), meta_batch=cfg["meta_batch"], image_batch=cfg["image_batch"],
                         alpha=cfg.get("alpha", 0.9), lr=cfg["lr"], seed=seed, progress=progress)
    secs = time.process_time() - t0
    n_per_step = cfg["meta_batch"] * tr_cls.unique().numel()
    per_epoch = secs / max(1, cfg["steps"]) * math.ceil(len(tr) / n_per_step)
    ns.eval()
    names = {v: k for k, v in CLASS_IDS.items()}
    with torch.no_grad():
        emb, pred = ns(te)
        cls = ns.classid(emb).argmax(1).tolist()
        rows = []
        for i, r in te_tab.iterrows():
            c = int(r.class_id)
            rows.append({"instance": i, "arch": r.arch, "class_id": c, "target": float(r.accuracy),
                         "predicted": accuracy_with(plains[cls[i]], pred[i], task), "predicted_arch": names[cls[i]]})
        inst = pd.DataFrame(rows)
        a = int(inst.index[inst["arch"] == "LeNetLike"][0])
        b = int(inst.index[inst["arch"] == "ResNet32"][0])
        rows, path = [], []
        for g in np.linspace(0, 1, cfg.get("n_interp", 13)):
            e = ((1 - g) * emb[a] + g * emb[b])[None]
            path.append(e[0].numpy())
            c = int(ns.classid(e).argmax(1))
            rows.append({"gamma": float(g), "class_id": c, "predicted_arch": names[c],
                         "accuracy": accuracy_with(plains[c], ns.decoder(e)[0], task)})
        r32 = int(inst.index[inst["arch"] == "ResNet32"][0])
    return MultiResult(task.name, tuple(seen), ns, inst, pd.DataFrame(rows), plains, losses, per_epoch, te[r32],
                       pred[r32], emb.numpy(), np.stack(path))


def run_lso(task, single: SingleResult, single_pop: Population, multi: MultiResult, multi_pop: Population, teacher,
            cfg: dict, *, seed: int = 0) -> pd.DataFrame:
    """Latent space optimisation (Table 5.1): from the embedding of a test instance (Single: the worst
    ResNet8; Multi: one per architecture), Adam on the embedding through the frozen decoder with L_kd to the
    teacher (and L_class towards the instance's ClassId in the Multi-Architecture space). Rows in the
    published table's keys: ``initial | Single-Architecture / ResNet8`` etc."""
    rows = []
    te_tab, te = single_pop.split("test")
    arch = te_tab["arch"].iloc[0]
    i = int(te_tab["accuracy"].idxmin())
    plain = single_pop.plain(arch)
    with torch.no_grad():
        e0 = single.netspace.encoder(te[i: i + 1])[0]
    e = latent_optimise(single.netspace, e0, {0: plain}, teacher, task.x_train, task.y_train, steps=cfg["lso_steps"],
                        lr=cfg["lso_lr"], seed=seed)
    with torch.no_grad():
        opt_acc = accuracy_with(plain, single.netspace.decoder(e[None])[0], task)
    rows += [("initial", "Single-Architecture", arch, float(te_tab["accuracy"].iloc[i]), arch),
             ("optimized", "Single-Architecture", arch, opt_acc, arch)]
    tab, names = multi_pop.table, {v: k for k, v in CLASS_IDS.items()}
    for a in CLASS_IDS:
        sel = tab.index[(tab["arch"] == a) & (tab["split"] == "test")]
        if not len(sel):
            continue
        j = int(sel[0])
        c = CLASS_IDS[a]
        with torch.no_grad():
            e0 = multi.netspace.encoder(multi_pop.preps[j: j + 1])[0]
        e = latent_optimise(multi.netspace, e0, multi.plains, teacher, task.x_train, task.y_train,
                            steps=cfg["lso_steps"], class_id=c, lr=cfg["lso_lr"], seed=seed)
        with torch.no_grad():
            c_opt = int(multi.netspace.classid(e[None]).argmax(1))
            acc = accuracy_with(multi.plains[c_opt], multi.netspace.decoder(e[None])[0], task)
        rows += [("initial", "Multi-Architecture", a, float(tab.loc[j, "accuracy"]), a),
                 ("optimized", "Multi-Architecture", a, acc, names[c_opt])]
    return pd.DataFrame([{"stage": s, "setting": st, "arch": a, "accuracy": v, "decoded_as": d}
                         for s, st, a, v, d in rows])


def table_5_1_rows(lso: pd.DataFrame) -> pd.DataFrame:
    """The LSO table in the published keys (row ``stage | setting / arch``, category TIN, metric accuracy)."""
    return pd.DataFrame({"row": [f"{r.stage} | {r.setting} / {r.arch}" for r in lso.itertuples()],
                         "category": "TIN", "metric": "accuracy", "value": lso["accuracy"].to_numpy()})


# ---------------------------------------------------------------------------------------------------------
# SDF networks (Fig. 5.4)

def grid_points(res: int, lo: float = -0.55, hi: float = 0.55) -> torch.Tensor:
    g = torch.linspace(lo, hi, res)
    return torch.stack(torch.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)


def sdf_mesh(net_fn, res: int = 32):
    """Marching cubes of the zero level set of ``net_fn`` on a ``res``^3 grid: (vertices, faces) or None
    when the field has no zero crossing (a collapsed network)."""
    lo, hi = -0.55, 0.55
    with torch.no_grad():
        vol = net_fn(grid_points(res, lo, hi)).reshape(res, res, res).numpy()
    if not (vol.min() < 0 < vol.max()):
        return None
    v, f, _, _ = measure.marching_cubes(vol, 0.0, spacing=((hi - lo) / (res - 1),) * 3)
    return v + lo, f


@dataclass
class SdfResult:
    netspace: NetSpace
    interpolation: list  # dicts: gamma, space, mesh (v, f) or None, volume_inside
    fidelity: pd.DataFrame  # per test shape: % of points where predicted within 1e-2 of target MLP
    losses: list[float]
    seconds_per_epoch: float


def run_sdf(pop: Population, points: torch.Tensor, cfg: dict, *, hidden: int, seed: int = 0, progress=None) -> SdfResult:
    """SDF experiment: NetSpace on SIREN PReps with L_pred = MSE (Eq. 5.2) at random points; interpolate
    between two test chairs in embedding and in weight space; meshes by marching cubes."""
    seed_all(seed)
    plain = Siren(hidden).eval()
    _, tr = pop.split("train")
    te_tab, te = pop.split("test")
    ns = make_netspace(pop.preps.shape[1:], cfg)
    ns.decoder.init_affine(tr, cfg.get("init_scale", 0.5))
    x = points.reshape(-1, 3)
    t0 = time.process_time()
    losses = train_single(ns, plain, tr, x, steps=cfg["steps"], meta_batch=cfg["meta_batch"],
                          image_batch=cfg["point_batch"], lr=cfg["lr"], seed=seed, sdf=True, progress=progress)
    secs = time.process_time() - t0
    per_epoch = secs / max(1, cfg["steps"]) * math.ceil(len(tr) / cfg["meta_batch"])
    ns.eval()
    layout = Layout.of(plain)
    fn = lambda prep: (lambda p: forward_with(plain, prep, p, layout))  # noqa: E731
    with torch.no_grad():
        emb, pred = ns(te)
        xs = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:4000]]
        fid = [{"shape": int(r["shape"]), "close_%": float(((fn(pred[i])(xs) - fn(te[i])(xs)).abs() < 1e-2).float().mean() * 100)}
               for i, r in te_tab.iterrows()]
        out = []
        for g in np.linspace(0, 1, cfg.get("n_interp", 5)):
            for space, prep in (("embedding", ns.decoder(((1 - g) * emb[0] + g * emb[1])[None])[0]),
                                ("weights", (1 - g) * te[0] + g * te[1])):
                out.append({"gamma": float(g), "space": space, "mesh": sdf_mesh(fn(prep), cfg.get("mesh_res", 32))})
            if g == 0 or g == 1:
                k = 0 if g == 0 else 1
                out.append({"gamma": float(g), "space": "target", "mesh": sdf_mesh(fn(te[k]), cfg.get("mesh_res", 32))})
    return SdfResult(ns, out, pd.DataFrame(fid), losses, per_epoch)


__all__ = ["MultiResult", "SdfResult", "SingleResult", "TABLE_C1_BLOCKS", "accuracy_with", "grid_points",
           "make_netspace", "parameter_counts", "run_lso", "run_multi", "run_sdf", "run_single", "sdf_mesh",
           "table_5_1_rows"]


# ---------------------------------------------------------------------------------------------------------
# The models as built, layer by layer (Fig. 5.1, C.1, C.3, C.4)

def layer_table(model: torch.nn.Module, *inputs: torch.Tensor) -> pd.DataFrame:
    """One row per leaf module in call order: name, type, a short description, output shape and
    parameters, recorded by forward hooks on one forward pass of ``inputs``."""
    rows, hooks = [], []

    def hook(name):
        def fn(mod, args, out):
            o = out[0] if isinstance(out, tuple) else out
            desc = type(mod).__name__
            if isinstance(mod, torch.nn.Conv2d | torch.nn.Conv1d):
                desc = (f"CONV (in {mod.in_channels}, out {mod.out_channels}, k {'x'.join(map(str, mod.kernel_size))}, "
                        f"s {'x'.join(map(str, mod.stride))}, p {'x'.join(map(str, mod.padding))})")
            elif isinstance(mod, torch.nn.Linear):
                desc = f"FC (in {mod.in_features}, out {mod.out_features})"
            elif isinstance(mod, torch.nn.AvgPool2d):
                desc = f"Average Pooling (k {mod.kernel_size}, s {mod.stride})"
            rows.append({"layer": name, "type": type(mod).__name__, "description": desc,
                         "output": "x".join(map(str, o.shape[1:])),
                         "params": sum(p.numel() for p in mod.parameters(recurse=False))})
        return fn

    for name, mod in model.named_modules():
        if not list(mod.children()) and not isinstance(mod, torch.nn.Identity):
            hooks.append(mod.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return pd.DataFrame(rows)


def netspace_layer_table(ns: NetSpace, prep_shape) -> pd.DataFrame:
    """:func:`layer_table` of NetSpace's encoder, decoder and (when present) ClassId head, with a ``part``
    column."""
    x = torch.zeros(1, *prep_shape)
    parts = [layer_table(ns.encoder, x).assign(part="encoder")]
    e = torch.zeros(1, ns.encoder.embedding)
    parts.append(layer_table(ns.decoder, e).assign(part="decoder"))
    if ns.classid is not None:
        parts.append(layer_table(ns.classid, e).assign(part="ClassId head"))
    return pd.concat(parts, ignore_index=True)
