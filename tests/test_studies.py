"""sbsr.systems.clip_retrieval.studies: the view study (thesis §4.2.3.1) and the setting sweeps (Tables 4.1, 4.2, B.4)."""

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from sbsr.book.claims import claims_markdown
from sbsr.encoders import Encoder, Preprocess
from sbsr.retrieval import parse_augment_spec
from sbsr.systems.clip_retrieval import claims, studies
from sbsr.retrieval.metrics import StudyMatrix
from sbsr.retrieval.pipeline import AS_IS, RetrievalRun

# ------------------------------------------------------------------------------------------------ fakes


@dataclass
class FakeSketch:
    sketch_id: str
    shape_id: str
    azimuth: float
    value: int

    def load(self, size=224):
        return np.full((size, size), self.value, dtype=np.uint8)


class FakeSplit:
    """Shapes s0..s{n-1}; sketch of shape i at azimuth a has constant pixel value 10*i + a/30 (a in 0/30/75).
    Views: line = 100 + 10*i + k, rgb = that in 3 channels."""

    name, category = "validation", "chair"

    def __init__(self, n=4, azimuths=(0.0, 30.0, 75.0), drop=None, ids=None):
        self.ids = ids or [f"s{i}" for i in range(n)]
        self.sketches = [FakeSketch(f"{sid}_{a:g}", sid, a, 10 * int(sid[1:]) + int(a // 30))
                         for sid in self.ids for a in azimuths if (sid, a) != drop]
        self.views_calls = []

    @property
    def shape_ids(self):
        return list(self.ids)

    def subset(self, shape_ids=None, n_shapes=None):
        return FakeSplit(ids=list(shape_ids), azimuths=())._with_parent(self)

    def _with_parent(self, parent):
        self.parent = parent
        return self

    def views(self, azimuths, style="line", image_size=224, **kw):
        self.parent.views_calls.append((tuple(azimuths), style))
        out = np.stack([np.stack([np.full((image_size, image_size), 100 + 10 * int(sid[1:]) + k, np.uint8)
                                  for k in range(len(azimuths))]) for sid in self.ids])
        return np.repeat(out[..., None], 3, axis=-1) if style == "rgb" else out

    def targets(self):
        index = {sid: i for i, sid in enumerate(self.ids)}
        return np.array([index[s.shape_id] for s in self.sketches])


def toy_encoder(size=16):
    """A real :class:`Encoder` whose ``layer3`` is a 4x4 average pool of the normalised 16x16 input."""
    return Encoder(name="toy", model=nn.Identity(), tap_fns={"layer3": lambda m, x: nn.functional.avg_pool2d(x, 4)},
                   tap_shapes={"layer3": (3, size // 4, size // 4)}, preprocess=Preprocess(image_size=size),
                   weights_source="test", weights_id="toy", device="cpu")


def acc(c1, c5, l1, l5):
    return {"chair": {"acc@1": c1, "acc@5": c5}, "lamp": {"acc@1": l1, "acc@5": l5}}


# ------------------------------------------------------------------------------------------ view study


def test_view_study_objects_keeps_shapes_with_every_azimuth_in_gallery_order():
    split = FakeSplit(n=5, drop=("s2", 30.0))
    assert studies.view_study_objects(split) == ["s0", "s1", "s3", "s4"]
    assert studies.view_study_objects(split, 2) == ["s0", "s1"]
    picked = studies.view_study_objects(split, 3, seed=0)
    assert len(picked) == 3 and picked == sorted(picked, key=split.ids.index) and "s2" not in picked
    assert picked == studies.view_study_objects(split, 3, seed=0)
    with pytest.raises(ValueError):
        studies.view_study_objects(split, 0)


def test_view_study_images_orders_objects_and_views():
    split = FakeSplit(n=3)
    imgs = studies.view_study_images(split, ["s2", "s0"], image_size=8)
    assert imgs["sketch"].shape == (2, 3, 8, 8) and imgs["rgb"].shape == (2, 3, 8, 8, 3)
    # sketch of shape i at azimuth a has value 10 i + a // 30: 0, 30, 75 -> 0, 1, 2
    assert imgs["sketch"][:, :, 0, 0].tolist() == [[20, 21, 22], [0, 1, 2]]
    assert imgs["line"][:, :, 0, 0].tolist() == [[120, 121, 122], [100, 101, 102]]
    assert ((0.0, 30.0, 75.0), "rgb") in split.views_calls
    with pytest.raises(KeyError, match="no sketch"):
        studies.view_study_images(FakeSplit(n=2, drop=("s1", 75.0)), ["s1"], image_size=8)
    with pytest.raises(ValueError, match="unknown domain"):
        studies.view_study_images(split, ["s0"], domains=("depth",), image_size=8)


def test_encode_domains_gives_flat_features_per_object_and_view():
    split = FakeSplit(n=2)
    imgs = studies.view_study_images(split, ["s0", "s1"], image_size=16)
    feats = studies.encode_domains(toy_encoder(), imgs)
    assert set(feats) == {"sketch", "line", "rgb"}
    assert feats["line"].shape == (2, 3, 48)
    # grey line views and their RGB copies are the same picture, so the same features
    np.testing.assert_allclose(feats["line"], feats["rgb"], atol=1e-6)
    # constant images: every feature equals the normalised grey value of the red channel's mean
    mean, std = Preprocess().mean[0], Preprocess().std[0]
    assert feats["line"][1, 2, 0] == pytest.approx((112 / 255 - mean) / std, abs=1e-4)


def _matrix(mean, low, high):
    mean = np.asarray(mean, float)
    return StudyMatrix(mean, np.asarray(low, float), np.asarray(high, float), mean[..., None])


def test_diagonal_interval_overlap_and_row_minimum():
    mean = [[1.0, 2.0, 3.0], [2.0, 1.0, 1.0], [5.0, 4.0, 1.0]]
    low = [[0.9, 1.95, 2.0], [1.0, 0.5, 0.9], [4.0, 3.0, 0.5]]
    high = [[1.1, 2.05, 4.0], [3.0, 1.5, 1.1], [6.0, 5.0, 3.5]]
    m = _matrix(mean, low, high)
    # row 0: [0.9, 1.1] vs [1.95, 2.05], [2, 4]: apart; row 1: [0.5, 1.5] touches [1, 3]; row 2: [0.5, 3.5] vs [3, 5]
    assert studies.diagonal_interval_overlap(m).tolist() == [False, True, True]
    # row 1 ties (1.0 vs 1.0): not a strict minimum
    assert studies.diagonal_is_row_minimum(m).tolist() == [True, False, True]
    with pytest.raises(ValueError):
        studies.diagonal_is_row_minimum(np.zeros((2, 3)))


def test_run_view_study_hand_computed():
    n, v = 4, 3
    a = np.array([[[10.0 * i + k] for k in range(v)] for i in range(n)])  # (N, V, 1)
    feats = {"sketch": a, "line": a + 0.1, "rgb": a[[1, 0, 3, 2]]}
    study = studies.run_view_study(feats, ["s0", "s1", "s2", "s3"], n_heatmap=2, heatmap_seed=0, n_boot=200)
    sl = ("sketch", "line")
    # Eq. 4.4: d(A_i, B_j) = mean_k (10 (i - j) - 0.1)^2
    assert study.objects_all[sl].mean[0, 1] == pytest.approx(10.1 ** 2)
    assert study.objects_all[sl].mean[2, 2] == pytest.approx(0.01)
    # the Fig. 4.1 matrices are the picked sub-matrix
    pick = [study.shape_ids.index(s) for s in study.heatmap_ids]
    assert len(pick) == 2 and pick == sorted(pick)
    np.testing.assert_allclose(study.objects[sl].mean, study.objects_all[sl].mean[np.ix_(pick, pick)])
    # Eq. 4.5: d(k, h) = (k - h - 0.1)^2 for every object
    np.testing.assert_allclose(study.views[sl].mean, [[(k - h - 0.1) ** 2 for h in range(v)] for k in range(v)])
    assert study.view_matching[sl][1].estimate == 100.0
    summary = study.summary().set_index("domains")
    assert summary.loc["sketch – line", "same object closest, all N (%)"] == 100.0
    assert summary.loc["sketch – RGB", "same object closest, all N (%)"] == 0.0
    assert summary.loc["line – RGB", "objects (N)"] == 4
    table = claims.view_study_claims(study)
    assert len(table) == 5 and table.iloc[:, 2].tolist()[:2] == [False, True]
    text = claims_markdown({"toy": table}, {"toy": "4 objects"})
    assert "**toy** (4 objects): " in text and "does not hold" in text
    with pytest.raises(ValueError, match="expected"):
        studies.run_view_study(feats, ["s0"], n_heatmap=2)


# ----------------------------------------------------------------------------------------- settings


def test_settings_builders():
    sizes = studies.size_settings([0.5, 0.75])
    assert [s.sketch_framing.box for s in sizes] == [0.5, 0.75] == [s.view_framing.box for s in sizes]
    assert all(s.sketch_framing.center for s in sizes) and sizes[0].name == "box 50.0%"
    t = studies.translation_settings([[19, -4], [3.5, 0]])
    assert parse_augment_spec(t[0].augment).transforms == [(0, 0, 0), (19, -4, 0)]
    assert parse_augment_spec(t[1].augment).transforms[1] == (3.5, 0, 0)
    r = studies.rotation_settings([-23.4567891])
    assert parse_augment_spec(r[0].augment).transforms[1][2] == pytest.approx(-23.4567891, abs=1e-9)
    a4 = studies.augment_settings("augm4", (19, -4), -23.5)
    assert a4.augment == "augm4(19,-4,-23.5)" and parse_augment_spec(a4.augment).n_images == 4
    assert studies.augment_settings("augm3-no-original", (1, 2), 3).view_framing == studies.OBB_SETTINGS.view_framing


def test_best_index_breaks_ties_with_top5_then_order():
    accs = [acc(60, 80, 70, 80), acc(70, 70, 60, 90), acc(65, 95, 66, 0), acc(70, 70, 60, 90)]
    # mean acc@1: 65, 65, 65.5, 65 -> index 2
    assert studies.best_index(accs) == 2
    accs[2] = acc(64, 95, 66, 0)  # now 65 for everyone: acc@5 means 80, 80, 47.5, 80 -> first
    assert studies.best_index(accs) == 0
    assert studies.best_index(accs, ["chair"]) == 1  # 70 ties with #3: first wins
    assert studies.best_index(accs, ["lamp"]) == 0
    with pytest.raises(ValueError):
        studies.best_index([])


def test_two_stage_sweep_centres_stage_two_on_the_stage_one_best():
    def evaluate(values, stage):
        return [acc(80 - 100 * (v - 0.6) ** 2, 90, 70 - 100 * (v - 0.6) ** 2, 80) for v in values]

    seen = []
    sw = studies.two_stage_sweep("size", lambda v, s: seen.append(s) or evaluate(v, s), [0.9, 0.55, 0.7],
                                 lambda best: np.linspace(best - 0.1, best + 0.1, 5))
    assert seen == ["random", "uniform"]
    np.testing.assert_allclose(sw.uniform_values, [0.45, 0.5, 0.55, 0.6, 0.65])
    value, best_acc = sw.best()
    assert value == pytest.approx(0.6) and best_acc["chair"]["acc@1"] == pytest.approx(80.0)
    frame = sw.frame()
    assert len(frame) == 8 * 4 and set(frame.stage) == {"random", "uniform"}
    assert set(frame.columns) == {"stage", "size", "category", "metric", "value"}
    none = studies.two_stage_sweep("size", evaluate, [0.5], lambda best: [])
    assert none.uniform_accs == [] and none.values.tolist() == [0.5]


def test_two_stage_sweep_with_two_parameters():
    def evaluate(values, stage):
        return [acc(-abs(tx - 19) - abs(ty + 4), 0, 0, 0) for tx, ty in values]

    sw = studies.two_stage_sweep("tx,ty", evaluate, [[0, 0], [15, -3]], lambda best: [[best[0] + 4, best[1] - 1]])
    assert sw.best()[0] == [19.0, -4.0]
    assert set(sw.frame().columns) >= {"tx", "ty"}
    assert studies.value_key([19.0, -4.0]) == (19.0, -4.0) and studies.value_key(np.float64(0.5)) == 0.5


class FakeEvaluator:
    """Distances favour the ground truth more the closer the box size is to 0.6."""

    categories = ("chair", "lamp")

    def __init__(self):
        self.calls = 0

    def run(self, encoder, settings, category):
        self.calls += 1
        size = settings.sketch_framing.box
        targets = np.arange(6) % 3
        dist = np.ones((6, 3))
        dist[np.arange(6), targets] = 0.5 + 10 * abs(size - 0.6)  # the target wins when |size - 0.6| < 0.05
        return RetrievalRun(settings, "fake", dist, np.zeros((6, 3), int), targets, ["a", "b", "c"], list("uvwxyz"))


def test_settings_sweep_evaluates_every_setting_and_tracks_queries():
    ev = FakeEvaluator()
    seen = []
    sw = studies.settings_sweep(ev, encoder=type("E", (), {"name": "fake"})(), param="size",
                                make_settings=studies.size_settings, random_values=[0.9, 0.62],
                                uniform_around_best=lambda best: [0.61],
                                progress=lambda it, desc: seen.append(desc) or it,
                                track=studies.TrackedQueries("chair", (0, 4), k=2))
    assert ev.calls == 3 * 2 and seen == ["fake: random size", "fake: uniform size"]
    assert sw.random_accs[0]["chair"]["acc@1"] == 0.0 and sw.random_accs[1]["lamp"]["acc@1"] == 100.0
    assert set(sw.rankings) == {0.9, 0.62, 0.61}
    r = sw.rankings[0.62]
    assert r.target_rank.tolist() == [1, 1] and r.top_k[:, 0].tolist() == [0, 1] and r.top_k.shape == (2, 2)
    assert sw.rankings[0.9].target_rank.tolist() == [3, 3]


def test_evaluate_settings_keep_runs():
    ev = FakeEvaluator()
    accs, runs = studies.evaluate_settings(ev, type("E", (), {"name": "f"})(), studies.size_settings([0.6]),
                                           keep_runs=True)
    assert accs == [acc(100.0, 100.0, 100.0, 100.0)] and set(runs[0]) == {"chair", "lamp"}


def test_ranking_from_distances_hand_computed():
    dist = np.array([[0.3, 0.1, 0.2], [0.5, 0.5, 0.1], [0.0, 1.0, 2.0]])
    best_view = np.array([[0, 1, 2], [2, 2, 2], [1, 1, 1]])
    r = studies.ranking_from_distances("x", dist, best_view, [0, 1, 0], [0, 1], k=2)
    assert r.top_k.tolist() == [[1, 2], [2, 0]]  # stable sort: shape 0 before 1 on the 0.5 tie
    assert r.best_view.tolist() == [[1, 2], [2, 2]]
    assert r.target_rank.tolist() == [3, 3]  # pessimistic tie for query 1


def test_rank_queries_matches_identical_images():
    imgs = np.stack([np.full((16, 16), v, np.uint8) for v in (30, 120, 220)])
    split = FakeSplit(n=3, azimuths=(0.0,))
    holder = type("H", (), {})()
    holder.split, holder.sketches = split, imgs
    holder.views = lambda settings: imgs[:, None]
    ev = type("Ev", (), {"images": {"chair": holder}, "cache": None})()
    settings = studies.OBB_SETTINGS.with_(sketch_framing=AS_IS, view_framing=AS_IS, views=[0.0], name="as is")
    r = studies.rank_queries(ev, toy_encoder(), "chair", settings, [2, 0], k=3)
    assert r.targets.tolist() == [2, 0] and r.target_rank.tolist() == [1, 1]
    assert r.top_k.tolist() == [[2, 1, 0], [0, 1, 2]] and r.label == "as is"


# ------------------------------------------------------------------------------------------- claims


def test_mean_accuracy_and_changed_numbers():
    a, b = acc(60, 80, 50, 70), acc(70, 80, 40, 75)
    assert studies.mean_accuracy(a) == 55.0 and studies.mean_accuracy(a, "acc@5", ["lamp"]) == 70.0
    ups, downs, n = studies.changed_numbers(a, b)
    assert ups == ["chair acc@1", "lamp acc@5"] and downs == ["lamp acc@1"] and n == 4


def _sweep(param, values, accs, n_random):
    return studies.TwoStageSweep(param, np.asarray(values[:n_random], float), accs[:n_random],
                                 np.asarray(values[n_random:], float), accs[n_random:])


def test_robust_feature_claims_on_the_papers_numbers():
    # Table 4.2 as published: means of the sweeps stand in for their settings, the best rows are settings
    obb = acc(69.17, 86.00, 65.67, 78.83)
    transl = _sweep("tx,ty", [[0, 0], [21, 6], [19, -4], [17, -5], [19, -2]],
                    [acc(70.70, 86.99, 66.18, 79.94), acc(71.02, 87.81, 66.96, 80.05), acc(71.50, 88.33, 67.50, 80.00),
                     acc(72.33, 88.17, 67.00, 80.17), acc(71.17, 87.83, 68.16, 80.17)], 1)
    rot = _sweep("angle", [10.0, -25.0, -23.5], [acc(70.60, 86.65, 66.32, 79.97), acc(70.37, 87.03, 66.91, 80.61),
                                                 acc(72.33, 87.50, 67.17, 81.17)], 1)
    table = claims.robust_feature_claims(obb, transl, rot, acc(74.50, 88.33, 67.50, 81.00),
                                         acc(74.00, 89.33, 69.33, 82.17))
    assert len(table) == 8 and table.iloc[:, 2].all(), table.to_string()
    assert "3.6 px apart" in table.iloc[2, 1]
    worse = claims.robust_feature_claims(acc(90, 90, 90, 90), transl, rot, acc(74.50, 88.33, 67.50, 81.00),
                                          acc(70, 80, 60, 70))
    assert not worse.iloc[0, 2] and not worse.iloc[-1, 2] and not worse.iloc[-2, 2]


def test_augmentation_ablation_claims_on_the_papers_numbers():
    rows = {"w/o orig": acc(66.83, 83.75, 71.47, 84.69), "w/o transl": acc(70.15, 84.74, 74.17, 87.09),
            "w/o rot": acc(70.32, 86.23, 73.57, 85.89), "w/o both": acc(69.49, 87.74, 72.37, 85.89),
            "4 imgs": acc(70.64, 85.24, 74.17, 86.49)}
    table = claims.augmentation_ablation_claims(rows, full="4 imgs", without_original="w/o orig")
    assert table.iloc[:, 2].tolist() == [True, True]
    rows["w/o rot"] = acc(90, 90, 90, 90)
    assert claims.augmentation_ablation_claims(rows, "4 imgs", "w/o orig").iloc[:, 2].tolist() == [True, False]
    assert math.isclose(studies.mean_accuracy(rows["4 imgs"], "acc@5"), (85.24 + 86.49) / 2)


def test_summary_rows_mean_and_population_std():
    rows = studies.summary_rows("r", [acc(60, 80, 50, 70), acc(70, 90, 50, 60)])
    by = {(r["category"], r["metric"]): (r["value"], r["plus_minus"]) for r in rows}
    assert by[("chair", "acc@1")] == (65.0, 5.0) and by[("lamp", "acc@1")] == (50.0, 0.0)


torch.set_num_threads(1)


def test_varying_queries_and_ranking_subset():
    ranks = np.array([[1, 5, 2, 1], [1, 1, 4, 3], [1, 2, 4, 1]])
    # spreads: 0, 4, 2, 2; worst: 1, 5, 4, 3 -> query 1, then query 2 (worse than 3 at equal spread)
    assert studies.varying_queries(ranks, 2) == [1, 2]
    assert studies.varying_queries(ranks, 3) == [1, 2, 3]
    with pytest.raises(ValueError):
        studies.varying_queries(np.zeros(3), 1)
    dist = np.array([[0.3, 0.1, 0.2], [0.5, 0.5, 0.1], [0.0, 1.0, 2.0]])
    r = studies.ranking_from_distances("x", dist, np.zeros((3, 3), int), [0, 1, 0], [0, 1, 2], k=2)
    sub = r.subset([2, 0])
    assert sub.query_indices.tolist() == [2, 0] and sub.target_rank.tolist() == [1, 3]
    assert sub.top_k.tolist() == [[0, 1], [1, 2]]
    with pytest.raises(KeyError):
        r.subset([7])
