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
# # Data and rendering
#
# The paper evaluates on the AmateurSketch dataset {cite}`qi2021toward`: quick, abstract freehand sketches of
# ShapeNet {cite}`chang2015shapenet` chairs and lamps, drawn by people without sketching experience from
# memory, at an elevation of about 20° and three azimuths per category (chairs 0°/30°/75°, lamps
# 0°/45°/90°). Shapes are represented by line renderings made with Blender Freestyle
# {cite}`blender2023freestyle`: silhouettes and creases, a uniform stroke width of 2.2, camera distance 2.5,
# zenith angle 20° (thesis §4.2.3, "Datasets" and "Multi-view line rendering" {cite}`berardi2023thesis`).
#
# Neither ShapeNet nor AmateurSketch can be downloaded here, so the book runs on a procedural stand-in,
# `procedural-v1`: part-labelled shapes of eleven categories generated from seeds (`sbsr.shapes`), the
# project's renderer (`sbsr.render`, NumPy, with an optional Blender Freestyle backend) and a freehand-sketch
# simulator (`sbsr.sketch`). This chapter shows that data: every category, how different the shapes of one
# category are from each other, how the simulated sketches compare with line renderings and how they differ
# from human sketches, the other 3D domains the shapes come in, the dataset splits the retrieval chapters
# use, the adapters for the real datasets, and how fast the renderer is on the machine that built this page.
# No encoder runs in this chapter.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
dataset = "procedural-v1"
gallery_per_category = 3  # shapes per category in the galleries
chamfer_shapes = 12  # shapes per category, within-class distances
chamfer_reference_shapes = 4  # per category, between-category pairs
chamfer_points = 1024  # surface samples per shape
voxel_resolution = 32
sdf_samples = 4000
point_cloud_points = 2048
bench_views = 12  # renderer benchmark: views per output
bench_repeats = 2  # sweeps per output, the fastest counts
blender_views = 2  # Blender Freestyle views, if installed
messy_categories = ["chair", "lamp", "table", "cabinet", "airplane"]  # clean vs messy line renderings
messy_azimuths = [30.0, 0.0, 75.0]
messy_blender_views = 1  # (shape, azimuth) views that Freestyle also renders, clean and messy, if installed

# %%
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from sbsr.book import live, progress, setup
from sbsr.book.figures import gallery
from sbsr.render import Camera, matching_ortho_scale, render, render_natural
from sbsr.shapes import (
    ALL_CATEGORIES,
    CATEGORIES,
    PART_NAMES,
    fitted_cube,
    generate_collection,
    generate_shape,
    pairwise_chamfer,
    sample_point_cloud,
    sample_sdf,
    voxelize,
)
from sbsr.sketch import DIFFERENCES_FROM_HUMAN_SKETCHES, simulate_sketch, sketch_stats

session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
print(session.describe())

# %% [markdown]
# ## Every category
#
# Each shape is a deterministic function of (category, collection seed, index): its parameters (proportions,
# part counts and styles) are drawn from a seeded generator, its mesh is built from closed primitives with one
# part label per face, and it is normalised like ShapeNetCore v2 (bounding box centred at the origin, unit
# diagonal, +Y up, front towards −Z). Below: the first shapes of every category, shaded with one colour per
# part, then the same shapes as the line renderings the retrieval gallery is made of (azimuth 30°,
# elevation 20°, stroke width 2.2). The last category, cars (sedan, coupe, hatchback, SUV, pickup, sports car),
# was added for the voxel/image chapter; it is in no `procedural-v1` dataset and not among the encoder's classes.

# %%
shapes_by_category = {c: generate_collection(c, gallery_per_category, seed=seed) for c in ALL_CATEGORIES}
gallery_camera = Camera(azimuth=30.0, elevation=20.0)
gallery_renders = {
    s.shape_id: render(s, gallery_camera, outputs=("rgb", "lines"), part_colors=True)
    for shapes in shapes_by_category.values() for s in shapes
}
gallery_ids = [s.shape_id for shapes in shapes_by_category.values() for s in shapes]
gallery_titles = [f"{sid.split('-')[0]} {int(sid.rsplit('-', 1)[1])}" for sid in gallery_ids]
ncols = min(2 * gallery_per_category, 8)

gallery.gallery_grid([gallery_renders[i].rgb for i in gallery_ids], titles=gallery_titles, ncols=ncols, crop=True,
                   title="Procedural shapes, one colour per part").show()

# %%
gallery.gallery_grid([gallery_renders[i].lines for i in gallery_ids], titles=gallery_titles, ncols=ncols, crop=True,
                   title="The same shapes as line renderings (width 2.2)").show()

# %%
pd.DataFrame([
    {"category": c, "parts": ", ".join(PART_NAMES[c]),
     "faces (first shape)": len(shapes_by_category[c][0].faces)}
    for c in ALL_CATEGORIES
]).set_index("category")

# %% [markdown]
# The meshes are small (tens to a few thousand triangles), so they can be turned in the browser. The menu
# picks the category; the legend names the parts (click a part to hide it).

# %%
gallery.mesh_figure([shapes_by_category[c][0] for c in ALL_CATEGORIES], labels=list(ALL_CATEGORIES),
                    title="One shape per category").show()

# %% [markdown]
# ## How distinct are the shapes of one category?
#
# Fine-grained retrieval asks for the one chair a sketch was drawn from among many chairs, so what matters is
# how different the shapes *within* a category are. We measure it with the Chamfer distance between surface
# samples (sum of the two mean squared nearest-neighbour distances, shapes of unit bounding-box diagonal;
# `sbsr.shapes.pairwise_chamfer`) for every pair of shapes of a category, and compare with pairs of shapes
# from *different* categories.

# %%
chamfer_by_category = {}
for c in progress(CATEGORIES, desc="Chamfer distances"):
    chamfer_by_category[c] = pairwise_chamfer(generate_collection(c, chamfer_shapes, seed=seed),
                                              n_points=chamfer_points, seed=seed)

reference_pool = [s for c in CATEGORIES for s in generate_collection(c, chamfer_reference_shapes, seed=seed)]
reference_category = np.repeat(np.arange(len(CATEGORIES)), chamfer_reference_shapes)
reference_matrix = pairwise_chamfer(reference_pool, n_points=chamfer_points, seed=seed)
iu = np.triu_indices(len(reference_pool), k=1)
between = reference_matrix[iu][reference_category[iu[0]] != reference_category[iu[1]]]

gallery.chamfer_distribution(
    chamfer_by_category, reference=between,
    title=f"Pairwise Chamfer distances ({chamfer_shapes} shapes per category)").show()

# %%
within = {c: gallery.upper_triangle(d) for c, d in chamfer_by_category.items()}
between_median = float(np.median(between))
diversity = pd.DataFrame([
    {"category": c, "pairs": len(v), "min": v.min(), "10%": np.percentile(v, 10), "median": np.median(v),
     "90%": np.percentile(v, 90), "median / between-category median": np.median(v) / between_median}
    for c, v in within.items()
]).set_index("category")
diversity.round(4)

# %%
order = diversity["median"].sort_values()
ratios = diversity["median / between-category median"]
display(Markdown(
    f"Shapes of different categories are {between_median:.4f} apart (median over "
    f"{len(between)} pairs). Within a category the median distance ranges from {order.iloc[0]:.4f} "
    f"({order.index[0]}, the most uniform category) to {order.iloc[-1]:.4f} ({order.index[-1]}, the most "
    f"varied), i.e. {ratios.min():.2f} to {ratios.max():.2f} times the between-category median. "
    f"The paper's categories sit at {diversity.loc['chair', 'median']:.4f} (chairs) and "
    f"{diversity.loc['lamp', 'median']:.4f} (lamps). No two shapes are identical (the smallest distance of "
    f"any category is {diversity['min'].min():.4f}), but the closest pairs below show what a retrieval method "
    f"has to tell apart. ShapeNet's categories are more varied still (thousands of designs, many styles per "
    f"category, near-duplicates as well), so this procedural data is a proxy of fine-grained retrieval, not a "
    f"replica of it."
))

# %%
pair_images, pair_titles = [], []
for c in ("chair", "lamp"):
    d = chamfer_by_category[c].copy()
    np.fill_diagonal(d, np.inf)
    closest = np.unravel_index(np.argmin(d), d.shape)
    np.fill_diagonal(d, -np.inf)
    farthest = np.unravel_index(np.argmax(d), d.shape)
    pool = generate_collection(c, chamfer_shapes, seed=seed)
    for label, (i, j) in (("closest", closest), ("farthest", farthest)):
        for k in (i, j):
            pair_images.append(render(pool[k], gallery_camera, outputs=("lines",)).lines)
            pair_titles.append(f"{c} {k} ({label}, CD {chamfer_by_category[c][i, j]:.4f})")
gallery.gallery_grid(pair_images, titles=pair_titles, ncols=4,
                   title="The closest and the farthest pair of chairs and of lamps").show()

# %% [markdown]
# ## Sketches: simulated, not drawn by people
#
# The queries of `procedural-v1` come from a freehand-sketch simulator (`sbsr.sketch.simulate_sketch`). It
# starts from the visible feature lines of the shape seen from a slightly wrong camera, distorts proportions,
# drops small parts and details, splits the lines into strokes, then wobbles, bows, overshoots, breaks and
# retraces them and draws them with varying width and darkness. One knob, `skill` in [0, 1], sets all of
# these: 0 is a quick, abstract sketch from memory, 1 is close to the line rendering. The dataset draws
# every sketch with a skill uniform in [0.2, 0.8]. Below, the paper's viewpoints of a chair and a lamp: the
# line rendering and sketches at three skills.

# %%
skills = (0.2, 0.5, 0.8)
sketch_images, sketch_titles, stats = [], [], []
for c, azimuths in (("chair", (0, 30, 75)), ("lamp", (0, 45, 90))):
    shape = shapes_by_category[c][0]
    for az in azimuths:
        cam = Camera(azimuth=float(az), elevation=20.0)
        sketch_images.append(render(shape, cam, outputs=("lines",)).lines)
        sketch_titles.append(f"{c} {az}°: line rendering")
        for sk in skills:
            sketch = simulate_sketch(shape, cam, skill=sk, seed=seed)
            sketch_images.append(sketch.image)
            sketch_titles.append(f"skill {sk}")
            stats.append({"category": c, "azimuth": az, "skill": sk, **sketch_stats(sketch)})
gallery.gallery_grid(sketch_images, titles=sketch_titles, ncols=1 + len(skills),
                   title="Line renderings and simulated sketches at the paper's viewpoints").show()

# %%
stroke_table = (pd.DataFrame(stats).groupby(["category", "skill"])
                [["n_strokes", "mean_stroke_length", "mean_width", "ink_fraction", "bbox_fill"]].mean())
stroke_table.round(3)

# %%
lo_skill, hi_skill = min(skills), max(skills)
n_lo, n_hi = (stroke_table.xs(k, level="skill")["n_strokes"].mean() for k in (lo_skill, hi_skill))
len_lo, len_hi = (stroke_table.xs(k, level="skill")["mean_stroke_length"].mean() for k in (lo_skill, hi_skill))
ink_lo, ink_hi = (stroke_table.xs(k, level="skill")["ink_fraction"].mean() for k in (lo_skill, hi_skill))
fill = stroke_table["bbox_fill"].mean()
display(Markdown(
    f"At skill {lo_skill} the simulated sketcher draws {n_lo:.0f} strokes on average against {n_hi:.0f} at skill "
    f"{hi_skill}: short strokes, small parts and details are left out, so the remaining strokes are "
    f"{'longer' if len_lo > len_hi else 'shorter'} on average ({len_lo:.0f} px against {len_hi:.0f} px) and "
    f"the sketch has {'less' if ink_lo < ink_hi else 'more'} ink ({100 * ink_lo:.1f} % of the pixels against "
    f"{100 * ink_hi:.1f} %). The sketcher fills most of the frame (the drawing's longer side is "
    f"{100 * fill:.0f} % of the image on average; the thesis frames views in a 170 × 170 px box of the 224 px "
    f"image, the smallest square that holds the objects of the AmateurSketch drawings, §4.2.3.2), while the line "
    f"renderings keep the camera's framing, where the object is smaller; how to frame the gallery views is one "
    f"of the settings the core-paper chapters study.\n\n"
    "How the simulation differs from sketches drawn by people, said plainly "
    "(`sbsr.sketch.DIFFERENCES_FROM_HUMAN_SKETCHES`):\n\n"
    + "\n".join(f"- {d}" for d in DIFFERENCES_FROM_HUMAN_SKETCHES)
))

# %% [markdown]
# Because of these differences, every accuracy this book reproduces on `procedural-v1` measures retrieval from
# *simulated* amateur sketches; the chapters say so next to each table. The knobs below redraw a sketch (in a
# live notebook; the static page shows the initial state): the shape's category, the sketcher's skill, the
# random seed of all the sketcher's choices and the azimuth the shape is drawn from (elevation 20°).

# %%
import ipywidgets as widgets

_shape_cache = {}


def _shape(category):
    if category not in _shape_cache:
        _shape_cache[category] = generate_shape(category, seed, 0)
    return _shape_cache[category]


def _sketch_panel(category, skill, sketch_seed, azimuth):
    cam = Camera(azimuth=float(azimuth), elevation=20.0)
    shape = _shape(category)
    sketch = simulate_sketch(shape, cam, skill=float(skill), seed=int(sketch_seed))
    remembered = sketch.meta.get("perturbed_camera") or {}
    title = (f"The sketcher remembers the view as azimuth {remembered['azimuth']:.1f}°, "
             f"elevation {remembered['elevation']:.1f}°" if {"azimuth", "elevation"} <= set(remembered) else None)
    return gallery.gallery_grid([render(shape, cam, outputs=("lines",)).lines, sketch.image],
                       titles=[f"line rendering, azimuth {azimuth}°", f"sketch, skill {skill:.2f}, seed {sketch_seed}"],
                       ncols=2, size=224, title=title)


sketch_knobs = {
    "category": widgets.Dropdown(options=list(CATEGORIES), value="chair", description="category"),
    "skill": widgets.FloatSlider(value=0.3, min=0.0, max=1.0, step=0.05, description="skill"),
    "sketch_seed": widgets.IntSlider(value=0, min=0, max=20, description="seed"),
    "azimuth": widgets.IntSlider(value=30, min=0, max=345, step=15, description="azimuth (°)"),
}
for knob in sketch_knobs.values():
    knob.style.description_width = "80px"
live(_sketch_panel, **sketch_knobs)

# %% [markdown]
# ## Rendering knobs
#
# The renderer's camera follows the paper (distance 2.5, elevation 20°, 35° field of view, perspective) and the
# line width defaults to 2.2 px. The knobs change the line width and the camera: azimuth, elevation and
# projection (the orthographic views of Appendix B.4 use the half-height that shows the object at the size of
# the perspective view).

# %%
def _render_panel(category, line_width, azimuth, elevation, projection):
    kw = {"ortho_scale": matching_ortho_scale()} if projection == "orthographic" else {}
    cam = Camera(azimuth=float(azimuth), elevation=float(elevation), projection=projection, **kw)
    result = render(_shape(category), cam, outputs=("rgb", "lines"), line_width=float(line_width))
    return gallery.gallery_grid([result.lines, result.rgb],
                              titles=[f"lines, width {line_width:.1f} px", f"shaded, {projection}"], ncols=2,
                              size=224)


render_knobs = {
    "category": widgets.Dropdown(options=list(CATEGORIES), value="lamp", description="category"),
    "line_width": widgets.FloatSlider(value=2.2, min=0.5, max=6.0, step=0.1, description="line width"),
    "azimuth": widgets.IntSlider(value=45, min=0, max=345, step=15, description="azimuth (°)"),
    "elevation": widgets.IntSlider(value=20, min=-30, max=80, step=5, description="elevation (°)"),
    "projection": widgets.ToggleButtons(options=["perspective", "orthographic"], value="perspective",
                                        description="projection"),
}
for knob in render_knobs.values():
    knob.style.description_width = "80px"
render_knobs["projection"].style.button_width = "100px"
live(_render_panel, **render_knobs)

# %% [markdown]
# ## Other domains
#
# The same shapes come in the image domains of the paper's CLIP study (§4.2.3.1: sketches, line renderings,
# RGB renderings) and in more: depth and normal maps, part maps, and natural-image-like renderings (randomly
# coloured and lit objects over photographs bundled with scikit-image or procedural textures, a stand-in for
# the photo queries of image-based retrieval). In 3D they come as meshes with part labels (like PartNet
# {cite}`mo2019partnet`), occupancy voxels (32³, as in 3D-R2N2 {cite}`choy2016r2n2`), signed-distance samples
# (negative inside, near the surface and uniform in the box, as used by SDF generators such as
# {cite}`zheng2022sdfstylegan`) and point clouds with per-point part labels (as consumed by PointNet
# {cite}`qi2017pointnet`).

# %%
domain_categories = ("chair", "lamp", "table", "airplane")
domain_images, domain_titles = [], []
domain_columns = ("sketch", "lines", "shaded", "depth", "normals", "parts", "natural")
for row_index, c in enumerate(domain_categories):
    shape = shapes_by_category[c][0]
    cam = Camera(azimuth=30.0, elevation=20.0)
    r = render(shape, cam, outputs=("rgb", "depth", "normals", "parts", "lines"))
    box = gallery.content_box(r.mask, margin=0.15)  # every rendering of the row cropped alike
    rendered = [r.lines, r.rgb, gallery.depth_image(r.depth), gallery.normals_image(r.normals),
                gallery.parts_image(r.parts), render_natural(shape, cam, seed + row_index)]
    domain_images += [simulate_sketch(shape, cam, skill=0.5, seed=seed).image]
    domain_images += [gallery.crop_to_box(im, box) for im in rendered]
    domain_titles += [f"{c}: {name}" if i == 0 else name for i, name in enumerate(domain_columns)]
gallery.gallery_grid(domain_images, titles=domain_titles, ncols=len(domain_columns),
                   title="Image domains of one shape per row").show()

# %%
domain_shape = shapes_by_category["chair"][0]
occupancy = voxelize(domain_shape, voxel_resolution)
sdf_points, sdf_values = sample_sdf(domain_shape, sdf_samples, seed=seed)
cloud, cloud_normals, cloud_labels = sample_point_cloud(domain_shape, point_cloud_points, seed=seed)
gallery.domains_figure(occupancy, sdf_points, sdf_values, cloud, cloud_labels, domain_shape.part_names,
                       voxel_bounds=fitted_cube(domain_shape), max_resolution=voxel_resolution,
                       title=f"{domain_shape.shape_id} in three 3D domains").show()

# %%
pd.DataFrame([
    {"domain": f"voxels {voxel_resolution}³", "size": f"{occupancy.sum()} of {occupancy.size} cells occupied "
                                                      f"({100 * occupancy.mean():.1f} %)"},
    {"domain": "SDF samples", "size": f"{len(sdf_values)} points, {100 * (sdf_values < 0).mean():.1f} % inside, "
                                      f"|sdf| median {np.median(np.abs(sdf_values)):.4f}"},
    {"domain": "point cloud", "size": f"{len(cloud)} points; " + ", ".join(
        f"{domain_shape.part_names[p]} {n}" for p, n in zip(*np.unique(cloud_labels, return_counts=True)))},
]).set_index("domain")

# %% [markdown]
# ## The dataset the retrieval chapters use
#
# `procedural-v1` follows the paper's protocol: per category a gallery of shapes, each with one sketch per
# sketch azimuth (chairs 0°/30°/75°, lamps 0°/45°/90°, elevation 20°), so every gallery shape is the target
# of three queries; validation galleries for choosing settings (§4.2.3.2), test galleries for the final
# comparison (Table 4.8), and a training set of chair line renderings at 0°/30°/45°/75°/90° for the
# feature-masking experiment (§4.2.3.3). It is generated once, cached under `data/datasets/` with a manifest
# of checksums, and rebuilt whenever its configuration or the generating code changes.

# %%
from sbsr.data import open_dataset
from sbsr.data.procedural import load_specs, sizes_for

ds = open_dataset(dataset, profile=profile)
spec = load_specs()[dataset]
full_sizes = sizes_for(spec, "full")
# the paper's sizes (thesis §4.2.3): 200 validation shapes per category, test galleries of 201 chairs and
# 111 lamps, three sketches per shape; 4,475 training chairs with five line views each
paper = {("validation", "chair"): (200, 600), ("validation", "lamp"): (200, 600), ("test", "chair"): (201, 603),
         ("test", "lamp"): (111, 333), ("train", "chair"): (4475, 0)}
splits = pd.DataFrame(ds.summary())
splits["full profile: shapes"] = [full_sizes.get(r.split, {}).get(r.category, 0) for r in splits.itertuples()]
splits["paper: shapes"] = [paper.get((r.split, r.category), ("", ""))[0] for r in splits.itertuples()]
splits["paper: sketches"] = [paper.get((r.split, r.category), ("", ""))[1] for r in splits.itertuples()]
display(Markdown(f"**{ds.name}** (version {ds.version}), profile **{ds.profile}**, cached at "
                 f"`{Path(ds.root).relative_to(session.root) if Path(ds.root).is_relative_to(session.root) else ds.root}`"))
splits.set_index(["split", "category"])

# %%
from sbsr.data.__main__ import main as data_cli

print(f"$ python -m sbsr.data info --dataset {dataset} --profile {profile}")
_ = data_cli(["info", "--dataset", dataset, "--profile", profile])

# %% [markdown]
# The quick profile keeps CI fast; the full profile has the paper's sizes, so that an accuracy on it is a
# fraction of the same number of queries as the paper's (e.g. 69.17 % = 415/600 on validation). Below, the
# first validation chairs and lamps of the current profile as the retrieval chapters see them: the three
# sketch queries of each shape and its line views at the same azimuths.

# %%
split_images, split_titles, split_rows = [], [], []
for c in ("chair", "lamp"):
    sp = ds.split("validation", c).subset(n_shapes=2)
    azimuths = sp.sketch_azimuths()
    views = sp.views(azimuths)
    for s_idx, sid in enumerate(sp.shape_ids):
        split_rows.append(f"{c} {s_idx}")
        sk = [s for s in sp.sketches if s.shape_id == sid]
        for rec in sorted(sk, key=lambda s: s.azimuth):
            split_images.append(rec.load())
            split_titles.append(f"sketch {rec.azimuth:g}°")
        for a_idx, az in enumerate(azimuths):
            split_images.append(views[s_idx, a_idx])
            split_titles.append(f"view {az:g}°")
gallery.gallery_grid(split_images, titles=split_titles, ncols=6, row_titles=split_rows,
                   title=f"{dataset} ({profile}), validation: sketch queries and gallery views").show()

# %% [markdown]
# ## Real data
#
# The same interface opens the real datasets when you have them (nothing is downloaded): ShapeNetCore v2
# meshes, the AmateurSketch sketches of Qi et al., QuickDraw drawings {cite}`ha2018sketchrnn` and a folder of
# your own meshes and sketches. `open_dataset(name, root=...)` or an environment variable points at the
# folder; an unreadable mesh or an empty sketch is skipped, logged with its reason and counted. On this
# machine:

# %%
from sbsr.data.datasets import REAL_SOURCES

env_vars = {"shapenet": "SBSR_SHAPENET_ROOT", "amateursketch": "SBSR_AMATEURSKETCH_ROOT",
            "quickdraw": "SBSR_QUICKDRAW_ROOT", "byo": "SBSR_BYO_ROOT"}
rows = []
for source in REAL_SOURCES:
    var = env_vars.get(source, "")
    if not os.environ.get(var):
        rows.append({"source": source, "environment variable": var, "status": "not set: not available here"})
        continue
    try:
        kwargs = {"validate": False} if source in ("amateursketch", "byo") else {}
        summary = open_dataset(source, **kwargs).summary()
        status = f"{sum(r['shapes'] for r in summary)} shapes, {sum(r['sketches'] for r in summary)} sketches"
    except (FileNotFoundError, NotADirectoryError, KeyError, ValueError) as exc:
        status = f"error: {exc}"
    rows.append({"source": source, "environment variable": var, "status": status})
pd.DataFrame(rows).set_index("source")

# %% [markdown]
# `python -m sbsr.data info --source shapenet|amateursketch|quickdraw|byo [--root DIR]` prints the same
# summary from the command line. The layouts the adapters expect, from `data/README.md`:

# %%
from markdown_it import MarkdownIt  # installed with Jupyter Book (the book's Markdown parser)
from IPython.display import HTML

readme = (session.root / data_dir / "README.md").read_text(encoding="utf-8")
real_section = readme[readme.index("## Real data"):]
real_section = real_section[real_section.index("\n") + 1:]
# rendered here as HTML (with its tables), one heading level down so that it nests under this section
display(HTML(MarkdownIt("commonmark").enable("table").render(re.sub(r"^(#+) ", r"#\1 ", real_section, flags=re.M))))

# %% [markdown]
# ## Renderer benchmark
#
# How many views per second each output of the renderer takes on the machine that ran this notebook
# (`sbsr.render.benchmark.run_benchmark`, also `python benchmarks/bench_render.py`): a chair mesh of a few
# thousand faces, 224 × 224 px, azimuth sweep at elevation 20°, each output timed alone (the z-buffer included), `all`
# being every output in one call and `natural` the natural-image composite. With Blender on PATH the
# Freestyle backend is timed too, Blender's start-up included (one process per view), on a few views only.

# %%
from sbsr.render.benchmark import run_benchmark

bench = run_benchmark(n_views=bench_views, repeats=bench_repeats, image_size=224, blender_views=blender_views,
                      progress=progress)
bench["profile"] = profile
bench["cpu_count"] = os.cpu_count()
bench_path = Path(results_dir) if Path(results_dir).is_absolute() else session.root / results_dir
bench_path = bench_path / "benchmarks" / f"render-{profile}.json"
bench_path.parent.mkdir(parents=True, exist_ok=True)
from sbsr.io import atomic_write_json

atomic_write_json(bench_path, bench)
bench_table = pd.DataFrame([{"output": k, "ms per view": v["ms_per_view"], "views per s": v["views_per_s"]}
                            for k, v in bench["outputs"].items()]).set_index("output")
bench_table.round(2)

# %%
gallery.benchmark_figure(bench).show()

# %%
o = bench["outputs"]
gallery_views = 201 * 5  # the paper's test gallery of chairs, five line views each
text = (f"On this machine ({bench['cpu_count']} CPU cores, {bench['machine'] or 'unknown CPU'}; {bench['mesh']}, "
        f"{bench['faces']} faces, {bench['n_views']} views, best of {bench['repeats']} sweeps) the NumPy renderer draws "
        f"{o['lines']['views_per_s']:.0f} line views per second and {o['all']['views_per_s']:.0f} views per second "
        f"with every output at once, so the {gallery_views} line views of the paper's 201-chair test gallery take "
        f"about {gallery_views / o['lines']['views_per_s']:.0f} s. ")
if "blender lines" in o:
    text += (f"Blender Freestyle, the paper's renderer, manages {o['blender lines']['views_per_s']:.2f} views per "
             f"second here ({bench['blender_views']} views, start-up included), "
             f"{o['lines']['views_per_s'] / o['blender lines']['views_per_s']:.0f} times slower; the datasets of this "
             f"book are rendered with the NumPy backend.")
else:
    text += "Blender is not on PATH here, so the Freestyle backend was not timed."
text += f" The numbers are saved to `{bench_path.relative_to(session.root) if bench_path.is_relative_to(session.root) else bench_path}`."
display(Markdown(text))

# %% [markdown]
# ## Real meshes: orientation and messy geometry
#
# Two things change when the book meets real ShapeNetCore v2 models instead of procedural ones.
#
# **Orientation.** ShapeNetCore v2 files are aligned with +Y up and the object's front towards −Z (the
# release notes of v2). The book states that convention once (`sbsr.shapes.orientation`) and everything uses
# it: the camera's azimuth 0 looks at the front (camera on −Z), a positive azimuth turns towards the
# object's left (−X); the procedural generator builds shapes front +Z and turns them by 180° about +Y, the
# camera turned with it, so every procedural view is bit-for-bit the one rendered before the convention was
# fixed (`tests/test_orientation.py` checks it on renders); files in another convention are turned by a
# named option (`--up z` for Z-up files whose front is −Y).
#
# **Messy geometry.** Real meshes have vertices not merged along seams, faces wound inconsistently,
# double-sided (duplicated, opposite-facing) faces, coplanar faces split into slivers, interior faces and
# non-manifold edges. `sbsr.render.messy(mesh, seed, defects=...)` applies each defect to a clean procedural
# mesh without changing its visible surface, so the line rendering should not change. The renderer copes by
# preprocessing that is a no-op on clean meshes: it welds vertices, counts a face that repeats another's
# vertices once, decides creases and silhouettes on locally consistent (unoriented) normals, re-winds closed
# bodies outwards before back-face culling, gives a sliver the normal of the face that continues its surface,
# and decides an edge on which a fin (an open sheet) hangs on the two surface faces alone, without drawing the
# fin's loose borders (the whole sheet, also when it is split into slivers). A piece of the mesh that lies
# inside a closed piece (an interior wall, an inner copy) is found once per mesh by ray parity (which needs no
# consistent winding) and draws no lines: the hidden-line test's depth tolerance would otherwise let the
# lines of walls just under the surface through. That rule is the one change to clean procedural renderings:
# about 6% of the procedural chairs and lamps have a part entirely inside another (a box inside a seat, a
# cylinder inside a lamp's base), whose lines used to leak through near the surface (a few dozen pixels of a
# view); they no longer do.
#
# The table compares each messy rendering with the clean one (line-pixel IoU). Where Blender is installed
# (`make book` and `make test` install Debian's `blender` when they can), Blender Freestyle, the thesis's
# renderer, renders the first views too, clean and messy: its own IoU between the two says how Freestyle
# copes with each defect, and the chamfer distance (mean distance from a line pixel to the other rendering's
# nearest line pixel, both ways) says how far apart the two renderers' strokes lie on the same messy mesh.

# %% tags=["hide-input"]
from sbsr.io import atomic_write_text
from sbsr.render.benchmark import messy_lines_study
from sbsr.render.blender import blender_available

messy_shapes = [generate_shape(c, seed, 0) for c in messy_categories]
messy_table, messy_images = messy_lines_study(messy_shapes, messy_azimuths, seed=seed, keep_images=True,
                                              blender_views=messy_blender_views, progress=progress)
messy_table.insert(0, "data", dataset)
messy_table.insert(1, "encoder", "none")
messy_table.insert(2, "profile", profile)
messy_csv = (Path(results_dir) if Path(results_dir).is_absolute() else session.root / results_dir) / "data_messy_lines.csv"
messy_csv.parent.mkdir(parents=True, exist_ok=True)
atomic_write_text(messy_csv, messy_table.to_csv(index=False))
fs_cols = ["IoU freestyle", "chamfer numpy-freestyle px"]
iou_cols = ["IoU numpy"] + [c for c in fs_cols if c in messy_table]
messy_summary = messy_table.groupby("defect", sort=False)[iou_cols].agg(["min", "mean"]).round(3)
if "IoU freestyle" not in messy_table:
    messy_summary[("IoU freestyle", "")] = "Blender not installed here"
messy_summary

# %%
example_sid, example_az = messy_shapes[0].shape_id, messy_azimuths[0]
cases = ["flipped", "double_sided", "slivers", "interior", "fins", "all"]
grid, titles = [], []
for case in cases:
    clean_img, messy_img, *freestyle = messy_images[(example_sid, example_az, case)]
    row = messy_table.query("shape == @example_sid and azimuth == @example_az and defect == @case").iloc[0]
    grid += [clean_img, messy_img]
    titles += ["clean", f"{case}: IoU {row['IoU numpy']:.2f}"]
    if freestyle:
        fs_messy, fs_clean = freestyle
        grid += [fs_clean, fs_messy]
        titles += ["Freestyle, clean", f"Freestyle, {case}: IoU {row['IoU freestyle']:.2f}"]
    else:
        grid += [np.full_like(clean_img, 255)] * 2
        titles += ["Freestyle: no Blender here", ""]
gallery.gallery_grid(grid, titles=titles, ncols=4, crop=False,
                     title=f"{example_sid} at azimuth {example_az:g}°: the NumPy renderer (clean, messy) and "
                           f"Blender Freestyle (clean, messy)").show()

# %%
worst = messy_table.groupby("defect", sort=False)["IoU numpy"].min()
handled = [d for d, v in worst.items() if v >= 0.95]
open_defects = [d for d, v in worst.items() if v < 0.95]
text = (f"Over {len(messy_shapes)} shapes and {len(messy_azimuths)} views, the messy renderings match the clean ones "
        f"(worst line-pixel IoU at least 0.95) for {', '.join(handled) or 'no defect'}")
if open_defects:
    text += (f"; they do not for {', '.join(open_defects)} (worst IoU "
             + ", ".join(f"{d} {worst[d]:.2f}" for d in open_defects) + ")")
if "IoU freestyle" in messy_table:
    fs = messy_table.dropna(subset=["IoU freestyle"]).groupby("defect", sort=False)["IoU freestyle"].min()
    fs_bad = [d for d, v in fs.items() if v < 0.95]
    n_fs = messy_table["IoU freestyle"].notna().sum() // max(len(fs), 1)
    text += (f". Blender Freestyle on the same meshes ({n_fs} view{'s' if n_fs != 1 else ''}): "
             + (f"its messy renderings differ from its clean one for {', '.join(fs_bad)} (worst IoU "
                + ", ".join(f"{d} {fs[d]:.2f}" for d in fs_bad) + "): the false lines that the preprocessing "
                  "above removes" if fs_bad else "it copes with every defect on these views")
             + f"; the two renderers' strokes lie {messy_table['chamfer numpy-freestyle px'].mean():.2f} px apart on "
               "average (chamfer)")
else:
    text += (". Blender is not installed here, so the Freestyle columns are empty; with `blender` on PATH the "
             "same cell renders them")
text += f". The per-view table is saved to `results/{messy_csv.name}`."
display(Markdown(text))
