"""Publishing: the GitHub Actions workflow, the bundled JavaScript, citations, the "run it yourself" notes."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import stat
import tarfile
from pathlib import Path

import pytest
import yaml

from sbsr.book import sphinx_ext as ext
from sbsr.config import load_profiles

WORKFLOW = Path(".github") / "workflows" / "book.yml"


# --------------------------------------------------------------------------------------------------
# .github/workflows/book.yml (it cannot run here: its syntax and structure are checked)


@pytest.fixture(scope="module")
def workflow(project_root):
    text = (project_root / WORKFLOW).read_text(encoding="utf-8")
    assert "\t" not in text, "tabs are not allowed in YAML indentation"
    return yaml.safe_load(text)


def _steps(job):
    return [s.get("run", "") + " " + s.get("uses", "") for s in job["steps"]]


def test_workflow_is_valid_yaml_with_triggers(workflow):
    assert workflow["name"]
    on = workflow.get("on", workflow.get(True))  # PyYAML reads the bare key `on` as True
    assert set(on) == {"push", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    profile = on["workflow_dispatch"]["inputs"]["profile"]
    assert profile["type"] == "choice" and set(profile["options"]) == {"quick", "full"}
    assert workflow["permissions"] == {"contents": "read"}  # least privilege; deploy asks for more


def test_workflow_jobs_build_quick_on_push_and_full_on_a_gpu_runner(workflow):
    jobs = workflow["jobs"]
    assert set(jobs) == {"quick", "full", "deploy"}
    for job in jobs.values():
        assert job["runs-on"]
        for step in job["steps"]:
            assert set(step) & {"run", "uses"}, step
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]  # pinned major
    quick, full, deploy = jobs["quick"], jobs["full"], jobs["deploy"]
    assert "push" in quick["if"] and quick["runs-on"] == "ubuntu-latest"
    assert any("make book PROFILE=quick" in s for s in _steps(quick))
    assert "workflow_dispatch" in full["if"] and "full" in full["if"]
    assert "gpu" in full["runs-on"] and "self-hosted" in full["runs-on"]
    assert any("make book PROFILE=full DEVICE=cuda" in s for s in _steps(full))
    for job in (quick, full):
        upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")]
        assert upload and upload[0]["with"]["path"] == "_build/html"
    assert quick["timeout-minutes"] and full["timeout-minutes"]
    assert deploy["needs"] == ["quick", "full"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_workflow_uses_the_documented_make_targets(project_root, workflow):
    makefile = (project_root / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^book:", makefile, re.M) and "DEVICE ?=" in makefile
    assert "--device $(DEVICE)" in makefile


# --------------------------------------------------------------------------------------------------
# The bundled JavaScript (.vendor/, fetched with `npm pack`), against a fake npm


def _tgz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """An `npm` on PATH whose `pack NAME@VERSION --pack-destination DIR` copies tarballs/<NAME>.tgz into DIR."""
    tarballs = tmp_path / "tarballs"
    tarballs.mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "npm.log"
    script = bindir / "npm"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        'spec="$2"; dest="$4"; name="${spec%@*}"; file="$(echo "$name" | tr / _).tgz"\n'
        f'cp "{tarballs}/$file" "$dest/$file"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    packages = (
        ext.NpmPackage("libone", "1.0.0", "", (("package/a.js", "one/a.js"), ("package/dist/*.font", "one/"))),
        ext.NpmPackage("@scope/two", "2.0.0", "", (("package/es5/", "two/"),)),
    )
    contents = {
        "libone": _tgz({"package/a.js": b"A", "package/dist/f.woff2": b"F", "package/dist/x.map": b"M"}),
        "@scope/two": _tgz({"package/es5/x/y.js": b"Y", "package/README.md": b"R"}),
    }
    for name, data in contents.items():
        (tarballs / (name.replace("/", "_") + ".tgz")).write_bytes(data)
    pinned = tuple(
        ext.NpmPackage(p.name, p.version, _integrity(contents[p.name]), p.files) for p in packages
    )
    monkeypatch.setattr(ext, "VENDOR_PACKAGES", pinned)
    monkeypatch.setattr(ext, "VENDOR_ENTRY_POINTS", ("one/a.js", "two/x/y.js"))
    return {"log": log, "tarballs": tarballs}


def test_fetch_vendor_unpacks_only_the_listed_files(tmp_path, fake_npm):
    root = tmp_path / "project"
    root.mkdir()
    out = ext.fetch_vendor(root)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["one/a.js", "one/f.woff2", "two/x/y.js", "versions.json"]
    assert json.loads((out / "versions.json").read_text()) == {"libone": "1.0.0", "@scope/two": "2.0.0"}
    assert ext.vendor_ready(root)
    calls = fake_npm["log"].read_text().splitlines()
    assert calls[0].startswith("pack libone@1.0.0 --pack-destination ") and "--ignore-scripts" in calls[0]
    # Present and at the pinned versions: no second fetch.
    ext.fetch_vendor(root)
    assert len(fake_npm["log"].read_text().splitlines()) == 2
    assert not [p for p in root.iterdir() if p.name.startswith(".sbsr-vendor-")]  # no staging left behind


def test_fetch_vendor_refuses_a_tarball_with_another_checksum(tmp_path, fake_npm):
    (fake_npm["tarballs"] / "libone.tgz").write_bytes(_tgz({"package/a.js": b"tampered"}))
    root = tmp_path / "project"
    root.mkdir()
    with pytest.raises(ext.VendorError, match=r"libone@1\.0\.0: tarball .* has integrity sha512-.*expected"):
        ext.fetch_vendor(root)
    assert not (root / ext.VENDOR_DIR).exists()


def test_fetch_vendor_refetches_when_a_pin_changes(tmp_path, fake_npm, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    ext.fetch_vendor(root)
    stamp = root / ext.VENDOR_DIR / "versions.json"
    stamp.write_text(json.dumps({"libone": "0.9.0", "@scope/two": "2.0.0"}))
    assert not ext.vendor_ready(root)
    ext.fetch_vendor(root)
    assert ext.vendor_ready(root) and len(fake_npm["log"].read_text().splitlines()) == 4


def test_extract_refuses_paths_outside_the_folder(tmp_path):
    tarball = tmp_path / "evil.tgz"
    tarball.write_bytes(_tgz({"package/../../escape.js": b"x"}))
    pkg = ext.NpmPackage("evil", "1.0.0", "", (("package/", "evil/../../../"),))
    with pytest.raises(ext.VendorError, match="outside"):
        ext._extract(pkg, tarball, tmp_path / "dest")


def test_missing_npm_is_reported_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(ext.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(ext.VendorError, match="install Node.js"):
        ext._npm_executable()


def test_pins_are_exact_versions_with_sha512(project_root):
    for pkg in ext.VENDOR_PACKAGES:
        assert re.fullmatch(r"\d+\.\d+\.\d+", pkg.version), pkg
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pkg.integrity), pkg
    config = yaml.safe_load((project_root / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert list(config["nb_ipywidgets_js"]) == [
        f"{ext.STATIC_VENDOR}/require.js",
        f"{ext.STATIC_VENDOR}/{ext.WIDGETS_SETUP_FILE}",
        f"{ext.STATIC_VENDOR}/html-manager/embed-amd.js",
    ]
    assert config["mathjax_path"] == f"{ext.STATIC_VENDOR}/mathjax/tex-mml-chtml.js"
    assert ".vendor/" in (project_root / ".gitignore").read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------------------------------
# Citations


def _bib_keys(project_root) -> list[str]:
    text = (project_root / "book" / "references.bib").read_text(encoding="utf-8")
    return re.findall(r"^@\w+\{([^,\s]+),", text, re.M)


def test_bibliography_parses_and_holds_the_seeds_and_what_they_compare_against(project_root):
    from pybtex.database import parse_file

    keys = _bib_keys(project_root)
    assert len(keys) == len(set(keys)), "duplicate keys in references.bib"
    entries = parse_file(str(project_root / "book" / "references.bib")).entries
    assert set(entries) == set(keys)
    needed = {
        "berardi2023finetuned", "berardi2023finetunedsupp", "berardi2023thesis", "song2023dsmn", "uy2021joint",
        "ji2016crossdomain",  # the seeds
        "radford2021clip", "qi2021toward", "schlachter2022zeroshot", "chang2015shapenet",  # compared / used
    }
    assert needed <= set(keys)
    for key, entry in entries.items():
        assert "title" in entry.fields and "year" in entry.fields and entry.persons.get("author"), key


def test_every_citation_in_the_book_is_in_the_bibliography(project_root):
    keys = set(_bib_keys(project_root))
    sources = sorted((project_root / "book").glob("*.md")) + sorted((project_root / "notebooks").glob("*.py"))
    cited = {}
    for path in sources:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", path.read_text(encoding="utf-8")):
            for key in group.split(","):
                cited.setdefault(key.strip(), path.name)
    assert cited, "no citations found"
    unknown = {k: f for k, f in cited.items() if k not in keys}
    assert not unknown, f"cited but not in book/references.bib: {unknown}"


# --------------------------------------------------------------------------------------------------
# "Run this chapter yourself"


def test_rerun_note_names_the_notebook_its_parameters_and_the_commands():
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]},
             "source": ["profile = 'quick'\n", "device = 'auto'\n", "n_shapes: int = 8\n", "# seed = 1\n"]},
        ],
        "metadata": {"papermill": {"parameters": {"profile": "quick", "device": "auto", "n_shapes": 8}}},
    }
    note = ext.rerun_note("07_x", nb, {"profile": "full", "device": "auto", "n_shapes": 200, "data_dir": "my data"})
    assert note.startswith(":::{admonition} Run this chapter yourself") and note.endswith(":::")
    assert "{download}`07_x.ipynb <07_x.ipynb>`" in note
    assert "`profile='quick'`, `device='auto'`, `n_shapes=8`" in note
    assert "(`profile`, `device`, `n_shapes`)" in note  # the commented-out seed is not a parameter
    assert (".venv/bin/papermill book/chapters/07_x.ipynb out.ipynb -p profile full -p device auto "
            "-p n_shapes 200 -p data_dir 'my data'") in note
    assert "jupyter lab book/chapters/07_x.ipynb" in note
    assert "sbsr.reproduce --only 07_x --profile full" in note


def _text(html: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    import html as _html

    return re.sub(r"\s+", " ", _html.unescape(re.sub(r"<[^>]+>", "", html)))


@pytest.mark.slow
def test_every_chapter_page_offers_its_notebook_and_how_to_rerun_it(book_html, project_root):
    profiles = load_profiles(project_root / "notebooks" / "profiles.yml")
    for name in profiles.names():
        page = (book_html / "book" / "chapters" / f"{name}.html").read_text(encoding="utf-8")
        assert "Run this chapter yourself" in page, name
        link = re.search(rf'href="(\.\./\.\./_downloads/[0-9a-f]+/{re.escape(name)}\.ipynb)"', page)
        assert link, name
        assert (book_html / "book" / "chapters" / link.group(1)).resolve().is_file(), name
        text = _text(page)
        assert f"papermill book/chapters/{name}.ipynb out.ipynb -p profile full" in text, name
        assert f"jupyter lab book/chapters/{name}.ipynb" in text, name


@pytest.mark.slow
def test_bibliography_page_lists_the_references(book_html, project_root):
    text = _text((book_html / "book" / "bibliography.html").read_text(encoding="utf-8")).lower()
    for title in ("fine-tuned but zero-shot", "toward fine-grained sketch-based", "learning transferable visual",
                  "zero-shot multi-modal artist-controlled retrieval"):
        assert title in text, title
    intro = (book_html / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="bibliography.html#id' in intro  # citations link to the bibliography


def test_widget_fonts_land_next_to_every_page_folder(tmp_path):
    root, out = tmp_path / "root", tmp_path / "html"
    manager = ext.vendor_dir(root) / "html-manager"
    manager.mkdir(parents=True)
    (manager / "abc.woff2").write_bytes(b"font")
    (manager / "abc.ttf").write_bytes(b"font2")
    (manager / "embed-amd.js").write_text("js")
    written = ext.copy_widget_fonts(root, out, ["book/intro", "book/chapters/01_overview", "book/chapters/02"])
    assert written == [out / "book" / "@jupyter-widgets", out / "book" / "chapters" / "@jupyter-widgets"]
    for folder in written:
        assert sorted(p.name for p in folder.iterdir()) == ["abc.ttf", "abc.woff2"]
        assert (folder / "abc.woff2").read_bytes() == b"font"
