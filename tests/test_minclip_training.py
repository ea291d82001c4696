"""Training data and the shipped checkpoint of minclip-procedural-v1."""

import json

import numpy as np
import pytest
import torch

from sbsr.data.captioned import STYLES, TRAIN_SEED_BASE, build_captioned_pool, render_captioned
from sbsr.encoders import get_encoder
from sbsr.encoders.minclip import load_minclip, read_sidecar
from sbsr.encoders.registry import minclip_checkpoint_path
from sbsr.encoders.train import TRAIN_PROFILES, train, validation_images, validation_metrics
from sbsr.shapes import generate_shape


def test_pool_is_deterministic_and_captioned():
    a = build_captioned_pool(1, 2, image_size=64, seed=3, categories=("chair", "lamp"))
    b = build_captioned_pool(1, 2, image_size=64, seed=3, categories=("chair", "lamp"))
    assert a.images.shape == (4, 64, 64, 3) and a.images.dtype == np.uint8
    assert (a.images == b.images).all() and a.captions == b.captions
    assert all("chair" in c for c in a.captions[:2]) and all("lamp" in c for c in a.captions[2:])
    assert list(a.shape_index) == [0, 0, 1, 1]


@pytest.mark.parametrize("style", STYLES)
def test_each_style_names_itself_in_the_caption(style):
    shape = generate_shape("chair", TRAIN_SEED_BASE, 0)
    img, text, got = render_captioned(shape, np.random.default_rng(0), 64, style)
    assert got == style and img.shape == (64, 64, 3)
    first = {"line": ("drawing", "rendering"), "shaded": ("render",), "natural": ("photo", "picture", "image")}
    assert any(w in text.split(" chair")[0] for w in first[style]), text
    if style == "line":
        assert (img[..., 0] == img[..., 1]).all()  # grey lines


def test_training_data_never_touches_the_sketch_simulator():
    """Sketches stay zero-shot: building the training pool does not even import sbsr.sketch."""
    import subprocess
    import sys

    code = ("import sys, sbsr.data.captioned as c; c.build_captioned_pool(1, 1, 32, categories=('chair',)); "
            "print('sbsr.sketch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_quick_training_runs_and_is_deterministic():
    torch.set_num_threads(1)
    m1, p1, h1 = train("quick", seed=0, steps=2)
    m2, _, h2 = train("quick", seed=0, steps=2)
    assert p1["steps"] == 2 and p1["batch_size"] == TRAIN_PROFILES["quick"]["batch_size"]
    assert [h["loss"] for h in h1] == [h["loss"] for h in h2]
    for (k, v), (_, w) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(v, w), k


def test_validation_set_is_fixed():
    a, la, sa = validation_images(1, image_size=32)
    b, lb, sb = validation_images(1, image_size=32)
    assert (a == b).all() and (la == lb).all() and sa == sb
    assert len(set(la.tolist())) == 11 and sa[:2] == ["line", "shaded"]


def test_shipped_checkpoint_reproduces_its_recorded_metric():
    path = minclip_checkpoint_path()
    if not path.is_file():
        pytest.skip("the minclip-procedural-v1 checkpoint has not been trained yet")
    torch.set_num_threads(1)
    model, meta = load_minclip(path)
    assert path.stat().st_size <= 25 * 2**20
    recorded = meta["metrics"]
    now = validation_metrics(model)
    for key in ("zero_shot_accuracy", "zero_shot_accuracy_line", "zero_shot_accuracy_shaded"):
        assert now[key] == pytest.approx(recorded[key], abs=1e-6), key
    # chance is 1/11 = 9.1%: the shipped model must have learnt something
    assert recorded["zero_shot_accuracy"] > 30
    enc = get_encoder("minclip-procedural-v1")
    assert "random" not in enc.weights_source


def test_zero_shot_accuracy_and_confusion_by_hand(monkeypatch):
    import sbsr.encoders.train as tr
    from sbsr.encoders.zeroshot import zero_shot_accuracy

    logits = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.0, 0.1, 0.9]])
    monkeypatch.setattr(tr, "zero_shot_logits", lambda model, images, names: logits)
    acc, conf = zero_shot_accuracy(None, None, np.array([0, 1, 2, 2]), ("a", "b", "c"))
    assert acc == 75.0
    assert conf.tolist() == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]


@pytest.mark.parametrize("domain", ["line", "sketch"])
def test_domain_images_are_deterministic(domain):
    from sbsr.encoders.zeroshot import domain_images

    a, la = domain_images(domain, 1, image_size=64)
    b, lb = domain_images(domain, 1, image_size=64)
    assert a.shape == (11, 64, 64, 3) and (a == b).all() and list(la) == list(range(11))
