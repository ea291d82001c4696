"""Image-space transforms (OBB fitting, affine copies) and robust augmented features (Table 4.2 / B.4)."""

import numpy as np
import pytest
import torch

from sbsr.retrieval import (OBB_FRACTION, AffineParams, AugmentSpec, affine, apply_affine, augmented_views,
                            average_features, fit_to_box, object_bbox, parse_augment_spec, random_affine)


def _rect(h=100, w=120, y0=20, y1=40, x0=30, x1=80, rgb=False):
    img = np.full((h, w), 255, np.uint8)
    img[y0:y1, x0:x1] = 0
    return np.repeat(img[..., None], 3, axis=2) if rgb else img


def _dot(size=101, x=50, y=40, r=1):
    img = np.full((size, size), 255, np.uint8)
    img[y - r:y + r + 1, x - r:x + r + 1] = 0
    return img


def _centroid(img):
    ys, xs = np.nonzero(img < 128)
    return xs.mean(), ys.mean()


def test_object_bbox():
    box = object_bbox(_rect())
    assert (box.y0, box.x0, box.y1, box.x1) == (20, 30, 40, 80)
    assert (box.height, box.width, box.center) == (20, 50, (54.5, 29.5))
    assert object_bbox(_rect(rgb=True)) == box
    assert object_bbox(np.full((10, 10), 255, np.uint8)) is None
    assert object_bbox(255 - _rect(), background="black") == box
    faint = np.full((10, 10), 255, np.uint8)
    faint[5, 5] = 250  # 5 levels below white: below the default threshold
    assert object_bbox(faint) is None and object_bbox(faint, threshold=2) is not None
    with pytest.raises(TypeError, match="uint8"):
        object_bbox(np.zeros((4, 4)))


@pytest.mark.parametrize("fraction", [0.5, OBB_FRACTION])
def test_fit_to_box_scales_longer_side_and_centres(fraction):
    out = fit_to_box(_rect(), fraction, image_size=224)  # 20 x 50 object, landscape
    assert out.shape == (224, 224) and out.dtype == np.uint8
    box = object_bbox(out)
    side = round(fraction * 224)
    assert abs(box.width - side) <= 1
    assert abs(box.height - side * 20 / 50) <= 1
    assert abs(box.center[0] - 111.5) <= 1 and abs(box.center[1] - 111.5) <= 1


def test_fit_to_box_obb_is_129_pixels_and_rgb():
    out = fit_to_box(_rect(y0=10, y1=90, x0=50, x1=70, rgb=True))  # 80 x 20 object, portrait
    assert out.shape == (224, 224, 3)
    box = object_bbox(out)
    assert abs(box.height - 129) <= 1 and abs(box.width - 129 * 20 / 80) <= 1


def test_fit_to_box_without_centering_keeps_position():
    img = _rect(h=100, w=100, y0=10, y1=30, x0=60, x1=90)  # centre (74.5, 19.5)
    out = fit_to_box(img, None, image_size=200, center=False)  # only the x2 canvas rescale
    box = object_bbox(out)
    assert abs(box.center[0] - 149.5) <= 1 and abs(box.center[1] - 39.5) <= 1
    assert abs(box.width - 60) <= 1 and abs(box.height - 40) <= 1
    centred = object_bbox(fit_to_box(img, None, image_size=200, center=True))
    assert abs(centred.center[0] - 99.5) <= 1 and abs(centred.width - 60) <= 1
    # scaling without centering keeps the centre too, cropping at the border
    big = object_bbox(fit_to_box(img, 0.9, image_size=200, center=False))
    assert big.x1 == 200 and big.y0 == 0
    assert (fit_to_box(np.full((50, 50), 255, np.uint8), 0.5) == 255).all()


def test_affine_translation_moves_dot():
    out = affine(_dot(x=50, y=40), tx=7, ty=-5)
    cx, cy = _centroid(out)
    assert (cx, cy) == pytest.approx((57, 35), abs=1e-6)


def test_affine_rotation_is_counter_clockwise_and_scale_about_centre():
    cx, cy = _centroid(affine(_dot(x=70, y=50), rotation_deg=90))
    assert (cx, cy) == pytest.approx((50, 30), abs=0.01)  # right of centre -> above centre
    cx, cy = _centroid(affine(_dot(x=70, y=50), rotation_deg=-90))
    assert (cx, cy) == pytest.approx((50, 70), abs=0.01)
    cx, cy = _centroid(affine(_dot(x=60, y=50), scale=2.0))
    assert (cx, cy) == pytest.approx((70, 50), abs=0.01)
    # translation applies after rotation (rotate about the centre, then move)
    cx, cy = _centroid(affine(_dot(x=70, y=50), tx=5, ty=3, rotation_deg=90))
    assert (cx, cy) == pytest.approx((55, 33), abs=0.01)


def test_affine_fill_and_rgb():
    black = np.zeros((20, 20), np.uint8)
    out = affine(black, tx=5)
    assert (out[:, :5] == 255).all() and (out[:, 5:] == 0).all()
    rgb = np.zeros((20, 20, 3), np.uint8)
    out = affine(rgb, tx=-4, fill=(255, 0, 10))
    assert out.shape == (20, 20, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, -1], [255, 0, 10])
    np.testing.assert_array_equal(out[0, 0], [0, 0, 0])
    assert (affine(_dot()) == _dot()).all()  # identity


def test_random_affine_ranges_and_determinism():
    rng = np.random.default_rng(0)
    params = [random_affine(rng) for _ in range(300)]
    tx = np.array([p.tx for p in params])
    rot = np.array([p.rotation_deg for p in params])
    sc = np.array([p.scale for p in params])
    assert np.abs(tx).max() <= 22.4 and np.abs(tx).max() > 18
    assert np.abs(rot).max() <= 10 and np.abs(rot).max() > 8
    assert sc.min() >= 0.9 and sc.max() <= 1.1
    assert random_affine(5) == random_affine(5) and random_affine(5) != random_affine(6)
    p = AffineParams(7, -5, 0, 1.0)
    assert (apply_affine(_dot(), p) == affine(_dot(), 7, -5)).all()


# ----------------------------------------------------------------------------------------------------
# augmentation specs


def test_parse_augment_specs():
    assert parse_augment_spec("none").n_images == 1
    assert parse_augment_spec("augm2-translate(19,-4)").transforms == [(0, 0, 0), (19, -4, 0)]
    assert parse_augment_spec("augm2-rotate(-23.5)").transforms == [(0, 0, 0), (0, 0, -23.5)]
    assert parse_augment_spec("augm2-affine(19,-4,-23.5)").transforms == [(0, 0, 0), (19, -4, -23.5)]
    four = [(0, 0, 0), (19, -4, 0), (0, 0, -23.5), (19, -4, -23.5)]
    assert parse_augment_spec("augm4").transforms == four
    assert parse_augment_spec("Augm4(19, -4, -23.5)").transforms == four
    assert AugmentSpec(translations=[(19, -4)], rotations=[-23.5], combined=True).transforms == four
    # Table B.4: drop one image at a time
    for name, dropped in [("augm3-no-original", 0), ("augm3-no-translate", 1), ("augm3-no-rotate", 2),
                          ("augm3-no-combined", 3)]:
        assert parse_augment_spec(name).transforms == four[:dropped] + four[dropped + 1:]
    for bad in ("augm5", "augm2-rotate(1,2)", "augm4(a,b,c)", "none(1)"):
        with pytest.raises(ValueError):
            parse_augment_spec(bad)
    with pytest.raises(ValueError, match="at least one"):
        AugmentSpec(include_original=False)


def test_augmented_views_match_affine():
    img = _dot()
    views = augmented_views(img, "augm4(19,-4,-23.5)")
    assert len(views) == 4
    assert (views[0] == img).all()
    assert (views[1] == affine(img, 19, -4)).all()
    assert (views[2] == affine(img, rotation_deg=-23.5)).all()
    assert (views[3] == affine(img, 19, -4, -23.5)).all()


def _pixels(images):
    return np.stack([im.astype(np.float64).ravel() for im in images])


def test_average_features_is_mean_over_augmented_copies():
    images = [_dot(x=x) for x in (30, 40, 50, 60, 70)]
    out = average_features(_pixels, images, "augm2-translate(3,2)", chunk_size=2)
    expected = np.stack([0.5 * (_pixels([im])[0] + _pixels([affine(im, 3, 2)])[0]) for im in images])
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(average_features(_pixels, images, "none"), _pixels(images))
    out_t = average_features(lambda ims: torch.from_numpy(_pixels(ims)), images, "augm2-translate(3,2)")
    assert isinstance(out_t, torch.Tensor)
    np.testing.assert_allclose(out_t.numpy(), expected)
    with pytest.raises(ValueError, match="returned"):
        average_features(lambda ims: _pixels(ims[:1]), images, "augm4")
