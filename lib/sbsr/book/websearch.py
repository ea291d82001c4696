"""Sketch search in the static book: the explorer's full method, run by the reader's browser.

The explorer chapter ranks a sketch against a test gallery with the full method (thesis §4.2.2, Table 4.8
"Binary"): the sketch fitted to the optimal bounding box (OBB, 129/224), the mean feature of its four affine
copies ("Augm. (4 imgs)", Table 4.2 #14), the ``layer3`` tap of the offline encoder ``minclip-procedural-v1``,
the learned binary mask (Eq. 4.3) and the minimum MSE over each shape's views (Eq. 4.1). This module exports
everything the browser needs into one JavaScript data file, written at build time (``make book``):

* **the encoder's feature tap** as a small program of convolutions (``layer3`` = stem + three residual stages;
  every batch norm folded into its convolution) with float32 weights;
* **the graph's fixed parts**: the inverse matrices of the three affine copies exactly as
  :func:`sbsr.retrieval.transforms.affine` samples them, the OBB fraction, the encoder's input size and
  normalisation (the 224 -> 128 px bicubic resize is Pillow's, re-implemented in JavaScript);
* **the gallery index**: the masked ``layer3`` features of every view of every test shape, only the features
  the binary mask keeps, stored as float16, with one small PNG per view to show the best match.

The runtime (``websearch.js`` beside this module) is plain JavaScript: onnxruntime-web's smallest wasm build
(``ort-wasm-simd-threaded.wasm``, 12.4 MB in 1.24.3; 16.5 MB base64-inlined, which a ``file://`` page needs since
browsers refuse ``fetch`` there) alone is over the book's 10 MB page budget, while the forward pass of this
ResNet stem and three stages is ~150 lines. It mirrors the Python pipeline step by step (:func:`fit_to_box`
with skimage's anti-aliased resize, skimage's bilinear warp, Pillow's fixed-point bicubic resize), so the
browser's ranking is Python's: ``tests/test_websearch.py`` checks each step in Node and
``tests/test_browser.py`` the whole page in Chromium.

    python -m sbsr.book.websearch [--profile quick] [--out DIR]   # write the data file (the book build does it)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage import transform as sktf
from torch import nn

from ..io import atomic_path
from ..retrieval.augment import parse_augment_spec
from ..retrieval.transforms import OBB_FRACTION, affine_matrix

ENCODER = "minclip-procedural-v1"
TAP = "layer3"
DATASET = "procedural-v1"
SPLIT = "test"
CATEGORIES = ("chair", "lamp")
THUMB_PX = 96
FORMAT = "sbsr.websearch/1"
DATA_FILE = "sbsr-websearch-data.js"
RUNTIME_FILE = "websearch.js"
RUNTIME_PATH = Path(__file__).resolve().parent / RUNTIME_FILE
STATIC_DIR = "sbsr-websearch"  # under the built book's _static/
MAX_DATA_BYTES = 10 * 1024 * 1024  # the page's own assets stay under 10 MB


# --- the encoder tap as a program ------------------------------------------------------------------------
def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[np.ndarray, np.ndarray]:
    """Conv weight (O, I, k, k) and bias (O,) with the eval-mode batch norm folded in (float64 maths)."""
    w = conv.weight.detach().double()
    scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.detach().double() + bn.eps)
    bias = bn.bias.detach().double() - bn.running_mean.detach().double() * scale
    if conv.bias is not None:
        bias = bias + conv.bias.detach().double() * scale
    return (w * scale[:, None, None, None]).float().numpy(), bias.float().numpy()


class _Program:
    """Ops over named registers; weights appended to one float32 buffer (offsets in floats)."""

    def __init__(self):
        self.ops: list[dict] = []
        self.chunks: list[np.ndarray] = []
        self.size = 0

    def _put(self, arr: np.ndarray) -> int:
        off = self.size
        flat = np.ascontiguousarray(arr, dtype=np.float32).reshape(-1)
        self.chunks.append(flat)
        self.size += flat.size
        return off

    def conv(self, conv: nn.Conv2d, bn: nn.BatchNorm2d, src: str, dst: str, relu: bool, add: str | None = None):
        w, b = _fold(conv, bn)
        if conv.groups != 1 or conv.dilation != (1, 1) or conv.kernel_size[0] != conv.kernel_size[1]:
            raise ValueError(f"unsupported convolution {conv}")
        self.ops.append({"op": "conv", "src": src, "dst": dst, "cin": conv.in_channels, "cout": conv.out_channels,
                         "k": conv.kernel_size[0], "stride": conv.stride[0], "pad": conv.padding[0],
                         "w": self._put(w), "b": self._put(b), "relu": relu, "add": add})

    def weights(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)


def tower_program(visual: nn.Module, stage: int = 3) -> tuple[list[dict], np.ndarray]:
    """The ``layer<stage>`` tap of a :class:`sbsr.encoders.minclip.MinClipImageTower` as ``(ops, weights)``.

    Registers: ``x`` the normalised (3, S, S) input, the last op writes ``out``. Ops: ``conv`` (3x3 or 1x1,
    folded batch norm as bias, optional residual ``add`` register, then optional ReLU) and ``avgpool``.
    """
    prog = _Program()
    stem = list(visual.stem)
    src, n = "x", 0
    for i in range(0, len(stem) - 1, 3):
        conv, bn, relu = stem[i:i + 3]
        if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d) and isinstance(relu, nn.ReLU)):
            raise ValueError("the stem must be (Conv2d, BatchNorm2d, ReLU) triples then a pool")
        prog.conv(conv, bn, src, f"s{n}", relu=True)
        src, n = f"s{n}", n + 1
    pool = stem[-1]
    if not isinstance(pool, nn.AvgPool2d) or pool.kernel_size != 2:
        raise ValueError("the stem must end with AvgPool2d(2)")
    prog.ops.append({"op": "avgpool", "src": src, "dst": "p", "k": 2})
    src = "p"
    layers = (visual.layer1, visual.layer2, visual.layer3, visual.layer4)[:stage]
    for li, layer in enumerate(layers, start=1):
        for bi, block in enumerate(layer):
            name = f"l{li}b{bi}"
            prog.conv(block.conv1, block.bn1, src, name + "t", relu=True)
            ident = src
            if block.downsample is not None:
                prog.conv(block.downsample[0], block.downsample[1], src, name + "d", relu=False)
                ident = name + "d"
            prog.conv(block.conv2, block.bn2, name + "t", name, relu=True, add=ident)
            src = name
    prog.ops[-1]["dst"] = "out"
    return prog.ops, prog.weights()


def augment_matrices(spec: str = "augm4", image_size: int = 224) -> list[list[float] | None]:
    """Per augmented copy, the 3x3 *inverse* map (row-major) that skimage's warp samples with, or ``None`` for
    the original; the same matrices :func:`sbsr.retrieval.transforms.affine` builds."""
    c = (image_size - 1) / 2.0
    out = []
    for tx, ty, r in parse_augment_spec(spec).transforms:
        if tx == 0.0 and ty == 0.0 and r == 0.0:
            out.append(None)
            continue
        m = affine_matrix(tx, ty, r, 1.0, (c, c))
        out.append([float(v) for v in sktf.AffineTransform(matrix=m).inverse.params.reshape(-1)])
    return out


# --- the gallery index ----------------------------------------------------------------------------------
def _png_b64(image: np.ndarray, size: int = THUMB_PX) -> str:
    img = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("L").resize((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _b64(arr: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def export_payload(explorers: dict, encoder, profile: str) -> dict:
    """The data file's object for ``explorers`` (category -> :class:`SketchExplorer` of one split), all built
    with the same ``encoder`` and settings (the full method with a mask)."""
    first = next(iter(explorers.values()))
    settings = first.settings
    if first.mask is None or settings.augment != "augm4" or settings.tap != TAP or settings.reduce != "min":
        raise ValueError(f"the browser runs the full method (augm4, {TAP}, mask, min over views); got "
                         f"{settings.describe()}")
    if settings.sketch_framing.box is None or not settings.sketch_framing.center:
        raise ValueError("the browser frames sketches into a centred box (OBB)")
    if encoder.preprocess.interpolation != "bicubic" or first.mask.size >= 2**16:
        raise ValueError("the browser resizes with Pillow's bicubic filter and indexes features with uint16")
    keep = np.flatnonzero(first.mask != 0).astype(np.uint16)
    ops, weights = tower_program(getattr(encoder.model, "visual", encoder.model), stage=int(TAP[-1]))
    pre = encoder.preprocess
    galleries = {}
    for cat, ex in explorers.items():
        if not np.array_equal(ex.mask, first.mask):
            raise ValueError("every gallery must use the same mask")
        feats = ex.view_features[..., keep].astype(np.float16)
        n_s, n_v = feats.shape[:2]
        galleries[cat] = {
            "label": f"{SPLIT} {cat}s", "shape_ids": list(ex.shape_ids), "azimuths": list(ex.azimuths),
            "n_shapes": n_s, "n_views": n_v, "features": _b64(feats),
            "thumbs": [[_png_b64(ex.views[s, v]) for v in range(n_v)] for s in range(n_s)],
        }
    mask_path = Path(settings.mask) if settings.mask else None
    meta = {
        "format": FORMAT, "encoder": encoder.name, "tap": TAP,
        "weights_source": re.sub(r"\S*/", "", encoder.weights_source),  # no local paths in the page
        "tap_shape": list(encoder.tap_shape(TAP)), "n_features": int(first.mask.size), "n_kept": int(keep.size),
        "mask": mask_path.name if mask_path else None,
        "mask_sha256": hashlib.sha256(mask_path.read_bytes()).hexdigest() if mask_path else None,
        "dataset": DATASET, "split": SPLIT, "profile": profile,
        "method": settings.with_(mask=None).describe() + (f"; binary mask {mask_path.name}" if mask_path else ""),
        "input_size": pre.image_size, "mean": list(pre.mean), "std": list(pre.std), "interpolation": pre.interpolation,
        "framing_box": float(settings.sketch_framing.box), "augment": augment_matrices(settings.augment),
    }
    return {"meta": meta, "program": ops, "weights": _b64(weights), "keep": _b64(keep), "galleries": galleries}


def payload_js(payload: dict) -> str:
    return "window.SBSR_WEBSEARCH = " + json.dumps(payload, separators=(",", ":")) + ";\n"


def _inputs_key(profile: str) -> str:
    """Hash of what the data file depends on: encoder and mask files, the runtime's format, the profile."""
    from ..systems.clip_retrieval.train import shipped_mask

    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{FORMAT}|{profile}|{ENCODER}|{DATASET}|{SPLIT}|{CATEGORIES}".encode())
    code = sorted(p for sub in ("shapes", "render", "sketch", "data", "retrieval", "encoders")
                  for p in (pkg / sub).rglob("*.py"))  # what generates the gallery and its features
    for p in (Path(__file__), shipped_mask(ENCODER, "binary", "chair"), pkg / "encoders" / "weights" /
              f"{ENCODER}.safetensors", *code):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


class DataTooLarge(ValueError):
    """The gallery index would make the page's assets larger than :data:`MAX_DATA_BYTES`."""


def build_data(root: str | os.PathLike, profile: str = "quick", out: str | os.PathLike | None = None,
               quiet: bool = False) -> Path:
    """Write ``sbsr-websearch-data.js`` (cached under ``data/cache/websearch/`` by a hash of its inputs)."""
    from ..encoders import FeatureCache, get_encoder
    from ..systems.clip_retrieval.experiments import open_paper_dataset
    from ..systems.clip_retrieval.explorer import SketchExplorer

    root = Path(root)
    out_dir = Path(out) if out else root / "data" / "cache" / "websearch"
    target = out_dir / DATA_FILE
    key = _inputs_key(profile)
    stamp = out_dir / "inputs.json"
    if target.is_file() and stamp.is_file() and json.loads(stamp.read_text()).get("key") == key:
        return target
    t0 = time.perf_counter()
    encoder = get_encoder(ENCODER, device="cpu")
    data = open_paper_dataset(DATASET, profile)
    cache = FeatureCache(root / "data" / "cache" / "features")
    explorers = {cat: SketchExplorer(data.split(SPLIT, cat), encoder, mask="shipped", cache=cache)
                 for cat in CATEGORIES}
    text = payload_js(export_payload(explorers, encoder, profile))
    if len(text) > MAX_DATA_BYTES:
        raise DataTooLarge(f"{target.name} would be {len(text) / 2**20:.1f} MiB with the {profile} profile's "
                           f"gallery, over the page budget of {MAX_DATA_BYTES / 2**20:.0f} MiB")
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    stamp.write_text(json.dumps({"key": key, "profile": profile}), encoding="utf-8")
    if not quiet:
        print(f"websearch: {target} ({len(text) / 2**20:.2f} MiB) in {time.perf_counter() - t0:.1f} s")
    return target


def install(root: str | os.PathLike, static: str | os.PathLike) -> Path | None:
    """Copy the runtime and (when built) the data file to ``<static>/sbsr-websearch/``; the folder or None."""
    data = Path(root) / "data" / "cache" / "websearch" / DATA_FILE
    dest = Path(static) / STATIC_DIR
    dest.mkdir(parents=True, exist_ok=True)
    (dest / RUNTIME_FILE).write_bytes(RUNTIME_PATH.read_bytes())
    if not data.is_file():
        return None
    (dest / DATA_FILE).write_bytes(data.read_bytes())
    return dest


# --- the page panel --------------------------------------------------------------------------------------
PANEL_HTML = """<div class="sbsr-websearch" data-k="{k}" data-gallery="{gallery}">
<p class="sbsr-websearch-note">Sketch search in this page: draw with the mouse, a pen or a finger (or drop a
PNG), and your browser ranks the test gallery with the full method. Loading the encoder&hellip;</p>
<noscript>Sketch search needs JavaScript.</noscript>
</div>
<script>(function () {{
  if (window.SBSR_WEBSEARCH_LOADING) return;
  window.SBSR_WEBSEARCH_LOADING = true;
  var anchor = document.querySelector('script[src*="_static/plotly.min.js"]');
  var note = document.querySelector('.sbsr-websearch .sbsr-websearch-note');
  if (!anchor) {{ if (note) note.textContent = "Sketch search runs in the built book (python -m sbsr.book.build); "
      + "in a live notebook use the upload button below."; return; }}
  var base = anchor.src.replace(/plotly\\.min\\.js.*$/, "{static_dir}/");
  function load(name, next) {{
    var s = document.createElement("script"); s.src = base + name; s.onload = next;
    s.onerror = function () {{ if (note) note.textContent = "Sketch search: " + name + " is missing from this build."; }};
    document.head.appendChild(s);
  }}
  load("{data}", function () {{ load("{runtime}", function () {{}}); }});
}})();</script>
"""


#: Strokes the browser test and benchmark draw, as polylines in fractions of the canvas (a chair's side view).
DEMO_STROKES = (((0.32, 0.15), (0.33, 0.85)), ((0.33, 0.55), (0.70, 0.55), (0.71, 0.85)),
                ((0.32, 0.15), (0.45, 0.18), (0.46, 0.55)))


def draw_on_page(page, strokes=DEMO_STROKES, selector: str = "canvas.sbsr-websearch-canvas") -> int:
    """Draw ``strokes`` with the mouse on the panel's canvas of a Playwright ``page``; returns the number drawn
    (the panel ranks after each one: wait for ``sbsrWebsearch.count`` to reach it)."""
    canvas = page.locator(selector).first
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")  # clear of sticky headers
    box = canvas.bounding_box()  # in viewport coordinates, where the mouse moves
    if box is None:
        raise RuntimeError(f"{selector} is not visible on {page.url}")

    def at(pt):
        return box["x"] + pt[0] * box["width"], box["y"] + pt[1] * box["height"]

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for pt in stroke[1:]:
            page.mouse.move(*at(pt), steps=6)
        page.mouse.up()
    return len(strokes)


def standalone_page(root: str | os.PathLike, folder: str | os.PathLike, k: int = 5) -> Path:
    """A minimal HTML page with the panel (for the benchmark): ``<folder>/index.html`` beside a ``_static``."""
    folder = Path(folder)
    static = folder / "_static"
    if install(root, static) is None:
        raise FileNotFoundError(f"{Path(root) / 'data' / 'cache' / 'websearch' / DATA_FILE} is missing: run "
                                "`python -m sbsr.book.websearch` (or build the book) first")
    (static / "plotly.min.js").write_text("/* the panel finds _static/ through this script's URL */\n")
    page = folder / "index.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><script src="_static/plotly.min.js"></script>'
                    f"</head><body>{panel_html(k)}</body></html>\n", encoding="utf-8")
    return page


def panel_html(k: int = 5, gallery: str = "chair") -> str:
    """HTML for a notebook cell: the drawing canvas and result list, filled by ``websearch.js`` in the book."""
    return PANEL_HTML.format(k=int(k), gallery=gallery, static_dir=STATIC_DIR, data=DATA_FILE, runtime=RUNTIME_FILE)


def main(argv=None) -> int:
    from ..config import find_project_root

    p = argparse.ArgumentParser(prog="python -m sbsr.book.websearch", description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", default="quick")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    build_data(find_project_root(), args.profile, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
