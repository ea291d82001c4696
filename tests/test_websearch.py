"""The static book's sketch search (sbsr.book.websearch): the exported program equals the encoder tap, and the
JavaScript runtime (run in Node here, in Chromium by test_browser.py) reproduces the Python pipeline step by
step on a tiny random encoder: framing and affine copies pixel for pixel, features and distances to float
rounding, the ranking exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from sbsr.book import websearch
from sbsr.encoders.minclip import MinClipImageTower
from sbsr.encoders.preprocess import Preprocess
from sbsr.retrieval.augment import augmented_views
from sbsr.retrieval.distances import shape_distances_and_views
from sbsr.retrieval.transforms import OBB_FRACTION, fit_to_box

NODE = shutil.which("node")


def _tower(seed: int = 0) -> MinClipImageTower:
    torch.manual_seed(seed)
    tower = MinClipImageTower(8, (8, 8, 16, 16), (1, 1, 1, 1), 16).eval()
    for m in tower.modules():  # non-trivial batch-norm statistics, so that folding is exercised
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 2.0)
    return tower


def _run_program(ops, weights, x: torch.Tensor) -> torch.Tensor:
    """Evaluate the exported program with torch (NCHW, one image)."""
    w = torch.from_numpy(weights)
    reg = {"x": x}
    for op in ops:
        t = reg[op["src"]]
        if op["op"] == "avgpool":
            reg[op["dst"]] = F.avg_pool2d(t, op["k"])
            continue
        n_w = op["cout"] * op["cin"] * op["k"] ** 2
        kernel = w[op["w"]:op["w"] + n_w].reshape(op["cout"], op["cin"], op["k"], op["k"])
        y = F.conv2d(t, kernel, w[op["b"]:op["b"] + op["cout"]], stride=op["stride"], padding=op["pad"])
        if op["add"]:
            y = y + reg[op["add"]]
        reg[op["dst"]] = F.relu(y) if op["relu"] else y
    return reg["out"]


def test_tower_program_is_the_layer3_tap_with_folded_batch_norm():
    tower = _tower()
    ops, weights = websearch.tower_program(tower, stage=3)
    # stem: 3 convs + pool; layer1: 2 convs; layer2 and layer3: 2 convs + a 1x1 downsample each
    assert [o["op"] for o in ops].count("conv") == 3 + 2 + 3 + 3 and ops[-1]["dst"] == "out"
    assert weights.dtype == np.float32
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        want = tower.forward_stage(x, 3)
        got = _run_program(ops, weights, x)
    assert got.shape == want.shape == (1, 16, 4, 4)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_augment_matrices_are_the_inverse_maps_of_the_four_copies():
    mats = websearch.augment_matrices("augm4")
    assert len(mats) == 4 and mats[0] is None
    # the translated copy moves the picture by (19, -4) px: its inverse map samples at (x - 19, y + 4)
    np.testing.assert_allclose(np.reshape(mats[1], (3, 3)), [[1, 0, -19], [0, 1, 4], [0, 0, 1]], atol=1e-12)
    # the rotated copy: a rotation by 23.5 deg about the centre (111.5, 111.5) keeps the centre fixed
    m = np.reshape(mats[2], (3, 3))
    np.testing.assert_allclose(m @ [111.5, 111.5, 1.0], [111.5, 111.5, 1.0], atol=1e-9)
    assert m[0, 0] == pytest.approx(np.cos(np.deg2rad(23.5)))


def _sketch() -> np.ndarray:
    img = Image.new("L", (224, 224), 255)
    d = ImageDraw.Draw(img)
    d.line([(60, 40), (70, 170), (150, 160), (160, 60)], fill=0, width=3)
    d.line([(70, 110), (150, 105)], fill=90, width=2)
    d.ellipse([100, 30, 130, 55], outline=30, width=2)
    return np.asarray(img)


def _python_feature(tower, gray, keep, image_size=64):
    """The query half of sbsr.retrieval.pipeline.features_for, spelled out: OBB, augm4, resize, tap, mean."""
    pre = Preprocess(image_size)
    framed = fit_to_box(gray, OBB_FRACTION)
    copies = augmented_views(framed, "augm4")
    with torch.no_grad():
        feats = tower.forward_stage(pre(copies), 3).reshape(len(copies), -1).numpy()
    return framed, feats.mean(axis=0)[keep]


def _payload(tower, keep, n_features, gallery, image_size=64):
    ops, weights = websearch.tower_program(tower, stage=3)
    pre = Preprocess(image_size)
    meta = {"format": websearch.FORMAT, "encoder": "tiny", "tap": "layer3", "n_features": n_features,
            "n_kept": int(keep.size), "mask": "test", "dataset": "test", "split": "test", "profile": "test",
            "method": "test", "input_size": image_size, "mean": list(pre.mean), "std": list(pre.std),
            "framing_box": OBB_FRACTION, "augment": websearch.augment_matrices("augm4")}
    g16 = gallery.astype(np.float16)
    return {"meta": meta, "program": ops, "weights": websearch._b64(weights), "keep": websearch._b64(keep.astype(np.uint16)),
            "galleries": {"toy": {"label": "toy", "shape_ids": [f"s{i}" for i in range(len(gallery))],
                                  "azimuths": [0.0, 45.0], "n_shapes": len(gallery), "n_views": gallery.shape[1],
                                  "features": websearch._b64(g16), "thumbs": []}}}


NODE_SCRIPT = """
globalThis.window = globalThis;
globalThis.atob = s => Buffer.from(s, "base64").toString("binary");
require(process.argv[2]);
const W = require(process.argv[3]);
const gray = Uint8Array.from(JSON.parse(require("fs").readFileSync(process.argv[4], "utf8")));
const model = W.loadModel(globalThis.SBSR_WEBSEARCH);
const res = W.rank(model, gray, "toy", 3);
const enc = W.encode(model, gray);
console.log(JSON.stringify({ids: res.shape_ids, dist: res.distances, all: res.all_distances, framed: res.framed,
                            feature: Array.from(enc.feature)}));
"""


def _node_unavailable():
    if os.environ.get("CI"):
        pytest.fail("node is needed for the sketch-search runtime tests (`make assets` installs npm/node)")
    pytest.skip("node not installed")


def test_javascript_runtime_ranks_like_python(tmp_path: Path):
    """Framing and augmentation exact, features to 1e-4, the ranking and the distances (to 1e-3) as Python."""
    if not NODE:
        _node_unavailable()
    tower = _tower(1)
    n_features = 16 * 4 * 4
    keep = np.flatnonzero(np.arange(n_features) % 3 != 0)  # a "mask" keeping two features of three
    gray = _sketch()
    framed, q = _python_feature(tower, gray, keep)
    rng = np.random.default_rng(0)
    gallery = (q[None, None, :] + rng.normal(0, 1, (4, 2, keep.size)) * np.abs(q).mean()).astype(np.float32)
    (tmp_path / "data.js").write_text(websearch.payload_js(_payload(tower, keep, n_features, gallery)))
    (tmp_path / "gray.json").write_text(json.dumps(gray.ravel().tolist()))
    (tmp_path / "run.js").write_text(NODE_SCRIPT)
    proc = subprocess.run([NODE, str(tmp_path / "run.js"), str(tmp_path / "data.js"), str(websearch.RUNTIME_PATH),
                           str(tmp_path / "gray.json")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    np.testing.assert_array_equal(np.reshape(out["framed"], (224, 224)), framed)
    np.testing.assert_allclose(out["feature"], q, rtol=1e-4, atol=1e-5)
    # Python's Eq. 4.1 on the same float16 index, distances over all n_features (masked ones are 0 on both sides)
    g = gallery.astype(np.float16).astype(np.float32)
    full_q = np.zeros(n_features, np.float32)
    full_q[keep] = q
    full_g = np.zeros((4, 2, n_features), np.float32)
    full_g[..., keep] = g
    dist, _ = shape_distances_and_views(full_q[None], full_g)
    order = np.argsort(dist[0], kind="stable")[:3]
    assert out["ids"] == [f"s{i}" for i in order]
    np.testing.assert_allclose(out["all"], dist[0], rtol=1e-3)


def test_export_refuses_settings_the_browser_does_not_run():
    class Ex:  # what export_payload reads of a SketchExplorer
        from sbsr.retrieval.pipeline import METHODS

        settings = METHODS["obb"]
        mask = None

    with pytest.raises(ValueError, match="full method"):
        websearch.export_payload({"chair": Ex()}, encoder=None, profile="quick")


def test_panel_loads_the_data_then_the_runtime_from_the_books_static_folder():
    html = websearch.panel_html(k=7, gallery="lamp")
    assert 'data-k="7"' in html and 'data-gallery="lamp"' in html
    assert html.index(websearch.DATA_FILE) < html.index(websearch.RUNTIME_FILE)
    assert "http" not in html  # nothing from the network
