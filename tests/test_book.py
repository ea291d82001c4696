"""End to end: `python -m sbsr.book.build --profile quick` (what `make book` runs) in the repository.

Every notebook is executed through the runner at the quick profile, then the HTML book is built (the
session fixture `built_book` in conftest.py). Later tests read what it produced (executed notebooks,
results tables, HTML pages).
"""

import json
import re

import pytest
import yaml

from sbsr.config import load_profiles


def toc_files(project_root):
    toc = yaml.safe_load((project_root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [c["file"] for c in part["chapters"]]
    return toc, files


@pytest.mark.slow
def test_book_builds_and_every_notebook_ran(built_book, project_root):
    assert built_book.returncode == 0, built_book.stdout[-3000:] + built_book.stderr[-3000:]
    summary = json.loads((project_root / "results" / "run-summary.json").read_text())
    assert summary["profile"] == "quick"
    names = load_profiles(project_root / "notebooks" / "profiles.yml").names()
    assert [r["notebook"] for r in summary["notebooks"]] == names
    assert all(r["status"] == "ok" for r in summary["notebooks"]), summary
    assert "0 failed" in built_book.stdout


@pytest.mark.slow
def test_index_links_every_chapter(built_book, project_root):
    index = (project_root / "_build" / "html" / "index.html").read_text()
    _, files = toc_files(project_root)
    for f in files:
        assert f'href="{f}.html"' in index, f
        assert (project_root / "_build" / "html" / f"{f}.html").is_file(), f


@pytest.mark.slow
def test_chapters_render_outputs_without_errors_and_offline_plotly(built_book, project_root):
    html_dir = project_root / "_build" / "html"
    assert (html_dir / "_static" / "plotly.min.js").stat().st_size > 1_000_000
    for name in load_profiles(project_root / "notebooks" / "profiles.yml").names():
        page = (html_dir / "book" / "chapters" / f"{name}.html").read_text()
        assert "output traceback" not in page and "output error" not in page, name  # no failed cell
        assert "cdn.plot.ly" not in page, name
        if "Plotly.newPlot" in page:
            assert re.search(r'<script src="[./]*_static/plotly\.min\.js', page), name
        # The notebook is offered for download.
        assert f"{name}.ipynb" in page, name


def test_toc_parts_and_notebook_chapters_agree(project_root):
    toc, files = toc_files(project_root)
    captions = [p["caption"] for p in toc["parts"]]
    for needed in ("The core paper", "Related systems", "Appendices"):
        assert needed in captions
    names = load_profiles(project_root / "notebooks" / "profiles.yml").names()
    chapters = [f.split("/")[-1] for f in files if f.startswith("book/chapters/")]
    assert sorted(chapters) == sorted(names)


def test_text_notebooks_have_parameters_cells(project_root):
    import jupytext

    for path in sorted((project_root / "notebooks").glob("*.py")):
        nb = jupytext.read(path)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, path
        src = params[0].source
        for key in ("profile", "device", "seed", "data_dir"):
            assert re.search(rf"^{key}\s*=", src, re.M), f"{path}: parameters cell lacks {key}"
