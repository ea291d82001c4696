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
# # Explore: retrieve shapes for your own sketch
#
# The method of {cite}`berardi2023thesis` needs no training on sketches, so it can rank shapes for any
# drawing. This chapter wraps the full method - sketch and views fitted to the optimal bounding box, features
# averaged over the four affine copies, the binary feature mask selected on chairs, the minimum distance over
# views (Eq. 4.1) - in a small explorer: pick a sketch of the test split, or upload a PNG of your own, and see
# the top-k shapes of the test gallery, each with the view that matched best and its distance.
#
# **Static book.** Draw a sketch in the canvas below (or drop a PNG on it): your browser runs the same method
# with the same encoder and ranks the test gallery, no kernel and no server needed (it works from `file://`).
# The page also shows a precomputed gallery: a few test sketches and one "uploaded" file, ranked when the book
# was built. The notebook widgets further down need a kernel (see "Live").
#
# **Live.** Run the chapter as a notebook - `python -m sbsr.reproduce --only 23_explorer` writes
# `book/chapters/23_explorer.ipynb`; open it (or `notebooks/23_explorer.py` with jupytext) in JupyterLab and
# run all cells. Then the dropdowns re-rank any test sketch, and the upload button takes a PNG: draw with any
# paint program or tablet app (a drawing canvas inside the notebook, such as ipycanvas, is not part of this
# environment), dark strokes on white or light strokes on black, any size - the sketch is padded to a square,
# resized to 224 px and its polarity detected.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
dataset = "procedural-v1"
encoder = "minclip-procedural-v1"  # the explorer's encoder (needs a shipped or trained binary mask)
split = "test"
mask = "shipped"  # "shipped", "trained" (the feature-masking chapter's checkpoint) or "none"
k = 5
n_gallery = 3  # precomputed test queries per category

# %%
import tempfile
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from PIL import Image

from sbsr.book import live, setup
from sbsr.book.figures.retrieval import retrieval_figure
from sbsr.book.websearch import panel_html
from sbsr.encoders import FeatureCache
from sbsr.systems.clip_retrieval.train import chapter_mask_root, check_mask_matches, mask_for
from sbsr.encoders import encoder_table, load_encoders
from sbsr.systems.clip_retrieval.experiments import open_paper_dataset
from sbsr.systems.clip_retrieval.explorer import SketchExplorer

session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
print(session.describe())
choice = load_encoders([encoder], device=session.device)[0]
display(encoder_table([choice]))
if not choice.available:
    raise RuntimeError(f"the explorer's encoder {encoder} is not available: {choice.reason}")
data = open_paper_dataset(dataset, profile)
cache = FeatureCache(f"{cache_dir}/features")
mask_path = None if mask == "none" else mask_for(encoder, "binary", "chair", source=mask,
                                                 trained_root=chapter_mask_root(cache_dir, dataset, profile))
if mask != "none" and mask_path is None:
    raise RuntimeError(f"no {mask} binary mask for {encoder}; set mask = 'none' or train one (chapter 20)")
if mask_path is not None and check_mask_matches(mask_path, choice.encoder):
    print("warning:", check_mask_matches(mask_path, choice.encoder))
explorers = {cat: SketchExplorer(data.split(split, cat), choice.encoder, mask=mask_path, cache=cache)
             for cat in ("chair", "lamp")}
print(f"mask: {mask_path.name if mask_path else 'none'}")
print(explorers["chair"].settings.describe())
pd.DataFrame([{"gallery": f"{split} {cat}s", "shapes": len(ex.shape_ids), "views per shape": len(ex.azimuths),
               "sketches to pick from": len(ex.split.sketches)} for cat, ex in explorers.items()])

# %% [markdown]
# ## Draw a sketch
#
# The canvas ranks what you draw against the test chairs or lamps after every stroke: the sketch is fitted to
# the optimal bounding box, its four affine copies go through the encoder's `layer3` tap, the mean feature is
# masked and compared with every view of every shape (Eq. 4.1). All of it runs in your browser in plain
# JavaScript (`sbsr.book.websearch`); the gallery's features ship with the page as a float16 index. The browser
# and Python agree: the book's tests draw strokes in Chromium and check that the top-5 equals Python's
# ranking of the same image (distances within 0.1 %).

# %% tags=["hide-input"]
display(HTML(panel_html(k=k, gallery="chair")))

# %% [markdown]
# ## Precomputed gallery
#
# Random test sketches (seeded), each with its top-k shapes. Every shape is shown by the view that matched
# the sketch best (Eq. 4.1 picks it), captioned with the shape's number (`…-0000NN`), the view's azimuth and the
# distance; the shape the sketch was drawn from is framed in green, and its rank is written under the sketch.

# %%
rng = np.random.default_rng(seed)


def show_ranked(cat, sketch_records, title):
    ex = explorers[cat]
    results = [ex.rank(rec.path, k=k) for rec in sketch_records]
    fig = retrieval_figure(**ex.figure_inputs(results, [rec.shape_id for rec in sketch_records]),
                           row_labels=[rec.sketch_id for rec in sketch_records], thumb_size=80, title=title)
    fig.show()
    return results


for cat, ex in explorers.items():
    recs = ex.split.sketches
    picks = np.sort(rng.choice(len(recs), size=min(n_gallery, len(recs)), replace=False))
    show_ranked(cat, [recs[i] for i in picks], f"{cat}s: random {split} sketches, full method ({encoder})")

# %% [markdown]
# ## An uploaded file
#
# What the upload button does, shown with a file made here: a test sketch saved as a 300 × 420 PNG with light
# strokes on a black background (as some drawing apps export). The explorer normalises it (pads to a square,
# resizes, inverts) and ranks it like any other sketch; the table also lists the best-matching view.

# %%
rec = explorers["chair"].split.sketches[0]
drawn = np.asarray(Image.open(rec.path).convert("L"))
canvas = np.full((420, 300), 255, np.uint8)
small = np.asarray(Image.fromarray(drawn).resize((280, 280), Image.Resampling.LANCZOS))
canvas[70:350, 10:290] = small
upload = Path(tempfile.mkdtemp()) / "my_sketch.png"
Image.fromarray(255 - canvas).save(upload)
uploaded = explorers["chair"].rank(upload, k=k)
as_drawn = explorers["chair"].rank(rec.path, k=k)
display(Markdown(f"The file: {canvas.shape[1]} × {canvas.shape[0]} px, inverted. Ground truth `{rec.shape_id}`: rank "
                 f"{uploaded.rank_of(rec.shape_id)} from the upload, {as_drawn.rank_of(rec.shape_id)} from the "
                 "original file (the extra margin and resampling change the pixels, the OBB framing undoes most of it)."))
fig = retrieval_figure(**explorers["chair"].figure_inputs([uploaded], [rec.shape_id]), row_labels=["my_sketch.png"],
                       thumb_size=80, title="An uploaded PNG, ranked against the chair gallery")
fig.show()
uploaded.table()

# %% [markdown]
# ## Live explorer
#
# Pick a gallery and a sketch of the test split (the figure redraws), or choose a gallery and upload a PNG of
# your own. These widgets need a live kernel: in the static book they show their initial state only (the
# canvas above is the static book's way to try a sketch).

# %%
category_knob = widgets.Dropdown(options=["chair", "lamp"], value="chair", description="gallery")
sketch_knob = widgets.Dropdown(options=[s.sketch_id for s in explorers["chair"].split.sketches],
                               description="sketch", layout=widgets.Layout(width="360px"))
k_knob = widgets.IntSlider(value=k, min=1, max=10, description="top k")


def _on_category(change):
    sketch_knob.options = [s.sketch_id for s in explorers[change["new"]].split.sketches]


category_knob.observe(_on_category, names="value")


def _rank_test_sketch(category, sketch_id, top):
    ex = explorers[category]
    recs = {s.sketch_id: s for s in ex.split.sketches}
    if sketch_id not in recs:  # the category just changed: show its first sketch
        sketch_id = ex.split.sketches[0].sketch_id
    rec = recs[sketch_id]
    res = ex.rank(rec.path, k=top)
    fig = retrieval_figure(**ex.figure_inputs([res], [rec.shape_id]), row_labels=[sketch_id], thumb_size=80)
    return fig, res.table()


_handles = live(_rank_test_sketch, category=category_knob, sketch_id=sketch_knob, top=k_knob)

# %%
upload_knob = widgets.FileUpload(accept=".png,.jpg,.jpeg", multiple=False, description="upload sketch", icon="")
upload_category = widgets.Dropdown(options=["chair", "lamp"], value="chair", description="gallery")
upload_out = widgets.Output()


def _on_upload(change=None):
    upload_out.clear_output()
    with upload_out:
        if not upload_knob.value:
            return
        item = upload_knob.value[0] if isinstance(upload_knob.value, (tuple, list)) else next(iter(upload_knob.value.values()))
        ex = explorers[upload_category.value]
        try:
            res = ex.rank(bytes(item["content"]), k=k_knob.value)
        except ValueError as exc:  # unreadable or empty image: say why
            print(f"{item.get('name', 'upload')}: {exc}")
            return
        retrieval_figure(**ex.figure_inputs([res]), row_labels=[item.get("name", "upload")], thumb_size=80).show()
        display(res.table())


# the callbacks run only when a reader uploads (live kernel); nothing is captured while the book is built
upload_knob.observe(_on_upload, names="value")
upload_category.observe(_on_upload, names="value")
display(widgets.VBox([widgets.HBox([upload_knob, upload_category]), upload_out]))
print("Upload a PNG (dark strokes on white, or light on dark) to rank it against the chosen gallery "
      "(live notebook only).")
