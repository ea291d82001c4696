"""SketchyDepth metrics and depth effects against hand-computed values."""

import numpy as np
import pytest
import torch

from sbsr.systems.sketchy_depth import effects
from sbsr.systems.sketchy_depth.metrics import FrechetDistance, depth_errors, separation_auc, ssim


class _MeanEncoder:
    """A stand-in encoder: the feature of an image is its mean grey value (1-d)."""

    name = "mean-test"

    def tap_shape(self, tap):
        return (1,)

    def encode(self, images, tap="embedding"):
        return torch.from_numpy(np.asarray(images, np.float64).mean(axis=(1, 2, 3))[:, None]).float()


def _const(values):
    return np.stack([np.full((8, 8, 3), v, np.uint8) for v in values])


def test_frechet_distance_by_hand():
    # features A = {0, 2}: mean 1, (unbiased) variance 2; B = {3, 5}: mean 4, variance 2.
    # FD = (1 - 4)^2 + 2 + 2 - 2 * sqrt(2 * 2) = 9
    fd = FrechetDistance(_MeanEncoder()).set_reference(_const([3, 5]))
    assert fd(_const([0, 2])) == pytest.approx(9.0, abs=1e-4)
    assert fd.name == "FD (mean-test features)"


def test_frechet_distance_identical_sets_zero():
    imgs = _const([10, 40, 90, 200])
    fd = FrechetDistance(_MeanEncoder()).set_reference(imgs)
    assert abs(fd(imgs)) < 1e-4
    assert fd(_const([12, 40, 95, 230])) > 1.0  # and a different set is not


def test_frechet_distance_errors(tmp_path):
    with pytest.raises(ValueError, match="needs an encoder"):
        FrechetDistance()
    with pytest.raises(FileNotFoundError, match="no Inception weights file"):
        FrechetDistance(inception_weights=tmp_path / "missing.pth")
    fd = FrechetDistance(_MeanEncoder()).set_reference(_const([1, 2]))
    with pytest.raises(ValueError, match="uint8"):
        fd(np.zeros((2, 8, 8, 3), np.float32))


def test_ssim_by_hand():
    # constant images x = 0.8, y = 0.4 (204/255, 102/255): no variance, so SSIM is the luminance term
    # (2xy + C1) / (x^2 + y^2 + C1) with C1 = (0.01 * 1)^2: (0.64 + 1e-4) / (0.80 + 1e-4) = 0.800025
    a, b = _const([204, 204]), _const([102, 102])
    assert ssim(a, b) == pytest.approx((0.64 + 1e-4) / (0.80 + 1e-4), abs=1e-4)  # float32 arithmetic
    rng = np.random.default_rng(0)
    r = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    assert ssim(r, r) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="shapes differ"):
        ssim(a, r)


def test_depth_errors_by_hand():
    # pred (2, 1) vs true (1, 1): AbsRel = (1/1 + 0)/2 = 0.5, RMSE = sqrt((1 + 0)/2), ratios (2, 1) -> delta 0.5
    e = depth_errors(np.array([2.0, 1.0]), np.array([1.0, 1.0]))
    assert e["AbsRel"] == pytest.approx(0.5) and e["RMSE"] == pytest.approx(np.sqrt(0.5))
    assert e["delta<1.25"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="shapes differ"):
        depth_errors(np.zeros(2), np.zeros(3))


def test_separation_auc():
    mask = np.zeros((10, 10), bool)
    mask[4:6, 4:6] = True
    near = np.where(mask, 1.0, 5.0)
    assert separation_auc(near, mask) == pytest.approx(1.0)
    assert separation_auc(-near, mask) == pytest.approx(0.0)
    assert np.isnan(separation_auc(near, np.zeros_like(mask)))


@pytest.mark.parametrize("effect", effects.EFFECTS)
def test_effects_identity_at_zero_strength(effect):
    g = torch.Generator().manual_seed(0)
    img, depth = torch.rand(1, 3, 16, 16, generator=g), torch.rand(1, 1, 16, 16, generator=g)
    assert torch.equal(effects.apply_effect(img, depth, effect, start=0.2, strength=0.0), img)
    out = effects.apply_effect(img, depth, effect, start=0.0, direction=1, strength=1.0)
    assert out.shape == img.shape and not torch.equal(out, img)


def test_effect_weight_by_hand():
    d = torch.tensor([0.0, 0.5, 0.75, 1.0])
    # start 0.5 towards far: 0 up to 0.5, then (d - 0.5) / 0.5
    assert effects.depth_weight(d, 0.5, 1, 1.0).tolist() == [0.0, 0.0, 0.5, 1.0]
    # towards near: (0.5 - d) / 0.5, scaled by strength 0.5
    assert effects.depth_weight(d, 0.5, -1, 0.5).tolist() == [0.5, 0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="direction"):
        effects.depth_weight(d, 0.5, 0, 1.0)


def test_fog_only_far_pixels():
    img = torch.zeros(1, 3, 2, 2)
    depth = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    out = effects.apply_effect(img, depth, "fog", start=0.5, direction=1, strength=1.0)
    assert torch.equal(out[..., 0], img[..., 0])  # near column untouched
    assert torch.allclose(out[0, :, 0, 1], torch.tensor(effects.FOG_COLOUR))  # far column is fog


def test_photo3d_first_frame_is_input():
    g = torch.Generator().manual_seed(0)
    img, depth = torch.rand(3, 16, 16, generator=g), torch.rand(1, 16, 16, generator=g) * 0.9 + 0.1
    frames = effects.photo3d_frames(img, depth, n_frames=4)
    assert frames.shape == (4, 3, 16, 16)
    assert torch.allclose(frames[0], img, atol=1e-5)
    assert not torch.allclose(frames[-1], img, atol=1e-3)
