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
# # SketchyDepth: an image and its depth map from a scene sketch
#
# Thesis chapter 3 ({cite}`berardi2023thesis`, Appendix A) asks whether generating **geometry together with
# the image** helps scene-sketch-to-image generation. SketchyDepth takes a *partial image* $i_p$ (the scene
# sketch with the foreground objects' image regions pasted in, as SketchyCOCO builds it), generates a depth
# map $d_{gen} = G_d(i_p)$ (Eq. 3.1) and then the image $i_{gen} = G_i(i_p, d_{gen})$ (Eq. 3.5). pix2pix
# U-Nets and PatchGAN discriminators are trained with conditional GAN losses plus L1 terms (weight
# $\alpha = 100$): $D_d$ on (partial, depth) (Eq. 3.2-3.4), $D_i$ on (partial, depth, image) (Eq. 3.6-3.8)
# and a joint $D_j$ whose loss trains both generators (Eq. 3.9-3.10). The thesis finds that the joint depth
# improves FID over a pix2pix baseline (Table 3.1), that both ablations lose the gain, and that the
# generated depth enables depth-based effects (bokeh, relighting, fog, hue, grayscale, cartoon), "3D
# photos" and *depth sketching*.
#
# **The data here.** SketchyCOCO, the MiDaS depth it was labelled with and EdgeGAN are not available
# offline, so this chapter builds a procedural stand-in: scenes of a grass plane under a sky with trees,
# bushes and clouds (the background classes) and 0-3 procedural objects (chairs, tables, sofas, lamps, ...)
# standing on the ground, seen by a perspective camera. Every scene has its RGB image, its **true** depth from
# the z-buffer (better than the thesis' MiDaS labels), a scene sketch (the objects through the book's
# freehand-sketch simulator, the background as SketchyCOCO-style coarse class strokes), class and instance
# masks, and the partial image; scenes without objects are the "background-only" sketches of §3.4.3. FID
# cannot use Inception weights offline: the Frechet distance is computed on the features of the book's
# encoder `minclip-procedural-v1` and reported as **FD (minclip features)** (real Inception weights are
# used when a local file is given in `inception_weights`). None of these numbers is the paper's setting;
# the published values are shown beside ours for orientation only.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
n_scenes = 200  # scenes in all (thesis: 14081 SketchyCOCO triplets)
image_size = 64  # thesis: 128 (unet_128)
bank_size = 16  # distinct sketched foreground objects
epochs = 15  # thesis: 110
batch_size = 4  # pix2pix: 1
ngf = 8  # generator width (pix2pix: 64)
ndf = 8  # discriminator width (pix2pix: 64)
d_layers = 2  # PatchGAN layers (pix2pix basic: 3)
weights = "shipped"  # "shipped": the checkpoints of train.py --retrain when they match the data, else train
train_on_mismatch = False  # with shipped weights trained on other data (hash differs): False uses them anyway
fd_encoder = "minclip-procedural-v1"
inception_weights = None  # a local pt_inception weights file for a real FID (needs torch-fidelity)
n_examples = 4  # rows of the example figures
timing_batches = 4  # batches timed per network for the epoch-time table (None: a whole epoch)

# %% tags=["hide-input"]
import ipywidgets as widgets
import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from sbsr.book import live, make_results, progress, setup, show_results, write_results
from sbsr.book.claims import claims_markdown
from sbsr.encoders import get_encoder
from sbsr.io import atomic_path
from sbsr.systems.sketchy_depth import effects, experiments as ex, figures as figs
from sbsr.systems.sketchy_depth.claims import depth_claims, table_3_1_claims
from sbsr.systems.sketchy_depth.data import FAR, SceneConfig, load_scenes
from sbsr.systems.sketchy_depth.metrics import FrechetDistance
from sbsr.systems.sketchy_depth.train import MONODEPTH, VARIANTS, TrainConfig, build_models

session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
if session.device == "cpu":
    torch.set_num_threads(1)  # small networks: one thread avoids oversubscribing shared CPUs
print(session.describe())
scene_cfg = SceneConfig(n_scenes=n_scenes, image_size=image_size, seed=seed, bank_size=bank_size)
train_cfg = TrainConfig(epochs=epochs, batch_size=batch_size, ngf=ngf, ndf=ndf, d_layers=d_layers, seed=seed)
scenes = load_scenes(scene_cfg, cache_dir, progress=progress)
DATA = f"sketchy-depth-procedural-v1 ({image_size} px, {n_scenes} scenes, seed {seed})"
print(scenes.describe())


def save_table(name: str, df: pd.DataFrame, encoder: str) -> None:
    """A table the paper lacks: results/sketchy_depth_<name>.csv with data, encoder and profile columns."""
    out = df.assign(data=DATA, encoder=encoder, profile=profile)
    with atomic_path(f"{results_dir}/sketchy_depth_{name}.csv") as tmp:
        out.to_csv(tmp, index=False, float_format="%.4f")

# %% [markdown]
# ## The scenes
#
# Each row: the scene sketch (object strokes from the sketch simulator, background as class strokes: tree
# and bush outlines, cloud outlines, grass tufts, the horizon), the partial image the networks see, the
# rendered RGB image, the z-buffer depth (near is bright) and the class mask. The split follows the thesis'
# proportions: 20 % test, the rest 85/15 train/validation.

# %%
gallery_idx = list(np.flatnonzero(scenes["kind"] == "fb")[:3]) + list(np.flatnonzero(scenes["kind"] == "bo")[:1])
figs.gallery(scenes, gallery_idx, title="Procedural scenes: sketch, partial image, RGB, true depth, classes").show()

# %% [markdown]
# ## The networks and their training
#
# Four configurations, the rows of Table 3.1: the pix2pix baseline partial → RGB ("SketchyCOCO
# (replicated)"), SketchyDepth without $G_d$ and $D_d$ (a pix2pix generator with two image discriminators),
# SketchyDepth without $D_j$, and the full model. Each training step updates every discriminator once, then
# both generators on $\mathcal{L}_i$ (to $G_i$), $\mathcal{L}_d$ (to $G_d$) and $\mathcal{L}_j$ (to both).
# Adam with learning rate 2e-4 and $\beta_1 = 0.5$, L1 weight 100, as pix2pix. A fifth network, a U-Net
# trained with L1 on rendered (RGB, true depth) pairs, is the monocular depth estimator standing in for
# MiDaS. At the quick profile the U-Nets are narrow (`ngf` = 8) and 64 px; with `weights="shipped"` the
# checkpoints shipped with the book are used when they were trained on exactly these scenes and settings
# (their sidecar records the command, seed and a hash of the data), otherwise everything is trained here
# (with `train_on_mismatch=False`, the quick default, checkpoints whose data hash differs are still used,
# and the table below says so).

# %% tags=["hide-input"]
results, sources = {}, {}
for v in list(VARIANTS) + [MONODEPTH]:
    results[v], sources[v] = ex.open_variant(v, scenes, train_cfg, use_shipped=(weights == "shipped"),
                                             device=session.device, progress=progress,
                                             train_on_mismatch=train_on_mismatch)
display(pd.DataFrame([{"network": VARIANTS[v]["label"] if v in VARIANTS else "monocular depth (MiDaS stand-in)",
                       "weights": sources[v], "epochs": train_cfg.epochs} for v in results]))

# %%
full_nets = build_models("full", image_size, train_cfg)
figs.network_diagram(full_nets, title=f"SketchyDepth as built here ({image_size} px, ngf={ngf}; cf. Fig. 3.2)").show()

# %% [markdown]
# Training time per epoch, measured now on this machine's CPU or GPU (the first `timing_batches` batches of
# an epoch, scaled to the whole epoch):

# %% tags=["hide-input"]
timing = ex.timing_table(list(VARIANTS) + [MONODEPTH], scenes, train_cfg, device=session.device,
                         max_batches=timing_batches)
save_table("timing", timing, encoder="none")
display(timing.round(2))
if session.device == "cpu":
    display(Markdown("No GPU was used for this run, so GPU timings are not recorded here (the thesis trained "
                     "on a GTX 1080 Ti and a 1060)."))

# %% [markdown]
# ## Table 3.1: image quality (FD) and faithfulness (SSIM)
#
# All four rows are generated from the test partial images and compared with the test scenes' true images:
# the Frechet distance between the sets of generated and true images, and the mean SSIM of each generated
# image with its true image (Wang et al.; 11x11 Gaussian window, $\sigma = 1.5$). The first published row
# (SketchyCOCO as printed in its own paper, with EdgeGAN and its pix2pix version) has no counterpart here
# and is shown as published only (its reproduced cell is empty). The column says FID because it sits beside
# the published FID; ours is the Frechet distance on the encoder named in the banner.

# %% tags=["hide-input"]
if inception_weights:
    fd = FrechetDistance(inception_weights=inception_weights)
    fd_label = fd.name
else:
    fd = FrechetDistance(get_encoder(fd_encoder, device=session.device))
    fd_label = f"{fd.name}: {fd_encoder} embedding"
outputs = ex.generate_test(results, scenes)
rows = ex.table_3_1(outputs, scenes, fd)
res = make_results("thesis_table_3_1", rows, data=DATA, encoder=fd_label, profile=profile)
write_results("thesis_table_3_1", res)
show_results("thesis_table_3_1", res, decimals=3)
display(Markdown("The published numbers of Table 3.1 come from SketchyCOCO scenes (2816 test triplets, 128 px) "
                 "with Inception-v3 FID, not from the sketches, shapes and CLIP named in the generic banner above; "
                 f"ours from {DATA} with {fd_label}."))
split = ex.fid_split(outputs, scenes, fd)
save_table("fid_split", split, encoder=fd_label)

# %%
figs.fd_bars(rows, fd.name, f"Table 3.1 here: {fd.name} (lower is better) and SSIM (higher is better)").show()
display(Markdown(f"**The fb / bo split** (§3.4.3): {fd.name} on the test scenes with foreground objects (fb) "
                 "and on the background-only ones (bo), each against the true images of the same subset; the "
                 "thesis' values (FID on SketchyCOCO) are beside ours for orientation."))
display(split.round(3))

# %% [markdown]
# ### The claims of §3.4.3, checked

# %% tags=["hide-input"]
claims = table_3_1_claims(rows, split, fd.name)
n_test = len(scenes.indices("test"))
display(Markdown(claims_markdown({f"{fd.name}, {DATA}": claims}, {f"{fd.name}, {DATA}": f"{n_test} test scenes"})
                 + "\n\nHow to read this: the distances are on a small procedural test set "
                 f"({n_test} scenes in a {fd.metric.real_features_sum.shape[0]}-d feature space"
                 + (", fewer scenes than dimensions, so the covariances are singular and the distance is biased"
                    if n_test <= fd.metric.real_features_sum.shape[0] else "")
                 + ") and the networks are "
                 + (f"narrow (`ngf` = {ngf}) and trained for {epochs} epochs at {image_size} px, with one seed: "
                    "compare the rows with each other, not with the published FIDs (another feature space), and "
                    "read small differences as noise. The full profile uses the thesis' 128 px, `unet_128` and "
                    "110 epochs." if session.quick else f"trained at {image_size} px for {epochs} epochs, one seed.")))

# %% [markdown]
# ## Generated images (Fig. 3.3, A.5) and depth maps (Fig. 3.4, A.6)
#
# Test scenes with foreground objects (top) and background-only (bottom); each row: the partial image,
# the four configurations' images and the true image.

# %%
test_idx = scenes.indices("test")
fb_test = [i for i in test_idx if scenes["kind"][i] == "fb"][:n_examples]
bo_test = [i for i in test_idx if scenes["kind"][i] == "bo"][:max(1, n_examples // 2)]
labels = {v: VARIANTS[v]["label"] for v in VARIANTS}
figs.generation_grid(scenes, fb_test + bo_test, outputs, labels,
                     "Scene images from sketches: foreground+background and background-only (cf. Fig. 3.3, A.5)").show()

# %% [markdown]
# ## Depth evaluation (§3.4.4, Fig. 3.4, A.6)
#
# The thesis compares its depth with MiDaS run on the generated image, by asking 23 people which fits
# better (93.6 % chose SketchyDepth's). Here the true depth exists, so we measure: the errors of $G_d$'s
# depth and of the monocular network run on the generated image, both against the scene's true depth
# (AbsRel, RMSE in world units, share of pixels within a factor 1.25), and how well each separates the
# foreground objects from what surrounds them (ROC AUC of "nearer" as a detector of an object's pixels
# within its bounding box grown by 3 px, fb scenes).
# The monocular network on the *true* image is a reference. Caveat, as in the thesis: a generated image can
# legitimately differ from the true scene, so neither depth can reach zero error. The true depth's own
# separation score is the ceiling (below 1 because the ground in front of an object's base is nearer than
# the object).

# %% tags=["hide-input"]
depth_tab, mono_maps = ex.depth_table(outputs, results[MONODEPTH], scenes)
save_table("depth_errors", depth_tab, encoder="none (depth metrics)")
display(depth_tab.round(3))
dclaims = depth_claims(depth_tab)
display(Markdown(claims_markdown({"depth, " + DATA: dclaims})))

# %%
figs.depth_grid(scenes, fb_test + bo_test[:1], outputs["full"]["rgb"], outputs["full"]["depth"], mono_maps["full"],
                "Generated image, generated depth, monocular depth of the generated image, true depth "
                "(cf. Fig. 3.4, A.6)").show()

# %% [markdown]
# ## Depth-based effects (§3.4.5, Fig. 3.1, 3.5, A.2-A.4)
#
# Each effect blends the image with a full-strength version of it, with a per-pixel weight that starts at
# a chosen depth and grows towards far or near pixels up to a maximum strength (strength 0 is the
# identity). Below: the effects of Fig. 3.5 (bokeh, light variation, fog, hue shift) and of Fig. A.3
# (colour-to-grayscale, transition-to-cartoon) on generated images with their generated depth; then the same
# effects driven by the monocular depth (Fig. A.4).

# %% tags=["hide-input"]
def _t(img):
    return torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255


def _effect(img, depth, effect, start=0.3, direction=None, strength=1.0):
    out = effects.apply_effect(_t(img), torch.from_numpy(depth / FAR)[None, None].float(), effect, start,
                               direction, strength)
    return (out[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


pos = {int(i): k for k, i in enumerate(test_idx)}
ex_rows = fb_test[:3]
rows_fx = [[outputs["full"]["rgb"][pos[i]]] + [_effect(outputs["full"]["rgb"][pos[i]], outputs["full"]["depth"][pos[i]], e)
                                               for e in effects.EFFECTS] for i in ex_rows]

# %%
figs.effects_grid(rows_fx, [f"scene {i}" for i in ex_rows], ["generated"] + list(effects.EFFECTS),
                  "Depth-based effects on generated images with their generated depth (cf. Fig. 3.1, 3.5, A.2, A.3)").show()

# %%
rows_cmp = []
for i in ex_rows[:2]:
    img = outputs["full"]["rgb"][pos[i]]
    for name, d in (("generated depth", outputs["full"]["depth"][pos[i]]), ("monocular depth", mono_maps["full"][pos[i]])):
        rows_cmp.append([img, figs.depth_to_image(d)] + [_effect(img, d, e) for e in ("bokeh", "light", "fog")])
figs.effects_grid(rows_cmp, [f"scene {i}<br>{n}" for i in ex_rows[:2] for n in ("generated depth", "monocular")],
                  ["image", "depth", "bokeh", "light", "fog"],
                  "The same effects with the generated depth and with the monocular depth (cf. Fig. A.4)").show()

# %% [markdown]
# Try the knobs: the effect, where it starts (normalised depth, 0 near, 1 the sky), its direction and its
# maximum strength. In the static book the widget shows its initial state.

# %%
def _explore_effect(effect, start, direction, strength):
    i = ex_rows[0]
    img = outputs["full"]["rgb"][pos[i]]
    d_gen, d_mono = outputs["full"]["depth"][pos[i]], mono_maps["full"][pos[i]]
    dirn = {"towards far": 1, "towards near": -1}[direction]
    return figs.effects_grid([[img, _effect(img, d_gen, effect, start, dirn, strength),
                               _effect(img, d_mono, effect, start, dirn, strength)]], [f"scene {i}"],
                             ["generated image", "with generated depth", "with monocular depth"],
                             f"{effect}: start {start}, {direction}, strength {strength}")


live(_explore_effect,
     effect=widgets.Dropdown(options=list(effects.EFFECTS), value="bokeh", description="effect"),
     start=widgets.SelectionSlider(options=[0.0, 0.1, 0.2, 0.3, 0.5, 0.7], value=0.2, description="start"),
     direction=widgets.ToggleButtons(options=["towards far", "towards near"], value="towards far"),
     strength=widgets.SelectionSlider(options=[0.0, 0.25, 0.5, 0.75, 1.0], value=1.0, description="strength"))

# %% [markdown]
# ### A "3D photo" (Fig. 3.6)
#
# The thesis feeds its image and depth to a 3D-photo model; here a short dolly towards the scene is warped
# directly from the generated image and depth (each pixel moves outwards by the ratio of its depth before
# and after the move, so near content grows faster than the background). Press play.

# %%
i3 = ex_rows[0]
frames = effects.photo3d_frames(_t(outputs["full"]["rgb"][pos[i3]])[0],
                                torch.from_numpy(outputs["full"]["depth"][pos[i3]] / FAR)[None].float(), n_frames=8,
                                far=FAR)
frames8 = (frames.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
figs.photo3d_figure(frames8, f"3D photo of test scene {i3} from its generated image and depth (cf. Fig. 3.6)").show()

# %% [markdown]
# ## Depth sketching (§3.4.6, Fig. 3.7, A.7)
#
# Edit the generated depth map (paint a tree, bush or hill at one depth, as the thesis paints grey
# levels) and regenerate the image with $G_i$ from the same partial image. The static book applies the
# scripted edits below; the widget repaints live. The numbers say how much the image changed inside the
# painted region and outside it.

# %% tags=["hide-input"]
edits = [("tree", 0.25, 0.5, 0.35, 0.25), ("bush", 0.7, 0.62, 0.2, 0.2), ("hill", 0.5, 0.5, 0.25, 0.45)]
sk_scenes = (bo_test + fb_test)[:len(edits)]
sk_rows, sk_labels, sk_table = [], [], []
for i, (shape, cx, by, size, value) in zip(sk_scenes, edits):
    r = ex.depth_sketch(results["full"], scenes, int(i), shape, cx, by, size, value)
    sk_rows.append([figs.depth_to_image(r["depth"] * FAR), r["image"], figs.depth_to_image(r["edited_depth"] * FAR),
                    r["new_image"]])
    sk_labels.append(f"scene {i}: {shape} at {value}")
    sk_table.append({"scene": int(i), "edit": shape, "depth": value, "change inside": r["change_inside"],
                     "change outside": r["change_outside"]})

# %%
figs.effects_grid(sk_rows, sk_labels, ["generated depth", "generated image", "sketched depth", "new image"],
                  "Depth sketching: edit the depth, regenerate with G_i (cf. Fig. 3.7, A.7)").show()
display(pd.DataFrame(sk_table).round(3))


# %%
def _explore_sketch(shape, cx, value):
    i = int(sk_scenes[0])
    r = ex.depth_sketch(results["full"], scenes, i, shape, cx, 0.55, 0.3, value)
    return figs.effects_grid([[figs.depth_to_image(r["edited_depth"] * FAR), r["image"], r["new_image"]]], [f"scene {i}"],
                             ["sketched depth", "before", "after"],
                             f"{shape} at x={cx}, depth {value}: change inside {r['change_inside']:.3f}, "
                             f"outside {r['change_outside']:.3f}")


live(_explore_sketch, shape=widgets.ToggleButtons(options=["tree", "bush", "hill"], value="tree"),
     cx=widgets.SelectionSlider(options=[0.2, 0.35, 0.5, 0.65, 0.8], value=0.35, description="position"),
     value=widgets.SelectionSlider(options=[0.1, 0.2, 0.3, 0.5, 0.7], value=0.3, description="depth"))

# %% [markdown]
# ## Diversity (App. A.1.6, Fig. A.1)
#
# pix2pix keeps dropout on at test time; the thesis also perturbs the condition by translating the sketch's
# objects a little. Below, for one test scene: four samples with dropout on, then the foreground shifted
# by a few pixels. The table gives the mean pairwise L1 distance between the outputs (eval mode, which
# is deterministic, is the zero reference). The thesis' 256 px model of Fig. A.1 (left) is not trained
# here.

# %%
div = ex.diversity(results["full"], scenes, np.array(fb_test[:1]))
figs.effects_grid([list(div["dropout"][:, 0]), list(div["shift"][:, 0])], ["dropout on", "translations"],
                  [f"{k + 1}" for k in range(max(len(div["dropout"]), len(div["shift"])))],
                  f"Diversity for test scene {fb_test[0]}: dropout samples and shifts {div['shifts']} px (cf. Fig. A.1)").show()
save_table("diversity", div["table"], encoder="none")
display(div["table"].round(4))
