"""sbsr.systems.sdf_inversion: generator, training, inversion, metrics, claims (thesis §4.3)."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
import trimesh

from sbsr.encoders import get_encoder
from sbsr.render import Camera
from sbsr.render.sdf import EmptySurfaceError, grid_lookup, lattice_points, render_sdf, sdf_to_mesh
from sbsr.shapes import signed_distance, voxel_iou
from sbsr.systems.sdf_inversion import claims, experiments
from sbsr.systems.sdf_inversion.data import Example, sdf_target, target_voxels
from sbsr.systems.sdf_inversion.inversion import (InversionSettings, encoder_input, invert, reduce_channels,
                                                  sketch_features)
from sbsr.systems.sdf_inversion.models import (GeneratorConfig, Provenance, SDFGenerator, load_generator,
                                               save_generator)
from sbsr.systems.sdf_inversion.train import TrainConfig, train_generator

TINY = GeneratorConfig(z_dim=8, w_dim=8, mapping_layers=2, const_channels=4, channels=(4, 4), upsample=(False, True),
                       feature_channels=4, mlp_hidden=8, mlp_layers=1)


def tiny_generator(seed=0):
    torch.manual_seed(seed)
    return SDFGenerator(TINY).eval()


@pytest.fixture(scope="module")
def minclip():
    return get_encoder("minclip-procedural-v1", device="cpu")


# --- metrics -------------------------------------------------------------------------------------------
def test_voxel_iou_by_hand():
    a = np.array([1, 1, 0, 0], bool)
    b = np.array([0, 1, 1, 0], bool)
    assert voxel_iou(a, b) == pytest.approx(1 / 3)  # intersection 1, union 3
    assert voxel_iou(a, a) == 1.0
    assert voxel_iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0
    with pytest.raises(ValueError, match="same shape"):
        voxel_iou(np.zeros(3, bool), np.zeros(4, bool))


def test_reduce_channels_keeps_the_max_of_each_group_and_its_gradient():
    x = torch.tensor([0.0, 5.0, 2.0, 1.0, 3.0, 3.5, 9.0, -1.0]).reshape(1, 8, 1, 1).requires_grad_(True)
    y = reduce_channels(x)
    assert y.flatten().tolist() == [5.0, 9.0]
    y.sum().backward()
    assert x.grad.flatten().tolist() == [0, 1, 0, 0, 0, 0, 1, 0]
    with pytest.raises(ValueError):
        reduce_channels(torch.zeros(1, 6, 1, 1))


# --- generator -----------------------------------------------------------------------------------------
def test_generator_shapes_and_truncation():
    g = tiny_generator()
    styles = g.styles(torch.randn(3, TINY.z_dim))
    assert [s.shape for s in styles] == [(3, d) for d in g.style_dims()] == [(3, 4), (3, 4), (3, 4)]
    assert g.features(styles).shape == (3, 4, 8, 8, 8)
    sdf = g.sdf_grid(styles, 6)
    assert sdf.shape == (3, 6, 6, 6)
    assert sdf.abs().max().item() <= TINY.truncation
    with pytest.raises(ValueError, match="style vectors"):
        g.features(styles[:2])


def test_generator_lookup_is_trilinear_in_the_feature_volume():
    g = tiny_generator()
    feats = torch.randn(1, 4, 8, 8, 8)
    b = TINY.bound
    step = 2 * b / 7
    p0 = torch.tensor([[-b, -b, -b]])
    p_mid = torch.tensor([[-b + step / 2, -b, -b]])  # halfway between lattice points [0,0,0] and [1,0,0]
    with torch.no_grad():
        mlp = lambda f: TINY.truncation * torch.tanh(g.mlp(f)[..., 0])  # noqa: E731
        assert g.sdf_at(feats, p0).item() == pytest.approx(mlp(feats[0, :, 0, 0, 0]).item(), abs=1e-6)
        mid_feature = 0.5 * (feats[0, :, 0, 0, 0] + feats[0, :, 1, 0, 0])
        assert g.sdf_at(feats, p_mid).item() == pytest.approx(mlp(mid_feature).item(), abs=1e-6)
        assert torch.allclose(grid_lookup(feats, p_mid, b)[0, 0], mid_feature, atol=1e-6)


def test_average_styles_are_deterministic_per_seed():
    g = tiny_generator()
    a, b, c = g.average_styles(50, seed=1), g.average_styles(50, seed=1), g.average_styles(50, seed=2)
    assert [x.shape for x in a] == [(1, d) for d in g.style_dims()]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_marching_cubes_on_an_untrained_generator_gives_a_clear_error_or_an_empty_mesh():
    g = tiny_generator()
    with torch.no_grad():
        g.mlp[-1].bias.fill_(10.0)  # tanh saturates: the field is +truncation everywhere (no surface)
        sdf = g(torch.zeros(1, TINY.z_dim), 8)[0]
    with pytest.raises(EmptySurfaceError, match="no surface"):
        sdf_to_mesh(sdf, TINY.bound)
    assert len(sdf_to_mesh(sdf, TINY.bound, empty="empty").faces) == 0
    # and the evaluation reports it as a missing Chamfer distance, not a crash
    target = -np.ones((8, 8, 8), np.float32) * 0.1
    voxels = np.zeros((4, 4, 4), bool)
    voxels[1:3, 1:3, 1:3] = True
    ex = Example("x", None, {}, target, np.zeros((4, 3)), voxels)
    ev = experiments.evaluate_styles(g, g.average_styles(4), ex, 8)
    assert np.isnan(ev.chamfer) and ev.iou == 0.0


def test_gradients_flow_to_the_style_vectors_through_renderer_and_encoder(minclip):
    g = tiny_generator()
    styles = [s.clone().requires_grad_(True) for s in g.average_styles(10)]
    sdf = g.sdf_grid(styles, 8)[0]
    img = render_sdf(sdf, Camera(azimuth=0, elevation=20), bound=TINY.bound, image_size=16, n_samples=8, tau=0.05).image
    x = encoder_input(img, minclip)
    assert x.shape == (1, 3, minclip.preprocess.image_size, minclip.preprocess.image_size)
    minclip.features(x, "layer3").pow(2).mean().backward()
    for s in styles:
        assert s.grad is not None and torch.isfinite(s.grad).all()
    assert sum(s.grad.abs().sum().item() for s in styles) > 0


# --- inversion -----------------------------------------------------------------------------------------
def test_sdf_inversion_is_deterministic_and_lowers_the_loss():
    g = tiny_generator()
    target = g(torch.randn(1, TINY.z_dim, generator=torch.Generator().manual_seed(3)), 6)[0].detach().numpy()
    st = InversionSettings("sdf", iterations=12, lr=0.05, snapshot_every=5, resolution=6)
    a = invert(g, g.average_styles(20), st, target_sdf=target)
    b = invert(g, g.average_styles(20), st, target_sdf=target)
    assert a.losses == b.losses and len(a.losses) == 13
    assert all(torch.equal(x, y) for x, y in zip(a.best_styles, b.best_styles))
    assert [it for it, _ in a.snapshots] == [0, 5, 10, 12]
    assert min(a.losses) < a.losses[0]
    assert a.losses[a.best_iteration] == min(a.losses)
    with pytest.raises(ValueError, match="lattice"):
        invert(g, g.average_styles(20), InversionSettings("sdf", 2, resolution=5), target_sdf=target)


def test_clip_inversion_is_deterministic(minclip):
    g = tiny_generator()
    sketch = np.full((224, 224), 255, np.uint8)
    sketch[60:160, 100:120] = 0
    feats = sketch_features(minclip, {0.0: sketch})
    st = InversionSettings("clip", iterations=2, resolution=6, render_size=16, n_samples=8, tau=0.05,
                           reduce="argmax4", l1_pull=0.5)
    a = invert(g, g.average_styles(20), st, target_features=feats, encoder=minclip)
    b = invert(g, g.average_styles(20), st, target_features=feats, encoder=minclip)
    assert a.losses == b.losses
    assert all(torch.equal(x, y) for x, y in zip(a.snapshots[-1][1], b.snapshots[-1][1]))
    with pytest.raises(KeyError, match="azimuths"):
        invert(g, g.average_styles(20), InversionSettings("clip", 1, azimuths=(30.0,), resolution=6),
               target_features=feats, encoder=minclip)


def test_settings_reject_unknown_loss_and_reduction():
    with pytest.raises(ValueError, match="loss"):
        InversionSettings("lpips", 10)
    with pytest.raises(ValueError, match="reduce"):
        InversionSettings("clip", 10, reduce="mean")


# --- training, checkpoints ---------------------------------------------------------------------------
def test_training_is_deterministic_and_fits_the_code_gaussian():
    grids = np.random.default_rng(0).uniform(-0.1, 0.1, (3, 6, 6, 6)).astype(np.float32)
    cfg = TrainConfig(n_shapes=3, resolution=6, steps=3, batch=2, points=32, seed=4)
    m1, c1, h1 = train_generator(grids, cfg, TINY)
    m2, c2, _ = train_generator(grids, cfg, TINY)
    assert torch.equal(c1, c2)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert torch.allclose(m1.z_mean, c1.mean(0))
    assert torch.equal(m1.z_chol, torch.tril(m1.z_chol))
    assert h1[-1]["step"] == 3
    with pytest.raises(ValueError, match="grids"):
        train_generator(grids[:, :5], cfg, TINY)


def test_checkpoint_round_trip_and_clear_errors(tmp_path):
    g = tiny_generator()
    path = save_generator(g, tmp_path / "g.safetensors", Provenance("cmd", 0, "abc", "test objective"))
    g2, meta = load_generator(path)
    assert meta["command"] == "cmd" and meta["objective"] == "test objective"
    assert all(torch.equal(a, b) for a, b in zip(g.state_dict().values(), g2.state_dict().values()))
    side = path.with_suffix(".json")
    d = json.loads(side.read_text())
    d["sha256"] = "0" * 64
    side.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="g.safetensors"):
        load_generator(path)
    with pytest.raises(FileNotFoundError, match="nope"):
        load_generator(tmp_path / "nope.safetensors")


def test_shipped_checkpoint_loads_and_generates_surfaces():
    g, meta = load_generator()
    assert "not adversarial" in meta["objective"] and meta["command"].endswith("--retrain")
    sdf = g(g.sample_z(2, torch.Generator().manual_seed(0)), 16)
    assert sdf.shape == (2, 16, 16, 16) and (sdf < 0).any() and (sdf > 0).any()


def test_target_voxels_fill_the_mesh_over_the_cube():
    box = trimesh.creation.box(extents=(0.4, 0.4, 0.4))  # [-0.2, 0.2]^3 in a cube of side 1, 4^3 voxels of 0.25
    v = target_voxels(box, 0.5, resolution=4)
    assert v.sum() == 8 and v[1:3, 1:3, 1:3].all()  # the 8 voxels of [-0.25, 0.25]^3 (centres +-0.125 inside)
    assert target_voxels(None, 0.5, 4).sum() == 0


def test_sdf_target_equals_the_clamped_exact_signed_distance():
    box = trimesh.creation.box(extents=(0.6, 0.3, 0.4))
    got = sdf_target(box, 7, 0.5, 0.1)
    exact = np.clip(signed_distance(box, lattice_points(7, 0.5)), -0.1, 0.1).reshape(7, 7, 7)
    assert np.allclose(got, exact, atol=1e-6)


# --- tables and claims -----------------------------------------------------------------------------------
def _per_example():
    rows = []
    for sid, (avg, d3, clip, arg, ora) in {"a": (0.04, 0.01, 0.05, 0.03, 0.02),
                                           "b": (0.06, 0.02, 0.05, np.nan, 0.05)}.items():
        for (m, pick), v in {(experiments.AVERAGE, "-"): avg, (experiments.M3D, "lowest loss"): d3,
                             (experiments.CLIP, "lowest loss"): clip, (experiments.ARGMAX, "lowest loss"): arg,
                             (experiments.CLIP, "oracle pick"): ora}.items():
            rows.append({"method": m, "pick": pick, "shape_id": sid, "iteration": 0, "chamfer": v, "iou": 0.5})
    return pd.DataFrame(rows)


def test_summary_table_by_hand():
    s = experiments.summary_table(_per_example(), data="d", encoder="e", profile="quick").set_index(["method", "pick"])
    row = s.loc[(experiments.AVERAGE, "-")]
    assert row["chamfer_mean"] == pytest.approx(0.05)  # (0.04 + 0.06) / 2
    assert row["chamfer_std"] == pytest.approx(np.sqrt(2 * 0.01 ** 2))  # sample std of 0.04, 0.06
    arg = s.loc[(experiments.ARGMAX, "lowest loss")]
    assert arg["empty_meshes"] == 1 and arg["chamfer_mean"] == pytest.approx(0.03)
    assert list(s.reset_index()["data"].unique()) == ["d"]


def test_claims_by_hand():
    t = claims.reconstruction_claims(_per_example())
    held = {c[:12]: bool(h) for c, h in zip(t["claim"], t["holds here"])}
    assert len(t) == 4  # no L1-pull or multi-view rows in the input: those claims are left out
    assert held["With SDF sup"] is True      # 3D beats average in 2 of 2
    assert held["With the CLI"] is False     # 0.05 vs 0.04 loses, 0.05 vs 0.06 wins: 1 of 2
    assert held["The lowest l"] is True      # oracle 0.02 < 0.05 in example a
    assert held["Reducing the"] is False     # 0.03 < 0.05 (a), empty mesh loses (b): 1 of 2
    beats, sentence = claims.clip_beats_average(_per_example())
    assert beats is False and "does not beat" in sentence     # means 0.05 vs 0.05
