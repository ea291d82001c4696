"""sbsr.encoders.minclip: tokenizer, architecture and taps, training loop, checkpoints."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import torch

from sbsr.encoders import get_encoder, list_encoders
from sbsr.encoders.minclip import (MAX_CHECKPOINT_BYTES, MinClipConfig, WordTokenizer, build_minclip,
                                   count_parameters, load_minclip, save_minclip, train_minclip)

TINY = MinClipConfig(image_size=32, stem_width=8, widths=(8, 8, 16, 16), blocks=(1, 1, 1, 1), embed_dim=16,
                     context_length=8, text_width=16, text_layers=1, text_heads=2, hash_buckets=16)
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220), "black": (0, 0, 0)}


def toy_batches(n_steps: int, seed: int = 0):
    """Four flat colours per batch, captioned with their name (a task a tiny model learns in steps)."""
    rng = np.random.default_rng(seed)
    names = list(COLOURS)
    for _ in range(n_steps):
        order = rng.permutation(len(names))
        imgs = [np.broadcast_to(np.array(COLOURS[names[i]], np.uint8), (32, 32, 3)).copy() for i in order]
        yield imgs, [f"a {names[i]} square" for i in order]


def test_tokenizer_hand_computed():
    tok = WordTokenizer(vocabulary=["a", "chair"], hash_buckets=16, context_length=6)
    assert tok.vocab_size == 4 + 2 + 16
    ids = tok(["A chair!", "chair seen from the left side"])
    assert ids[0].tolist() == [1, 4, 5, 2, 0, 0]
    hashed = 4 + 2 + zlib.crc32(b"seen") % 16
    assert ids[1].tolist()[:3] == [1, 5, hashed]
    assert ids[1].tolist()[-1] == 2  # truncated, end token kept
    assert WordTokenizer.vocabulary_from(["A b", "b, c"]) == ["a", "b", "c"]


def test_default_architecture_shapes_and_size():
    model = build_minclip()
    x = torch.zeros(2, 3, 224, 224)
    with torch.inference_mode():
        assert model.visual.forward_stage(x, 3).shape == (2, 128, 14, 14)
        assert model.encode_image(x).shape == (2, 256)
        assert model.encode_text(["a chair", "a tall lamp seen from above"]).shape == (2, 256)
    assert count_parameters(model) * 4 < MAX_CHECKPOINT_BYTES


def test_training_is_deterministic_and_learns(monkeypatch):
    import sbsr.losses

    calls = []
    real = sbsr.losses.clip_contrastive_loss

    def spy(a, b, logit_scale=1 / 0.07, labels=None):
        calls.append(a.shape)
        return real(a, b, logit_scale, labels=labels)

    monkeypatch.setattr(sbsr.losses, "clip_contrastive_loss", spy)
    torch.manual_seed(123)
    state_before = torch.get_rng_state()
    m1, h1 = train_minclip(toy_batches(30), steps=30, lr=5e-3, seed=3, log_every=10, config=TINY, warmup_steps=3)
    assert torch.equal(torch.get_rng_state(), state_before)  # global RNG untouched
    m2, h2 = train_minclip(toy_batches(30), steps=30, lr=5e-3, seed=3, log_every=10, config=TINY, warmup_steps=3)
    assert len(calls) == 60 and calls[0] == (4, 16)
    assert [h["step"] for h in h1] == [10, 20, 30]
    assert [h["loss"] for h in h1] == [h["loss"] for h in h2]
    for (k, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert torch.equal(a, b), k
    assert h1[-1]["loss"] < 0.5 * h1[0]["loss"]  # chance level is log(4) = 1.39
    assert h1[-1]["batch_acc"] == 100.0
    _, h3 = train_minclip(toy_batches(30), steps=30, lr=5e-3, seed=4, log_every=10, config=TINY, warmup_steps=3)
    assert h3[0]["loss"] != h1[0]["loss"]  # the seed matters


def test_training_stops_when_batches_run_out_and_checks_captions():
    _, hist = train_minclip(toy_batches(3), steps=5, config=TINY, log_every=100)
    assert hist[-1]["step"] == 3 and "ended after 3 of 5" in hist[-1]["note"]
    with pytest.raises(ValueError, match="one caption per image"):
        train_minclip(iter([([np.zeros((32, 32), np.uint8)] * 2, ["only one"])]), steps=1, config=TINY)


def test_save_load_roundtrip_and_sha_check(tmp_path):
    model, hist = train_minclip(toy_batches(2), steps=2, config=TINY, log_every=1)
    path = save_minclip(model, tmp_path / "m.safetensors", params={"steps": 2}, metrics={"acc": 1.0}, history=hist)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["params"] == {"steps": 2} and meta["metrics"] == {"acc": 1.0} and len(meta["sha256"]) == 64
    assert meta["config"]["widths"] == [8, 8, 16, 16]
    loaded, meta2 = load_minclip(path)
    assert meta2 == meta
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="sha256"):
        load_minclip(path)
    with pytest.raises(ValueError, match="safetensors"):
        save_minclip(model, tmp_path / "m.pt")


def test_registry_loads_checkpoint_from_env(tmp_path, monkeypatch):
    model = build_minclip(TINY, seed=1)
    path = save_minclip(model, tmp_path / "minclip-test.safetensors")
    monkeypatch.setenv("SBSR_MINCLIP", str(path))
    info = {i.name: i for i in list_encoders()}["minclip-procedural-v1"]
    assert info.available and str(path) in info.reason
    enc = get_encoder("minclip-procedural-v1", device="cpu")
    assert enc.weights_source.startswith("pretrained:") and enc.weights_id.startswith("sha256:")
    assert enc.taps == {"layer1": (8, 8, 8), "layer2": (8, 4, 4), "layer3": (16, 2, 2), "layer4": (16, 1, 1),
                        "embedding": (16,)}
    imgs = [np.full((32, 32), 255, np.uint8), np.zeros((32, 32, 3), np.uint8)]
    feats = enc.encode(imgs, "layer3")
    assert feats.shape == (2, 16, 2, 2)
    assert torch.equal(feats, enc.encode(imgs, "layer3"))
    with torch.inference_mode():
        ref = model.eval().visual.forward_stage(enc.preprocess(imgs), 3)
    torch.testing.assert_close(feats, ref)
    assert enc.clip_model.encode_text(["a chair"]).shape == (1, 16)
