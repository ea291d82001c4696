"""Figure builders of the data chapter (sbsr.book.figures.gallery): types, trace counts, shapes."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from sbsr.book.figures import gallery


def decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def two_part_tetrahedra():
    """Two tetrahedra (parts 0 and 1) far apart, 8 vertices, 8 outward faces."""
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    f = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    return SimpleNamespace(vertices=np.vstack([v, v + 5]), faces=np.vstack([f, f + 4]),
                           part_ids=np.array([0] * 4 + [1] * 4), part_names=["seat", "leg"])


# ------------------------------------------------------------------------------------------------ images
def test_thumbnail_downsamples_longer_side_and_keeps_gray():
    gray = np.full((224, 112), 255, np.uint8)
    t = gallery.thumbnail(gray, 112)
    assert t.shape == (112, 56) and t.dtype == np.uint8
    rgb = np.zeros((50, 60, 3), np.uint8)
    assert gallery.thumbnail(rgb, 112).shape == (50, 60, 3)  # never upsampled


def test_as_rgb_uint8_converts_float_and_alpha():
    out = gallery.as_rgb_uint8(np.array([[0.0, 1.0]]))
    assert out.shape == (1, 2, 3) and out[0, 0].tolist() == [0, 0, 0] and out[0, 1].tolist() == [255, 255, 255]
    rgba = np.zeros((1, 1, 4), np.uint8)  # fully transparent black over white -> white
    assert gallery.as_rgb_uint8(rgba)[0, 0].tolist() == [255, 255, 255]
    with pytest.raises(ValueError, match="image"):
        gallery.as_rgb_uint8(np.zeros((2, 2, 2)))


def test_png_data_uri_roundtrip_gray_and_rgb():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(decode(gallery.png_data_uri(gray)), gray)
    rgb = np.random.default_rng(0).integers(0, 256, (3, 4, 3), dtype=np.uint8)
    assert np.array_equal(decode(gallery.png_data_uri(rgb)), rgb)


def test_depth_normals_parts_images():
    depth = np.array([[np.inf, 1.0], [2.0, 3.0]])
    assert gallery.depth_image(depth).tolist() == [[255, 0], [127, 254]]
    normals = np.zeros((1, 2, 3))
    normals[0, 1] = (0, 0, 1)
    img = gallery.normals_image(normals)
    assert img[0, 0].tolist() == [255, 255, 255] and img[0, 1].tolist() == [128, 128, 255]
    parts = np.array([[-1, 0, 1]])
    pimg = gallery.parts_image(parts)
    assert pimg[0, 0].tolist() == [255, 255, 255]
    assert pimg[0, 1].tolist() == list(gallery._hex_to_rgb(gallery.part_color(0)))
    assert pimg[0, 1].tolist() != pimg[0, 2].tolist()


def test_content_box_and_crop():
    img = np.full((20, 20), 255, np.uint8)
    img[5:9, 2:12] = 0  # 4 x 10 content
    box = gallery.content_box(img, margin=0.0)
    assert box == (2, 2, 10)  # square of side 10 centred on rows 5..8
    crop = gallery.crop_to_box(img, box)
    assert crop.shape == (10, 10) and (crop < 255).sum() == 40
    assert gallery.content_box(np.full((4, 4), 255, np.uint8)) is None
    # a box reaching outside the image is padded with white
    out = gallery.crop_to_box(img, (-5, -5, 10))
    assert out.shape == (10, 10) and (out[:5] == 255).all()
    mask = np.zeros((10, 10), bool)
    mask[4:6, 4:6] = True
    assert gallery.content_box(mask, margin=0.5) == (3, 3, 4)


def test_image_grid_traces_sources_and_limits():
    images = [np.full((224, 224), 255, np.uint8), np.zeros((224, 224, 3), np.uint8), np.full((30, 40), 0, np.uint8)]
    fig = gallery.gallery_grid(images, titles=["a", "b", "c"], ncols=2, title="t")
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 3 and all(isinstance(t, go.Image) for t in fig.data)
    shapes = [decode(t.source).shape[:2] for t in fig.data]
    assert shapes == [(112, 112), (112, 112), (30, 40)]
    captions = [fig.layout[f"xaxis{i if i > 1 else ''}"].title.text for i in (1, 2, 3)]
    assert captions == ["a", "b", "c"]
    assert fig.data[2].xaxis == "x3"  # second row, first column
    with pytest.raises(ValueError, match="at most 40"):
        gallery.gallery_grid([images[0]] * 41)
    with pytest.raises(ValueError, match="titles"):
        gallery.gallery_grid(images, titles=["a"])
    with pytest.raises(ValueError, match="row titles"):
        gallery.gallery_grid(images, ncols=2, row_titles=["r"])


def test_image_grid_crop_zooms_on_content():
    img = np.full((224, 224), 255, np.uint8)
    img[100:110, 100:110] = 0
    fig = gallery.gallery_grid([img], crop=True)
    small = decode(fig.data[0].source)
    assert max(small.shape) < 20 and (small < 128).mean() > 0.5


# -------------------------------------------------------------------------------------------------- 3D
def test_mesh_traces_one_per_part_with_local_vertices():
    mesh = two_part_tetrahedra()
    traces = gallery.mesh_traces(mesh)
    assert [t.name for t in traces] == ["seat", "leg"]
    for t in traces:
        assert isinstance(t, go.Mesh3d) and len(t.x) == 4 and len(t.i) == 4
        assert max(max(t.i), max(t.j), max(t.k)) == 3
    assert np.allclose(traces[1].x, [5, 6, 5, 5])
    assert traces[0].color != traces[1].color


def test_mesh_traces_without_parts_and_bad_input():
    mesh = SimpleNamespace(vertices=np.eye(3), faces=np.array([[0, 1, 2]]))
    (t,) = gallery.mesh_traces(mesh)
    assert t.name == "mesh" and t.color == gallery.NO_PART_COLOR
    with pytest.raises(ValueError, match="part_ids"):
        gallery.mesh_traces(SimpleNamespace(vertices=np.eye(3), faces=np.array([[0, 1, 2]]), part_ids=[0, 1]))


def test_mesh_figure_dropdown_toggles_meshes():
    a, b = two_part_tetrahedra(), two_part_tetrahedra()
    b.part_ids = np.zeros(8, np.int64)  # one part only
    fig = gallery.mesh_figure([a, b], labels=["A", "B"], title="T")
    assert len(fig.data) == 3
    assert [t.visible for t in fig.data] == [True, True, False]
    buttons = fig.layout.updatemenus[0].buttons
    assert [bt.label for bt in buttons] == ["A", "B"]
    assert buttons[1].args[0]["visible"] == [False, False, True]
    assert fig.layout.scene.camera.up.y == 1
    single = gallery.mesh_figure(a)
    assert len(single.data) == 2 and not single.layout.updatemenus


def test_scene_layout_eye_follows_camera_convention():
    front = gallery.scene_layout(azimuth=0, elevation=0, distance=2)["camera"]["eye"]
    assert front == pytest.approx({"x": 0, "y": 0, "z": -2})           # the front faces -Z
    left = gallery.scene_layout(azimuth=90, elevation=0, distance=2)["camera"]["eye"]
    assert left["x"] == pytest.approx(-2) and left["z"] == pytest.approx(0, abs=1e-12)  # the object's left, -X


def test_point_cloud_traces_per_label():
    pts = np.arange(15, dtype=float).reshape(5, 3)
    fig = gallery.point_cloud_figure(pts, labels=[0, 1, 1, -1, 0], label_names=["seat", "leg"])
    assert isinstance(fig, go.Figure)
    assert sorted((t.name, len(t.x)) for t in fig.data) == [("leg", 2), ("points", 1), ("seat", 2)]
    assert all(isinstance(t, go.Scatter3d) for t in fig.data)
    with pytest.raises(ValueError, match="labels"):
        gallery.point_cloud_traces(pts, labels=[0])


def test_voxel_surface_single_voxel_is_a_closed_cube():
    occ = np.zeros((3, 3, 3), bool)
    occ[1, 1, 1] = True
    v, f = gallery.voxel_surface(occ, bounds=(np.zeros(3), np.full(3, 3.0)))
    assert v.shape == (8, 3) and f.shape == (12, 3)
    assert np.allclose(v.min(0), 1) and np.allclose(v.max(0), 2)
    import trimesh

    cube = trimesh.Trimesh(v, f, process=False)
    assert cube.is_watertight and cube.volume == pytest.approx(1.0)  # positive: outward winding


def test_voxel_surface_hides_shared_faces_and_counts_exposed():
    occ = np.zeros((2, 1, 1), bool)
    occ[:] = True  # two voxels side by side: 10 exposed faces, the shared one hidden
    v, f = gallery.voxel_surface(occ)
    assert f.shape == (20, 3)
    full = np.ones((4, 4, 4), bool)  # only the outer shell: 6 * 16 quads
    assert gallery.voxel_surface(full)[1].shape == (6 * 16 * 2, 3)
    assert gallery.voxel_surface(np.zeros((2, 2, 2), bool))[1].shape == (0, 3)


def test_downsample_occupancy_max_pools():
    occ = np.zeros((64, 64, 64), bool)
    occ[3, 5, 63] = True
    small = gallery.downsample_occupancy(occ, 32)
    assert small.shape == (32, 32, 32) and small.sum() == 1 and small[1, 2, 31]
    assert gallery.downsample_occupancy(occ, 64) is not None and gallery.downsample_occupancy(occ, 64).shape == (64,) * 3


def test_sdf_traces_subsample_filter_and_colour_range():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(500, 3))
    sdf = np.linspace(-1, 1, 500)
    (t,) = gallery.sdf_traces(pts, sdf, max_points=100)
    assert len(t.x) == 100 and t.marker.cmin == -t.marker.cmax
    (near,) = gallery.sdf_traces(pts, sdf, max_abs=0.1, max_points=10_000)
    assert len(near.x) == int((np.abs(sdf) <= 0.1).sum())
    with pytest.raises(ValueError, match="sdf"):
        gallery.sdf_traces(pts, sdf[:3])


def test_domains_figure_three_scenes():
    occ = np.zeros((8, 8, 8), bool)
    occ[2:5, 2:5, 2:5] = True
    rng = np.random.default_rng(0)
    sdf_pts, cloud = rng.normal(size=(50, 3)), rng.normal(size=(40, 3))
    fig = gallery.domains_figure(occ, sdf_pts, np.linspace(-0.01, 0.01, 50), cloud, np.repeat([0, 1], 20),
                                 ["seat", "leg"], max_resolution=4)
    assert len(fig.data) == 4  # voxel mesh, SDF markers, two labelled point sets
    assert [t.scene for t in fig.data] == ["scene", "scene2", "scene3", "scene3"]
    assert fig.layout.annotations[0].text == "voxels 4³"


# ----------------------------------------------------------------------------------------- distributions
def test_upper_triangle_each_pair_once():
    d = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], float)
    assert gallery.upper_triangle(d).tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="square"):
        gallery.upper_triangle(np.zeros((2, 3)))


@pytest.mark.parametrize("kind, trace_type", [("box", go.Box), ("histogram", go.Histogram)])
def test_chamfer_distribution_one_trace_per_category_plus_reference(kind, trace_type):
    d = {"chair": np.array([[0, 1], [1, 0]], float), "lamp": np.array([[0, 2, 3], [2, 0, 4], [3, 4, 0]], float)}
    fig = gallery.chamfer_distribution(d, reference=np.array([5.0, 6.0]), kind=kind)
    assert [t.name for t in fig.data] == ["chair", "lamp", "between categories"]
    assert all(isinstance(t, trace_type) for t in fig.data)
    assert [len(t.x) for t in fig.data] == [1, 3, 2]
    assert fig.layout.xaxis.type == "log"
    with pytest.raises(ValueError, match="kind"):
        gallery.chamfer_distribution(d, kind="violin")


def test_benchmark_figure_bars():
    result = {"image_size": 64, "faces": 10,
              "outputs": {"rgb": {"views_per_s": 100.0, "ms_per_view": 10.0},
                          "blender lines": {"views_per_s": 0.5, "ms_per_view": 2000.0}}}
    fig = gallery.benchmark_figure(result)
    (bar,) = fig.data
    assert list(bar.x) == ["rgb", "blender lines"] and list(bar.y) == [100.0, 0.5]
    assert fig.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match="no outputs"):
        gallery.benchmark_figure({"outputs": {}})


def test_run_benchmark_small_without_blender():
    from sbsr.render.benchmark import format_benchmark, run_benchmark

    result = run_benchmark(n_views=2, repeats=1, image_size=32, blender_views=0)
    assert set(result["outputs"]) == {"rgb", "depth", "normals", "parts", "lines", "all", "natural"}
    for v in result["outputs"].values():
        assert v["ms_per_view"] > 0 and v["views_per_s"] == pytest.approx(1e3 / v["ms_per_view"])
    assert result["blender_views"] == 0
    assert "views/s" in format_benchmark(result)
    with pytest.raises(ValueError, match="n_views"):
        run_benchmark(n_views=0)
