"""Ji & Wang voxel/image encoder (seed 004): Eq. 1 vs pytorch-metric-learning, the KDE viewpoint
sampler, triplets and split, the encoder's Table 1 sizes, byte formatting, the wide results status."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from pytorch_metric_learning import losses

from sbsr.book import status
from sbsr.shapes import generate_shape
from sbsr.systems.voxel_image import data as vdata
from sbsr.systems.voxel_image.experiments import parse_bytes, table_1_wide
from sbsr.systems.voxel_image.models import (
    ChannelConfig,
    CrossDomainEncoder,
    batch_loss,
    human_bytes,
    lifted_structure_loss,
    triplet_loss_eq1,
)

# Hand-computed Eq. 1 (alpha = 1, m = 2):
#   i=0: v=(0,0), p=(1,0), n=(2,0): D2(p,v)=1, D2(n,v)=4 -> max(1-4+1, 0) = 0
#   i=1: v=(1,0), p=(1,1), n=(1,0.5): D2(p,v)=1, D2(n,v)=0.25 -> max(1-0.25+1, 0) = 1.75
#   L = (0 + 1.75) / 2 = 0.875
V = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
P = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
N = torch.tensor([[2.0, 0.0], [1.0, 0.5]])


def test_triplet_loss_matches_eq1_by_hand():
    loss = batch_loss("triplet", triplet_loss_eq1(), V, P, N, torch.tensor([0, 1]), torch.tensor([5, 6]))
    assert float(loss) == pytest.approx(0.875)


def test_pml_defaults_differ_from_eq1():
    emb = torch.cat([V, P, N])
    a = torch.arange(2)
    default = losses.TripletMarginLoss(margin=1.0)(emb, indices_tuple=(a, a + 2, a + 4))
    assert float(default) != pytest.approx(0.875)


def test_lifted_loss_uses_voxel_pairs_too():
    fn = lifted_structure_loss()
    car = torch.tensor([0, 1])
    base = float(batch_loss("lifted", fn, V, P, N, car, torch.tensor([1, 0])))
    # moving the two voxels apart (images fixed) changes the lifted loss: voxel-voxel pairs count
    moved = float(batch_loss("lifted", fn, V * 3, P, N, car, torch.tensor([1, 0])))
    assert base != pytest.approx(moved)
    with pytest.raises(ValueError, match="unknown loss"):
        batch_loss("contrastive", fn, V, P, N, car, car)


def test_kde_sampler_is_seeded_and_within_range():
    s = vdata.KDEViewpointSampler(vdata.reference_viewpoints(seed=0))
    a, b, c = s.sample(400, 1), s.sample(400, 1), s.sample(400, 2)
    assert a.shape == (400, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert (a[:, 0] >= 0).all() and (a[:, 0] < 360).all()
    assert (a[:, 1] >= vdata.ELEVATION_RANGE[0]).all() and (a[:, 1] <= vdata.ELEVATION_RANGE[1]).all()
    assert (a[:, 2] >= vdata.IN_PLANE_RANGE[0]).all() and (a[:, 2] <= vdata.IN_PLANE_RANGE[1]).all()
    # the stated prior concentrates at low elevation: |N(0,9)|+2 has median 2 + 9*0.674 = 8.1 degrees
    assert 5.0 < np.median(a[:, 1]) < 12.0
    with pytest.raises(ValueError, match="reference viewpoints"):
        vdata.KDEViewpointSampler(np.zeros((3, 2)))


def test_sphere_points_by_hand():
    # azimuth 0, elevation 0 -> +Z; azimuth 90 -> +X; elevation 90 -> +Y
    p = vdata.sphere_points(np.array([[0.0, 0.0, 0.0], [90.0, 0.0, 0.0], [0.0, 90.0, 0.0]]))
    assert np.allclose(p, [[0, 0, 1], [1, 0, 0], [0, 1, 0]], atol=1e-12)


def test_triplets_and_split():
    train, test = vdata.split_80_20(50, 0)
    assert len(train) == 40 and len(test) == 10 and not set(train) & set(test)
    rows = vdata.sample_triplets(test, 12, 24, np.random.default_rng(0))
    assert rows.shape == (24, 4)
    assert set(rows[:, 0]) <= set(test) and set(rows[:, 2]) <= set(test)
    assert (rows[:, 0] != rows[:, 2]).all()
    assert ((rows[:, [1, 3]] >= 0) & (rows[:, [1, 3]] < 12)).all()


def test_voxel_channels_one_hot():
    occ = np.zeros((2, 3, 3, 3), bool)
    occ[0, 1, 1, 1] = True
    ch = vdata.voxel_channels(occ)
    assert ch.shape == (2, 2, 3, 3, 3) and ch.dtype == np.float32
    assert ch[0, 0, 1, 1, 1] == 1 and ch[0, 1, 1, 1, 1] == 0 and (ch.sum(axis=1) == 1).all()


def test_render_view_background_is_one_random_colour():
    img = vdata.render_view(generate_shape("car", 0, 0), 30.0, 10.0, 20.0, 40, np.random.default_rng(0))
    assert img.shape == (40, 40, 3) and img.dtype == np.uint8
    corners = img[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == corners[0]).all()


def test_encoder_shapes_follow_table_1():
    small = CrossDomainEncoder("2-conv-2-fc", ChannelConfig(3, 2, 32, 2, 2, 4, hidden=16, width_scale=0.25),
                               ChannelConfig(2, 3, 48, 2, 2, 6, hidden=16, width_scale=0.25))
    assert small.encode_voxels(torch.zeros(3, 2, 32, 32, 32)).shape == (3, 128)
    assert small.encode_images(torch.zeros(3, 3, 48, 48)).shape == (3, 128)
    with pytest.raises(ValueError, match="unknown architecture"):
        CrossDomainEncoder("4-conv-1-fc")


@pytest.fixture(scope="module")
def table_1():
    return table_1_wide("d", "e", "quick")


def test_table_1_at_paper_sizes(table_1):
    t = table_1.set_index(["channel", "label"])
    # voxel conv1b: 32^3 x 32 float32 = 32768 * 32 * 4 B = 4 MiB (printed: 2MB)
    assert t.loc[("voxel", "conv1b"), "memory_bytes"] == 4 * 2 ** 20
    # voxel fc3: (8192 * 4096 + 4096) * 4 B
    assert t.loc[("voxel", "fc3"), "weights_bytes"] == (8192 * 4096 + 4096) * 4
    assert t.loc[("image", "pool2"), "size-out"] == "6 × 6 × 128"
    assert t.loc[("voxel", "flat2"), "size-out"] == "8192"


def test_table_1_wide_flags_the_printed_slips(table_1):
    t = table_1
    flagged = t.set_index(["channel", "label"])["inconsistent"]
    assert "memory" in flagged[("voxel", "conv1b")]
    assert flagged[("voxel", "rect1b")] == "" and flagged[("voxel", "fc3")] == ""
    total = t[t.channel == "total"].iloc[0]
    assert abs(total["memory_bytes"] - 48 * 2 ** 20) < 0.05 * 48 * 2 ** 20  # image outputs counted twice


def test_byte_formatting_by_hand():
    assert parse_bytes("2MB") == 2 * 2 ** 20 and parse_bytes("307.5KB") == 307.5 * 1024
    assert parse_bytes("576B") == 576 and parse_bytes("0") == 0 and np.isnan(parse_bytes("p = 3"))
    assert human_bytes(314928) == "307.5KB" and human_bytes(2 ** 21) == "2MB" and human_bytes(576) == "576B"


def test_status_reads_a_wide_results_table(tmp_path: Path):
    path = tmp_path / "ji_table_1.csv"
    pd.DataFrame({"channel": ["voxel", "voxel"], "label": ["pool0", "conv1a"], "memory": ["256KB", "2MB"],
                  "memory (published)": ["256 KB", ""], "data": "d", "encoder": "e", "profile": "quick"}
                 ).to_csv(path, index=False)
    row = status.StatusRow(id="ji_table_1", kind="table", seed="", label="", caption="", status=status.NOT_YET)
    out = status._wide_table_status(path, row, n_published=2)
    assert out.matched == 1 and out.status == status.PARTIALLY and out.profile == "quick"


def test_car_data_cache_roundtrip_and_given_meshes(tmp_path: Path):
    meshes = [(f"m{i}", generate_shape("car", 3, i)) for i in range(3)]
    a = vdata.load_or_build(tmp_path, n_cars=3, views=2, voxel_res=8, image_size=16, seed=0, meshes=meshes)
    b = vdata.load_or_build(tmp_path, n_cars=3, views=2, voxel_res=8, image_size=16, seed=0, meshes=meshes)
    assert a.shape_ids == ["m0", "m1", "m2"] == b.shape_ids
    assert np.array_equal(a.images, b.images) and np.array_equal(a.voxels, b.voxels)
    assert a.voxels.shape == (3, 8, 8, 8) and a.images.shape == (3, 2, 16, 16, 3)
    assert len(list((tmp_path / "voxel_image").glob("cars-*.npz"))) == 1
