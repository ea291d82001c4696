"""Feature masking / weighting training (thesis §4.2.2.2, §4.2.3.3, App. B.5): sbsr.systems.clip_retrieval.train."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import trimesh

from sbsr.losses import clip_contrastive_loss
from sbsr.retrieval.modulation import FeatureModulation, load_modulation, save_modulation
from sbsr.systems.clip_retrieval.train import (AugmentParams, MaskedValidation, TrainingFeatures, augmented_training_images,
                                 precompute_training_features, save_training, shipped_history, shipped_mask, shipped_masks,
                                 train_feature_mask, trained_mask_path)
from sbsr.render import Camera, render


# --------------------------------------------------------------------------------------- the binary mask
def test_binary_mask_forward_and_straight_through_backward_by_hand():
    m = FeatureModulation((4,), mode="binary", threshold=0.1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.05, 0.1, 0.5, -2.0]))
    x = torch.tensor([[2.0, 3.0, -1.0, 4.0]])
    y = m(x)
    # forward: w >= 0.1 keeps the feature unscaled, below it drops it (Eq. 4.3)
    torch.testing.assert_close(y, torch.tensor([[0.0, 3.0, -1.0, 0.0]]))
    # backward: the plain gradient of x * w, also for the dropped features (0.05 and -2.0)
    c = torch.tensor([[1.0, -2.0, 0.5, 3.0]])
    (y * c).sum().backward()
    torch.testing.assert_close(m.weight.grad, torch.tensor([2.0, -6.0, -0.5, 12.0]))


def test_a_gradient_step_can_switch_a_feature_off_and_on():
    m = FeatureModulation((2,), mode="binary", threshold=0.1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.105, 0.095]))
    opt = torch.optim.SGD([m.weight], lr=0.01)
    x = torch.tensor([[1.0, 1.0]])
    (m(x) * torch.tensor([[1.0, -1.0]])).sum().backward()  # grad (+1, -1): w0 goes down, w1 goes up
    opt.step()
    torch.testing.assert_close(m.weight.data, torch.tensor([0.095, 0.105]))
    torch.testing.assert_close(m(x), torch.tensor([[0.0, 1.0]]))


def test_contrastive_loss_of_masked_features_by_hand():
    """The training objective on a hand-made batch: the third feature is masked out, which leaves the 2x2
    case a = (1,0),(0,1); b = (1,0),(1,1)/sqrt2 with logit scale 2."""
    m = FeatureModulation((3,), mode="binary")
    with torch.no_grad():
        m.weight.copy_(torch.tensor([1.0, 0.7, 0.05]))
    a = torch.tensor([[1.0, 0.0, 5.0], [0.0, 1.0, 5.0]], dtype=torch.float64)
    b = torch.tensor([[1.0, 0.0, -5.0], [1.0, 1.0, -5.0]], dtype=torch.float64)
    loss = clip_contrastive_loss(m(a), m(b), logit_scale=2.0, labels=torch.tensor([0, 1]))
    r2 = math.sqrt(2)
    rows = -math.log(math.exp(2) / (math.exp(2) + math.exp(r2))) - math.log(math.exp(r2) / (1 + math.exp(r2)))
    cols = -math.log(math.exp(2) / (math.exp(2) + 1)) + math.log(2)
    assert loss.item() == pytest.approx(0.5 * (rows / 2 + cols / 2), rel=1e-6)
    loss.backward()
    # kept features get the plain gradient; a feature masked on both sides gets none: the cosine logits do
    # not depend on it, so with this loss a binary mask only ever switches features off
    assert m.weight.grad[1].abs().item() > 0
    assert m.weight.grad[2].item() == 0.0


# --------------------------------------------------------------------------------------- training loop
def _synthetic(n_shapes=24, n_views=3, n_copies=2, d_object=6, d_noise=6, seed=0):
    """Features whose first ``d_object`` values identify the object (same in every view) and whose last
    ``d_noise`` values are large view-dependent noise: a good weighting keeps the first and drops the rest."""
    rng = np.random.default_rng(seed)
    obj = rng.normal(size=(n_shapes, 1, 1, d_object))
    obj = np.broadcast_to(obj, (n_shapes, n_views, n_copies, d_object)) + 0.05 * rng.normal(
        size=(n_shapes, n_views, n_copies, d_object))
    noise = 3.0 * rng.normal(size=(n_shapes, n_views, n_copies, d_noise))
    feats = torch.tensor(np.concatenate([obj, noise], axis=-1), dtype=torch.float16)
    return TrainingFeatures(feats, [f"s{i}" for i in range(n_shapes)], tuple(range(n_views)), n_copies, "synthetic",
                            "flat", seed, AugmentParams())


def _train(features, mode="continuous", seed=0, **kw):
    enc = SimpleNamespace(name="synthetic", tap_shape=lambda tap: (features.n_features,))
    kw = {"steps": 60, "lr": 0.05, "batch_size": 8, "eval_every": 20, **kw}
    return train_feature_mask(enc, None, kw.pop("val", None), mode=mode, seed=seed, features=features, **kw)


def test_training_is_deterministic_per_seed_on_cpu():
    feats = _synthetic()
    a, b, c = _train(feats, seed=3), _train(feats, seed=3), _train(feats, seed=4)
    assert torch.equal(a.final.weight, b.final.weight)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not torch.equal(a.final.weight, c.final.weight)


def test_training_weights_object_features_above_view_noise():
    feats = _synthetic()
    res = _train(feats, mode="continuous", steps=150)
    w = res.final.weight.detach()
    assert w[:6].mean() > w[6:].mean() + 0.5
    assert res.losses[-20:].mean() < res.losses[:20].mean()
    # binary: the same signal switches noise features off (weights start at 1, threshold 0.1)
    wb = _train(feats, mode="binary", steps=150).final
    kept = (wb.weight.detach() >= 0.1).float()
    assert kept[:6].mean() > kept[6:].mean()


def test_checkpoint_selection_per_class_skips_the_initial_state():
    feats = _synthetic()
    script = {  # evaluation index -> (chair acc@1, lamp acc@1); step 0 is best but is not a candidate
        0: (90, 90), 1: (50, 10), 2: (70, 20), 3: (60, 40),
    }
    calls = []

    def val(module):
        i = len(calls)
        calls.append(module.weight.detach().clone())
        ch, la = script[i]
        return {"chair": {"acc@1": ch, "acc@5": 100.0}, "lamp": {"acc@1": la, "acc@5": 100.0}}

    res = _train(feats, steps=60, eval_every=20, val=val)
    assert list(res.history["step"]) == [0, 20, 40, 60]
    assert res.selected["chair"]["step"] == 40 and res.selected["lamp"]["step"] == 60
    torch.testing.assert_close(res.best["chair"].weight.detach(), calls[2])
    torch.testing.assert_close(res.best["lamp"].weight.detach(), res.final.weight.detach())
    assert list(res.history["chair acc@1"]) == [90, 50, 70, 60]
    best, history = res  # tuple-style unpacking
    assert set(best) == {"chair", "lamp"} and len(history) == 4


def test_save_training_writes_checkpoints_and_sidecars(tmp_path):
    feats = _synthetic()
    res = _train(feats, mode="binary", steps=20, eval_every=10,
                 val=lambda m: {"chair": {"acc@1": 1.0, "acc@5": 2.0}, "lamp": {"acc@1": 3.0, "acc@5": 4.0}})
    enc = SimpleNamespace(name="synthetic", weights_id="w0")
    paths = save_training(res, tmp_path, enc)
    assert paths["chair"] == trained_mask_path(tmp_path, "synthetic", "binary", "chairs")
    back = load_modulation(paths["lamp"])
    assert back.mode == "binary" and back.weight.numel() == 12
    meta = json.loads(paths["chair"].with_suffix(".json").read_text())
    assert meta["selected"]["step"] == 10 and meta["training"]["batch_size"] == 8
    hist = (tmp_path / "synthetic_binary_history.csv").read_text().splitlines()
    assert hist[0].startswith("step,epoch,train_loss,kept_fraction") and len(hist) == 4  # steps 0, 10, 20


# --------------------------------------------------------------------------------------- augmented copies
class BoxSplit:
    def __init__(self, ids=("a", "b", "c")):
        ext = {"a": (0.6, 0.3, 0.2), "b": (0.2, 0.7, 0.3), "c": (0.4, 0.4, 0.6)}
        self.shape_ids = list(ids)
        self.meshes = [trimesh.creation.box(extents=ext[i]) for i in ids]

    def views(self, azimuths, **kw):
        return np.stack([np.stack([render(m, Camera(azimuth=a), outputs=("lines",)).lines for a in azimuths])
                         for m in self.meshes])


def test_augmented_copies_depend_only_on_shape_view_and_copy():
    views = BoxSplit().views((0.0, 90.0))
    full = augmented_training_images(views, ["a", "b", "c"], n_copies=2, seed=5)
    alone = augmented_training_images(views[1:2], ["b"], n_copies=2, seed=5)
    assert full.shape == (3, 2, 2, 224, 224)
    np.testing.assert_array_equal(full[1], alone[0])
    assert not np.array_equal(full[1, 0, 0], full[1, 0, 1])  # two different random copies
    other = augmented_training_images(views[1:2], ["b"], n_copies=2, seed=6)
    assert not np.array_equal(other[0], alone[0])


def test_precompute_training_features_encodes_every_copy():
    torch.set_num_threads(1)
    from sbsr.encoders import get_encoder

    enc = get_encoder("minclip-procedural-v1", device="cpu", allow_random=True)
    split = BoxSplit(("a", "b"))
    tf = precompute_training_features(enc, split, n_copies=2, azimuths=(0.0, 45.0))
    d = int(np.prod(enc.tap_shape("layer3")))
    assert tf.features.shape == (2, 2, 2, d) and tf.features.dtype == torch.float16
    imgs = augmented_training_images(split.views((0.0, 45.0)), ["a", "b"], 2, 0)
    direct = enc.encode([imgs[1, 1, 0]], tap="layer3").reshape(-1)
    torch.testing.assert_close(tf.features[1, 1, 0].float(), direct, atol=2e-3, rtol=2e-3)
    assert tf.describe()["images_encoded"] == 8


# --------------------------------------------------------------------------------------- validation
class TinyRetrievalSplit(BoxSplit):
    """Three boxes; sketch i is view i of box i (exact copies)."""

    name, category = "validation", "box"
    AZ = (0.0, 45.0, 90.0)

    def __init__(self):
        super().__init__()
        self.sketches = [SimpleNamespace(sketch_id=f"sk{i}") for i in range(3)]

    def views(self, azimuths, style="line", elevation=20.0, progress=False, **kw):
        return super().views(azimuths)

    def sketch_images(self):
        v = self.views(self.AZ)
        return np.stack([v[i, i] for i in range(3)])

    def targets(self):
        return np.arange(3)


def test_masked_validation_equals_the_pipeline_with_the_mask_file(tmp_path):
    torch.set_num_threads(1)
    from sbsr.encoders import get_encoder
    from sbsr.systems.clip_retrieval.experiments import Evaluator
    from sbsr.retrieval.pipeline import METHODS, run_retrieval

    enc = get_encoder("minclip-procedural-v1", device="cpu", allow_random=True)
    ds = SimpleNamespace(split=lambda name, cat: TinyRetrievalSplit())
    ev = Evaluator(ds, "validation", categories=("box",))
    settings = METHODS["obb-augm4"].with_(views=TinyRetrievalSplit.AZ)
    val = MaskedValidation(ev, enc, settings)
    mask = FeatureModulation(enc.tap_shape("layer3"), mode="binary")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        mask.weight.copy_(torch.rand(mask.weight.shape, generator=g))  # ~10 % of features masked
    path = save_modulation(mask, tmp_path / "m.safetensors")
    run = run_retrieval(TinyRetrievalSplit(), enc, settings.with_(mask=str(path)))
    dist, best = val.distances(mask, "box")
    np.testing.assert_allclose(dist, run.distances, rtol=1e-5, atol=1e-9)
    np.testing.assert_array_equal(best, run.best_view)
    assert val(mask) == {"box": run.accuracy((1, 5))}
    assert val(None)["box"]["acc@1"] == 100.0  # identical images: distance 0 to the right box


# --------------------------------------------------------------------------------------- shipped masks
def test_shipped_masks_for_minclip():
    for mode in ("binary", "continuous"):
        for cls in ("chair", "lamps"):
            path = shipped_mask("minclip-procedural-v1", mode, cls)
            m = load_modulation(path)
            assert m.mode == mode and m.weight.numel() == 128 * 8 * 8
            meta = json.loads(path.with_suffix(".json").read_text())
            assert meta["encoder"] == "minclip-procedural-v1" and meta["best_on"] == ("chair" if cls == "chair" else "lamp")
            assert meta["training"]["training_data"]["shapes"] >= 40 and meta["training"]["batch_size"] == 32
            assert meta["training"]["lr"] == 1e-3
    assert len(shipped_masks()) >= 4
    for mode in ("binary", "continuous"):
        hist, metas = shipped_history("minclip-procedural-v1", mode)
        assert {"step", "train_loss", "kept_fraction", "chair acc@1", "lamp acc@5"} <= set(hist.columns)
        assert metas["chair"]["selected"]["step"] in set(hist["step"])
    with pytest.raises(FileNotFoundError, match="no shipped binary mask for random-RN101"):
        shipped_mask("random-RN101", "binary", "chair")
    with pytest.raises(ValueError, match="best_on"):
        shipped_mask("minclip-procedural-v1", "binary", "table")
