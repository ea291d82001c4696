"""Robust reading of real collections (sbsr.data.meshes / images / byo.open_folders), hand-checked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import trimesh
from PIL import Image

from sbsr.data.byo import EmptyFolderError, PairsError, open_folders, shape_ids_for
from sbsr.data.images import level_background, load_sketch_image
from sbsr.data.meshes import (MeshLoadError, MeshRepairWarning, clean_faces, decimate_by_clustering, load_mesh_file,
                              orient_closed_bodies)


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SBSR_DATA_DIR", str(tmp_path / "sbsr-data"))


def _sketch(path, size=(60, 40)):
    arr = np.full(size[::-1], 255, np.uint8)
    arr[5:-5, size[0] // 2] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def _box(path, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    trimesh.creation.box(**kw).export(path)
    return path


# ------------------------------------------------------------------------------------------- meshes
def test_clean_faces_hand_case():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [2, 0, 0], [np.nan, 0, 0], [5, 5, 5]], dtype=float)
    f = np.array([
        [0, 1, 2],  # fine
        [2, 1, 0],  # same three vertices as the first (reverse side): repeats a face
        [0, 1, 1],  # repeated vertex
        [0, 1, 3],  # collinear: zero area
        [0, 1, 4],  # non-finite vertex
        [0, 1, 9],  # missing vertex
    ])
    v2, f2, counts = clean_faces(v, f)
    assert counts == {"indexing a missing vertex": 1, "touching a non-finite vertex": 1, "with a repeated vertex": 1,
                      "of zero area": 1, "repeating another face": 1}
    np.testing.assert_array_equal(f2, [[0, 1, 2]])
    np.testing.assert_array_equal(v2, v[:3])  # unused vertices (3, 4, 5) are gone


def test_orient_closed_bodies_flips_an_inside_out_box_only():
    box = trimesh.creation.box()
    inside_out = box.faces[:, ::-1].copy()
    faces, changed = orient_closed_bodies(box.vertices, inside_out)
    assert changed and trimesh.Trimesh(box.vertices, faces, process=False).volume == pytest.approx(1.0)
    same, changed = orient_closed_bodies(box.vertices, box.faces)
    assert not changed and np.array_equal(same, box.faces)
    open_faces = inside_out[:-2]  # an open mesh is left as it is (the renderer draws both sides)
    kept, changed = orient_closed_bodies(box.vertices, open_faces)
    assert not changed and np.array_equal(kept, open_faces)


def test_decimation_meets_the_cap_deterministically():
    sphere = trimesh.creation.icosphere(subdivisions=4)  # 5120 faces
    v, f = decimate_by_clustering(sphere.vertices, sphere.faces, 600)
    assert 300 <= len(f) <= 600  # close to the cap, never above
    v2, f2 = decimate_by_clustering(sphere.vertices, sphere.faces, 600)
    np.testing.assert_array_equal(f, f2)
    np.testing.assert_allclose(v, v2)
    assert np.abs(np.linalg.norm(v, axis=1) - 1.0).max() < 0.1  # still a sphere
    same_v, same_f = decimate_by_clustering(sphere.vertices, sphere.faces, 10_000)
    assert same_f is not None and len(same_f) == 5120


def test_load_mesh_file_repairs_and_notes(tmp_path):
    # degenerate, duplicate and non-manifold ("fin": three faces on one edge) faces in one OBJ
    obj = tmp_path / "messy.obj"
    obj.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nv 0 -1 0\nv 2 0 0\n"
                   "f 1 2 3\nf 1 2 4\nf 1 2 5\nf 1 2 3\nf 1 1 2\nf 1 2 6\n")
    with pytest.warns(MeshRepairWarning, match="messy.obj: removed faces"):
        mesh = load_mesh_file(obj)
    assert len(mesh.faces) == 3  # the fin stays: the renderer copes with non-manifold edges
    assert "1 repeating another face" in mesh.metadata["sbsr_notes"][0]
    lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
    np.testing.assert_allclose(np.linalg.norm(hi - lo), 1.0)  # normalised after the unused vertex 6 went
    # a huge mesh is simplified under the cap
    big = tmp_path / "big.ply"
    trimesh.creation.icosphere(subdivisions=5).export(big)  # 20480 faces
    with pytest.warns(MeshRepairWarning, match="simplified from 20480"):
        assert len(load_mesh_file(big, max_faces=2000).faces) <= 2000
    # an inside-out closed mesh is re-oriented
    inv = tmp_path / "inv.off"
    b = trimesh.creation.box()
    trimesh.Trimesh(b.vertices, b.faces[:, ::-1], process=False).export(inv)
    with pytest.warns(MeshRepairWarning, match="re-oriented"):
        assert load_mesh_file(inv).volume > 0
    # a clean mesh gives no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mesh_file(_box(tmp_path / "clean.obj"))
    # nothing drawable
    flat = tmp_path / "flat.obj"
    flat.write_text("v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n")
    with pytest.raises(MeshLoadError, match="flat.obj: none of its 1 faces can be drawn"):
        load_mesh_file(flat)


def test_scene_with_parts_transforms_and_a_point_cloud(tmp_path):
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(extents=(1, 1, 1)), node_name="a")
    scene.add_geometry(trimesh.creation.box(extents=(1, 1, 1)), node_name="b",
                       transform=trimesh.transformations.translation_matrix([3, 0, 0]))
    scene.add_geometry(trimesh.PointCloud(np.random.default_rng(0).random((5, 3))), node_name="pts")
    path = tmp_path / "parts.glb"
    scene.export(path)
    mesh = load_mesh_file(path, normalize=False)
    np.testing.assert_allclose(mesh.bounds, [[-0.5, -0.5, -0.5], [3.5, 0.5, 0.5]], atol=1e-6)  # node transform used
    notes = mesh.metadata["sbsr_notes"]
    assert "merged 2 parts of a scene" in notes and any("ignored 1 scene geometries" in n for n in notes)
    cloud = tmp_path / "cloud.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((20, 3))).export(cloud)
    with pytest.raises(MeshLoadError, match="cloud.ply: no triangle mesh inside"):
        load_mesh_file(cloud)


def test_up_axis_z_becomes_y(tmp_path):
    path = _box(tmp_path / "tall.stl", extents=(1.0, 2.0, 4.0))  # tallest along Z
    mesh = load_mesh_file(path, up="z", normalize=False)
    np.testing.assert_allclose(np.ptp(mesh.vertices, axis=0), [1.0, 4.0, 2.0])  # now tallest along Y
    with pytest.raises(ValueError, match="up must be one of"):
        load_mesh_file(path, up="x")


# ------------------------------------------------------------------------------------------- images
def test_level_background_whitens_tinted_paper_only():
    clean = np.full((10, 10), 255, np.uint8)
    clean[5, 2:8] = 40
    clean[6, 2:8] = 240  # faint anti-aliasing stays on white paper
    np.testing.assert_array_equal(level_background(clean), clean)
    tinted = np.full((10, 10), 200, np.uint8)
    tinted[5, 2:8] = 50
    tinted[0, 0] = 190  # paper grain
    out = level_background(tinted)
    assert out[9, 9] == 255 and out[0, 0] == 255  # background and grain whitened (190*255/200 = 242 > 231)
    assert out[5, 5] == round(50 * 255 / 200)


def test_sketch_on_coloured_paper_is_framed_tightly(tmp_path):
    rgb = np.zeros((80, 120, 3), np.uint8) + np.array([236, 228, 200], np.uint8)
    rgb[40, 30:90] = (30, 50, 150)  # blue ink
    Image.fromarray(rgb).save(tmp_path / "paper.png")
    out = load_sketch_image(tmp_path / "paper.png", size=120)
    ink = out < 250
    rows = np.flatnonzero(ink.any(axis=1))
    assert out[0, 0] == 255 and len(rows) <= 3  # only the stroke remains as ink


# ------------------------------------------------------------------------------------------- open_folders
def test_shape_ids_for_shapenet_layouts_and_collisions(tmp_path):
    files = [tmp_path / p for p in ("03001627/abc/models/model_normalized.obj", "03001627/def/model.obj",
                                    "misc/a.obj", "misc/a.ply", "b.glb")]
    ids = shape_ids_for(files, tmp_path)
    assert list(ids.values()) == ["03001627/abc", "03001627/def", "misc/a.obj", "misc/a.ply", "b"]


def test_open_folders_pairs_resolution_and_skips(tmp_path):
    meshes, sketches = tmp_path / "m", tmp_path / "s"
    _box(meshes / "chairs" / "c1.obj")
    _box(meshes / "03001627" / "x9" / "models" / "model_normalized.obj", extents=(1, 2, 1))
    (meshes / "bad.obj").write_text("not a mesh\n")
    (meshes / ".hidden.obj").write_text("ignored\n")
    (meshes / "notes.txt").write_text("ignored\n")
    for name in ("a.png", "b.png", "c.png", "orphan.png"):
        _sketch(sketches / name)
    Image.new("L", (30, 30), 255).save(sketches / "blank.png")
    (sketches / "._a.png").write_bytes(b"resource fork")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("Sketch,Mesh,azimuth\n"
                     "a.png,chairs/c1.obj,30\n"      # path under the folder
                     "b,x9,\n"                       # sketch stem, ShapeNet model id
                     "s/c.png,m/bad.obj,\n"          # paths relative to the CSV; an unreadable mesh
                     "blank.png,c1,\n\n")            # a blank sketch; the mesh by its stem
    split = open_folders(meshes, sketches, pairs)
    assert split.shape_ids == ["03001627/x9", "chairs/c1"]
    got = {s.sketch_id: (s.shape_id, s.azimuth) for s in split.sketches}
    assert got == {"a.png": ("chairs/c1", 30.0), "b.png": ("03001627/x9", None), "orphan.png": (None, None)}
    reasons = {i.item_id: i.reason for i in split.skipped.items}
    assert reasons["bad"].startswith("unreadable mesh") and "bad.obj" in reasons["bad"]
    assert "was skipped (unreadable mesh)" in reasons["c.png"]
    assert reasons["blank.png"].startswith("empty sketch")
    assert len(split.skipped) == 3


def test_open_folders_errors(tmp_path):
    meshes, sketches = tmp_path / "m", tmp_path / "s"
    meshes.mkdir()
    (meshes / "readme.txt").write_text("hello")
    _sketch(sketches / "a.png")
    with pytest.raises(EmptyFolderError, match=r"no mesh files found under .*m \(looked for .obj.*readme.txt"):
        open_folders(meshes, sketches)
    with pytest.raises(FileNotFoundError, match="meshes folder .*nowhere does not exist"):
        open_folders(tmp_path / "nowhere", sketches)
    _box(meshes / "a.obj")
    _box(meshes / "dup" / "a.obj")
    _box(meshes / "x" / "b.obj")
    _box(meshes / "y" / "b.obj")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyFolderError, match="no sketch images found"):
        open_folders(meshes, tmp_path / "empty")
    pairs = tmp_path / "p.csv"
    pairs.write_text("sketch,mesh\na.png,missing.obj\nnope.png,a.obj\na.png,b.obj\n")
    with pytest.raises(PairsError) as err:
        open_folders(meshes, sketches, pairs)
    text = str(err.value)
    assert "3 row(s)" in text and "line 2: mesh 'missing.obj' not found" in text
    assert "line 3: sketch 'nope.png' not found" in text
    assert "line 4: mesh 'b.obj' ambiguous: matches 2 files (x/b.obj, y/b.obj)" in text
    pairs.write_text("sketch,mesh\na.png,a.obj\na.png,dup/a.obj\n")
    with pytest.raises(PairsError, match="already paired with a.obj on line 2"):
        open_folders(meshes, sketches, pairs)
    pairs.write_text("image,model\na.png,a.obj\n")
    with pytest.raises(ValueError, match="must include sketch,mesh"):
        open_folders(meshes, sketches, pairs)
    pairs.write_text("sketch,mesh\n")
    with pytest.raises(PairsError, match="no sketch,mesh rows"):
        open_folders(meshes, sketches, pairs)
    with pytest.raises(FileNotFoundError, match="pairs CSV"):
        open_folders(meshes, sketches, tmp_path / "absent.csv")
    (meshes / "model.fbx").write_text("x")
    pairs.write_text("sketch,mesh\na.png,model.fbx\n")
    with pytest.raises(PairsError, match="is not a supported file"):
        open_folders(meshes, sketches, pairs)


def test_open_folders_skips_files_over_the_size_limit(tmp_path):
    meshes, sketches = tmp_path / "m", tmp_path / "s"
    _box(meshes / "small.obj")
    big = meshes / "big.ply"
    trimesh.creation.icosphere(subdivisions=4).export(big)
    _sketch(sketches / "a.png")
    (tmp_path / "p.csv").write_text("sketch,mesh\na.png,big.ply\n")
    split = open_folders(meshes, sketches, tmp_path / "p.csv", max_file_mb=big.stat().st_size / 2**20 / 2)
    assert split.shape_ids == ["small"] and split.sketches == []
    reasons = [i.reason for i in split.skipped.items]
    assert "over the" in reasons[0] and "--max-file-mb" in reasons[0]
    assert reasons[1] == "its mesh big was skipped (too large)"


def test_degenerate_mesh_names_the_file(tmp_path):
    # normalize_shapenet (one definition, sbsr.shapes) refuses a zero bounding-box diagonal; the loader says
    # which file
    path = tmp_path / "point.obj"
    path.write_text("v 0 0 0\nv 0 0 0\nv 0 0 0\nf 1 2 3\n")
    with pytest.raises(MeshLoadError, match=r"point\.obj: cannot normalise a degenerate mesh"):
        load_mesh_file(path, repair=False)
    import sbsr.data.meshes as meshes
    import sbsr.shapes as shapes

    assert meshes.normalize_shapenet is shapes.normalize_shapenet
