"""Training SketchyDepth and its baseline/ablations (thesis §3.3, §3.4.2), and the monocular depth network
that stands in for MiDaS (§3.4.4).

Variants (:data:`VARIANTS`, the rows of Table 3.1):

* ``baseline`` -- pix2pix partial image -> RGB, with D_i: "SketchyCOCO (replicated)";
* ``no_depth`` -- "w/o G_d and D_d": G_i(partial) with two discriminators D_i and D_j that see no depth;
* ``no_joint`` -- "w/o D_j": G_d, D_d, G_i(partial, d_gen), D_i;
* ``full``     -- SketchyDepth: G_d, D_d, G_i, D_i and the joint D_j.

One step (§3.3, "alternates the update of every discriminator with an update of both generators"): the
generators run forward; every discriminator takes one Adam step on its loss (Eq. 3.2 / 3.6 / 3.9, halved as in
pix2pix); then the generators take one step on ``L_i`` (Eq. 3.8, G_i only), ``L_d`` (Eq. 3.4, G_d only) and
``L_j`` (Eq. 3.10, both), each routed to its own generators with ``backward(inputs=...)``. Images live in
[-1, 1]; depth is ``2 * depth / FAR - 1``.

``python -m sbsr.systems.sketchy_depth.train --retrain`` retrains the shipped quick-profile checkpoints in
``weights/`` (safetensors + a JSON sidecar with the command, seed and the training data's hash).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ...io import atomic_path, atomic_write_json
from ...losses.gan import discriminator_loss, generator_adversarial_loss, l1_loss
from .data import FAR, SceneConfig, Scenes, load_scenes
from .models import PatchDiscriminator, enable_test_dropout, init_weights, unet_for

VARIANTS = {
    "baseline": dict(depth=False, joint=False, label="SketchyCOCO (replicated)"),
    "no_depth": dict(depth=False, joint=True, label="SketchyDepth (w/o G_d and D_d)"),
    "no_joint": dict(depth=True, joint=False, label="SketchyDepth (w/o D_j)"),
    "full": dict(depth=True, joint=True, label="SketchyDepth"),
}
MONODEPTH = "monodepth"
WEIGHTS_DIR = Path(__file__).with_name("weights")


@dataclass(frozen=True)
class TrainConfig:
    """pix2pix's hyper-parameters (lr 2e-4, beta1 0.5, L1 weight 100, vanilla GAN) and our sizes."""

    epochs: int = 110          # the thesis
    batch_size: int = 1        # pix2pix default
    ngf: int = 64
    ndf: int = 64
    d_layers: int = 3
    lr: float = 2e-4
    beta1: float = 0.5
    l1_weight: float = 100.0
    gan_mode: str = "vanilla"
    seed: int = 0


def to_tensors(scenes: Scenes, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """partial (N,3,S,S), depth (N,1,S,S), rgb (N,3,S,S), all in [-1, 1]."""
    def img(a):
        return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float() / 127.5 - 1
    depth = torch.from_numpy(scenes["depth"][idx]).float()[:, None] / FAR * 2 - 1
    return img(scenes["partial"][idx]), depth, img(scenes["rgb"][idx])


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N,3,S,S) in [-1,1] -> (N,S,S,3) uint8."""
    return ((x.detach().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def to_depth(x: torch.Tensor) -> np.ndarray:
    """(N,1,S,S) in [-1,1] -> (N,S,S) float32 depth in world units, in [0, FAR]."""
    return ((x.detach().clamp(-1, 1)[:, 0] + 1) / 2 * FAR).cpu().numpy().astype(np.float32)


def build_models(variant: str, image_size: int, cfg: TrainConfig) -> dict[str, torch.nn.Module]:
    """The networks of ``variant`` (or ``"monodepth"``: one U-Net RGB -> depth), seeded by ``cfg.seed``."""
    torch.manual_seed(cfg.seed)
    if variant == MONODEPTH:
        return {"G_m": init_weights(unet_for(image_size, 3, 1, cfg.ngf))}
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {list(VARIANTS) + [MONODEPTH]}")
    v = VARIANTS[variant]
    dc = 1 if v["depth"] else 0
    nets = {"G_i": unet_for(image_size, 3 + dc, 3, cfg.ngf),
            "D_i": PatchDiscriminator(3 + dc + 3, cfg.ndf, cfg.d_layers)}
    if v["depth"]:
        nets["G_d"] = unet_for(image_size, 3, 1, cfg.ngf)
        nets["D_d"] = PatchDiscriminator(3 + 1, cfg.ndf, cfg.d_layers)
    if v["joint"]:
        nets["D_j"] = PatchDiscriminator(3 + dc + 3, cfg.ndf, cfg.d_layers)
    return {k: init_weights(n) for k, n in nets.items()}


def generate(nets: dict, partial: torch.Tensor, depth: torch.Tensor | None = None, batch_size: int = 32,
             dropout: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Run the generators on ``partial`` (N,3,S,S): ``(i_gen, d_gen)``; ``depth`` replaces G_d's output
    (depth sketching, §3.4.6). Eval mode; ``dropout=True`` keeps dropout on (App. A.1.6)."""
    for k, n in nets.items():
        if k.startswith("G"):
            enable_test_dropout(n) if dropout else n.eval()
    outs_i, outs_d = [], []
    with torch.no_grad():
        for s in range(0, len(partial), batch_size):
            ip = partial[s:s + batch_size]
            d = None
            if "G_d" in nets:
                d = nets["G_d"](ip) if depth is None else depth[s:s + batch_size]
                outs_d.append(d)
            outs_i.append(nets["G_i"](ip if d is None else torch.cat([ip, d], 1)))
    return torch.cat(outs_i), (torch.cat(outs_d) if outs_d else None)


@dataclass
class TrainResult:
    variant: str
    nets: dict
    history: list = field(default_factory=list)   # per epoch: losses and seconds

    def seconds_per_epoch(self) -> float:
        return float(np.mean([h["seconds"] for h in self.history])) if self.history else float("nan")


def train_variant(variant: str, scenes: Scenes, cfg: TrainConfig, device: str = "cpu", progress=None,
                  max_batches: int | None = None) -> TrainResult:
    """Train ``variant`` (or ``"monodepth"``) on the train split of ``scenes``; deterministic per ``cfg.seed``
    on CPU. ``max_batches`` stops each epoch early (for timing); the history then records ``batches``."""
    nets = build_models(variant, scenes.config.image_size, cfg)
    for n in nets.values():
        n.to(device).train()
    idx = scenes.indices("train")
    ip_all, d_all, i_all = (t.to(device) for t in to_tensors(scenes, idx))
    g_params = [p for k, n in nets.items() if k.startswith("G") for p in n.parameters()]
    d_params = [p for k, n in nets.items() if k.startswith("D") for p in n.parameters()]
    opt_g = torch.optim.Adam(g_params, lr=cfg.lr, betas=(cfg.beta1, 0.999))
    opt_d = torch.optim.Adam(d_params, lr=cfg.lr, betas=(cfg.beta1, 0.999)) if d_params else None
    gen = torch.Generator().manual_seed(cfg.seed)
    result = TrainResult(variant, nets)
    epochs = range(cfg.epochs)
    if progress is not None:
        epochs = progress(epochs, desc=f"train {variant}")
    for epoch in epochs:
        t0 = time.perf_counter()
        sums: dict[str, float] = {}
        order = torch.randperm(len(idx), generator=gen)
        starts = list(range(0, len(idx), cfg.batch_size))[:max_batches]
        seen = 0
        for s in starts:
            b = order[s:s + cfg.batch_size].to(device)
            seen += len(b)
            losses = _step(variant, nets, opt_g, opt_d, ip_all[b], d_all[b], i_all[b], cfg)
            for k, v in losses.items():
                sums[k] = sums.get(k, 0.0) + v * len(b)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        result.history.append({"epoch": epoch + 1, "seconds": time.perf_counter() - t0, "batches": len(starts),
                               "batches_per_epoch": -(-len(idx) // cfg.batch_size),
                               **{k: v / seen for k, v in sums.items()}})
    for n in nets.values():
        n.eval()
    return result


def _step(variant, nets, opt_g, opt_d, ip, d_real, i_real, cfg) -> dict[str, float]:
    mode, w = cfg.gan_mode, cfg.l1_weight
    if variant == MONODEPTH:
        loss = l1_loss(nets["G_m"](i_real), d_real)
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        return {"L1_depth": loss.item()}
    v = VARIANTS[variant]
    d_gen = nets["G_d"](ip) if v["depth"] else None
    i_gen = nets["G_i"](ip if d_gen is None else torch.cat([ip, d_gen], 1))

    def cond(*xs):
        return torch.cat([x for x in xs if x is not None], 1)

    real_i = cond(ip, d_real if v["depth"] else None, i_real)
    fake_i = cond(ip, d_gen, i_gen)
    # 1. discriminators (Eq. 3.2, 3.6, 3.9), fakes detached
    out = {}
    d_loss = discriminator_loss(nets["D_i"](real_i), nets["D_i"](fake_i.detach()), mode)
    out["D_i"] = d_loss.item()
    if v["depth"]:
        ld = discriminator_loss(nets["D_d"](cond(ip, d_real)), nets["D_d"](cond(ip, d_gen).detach()), mode)
        out["D_d"] = ld.item()
        d_loss = d_loss + ld
    if v["joint"]:
        lj = discriminator_loss(nets["D_j"](real_i), nets["D_j"](fake_i.detach()), mode)
        out["D_j"] = lj.item()
        d_loss = d_loss + lj
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    # 2. generators: L_i -> G_i, L_d -> G_d, L_j -> G_i and G_d (Eq. 3.4, 3.8, 3.10)
    d_nets = [n for k, n in nets.items() if k.startswith("D")]
    for n in d_nets:
        n.requires_grad_(False)
    gi = list(nets["G_i"].parameters())
    opt_g.zero_grad(set_to_none=True)
    loss_i = generator_adversarial_loss(nets["D_i"](fake_i), mode) + l1_loss(i_gen, i_real, w)
    out["G_i"] = loss_i.item()
    terms = [(loss_i, gi)]
    if v["depth"]:
        gd = list(nets["G_d"].parameters())
        loss_d = generator_adversarial_loss(nets["D_d"](cond(ip, d_gen)), mode) + l1_loss(d_gen, d_real, w)
        out["G_d"] = loss_d.item()
        terms.append((loss_d, gd))
    if v["joint"]:
        loss_j = generator_adversarial_loss(nets["D_j"](fake_i), mode)
        out["G_j"] = loss_j.item()
        terms.append((loss_j, gi + (gd if v["depth"] else [])))
    for k, (loss, params) in enumerate(terms):
        loss.backward(inputs=params, retain_graph=k < len(terms) - 1)
    opt_g.step()
    for n in d_nets:
        n.requires_grad_(True)
    return out


def monodepth(nets: dict, rgb: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """The MiDaS stand-in on images (N,3,S,S) in [-1,1] -> depth (N,1,S,S) in [-1,1]."""
    g = nets["G_m"].eval()
    with torch.no_grad():
        return torch.cat([g(rgb[s:s + batch_size]) for s in range(0, len(rgb), batch_size)])


# --- shipped checkpoints -------------------------------------------------------------------------------------
def checkpoint_path(variant: str, weights_dir: Path = WEIGHTS_DIR) -> Path:
    return Path(weights_dir) / f"sketchy-depth-{variant}.safetensors"


def save_checkpoint(result: TrainResult, scenes: Scenes, cfg: TrainConfig, command: str,
                    weights_dir: Path = WEIGHTS_DIR) -> Path:
    """Generators only, in float16, with a sidecar JSON (command, seed, configs, data hash, history)."""
    path = checkpoint_path(result.variant, weights_dir)
    tensors = {f"{k}.{p}": t.detach().cpu().half().contiguous() for k, n in result.nets.items()
               if k.startswith("G") for p, t in n.state_dict().items() if t.is_floating_point()}
    tensors.update({f"{k}.{p}": t.detach().cpu().contiguous() for k, n in result.nets.items()
                    if k.startswith("G") for p, t in n.state_dict().items() if not t.is_floating_point()})
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp))
    atomic_write_json(path.with_suffix(".json"), {
        "variant": result.variant, "command": command, "seed": cfg.seed, "train_config": asdict(cfg),
        "scene_config": asdict(scenes.config), "data_sha256": scenes.data_hash,
        "history": result.history})
    return path


def load_checkpoint(variant: str, scenes: Scenes, cfg: TrainConfig, weights_dir: Path = WEIGHTS_DIR,
                    require_data_match: bool = True):
    """The shipped generators of ``variant`` when they were trained on exactly ``scenes`` with ``cfg``
    (with ``require_data_match=False`` the data hash may differ); otherwise ``(None, reason)``.
    Returns ``(TrainResult, sidecar)`` on success."""
    path = checkpoint_path(variant, weights_dir)
    side = path.with_suffix(".json")
    if not path.is_file() or not side.is_file():
        return None, f"no shipped checkpoint {path.name}"
    try:
        meta = json.loads(side.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{side}: not valid JSON ({exc})") from exc
    if require_data_match and meta.get("data_sha256") != scenes.data_hash:
        return None, f"{path.name} was trained on other data (hash {str(meta.get('data_sha256'))[:12]})"
    if meta.get("train_config") != asdict(cfg):
        return None, f"{path.name} was trained with another configuration"
    nets = {k: n for k, n in build_models(variant, scenes.config.image_size, cfg).items() if k.startswith("G")}
    state = load_file(str(path))
    for k, n in nets.items():
        sd = {p[len(k) + 1:]: t.float() if t.is_floating_point() else t for p, t in state.items()
              if p.startswith(k + ".")}
        try:
            n.load_state_dict(sd)
        except RuntimeError as exc:
            raise ValueError(f"{path}: does not match the {variant} generators ({exc})") from exc
        n.eval()
    return TrainResult(variant, nets, meta.get("history", [])), meta


#: The quick profile's data and training configuration (what ``--retrain`` reproduces).
QUICK_SCENES = SceneConfig(n_scenes=200, image_size=64, seed=0, bank_size=16)
QUICK_TRAIN = TrainConfig(epochs=15, batch_size=4, ngf=8, ndf=8, d_layers=2, seed=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--retrain", action="store_true", help="retrain the shipped quick-profile checkpoints")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS) + [MONODEPTH])
    ap.add_argument("--cache-dir", default="data/cache")
    args = ap.parse_args(argv)
    if not args.retrain:
        ap.print_help()
        return 0
    torch.set_num_threads(1)
    scenes = load_scenes(QUICK_SCENES, args.cache_dir)
    for v in args.variants:
        res = train_variant(v, scenes, QUICK_TRAIN)
        p = save_checkpoint(res, scenes, QUICK_TRAIN, "python -m sbsr.systems.sketchy_depth.train --retrain")
        print(f"{v}: {res.seconds_per_epoch():.2f} s/epoch -> {p}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
