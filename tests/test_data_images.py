"""sbsr.data.images: robust sketch loading (alpha, inverted, colour, 16-bit, any size) and PNG encoding."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sbsr.data.images import (
    EmptySketchError,
    ImageLoadError,
    detect_inverted,
    encode_png,
    load_sketch_image,
    normalize_sketch_array,
    read_png,
)


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_pad_to_square_exact_small_case():
    # 2 rows x 4 columns, one dark pixel per row: padded with one white row above and below.
    gray = np.array([[255, 0, 255, 255], [255, 255, 10, 255]], dtype=np.uint8)
    out = normalize_sketch_array(gray, size=None, allow_empty=True)
    expected = np.full((4, 4), 255, dtype=np.uint8)
    expected[1] = gray[0]
    expected[2] = gray[1]
    np.testing.assert_array_equal(out, expected)


def test_detect_inverted_hand_cases():
    light = np.full((10, 10), 255, np.uint8)
    light[5, :] = 0
    assert not detect_inverted(light)
    assert detect_inverted(255 - light)
    # median exactly mid-gray: the border decides (dark border -> inverted)
    mid = np.full((10, 10), 128, np.uint8)
    mid[0, :] = mid[-1, :] = mid[:, 0] = mid[:, -1] = 0
    mid[3:7, 3:7] = 128
    assert detect_inverted(mid)


def test_rgba_black_strokes_on_transparent_background(tmp_path):
    arr = np.zeros((64, 96, 4), dtype=np.uint8)  # black, fully transparent
    arr[30:34, 10:80, 3] = 255  # an opaque black bar
    path = tmp_path / "alpha.png"
    Image.fromarray(arr).save(path)
    out = load_sketch_image(path)
    assert out.shape == (224, 224) and out.dtype == np.uint8
    # padding: 96 wide -> 16 rows of white above the 64-high drawing, scaled by 224/96
    assert out[0].min() == 255 and out[-1].min() == 255
    row = int(round((16 + 32) * 224 / 96))
    assert out[row, 112] < 50  # the bar is dark in the middle
    assert np.median(out) == 255


def test_white_strokes_on_transparent_background_use_alpha(tmp_path):
    arr = np.zeros((50, 50, 4), dtype=np.uint8)
    arr[..., :3] = 255
    arr[20:30, 5:45, 3] = 255  # white opaque bar on transparent: invisible after compositing on white
    path = tmp_path / "white_alpha.png"
    Image.fromarray(arr).save(path)
    out = load_sketch_image(path, size=50)
    assert out[25, 25] == 0 and out[5, 5] == 255


def test_inverted_polarity_is_fixed(tmp_path):
    arr = np.zeros((100, 100), dtype=np.uint8)  # black background
    arr[48:52, 10:90] = 255  # white stroke
    path = tmp_path / "inv.jpg"
    Image.fromarray(arr).save(path, quality=95)
    out = load_sketch_image(path, size=100)
    assert out[5, 5] > 240  # background became white
    assert out[50, 50] < 30  # stroke became dark
    forced = load_sketch_image(path, size=100, polarity="dark-on-light", allow_empty=True)
    assert forced[5, 5] < 20  # no inversion when told so


def test_colour_palette_and_16bit_inputs():
    rgb = np.full((40, 40, 3), 255, dtype=np.uint8)
    rgb[20, 5:35] = (255, 0, 0)  # red stroke: luma 76
    out = load_sketch_image(_png_bytes(Image.fromarray(rgb)), size=40)
    assert out[20, 20] == 76 and out[0, 0] == 255
    pal = Image.fromarray(rgb).convert("P")
    assert load_sketch_image(pal, size=40)[20, 20] < 100
    sixteen = np.full((40, 40), 65535, dtype=np.uint16)
    sixteen[10, 5:35] = 0
    img16 = Image.fromarray(sixteen)
    out16 = load_sketch_image(img16, size=40)
    assert out16[10, 20] == 0 and out16[0, 0] == 255


def test_float_and_bool_arrays():
    f = np.ones((30, 30), dtype=np.float32)
    f[15, 3:27] = 0.0
    assert load_sketch_image(f, size=30)[15, 15] == 0
    b = np.ones((30, 30), dtype=bool)
    b[15, 3:27] = False
    assert load_sketch_image(b, size=30)[15, 15] == 0


def test_empty_unreadable_and_missing(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)
    with pytest.raises(EmptySketchError, match="blank.png"):
        load_sketch_image(blank)
    assert load_sketch_image(blank, allow_empty=True).min() == 255
    transparent = tmp_path / "transparent.png"
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(transparent)
    with pytest.raises(EmptySketchError):
        load_sketch_image(transparent)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png at all")
    with pytest.raises(ImageLoadError, match="junk.png"):
        load_sketch_image(junk)
    with pytest.raises(FileNotFoundError, match="nope.png"):
        load_sketch_image(tmp_path / "nope.png")


def test_encode_png_is_deterministic_and_lossless(tmp_path):
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (32, 48), dtype=np.uint8)
    rgb = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert encode_png(gray) == encode_png(gray.copy())
    for arr, name in ((gray, "g.png"), (rgb, "c.png")):
        (tmp_path / name).write_bytes(encode_png(arr))
        np.testing.assert_array_equal(read_png(tmp_path / name), arr)
    with pytest.raises(TypeError):
        encode_png(gray.astype(np.float32))
