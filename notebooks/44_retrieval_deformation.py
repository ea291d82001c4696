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
# # Joint learning of 3D shape retrieval and deformation
#
# Given a target (an image or a point cloud), Uy et al. {cite}`uy2021joint` retrieve a source model from a
# database and deform its parts to fit the target. Their question: should retrieval and deformation be trained
# *together*, so that the embedding retrieves what the deformer can fit, and the deformer specialises on what
# retrieval proposes? The method (§2):
#
# * **Soft retrieval** (Eq. 1): targets and sources live in a retrieval space; a source's probability is
#   $p(s) \propto \exp(-d_\mathcal{R}^2(s, t)/\sigma_0^2)$ with $\sigma_0 = 100$, and K = 10 candidates are
#   *sampled* from it during training.
# * **Embedding loss** (Eq. 2-3): the L1 distance between that distribution over the K candidates and the one
#   given by their fitting losses after deformation (chamfer), with a learned per-source $\sigma_k$.
# * **Deformation loss** (Eq. 4): the candidates' fitting losses weighted by their Eq. 1 probabilities, plus a
#   bilateral symmetry loss; retrieval and deformation are updated in alternation.
# * **Structure-aware deformation** (§2.2): per source a global code (256) and per part a code (32),
#   auto-decoded; the target code from an encoder; an MLP (512, 256, 6) gives every part an axis-aligned scale
#   and translation, so sources may have any number of parts. At test time the *inner deformation
#   optimisation* (IDO) refines the parameters by gradient descent on the chamfer distance.
#
# **The data here.** ShapeNet/PartNet meshes, their renderings and the paper's ResNet weights are not
# available offline. Per class (chair, table, cabinet) we draw a source database and disjoint training and
# test targets from the book's procedural generator (`sbsr.shapes`), whose part labels (seat, back, legs,
# ...) give each source 3-6 parts; targets are textureless renderings (`sbsr.render`, the image-to-mesh set-up
# of Table 1) and, as a second setting, point clouds. Encoders are small and trained from scratch (a 4-layer
# CNN for images, PointNet for points). Chamfer distances are in the paper's unit (×10⁻²): squared
# nearest-neighbour distances, mean over points, summed over both directions, between point samples of shapes
# normalised to a unit bounding-box diagonal (centred at the origin). The quick profile uses tiny databases
# and few epochs, so the numbers show what the mechanism does at this scale, not the paper's values.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
classes = ["chair", "table", "cabinet"]
seeds = [0, 1]  # the spread of every number is over these seeds (offset from `seed`)
n_sources = 16  # source database per class
n_train = 24  # training targets per class
n_test = 12  # test targets per class
n_points = 512  # surface samples per shape (evaluation; training uses `train_points`)
train_points = 256
n_views = 2  # rendered views per training target
image_size = 64
epochs_df = 20
epochs_joint = 20
epochs_retrieval = 20
ido_steps = 30
points_classes = ["chair"]  # classes of the point-cloud setting
points_seeds = [0]
n_natural = 2  # natural-image composites per class (Fig. 3)

# %% tags=["hide-input"]
import time

import ipywidgets as widgets
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from sbsr.book import live, make_results, progress, setup, show_results, write_results
from sbsr.book.claims import claims_markdown
from sbsr.io import atomic_path
from sbsr.systems.retrieval_deformation import data as rd_data
from sbsr.systems.retrieval_deformation import experiments as rd
from sbsr.systems.retrieval_deformation import figures as rd_fig
from sbsr.systems.retrieval_deformation.claims import retrieval_deformation_claims
from sbsr.systems.retrieval_deformation.models import EMBED_GAIN, count_parameters
from sbsr.systems.retrieval_deformation.train import TrainConfig, deform_with, predicted_params

session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
print(session.describe())
if session.device == "cpu":
    torch.set_num_threads(1)  # small batches: a second thread costs more CPU time than it saves
sizes = rd.Sizes(n_sources, n_train, n_test, n_points, n_views, image_size)
cfg = TrainConfig(epochs_df=epochs_df, epochs_joint=epochs_joint, epochs_retrieval=epochs_retrieval,
                  ido_steps=ido_steps, train_points=train_points, device=session.device)
run_seeds = [seed + s for s in seeds]
DATA = (f"procedural {'/'.join(classes)} (sbsr.shapes): {n_sources} sources, {n_train}/{n_test} train/test "
        f"targets per class, {n_points} points, {image_size}-px renderings")
ENCODER = "small CNN + structure-aware deformation, trained from scratch"

# %% [markdown]
# ## Sources and targets
#
# A few sources of each class (parts coloured) and a test target as the networks see it. Sources differ in
# their parts (arms, stretchers, drawers, shelves come and go), which is what the per-part codes must handle.

# %% tags=["hide-input"]
t_data = time.perf_counter()
datasets = {(c, s): rd_data.load_class(c, n_sources, n_train, n_test, n_points, n_views, image_size, seed=s,
                                       cache_dir=cache_dir) for c in classes for s in run_seeds}
t_data = time.perf_counter() - t_data
first = {c: datasets[(c, run_seeds[0])] for c in classes}
rd_fig.method_grid(
    [[first[c].test.images[0, 0]] + [rd_fig.thumbnail(rd_data.source_shape(first[c], i)) for i in range(5)]
     for c in classes],
    row_labels=classes, col_labels=["a test target"] + [f"source {i}" for i in range(5)],
    captions=[[None] + [f"{first[c].sources.n_parts[i]} parts" for i in range(5)] for c in classes],
    title="Targets are renderings; sources are part-labelled meshes").show()
print(f"data built or read from {cache_dir} in {t_data:.1f} s")

# %% [markdown]
# ## Training every row
#
# Per class and seed: the deformation module on random pairs (**DF**, also the start of joint training);
# deformation-aware retrieval on the fixed DF (**DAR**); joint training with uniform (**Uniform Sampling**) and
# biased (**Ours**) candidates; and the **R** baseline (metric MDS of the chamfer matrix of sources and
# training targets, an encoder regressed onto it).

# %% tags=["hide-input"]
runs = {}
t_train = time.perf_counter()
for c in classes:
    for s in run_seeds:
        runs[(c, s, "image")] = rd.run_class(c, s, "image", sizes, cfg, cache_dir=cache_dir, progress=progress)
for c in points_classes:
    for s in [seed + x for x in points_seeds]:
        runs[(c, s, "points")] = rd.run_class(c, s, "points", sizes, cfg, cache_dir=cache_dir, progress=progress)
t_train = time.perf_counter() - t_train
print(f"{len(runs)} runs in {t_train:.0f} s")

# %% [markdown]
# ## Table 1: image-to-mesh retrieval and deformation
#
# The chamfer distance between the retrieved (and, where the row says so, deformed) source and the test
# target, averaged over the test targets; mean ± standard deviation over the seeds (each seed draws its own
# database and targets from the generator and its own initialisation, so the spread covers both).

# %%
image_runs = [r for k, r in runs.items() if k[2] == "image"]
t1 = rd.aggregate([r.table1() for r in image_runs])
res1 = make_results("uy2021_table_1", t1, data=DATA, encoder=ENCODER, profile=profile)
write_results("uy2021_table_1", res1)
show_results("uy2021_table_1", res1, decimals=3)
rd_fig.results_bars(res1, "Table 1: reproduced (bars) and published (diamonds)").show()

# %% [markdown]
# ## Table 2: the deformation module under oracle retrieval
#
# Every source is deformed towards every test target and the best fit is kept, so only the deformer counts.

# %%
t2 = rd.aggregate([r.table2() for r in image_runs])
res2 = make_results("uy2021_table_2", t2, data=DATA, encoder=ENCODER, profile=profile)
write_results("uy2021_table_2", res2)
show_results("uy2021_table_2", res2, decimals=3)

# %% [markdown]
# ## The claims of §3.1, checked

# %%
claims = retrieval_deformation_claims(t1, t2)
extra = pd.concat([r.extra() for r in image_runs]).groupby("category", sort=False).mean(numeric_only=True)
display(Markdown(
    claims_markdown({"images": claims}, {"images": f"{len(run_seeds)} seeds, {n_test} test targets per class"})
    + "\n\nFor scale: the best *undeformed* source per target (oracle retrieval, no deformation) is at "
    + ", ".join(f"{c} {v:.3f}" for c, v in extra["oracle_undeformed"].items())
    + "; Ours retrieves the source its own deformer fits best for "
    + ", ".join(f"{c} {100 * v:.0f}%" for c, v in extra["ours_top1_is_oracle"].items())
    + " of the targets. Our databases hold "
    + f"{n_sources} sources (the paper's hold hundreds), trained for {epochs_joint} joint epochs on {n_train} "
    "targets, so the retrieval space stays soft (Eq. 1 probabilities spread over many sources) and the "
    "differences between rows are of the order of the spread over seeds: read each verdict with that spread."))

# %% [markdown]
# ## The point-cloud setting
#
# The same rows with point-cloud targets (PointNet encoders), for the classes and seeds listed in the
# parameters. The paper reports this setting in its full version only, so there is nothing to compare with.

# %% tags=["hide-input"]
point_runs = [r for k, r in runs.items() if k[2] == "points"]
if point_runs:
    pt = pd.concat([rd.aggregate([r.table1() for r in point_runs]).assign(table="Table 1 rows"),
                    rd.aggregate([r.table2() for r in point_runs]).assign(table="Table 2 rows (oracle)")])
    pt = pt.assign(data=(f"procedural {'/'.join(points_classes)} (sbsr.shapes): {n_sources} sources, "
                         f"{n_train}/{n_test} train/test point-cloud targets per class, {n_points} points"),
                   encoder="PointNet + structure-aware deformation, trained from scratch", profile=profile)
    with atomic_path(session.results_dir / "retrieval_deformation_points.csv") as tmp:
        pt.to_csv(tmp, index=False, float_format="%.4f")
    display(pt.pivot_table(index=["table", "row"], columns="category", values="value", sort=False).round(3))
else:
    print("point-cloud setting not run (points_classes is empty)")

# %% [markdown]
# ## Time per training epoch
#
# Wall-clock seconds measured in this run (one epoch = one pass over the training targets, one torch thread on a
# CPU at the quick profile); DAR's epochs train retrieval only. On a machine shared with other jobs these
# times grow with the load.

# %% tags=["hide-input"]
times = rd.epoch_times(list(runs.values()))
times["device"] = session.device
display(times.round(3))
if session.device == "cpu":
    print("No GPU in this run: GPU timings are not recorded here (run the full profile with device=cuda).")

# %% [markdown]
# ## Figures 1 and 2: the modules as built

# %% tags=["hide-input"]
r0 = runs[(classes[0], run_seeds[0], "image")]
rd_fig.modules_diagram({
    "encoder": "rendering 64 px, CNN" if image_size == 64 else f"rendering {image_size} px, CNN",
    "gain": EMBED_GAIN, "sigma0": cfg.sigma0, "k": cfg.k, "n_sources": n_sources,
    "max_parts": r0.prep.max_parts, "deformer_params": count_parameters(r0.models["Ours"].deformer),
    "retrieval_params": count_parameters(r0.models["Ours"].retriever)}).show()

# %% [markdown]
# ## Figure 4: each method on one test target per class
#
# The input, then for each method the retrieved source (rows without deformation) or the deformed source,
# with its chamfer distance (×10⁻²).

# %% tags=["hide-input"]
fig4_rows, fig4_caps = [], []
for c in classes:
    r = runs[(c, run_seeds[0], "image")]
    t = 0
    imgs, caps = [r.data.test.images[t, 0]], [None]
    for row, (retr, defo) in rd.ROW_METHODS.items():
        src = int(r.retrieved[retr][t])
        p = rd.row_params(r, defo, np.array([t]), np.array([src]))
        imgs.append(rd_fig.thumbnail(rd.deformed_mesh(r, src, None if p is None else p[0])))
        val = r.ido_retrieved[t] if defo == "Ours+IDO" else r.fits["raw" if defo is None else defo][t, src]
        caps.append(f"{rd.UNIT * val:.2f}")
    fig4_rows.append(imgs)
    fig4_caps.append(caps)
rd_fig.method_grid(fig4_rows, classes, ["input"] + [k.replace(" (Retrieval Only)", "") for k in rd.ROW_METHODS],
                   fig4_caps, title="Input, then each method's output (cf. Fig. 4)").show()

# %% [markdown]
# ## Figure 3: "in the wild" inputs
#
# The paper tests on product photographs. Here the inputs are the book's natural-image composites
# (`sbsr.render.natural`: random colours, lighting and photographic backgrounds) of test shapes; our encoders
# were trained on plain renderings only, so this is a domain shift they never saw.

# %% tags=["hide-input"]
fig3_rows, fig3_labels = [], []
for c in classes:
    r = runs[(c, run_seeds[0], "image")]
    for t in range(min(n_natural, n_test)):
        img = rd_data.natural_target(rd_data.target_shape(r.data, "test", t), 45.0, image_size, seed=seed + t)
        src, par = rd.natural_queries(r, img[None])
        fig3_rows.append([img, rd_fig.thumbnail(rd.deformed_mesh(r, int(src[0]), None)),
                          rd_fig.thumbnail(rd.deformed_mesh(r, int(src[0]), par[0]))])
        fig3_labels.append(f"{c} {t}")
rd_fig.method_grid(fig3_rows, fig3_labels, ["input", "retrieved", "deformed"],
                   title="Ours on natural-image composites (cf. Fig. 3)").show()

# %% [markdown]
# ## Explore the K candidates
#
# Pick a class and a test target, then step through the K = 10 sources nearest to it in Ours' retrieval
# space (in order): the target's points in grey, the candidate before (blue) and after (red) deformation.

# %%
cand_cache = {c: rd.candidates(runs[(c, run_seeds[0], "image")].models["Ours"].retriever,
                               runs[(c, run_seeds[0], "image")].prep, cfg.k) for c in classes}


def _candidate(cls, target, k):
    r = runs[(cls, run_seeds[0], "image")]
    order, probs = cand_cache[cls]
    src = int(order[target, k - 1])
    tt = torch.tensor([target])
    ss = torch.tensor([[src]])
    p = predicted_params(r.models["Ours"].deformer, r.prep, "test", tt, ss)
    after = deform_with(r.prep, ss, p)[0, 0].cpu().numpy()
    before = r.prep.src_points[src].cpu().numpy()
    truth = r.prep.truth["test"][target].cpu().numpy()
    return rd_fig.candidate_figure(
        truth, before, after,
        f"{cls} target {target}, candidate {k}: source {src}, p = {probs[target, k - 1]:.3f}; chamfer ×1e-2 "
        f"{rd.UNIT * r.fits['raw'][target, src]:.2f} before, {rd.UNIT * r.fits['Ours'][target, src]:.2f} after")


live(_candidate, cls=widgets.Dropdown(options=classes, value=classes[0], description="class"),
     target=widgets.Dropdown(options=list(range(n_test)), value=0, description="target"),
     k=widgets.SelectionSlider(options=list(range(1, cfg.k + 1)), value=1, description="candidate"))
