"""The end-to-end retrieval method (sbsr.retrieval.pipeline) on a tiny hand-made gallery."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import trimesh

from sbsr.encoders import get_encoder
from sbsr.retrieval.modulation import FeatureModulation, save_modulation
from sbsr.render import Camera, render
from sbsr.retrieval import object_bbox
from sbsr.retrieval.pipeline import AS_IS, METHODS, Framing, View, gallery_views, load_mask, method, run_retrieval

AZ = (0.0, 45.0, 90.0)
BOXES = [(0.6, 0.3, 0.2), (0.2, 0.7, 0.3), (0.4, 0.4, 0.6)]


class TinySplit:
    """Three boxes, three views each; sketch i is exactly view (i mod 3) of box i."""

    def __init__(self):
        self.meshes = [trimesh.creation.box(extents=e) for e in BOXES]
        self.shape_ids = ["a", "b", "c"]
        self.sketches = [SimpleNamespace(sketch_id=f"sk{i}") for i in range(3)]

    def views(self, azimuths, style="line", elevation=20.0, progress=False, **kw):
        cams = [Camera(azimuth=a, elevation=elevation, **kw) for a in azimuths]
        return np.stack([np.stack([render(m, c, outputs=("lines",)).lines for c in cams]) for m in self.meshes])

    def sketch_images(self):
        v = self.views(AZ)
        return np.stack([v[i, i % 3] for i in range(3)])

    def targets(self):
        return np.arange(3)


@pytest.fixture(scope="module")
def encoder():
    torch.set_num_threads(1)
    return get_encoder("minclip-procedural-v1", allow_random=True)


def test_named_methods():
    assert set(METHODS) == {"baseline", "centered", "bb170", "obb", "obb-augm2", "obb-augm4"}
    assert METHODS["baseline"].view_framing == AS_IS and METHODS["baseline"].sketch_framing.box == 170 / 224
    assert METHODS["obb-augm4"].augment == "augm4"
    with pytest.raises(ValueError, match="needs a learned mask"):
        method("full")
    assert method("full", mask="m.safetensors").mask == "m.safetensors"
    with pytest.raises(ValueError, match="unknown method 'best'"):
        method("best")


def test_framing_fits_the_box():
    img = np.full((224, 224), 255, np.uint8)
    img[10:40, 100:200] = 0
    out = Framing(129 / 224, True).apply(img[None])[0]
    box = object_bbox(out)
    assert max(box.height, box.width) == 129
    assert abs(box.center[0] - 111.5) <= 1 and abs(box.center[1] - 111.5) <= 1
    assert (AS_IS.apply(img[None])[0] == img).all()


def test_identical_views_are_retrieved_with_their_view(encoder):
    split = TinySplit()
    settings = METHODS["obb"].with_(views=AZ)
    run = run_retrieval(split, encoder, settings)
    assert run.distances.shape == (3, 3)
    np.testing.assert_allclose(np.diag(run.distances), 0.0, atol=1e-6)
    assert run.accuracy((1,)) == {"acc@1": 100.0}
    assert [run.best_view[i, i] for i in range(3)] == [0, 1, 2]
    assert list(run.ranks) == [1, 1, 1]


def test_a_zero_mask_makes_every_shape_tie(encoder, tmp_path):
    split = TinySplit()
    mod = FeatureModulation(encoder.tap_shape("layer3"), mode="binary", init=0.0)
    path = save_modulation(mod, tmp_path / "zero.safetensors")
    run = run_retrieval(split, encoder, METHODS["obb"].with_(views=AZ, mask=str(path)))
    assert np.all(run.distances == 0)
    # Ties are broken pessimistically: the ground truth is ranked last, so nothing is a hit.
    assert run.accuracy((1, 3)) == {"acc@1": 0.0, "acc@3": 100.0}


def test_a_mask_of_another_encoder_is_refused_before_encoding(encoder, tmp_path):
    path = save_modulation(FeatureModulation((3,), mode="binary"), tmp_path / "other.safetensors")
    assert load_mask(str(path)).shape == (3,)  # without an encoder there is nothing to check against
    n = int(np.prod(encoder.tap_shape("layer3")))
    with pytest.raises(ValueError, match=rf"other.safetensors has 3 weights but the layer3 tap .* has {n} features"):
        load_mask(str(path), encoder, "layer3")

    class NoImages(TinySplit):
        def sketch_images(self):
            raise AssertionError("encoded before the mask was checked")

    with pytest.raises(ValueError, match="belongs to another encoder"):
        run_retrieval(NoImages(), encoder, METHODS["obb"].with_(views=AZ, mask=str(path)))


def test_average_over_views_has_no_selected_view(encoder):
    split = TinySplit()
    run = run_retrieval(split, encoder, METHODS["obb"].with_(views=AZ, reduce="mean"))
    assert (run.best_view == -1).all()
    assert not np.allclose(np.diag(run.distances), 0.0)


def test_gallery_views_mix_projections_in_order():
    split = TinySplit()
    settings = METHODS["obb"].with_(views=(View(0.0, 20.0, "orthographic"), View(30.0), View(180.0, 20.0, "orthographic")))
    v = gallery_views(split, settings)
    assert v.shape == (3, 3, 224, 224)
    persp = split.views([30.0])
    assert (v[:, 1] == persp[:, 0]).all()
    assert not (v[:, 0] == split.views([0.0])[:, 0]).all()  # orthographic differs from perspective
