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
# # NetSpace: learning the space of trained networks
#
# Can trained networks themselves be embedded in a small latent space, and decoded back into ready-to-use
# networks that behave like the ones that went in? Chapter 5 of the thesis ({cite}`berardi2023thesis`,
# §5.3–5.4, App. C) answers with **NetSpace**: every trained instance is fused (batch norm folded into the
# convolutions, App. C.6) and written row after row into a 2D matrix, its **PRep** (App. C.2); an encoder of
# width-then-height convolutions and max-pooling maps any PRep to a fixed-size embedding; a decoder grows the
# embedding back into a PRep, which is loaded into the architecture and judged by what it *does*: the
# predicted network distils the target one (L_pred, Eq. 5.1; MSE for SDF networks, Eq. 5.2) or, across
# architectures, a ResNet56 teacher (L_kd, Eq. 5.3–5.5), with a ClassId head (L_class, Eq. 5.6) and an
# interpolation loss that lines the architectures up between the boundary ones (L^γ, Eq. 5.7–5.12). The
# thesis then interpolates (Fig. 5.3–5.5) and optimises (latent space optimisation, Table 5.1) in that space.
#
# **The data here.** CIFAR-10, Tiny-ImageNet and ShapeNet cannot be downloaded offline, so this chapter
# uses tasks the book makes, named on every result: **cifar-like** (10 procedural object categories rendered
# with random colours, views and lighting over photos and textures, `sbsr.render.natural`), the harder
# **tin-like** (22 classes: every category × the side it is seen from, always over photographs, smaller
# objects), scikit-learn's bundled handwritten **digits** (real images) as a real-data check, and the
# signed distances of procedural **chairs** for the SDF networks. None of them is CIFAR-10 or Tiny-ImageNet;
# the published numbers are shown beside ours only as the paper's reference. At the quick profile the test
# images are new renders (view, colour, light, background) of a few shapes per category that training also
# saw, at 16 px; the full profile renders 32/64 px images and tests on shapes never seen in training. Network widths, PRep widths,
# embedding sizes and population sizes are scaled to what a CPU can train; the page states them below.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
# tasks (the thesis: CIFAR-10 at 32 px, Tiny-ImageNet at 64 px)
cifar_size = 16
tin_size = 16
train_per_class = 30
test_per_class = 10
shapes_per_class = 4  # procedural shapes per category
held_out_shapes = False  # test on other shapes (True) or on new renders of the training shapes (False)
digits_size = 16
single_tasks = ["cifar-like", "tin-like", "digits"]
multi_tasks = ["tin-like"]  # Multi-Architecture NetSpace (Table 5.1 needs tin-like)
population_tasks = ["cifar-like", "tin-like"]  # Multi-Architecture populations (accuracies of Table C.1)
# populations (the thesis: 132 ResNet8, 1-600 epochs, 100/16/16; multi 60/50/60/100 + 16 + 16, 300 epochs)
width = 0.25  # channel multiplier of every network (1: as in the paper)
single_split = [8, 0, 4]
single_max_epochs = 16
single_lr = 3e-3  # the thesis: Adam 1e-4 over up to 600 epochs
batch_size = 32  # the thesis: 128
multi_train = {"LeNetLike": 2, "VanillaCNN": 2, "ResNet8": 2, "ResNet32": 2}
multi_test_per_arch = 1
multi_epochs = 6
teacher_width = 0.25
teacher_epochs = 8
# NetSpace (the thesis: embedding 4096, PRep width up to 10,000, Adam 1e-4, ~1k epochs)
prep_width = 64
embedding = 64
enc_channels = [8, 16]
enc_height_channels = [32]
dec_channels = [16, 8, 8]
ns_steps = 200
multi_steps = 120
ns_lr = 1e-3
meta_batch = 8
multi_meta_batch = 1
image_batch = 32
lso_steps = 30
lso_lr = 3e-2
# SDF networks (the thesis: 1000 chairs, SIREN 256 wide, 10k steps of 20k points)
sdf_shapes = 8
sdf_test = 2
sdf_points = 3000
siren_hidden = 16
siren_steps = 250
siren_lr = 1e-3
sdf_steps = 200
mesh_res = 24

# %% tags=["hide-input"]
import pandas as pd
import torch
from IPython.display import Markdown, display

from sbsr.book import make_results, progress, setup, show_results, write_results
from sbsr.book.claims import claims_markdown
from sbsr.book.results import load_published_wide
from sbsr.systems.netspace import claims as ns_claims
from sbsr.systems.netspace import experiments as ex
from sbsr.systems.netspace import figures as nf
from sbsr.systems.netspace.data import TASK_TITLES, chair_sdfs, load_task
from sbsr.systems.netspace.models import CLASS_IDS, Spec, count_parameters
from sbsr.systems.netspace.populations import multi_members, siren_population, single_members, train_population, train_teacher
from sbsr.systems.netspace.prep import to_prep

session = setup(profile=profile, device=device, seed=seed, data_dir=data_dir, results_dir=results_dir)
print(session.describe())
torch.set_num_threads(1)  # tiny networks: one thread is fastest, and spends no CPU spinning on a busy machine
dev = session.device  # the populations train here (cuda when present); NetSpace itself trains on the CPU
cfg = dict(embedding=embedding, enc_channels=enc_channels, enc_height_channels=enc_height_channels,
           dec_channels=dec_channels, steps=ns_steps, lr=ns_lr, meta_batch=meta_batch, image_batch=image_batch,
           lso_steps=lso_steps, lso_lr=lso_lr)
sizes = {"cifar-like": cifar_size, "tin-like": tin_size, "digits": digits_size}
tasks = {}
for name in dict.fromkeys([*single_tasks, *multi_tasks, *population_tasks]):
    tasks[name] = load_task(name, cache_dir=cache_dir, image_size=sizes[name], train_per_class=train_per_class,
                            test_per_class=test_per_class, seed=seed, shapes_per_class=shapes_per_class,
                            held_out_shapes=held_out_shapes)
    print(tasks[name].describe())

# %% [markdown]
# ## The architectures as built (App. C.3, Table C.1)
#
# Parameter counts computed from the models of `sbsr.systems.netspace.models`, at the two printed
# configurations (10 classes at 32 px; 200 classes at 64 px), with batch norm as trained and after fusion
# (what a PRep holds), beside the printed counts.

# %%
counts = ex.parameter_counts()
c1_pub = {(r.category, r.row): r.value for r in load_published_wide("thesis_table_C_1").itertuples()
          if r.metric == "# Params"}
counts["printed"] = [c1_pub.get((b, n)) for b, n in zip(counts["block"], counts["Net"])]
counts["Δ"] = counts["params"] - counts["printed"]
counts

# %% [markdown]
# Every ResNet matches the printed count exactly at both sizes (CIFAR ResNets with 16/32/64 channels, a 1×1
# convolution + batch norm on the shortcuts where the shape changes, average pooling k 8 s 8 — which leaves
# 2×2 cells at 64 px, hence the larger Tiny-ImageNet FC), and LeNetLike matches at 32 px. Two counts differ,
# and why: the layers of **VanillaCNN** are drawn only in Fig. C.3, an image the text of the thesis does not
# carry, so VanillaCNN here is a plain three-convolution network of about the printed size; and LeNetLike at
# 64 px average-pools its last map to LeNet's 5×5 cells, so only its last layer grows (200 classes), while
# the printed 79,612 implies another change to the 64 px LeNet that the text does not describe.
#
# The networks trained below are the same classes at `width` × the channels, on the small images of this
# chapter:

# %% tags=["hide-input"]
built = pd.DataFrame([{"arch": a, "task": t, "input px": tasks[t].image_size, "width": width,
                       "params (fused)": count_parameters(Spec(a, tasks[t].n_classes, tasks[t].image_size, width,
                                                               tasks[t].in_channels).make(bn=False))}
                      for t in dict.fromkeys([*multi_tasks, *population_tasks]) for a in CLASS_IDS])
built

# %% [markdown]
# ### Diagrams of the models as built (Fig. C.3, C.4)
#
# One box per layer in call order, with its output shape and parameters (the paper-size networks at 32 px).

# %%
x32 = torch.zeros(1, 3, 32, 32)
for arch in ["LeNetLike", "VanillaCNN", "ResNet8"]:
    nf.architecture_diagram(ex.layer_table(Spec(arch, 10, 32).make(), x32), f"{arch} as built (cf. Fig. C.3)").show()
for arch in ["ResNet32", "ResNet56"]:
    nf.architecture_diagram(ex.layer_table(Spec(arch, 10, 32).make(), x32), f"{arch} as built (cf. Fig. C.4)",
                            per_column=40).show()

# %% [markdown]
# ## Populations of trained instances
#
# **Single-Architecture** (per task): ResNet8 instances, each from its own seed, trained with Adam at a
# constant learning rate for a different number of epochs so that their accuracies spread.
# **Multi-Architecture**: LeNetLike, VanillaCNN, ResNet8 and ResNet32 trained with SGD (momentum 0.9, weight
# decay 5e-4, step decay), and a ResNet56 teacher. Every instance is fused and stored as a PRep; populations
# are cached under `cache_dir`.

# %%
pops, multi_pops, teachers, train_times = {}, {}, {}, []
for name in single_tasks:
    t = tasks[name]
    spec = Spec("ResNet8", t.n_classes, t.image_size, width, t.in_channels)
    members = single_members(*single_split, single_max_epochs, lr=single_lr, seed=seed, batch_size=batch_size)
    pops[name] = train_population(f"single-{name}", t, members, {"ResNet8": spec}, prep_width=prep_width,
                                  cache_dir=cache_dir, progress=progress, device=dev)
for name in dict.fromkeys([*multi_tasks, *population_tasks]):
    t = tasks[name]
    specs = {a: Spec(a, t.n_classes, t.image_size, width, t.in_channels) for a in CLASS_IDS}
    members = multi_members(multi_train, multi_test_per_arch, multi_epochs, seed=seed, batch_size=batch_size)
    multi_pops[name] = train_population(f"multi-{name}", t, members, specs, prep_width=2 * prep_width,
                                        cache_dir=cache_dir, progress=progress, device=dev)
    teachers[name] = train_teacher(Spec("ResNet56", t.n_classes, t.image_size, teacher_width, t.in_channels), t,
                                   epochs=teacher_epochs, seed=seed, batch_size=batch_size, cache_dir=cache_dir,
                                   device=dev)
summary = pd.concat([p.table.assign(population=k) for k, p in {**{f"single {k}": v for k, v in pops.items()},
                                                              **{f"multi {k}": v for k, v in multi_pops.items()}}.items()])
summary.groupby(["population", "arch", "split"])["accuracy"].agg(["count", "min", "mean", "max"]).round(1)

# %% [markdown]
# ## Table C.1: the models and their accuracies
#
# Per block, the ClassId, the best Single-Architecture (Adam) ResNet8, the mean accuracy of the
# Multi-Architecture training instances (SGD) and of the ResNet56 teacher, and the parameter count as built
# at the printed configuration. The accuracies come from **our** tasks: the CIFAR-10 block from cifar-like,
# the Tiny-ImageNet block from tin-like (both procedural; chance is 10 % and 4.5 %), with the small networks
# and short training above.

# %%
blocks = {"CIFAR-10": "cifar-like", "Tiny-ImageNet": "tin-like"}
c1 = []
for block, tname in blocks.items():
    for r in counts[counts["block"] == block].itertuples():
        c1.append({"row": r.Net, "category": block, "metric": "# Params", "value": r.params})
        if r.Net in CLASS_IDS:
            c1.append({"row": r.Net, "category": block, "metric": "ClassId", "value": CLASS_IDS[r.Net]})
    if tname in pops:
        c1.append({"row": "ResNet8", "category": block, "metric": "Acc. (Adam)", "value": pops[tname].table["accuracy"].max()})
    if tname in multi_pops:
        tab = multi_pops[tname].table
        for arch, acc in tab[tab["split"] == "train"].groupby("arch")["accuracy"].mean().items():
            c1.append({"row": arch, "category": block, "metric": "Acc. (SGD)", "value": acc})
        c1.append({"row": "ResNet56", "category": block, "metric": "Acc. (SGD)", "value": teachers[tname][1]})
c1_data = (f"params: models as built at the printed sizes; accuracies: cifar-like ({cifar_size} px) for the CIFAR-10 "
           f"block, tin-like ({tin_size} px) for the Tiny-ImageNet block (procedural, not CIFAR-10/Tiny-ImageNet)")
res_c1 = make_results("thesis_table_C_1", pd.DataFrame(c1), data=c1_data, encoder=f"width x{width}", profile=profile)
write_results("thesis_table_C_1", res_c1)
show_results("thesis_table_C_1", res_c1)

# %% [markdown]
# ## NetSpace as built (Fig. 5.1, C.1, C.2)
#
# The PRep of a toy network (Fig. C.2's algorithm: a convolution and a fully connected layer, width 32;
# white = zero padding), then the encoder, decoder and ClassId head with the sizes used here. The paper's
# embedding has 4096 entries; here `embedding` entries and PReps `prep_width` wide (twice that for the
# Multi-Architecture PReps, which are padded to ResNet32's height).

# %%
toy = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(8, 4))
toy_prep = to_prep(toy, width=32).numpy()
nf.prep_heatmaps({f"toy PRep {toy_prep.shape[0]}×{toy_prep.shape[1]} (conv 2×1×3×3 + 2, FC 4×8 + 4)": toy_prep},
                 "PRep of a toy network (cf. Fig. C.2)").show()
single_shape = next(iter(pops.values())).preps.shape[1:]
multi_shape = next(iter(multi_pops.values())).preps.shape[1:]
nf.architecture_diagram(ex.netspace_layer_table(ex.make_netspace(single_shape, cfg), single_shape),
                        f"NetSpace as built, Single-Architecture, PRep {tuple(single_shape)} (cf. Fig. 5.1)").show()
nf.architecture_diagram(ex.netspace_layer_table(ex.make_netspace(multi_shape, cfg, len(CLASS_IDS)), multi_shape),
                        f"NetSpace with the ClassId head, Multi-Architecture, PRep {tuple(multi_shape)} (cf. Fig. C.1)").show()

# %% [markdown]
# ## Single-Architecture: predicting and interpolating instances (Fig. 5.3, C.5)
#
# NetSpace is trained on the training instances with L_pred (Eq. 5.1, T = 4); the decoder's per-entry bias
# and scale start from the training PReps' mean and half their standard deviation (a CPU-sized shortcut;
# the thesis trains about 1k epochs). Left: the held-out instances' accuracy (target) and that of the
# instances NetSpace predicts from them. Right: the line between the worst and the best held-out instance,
# decoded from interpolated embeddings, against interpolating their weights directly.

# %%
singles, claims = {}, {}
for name in single_tasks:
    t = tasks[name]
    singles[name] = ex.run_single(t, pops[name], cfg, seed=seed, progress=progress)
    nf.single_figure(singles[name], f"{TASK_TITLES[name].split(':')[0]}: ResNet8 (×{width}) target vs predicted; "
                     "interpolation (cf. Fig. 5.3)").show()
    claims[f"Single-Architecture, {name}"] = ns_claims.single_claims(singles[name], 100 / t.n_classes)
for name in single_tasks[:2]:
    s = singles[name]
    nf.prep_heatmaps({"target PRep": s.target_prep.numpy(), "predicted PRep": s.predicted_prep.numpy()},
                     f"{name}: PRep of a held-out ResNet8 and of its prediction (cf. Fig. C.5)").show()

# %% [markdown]
# ## Multi-Architecture: one space for four architectures (Fig. 5.2, 5.5, C.6)
#
# NetSpace with the ClassId head, trained with L_kd (α = 0.9, the ResNet56 teacher), L_class and L^γ on
# pairs of LeNetLike/ResNet32 instances (γ = 1/3, 2/3 → VanillaCNN, ResNet8). Twice: with all four
# architectures seen, and with only LeNetLike and ResNet32 seen (the "unseen architectures" experiment).

# %%
multis = {}
mcfg = {**cfg, "steps": multi_steps, "meta_batch": multi_meta_batch}
for name in multi_tasks:
    t = tasks[name]
    teacher = teachers[name][0]
    runs = [ex.run_multi(t, multi_pops[name], teacher, mcfg, seen=tuple(CLASS_IDS), seed=seed, progress=progress),
            ex.run_multi(t, multi_pops[name], teacher, mcfg, seen=("LeNetLike", "ResNet32"), seed=seed, progress=progress)]
    multis[name] = runs
    nf.multi_figure(runs, f"{name}: Multi-Architecture NetSpace (cf. Fig. 5.5)").show()
    nf.latent_path_figure(runs[0], f"{name}: interpolating from a LeNetLike to a ResNet32 embedding (cf. Fig. 5.2)").show()
    nf.prep_heatmaps({"target PRep": runs[0].target_prep.numpy(), "predicted PRep": runs[0].predicted_prep.numpy()},
                     f"{name}: PRep of a held-out ResNet32 and of its prediction (cf. Fig. C.6)").show()
    pc = {a: count_parameters(Spec(a, t.n_classes, t.image_size, width, t.in_channels).make(bn=False)) for a in CLASS_IDS}
    claims[f"Multi-Architecture, {name}"] = ns_claims.multi_claims(runs, pc, 100 / t.n_classes)

# %% [markdown]
# ## Latent space optimisation (Table 5.1)
#
# From the embedding of a held-out instance (Single: the worst ResNet8 of tin-like; Multi: one instance per
# architecture), Adam on the embedding through the frozen decoder minimises L_kd to the ResNet56 teacher
# (plus L_class towards the instance's ClassId in the Multi-Architecture space). The published table is on
# Tiny-ImageNet; ours on **tin-like**, named in the `data` field of every row.

# %%
lso_task = "tin-like"
lso = ex.run_lso(tasks[lso_task], singles[lso_task], pops[lso_task], multis[lso_task][0], multi_pops[lso_task],
                 teachers[lso_task][0], cfg, seed=seed)
res51 = make_results("thesis_table_5_1", ex.table_5_1_rows(lso),
                     data=f"tin-like: {TASK_TITLES['tin-like'].split(': ', 1)[1]}, {tin_size} px (not Tiny-ImageNet)",
                     encoder=f"NetSpace (embedding {embedding}), networks width x{width}", profile=profile)
write_results("thesis_table_5_1", res51)
show_results("thesis_table_5_1", res51)
claims["Latent space optimisation, tin-like"] = ns_claims.lso_claims(lso)
display(lso)

# %% [markdown]
# ## SDF networks: interpolating shapes (Fig. 5.4)
#
# SIREN MLPs (3 → h → h → 1, sin(30·)) each fitted to one procedural chair's signed distances; NetSpace
# trained with L_pred = MSE at random points (Eq. 5.2); two held-out chairs interpolated in embedding space
# (top) and in weight space (bottom), meshed by marching cubes at the zero level.

# %%
pts, sdf = chair_sdfs(sdf_shapes, n_points=sdf_points, seed=seed, cache_dir=cache_dir)
sdf_pop = siren_population(pts, sdf, hidden=siren_hidden, steps=siren_steps, batch=min(2000, sdf_points), lr=siren_lr,
                           prep_width=prep_width, seed=seed, cache_dir=cache_dir, progress=progress)
sdf_pop.table["split"] = ["test" if i >= sdf_shapes - sdf_test else "train" for i in range(sdf_shapes)]
scfg = {**cfg, "steps": sdf_steps, "meta_batch": min(meta_batch, sdf_shapes - sdf_test), "point_batch": 1024,
        "mesh_res": mesh_res}
sdf_res = ex.run_sdf(sdf_pop, pts, scfg, hidden=siren_hidden, seed=seed, progress=progress)
nf.sdf_interpolation_figure(sdf_res.interpolation, "Procedural chairs: SDF networks interpolated (cf. Fig. 5.4)").show()
print(f"SIRENs fit their chair within 1e-2 at {sdf_pop.table['accuracy'].mean():.0f} % of the samples (mean)")
claims["SDF networks, procedural chairs"] = ns_claims.sdf_claims(sdf_res)

# %% [markdown]
# ## The thesis' statements, checked
#
# Each statement of §5.4 is tested on our numbers; the text is generated from them.

# %%
display(Markdown(claims_markdown(claims) + "\n\n"
                 "How to read this. Our tasks are procedural stand-ins at a few dozen images per class, our networks "
                 f"are ×{width} as wide and trained for minutes, and NetSpace sees {single_split[0]} instances per "
                 "Single-Architecture population"
                 + (" at the quick profile (the thesis: 100), so every verdict rests on a handful of networks."
                    if session.quick else ".")))

# %% [markdown]
# ## Speed
#
# CPU time (process time) measured when each network was trained: one population instance (mean per
# architecture and population) and one NetSpace epoch (one pass over the training instances in
# meta-batches). The populations train on the GPU when one is present (`device`); NetSpace, the latent space
# optimisation and the SDF networks train on the CPU in this version. GPU timings are not recorded here: the
# book's runs have no GPU.

# %% tags=["hide-input"]
speed = summary.groupby(["population", "arch"])["train_cpu_s"].mean().rename("CPU s per instance").round(2).reset_index()
speed["epochs"] = summary.groupby(["population", "arch"])["epochs"].mean().round(1).to_numpy() if "epochs" in summary else None
ns_speed = pd.DataFrame(
    [{"NetSpace": f"Single, {k}", "CPU s per epoch": v.seconds_per_epoch} for k, v in singles.items()]
    + [{"NetSpace": f"Multi ({', '.join(r.seen)}), {k}", "CPU s per epoch": r.seconds_per_epoch}
       for k, rs in multis.items() for r in rs]
    + [{"NetSpace": "SDF, chairs", "CPU s per epoch": sdf_res.seconds_per_epoch}]).round(3)
display(speed)
display(ns_speed)
print(f"torch threads: {torch.get_num_threads()}; populations are cached, so a second run skips their training "
      "(the times above are those recorded when they were trained)")
