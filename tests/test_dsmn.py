"""DSMN system (sbsr.systems.dsmn): data, networks, losses of the loop, determinism, tables and claims."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from sbsr.retrieval.class_metrics import METRICS
from sbsr.shapes import generate_shape
from sbsr.systems.dsmn import claims as dclaims
from sbsr.systems.dsmn import experiments as ex
from sbsr.systems.dsmn.data import (BenchmarkSpec, benchmark_spec, encode_benchmark, load_mi3dor_folder, model_views,
                                    natural_image, procedural_benchmark)
from sbsr.systems.dsmn.models import DSMN, RetrievalNet
from sbsr.systems.dsmn.train import TrainConfig, TrainData, pair_js, semantic_focus_loss, train

TINY = BenchmarkSpec("tiny", "MI3DOR", True, (2, 1), (1, 1), categories=("chair", "mug", "table"), image_size=32,
                     n_views=4)


# --- data -----------------------------------------------------------------------------------------------------
def test_model_views_are_twelve_phong_views_on_white():
    views = model_views(generate_shape("mug", 0, 0), size=32)
    assert views.shape == (12, 32, 32, 3) and views.dtype == np.uint8
    assert (views[:, 0, 0] == 255).all()  # corners are background
    assert not np.array_equal(views[0], views[3])  # azimuth 0 vs 90 differ


def test_natural_images_are_deterministic_per_seed():
    mesh = generate_shape("chair", 0, 1)
    a = natural_image(mesh, np.random.default_rng(3), 32, True, [generate_shape("mug", 0, 0)], 0.5)
    b = natural_image(mesh, np.random.default_rng(3), 32, True, [generate_shape("mug", 0, 0)], 0.5)
    c = natural_image(mesh, np.random.default_rng(4), 32, True, [generate_shape("mug", 0, 0)], 0.5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_procedural_benchmark_sizes_and_splits():
    b = procedural_benchmark(TINY)
    assert len(b.images) == 3 * 3 and len(b.models) == 3 * 2
    assert len(b.split("image", "train")) == 6 and len(b.split("model", "test")) == 3
    assert b.views(0).shape == (4, 32, 32, 3)
    assert np.array_equal(b.image(2), b.image(2))
    with pytest.raises(ValueError, match="split"):
        b.split("image", "val")
    with pytest.raises(ValueError, match="positive"):
        BenchmarkSpec("x", "MI3DOR", True, (0, 1), (1, 1))
    assert benchmark_spec("MI3DOR-2").cluttered is False
    assert benchmark_spec("MI3DOR-2").models_per_class[0] > benchmark_spec("MI3DOR").models_per_class[0]


def _write_folder(root, bad_label=False):
    for k in range(6):
        Image.fromarray(np.full((8, 8, 3), 20 * k, np.uint8)).save(root / f"im{k}.png")
        Image.fromarray(np.full((8, 8, 3), 200 - 20 * k, np.uint8)).save(root / f"v{k}.png")
    (root / "list_source_train.txt").write_text("im0.png 0\nim1.png 1\n")
    (root / "list_source_test.txt").write_text("im2.png 0\nim3.png 1\n")
    (root / "list_target_train.txt").write_text("v0.png 0\nv1.png 0\n")
    (root / "list_target_test.txt").write_text(f"v2.png 1\nv3.png {0 if bad_label else 1}\nv4.png 0\nv5.png 0\n")


def test_mi3dor_folder_adapter(tmp_path):
    _write_folder(tmp_path)
    b = load_mi3dor_folder(tmp_path, n_views=2, image_size=16)
    assert list(b.images["split"]) == ["train", "train", "test", "test"]
    assert list(b.models["label"]) == [0, 1, 0] and list(b.models["split"]) == ["train", "test", "test"]
    assert b.image(1).shape == (16, 16, 3) and b.views(1).shape == (2, 16, 16, 3)
    assert b.views(1)[0, 0, 0, 0] == 200 - 40  # v2.png
    assert b.class_names == ("class 0", "class 1")


def test_mi3dor_folder_adapter_errors_name_the_file(tmp_path):
    _write_folder(tmp_path, bad_label=True)
    with pytest.raises(ValueError, match="list_target_test.txt, lines 1-2"):
        load_mi3dor_folder(tmp_path, n_views=2)
    (tmp_path / "list_source_test.txt").unlink()
    with pytest.raises(FileNotFoundError, match="list_source_test.txt"):
        load_mi3dor_folder(tmp_path, n_views=2)
    _write_folder(tmp_path)
    with pytest.raises(ValueError, match="multiple of n_views=3"):
        load_mi3dor_folder(tmp_path, n_views=3)


def test_feature_cache_is_reused(tmp_path):
    b = procedural_benchmark(TINY)
    calls = []

    def encode(batch):
        calls.append(len(batch))
        return batch.reshape(len(batch), -1)[:, :5].astype(np.float32)

    f1 = encode_benchmark(b, encode, "fake-v1", tmp_path)
    n = len(calls)
    f2 = encode_benchmark(b, encode, "fake-v1", tmp_path)
    assert len(calls) == n and np.array_equal(f1.images, f2.images) and np.array_equal(f1.models, f2.models)
    assert f1.images.shape == (9, 5) and f1.models.shape == (6, 4, 5)
    encode_benchmark(b, encode, "fake-v2", tmp_path)  # another backbone: recomputed
    assert len(calls) > n


# --- networks ---------------------------------------------------------------------------------------------------
def test_dsmn_subtracts_the_sum_of_differently_initialised_subnetworks():
    net = DSMN(4, 3, n_sub=3, seed=0)
    x = torch.randn(5, 4)
    f, ds, di = net.parts(x)
    assert torch.allclose(di, f - ds[0] - ds[1] - ds[2])
    w = [layer.weight for layer in net.specific]
    assert not torch.allclose(w[0], w[1]) and not torch.allclose(w[1], w[2])
    assert torch.allclose(DSMN(4, 3, n_sub=0).parts(x)[2], DSMN(4, 3, n_sub=0).fundamental(x))
    with pytest.raises(ValueError):
        DSMN(4, 3, n_sub=-1)


def test_model_features_max_pool_the_views():
    net = RetrievalNet(4, 3, n_sub=2).eval()
    views = torch.randn(2, 5, 4)
    per_view = net.dsmn(views.reshape(10, 4)).reshape(2, 5, -1)
    assert torch.allclose(net.di_models(views), per_view.max(dim=1).values)
    assert net.model_features(views).shape == (2, 256)


def test_pair_counts():
    p_i = torch.softmax(torch.randn(3, 4), 1)
    p_m = torch.softmax(torch.randn(2, 4), 1)
    # labels (0, 0, 1): one image-image pair (0, 1); pseudo (0, 1): image pairs (0,m0), (1,m0), (2,m1)
    _, _, n1, n2 = pair_js(p_i, torch.tensor([0, 0, 1]), p_m, torch.tensor([0, 1]))
    assert (n1, n2) == (1, 3)


def test_semantic_focus_loss_reverses_the_gradient_to_the_features():
    torch.manual_seed(0)
    net = RetrievalNet(4, 3, n_sub=1)
    f_i = torch.randn(4, 256, requires_grad=True)
    f_m = torch.randn(2, 256, requires_grad=True)
    y, pseudo = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1])
    loss = semantic_focus_loss(net, f_i, y, f_m, pseudo, temperature=10.0)
    loss.backward()
    g_rev, w_rev = f_i.grad.clone(), net.classifier[0].weight.grad.clone()
    # without reversal: +T^2 (JS_ii + JS_im) gives the features the same gradient, the classifier the opposite
    f_i.grad = None
    net.zero_grad()
    p_i = torch.softmax(net.classifier(f_i) / 10.0, 1)
    p_m = torch.softmax(net.classifier(f_m) / 10.0, 1)
    a, b, _, _ = pair_js(p_i, y, p_m, pseudo)
    (100.0 * (a + b)).backward()
    assert torch.allclose(g_rev, f_i.grad, atol=1e-6)
    assert torch.allclose(w_rev, -net.classifier[0].weight.grad, atol=1e-6)
    assert loss.item() == pytest.approx(-100.0 * (a + b).item())


# --- training -----------------------------------------------------------------------------------------------------
def _toy_data(seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 8))
    yi = np.repeat(np.arange(3), 6)
    ym = np.repeat(np.arange(3), 3)
    xi = centres[yi] + 0.3 * rng.normal(size=(18, 8))
    xm = centres[ym][:, None] + 0.5 + 0.3 * rng.normal(size=(9, 4, 8))
    return TrainData(xi.astype(np.float32), yi, xm.astype(np.float32)), ym


def test_training_is_deterministic_per_seed():
    data, _ = _toy_data()
    cfg = TrainConfig(epochs=2, batch_images=8, batch_models=4)
    a = train(data, 3, cfg)
    b = train(data, 3, cfg)
    c = train(data, 3, TrainConfig(epochs=2, batch_images=8, batch_models=4, seed=1))
    for (k, va), vb in zip(a.net.state_dict().items(), b.net.state_dict().values()):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.net.dsmn.fundamental.weight, c.net.dsmn.fundamental.weight)
    assert len(a.history) == 2 and a.seconds_per_epoch >= 0
    assert {"ce", "adv", "sf", "jan"} <= set(a.history[0])


def test_run_grid_and_tables():
    data, ym = _toy_data()
    prep = ex.Prepared("MI3DOR", procedural_benchmark(TINY), None, data, data, data.models, data.image_labels, ym,
                       "toy features", False)
    df, kept = ex.run_grid(prep, ["no_adaptation", "ds3"], [0, 1], TrainConfig(epochs=1, batch_images=8,
                                                                                 batch_models=4), keep_seed=0)
    assert set(df["metric"]) == set(METRICS) and len(df) == 2 * 2 * 6
    assert set(kept) == {"no_adaptation", "ds3"}
    rows = ex.table_rows(df, "song2023_table_1", ["MEDA [16]", "Ours"])
    ours = rows[(rows["row"] == "Ours") & (rows["metric"] == "FT")].iloc[0]
    vals = df[(df["run"] == "ds3") & (df["metric"] == "FT")]["value"]
    assert ours["value"] == pytest.approx(vals.mean()) and ours["plus_minus"] == pytest.approx(np.std(vals))
    assert rows[rows["row"] == "MEDA [16]"]["value"].isna().all()  # published only
    assert "No adaptation" in set(rows["row"])
    cos = ex.dsmn_cosines(kept["ds3"].net, data.images)
    assert set(cos["subnetwork"]) == {"DS1", "DS2", "DS3"} and cos["cosine"].between(-1, 1).all()


def test_claims_from_a_synthetic_grid():
    rows = []
    good = {"no_adaptation": 0.1, "jan": 0.2, "revgrad": 0.3, "adv_dsmn": 0.4, "adv_sf": 0.35,
            "ds1": 0.41, "ds2": 0.42, "ds3": 0.5, "ds4": 0.45, "ds5": 0.44}
    for run, v in good.items():
        for s in (0, 1):
            for m in METRICS:
                rows.append({"benchmark": "MI3DOR", "run": run, "seed": s, "metric": m,
                             "value": (1 - v) if m == "ANMRR" else v + 0.001 * s})
    cos = {"MI3DOR": pd.DataFrame({"subnetwork": ["DS1", "DS2"], "cosine": [-0.2, -0.1]})}
    table = dclaims.dsmn_claims(pd.DataFrame(rows), cos)["MI3DOR"]
    assert len(table) == 6 and table["holds here"].all()
    rows = [dict(r, value=(1 - r["value"]) if r["run"] == "jan" else r["value"]) for r in rows]
    table = dclaims.dsmn_claims(pd.DataFrame(rows), {})["MI3DOR"]
    assert not table["holds here"].iloc[0]  # JAN now beats RevGrad


def test_runs_for_reuses_identical_configurations():
    assert ex.runs_for("MI3DOR") == ["no_adaptation", "jan", "revgrad", "adv_dsmn", "adv_sf", "ds1", "ds2", "ds3",
                                     "ds4", "ds5"]
    assert "adv_sf" not in ex.runs_for("MI3DOR-2")
