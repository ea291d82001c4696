# ---
# jupyter:
#   jupytext:
#     formats: book/chapters//ipynb,notebooks//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Use it on your own data
#
# The method of {cite}`berardi2023thesis` (§4.2, the core paper {cite}`berardi2023finetuned`) needs no
# training on sketch–shape pairs: each shape is rendered as a few line drawings, sketches and renderings are
# embedded by a frozen image encoder, and a shape's distance to a sketch is the smallest feature distance over
# its views (Eq. 4.1). So it can be pointed at any collection of meshes and sketches. One command does that:
#
# ```bash
# python -m sbsr.evaluate --meshes DIR --sketches DIR [--pairs CSV] [--encoder NAME] [--method NAME] \
#     [--views 0,30,45,75,90] [--elevation 20] [--k 5] [--out DIR] [--device auto]
# ```
#
# * `--meshes`: any folder tree of `.obj`, `.off`, `.ply`, `.glb`/`.gltf` or `.stl` files (ShapeNet layouts
#   included). Each mesh is normalised like ShapeNetCore v2 (bounding box centred, unit diagonal) and rendered
#   with the book's line renderer at the given azimuths.
# * `--sketches`: PNG/JPG sketches of any size, in colour or grey, with an alpha channel or not, dark strokes
#   on light paper or the inverse (detected).
# * `--pairs`: optional CSV `sketch,mesh` naming each sketch's ground-truth mesh; with it the command prints
#   acc@1, acc@5 and acc@10 with 95% bootstrap intervals and the rank of each sketch's mesh.
# * `--method`: the named settings of Table 4.8 (`baseline`, `centered`, `obb`, `obb-augm2`, `obb-augm4`,
#   `full` = `obb-augm4` with a learned binary mask). The default is `full` when a mask trained for the
#   encoder's weights is shipped, else `obb-augm4`.
# * It writes `ranking.csv` (sketch, rank, mesh, distance, best view), `metrics.json` and a self-contained
#   `report.html`. Renders and features are cached, so a second run only encodes what changed.
#
# This page builds a small collection the way real ones come (procedural shapes exported as OBJ, PLY and
# GLB in different conventions, simulated amateur sketches saved with transparency, inverted, or on tinted
# paper), runs the command on it, shows its outputs, and checks that its accuracy is exactly what the book's
# own evaluation code (`run_retrieval`, used by every chapter of the core paper) computes on the same data.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
# the first available encoder of this list runs the command (minclip: the offline CLIP-style model)
encoders = ["minclip-procedural-v1", "clip-RN101-openai", "random-RN101"]
n_meshes = 20  # meshes in the example collection, one sketch each
method = "auto"  # "auto" (the command's default) or a name of Table 4.8
k = 5

# %%
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from PIL import Image

from sbsr.book import live, setup
from sbsr.book.figures.retrieval import image_grid, retrieval_figure
from sbsr.data.byo import open_folders
from sbsr.encoders import FeatureCache
from sbsr.evaluate import evaluate_folders, load_ranking, report_html
from sbsr.evaluate.example import write_example_folders
from sbsr.encoders import encoder_table, load_encoders
from sbsr.retrieval.pipeline import run_retrieval

session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
print(session.describe())

# %% [markdown]
# ## A collection that looks like yours
#
# `write_example_folders` writes `n_meshes` procedural shapes (five categories) as mesh files and one
# simulated amateur sketch of each, from the AmateurSketch viewpoints, as an image file. Formats and
# conventions rotate through what real collections contain: an OBJ with one object and one material per
# part, in millimetres, whose material library is missing; a binary PLY moved off-centre with every face
# wound inside out; a GLB scene with one node per part. Sketches are grey PNGs, black strokes on a
# transparent background, white strokes on black (JPEG), or blue ink on cream paper in a wide image. Sketch
# and mesh names differ, so only `pairs.csv` says which mesh a sketch shows.

# %%
example_root = Path(data_dir) / "generated" / "own-data"
if example_root.exists():
    shutil.rmtree(example_root)
example = write_example_folders(example_root, n=n_meshes, seed=seed)
files = pd.DataFrame(example.rows)[["sketch", "sketch_format", "mesh", "mesh_format", "azimuth"]]
print(f"{example.meshes}: {len(list(example.meshes.rglob('*.*')))} files; {example.sketches}: "
      f"{len(list(example.sketches.iterdir()))} files")
files.head(8)

# %% [markdown]
# The sketch files as they are on disk (first row) and as the command reads them (second row): one
# convention, white background and dark strokes, padded to a square.

# %%
from sbsr.data.images import load_sketch_image

on_disk, as_read, labels = [], [], []
for row in example.rows[:4]:
    path = example.sketches / row["sketch"]
    with Image.open(path) as im:
        rgba = im.convert("RGBA")
        checker = (np.indices(rgba.size[::-1]).sum(axis=0) // 8 % 2 * 40 + 200).astype(np.uint8)
        shown = Image.alpha_composite(Image.fromarray(np.stack([checker] * 3 + [np.full_like(checker, 255)], -1)),
                                      rgba)  # transparency shown as a checkerboard
        on_disk.append(np.asarray(shown.convert("RGB")))
    as_read.append(load_sketch_image(path))
    labels.append(row["sketch_format"])
image_grid([on_disk, as_read], row_labels=["file", "as read"], col_labels=labels, thumb_size=110, cell_px=130,
           title="Sketch files in four conventions").show()

# %% [markdown]
# ## Run the command
#
# The encoders this page may use, and why the others are not available here:

# %%
choices = load_encoders(encoders, device=session.device)
display(encoder_table(choices))
chosen = next((c for c in choices if c.available), None)
if chosen is None:
    raise RuntimeError("none of the encoders " + ", ".join(encoders) + " is available")
encoder = chosen.encoder
out_dir = Path(results_dir) / "own-data"
command = [sys.executable, "-m", "sbsr.evaluate", "--meshes", str(example.meshes), "--sketches",
           str(example.sketches), "--pairs", str(example.pairs), "--encoder", encoder.name, "--k", str(k),
           "--out", str(out_dir), "--device", session.device, "--cache", cache_dir, "--seed", str(seed),
           "--no-progress"] + ([] if method == "auto" else ["--method", method])
print("python -m sbsr.evaluate " + " ".join(command[3:]))

# %% [markdown]
# The command runs in its own process, exactly as from a shell. On a fresh cache it renders 5 views of each
# mesh and encodes every image (with `obb-augm4`, four affine copies of each: 480 images for 20 meshes and 20
# sketches); it prints the accuracy with its interval and the rank of every sketch's mesh.

# %%
start = time.perf_counter()
proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
first_run_s = time.perf_counter() - start
print(proc.stdout)
if proc.returncode != 0:
    raise RuntimeError(f"the command failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
metrics = json.loads((out_dir / "metrics.json").read_text())
hits = metrics["feature_cache"]["hits"]
print(f"wall time of the first run, process start included: {first_run_s:.1f} s; features: "
      f"{metrics['feature_cache']['misses']} images encoded, {hits} found in the cache"
      + (" (left by an earlier build of this page)" if hits else ""))

# %% [markdown]
# ## What it wrote
#
# `ranking.csv` holds the top-k meshes of every sketch (and the ground truth's row when it ranks lower), with
# the distance of Eq. 4.1 and the azimuth of the view that produced it:

# %%
ranking = load_ranking(out_dir / "ranking.csv")
ranking.head(7)

# %% [markdown]
# `metrics.json` holds the settings, the counts, acc@k with its 95% percentile-bootstrap interval over the
# sketches, each sketch's rank, every skipped file with its reason, notes on what reading each mesh changed,
# and timings:

# %%
by_k = sorted(metrics["metrics"].items(), key=lambda item: int(item[0].split("@")[1]))
acc_table = pd.DataFrame([{"metric": name, "value (%)": round(m["value"], 2), "95% interval":
                           f"[{m['low']:.2f}, {m['high']:.2f}]"} for name, m in by_k])
display(acc_table)
pd.DataFrame([metrics["timings_s"]])

# %% [markdown]
# `report.html` is one file with everything inline (images as PNG data URIs, no scripts, nothing fetched),
# so it can be mailed or archived. Below, its top for the first three sketches: each sketch as the encoder
# sees it, then its top-k meshes, each by its closest view; the ground truth is framed in green.

# %%
start = time.perf_counter()
result = evaluate_folders(example.meshes, example.sketches, example.pairs, encoder=encoder,
                          method_name=None if method == "auto" else method, k=k, out=None, cache_dir=cache_dir,
                          seed=seed, progress=False)
second_run_s = time.perf_counter() - start
preview = report_html(result, limit=3)
frame = ('<iframe style="width:100%;height:620px;border:1px solid #ccc" srcdoc="'
         + preview.replace("&", "&amp;").replace('"', "&quot;") + '"></iframe>')
display({"text/html": frame}, raw=True)

# %% [markdown]
# The same function in this process, a second time on the same folders: renders and features come from the
# cache.

# %%
stats = result.cache_stats
display(Markdown(f"Second run: **{second_run_s:.1f} s** (first run {first_run_s:.1f} s with process start); "
                 f"{stats['misses']} images encoded, {stats['hits']} read from the feature cache."))
assert stats["misses"] == 0
assert {m: v["value"] for m, v in result.metrics.items()} == {m: v["value"] for m, v in metrics["metrics"].items()}

# %% [markdown]
# ## The same numbers as the book's evaluation code
#
# The command is a thin layer over the book's pipeline. Reading the folders with
# `sbsr.data.byo.open_folders` and ranking them with `run_retrieval` — the function behind every table of the
# core-paper chapters — must give the same distances and the same accuracy:

# %%
split = open_folders(example.meshes, example.sketches, example.pairs)
reference = run_retrieval(split, encoder, result.settings, cache=FeatureCache(f"{cache_dir}/features"))
book_acc = reference.accuracy(ks=(1, 5, 10))
comparison = pd.DataFrame([{"metric": m, "python -m sbsr.evaluate": metrics["metrics"][m]["value"],
                            "run_retrieval": book_acc[m]} for m in book_acc])
np.testing.assert_allclose(reference.distances, result.distances, rtol=1e-6)
assert all(abs(metrics["metrics"][m]["value"] - book_acc[m]) < 1e-9 for m in book_acc)
comparison

# %%
category_of = {sid: result.split.shapes[sid].category for sid in result.shape_ids}
misses = [q for q in range(len(result.sketch_ids)) if result.ranks[q] > 1]
same = sum(category_of[result.shape_ids[result.order()[q, 0]]] == category_of[result.shape_ids[result.targets[q]]]
           for q in misses)
confusions = (f"Of the {len(misses)} sketches whose mesh is not ranked first, {same} got a mesh of the same "
              f"category first (e.g. a chair for another chair)." if misses else "Every sketch found its mesh first.")
display(Markdown(
    f"The command and `run_retrieval` agree on all {len(result.sketch_ids)} sketches: acc@1 "
    f"{book_acc['acc@1']:.2f}%, acc@5 {book_acc['acc@5']:.2f}% with {encoder.name} and the "
    f"`{result.settings.name}` settings. {confusions} The gallery mixes five categories, the sketches are "
    f"simulated, and the shapes come from the procedural generators whose renderings minclip was trained on, so "
    f"this is an easier task than AmateurSketch, where each gallery holds one category of real ShapeNet models."))

# %% [markdown]
# Pick a sketch to see its ranking (ground truth framed in green):

# %%
import ipywidgets as widgets

order = result.order()


def _show_sketch(sketch):
    q = result.sketch_ids.index(sketch)
    gallery = [result.displayed(shape=s, view=int(result.best_view[q, s])) for s in range(len(result.shape_ids))]
    return retrieval_figure([result.displayed(q=q)], gallery, order[q:q + 1, :k], [result.targets[q]],
                     target_ranks=[result.ranks[q]], gallery_labels=[s.rsplit("/", 1)[-1] for s in result.shape_ids],
                     row_labels=[sketch], thumb_size=96, cell_px=130,
                     title=f"{sketch}: ground truth {result.shape_ids[result.targets[q]]}")


sketch_knob = widgets.Dropdown(options=result.sketch_ids, value=result.sketch_ids[0], description="sketch")
live(_show_sketch, sketch=sketch_knob)

# %% [markdown]
# ## Messy collections
#
# Real folders hold files that cannot be used. The command never stops for one of them: it skips it, says
# why, and lists it in the report. Here a copy of the collection gets an unreadable mesh, an empty file, a
# point cloud, a mesh with broken faces, a blank sketch and a sketch paired with the unreadable mesh:

# %%
import trimesh

messy = Path(data_dir) / "generated" / "own-data-messy"
if messy.exists():
    shutil.rmtree(messy)
shutil.copytree(example_root, messy)
(messy / "meshes" / "scan.obj").write_text("this is not a mesh\n")
(messy / "meshes" / "empty.off").write_bytes(b"")
trimesh.PointCloud(np.random.default_rng(seed).random((50, 3))).export(messy / "meshes" / "points.ply")
(messy / "meshes" / "fin.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nv 0 -1 0\n"
                                          "f 1 2 3\nf 1 2 4\nf 1 2 5\nf 1 2 3\nf 1 1 2\n")
Image.new("L", (300, 200), 255).save(messy / "sketches" / "blank.png")
shutil.copy(example.sketches / example.rows[0]["sketch"], messy / "sketches" / "of_scan.png")
with open(messy / "pairs.csv", "a") as fh:
    fh.write("of_scan.png,scan.obj,,\n")
messy_result = evaluate_folders(messy / "meshes", messy / "sketches", messy / "pairs.csv", encoder=encoder,
                                method_name=result.settings.name if method != "auto" else None, k=k,
                                out=Path(results_dir) / "own-data-messy", cache_dir=cache_dir, progress=False)
pd.DataFrame([{"kind": i.kind, "file": Path(i.path).name, "reason": i.reason.replace(i.path, Path(i.path).name)}
              for i in messy_result.skipped.items])

# %%
display(Markdown(
    f"{len(messy_result.shape_ids)} meshes and {len(messy_result.sketch_ids)} sketches were used, "
    f"{len(messy_result.skipped)} files skipped; the mesh with broken faces was repaired "
    f"({'; '.join(messy_result.mesh_notes.get('fin', ['not repaired']))}). Features: "
    f"{messy_result.cache_stats['misses']} images encoded, {messy_result.cache_stats['hits']} read from the cache "
    f"(everything seen before, by content, here or in an earlier build of this page)."))

# %% [markdown]
# Other situations the command handles, each covered by a test (`tests/test_evaluate.py`,
# `tests/test_evaluate_data.py`):
#
# | situation | what happens |
# |---|---|
# | several parts, nodes or materials (GLB/GLTF scenes, multi-object OBJ) | parts placed by their node transforms and merged; points and lines in a scene ignored |
# | degenerate, repeated or non-manifold faces; NaN vertices | undrawable faces removed (noted); non-manifold edges kept, the renderer draws them |
# | closed meshes wound inside out | re-oriented so that back-face culling works (noted) |
# | huge meshes | simplified by vertex clustering under `--max-faces` (200,000; noted); files over `--max-file-mb` skipped |
# | Z-up files (many STL/PLY exports) | `--up z` turns them to ShapeNet's +Y up |
# | ShapeNet layouts | `<synset>/<id>/models/model_normalized.obj` gets the id `<synset>/<id>` |
# | unreadable, empty or point-cloud mesh files; unreadable or blank sketches | skipped with the reason, listed in `report.html` and `metrics.json` |
# | a pairs file naming missing, ambiguous or unsupported files | an error listing every such row (line number, name, why) |
# | an empty folder, or nothing usable left | an error naming the folder and what it holds |
# | sketches without a row in the pairs file | ranked, without ground truth; acc@k counts only the others |
#
# With your own data: put the meshes in one folder (sub-folders are fine), the sketches in another, and, if
# you know them, the pairs in a CSV with the header `sketch,mesh` (paths under the folders, or unique file
# names). The paper's encoder is CLIP ResNet-101 (`--encoder clip-RN101-openai`, once its weights are
# installed, see the encoders chapter); the default here is the offline `minclip-procedural-v1`, trained on
# procedural renders only, so expect much lower accuracy on real sketches than the paper reports.
