"""sbsr.render natural-image-like renders and the optional Blender Freestyle backend."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import trimesh
from scipy import ndimage

from sbsr.render import Camera, render, render_natural
from sbsr.render.natural import BACKGROUND_KINDS, available_photos, random_background

SMALL = Camera(azimuth=30, image_size=96)


def _mesh():
    m = trimesh.util.concatenate([trimesh.creation.box((0.5, 0.1, 0.5)), trimesh.creation.icosphere(2, 0.2)])
    m.part_ids = np.r_[np.zeros(12, int), np.ones(len(m.faces) - 12, int)]
    return m


def test_bundled_photos_load_offline():
    names = available_photos()
    assert {"astronaut", "chelsea", "coffee", "rocket"} <= set(names)


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
def test_every_background_kind(kind):
    rng = np.random.default_rng(0)
    bg = random_background(rng, 64, kinds=(kind,))
    assert bg.shape == (64, 64, 3) and np.isfinite(bg).all()
    assert bg.min() >= -1e-9 and bg.max() <= 1 + 1e-9
    assert bg.std() > 0.01                           # a texture, not a flat colour


def test_render_natural_deterministic_and_varied():
    mesh = _mesh()
    a = render_natural(mesh, SMALL, 7)
    b = render_natural(mesh, SMALL, np.random.default_rng(7))
    c = render_natural(mesh, SMALL, 8)
    assert a.shape == (96, 96, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    # the object is composited over the background: inside the mask the image differs from a render of
    # the same seed with nothing in view (same random stream for the background)
    mask = render(mesh, SMALL, outputs=()).mask
    empty = trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), int))
    bg_only = render_natural(empty, SMALL, 7)
    diff = np.abs(a.astype(int) - bg_only.astype(int)).sum(axis=2)
    assert diff[mask].mean() > diff[~mask].mean() + 10
    far = ~ndimage.binary_dilation(mask, iterations=30)
    assert far.sum() > 100 and np.all(diff[far] <= 2)       # same background and camera effects far away


def test_background_is_not_white():
    img = render_natural(_mesh(), SMALL, 3)
    assert (img == 255).all(axis=2).mean() < 0.5


@pytest.mark.blender
@pytest.mark.skipif(shutil.which("blender") is None, reason="no blender executable on PATH")
def test_blender_freestyle_matches_numpy_lines():
    cube = trimesh.creation.box((0.6, 0.6, 0.6))
    cam = Camera(azimuth=30)
    ours = render(cube, cam, outputs=("lines",)).lines < 128
    theirs = render(cube, cam, outputs=("lines",), backend="blender").lines
    assert theirs.shape == (224, 224) and theirs.dtype == np.uint8
    theirs = theirs < 128
    # the same strokes up to a pixel or two: most inked pixels of one are near ink of the other
    from scipy import ndimage
    near_ours = ndimage.binary_dilation(ours, iterations=2)
    assert theirs.sum() > 200 and (theirs & near_ours).sum() > 0.9 * theirs.sum()
