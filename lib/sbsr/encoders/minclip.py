"""``minclip``: a small CLIP-style dual encoder trainable on a CPU, the offline stand-in for CLIP.

Architecture (defaults of :class:`MinClipConfig`):

* image tower: a ResNet-like network after CLIP's ``ModifiedResNet`` stem (three 3x3 convolutions,
  the first with stride 2, then a 2x2 average pool: stride 4), four stages of torchvision
  ``BasicBlock`` s with widths 32-64-128-256 and strides 1-2-2-2, global average pool and a linear
  projection to the embedding. ``layer3`` is the third stage, ``(128, 14, 14)`` at 224 x 224 input,
  playing the role of the paper's CLIP ``layer3`` tap (thesis §4.2).
* text tower: open_clip's ``TextTransformer`` (causal, 3 layers, width 128, 4 heads), pooled at the
  end-of-text token, over a word-level tokenizer (:class:`WordTokenizer`).
* a learnable temperature ``logit_scale`` (initialised to ``log(1/0.07)``, clamped at ``log(100)``) as in
  CLIP; the loss is :func:`sbsr.losses.clip_contrastive_loss`.

Training pairs are procedural renders (RGB and line renderings under random styles) with captions
generated from the shape parameters and the viewpoint; no simulated freehand sketches are used in
training. :func:`train_minclip` consumes any iterator of ``(images, captions)`` batches.

Checkpoints: ``<name>.safetensors`` (fp32 state dict) + ``<name>.json`` sidecar (format, sha256 of the
safetensors file, config, training parameters, metrics); at most 25 MB (:data:`MAX_CHECKPOINT_BYTES`).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from ..io import atomic_path, atomic_write_json, read_data_file, sha256_file

from .preprocess import CLIP_MEAN, CLIP_STD, Preprocess

FORMAT = "sbsr.minclip/1"
MAX_CHECKPOINT_BYTES = 25 * 1024 * 1024
PACKAGE_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


# --- tokenizer --------------------------------------------------------------------------------------
class WordTokenizer:
    """Lower-case word tokenizer: ``[SOT] words... [EOT] [PAD]...`` of length ``context_length``.

    Ids: 0 pad, 1 start, 2 end, 3 unknown, then one id per word of ``vocabulary``, then
    ``hash_buckets`` ids for words outside it, chosen by CRC-32 of the word (stable across runs and
    machines). With an empty vocabulary every word is hashed; collisions are rare for the few hundred
    words of the caption templates. Words are runs of letters or digits (punctuation is dropped).
    """

    PAD, SOT, EOT, UNK = 0, 1, 2, 3
    N_SPECIAL = 4
    _WORD = re.compile(r"[a-z]+|[0-9]+")

    def __init__(self, vocabulary: Sequence[str] = (), hash_buckets: int = 1024, context_length: int = 32):
        if context_length < 3:
            raise ValueError("context_length must be >= 3")
        self.vocabulary = tuple(dict.fromkeys(w.lower() for w in vocabulary))
        self.hash_buckets = int(hash_buckets)
        self.context_length = int(context_length)
        self._index = {w: self.N_SPECIAL + i for i, w in enumerate(self.vocabulary)}

    @property
    def vocab_size(self) -> int:
        return self.N_SPECIAL + len(self.vocabulary) + self.hash_buckets

    @classmethod
    def words(cls, text: str) -> list[str]:
        return cls._WORD.findall(text.lower())

    @classmethod
    def vocabulary_from(cls, captions: Iterable[str]) -> list[str]:
        """Sorted distinct words of ``captions`` (to build a vocabulary from caption templates)."""
        return sorted({w for c in captions for w in cls.words(c)})

    def word_id(self, word: str) -> int:
        if word in self._index:
            return self._index[word]
        if self.hash_buckets <= 0:
            return self.UNK
        return self.N_SPECIAL + len(self.vocabulary) + zlib.crc32(word.encode("utf-8")) % self.hash_buckets

    def encode(self, text: str) -> list[int]:
        ids = [self.word_id(w) for w in self.words(text)][: self.context_length - 2]
        return [self.SOT, *ids, self.EOT]

    def __call__(self, texts: str | Sequence[str]) -> torch.Tensor:
        if isinstance(texts, str):
            texts = [texts]
        out = torch.full((len(texts), self.context_length), self.PAD, dtype=torch.long)
        for i, t in enumerate(texts):
            ids = self.encode(t)
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out


# --- model --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MinClipConfig:
    image_size: int = 224
    stem_width: int = 32
    widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks: tuple[int, ...] = (2, 2, 2, 2)
    embed_dim: int = 256
    context_length: int = 32
    text_width: int = 128
    text_layers: int = 3
    text_heads: int = 4
    vocabulary: tuple[str, ...] = ()
    hash_buckets: int = 1024
    init_logit_scale: float = math.log(1 / 0.07)
    max_logit_scale: float = math.log(100.0)

    def __post_init__(self):
        if len(self.widths) != 4 or len(self.blocks) != 4:
            raise ValueError("minclip has four stages: widths and blocks need 4 entries")
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "blocks", tuple(int(b) for b in self.blocks))
        object.__setattr__(self, "vocabulary", tuple(self.vocabulary))

    def to_json(self) -> dict:
        d = asdict(self)
        d["widths"], d["blocks"], d["vocabulary"] = list(self.widths), list(self.blocks), list(self.vocabulary)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "MinClipConfig":
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown minclip config keys {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def preprocess(self) -> Preprocess:
        return Preprocess(self.image_size, CLIP_MEAN, CLIP_STD, "bicubic")

    def tokenizer(self) -> WordTokenizer:
        return WordTokenizer(self.vocabulary, self.hash_buckets, self.context_length)


def _conv_bn_relu(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class MinClipImageTower(nn.Module):
    """Stem (stride 4) + four ``BasicBlock`` stages (strides 1, 2, 2, 2) + average pool + projection."""

    def __init__(self, stem_width: int, widths: Sequence[int], blocks: Sequence[int], embed_dim: int):
        super().__init__()
        half = max(stem_width // 2, 1)
        self.stem = nn.Sequential(*_conv_bn_relu(3, half, 2), *_conv_bn_relu(half, half),
                                  *_conv_bn_relu(half, stem_width), nn.AvgPool2d(2))
        cin = stem_width
        for i, (w, n, stride) in enumerate(zip(widths, blocks, (1, 2, 2, 2)), start=1):
            layers = []
            for j in range(n):
                s = stride if j == 0 else 1
                down = None
                if s != 1 or cin != w:
                    down = nn.Sequential(nn.Conv2d(cin, w, 1, stride=s, bias=False), nn.BatchNorm2d(w))
                layers.append(BasicBlock(cin, w, stride=s, downsample=down))
                cin = w
            self.add_module(f"layer{i}", nn.Sequential(*layers))
        self.proj = nn.Linear(cin, embed_dim)
        self.output_dim = embed_dim
        self._init()

    def _init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.modules():  # residual branches start as identity (zero-init of the last BN)
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)
        nn.init.normal_(self.proj.weight, std=self.proj.in_features ** -0.5)
        nn.init.zeros_(self.proj.bias)

    def forward_stage(self, x: torch.Tensor, stage: int) -> torch.Tensor:
        x = self.stem(x)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4)[:stage]:
            x = layer(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.forward_stage(x, 4).mean(dim=(2, 3)))


class MinClip(nn.Module):
    """Image tower ``visual``, text tower ``text``, temperature ``logit_scale`` (log of the multiplier)."""

    def __init__(self, config: MinClipConfig | None = None):
        super().__init__()
        from open_clip.transformer import TextTransformer

        self.config = config = config or MinClipConfig()
        self.tokenizer = config.tokenizer()
        self.visual = MinClipImageTower(config.stem_width, config.widths, config.blocks, config.embed_dim)
        self.text = TextTransformer(context_length=config.context_length, vocab_size=self.tokenizer.vocab_size,
                                    width=config.text_width, heads=config.text_heads, layers=config.text_layers,
                                    output_dim=config.embed_dim, pad_id=WordTokenizer.PAD,
                                    eos_id=WordTokenizer.EOT, pool_type="eos")
        self.logit_scale = nn.Parameter(torch.tensor(float(config.init_logit_scale)))

    def encode_image(self, x: torch.Tensor) -> torch.Tensor:
        return self.visual(x)

    def encode_text(self, text: torch.Tensor | Sequence[str]) -> torch.Tensor:
        if not isinstance(text, torch.Tensor):
            text = self.tokenizer(text)
        return self.text(text.to(self.logit_scale.device))

    def forward(self, images: torch.Tensor, text: torch.Tensor | Sequence[str]):
        return self.encode_image(images), self.encode_text(text), self.logit_scale.exp()


def build_minclip(config: MinClipConfig | None = None, seed: int = 0) -> MinClip:
    """A randomly initialised :class:`MinClip`, seeded without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MinClip(config)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- training -----------------------------------------------------------------------------------------
def _param_groups(model: nn.Module, weight_decay: float):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or "embedding" in name or name == "logit_scale":
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _unpack_batch(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError("each training batch must be (images, captions) or (images, captions, labels)")
    images, captions = batch[0], batch[1]
    labels = batch[2] if len(batch) == 3 else None
    if isinstance(captions, str) or len(captions) != len(images):
        raise ValueError(f"a batch has {len(images)} images but {len(captions) if not isinstance(captions, str) else 1}"
                         " captions; give one caption per image")
    return images, list(captions), labels


def train_minclip(
    batches: Iterable,
    steps: int,
    lr: float = 1e-3,
    device: str = "cpu",
    seed: int = 0,
    log_every: int = 50,
    config: MinClipConfig | None = None,
    model: MinClip | None = None,
    weight_decay: float = 0.1,
    warmup_steps: int | None = None,
    grad_clip: float = 1.0,
    log_fn: Callable[[dict], None] | None = None,
) -> tuple[MinClip, list[dict]]:
    """Train with the CLIP contrastive loss on ``(images, captions[, labels])`` batches.

    ``images``: uint8 images (a list of ``(H,W)``/``(H,W,3)`` arrays or a uint8 batch), resized and
    normalised like CLIP; ``captions``: one string per image; ``labels`` (optional): object ids, so that
    two views of the same object in one batch are both positives. AdamW (no decay on norms, biases,
    embeddings, temperature), linear warm-up then cosine decay to 0, gradient clipping, temperature
    clamped at ``log(100)``. Deterministic on CPU for a given ``seed`` and batch stream.

    Returns the model in eval mode and a history: one dict per ``log_every`` steps (and the last) with
    ``step``, ``loss`` (mean over the logged window), ``batch_acc`` (in-batch image->text top-1 of the
    logged step, %), ``logit_scale`` (the multiplier), ``lr``, ``seconds``.
    """
    from sbsr.config import resolve_device
    from sbsr.losses import clip_contrastive_loss

    if steps < 1:
        raise ValueError("steps must be >= 1")
    dev = resolve_device(device)
    if model is None:
        model = build_minclip(config, seed=seed)
    model = model.to(dev).train()
    cfg = model.config
    preprocess = cfg.preprocess()
    warmup = min(steps // 10, 100) if warmup_steps is None else int(warmup_steps)

    def lr_factor(step: int) -> float:  # step is 0-based
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    opt = torch.optim.AdamW(_param_groups(model, weight_decay), lr=lr, betas=(0.9, 0.98), eps=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if dev == "cuda" else None)
    history: list[dict] = []
    window: list[float] = []
    t0 = time.perf_counter()
    n_done = 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for step, batch in enumerate(batches):
            if step >= steps:
                break
            images, captions, labels = _unpack_batch(batch)
            x = preprocess.normalize(preprocess.to_uint8_batch(images).to(dev))
            tokens = model.tokenizer(captions).to(dev)
            if autocast is not None:
                with autocast:
                    img, txt = model.encode_image(x), model.encode_text(tokens)
            else:
                img, txt = model.encode_image(x), model.encode_text(tokens)
            scale = model.logit_scale.exp()
            loss = clip_contrastive_loss(img.float(), txt.float(), scale,
                                         labels=None if labels is None else torch.as_tensor(labels))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            sched.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0.0, cfg.max_logit_scale)
            window.append(float(loss.detach()))
            n_done = step + 1
            if (step + 1) % max(1, log_every) == 0 or step + 1 == steps:
                with torch.no_grad():
                    sims = nn.functional.normalize(img.float(), dim=1) @ nn.functional.normalize(txt.float(), dim=1).T
                    acc = float((sims.argmax(dim=1) == torch.arange(len(sims), device=sims.device)).float().mean()) * 100
                entry = {"step": step + 1, "loss": float(np.mean(window)), "batch_acc": acc,
                         "logit_scale": float(model.logit_scale.detach().exp()), "lr": float(sched.get_last_lr()[0]),
                         "seconds": time.perf_counter() - t0}
                history.append(entry)
                window = []
                if log_fn is not None:
                    log_fn(entry)
    if n_done < steps:
        history.append({"step": n_done, "loss": float(np.mean(window)) if window else float("nan"),
                        "batch_acc": float("nan"), "logit_scale": float(model.logit_scale.detach().exp()),
                        "lr": float(sched.get_last_lr()[0]), "seconds": time.perf_counter() - t0,
                        "note": f"batch iterator ended after {n_done} of {steps} steps"})
    return model.eval(), history


# --- save / load ---------------------------------------------------------------------------------------
def sidecar_path(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def save_minclip(model: MinClip, path: str | Path, params: dict | None = None, metrics: dict | None = None,
                 history: list[dict] | None = None, name: str | None = None) -> Path:
    """Write ``path`` (.safetensors, fp32) and its ``.json`` sidecar (sha256, config, params, metrics)."""
    from safetensors.torch import save_file

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: minclip checkpoints are .safetensors files")
    state = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()
             if v.is_floating_point()}
    state.update({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()
                  if not v.is_floating_point()})
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata={"format": FORMAT})
        size = tmp.stat().st_size
        if size > MAX_CHECKPOINT_BYTES:
            raise ValueError(f"{path}: checkpoint is {size / 2**20:.1f} MiB, over the "
                             f"{MAX_CHECKPOINT_BYTES / 2**20:.0f} MiB limit; use a smaller MinClipConfig")
    sidecar = {
        "format": FORMAT,
        "name": name or path.stem,
        "file": path.name,
        "sha256": sha256_file(path),
        "size_bytes": path.stat().st_size,
        "n_parameters": count_parameters(model),
        "config": model.config.to_json(),
        "params": params or {},
        "metrics": metrics or {},
        "history": history or [],
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "torch_version": torch.__version__,
    }
    atomic_write_json(sidecar_path(path), sidecar)
    return path


def read_sidecar(path: str | Path) -> dict:
    side = sidecar_path(path)
    meta = read_data_file(side, error=ValueError, missing=FileNotFoundError,
                          what=f"the JSON sidecar of {Path(path).name}")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{side}: format {meta.get('format')!r}, expected {FORMAT!r}")
    return meta


def load_minclip(path: str | Path, verify_sha256: bool = True) -> tuple[MinClip, dict]:
    """Load a checkpoint written by :func:`save_minclip`; the sha256 in the sidecar is checked."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: minclip checkpoint not found")
    meta = read_sidecar(path)
    if verify_sha256:
        digest = sha256_file(path)
        if digest != meta.get("sha256"):
            raise ValueError(f"{path}: sha256 {digest} does not match the sidecar's {meta.get('sha256')} "
                             "(file changed or corrupt)")
    model = build_minclip(MinClipConfig.from_json(meta["config"]))
    model.load_state_dict(load_file(str(path), device="cpu"), strict=True)
    return model.eval(), meta
