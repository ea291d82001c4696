"""Training the SDF generator, and the shipped checkpoint.

Objective (stated on the chapter's page): **not adversarial**. SDF-StyleGAN trains its generator against
a global and a local discriminator; at a CPU budget of minutes on ~100 chairs a GAN does not converge, so
the generator is trained as an *auto-decoder* (DeepSDF-style): every training chair ``i`` owns a learned
latent code ``z_i`` that goes through the whole generator (mapping, styles, modulated convolutions, MLP),
and codes and weights minimise

    L = mean_i mean_x |G(z_i)(x) - clamp(SDF_i(x), -t, t)|  +  lambda ||z_i||^2 / z_dim

over lattice points ``x`` (half drawn near the surface, ``|SDF| < near_band``, half uniformly). Random
shapes are then drawn with ``z`` from the Gaussian fitted to the learned codes (mean and covariance,
stored in the checkpoint as ``z_mean`` / ``z_chol``), which is what the average-style initialisation of
the inversion samples from.

``python -m sbsr.systems.sdf_inversion.train --retrain`` recomputes the training grids (cached under
``data/cache``) and rewrites the shipped checkpoint ``weights/sdf-generator-chairs-v1.safetensors`` with
its JSON sidecar (command, seed, sha256 of the training grids, time per step, loss history).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from sbsr.render.sdf import lattice_points

from .data import cached_sdf_target, training_chairs
from .models import GeneratorConfig, Provenance, SDFGenerator, save_generator, shipped_checkpoint

OBJECTIVE = ("auto-decoder reconstruction (not adversarial): per-chair latent codes and the generator's weights "
             "minimise the L1 error to the clamped signed distance on lattice points plus an L2 prior on the "
             "codes; random shapes draw z from a Gaussian fitted to the learned codes")
RETRAIN_COMMAND = "python -m sbsr.systems.sdf_inversion.train --retrain"


@dataclass(frozen=True)
class TrainConfig:
    n_shapes: int = 64          # training chairs (procedural-v1 train collection)
    resolution: int = 32        # lattice of the target grids
    steps: int = 2000
    batch: int = 8              # chairs per step
    points: int = 2048          # lattice points per chair and step
    near_fraction: float = 0.5  # share of points drawn with |SDF| < near_band
    near_band: float = 0.04
    lr: float = 3e-3
    code_lr: float = 2e-2
    code_init_std: float = 0.1
    code_reg: float = 1e-3
    seed: int = 0


def data_sha256(grids: np.ndarray) -> str:
    """sha256 of the training grids (float32, C order): the data hash in the sidecar."""
    return hashlib.sha256(np.ascontiguousarray(grids, dtype=np.float32).tobytes()).hexdigest()


def training_grids(config: TrainConfig, gen_config: GeneratorConfig, cache_dir: str | Path | None,
                   progress=None) -> np.ndarray:
    """(N, R, R, R) clamped SDF grids of the training chairs."""
    shapes = training_chairs(config.n_shapes)
    it = progress(shapes, desc="training SDF grids") if progress else shapes
    return np.stack([cached_sdf_target(s, config.resolution, gen_config.bound, gen_config.truncation, cache_dir)
                     for s in it])


def _draw_points(grids: torch.Tensor, idx: torch.Tensor, config: TrainConfig, near_masks: list[torch.Tensor],
                 gen: torch.Generator) -> torch.Tensor:
    """(B, P) flat lattice indices per chair: ``near_fraction`` from its near-surface band, the rest uniform."""
    n_total = grids[0].numel()
    n_near = int(round(config.points * config.near_fraction))
    rows = []
    for i in idx.tolist():
        near = near_masks[i]
        pick_near = near[torch.randint(len(near), (n_near,), generator=gen)] if len(near) else \
            torch.randint(n_total, (n_near,), generator=gen)
        rows.append(torch.cat([pick_near, torch.randint(n_total, (config.points - n_near,), generator=gen)]))
    return torch.stack(rows)


def train_generator(grids: np.ndarray, config: TrainConfig = TrainConfig(),
                    gen_config: GeneratorConfig = GeneratorConfig(), progress=None
                    ) -> tuple[SDFGenerator, torch.Tensor, list[dict]]:
    """Auto-decoder training (module docstring) on (N, R, R, R) grids over the generator's cube.

    Returns the generator (eval mode, ``z_mean``/``z_chol`` fitted to the codes), the codes (N, z_dim)
    and the history (one dict every 50 steps and at the end: step, loss, seconds per step).
    """
    if grids.ndim != 4 or grids.shape[1:] != (config.resolution,) * 3:
        raise ValueError(f"train_generator: grids must be (N, {config.resolution}^3), got {grids.shape}")
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model = SDFGenerator(gen_config)
    n = len(grids)
    targets = torch.as_tensor(grids, dtype=torch.float32).reshape(n, -1)
    pts = torch.as_tensor(lattice_points(config.resolution, gen_config.bound), dtype=torch.float32)
    near_masks = [torch.nonzero(t.abs() < config.near_band)[:, 0] for t in targets]
    codes = torch.nn.Parameter(torch.randn(n, gen_config.z_dim, generator=gen) * config.code_init_std)
    opt = torch.optim.Adam([{"params": model.parameters(), "lr": config.lr},
                            {"params": [codes], "lr": config.code_lr}])
    history: list[dict] = []
    steps = range(config.steps)
    bar = progress(steps, desc="generator") if progress else steps
    t0, running = time.perf_counter(), []
    model.train()
    for step in bar:
        idx = torch.randperm(n, generator=gen)[:config.batch]
        flat = _draw_points(targets, idx, config, near_masks, gen)  # (B, P)
        feats = model.features(model.styles(codes[idx]))
        pred = model.sdf_at(feats, pts[flat])
        loss_rec = (pred - torch.gather(targets[idx], 1, flat)).abs().mean()
        loss = loss_rec + config.code_reg * codes[idx].pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running.append(float(loss_rec.detach()))
        if (step + 1) % 50 == 0 or step + 1 == config.steps:
            history.append({"step": step + 1, "l1": float(np.mean(running)),
                            "seconds_per_step": (time.perf_counter() - t0) / (step + 1)})
            running = []
    model.eval()
    with torch.no_grad():
        c = codes.detach()
        mean = c.mean(dim=0)
        cov = torch.cov(c.T) + 1e-4 * torch.eye(gen_config.z_dim)
        model.z_mean.copy_(mean)
        model.z_chol.copy_(torch.linalg.cholesky(cov))
    return model, codes.detach(), history


def retrain(out: str | Path | None = None, config: TrainConfig = TrainConfig(),
            gen_config: GeneratorConfig = GeneratorConfig(), cache_dir: str | Path | None = "data/cache",
            progress=None) -> Path:
    """Train from scratch and write the checkpoint (default: the shipped one) with its provenance."""
    grids = training_grids(config, gen_config, cache_dir, progress)
    start = time.perf_counter()
    model, codes, history = train_generator(grids, config, gen_config, progress)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pts = torch.as_tensor(lattice_points(config.resolution, gen_config.bound), dtype=torch.float32)
        pred = model.sdf_at(model.features(model.styles(codes)), pts)
        l1 = float((pred - torch.as_tensor(grids).reshape(len(grids), -1)).abs().mean())
    prov = Provenance(
        command=RETRAIN_COMMAND, seed=config.seed, data_sha256=data_sha256(grids), objective=OBJECTIVE,
        params={"train": asdict(config), "data": f"procedural-v1 train collection, first {config.n_shapes} chairs"},
        metrics={"train_l1_all_lattice_points": l1, "train_seconds": seconds,
                 "seconds_per_step": seconds / config.steps, "device": "cpu",
                 "torch_threads": torch.get_num_threads()},
        history=history,
    )
    return save_generator(model, Path(out) if out else shipped_checkpoint(), prov)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--retrain", action="store_true", help="train from scratch and write the checkpoint")
    p.add_argument("--out", default=None, help="checkpoint path (default: the shipped one in the package)")
    p.add_argument("--cache-dir", default="data/cache", help="where the training SDF grids are cached")
    p.add_argument("--steps", type=int, default=None, help="override the number of steps (smoke runs)")
    p.add_argument("--n-shapes", type=int, default=None, help="override the number of training chairs")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: the shipped checkpoint's setting)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not args.retrain:
        p.print_help()
        return 0
    cfg = TrainConfig()
    over = {k: v for k, v in (("steps", args.steps), ("n_shapes", args.n_shapes)) if v is not None}
    if over:
        cfg = TrainConfig(**{**asdict(cfg), **over})
    path = retrain(args.out, cfg, cache_dir=args.cache_dir, progress=lambda it, desc: tqdm(it, desc=desc))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
