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
        ("defualts: {}\nnotebooks: []", r"unknown top-level keys \[.defualts.\]"),
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


def _project(tmp_path, params_cell: str, quick: str, toc_chapters: list[list[str]]):
    """A minimal project: two notebooks a, b (a runs first), their profiles and a table of contents."""
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    for name in ("a", "b"):
        (tmp_path / "notebooks" / f"{name}.py").write_text(
            f'# %% [markdown]\n# # {name}\n\n# %% tags=["parameters"]\n{params_cell}\n\n# %%\nprint(1)\n')
    (tmp_path / "notebooks" / "profiles.yml").write_text(
        "defaults:\n  quick: {seed: 0}\nnotebooks:\n"
        f"  - name: a\n    quick: {quick}\n  - name: b\n")
    parts = "".join(f"  - caption: P{i}\n    chapters:\n" + "".join(f"      - file: book/chapters/{c}\n" for c in part)
                    for i, part in enumerate(toc_chapters))
    (tmp_path / "_toc.yml").write_text(f"format: jb-book\nroot: book/intro\nparts:\n{parts}")
    return load_profiles(tmp_path / "notebooks" / "profiles.yml")


def test_parameters_cell_names_reads_only_the_tagged_cell(tmp_path):
    from sbsr.config import parameters_cell_names

    _project(tmp_path, 'profile = "quick"\nseed = 0\nn_shapes: int = 3  # annotated\nif seed == 1:\n    pass', "{}", [["a", "b"]])
    assert parameters_cell_names(tmp_path / "notebooks" / "a.py") == {"profile", "seed", "n_shapes"}


def test_a_misspelt_profile_key_is_an_error_naming_it(tmp_path):
    from sbsr.config import check_notebook_parameters

    good = _project(tmp_path, "profile = 1\nseed = 0\nn_shapes = 3", "{n_shapes: 5}", [["a", "b"]])
    check_notebook_parameters(good, tmp_path)
    bad = _project(tmp_path, "profile = 1\nseed = 0\nn_shapes = 3", "{n_shape: 5}", [["a", "b"]])
    with pytest.raises(ConfigError, match=r"a \(quick\): n_shape not in the parameters cell of a\.py"):
        check_notebook_parameters(bad, tmp_path)


def test_toc_and_profiles_cannot_drift_apart(tmp_path):
    from sbsr.config import check_toc

    check_toc(_project(tmp_path, "seed = 0", "{}", [["b"], ["a"]]), tmp_path)  # parts may reorder chapters
    with pytest.raises(ConfigError, match="runs them as a, b"):
        check_toc(_project(tmp_path, "seed = 0", "{}", [["b", "a"]]), tmp_path)
    with pytest.raises(ConfigError, match="not in the table of contents: b"):
        check_toc(_project(tmp_path, "seed = 0", "{}", [["a"]]), tmp_path)
    with pytest.raises(ConfigError, match="lists c, not in profiles.yml"):
        check_toc(_project(tmp_path, "seed = 0", "{}", [["a", "b", "c"]]), tmp_path)
    with pytest.raises(ConfigError, match="listed twice: a"):
        check_toc(_project(tmp_path, "seed = 0", "{}", [["a", "b"], ["a"]]), tmp_path)


def test_the_books_profiles_and_toc_agree(project_root):
    from sbsr.config import check_notebook_parameters, check_toc

    profiles = load_profiles(project_root / "notebooks" / "profiles.yml")
    check_notebook_parameters(profiles, project_root)
    check_toc(profiles, project_root)
