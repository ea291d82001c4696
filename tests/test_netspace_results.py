"""NetSpace's tables in the book's results convention: the wide Table C.1 read in the long schema, and
results written for it; the LSO rows in Table 5.1's published keys; seeded populations."""

import pandas as pd
import pytest
import torch

from sbsr.book.results import load_published_wide, make_results, published_rows
from sbsr.systems.netspace.data import load_digits, load_task
from sbsr.systems.netspace.experiments import parameter_counts, table_5_1_rows
from sbsr.systems.netspace.models import Spec
from sbsr.systems.netspace.populations import single_members, train_population


def test_wide_table_c1_in_the_long_schema(project_root):
    pub = load_published_wide("thesis_table_C_1", project_root)
    assert pub["value"].notna().sum() == 30  # 10 rows x 4 data columns, 10 "-" not reported
    row = pub[(pub["row"] == "LeNetLike") & (pub["category"] == "CIFAR-10") & (pub["metric"] == "# Params")]
    assert row["value"].item() == 62006  # printed "62,006"
    assert published_rows("thesis_table_C_1", project_root)[:2] == ["LeNetLike", "VanillaCNN"]


def test_make_results_for_the_wide_table_attaches_printed_counts(project_root):
    counts = parameter_counts()
    rows = [{"row": r.Net, "category": r.block, "metric": "# Params", "value": r.params} for r in counts.itertuples()]
    res = make_results("thesis_table_C_1", pd.DataFrame(rows), data="d", encoder="e", profile="quick", root=project_root)
    r8 = res[(res["row"] == "ResNet8") & (res["category"] == "Tiny-ImageNet")]
    assert r8["value"].item() == r8["published_value"].item() == 128792


def test_lso_rows_use_the_published_keys(project_root):
    lso = pd.DataFrame({"stage": ["initial", "optimized"], "setting": ["Single-Architecture"] * 2,
                        "arch": ["ResNet8"] * 2, "accuracy": [10.0, 12.0], "decoded_as": ["ResNet8"] * 2})
    res = make_results("thesis_table_5_1", table_5_1_rows(lso), data="d", encoder="e", profile="quick", root=project_root)
    assert res["published_value"].tolist() == [25.73, 35.72]


def test_population_is_seeded_and_cached(tmp_path):
    torch.set_num_threads(1)
    task = load_digits(image_size=16)
    task.x_train, task.y_train = task.x_train[:64], task.y_train[:64]
    spec = {"ResNet8": Spec("ResNet8", 10, 16, 0.25, 1)}
    members = single_members(1, 0, 1, 2, lr=1e-3, seed=3)
    assert [m["epochs"] for m in members] == [1, 2] and {m["split"] for m in members} == {"train", "test"}
    a = train_population("t", task, members, spec, prep_width=32, cache_dir=tmp_path / "a")
    b = train_population("t", task, members, spec, prep_width=32, cache_dir=tmp_path / "b")
    assert torch.equal(a.preps, b.preps)
    c = train_population("t", task, members, spec, prep_width=32, cache_dir=tmp_path / "a")  # from the cache
    assert torch.equal(a.preps, c.preps) and a.table["accuracy"].tolist() == c.table["accuracy"].tolist()
    assert a.preps.shape[1:] == (160, 32)  # 5,058 fused parameters in rows of 32: ceil(158.06) = 159 -> 160


def test_load_task_rejects_unknown_names(tmp_path):
    with pytest.raises(KeyError, match="unknown task"):
        load_task("imagenet", cache_dir=tmp_path)
