"""sbsr.data adapters on small fake folder trees: ShapeNetCore v2, AmateurSketch, QuickDraw, bring-your-own."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import trimesh
from PIL import Image

from sbsr.data import open_dataset
from sbsr.data.__main__ import main as cli
from sbsr.data.amateursketch import open_amateursketch, validation_split
from sbsr.data.byo import open_byo
from sbsr.data.meshes import MeshLoadError, load_mesh_file, normalize_shapenet
from sbsr.data.quickdraw import open_quickdraw, rasterize_strokes
from sbsr.data.shapenet import SYNSETS, ShapeNetCore, open_shapenet, synset_of

CHAIR, LAMP = "03001627", "03636649"


@pytest.fixture(autouse=True)
def _no_env_roots(monkeypatch, tmp_path):
    for var in ("SBSR_SHAPENET_ROOT", "SBSR_AMATEURSKETCH_ROOT", "SBSR_QUICKDRAW_ROOT", "SBSR_BYO_ROOT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SBSR_DATA_DIR", str(tmp_path / "data"))


def _box(extents=(2.0, 1.0, 0.5), shift=(3.0, 0.0, 0.0)) -> trimesh.Trimesh:
    return trimesh.creation.box(extents=extents).apply_translation(shift)


def _sketch_png(path, kind="plain", size=(80, 60)):
    """A line sketch; kinds: plain, alpha (black on transparent), inverted (white on black), empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    if kind == "alpha":
        arr = np.zeros((h, w, 4), np.uint8)
        arr[h // 2, 5 : w - 5, 3] = 255
        Image.fromarray(arr).save(path)
    elif kind == "inverted":
        arr = np.zeros((h, w), np.uint8)
        arr[h // 2 - 1 : h // 2 + 1, 5 : w - 5] = 255
        Image.fromarray(arr).save(path)
    elif kind == "empty":
        Image.new("L", size, 255).save(path)
    else:
        arr = np.full((h, w), 255, np.uint8)
        arr[5 : h - 5, w // 2] = 0
        Image.fromarray(arr).save(path)
    return path


# ------------------------------------------------------------------------------------------- meshes
def test_normalize_shapenet_definition():
    v = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [1.0, 1.0, 0.0]])
    out = normalize_shapenet(v)
    np.testing.assert_allclose(out.min(0) + out.max(0), 0.0, atol=1e-12)  # bbox centred
    np.testing.assert_allclose(np.linalg.norm(out.max(0) - out.min(0)), 1.0)  # unit diagonal (3-4-5 -> /5)
    np.testing.assert_allclose(out[1], [0.3, 0.4, 0.0])


@pytest.mark.parametrize("suffix", [".obj", ".ply", ".off", ".glb"])
def test_load_mesh_file_formats_and_normalisation(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    if suffix == ".glb":
        trimesh.Scene([_box(), trimesh.creation.box(extents=(0.5, 0.5, 0.5))]).export(path)
    else:
        _box().export(path)
    mesh = load_mesh_file(path)
    lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
    np.testing.assert_allclose(lo + hi, 0.0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(hi - lo), 1.0, atol=1e-9)
    assert len(mesh.faces) >= 12


def test_load_mesh_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.obj"):
        load_mesh_file(tmp_path / "missing.obj")
    (tmp_path / "garbage.obj").write_text("this is not a mesh\n")
    with pytest.raises(MeshLoadError, match="garbage.obj"):
        load_mesh_file(tmp_path / "garbage.obj")
    (tmp_path / "zero.ply").write_bytes(b"")
    with pytest.raises(MeshLoadError, match="empty file"):
        load_mesh_file(tmp_path / "zero.ply")
    (tmp_path / "junk.glb").write_bytes(b"\x00\x01junk")
    with pytest.raises(MeshLoadError, match="junk.glb"):
        load_mesh_file(tmp_path / "junk.glb")


# ------------------------------------------------------------------------------------------- ShapeNet
def _shapenet_tree(root):
    for i, sid in enumerate(["aaa111", "bbb222"]):
        p = root / CHAIR / sid / "models" / "model_normalized.obj"
        p.parent.mkdir(parents=True)
        _box(shift=(i, 0, 0)).export(p)
    bad = root / CHAIR / "ccc333" / "models" / "model_normalized.obj"
    bad.parent.mkdir(parents=True)
    bad.write_text("garbage\n")
    (root / CHAIR / "ddd444").mkdir()  # no models/ folder
    lamp = root / LAMP / "lll000" / "models" / "model_normalized.obj"
    lamp.parent.mkdir(parents=True)
    trimesh.creation.cylinder(radius=0.2, height=1.0).export(lamp)
    return root


def test_synsets():
    assert SYNSETS["chair"] == CHAIR and SYNSETS["lamp"] == LAMP
    assert SYNSETS["table"] == "04379243" and SYNSETS["cabinet"] == "02933112"
    assert synset_of(CHAIR) == CHAIR
    with pytest.raises(KeyError, match="unknown ShapeNet category"):
        synset_of("spaceship")


def test_shapenet_listing_skips_and_validates(tmp_path, caplog):
    sn = ShapeNetCore(_shapenet_tree(tmp_path / "ShapeNetCore.v2"))
    assert sn.categories() == ["chair", "lamp"]
    with caplog.at_level(logging.WARNING, logger="sbsr.data"):
        split = sn.split("chair", validate=True)
    assert split.shape_ids == ["aaa111", "bbb222"]  # ccc333 unreadable, ddd444 has no model file
    assert split.skipped.counts() == {"shape": 2}
    reasons = " ".join(i.reason for i in split.skipped.items)
    assert "model_normalized.obj" in reasons and "unreadable mesh" in reasons
    assert "ddd444" in caplog.text and "ccc333" in caplog.text
    mesh = split.shapes["bbb222"].load()
    np.testing.assert_allclose(np.linalg.norm(np.ptp(mesh.vertices, axis=0)), 1.0)
    assert split.sketches == [] and split.targets().shape == (0,)
    with pytest.raises(FileNotFoundError, match=r"04379243"):
        sn.split("table")


def test_shapenet_missing_root_messages(tmp_path):
    with pytest.raises(FileNotFoundError, match="SBSR_SHAPENET_ROOT"):
        ShapeNetCore()
    with pytest.raises(FileNotFoundError, match="nowhere"):
        open_shapenet(tmp_path / "nowhere")


def test_shapenet_env_var_and_registry(tmp_path, monkeypatch):
    root = _shapenet_tree(tmp_path / "sn")
    monkeypatch.setenv("SBSR_SHAPENET_ROOT", str(root))
    ds = open_dataset("shapenet", categories=["lamp"])
    assert ds.split("all", "lamp").shape_ids == ["lll000"]
    with pytest.raises(KeyError, match="no split"):
        ds.split("test", "lamp")


# ------------------------------------------------------------------------------------------- AmateurSketch
def _amateursketch_tree(root, shapenet_root):
    chair = root / "chair"
    ids = ["c0", "c1", "c2", "c3"]
    (chair / "shapes").mkdir(parents=True)
    for sid in ids[:3]:
        _box().export(chair / "shapes" / f"{sid}.obj")
    for sid in ids:  # c3 has sketches but no mesh anywhere
        for az in (0, 30, 75):
            _sketch_png(chair / "sketches" / f"{sid}_{az}.png", kind="alpha" if az == 30 else "plain")
    _sketch_png(chair / "sketches" / "README.png")  # does not match <shape>_<azimuth>
    (chair / "train.txt").write_text("c0\nc1\nc3\n")
    (chair / "test.txt").write_text("# test split\nc2\n")
    # lamps: azimuth sub-folders, meshes from ShapeNet, one empty sketch
    lamp = root / "lamp"
    for sid in ("aaa", "bbb"):
        p = shapenet_root / LAMP / sid / "models" / "model_normalized.obj"
        p.parent.mkdir(parents=True)
        trimesh.creation.cylinder(radius=0.2, height=1.0).export(p)
        for az in (0, 45, 90):
            _sketch_png(lamp / "sketches" / str(az) / f"{sid}.png",
                        kind="empty" if (sid, az) == ("bbb", 90) else "inverted")
    return root


def test_amateursketch_layout(tmp_path):
    root = _amateursketch_tree(tmp_path / "AmateurSketch", tmp_path / "sn")
    ds = open_amateursketch(root, shapenet_root=tmp_path / "sn", n_validation=1, validation_seed=0)
    assert sorted(ds.split_names()) == ["all", "test", "train", "validation"]
    train = ds.split("train", "chair")
    assert train.shape_ids == ["c0", "c1"]
    assert len(train.sketches) == 6 and sorted({s.azimuth for s in train.sketches}) == [0.0, 30.0, 75.0]
    assert all(s.elevation == 20.0 for s in train.sketches)
    np.testing.assert_array_equal(train.targets(), [0, 0, 0, 1, 1, 1])
    reasons = [i.reason for i in train.skipped.items]
    assert any("README" in i.item_id and "neither" in r for i, r in zip(train.skipped.items, reasons))
    assert any(i.item_id == "c3" and "no mesh" in i.reason for i in train.skipped.items)
    test = ds.split("test", "chair")
    assert test.shape_ids == ["c2"] and len(test.sketches) == 3
    val = ds.split("validation", "chair")
    assert len(val.shapes) == 1 and len(val.sketches) == 3 and set(val.shape_ids) <= {"c0", "c1"}
    lamps = ds.split("all", "lamp")  # no split lists -> "all"
    assert lamps.shape_ids == ["aaa", "bbb"]
    assert len(lamps.sketches) == 5 and lamps.skipped.counts() == {"sketch": 1}
    assert "empty" in lamps.skipped.items[0].reason
    img = lamps.sketches[0].load()
    assert img.shape == (224, 224) and img[0, 0] == 255 and img.min() < 50  # inverted input fixed


def test_amateursketch_validation_split_is_deterministic(tmp_path):
    root = _amateursketch_tree(tmp_path / "as", tmp_path / "sn")
    train = open_amateursketch(root, shapenet_root=tmp_path / "sn", categories=["chair"]).split("train", "chair")
    a = validation_split(train, 1, seed=3)
    b = validation_split(train, 1, seed=3)
    assert a.shape_ids == b.shape_ids and a.name == "validation"
    assert len(validation_split(train, 10).shapes) == 2  # capped at what exists


def test_amateursketch_missing_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="SBSR_AMATEURSKETCH_ROOT"):
        open_amateursketch()
    (tmp_path / "empty_release").mkdir()
    with pytest.raises(FileNotFoundError, match="sketches"):
        open_amateursketch(tmp_path / "empty_release")
    root = _amateursketch_tree(tmp_path / "as", tmp_path / "sn")
    with pytest.raises(FileNotFoundError, match="no_shapenet_here"):
        open_amateursketch(root, shapenet_root=tmp_path / "no_shapenet_here")


# ------------------------------------------------------------------------------------------- QuickDraw
def _quickdraw_file(path):
    lines = [
        {"word": "chair", "key_id": "1", "recognized": True, "countrycode": "US",
         "drawing": [[[0, 100], [0, 0]], [[50, 50], [0, 80]]]},
        {"word": "floor lamp", "key_id": "2", "recognized": True,
         "drawing": [[[10, 10, 30], [0, 90, 90], [0, 5, 9]]]},  # raw format with times
        {"word": "chair", "key_id": "3", "recognized": True, "drawing": []},  # empty
        {"word": "chair", "key_id": "4", "recognized": False, "drawing": [[[0, 5], [0, 5]]]},
    ]
    text = "\n".join(json.dumps(x) for x in lines) + "\n{broken json\n"
    path.write_text(text)
    return path


def test_rasterize_strokes_hand_case():
    # a horizontal stroke: centred, scaled to 80% of the width, on the middle row
    img = rasterize_strokes([[[0, 100], [0, 0]]], size=100, line_width=2.0, margin=0.1)
    assert img.shape == (100, 100) and img.dtype == np.uint8
    dark_rows = np.where(img.min(axis=1) < 128)[0]
    assert set(dark_rows) <= {48, 49, 50, 51}
    dark_cols = np.where(img.min(axis=0) < 128)[0]
    assert 9 <= dark_cols.min() <= 11 and 89 <= dark_cols.max() <= 91
    assert rasterize_strokes([np.array([[0.0, 0.0], [10.0, 10.0]])], size=64).min() < 128
    assert rasterize_strokes([], size=32).min() == 255


def test_quickdraw_adapter(tmp_path):
    path = _quickdraw_file(tmp_path / "qd.ndjson")
    ds = open_quickdraw(path)
    chairs = ds.split("all", "chair")
    assert [s.sketch_id for s in chairs.sketches] == ["1"]  # 3 empty (skipped), 4 unrecognized (filtered)
    assert chairs.skipped.counts() == {"sketch": 2}  # the empty drawing and the malformed line
    assert ds.split("all", "lamp").sketches[0].meta["word"] == "floor lamp"
    images = chairs.sketch_images(size=64)
    assert images.shape == (1, 64, 64) and images.min() < 100
    assert chairs.shapes == {}
    limited = open_quickdraw(tmp_path, categories=["chair"], n_per_category=1, recognized_only=False)
    assert limited.categories() == ["chair"] and len(limited.split("all", "chair").sketches) == 1
    with pytest.raises(FileNotFoundError, match="ndjson"):
        (tmp_path / "nothing").mkdir()
        open_quickdraw(tmp_path / "nothing")


# ------------------------------------------------------------------------------------------- bring-your-own
def _byo_tree(root):
    meshes, sketches = root / "meshes", root / "sketches"
    (meshes / "chair").mkdir(parents=True)
    _box().export(meshes / "chair" / "a.obj")
    _box(extents=(1, 2, 1)).export(meshes / "chair" / "b.ply")
    trimesh.Scene([_box()]).export(meshes / "chair" / "c.glb")
    _box(extents=(1, 1, 3)).export(meshes / "d.off")  # top level -> category "object" unless the CSV says
    (meshes / "chair" / "broken.obj").write_text("nothing here\n")
    _box().export(meshes / "chair" / "distractor.obj")
    _sketch_png(sketches / "s1.png")
    _sketch_png(sketches / "s2.png", kind="alpha")
    _sketch_png(sketches / "s3.jpg", kind="inverted")
    _sketch_png(sketches / "s4.png", kind="empty")
    _sketch_png(sketches / "s5.png")
    _sketch_png(sketches / "s6.png")
    _sketch_png(root.parent / "outside.png")
    rows = [
        "sketch,mesh,category,azimuth,split",
        "s1.png,chair/a.obj,chair,0,test",
        "s2.png,chair/b.ply,chair,30,test",
        "s3.jpg,meshes/chair/c.glb,chair,75,test",  # root-relative path works too
        "s4.png,chair/a.obj,chair,30,test",  # empty sketch
        "s5.png,chair/broken.obj,chair,0,test",  # unreadable mesh
        "s6.png,chair/missing.obj,chair,0,test",  # missing mesh
        "../outside.png,chair/a.obj,chair,0,test",  # escapes the root
        "s1.png,d.off,,notanumber,test",  # bad azimuth
    ]
    (root / "mapping.csv").write_text("\n".join(rows) + "\n")
    return root


def test_byo_folder(tmp_path, caplog):
    root = _byo_tree(tmp_path / "mine")
    with caplog.at_level(logging.WARNING, logger="sbsr.data"):
        ds = open_byo(root)
    split = ds.split("test", "chair")
    assert split.shape_ids == ["chair/a", "chair/b", "chair/c", "chair/distractor"]
    assert [s.sketch_id for s in split.sketches] == ["sketches/s1.png", "sketches/s2.png", "sketches/s3.jpg"]
    np.testing.assert_array_equal(split.targets(), [0, 1, 2])
    assert [s.azimuth for s in split.sketches] == [0.0, 30.0, 75.0]
    counts = ds.skipped.counts()
    assert counts == {"sketch": 5, "shape": 1}  # s4-s6, outside.png, bad azimuth; broken.obj
    reasons = " | ".join(i.reason for i in ds.skipped.items)
    for needle in ("empty sketch", "unreadable mesh", "missing.obj", "outside.png", "not numbers",
                   "shape chair/broken was skipped"):
        assert needle in reasons, needle
    assert "broken" in caplog.text
    imgs = split.sketch_images()
    assert imgs.shape == (3, 224, 224) and (imgs[:, 0, 0] == 255).all() and (imgs.min(axis=(1, 2)) < 60).all()
    # the unreferenced top-level mesh is a distractor of category "object"
    assert ds.split("test", "object").shape_ids == ["d"]
    mesh = split.shapes["chair/c"].load()
    np.testing.assert_allclose(np.linalg.norm(np.ptp(mesh.vertices, axis=0)), 1.0)


def test_byo_missing_parts(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="SBSR_BYO_ROOT"):
        open_byo()
    root = tmp_path / "r"
    (root / "meshes").mkdir(parents=True)
    (root / "sketches").mkdir()
    with pytest.raises(FileNotFoundError, match="mapping.csv"):
        open_byo(root)
    (root / "mapping.csv").write_text("image,model\n")
    with pytest.raises(ValueError, match="sketch,mesh"):
        open_byo(root)
    (root / "mapping.csv").write_text("sketch,mesh\n")
    monkeypatch.setenv("SBSR_BYO_ROOT", str(root))
    assert open_dataset("byo").summary() == []


def test_cli_info_on_byo_and_errors(tmp_path, capsys):
    root = _byo_tree(tmp_path / "mine")
    assert cli(["info", "--source", "byo", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "test" in out and "chair" in out
    assert cli(["info", "--source", "shapenet", "--root", str(tmp_path / "absent")]) == 2
    assert "absent" in capsys.readouterr().err
    assert cli(["info", "--root", str(tmp_path / "no_dataset")]) == 1
    assert "NOT OK" in capsys.readouterr().out


def test_views_of_file_meshes_are_cached(tmp_path):
    root = _byo_tree(tmp_path / "mine")
    split = open_byo(root).split("test", "chair")
    cache = tmp_path / "viewcache"
    first = split.views([0, 30], style="line", cache=cache)
    assert first.shape == (4, 2, 224, 224) and first.dtype == np.uint8
    assert (first.reshape(8, -1).min(axis=1) < 128).all()  # every view shows the object
    files = sorted(cache.rglob("*.png"))
    assert len(files) == 8 and all("_line.png" in f.name for f in files)
    files[0].write_bytes(b"truncated")  # a corrupted cache entry is re-rendered
    np.testing.assert_array_equal(split.views([0, 30], style="lines", cache=cache), first)
    depth = split.views([0], style="depth", cache=False)
    assert depth.shape == (4, 1, 224, 224) and depth[0, 0, 0, 0] == 255
    with pytest.raises(ValueError, match="unknown view style"):
        split.views([0], style="normals")
