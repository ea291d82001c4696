import math

import pytest

from sbsr.encoders import load_encoders

from sbsr.systems.clip_retrieval.experiments import EncoderBudget, accuracy_rows, best_setting, sweep_rows


def acc(c1, c5, l1, l5):
    return {"chair": {"acc@1": c1, "acc@5": c5}, "lamp": {"acc@1": l1, "acc@5": l5}}


def test_accuracy_rows():
    rows = accuracy_rows("OBB", acc(60, 80, 50, 70))
    assert {(r["category"], r["metric"], r["value"]) for r in rows} == {
        ("chair", "acc@1", 60.0), ("chair", "acc@5", 80.0), ("lamp", "acc@1", 50.0), ("lamp", "acc@5", 70.0)}
    assert all(r["row"] == "OBB" and math.isnan(r["plus_minus"]) for r in rows)


def test_sweep_rows_mean_and_std():
    rows = sweep_rows("Random", [acc(60, 80, 50, 70), acc(70, 90, 50, 60)])
    by = {(r["category"], r["metric"]): (r["value"], r["plus_minus"]) for r in rows}
    assert by[("chair", "acc@1")] == (65.0, 5.0)
    assert by[("lamp", "acc@1")] == (50.0, 0.0)
    assert by[("lamp", "acc@5")] == (65.0, 5.0)


def test_best_setting_by_mean_over_categories():
    accs = [acc(60, 0, 70, 0), acc(80, 0, 40, 0), acc(65, 0, 66, 0)]
    assert best_setting([0.5, 0.6, 0.7], accs) == (0.7, 2)
    assert best_setting([0.5, 0.6, 0.7], accs, categories=["chair"]) == (0.6, 1)
    assert best_setting([0.5, 0.6, 0.7], accs, categories=["lamp"]) == (0.5, 0)


def test_unavailable_encoders_are_reported_not_faked():
    choices = {c.name: c for c in load_encoders(["clip-RN101-openai", "random-RN101"], device="cpu")}
    assert choices["random-RN101"].available
    clip = choices["clip-RN101-openai"]
    if not clip.available:  # no CLIP weights on this machine: the reason says how to get them
        assert clip.encoder is None and "SBSR_CLIP_RN101" in clip.reason
    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoders(["clip-RN50"])


def test_encoder_budget_limits_only_the_heavy_encoders():
    quick = EncoderBudget.of(["minclip"], n_shapes=None, heavy_shapes=6, heavy_tables=["t43", "tB5"])
    assert quick.shapes("minclip") is None and quick.shapes("rn101") == 6
    assert quick.runs("minclip", "t44") and quick.runs("rn101", "t43") and not quick.runs("rn101", "t44")
    assert quick.data_label("procedural-v1", "minclip") == "procedural-v1"
    assert quick.data_label("procedural-v1", "rn101") == "procedural-v1 (first 6 shapes per category)"
    assert "['t43', 'tB5']" in quick.not_run_note("Table 4.4")
    full = EncoderBudget.of(["minclip"], n_shapes=20, heavy_shapes=None, heavy_tables=None)
    assert full.shapes("minclip") == 20 and full.shapes("rn101") is None and full.runs("rn101", "t44")
