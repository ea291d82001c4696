"""sbsr.encoders: registry, weights lookup, preprocessing, feature taps, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sbsr.encoders import (ENCODER_NAMES, RANDOM_WEIGHTS_MISSING, Preprocess, UnknownTapError, WeightsFormatError,
                           WeightsNotFoundError, get_encoder, list_encoders, weights_instructions)
from sbsr.encoders import openclip as oc
from sbsr.encoders import torchvision_models as tvm
from sbsr.encoders import weights as W
from sbsr.encoders.__main__ import main as cli_main
from sbsr.encoders.preprocess import CLIP_MEAN, CLIP_STD, as_rgb_uint8

EXPECTED_NAMES = ("clip-RN101-openai", "clip-ViT-B-32-openai", "clip-ViT-B-16-openai", "imagenet-resnet101",
                  "imagenet-vit-b-16", "random-RN101", "minclip-procedural-v1")
WEIGHT_ENVS = ("SBSR_CLIP_RN101", "SBSR_CLIP_VIT_B_32", "SBSR_CLIP_VIT_B_16", "SBSR_IMAGENET_RESNET101",
               "SBSR_IMAGENET_VIT_B_16", "SBSR_MINCLIP", "SBSR_ALLOW_DOWNLOAD")


@pytest.fixture(autouse=True)
def offline_weights(monkeypatch, tmp_path):
    """No weights anywhere: empty weights dir and torch hub, no HF cache hits, no network."""
    for var in WEIGHT_ENVS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SBSR_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(W, "_hf_cached", lambda repo, filename: None)
    monkeypatch.setattr(W, "download_weights", _no_network)
    monkeypatch.setattr("sbsr.encoders.registry.download_weights", _no_network)
    monkeypatch.setenv("SBSR_MINCLIP", str(tmp_path / "no-minclip.safetensors"))


def _no_network(spec):
    raise AssertionError(f"download attempted for {spec.encoder}")


@pytest.fixture(scope="module")
def rn101():
    torch.set_num_threads(2)
    return get_encoder("random-RN101", device="cpu")


@pytest.fixture(scope="module")
def images2():
    rng = np.random.default_rng(0)
    gray = np.full((224, 224), 255, np.uint8)
    gray[60:160, 100:110] = 0
    return [gray, rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)]


# --- registry / CLI ------------------------------------------------------------------------------
def test_registry_names_are_the_table_names():
    assert ENCODER_NAMES == EXPECTED_NAMES
    infos = {i.name: i for i in list_encoders()}
    assert tuple(infos) == EXPECTED_NAMES
    assert infos["random-RN101"].available
    for name in EXPECTED_NAMES:
        if name != "random-RN101":
            assert not infos[name].available, name
            assert infos[name].reason
    assert "SBSR_CLIP_RN101" in infos["clip-RN101-openai"].reason
    assert "SBSR_IMAGENET_VIT_B_16" in infos["imagenet-vit-b-16"].reason


def test_cli_list_mentions_every_encoder_and_reason(capsys):
    assert cli_main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    for name in EXPECTED_NAMES:
        (line,) = [ln for ln in lines if ln.startswith(name + " ")]
        assert (" yes " in line) == (name == "random-RN101")
        assert len(line.split(None, 2)[2]) > 10  # a reason follows
    assert "weights missing" in out and "checkpoint not found" in out
    assert cli_main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(EXPECTED_NAMES)
    assert all({"available", "reason"} <= set(r) for r in rows)


def test_cli_download_needs_permission(capsys):
    assert cli_main(["download", "clip-RN101-openai"]) == 2
    assert "SBSR_ALLOW_DOWNLOAD" in capsys.readouterr().err


def test_unknown_encoder_lists_known_names():
    with pytest.raises(KeyError, match="clip-RN101-openai"):
        get_encoder("clip-RN50")


# --- missing / local weights -------------------------------------------------------------------------
@pytest.mark.parametrize("name,var", [("clip-RN101-openai", "SBSR_CLIP_RN101"),
                                      ("imagenet-resnet101", "SBSR_IMAGENET_RESNET101")])
def test_missing_weights_error_says_how_to_get_them(name, var, tmp_path):
    with pytest.raises(WeightsNotFoundError) as exc:
        get_encoder(name, device="cpu")
    msg = str(exc.value)
    assert var in msg and "SBSR_WEIGHTS_DIR" in msg and f"{name}.safetensors" in msg
    assert "SBSR_ALLOW_DOWNLOAD=1" in msg and "allow_random=True" in msg
    assert str(tmp_path / "weights") in msg
    if name.startswith("clip"):
        assert "timm/resnet101_clip.openai" in msg and "open_clip_model.safetensors" in msg
    else:
        assert "resnet101-63fe2227.pth" in msg and "download.pytorch.org" in msg
    assert weights_instructions(name) in msg


def test_env_var_pointing_nowhere_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SBSR_CLIP_RN101", str(tmp_path / "missing.safetensors"))
    with pytest.raises(WeightsNotFoundError, match="SBSR_CLIP_RN101=.*missing.safetensors"):
        get_encoder("clip-RN101-openai", device="cpu")
    info = {i.name: i for i in list_encoders()}["clip-RN101-openai"]
    assert not info.available and "SBSR_CLIP_RN101" in info.reason


def test_weights_dir_follows_env(monkeypatch, tmp_path):
    assert W.weights_dir() == tmp_path / "weights"
    monkeypatch.delenv("SBSR_WEIGHTS_DIR")
    monkeypatch.setenv("SBSR_DATA_DIR", str(tmp_path / "data"))
    assert W.weights_dir() == tmp_path / "data" / "weights"


def test_allow_random_labels_the_encoder():
    enc = get_encoder("clip-ViT-B-32-openai", device="cpu", allow_random=True)
    assert enc.weights_source == RANDOM_WEIGHTS_MISSING and enc.is_random
    assert enc.weights_id == "random-init:ViT-B-32-quickgelu:seed0"


def test_download_only_when_allowed(monkeypatch, tmp_path):
    calls = []

    def fake_download(spec):
        calls.append(spec.encoder)
        raise WeightsNotFoundError("offline test")

    monkeypatch.setattr("sbsr.encoders.registry.download_weights", fake_download)
    with pytest.raises(WeightsNotFoundError):
        get_encoder("clip-RN101-openai", device="cpu")
    assert calls == []
    monkeypatch.setenv("SBSR_ALLOW_DOWNLOAD", "1")
    with pytest.raises(WeightsNotFoundError, match="offline test"):
        get_encoder("clip-RN101-openai", device="cpu")
    assert calls == ["clip-RN101-openai"]


def _tiny_modified_resnet(seed: int):
    from open_clip.modified_resnet import ModifiedResNet

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ModifiedResNet(layers=[1, 1, 1, 1], output_dim=16, heads=2, image_size=224, width=8)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_fake_local_clip_checkpoint_loads(monkeypatch, tmp_path, suffix):
    """A full-CLIP-style state dict ('visual.*' keys) named by the env var is loaded strictly."""
    from safetensors.torch import save_file

    monkeypatch.setattr(oc, "build_visual", lambda arch, seed=0: _tiny_modified_resnet(seed=123))
    trained = _tiny_modified_resnet(seed=7)
    state = {f"visual.{k}": v.contiguous() for k, v in trained.state_dict().items()}
    state["logit_scale"] = torch.tensor(4.6)  # text-side keys are ignored
    path = tmp_path / f"ckpt{suffix}"
    save_file(state, str(path)) if suffix == ".safetensors" else torch.save(state, path)
    monkeypatch.setenv("SBSR_CLIP_RN101", str(path))
    info = {i.name: i for i in list_encoders()}["clip-RN101-openai"]
    assert info.available and str(path) in info.reason
    enc = get_encoder("clip-RN101-openai", device="cpu")
    assert enc.weights_source.startswith("pretrained:") and "SBSR_CLIP_RN101" in enc.weights_source
    for k, v in trained.state_dict().items():
        assert torch.equal(enc.model.state_dict()[k], v), k
    assert enc.taps["layer3"] == (128, 14, 14)  # width 8 * 4 * 4
    feats = enc.encode([np.full((224, 224), 255, np.uint8)], "layer3")
    assert feats.shape == (1, 128, 14, 14)
    assert enc.weights_id.startswith("sha256:")


def test_wrong_checkpoint_keys_are_refused(monkeypatch, tmp_path):
    from safetensors.torch import save_file

    monkeypatch.setattr(oc, "build_visual", lambda arch, seed=0: _tiny_modified_resnet(seed=0))
    path = tmp_path / "timm.safetensors"
    save_file({"stem.conv1.weight": torch.zeros(4, 3, 3, 3)}, str(path))
    monkeypatch.setenv("SBSR_CLIP_RN101", str(path))
    with pytest.raises(WeightsFormatError, match="missing keys"):
        get_encoder("clip-RN101-openai", device="cpu")


def test_weights_dir_and_torchvision_loader(monkeypatch, tmp_path):
    """<SBSR_WEIGHTS_DIR>/<upstream name> is found; a torchvision state dict loads into the architecture."""
    import torchvision

    def small(arch, seed=0):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return torchvision.models.resnet18(weights=None)

    monkeypatch.setattr(tvm, "build_architecture", small)
    trained = small(None, seed=5)
    wdir = tmp_path / "weights"
    wdir.mkdir()
    torch.save(trained.state_dict(), wdir / "imagenet-resnet101.pth")
    enc = get_encoder("imagenet-resnet101", device="cpu")
    assert "SBSR_WEIGHTS_DIR" in enc.weights_source
    assert torch.equal(enc.model.conv1.weight, trained.conv1.weight)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_torchscript_archives_are_refused(tmp_path):
    path = tmp_path / "RN101.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path))
    with pytest.raises(WeightsFormatError, match="weights_only"):
        W.load_state_dict_file(path)


def test_sha256_prefix_of_torchvision_files(tmp_path):
    path = tmp_path / "resnet101-63fe2227.pth"
    path.write_bytes(b"not the real file")
    with pytest.raises(WeightsFormatError, match="63fe2227"):
        W.check_sha256_prefix(path, "63fe2227")
    W.check_sha256_prefix(tmp_path / "other.pth", "63fe2227")  # other names are not checked


# --- preprocessing ---------------------------------------------------------------------------------
def test_preprocess_hand_computed_values():
    pre = Preprocess(image_size=4)
    gray = np.array([[0, 255, 0, 255]] * 4, np.uint8)
    x = pre([gray])
    assert x.shape == (1, 3, 4, 4) and x.dtype == torch.float32
    for c in range(3):
        assert x[0, c, 0, 0].item() == pytest.approx((0 - CLIP_MEAN[c]) / CLIP_STD[c], abs=1e-6)
        assert x[0, c, 0, 1].item() == pytest.approx((1 - CLIP_MEAN[c]) / CLIP_STD[c], abs=1e-6)


def test_preprocess_resize_and_formats():
    pre = Preprocess(image_size=224)
    assert pre.to_uint8_batch([np.full((100, 60), 255, np.uint8)]).shape == (1, 3, 224, 224)
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent black -> white
    assert (as_rgb_uint8(rgba) == 255).all()
    batch = np.zeros((3, 224, 224), np.uint8)
    assert pre.to_uint8_batch(batch).shape == (3, 3, 224, 224)
    with pytest.raises(ValueError, match="ambiguous"):
        pre.to_uint8_batch(np.zeros((224, 224, 3), np.uint8))
    with pytest.raises(TypeError, match="uint8"):
        pre.to_uint8_batch([np.zeros((8, 8), np.float32)])


# --- taps ----------------------------------------------------------------------------------------------
def test_rn101_layer3_is_the_papers_tap(rn101, images2):
    assert rn101.taps["layer3"] == (1024, 14, 14) and np.prod(rn101.taps["layer3"]) == 200_704
    assert rn101.taps["embedding"] == (512,)
    feats = rn101.encode(images2, tap="layer3", batch_size=2)
    assert feats.shape == (2, 1024, 14, 14) and feats.dtype == torch.float32
    # the tap equals what a forward hook on visual.layer3 sees during the full forward pass
    seen = {}
    handle = rn101.model.layer3.register_forward_hook(lambda m, i, o: seen.setdefault("l3", o.clone()))
    try:
        with torch.inference_mode():
            emb = rn101.model(rn101.preprocess(images2))
    finally:
        handle.remove()
    torch.testing.assert_close(feats, seen["l3"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(rn101.encode(images2, "embedding"), emb, rtol=1e-5, atol=1e-6)


def test_encode_is_deterministic_on_cpu(rn101, images2):
    a = rn101.encode(images2, "layer3")
    b = rn101.encode(images2, "layer3")
    assert torch.equal(a, b)
    single = rn101.encode(images2[1:], "layer3", batch_size=1)
    torch.testing.assert_close(single[0], a[1], rtol=1e-4, atol=1e-5)


def test_encode_accepts_normalised_tensors_and_checks_taps(rn101, images2):
    x = rn101.preprocess(images2)
    torch.testing.assert_close(rn101.encode(x, "embedding"), rn101.encode(images2, "embedding"))
    with pytest.raises(UnknownTapError, match="layer3"):
        rn101.encode(images2, "block8")


def test_vit_b32_block_tap_matches_open_clip_intermediates(images2):
    enc = get_encoder("clip-ViT-B-32-openai", device="cpu", allow_random=True)
    assert enc.taps["layer3"] == enc.taps["block8"] == (768, 7, 7)
    assert enc.taps["embedding"] == (512,)
    feats = enc.encode(images2, "layer3")
    assert feats.shape == (2, 768, 7, 7)
    with torch.inference_mode():
        ref = enc.model.forward_intermediates(enc.preprocess(images2), indices=[7], intermediates_only=True)
    torch.testing.assert_close(feats, ref["image_intermediates"][0], rtol=1e-4, atol=1e-5)
    assert enc.encode(images2, "embedding").shape == (2, 512)


def test_other_architectures_tap_shapes():
    img = [np.full((224, 224), 255, np.uint8)]
    enc = get_encoder("imagenet-resnet101", device="cpu", allow_random=True)
    assert enc.weights_source == RANDOM_WEIGHTS_MISSING
    assert enc.encode(img, "layer3").shape == (1, 1024, 14, 14)
    assert enc.encode(img, "embedding").shape == (1, 2048)
    assert enc.preprocess.mean == (0.485, 0.456, 0.406)
    assert get_encoder("clip-ViT-B-16-openai", device="cpu", allow_random=True).taps["layer3"] == (768, 14, 14)
    assert get_encoder("imagenet-vit-b-16", device="cpu", allow_random=True).taps["layer3"] == (768, 14, 14)
