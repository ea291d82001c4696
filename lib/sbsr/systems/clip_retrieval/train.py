"""Learning a feature mask or weighting over a frozen encoder (thesis §4.2.2.2, §4.2.3.3, App. B.5).

The method (Eq. 4.2 / 4.3): a modulating layer ``m(x) = x * w`` over the encoder's ``layer3`` tap
(:class:`~sbsr.retrieval.modulation.FeatureModulation`, continuous = weighting, binary = masking with threshold 0.1),
trained with the CLIP contrastive loss (:func:`~sbsr.losses.clip_contrastive_loss`) while the encoder
stays frozen. "A batch of data is composed of two sets of line renderings, where each set has line
renderings of the same objects but different viewpoints. We treat object identity as a class label."

Training data (§4.2.3.3, App. B.5): line renderings of the *training* chairs at 0/30/45/75/90°, each
image fitted to the optimal bounding box (OBB, as every view of the method) and then augmented with a
random affine transformation - translation within ±10 % of the image size, rotation within ±10°, scale
within ±10 % (:func:`sbsr.retrieval.transforms.random_affine`). Batch size 32, learning rate 1e-3 (Adam;
the thesis names no optimiser). Checkpoints are selected on the validation *sketches* of one class with
the "OBB, Augm. (4 imgs)" setting (App. B.5), and evaluated on both classes (Table 4.7).

Binary masks only switch features off: the straight-through gradient of a weight is the plain gradient
evaluated at the binary output, and a feature masked in both sets of a batch has no influence on the
cosine logits of the loss, so its gradient is exactly zero (Adam's momentum still carries it a little
further down). Weights start at 1, so a feature needs about ``(1 - 0.1) / lr`` = 900 steps of consistent
pressure before the binary mask drops it.

**Augmented copies are precomputed** (:func:`precompute_training_features`). Drawing a fresh affine
transform for every image of every batch would re-encode each image at every step; instead every
training view gets ``n_copies`` random affine copies, drawn once (seeded per shape, view and copy, so a
subset of shapes gets the same copies as the full set), encoded once through the feature cache, and kept
in memory (float16). Each batch then samples, per object, two different views and one copy of each. With
``n_copies`` = K the set of augmentations seen is finite (K per view) rather than fresh at every step; the
frozen encoder makes this the only expensive part, and K = 4 copies of 5 views already give
5 x 4 x 16 = 320 ordered image pairs per object.

Public API: :func:`precompute_training_features`, :func:`train_feature_mask` (returns a
:class:`MaskTraining`), :class:`MaskedValidation` (a fast ``val_eval_fn``), :func:`save_training`,
:func:`trained_mask_path` / :func:`chapter_mask_root` (checkpoints written by the notebooks),
:func:`mask_for` (pick a shipped or trained checkpoint), and the shipped checkpoints :func:`shipped_mask`,
:func:`shipped_masks`, :func:`shipped_history`, :func:`check_mask_matches`, :func:`train_shipped_masks`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from ...data.paths import datasets_dir
from ...data.procedural import get_spec, load_materialized, materialize
from ...encoders import FeatureCache, encode_with_cache, get_encoder
from ...io import atomic_path, atomic_write_json
from ...losses import clip_contrastive_loss
from ...retrieval.distances import shape_distances_and_views
from ...retrieval.metrics import accuracy_table
from ...retrieval.modulation import MODES, FeatureModulation, load_modulation, modulation_metadata, save_modulation
from ...retrieval.pipeline import METHODS, PAPER_VIEWS, Framing, features_for
from ...retrieval.transforms import apply_affine, random_affine
from .experiments import Evaluator

log = logging.getLogger(__name__)

#: App. B.5 hyper-parameters.
PAPER_BATCH_SIZE = 32
PAPER_LR = 1e-3
PAPER_THRESHOLD = 0.1
#: CLIP's initial temperature (logit scale 1/0.07); the thesis keeps the loss as in CLIP and names no value.
DEFAULT_LOGIT_SCALE = 1 / 0.07
CLASS_ALIASES = {"chair": "chair", "chairs": "chair", "lamp": "lamp", "lamps": "lamp"}
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class AugmentParams:
    """Random affine augmentation of App. B.5 (fractions of the image size, degrees)."""

    max_translate: float = 0.1
    max_rotate: float = 10.0
    max_scale: float = 0.1


# ------------------------------------------------------------------------------------------ features
@dataclass
class TrainingFeatures:
    """Encoded augmented copies of the training views: ``features[s, v, k]`` is copy ``k`` of view ``v`` of
    shape ``s`` (flattened tap, float16 in memory)."""

    features: torch.Tensor  # (S, V, K, D)
    shape_ids: list[str]
    azimuths: tuple[float, ...]
    n_copies: int
    encoder: str
    tap: str
    seed: int
    augment: AugmentParams

    @property
    def n_shapes(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[-1])

    def describe(self) -> dict:
        return {"shapes": self.n_shapes, "views": list(self.azimuths), "copies_per_view": self.n_copies,
                "images_encoded": int(self.n_shapes * len(self.azimuths) * self.n_copies),
                "encoder": self.encoder, "tap": self.tap, "seed": self.seed, "augment": asdict(self.augment)}


def augmentation_rng(seed: int, shape_id: str, view: int, copy_index: int) -> np.random.Generator:
    """The generator of one augmented copy: depends only on (seed, shape, view, copy), so any subset of
    shapes gets the copies the whole set would get."""
    return np.random.default_rng(np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF, zlib.crc32(str(shape_id).encode()), int(view), int(copy_index)]))


def augmented_training_images(views: np.ndarray, shape_ids: Sequence[str], n_copies: int, seed: int = 0,
                              augment: AugmentParams = AugmentParams(), framing=None) -> np.ndarray:
    """(S, V, K, H, W) uint8: ``n_copies`` random affine copies (App. B.5) of every view, after framing
    (default: the OBB of the method, :class:`sbsr.retrieval.pipeline.Framing`)."""

    framing = Framing() if framing is None else framing
    views = np.asarray(views)
    s, v = views.shape[:2]
    if len(shape_ids) != s:
        raise ValueError(f"{len(shape_ids)} shape ids for {s} shapes of views")
    if n_copies < 1:
        raise ValueError(f"n_copies must be >= 1, got {n_copies}")
    size = views.shape[2]
    framed = framing.apply(views.reshape(s * v, *views.shape[2:]), image_size=size).reshape(s, v, size, size,
                                                                                         *views.shape[4:])
    out = np.empty((s, v, n_copies) + framed.shape[2:], dtype=np.uint8)
    for i, sid in enumerate(shape_ids):
        for j in range(v):
            for k in range(n_copies):
                params = random_affine(augmentation_rng(seed, sid, j, k), augment.max_translate, augment.max_rotate,
                                       augment.max_scale, image_size=size)
                out[i, j, k] = apply_affine(framed[i, j], params)
    return out


def precompute_training_features(encoder, train_split, n_copies: int = 4, seed: int = 0,
                                 azimuths: Sequence[float] | None = None, augment: AugmentParams = AugmentParams(),
                                 tap: str = "layer3", cache=None, chunk_shapes: int = 16, framing=None,
                                 progress: Callable | None = None) -> TrainingFeatures:
    """Encode ``n_copies`` augmented copies of every training view once (see the module docstring).

    ``train_split``: anything with ``shape_ids`` and ``views(azimuths) -> (S, V, H, W)`` (a
    :class:`sbsr.data.RetrievalSplit`). Shapes are processed ``chunk_shapes`` at a time, so that only a few
    hundred images exist at once; features go through ``cache`` (:class:`sbsr.encoders.FeatureCache`).
    """

    azimuths = tuple(float(a) for a in (PAPER_VIEWS if azimuths is None else azimuths))
    if len(azimuths) < 2:
        raise ValueError("mask training needs at least two views per shape (two sets of views per batch)")
    ids = list(train_split.shape_ids)
    if len(ids) < 2:
        raise ValueError(f"mask training needs at least two training shapes, got {len(ids)}")
    d = int(np.prod(encoder.tap_shape(tap)))
    feats = torch.empty((len(ids), len(azimuths), n_copies, d), dtype=torch.float16)
    starts = range(0, len(ids), max(1, int(chunk_shapes)))
    if progress is not None:
        starts = progress(starts, desc=f"{encoder.name}: augmented training views")
    all_views = None if hasattr(train_split, "subset") else train_split.views(list(azimuths))
    for start in starts:
        sub_ids = ids[start:start + chunk_shapes]
        if all_views is None:
            views = train_split.subset(shape_ids=sub_ids).views(list(azimuths))
        else:
            views = all_views[start:start + chunk_shapes]
        images = augmented_training_images(views, sub_ids, n_copies, seed, augment, framing)
        flat = images.reshape(-1, *images.shape[3:])
        f = encode_with_cache(encoder, list(flat), tap=tap, cache=cache)
        feats[start:start + len(sub_ids)] = torch.from_numpy(
            np.asarray(f, dtype=np.float32).reshape(len(sub_ids), len(azimuths), n_copies, d)).to(torch.float16)
    return TrainingFeatures(feats, ids, azimuths, int(n_copies), encoder.name, tap, int(seed), augment)


# ------------------------------------------------------------------------------------------ validation
class MaskedValidation:
    """A fast ``val_eval_fn``: retrieval accuracy of the validation sketches under a feature mask.

    The unmasked features of the queries and gallery views are computed once with ``settings`` (default
    "OBB, Augm. (4 imgs)", App. B.5) through :func:`sbsr.retrieval.pipeline.features_for`; a mask then only
    multiplies them (Eq. 4.2), exactly as the pipeline does with ``settings.with_(mask=path)``.
    ``evaluator``: a :class:`sbsr.systems.clip_retrieval.experiments.Evaluator`. Calling it with a
    :class:`FeatureModulation` (or ``None``: no mask) returns ``{category: {"acc@1": .., "acc@5": ..}}``.
    """

    def __init__(self, evaluator, encoder, settings=None, ks: Sequence[int] = (1, 5)):

        self.settings = (settings or METHODS["obb-augm4"]).with_(mask=None)
        self.ks = tuple(ks)
        self.categories = tuple(evaluator.categories)
        self.features = {}
        for cat in self.categories:
            imgs = evaluator.images[cat]
            q, g = features_for(imgs.split, encoder, self.settings, evaluator.cache, sketches=imgs.sketches,
                                views=imgs.views(self.settings))
            self.features[cat] = (torch.from_numpy(np.ascontiguousarray(q)), torch.from_numpy(np.ascontiguousarray(g)),
                                  np.asarray(imgs.split.targets()))

    def n_queries(self, category: str) -> int:
        return int(self.features[category][0].shape[0])

    def distances(self, module: FeatureModulation | None, category: str):
        """(Q, S) Eq. 4.1 distances and (Q, S) best views under ``module``'s effective weights."""

        q, g, _ = self.features[category]
        if module is not None:
            w = module.effective_weight().detach().to("cpu", torch.float32).reshape(-1)
            if w.numel() != q.shape[1]:
                raise ValueError(f"mask has {w.numel()} weights but the features have {q.shape[1]}")
            q, g = q * w, g * w
        dist, best = shape_distances_and_views(q, g)
        return dist.numpy(), best.numpy()

    def __call__(self, module: FeatureModulation | None) -> dict[str, dict[str, float]]:

        out = {}
        for cat in self.categories:
            dist, _ = self.distances(module, cat)
            out[cat] = accuracy_table(dist, self.features[cat][2], ks=self.ks)
        return out


# ------------------------------------------------------------------------------------------ training
@contextlib.contextmanager
def _cpu_threads(n: int | None):
    """Run the block with ``n`` torch CPU threads (``None``: unchanged), restoring the setting afterwards."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class MaskTraining:
    """What :func:`train_feature_mask` returns.

    ``best[c]``: the checkpoint with the best validation acc@1 on class ``c`` (ties: higher acc@5, then the
    earlier step; the initial, untrained state is not a candidate); ``selected[c]``: its step and
    validation accuracies; ``final``: the weights after the last step; ``history``: one row per evaluation
    (step, epoch, mean training loss since the previous evaluation, kept fraction of the mask, validation
    acc@k per class); ``losses``: the training loss of every step.
    """

    best: dict[str, FeatureModulation]
    selected: dict[str, dict]
    final: FeatureModulation
    history: "object"  # pandas.DataFrame
    losses: np.ndarray
    config: dict = field(default_factory=dict)
    seconds: float = 0.0

    def __iter__(self):  # ``best, history = train_feature_mask(...)`` also works
        return iter((self.best, self.history))


def _score(acc: dict[str, float]) -> tuple[float, float]:
    return (acc.get("acc@1", 0.0), acc.get("acc@5", 0.0))


def train_feature_mask(
    encoder,
    train_split,
    val_eval_fn: Callable[[FeatureModulation], dict] | None,
    mode: str = "binary",
    steps: int = 1000,
    batch_size: int = PAPER_BATCH_SIZE,
    lr: float = PAPER_LR,
    seed: int = 0,
    n_copies: int = 4,
    augment: AugmentParams = AugmentParams(),
    eval_every: int = 100,
    select_on: Sequence[str] = ("chair", "lamp"),
    device: str = "cpu",
    threshold: float = PAPER_THRESHOLD,
    logit_scale: float = DEFAULT_LOGIT_SCALE,
    tap: str = "layer3",
    cache=None,
    features: TrainingFeatures | None = None,
    progress: Callable | None = None,
) -> MaskTraining:
    """Train a :class:`FeatureModulation` over the frozen ``encoder``'s ``tap`` (thesis §4.2.2.2, App. B.5).

    Each step draws ``batch_size`` different training objects (an epoch = one pass over a seeded
    permutation of the objects; fewer objects than ``batch_size``: all of them), two different views of each
    and one augmented copy of each view, and minimises ``clip_contrastive_loss(m(x_a), m(x_b))`` with the
    object identities as labels. Only ``w`` is trained (Adam, ``lr``); the encoder is never called here -
    its features come from ``features`` or are computed once by :func:`precompute_training_features`.

    Every ``eval_every`` steps (and at step 0 and at the last step) ``val_eval_fn(module)`` returns
    ``{class: {"acc@1", "acc@5"}}`` on the validation sketches (e.g. :class:`MaskedValidation`); the best
    checkpoint per class of ``select_on`` is kept. ``val_eval_fn=None`` trains without selection (``best``
    then holds ``final`` for each class). Deterministic on CPU for a given ``seed``.
    """
    import pandas as pd

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if steps < 1 or eval_every < 1 or batch_size < 2:
        raise ValueError(f"need steps >= 1, eval_every >= 1 and batch_size >= 2 (got {steps}, {eval_every}, {batch_size})")
    select_on = tuple(CLASS_ALIASES.get(c, c) for c in select_on)
    if features is None:
        features = precompute_training_features(encoder, train_split, n_copies=n_copies, seed=seed, augment=augment,
                                                tap=tap, cache=cache, progress=progress)
    feats = features.features
    n_s, n_v, n_k, d = feats.shape
    if n_v < 2:
        raise ValueError("mask training needs at least two views per shape")
    tap_shape = tuple(encoder.tap_shape(features.tap)) if encoder is not None else (d,)
    if int(np.prod(tap_shape)) != d:
        raise ValueError(f"features have {d} values but the {features.tap} tap of {encoder.name} has {tap_shape}")
    dev = torch.device(device)
    module = FeatureModulation(tap_shape, mode=mode, threshold=threshold, init=1.0).to(dev)
    opt = torch.optim.Adam([module.weight], lr=lr)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x6D61736B]))  # "mask"
    b = min(int(batch_size), n_s)
    labels = torch.arange(b, device=dev)

    history: list[dict] = []
    losses = np.zeros(steps, dtype=np.float64)
    best: dict[str, FeatureModulation] = {}
    selected: dict[str, dict] = {}
    best_score: dict[str, tuple] = {}

    def evaluate(step: int, interval_loss: float) -> None:
        row = {"step": step, "epoch": step * b / n_s, "train_loss": interval_loss,
               "kept_fraction": module.kept_fraction()}
        if val_eval_fn is not None:
            module.eval()
            with torch.no_grad():
                acc = val_eval_fn(module)
            for cat, metrics in acc.items():
                for m, v in metrics.items():
                    row[f"{cat} {m}"] = float(v)
            if step > 0:
                for cat in select_on:
                    if cat not in acc:
                        raise KeyError(f"val_eval_fn returned no accuracy for class {cat!r} (has {sorted(acc)})")
                    score = _score(acc[cat])
                    if cat not in best_score or score > best_score[cat]:
                        best_score[cat] = score
                        best[cat] = copy.deepcopy(module).cpu()
                        selected[cat] = {"step": step, "epoch": row["epoch"], **{k: float(v) for k, v in acc[cat].items()},
                                         "validation": {c: dict(a) for c, a in acc.items()}}
        history.append(row)

    # The steps are small (a few 32 x D products): on a CPU, torch's worker threads only add synchronisation,
    # which costs 20x under contention (measured: 5 ms/step with 1 thread, 126 ms with 2 on a busy 2-core
    # machine); one thread also makes the run bit-reproducible.
    with _cpu_threads(1 if dev.type == "cpu" else None):
        t0 = time.perf_counter()
        evaluate(0, float("nan"))
        order = rng.permutation(n_s)
        pos = 0
        since = []
        iterator = range(1, steps + 1)
        if progress is not None:
            iterator = progress(iterator, desc=f"train {mode} mask")
        for step in iterator:
            if pos + b > n_s:
                order, pos = rng.permutation(n_s), 0
            objs = order[pos:pos + b]
            pos += b
            va = rng.integers(0, n_v, size=b)
            vb = (va + rng.integers(1, n_v, size=b)) % n_v  # a different view of the same object
            ka = rng.integers(0, n_k, size=b)
            kb = rng.integers(0, n_k, size=b)
            xa = feats[objs, va, ka].to(dev, torch.float32)
            xb = feats[objs, vb, kb].to(dev, torch.float32)
            module.train()
            loss = clip_contrastive_loss(module(xa), module(xb), logit_scale=logit_scale, labels=labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses[step - 1] = float(loss.detach())
            since.append(losses[step - 1])
            if step % eval_every == 0 or step == steps:
                evaluate(step, float(np.mean(since)))
                since = []
        seconds = time.perf_counter() - t0
    final = copy.deepcopy(module).cpu()
    if val_eval_fn is None:
        best = {cat: final for cat in select_on}
        selected = {cat: {"step": steps, "epoch": steps * b / n_s} for cat in select_on}
    config = {"mode": mode, "steps": steps, "batch_size": b, "lr": lr, "seed": int(seed), "threshold": threshold,
              "logit_scale": float(logit_scale), "eval_every": eval_every, "optimizer": "Adam", "init": 1.0,
              "training_data": features.describe()}
    return MaskTraining(best, selected, final, pd.DataFrame(history), losses, config, seconds)


# ------------------------------------------------------------------------------------------ checkpoints
def _class(best_on: str) -> str:
    try:
        return CLASS_ALIASES[best_on]
    except KeyError:
        raise ValueError(f"best_on must be 'chair' or 'lamp' (or plural), got {best_on!r}") from None


def mask_file_name(encoder_name: str, mode: str, best_on: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return f"{encoder_name}_{mode}_best-{_class(best_on)}.safetensors"


def trained_mask_path(root: str | Path, encoder_name: str, mode: str, best_on: str) -> Path:
    """Where a chapter stores the checkpoint it trained: ``<root>/<encoder>_<mode>_best-<class>.safetensors``
    (the notebooks use ``<cache_dir>/masks/<dataset>-<profile>`` as ``root``)."""
    return Path(root) / mask_file_name(encoder_name, mode, best_on)


def save_training(result: MaskTraining, root: str | Path, encoder, extra: dict | None = None) -> dict[str, Path]:
    """Write ``result.best[c]`` for every selected class to :func:`trained_mask_path`, with a JSON sidecar
    (training configuration and data sizes, the selected step and its validation accuracies, the encoder's
    weights identity). Returns ``{class: path}``."""
    out = {}
    mode = result.config["mode"]
    for cat, module in result.best.items():
        path = trained_mask_path(root, encoder.name, mode, cat)
        meta = {"encoder": encoder.name, "encoder_weights": getattr(encoder, "weights_id", ""), "tap":
                result.config["training_data"]["tap"], "best_on": cat, "selected": result.selected.get(cat, {}),
                "kept_fraction": module.kept_fraction(), "training": result.config,
                "seconds": round(result.seconds, 1), **(extra or {})}
        save_modulation(module, path, metadata=meta)
        atomic_write_json(path.with_suffix(".json"), meta)
        out[cat] = path
    hist = history_path(root, encoder.name, mode)
    with atomic_path(hist) as tmp:
        result.history.to_csv(tmp, index=False, float_format="%.6g")
    return out


def history_path(root: str | Path, encoder_name: str, mode: str) -> Path:
    """The training history (one row per evaluation) written by :func:`save_training` beside the checkpoints."""
    return Path(root) / f"{encoder_name}_{mode}_history.csv"


def shipped_history(encoder_name: str, mode: str):
    """The recorded training history of a shipped mask (pandas DataFrame), and the sidecars of its two selected
    checkpoints: ``(history, {"chair": meta, "lamp": meta})``."""
    import pandas as pd

    hist = history_path(WEIGHTS_DIR, encoder_name, mode)
    if not hist.is_file():
        raise FileNotFoundError(f"no recorded training history {hist} for the shipped {mode} mask of {encoder_name}")
    metas = {c: json.loads(shipped_mask(encoder_name, mode, c).with_suffix(".json").read_text(encoding="utf-8"))
             for c in ("chair", "lamp")}
    return pd.read_csv(hist), metas


def chapter_mask_root(cache_dir: str | Path, dataset: str, profile: str) -> Path:
    """Where the feature-masking chapter stores its checkpoints: ``<cache_dir>/masks/<dataset>-<profile>``
    (read by the test-set and appendix chapters with ``masks="trained"``)."""
    return Path(cache_dir) / "masks" / f"{dataset}-{profile}"


def mask_for(encoder_name: str, mode: str = "binary", best_on: str = "chair", source: str = "shipped",
             trained_root: str | Path | None = None) -> Path | None:
    """The checkpoint a chapter evaluates: ``source="shipped"`` (:func:`shipped_mask`) or ``"trained"`` (the
    one the feature-masking chapter wrote under ``trained_root``); ``None`` when there is none."""
    if source == "shipped":
        try:
            return shipped_mask(encoder_name, mode, best_on)
        except FileNotFoundError:
            return None
    if source == "trained":
        if trained_root is None:
            raise ValueError("source='trained' needs trained_root (see chapter_mask_root)")
        path = trained_mask_path(trained_root, encoder_name, mode, best_on)
        return path if path.is_file() else None
    raise ValueError(f"source must be 'shipped' or 'trained', got {source!r}")


def shipped_mask(encoder_name: str, mode: str = "binary", best_on: str = "chair") -> Path:
    """Path of a mask checkpoint shipped with the package (``lib/sbsr/models/weights``), trained offline by
    :func:`train_shipped_masks` for ``encoder_name``; its ``.json`` sidecar says on which data."""
    path = WEIGHTS_DIR / mask_file_name(encoder_name, mode, best_on)
    if not path.is_file():
        have = sorted(p.name for p in WEIGHTS_DIR.glob("*.safetensors"))
        raise FileNotFoundError(f"no shipped {mode} mask for {encoder_name} selected on {_class(best_on)}s: {path} "
                                f"does not exist (shipped: {', '.join(have) or 'none'}); train one with "
                                "sbsr.systems.clip_retrieval.train.train_feature_mask")
    return path


def shipped_masks() -> list[dict]:
    """One row per shipped mask: file, encoder, mode, class, selected step, validation accuracy, data sizes."""
    rows = []
    for path in sorted(WEIGHTS_DIR.glob("*.safetensors")):
        meta = modulation_metadata(path)
        module = load_modulation(path)
        sel = meta.get("selected", {})
        data = meta.get("training", {}).get("training_data", {})
        rows.append({"file": path.name, "encoder": meta.get("encoder"), "mode": module.mode,
                     "best_on": meta.get("best_on"), "weights": module.weight.numel(),
                     "kept_fraction": round(module.kept_fraction(), 4), "step": sel.get("step"),
                     "val acc@1": sel.get("acc@1"), "val acc@5": sel.get("acc@5"),
                     "training shapes": data.get("shapes"), "validation": meta.get("validation_data")})
    return rows


def check_mask_matches(path: str | Path, encoder) -> str | None:
    """A warning text when the mask at ``path`` was trained for other encoder weights than ``encoder``'s."""
    meta = modulation_metadata(path)
    want = meta.get("encoder_weights")
    have = getattr(encoder, "weights_id", None)
    if meta.get("encoder") not in (None, encoder.name):
        return f"mask {Path(path).name} was trained for encoder {meta.get('encoder')}, not {encoder.name}"
    if want and have and want != have:
        return (f"mask {Path(path).name} was trained with other weights of {encoder.name} ({want[:20]}...) than the "
                f"ones loaded ({have[:20]}...): retrain it with train_shipped_masks")
    return None


def shipped_mask_dataset_spec(n_train: int, n_validation: int) -> tuple[str, dict]:
    """``(profile, spec)`` of the procedural-v1 materialization the shipped masks are trained on: the first
    ``n_train`` training chairs and the first ``n_validation`` validation chairs and lamps of ``procedural-v1``
    (the same collections and seeds as its ``full`` profile, only fewer shapes)."""

    profile = f"masks-t{int(n_train)}-v{int(n_validation)}"
    spec = copy.deepcopy(get_spec("procedural-v1"))
    spec["profiles"][profile] = {"train": {"chair": int(n_train)},
                                 "validation": {"chair": int(n_validation), "lamp": int(n_validation)}}
    return profile, spec


def train_shipped_masks(encoder_name: str = "minclip-procedural-v1", n_train: int = 4475, n_validation: int = 200,
                        steps: int = 4000, n_copies: int = 4, eval_every: int = 100, seed: int = 0,
                        out_dir: str | Path = WEIGHTS_DIR, cache_dir: str | Path | None = "data/cache",
                        device: str = "cpu", features: TrainingFeatures | None = None,
                        progress: Callable | None = None) -> dict[str, Path]:
    """Train the binary and the continuous mask shipped with the package and write the checkpoints selected
    on chairs and on lamps (four files, each with a ``.json`` sidecar naming data sizes and validation
    accuracy, plus one training-history CSV per mode). The data are the first ``n_train`` training chairs
    and ``n_validation`` validation chairs and lamps of ``procedural-v1``
    (:func:`shipped_mask_dataset_spec`), materialized under ``data/datasets`` if needed. The training
    features (``n_train`` x 5 views x ``n_copies`` images) are computed without the disk cache (they are used
    once); ``features`` passes precomputed ones. Run as::

        python -c "from sbsr.systems.clip_retrieval.train import train_shipped_masks; train_shipped_masks()"
    """

    profile, spec = shipped_mask_dataset_spec(n_train, n_validation)
    root = datasets_dir() / "procedural-v1" / profile
    if (root / "manifest.json").is_file():
        # an existing materialization is reused even if the generator code changed since (the manifest, whose
        # fingerprints go into the sidecars, says which code made it); materialize() would rebuild it
        ds = load_materialized(root)
    else:
        ds = materialize("procedural-v1", profile=profile, root=root, spec=spec, progress=progress is not None)
    manifest = ds.manifest
    data_version = {"materialization": profile, "config_hash": getattr(manifest, "config_hash", None),
                    "code": (getattr(manifest, "config", {}) or {}).get("code")}
    encoder = get_encoder(encoder_name, device=device)
    cache = FeatureCache(Path(cache_dir) / "features") if cache_dir is not None else None
    with _cpu_threads(1 if encoder.device == "cpu" else None):
        if features is None:
            features = precompute_training_features(encoder, ds.split("train", "chair"), n_copies=n_copies,
                                                    seed=seed, cache=None, chunk_shapes=64, progress=progress)
        validation = MaskedValidation(Evaluator(ds, "validation", cache=cache), encoder)
    val_data = {"dataset": "procedural-v1", **data_version,
                "shapes": {c: len(validation.features[c][1]) for c in validation.categories},
                "queries": {c: validation.n_queries(c) for c in validation.categories},
                "setting": "OBB, Augm. (4 imgs)"}
    written = {}
    for mode in MODES:
        result = train_feature_mask(encoder, None, validation, mode=mode, steps=steps, seed=seed,
                                    eval_every=eval_every, features=features, device=device, progress=progress)
        unmasked = {k: v for k, v in result.history.iloc[0].to_dict().items() if " acc@" in k}
        paths = save_training(result, out_dir, encoder, extra={"validation_data": val_data,
                                                              "unmasked_validation": unmasked})
        for cat, p in paths.items():
            written[f"{mode}/{cat}"] = p
        log.info("%s mask: selected %s", mode, json.dumps(result.selected, default=str))
    return written
