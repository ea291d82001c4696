"""The sketch-query explorer (sbsr.systems.clip_retrieval.explorer): an uploaded sketch ranked end to end."""

import io

import numpy as np
import pytest
import torch
import trimesh
from PIL import Image

from sbsr.data.images import EmptySketchError
from sbsr.retrieval.modulation import FeatureModulation, save_modulation
from sbsr.render import Camera, render
from sbsr.systems.clip_retrieval.explorer import ExplorerResult, SketchExplorer, rank_sketch
from sbsr.retrieval.pipeline import METHODS

AZ = (0.0, 45.0, 90.0)
BOXES = {"wide": (0.6, 0.3, 0.2), "tall": (0.2, 0.7, 0.3), "cube": (0.4, 0.4, 0.6)}


class BoxGallery:
    def __init__(self):
        self.shape_ids = list(BOXES)
        self.meshes = [trimesh.creation.box(extents=e) for e in BOXES.values()]

    def views(self, azimuths, style="line", elevation=20.0, progress=False, **kw):
        return np.stack([np.stack([render(m, Camera(azimuth=a, elevation=elevation), outputs=("lines",)).lines
                                   for a in azimuths]) for m in self.meshes])


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    torch.set_num_threads(1)
    from sbsr.encoders import get_encoder

    enc = get_encoder("minclip-procedural-v1", device="cpu", allow_random=True)
    mask = FeatureModulation(enc.tap_shape("layer3"), mode="binary")
    with torch.no_grad():
        mask.weight[: mask.weight.shape[0] // 4] = 0.0  # drop a quarter of the channels
    path = save_modulation(mask, tmp_path_factory.mktemp("mask") / "m.safetensors")
    return SketchExplorer(BoxGallery(), enc, mask=path, settings=METHODS["obb-augm4"].with_(views=AZ))


def _png(image: np.ndarray, invert: bool = False, scale: int = 1, rgba: bool = False) -> bytes:
    img = Image.fromarray(255 - image if invert else image)
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.BILINEAR)
    if rgba:  # dark strokes on a transparent background
        a = 255 - np.asarray(img)
        img = Image.fromarray(np.dstack([np.zeros_like(a)] * 3 + [a]), mode="RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_uploaded_png_is_ranked_end_to_end(explorer, tmp_path):
    assert explorer.settings.mask and explorer.settings.augment == "augm4"
    view = explorer.views[1, 2]  # "tall" box seen from 90 degrees
    # as uploaded from a notebook: PNG bytes, light strokes on black (inverted polarity is detected)
    res = explorer.rank(memoryview(_png(view, invert=True)), k=2)
    assert isinstance(res, ExplorerResult)
    assert res.shape_ids[0] == "tall" and res.azimuths[0] == 90.0 and res.best_views[0] == 2
    assert res.distances[0] == pytest.approx(0.0, abs=1e-6) and res.distances[1] > 0
    assert len(res.shape_ids) == 2 and res.rank_of("tall") == 1
    assert list(res.table()["shape"]) == res.shape_ids
    np.testing.assert_array_equal(explorer.best_view_images(res)[0], view)
    # a file on disk, twice the size, strokes on a transparent background: still the right box and view
    path = tmp_path / "upload.png"
    path.write_bytes(_png(explorer.views[2, 1], scale=2, rgba=True))
    res2 = explorer.rank(str(path), k=3)
    assert res2.shape_ids[0] == "cube" and res2.azimuths[0] == 45.0
    assert sorted(res2.shape_ids) == sorted(BOXES) and np.all(np.diff(res2.distances) >= 0)


def test_figure_inputs_show_the_best_views_and_frame_the_ground_truth(explorer):
    results = [explorer.rank(explorer.views[i, 1], k=1) for i in range(3)]  # each box finds itself first
    inp = explorer.figure_inputs(results, ["wide", "cube", "cube"])
    assert inp["top_k"].tolist() == [[0], [1], [2]] and len(inp["gallery"]) == 3
    assert inp["targets"] == [0, -1, 2]  # row 2's truth ("cube") is not its top 1: nothing framed there
    assert inp["target_ranks"][0] == 1 and inp["target_ranks"][1] > 1
    np.testing.assert_array_equal(inp["gallery"][1], explorer.views[1, 1])
    assert inp["gallery_labels"][1] == "tall,45°" and inp["distances"].shape == (3, 1)
    from sbsr.book.figures.retrieval import retrieval_figure

    fig = retrieval_figure(**explorer.figure_inputs(results[:2]))
    assert len(fig.data) == 4  # two rows of query + one shape


def test_the_mask_is_applied_to_queries_and_gallery(explorer):
    _, q = explorer.encode_sketch(explorer.views[0, 0])
    d = q.shape[0]
    assert np.all(q[: d // 4] == 0) and np.any(q[d // 4:] != 0)
    assert np.all(explorer.view_features[:, :, : d // 4] == 0)


def test_bad_uploads_say_what_is_wrong(explorer, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.png"):
        explorer.rank(str(tmp_path / "nothing.png"))
    with pytest.raises(EmptySketchError):
        explorer.rank(np.full((100, 80), 255, np.uint8))
    with pytest.raises(ValueError, match="cannot decode"):
        explorer.rank(b"not a png")
    with pytest.raises(ValueError, match="k must be"):
        explorer.rank(explorer.views[0, 0], k=0)


def test_result_rank_and_table_by_hand():
    res = ExplorerResult(shape_ids=["b", "a"], indices=np.array([1, 0]), distances=np.array([0.1, 0.2]),
                         best_views=np.array([2, 0]), azimuths=[90.0, 0.0], query=np.zeros((4, 4), np.uint8),
                         all_distances=np.array([0.2, 0.1, 0.2]), gallery_ids=["a", "b", "c"])
    assert res.rank_of("b") == 1
    assert res.rank_of("a") == 3  # tied with "c": pessimistic, as acc@k counts it
    with pytest.raises(KeyError, match="zzz"):
        res.rank_of("zzz")
    t = res.table()
    assert list(t.index) == [1, 2] and list(t["best view"]) == ["90°", "0°"] and list(t["shape"]) == ["b", "a"]


def test_without_a_mask_the_explorer_ranks_with_the_given_settings():
    torch.set_num_threads(1)
    from sbsr.encoders import get_encoder

    enc = get_encoder("minclip-procedural-v1", device="cpu", allow_random=True)
    ex = SketchExplorer(BoxGallery(), enc, mask=None, settings=METHODS["obb"].with_(views=AZ))
    assert ex.mask is None and ex.settings.name == "obb"
    res = ex.rank(ex.views[0, 1], k=1)
    assert res.shape_ids == ["wide"] and res.azimuths == [45.0]
    one_shot = rank_sketch(ex.views[2, 0], BoxGallery(), enc, mask=None, k=1, settings=METHODS["obb"].with_(views=AZ))
    assert one_shot.shape_ids == ["cube"] and one_shot.azimuths == [0.0]
