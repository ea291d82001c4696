"""SketchyDepth (thesis ch. 3): scene geometry, data, networks, training determinism, checkpoints."""

import json

import numpy as np
import pytest
import torch

from sbsr.render import Camera
from sbsr.systems.sketchy_depth import train as tr
from sbsr.systems.sketchy_depth.data import (CLASSES, FAR, SceneConfig, compose_partial, generate_scenes,
                                             ground_depth, horizon_row, load_scenes, split_labels)
from sbsr.systems.sketchy_depth.experiments import paint_depth
from sbsr.systems.sketchy_depth.models import PatchDiscriminator, enable_test_dropout, unet_for

TINY = SceneConfig(n_scenes=6, image_size=32, seed=0, bank_size=2, p_background_only=0.5)


@pytest.fixture(scope="module")
def tiny():
    return generate_scenes(TINY)


def test_ground_depth_known_plane():
    # camera at (0, 0, 5) looking along -z (elevation 0), fov 90 at 64 px: f = 32 / tan(45 deg) = 32.
    # Row 47 has camera-space direction y = -(47.5 - 32) / 32; the plane y = -0.5 is hit at
    # t = 0.5 * 32 / 15.5 = 1.0323, and t is the view depth (the direction's view component is 1).
    cam = Camera(azimuth=0, elevation=0, distance=5, fov=90, image_size=64)
    depth, points = ground_depth(cam, ground_y=-0.5)
    assert depth[47, 10] == pytest.approx(0.5 * 32 / 15.5)
    assert points[47, 10, 1] == pytest.approx(-0.5)
    assert np.isinf(depth[:32]).all()  # at or above the horizon: sky
    assert horizon_row(cam) == pytest.approx(32.0)


def test_scene_depth_is_the_ground_where_grass(tiny):
    g, _ = ground_depth(TINY.camera())
    for k in range(len(tiny)):
        grass = tiny["classes"][k] == CLASSES["grass"]
        assert grass.any()
        np.testing.assert_allclose(tiny["depth"][k][grass], np.minimum(g[grass], FAR), rtol=1e-5)
        assert (tiny["depth"][k][tiny["classes"][k] == CLASSES["sky"]] == FAR).all()
        # objects stand in front of the ground behind them
        assert (tiny["depth"][k] <= np.minimum(g, FAR) + 1e-4).all()


def test_scenes_deterministic_and_shaped(tiny):
    again = generate_scenes(TINY)
    for key in ("rgb", "depth", "partial", "sketch_fg", "sketch_bg", "classes", "instances"):
        np.testing.assert_array_equal(tiny[key], again[key])
    assert tiny["rgb"].shape == (6, 32, 32, 3) and tiny["depth"].dtype == np.float32
    assert set(tiny["kind"]) <= {"fb", "bo"}
    bo = tiny["kind"] == "bo"
    assert (tiny["n_objects"][bo] == 0).all() and (tiny["n_objects"][~bo] > 0).all()
    # partial = sketch where no object, the object's RGB where there is one
    k = int(np.flatnonzero(~bo)[0]) if (~bo).any() else 0
    m = tiny["fg_mask"][k]
    np.testing.assert_array_equal(tiny["partial"][k][m], tiny["rgb"][k][m])
    sketch = np.minimum(tiny["sketch_fg"][k], tiny["sketch_bg"][k])
    np.testing.assert_array_equal(tiny["partial"][k][~m][:, 0], sketch[~m])


def test_compose_partial_shift():
    fg = np.full((4, 4), 255, np.uint8)
    fg[1, 1] = 0
    bg = np.full((4, 4), 255, np.uint8)
    rgb = np.zeros((4, 4, 3), np.uint8)
    mask = np.zeros((4, 4), bool)
    mask[2, 2] = True
    out = compose_partial(fg, bg, rgb, mask, shift=(1, 0))  # one pixel to the right
    assert out[1, 2, 0] == 0 and out[1, 1, 0] == 255        # the stroke moved
    assert (out[2, 3] == 0).all() and out[2, 2, 0] == 255   # the pasted pixel moved


def test_split_proportions():
    lab = split_labels(100, 0.2, 0.15, seed=0)
    # 20 test, round(0.15 * 80) = 12 validation, 68 train
    assert (lab == "test").sum() == 20 and (lab == "validation").sum() == 12 and (lab == "train").sum() == 68


def test_load_scenes_caches(tmp_path):
    cfg = SceneConfig(n_scenes=3, image_size=32, bank_size=1)
    a = load_scenes(cfg, tmp_path)
    assert a.path is not None and a.path.is_file()
    b = load_scenes(cfg, tmp_path)
    np.testing.assert_array_equal(a["depth"], b["depth"])
    a.path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable scene cache"):
        load_scenes(cfg, tmp_path)


def test_networks_shapes():
    g = unet_for(64, 4, 3, ngf=4)
    assert g(torch.zeros(2, 4, 64, 64)).shape == (2, 3, 64, 64)
    with pytest.raises(ValueError, match="takes 64x64"):
        g(torch.zeros(1, 4, 32, 32))
    with pytest.raises(ValueError, match="power of two"):
        unet_for(48, 3, 3)
    assert unet_for(128, 3, 3).num_downs == 7  # pix2pix unet_128
    d = PatchDiscriminator(7, ndf=4, n_layers=3)
    assert d(torch.zeros(1, 7, 64, 64)).shape == (1, 1, 6, 6)


def test_test_time_dropout_varies():
    torch.manual_seed(0)
    g = enable_test_dropout(unet_for(64, 3, 3, ngf=4))
    x = torch.randn(1, 3, 64, 64)
    assert not torch.equal(g(x), g(x))
    g.eval()
    assert torch.equal(g(x), g(x))


def test_variants_networks():
    cfg = tr.TrainConfig(ngf=4, ndf=4, d_layers=2)
    assert set(tr.build_models("baseline", 32, cfg)) == {"G_i", "D_i"}
    assert set(tr.build_models("no_depth", 32, cfg)) == {"G_i", "D_i", "D_j"}
    assert set(tr.build_models("no_joint", 32, cfg)) == {"G_i", "D_i", "G_d", "D_d"}
    assert set(tr.build_models("full", 32, cfg)) == {"G_i", "D_i", "G_d", "D_d", "D_j"}
    with pytest.raises(ValueError, match="unknown variant"):
        tr.build_models("nope", 32, cfg)


def test_training_deterministic_and_checkpoint(tiny, tmp_path):
    cfg = tr.TrainConfig(epochs=1, batch_size=2, ngf=4, ndf=4, d_layers=2, seed=3)
    a = tr.train_variant("full", tiny, cfg)
    b = tr.train_variant("full", tiny, cfg)
    for k in a.nets:
        for (n1, p1), (_, p2) in zip(a.nets[k].state_dict().items(), b.nets[k].state_dict().items()):
            assert torch.equal(p1, p2), (k, n1)
    assert {"D_i", "D_d", "D_j", "G_i", "G_d", "G_j"} <= set(a.history[0])
    path = tr.save_checkpoint(a, tiny, cfg, "test", weights_dir=tmp_path)
    loaded, meta = tr.load_checkpoint("full", tiny, cfg, weights_dir=tmp_path)
    assert meta["data_sha256"] == tiny.data_hash and meta["command"] == "test"
    ip, _, _ = tr.to_tensors(tiny, np.arange(2))
    i1, d1 = tr.generate(a.nets, ip)
    i2, d2 = tr.generate(loaded.nets, ip)
    assert torch.allclose(i1, i2, atol=2e-2) and torch.allclose(d1, d2, atol=2e-2)  # float16 storage
    other = tr.TrainConfig(epochs=2, batch_size=2, ngf=4, ndf=4, d_layers=2, seed=3)
    assert tr.load_checkpoint("full", tiny, other, weights_dir=tmp_path)[0] is None
    path.with_suffix(".json").write_text("{broken")
    with pytest.raises(ValueError, match="not valid JSON"):
        tr.load_checkpoint("full", tiny, cfg, weights_dir=tmp_path)


def test_shipped_checkpoints_have_sidecars():
    for v in list(tr.VARIANTS) + [tr.MONODEPTH]:
        p = tr.checkpoint_path(v)
        assert p.is_file() and p.stat().st_size < 4_000_000
        meta = json.loads(p.with_suffix(".json").read_text())
        assert meta["command"].endswith("--retrain") and len(meta["data_sha256"]) == 64
        assert meta["train_config"] == tr.asdict(tr.QUICK_TRAIN)


def test_depth_round_trip():
    d = torch.tensor([[[[-1.0, 0.0, 1.0]]]])
    np.testing.assert_allclose(tr.to_depth(d)[0, 0], [0.0, FAR / 2, FAR])


def test_paint_depth():
    d = np.full((32, 32), 0.9)
    out, mask = paint_depth(d, "tree", 0.5, 0.8, 0.5, 0.2)
    assert mask.sum() > 10 and (out[mask] == 0.2).all() and (out[~mask] == 0.9).all()
    with pytest.raises(ValueError, match="unknown depth-sketch shape"):
        paint_depth(d, "cow", 0.5, 0.5, 0.2, 0.1)


def test_checkpoint_data_mismatch(tiny, tmp_path):
    cfg = tr.TrainConfig(epochs=1, batch_size=3, ngf=4, ndf=4, d_layers=2, seed=1)
    res = tr.train_variant("baseline", tiny, cfg, max_batches=1)
    assert res.history[0]["batches"] == 1
    tr.save_checkpoint(res, tiny, cfg, "test", weights_dir=tmp_path)
    other = generate_scenes(SceneConfig(n_scenes=3, image_size=32, seed=5, bank_size=1))
    none, reason = tr.load_checkpoint("baseline", other, cfg, weights_dir=tmp_path)
    assert none is None and "other data" in reason
    assert tr.load_checkpoint("baseline", other, cfg, weights_dir=tmp_path, require_data_match=False)[0] is not None
