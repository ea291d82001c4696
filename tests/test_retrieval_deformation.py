"""Joint retrieval and deformation (Uy et al. 2021): deformation, Eq. 1-4, modules, data and determinism."""

import math

import numpy as np
import pytest
import torch

from sbsr.systems.retrieval_deformation import data as rd_data
from sbsr.systems.retrieval_deformation import experiments as rd_exp
from sbsr.systems.retrieval_deformation import train as rd_train
from sbsr.systems.retrieval_deformation.models import (DeformationModule, RetrievalModule, deform_parts,
                                                       part_boxes, reflect_x)


def test_identity_parameters_leave_shape_unchanged():
    pts = torch.rand(2, 30, 3)
    labels = torch.randint(0, 3, (2, 30))
    centers = torch.rand(2, 3, 3)
    out = deform_parts(pts, labels, centers, torch.zeros(2, 3, 6))
    assert torch.equal(out, pts)


def test_known_scale_and_translation_move_a_part_exactly():
    # part 1 spans x in [0, 2] around the box centre (1, 1, 1); scale x by 1 + 1 = 2, translate z by 0.5:
    # (0,1,1) -> 1 + 2 * (0 - 1) = -1 -> (-1, 1, 1.5);  (2,1,1) -> 1 + 2 * 1 = 3 -> (3, 1, 1.5)
    pts = torch.tensor([[[0.0, 0, 0], [0, 1, 1], [2, 1, 1]]])
    labels = torch.tensor([[0, 1, 1]])
    centers, mask = part_boxes(pts.numpy(), labels.numpy(), np.array([2]), 2)
    assert centers[0, 1].tolist() == [1.0, 1.0, 1.0] and mask.tolist() == [[True, True]]
    params = torch.zeros(1, 2, 6)
    params[0, 1] = torch.tensor([1.0, 0, 0, 0, 0, 0.5])
    out = deform_parts(pts, labels, torch.as_tensor(centers), params)
    assert out[0].tolist() == [[0.0, 0.0, 0.0], [-1.0, 1.0, 1.5], [3.0, 1.0, 1.5]]


def test_eq1_probabilities():
    # d = (0, 100), sigma0 = 100: logits (0, -1) -> (1, e^-1) / (1 + e^-1) = (0.7311, 0.2689)
    p = rd_train.soft_retrieval_probs(torch.tensor([[0.0, 100.0]]), 100.0)
    e = math.exp(-1)
    assert p[0].tolist() == pytest.approx([1 / (1 + e), e / (1 + e)])
    # per-source sigma: d = (1, 2), sigma = (1, 2): both logits -1 -> uniform
    p = rd_train.soft_retrieval_probs(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    assert p.tolist() == pytest.approx([0.5, 0.5])


def test_eq2_embedding_loss():
    # p_R = (0.7311, 0.2689) as above; d_fit = (0.01, 0.01) with sigma_k = 0.01: p_fit = (0.5, 0.5)
    # L = |0.7311 - 0.5| + |0.2689 - 0.5| = 2 * 0.2311 = 0.4621
    loss = rd_train.embedding_loss(torch.tensor([[0.0, 100.0]]), torch.tensor([[0.01, 0.01]]), 100.0,
                                   torch.tensor([[0.01, 0.01]]))
    e = math.exp(-1)
    assert float(loss) == pytest.approx(2 * (1 / (1 + e) - 0.5))
    # equal distributions: zero loss
    assert float(rd_train.embedding_loss(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 2.0]]), 1.0,
                                         torch.ones(1, 2))) == pytest.approx(0.0)


def test_eq4_deformation_loss():
    # 0.25 * 2 + 0.75 * 4 = 3.5
    assert float(rd_train.deformation_loss(torch.tensor([[0.25, 0.75]]), torch.tensor([[2.0, 4.0]]))) == 3.5


def test_sample_candidates_without_replacement_and_seeded():
    logits = torch.zeros(3, 12)
    a = rd_train.sample_candidates(logits, 10, torch.Generator().manual_seed(0))
    b = rd_train.sample_candidates(logits, 10, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == (3, 10)
    assert all(len(set(r.tolist())) == 10 for r in a)
    peaked = torch.full((1, 12), -1e9)
    peaked[0, 7] = 0.0
    assert rd_train.sample_candidates(peaked, 1, torch.Generator().manual_seed(3)).tolist() == [[7]]
    with pytest.raises(ValueError, match="cannot sample"):
        rd_train.sample_candidates(logits, 13)


def test_symmetry_loss_zero_for_symmetric_shape():
    pts = torch.rand(1, 20, 3)
    sym = torch.cat([pts, reflect_x(pts)], 1)
    assert float(rd_train.symmetry_loss(sym)[0]) == 0.0
    assert float(rd_train.symmetry_loss(pts + torch.tensor([1.0, 0, 0]))[0]) > 0


def test_deformation_module_any_number_of_parts():
    torch.manual_seed(0)
    m = DeformationModule(n_sources=3, max_parts=5, modality="points")
    out = m(torch.rand(2, 40, 3), torch.tensor([[0, 1], [2, 0]]))
    assert out.shape == (2, 2, 5, 6)
    assert float(out.detach().abs().max()) < 0.05  # starts near the identity
    assert m.mlp[0].in_features == 256 + 32 + 256 and [l.out_features for l in m.mlp[::2]] == [512, 256, 6]


def test_retrieval_module_shapes():
    r = RetrievalModule(n_sources=4, modality="image")
    d2 = r.distances(torch.rand(3, 3, 32, 32), None)
    assert d2.shape == (3, 4) and bool((d2 >= 0).all())


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    cache = tmp_path_factory.mktemp("rd")
    return rd_data.load_class("table", 4, 4, 2, n_points=64, n_views=1, image_size=32, seed=0, cache_dir=cache), cache


def test_data_pools_disjoint_and_cached(tiny):
    data, cache = tiny
    assert not set(data.sources.ids) & set(data.train.ids) and not set(data.train.ids) & set(data.test.ids)
    assert data.train.images.shape == (4, 1, 32, 32, 3) and data.sources.images is None
    assert all(data.sources.labels[i].max() + 1 == data.sources.n_parts[i] for i in range(4))
    again = rd_data.load_class("table", 4, 4, 2, n_points=64, n_views=1, image_size=32, seed=0, cache_dir=cache)
    assert again.fingerprint() == data.fingerprint()


def test_bad_cache_and_class(tmp_path):
    with pytest.raises(ValueError, match="unknown class"):
        rd_data.load_class("lamp", 2, 2, 2)
    bad = tmp_path / "retrieval_deformation" / "chair-S2-T2-E2-P8-V1-I16-s0.npz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match="chair-S2-T2-E2-P8-V1-I16-s0.npz"):
        rd_data.load_class("chair", 2, 2, 2, n_points=8, n_views=1, image_size=16, cache_dir=tmp_path)


def test_training_deterministic_per_seed(tiny):
    data, _ = tiny
    prep = rd_train.prepare(data, "points")
    cfg = rd_train.TrainConfig(epochs_df=2, epochs_joint=1, batch_size=2, k=3, train_points=32)
    a = rd_train.train_deformer_random(prep, cfg, seed=1)
    b = rd_train.train_deformer_random(prep, cfg, seed=1)
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    j = rd_train.train_joint(prep, cfg, a.deformer, "biased", seed=1)
    assert j.retriever is not None and len(j.history) == 1
    fits = rd_train.fit_matrix(j.deformer, prep)
    assert fits.shape == (2, 4) and bool((fits >= 0).all())


def test_mds_and_chamfer_matrix():
    pts = torch.rand(5, 16, 3)
    d = rd_exp.chamfer_matrix(pts)
    assert d.shape == (5, 5) and np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    x = rd_exp.mds_embedding(d, n_components=256, seed=0)
    assert x.shape == (5, 4)
