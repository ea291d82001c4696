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
# # Aggregating over views, and which views
#
# A shape is a handful of line renderings, and a sketch is compared with every one of them. Two choices of
# the method concern these views ({cite}`berardi2023thesis`, §4.2.3.2 and Appendix B.4):
#
# * **Minimum versus average** (Table 4.3). The distance to a shape is the distance to its closest view
#   (Eq. 4.1), not the distance to the average of its view features. The thesis reports that the minimum
#   raises top-1 accuracy by about 9 (chairs) and 14 (lamps) points on the validation set — the text says
#   "6" for lamps, the table 65.67 − 51.50 = 14.17.
# * **Which views** (Table 4.4). With objects fitted to the optimal bounding box (OBB), the thesis compares
#   the three *sketch views* of each category (chairs 0°/30°/75°, lamps 0°/45°/90°, after
#   {cite}`qi2021toward`), the five views 0°/30°/45°/75°/90° used everywhere else, seven views 0°…90° every
#   15°, seven views −5°…85° that never coincide with a sketch view, and nine views (each sketch view
#   and ±5°). Performance is "rather stable"; the nine views raise top-1 but lower top-5, which Fig. 4.3
#   illustrates with queries whose ground truth drops out of (or rises to the top of) the top 5.
# * **Views of Schlachter et al.** (Appendix B.4, Table B.5, Fig. B.2): front and back orthographic views
#   plus a perspective 30° view {cite}`schlachter2022zeroshot`, against the human-preferred sketch views, with
#   the minimum and the average, on the test split. The sketch views win in every column.
#
# This chapter recomputes the three tables on the procedural stand-in for AmateurSketch (`procedural-v1`:
# simulated amateur sketches of generated chairs and lamps, see the data chapter), with every encoder of the
# parameter list that is available here, and draws Fig. 4.3 and Fig. B.2 from the same runs. Tables 4.3 and
# 4.4 use the validation split, Table B.5 the test split; sketches and views are fitted to the OBB
# (129 × 129 px of 224) in every row, as in the thesis.

# %% tags=["parameters"]
profile = "quick"
device = "auto"
seed = 0
data_dir = "data"
cache_dir = "data/cache"
results_dir = "results"
dataset = "procedural-v1"
# the paper's encoder (when its weights are present), the offline CLIP-style model, the untrained control
encoders = ["clip-RN101-openai", "minclip-procedural-v1", "random-RN101"]
n_shapes = None  # gallery shapes per category (None: the whole split)
# small encoders see the whole split; the others (RN101 / ViT-B sized, ~0.3 s per image on a CPU) are limited
# to the first `heavy_shapes` shapes per category and to the tables in `heavy_tables` (None / all in full)
light_encoders = ["minclip-procedural-v1"]
heavy_shapes = 6
heavy_tables = ["thesis_table_4_3", "thesis_table_B_5"]
n_examples = 1  # Fig. 4.3: queries of each kind per category

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from sbsr.book import live, load_published, make_results, show_results, write_results
from sbsr.book.figures.retrieval import contrasting_queries, image_grid, retrieval_figure
from sbsr.systems.clip_retrieval.experiments import (EncoderBudget, Evaluator, accuracy_rows, gallery_sizes,
                                                     open_experiment)
from sbsr.retrieval.pipeline import METHODS
from sbsr.retrieval.transforms import fit_to_box
from sbsr.retrieval.viewsets import (TABLE_4_4_ROWS, appendix_b5_view_sets, describe_views, paper_view_sets,
                                     run_accuracies, run_view_sets)

# %% [markdown]
# ## Encoders and data
#
# The table says which encoders ran and why the others did not (the OpenAI CLIP weights are not shipped with
# this book; with them in place the same cells compute the paper's setting).

# %%
session, data, cache, choices = open_experiment(profile=profile, device=device, seed=seed, dataset=dataset,
                                                data_dir=data_dir, results_dir=results_dir, cache_dir=cache_dir, encoders=encoders)

# %%
budget = EncoderBudget.of(light_encoders, n_shapes, heavy_shapes, heavy_tables)
available = [c for c in choices if c.available]
shapes_for = {c.name: budget.shapes(c.name) for c in available}
evaluators = {(split, n): Evaluator(data, split, cache=cache, n_shapes=n)
              for split in ("validation", "test") for n in set(shapes_for.values())}
lead = next((c for c in available if budget.is_light(c.name)), available[0] if available else None)
if lead is None:
    raise RuntimeError("none of the encoders " + ", ".join(encoders) + " is available here")
print(f"figures and text below use {lead.name}")
gallery_sizes(evaluators, shapes_for)

# %% [markdown]
# Each gallery shape has three sketches, one per sketch view, so a category's accuracy is over three times
# as many queries as shapes: at the quick profile one query is worth several points of accuracy. The
# untrained RN101 (`random-RN101`) is a control: it shows what the architecture alone gives. It is slow on a
# CPU, so at the quick profile it runs on the first few shapes of each category (the table above; chance
# is then 1/6 top-1 and 5/6 top-5) and only for the tables listed in `heavy_tables`; its banners below
# name that subset.

# %% [markdown]
# ## Table 4.3: minimum versus average over views
#
# Five views (0°, 30°, 45°, 75°, 90°), OBB framing. *Minimum*: Eq. 4.1, a shape is as close as its closest
# view. *Average*: the sketch is compared with the mean feature of the shape's views (as Appendix B.4 words
# it: "averaging features from all views"). The thesis does not say whether Table 4.3 averaged features or
# distances, so the extra row *Average of view distances* (no published counterpart) shows the other reading.

# %%
aggregations = {"Average": "mean", "Minimum": "min", "Average of view distances": "mean_distance"}
res_43 = {}
for c in available:
    if not budget.runs(c.name, "thesis_table_4_3"):
        continue
    ev = evaluators[("validation", shapes_for[c.name])]
    rows = []
    for label, reduce in aggregations.items():
        rows += accuracy_rows(label, ev.accuracy(c.encoder, METHODS["obb"].with_(reduce=reduce)))
    res_43[c.name] = make_results("thesis_table_4_3", rows, data=budget.data_label(dataset, c.name), encoder=c.name,
                                  profile=profile)
    write_results("thesis_table_4_3", res_43[c.name])
show_results("thesis_table_4_3")

# %%
columns = [("chair", "acc@1"), ("chair", "acc@5"), ("lamp", "acc@1"), ("lamp", "acc@5")]
pub_43 = load_published("thesis_table_4_3").pivot_table(index="row", columns=["category", "metric"], values="value")
name_43 = lead.name if lead.name in res_43 else next(iter(res_43))
rep_43 = res_43[name_43].pivot_table(index="row", columns=["category", "metric"], values="value")
gain = rep_43.loc["Minimum"] - rep_43.loc["Average"]
pub_gain = pub_43.loc["Minimum"] - pub_43.loc["Average"]
same = sum(np.sign(gain[col]) == np.sign(pub_gain[col]) for col in columns)
gain_dist = rep_43.loc["Minimum"] - rep_43.loc["Average of view distances"]
n_queries = {cat: len(evaluators[("validation", shapes_for[name_43])].split(cat).sketches) for cat in ("chair", "lamp")}
text = (
    f"**Reading Table 4.3 ({name_43}).** The minimum beats the feature average in "
    f"{sum(gain[col] > 0 for col in columns)} of 4 columns and ties in {sum(gain[col] == 0 for col in columns)} "
    f"(minimum − average: " + ", ".join(f"{cat} {m} {gain[(cat, m)]:+.1f}" for cat, m in columns)
    + "; the paper: " + ", ".join(f"{pub_gain[(cat, m)]:+.1f}" for cat, m in columns)
    + f"), so the direction of the effect agrees with the paper in {same} of 4 columns. "
    f"Against the average of view distances the minimum's margin is "
    + ", ".join(f"{gain_dist[col]:+.1f}" for col in columns) + ". "
    f"With {n_queries['chair']} chair and {n_queries['lamp']} lamp queries one query is "
    f"{100 / n_queries['chair']:.1f} / {100 / n_queries['lamp']:.1f} points, so differences of a few points are "
    "within noise at this profile"
    + (f", and a gallery of {min(n_queries.values()) // 3} shapes per category is easy: columns at 100% "
       f"({', '.join(' '.join(c) for c in columns if rep_43[c].min() >= 100 - 1e-6)}) cannot show any effect. "
       if any(rep_43[c].min() >= 100 - 1e-6 for c in columns) else ". ")
)
if same >= 3:
    text += ("As in the thesis, letting each sketch pick its closest view is better than blurring the views "
             "into one average feature: a sketch shows one viewpoint, and the average mixes in the others.")
else:
    text += ("Unlike the thesis, the minimum does not clearly win here; on this data the simulated sketches and "
             "the small encoder may not separate viewpoints as well as CLIP does on real sketches.")
if "random-RN101" in res_43 and name_43 != "random-RN101":
    r = res_43["random-RN101"].pivot_table(index="row", columns=["category", "metric"], values="value")
    text += (f" The untrained RN101 control reaches {r.loc['Minimum'][('chair', 'acc@1')]:.1f} / "
             f"{r.loc['Minimum'][('lamp', 'acc@1')]:.1f} top-1 (chairs / lamps) with the minimum, on "
             f"{shapes_for['random-RN101']} shapes per category.")
display(Markdown(text))

# %% [markdown]
# ## Table 4.4: which views represent a shape
#
# The view sets are built per category (the sketch views of chairs and lamps differ):

# %%
with pd.option_context("display.max_colwidth", None):
    display(pd.DataFrame([{"view set": label, "chair": describe_views(paper_view_sets("chair")[label]),
                           "lamp": describe_views(paper_view_sets("lamp")[label])} for label in TABLE_4_4_ROWS]))

# %%
runs_44 = {}
res_44 = {}
for c in available:
    if not budget.runs(c.name, "thesis_table_4_4"):
        continue
    ev = evaluators[("validation", shapes_for[c.name])]
    runs_44[c.name] = run_view_sets(ev, c.encoder, METHODS["obb"], paper_view_sets)
    rows = []
    for label, acc in run_accuracies(runs_44[c.name]).items():
        rows += accuracy_rows(label, acc)
    res_44[c.name] = make_results("thesis_table_4_4", rows, data=budget.data_label(dataset, c.name), encoder=c.name,
                                  profile=profile)
    write_results("thesis_table_4_4", res_44[c.name])
if res_44:
    show_results("thesis_table_4_4")
else:
    display(Markdown(budget.not_run_note("Table 4.4")))

# %% [markdown]
# The thesis draws three conclusions from Table 4.4. Each is a comparison of two rows; the table below
# gives each difference (first row minus second, in points) in every column, for the paper and for the
# reproduction.

# %%
pub_44 = load_published("thesis_table_4_4").pivot_table(index="row", columns=["category", "metric"], values="value")
rep_44 = (res_44[lead.name].pivot_table(index="row", columns=["category", "metric"], values="value")
          if lead.name in res_44 else None)
claims_44 = [
    ("five views vs. sketch views", "0°, 30°, 45°, 75°, 90°", "Sketch views"),
    ("seven views 0°…90° vs. sketch views", "7 views: [0° : 15° : 90°]", "Sketch views"),
    ("nine views (±5°) vs. sketch views", "9 views: sketch views ±5°", "Sketch views"),
    ("views off the sketch views (−5°…85°) vs. 0°…90°", "7 views: [-5° : 15° : 85°]", "7 views: [0° : 15° : 90°]"),
]
effects = pd.DataFrame([
    {"comparison": name, "column": " ".join(col), "paper": pub_44.loc[a, col] - pub_44.loc[b, col],
     "reproduced": rep_44.loc[a, col] - rep_44.loc[b, col] if rep_44 is not None else np.nan}
    for name, a, b in claims_44 for col in columns
])
effects["same sign"] = np.sign(effects["paper"]) == np.sign(effects["reproduced"])
(effects.pivot(index="comparison", columns="column", values=["paper", "reproduced"])
 .swaplevel(0, 1, axis=1).sort_index(axis=1, level=0, sort_remaining=False)
 .reindex([name for name, _, _ in claims_44]).round(2))

# %%
if rep_44 is None:
    text = f"Table 4.4 was not computed with {lead.name} at this profile, so there is nothing to compare."
else:
    best_rep = {}
    for col in columns:
        tied = list(rep_44.index[rep_44[col] == rep_44[col].max()])
        best_rep[col] = (tied[0] if len(tied) == 1 else "all sets tie" if len(tied) == len(rep_44)
                         else f"a tie of {len(tied)} sets")
    best_pub = {col: pub_44[col].idxmax() for col in columns}
    spread = {col: rep_44[col].max() - rep_44[col].min() for col in columns}
    nine = effects[effects.comparison.str.startswith("nine")].set_index("column")
    ties = int((effects["reproduced"] == 0).sum())
    ceiling = [" ".join(col) for col in columns if rep_44[col].min() >= 100 - 1e-6]
    text = (
        f"**Reading Table 4.4 ({lead.name}).** The signs of the paper's row comparisons are reproduced in "
        f"{int(effects['same sign'].sum())} of {len(effects)} cases; {ties} comparisons are ties here"
        + (f" (every view set reaches 100% in {', '.join(ceiling)}, which therefore cannot show an effect)"
           if ceiling else "")
        + ". The best view set per column is "
        + "; ".join(f"{' '.join(col)}: *{best_rep[col]}* (paper: *{best_pub[col]}*)" for col in columns)
        + ". The spread between the best and the worst set is "
        + ", ".join(f"{spread[col]:.1f}" for col in columns)
        + " points (paper: " + ", ".join(f"{pub_44[col].max() - pub_44[col].min():.1f}" for col in columns) + "). "
    )
    top1_up = all(nine.loc[f"{cat} acc@1", "reproduced"] > 0 for cat in ("chair", "lamp"))
    top5_down = all(nine.loc[f"{cat} acc@5", "reproduced"] < 0 for cat in ("chair", "lamp"))
    text += (
        "The thesis' observation that nine views around the sketch views raise top-1 but lower top-5 "
        + ("holds here for both categories. " if top1_up and top5_down else
           "holds here for top-1 (up in both categories) but not for top-5. " if top1_up else
           "holds here for top-5 (down in both categories) but not for top-1. " if top5_down else
           "is not reproduced here. ")
        + "Our simulated sketches are drawn from the sketch views with a random azimuth offset of at most ±8° "
        "(less for skilled simulated sketchers), so the ±5° views can catch part of that offset, while the thesis "
        "suspects that real chair sketches deviate more from their nominal view; at the quick profile a single "
        "query moves a number by several points."
    )
display(Markdown(text))

# %% [markdown]
# ## Fig. 4.3: three versus nine views
#
# For each category, one query whose ground truth is in the top 5 with the three sketch views but not with
# the nine views (first pair of rows), and one query that the nine views rank first while the three views do
# not (second pair). Each query is shown twice: its top 5 with 3 views, then with 9 views. The ground-truth
# shape is framed in green; captions give rank and distance. Gallery shapes are drawn as shaded renderings
# at 30° azimuth and 10° elevation, as in the thesis' qualitative figures. When no query meets the strict
# condition, the query whose rank moves most in that direction is shown instead (the row label says so).

# %%
fig_runs = runs_44.get(lead.name)
fig_rgb = {}
first_pick = {}
if fig_runs is None:
    print(f"Table 4.4 was not computed with {lead.name}; no Fig. 4.3")
else:
    for cat in ("chair", "lamp"):
        three, nine_run = fig_runs["Sketch views"][cat], fig_runs["9 views: sketch views ±5°"][cat]
        split = evaluators[("validation", shapes_for[lead.name])].split(cat)
        sketches = evaluators[("validation", shapes_for[lead.name])].images[cat].sketches
        fig_rgb[cat] = [fit_to_box(im, 0.9) for im in split.views([30.0], style="rgb", elevation=10.0)[:, 0]]
        r3, r9 = three.ranks, nine_run.ranks
        lost, won = contrasting_queries(r3, r9, k=5, n=n_examples)
        picks = [(q, "lost by 9 views" if r3[q] <= 5 < r9[q] else "9 views worse")
                 for q in lost] + [(q, "won by 9 views" if r9[q] == 1 < r3[q] else "9 views better") for q in won]
        if not picks:  # every ground truth keeps its rank: show the query whose top 5 changes most
            changed = [len(set(three.top_k(5)[q]) ^ set(nine_run.top_k(5)[q])) for q in range(len(r3))]
            picks = [(int(np.argmax(changed)), "same GT rank")]
            print(f"{cat}: 3 and 9 views give every ground truth the same rank; showing the query whose top 5 "
                  f"changes most ({max(changed)} shapes differ)")
        first_pick[cat] = int(picks[0][0])
        qs, top, dist, ranks, labels = [], [], [], [], []
        for q, kind in picks:
            for run, n_views in ((three, 3), (nine_run, 9)):
                t = run.top_k(5)[q]
                qs.append(sketches[q])
                top.append(t)
                dist.append(run.distances[q, t])
                ranks.append(run.ranks[q])
                labels.append(f"{run.sketch_ids[q]}<br>{kind}<br>{n_views} views")
        fig = retrieval_figure(qs, fig_rgb[cat], np.array(top), [three.targets[q] for q, _ in picks for _ in (0, 1)],
                               distances=np.array(dist), target_ranks=ranks, row_labels=labels, thumb_size=80,
                               title=f"Fig. 4.3 ({cat}s, {lead.name}): top 5 with 3 and with 9 views")
        fig.show()

# %% [markdown]
# Browse any query: the two rows show one query's top 5 with the three sketch views and with the nine views
# (here the first query of Fig. 4.3); in a live notebook the knobs draw any other query underneath them.

# %%
import ipywidgets as widgets

if fig_runs is not None:
    category_knob = widgets.Dropdown(options=["chair", "lamp"], value="chair", description="category")
    query_knob = widgets.IntSlider(value=first_pick.get("chair", 0), min=0,
                                   max=len(fig_runs["Sketch views"]["chair"].targets) - 1,
                                   description="query")

    def _show_query(category, query):
        runs = (fig_runs["Sketch views"][category], fig_runs["9 views: sketch views ±5°"][category])
        query = min(query, len(runs[0].targets) - 1)
        sk = evaluators[("validation", shapes_for[lead.name])].images[category].sketches[query]
        tops = [r.top_k(5)[query] for r in runs]
        return retrieval_figure([sk, sk], fig_rgb[category], np.array(tops), [runs[0].targets[query]] * 2,
                                distances=np.array([r.distances[query, t] for r, t in zip(runs, tops)]),
                                target_ranks=[r.ranks[query] for r in runs], row_labels=["3 views", "9 views"],
                                thumb_size=80)

    live(_show_query, category=category_knob, query=query_knob)

# %% [markdown]
# ## Table B.5: the views of Schlachter et al. versus the sketch views (test split)
#
# Schlachter et al. represent a shape by a front and a back view and a three-quarter view; following the
# thesis these are an orthographic 0°, an orthographic 180° and a perspective 30° azimuth view. The thesis
# gives no elevation for them; we keep the 20° of all other views, so the two sets differ in azimuth and
# projection only. Everything is fitted to the OBB, and each set is aggregated with the minimum and with the
# average of view features.

# %%
res_b5 = {}
runs_b5 = {}
for c in available:
    if not budget.runs(c.name, "thesis_table_B_5"):
        continue
    ev = evaluators[("test", shapes_for[c.name])]
    rows = []
    for agg, reduce in (("min", "min"), ("avg", "mean")):
        runs_b5[(c.name, agg)] = run_view_sets(ev, c.encoder, METHODS["obb"].with_(reduce=reduce), appendix_b5_view_sets)
        for name, acc in run_accuracies(runs_b5[(c.name, agg)]).items():
            rows += accuracy_rows(f"OBB, {name}, {agg}", acc)
    res_b5[c.name] = make_results("thesis_table_B_5", rows, data=budget.data_label(dataset, c.name), encoder=c.name,
                                  profile=profile)
    write_results("thesis_table_B_5", res_b5[c.name])
if res_b5:
    show_results("thesis_table_B_5")
else:
    display(Markdown(budget.not_run_note("Table B.5")))

# %%
if lead.name in res_b5:
    pub_b5 = load_published("thesis_table_B_5").pivot_table(index="row", columns=["category", "metric"], values="value")
    rep_b5 = res_b5[lead.name].pivot_table(index="row", columns=["category", "metric"], values="value")
    cmp_b5 = []
    for agg in ("min", "avg"):
        a, b = f"OBB, sketch views, {agg}", f"OBB, 0 (o), 30 (p), 180(o), {agg}"
        for col in columns:
            cmp_b5.append({"aggregation": agg, "column": " ".join(col), "paper": pub_b5.loc[a, col] - pub_b5.loc[b, col],
                           "reproduced": rep_b5.loc[a, col] - rep_b5.loc[b, col]})
    cmp_b5 = pd.DataFrame(cmp_b5)
    wins = int((cmp_b5["reproduced"] > 0).sum())
    ties = int((cmp_b5["reproduced"] == 0).sum())
    min_vs_avg = [rep_b5.loc[f"OBB, {v}, min", col] - rep_b5.loc[f"OBB, {v}, avg", col]
                  for v in ("sketch views", "0 (o), 30 (p), 180(o)") for col in columns]
    text = (
        f"**Reading Table B.5 ({lead.name}, test split).** The sketch views beat the views of Schlachter et al. "
        f"in {wins} of 8 comparisons (ties: {ties}; the paper: 8 of 8, by "
        f"{cmp_b5['paper'].min():.1f} to {cmp_b5['paper'].max():.1f} points; here "
        f"{cmp_b5['reproduced'].min():+.1f} to {cmp_b5['reproduced'].max():+.1f}). The minimum beats the average in "
        f"{sum(d > 0 for d in min_vs_avg)} of 8 columns (paper: 8 of 8). "
    )
    text += ("The first comparison agrees with the thesis: the views people choose to sketch from make the better "
             "gallery, plausibly because a back view never matches a sketch and an orthographic front view lacks the "
             "perspective of a drawing. "
             if wins >= 6 else
             "The first comparison is weaker than in the thesis. On procedural shapes, front and back views can look "
             "alike (symmetric lamps, simple chairs), and the 30° view is shared by both sets for chairs. ")
    text += ("The second agrees with the thesis." if sum(d > 0 for d in min_vs_avg) >= 6 else
             "The second does not: as in Table 4.3 above, on this data the average of the view features is "
             "about as good as the closest view.")
    display(Markdown(text))
    display(cmp_b5.pivot(index="aggregation", columns="column", values=["paper", "reproduced"])
            .swaplevel(0, 1, axis=1).sort_index(axis=1, level=0, sort_remaining=False).loc[["min", "avg"]].round(2))

# %% [markdown]
# ## Fig. B.2: the two sets of views
#
# Line renderings of two test shapes per category: the three sketch views (left) and the views of
# Schlachter et al. (right), each enlarged to fill its frame (the OBB framing rescales them anyway).

# %%
b2_images, b2_labels, b2_captions = [], [], []
ev_b2 = evaluators[("test", shapes_for[lead.name])]
for cat in ("chair", "lamp"):
    sets = appendix_b5_view_sets(cat)
    arrays = [ev_b2.images[cat].views(METHODS["obb"].with_(views=v)) for v in sets.values()]
    for i in range(min(2, len(ev_b2.split(cat).shapes))):
        b2_images.append([fit_to_box(img, 0.9) for arr in arrays for img in arr[i]])
        b2_captions.append([v.label() for v in sets["sketch views"] + sets["0 (o), 30 (p), 180(o)"]])
        b2_labels.append(ev_b2.split(cat).shape_ids[i])
fig = image_grid(b2_images, row_labels=b2_labels, captions=b2_captions, thumb_size=96,
                 col_labels=["sketch view 1", "sketch view 2", "sketch view 3", "front (o)", "30° (p)", "back (o)"],
                 title="Fig. B.2: human-preferred sketch views (left) and the views of Schlachter et al. (right)")
fig.show()

# %% [markdown]
# ## Summary
#
# The aggregation and the view choices are cheap to change and cost nothing at training time. The thesis
# keeps the minimum over five views for all later experiments; its Table 4.4 shows that the exact view set
# matters little as long as it covers the viewpoints people sketch from, and Table B.5 that a generic
# front/back/three-quarter gallery loses 11 to 17 points of top-1. The reproduction above says, with numbers
# computed here, how much of this the procedural stand-in and the offline encoders show.
