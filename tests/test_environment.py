"""The pins live in pyproject.toml; environment.yml must mirror them exactly."""

import tomllib

import yaml


def test_environment_yml_matches_pyproject(project_root):
    project = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]
    pinned = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = yaml.safe_load((project_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert set(p for p in pip_section if not p.startswith("-e")) == pinned
    assert "-e ." in pip_section
    assert any(d.startswith("python=3.11") for d in conda)
    assert "conda-forge" in env["channels"]


def test_every_dependency_is_pinned_exactly(project_root):
    project = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert "==" in dep, f"{dep} is not pinned"


def test_jupyter_book_is_1x(project_root):
    project = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]
    jb = next(d for d in project["dependencies"] if d.startswith("jupyter-book=="))
    assert jb.split("==")[1].startswith("1.")
