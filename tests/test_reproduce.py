"""The batch runner on a small temporary project (fast) and its argument errors."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from sbsr import reproduce

HEADER = "# %% tags=[\"parameters\"]\nprofile = \"quick\"\ndevice = \"auto\"\nseed = 0\nscale = 1\n"

GOOD = HEADER + textwrap.dedent(
    """
    # %%
    from sbsr.book import make_results, setup, write_results
    session = setup(profile=profile, device=device, seed=seed)
    value = float(session.rng.integers(0, 100)) * scale
    res = make_results("thesis_table_4_3", [{"row": "Minimum", "category": "chair", "metric": "acc@1",
                       "value": value}], data="toy", encoder="none", profile=profile)
    write_results("thesis_table_4_3", res)
    """
)
BROKEN = HEADER + "\n# %%\nraise RuntimeError('deliberately broken')\n"
AFTER = HEADER + "\n# %%\nfrom pathlib import Path\nPath('results').mkdir(exist_ok=True)\nPath('results/after.txt').write_text('ran')\n"
NO_PARAMS = "# %%\nx = 1\n"


@pytest.fixture()
def toy_project(tmp_path, project_root):
    nb = tmp_path / "notebooks"
    nb.mkdir()
    (tmp_path / "data" / "published").mkdir(parents=True)
    shutil.copy(project_root / "data" / "published" / "thesis_table_4_3.csv", tmp_path / "data" / "published")
    (tmp_path / "_config.yml").write_text("title: toy\n")
    (nb / "good.py").write_text(GOOD)
    (nb / "broken.py").write_text(BROKEN)
    (nb / "after.py").write_text(AFTER)
    (nb / "profiles.yml").write_text(
        textwrap.dedent(
            """
            defaults:
              quick: {device: cpu, seed: 1}
              full: {device: cpu, seed: 1}
            notebooks:
              - name: good
                quick: {scale: 1}
                full: {scale: 2}
              - name: broken
              - name: after
            """
        )
    )
    return tmp_path


def run(root, *args):
    return subprocess.run(
        [sys.executable, "-m", "sbsr.reproduce", "--root", str(root), *args],
        capture_output=True, text=True, timeout=300,
    )


@pytest.mark.slow
def test_broken_notebook_fails_the_run_but_others_still_run(toy_project):
    proc = run(toy_project)
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((toy_project / "results" / "run-summary.json").read_text())
    status = {r["notebook"]: r["status"] for r in summary["notebooks"]}
    assert status == {"good": "ok", "broken": "failed", "after": "ok"}
    assert summary["failed"] == ["broken"]
    broken = next(r for r in summary["notebooks"] if r["notebook"] == "broken")
    assert "deliberately broken" in broken["error"]
    assert (toy_project / "results" / "after.txt").read_text() == "ran"
    # The executed notebooks are where the book reads them, the failing one with its error.
    for name in ("good", "broken", "after"):
        assert (toy_project / "book" / "chapters" / f"{name}.ipynb").is_file()
    assert "RuntimeError" in (toy_project / "book" / "chapters" / "broken.ipynb").read_text()
    # The summary table is printed.
    assert "| good" in proc.stdout and "failed" in proc.stdout and "2 ok, 1 failed" in proc.stdout


@pytest.mark.slow
def test_same_parameters_give_identical_results_and_profiles_differ(toy_project):
    assert run(toy_project, "--only", "good").returncode == 0
    first = (toy_project / "results" / "thesis_table_4_3.csv").read_bytes()
    assert run(toy_project, "--only", "notebooks/good.py").returncode == 0
    assert (toy_project / "results" / "thesis_table_4_3.csv").read_bytes() == first
    # The profile's parameters are injected: the full profile doubles the value and adds its own row.
    assert run(toy_project, "--only", "good", "--profile", "full").returncode == 0
    text = (toy_project / "results" / "thesis_table_4_3.csv").read_text()
    quick_v = [l for l in text.splitlines() if l.endswith(",quick")][0].split(",")[4]
    full_v = [l for l in text.splitlines() if l.endswith(",full")][0].split(",")[4]
    assert float(full_v) == 2 * float(quick_v)
    executed = json.loads((toy_project / "book" / "chapters" / "good.ipynb").read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert injected and 'profile = "full"' in "".join(injected[0]["source"])


def test_notebook_without_parameters_cell_fails_clearly(toy_project):
    (toy_project / "notebooks" / "noparams.py").write_text(NO_PARAMS)
    rec = reproduce.run_notebook(toy_project, "noparams", {"profile": "quick"}, timeout=60)
    assert rec.status == "failed"
    assert "no cell tagged 'parameters'" in rec.error and "noparams.py" in rec.error


@pytest.mark.parametrize(
    "args, message",
    [
        (["--profile", "medium"], "unknown profile 'medium'"),
        (["--only", "nope"], "unknown notebook nope"),
        (["--device", "tpu"], "unknown device 'tpu'"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_give_one_line_error(toy_project, capsys, args, message):
    assert reproduce.main(["--root", str(toy_project), *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_listed_but_missing_notebook(toy_project, capsys):
    (toy_project / "notebooks" / "after.py").unlink()
    assert reproduce.main(["--root", str(toy_project)]) == 2
    assert "notebooks/after.py" in capsys.readouterr().err


def test_list(toy_project, capsys):
    assert reproduce.main(["--root", str(toy_project), "--list"]) == 0
    assert capsys.readouterr().out.split() == ["good", "good", "broken", "broken", "after", "after"]


def test_summary_format():
    recs = [reproduce.RunRecord("a", "ok", 1.0, "x"), reproduce.RunRecord("b", "failed", 2.5, "y", "Err: boom")]
    text = reproduce.format_summary(recs)
    assert "| a " in text and "Err: boom" in text and text.endswith("1 ok, 1 failed, 3.5 s")


def test_code_cells_fold_their_source_unless_tagged_otherwise(tmp_path):
    path = tmp_path / "nb.py"
    path.write_text(textwrap.dedent('''\
        # %% [markdown]
        # # Title

        # %% tags=["parameters"]
        profile = "quick"

        # %%
        import math

        # %% tags=["show-input"]
        print(math.pi)

        # %% tags=["remove-cell"]
        x = 1
        '''))
    nb = reproduce.convert(path)
    tags = [c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code"]
    assert tags == [["parameters", "hide-cell"], ["hide-input"], ["show-input"], ["remove-cell"]]
