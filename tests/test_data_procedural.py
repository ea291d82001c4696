"""procedural-v1: tiny materialization, cache reuse/rebuild, views, and the deterministic gallery CLI."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from sbsr.data import open_dataset
from sbsr.data.__main__ import main as cli
from sbsr.data.images import read_png
from sbsr.data.manifest import verify_cache
from sbsr.data.procedural import (
    get_spec,
    materialize,
    sizes_for,
    sketch_azimuths_for,
    sketch_draw,
)
from sbsr.data.views import render_view


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SBSR_DATA_DIR", str(tmp_path / "data"))


def _tiny_spec() -> dict:
    spec = copy.deepcopy(get_spec("procedural-v1"))
    spec["view_azimuths"] = [0, 90]
    spec["profiles"] = {"quick": {"validation": {"chair": 2, "lamp": 1}, "test": {"chair": 1}, "train": {"chair": 2}}}
    return spec


def test_paper_sizes_in_full_profile():
    spec = get_spec("procedural-v1")
    full = sizes_for(spec, "full")
    assert full["validation"] == {"chair": 200, "lamp": 200}
    assert full["test"] == {"chair": 201, "lamp": 111}
    assert full["train"] == {"chair": 4475}
    assert sketch_azimuths_for(spec, "chair") == [0.0, 30.0, 75.0]
    assert sketch_azimuths_for(spec, "lamp") == [0.0, 45.0, 90.0]
    assert [float(a) for a in spec["view_azimuths"]] == [0.0, 30.0, 45.0, 75.0, 90.0]
    assert spec["elevation"] == 20.0
    quick = sizes_for(spec, "quick")
    assert all(n <= 50 for cats in quick.values() for n in cats.values())
    with pytest.raises(ValueError, match="profile"):
        sizes_for(spec, "huge")


def test_sketch_draw_is_deterministic_and_independent():
    a = sketch_draw(0, "test", "chair", 3, 30.0)
    assert a == sketch_draw(0, "test", "chair", 3, 30.0)
    assert a != sketch_draw(0, "test", "chair", 3, 75.0)
    assert a != sketch_draw(0, "validation", "chair", 3, 30.0)
    assert 0.2 <= a[0] <= 0.8


def test_tiny_materialization(tmp_path):
    spec = _tiny_spec()
    root = tmp_path / "ds"
    ds = materialize("procedural-v1", "quick", root=root, spec=spec)
    status = verify_cache(root)
    assert status.ok
    man = status.manifest
    assert man.counts["validation"] == {"chair": {"shapes": 2, "sketches": 6}, "lamp": {"shapes": 1, "sketches": 3}}
    assert man.counts["test"] == {"chair": {"shapes": 1, "sketches": 3}}
    assert man.counts["train"] == {"chair": {"shapes": 2, "sketches": 0}}
    # per split/category: views (shapes x 2 azimuths) + sketches + index.json
    assert len(man.files) == (4 + 6 + 1) + (2 + 3 + 1) + (2 + 3 + 1) + (4 + 0 + 1)
    val = ds.split("validation", "chair")
    assert len(val.shapes) == 2 and len(val.sketches) == 6
    np.testing.assert_array_equal(val.targets(), [0, 0, 0, 1, 1, 1])
    assert [s.azimuth for s in val.sketches[:3]] == [0.0, 30.0, 75.0]
    assert sorted({s.azimuth for s in ds.split("validation", "lamp").sketches}) == [0.0, 45.0, 90.0]
    # splits use different collection seeds: no shape is shared
    assert not set(val.shape_ids) & set(ds.split("train", "chair").shape_ids)
    assert not set(val.shape_ids) & set(ds.split("test", "chair").shape_ids)
    imgs = val.sketch_images()
    assert imgs.shape == (6, 224, 224) and imgs.dtype == np.uint8 and (imgs.min(axis=(1, 2)) < 128).all()
    # pre-rendered views are exactly what the renderer gives for the regenerated shape
    views = val.views([0, 90])
    assert views.shape == (2, 2, 224, 224)
    shape0 = val.shapes[val.shape_ids[0]].load()
    np.testing.assert_array_equal(views[0, 1], render_view(shape0, 90.0, "line"))
    # views not pre-rendered are rendered and cached under data/cache/views
    rgb = val.views([45], style="rgb")
    assert rgb.shape == (2, 1, 224, 224, 3)
    cached = sorted((tmp_path / "data" / "cache" / "views").rglob("*.png"))
    assert len(cached) == 2 and val.shape_ids == sorted(val.shape_ids)
    for i, path in enumerate(cached):
        assert path.name.startswith(val.shape_ids[i]) and path.name.endswith("_45_rgb.png")
        np.testing.assert_array_equal(read_png(path), rgb[i, 0])
    np.testing.assert_array_equal(val.views([45], style="rgb"), rgb)  # served from the cache


def test_materialize_reuses_and_rebuilds(tmp_path, monkeypatch):
    spec = _tiny_spec()
    spec["profiles"]["quick"] = {"test": {"lamp": 1}}
    root = tmp_path / "ds"
    materialize("procedural-v1", "quick", root=root, spec=spec)
    sketch = next(root.rglob("*_sketch.png"))
    mtime = sketch.stat().st_mtime_ns
    materialize("procedural-v1", "quick", root=root, spec=spec)
    assert sketch.stat().st_mtime_ns == mtime  # verified cache reused, nothing rewritten
    original = sketch.read_bytes()
    sketch.write_bytes(original[:-8] + b"\x00" * 8)  # corrupt one file
    assert not verify_cache(root).ok
    materialize("procedural-v1", "quick", root=root, spec=spec)
    assert sketch.read_bytes() == original  # rebuilt, byte-identical
    (root / "manifest.json").unlink()  # partial build
    materialize("procedural-v1", "quick", root=root, spec=spec)
    assert verify_cache(root).ok


def test_open_dataset_uses_data_dir(tmp_path, monkeypatch):
    import sbsr.data.procedural as proc

    spec = _tiny_spec()
    spec["profiles"]["quick"] = {"test": {"chair": 1}}
    monkeypatch.setattr(proc, "get_spec", lambda name, path=None: spec)
    ds = open_dataset("procedural-v1", profile="quick")
    assert ds.root == tmp_path / "data" / "datasets" / "procedural-v1" / "quick"
    assert ds.split("test", "chair").summary()["sketches"] == 3
    with pytest.raises(KeyError, match="unknown dataset"):
        open_dataset("procedural-v0")


def test_gallery_cli_is_deterministic(tmp_path):
    args = ["gallery", "--categories", "chair", "lamp", "--n", "1", "--seed", "7"]
    assert cli(args + ["--out", str(tmp_path / "a")]) == 0
    assert cli(args + ["--out", str(tmp_path / "b")]) == 0
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    files_b = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert files_a == files_b
    for name in files_a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    listing = json.loads((tmp_path / "a" / "gallery.json").read_text())
    chair, lamp = listing["shapes"]
    assert [v["azimuth"] for v in chair["views"]] == [0.0, 30.0, 75.0]
    assert [v["azimuth"] for v in lamp["views"]] == [0.0, 45.0, 90.0]
    sid = chair["mesh"][:-4]
    for az in (0, 30, 75):
        for style in ("line", "rgb", "depth", "sketch"):
            assert f"{sid}_{az}_{style}.png" in files_a
    assert len(files_a) == 2 * (1 + 3 * 4) + 1
    rgb = read_png(tmp_path / "a" / f"{sid}_30_rgb.png")
    depth = read_png(tmp_path / "a" / f"{sid}_30_depth.png")
    assert rgb.shape == (224, 224, 3) and depth.shape == (224, 224)
    assert depth[0, 0] == 255 and depth.min() == 0  # white background, nearest point black
    # a different seed gives different shapes
    assert cli(["gallery", "--categories", "chair", "--n", "1", "--seed", "8", "--out", str(tmp_path / "c")]) == 0
    assert json.loads((tmp_path / "c" / "gallery.json").read_text())["shapes"][0]["shape_id"] != chair["shape_id"]


def test_failures_are_skipped_and_counted(tmp_path, monkeypatch):
    import sbsr.data.procedural as proc

    real_simulate, real_generate = proc._simulate, proc._generate

    def flaky_simulate(shape, azimuth, *args):
        if azimuth == 45.0:
            return np.full((224, 224), 255, np.uint8)  # an empty sketch
        return real_simulate(shape, azimuth, *args)

    def flaky_generate(category, seed, index):
        if index == 1:
            raise RuntimeError("degenerate parameters")
        return real_generate(category, seed, index)

    monkeypatch.setattr(proc, "_simulate", flaky_simulate)
    monkeypatch.setattr(proc, "_generate", flaky_generate)
    spec = _tiny_spec()
    spec["profiles"]["quick"] = {"test": {"lamp": 2}}
    ds = materialize("procedural-v1", "quick", root=tmp_path / "ds", spec=spec)
    split = ds.split("test", "lamp")
    assert len(split.shapes) == 1 and [s.azimuth for s in split.sketches] == [0.0, 90.0]
    assert split.skipped.counts() == {"shape": 1, "sketch": 1}
    reasons = [i.reason for i in split.skipped.items]
    assert any("degenerate parameters" in r for r in reasons) and "empty sketch" in reasons
    assert ds.manifest.skipped["counts"] == {"shape": 1, "sketch": 1}


def test_cli_materialize_and_info(tmp_path, monkeypatch, capsys):
    import sbsr.data.procedural as proc

    spec = _tiny_spec()
    spec["profiles"]["quick"] = {"validation": {"chair": 1}}
    monkeypatch.setattr(proc, "get_spec", lambda name, path=None: spec)
    root = tmp_path / "m"
    assert cli(["materialize", "--dataset", "procedural-v1", "--profile", "quick", "--root", str(root)]) == 0
    assert "validation" in capsys.readouterr().out
    assert cli(["info", "--root", str(root), "--checksums"]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "procedural-v1" in out
