import textwrap

import pytest

from sbsr.config import ConfigError, find_project_root, load_profiles, resolve_device, seed_everything


def write(tmp_path, text):
    p = tmp_path / "profiles.yml"
    p.write_text(textwrap.dedent(text))
    return p


def test_parameters_merge_defaults_and_notebook_values(tmp_path):
    p = write(
        tmp_path,
        """
        defaults:
          quick: {device: auto, seed: 0, n: 1}
          full: {device: auto, seed: 0, n: 100}
        notebooks:
          - name: a
            title: A
            quick: {n: 5}
            timeout: {quick: 30}
          - name: b
        """,
    )
    prof = load_profiles(p)
    assert prof.names() == ["a", "b"]
    assert prof.parameters("a", "quick") == {"profile": "quick", "device": "auto", "seed": 0, "n": 5}
    assert prof.parameters("a", "full")["n"] == 100
    assert prof.parameters("b", "quick")["n"] == 1
    assert prof.cell_timeout("a", "quick") == 30
    assert prof.cell_timeout("a", "full", default=7) == 7
    with pytest.raises(ConfigError, match="unknown profile 'medium'"):
        prof.parameters("a", "medium")


@pytest.mark.parametrize(
    "text, message",
    [
        ("notebooks: [{title: x}]", "needs a 'name'"),
        ("notebooks: [{name: a}, {name: a}]", "listed twice"),
        ("notebooks: [{name: a, quik: {}}]", "unknown keys"),
        ("defaults: {slow: {}}\nnotebooks: []", "unknown profile 'slow'"),
        ("just a string", "expected a mapping"),
        ("notebooks: [a: b: c]", "not valid YAML"),
    ],
)
def test_bad_profiles_name_the_file(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as err:
        load_profiles(p)
    assert str(p) in str(err.value)


def test_missing_profiles_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_profiles(tmp_path / "nope.yml")


def test_repository_profiles_list_every_text_notebook(project_root):
    prof = load_profiles(project_root / "notebooks" / "profiles.yml")
    on_disk = sorted(p.stem for p in (project_root / "notebooks").glob("*.py"))
    assert sorted(prof.names()) == on_disk
    for name in prof.names():
        for profile in ("quick", "full"):
            params = prof.parameters(name, profile)
            assert {"profile", "device", "seed", "data_dir"} <= set(params), name


def test_find_project_root(project_root, tmp_path, monkeypatch):
    assert find_project_root(project_root / "lib" / "sbsr") == project_root
    monkeypatch.setenv("SBSR_PROJECT_ROOT", str(tmp_path))
    assert find_project_root() == tmp_path


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu")


def test_seed_everything_is_repeatable():
    import torch

    a = seed_everything(3).random(3), torch.rand(2)
    b = seed_everything(3).random(3), torch.rand(2)
    assert (a[0] == b[0]).all() and torch.equal(a[1], b[1])
